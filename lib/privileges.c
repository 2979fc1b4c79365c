/*
 * privileges.c - the user and group the daemon runs as.
 *
 * Names are resolved in the original process, before the fork and before
 * any chroot (DESIGN.md section 3, step 1): /etc and the name service are
 * still reachable there, and an unknown user is reported in the terminal.
 * The drop itself happens in the daemon (or in the one process in
 * supervised mode) after chroot, and is verified afterwards: real,
 * effective and saved ids (the saved ones only where getresuid exists),
 * the group list, and that root cannot be regained.
 *
 * Errors of resolution: an unknown user or group is ENOENT ("privileges:
 * user 'x' not found"); a numeric uid without a passwd entry and without a
 * group is EINVAL (there is no primary group to take); a change of
 * identity that needs root while not root is EPERM.
 */
#include "internal.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STEP "privileges"

/* Upper bound on the group list we are willing to build; far above any
 * NGROUPS_MAX in use (Linux: 65536), so that the retry loop is bounded. */
#define DZ_GROUPS_LIMIT 65536

/*
 * Strict decimal id: digits only, no sign, no blanks, and never the value
 * (id_t)-1, which the set*id calls read as "leave unchanged".  Returns 1
 * for a number, 0 for something that is not one (a name), -1 for a number
 * out of range.
 */
static int
parse_id(const char *s, unsigned long *out)
{
	unsigned long long v = 0;
	const char *p;

	if (*s == '\0')
		return 0;
	for (p = s; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return 0;
	for (p = s; *p != '\0'; p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	/* uid_t and gid_t are 32-bit unsigned wherever this builds; the
	 * round trip through both types rejects anything wider. */
	if (v != (unsigned long long)(uid_t)v ||
	    v != (unsigned long long)(gid_t)v ||
	    (uid_t)v == (uid_t)-1 || (gid_t)v == (gid_t)-1)
		return -1;
	*out = (unsigned long)v;
	return 1;
}

/* getpwnam and getgrnam return NULL with errno 0 (or one of these, per
 * POSIX's "not found" examples) when the entry simply does not exist. */
static bool
lookup_not_found(int err)
{
	return err == 0 || err == ENOENT || err == ESRCH || err == EBADF ||
	    err == EPERM;
}

static void
free_groups(struct dz_identity *id)
{
	free(id->groups);
	id->groups = NULL;
	id->ngroups = 0;
	id->resolved = false;
}

void
dz_identity_clear(struct dz_identity *id)
{
	if (id == NULL)
		return;
	free_groups(id);
	free(id->user);
	free(id->group);
	id->user = NULL;
	id->group = NULL;
	id->uid = 0;
	id->gid = 0;
}

/*
 * user and group are names or decimal ids.  A NULL (or empty) argument
 * leaves that part as an earlier call set it, so that a program can map
 * "-u USER" and "-g GROUP" options to one call each; giving neither is
 * EINVAL.  Nothing is looked up here: daemonize_start resolves the names.
 */
DZ_PUBLIC int
daemonize_set_user(struct daemonize *d, const char *user, const char *group)
{
	char *u = NULL, *g = NULL;

	if (dz_config_check(d, STEP) == -1)
		return -1;
	if (user != NULL && *user == '\0')
		user = NULL;
	if (group != NULL && *group == '\0')
		group = NULL;
	if (user == NULL && group == NULL)
		return dz_error(d, STEP, EINVAL, "no user and no group given");
	if ((user != NULL && (u = strdup(user)) == NULL) ||
	    (group != NULL && (g = strdup(group)) == NULL)) {
		free(u);
		return dz_error(d, STEP, ENOMEM, "cannot copy user/group");
	}
	free_groups(&d->id);
	if (u != NULL) {
		free(d->id.user);
		d->id.user = u;
	}
	if (g != NULL) {
		free(d->id.group);
		d->id.group = g;
	}
	return 0;
}

/* gid of the configured group, by number or name. */
static int
resolve_group(struct daemonize *d, gid_t *gid)
{
	const char *name = d->id.group;
	unsigned long n;
	struct group *gr;
	int r;

	if ((r = parse_id(name, &n)) == -1)
		return dz_error(d, STEP, ERANGE, "group id %s out of range",
		    name);
	if (r == 1) {
		/* A numeric gid needs no group entry: the kernel does not
		 * care, and containers often have none. */
		*gid = (gid_t)n;
		return 0;
	}
	errno = 0;
	if ((gr = getgrnam(name)) == NULL) {
		if (lookup_not_found(errno))
			return dz_error(d, STEP, ENOENT,
			    "group '%s' not found", name);
		return dz_error(d, STEP, errno, "cannot look up group '%s'",
		    name);
	}
	*gid = gr->gr_gid;
	return 0;
}

/* initgroups(3) semantics without changing anything yet: the groups the
 * database lists for user, plus gid.  Where there is no getgrouplist
 * (dz_getgrouplist says ENOSYS) it refuses clearly rather than drop to a
 * wrong list: every platform this was tested on has one. */
static int
user_groups(struct daemonize *d, const char *user, gid_t gid)
{
	gid_t *list = NULL, *tmp;
	int cap = 32, n, tries;

	/* getgrouplist says -1 when the array is too small (glibc then
	 * stores the size it needs in n; BSDs store how many fit), so grow
	 * and retry, a bounded number of times.  dz_getgrouplist takes
	 * gid_t also where the C library's takes int (macOS). */
	for (tries = 0; tries < 16; tries++) {
		if ((tmp = realloc(list, (size_t)cap * sizeof(*list))) ==
		    NULL) {
			free(list);
			return dz_error(d, STEP, ENOMEM,
			    "group list of user '%s'", user);
		}
		list = tmp;
		n = cap;
		/* "Too small" need not set errno: clear it, so that a stale
		 * ENOSYS cannot pass for the missing function. */
		errno = 0;
		if (dz_getgrouplist(user, gid, list, &n) != -1) {
			d->id.groups = list;
			d->id.ngroups = n;
			return 0;
		}
		if (errno == ENOSYS) {
			free(list);
			return dz_error(d, STEP, ENOSYS, "cannot compute the "
			    "groups of user '%s': no getgrouplist on this "
			    "platform", user);
		}
		if (cap >= DZ_GROUPS_LIMIT)
			break;
		cap = n > cap ? n : cap * 2;
		if (cap > DZ_GROUPS_LIMIT)
			cap = DZ_GROUPS_LIMIT;
	}
	free(list);
	return dz_error(d, STEP, E2BIG, "user '%s' is in too many groups",
	    user);
}

/* Whether the lists a (n entries) and b (m entries) hold the same gids,
 * ignoring order and duplicates.  Quadratic, but lists are short. */
static bool
same_group_set(const gid_t *a, int n, const gid_t *b, int m)
{
	int i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < m && b[j] != a[i]; j++)
			continue;
		if (j == m)
			return false;
	}
	for (j = 0; j < m; j++) {
		for (i = 0; i < n && a[i] != b[j]; i++)
			continue;
		if (i == n)
			return false;
	}
	return true;
}

/* The current supplementary group list, malloc'ed; count or -1. */
static int
current_groups(gid_t **out)
{
	gid_t *list = NULL, *tmp;
	int n, tries;

	*out = NULL;
	/* The list can change between the two calls only if another thread
	 * changes it; retry a few times rather than loop. */
	for (tries = 0; tries < 4; tries++) {
		if ((n = getgroups(0, NULL)) == -1)
			break;
		if ((tmp = realloc(list, (size_t)(n + 1) * sizeof(*list))) ==
		    NULL)
			break;
		list = tmp;
		if ((n = getgroups(n + 1, list)) != -1) {
			*out = list;
			return n;
		}
		if (errno != EINVAL)
			break;
	}
	free(list);
	return -1;
}

/* Whether this process already is exactly the target identity, in which
 * case nothing needs to change (and nothing needs root). */
static bool
already_target(const struct dz_identity *id)
{
	uid_t r, e, s;
	gid_t rg, eg, sg, *cur;
	int n;
	bool same;

	if (id->user != NULL && (getuid() != id->uid || geteuid() != id->uid))
		return false;
	if (getgid() != id->gid || getegid() != id->gid)
		return false;
	/* The saved ids too, where they can be read; where they cannot
	 * (ENOSYS: macOS) the drop's verification still proves that root
	 * cannot be regained. */
	if (dz_getresuid(&r, &e, &s) == 0 &&
	    dz_getresgid(&rg, &eg, &sg) == 0) {
		if (id->user != NULL && s != id->uid)
			return false;
		if (sg != id->gid)
			return false;
	} else if (errno != ENOSYS)
		return false;
	if ((n = current_groups(&cur)) == -1)
		return false;
	same = same_group_set(cur, n, id->groups, id->ngroups);
	free(cur);
	return same;
}

int
dz_privileges_resolve(struct daemonize *d)
{
	struct dz_identity *id = &d->id;
	struct passwd *pw = NULL;
	char pwname[256];
	unsigned long n;
	int r;

	free_groups(id);
	if (id->user == NULL && id->group == NULL)
		return 0;

	if (id->user != NULL) {
		if ((r = parse_id(id->user, &n)) == -1)
			return dz_error(d, STEP, ERANGE,
			    "user id %s out of range", id->user);
		errno = 0;
		if (r == 1) {
			id->uid = (uid_t)n;
			pw = getpwuid(id->uid);
		} else if ((pw = getpwnam(id->user)) == NULL) {
			if (lookup_not_found(errno))
				return dz_error(d, STEP, ENOENT,
				    "user '%s' not found", id->user);
			return dz_error(d, STEP, errno,
			    "cannot look up user '%s'", id->user);
		}
		if (pw == NULL) {
			if (!lookup_not_found(errno))
				return dz_error(d, STEP, errno,
				    "cannot look up uid %s", id->user);
			/* Without an entry there is no primary group and no
			 * group list: only an explicit group makes sense. */
			if (id->group == NULL)
				return dz_error(d, STEP, EINVAL,
				    "uid %s has no passwd entry; give a group "
				    "too", id->user);
		} else {
			id->uid = pw->pw_uid;
			id->gid = pw->pw_gid;
			/* The next getgr* call may reuse pw's storage. */
			if (strlen(pw->pw_name) >= sizeof(pwname))
				return dz_error(d, STEP, ENAMETOOLONG,
				    "user name of '%s'", id->user);
			memcpy(pwname, pw->pw_name, strlen(pw->pw_name) + 1);
		}
	}
	if (id->group != NULL && resolve_group(d, &id->gid) == -1)
		return -1;

	if (pw != NULL) {
		/* initgroups semantics: the database's groups of the user
		 * plus the target gid (which may be the configured group
		 * rather than the user's primary one). */
		if (user_groups(d, pwname, id->gid) == -1)
			return -1;
	} else {
		/* Only a group (or a uid without entry): the list is
		 * exactly that group, so nothing inherited (root's group 0
		 * above all) survives. */
		if ((id->groups = malloc(sizeof(*id->groups))) == NULL)
			return dz_error(d, STEP, ENOMEM, "group list");
		id->groups[0] = id->gid;
		id->ngroups = 1;
	}
	{
		long max = sysconf(_SC_NGROUPS_MAX);

		if (max > 0 && id->ngroups > max) {
			int cnt = id->ngroups;

			free_groups(id);
			return dz_error(d, STEP, E2BIG, "'%s' is in %d groups, "
			    "more than NGROUPS_MAX (%ld)", id->user != NULL ?
			    id->user : id->group, cnt, max);
		}
	}

	/* Only root may change identity; a request for the identity we
	 * already have is a no-op and allowed, so that the same
	 * configuration runs in a test as an unprivileged user. */
	if (geteuid() != 0 && !already_target(id)) {
		if (id->user != NULL)
			dz_error(d, STEP, EPERM, "dropping to user %s needs "
			    "root (running as uid %lu)", id->user,
			    (unsigned long)geteuid());
		else
			dz_error(d, STEP, EPERM, "switching to group %s needs "
			    "root (running as uid %lu)", id->group,
			    (unsigned long)geteuid());
		free_groups(id);
		errno = EPERM;
		return -1;
	}
	id->resolved = true;
	return 0;
}

/* After the drop: everything is the target, and root cannot come back.
 * Separate (and internal-public) so the tests can check that it notices
 * a drop the kernel did not complete. */
int
dz_privileges_verify(struct daemonize *d)
{
	struct dz_identity *id = &d->id;
	uid_t r, e, s;
	gid_t rg, eg, sg, *cur;
	int n;
	bool same;

	if (id->user == NULL && id->group == NULL)
		return 0;
	if (!id->resolved)
		return dz_error(d, STEP, EINVAL, "identity not resolved");
	if (dz_getresuid(&r, &e, &s) == 0 &&
	    dz_getresgid(&rg, &eg, &sg) == 0) {
		if (id->user != NULL &&
		    (r != id->uid || e != id->uid || s != id->uid))
			return dz_error(d, STEP, EPERM, "uids are %lu/%lu/%lu "
			    "after dropping to uid %lu", (unsigned long)r,
			    (unsigned long)e, (unsigned long)s,
			    (unsigned long)id->uid);
		if (rg != id->gid || eg != id->gid || sg != id->gid)
			return dz_error(d, STEP, EPERM, "gids are %lu/%lu/%lu "
			    "after switching to gid %lu", (unsigned long)rg,
			    (unsigned long)eg, (unsigned long)sg,
			    (unsigned long)id->gid);
	} else if (errno != ENOSYS) {
		return dz_error(d, STEP, errno, "getresuid");
	} else {
		/* No getresuid/getresgid (macOS): the saved ids are not
		 * checked on this platform, only real and effective here;
		 * the setuid(0) probe below is what proves that the saved
		 * uid does not let root back. */
		if (id->user != NULL &&
		    (getuid() != id->uid || geteuid() != id->uid))
			return dz_error(d, STEP, EPERM, "uid is not %lu after "
			    "the drop", (unsigned long)id->uid);
		if (getgid() != id->gid || getegid() != id->gid)
			return dz_error(d, STEP, EPERM, "gid is not %lu after "
			    "the drop", (unsigned long)id->gid);
	}
	if ((n = current_groups(&cur)) == -1)
		return dz_error(d, STEP, errno, "getgroups");
	same = same_group_set(cur, n, id->groups, id->ngroups);
	free(cur);
	if (!same)
		return dz_error(d, STEP, EPERM, "group list is not the target "
		    "after the drop");

	/* The proof that matters: the saved ids must not let us back.  A
	 * successful setuid(0) here means the start must fail. */
	if (id->user != NULL && id->uid != 0) {
		if (setuid(0) != -1 || seteuid(0) != -1)
			return dz_error(d, STEP, EPERM, "could regain root "
			    "after dropping to uid %lu",
			    (unsigned long)id->uid);
		if (id->gid != 0 && (setgid(0) != -1 || setegid(0) != -1))
			return dz_error(d, STEP, EPERM, "could regain group 0 "
			    "after dropping to uid %lu",
			    (unsigned long)id->uid);
	}
	return 0;
}

int
dz_privileges_drop(struct daemonize *d)
{
	struct dz_identity *id = &d->id;
	const char *call;

	if (id->user == NULL && id->group == NULL)
		return 0;
	if (!id->resolved)
		return dz_error(d, STEP, EINVAL, "identity not resolved");
	if (already_target(id))
		return dz_privileges_verify(d);

	/*
	 * The order is forced: setgroups and setgid need root, so both
	 * must come while we still are root, before setuid gives it up for
	 * good.  A drop that skipped setgroups would keep root's group 0 in
	 * the list; one that skipped setgid (python-daemon's initgroups
	 * path) would keep gid 0.
	 */
	if (setgroups((size_t)id->ngroups, id->groups) == -1)
		return dz_error(d, STEP, errno, "setgroups (%d groups)",
		    id->ngroups);
	/* Real, effective and saved (lib/compat/setresgid.c); the message
	 * names the call used. */
	if (dz_setresgid(id->gid, &call) == -1)
		return dz_error(d, STEP, errno, "%s %lu", call,
		    (unsigned long)id->gid);
	if (id->user != NULL) {
		/* Can fail with EAGAIN when the target user is at its
		 * RLIMIT_NPROC: continuing as root would be the worst
		 * outcome, so every return is checked. */
		if (dz_setresuid(id->uid, &call) == -1)
			return dz_error(d, STEP, errno, "%s %lu", call,
			    (unsigned long)id->uid);
	}
	return dz_privileges_verify(d);
}

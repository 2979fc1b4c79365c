/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * privileges.c - the user and group the daemon runs as.
 *
 * Names are resolved in the original process, before the fork and before
 * any chroot: /etc and the name service are still reachable there, and an
 * unknown user is reported in the terminal.  The drop itself happens in
 * the daemon (or in the one process in supervised mode) after chroot:
 * setgroups(2) with the list computed here (never initgroups(3), which
 * would consult the group database again, inside the chroot), then the
 * gid, then the uid.  It is verified afterwards: real, effective and
 * saved ids (the saved ones only where getresuid exists), the group list,
 * and that root cannot be regained.
 *
 * Errors of resolution: an unknown user or group is ENOENT ("privileges:
 * user 'x' not found"); a numeric uid without a passwd entry and without a
 * group is EINVAL (there is no primary group to take); a change of
 * identity that needs root while not root is EPERM.
 */
#include "privileges.h"
#include "compat.h"

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
	unsigned long long v;

	/* dz_parse_uint says ERANGE only for a string of digits alone. */
	if (dz_parse_uint(s, ULLONG_MAX, &v) == -1)
		return errno == ERANGE ? -1 : 0;
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
 * user and group are names or decimal ids; a NULL or empty one means
 * none.  Both are replaced at once, like every other setting: the last
 * call wins, and (NULL, NULL) clears the identity.  Both copies are made
 * before anything is freed, so a failure changes nothing.  Nothing is
 * looked up here: dz_privileges_resolve does it at start.
 */
int
dz_identity_set(struct dz_identity *id, const char *user, const char *group,
    struct dz_err *e)
{
	char *u = NULL, *g = NULL;

	if (user != NULL && *user == '\0')
		user = NULL;
	if (group != NULL && *group == '\0')
		group = NULL;
	if ((user != NULL && (u = strdup(user)) == NULL) ||
	    (group != NULL && (g = strdup(group)) == NULL)) {
		free(u);
		return dz_fail(e, STEP, ENOMEM, "cannot copy user/group");
	}
	free_groups(id);
	free(id->user);
	free(id->group);
	id->user = u;
	id->group = g;
	id->uid = 0;
	id->gid = 0;
	return 0;
}

bool
dz_identity_configured(const struct dz_identity *id)
{
	return id->user != NULL || id->group != NULL;
}

/* gid of the configured group, by number or name. */
static int
resolve_group(const char *name, gid_t *gid, struct dz_err *e)
{
	unsigned long n;
	struct group *gr;
	int r;

	if ((r = parse_id(name, &n)) == -1)
		return dz_fail(e, STEP, ERANGE, "group id %s out of range",
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
			return dz_fail(e, STEP, ENOENT,
			    "group '%s' not found", name);
		return dz_fail(e, STEP, errno, "cannot look up group '%s'",
		    name);
	}
	*gid = gr->gr_gid;
	return 0;
}

/* The list initgroups(3) would set, computed without changing anything
 * (the drop sets it with setgroups(2)): the groups the database lists for
 * user, plus gid.  Where there is no getgrouplist (dz_getgrouplist says
 * ENOSYS) it refuses clearly rather than drop to a wrong list: every
 * platform this was tested on has one. */
static int
user_groups(struct dz_identity *id, const char *user, gid_t gid,
    struct dz_err *e)
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
			return dz_fail(e, STEP, ENOMEM,
			    "group list of user '%s'", user);
		}
		list = tmp;
		n = cap;
		/* "Too small" need not set errno: clear it, so that a stale
		 * ENOSYS cannot pass for the missing function. */
		errno = 0;
		if (dz_getgrouplist(user, gid, list, &n) != -1) {
			id->groups = list;
			id->ngroups = n;
			return 0;
		}
		if (errno == ENOSYS) {
			free(list);
			return dz_fail(e, STEP, ENOSYS, "cannot compute the "
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
	return dz_fail(e, STEP, E2BIG, "user '%s' is in too many groups",
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
dz_privileges_resolve(struct dz_identity *id, struct dz_err *e)
{
	struct passwd *pw = NULL;
	char pwname[256];
	unsigned long n;
	long max;
	int r, cnt;

	free_groups(id);
	if (!dz_identity_configured(id))
		return 0;

	if (id->user != NULL) {
		if ((r = parse_id(id->user, &n)) == -1)
			return dz_fail(e, STEP, ERANGE,
			    "user id %s out of range", id->user);
		errno = 0;
		if (r == 1) {
			id->uid = (uid_t)n;
			pw = getpwuid(id->uid);
		} else if ((pw = getpwnam(id->user)) == NULL) {
			if (lookup_not_found(errno))
				return dz_fail(e, STEP, ENOENT,
				    "user '%s' not found", id->user);
			return dz_fail(e, STEP, errno,
			    "cannot look up user '%s'", id->user);
		}
		if (pw == NULL) {
			if (!lookup_not_found(errno))
				return dz_fail(e, STEP, errno,
				    "cannot look up uid %s", id->user);
			/* Without an entry there is no primary group and no
			 * group list: only an explicit group makes sense. */
			if (id->group == NULL)
				return dz_fail(e, STEP, EINVAL,
				    "uid %s has no passwd entry; give a group "
				    "too", id->user);
		} else {
			id->uid = pw->pw_uid;
			id->gid = pw->pw_gid;
			/* The next getgr* call may reuse pw's storage. */
			if (strlen(pw->pw_name) >= sizeof(pwname))
				return dz_fail(e, STEP, ENAMETOOLONG,
				    "user name of '%s'", id->user);
			memcpy(pwname, pw->pw_name, strlen(pw->pw_name) + 1);
		}
	}
	if (id->group != NULL && resolve_group(id->group, &id->gid, e) == -1)
		return -1;

	if (pw != NULL) {
		/* initgroups(3)'s list: the database's groups of the user
		 * plus the target gid (which may be the configured group
		 * rather than the user's primary one). */
		if (user_groups(id, pwname, id->gid, e) == -1)
			return -1;
	} else {
		/* Only a group (or a uid without entry): the list is
		 * exactly that group, so nothing inherited (root's group 0
		 * above all) survives. */
		if ((id->groups = malloc(sizeof(*id->groups))) == NULL)
			return dz_fail(e, STEP, ENOMEM, "group list");
		id->groups[0] = id->gid;
		id->ngroups = 1;
	}
	max = sysconf(_SC_NGROUPS_MAX);
	if (max > 0 && id->ngroups > max) {
		cnt = id->ngroups;
		free_groups(id);
		return dz_fail(e, STEP, E2BIG, "'%s' is in %d groups, more "
		    "than NGROUPS_MAX (%ld)", id->user != NULL ? id->user :
		    id->group, cnt, max);
	}

	/* Only root may change identity; a request for the identity we
	 * already have is a no-op and allowed, so that the same
	 * configuration runs in a test as an unprivileged user. */
	if (geteuid() != 0 && !already_target(id)) {
		if (id->user != NULL)
			dz_fail(e, STEP, EPERM, "dropping to user %s needs "
			    "root (running as uid %lu)", id->user,
			    (unsigned long)geteuid());
		else
			dz_fail(e, STEP, EPERM, "switching to group %s needs "
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
dz_privileges_verify(const struct dz_identity *id, struct dz_err *e)
{
	uid_t r, eu, s;
	gid_t rg, eg, sg, *cur;
	int n;
	bool same;

	if (!dz_identity_configured(id))
		return 0;
	if (!id->resolved)
		return dz_fail(e, STEP, EINVAL, "identity not resolved");
	if (dz_getresuid(&r, &eu, &s) == 0 &&
	    dz_getresgid(&rg, &eg, &sg) == 0) {
		if (id->user != NULL &&
		    (r != id->uid || eu != id->uid || s != id->uid))
			return dz_fail(e, STEP, EPERM, "uids are %lu/%lu/%lu "
			    "after dropping to uid %lu", (unsigned long)r,
			    (unsigned long)eu, (unsigned long)s,
			    (unsigned long)id->uid);
		if (rg != id->gid || eg != id->gid || sg != id->gid)
			return dz_fail(e, STEP, EPERM, "gids are %lu/%lu/%lu "
			    "after switching to gid %lu", (unsigned long)rg,
			    (unsigned long)eg, (unsigned long)sg,
			    (unsigned long)id->gid);
	} else if (errno != ENOSYS) {
		return dz_fail(e, STEP, errno, "getresuid");
	} else {
		/* No getresuid/getresgid (macOS): the saved ids are not
		 * checked on this platform, only real and effective here;
		 * the setuid(0) probe below is what proves that the saved
		 * uid does not let root back. */
		if (id->user != NULL &&
		    (getuid() != id->uid || geteuid() != id->uid))
			return dz_fail(e, STEP, EPERM, "uid is not %lu after "
			    "the drop", (unsigned long)id->uid);
		if (getgid() != id->gid || getegid() != id->gid)
			return dz_fail(e, STEP, EPERM, "gid is not %lu after "
			    "the drop", (unsigned long)id->gid);
	}
	if ((n = current_groups(&cur)) == -1)
		return dz_fail(e, STEP, errno, "getgroups");
	same = same_group_set(cur, n, id->groups, id->ngroups);
	free(cur);
	if (!same)
		return dz_fail(e, STEP, EPERM, "group list is not the target "
		    "after the drop");

	/* The proof that matters: the saved ids must not let us back.  A
	 * successful setuid(0) here means the start must fail. */
	if (id->user != NULL && id->uid != 0) {
		if (setuid(0) != -1 || seteuid(0) != -1)
			return dz_fail(e, STEP, EPERM, "could regain root "
			    "after dropping to uid %lu",
			    (unsigned long)id->uid);
		if (id->gid != 0 && (setgid(0) != -1 || setegid(0) != -1))
			return dz_fail(e, STEP, EPERM, "could regain group 0 "
			    "after dropping to uid %lu",
			    (unsigned long)id->uid);
	}
	return 0;
}

int
dz_privileges_drop(struct dz_identity *id, struct dz_err *e)
{
	const char *call;

	if (!dz_identity_configured(id))
		return 0;
	if (!id->resolved)
		return dz_fail(e, STEP, EINVAL, "identity not resolved");
	if (already_target(id))
		return dz_privileges_verify(id, e);

	/*
	 * The order is forced: setgroups and setgid need root, so both
	 * must come while we still are root, before setuid gives it up for
	 * good.  A drop that skipped setgroups would keep root's group 0 in
	 * the list; one that skipped setgid (python-daemon's initgroups
	 * path) would keep gid 0.
	 */
	if (setgroups((size_t)id->ngroups, id->groups) == -1)
		return dz_fail(e, STEP, errno, "setgroups (%d groups)",
		    id->ngroups);
	/* Real, effective and saved (lib/compat/setresgid.c); the message
	 * names the call used. */
	if (dz_setresgid(id->gid, &call) == -1)
		return dz_fail(e, STEP, errno, "%s %lu", call,
		    (unsigned long)id->gid);
	if (id->user != NULL) {
		/* Can fail with EAGAIN when the target user is at its
		 * RLIMIT_NPROC: continuing as root would be the worst
		 * outcome, so every return is checked. */
		if (dz_setresuid(id->uid, &call) == -1)
			return dz_fail(e, STEP, errno, "%s %lu", call,
			    (unsigned long)id->uid);
	}
	return dz_privileges_verify(id, e);
}

/* The configured user's uid only, for the pidfile readers: which files
 * they trust.  No group list, no check that a drop would be possible
 * (a status query runs as anyone). */
int
dz_identity_uid(const struct dz_identity *id, uid_t *uid, struct dz_err *e)
{
	struct passwd *pw;
	unsigned long n;
	int r;

	if (id->user == NULL)
		return dz_fail(e, STEP, EINVAL, "no user configured");
	if ((r = parse_id(id->user, &n)) == -1)
		return dz_fail(e, STEP, ERANGE, "user id %s out of range",
		    id->user);
	if (r == 1) {
		*uid = (uid_t)n;
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(id->user)) == NULL) {
		if (lookup_not_found(errno))
			return dz_fail(e, STEP, ENOENT, "user '%s' not found",
			    id->user);
		return dz_fail(e, STEP, errno, "cannot look up user '%s'",
		    id->user);
	}
	*uid = pw->pw_uid;
	return 0;
}

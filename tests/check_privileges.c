/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * check_privileges.c - lib/privileges.c: user/group configuration (the
 * internal dz_identity_set and the public daemonize_set_user, last call
 * wins), name resolution, the drop and its verification, in-process, in
 * foreground mode through the public API (every step applied without a
 * fork), and end to end through tests/helper; and the pidfile readers'
 * trust in files of the configured user.  Tests that need root print
 * "skipped: not root" and return when not run as root.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "privileges.h"

#include <sys/file.h>
#include <fcntl.h>
#include <poll.h>

#include "daemonize.h"
#include "testutil.h"

#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#include <sys/syscall.h>
#if defined(PR_SET_KEEPCAPS) && defined(SYS_capset) && \
    __has_include(<linux/capability.h>)
#include <linux/capability.h>
#define HAVE_KEEPCAPS_TEST 1
#endif
#endif

#define NOBODY  65534
#define NOGROUP 65534

/* The identity step's state and its error text, as daemonize.c keeps
 * them. */
struct idt {
	struct dz_identity id;
	struct dz_err e;
};

static struct idt *
idt_new(void)
{
	struct idt *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	return t;
}

static int
set(struct idt *t, const char *user, const char *group)
{
	return dz_identity_set(&t->id, user, group, &t->e);
}

static int
resolve(struct idt *t)
{
	return dz_privileges_resolve(&t->id, &t->e);
}

static int
drop(struct idt *t)
{
	return dz_privileges_drop(&t->id, &t->e);
}

static int
verify(struct idt *t)
{
	return dz_privileges_verify(&t->id, &t->e);
}

static void
idt_free(struct idt *t)
{
	dz_identity_clear(&t->id);
	free(t);
}

/* Whether list (n entries) holds exactly the set want (m entries). */
static bool
same_set(const gid_t *list, int n, const gid_t *want, int m)
{
	int i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < m && want[j] != list[i]; j++)
			continue;
		if (j == m)
			return false;
	}
	for (j = 0; j < m; j++) {
		for (i = 0; i < n && list[i] != want[j]; i++)
			continue;
		if (i == n)
			return false;
	}
	return true;
}

static bool
groups_are(const gid_t *want, int m)
{
	gid_t cur[256];
	int n = getgroups(256, cur);

	ck_assert_int_ge(n, 0);
	return same_set(cur, n, want, m);
}

/* Resolve and drop in this (forked) test process, asserting success. */
static void
drop_to(struct idt *d, const char *user, const char *group)
{
	ck_assert_int_eq(set(d, user, group), 0);
	ck_assert_msg(resolve(d) == 0, "resolve: %s",
	    d->e.text);
	ck_assert_msg(drop(d) == 0, "drop: %s",
	    d->e.text);
}

static void
assert_ids(uid_t uid, gid_t gid)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	ck_assert_int_eq(getresuid(&r, &e, &s), 0);
	ck_assert_int_eq(getresgid(&rg, &eg, &sg), 0);
	ck_assert_uint_eq(r, uid);
	ck_assert_uint_eq(e, uid);
	ck_assert_uint_eq(s, uid);
	ck_assert_uint_eq(rg, gid);
	ck_assert_uint_eq(eg, gid);
	ck_assert_uint_eq(sg, gid);
}

/* Become nobody/nogroup by hand (not through the library). */
static void
become_nobody(void)
{
	gid_t g = NOGROUP;

	ck_assert_int_eq(setgroups(1, &g), 0);
	ck_assert_int_eq(setresgid(NOGROUP, NOGROUP, NOGROUP), 0);
	ck_assert_int_eq(setresuid(NOBODY, NOBODY, NOBODY), 0);
}

/* A uid with no passwd entry, or 0 if none was found in a bounded scan. */
static uid_t
unused_uid(void)
{
	uid_t u;

	for (u = 54321; u < 54321 + 1000; u++)
		if (getpwuid(u) == NULL)
			return u;
	return 0;
}

/* ---- configuration --------------------------------------------------- */

START_TEST(test_set_user_args)
{
	struct idt *d = idt_new();

	errno = 0;
	ck_assert_int_eq(daemonize_set_user(NULL, "nobody", NULL), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* Both parts at once; the last call wins (no merging with an
	 * earlier call), and NULL (or "") clears. */
	ck_assert_int_eq(set(d, "nobody", NULL), 0);
	ck_assert_str_eq(d->id.user, "nobody");
	ck_assert_ptr_null(d->id.group);
	ck_assert(dz_identity_configured(&d->id));
	ck_assert_int_eq(set(d, NULL, "nogroup"), 0);
	ck_assert_ptr_null(d->id.user);
	ck_assert_str_eq(d->id.group, "nogroup");
	ck_assert_int_eq(set(d, "daemon", "daemon"), 0);
	ck_assert_str_eq(d->id.user, "daemon");
	ck_assert_str_eq(d->id.group, "daemon");
	ck_assert(!d->id.resolved);
	ck_assert_int_eq(set(d, "", ""), 0);
	ck_assert_ptr_null(d->id.user);
	ck_assert_ptr_null(d->id.group);
	ck_assert(!dz_identity_configured(&d->id));
	ck_assert_int_eq(set(d, "nobody", "nogroup"), 0);
	ck_assert_int_eq(set(d, NULL, NULL), 0);
	ck_assert_ptr_null(d->id.user);
	ck_assert_ptr_null(d->id.group);
	ck_assert(!dz_identity_configured(&d->id));
	idt_free(d);
}
END_TEST

/* The public setter: NULL clears, and after daemonize_lock configuration
 * is refused and changes nothing. */
START_TEST(test_set_user_public)
{
	struct daemonize *c = tu_ctx("t");

	tu_clean_env();
	ck_assert_int_eq(daemonize_set_user(c, "dz-no-such-user", NULL), 0);
	ck_assert_int_eq(daemonize_set_user(c, NULL, NULL), 0);
	ck_assert_int_eq(daemonize_set_mode(c, DAEMONIZE_MODE_FOREGROUND), 0);
	/* Cleared: the lock does not look the unknown user up. */
	ck_assert_msg(daemonize_lock(c) == 0, "%s", daemonize_error(c));
	errno = 0;
	ck_assert_int_eq(daemonize_set_user(c, "nobody", NULL), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_str_eq(daemonize_error(c), "privileges: configuration "
	    "cannot change after daemonize_lock or daemonize_start: Device or "
	    "resource busy");
	daemonize_free(c);

	/* The lock resolves the configured names: an unknown user fails
	 * there, in the original process. */
	c = tu_ctx("t");
	ck_assert_int_eq(daemonize_set_user(c, "dz-no-such-user", NULL), 0);
	ck_assert_int_eq(daemonize_set_mode(c, DAEMONIZE_MODE_FOREGROUND), 0);
	errno = 0;
	ck_assert_int_eq(daemonize_lock(c), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(daemonize_error(c), "privileges: user "
	    "'dz-no-such-user' not found: No such file or directory");
	daemonize_free(c);
}
END_TEST

START_TEST(test_identity_clear)
{
	struct idt *d = idt_new();

	TU_NEED_ROOT();
	ck_assert_int_eq(set(d, "nobody", "nogroup"), 0);
	ck_assert_int_eq(resolve(d), 0);
	ck_assert(d->id.resolved);
	ck_assert_ptr_nonnull(d->id.groups);
	dz_identity_clear(&d->id);
	ck_assert_ptr_null(d->id.user);
	ck_assert_ptr_null(d->id.group);
	ck_assert_ptr_null(d->id.groups);
	ck_assert_int_eq(d->id.ngroups, 0);
	ck_assert(!d->id.resolved);
	dz_identity_clear(&d->id);      /* twice is harmless */
	dz_identity_clear(NULL);
	ck_assert(!dz_identity_configured(&d->id));
	idt_free(d);
}
END_TEST

/* ---- resolution ------------------------------------------------------- */

START_TEST(test_resolve_nothing)
{
	struct idt *d = idt_new();
	uid_t u = getuid();
	gid_t g = getgid();

	ck_assert_int_eq(resolve(d), 0);
	ck_assert(!d->id.resolved);
	ck_assert_int_eq(drop(d), 0);
	ck_assert_uint_eq(getuid(), u);
	ck_assert_uint_eq(getgid(), g);
	idt_free(d);
}
END_TEST

START_TEST(test_resolve_unknown_user)
{
	struct idt *d = idt_new();

	ck_assert_int_eq(set(d, "dz-no-such-user", NULL), 0);
	errno = 0;
	ck_assert_int_eq(resolve(d), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(d->e.text,
	    "privileges: user 'dz-no-such-user' not found: "
	    "No such file or directory");
	ck_assert(!d->id.resolved);
	ck_assert_ptr_null(d->id.groups);

	/* Not a strict number: a name, and no such name. */
	ck_assert_int_eq(set(d, "+65534", NULL), 0);
	errno = 0;
	ck_assert_int_eq(resolve(d), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_nonnull(strstr(d->e.text,
	    "user '+65534' not found"));
	ck_assert_int_eq(set(d, "65534x", NULL), 0);
	ck_assert_int_eq(resolve(d), -1);
	ck_assert_int_eq(errno, ENOENT);
	idt_free(d);
}
END_TEST

START_TEST(test_resolve_unknown_group)
{
	struct idt *d = idt_new();

	ck_assert_int_eq(set(d, "nobody", "dz-no-such-group"),
	    0);
	errno = 0;
	ck_assert_int_eq(resolve(d), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(d->e.text,
	    "privileges: group 'dz-no-such-group' not found: "
	    "No such file or directory");
	ck_assert(!d->id.resolved);
	idt_free(d);

	d = idt_new();
	ck_assert_int_eq(set(d, NULL, "dz-no-such-group"), 0);
	errno = 0;
	ck_assert_int_eq(resolve(d), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_nonnull(strstr(d->e.text,
	    "group 'dz-no-such-group' not found"));
	idt_free(d);
}
END_TEST

START_TEST(test_resolve_numeric)
{
	struct idt *d = idt_new();
	struct passwd *pw;

	TU_NEED_ROOT();
	ck_assert_int_eq(set(d, "65534", "65534"), 0);
	ck_assert_int_eq(resolve(d), 0);
	ck_assert(d->id.resolved);
	ck_assert_uint_eq(d->id.uid, NOBODY);
	ck_assert_uint_eq(d->id.gid, NOGROUP);
	ck_assert(same_set(d->id.groups, d->id.ngroups,
	    (gid_t[]){ NOGROUP }, 1));
	idt_free(d);

	/* A numeric uid with an entry takes the entry's primary group. */
	d = idt_new();
	ck_assert_ptr_nonnull(pw = getpwnam("daemon"));
	ck_assert_int_eq(set(d,
	    tu_fmt("%lu", (unsigned long)pw->pw_uid), NULL), 0);
	ck_assert_int_eq(resolve(d), 0);
	ck_assert_uint_eq(d->id.uid, pw->pw_uid);
	ck_assert_uint_eq(d->id.gid, pw->pw_gid);
	idt_free(d);

	/* Out of range, and the reserved (uid_t)-1. */
	d = idt_new();
	ck_assert_int_eq(set(d, "4294967295", NULL), 0);
	errno = 0;
	ck_assert_int_eq(resolve(d), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_ptr_nonnull(strstr(d->e.text,
	    "privileges: user id 4294967295 out of range"));
	ck_assert_int_eq(set(d, "99999999999999999999999",
	    NULL), 0);
	errno = 0;
	ck_assert_int_eq(resolve(d), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(set(d, "nobody", "4294967296"), 0);
	errno = 0;
	ck_assert_int_eq(resolve(d), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_ptr_nonnull(strstr(d->e.text,
	    "group id 4294967296 out of range"));
	idt_free(d);
}
END_TEST

START_TEST(test_resolve_uid_without_entry)
{
	struct idt *d = idt_new();
	uid_t u = unused_uid();
	char *s;

	TU_NEED_ROOT();
	ck_assert_uint_ne(u, 0);
	s = tu_fmt("%lu", (unsigned long)u);
	ck_assert_int_eq(set(d, s, NULL), 0);
	errno = 0;
	ck_assert_int_eq(resolve(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(d->e.text, tu_fmt("privileges: uid %s has "
	    "no passwd entry; give a group too: Invalid argument", s));
	ck_assert(!d->id.resolved);

	/* With a group it is allowed, and the list is just that group
	 * (both in one call: the last call wins). */
	ck_assert_int_eq(set(d, s, "nogroup"), 0);
	ck_assert_int_eq(resolve(d), 0);
	ck_assert_uint_eq(d->id.uid, u);
	ck_assert_uint_eq(d->id.gid, NOGROUP);
	ck_assert_int_eq(d->id.ngroups, 1);
	ck_assert_uint_eq(d->id.groups[0], NOGROUP);
	ck_assert_int_eq(drop(d), 0);
	assert_ids(u, NOGROUP);
	ck_assert(groups_are((gid_t[]){ NOGROUP }, 1));
	errno = 0;
	ck_assert_int_eq(setuid(0), -1);
	ck_assert_int_eq(errno, EPERM);
	idt_free(d);
}
END_TEST

/* ---- the drop, in this process ---------------------------------------- */

START_TEST(test_drop_nobody_nogroup)
{
	struct idt *d = idt_new();

	TU_NEED_ROOT();
	drop_to(d, "nobody", "nogroup");
	assert_ids(NOBODY, NOGROUP);
	ck_assert(groups_are((gid_t[]){ NOGROUP }, 1));
	errno = 0;
	ck_assert_int_eq(setuid(0), -1);
	ck_assert_int_eq(errno, EPERM);
	errno = 0;
	ck_assert_int_eq(seteuid(0), -1);
	ck_assert_int_eq(errno, EPERM);
	errno = 0;
	ck_assert_int_eq(setgid(0), -1);
	ck_assert_int_eq(errno, EPERM);
	/* A second drop to the same identity is a verified no-op. */
	ck_assert_int_eq(drop(d), 0);
	idt_free(d);
}
END_TEST

START_TEST(test_drop_user_only)
{
	struct idt *d = idt_new();

	TU_NEED_ROOT();
	/* The primary group comes from the passwd entry, and root's group
	 * 0 must not survive in the list. */
	drop_to(d, "nobody", NULL);
	assert_ids(NOBODY, NOGROUP);
	ck_assert(groups_are((gid_t[]){ NOGROUP }, 1));
	ck_assert_int_eq(setuid(0), -1);
	idt_free(d);
}
END_TEST

START_TEST(test_drop_group_only)
{
	struct idt *d = idt_new();
	gid_t extra[2] = { 0, 4 };
	uid_t r, e, s;

	TU_NEED_ROOT();
	ck_assert_int_eq(setgroups(2, extra), 0);
	drop_to(d, NULL, "nogroup");
	/* uids untouched, gids changed, the list cleared to the group. */
	ck_assert_int_eq(getresuid(&r, &e, &s), 0);
	ck_assert_uint_eq(r, 0);
	ck_assert_uint_eq(e, 0);
	ck_assert_uint_eq(s, 0);
	ck_assert_uint_eq(getgid(), NOGROUP);
	ck_assert_uint_eq(getegid(), NOGROUP);
	ck_assert(groups_are((gid_t[]){ NOGROUP }, 1));
	idt_free(d);
}
END_TEST

START_TEST(test_drop_unresolved)
{
	struct idt *d = idt_new();

	ck_assert_int_eq(set(d, "nobody", NULL), 0);
	errno = 0;
	ck_assert_int_eq(drop(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(d->e.text,
	    "privileges: identity not resolved: Invalid argument");
	idt_free(d);
}
END_TEST

/* ---- verification after the drop -------------------------------------- */

/* Resolve nobody/nogroup as root, for the verify tests below. */
static struct idt *
resolved_nobody(void)
{
	struct idt *d = idt_new();

	ck_assert_int_eq(set(d, "nobody", "nogroup"), 0);
	ck_assert_int_eq(resolve(d), 0);
	return d;
}

START_TEST(test_verify_saved_uid)
{
	struct idt *d;
	gid_t g = NOGROUP;

	TU_NEED_ROOT();
	d = resolved_nobody();
	/* A drop that left the saved uid at 0 could go back to root. */
	ck_assert_int_eq(setgroups(1, &g), 0);
	ck_assert_int_eq(setresgid(NOGROUP, NOGROUP, NOGROUP), 0);
	ck_assert_int_eq(setresuid(NOBODY, NOBODY, 0), 0);
	errno = 0;
	ck_assert_int_eq(verify(d), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(d->e.text, "privileges: uids are "
	    "65534/65534/0 after dropping to uid 65534: Operation not "
	    "permitted");
	idt_free(d);
}
END_TEST

START_TEST(test_verify_saved_gid)
{
	struct idt *d;
	gid_t g = NOGROUP;

	TU_NEED_ROOT();
	d = resolved_nobody();
	ck_assert_int_eq(setgroups(1, &g), 0);
	ck_assert_int_eq(setresgid(NOGROUP, NOGROUP, 0), 0);
	ck_assert_int_eq(setresuid(NOBODY, NOBODY, NOBODY), 0);
	errno = 0;
	ck_assert_int_eq(verify(d), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(d->e.text, "privileges: gids are "
	    "65534/65534/0 after switching to gid 65534: Operation not "
	    "permitted");
	idt_free(d);
}
END_TEST

START_TEST(test_verify_group_list)
{
	struct idt *d;
	gid_t g[2] = { NOGROUP, 0 };

	TU_NEED_ROOT();
	d = resolved_nobody();
	/* Root's group 0 left in the list (setgroups skipped). */
	ck_assert_int_eq(setgroups(2, g), 0);
	ck_assert_int_eq(setresgid(NOGROUP, NOGROUP, NOGROUP), 0);
	ck_assert_int_eq(setresuid(NOBODY, NOBODY, NOBODY), 0);
	errno = 0;
	ck_assert_int_eq(verify(d), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(d->e.text, "privileges: group list is not "
	    "the target after the drop: Operation not permitted");
	idt_free(d);
}
END_TEST

START_TEST(test_verify_regain_root)
{
#ifdef HAVE_KEEPCAPS_TEST
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
	    0 };
	struct __user_cap_data_struct data[2];
	struct idt *d;
	gid_t g = NOGROUP;

	TU_NEED_ROOT();
	d = resolved_nobody();
	/* Every id is the target, but CAP_SETUID survived the drop (as
	 * with PR_SET_KEEPCAPS): only trying setuid(0) can notice. */
	ck_assert_int_eq(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	ck_assert_int_eq(setgroups(1, &g), 0);
	ck_assert_int_eq(setresgid(NOGROUP, NOGROUP, NOGROUP), 0);
	ck_assert_int_eq(setresuid(NOBODY, NOBODY, NOBODY), 0);
	memset(data, 0, sizeof(data));
	ck_assert_int_eq(syscall(SYS_capget, &hdr, data), 0);
	data[0].effective = data[0].permitted;
	data[1].effective = data[1].permitted;
	ck_assert_int_eq(syscall(SYS_capset, &hdr, data), 0);
	/* Through drop: the ids already are the target, so it changes
	 * nothing and only verifies (which regains root, once). */
	errno = 0;
	ck_assert_int_eq(drop(d), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(d->e.text, "privileges: could regain root "
	    "after dropping to uid 65534: Operation not permitted");
	idt_free(d);
#else
	printf("%s: skipped: no PR_SET_KEEPCAPS\n", __func__);
#endif
}
END_TEST

START_TEST(test_verify_nothing)
{
	struct idt *d = idt_new();

	ck_assert_int_eq(verify(d), 0);
	ck_assert_int_eq(set(d, "nobody", NULL), 0);
	errno = 0;
	ck_assert_int_eq(verify(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	idt_free(d);
}
END_TEST

/* ---- supplementary groups of a real user ------------------------------ */

static char sup_user[32], sup_group_a[32], sup_group_b[32];

static int
run_quiet(char *const argv[])
{
	char out[1024];
	int st = tu_run(argv, out, sizeof(out), tu_ms(20000));

	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "%s failed: %s\n", argv[0], out);
		return -1;
	}
	return 0;
}

static void
sup_remove(void)
{
	/* Each may already be gone (the test removes them itself). */
	if (getpwnam(sup_user) != NULL)
		(void)run_quiet(tu_argv("/usr/sbin/userdel", sup_user,
		    NULL));
	if (getgrnam(sup_group_a) != NULL)
		(void)run_quiet(tu_argv("/usr/sbin/groupdel",
		    sup_group_a, NULL));
	if (getgrnam(sup_group_b) != NULL)
		(void)run_quiet(tu_argv("/usr/sbin/groupdel",
		    sup_group_b, NULL));
}

/* Unchecked fixture: runs in the runner's process, so the teardown runs
 * even when the test's forked process failed half way. */
static void
sup_setup(void)
{
	long pid = (long)getpid();

	snprintf(sup_user, sizeof(sup_user), "dztest%ld", pid);
	snprintf(sup_group_a, sizeof(sup_group_a), "dztesta%ld", pid);
	snprintf(sup_group_b, sizeof(sup_group_b), "dztestb%ld", pid);
}

static void
sup_teardown(void)
{
	if (geteuid() == 0)
		sup_remove();
}

START_TEST(test_drop_supplementary_groups)
{
	struct group *gr;
	gid_t ga, gb;
	uid_t uid;
	pid_t pid;
	int st = 0, fds[2];
	char buf[512];
	ssize_t n;

	TU_NEED_ROOT();
	ck_assert_int_eq(run_quiet(tu_argv("/usr/sbin/groupadd",
	    sup_group_a, NULL)), 0);
	ck_assert_int_eq(run_quiet(tu_argv("/usr/sbin/groupadd",
	    sup_group_b, NULL)), 0);
	ck_assert_int_eq(run_quiet(tu_argv("/usr/sbin/useradd", "-M",
	    "-N", "-g", "nogroup", "-G", tu_fmt("%s,%s", sup_group_a,
	    sup_group_b), "-s", "/usr/sbin/nologin", sup_user, NULL)), 0);
	ck_assert_ptr_nonnull(gr = getgrnam(sup_group_a));
	ga = gr->gr_gid;
	ck_assert_ptr_nonnull(gr = getgrnam(sup_group_b));
	gb = gr->gr_gid;
	ck_assert_ptr_nonnull(getpwnam(sup_user));
	uid = getpwnam(sup_user)->pw_uid;

	/* The drop happens in a child, so this process stays root and can
	 * remove the user afterwards.  The child reports one line. */
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		struct idt *d = idt_new();
		gid_t want[3] = { NOGROUP, ga, gb };
		uid_t r, e, s;
		gid_t rg, eg, sg;
		const char *res = "ok";

		close(fds[0]);
		if (set(d, sup_user, NULL) == -1 ||
		    resolve(d) == -1 ||
		    drop(d) == -1)
			res = d->e.text;
		else if (getresuid(&r, &e, &s) == -1 ||
		    getresgid(&rg, &eg, &sg) == -1 || r != uid || e != uid ||
		    s != uid || rg != NOGROUP || eg != NOGROUP ||
		    sg != NOGROUP)
			res = "ids";
		else if (!groups_are(want, 3))
			res = "groups";
		else if (setuid(0) != -1)
			res = "setuid(0) succeeded";
		dprintf(fds[1], "%s", res);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	close(fds[0]);
	if (tu_wait_child(pid, tu_ms(10000), &st) == -1)
		tu_kill(pid);

	sup_remove();
	ck_assert_ptr_null(getpwnam(sup_user));
	ck_assert_ptr_null(getgrnam(sup_group_a));
	ck_assert_str_eq(buf, "ok");
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

/* ---- not root --------------------------------------------------------- */

START_TEST(test_not_root)
{
	struct idt *d;

	TU_NEED_ROOT();    /* to become someone else first */
	become_nobody();

	d = idt_new();
	ck_assert_int_eq(set(d, "root", NULL), 0);
	errno = 0;
	ck_assert_int_eq(resolve(d), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(d->e.text, "privileges: dropping to user "
	    "root needs root (running as uid 65534): Operation not permitted");
	ck_assert(!d->id.resolved);
	ck_assert_ptr_null(d->id.groups);
	idt_free(d);

	d = idt_new();
	ck_assert_int_eq(set(d, "daemon", NULL), 0);
	errno = 0;
	ck_assert_int_eq(resolve(d), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_ptr_nonnull(strstr(d->e.text,
	    "dropping to user daemon needs root (running as uid 65534)"));
	idt_free(d);

	/* Same uid, other group: still a change, still refused. */
	d = idt_new();
	ck_assert_int_eq(set(d, "nobody", "daemon"), 0);
	errno = 0;
	ck_assert_int_eq(resolve(d), -1);
	ck_assert_int_eq(errno, EPERM);
	idt_free(d);

	d = idt_new();
	ck_assert_int_eq(set(d, NULL, "root"), 0);
	errno = 0;
	ck_assert_int_eq(resolve(d), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_ptr_nonnull(strstr(d->e.text,
	    "switching to group root needs root (running as uid 65534)"));
	idt_free(d);

	/* Asking for what we already are is allowed, and verified. */
	d = idt_new();
	drop_to(d, "nobody", "nogroup");
	assert_ids(NOBODY, NOGROUP);
	idt_free(d);
	d = idt_new();
	drop_to(d, "65534", NULL);
	idt_free(d);
	d = idt_new();
	drop_to(d, NULL, "nogroup");
	idt_free(d);
}
END_TEST

/* ---- end to end with tests/helper ------------------------------------- */

/* A helper start that must fail in the terminal with msg, leaving no
 * pidfile and no process. */
static void
helper_fails(const char *user, const char *group, const char *msg)
{
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/h.pid", dir);
	char *helper = tu_private_helper(dir);
	char **argv, out[2048];
	int st;
	struct stat sb;

	if (user != NULL && group != NULL)
		argv = tu_argv(helper, "-p", pidfile, "-u", user, "-g",
		    group, NULL);
	else if (user != NULL)
		argv = tu_argv(helper, "-p", pidfile, "-u", user, NULL);
	else
		argv = tu_argv(helper, "-p", pidfile, "-g", group, NULL);
	st = tu_run(argv, out, sizeof(out), tu_ms(10000));
	ck_assert_int_ne(st, -1);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	ck_assert_msg(strstr(out, msg) != NULL, "output: %s", out);
	ck_assert_int_eq(stat(pidfile, &sb), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tu_count_mentioning(dir), 0);
}

START_TEST(test_helper_unknown_user)
{
	helper_fails("dz-no-such-user", NULL,
	    "helper: privileges: user 'dz-no-such-user' not found");
}
END_TEST

START_TEST(test_helper_unknown_group)
{
	helper_fails("nobody", "dz-no-such-group",
	    "helper: privileges: group 'dz-no-such-group' not found");
}
END_TEST

START_TEST(test_helper_not_root)
{
	pid_t pid;
	int st = -1;

	TU_NEED_ROOT();
	/* Run the helper as nobody: it asks for root and must be refused
	 * in the terminal. */
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		become_nobody();
		helper_fails("root", NULL, "helper: privileges: dropping to "
		    "user root needs root (running as uid 65534)");
		_exit(0);
	}
	if (tu_wait_child(pid, tu_ms(20000), &st) == -1) {
		tu_kill(pid);
		st = -1;
	}
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

START_TEST(test_helper_drop)
{
	char *dir, *pidfile, *report, status[4096], *line;
	const char *v;
	char out[2048];
	pid_t pid;
	int st;

	TU_NEED_ROOT();
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/h.pid", dir);
	report = tu_fmt("%s/report", dir);
	st = tu_run(tu_argv(tu_private_helper(dir), "-p", pidfile,
	    "-u", "nobody", "-g", "nogroup", "-R", report, NULL), out,
	    sizeof(out), tu_ms(10000));
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "status %d: %s", st, out);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(tu_wait_report(report, tu_ms(5000)), 0);
	pid = tu_pidfile_pid(pidfile);
	ck_assert_int_gt(pid, 0);
	ck_assert(tu_alive(pid));
	ck_assert_str_eq(tu_report_get(report, "pid"), tu_fmt("%ld",
	    (long)pid));

	ck_assert_str_eq(tu_report_get(report, "ruid"), "65534");
	ck_assert_str_eq(tu_report_get(report, "euid"), "65534");
	ck_assert_str_eq(tu_report_get(report, "suid"), "65534");
	ck_assert_str_eq(tu_report_get(report, "rgid"), "65534");
	ck_assert_str_eq(tu_report_get(report, "egid"), "65534");
	ck_assert_str_eq(tu_report_get(report, "sgid"), "65534");
	ck_assert_str_eq(tu_report_get(report, "groups"), "65534");
	ck_assert_ptr_nonnull(v = tu_report_get(report, "setuid0"));
	ck_assert_str_eq(v, tu_fmt("%d", EPERM));

	/* The same, seen from outside by the kernel's own account. */
	ck_assert_int_gt(tu_read_file(tu_fmt("/proc/%ld/status", (long)pid),
	    status, sizeof(status)), 0);
	ck_assert_ptr_nonnull(line = strstr(status, "\nUid:"));
	ck_assert_int_eq(strncmp(line, "\nUid:\t65534\t65534\t65534\t65534\n",
	    strlen("\nUid:\t65534\t65534\t65534\t65534\n")), 0);
	ck_assert_ptr_nonnull(line = strstr(status, "\nGid:"));
	ck_assert_int_eq(strncmp(line, "\nGid:\t65534\t65534\t65534\t65534\n",
	    strlen("\nGid:\t65534\t65534\t65534\t65534\n")), 0);
	ck_assert_ptr_nonnull(line = strstr(status, "\nGroups:"));
	ck_assert_int_eq(strncmp(line, "\nGroups:\t65534 \n",
	    strlen("\nGroups:\t65534 \n")), 0);
	ck_assert(tu_lock_held(pidfile));

	/* Stop: as nobody it cannot unlink the root-owned directory's
	 * entry, so the file is removed or truncated, never stale. */
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(tu_wait_gone(pid, tu_ms(5000)), 0);
	ck_assert_int_eq(tu_pidfile_pid(pidfile), -1);
	ck_assert(!tu_lock_held(pidfile));
}
END_TEST

/* ---- foreground mode through the public API ------------------------------
 * Foreground mode forks nothing but applies every configured step: the
 * drop happens in the calling process.  Each start runs in a child, which
 * reports its ids in one line. */

/* Apply the set_user calls (pairs of user, group, n of them) in that
 * order, start in foreground mode in a child, and return its line:
 * "ids R/E/S R/E/S groups G,G" or "start: <error>". */
static const char *
fg_start(const char *const calls[][2], int n)
{
	static char line[1024];
	struct pollfd pfd;
	ssize_t len;
	int p[2], status, i;
	pid_t c;

	ck_assert_int_eq(pipe(p), 0);
	c = fork();
	ck_assert_int_ge(c, 0);
	if (c == 0) {
		struct daemonize *d = daemonize_new("t");
		uid_t r, e, su;
		gid_t rg, eg, sg, g[64];
		char out[1024];
		int k, ng;

		close(p[0]);
		alarm((unsigned int)tu_ms(20000) / 1000);
		tu_clean_env();
		if (d == NULL)
			_exit(1);
		for (i = 0; i < n; i++)
			if (daemonize_set_user(d, calls[i][0], calls[i][1]) ==
			    -1) {
				dprintf(p[1], "set: %s", daemonize_error(d));
				_exit(1);
			}
		if (daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND) == -1 ||
		    daemonize_start(d) != 0) {
			dprintf(p[1], "start: %s", daemonize_error(d));
			_exit(1);
		}
		(void)getresuid(&r, &e, &su);
		(void)getresgid(&rg, &eg, &sg);
		ng = getgroups(64, g);
		/* One write: the parent reads once. */
		len = snprintf(out, sizeof(out), "ids %ld/%ld/%ld "
		    "%ld/%ld/%ld groups ", (long)r, (long)e, (long)su,
		    (long)rg, (long)eg, (long)sg);
		for (k = 0; k < ng; k++)
			len += snprintf(out + len, sizeof(out) - (size_t)len,
			    "%s%ld", k ? "," : "", (long)g[k]);
		if (write(p[1], out, (size_t)len) != (ssize_t)len)
			_exit(1);
		daemonize_free(d);
		_exit(0);
	}
	close(p[1]);
	line[0] = '\0';
	pfd.fd = p[0];
	pfd.events = POLLIN;
	len = 0;
	if (poll(&pfd, 1, tu_ms(5000)) == 1)
		len = read(p[0], line, sizeof(line) - 1);
	line[len > 0 ? len : 0] = '\0';
	close(p[0]);
	status = tu_child_status(c, tu_ms(5000));
	if (status == -1)
		tu_kill(c);
	return line;
}

/* The last call wins: a later call with only a group drops the user of an
 * earlier one (0.1 merged them and dropped to nobody). */
START_TEST(test_fg_set_user_last_call_wins)
{
	const char *const a[][2] = { { "nobody", "nogroup" },
	    { NULL, "daemon" } };
	const char *const b[][2] = { { "nobody", "nogroup" }, { NULL, NULL } };
	struct group *gr;
	const char *line;

	TU_NEED_ROOT();
	ck_assert_ptr_nonnull(gr = getgrnam("daemon"));
	line = fg_start(a, 2);
	ck_assert_str_eq(line, tu_fmt("ids 0/0/0 %ld/%ld/%ld groups %ld",
	    (long)gr->gr_gid, (long)gr->gr_gid, (long)gr->gr_gid,
	    (long)gr->gr_gid));
	/* NULL, NULL clears: nothing changes. */
	line = fg_start(b, 2);
	ck_assert_ptr_nonnull(strstr(line, "ids 0/0/0 0/0/0 groups"));
}
END_TEST

/* python-daemon's trap: given only a user, the gid must become that
 * user's primary group (not stay 0), and the group list that user's. */
START_TEST(test_fg_gid_is_target_group)
{
	const char *const a[][2] = { { "nobody", NULL } };
	const char *const b[][2] = { { "65534", NULL } };

	TU_NEED_ROOT();
	ck_assert_str_eq(fg_start(a, 1), "ids 65534/65534/65534 "
	    "65534/65534/65534 groups 65534");
	ck_assert_str_eq(fg_start(b, 1), "ids 65534/65534/65534 "
	    "65534/65534/65534 groups 65534");
}
END_TEST

/* An unknown user in foreground mode: refused, nothing dropped. */
START_TEST(test_fg_unknown_user)
{
	const char *const a[][2] = { { "dz-no-such-user", NULL } };

	ck_assert_str_eq(fg_start(a, 1), "start: privileges: user "
	    "'dz-no-such-user' not found: No such file or directory");
}
END_TEST

/* ---- the pidfile readers trust the configured user's files --------------- */

START_TEST(test_readers_trust_target_user)
{
	char *dir, *path;
	const char *line;
	struct daemonize *d;
	struct pollfd pfd;
	char buf[64];
	pid_t holder, pid = -5;
	ssize_t n;
	int p[2];

	TU_NEED_ROOT();
	dir = tu_tmpdir();
	path = tu_fmt("%s/n.pid", dir);
	ck_assert_int_eq(pipe(p), 0);
	holder = fork();
	ck_assert_int_ge(holder, 0);
	if (holder == 0) {
		int fd;

		close(p[0]);
		alarm((unsigned int)tu_ms(20000) / 1000);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd == -1 || fchown(fd, NOBODY, NOGROUP) == -1)
			_exit(2);
		become_nobody();
		if (flock(fd, LOCK_EX) == -1 ||
		    dprintf(fd, "%ld\n", (long)getpid()) < 0)
			_exit(3);
		if (write(p[1], "ok", 2) != 2)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, tu_ms(5000)), 1);
	n = read(p[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(p[0]);
	line = buf;
	ck_assert_str_eq(line, "ok");

	/* Without the user configured: another user's file. */
	d = tu_ctx("t");
	ck_assert_int_eq(daemonize_set_pidfile(d, path), 0);
	errno = 0;
	ck_assert_int_eq(daemonize_pidfile_state(d, &pid), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(daemonize_error(d), tu_fmt("pidfile: %s: owned by "
	    "uid %d, neither root, this user nor the daemon user: the pid in "
	    "it is not believed: %s", path, NOBODY, strerror(EPERM)));
	ck_assert_int_eq(daemonize_pidfile_signal(d, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	daemonize_free(d);

	/* With it (by name, then by number): believed and verified. */
	d = tu_ctx("t");
	ck_assert_int_eq(daemonize_set_pidfile(d, path), 0);
	ck_assert_int_eq(daemonize_set_user(d, "nobody", NULL), 0);
	ck_assert_int_eq(daemonize_pidfile_state(d, &pid),
	    DAEMONIZE_PIDFILE_RUNNING);
	ck_assert_int_eq(pid, holder);
	ck_assert_int_eq(daemonize_pidfile_signal(d, 0), 0);
	daemonize_free(d);
	d = tu_ctx("t");
	ck_assert_int_eq(daemonize_set_pidfile(d, path), 0);
	ck_assert_int_eq(daemonize_set_user(d, "65534", "nogroup"), 0);
	ck_assert_int_eq(daemonize_pidfile_state(d, &pid),
	    DAEMONIZE_PIDFILE_RUNNING);
	ck_assert_msg(daemonize_pidfile_terminate(d, SIGTERM,
	    (unsigned int)tu_ms(5000)) == 0, "%s", daemonize_error(d));
	ck_assert_int_eq(waitpid(holder, NULL, WNOHANG), holder);
	daemonize_free(d);

	/* Another user than the configured one: still refused; an unknown
	 * configured user is an error of its own. */
	d = tu_ctx("t");
	ck_assert_int_eq(daemonize_set_pidfile(d, path), 0);
	ck_assert_int_eq(daemonize_set_user(d, "daemon", NULL), 0);
	ck_assert_int_eq(daemonize_pidfile_state(d, &pid), -1);
	ck_assert_int_eq(errno, EPERM);
	tu_assert_text(d, "neither root, this user nor the daemon user");
	ck_assert_int_eq(daemonize_set_user(d, "dz-no-such-user", NULL), 0);
	ck_assert_int_eq(daemonize_pidfile_state(d, &pid), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(daemonize_error(d), "privileges: user "
	    "'dz-no-such-user' not found: No such file or directory");
	daemonize_free(d);
	ck_assert_int_eq(unlink(path), 0);
}
END_TEST

static Suite *
privileges_suite(void)
{
	Suite *s = suite_create("privileges");
	TCase *tc;

	tc = tcase_create("config");
	tcase_add_test(tc, test_set_user_args);
	tcase_add_test(tc, test_set_user_public);
	tcase_add_test(tc, test_identity_clear);
	suite_add_tcase(s, tc);

	tc = tcase_create("resolve");
	tcase_add_test(tc, test_resolve_nothing);
	tcase_add_test(tc, test_resolve_unknown_user);
	tcase_add_test(tc, test_resolve_unknown_group);
	tcase_add_test(tc, test_resolve_numeric);
	tcase_add_test(tc, test_resolve_uid_without_entry);
	suite_add_tcase(s, tc);

	tc = tcase_create("drop");
	tcase_add_test(tc, test_drop_nobody_nogroup);
	tcase_add_test(tc, test_drop_user_only);
	tcase_add_test(tc, test_drop_group_only);
	tcase_add_test(tc, test_drop_unresolved);
	tcase_add_test(tc, test_not_root);
	suite_add_tcase(s, tc);

	tc = tcase_create("verify");
	tcase_add_test(tc, test_verify_saved_uid);
	tcase_add_test(tc, test_verify_saved_gid);
	tcase_add_test(tc, test_verify_group_list);
	tcase_add_test(tc, test_verify_regain_root);
	tcase_add_test(tc, test_verify_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("foreground");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fg_set_user_last_call_wins);
	tcase_add_test(tc, test_fg_gid_is_target_group);
	tcase_add_test(tc, test_fg_unknown_user);
	tcase_add_test(tc, test_readers_trust_target_user);
	suite_add_tcase(s, tc);

	tc = tcase_create("supplementary");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, sup_setup, sup_teardown);
	tcase_add_test(tc, test_drop_supplementary_groups);
	suite_add_tcase(s, tc);

	tc = tcase_create("helper");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_helper_unknown_user);
	tcase_add_test(tc, test_helper_unknown_group);
	tcase_add_test(tc, test_helper_not_root);
	tcase_add_test(tc, test_helper_drop);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(privileges_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/*
 * check_confine.c - lib/confine.c and lib/compat/jail.c: chroot and jail
 * configuration, the check before the fork, entering the root and the
 * working directory, and end to end through tests/helper.  Tests that
 * need root print "skipped: not root" and return when not run as root.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "testutil.h"

static const char *
link_of(const char *path)
{
	static char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static const char *
cwd(void)
{
	static char buf[PATH_MAX];

	ck_assert_ptr_nonnull(getcwd(buf, sizeof(buf)));
	return buf;
}

/* ---- configuration --------------------------------------------------- */

START_TEST(test_set_chroot)
{
	struct daemonize *d = tu_ctx("t");
	char *dir = tu_tmpdir();

	errno = 0;
	ck_assert_int_eq(daemonize_set_chroot(NULL, dir), -1);
	ck_assert_int_eq(errno, EINVAL);

	errno = 0;
	ck_assert_int_eq(daemonize_set_chroot(d, ""), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(daemonize_error(d), "chroot: "));
	ck_assert_ptr_null(d->chroot_dir);

	ck_assert_int_eq(daemonize_set_chroot(d, dir), 0);
	ck_assert_str_eq(d->chroot_dir, dir);
	/* Relative paths are made absolute now, against this cwd. */
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(mkdir("sub", 0755), 0);
	ck_assert_int_eq(daemonize_set_chroot(d, "sub"), 0);
	ck_assert_str_eq(d->chroot_dir, tu_fmt("%s/sub", dir));
	ck_assert_int_eq(daemonize_set_chroot(d, NULL), 0);
	ck_assert_ptr_null(d->chroot_dir);

	d->started = true;
	errno = 0;
	ck_assert_int_eq(daemonize_set_chroot(d, dir), -1);
	ck_assert_int_eq(errno, EBUSY);
	d->started = false;
	daemonize_free(d);
}
END_TEST

START_TEST(test_set_jail)
{
	struct daemonize *d = tu_ctx("t");
	char err[64] = "x";

	errno = 0;
	ck_assert_int_eq(daemonize_set_jail(NULL, "j"), -1);
	ck_assert_int_eq(errno, EINVAL);
#ifndef HAVE_JAIL_SETV
	errno = 0;
	ck_assert_int_eq(daemonize_set_jail(d, "www"), -1);
	ck_assert_int_eq(errno, ENOSYS);
	ck_assert_str_eq(daemonize_error(d),
	    "jail: FreeBSD only: Function not implemented");
	ck_assert_ptr_null(d->jail);

	errno = 0;
	ck_assert_int_eq(dz_jail_enter("www", "/var/empty", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(errno, ENOSYS);
	ck_assert_str_eq(err, "FreeBSD only");
#else
	ck_assert_int_eq(daemonize_set_jail(d, ""), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(daemonize_set_jail(d, "www"), 0);
	ck_assert_str_eq(d->jail, "www");
	ck_assert_int_eq(daemonize_set_jail(d, NULL), 0);
	ck_assert_ptr_null(d->jail);
	(void)err;
#endif
	daemonize_free(d);
}
END_TEST

/* ---- the check before the fork ---------------------------------------- */

START_TEST(test_check)
{
	struct daemonize *d = tu_ctx("t");
	char *dir = tu_tmpdir();
	char *missing = tu_fmt("%s/nope", dir);
	char *file = tu_fmt("%s/file", dir);

	/* Nothing configured: nothing to check. */
	ck_assert_int_eq(dz_confine_check(d), 0);

	ck_assert_int_eq(daemonize_set_chroot(d, missing), 0);
	errno = 0;
	ck_assert_int_eq(dz_confine_check(d), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(daemonize_error(d), tu_fmt("chroot: %s: No such "
	    "file or directory", missing));

	tu_touch(file);
	ck_assert_int_eq(daemonize_set_chroot(d, file), 0);
	errno = 0;
	ck_assert_int_eq(dz_confine_check(d), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_str_eq(daemonize_error(d), tu_fmt("chroot: %s: Not a "
	    "directory", file));

	ck_assert_int_eq(daemonize_set_chroot(d, dir), 0);
	ck_assert_int_eq(dz_confine_check(d), 0);

	/* The workdir is a path inside the new root. */
	ck_assert_int_eq(mkdir(tu_fmt("%s/srv", dir), 0755), 0);
	ck_assert_int_eq(daemonize_set_workdir(d, "/srv"), 0);
	ck_assert_int_eq(dz_confine_check(d), 0);
	ck_assert_int_eq(daemonize_set_workdir(d, "/nope"), 0);
	errno = 0;
	ck_assert_int_eq(dz_confine_check(d), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(daemonize_error(d), tu_fmt("workdir: %s/nope: No "
	    "such file or directory", dir));
	/* Without chroot, it is a path of this filesystem. */
	ck_assert_int_eq(daemonize_set_chroot(d, NULL), 0);
	ck_assert_int_eq(daemonize_set_workdir(d, dir), 0);
	ck_assert_int_eq(dz_confine_check(d), 0);
	daemonize_free(d);
}
END_TEST

/* ---- entering, in this process ---------------------------------------- */

START_TEST(test_enter_chroot)
{
	struct daemonize *d = tu_ctx("t");
	char *dir = tu_tmpdir();
	struct stat sb;

	TU_NEED_ROOT();
	tu_touch(tu_fmt("%s/marker", dir));
	ck_assert_int_eq(daemonize_set_chroot(d, dir), 0);
	d->mode = DAEMONIZE_MODE_BACKGROUND;
	ck_assert_int_eq(dz_confine_check(d), 0);
	ck_assert_int_eq(dz_confine_enter(d), 0);
	ck_assert_str_eq(cwd(), "/");
	ck_assert_int_eq(stat("/marker", &sb), 0);
	ck_assert_int_eq(stat(tu_fmt("%s/marker", dir), &sb), -1);
	/* ".." from the new root is the new root. */
	ck_assert_int_eq(chdir(".."), 0);
	ck_assert_int_eq(stat("marker", &sb), 0);
	daemonize_free(d);
}
END_TEST

START_TEST(test_enter_chroot_workdir)
{
	struct daemonize *d = tu_ctx("t");
	char *dir = tu_tmpdir();

	TU_NEED_ROOT();
	ck_assert_int_eq(mkdir(tu_fmt("%s/srv", dir), 0755), 0);
	ck_assert_int_eq(daemonize_set_chroot(d, dir), 0);
	ck_assert_int_eq(daemonize_set_workdir(d, "/srv"), 0);
	d->mode = DAEMONIZE_MODE_SUPERVISED;
	ck_assert_int_eq(dz_confine_enter(d), 0);
	ck_assert_str_eq(cwd(), "/srv");
	daemonize_free(d);
}
END_TEST

START_TEST(test_enter_workdir_only)
{
	struct daemonize *d = tu_ctx("t");
	char *dir = tu_tmpdir();
	char *here;

	/* Background without workdir: "/". */
	ck_assert_int_eq(chdir(dir), 0);
	d->mode = DAEMONIZE_MODE_BACKGROUND;
	ck_assert_int_eq(dz_confine_enter(d), 0);
	ck_assert_str_eq(cwd(), "/");

	/* Supervised without workdir: the supervisor's cwd stays. */
	ck_assert_int_eq(chdir(dir), 0);
	here = strdup(cwd());
	d->mode = DAEMONIZE_MODE_SUPERVISED;
	ck_assert_int_eq(dz_confine_enter(d), 0);
	ck_assert_str_eq(cwd(), here);

	/* Supervised with workdir: applied. */
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(daemonize_set_workdir(d, dir), 0);
	ck_assert_int_eq(dz_confine_enter(d), 0);
	ck_assert_str_eq(cwd(), here);

	/* A workdir that vanished after the check: error with the path. */
	ck_assert_int_eq(daemonize_set_workdir(d, tu_fmt("%s/gone", dir)),
	    0);
	errno = 0;
	ck_assert_int_eq(dz_confine_enter(d), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(daemonize_error(d), tu_fmt("workdir: %s/gone: No "
	    "such file or directory", dir));
	daemonize_free(d);
}
END_TEST

START_TEST(test_enter_chroot_not_root)
{
	struct daemonize *d = tu_ctx("t");
	char *dir = tu_tmpdir();
	gid_t g = 65534;

	TU_NEED_ROOT();    /* to become someone else first */
	ck_assert_int_eq(setgroups(1, &g), 0);
	ck_assert_int_eq(setresgid(65534, 65534, 65534), 0);
	ck_assert_int_eq(setresuid(65534, 65534, 65534), 0);
	ck_assert_int_eq(daemonize_set_chroot(d, dir), 0);
	d->mode = DAEMONIZE_MODE_BACKGROUND;
	ck_assert_int_eq(chdir(dir), 0);
	errno = 0;
	ck_assert_int_eq(dz_confine_enter(d), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(daemonize_error(d), tu_fmt("chroot: %s: Operation "
	    "not permitted", dir));
	/* Nothing changed. */
	ck_assert_str_eq(cwd(), dir);
	ck_assert_str_eq(link_of("/proc/self/root"), "/");
	daemonize_free(d);
}
END_TEST

/* ---- end to end with tests/helper ------------------------------------- */

/* Start the helper with extra options; the daemon's pid after its report
 * is complete. */
static pid_t
start_helper(char **argv, const char *pidfile, const char *report)
{
	char out[2048];
	pid_t pid;
	int st;

	st = tu_run(argv, out, sizeof(out), 10000);
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "status %d: %s", st, out);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(tu_wait_report(report, 5000), 0);
	pid = tu_pidfile_pid(pidfile);
	ck_assert_int_gt(pid, 0);
	ck_assert(tu_alive(pid));
	ck_assert_str_eq(tu_report_get(report, "pid"),
	    tu_fmt("%ld", (long)pid));
	return pid;
}

static void
stop_helper(pid_t pid, const char *pidfile)
{
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(tu_wait_gone(pid, 5000), 0);
	/* After chroot the path is out of reach: the file is removed or
	 * truncated through the descriptor, never left with a stale pid. */
	ck_assert_int_eq(tu_pidfile_pid(pidfile), -1);
	ck_assert(!tu_lock_held(pidfile));
}

/* A test's own dir with an empty root/ in it, and the helper's files. */
struct jail {
	char *dir, *root, *pidfile, *report, *helper;
	pid_t pid;
};

static void
jail_init(struct jail *j)
{
	j->dir = tu_tmpdir();
	j->root = tu_fmt("%s/root", j->dir);
	ck_assert_int_eq(mkdir(j->root, 0755), 0);
	j->pidfile = tu_fmt("%s/h.pid", j->dir);
	j->report = tu_fmt("%s/report", j->dir);
	j->helper = tu_private_helper(j->dir);
	j->pid = -1;
}

/* Start the helper in j->root with up to four more arguments (the first
 * NULL ends them); its pid in j->pid. */
static void
jail_start(struct jail *j, const char *a1, const char *a2, const char *a3,
    const char *a4)
{
	j->pid = start_helper(tu_argv(j->helper, "-p", j->pidfile, "-r",
	    j->root, "-R", j->report, a1, a2, a3, a4, NULL), j->pidfile,
	    j->report);
}

START_TEST(test_helper_chroot)
{
	struct jail j;

	TU_NEED_ROOT();
	jail_init(&j);
	jail_start(&j, NULL, NULL, NULL, NULL);
	ck_assert_str_eq(link_of(tu_fmt("/proc/%ld/root", (long)j.pid)),
	    j.root);
	ck_assert_str_eq(link_of(tu_fmt("/proc/%ld/cwd", (long)j.pid)),
	    j.root);
	ck_assert_str_eq(tu_report_get(j.report, "cwd"), "/");
	ck_assert_str_eq(tu_report_get(j.report, "euid"), "0");
	stop_helper(j.pid, j.pidfile);
}
END_TEST

START_TEST(test_helper_chroot_drop)
{
	struct jail j;

	TU_NEED_ROOT();
	jail_init(&j);
	jail_start(&j, "-u", "nobody", "-g", "nogroup");
	ck_assert_str_eq(link_of(tu_fmt("/proc/%ld/root", (long)j.pid)),
	    j.root);
	ck_assert_str_eq(tu_report_get(j.report, "cwd"), "/");
	ck_assert_str_eq(tu_report_get(j.report, "ruid"), "65534");
	ck_assert_str_eq(tu_report_get(j.report, "euid"), "65534");
	ck_assert_str_eq(tu_report_get(j.report, "suid"), "65534");
	ck_assert_str_eq(tu_report_get(j.report, "rgid"), "65534");
	ck_assert_str_eq(tu_report_get(j.report, "egid"), "65534");
	ck_assert_str_eq(tu_report_get(j.report, "sgid"), "65534");
	ck_assert_str_eq(tu_report_get(j.report, "groups"), "65534");
	ck_assert_str_eq(tu_report_get(j.report, "setuid0"),
	    tu_fmt("%d", EPERM));
	stop_helper(j.pid, j.pidfile);
}
END_TEST

START_TEST(test_helper_chroot_workdir)
{
	struct jail j;

	TU_NEED_ROOT();
	jail_init(&j);
	ck_assert_int_eq(mkdir(tu_fmt("%s/srv", j.root), 0755), 0);
	jail_start(&j, "-w", "/srv", NULL, NULL);
	ck_assert_str_eq(link_of(tu_fmt("/proc/%ld/root", (long)j.pid)),
	    j.root);
	ck_assert_str_eq(tu_report_get(j.report, "cwd"), "/srv");
	stop_helper(j.pid, j.pidfile);
}
END_TEST

START_TEST(test_helper_missing_chroot)
{
	char *dir = tu_tmpdir();
	char *missing = tu_fmt("%s/nope", dir);
	char *pidfile = tu_fmt("%s/h.pid", dir);
	char out[2048];
	struct stat sb;
	int st;

	/* Fails before the fork whether or not we are root. */
	st = tu_run(tu_argv(tu_private_helper(dir), "-p", pidfile, "-r",
	    missing, NULL), out, sizeof(out), 10000);
	ck_assert_int_ne(st, -1);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	ck_assert_msg(strstr(out, tu_fmt("helper: chroot: %s: No such file "
	    "or directory", missing)) != NULL, "output: %s", out);
	ck_assert_int_eq(stat(pidfile, &sb), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tu_count_mentioning(dir), 0);
}
END_TEST

static Suite *
confine_suite(void)
{
	Suite *s = suite_create("confine");
	TCase *tc;

	tc = tcase_create("config");
	tcase_add_test(tc, test_set_chroot);
	tcase_add_test(tc, test_set_jail);
	tcase_add_test(tc, test_check);
	suite_add_tcase(s, tc);

	tc = tcase_create("enter");
	tcase_add_test(tc, test_enter_chroot);
	tcase_add_test(tc, test_enter_chroot_workdir);
	tcase_add_test(tc, test_enter_workdir_only);
	tcase_add_test(tc, test_enter_chroot_not_root);
	suite_add_tcase(s, tc);

	tc = tcase_create("helper");
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_helper_chroot);
	tcase_add_test(tc, test_helper_chroot_drop);
	tcase_add_test(tc, test_helper_chroot_workdir);
	tcase_add_test(tc, test_helper_missing_chroot);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(confine_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

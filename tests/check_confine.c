/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * check_confine.c - lib/confine.c and lib/compat/jail.c: chroot, jail and
 * workdir configuration (public setters: last call wins, NULL clears,
 * EBUSY after daemonize_lock), the check before the fork (at lock),
 * entering the root and the working directory (dz_confine_enter, detached
 * or not), foreground mode through the public API (every configured step
 * applied, no fork), and end to end through tests/helper.  Tests that
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

#include "util.h"
#include "compat.h"
#include "confine.h"

#include <poll.h>

#include "daemonize.h"
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

/* The confine step's state and error text, as daemonize.c keeps them. */
static struct dz_confine conf;
static struct dz_err err;

static void
conf_root(const char *path)
{
	ck_assert_int_eq(dz_replace_path(&err, "chroot", &conf.root, path), 0);
}

static void
conf_workdir(const char *path)
{
	ck_assert_int_eq(dz_confine_set_workdir(&conf, path, &err), 0);
}

/* A lock in foreground mode of a context with chroot and workdir; -1 with
 * the error text in err. */
static int
lock_with(const char *root, const char *workdir)
{
	struct daemonize *d = tu_ctx("t");
	int r, saved;

	tu_clean_env();
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	if (root != NULL)
		ck_assert_int_eq(daemonize_set_chroot(d, root), 0);
	if (workdir != NULL)
		ck_assert_int_eq(daemonize_set_workdir(d, workdir), 0);
	r = daemonize_lock(d);
	saved = errno;
	dz_strlcpy_safe(err.text, daemonize_error(d), sizeof(err.text));
	daemonize_free(d);
	errno = saved;
	return r;
}

/* ---- configuration --------------------------------------------------- */

START_TEST(test_set_chroot)
{
	struct daemonize *d = tu_ctx("t");
	char *dir = tu_tmpdir();
	char *sub = tu_fmt("%s/sub", dir);

	tu_clean_env();
	errno = 0;
	ck_assert_int_eq(daemonize_set_chroot(NULL, dir), -1);
	ck_assert_int_eq(errno, EINVAL);

	errno = 0;
	ck_assert_int_eq(daemonize_set_chroot(d, ""), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(daemonize_error(d), "chroot: empty path: Invalid "
	    "argument");

	/* Relative paths are made absolute now, against this cwd: the
	 * check at lock runs elsewhere and still finds it. */
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(mkdir("sub", 0755), 0);
	ck_assert_int_eq(daemonize_set_chroot(d, "sub"), 0);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_msg(daemonize_lock(d) == 0, "%s", daemonize_error(d));
	/* After the lock, refused (and nothing changes). */
	errno = 0;
	ck_assert_int_eq(daemonize_set_chroot(d, dir), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_str_eq(daemonize_error(d), "chroot: configuration cannot "
	    "change after daemonize_lock or daemonize_start: Device or "
	    "resource busy");
	errno = 0;
	ck_assert_int_eq(daemonize_set_workdir(d, "/"), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_int_eq(daemonize_set_jail(d, NULL), -1);
	ck_assert_int_eq(errno, EBUSY);
	daemonize_free(d);

	/* Last call wins, NULL clears: a missing directory set first and
	 * replaced (or cleared) is never checked. */
	d = tu_ctx("t");
	ck_assert_int_eq(daemonize_set_chroot(d, tu_fmt("%s/nope", dir)), 0);
	ck_assert_int_eq(daemonize_set_chroot(d, NULL), 0);
	ck_assert_int_eq(daemonize_set_workdir(d, tu_fmt("%s/nope", dir)), 0);
	ck_assert_int_eq(daemonize_set_workdir(d, sub), 0);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_msg(daemonize_lock(d) == 0, "%s", daemonize_error(d));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(sub), 0);
}
END_TEST

START_TEST(test_set_workdir)
{
	struct daemonize *d = tu_ctx("t");

	/* Applied after any chroot: a path inside the new root, absolute;
	 * a refused value keeps the old one. */
	ck_assert_int_eq(dz_confine_set_workdir(&conf, "/srv", &err), 0);
	ck_assert_str_eq(conf.workdir, "/srv");
	errno = 0;
	ck_assert_int_eq(dz_confine_set_workdir(&conf, "rel", &err), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(err.text, "workdir: rel: not an absolute path: "
	    "Invalid argument");
	ck_assert_str_eq(conf.workdir, "/srv");
	ck_assert_int_eq(dz_confine_set_workdir(&conf, NULL, &err), 0);
	ck_assert_ptr_null(conf.workdir);
	dz_confine_clear(&conf);

	errno = 0;
	ck_assert_int_eq(daemonize_set_workdir(NULL, "/"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(daemonize_set_workdir(d, "srv"), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, "workdir: srv: not an absolute path");
	ck_assert_int_eq(daemonize_set_workdir(d, NULL), 0);
	daemonize_free(d);
}
END_TEST

START_TEST(test_set_jail)
{
	struct daemonize *d = tu_ctx("t");
	char jerr[64] = "x";

	errno = 0;
	ck_assert_int_eq(daemonize_set_jail(NULL, "j"), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Clearing needs no probe: it works everywhere. */
	ck_assert_int_eq(daemonize_set_jail(d, NULL), 0);
#ifndef HAVE_JAIL_SETV
	errno = 0;
	ck_assert_int_eq(daemonize_set_jail(d, "www"), -1);
	ck_assert_int_eq(errno, ENOSYS);
	ck_assert_str_eq(daemonize_error(d),
	    "jail: FreeBSD only: Function not implemented");
	ck_assert_int_eq(dz_confine_set_jail(&conf, "www", &err), -1);
	ck_assert_int_eq(errno, ENOSYS);
	ck_assert_ptr_null(conf.jail);

	errno = 0;
	ck_assert_int_eq(dz_jail_enter("www", "/var/empty", jerr,
	    sizeof(jerr)), -1);
	ck_assert_int_eq(errno, ENOSYS);
	ck_assert_str_eq(jerr, "FreeBSD only");
#else
	ck_assert_int_eq(daemonize_set_jail(d, ""), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(dz_confine_set_jail(&conf, "www", &err), 0);
	ck_assert_str_eq(conf.jail, "www");
	ck_assert_int_eq(dz_confine_set_jail(&conf, NULL, &err), 0);
	ck_assert_ptr_null(conf.jail);
	(void)jerr;
#endif
	dz_confine_clear(&conf);
	daemonize_free(d);
}
END_TEST

/* ---- the check before the fork ---------------------------------------- */

START_TEST(test_check)
{
	char *dir = tu_tmpdir();
	char *missing = tu_fmt("%s/nope", dir);
	char *file = tu_fmt("%s/file", dir);

	/* Nothing configured: nothing to check. */
	ck_assert_int_eq(dz_confine_check(&conf, &err), 0);

	conf_root(missing);
	errno = 0;
	ck_assert_int_eq(dz_confine_check(&conf, &err), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(err.text, tu_fmt("chroot: %s: No such "
	    "file or directory", missing));

	tu_touch(file);
	conf_root(file);
	errno = 0;
	ck_assert_int_eq(dz_confine_check(&conf, &err), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_str_eq(err.text, tu_fmt("chroot: %s: Not a "
	    "directory", file));

	conf_root(dir);
	ck_assert_int_eq(dz_confine_check(&conf, &err), 0);

	/* The workdir is a path inside the new root. */
	ck_assert_int_eq(mkdir(tu_fmt("%s/srv", dir), 0755), 0);
	conf_workdir("/srv");
	ck_assert_int_eq(dz_confine_check(&conf, &err), 0);
	conf_workdir("/nope");
	errno = 0;
	ck_assert_int_eq(dz_confine_check(&conf, &err), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(err.text, tu_fmt("workdir: %s/nope: No "
	    "such file or directory", dir));
	/* Without chroot, it is a path of this filesystem. */
	conf_root(NULL);
	conf_workdir(dir);
	ck_assert_int_eq(dz_confine_check(&conf, &err), 0);
	dz_confine_clear(&conf);

	/* The same through daemonize_lock, which runs the check, in the
	 * original process. */
	ck_assert_int_eq(lock_with(missing, NULL), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(err.text, tu_fmt("chroot: %s: No such file or "
	    "directory", missing));
	ck_assert_int_eq(lock_with(dir, "/nope"), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(err.text, tu_fmt("workdir: %s/nope: No such file "
	    "or directory", dir));
	ck_assert_int_eq(lock_with(dir, "/srv"), 0);
	ck_assert_int_eq(lock_with(NULL, missing), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* ---- entering, in this process ---------------------------------------- */

START_TEST(test_enter_chroot)
{
	char *dir = tu_tmpdir();
	struct stat sb;

	TU_NEED_ROOT();
	tu_touch(tu_fmt("%s/marker", dir));
	conf_root(dir);
	ck_assert_int_eq(dz_confine_check(&conf, &err), 0);
	ck_assert_int_eq(dz_confine_enter(&conf, true, &err), 0);
	ck_assert_str_eq(cwd(), "/");
	ck_assert_int_eq(stat("/marker", &sb), 0);
	ck_assert_int_eq(stat(tu_fmt("%s/marker", dir), &sb), -1);
	/* ".." from the new root is the new root. */
	ck_assert_int_eq(chdir(".."), 0);
	ck_assert_int_eq(stat("marker", &sb), 0);
	dz_confine_clear(&conf);
}
END_TEST

START_TEST(test_enter_chroot_workdir)
{
	char *dir = tu_tmpdir();
	struct stat before, after;

	TU_NEED_ROOT();
	ck_assert_int_eq(mkdir(tu_fmt("%s/srv", dir), 0755), 0);
	conf_root(dir);
	conf_workdir("/srv");
	/* Not detached (foreground): the workdir still applies. */
	ck_assert_int_eq(stat(dir, &before), 0);
	ck_assert_int_eq(dz_confine_enter(&conf, false, &err), 0);
	ck_assert_str_eq(cwd(), "/srv");
	ck_assert_int_eq(stat("/", &after), 0);
	ck_assert(before.st_dev == after.st_dev &&
	    before.st_ino == after.st_ino);
	dz_confine_clear(&conf);
}
END_TEST

START_TEST(test_enter_workdir_only)
{
	char *dir = tu_tmpdir();
	char *here;

	/* Detached without workdir: "/". */
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(dz_confine_enter(&conf, true, &err), 0);
	ck_assert_str_eq(cwd(), "/");

	/* Not detached without workdir: the cwd its supervisor (or the
	 * user) chose stays. */
	ck_assert_int_eq(chdir(dir), 0);
	here = strdup(cwd());
	ck_assert_int_eq(dz_confine_enter(&conf, false, &err), 0);
	ck_assert_str_eq(cwd(), here);

	/* Not detached with workdir: applied. */
	ck_assert_int_eq(chdir("/"), 0);
	conf_workdir(dir);
	ck_assert_int_eq(dz_confine_enter(&conf, false, &err), 0);
	ck_assert_str_eq(cwd(), here);

	/* A workdir that vanished after the check: error with the path. */
	conf_workdir(tu_fmt("%s/gone", dir));
	errno = 0;
	ck_assert_int_eq(dz_confine_enter(&conf, true, &err), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(err.text, tu_fmt("workdir: %s/gone: No "
	    "such file or directory", dir));
	dz_confine_clear(&conf);
}
END_TEST

START_TEST(test_enter_chroot_not_root)
{
	char *dir = tu_tmpdir();
	gid_t g = 65534;

	TU_NEED_ROOT();    /* to become someone else first */
	ck_assert_int_eq(setgroups(1, &g), 0);
	ck_assert_int_eq(setresgid(65534, 65534, 65534), 0);
	ck_assert_int_eq(setresuid(65534, 65534, 65534), 0);
	conf_root(dir);
	ck_assert_int_eq(chdir(dir), 0);
	errno = 0;
	ck_assert_int_eq(dz_confine_enter(&conf, true, &err), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(err.text, tu_fmt("chroot: %s: Operation "
	    "not permitted", dir));
	/* Nothing changed. */
	ck_assert_str_eq(cwd(), dir);
	ck_assert_str_eq(link_of("/proc/self/root"), "/");
	dz_confine_clear(&conf);
}
END_TEST

/* "root=DEV:INO" of directory path, as fg_start reports a root. */
static char *
root_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return tu_fmt("root=%lu:%lu", (unsigned long)st.st_dev,
	    (unsigned long)st.st_ino);
}

/* ---- foreground mode through the public API ----------------------------
 * No fork, but chroot, workdir and user are applied (0.1's debug mode
 * skipped them).  The start runs in a child that reports in one line. */

static const char *
fg_start(const char *root, const char *workdir, const char *user)
{
	static char line[1024];
	struct pollfd pfd;
	ssize_t n = 0;
	int p[2];
	pid_t c;

	ck_assert_int_eq(pipe(p), 0);
	c = fork();
	ck_assert_int_ge(c, 0);
	if (c == 0) {
		struct daemonize *d = daemonize_new("t");
		char buf[PATH_MAX], out[PATH_MAX * 2 + 64];
		struct stat st;

		close(p[0]);
		alarm((unsigned int)tu_ms(20000) / 1000);
		tu_clean_env();
		if (d == NULL ||
		    (root != NULL && daemonize_set_chroot(d, root) == -1) ||
		    (workdir != NULL &&
		    daemonize_set_workdir(d, workdir) == -1) ||
		    (user != NULL &&
		    daemonize_set_user(d, user, NULL) == -1) ||
		    daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND) == -1 ||
		    daemonize_start(d) != 0) {
			dprintf(p[1], "start: %s", daemonize_error(d));
			_exit(1);
		}
		/* /proc may not exist in the new root: "/" is named by its
		 * device and inode. */
		if (stat("/", &st) == -1)
			_exit(2);
		(void)snprintf(out, sizeof(out), "root=%lu:%lu cwd=%s "
		    "euid=%ld mode=%d", (unsigned long)st.st_dev,
		    (unsigned long)st.st_ino,
		    getcwd(buf, sizeof(buf)) != NULL ? buf : "?",
		    (long)geteuid(), daemonize_mode(d));
		if (write(p[1], out, strlen(out)) != (ssize_t)strlen(out))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, tu_ms(5000)) == 1)
		n = read(p[0], line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	close(p[0]);
	if (tu_child_status(c, tu_ms(5000)) == -1)
		tu_kill(c);
	return line;
}

START_TEST(test_fg_chroot_workdir_user)
{
	char *dir = tu_tmpdir();

	TU_NEED_ROOT();
	ck_assert_int_eq(mkdir(tu_fmt("%s/srv", dir), 0755), 0);
	ck_assert_str_eq(fg_start(dir, "/srv", "nobody"), tu_fmt("%s "
	    "cwd=/srv euid=65534 mode=%d", root_of(dir),
	    DAEMONIZE_MODE_FOREGROUND));
	/* chroot alone: the cwd moves inside the new root. */
	ck_assert_str_eq(fg_start(dir, NULL, NULL), tu_fmt("%s cwd=/ "
	    "euid=0 mode=%d", root_of(dir), DAEMONIZE_MODE_FOREGROUND));
}
END_TEST

START_TEST(test_fg_workdir_only)
{
	char *dir = tu_tmpdir();

	/* A workdir without chroot; without one the cwd stays. */
	ck_assert_str_eq(fg_start(NULL, dir, NULL), tu_fmt("%s cwd=%s "
	    "euid=%ld mode=%d", root_of("/"), dir, (long)geteuid(),
	    DAEMONIZE_MODE_FOREGROUND));
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_str_eq(fg_start(NULL, NULL, NULL), tu_fmt("%s cwd=%s "
	    "euid=%ld mode=%d", root_of("/"), dir, (long)geteuid(),
	    DAEMONIZE_MODE_FOREGROUND));
	/* A missing chroot: refused at lock, in this process. */
	ck_assert_str_eq(fg_start(tu_fmt("%s/nope", dir), NULL, NULL),
	    tu_fmt("start: chroot: %s/nope: No such file or directory", dir));
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

	st = tu_run(argv, out, sizeof(out), tu_ms(10000));
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "status %d: %s", st, out);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(tu_wait_report(report, tu_ms(5000)), 0);
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
	ck_assert_int_eq(tu_wait_gone(pid, tu_ms(5000)), 0);
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
	    missing, NULL), out, sizeof(out), tu_ms(10000));
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
	tcase_add_test(tc, test_set_workdir);
	tcase_add_test(tc, test_set_jail);
	tcase_add_test(tc, test_check);
	suite_add_tcase(s, tc);

	tc = tcase_create("enter");
	tcase_add_test(tc, test_enter_chroot);
	tcase_add_test(tc, test_enter_chroot_workdir);
	tcase_add_test(tc, test_enter_workdir_only);
	tcase_add_test(tc, test_enter_chroot_not_root);
	suite_add_tcase(s, tc);

	tc = tcase_create("foreground");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fg_chroot_workdir_user);
	tcase_add_test(tc, test_fg_workdir_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("helper");
	tcase_set_timeout(tc, 60);
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

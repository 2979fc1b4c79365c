/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * check_daemonize.c - lib/daemonize.c: the context, the generic setters,
 * the state machine (configuring, locked, started, ready, failed, stopped)
 * and the rules of lock, start, ready, fail, stop and free, in foreground
 * mode, which runs inside the test process; background mode is driven from
 * outside through tests/helper (here for the lock-before-bind order and
 * the thread check, in check_fork.c for the rest).
 *
 * The context is opaque (struct daemonize lives in daemonize.c only), so
 * every assertion is on what a caller can see: return values, errno, the
 * error text, files, locks, the process's cwd, umask and ids.
 *
 * Check runs each test in its own forked process, so a test may start a
 * context, change its cwd and install signal handlers freely.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemonize.h"
#include "testutil.h"

#define RUN_MS 20000

/* Assert a failure: -1, errno, and every fragment in the error text. */
#define ASSERT_FAIL(call, d, err, frag1, frag2) do {			\
	errno = 0;							\
	ck_assert_int_eq((call), -1);					\
	ck_assert_int_eq(errno, (err));					\
	tu_assert_text((d), (frag1));					\
	tu_assert_text((d), (frag2));					\
} while (0)

static mode_t
current_umask(void)
{
	mode_t m = umask(0);

	(void)umask(m);
	return m;
}

/* The open fds of this process with their targets, "fd=target;..."
 * (the listing's own fd left out), in a malloc'ed string. */
static char *
fd_targets(void)
{
	char *out = calloc(1, 65536);
	struct dirent *e;
	DIR *dir;
	int fd;

	ck_assert_ptr_nonnull(out);
	dir = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(dir);
	/* /proc lists fds in ascending order. */
	while ((e = readdir(dir)) != NULL) {
		char path[64], target[PATH_MAX];
		ssize_t n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = atoi(e->d_name);
		if (fd == dirfd(dir))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		snprintf(out + strlen(out), 65536 - strlen(out), "%d=%s;", fd,
		    target);
	}
	closedir(dir);
	return out;
}

/* A context in foreground mode (runs in this process). */
static struct daemonize *
fg_ctx(void)
{
	struct daemonize *d = tu_ctx("test");

	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	return d;
}

/* Run fn(d) in a forked child of this process; its exit status. */
static int
in_child(struct daemonize *d, int (*fn)(struct daemonize *))
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn(d));
	st = tu_child_status(pid, tu_ms(RUN_MS));
	ck_assert_msg(st != -1, "child did not finish");
	ck_assert_msg(WIFEXITED(st), "child status %#x", st);
	return WEXITSTATUS(st);
}

/* ---- the context ------------------------------------------------------- */

START_TEST(test_new_invalid)
{
	const char *bad[] = { NULL, "", "a/b", "/", "name/" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_ptr_null(daemonize_new(bad[i]));
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_new_defaults)
{
	struct daemonize *d = tu_ctx("test");
	const int *fds;
	const char *const *names;

	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_AUTO);
	ck_assert_str_eq(daemonize_error(d), "no error");
	ck_assert_uint_eq(daemonize_watchdog_usec(d), 0);
	/* no signal pipe before start */
	errno = 0;
	ck_assert_int_eq(daemonize_signal_fd(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* nothing passed by a supervisor in the clean environment */
	ck_assert_int_eq(daemonize_listen_fds(d, &fds, &names), 0);
	/* the readers need a pidfile */
	ASSERT_FAIL(daemonize_pidfile_state(d, NULL), d, EINVAL, "pidfile: ",
	    "no pidfile configured");
	daemonize_free(d);
}
END_TEST

START_TEST(test_error_and_free_null)
{
	const char *s = daemonize_error(NULL);

	ck_assert_ptr_nonnull(s);
	ck_assert(*s != '\0');
	errno = ENOENT;
	daemonize_free(NULL);
	ck_assert_int_eq(errno, ENOENT);
	/* free keeps errno, so it can sit between a failure and its report */
	{
		struct daemonize *d = tu_ctx("test");

		errno = EADDRINUSE;
		daemonize_free(d);
		ck_assert_int_eq(errno, EADDRINUSE);
	}
}
END_TEST

START_TEST(test_mode_values)
{
	struct daemonize *d = tu_ctx("test");

	/* Distinct, and AUTO is 0 so a zeroed configuration means "let the
	 * library decide". */
	ck_assert_int_eq(DAEMONIZE_MODE_AUTO, 0);
	ck_assert_int_ne(DAEMONIZE_MODE_BACKGROUND, DAEMONIZE_MODE_AUTO);
	ck_assert_int_ne(DAEMONIZE_MODE_FOREGROUND, DAEMONIZE_MODE_AUTO);
	ck_assert_int_ne(DAEMONIZE_MODE_BACKGROUND, DAEMONIZE_MODE_FOREGROUND);
	ck_assert_int_ne(DAEMONIZE_PARENT, 0);
	ck_assert_int_ne(DAEMONIZE_PARENT, -1);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_AUTO);
	errno = 0;
	ck_assert_int_eq(daemonize_mode(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ASSERT_FAIL(daemonize_set_mode(d, 7), d, EINVAL, "mode: mode 7",
	    "expected DAEMONIZE_MODE_AUTO");
	ASSERT_FAIL(daemonize_set_mode(d, -1), d, EINVAL, "mode: ", NULL);
	/* the requested mode, until lock decides */
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_AUTO);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_BACKGROUND), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_BACKGROUND);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_FOREGROUND);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_AUTO), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_AUTO);
	daemonize_free(d);
}
END_TEST

/* AUTO is resolved by lock: without a supervisor (clean slate, parent
 * not pid 1), background; a failed setter left the last value. */
START_TEST(test_mode_after_lock)
{
	struct daemonize *d = tu_ctx("test");

	tu_clean_slate();
	ck_assert_int_eq(daemonize_lock(d), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_BACKGROUND);
	ASSERT_FAIL(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), d, EBUSY,
	    "mode: ", "configuration cannot change after daemonize_lock");
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_BACKGROUND);
	/* lock twice: nothing to do */
	ck_assert_int_eq(daemonize_lock(d), 0);
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);

	d = fg_ctx();
	ck_assert_int_eq(daemonize_lock(d), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_FOREGROUND);
	daemonize_free(d);
}
END_TEST

/* ---- every call with a NULL context ------------------------------------ */

/* Each call as an int (*)(struct daemonize *), for the table below. */
#define CALL(name, expr)						\
static int								\
c_##name(struct daemonize *d)						\
{									\
	return (expr);							\
}

CALL(mode_set, daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND))
CALL(flags, daemonize_set_flags(d, 0))
CALL(pidfile, daemonize_set_pidfile(d, "/tmp/x.pid"))
CALL(runtime, daemonize_set_runtime_dir(d, "/tmp/x.run"))
CALL(output, daemonize_set_output(d, "/tmp/x.log"))
CALL(umask, daemonize_set_umask(d, 022))
CALL(workdir, daemonize_set_workdir(d, "/"))
CALL(timeout, daemonize_set_timeout(d, 100))
CALL(user, daemonize_set_user(d, "root", NULL))
CALL(chroot, daemonize_set_chroot(d, "/"))
CALL(jail, daemonize_set_jail(d, "j"))
CALL(notify, daemonize_set_notify_fd(d, -1))
CALL(keep, daemonize_keep_fd(d, 5))
CALL(signal, daemonize_add_signal(d, SIGUSR1))
CALL(lock, daemonize_lock(d))
CALL(start, daemonize_start(d))
CALL(ready, daemonize_ready(d))
CALL(fail, daemonize_fail(d, EIO, "x"))
CALL(stop, daemonize_stop(d))
CALL(reopen, daemonize_reopen_output(d))
CALL(mode, daemonize_mode(d))
CALL(sigfd, daemonize_signal_fd(d))
CALL(nextsig, daemonize_next_signal(d, 0))
CALL(notify_msg, daemonize_notify(d, "STATUS=x"))
CALL(notify_status, daemonize_notify_status(d, "x"))
CALL(reloading, daemonize_notify_reloading(d))
CALL(listen, daemonize_listen_fds(d, NULL, NULL))
CALL(pstate, daemonize_pidfile_state(d, NULL))
CALL(psignal, daemonize_pidfile_signal(d, 0))
CALL(pterm, daemonize_pidfile_terminate(d, SIGTERM, 10))

static const struct {
	const char *name;
	const char *step;	/* how the error text names it after lock */
	int (*call)(struct daemonize *);
} calls[] = {
	{ "set_mode", "mode", c_mode_set },
	{ "set_flags", "flags", c_flags },
	{ "set_pidfile", "pidfile", c_pidfile },
	{ "set_runtime_dir", "runtime_dir", c_runtime },
	{ "set_output", "output", c_output },
	{ "set_umask", "umask", c_umask },
	{ "set_workdir", "workdir", c_workdir },
	{ "set_timeout", "timeout", c_timeout },
	{ "set_user", "privileges", c_user },
	{ "set_chroot", "chroot", c_chroot },
	{ "set_jail", "jail", c_jail },
	{ "set_notify_fd", "notify", c_notify },
	/* the lists: until start, not setters */
	{ "keep_fd", "keep_fd", c_keep },
	{ "add_signal", "signals", c_signal },
	/* not setters: checked with NULL only */
	{ "lock", NULL, c_lock },
	{ "start", NULL, c_start },
	{ "ready", NULL, c_ready },
	{ "fail", NULL, c_fail },
	{ "stop", NULL, c_stop },
	{ "reopen_output", NULL, c_reopen },
	{ "mode", NULL, c_mode },
	{ "signal_fd", NULL, c_sigfd },
	{ "next_signal", NULL, c_nextsig },
	{ "notify", NULL, c_notify_msg },
	{ "notify_status", NULL, c_notify_status },
	{ "notify_reloading", NULL, c_reloading },
	{ "listen_fds", NULL, c_listen },
	{ "pidfile_state", NULL, c_pstate },
	{ "pidfile_signal", NULL, c_psignal },
	{ "pidfile_terminate", NULL, c_pterm },
};
#define NSETTERS 12
#define NLISTS 2

START_TEST(test_null_context)
{
	size_t i;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		errno = 0;
		ck_assert_msg(calls[i].call(NULL) == -1,
		    "daemonize_%s(NULL) did not fail", calls[i].name);
		ck_assert_msg(errno == EINVAL, "daemonize_%s(NULL): errno %d",
		    calls[i].name, errno);
	}
	errno = 0;
	ck_assert_uint_eq(daemonize_watchdog_usec(NULL), 0);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(daemonize_supervisor(NULL, NULL));
}
END_TEST

/* ---- the state machine ------------------------------------------------- */

/* Configuration is frozen once lock has returned: EBUSY, with the
 * setter's step first in the text; the lists still grow until start. */
START_TEST(test_setters_after_lock)
{
	struct daemonize *d = fg_ctx();
	char *dir = tu_tmpdir(), *pidfile = tu_fmt("%s/l.pid", dir);
	char buf[64];
	size_t i;
	int fd;

	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_lock(d), 0);
	ck_assert(tu_lock_held(pidfile));
	for (i = 0; i < NSETTERS; i++) {
		errno = 0;
		ck_assert_msg(calls[i].call(d) == -1,
		    "daemonize_%s after lock did not fail", calls[i].name);
		ck_assert_msg(errno == EBUSY, "daemonize_%s after lock: "
		    "errno %d", calls[i].name, errno);
		ck_assert_msg(strstr(daemonize_error(d), "configuration cannot "
		    "change after daemonize_lock or daemonize_start") != NULL,
		    "daemonize_%s: \"%s\"", calls[i].name, daemonize_error(d));
		ck_assert_msg(strncmp(daemonize_error(d), calls[i].step,
		    strlen(calls[i].step)) == 0 &&
		    daemonize_error(d)[strlen(calls[i].step)] == ':',
		    "daemonize_%s: \"%s\" does not start with \"%s:\"",
		    calls[i].name, daemonize_error(d), calls[i].step);
	}
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_FOREGROUND);
	/* a socket bound after the lock can still be kept */
	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 3);
	ck_assert_int_eq(daemonize_keep_fd(d, fd), 0);
	ck_assert_int_eq(daemonize_add_signal(d, SIGUSR1), 0);

	/* The refused set_pidfile changed nothing: start writes the first
	 * path (and not /tmp/x.pid). */
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_int_gt(tu_read_file(pidfile, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, tu_fmt("%ld\n", (long)getpid()));
	/* after start the lists are closed too */
	for (i = NSETTERS; i < NSETTERS + NLISTS; i++) {
		errno = 0;
		ck_assert_int_eq(calls[i].call(d), -1);
		ck_assert_int_eq(errno, EBUSY);
		ck_assert_msg(strstr(daemonize_error(d), "too late: "
		    "daemonize_start was called") != NULL, "%s: %s",
		    calls[i].name, daemonize_error(d));
	}
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(pidfile));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* 0-2 are the daemon's stdio: never kept; a closed or the notify fd
 * neither. */
START_TEST(test_keep_fd_refused)
{
	struct daemonize *d = tu_ctx("test");
	int fd, p[2];

	ASSERT_FAIL(daemonize_keep_fd(d, 0), d, EINVAL, "keep_fd: fd 0 is "
	    "standard input", "call daemonize_lock before opening");
	ASSERT_FAIL(daemonize_keep_fd(d, 1), d, EINVAL, "keep_fd: fd 1 is "
	    "standard output", NULL);
	ASSERT_FAIL(daemonize_keep_fd(d, 2), d, EINVAL, "keep_fd: fd 2 is "
	    "standard error", NULL);
	ASSERT_FAIL(daemonize_keep_fd(d, -1), d, EBADF, "keep_fd: fd -1 is "
	    "not open", NULL);
	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 3);
	close(fd);
	ASSERT_FAIL(daemonize_keep_fd(d, fd), d, EBADF,
	    tu_fmt("keep_fd: fd %d is not open", fd), NULL);
	/* the notification fd and a kept fd exclude each other */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(daemonize_set_notify_fd(d, p[1]), 0);
	ASSERT_FAIL(daemonize_keep_fd(d, p[1]), d, EINVAL,
	    tu_fmt("keep_fd: fd %d is the notification fd", p[1]), NULL);
	ck_assert_int_eq(daemonize_set_notify_fd(d, -1), 0);
	ck_assert_int_eq(daemonize_keep_fd(d, p[1]), 0);
	ck_assert_int_eq(daemonize_keep_fd(d, p[1]), 0);	/* once only */
	ASSERT_FAIL(daemonize_set_notify_fd(d, p[1]), d, EINVAL,
	    tu_fmt("notify: notification fd %d is also kept", p[1]), NULL);
	daemonize_free(d);
}
END_TEST

START_TEST(test_start_twice)
{
	struct daemonize *d = fg_ctx();

	ck_assert_int_eq(daemonize_start(d), 0);
	ASSERT_FAIL(daemonize_start(d), d, EALREADY, "start: ",
	    "daemonize_start was already called");
	ASSERT_FAIL(daemonize_lock(d), d, EALREADY, "lock: ",
	    "daemonize_start was already called");
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_FOREGROUND);
	ck_assert_int_eq(daemonize_stop(d), 0);
	ASSERT_FAIL(daemonize_start(d), d, EALREADY, "start: ", "already");
	daemonize_free(d);
}
END_TEST

static int
child_ready(struct daemonize *d)
{
	errno = 0;
	if (daemonize_ready(d) != -1 || errno != EPERM)
		return 10;
	if (strstr(daemonize_error(d), "ready: not the process "
	    "daemonize_start returned in") == NULL)
		return 11;
	errno = 0;
	if (daemonize_fail(d, EIO, "worker") != -1 || errno != EPERM)
		return 12;
	if (strstr(daemonize_error(d), "fail: not the process") == NULL)
		return 13;
	errno = 0;
	if (daemonize_stop(d) != -1 || errno != EPERM)
		return 14;
	if (strstr(daemonize_error(d), "stop: not the process") == NULL ||
	    strstr(daemonize_error(d), "a forked child cannot speak for "
	    "the daemon") == NULL)
		return 15;
	return 0;
}

/* A worker the daemon forked inherits a copy of the context: it cannot
 * claim readiness, fail or stop for the daemon. */
START_TEST(test_forked_child_eperm)
{
	struct daemonize *d = fg_ctx();
	char *dir = tu_tmpdir(), *pidfile = tu_fmt("%s/w.pid", dir);

	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_int_eq(in_child(d, child_ready), 0);
	/* the daemon's file is untouched, and the daemon itself may */
	ck_assert_int_eq(tu_pidfile_pid(pidfile), getpid());
	ck_assert(tu_lock_held(pidfile));
	ck_assert_int_eq(daemonize_ready(d), 0);
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(pidfile));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static int
child_free(struct daemonize *d)
{
	daemonize_free(d);
	return 0;
}

/* daemonize_free in a forked worker (which exits) only closes its copies:
 * the daemon's pidfile stays, with its pid and its lock. */
START_TEST(test_free_in_worker)
{
	struct daemonize *d = fg_ctx();
	char *dir = tu_tmpdir(), *pidfile = tu_fmt("%s/w.pid", dir);

	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_int_eq(daemonize_ready(d), 0);
	ck_assert_int_eq(in_child(d, child_free), 0);
	ck_assert(tu_exists(pidfile));
	ck_assert_int_eq(tu_pidfile_pid(pidfile), getpid());
	ck_assert(tu_lock_held(pidfile));
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(pidfile));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A started daemon's free neither stops nor removes: stop does. */
START_TEST(test_free_without_stop)
{
	struct daemonize *d = fg_ctx();
	char *dir = tu_tmpdir(), *pidfile = tu_fmt("%s/f.pid", dir);

	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert(tu_lock_held(pidfile));
	daemonize_free(d);
	ck_assert(tu_exists(pidfile));
	ck_assert_int_eq(tu_pidfile_pid(pidfile), getpid());
	ck_assert(!tu_lock_held(pidfile));
	ck_assert_int_eq(unlink(pidfile), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Lock, then give up: free removes the pidfile lock created (nothing
 * ran), but not one that existed before. */
START_TEST(test_free_after_lock)
{
	struct daemonize *d = tu_ctx("test");
	char *dir = tu_tmpdir(), *pidfile = tu_fmt("%s/l.pid", dir);

	tu_clean_slate();
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_lock(d), 0);
	ck_assert(tu_exists(pidfile));
	ck_assert(tu_lock_held(pidfile));
	daemonize_free(d);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_lock_held(pidfile));

	/* an existing (stale, empty) file is only unlocked */
	tu_touch(pidfile);
	d = tu_ctx("test");
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_lock(d), 0);
	ck_assert(tu_lock_held(pidfile));
	daemonize_free(d);
	ck_assert(tu_exists(pidfile));
	ck_assert(!tu_lock_held(pidfile));
	ck_assert_int_eq(unlink(pidfile), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Lock, then stop: the fresh pidfile goes, and the context is done. */
START_TEST(test_stop_after_lock)
{
	struct daemonize *d = tu_ctx("test");
	char *dir = tu_tmpdir(), *pidfile = tu_fmt("%s/s.pid", dir);

	tu_clean_slate();
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_lock(d), 0);
	ck_assert(tu_lock_held(pidfile));
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_lock_held(pidfile));
	ck_assert_int_eq(daemonize_stop(d), 0);
	ASSERT_FAIL(daemonize_start(d), d, EALREADY, "start: ", NULL);
	ck_assert(!tu_exists(pidfile));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---- bad values -------------------------------------------------------- */

START_TEST(test_flags)
{
	struct daemonize *d = fg_ctx();

	ASSERT_FAIL(daemonize_set_flags(d, 0x100), d, EINVAL,
	    "flags: unknown flag bits", "0x100");
	ASSERT_FAIL(daemonize_set_flags(d, DAEMONIZE_KEEP_SIGPIPE |
	    0x80000000u), d, EINVAL, "flags: unknown flag bits", "0x80000000");
	/* the old mode flags are unknown bits now */
	ASSERT_FAIL(daemonize_set_flags(d, 0x2), d, EINVAL,
	    "flags: unknown flag bits", "0x2");
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_KEEP_SIGPIPE), 0);
	ck_assert_int_eq(daemonize_set_flags(d, 0), 0);
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_KEEP_SIGPIPE), 0);
	/* the last good value counts: SIGPIPE left at its default */
	ck_assert(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	ck_assert(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert(signal(SIGPIPE, SIG_DFL) == SIG_DFL);
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
}
END_TEST

START_TEST(test_umask)
{
	struct daemonize *d = fg_ctx();

	ASSERT_FAIL(daemonize_set_umask(d, 01000), d, EINVAL, "umask: ",
	    "01000 is not a file mode mask");
	ASSERT_FAIL(daemonize_set_umask(d, 04022), d, EINVAL, "umask: ",
	    "not a file mode mask");
	ck_assert_int_eq(daemonize_set_umask(d, 0777), 0);
	ck_assert_int_eq(daemonize_set_umask(d, 027), 0);
	ASSERT_FAIL(daemonize_set_umask(d, 01077), d, EINVAL, "umask: ",
	    NULL);
	(void)umask(022);
	ck_assert_int_eq(daemonize_start(d), 0);
	/* the last good value, applied in foreground mode too */
	ck_assert_uint_eq(current_umask(), 027);
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
}
END_TEST

START_TEST(test_workdir)
{
	struct daemonize *d = fg_ctx();
	char *dir = tu_tmpdir();
	char cwd[PATH_MAX];

	ASSERT_FAIL(daemonize_set_workdir(d, "var/lib"), d, EINVAL,
	    "workdir: var/lib", "not an absolute path");
	ASSERT_FAIL(daemonize_set_workdir(d, ""), d, EINVAL, "workdir: ",
	    "not an absolute path");
	ASSERT_FAIL(daemonize_set_workdir(d, "./x"), d, EINVAL, "workdir: ./x",
	    "not an absolute path");
	ck_assert_int_eq(daemonize_set_workdir(d, "/var"), 0);
	ASSERT_FAIL(daemonize_set_workdir(d, "rel"), d, EINVAL, "workdir",
	    NULL);
	/* NULL clears: foreground mode then leaves the cwd alone */
	ck_assert_int_eq(daemonize_set_workdir(d, NULL), 0);
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_str_eq(cwd, dir);
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_empty_paths)
{
	struct daemonize *d = fg_ctx();
	char *dir = tu_tmpdir(), *pidfile = tu_fmt("%s/a.pid", dir);

	ASSERT_FAIL(daemonize_set_pidfile(d, ""), d, EINVAL, "pidfile: ",
	    "empty path");
	ASSERT_FAIL(daemonize_set_output(d, ""), d, EINVAL, "output: ",
	    "empty path");
	ASSERT_FAIL(daemonize_set_runtime_dir(d, ""), d, EINVAL,
	    "runtime_dir: ", "empty path");
	/* NULL clears a configured path: start makes no pidfile */
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_set_pidfile(d, NULL), 0);
	ck_assert_int_eq(daemonize_set_output(d, tu_fmt("%s/a.log", dir)), 0);
	ck_assert_int_eq(daemonize_set_output(d, NULL), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert(!tu_exists(pidfile));
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* set_user(d, NULL, NULL) clears an earlier user: no drop (0.1 refused
 * it with EINVAL). */
START_TEST(test_set_user_clears)
{
	struct daemonize *d = fg_ctx();

	TU_NEED_ROOT();
	ck_assert_int_eq(daemonize_set_user(d, "nobody", "nogroup"), 0);
	ck_assert_int_eq(daemonize_set_user(d, NULL, NULL), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_int_eq(geteuid(), 0);
	ck_assert_int_eq(getuid(), 0);
	ck_assert_int_eq(getegid(), 0);
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
}
END_TEST

/* Relative paths are resolved against the cwd at the time of the call,
 * and that is where start puts the file, whatever the cwd is then. */
START_TEST(test_relative_pidfile_behaviour)
{
	struct daemonize *d = fg_ctx();
	char *first = tu_tmpdir(), *second = tu_tmpdir();
	char *expect = tu_fmt("%s/rel.pid", first);
	char buf[64];

	ck_assert_int_eq(chdir(first), 0);
	ck_assert_int_eq(daemonize_set_pidfile(d, "rel.pid"), 0);
	ck_assert_int_eq(chdir(second), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert(tu_exists(expect));
	ck_assert(!tu_exists(tu_fmt("%s/rel.pid", second)));
	ck_assert_int_gt(tu_read_file(expect, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, tu_fmt("%ld\n", (long)getpid()));
	/* and stop removes it there, from elsewhere */
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(expect));
	daemonize_free(d);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(rmdir(first), 0);
	ck_assert_int_eq(rmdir(second), 0);
}
END_TEST

/* ---- start, ready, fail, stop: the state rules ------------------------- */

START_TEST(test_before_start)
{
	struct daemonize *d = tu_ctx("test");

	ASSERT_FAIL(daemonize_ready(d), d, EINVAL, "ready: ",
	    "daemonize_start has not returned 0 in this process");
	ASSERT_FAIL(daemonize_fail(d, EIO, "boom %d", 1), d, EINVAL, "fail: ",
	    "daemonize_start has not returned 0 in this process");
	/* stop before start is a harmless no-op */
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_AUTO);
	daemonize_free(d);
}
END_TEST

START_TEST(test_fail_bad_arguments)
{
	struct daemonize *d = fg_ctx();

	ck_assert_int_eq(daemonize_start(d), 0);
	ASSERT_FAIL(daemonize_fail(d, -1, "x"), d, EINVAL, "fail: ",
	    "bad arguments");
	ASSERT_FAIL(daemonize_fail(d, EIO, NULL), d, EINVAL, "fail: ",
	    "bad arguments");
	errno = 0;
	ck_assert_int_eq(daemonize_fail(NULL, EIO, "x"), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* a good call keeps the caller's errno and message */
	ck_assert_int_eq(daemonize_fail(d, EADDRINUSE, "cannot bind port %d",
	    80), 0);
	ck_assert_int_eq(errno, EADDRINUSE);
	ck_assert_msg(strstr(daemonize_error(d), "cannot bind port 80") != NULL,
	    "%s", daemonize_error(d));
	ck_assert_msg(strstr(daemonize_error(d), strerror(EADDRINUSE)) != NULL,
	    "%s", daemonize_error(d));
	/* errno 0 is allowed: a failure without a system error */
	ck_assert_int_eq(daemonize_fail(d, 0, "config: bad line %d", 3), 0);
	ck_assert_str_eq(daemonize_error(d), "config: bad line 3");
	/* and ready after fail is refused */
	ASSERT_FAIL(daemonize_ready(d), d, EINVAL, "ready: ",
	    "daemonize_fail was called");
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
}
END_TEST

/* fail removes the pidfile: the process is about to exit. */
START_TEST(test_fail_removes_pidfile)
{
	struct daemonize *d = fg_ctx();
	char *dir = tu_tmpdir(), *pidfile = tu_fmt("%s/f.pid", dir);

	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert(tu_lock_held(pidfile));
	ck_assert_int_eq(daemonize_fail(d, ENOSPC, "disk full"), 0);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_lock_held(pidfile));
	daemonize_free(d);
	ck_assert(!tu_exists(pidfile));
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Foreground: no fork, no setsid, stdio untouched; but every configured
 * step is applied (0.1's debug mode skipped them all). */
START_TEST(test_foreground)
{
	struct daemonize *d = fg_ctx();
	char *dir = tu_tmpdir(), *sub = tu_fmt("%s/sub", dir);
	char *pidfile = tu_fmt("%s/fg.pid", dir);
	char *logfile = tu_fmt("%s/fg.log", dir);
	char cwd_after[PATH_MAX], buf[64];
	pid_t pid = getpid(), ppid = getppid(), sid = getsid(0);
	char *before, *after, *p;
	int extra = 0;

	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(chdir(dir), 0);
	(void)umask(027);
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_set_output(d, logfile), 0);
	ck_assert_int_eq(daemonize_set_umask(d, 0), 0);
	ck_assert_int_eq(daemonize_set_workdir(d, sub), 0);
	before = fd_targets();

	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_FOREGROUND);
	ck_assert_int_eq(getpid(), pid);
	ck_assert_int_eq(getppid(), ppid);
	ck_assert_int_eq(getsid(0), sid);
	/* applied: workdir, umask, pidfile (written and locked) */
	ck_assert_ptr_nonnull(getcwd(cwd_after, sizeof(cwd_after)));
	ck_assert_str_eq(cwd_after, sub);
	ck_assert_uint_eq(current_umask(), 0);
	ck_assert_int_gt(tu_read_file(pidfile, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, tu_fmt("%ld\n", (long)pid));
	ck_assert(tu_lock_held(pidfile));
	/* the log belongs to a background daemon only */
	ck_assert(!tu_exists(logfile));
	/* Every fd is as it was; the only new ones are the signal pipe and
	 * the pidfile. */
	after = fd_targets();
	for (p = before; *p != '\0'; p = strchr(p, ';') + 1) {
		char *entry = strndup(p, (size_t)(strchr(p, ';') - p + 1));

		ck_assert_msg(strstr(after, entry) != NULL,
		    "%s lost: before %s after %s", entry, before, after);
		free(entry);
	}
	for (p = after; *p != '\0'; p = strchr(p, ';') + 1) {
		char *entry = strndup(p, (size_t)(strchr(p, ';') - p + 1));

		if (strstr(before, entry) == NULL) {
			ck_assert_msg(strstr(entry, "=pipe:") != NULL ||
			    strstr(entry, pidfile) != NULL,
			    "new fd %s is not the signal pipe or pidfile",
			    entry);
			ck_assert_int_ge(atoi(entry), 3);
			extra++;
		}
		free(entry);
	}
	ck_assert_int_le(extra, 3);

	ck_assert_int_eq(daemonize_ready(d), 0);
	ck_assert_int_eq(daemonize_ready(d), 0);	/* again: harmless */
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_exists(logfile));
	daemonize_free(d);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Foreground without umask or workdir: a supervisor's cwd and umask are
 * left alone; the pidfile is taken, written and locked. */
START_TEST(test_foreground_pidfile)
{
	struct daemonize *d = fg_ctx();
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/sup.pid", dir);
	char cwd_before[PATH_MAX], cwd_after[PATH_MAX], buf[64];
	pid_t pid = getpid();
	mode_t mask;

	ck_assert_int_eq(chdir(dir), 0);
	(void)umask(026);
	mask = current_umask();
	ck_assert_ptr_nonnull(getcwd(cwd_before, sizeof(cwd_before)));
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert(!tu_exists(pidfile));

	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_int_eq(getpid(), pid);
	ck_assert_ptr_nonnull(getcwd(cwd_after, sizeof(cwd_after)));
	ck_assert_str_eq(cwd_after, cwd_before);
	ck_assert_uint_eq(current_umask(), mask);
	ck_assert_int_eq(tu_read_file(pidfile, buf, sizeof(buf)),
	    (ssize_t)strlen(tu_fmt("%ld\n", (long)pid)));
	ck_assert_str_eq(buf, tu_fmt("%ld\n", (long)pid));
	ck_assert(tu_lock_held(pidfile));
	{
		/* the readers agree */
		pid_t seen = 0;

		ck_assert_int_eq(daemonize_pidfile_state(d, &seen),
		    DAEMONIZE_PIDFILE_RUNNING);
		ck_assert_int_eq(seen, pid);
	}

	ck_assert_int_eq(daemonize_ready(d), 0);
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_lock_held(pidfile));
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A failed start leaves nothing behind and the context configurable. */
START_TEST(test_foreground_start_fails)
{
	struct daemonize *d = fg_ctx();
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/missing/x.pid", dir);

	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ASSERT_FAIL(daemonize_start(d), d, ENOENT, "pidfile: ", pidfile);
	/* back to configuring: the requested mode, setters work */
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_FOREGROUND);
	ck_assert(!tu_exists(tu_fmt("%s/missing", dir)));
	ASSERT_FAIL(daemonize_ready(d), d, EINVAL, "ready: ", NULL);
	ck_assert_int_eq(daemonize_set_pidfile(d, tu_fmt("%s/x.pid", dir)), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert(tu_lock_held(tu_fmt("%s/x.pid", dir)));
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(tu_fmt("%s/x.pid", dir)));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A second context on a pidfile we hold fails at lock, and its failure
 * does not touch the first one's file. */
START_TEST(test_second_instance)
{
	struct daemonize *d1 = fg_ctx(), *d2 = fg_ctx();
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/one.pid", dir);
	char buf[64];

	ck_assert_int_eq(daemonize_set_pidfile(d1, pidfile), 0);
	ck_assert_int_eq(daemonize_set_pidfile(d2, pidfile), 0);
	ck_assert_int_eq(daemonize_start(d1), 0);
	ASSERT_FAIL(daemonize_lock(d2), d2, EEXIST, pidfile,
	    tu_fmt("already running, pid %ld", (long)getpid()));
	ASSERT_FAIL(daemonize_start(d2), d2, EEXIST, pidfile,
	    tu_fmt("already running, pid %ld", (long)getpid()));
	ck_assert(tu_exists(pidfile));
	ck_assert(tu_lock_held(pidfile));
	ck_assert_int_gt(tu_read_file(pidfile, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, tu_fmt("%ld\n", (long)getpid()));
	daemonize_free(d2);
	ck_assert(tu_exists(pidfile));
	ck_assert_int_eq(daemonize_stop(d1), 0);
	ck_assert(!tu_exists(pidfile));
	daemonize_free(d1);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---- through the helper: lock before bind, threads --------------------- */

/* A port the first instance binds: found free, retried on a race. */
static int
start_first(const char *helper, const char *pidfile, char *portbuf,
    size_t len)
{
	char out[4096];
	int i, st = -1;

	for (i = 0; i < 8; i++) {
		snprintf(portbuf, len, "%d", tu_free_port());
		{
			char *argv[] = { (char *)helper, "-d", "-l", "-p",
			    (char *)pidfile, "-b", portbuf, NULL };

			st = tu_run(argv, out, sizeof(out), tu_ms(RUN_MS));
		}
		if (st == 0 || strstr(out, "bind 127.0.0.1") == NULL)
			break;
	}
	ck_assert_msg(st == 0, "first instance: status %#x: %s", st, out);
	return tu_pidfile_pid(pidfile);
}

/* The second instance locks before it binds: it fails with the pidfile's
 * "already running, pid N", not with the bind's EADDRINUSE, also when the
 * port is taken by the first instance. */
START_TEST(test_lock_before_bind)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir);
	char port[16], out[4096], want[128];
	pid_t first;
	int st;

	first = start_first(helper, pidfile, port, sizeof(port));
	ck_assert_int_gt(first, 1);
	ck_assert(tu_lock_held(pidfile));
	snprintf(want, sizeof(want), "helper: pidfile: %s: already running, "
	    "pid %ld\n", pidfile, (long)first);
	/* same port: EADDRINUSE if it bound first */
	{
		char *argv[] = { helper, "-d", "-l", "-p", pidfile, "-b", port,
		    NULL };

		st = tu_run(argv, out, sizeof(out), tu_ms(RUN_MS));
	}
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x: %s",
	    st, out);
	ck_assert_str_eq(out, want);
	ck_assert_msg(strstr(out, tu_strerror(EADDRINUSE)) == NULL, "%s", out);
	/* another port: it never got as far as binding it either */
	{
		char other[16];
		char *argv[] = { helper, "-d", "-l", "-p", pidfile, "-b", other,
		    NULL };

		snprintf(other, sizeof(other), "%d", tu_free_port());
		st = tu_run(argv, out, sizeof(out), tu_ms(RUN_MS));
	}
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x: %s",
	    st, out);
	ck_assert_str_eq(out, want);
	/* the first one is untouched, and still serves */
	ck_assert(tu_alive(first));
	ck_assert_int_eq(tu_pidfile_pid(pidfile), first);
	ck_assert(tu_lock_held(pidfile));
	ck_assert_int_eq(tu_count_procs(helper), 1);
	ck_assert_int_eq(kill(first, SIGTERM), 0);
	ck_assert_int_eq(tu_wait_gone(first, tu_ms(RUN_MS)), 0);
	ck_assert_int_eq(tu_wait_no_procs(helper, tu_ms(RUN_MS)), 0);
	ck_assert(!tu_exists(pidfile));
}
END_TEST

/* fork copies one thread: a background start in a threaded process is
 * refused with EDEADLK before anything is forked or left behind. */
START_TEST(test_threads_refused)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/t.pid", dir);
	char *argv[] = { helper, "-d", "-T", "-p", pidfile, NULL };
	char out[4096];
	int st;

	st = tu_run(argv, out, sizeof(out), tu_ms(RUN_MS));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x: %s",
	    st, out);
	ck_assert_msg(strncmp(out, "helper: start: the process has 2 threads",
	    40) == 0, "%s", out);
	ck_assert_msg(strstr(out, "before any thread is created") != NULL &&
	    strstr(out, tu_strerror(EDEADLK)) != NULL, "%s", out);
	ck_assert_int_eq(tu_wait_no_procs(helper, tu_ms(RUN_MS)), 0);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_lock_held(pidfile));
}
END_TEST

/* The same, in process: errno EDEADLK and nothing forked. */
static void *
idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

START_TEST(test_threads_refused_inprocess)
{
	struct daemonize *d = tu_ctx("test");
	char *dir = tu_tmpdir(), *pidfile = tu_fmt("%s/t.pid", dir);
	pthread_t t;

	tu_clean_slate();
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_BACKGROUND), 0);
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, idle, NULL), 0);
	ASSERT_FAIL(daemonize_start(d), d, EDEADLK, "start: the process has "
	    "2 threads", "fork copies only the calling one");
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	ck_assert(!tu_exists(pidfile));
	daemonize_free(d);
}
END_TEST

static Suite *
daemonize_suite(void)
{
	Suite *s = suite_create("daemonize");
	TCase *tc;

	tc = tcase_create("context");
	tcase_add_checked_fixture(tc, tu_clean_env, NULL);
	tcase_add_test(tc, test_new_invalid);
	tcase_add_test(tc, test_new_defaults);
	tcase_add_test(tc, test_error_and_free_null);
	tcase_add_test(tc, test_mode_values);
	tcase_add_test(tc, test_mode_after_lock);
	tcase_add_test(tc, test_null_context);
	suite_add_tcase(s, tc);

	tc = tcase_create("states");
	tcase_add_checked_fixture(tc, tu_clean_env, NULL);
	tcase_add_test(tc, test_setters_after_lock);
	tcase_add_test(tc, test_keep_fd_refused);
	tcase_add_test(tc, test_start_twice);
	tcase_add_test(tc, test_forked_child_eperm);
	tcase_add_test(tc, test_free_in_worker);
	tcase_add_test(tc, test_free_without_stop);
	tcase_add_test(tc, test_free_after_lock);
	tcase_add_test(tc, test_stop_after_lock);
	suite_add_tcase(s, tc);

	tc = tcase_create("setters");
	tcase_add_checked_fixture(tc, tu_clean_env, NULL);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_umask);
	tcase_add_test(tc, test_workdir);
	tcase_add_test(tc, test_empty_paths);
	tcase_add_test(tc, test_set_user_clears);
	tcase_add_test(tc, test_relative_pidfile_behaviour);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_add_checked_fixture(tc, tu_clean_env, NULL);
	tcase_add_test(tc, test_before_start);
	tcase_add_test(tc, test_fail_bad_arguments);
	tcase_add_test(tc, test_fail_removes_pidfile);
	tcase_add_test(tc, test_foreground);
	tcase_add_test(tc, test_foreground_pidfile);
	tcase_add_test(tc, test_foreground_start_fails);
	tcase_add_test(tc, test_second_instance);
	suite_add_tcase(s, tc);

	tc = tcase_create("helper");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, tu_clean_env, NULL);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_lock_before_bind);
	tcase_add_test(tc, test_threads_refused);
	tcase_add_test(tc, test_threads_refused_inprocess);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(daemonize_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

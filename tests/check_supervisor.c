/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * check_supervisor.c - supervisor detection and the choice of mode.
 *
 * Check runs each test in its own forked process, so a test may set
 * environment variables and replace stdin freely.  Detection is read
 * through dz_supervisor_detect and dz_mode_choose (lib/supervisor.h) and
 * through the public daemonize_supervisor, daemonize_mode and
 * daemonize_lock; the end-to-end tests drive tests/helper, also as the
 * child of a fake init that is pid 1 in a pid namespace of its own.
 */
#include "config.h"

#include "daemonize.h"
#include "supervisor.h"
#include "util.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

/* A pid that is not ours (and need not exist). */
static char *
otherpid(void)
{
	return tu_pidstr(getpid() == 2 ? 3 : getpid() + 1);
}

static struct dz_detection
detect(void)
{
	struct dz_detection det;

	memset(&det, 0, sizeof(det));
	dz_supervisor_detect(&det, "sup");
	ck_assert(det.done);
	return det;
}

static void
assert_detect(const char *supervisor, const char *marker)
{
	struct dz_detection det = detect(), again;
	struct dz_err e;
	int mode = -7;

	if (supervisor == NULL) {
		ck_assert_ptr_null(det.supervisor);
		ck_assert_ptr_null(det.marker);
	} else {
		ck_assert_ptr_nonnull(det.supervisor);
		ck_assert_str_eq(det.supervisor, supervisor);
		ck_assert_str_eq(det.marker, marker);
	}
	/* and the mode that follows from it: a supervisor means foreground */
	memset(&again, 0, sizeof(again));
	e.text[0] = '\0';
	ck_assert_int_eq(dz_mode_choose(DAEMONIZE_MODE_AUTO, &again, "sup",
	    &mode, &e), 0);
	ck_assert_int_eq(mode, supervisor == NULL ?
	    DAEMONIZE_MODE_BACKGROUND : DAEMONIZE_MODE_FOREGROUND);
	ck_assert_str_eq(e.text, "");
	/* once done, detection answers the same without looking again */
	dz_supervisor_detect(&det, "sup");
	if (supervisor != NULL)
		ck_assert_str_eq(det.supervisor, supervisor);
	else
		ck_assert_ptr_null(det.supervisor);
}

/* ---- detection ----------------------------------------------------------- */

START_TEST(test_none)
{
	tu_clean_slate();
	assert_detect(NULL, NULL);
}
END_TEST

/* Both leak into login shells of a systemd session: hints only. */
START_TEST(test_hints_only)
{
	tu_clean_slate();
	ck_assert_int_eq(setenv("INVOCATION_ID",
	    "0123456789abcdef0123456789abcdef", 1), 0);
	ck_assert_int_eq(setenv("JOURNAL_STREAM", "8:12345", 1), 0);
	assert_detect(NULL, NULL);
}
END_TEST

static const char *const pid_markers[] = {
	"LISTEN_PID", "SYSTEMD_EXEC_PID", "WATCHDOG_PID"
};

/* Each pid marker counts only when it names this very process, and only
 * when it is a clean decimal number. */
START_TEST(test_pid_marker)
{
	const char *name = pid_markers[_i];

	tu_clean_slate();
	ck_assert_int_eq(setenv(name, tu_pidstr(getpid()), 1), 0);
	assert_detect("systemd", name);
	/* detection consumed nothing */
	ck_assert_str_eq(getenv(name), tu_pidstr(getpid()));

	ck_assert_int_eq(setenv(name, otherpid(), 1), 0);
	assert_detect(NULL, NULL);
	ck_assert_int_eq(setenv(name, tu_fmt(" %ld", (long)getpid()), 1), 0);
	assert_detect(NULL, NULL);
	ck_assert_int_eq(setenv(name, tu_fmt("%ldx", (long)getpid()), 1), 0);
	assert_detect(NULL, NULL);
	ck_assert_int_eq(setenv(name, "", 1), 0);
	assert_detect(NULL, NULL);
	ck_assert_int_eq(setenv(name, "99999999999999999999999", 1), 0);
	assert_detect(NULL, NULL);
}
END_TEST

START_TEST(test_notify_socket_marker)
{
	tu_clean_slate();
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1), 0);
	assert_detect("systemd", "NOTIFY_SOCKET");
	ck_assert_str_eq(getenv("NOTIFY_SOCKET"), "/run/systemd/notify");
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "", 1), 0);
	assert_detect(NULL, NULL);
}
END_TEST

START_TEST(test_supervisord_marker)
{
	tu_clean_slate();
	ck_assert_int_eq(setenv("SUPERVISOR_ENABLED", "1", 1), 0);
	assert_detect("supervisord", "SUPERVISOR_ENABLED");
	ck_assert_int_eq(setenv("SUPERVISOR_ENABLED", "", 1), 0);
	assert_detect(NULL, NULL);
}
END_TEST

START_TEST(test_stdin_socket_marker)
{
	int sv[2];

	tu_clean_slate();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(dup2(sv[0], 0), 0);
	assert_detect("inetd", "stdin is a socket");
	/* a pipe is not a socket */
	ck_assert_int_eq(pipe(sv), 0);
	ck_assert_int_eq(dup2(sv[0], 0), 0);
	assert_detect(NULL, NULL);
}
END_TEST

/* Our parent is the test runner, not pid 1: a Terminal-style
 * XPC_SERVICE_NAME is never launchd.  "0" and "" never are. */
START_TEST(test_xpc_not_launchd)
{
	tu_clean_slate();
	ck_assert_int_ne(getppid(), 1);
	ck_assert_int_eq(setenv("XPC_SERVICE_NAME", "com.example.sup", 1), 0);
	assert_detect(NULL, NULL);
	ck_assert_int_eq(setenv("XPC_SERVICE_NAME", "0", 1), 0);
	assert_detect(NULL, NULL);
}
END_TEST

/*
 * The launchd marker needs getppid() == 1: an orphaned grandchild gets
 * that when no subreaper sits between it and init.  It reports through a
 * pipe; when the machine reparents elsewhere the test has nothing to say.
 */
START_TEST(test_xpc_launchd)
{
	struct dz_detection det;
	char buf[128];
	int p[2], i, status;
	pid_t pid;
	ssize_t n;

	tu_clean_slate();
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (fork() != 0)
			_exit(0);
		for (i = 0; i < 200 && getppid() != 1; i++)
			tu_msleep(10);
		if (getppid() != 1) {
			if (write(p[1], "skip", 4) != 4)
				_exit(1);
			_exit(0);
		}
		(void)setenv("XPC_SERVICE_NAME", "com.example.sup", 1);
		det = detect();
		snprintf(buf, sizeof(buf), "%s %s",
		    det.supervisor ? det.supervisor : "none",
		    det.marker ? det.marker : "none");
		if (write(p[1], buf, strlen(buf)) != (ssize_t)strlen(buf))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	n = read(p[0], buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	if (strcmp(buf, "skip") == 0)
		fprintf(stderr, "test_xpc_launchd: orphans are not reparented "
		    "to pid 1 here: skipped\n");
	else
		ck_assert_str_eq(buf, "launchd XPC_SERVICE_NAME");
}
END_TEST

/* Whether "unshare --pid --fork --mount-proc" works here; prints why not
 * (a container without CAP_SYS_ADMIN refuses it). */
static bool
unshare_usable(const char *test)
{
	char out[1024];
	char *argv[] = { "/usr/bin/unshare", "--pid", "--fork",
	    "--mount-proc", "/bin/true", NULL };
	int st;

	if (access(argv[0], X_OK) == -1) {
		printf("%s: skipped: no %s\n", test, argv[0]);
		return false;
	}
	st = tu_run(argv, out, sizeof(out), tu_ms(10000));
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("%s: skipped: unshare --pid refused: %s\n", test, out);
		return false;
	}
	return true;
}

/*
 * pid 1 in a fresh pid namespace, the container's init (root only;
 * skipped where unshare is refused): the strongest marker.  Its child
 * then has a parent of pid 1 (tini, dumb-init, an inittab entry): the
 * weakest marker, checked after every other one.  Each child reports
 * through its exit status.
 */
START_TEST(test_pid1)
{
#ifdef CLONE_NEWPID
	int status, sv[2];
	pid_t pid;

	tu_clean_slate();
	if (unshare(CLONE_NEWPID) == -1) {
		printf("test_pid1: skipped: unshare: %s\n", strerror(errno));
		return;
	}
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		struct dz_detection det;
		struct dz_err e;
		int mode, st;
		pid_t child;

		if (getpid() != 1)
			_exit(10);
		/* the strongest marker wins over everything below it */
		(void)setenv("SUPERVISOR_ENABLED", "1", 1);
		memset(&det, 0, sizeof(det));
		if (dz_mode_choose(DAEMONIZE_MODE_AUTO, &det, "sup", &mode,
		    &e) != 0)
			_exit(11);
		if (det.supervisor == NULL ||
		    strcmp(det.supervisor, "container") != 0 ||
		    strcmp(det.marker, "pid 1") != 0)
			_exit(12);
		if (mode != DAEMONIZE_MODE_FOREGROUND)
			_exit(13);
		(void)unsetenv("SUPERVISOR_ENABLED");
		/* The child of pid 1, alone: "init". */
		child = fork();
		if (child == -1)
			_exit(14);
		if (child == 0) {
			if (getppid() != 1)
				_exit(20);
			det = detect();
			if (det.supervisor == NULL ||
			    strcmp(det.supervisor, "init") != 0 ||
			    strcmp(det.marker, "parent is pid 1") != 0)
				_exit(21);
			memset(&det, 0, sizeof(det));
			if (dz_mode_choose(DAEMONIZE_MODE_AUTO, &det, "sup",
			    &mode, &e) != 0 ||
			    mode != DAEMONIZE_MODE_FOREGROUND)
				_exit(22);
			/* Last: every other marker names the supervisor
			 * better. */
			(void)setenv("SUPERVISOR_ENABLED", "1", 1);
			det = detect();
			if (det.marker == NULL ||
			    strcmp(det.marker, "SUPERVISOR_ENABLED") != 0)
				_exit(23);
			(void)unsetenv("SUPERVISOR_ENABLED");
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
			    dup2(sv[0], 0) == -1)
				_exit(24);
			det = detect();
			if (det.marker == NULL ||
			    strcmp(det.marker, "stdin is a socket") != 0)
				_exit(25);
			/* A mode the caller imposes is still named after
			 * the real supervisor, not "forced". */
			if (dup2(open("/dev/null", O_RDONLY), 0) == -1)
				_exit(26);
			memset(&det, 0, sizeof(det));
			if (dz_mode_choose(DAEMONIZE_MODE_BACKGROUND, &det,
			    "sup", &mode, &e) != 0 ||
			    mode != DAEMONIZE_MODE_BACKGROUND ||
			    det.supervisor == NULL ||
			    strcmp(det.supervisor, "init") != 0)
				_exit(27);
			_exit(0);
		}
		while (waitpid(child, &st, 0) == -1 && errno == EINTR)
			;
		if (!WIFEXITED(st))
			_exit(15);
		_exit(WEXITSTATUS(st));
	}
	status = tu_child_status(pid, tu_ms(10000));
	ck_assert_msg(status != -1, "the pid-1 child did not end");
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "pid-1 child: status %#x (exit codes: see the test)", status);
#else
	printf("test_pid1: skipped: no CLONE_NEWPID\n");
#endif
}
END_TEST

/* Exact markers before inherited hints. */
START_TEST(test_order)
{
	int sv[2];

	tu_clean_slate();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(dup2(sv[0], 0), 0);
	ck_assert_int_eq(setenv("SUPERVISOR_ENABLED", "1", 1), 0);
	assert_detect("supervisord", "SUPERVISOR_ENABLED");
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "@x", 1), 0);
	assert_detect("systemd", "NOTIFY_SOCKET");
	ck_assert_int_eq(setenv("WATCHDOG_PID", tu_pidstr(getpid()), 1), 0);
	assert_detect("systemd", "WATCHDOG_PID");
	ck_assert_int_eq(setenv("SYSTEMD_EXEC_PID", tu_pidstr(getpid()), 1), 0);
	assert_detect("systemd", "SYSTEMD_EXEC_PID");
	ck_assert_int_eq(setenv("LISTEN_PID", tu_pidstr(getpid()), 1), 0);
	assert_detect("systemd", "LISTEN_PID");
}
END_TEST

/* A caller that asks for its sockets before the lock consumes LISTEN_PID;
 * the decision must still see it (Type=simple with a socket unit sets no
 * NOTIFY_SOCKET, so nothing else would stop the fork). */
START_TEST(test_listen_before_start)
{
	struct daemonize *d;
	const char *marker;

	tu_clean_slate();
	ck_assert_int_eq(setenv("LISTEN_PID", tu_pidstr(getpid()), 1), 0);
	ck_assert_int_eq(setenv("LISTEN_FDS", "0", 1), 0);
	d = tu_ctx("sup");
	ck_assert_int_eq(daemonize_listen_fds(d, NULL, NULL), 0);
	ck_assert_ptr_null(getenv("LISTEN_PID"));
	ck_assert_int_eq(daemonize_lock(d), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_FOREGROUND);
	ck_assert_str_eq(daemonize_supervisor(d, &marker), "systemd");
	ck_assert_str_eq(marker, "LISTEN_PID");
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);

	/* someone else's LISTEN_PID decides nothing */
	ck_assert_int_eq(setenv("LISTEN_PID", otherpid(), 1), 0);
	d = tu_ctx("sup");
	ck_assert_int_eq(daemonize_listen_fds(d, NULL, NULL), 0);
	ck_assert_int_eq(daemonize_lock(d), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_BACKGROUND);
	ck_assert_ptr_null(daemonize_supervisor(d, NULL));
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
}
END_TEST

/* ---- mode ---------------------------------------------------------------- */

/* dz_mode_choose with a fresh detection: the mode and what it names. */
static void
choose(int requested, int expect_mode, const char *supervisor,
    const char *marker)
{
	struct dz_detection det;
	struct dz_err e;
	int mode = -7;

	memset(&det, 0, sizeof(det));
	e.text[0] = '\0';
	ck_assert_int_eq(dz_mode_choose(requested, &det, "sup", &mode, &e), 0);
	ck_assert_int_eq(mode, expect_mode);
	if (supervisor == NULL) {
		ck_assert_ptr_null(det.supervisor);
		ck_assert_ptr_null(det.marker);
	} else {
		ck_assert_ptr_nonnull(det.supervisor);
		ck_assert_str_eq(det.supervisor, supervisor);
		ck_assert_str_eq(det.marker, marker);
	}
}

START_TEST(test_env_mode)
{
	tu_clean_slate();
	/* foreground means "never detach", not the old debug mode */
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "foreground", 1), 0);
	choose(DAEMONIZE_MODE_AUTO, DAEMONIZE_MODE_FOREGROUND, "forced",
	    "DAEMONIZE_MODE=foreground");
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "background", 1), 0);
	choose(DAEMONIZE_MODE_AUTO, DAEMONIZE_MODE_BACKGROUND, "forced",
	    "DAEMONIZE_MODE=background");
	/* background wins over a detected supervisor, which is still named:
	 * "forced" only when there is none */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "/run/x", 1), 0);
	choose(DAEMONIZE_MODE_AUTO, DAEMONIZE_MODE_BACKGROUND, "systemd",
	    "NOTIFY_SOCKET");
	/* auto, empty and unset detect */
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "auto", 1), 0);
	choose(DAEMONIZE_MODE_AUTO, DAEMONIZE_MODE_FOREGROUND, "systemd",
	    "NOTIFY_SOCKET");
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "", 1), 0);
	choose(DAEMONIZE_MODE_AUTO, DAEMONIZE_MODE_FOREGROUND, "systemd",
	    "NOTIFY_SOCKET");
	ck_assert_int_eq(unsetenv("DAEMONIZE_MODE"), 0);
	choose(DAEMONIZE_MODE_AUTO, DAEMONIZE_MODE_FOREGROUND, "systemd",
	    "NOTIFY_SOCKET");
	ck_assert_int_eq(unsetenv("NOTIFY_SOCKET"), 0);
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "auto", 1), 0);
	choose(DAEMONIZE_MODE_AUTO, DAEMONIZE_MODE_BACKGROUND, NULL, NULL);
	/* choosing only reads the environment */
	ck_assert_str_eq(getenv("DAEMONIZE_MODE"), "auto");
}
END_TEST

START_TEST(test_env_mode_bad)
{
	static const char *const bad[] = { "xyz", "Foreground", "auto ",
	    " background", "1" };
	struct dz_detection det;
	struct dz_err e;
	struct daemonize *d;
	char *dir, *pidfile;
	size_t i;
	int mode;

	tu_clean_slate();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(setenv("DAEMONIZE_MODE", bad[i], 1), 0);
		memset(&det, 0, sizeof(det));
		mode = -7;
		errno = 0;
		ck_assert_int_eq(dz_mode_choose(DAEMONIZE_MODE_AUTO, &det,
		    "sup", &mode, &e), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_str_eq(e.text, tu_fmt("mode: DAEMONIZE_MODE=%s: "
		    "expected foreground, background or auto: %s", bad[i],
		    strerror(EINVAL)));
		ck_assert_int_eq(mode, -7);
	}
	/* and lock (through start) says the same, leaving nothing taken */
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/sup.pid", dir);
	d = tu_ctx("sup");
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	errno = 0;
	ck_assert_int_eq(daemonize_start(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, "mode: DAEMONIZE_MODE=1: expected foreground, "
	    "background or auto");
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_AUTO);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_lock_held(pidfile));
	errno = 0;
	ck_assert_int_eq(daemonize_lock(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, "DAEMONIZE_MODE=1: expected");
	ck_assert(!tu_exists(pidfile));
	/* still configurable: the failed lock took nothing */
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_BACKGROUND), 0);
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The caller's daemonize_set_mode beats the environment, which beats
 * detection; a real supervisor is still named. */
START_TEST(test_set_mode)
{
	struct dz_detection det;
	struct dz_err e;
	struct daemonize *d;
	const char *marker;
	int mode = -7;

	tu_clean_slate();
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "foreground", 1), 0);
	choose(DAEMONIZE_MODE_BACKGROUND, DAEMONIZE_MODE_BACKGROUND,
	    "forced", "daemonize_set_mode");
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "background", 1), 0);
	choose(DAEMONIZE_MODE_FOREGROUND, DAEMONIZE_MODE_FOREGROUND,
	    "forced", "daemonize_set_mode");
	/* even a bad DAEMONIZE_MODE is not looked at under a set mode */
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "xyz", 1), 0);
	choose(DAEMONIZE_MODE_FOREGROUND, DAEMONIZE_MODE_FOREGROUND,
	    "forced", "daemonize_set_mode");
	choose(DAEMONIZE_MODE_BACKGROUND, DAEMONIZE_MODE_BACKGROUND,
	    "forced", "daemonize_set_mode");
	/* forced both ways under a real supervisor: it is still named */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "/run/x", 1), 0);
	choose(DAEMONIZE_MODE_BACKGROUND, DAEMONIZE_MODE_BACKGROUND,
	    "systemd", "NOTIFY_SOCKET");
	choose(DAEMONIZE_MODE_FOREGROUND, DAEMONIZE_MODE_FOREGROUND,
	    "systemd", "NOTIFY_SOCKET");
	ck_assert_int_eq(unsetenv("NOTIFY_SOCKET"), 0);
	ck_assert_int_eq(unsetenv("DAEMONIZE_MODE"), 0);
	/* an earlier "forced" answer says nothing about a supervisor that
	 * appeared since: a new choice looks again */
	memset(&det, 0, sizeof(det));
	ck_assert_int_eq(dz_mode_choose(DAEMONIZE_MODE_FOREGROUND, &det, "sup",
	    &mode, &e), 0);
	ck_assert_str_eq(det.supervisor, "forced");
	ck_assert_int_eq(setenv("SUPERVISOR_ENABLED", "1", 1), 0);
	ck_assert_int_eq(dz_mode_choose(DAEMONIZE_MODE_AUTO, &det, "sup",
	    &mode, &e), 0);
	ck_assert_int_eq(mode, DAEMONIZE_MODE_FOREGROUND);
	ck_assert_str_eq(det.supervisor, "supervisord");
	ck_assert_int_eq(unsetenv("SUPERVISOR_ENABLED"), 0);
	/* an unknown mode */
	memset(&det, 0, sizeof(det));
	mode = -7;
	errno = 0;
	ck_assert_int_eq(dz_mode_choose(3, &det, "sup", &mode, &e), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(e.text, "mode: mode 3: expected "
	    "DAEMONIZE_MODE_AUTO, _BACKGROUND or _FOREGROUND"));
	ck_assert_int_eq(mode, -7);

	/* The setter: the last call wins; a refused value changes
	 * nothing; the requested mode is what daemonize_mode says before
	 * the lock, the chosen one after. */
	errno = 0;
	ck_assert_int_eq(daemonize_set_mode(NULL, DAEMONIZE_MODE_FOREGROUND),
	    -1);
	ck_assert_int_eq(errno, EINVAL);
	d = tu_ctx("sup");
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_AUTO);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_BACKGROUND), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_BACKGROUND);
	errno = 0;
	ck_assert_int_eq(daemonize_set_mode(d, 3), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, "mode: mode 3: expected DAEMONIZE_MODE_AUTO");
	errno = 0;
	ck_assert_int_eq(daemonize_set_mode(d, -1), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, "mode -1: expected");
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_BACKGROUND);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	/* DAEMONIZE_MODE=background does not override it */
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "background", 1), 0);
	ck_assert_int_eq(daemonize_lock(d), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_FOREGROUND);
	ck_assert_str_eq(daemonize_supervisor(d, &marker), "forced");
	ck_assert_str_eq(marker, "daemonize_set_mode");
	errno = 0;
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_BACKGROUND), -1);
	ck_assert_int_eq(errno, EBUSY);
	tu_assert_text(d, "mode: configuration cannot change after "
	    "daemonize_lock");
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_FOREGROUND);
	daemonize_free(d);

	/* and the other way: background although the environment asks for
	 * foreground (nothing forks before start) */
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "foreground", 1), 0);
	d = tu_ctx("sup");
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_BACKGROUND), 0);
	ck_assert_int_eq(daemonize_lock(d), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_BACKGROUND);
	ck_assert_str_eq(daemonize_supervisor(d, &marker), "forced");
	ck_assert_str_eq(marker, "daemonize_set_mode");
	daemonize_free(d);
}
END_TEST

START_TEST(test_public_supervisor)
{
	struct daemonize *d;
	const char *marker = "junk";

	tu_clean_slate();
	errno = 0;
	ck_assert_ptr_null(daemonize_supervisor(NULL, &marker));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(marker);

	/* detection on demand, before the lock */
	ck_assert_int_eq(setenv("SUPERVISOR_ENABLED", "1", 1), 0);
	d = tu_ctx("sup");
	ck_assert_str_eq(daemonize_supervisor(d, &marker), "supervisord");
	ck_assert_str_eq(marker, "SUPERVISOR_ENABLED");
	ck_assert_str_eq(daemonize_supervisor(d, NULL), "supervisord");
	/* it did not choose anything: the requested mode is unchanged */
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_AUTO);
	daemonize_free(d);

	ck_assert_int_eq(unsetenv("SUPERVISOR_ENABLED"), 0);
	d = tu_ctx("sup");
	marker = "junk";
	ck_assert_ptr_null(daemonize_supervisor(d, &marker));
	ck_assert_ptr_null(marker);
	daemonize_free(d);

	/* asked before a forced lock: the lock's answer replaces it */
	d = tu_ctx("sup");
	ck_assert_ptr_null(daemonize_supervisor(d, &marker));
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_BACKGROUND), 0);
	ck_assert_int_eq(daemonize_lock(d), 0);
	ck_assert_str_eq(daemonize_supervisor(d, &marker), "forced");
	ck_assert_str_eq(marker, "daemonize_set_mode");
	daemonize_free(d);
}
END_TEST

/* ---- end to end, through tests/helper ------------------------------------ */

/* INVOCATION_ID alone does not suppress the fork. */
START_TEST(test_e2e_hints_fork)
{
	char *dir, *pidfile, *report, *helper;
	char out[4096];
	const char *v;
	pid_t pid;
	int status;

	tu_clean_slate();
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/h.pid", dir);
	report = tu_fmt("%s/report", dir);
	helper = tu_private_helper(dir);
	{
		char *argv[] = { helper, "-p", pidfile, "-R", report, NULL };
		char **env = tu_clean_envv("INVOCATION_ID=0123456789abcdef",
		    "JOURNAL_STREAM=8:1234", NULL);

		status = tu_run_env(argv, env, out, sizeof(out),
		    tu_ms(10000));
	}
	ck_assert_msg(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "helper: status %d: %s", status, out);
	ck_assert_int_eq(tu_wait_report(report, tu_ms(5000)), 0);
	v = tu_report_get(report, "mode");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, tu_fmt("%d", DAEMONIZE_MODE_BACKGROUND));
	ck_assert_str_eq(tu_report_get(report, "supervisor"), "none");
	pid = tu_pidfile_pid(pidfile);
	ck_assert_int_gt(pid, 1);
	ck_assert(tu_alive(pid));
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(tu_wait_gone(pid, tu_ms(5000)), 0);
	ck_assert_int_eq(tu_wait_no_procs(helper, tu_ms(5000)), 0);
	ck_assert(!tu_exists(pidfile));
}
END_TEST

/* Wait for our child's exit; its wait status (asserted in time). */
static int
reap(pid_t pid, const char *what)
{
	int status = tu_child_status(pid, tu_ms(10000));

	if (status == -1) {
		tu_kill(pid);
		ck_abort_msg("%s did not exit", what);
	}
	return status;
}

/* DAEMONIZE_MODE=foreground: no fork, stdio untouched, and the pidfile
 * is still written. */
START_TEST(test_e2e_env_foreground)
{
	char *dir, *pidfile, *report, *helper, *out;
	const char *v;
	pid_t pid;
	int status;

	tu_clean_slate();
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/h.pid", dir);
	report = tu_fmt("%s/report", dir);
	out = tu_fmt("%s/out", dir);
	helper = tu_private_helper(dir);
	{
		char *argv[] = { helper, "-p", pidfile, "-R", report, NULL };
		char **env = tu_clean_envv("DAEMONIZE_MODE=foreground",
		    "INVOCATION_ID=0123456789abcdef", NULL);

		pid = tu_spawn(argv, env, out);
	}
	ck_assert_int_gt(pid, 0);
	if (tu_wait_report(report, tu_ms(5000)) == -1) {
		tu_kill(pid);
		ck_abort_msg("no report");
	}
	v = tu_report_get(report, "pid");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, tu_pidstr(pid));
	ck_assert_str_eq(tu_report_get(report, "mode"),
	    tu_fmt("%d", DAEMONIZE_MODE_FOREGROUND));
	ck_assert_str_eq(tu_report_get(report, "supervisor"), "forced");
	ck_assert_str_eq(tu_report_get(report, "marker"),
	    "DAEMONIZE_MODE=foreground");
	/* stdout still the file the test gave it */
	ck_assert_str_eq(tu_report_get(report, "fd1"), out);
	ck_assert_int_eq(tu_wait_contains(pidfile, "\n", tu_ms(5000)), 0);
	ck_assert_int_eq(tu_pidfile_pid(pidfile), pid);
	ck_assert(tu_lock_held(pidfile));
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	status = reap(pid, "helper");
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert(!tu_exists(pidfile));
}
END_TEST

START_TEST(test_e2e_env_bad)
{
	char *dir, *pidfile, *helper;
	char out[4096];
	int status;

	tu_clean_slate();
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/h.pid", dir);
	helper = tu_private_helper(dir);
	{
		char *argv[] = { helper, "-p", pidfile, NULL };
		char **env = tu_clean_envv("DAEMONIZE_MODE=xyz", NULL);

		status = tu_run_env(argv, env, out, sizeof(out),
		    tu_ms(10000));
	}
	ck_assert(status != -1 && WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	ck_assert_ptr_nonnull(strstr(out, "helper: mode: DAEMONIZE_MODE=xyz: "
	    "expected foreground, background or auto"));
	ck_assert(!tu_exists(pidfile));
	ck_assert_int_eq(tu_wait_no_procs(helper, tu_ms(5000)), 0);
}
END_TEST

/* The helper's mode forced both ways: -d (background) forks although a
 * supervisor is detected, which is still named; -f (foreground) does not
 * fork without any, "forced" by daemonize_set_mode. */
START_TEST(test_e2e_set_mode)
{
	char *dir, *pidfile, *report, *helper, *out;
	char buf[4096];
	pid_t pid;
	int status;

	tu_clean_slate();
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/h.pid", dir);
	report = tu_fmt("%s/report", dir);
	out = tu_fmt("%s/out", dir);
	helper = tu_private_helper(dir);
	{
		char *argv[] = { helper, "-d", "-p", pidfile, "-R", report,
		    NULL };
		char **env = tu_clean_envv("SUPERVISOR_ENABLED=1", NULL);

		status = tu_run_env(argv, env, buf, sizeof(buf),
		    tu_ms(10000));
	}
	ck_assert_msg(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "helper -d: status %d: %s", status, buf);
	ck_assert_int_eq(tu_wait_report(report, tu_ms(5000)), 0);
	pid = tu_pidfile_pid(pidfile);
	ck_assert_int_gt(pid, 1);
	ck_assert_str_eq(tu_report_get(report, "pid"), tu_pidstr(pid));
	ck_assert_str_eq(tu_report_get(report, "mode"),
	    tu_fmt("%d", DAEMONIZE_MODE_BACKGROUND));
	ck_assert_str_eq(tu_report_get(report, "supervisor"), "supervisord");
	ck_assert_str_eq(tu_report_get(report, "marker"), "SUPERVISOR_ENABLED");
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(tu_wait_gone(pid, tu_ms(5000)), 0);
	ck_assert_int_eq(tu_wait_no_procs(helper, tu_ms(5000)), 0);
	ck_assert(!tu_exists(pidfile));
	(void)unlink(report);

	{
		char *argv[] = { helper, "-f", "-p", pidfile, "-R", report,
		    NULL };

		pid = tu_spawn(argv, tu_clean_envv(NULL), out);
	}
	ck_assert_int_gt(pid, 0);
	if (tu_wait_report(report, tu_ms(5000)) == -1) {
		tu_kill(pid);
		ck_abort_msg("helper -f: no report");
	}
	ck_assert_str_eq(tu_report_get(report, "pid"), tu_pidstr(pid));
	ck_assert_str_eq(tu_report_get(report, "mode"),
	    tu_fmt("%d", DAEMONIZE_MODE_FOREGROUND));
	ck_assert_str_eq(tu_report_get(report, "supervisor"), "forced");
	ck_assert_str_eq(tu_report_get(report, "marker"), "daemonize_set_mode");
	/* foreground still applies the pidfile */
	ck_assert_int_eq(tu_pidfile_pid(pidfile), pid);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	status = reap(pid, "helper -f");
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert(!tu_exists(pidfile));
}
END_TEST

/*
 * The tini shape: a minimal init is pid 1 (here a shell in a pid
 * namespace of its own), starts the helper and waits for it.  The helper
 * must see "parent is pid 1", stay in the foreground (a fork would make
 * the init see its child exit and end the container), still apply its
 * pidfile, and exit 0 on SIGTERM, which the init passes on as its own
 * status.  Skipped, saying why, where unshare is refused.
 */
START_TEST(test_e2e_parent_pid1)
{
	char *dir, *pidfile, *report, *helper, *out;
	char buf[8192];
	pid_t init, h;
	int status;

	tu_clean_slate();
	if (!unshare_usable(__func__))
		return;
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/h.pid", dir);
	report = tu_fmt("%s/report", dir);
	out = tu_fmt("%s/out", dir);
	helper = tu_private_helper(dir);
	{
		char *argv[] = { "/usr/bin/unshare", "--pid", "--fork",
		    "--mount-proc", "/bin/sh", "-c", "\"$@\"; exit $?", "sh",
		    helper, "-p", pidfile, "-R", report, NULL };

		init = tu_spawn(argv, tu_clean_envv(NULL), out);
	}
	ck_assert_int_gt(init, 0);
	if (tu_wait_report(report, tu_ms(10000)) == -1) {
		tu_kill(init);
		(void)tu_read_file(out, buf, sizeof(buf));
		ck_abort_msg("no report from the helper under a fake init: %s",
		    buf);
	}
	ck_assert_str_eq(tu_report_get(report, "ppid"), "1");
	ck_assert_str_eq(tu_report_get(report, "mode"),
	    tu_fmt("%d", DAEMONIZE_MODE_FOREGROUND));
	ck_assert_str_eq(tu_report_get(report, "supervisor"), "init");
	ck_assert_str_eq(tu_report_get(report, "marker"), "parent is pid 1");
	/* It did not fork: the process the init started is the one that
	 * runs, and its (namespace) pid is in the pidfile. */
	h = tu_pid_with_arg(helper);
	ck_assert_int_gt(h, 1);
	ck_assert_str_eq(tu_report_get(report, "pid"),
	    tu_fmt("%ld", tu_inner_pid(h)));
	ck_assert_int_eq(tu_pidfile_pid(pidfile), tu_inner_pid(h));
	ck_assert(tu_lock_held(pidfile));
	ck_assert(tu_alive(init));
	ck_assert_int_eq(kill(h, SIGTERM), 0);
	status = reap(init, "the fake init");
	(void)tu_read_file(out, buf, sizeof(buf));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "init: status %#x: %s", status, buf);
	ck_assert_ptr_nonnull(strstr(buf, "term"));
	ck_assert(!tu_exists(pidfile));
	ck_assert_int_eq(tu_wait_no_procs(helper, tu_ms(5000)), 0);
}
END_TEST

static Suite *
supervisor_suite(void)
{
	Suite *s = suite_create("supervisor");
	TCase *tc;

	tc = tcase_create("detect");
	tcase_set_timeout(tc, 60 * (tu_ms(1000) / 1000));
	tcase_add_test(tc, test_none);
	tcase_add_test(tc, test_hints_only);
	tcase_add_loop_test(tc, test_pid_marker, 0,
	    (int)(sizeof(pid_markers) / sizeof(pid_markers[0])));
	tcase_add_test(tc, test_notify_socket_marker);
	tcase_add_test(tc, test_supervisord_marker);
	tcase_add_test(tc, test_stdin_socket_marker);
	tcase_add_test(tc, test_xpc_not_launchd);
	tcase_add_test(tc, test_xpc_launchd);
	tcase_add_test(tc, test_pid1);
	tcase_add_test(tc, test_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("mode");
	tcase_set_timeout(tc, 60 * (tu_ms(1000) / 1000));
	tcase_add_test(tc, test_env_mode);
	tcase_add_test(tc, test_env_mode_bad);
	tcase_add_test(tc, test_set_mode);
	tcase_add_test(tc, test_public_supervisor);
	tcase_add_test(tc, test_listen_before_start);
	suite_add_tcase(s, tc);

	tc = tcase_create("end to end");
	tcase_set_timeout(tc, 60 * (tu_ms(1000) / 1000));
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_e2e_hints_fork);
	tcase_add_test(tc, test_e2e_env_foreground);
	tcase_add_test(tc, test_e2e_env_bad);
	tcase_add_test(tc, test_e2e_set_mode);
	tcase_add_test(tc, test_e2e_parent_pid1);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(supervisor_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/*
 * check_supervisor.c - supervisor detection and the choice of mode.
 *
 * Check runs each test in its own forked process, so a test may set
 * environment variables and replace stdin freely.
 */
#include "internal.h"

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

static struct daemonize *
detect(void)
{
	struct daemonize *d = daemonize_new("sup");

	ck_assert_ptr_nonnull(d);
	dz_supervisor_detect(d);
	ck_assert(d->detected);
	return d;
}

static void
assert_detect(const char *supervisor, const char *marker)
{
	struct daemonize *d = detect();

	if (supervisor == NULL) {
		ck_assert_ptr_null(d->supervisor);
		ck_assert_ptr_null(d->marker);
	} else {
		ck_assert_ptr_nonnull(d->supervisor);
		ck_assert_str_eq(d->supervisor, supervisor);
		ck_assert_str_eq(d->marker, marker);
	}
	/* and the mode that follows from it */
	ck_assert_int_eq(dz_mode_choose(d), 0);
	ck_assert_int_eq(d->mode, supervisor == NULL ?
	    DAEMONIZE_MODE_BACKGROUND : DAEMONIZE_MODE_SUPERVISED);
	daemonize_free(d);
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
	struct daemonize *d;
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
			(void)write(p[1], "skip", 4);
			_exit(0);
		}
		(void)setenv("XPC_SERVICE_NAME", "com.example.sup", 1);
		d = daemonize_new("sup");
		dz_supervisor_detect(d);
		snprintf(buf, sizeof(buf), "%s %s",
		    d->supervisor ? d->supervisor : "none",
		    d->marker ? d->marker : "none");
		(void)write(p[1], buf, strlen(buf));
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

/* pid 1 in a fresh pid namespace (root only; skipped where unshare is
 * refused). */
START_TEST(test_pid1)
{
#ifdef CLONE_NEWPID
	struct daemonize *d;
	int status;
	pid_t pid;

	tu_clean_slate();
	if (unshare(CLONE_NEWPID) == -1) {
		fprintf(stderr, "test_pid1: unshare: %s: skipped\n",
		    strerror(errno));
		return;
	}
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (getpid() != 1)
			_exit(10);
		/* the strongest marker wins over everything below it */
		(void)setenv("SUPERVISOR_ENABLED", "1", 1);
		d = daemonize_new("sup");
		if (dz_mode_choose(d) != 0)
			_exit(11);
		if (d->supervisor == NULL ||
		    strcmp(d->supervisor, "container") != 0 ||
		    strcmp(d->marker, "pid 1") != 0)
			_exit(12);
		_exit(d->mode == DAEMONIZE_MODE_SUPERVISED ? 0 : 13);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
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

/* A caller that asks for its sockets before start consumes LISTEN_PID;
 * the decision must still see it (Type=simple with a socket unit sets no
 * NOTIFY_SOCKET, so nothing else would stop the fork). */
START_TEST(test_listen_before_start)
{
	struct daemonize *d;
	const char *marker;

	tu_clean_slate();
	ck_assert_int_eq(setenv("LISTEN_PID", tu_pidstr(getpid()), 1), 0);
	ck_assert_int_eq(setenv("LISTEN_FDS", "0", 1), 0);
	d = daemonize_new("sup");
	ck_assert_int_eq(daemonize_listen_fds(d, NULL, NULL), 0);
	ck_assert_ptr_null(getenv("LISTEN_PID"));
	ck_assert_int_eq(dz_mode_choose(d), 0);
	ck_assert_int_eq(d->mode, DAEMONIZE_MODE_SUPERVISED);
	ck_assert_str_eq(daemonize_supervisor(d, &marker), "systemd");
	ck_assert_str_eq(marker, "LISTEN_PID");
	daemonize_free(d);

	/* someone else's LISTEN_PID decides nothing */
	ck_assert_int_eq(setenv("LISTEN_PID", otherpid(), 1), 0);
	d = daemonize_new("sup");
	ck_assert_int_eq(daemonize_listen_fds(d, NULL, NULL), 0);
	ck_assert_int_eq(dz_mode_choose(d), 0);
	ck_assert_int_eq(d->mode, DAEMONIZE_MODE_BACKGROUND);
	ck_assert_ptr_null(daemonize_supervisor(d, NULL));
	daemonize_free(d);
}
END_TEST

/* ---- mode ---------------------------------------------------------------- */

static struct daemonize *
choose(unsigned int flags, int expect_mode, const char *supervisor,
    const char *marker)
{
	struct daemonize *d = daemonize_new("sup");

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemonize_set_flags(d, flags), 0);
	ck_assert_int_eq(dz_mode_choose(d), 0);
	ck_assert_int_eq(d->mode, expect_mode);
	if (supervisor == NULL) {
		ck_assert_ptr_null(d->supervisor);
	} else {
		ck_assert_ptr_nonnull(d->supervisor);
		ck_assert_str_eq(d->supervisor, supervisor);
		ck_assert_str_eq(d->marker, marker);
	}
	return d;
}

START_TEST(test_env_mode)
{
	tu_clean_slate();
	/* foreground means "never detach", not the debug mode */
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "foreground", 1), 0);
	daemonize_free(choose(0, DAEMONIZE_MODE_SUPERVISED, "forced",
	    "DAEMONIZE_MODE=foreground"));
	/* background wins over a detected supervisor */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "/run/x", 1), 0);
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "background", 1), 0);
	daemonize_free(choose(0, DAEMONIZE_MODE_BACKGROUND, "forced",
	    "DAEMONIZE_MODE=background"));
	/* auto, empty and unset detect */
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "auto", 1), 0);
	daemonize_free(choose(0, DAEMONIZE_MODE_SUPERVISED, "systemd",
	    "NOTIFY_SOCKET"));
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "", 1), 0);
	daemonize_free(choose(0, DAEMONIZE_MODE_SUPERVISED, "systemd",
	    "NOTIFY_SOCKET"));
	ck_assert_int_eq(unsetenv("NOTIFY_SOCKET"), 0);
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "auto", 1), 0);
	daemonize_free(choose(0, DAEMONIZE_MODE_BACKGROUND, NULL, NULL));
}
END_TEST

START_TEST(test_env_mode_bad)
{
	static const char *const bad[] = { "xyz", "Foreground", "auto ",
	    " background", "1" };
	struct daemonize *d;
	size_t i;

	tu_clean_slate();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(setenv("DAEMONIZE_MODE", bad[i], 1), 0);
		d = daemonize_new("sup");
		errno = 0;
		ck_assert_int_eq(dz_mode_choose(d), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_ptr_nonnull(strstr(daemonize_error(d), tu_fmt(
		    "mode: DAEMONIZE_MODE=%s: expected foreground, background "
		    "or auto", bad[i])));
		ck_assert_int_eq(d->mode, DAEMONIZE_MODE_NONE);
		daemonize_free(d);
	}
	/* and start says the same, leaving nothing started */
	d = daemonize_new("sup");
	ck_assert_int_eq(daemonize_start(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(daemonize_error(d),
	    "DAEMONIZE_MODE=1: expected"));
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_NONE);
	daemonize_free(d);
}
END_TEST

/* Flags beat the environment, which beats detection. */
START_TEST(test_flags)
{
	struct daemonize *d;

	tu_clean_slate();
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "/run/x", 1), 0);
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "foreground", 1), 0);
	daemonize_free(choose(DAEMONIZE_DETACH, DAEMONIZE_MODE_BACKGROUND,
	    "forced", "DAEMONIZE_DETACH"));
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "background", 1), 0);
	daemonize_free(choose(DAEMONIZE_NO_DETACH, DAEMONIZE_MODE_SUPERVISED,
	    "forced", "DAEMONIZE_NO_DETACH"));
	/* even a bad DAEMONIZE_MODE is not looked at under a flag */
	ck_assert_int_eq(setenv("DAEMONIZE_MODE", "xyz", 1), 0);
	daemonize_free(choose(DAEMONIZE_NO_DETACH, DAEMONIZE_MODE_SUPERVISED,
	    "forced", "DAEMONIZE_NO_DETACH"));
	/* debug mode still reports what it found */
	d = choose(DAEMONIZE_FOREGROUND, DAEMONIZE_MODE_FOREGROUND, "systemd",
	    "NOTIFY_SOCKET");
	daemonize_free(d);
	d = choose(DAEMONIZE_FOREGROUND | DAEMONIZE_NO_DETACH,
	    DAEMONIZE_MODE_FOREGROUND, "systemd", "NOTIFY_SOCKET");
	daemonize_free(d);
	ck_assert_int_eq(unsetenv("NOTIFY_SOCKET"), 0);
	d = choose(DAEMONIZE_FOREGROUND, DAEMONIZE_MODE_FOREGROUND, NULL, NULL);
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

	/* detection on demand, before start */
	ck_assert_int_eq(setenv("SUPERVISOR_ENABLED", "1", 1), 0);
	d = daemonize_new("sup");
	ck_assert(!d->detected);
	ck_assert_str_eq(daemonize_supervisor(d, &marker), "supervisord");
	ck_assert_str_eq(marker, "SUPERVISOR_ENABLED");
	ck_assert_str_eq(daemonize_supervisor(d, NULL), "supervisord");
	daemonize_free(d);

	ck_assert_int_eq(unsetenv("SUPERVISOR_ENABLED"), 0);
	d = daemonize_new("sup");
	marker = "junk";
	ck_assert_ptr_null(daemonize_supervisor(d, &marker));
	ck_assert_ptr_null(marker);
	daemonize_free(d);

	d = daemonize_new("sup");
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_DETACH), 0);
	ck_assert_int_eq(dz_mode_choose(d), 0);
	ck_assert_str_eq(daemonize_supervisor(d, &marker), "forced");
	ck_assert_str_eq(marker, "DAEMONIZE_DETACH");
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
		char *env[] = { "INVOCATION_ID=0123456789abcdef",
		    "JOURNAL_STREAM=8:1234", NULL };

		status = tu_run_env(argv, env, out, sizeof(out), 10000);
	}
	ck_assert_msg(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "helper: status %d: %s", status, out);
	ck_assert_int_eq(tu_wait_report(report, 5000), 0);
	v = tu_report_get(report, "mode");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, tu_fmt("%d", DAEMONIZE_MODE_BACKGROUND));
	pid = tu_pidfile_pid(pidfile);
	ck_assert_int_gt(pid, 1);
	ck_assert(tu_alive(pid));
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(tu_wait_gone(pid, 5000), 0);
	ck_assert_int_eq(tu_count_procs(helper), 0);
}
END_TEST

/* DAEMONIZE_MODE=foreground: no fork, but the pidfile is still written. */
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
		char *env[] = { "DAEMONIZE_MODE=foreground",
		    "INVOCATION_ID=0123456789abcdef", NULL };

		pid = tu_spawn(argv, env, out);
	}
	ck_assert_int_gt(pid, 0);
	if (tu_wait_report(report, 5000) == -1) {
		tu_kill(pid);
		ck_abort_msg("no report");
	}
	v = tu_report_get(report, "pid");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, tu_pidstr(pid));
	ck_assert_str_eq(tu_report_get(report, "mode"),
	    tu_fmt("%d", DAEMONIZE_MODE_SUPERVISED));
	ck_assert_str_eq(tu_report_get(report, "supervisor"), "forced");
	ck_assert_str_eq(tu_report_get(report, "marker"),
	    "DAEMONIZE_MODE=foreground");
	ck_assert_int_eq(tu_wait_contains(pidfile, "\n", 5000), 0);
	ck_assert_int_eq(tu_pidfile_pid(pidfile), pid);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(tu_wait_gone(pid, 5000), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(access(pidfile, F_OK), -1);
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
		char *env[] = { "DAEMONIZE_MODE=xyz", NULL };

		status = tu_run_env(argv, env, out, sizeof(out), 10000);
	}
	ck_assert(status != -1 && WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	ck_assert_ptr_nonnull(strstr(out, "helper: mode: DAEMONIZE_MODE=xyz: "
	    "expected foreground, background or auto"));
	ck_assert_int_eq(access(pidfile, F_OK), -1);
	ck_assert_int_eq(tu_count_procs(helper), 0);
}
END_TEST

static Suite *
supervisor_suite(void)
{
	Suite *s = suite_create("supervisor");
	TCase *tc;

	tc = tcase_create("detect");
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
	tcase_add_test(tc, test_env_mode);
	tcase_add_test(tc, test_env_mode_bad);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_public_supervisor);
	tcase_add_test(tc, test_listen_before_start);
	suite_add_tcase(s, tc);

	tc = tcase_create("end to end");
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_e2e_hints_fork);
	tcase_add_test(tc, test_e2e_env_foreground);
	tcase_add_test(tc, test_e2e_env_bad);
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

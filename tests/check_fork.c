/*
 * check_fork.c - background start end to end: the double fork, the status
 * pipe handshake and what a person would check afterwards (pid in the
 * file, lock held, session, terminal, cwd, umask, the exit status and
 * message of the command that started the daemon).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemonize.h"
#include "testutil.h"

#define RUN_MS 20000

struct started {
	char *dir, *pidfile, *report, *helper;
	pid_t pid;
	int status;
	char out[4096];
};

/* Run the helper with the given extra arguments plus -p and -R. */
static void
run_helper(struct started *s, const char *a1, const char *a2,
    const char *a3, const char *a4)
{
	char *argv[16];
	int n = 0;

	s->dir = tu_tmpdir();
	s->pidfile = tu_fmt("%s/d.pid", s->dir);
	s->report = tu_fmt("%s/report", s->dir);
	s->helper = tu_private_helper(s->dir);
	argv[n++] = s->helper;
	argv[n++] = "-p";
	argv[n++] = s->pidfile;
	argv[n++] = "-R";
	argv[n++] = s->report;
	if (a1) argv[n++] = (char *)a1;
	if (a2) argv[n++] = (char *)a2;
	if (a3) argv[n++] = (char *)a3;
	if (a4) argv[n++] = (char *)a4;
	argv[n] = NULL;
	s->status = tu_run(argv, s->out, sizeof(s->out), RUN_MS);
	s->pid = -1;
	if (tu_wait_report(s->report, 2000) == 0)
		s->pid = atol(tu_report_get(s->report, "pid"));
}

static void
stop_daemon(struct started *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		ck_assert_int_eq(tu_wait_gone(s->pid, 10000), 0);
	}
}

static long
report_long(struct started *s, const char *key)
{
	const char *v = tu_report_get(s->report, key);

	ck_assert_msg(v != NULL, "report has no %s", key);
	return atol(v);
}

START_TEST(test_background_ready)
{
	struct started s;

	run_helper(&s, NULL, NULL, NULL, NULL);
	ck_assert_msg(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0,
	    "status %d, output: %s", s.status, s.out);
	ck_assert_str_eq(s.out, "");
	ck_assert_int_gt(s.pid, 1);
	/* The command has exited, and the pidfile already names the live,
	 * ready daemon and is locked. */
	ck_assert(tu_alive(s.pid));
	ck_assert_int_eq(tu_pidfile_pid(s.pidfile), s.pid);
	ck_assert(tu_lock_held(s.pidfile));
	/* Double fork: a new session whose leader (the middle child) is
	 * gone, so the daemon is not its leader; no controlling terminal. */
	ck_assert_int_ne(report_long(&s, "sid"), s.pid);
	ck_assert_int_eq(report_long(&s, "pgid"), report_long(&s, "sid"));
	ck_assert_int_ne(report_long(&s, "sid"), getsid(0));
	ck_assert_int_eq(report_long(&s, "tty"), 0);
	ck_assert_str_eq(tu_report_get(s.report, "cwd"), "/");
	ck_assert_str_eq(tu_report_get(s.report, "umask"), "022");
	ck_assert_str_eq(tu_report_get(s.report, "fd0"), "/dev/null");
	ck_assert_str_eq(tu_report_get(s.report, "fd1"), "/dev/null");
	ck_assert_str_eq(tu_report_get(s.report, "fd2"), "/dev/null");
	ck_assert_int_eq(report_long(&s, "mode"), DAEMONIZE_MODE_BACKGROUND);
	stop_daemon(&s);
	/* A clean stop removes the pidfile. */
	ck_assert_int_eq(access(s.pidfile, F_OK), -1);
}
END_TEST

START_TEST(test_workdir_umask)
{
	struct started s;
	char *wd = tu_tmpdir();

	run_helper(&s, "-w", wd, "-m", "027");
	ck_assert_msg(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0,
	    "output: %s", s.out);
	ck_assert_str_eq(tu_report_get(s.report, "cwd"), wd);
	ck_assert_str_eq(tu_report_get(s.report, "umask"), "027");
	stop_daemon(&s);
}
END_TEST

START_TEST(test_second_instance)
{
	struct started s;
	char out[4096], want[128];
	char *argv[] = { NULL, "-p", NULL, NULL };
	int st;

	run_helper(&s, NULL, NULL, NULL, NULL);
	ck_assert_int_gt(s.pid, 1);
	argv[0] = s.helper;
	argv[2] = s.pidfile;
	st = tu_run(argv, out, sizeof(out), RUN_MS);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	snprintf(want, sizeof(want), "already running, pid %ld",
	    (long)s.pid);
	ck_assert_msg(strstr(out, want) != NULL, "output: %s", out);
	ck_assert_msg(strstr(out, s.pidfile) != NULL, "output: %s", out);
	/* The first one is untouched. */
	ck_assert(tu_alive(s.pid));
	ck_assert_int_eq(tu_pidfile_pid(s.pidfile), s.pid);
	ck_assert(tu_lock_held(s.pidfile));
	stop_daemon(&s);
}
END_TEST

/* After a failed start: no daemon, no lock, no pidfile. */
static void
assert_nothing_left(struct started *s)
{
	if (s->pid > 0)
		ck_assert_int_eq(tu_wait_gone(s->pid, 5000), 0);
	ck_assert(!tu_lock_held(s->pidfile));
	ck_assert_msg(access(s->pidfile, F_OK) == -1 && errno == ENOENT,
	    "pidfile %s left behind", s->pidfile);
}

START_TEST(test_daemon_fail)
{
	struct started s;

	run_helper(&s, "-a", "fail", NULL, NULL);
	ck_assert(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 1);
	ck_assert_str_eq(s.out, tu_fmt("helper: cannot bind port 80: %s\n",
	    tu_strerror(EADDRINUSE)));
	assert_nothing_left(&s);
}
END_TEST

START_TEST(test_daemon_exit_before_ready)
{
	struct started s;
	char want[128];

	/* A 60 s timeout: the death must be reported at once through the
	 * pipe's EOF, not when the timeout passes (tu_run gives up at 20 s). */
	run_helper(&s, "-a", "exit", "-t", "60000");
	ck_assert_msg(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 1,
	    "status %d output %s", s.status, s.out);
	ck_assert_int_gt(s.pid, 1);
	snprintf(want, sizeof(want), "helper: start: daemon (pid %ld) exited "
	    "with status 3 before it was ready\n", (long)s.pid);
	ck_assert_str_eq(s.out, want);
	assert_nothing_left(&s);
}
END_TEST

START_TEST(test_daemon_crash_before_ready)
{
	struct started s;
	char want[160];

	run_helper(&s, "-a", "crash", "-t", "60000");
	ck_assert(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 1);
	snprintf(want, sizeof(want), "helper: start: daemon (pid %ld) was "
	    "killed by signal %d (%s) before it was ready\n", (long)s.pid,
	    SIGSEGV, strsignal(SIGSEGV));
	ck_assert_str_eq(s.out, want);
	assert_nothing_left(&s);
}
END_TEST

START_TEST(test_timeout)
{
	struct started s;
	char want[128];

	run_helper(&s, "-a", "hang", "-t", "200");
	ck_assert(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 1);
	ck_assert_int_gt(s.pid, 1);
	snprintf(want, sizeof(want), "daemon (pid %ld) not ready after "
	    "200 ms; it was left running", (long)s.pid);
	ck_assert_msg(strstr(s.out, want) != NULL, "output: %s", s.out);
	ck_assert_msg(strstr(s.out, tu_strerror(ETIMEDOUT)) != NULL, "%s",
	    s.out);
	/* Left running, still holding its pidfile. */
	ck_assert(tu_alive(s.pid));
	ck_assert(tu_lock_held(s.pidfile));
	tu_kill(s.pid);
}
END_TEST

START_TEST(test_slow_but_within_timeout)
{
	struct started s;

	run_helper(&s, "-a", "sleep", "-t", "10000");
	ck_assert_msg(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0,
	    "output: %s", s.out);
	ck_assert(tu_alive(s.pid));
	stop_daemon(&s);
}
END_TEST

START_TEST(test_foreground_changes_nothing)
{
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/f.pid", dir);
	char *report = tu_fmt("%s/report", dir);
	char *out = tu_fmt("%s/out", dir);
	char *argv[] = { tu_private_helper(dir), "-f", "-p", pidfile, "-R",
	    report, "-m", "077", NULL };
	char cwd[4096];
	pid_t pid;
	int st;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	pid = tu_spawn(argv, NULL, out);
	ck_assert_int_eq(tu_wait_report(report, 10000), 0);
	/* Same process, same session, same cwd and umask, stdio untouched,
	 * and no pidfile even though one was configured. */
	ck_assert_int_eq(atol(tu_report_get(report, "pid")), pid);
	ck_assert_int_eq(atol(tu_report_get(report, "sid")), getsid(0));
	ck_assert_str_eq(tu_report_get(report, "cwd"), cwd);
	ck_assert_str_eq(tu_report_get(report, "umask"), "022");
	ck_assert_str_eq(tu_report_get(report, "fd1"), out);
	ck_assert_int_eq(atol(tu_report_get(report, "mode")),
	    DAEMONIZE_MODE_FOREGROUND);
	ck_assert_int_eq(access(pidfile, F_OK), -1);
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(tu_wait_contains(out, "term\n", 5000), 0);
}
END_TEST

/* In-process: this test process is the original process. */
START_TEST(test_inprocess_parent_state)
{
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/p.pid", dir);
	sigset_t before, after;
	struct daemonize *d;
	int r;

	sigemptyset(&before);
	sigaddset(&before, SIGUSR2);
	ck_assert_int_eq(sigprocmask(SIG_SETMASK, &before, NULL), 0);
	d = daemonize_new("t");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	r = daemonize_start(d);
	if (r == 0) {
		/* The daemon: ready, then leave at once. */
		daemonize_ready(d);
		_exit(0);
	}
	ck_assert_int_eq(r, DAEMONIZE_PARENT);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_BACKGROUND);
	/* Our signal mask is as it was: the handled signals were blocked
	 * only across the fork. */
	ck_assert_int_eq(sigprocmask(SIG_SETMASK, NULL, &after), 0);
	ck_assert(sigismember(&after, SIGUSR2));
	ck_assert(!sigismember(&after, SIGTERM));
	ck_assert(!sigismember(&after, SIGHUP));
	/* The original process may not claim readiness or fail. */
	ck_assert_int_eq(daemonize_ready(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Freeing in the original process never removes the daemon's file:
	 * it may still be running.  (This one exits right after ready.) */
	daemonize_free(d);
	ck_assert_int_eq(access(pidfile, F_OK), 0);
}
END_TEST

START_TEST(test_inprocess_fail_errno)
{
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/p.pid", dir);
	struct daemonize *d = daemonize_new("t");
	int r;

	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	r = daemonize_start(d);
	if (r == 0) {
		daemonize_fail(d, ENOSPC, "cannot write %s", "/var/db/x");
		daemonize_free(d);
		_exit(1);
	}
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_str_eq(daemonize_error(d), "cannot write /var/db/x: "
	    "No space left on device");
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_NONE);
	ck_assert_int_eq(access(pidfile, F_OK), -1);
	daemonize_free(d);
}
END_TEST

START_TEST(test_inprocess_timeout_errno)
{
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/p.pid", dir);
	struct daemonize *d = daemonize_new("t");
	char want[96];
	pid_t pid;
	int r;

	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_set_timeout(d, 100), 0);
	r = daemonize_start(d);
	if (r == 0) {
		sleep(30);	/* never ready; killed by the test */
		_exit(0);
	}
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	pid = tu_pidfile_pid(pidfile);
	ck_assert_int_gt(pid, 1);
	snprintf(want, sizeof(want), "start: daemon (pid %ld) not ready "
	    "after 100 ms", (long)pid);
	ck_assert_msg(strncmp(daemonize_error(d), want, strlen(want)) == 0,
	    "%s", daemonize_error(d));
	/* On a timeout the daemon keeps its pidfile: it is still running. */
	daemonize_free(d);
	ck_assert(tu_lock_held(pidfile));
	tu_kill(pid);
}
END_TEST

START_TEST(test_start_bad_pidfile_dir)
{
	struct daemonize *d = daemonize_new("t");

	ck_assert_int_eq(daemonize_set_pidfile(d, "/nonexistent-dir/x.pid"),
	    0);
	ck_assert_int_eq(daemonize_start(d), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_msg(strstr(daemonize_error(d), "pidfile") != NULL &&
	    strstr(daemonize_error(d), "/nonexistent-dir/x.pid") != NULL,
	    "%s", daemonize_error(d));
	/* Nothing was forked: no child of ours exists. */
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	daemonize_free(d);
}
END_TEST

/* Ctrl-C reaches the command while it waits for a daemon that is slow to
 * become ready (the handled signals are blocked only across the fork). */
START_TEST(test_sigint_while_waiting)
{
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/d.pid", dir);
	char *report = tu_fmt("%s/report", dir);
	char *argv[] = { tu_private_helper(dir), "-p", pidfile, "-R", report,
	    "-a", "hang", NULL };
	pid_t orig, daemon;
	int st;

	orig = tu_spawn(argv, NULL, NULL);
	ck_assert_int_eq(tu_wait_report(report, 10000), 0);
	daemon = atol(tu_report_get(report, "pid"));
	kill(orig, SIGINT);
	ck_assert_int_eq(tu_wait_child(orig, 10000, &st), 0);
	tu_kill(daemon);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT,
	    "status %#x", st);
}
END_TEST

/* A worker forked before ready holds a copy of the status pipe: the
 * daemon's death is still reported, not after the worker ends (30 s). */
START_TEST(test_worker_holds_pipe)
{
	struct started s;
	char want[160];

	run_helper(&s, "-a", "forkworker", NULL, NULL);
	ck_assert_msg(s.status != -1, "the command hung while the worker "
	    "lived: %s", s.out);
	ck_assert(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 1);
	snprintf(want, sizeof(want), "daemon (pid %ld) was killed by signal "
	    "%d (%s) before it was ready", (long)s.pid, SIGABRT,
	    strsignal(SIGABRT));
	ck_assert_msg(strstr(s.out, want) != NULL, "output: %s", s.out);
	assert_nothing_left(&s);
}
END_TEST

/* A daemon that fails but does not exit keeps its pidfile and lock: the
 * original process must not delete a live daemon's file. */
START_TEST(test_fail_but_no_exit)
{
	struct started s;
	char want[96];

	run_helper(&s, "-a", "failcarry", NULL, NULL);
	ck_assert(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 1);
	snprintf(want, sizeof(want), "(daemon pid %ld did not exit; it was "
	    "left running)", (long)s.pid);
	ck_assert_msg(strstr(s.out, "cannot bind port 80") != NULL &&
	    strstr(s.out, want) != NULL, "output: %s", s.out);
	ck_assert(tu_alive(s.pid));
	ck_assert(tu_lock_held(s.pidfile));
	ck_assert_int_eq(tu_pidfile_pid(s.pidfile), s.pid);
	tu_kill(s.pid);
}
END_TEST

/* The daemon's reason survives a message longer than a status record. */
START_TEST(test_long_message_keeps_reason)
{
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/p.pid", dir);
	struct daemonize *d = daemonize_new("t");
	char path[700];
	const char *e;
	int r;

	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	r = daemonize_start(d);
	if (r == 0) {
		daemonize_fail(d, EACCES, "cannot open /%s", path);
		daemonize_free(d);
		_exit(1);
	}
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, EACCES);
	e = daemonize_error(d);
	ck_assert_msg(strncmp(e, "cannot open /xxx", 16) == 0, "%s", e);
	ck_assert_msg(strstr(e, "...") != NULL, "%s", e);
	ck_assert_msg(strstr(e, tu_fmt(": %s", strerror(EACCES))) != NULL &&
	    strcmp(e + strlen(e) - strlen(strerror(EACCES)),
	    strerror(EACCES)) == 0, "%s", e);
	daemonize_free(d);
}
END_TEST

/* A daemon ready after the original process gave up is still ready. */
START_TEST(test_ready_after_timeout_succeeds)
{
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/p.pid", dir);
	char *result = tu_fmt("%s/result", dir);
	struct daemonize *d = daemonize_new("t");
	pid_t pid;
	int r;

	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_set_timeout(d, 100), 0);
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_KEEP_SIGPIPE), 0);
	r = daemonize_start(d);
	if (r == 0) {
		FILE *f;

		usleep(600 * 1000);
		r = daemonize_ready(d);
		if ((f = fopen(result, "w")) != NULL) {
			fprintf(f, "ready=%d errno=%d\n", r, r ? errno : 0);
			fclose(f);
		}
		daemonize_free(d);
		_exit(0);
	}
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	pid = tu_pidfile_pid(pidfile);
	daemonize_free(d);
	ck_assert_int_eq(tu_wait_contains(result, "\n", 10000), 0);
	ck_assert_int_eq(tu_wait_contains(result, "ready=0 errno=0", 100), 0);
	ck_assert_int_eq(tu_wait_gone(pid, 5000), 0);
}
END_TEST

/* A caller that ignores SIGCHLD (auto-reaping) still gets the daemon's
 * exit status, and its disposition is back afterwards. */
START_TEST(test_sigchld_ignored_by_caller)
{
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/p.pid", dir);
	struct daemonize *d = daemonize_new("t");
	struct sigaction sa;
	int r;

	/* ==, not ck_assert_ptr_ne: ISO C cannot pass a function pointer
	 * as void * (-std=c99 -pedantic, scripts/portability.sh). */
	ck_assert(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	r = daemonize_start(d);
	if (r == 0)
		_exit(7);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_msg(strstr(daemonize_error(d), "exited with status 7 "
	    "before it was ready") != NULL, "%s", daemonize_error(d));
	ck_assert_int_eq(sigaction(SIGCHLD, NULL, &sa), 0);
	ck_assert(sa.sa_handler == SIG_IGN);
	daemonize_free(d);
}
END_TEST

static Suite *
fork_suite(void)
{
	Suite *s = suite_create("fork");
	TCase *tc = tcase_create("background");

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_background_ready);
	tcase_add_test(tc, test_workdir_umask);
	tcase_add_test(tc, test_second_instance);
	tcase_add_test(tc, test_daemon_fail);
	tcase_add_test(tc, test_daemon_exit_before_ready);
	tcase_add_test(tc, test_daemon_crash_before_ready);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_slow_but_within_timeout);
	tcase_add_test(tc, test_foreground_changes_nothing);
	tcase_add_test(tc, test_inprocess_parent_state);
	tcase_add_test(tc, test_inprocess_fail_errno);
	tcase_add_test(tc, test_inprocess_timeout_errno);
	tcase_add_test(tc, test_start_bad_pidfile_dir);
	tcase_add_test(tc, test_sigint_while_waiting);
	tcase_add_test(tc, test_worker_holds_pipe);
	tcase_add_test(tc, test_fail_but_no_exit);
	tcase_add_test(tc, test_long_message_keeps_reason);
	tcase_add_test(tc, test_ready_after_timeout_succeeds);
	tcase_add_test(tc, test_sigchld_ignored_by_caller);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fork_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

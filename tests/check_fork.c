/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * check_fork.c - background start end to end: the double fork, the status
 * pipe handshake and what a person would check afterwards (pid in the
 * file, lock held, session, terminal, cwd, umask, the exit status and
 * message of the command that started the daemon), and that a failed
 * start leaves nothing behind: no process, no zombie, no lock, no file.
 */
#include "config.h"

#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
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
	s->status = tu_run_env(argv, tu_clean_envv(NULL), s->out,
	    sizeof(s->out), tu_ms(RUN_MS));
	s->pid = -1;
	/* The report is written after ready (or before a failing action):
	 * it may come just after the command returned. */
	if (tu_wait_report(s->report, tu_ms(2000)) == 0)
		s->pid = atol(tu_report_get(s->report, "pid"));
}

static void
stop_daemon(struct started *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		ck_assert_int_eq(tu_wait_gone(s->pid, tu_ms(10000)), 0);
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
	/* After ready: all three on /dev/null. */
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
	st = tu_run(argv, out, sizeof(out), tu_ms(RUN_MS));
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
assert_nothing_left_but(struct started *s, int workers)
{
	if (s->pid > 0)
		ck_assert_int_eq(tu_wait_gone(s->pid, tu_ms(5000)), 0);
	/* The daemon is gone; only the workers it forked may remain (they
	 * may also have ended by now). */
	if (workers == 0)
		ck_assert_int_eq(tu_wait_no_procs(s->helper, tu_ms(5000)), 0);
	else
		ck_assert_int_le(tu_count_procs(s->helper), workers);
	ck_assert(!tu_lock_held(s->pidfile));
	ck_assert_msg(access(s->pidfile, F_OK) == -1 && errno == ENOENT,
	    "pidfile %s left behind", s->pidfile);
}

static void
assert_nothing_left(struct started *s)
{
	assert_nothing_left_but(s, 0);
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

	/* 200 ms, scaled: the daemon must have been forked (its pid known)
	 * by then, also under valgrind. */
	run_helper(&s, "-a", "hang", "-t", tu_fmt("%d", tu_ms(200)));
	ck_assert(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 1);
	ck_assert_int_gt(s.pid, 1);
	snprintf(want, sizeof(want), "daemon (pid %ld) not ready after "
	    "%d ms; it was left running", (long)s.pid, tu_ms(200));
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

	run_helper(&s, "-a", "sleep", "-t", tu_fmt("%d", tu_ms(10000)));
	ck_assert_msg(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0,
	    "output: %s", s.out);
	ck_assert(tu_alive(s.pid));
	stop_daemon(&s);
}
END_TEST

/* Foreground: same process, session and stdio, but the configured steps
 * (pidfile, umask) are applied (0.1's -f skipped them). */
START_TEST(test_foreground_applies_steps)
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
	pid = tu_spawn(argv, tu_clean_envv(NULL), out);
	ck_assert_int_eq(tu_wait_report(report, tu_ms(10000)), 0);
	ck_assert_int_eq(atol(tu_report_get(report, "pid")), pid);
	ck_assert_int_eq(atol(tu_report_get(report, "sid")), getsid(0));
	ck_assert_str_eq(tu_report_get(report, "cwd"), cwd);
	ck_assert_str_eq(tu_report_get(report, "umask"), "077");
	ck_assert_str_eq(tu_report_get(report, "fd1"), out);
	ck_assert_str_eq(tu_report_get(report, "fd2"), out);
	ck_assert_int_eq(atol(tu_report_get(report, "mode")),
	    DAEMONIZE_MODE_FOREGROUND);
	ck_assert_int_eq(tu_pidfile_pid(pidfile), pid);
	ck_assert(tu_lock_held(pidfile));
	kill(pid, SIGTERM);
	ck_assert_int_eq(tu_wait_child(pid, tu_ms(10000), &st), 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(tu_wait_contains(out, "term\n", tu_ms(5000)), 0);
	ck_assert_int_eq(access(pidfile, F_OK), -1);
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
	/* back to configuring: the requested mode */
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_AUTO);
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
	ck_assert_int_eq(daemonize_set_timeout(d, (unsigned int)tu_ms(100)),
	    0);
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
	    "after %d ms", (long)pid, tu_ms(100));
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

	orig = tu_spawn(argv, tu_clean_envv(NULL), NULL);
	ck_assert_int_eq(tu_wait_report(report, tu_ms(10000)), 0);
	daemon = atol(tu_report_get(report, "pid"));
	kill(orig, SIGINT);
	ck_assert_int_eq(tu_wait_child(orig, tu_ms(10000), &st), 0);
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
	/* the worker is still there (its 30 s), the daemon is not */
	assert_nothing_left_but(&s, 1);
}
END_TEST

/* A daemon that fails but does not exit: the original process says it
 * was left running; the pidfile went with daemonize_fail. */
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
	/* daemonize_fail removed the pidfile itself (1.0): the process is
	 * about to exit, and no file names it meanwhile. */
	ck_assert(!tu_lock_held(s.pidfile));
	ck_assert(!tu_exists(s.pidfile));
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

/*
 * Re-exec after detach (daemonize_set_reexec): the daemon runs the
 * helper's binary again.  What crosses the exec works: the pidfile lock
 * is held by the new image, whose pid is the one in the file and whose
 * /proc/PID/exe is the helper itself (not a shell, not argv[0]'s link);
 * readiness reaches the command that started the first image; the state
 * variable is gone from the daemon's environment.
 */
START_TEST(test_reexec_ready)
{
	struct started s;
	char exe[4096], real[4096];
	ssize_t n;

	run_helper(&s, "-X", NULL, NULL, NULL);
	ck_assert_msg(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0,
	    "status %d, output: %s", s.status, s.out);
	ck_assert_int_gt(s.pid, 1);
	ck_assert_int_eq(tu_pidfile_pid(s.pidfile), s.pid);
	ck_assert(tu_lock_held(s.pidfile));
	n = readlink(tu_fmt("/proc/%ld/exe", (long)s.pid), exe,
	    sizeof(exe) - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	ck_assert_ptr_nonnull(realpath(s.helper, real));
	/* Under valgrind every process's exe is valgrind's tool. */
	if (strstr(exe, "valgrind") == NULL) {
		ck_assert_str_eq(exe, real);
		ck_assert_str_eq(tu_report_get(s.report, "exe"), real);
	}
	ck_assert_str_eq(tu_report_get(s.report, "reexec_env"), "unset");
	/* Detached as without the re-exec: in a new session, not its
	 * leader, without a terminal. */
	ck_assert_int_ne(report_long(&s, "sid"), s.pid);
	ck_assert_int_ne(report_long(&s, "sid"), getsid(0));
	ck_assert_int_eq(report_long(&s, "tty"), 0);
	stop_daemon(&s);
	ck_assert(!tu_exists(s.pidfile));
}
END_TEST

/* A failure in the new image still reaches the terminal, with its errno
 * and message, and leaves nothing behind. */
START_TEST(test_reexec_fail)
{
	struct started s;

	run_helper(&s, "-X", "-a", "fail", NULL);
	ck_assert_msg(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 1,
	    "status %d, output: %s", s.status, s.out);
	ck_assert_msg(strstr(s.out, tu_fmt("cannot bind port 80: %s",
	    tu_strerror(EADDRINUSE))) != NULL, "output: %s", s.out);
	ck_assert_int_eq(tu_wait_no_procs(s.helper, tu_ms(5000)), 0);
	ck_assert(!tu_lock_held(s.pidfile));
	ck_assert(!tu_exists(s.pidfile));
}
END_TEST

/* A second start while the re-exec'd daemon runs: "already running". */
START_TEST(test_reexec_second_instance)
{
	struct started s;
	char *argv[8], out[4096];
	int st;

	run_helper(&s, "-X", NULL, NULL, NULL);
	ck_assert_int_gt(s.pid, 1);
	argv[0] = s.helper;
	argv[1] = "-X";
	argv[2] = "-p";
	argv[3] = s.pidfile;
	argv[4] = NULL;
	st = tu_run_env(argv, tu_clean_envv(NULL), out, sizeof(out),
	    tu_ms(RUN_MS));
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	ck_assert_msg(strstr(out, tu_fmt("already running, pid %ld",
	    (long)s.pid)) != NULL, "output: %s", out);
	stop_daemon(&s);
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
	ck_assert_int_eq(tu_wait_contains(result, "\n", tu_ms(10000)), 0);
	ck_assert_int_eq(tu_wait_contains(result, "ready=0 errno=0",
	    tu_ms(100)), 0);
	ck_assert_int_eq(tu_wait_gone(pid, tu_ms(5000)), 0);
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

/* ---- a stopped middle child -------------------------------------------- */

static pid_t stopper_parent;

/* pthread_atfork's child handler: runs in every child fork() makes in
 * this process; the first fork's child (the middle one) stops itself
 * before it could fork the daemon, as if a debugger or ^Z caught it. */
static void
stop_middle(void)
{
	if (getppid() == stopper_parent)
		(void)raise(SIGSTOP);
}

/* The original process does not hang on a middle child that never
 * speaks nor exits: ETIMEDOUT within the timeout and a short grace, and
 * the middle child is killed and reaped (no zombie, no lock). */
START_TEST(test_stopped_middle_child)
{
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/p.pid", dir);
	struct daemonize *d = daemonize_new("t");
	long long t0, elapsed;
	int r, err;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_BACKGROUND), 0);
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_set_timeout(d, 1000), 0);
	stopper_parent = getpid();
	ck_assert_int_eq(pthread_atfork(NULL, NULL, stop_middle), 0);
	t0 = tu_now_ms();
	r = daemonize_start(d);
	err = errno;
	elapsed = tu_now_ms() - t0;
	if (r == 0)
		_exit(0);	/* never reached: the middle child stopped */
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(err, ETIMEDOUT);
	ck_assert_msg(strstr(daemonize_error(d), "start: daemon not ready "
	    "after 1000 ms") != NULL, "%s", daemonize_error(d));
	ck_assert_msg(elapsed >= 1000 && elapsed < 1000 + tu_ms(1500),
	    "returned after %lld ms", elapsed);
	/* no child of ours is left, not even a zombie */
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	ck_assert(!tu_lock_held(pidfile));
	/* No daemon was ever forked (its pid never came) and the middle
	 * child is dead: nothing can be running, so nothing may be left,
	 * not even the empty pidfile the lock created. */
	ck_assert_msg(!tu_exists(pidfile), "%s left behind", pidfile);
	daemonize_free(d);
	ck_assert(!tu_exists(pidfile));
}
END_TEST

/* ---- failed starts leave nothing --------------------------------------- */

/* This test process in a mount namespace of its own, in which dir is
 * read-only (root ignores file modes: a read-only mount is what stops
 * it).  False when the kernel or the container refuses. */
static bool
read_only_dir(const char *dir)
{
	if (unshare(CLONE_NEWNS) == -1)
		return false;
	ck_assert_int_eq(mount("none", "/", "none", MS_REC | MS_PRIVATE,
	    NULL), 0);
	ck_assert_int_eq(mount(dir, dir, "none", MS_BIND, NULL), 0);
	ck_assert_int_eq(mount("none", dir, "none", MS_BIND | MS_REMOUNT |
	    MS_RDONLY, NULL), 0);
	return true;
}

/* The pidfile cannot be created (read-only directory): the command says
 * so, and there is no process, no pidfile and no log file (the log is
 * opened only after the lock). */
START_TEST(test_fail_pidfile_readonly)
{
	char *dir = tu_tmpdir(), *ro = tu_fmt("%s/ro", dir);
	char *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", ro), *log = tu_fmt("%s/h.log", dir);
	char *argv[] = { helper, "-d", "-p", pidfile, "-o", log, NULL };
	char out[4096];
	int st;

	TU_NEED_ROOT();
	ck_assert_int_eq(mkdir(ro, 0755), 0);
	if (!read_only_dir(ro)) {
		printf("%s: skipped: no mount namespace\n", __func__);
		return;
	}
	st = tu_run_env(argv, tu_clean_envv(NULL), out, sizeof(out),
	    tu_ms(RUN_MS));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x: %s",
	    st, out);
	ck_assert_msg(strncmp(out, tu_fmt("helper: pidfile: %s", pidfile),
	    strlen(tu_fmt("helper: pidfile: %s", pidfile))) == 0 &&
	    strstr(out, tu_strerror(EROFS)) != NULL, "%s", out);
	ck_assert_int_eq(tu_wait_no_procs(helper, tu_ms(5000)), 0);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_exists(log));
}
END_TEST

/* fds run out (RLIMIT_NOFILE 5, 6, 7: the status pipe in the original
 * process, the signal pipe or /dev/null in the daemon) somewhere in start:
 * whichever step it is, the command fails with EMFILE's text and nothing
 * is left. */
START_TEST(test_fail_fd_exhaustion)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir), *log = tu_fmt("%s/h.log", dir);
	char *cmd = tu_fmt("ulimit -n %d && exec %s -d -p %s -o %s", _i,
	    helper, pidfile, log);
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	char out[4096];
	int st;

	st = tu_run_env(argv, tu_clean_envv(NULL), out, sizeof(out),
	    tu_ms(RUN_MS));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x: %s",
	    st, out);
	ck_assert_msg(strncmp(out, "helper: ", 8) == 0 &&
	    strstr(out, tu_strerror(EMFILE)) != NULL, "%s", out);
	ck_assert_int_eq(tu_wait_no_procs(helper, tu_ms(5000)), 0);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_lock_held(pidfile));
	ck_assert(!tu_exists(log));
}
END_TEST

/* A fake supervisor: a datagram socket at dir/notify. */
static int
fake_supervisor(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof(sun.sun_path));
	strcpy(sun.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Every datagram waiting on fd, joined with "|", malloc'ed. */
static char *
received(int fd)
{
	char *all = calloc(1, 65536), buf[4096];
	ssize_t n;

	ck_assert_ptr_nonnull(all);
	while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		snprintf(all + strlen(all), 65536 - strlen(all), "%s|", buf);
	}
	return all;
}

/* Supervised (foreground under NOTIFY_SOCKET): a start that fails at
 * the lock, and a daemon that fails after the privilege drop, both tell
 * the supervisor ERRNO= and STATUS=, and leave no pidfile. */
START_TEST(test_fail_supervised)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *sock = tu_fmt("%s/notify", dir), *run = tu_fmt("%s/run", dir);
	char *pidfile = tu_fmt("%s/h.pid", run);
	char *missing = tu_fmt("%s/missing/h.pid", dir);
	char *env = tu_fmt("NOTIFY_SOCKET=%s", sock);
	char out[4096], *got;
	struct passwd *pw;
	int fd, st;

	TU_NEED_ROOT();
	pw = getpwnam("nobody");
	ck_assert_ptr_nonnull(pw);
	fd = fake_supervisor(sock);

	/* at the lock: no such directory */
	{
		char *argv[] = { helper, "-f", "-p", missing, NULL };

		st = tu_run_env(argv, tu_clean_envv(env, NULL), out,
		    sizeof(out), tu_ms(RUN_MS));
	}
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x: %s",
	    st, out);
	got = received(fd);
	ck_assert_msg(strncmp(got, tu_fmt("ERRNO=%d\nSTATUS=pidfile: %s",
	    ENOENT, missing), strlen(tu_fmt("ERRNO=%d\nSTATUS=pidfile: %s",
	    ENOENT, missing))) == 0, "supervisor got: %s", got);
	ck_assert(!tu_exists(missing));

	/* in the daemon, after the drop to nobody: the pidfile sits in a
	 * directory nobody owns, so it can still remove it */
	ck_assert_int_eq(mkdir(run, 0755), 0);
	ck_assert_int_eq(chown(run, pw->pw_uid, pw->pw_gid), 0);
	{
		char *argv[] = { helper, "-f", "-u", "nobody", "-p", pidfile,
		    "-a", "fail", NULL };

		st = tu_run_env(argv, tu_clean_envv(env, NULL), out,
		    sizeof(out), tu_ms(RUN_MS));
	}
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x: %s",
	    st, out);
	got = received(fd);
	ck_assert_msg(strstr(got, tu_fmt("ERRNO=%d\nSTATUS=cannot bind port "
	    "80: %s|", EADDRINUSE, tu_strerror(EADDRINUSE))) != NULL,
	    "supervisor got: %s", got);
	ck_assert_msg(strstr(got, "READY=1") == NULL, "%s", got);
	ck_assert(!tu_exists(pidfile));
	ck_assert_int_eq(tu_wait_no_procs(helper, tu_ms(5000)), 0);
	close(fd);
}
END_TEST

static Suite *
fork_suite(void)
{
	Suite *s = suite_create("fork");
	TCase *tc = tcase_create("background");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, tu_clean_slate, NULL);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_background_ready);
	tcase_add_test(tc, test_workdir_umask);
	tcase_add_test(tc, test_second_instance);
	tcase_add_test(tc, test_daemon_fail);
	tcase_add_test(tc, test_daemon_exit_before_ready);
	tcase_add_test(tc, test_daemon_crash_before_ready);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_slow_but_within_timeout);
	tcase_add_test(tc, test_foreground_applies_steps);
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
	tcase_add_test(tc, test_stopped_middle_child);
	tcase_add_test(tc, test_reexec_ready);
	tcase_add_test(tc, test_reexec_fail);
	tcase_add_test(tc, test_reexec_second_instance);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, tu_clean_slate, NULL);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_fail_pidfile_readonly);
	tcase_add_loop_test(tc, test_fail_fd_exhaustion, 5, 8);
	tcase_add_test(tc, test_fail_supervised);
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

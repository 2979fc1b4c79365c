/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * testutil.h - helpers shared by the Check suites.
 *
 * Every wait here is bounded in time; nothing here loops for ever.
 *
 * tests/helper is the daemon the end-to-end tests drive.  Its options:
 *   -p PIDFILE  -o OUTPUT  -t TIMEOUT_MS  -w WORKDIR  -m UMASK(octal)
 *   -u USER  -g GROUP (one daemonize_set_user(d, USER, GROUP) call)
 *   -r CHROOT  -k FD (keep; repeatable; 0-2 are refused by the library)
 *   -N FD (s6 fd)  -S SIGNO (add signal)  -P (KEEP_SIGPIPE)
 *   -f          daemonize_set_mode(FOREGROUND): no fork, stdio untouched,
 *               -p -u -r -w -m still applied (was the flag that skipped
 *               them all)
 *   -n          FOREGROUND too (was NO_DETACH, "supervised")
 *   -d          daemonize_set_mode(BACKGROUND) (was DETACH)
 *   -l          call daemonize_lock explicitly, before the report (-R), the
 *               socket (-b) and the kept fds (-k) are opened/kept: the
 *               lock-then-bind order of a real server
 *   -b PORT     bind a TCP listener on 127.0.0.1:PORT (after -l's lock),
 *               keep it; the daemon answers each client "helper PID\n"
 *               and closes; a bind failure prints "helper: bind
 *               127.0.0.1:PORT: <strerror>" and exits 1
 *   -T          create a (idle) second thread before start
 *   -W TEXT     in the daemon, after start and before ready, write TEXT
 *               and a newline to stderr
 *   -Y          openlog(LOG_NDELAY) + syslog "before start" before start,
 *               syslog "after start" in the daemon, "stopping" at SIGTERM
 *   -R REPORT   file (kept across the sweep) into which the daemon writes
 *               key=value lines, then "end\n" (see helper.c for the keys).
 *               Written right AFTER daemonize_ready, so fd0-fd2 describe
 *               the daemon's final stdio (1.0 moves stdout/stderr at
 *               ready); before the action for the actions that never call
 *               ready (fail, exit, crash, hang, forkworker, failcarry)
 *   -X          daemonize_set_reexec(argv): the daemon execs the helper again
 *               after the double fork (report keys exe, reexec_env)
 *   -a ACTION   after start, in the daemon: ready (default) | fail (calls
 *               daemonize_fail(d, EADDRINUSE, "cannot bind port 80")) |
 *               exit (exit(3) before ready) | crash (SIGSEGV before ready) |
 *               hang (never ready) | sleep (ready after 300 ms) |
 *               forkworker (forks a child that sleeps 30 s, then aborts
 *               before ready) | failcarry (fail, then sleep 8 s, exit 1)
 *   -E FILE     after ready, run /usr/bin/env > FILE in a child and wait
 *   -L          after ready, write "line N\n" to stdout every 1 ms, for
 *               log-rotation tests (bounded: 10000 lines)
 *   -e ERRNO    print strerror(ERRNO) and a newline, exit 0 (tu_strerror)
 * Then it loops on daemonize_next_signal(d, -1) (1 ms with -L; poll on the
 * signal fd and the socket with -b): SIGHUP reopens the output and
 * writes "hup N\n" to stdout (flushed), SIGUSR1 (if added) writes
 * "usr1\n"; SIGTERM or SIGINT writes "term\n" to stdout, calls
 * daemonize_stop, daemonize_free and exits 0.
 * In the original process: start returning DAEMONIZE_PARENT exits 0 with
 * no output; -1 (of lock or start) prints "helper: <daemonize_error()>"
 * on stderr, exit 1.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

struct daemonize;

/* Absolute paths of the build and source trees (from the environment set
 * by make check, or "." when run by hand). */
const char *tu_builddir(void);
const char *tu_srcdir(void);
/* "<builddir>/tests/helper", or $DZ_HELPER when set, in a static buffer. */
const char *tu_helper(void);
/* "<builddir>/examples/NAME", or "$DZ_EXAMPLES_DIR/NAME" when that is
 * set, in a static buffer. */
const char *tu_example(const char *name);
/* strerror(err) as the C library of the binaries under test spells it:
 * with DZ_HELPER set, asked from that helper ("helper -e ERR"), because
 * it (and the examples next to it) may use another libc than the suite,
 * e.g. musl's "Address in use" for glibc's "Address already in use".
 * Static buffer. */
const char *tu_strerror(int err);

/* A fresh empty directory under /tmp; path in a static-per-call malloc'ed
 * string the test may leak (each test runs in its own forked process). */
char *tu_tmpdir(void);
/* snprintf into a malloc'ed string. */
char *tu_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run argv to completion (NULL-terminated, argv[0] a path), capturing
 * stdout and stderr together into out (NUL-terminated, truncated).
 * Returns the wait status, or -1 if it did not end within timeout_ms (it is
 * then killed with SIGKILL). */
int tu_run(char *const argv[], char *out, size_t outlen, int timeout_ms);
/* Like tu_run with environment assignments "K=V" (or "K" to unset)
 * applied in the child first. */
int tu_run_env(char *const argv[], char *const env[], char *out,
    size_t outlen, int timeout_ms);
/* Start argv without waiting; stdout/stderr go to out_path if not NULL. */
pid_t tu_spawn(char *const argv[], char *const env[], const char *out_path);

/* Wait for our child pid to exit, keeping its status; 0, or -1 after
 * timeout_ms (the child is left as it is). */
int tu_wait_child(pid_t pid, int timeout_ms, int *status);
/* True if pid exists and is not a zombie. */
bool tu_alive(pid_t pid);
/* Wait until pid is gone or a zombie; 0, or -1 after timeout_ms.  It never
 * reaps: a child of the caller is left for its waitpid. */
int tu_wait_gone(pid_t pid, int timeout_ms);
/* SIGKILL pid and wait for it, ignoring errors (cleanup). */
void tu_kill(pid_t pid);

/* The whole file into buf (NUL-terminated); bytes read or -1. */
ssize_t tu_read_file(const char *path, char *buf, size_t len);
/* Wait until path holds "end\n" (a helper report) or timeout; 0 or -1. */
int tu_wait_report(const char *path, int timeout_ms);
/* Value of "key=" in a report (static buffer), or NULL. */
const char *tu_report_get(const char *report_path, const char *key);
/* The pid in a pidfile (leading decimal), or -1. */
pid_t tu_pidfile_pid(const char *path);
/* Whether another open file description holds a flock on path. */
bool tu_lock_held(const char *path);
/* Wait until file content contains needle; 0 or -1 after timeout_ms. */
int tu_wait_contains(const char *path, const char *needle, int timeout_ms);
/* Number of live processes with argv0 as one of their arguments; used to
 * assert that nothing was left behind (give each test its own path, a
 * private link in its temp dir, see below, as suites run in parallel). */
int tu_count_procs(const char *argv0);
/* Number of live processes whose command line (arguments joined by
 * spaces) contains needle, e.g. a test's temp dir. */
int tu_count_mentioning(const char *needle);
/* Every time limit of a test, scaled by one factor: DZ_TIME_FACTOR from
 * the environment (default 1; the valgrind and sanitizer stages set it
 * larger, and a loaded machine may).  Use it for every timeout, never for
 * a sleep that paces a test. */
int tu_ms(int ms);
/* Sleep ms milliseconds. */
void tu_msleep(int ms);
/* CLOCK_MONOTONIC in milliseconds, for deadlines. */
long long tu_now_ms(void);

/*
 * Daemons a failed test leaves behind.  Check's fork mode ends a failed
 * test with _exit() and kills the test's process group, but a detached
 * daemon has a session of its own and would outlive the test, the suite
 * and make check.  So every program a test starts that may become a
 * daemon (the helper, echod) is run through a private link: a symlink
 * "<dir>/<name>-run<R>" to the real binary, R the pid of the suite's
 * runner (recorded when the suite program starts, so it is the same in
 * the runner and in every forked test).  Then:
 *   - tu_kill_leftovers, the teardown of an unchecked fixture
 *     (tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers)), runs
 *     in the runner after the test case and SIGKILLs every process that
 *     has a private link of this runner among its arguments (argv[0], or
 *     a later one under valgrind).  A test that ended well has stopped
 *     its daemons itself, and then it finds nothing.  Suites running in
 *     parallel have other runner pids, so it never touches theirs.
 *   - tu_count_procs(link) and tu_wait_no_procs(link, ms) see only the
 *     processes of one test (its link is in its own temp dir): the
 *     "nothing left running" assertions.
 */
/* Symlink target (made absolute) as "<dir>/<name>-run<R>"; the link's
 * path, malloc'ed.  Asserts (Check) that it worked. */
char *tu_private_link(const char *dir, const char *target, const char *name);
/* tu_private_link(dir, tu_helper(), "helper"). */
char *tu_private_helper(const char *dir);
/* SIGKILL (and wait for, bounded) every process running a private link
 * of this runner, saying so on stderr; for an unchecked teardown. */
void tu_kill_leftovers(void);
/* Wait until no live process has path among its arguments; 0, or how
 * many are still there after timeout_ms. */
int tu_wait_no_procs(const char *path, int timeout_ms);

/* ---- small things many suites need ------------------------------------ */

/* Skip (print "<test>: skipped: not root" and return) unless root. */
#define TU_NEED_ROOT() do {						\
	if (geteuid() != 0) {						\
		printf("%s: skipped: not root\n", __func__);		\
		return;							\
	}								\
} while (0)

/* A NULL-terminated argv of the arguments up to NULL (at most 31),
 * malloc'ed; the test may leak it. */
char **tu_argv(const char *first, ...);
/* daemonize_new(name), asserted non-NULL. */
struct daemonize *tu_ctx(const char *name);
/* Assert (Check) that the error text of d contains frag; NULL: no check. */
void tu_assert_text(const struct daemonize *d, const char *frag);

/* Every environment variable supervisor detection looks at, plus the
 * hints that must not count (INVOCATION_ID, JOURNAL_STREAM) and
 * DAEMONIZE_MODE; NULL-terminated. */
extern const char *const tu_supervisor_vars[];
/* Unset all of tu_supervisor_vars in this process (asserted), so nothing
 * from the environment of make check (or a service manager running it)
 * changes the mode; for a checked setup or the start of a test. */
void tu_clean_env(void);
/* Put stdin on /dev/null (asserted): make check may give us a socket as
 * stdin, which is a supervisor marker too. */
void tu_stdin_null(void);
/* tu_clean_env() and tu_stdin_null(): the clean slate detection tests
 * start from. */
void tu_clean_slate(void);
/* An environment list for tu_run_env / tu_spawn: every one of
 * tu_supervisor_vars unset, then the given entries ("K=V" or "K"), up to
 * NULL.  Malloc'ed; the test may leak it. */
char **tu_clean_envv(const char *first, ...);

/* A TCP port on 127.0.0.1 that was free a moment ago (asserted); the
 * caller binds it in another process, so it retries on EADDRINUSE. */
int tu_free_port(void);
/* pid in decimal, malloc'ed; the test may leak it. */
char *tu_pidstr(pid_t pid);
/* Create (or truncate) an empty file, asserted. */
void tu_touch(const char *path);
/* Whether path exists (lstat: a dangling symlink exists). */
bool tu_exists(const char *path);
/* What fd of process pid (0: this process) points at, "" when it is not
 * open; malloc'ed. */
char *tu_fd_target(pid_t pid, int fd);
/* Number of open fds of process pid (0: this process, not counting the
 * one used to list them); asserts that /proc/PID/fd could be read. */
int tu_nfds(pid_t pid);
/* Wait (bounded) for our child's status: the status, or -1 after
 * timeout_ms (the child is then left as it is). */
int tu_child_status(pid_t pid, int timeout_ms);

/* The pid of the one live process whose argv[0] is arg, as this (the
 * outer) pid namespace numbers it; -1 when none, -2 when several. */
pid_t tu_pid_with_arg(const char *arg);
/* The innermost pid of pid (NSpid's last field), or -1. */
long tu_inner_pid(pid_t pid);

#endif

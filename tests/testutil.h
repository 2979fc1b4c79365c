/*
 * testutil.h - helpers shared by the Check suites.
 *
 * Every wait here is bounded in time; nothing here loops for ever.
 *
 * tests/helper is the daemon the end-to-end tests drive.  Its options:
 *   -p PIDFILE  -o OUTPUT  -t TIMEOUT_MS  -w WORKDIR  -m UMASK(octal)
 *   -u USER  -g GROUP  -r CHROOT  -k FD (keep; repeatable)  -N FD (s6 fd)
 *   -S SIGNO (add signal)  -f (DAEMONIZE_FOREGROUND)  -n (NO_DETACH)
 *   -d (DETACH)  -P (KEEP_SIGPIPE)
 *   -R REPORT   file opened before start (kept across the sweep) into which
 *               the daemon writes key=value lines, then "end\n", before it
 *               calls ready (see helper.c for the keys)
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
 * Then it loops on daemonize_wait_signal: SIGHUP reopens the output and
 * writes "hup N\n" to stdout (flushed), SIGUSR1 (if added) writes
 * "usr1\n"; SIGTERM or SIGINT writes "term\n" to stdout, calls
 * daemonize_stop, daemonize_free and exits 0.
 * In the original process: start returning DAEMONIZE_PARENT exits 0 with
 * no output; -1 prints "helper: <daemonize_error()>" on stderr, exit 1.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

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
 * assert that nothing was left behind (give each test its own path, e.g.
 * a symlink to the helper in its temp dir, as suites run in parallel). */
int tu_count_procs(const char *argv0);
/* Sleep ms milliseconds. */
void tu_msleep(int ms);

#endif

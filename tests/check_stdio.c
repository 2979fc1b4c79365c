/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * check_stdio.c - lib/stdfds.c: fds 0-2 made valid before anything else is
 * opened; in the daemon stdin on /dev/null at start, stdout and stderr on
 * /dev/null or the log file only at ready (what the daemon writes while it
 * initialises reaches the terminal that started it); the log file created
 * for the daemon's user and reopened for log rotation.
 *
 * Unit tests call the step functions in the forked test process that
 * Check gives each test (they close and replace its fds 0-2, which Check
 * does not use in fork mode); end-to-end tests drive tests/helper.
 */
#include "util.h"
#include "trust.h"
#include "stdfds.h"

#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemonize.h"
#include "testutil.h"

/* Generous: under valgrind --trace-children the helper is slow. */
#define WAIT_MS tu_ms(30000)

static bool
is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* ---- end-to-end plumbing ----------------------------------------------- */

/*
 * Run the helper to completion; its exit status (asserted normal), its
 * stdout and stderr in out.  They go through a file, not a pipe: under
 * valgrind --trace-children the daemon's valgrind keeps a copy of the
 * stderr it started with, and a pipe would then never see EOF.
 */
static int
run_helper(char *const argv[], char *out, size_t outlen)
{
	char *outfile = tu_fmt("%s.out", argv[0]);
	pid_t pid;
	int status = 0;

	(void)unlink(outfile);
	pid = tu_spawn(argv, NULL, outfile);
	ck_assert_int_gt(pid, 0);
	if (tu_wait_child(pid, WAIT_MS, &status) == -1) {
		tu_kill(pid);
		ck_abort_msg("helper did not finish");
	}
	ck_assert_int_ge(tu_read_file(outfile, out, outlen), 0);
	(void)unlink(outfile);
	free(outfile);
	ck_assert_msg(WIFEXITED(status), "helper status %#x: %s", status, out);
	return WEXITSTATUS(status);
}

/* SIGTERM the daemon and wait until it is gone; SIGKILL if it is not. */
static void
stop_daemon(pid_t pid)
{
	if (pid <= 0 || !tu_alive(pid))
		return;
	(void)kill(pid, SIGTERM);
	if (tu_wait_gone(pid, WAIT_MS) == -1) {
		tu_kill(pid);
		ck_abort_msg("daemon %ld ignored SIGTERM", (long)pid);
	}
}

/* The daemon named by pidfile, asserted alive. */
static pid_t
started_daemon(const char *pidfile)
{
	pid_t pid = tu_pidfile_pid(pidfile);

	ck_assert_int_gt(pid, 0);
	ck_assert(tu_alive(pid));
	return pid;
}

/* Remove a test's temporary tree (regular files, links and dirs). */
static void
rm_tree(const char *dir)
{
	struct dirent *e;
	struct stat st;
	DIR *dp = opendir(dir);

	if (dp == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		char *path;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		path = tu_fmt("%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(path);
		else
			(void)unlink(path);
		free(path);
	}
	closedir(dp);
	(void)rmdir(dir);
}

/* ---- dz_stdio_sanitize ------------------------------------------------- */

/* Which of fds 0-2 each loop iteration closes (bit n: fd n). */
static const int closed_sets[] = { 1, 2, 4, 7, 5, 3, 6 };

START_TEST(test_sanitize_closed)
{
	int mask = closed_sets[_i];
	struct dz_err e = { "" };
	char *before[3];
	int p[2], fd, nfds;

	/* The fds that stay open point at a pipe, so that we can tell they
	 * were left alone. */
	ck_assert_int_eq(pipe(p), 0);
	for (fd = 0; fd <= 2; fd++) {
		if (mask & (1 << fd))
			close(fd);
		else
			ck_assert_int_eq(dup2(p[fd == 0 ? 0 : 1], fd), fd);
	}
	close(p[0]);
	close(p[1]);
	for (fd = 0; fd <= 2; fd++)
		before[fd] = tu_fd_target(0, fd);
	nfds = tu_nfds(0);

	ck_assert_int_eq(dz_stdio_sanitize(&e), 0);
	for (fd = 0; fd <= 2; fd++) {
		char *now = tu_fd_target(0, fd);

		if (mask & (1 << fd)) {
			ck_assert_str_eq(now, "/dev/null");
			/* usable either way, and inherited across exec */
			ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE,
			    O_RDWR);
			ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
		} else {
			ck_assert_str_eq(now, before[fd]);
			ck_assert(strncmp(now, "pipe:", 5) == 0);
		}
		free(now);
	}
	/* exactly the closed ones were added, nothing else leaked */
	ck_assert_int_eq(tu_nfds(0), nfds + ((mask & 1) != 0) +
	    ((mask & 2) != 0) + ((mask & 4) != 0));
	/* all valid already: a no-op */
	ck_assert_int_eq(dz_stdio_sanitize(&e), 0);
	ck_assert_int_eq(tu_nfds(0), nfds + ((mask & 1) != 0) +
	    ((mask & 2) != 0) + ((mask & 4) != 0));
	ck_assert_str_eq(e.text, "");
}
END_TEST

/* /dev/null cannot be opened (no fd left under RLIMIT_NOFILE 0): -1 with
 * the reason, and nothing changed. */
START_TEST(test_sanitize_fails)
{
	struct dz_err e = { "" };
	struct rlimit old, none;
	int r, err, nfds;

	close(0);
	nfds = tu_nfds(0);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	none = old;
	none.rlim_cur = 0;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &none), 0);
	errno = 0;
	r = dz_stdio_sanitize(&e);
	err = errno;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(err, EMFILE);
	ck_assert_msg(strstr(e.text, "stdio: /dev/null") != NULL &&
	    strstr(e.text, strerror(EMFILE)) != NULL, "%s", e.text);
	ck_assert(!is_open(0));
	ck_assert_int_eq(tu_nfds(0), nfds);
}
END_TEST

/* The fd of this process open on path, or -1. */
static int
fd_on(const char *path)
{
	char *t;
	int fd, found = -1;

	for (fd = 0; fd < 256 && found == -1; fd++) {
		t = tu_fd_target(0, fd);
		if (strcmp(t, path) == 0)
			found = fd;
		free(t);
	}
	return found;
}

/* fd 1 closed when lock runs (foreground, through start): the pidfile
 * must not become stdout. */
START_TEST(test_start_fd1_closed_foreground)
{
	struct daemonize *d = daemonize_new("test");
	char *dir = tu_tmpdir(), *pidfile = tu_fmt("%s/p.pid", dir);
	char buf[64], *t;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	close(1);
	ck_assert_int_eq(daemonize_start(d), 0);
	t = tu_fd_target(0, 1);
	ck_assert_str_eq(t, "/dev/null");
	free(t);
	ck_assert_int_ge(fd_on(pidfile), 3);
	ck_assert_int_gt(tu_read_file(pidfile, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, tu_fmt("%ld\n", (long)getpid()));
	ck_assert(tu_lock_held(pidfile));
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(pidfile));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---- dz_stdio_stdin_null, dz_output_open and _install ------------------ */

/* 0, 1 and 2 on a pipe, so a redirect is visible and a failure shows
 * that nothing moved. */
static void
stdio_on_pipe(void)
{
	int p[2], fd;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(dup2(p[0], 0), 0);
	for (fd = 1; fd <= 2; fd++)
		ck_assert_int_eq(dup2(p[1], fd), fd);
	close(p[0]);
	close(p[1]);
}

/* An output of path (absolute, or NULL for /dev/null), not opened. */
static void
output_of(struct dz_output *out, const char *path)
{
	dz_output_init(out);
	if (path != NULL) {
		out->path = strdup(path);
		ck_assert_ptr_nonnull(out->path);
	}
}

/* Only root, this user: no target user. */
static struct dz_owners owners;

static void
owners_setup(void)
{
	tu_clean_env();
	dz_owners_init(&owners, false, 0);
}

START_TEST(test_redirect_devnull)
{
	struct dz_err e = { "" };
	struct dz_output out;
	char *t;
	int fd, nfds;

	stdio_on_pipe();
	output_of(&out, NULL);
	nfds = tu_nfds(0);
	ck_assert_int_eq(dz_stdio_stdin_null(&e), 0);
	/* opened (above 2), not installed: 1 and 2 still the pipe's */
	ck_assert_int_eq(dz_output_open(&out, &owners, (uid_t)-1, (gid_t)-1,
	    &e), 0);
	ck_assert_int_ge(out.fd, 3);
	ck_assert_int_eq(tu_nfds(0), nfds + 1);
	for (fd = 1; fd <= 2; fd++) {
		t = tu_fd_target(0, fd);
		ck_assert(strncmp(t, "pipe:", 5) == 0);
		free(t);
	}
	ck_assert_int_eq(dz_output_install(&out, &e), 0);
	ck_assert_int_eq(out.fd, -1);
	for (fd = 0; fd <= 2; fd++) {
		t = tu_fd_target(0, fd);
		ck_assert_str_eq(t, "/dev/null");
		ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
		free(t);
	}
	ck_assert_int_eq(fcntl(0, F_GETFL) & O_ACCMODE, O_RDONLY);
	ck_assert_int_eq(fcntl(1, F_GETFL) & O_ACCMODE, O_WRONLY);
	ck_assert_int_eq(tu_nfds(0), nfds);
	dz_output_clear(&out);
}
END_TEST

START_TEST(test_redirect_log)
{
	struct dz_err e = { "" };
	struct dz_output out;
	char *dir = tu_tmpdir(), *log = tu_fmt("%s/out.log", dir);
	char buf[256], *t;
	struct stat st;
	int fd, nfds;

	fd = open(log, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "old\n", 4), 4);
	close(fd);
	output_of(&out, log);
	stdio_on_pipe();
	nfds = tu_nfds(0);
	ck_assert_int_eq(dz_stdio_stdin_null(&e), 0);
	ck_assert_int_eq(dz_output_open(&out, &owners, (uid_t)-1, (gid_t)-1,
	    &e), 0);
	ck_assert_int_eq(dz_output_install(&out, &e), 0);
	t = tu_fd_target(0, 0);
	ck_assert_str_eq(t, "/dev/null");
	free(t);
	for (fd = 1; fd <= 2; fd++) {
		t = tu_fd_target(0, fd);
		ck_assert_str_eq(t, log);
		free(t);
		ck_assert(fcntl(fd, F_GETFL) & O_APPEND);
		ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	}
	ck_assert_int_eq(tu_nfds(0), nfds);
	ck_assert_int_eq(write(1, "one\n", 4), 4);
	ck_assert_int_eq(write(2, "two\n", 4), 4);
	ck_assert_int_eq(tu_read_file(log, buf, sizeof(buf)), 12);
	ck_assert_str_eq(buf, "old\none\ntwo\n");
	/* an existing file keeps its mode */
	ck_assert_int_eq(stat(log, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	dz_output_clear(&out);
	rm_tree(dir);
}
END_TEST

/* A log file that cannot be opened: -1 with step, path and reason, and
 * fds 0-2 where they were (0: a missing directory, 1: a directory). */
START_TEST(test_redirect_unwritable)
{
	struct dz_err e = { "" };
	struct dz_output out;
	char *dir = tu_tmpdir();
	char *log = _i == 0 ? tu_fmt("%s/missing/out.log", dir) :
	    tu_fmt("%s/adir", dir);
	int err = _i == 0 ? ENOENT : EISDIR;
	char *before[3];
	int fd, nfds;

	if (_i == 1)
		ck_assert_int_eq(mkdir(log, 0755), 0);
	output_of(&out, log);
	stdio_on_pipe();
	for (fd = 0; fd <= 2; fd++)
		before[fd] = tu_fd_target(0, fd);
	nfds = tu_nfds(0);
	errno = 0;
	ck_assert_int_eq(dz_output_open(&out, &owners, (uid_t)-1, (gid_t)-1,
	    &e), -1);
	ck_assert_int_eq(errno, err);
	ck_assert_msg(strncmp(e.text, "stdio: ", 7) == 0 &&
	    strstr(e.text, log) != NULL && strstr(e.text, strerror(err)) !=
	    NULL, "%s", e.text);
	ck_assert_int_eq(out.fd, -1);
	for (fd = 0; fd <= 2; fd++) {
		char *t = tu_fd_target(0, fd);

		ck_assert_str_eq(t, before[fd]);
		free(t);
	}
	ck_assert_int_eq(tu_nfds(0), nfds);
	ck_assert(!tu_exists(tu_fmt("%s/missing", dir)));
	dz_output_clear(&out);
	rm_tree(dir);
}
END_TEST

/* ---- daemonize_reopen_output, in-process ------------------------------- */

START_TEST(test_reopen_noop)
{
	struct daemonize *d = daemonize_new("test");
	char *dir = tu_tmpdir(), *log = tu_fmt("%s/x.log", dir);
	char *before = NULL, *t;

	ck_assert_ptr_nonnull(d);
	errno = 0;
	ck_assert_int_eq(daemonize_reopen_output(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	stdio_on_pipe();
	before = tu_fd_target(0, 1);
	ck_assert_int_eq(daemonize_set_output(d, log), 0);
	/* not started */
	ck_assert_int_eq(daemonize_reopen_output(d), 0);
	/* foreground: stdout belongs to the terminal or the supervisor */
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_int_eq(daemonize_reopen_output(d), 0);
	ck_assert_int_eq(daemonize_ready(d), 0);
	ck_assert_int_eq(daemonize_reopen_output(d), 0);
	t = tu_fd_target(0, 1);
	ck_assert_str_eq(t, before);
	free(t);
	ck_assert(!tu_exists(log));
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
	rm_tree(dir);
}
END_TEST

/* A background daemon's output, step by step: rotate, reopen, and a
 * reopen that fails leaves the old file in place. */
START_TEST(test_reopen_unit)
{
	struct dz_err e = { "" };
	struct dz_output out;
	char *dir = tu_tmpdir(), *log = tu_fmt("%s/x.log", dir);
	char *old = tu_fmt("%s/x.log.1", dir), *t;
	char buf[256];
	int nfds;

	output_of(&out, log);
	stdio_on_pipe();
	ck_assert_int_eq(dz_output_open(&out, &owners, (uid_t)-1, (gid_t)-1,
	    &e), 0);
	ck_assert_int_eq(dz_output_install(&out, &e), 0);
	nfds = tu_nfds(0);
	/* buffered lines belong to the file they were written for */
	ck_assert_int_ge(printf("a\n"), 0);
	ck_assert_int_eq(rename(log, old), 0);
	ck_assert_int_ge(printf("b\n"), 0);
	ck_assert_int_eq(dz_output_reopen(&out, &owners, &e), 0);
	ck_assert_int_ge(printf("c\n"), 0);
	ck_assert_int_eq(fflush(stdout), 0);
	ck_assert_int_eq(write(2, "d\n", 2), 2);
	ck_assert_int_eq(tu_nfds(0), nfds);
	t = tu_fd_target(0, 1);
	ck_assert_str_eq(t, log);
	free(t);
	t = tu_fd_target(0, 2);
	ck_assert_str_eq(t, log);
	free(t);
	ck_assert_int_ge(tu_read_file(old, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "a\nb\n");
	ck_assert_int_ge(tu_read_file(log, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "c\nd\n");

	/* the name is now a directory: the old file stays in use */
	ck_assert_int_eq(rename(log, old), 0);
	ck_assert_int_eq(mkdir(log, 0755), 0);
	errno = 0;
	ck_assert_int_eq(dz_output_reopen(&out, &owners, &e), -1);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_msg(strstr(e.text, tu_fmt("stdio: reopen %s: %s", log,
	    strerror(EISDIR))) != NULL, "%s", e.text);
	ck_assert_int_eq(tu_nfds(0), nfds);
	t = tu_fd_target(0, 1);
	ck_assert_str_eq(t, old);
	free(t);
	ck_assert_int_ge(printf("e\n"), 0);
	ck_assert_int_eq(fflush(stdout), 0);
	ck_assert_int_ge(tu_read_file(old, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "c\nd\ne\n");
	dz_output_clear(&out);
	rm_tree(dir);
}
END_TEST

/* The pidfile and the log on one file: lock refuses with EINVAL naming
 * both, before anything is created (0: one path, 1: a second name of
 * the same file). */
START_TEST(test_pidfile_is_log)
{
	struct daemonize *d = daemonize_new("test");
	char *dir = tu_tmpdir(), *pidfile = tu_fmt("%s/x.pid", dir);
	char *log = _i == 0 ? pidfile : tu_fmt("%s/x.log", dir);

	ck_assert_ptr_nonnull(d);
	if (_i == 1) {
		tu_touch(pidfile);
		ck_assert_int_eq(link(pidfile, log), 0);
	}
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_set_output(d, log), 0);
	errno = 0;
	ck_assert_int_eq(daemonize_lock(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, tu_fmt("pidfile: %s: also the log file (%s)",
	    pidfile, log));
	errno = 0;
	ck_assert_int_eq(daemonize_start(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(!tu_lock_held(pidfile));
	if (_i == 0)
		ck_assert(!tu_exists(pidfile));
	daemonize_free(d);
	rm_tree(dir);
}
END_TEST

/* ---- end to end -------------------------------------------------------- */

/* Background without -o: all of 0-2 on /dev/null. */
START_TEST(test_e2e_devnull)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir), *report = tu_fmt("%s/r", dir);
	char *argv[] = { helper, "-d", "-p", pidfile, "-R", report, NULL };
	char out[4096];
	pid_t pid;

	ck_assert_int_eq(run_helper(argv, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	pid = started_daemon(pidfile);
	ck_assert_int_eq(tu_wait_report(report, WAIT_MS), 0);
	ck_assert_str_eq(tu_report_get(report, "fd0"), "/dev/null");
	ck_assert_str_eq(tu_report_get(report, "fd1"), "/dev/null");
	ck_assert_str_eq(tu_report_get(report, "fd2"), "/dev/null");
	ck_assert_str_eq(tu_report_get(report, "mode"),
	    tu_fmt("%d", DAEMONIZE_MODE_BACKGROUND));
	stop_daemon(pid);
	ck_assert_int_eq(tu_wait_no_procs(helper, WAIT_MS), 0);
	ck_assert(!tu_exists(pidfile));
	rm_tree(dir);
}
END_TEST

/* Background with -o LOG: 0 on /dev/null, 1 and 2 appended to LOG. */
START_TEST(test_e2e_log)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir), *report = tu_fmt("%s/r", dir);
	char *log = tu_fmt("%s/h.log", dir);
	char *argv[] = { helper, "-d", "-p", pidfile, "-R", report,
	    "-o", log, NULL };
	char out[4096], buf[4096];
	pid_t pid;
	int fd;

	fd = open(log, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "earlier run\n", 12), 12);
	close(fd);
	ck_assert_int_eq(run_helper(argv, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	pid = started_daemon(pidfile);
	ck_assert_int_eq(tu_wait_report(report, WAIT_MS), 0);
	ck_assert_str_eq(tu_report_get(report, "fd0"), "/dev/null");
	ck_assert_str_eq(tu_report_get(report, "fd1"), log);
	ck_assert_str_eq(tu_report_get(report, "fd2"), log);
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	ck_assert_int_eq(tu_wait_contains(log, "hup 1\n", WAIT_MS), 0);
	stop_daemon(pid);
	ck_assert_int_ge(tu_read_file(log, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "earlier run\nhup 1\nterm\n");
	ck_assert_int_eq(tu_wait_no_procs(helper, WAIT_MS), 0);
	ck_assert(!tu_exists(pidfile));
	rm_tree(dir);
}
END_TEST

/* A log file the daemon cannot open: the original process exits 1 with
 * the daemon's message, and nothing is left (0: missing directory, 1: the
 * path is a directory). */
START_TEST(test_e2e_unwritable_log)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir);
	char *log = _i == 0 ? tu_fmt("%s/missing/h.log", dir) :
	    tu_fmt("%s/logdir", dir);
	const char *reason = tu_strerror(_i == 0 ? ENOENT : EISDIR);
	char *argv[] = { helper, "-d", "-p", pidfile, "-o", log, NULL };
	char out[4096];

	if (_i == 1)
		ck_assert_int_eq(mkdir(log, 0755), 0);
	ck_assert_int_eq(run_helper(argv, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "helper: stdio: ") != NULL, "%s", out);
	ck_assert_msg(strstr(out, log) != NULL, "%s", out);
	ck_assert_msg(strstr(out, reason) != NULL, "%s", out);
	ck_assert_int_eq(tu_wait_no_procs(helper, WAIT_MS), 0);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_lock_held(pidfile));
	ck_assert(!tu_exists(tu_fmt("%s/missing", dir)));
	rm_tree(dir);
}
END_TEST

/* Started with fd 1 closed: the pidfile must not end up as fd 1 (where
 * the redirect would close it and drop the lock).  The helper's -R
 * report cannot be used here: fopen would itself take the free fd 1, so
 * the daemon is inspected through /proc. */
START_TEST(test_e2e_fd1_closed)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir), *err = tu_fmt("%s/err", dir);
	char buf[4096], *t;
	pid_t child, pid, r = 0;
	int status = 0, fd, waited, pidfile_fd = -1;

	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 3 || dup2(fd, 2) != 2)
			_exit(126);
		close(fd);
		close(1);
		execl(helper, helper, "-d", "-p", pidfile, (char *)NULL);
		_exit(127);
	}
	for (waited = 0; waited < WAIT_MS; waited += 5) {
		r = waitpid(child, &status, WNOHANG);
		if (r == child)
			break;
		tu_msleep(5);
	}
	if (r != child) {
		tu_kill(child);
		ck_abort_msg("helper did not finish");
	}
	(void)tu_read_file(err, buf, sizeof(buf));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %#x: %s", status, buf);
	pid = started_daemon(pidfile);
	ck_assert(tu_lock_held(pidfile));
	ck_assert_int_gt(tu_read_file(pidfile, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, tu_fmt("%ld\n", (long)pid));
	t = tu_fd_target(pid, 1);
	ck_assert_str_eq(t, "/dev/null");
	free(t);
	/* the daemon holds the pidfile above 2 */
	for (fd = 0; fd < 64; fd++) {
		t = tu_fd_target(pid, fd);
		if (strcmp(t, pidfile) == 0)
			pidfile_fd = fd;
		free(t);
	}
	ck_assert_int_ge(pidfile_fd, 3);
	stop_daemon(pid);
	ck_assert(!tu_exists(pidfile));
	ck_assert_int_eq(tu_wait_no_procs(helper, WAIT_MS), 0);
	rm_tree(dir);
}
END_TEST

/* Check that the concatenation of logs holds "line 1" .. "line N" each
 * exactly once and in order; other lines are skipped.  Returns N. */
static int
check_lines(const char *text)
{
	const char *p = text;
	int expect = 1, n;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');

		ck_assert_msg(nl != NULL, "unterminated line at \"%s\"", p);
		if (strncmp(p, "line ", 5) == 0) {
			n = atoi(p + 5);
			ck_assert_msg(n == expect, "line %d where %d was due",
			    n, expect);
			expect++;
		}
		p = nl + 1;
	}
	return expect - 1;
}

/* Log rotation: rename the file, SIGHUP, and the daemon writes to a new
 * file with that name, losing and repeating nothing. */
START_TEST(test_e2e_rotate)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir);
	char *log = tu_fmt("%s/h.log", dir), *old = tu_fmt("%s/h.log.1", dir);
	char *argv[] = { helper, "-d", "-p", pidfile, "-o", log, "-L", NULL };
	static char a[1 << 20], b[1 << 20], all[2 << 20];
	char out[4096];
	pid_t pid;
	int n1, n;

	ck_assert_int_eq(run_helper(argv, out, sizeof(out)), 0);
	pid = started_daemon(pidfile);
	ck_assert_int_eq(tu_wait_contains(log, "line 20\n", WAIT_MS), 0);
	ck_assert_int_eq(rename(log, old), 0);
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	ck_assert_int_eq(tu_wait_contains(log, "hup 1\n", WAIT_MS), 0);
	/* and then new numbered lines in the new file */
	ck_assert_int_ge(tu_read_file(old, a, sizeof(a)), 0);
	n1 = check_lines(a);
	ck_assert_msg(n1 < 9990, "the helper wrote all its lines before the "
	    "rotation: this machine is too slow for this test");
	ck_assert_int_eq(tu_wait_contains(log, tu_fmt("line %d\n", n1 + 5),
	    WAIT_MS), 0);
	stop_daemon(pid);
	ck_assert_int_ge(tu_read_file(old, a, sizeof(a)), 0);
	ck_assert_int_ge(tu_read_file(log, b, sizeof(b)), 0);
	ck_assert_msg(strstr(a, "hup") == NULL, "old log: %s", a);
	ck_assert_int_eq(check_lines(a), n1);
	ck_assert_int_ge(n1, 20);
	/* the new file starts with the reopen's own line */
	ck_assert_msg(strncmp(b, "hup 1\n", 6) == 0, "new log starts: %.40s",
	    b);
	ck_assert_msg(strstr(b, "\nterm\n") != NULL, "new log: %s", b);
	ck_assert_msg(strstr(b, "reopen failed") == NULL, "%s", b);
	snprintf(all, sizeof(all), "%s%s", a, b);
	n = check_lines(all);
	ck_assert_int_ge(n, n1 + 5);
	ck_assert_int_eq(tu_wait_no_procs(helper, WAIT_MS), 0);
	ck_assert(!tu_exists(pidfile));
	rm_tree(dir);
}
END_TEST

/* A reopen that fails (the name is now a directory): the daemon keeps
 * writing to the file it has, and says why there. */
START_TEST(test_e2e_reopen_fails)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir);
	char *log = tu_fmt("%s/h.log", dir), *old = tu_fmt("%s/h.log.1", dir);
	char *argv[] = { helper, "-d", "-p", pidfile, "-o", log, "-L", NULL };
	static char a[1 << 20];
	char out[4096], *msg;
	pid_t pid;
	int n1;
	DIR *dp;
	struct dirent *e;

	ck_assert_int_eq(run_helper(argv, out, sizeof(out)), 0);
	pid = started_daemon(pidfile);
	ck_assert_int_eq(tu_wait_contains(log, "line 5\n", WAIT_MS), 0);
	ck_assert_int_eq(rename(log, old), 0);
	ck_assert_int_eq(mkdir(log, 0755), 0);
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	msg = tu_fmt("reopen failed: stdio: reopen %s: %s\nhup 1\n", log,
	    tu_strerror(EISDIR));
	ck_assert_int_eq(tu_wait_contains(old, msg, WAIT_MS), 0);
	/* still writing there */
	ck_assert_int_ge(tu_read_file(old, a, sizeof(a)), 0);
	n1 = check_lines(a);
	ck_assert_msg(n1 < 9990, "the helper wrote all its lines before the "
	    "reopen: this machine is too slow for this test");
	ck_assert_int_eq(tu_wait_contains(old, tu_fmt("line %d\n", n1 + 5),
	    WAIT_MS), 0);
	stop_daemon(pid);
	ck_assert_int_ge(tu_read_file(old, a, sizeof(a)), 0);
	ck_assert_int_ge(check_lines(a), n1 + 5);
	ck_assert_msg(strstr(a, "\nterm\n") != NULL, "%s", a);
	/* nothing was created in the directory that took the name */
	dp = opendir(log);
	ck_assert_ptr_nonnull(dp);
	while ((e = readdir(dp)) != NULL)
		ck_assert_msg(e->d_name[0] == '.', "%s in %s", e->d_name, log);
	closedir(dp);
	ck_assert_int_eq(tu_wait_no_procs(helper, WAIT_MS), 0);
	ck_assert(!tu_exists(pidfile));
	rm_tree(dir);
}
END_TEST

/* Relative -o and -p are resolved against the directory the helper was
 * started in, also for the reopen after the daemon moved to "/". */
START_TEST(test_e2e_relative_paths)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *argv[] = { helper, "-d", "-p", "rel.pid", "-o", "rel.log",
	    "-R", "report", NULL };
	char *log = tu_fmt("%s/rel.log", dir), *pidfile = tu_fmt("%s/rel.pid",
	    dir), *report = tu_fmt("%s/report", dir);
	char out[4096], buf[4096];
	pid_t pid;

	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(run_helper(argv, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(chdir("/"), 0);
	pid = started_daemon(pidfile);
	ck_assert(tu_lock_held(pidfile));
	ck_assert_int_eq(tu_wait_report(report, WAIT_MS), 0);
	ck_assert_str_eq(tu_report_get(report, "cwd"), "/");
	ck_assert_str_eq(tu_report_get(report, "fd1"), log);
	ck_assert_int_eq(rename(log, tu_fmt("%s.1", log)), 0);
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	ck_assert_int_eq(tu_wait_contains(log, "hup 1\n", WAIT_MS), 0);
	ck_assert(!tu_exists("/rel.log"));
	stop_daemon(pid);
	ck_assert_int_ge(tu_read_file(log, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "hup 1\nterm\n");
	ck_assert(!tu_exists(pidfile));
	ck_assert_int_eq(tu_wait_no_procs(helper, WAIT_MS), 0);
	rm_tree(dir);
}
END_TEST

/* The log file is opened as root: a symlink planted at its path (by a
 * daemon user who can write the log directory) is refused, and the file
 * it points at is not touched. */
START_TEST(test_log_symlink_refused)
{
	char *dir = tu_tmpdir();
	char *victim = tu_fmt("%s/victim", dir);
	char *link = tu_fmt("%s/daemon.log", dir);
	char *pidfile = tu_fmt("%s/p.pid", dir);
	char *argv[] = { (char *)tu_helper(), "-d", "-p", pidfile, "-o", link,
	    NULL };
	char out[2048], buf[64];
	struct stat st;
	int fd, status;

	fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(symlink(victim, link), 0);
	status = tu_run(argv, out, sizeof(out), tu_ms(20000));
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	ck_assert_msg(strstr(out, tu_fmt("helper: stdio: %s: is a symbolic "
	    "link", link)) != NULL, "output: %s", out);
	ck_assert_int_eq(stat(victim, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(tu_read_file(victim, buf, sizeof(buf)), 0);
	ck_assert_int_eq(access(pidfile, F_OK), -1);
	ck_assert(!tu_lock_held(pidfile));
}
END_TEST

/* ---- stdout and stderr move at ready ----------------------------------- */

/* What the daemon writes to stderr before ready reaches the command that
 * started it; after ready its stderr is /dev/null (0.1 moved it at start,
 * and the warning was lost). */
START_TEST(test_e2e_stderr_before_ready)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir), *report = tu_fmt("%s/r", dir);
	char *argv[] = { helper, "-d", "-p", pidfile, "-R", report, "-W",
	    "warning: config is old", NULL };
	char out[4096];
	pid_t pid;

	ck_assert_int_eq(run_helper(argv, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "warning: config is old\n");
	pid = started_daemon(pidfile);
	ck_assert_int_eq(tu_wait_report(report, WAIT_MS), 0);
	ck_assert_str_eq(tu_report_get(report, "fd1"), "/dev/null");
	ck_assert_str_eq(tu_report_get(report, "fd2"), "/dev/null");
	stop_daemon(pid);
	ck_assert_int_eq(tu_wait_no_procs(helper, WAIT_MS), 0);
	ck_assert(!tu_exists(pidfile));
	rm_tree(dir);
}
END_TEST

/* Before ready, stdout and stderr are still the starting command's (stdin
 * is /dev/null already); the log gets nothing until ready.  The daemon
 * never becomes ready here: the command gives up after 300 ms (scaled). */
START_TEST(test_e2e_stdio_before_ready)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir), *report = tu_fmt("%s/r", dir);
	char *log = tu_fmt("%s/h.log", dir), *outfile = tu_fmt("%s.out", helper);
	char *argv[] = { helper, "-d", "-p", pidfile, "-R", report, "-o", log,
	    "-W", "early", "-a", "hang", "-t", tu_fmt("%d", tu_ms(300)),
	    NULL };
	char out[4096], buf[64];
	pid_t pid;

	ck_assert_int_eq(run_helper(argv, out, sizeof(out)), 1);
	ck_assert_msg(strncmp(out, "early\n", 6) == 0 && strstr(out,
	    tu_fmt("not ready after %d ms", tu_ms(300))) != NULL, "%s", out);
	ck_assert_int_eq(tu_wait_report(report, WAIT_MS), 0);
	pid = atol(tu_report_get(report, "pid"));
	ck_assert_int_gt(pid, 1);
	ck_assert_str_eq(tu_report_get(report, "fd0"), "/dev/null");
	ck_assert_str_eq(tu_report_get(report, "fd1"), outfile);
	ck_assert_str_eq(tu_report_get(report, "fd2"), outfile);
	/* the log is open (created), but empty: nothing went there */
	ck_assert_int_eq(tu_read_file(log, buf, sizeof(buf)), 0);
	tu_kill(pid);
	ck_assert_int_eq(tu_wait_no_procs(helper, WAIT_MS), 0);
	rm_tree(dir);
}
END_TEST

/* ---- fds 0, 1, 2 closed at program start ------------------------------- */

static int
connect_port(int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "connect to %d: %s", port, strerror(errno));
	return fd;
}

/* The helper started with fd _i closed, locking before it binds (-l -b):
 * lock put /dev/null on the hole, so the listener got a number above 2,
 * and the daemon's stdio moves never replace it: it still serves. */
START_TEST(test_e2e_std_fd_closed)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir), *report = tu_fmt("%s/r", dir);
	char out[4096], buf[64], *cmd, *t;
	int port = 0, tries, lfd, c, st = -1;
	pid_t pid;
	ssize_t n;

	for (tries = 0; tries < 8; tries++) {
		port = tu_free_port();
		cmd = tu_fmt("exec %s -d -l -p %s -R %s -b %d %d<&-", helper,
		    pidfile, report, port, _i);
		{
			char *argv[] = { "/bin/sh", "-c", cmd, NULL };

			st = tu_run(argv, out, sizeof(out), WAIT_MS);
		}
		if (st == 0 || strstr(out, "bind 127.0.0.1") == NULL)
			break;
	}
	ck_assert_msg(st == 0, "status %#x: %s", st, out);
	pid = started_daemon(pidfile);
	ck_assert_int_eq(tu_wait_report(report, WAIT_MS), 0);
	lfd = atoi(tu_report_get(report, "listen_fd"));
	ck_assert_int_ge(lfd, 3);
	ck_assert_str_eq(tu_report_get(report, "fd0"), "/dev/null");
	ck_assert_str_eq(tu_report_get(report, "fd1"), "/dev/null");
	ck_assert_str_eq(tu_report_get(report, "fd2"), "/dev/null");
	t = tu_fd_target(pid, lfd);
	ck_assert_msg(strncmp(t, "socket:", 7) == 0, "fd %d is %s", lfd, t);
	free(t);
	c = connect_port(port);
	n = read(c, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, tu_fmt("helper %ld\n", (long)pid));
	close(c);
	stop_daemon(pid);
	ck_assert_int_eq(tu_wait_no_procs(helper, WAIT_MS), 0);
	ck_assert(!tu_exists(pidfile));
	rm_tree(dir);
}
END_TEST

/* ---- /dev/null that is not the null device ----------------------------- */

/* In a mount namespace of this test process only, a regular file is
 * bound over /dev/null: the daemon refuses to use it (it would collect
 * everything written to "nowhere"), the command says why, and nothing is
 * created: no pidfile, no log, nothing written into the file. */
START_TEST(test_e2e_devnull_not_device)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir), *log = tu_fmt("%s/h.log", dir);
	char *fake = tu_fmt("%s/fake-null", dir);
	char *argv[] = { helper, "-d", "-p", pidfile, "-o", log, NULL };
	char out[4096];
	struct stat st;

	TU_NEED_ROOT();
	tu_stdin_null();	/* the real one, opened before the mount */
	tu_touch(fake);
	if (unshare(CLONE_NEWNS) == -1) {
		printf("%s: skipped: unshare: %s\n", __func__, strerror(errno));
		return;
	}
	ck_assert_int_eq(mount("none", "/", "none", MS_REC | MS_PRIVATE,
	    NULL), 0);
	ck_assert_int_eq(mount(fake, "/dev/null", "none", MS_BIND, NULL), 0);
	ck_assert_int_eq(stat("/dev/null", &st), 0);
	ck_assert(S_ISREG(st.st_mode));

	ck_assert_int_eq(run_helper(argv, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "helper: stdio: /dev/null: not the null "
	    "device") != NULL, "%s", out);
	ck_assert_int_eq(tu_wait_no_procs(helper, WAIT_MS), 0);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_lock_held(pidfile));
	ck_assert(!tu_exists(log));
	ck_assert_int_eq(stat(fake, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(umount("/dev/null"), 0);
	rm_tree(dir);
}
END_TEST

/* ---- the log and the daemon's user ------------------------------------- */

/* The log is created owned by the daemon's user (-u nobody), in a
 * directory that user owns, so that after logrotate moved it away the
 * daemon, no longer root, can create it again on SIGHUP. */
START_TEST(test_e2e_log_owner_reopen_after_drop)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *logdir = tu_fmt("%s/logs", dir), *pidfile = tu_fmt("%s/h.pid",
	    dir);
	char *log = tu_fmt("%s/h.log", logdir), *old = tu_fmt("%s.1", log);
	char *report = tu_fmt("%s/r", dir);
	char *argv[] = { helper, "-d", "-u", "nobody", "-p", pidfile, "-o",
	    log, "-R", report, NULL };
	char out[4096], buf[4096];
	struct passwd *pw;
	struct stat st;
	pid_t pid;

	TU_NEED_ROOT();
	pw = getpwnam("nobody");
	ck_assert_ptr_nonnull(pw);
	ck_assert_int_eq(mkdir(logdir, 0755), 0);
	ck_assert_int_eq(chown(logdir, pw->pw_uid, pw->pw_gid), 0);
	/* the report is written by nobody after the drop */
	tu_touch(report);
	ck_assert_int_eq(chmod(report, 0666), 0);

	ck_assert_int_eq(run_helper(argv, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	pid = started_daemon(pidfile);
	ck_assert_int_eq(tu_wait_report(report, WAIT_MS), 0);
	ck_assert_int_eq(atol(tu_report_get(report, "euid")), pw->pw_uid);
	ck_assert_int_eq(lstat(log, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_uid, pw->pw_uid);
	ck_assert_int_eq(st.st_gid, pw->pw_gid);

	ck_assert_int_eq(rename(log, old), 0);
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	ck_assert_int_eq(tu_wait_contains(log, "hup 1\n", WAIT_MS), 0);
	ck_assert_int_eq(lstat(log, &st), 0);
	ck_assert_int_eq(st.st_uid, pw->pw_uid);
	stop_daemon(pid);
	ck_assert_int_ge(tu_read_file(log, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "hup 1\nterm\n");
	ck_assert_int_ge(tu_read_file(old, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(tu_wait_no_procs(helper, WAIT_MS), 0);
	rm_tree(dir);
}
END_TEST

static Suite *
stdio_suite(void)
{
	Suite *s = suite_create("stdio");
	TCase *tc;

	tc = tcase_create("sanitize");
	tcase_add_checked_fixture(tc, tu_clean_env, NULL);
	tcase_add_loop_test(tc, test_sanitize_closed, 0,
	    (int)(sizeof(closed_sets) / sizeof(closed_sets[0])));
	tcase_add_test(tc, test_sanitize_fails);
	tcase_add_test(tc, test_start_fd1_closed_foreground);
	suite_add_tcase(s, tc);

	tc = tcase_create("redirect");
	tcase_add_checked_fixture(tc, owners_setup, NULL);
	tcase_add_test(tc, test_redirect_devnull);
	tcase_add_test(tc, test_redirect_log);
	tcase_add_loop_test(tc, test_redirect_unwritable, 0, 2);
	tcase_add_test(tc, test_reopen_noop);
	tcase_add_test(tc, test_reopen_unit);
	tcase_add_loop_test(tc, test_pidfile_is_log, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("end-to-end");
	tcase_add_checked_fixture(tc, tu_clean_env, NULL);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_e2e_devnull);
	tcase_add_test(tc, test_e2e_log);
	tcase_add_loop_test(tc, test_e2e_unwritable_log, 0, 2);
	tcase_add_test(tc, test_e2e_fd1_closed);
	tcase_add_test(tc, test_e2e_rotate);
	tcase_add_test(tc, test_e2e_reopen_fails);
	tcase_add_test(tc, test_e2e_relative_paths);
	tcase_add_test(tc, test_log_symlink_refused);
	tcase_add_test(tc, test_e2e_stderr_before_ready);
	tcase_add_test(tc, test_e2e_stdio_before_ready);
	tcase_add_loop_test(tc, test_e2e_std_fd_closed, 0, 3);
	tcase_add_test(tc, test_e2e_devnull_not_device);
	tcase_add_test(tc, test_e2e_log_owner_reopen_after_drop);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(stdio_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

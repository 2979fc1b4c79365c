/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * check_fds.c - lib/fds.c, lib/compat/close_range.c and logger.c: closing
 * inherited descriptors, keeping the ones asked for and the connection to
 * the system logger.
 *
 * Sweeping fds in Check's own test process would close the file Check
 * reports through, so each sweep runs in a child of the test process: it
 * closes everything above 2 with code of its own, sets up the fds of the
 * case, sweeps, and writes what is still open (and the call's result)
 * into a file the test then compares.
 *
 * No test here measures time: that closing costs O(open fds) and not
 * O(RLIMIT_NOFILE) is a performance claim for the benchmarks.  What is
 * asserted is the behaviour that follows from doing it right: fds up to
 * the hard limit, and above a lowered soft limit, are closed too.
 */
#include "util.h"
#include "compat.h"
#include "fds.h"

#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemonize.h"
#include "testutil.h"

#define WAIT_MS tu_ms(30000)

static const char *const envvars[] = {
	"NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
	"SYSTEMD_EXEC_PID", "WATCHDOG_PID", "WATCHDOG_USEC",
	"SUPERVISOR_ENABLED", "XPC_SERVICE_NAME", "INVOCATION_ID",
	"JOURNAL_STREAM", "DAEMONIZE_MODE", NULL
};

/* The soft RLIMIT_NOFILE after raising it to the hard limit.  fds at or
 * above it are not the program's: valgrind keeps its own there. */
static int fdlimit;
/* The highest fd the tests use: just under the limit. */
static int topfd;

/* Runs in each test's forked process. */
static void
setup(void)
{
	struct rlimit rl;
	int i;

	for (i = 0; envvars[i] != NULL; i++)
		ck_assert_int_eq(unsetenv(envvars[i]), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	fdlimit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX ?
	    INT_MAX : (int)rl.rlim_cur;
	ck_assert_int_gt(fdlimit, 600);
	topfd = fdlimit - 2;
}

static void
assert_text(const struct daemonize *d, const char *frag)
{
	ck_assert_msg(strstr(daemonize_error(d), frag) != NULL,
	    "\"%s\" not in \"%s\"", frag, daemonize_error(d));
}

/* ---- the child that sweeps --------------------------------------------- */

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The open fds below fdlimit, ascending, comma-separated, into buf.
 * Async-signal-unsafe calls are fine: the child is single-threaded. */
static int
list_fds(char *buf, size_t len)
{
	static int fds[65536];
	struct dirent *e;
	DIR *dir = opendir("/proc/self/fd");
	size_t n = 0, i, used = 0;
	int fd;

	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL && n < 65536) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = atoi(e->d_name);
		if (fd != dirfd(dir) && fd < fdlimit)
			fds[n++] = fd;
	}
	closedir(dir);
	qsort(fds, n, sizeof(fds[0]), cmp_int);
	buf[0] = '\0';
	for (i = 0; i < n && used + 16 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%d",
		    i ? "," : "", fds[i]);
	return 0;
}

/* Close every fd above 2 by listing them: the baseline for each case,
 * done without the code under test. */
static int
close_above_2(void)
{
	static int fds[65536];
	struct dirent *e;
	DIR *dir = opendir("/proc/self/fd");
	size_t n = 0, i;
	int fd;

	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL && n < 65536) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = atoi(e->d_name);
		if (fd > 2 && fd != dirfd(dir) && fd < fdlimit)
			fds[n++] = fd;
	}
	closedir(dir);
	for (i = 0; i < n; i++)
		(void)close(fds[i]);
	return 0;
}

/* Open /dev/null at each fd of the -1 terminated list. */
static int
open_at(const int *fds)
{
	int nul = open("/dev/null", O_RDONLY), i;

	if (nul == -1)
		return -1;
	for (i = 0; fds[i] != -1; i++)
		if (fds[i] != nul && dup2(nul, fds[i]) != fds[i])
			return -1;
	for (i = 0; fds[i] != -1; i++)
		if (fds[i] == nul)
			return 0;
	return close(nul);
}

/*
 * Run fn in a child (fds 0-2 on /dev/null or as inherited, nothing above
 * 2 open); fn sets up its fds and returns what it wants reported in
 * front of the fd list, as "r=R errno=E".  Returns "<that> fds=<list>"
 * in a malloc'ed string.
 */
typedef int (*sweep_fn)(int *err);

static char *
in_child(sweep_fn fn)
{
	char *dir = tu_tmpdir(), *result = tu_fmt("%s/result", dir);
	char buf[65536];
	pid_t pid, r = 0;
	int status = 0, waited;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char line[65536 + 64];
		int ret, err = 0, fd;
		size_t len;

		if (close_above_2() == -1)
			_exit(90);
		ret = fn(&err);
		if (ret == -99)
			_exit(91);	/* setup failed */
		len = (size_t)snprintf(line, sizeof(line), "r=%d errno=%d fds=",
		    ret, err);
		if (list_fds(line + len, sizeof(line) - len) == -1)
			_exit(92);
		fd = open(result, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd == -1 || write(fd, line, strlen(line)) !=
		    (ssize_t)strlen(line))
			_exit(93);
		_exit(0);
	}
	for (waited = 0; waited < WAIT_MS; waited += 2) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		tu_msleep(2);
	}
	if (r != pid) {
		tu_kill(pid);
		ck_abort_msg("sweep child did not finish");
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "sweep child status %#x", status);
	ck_assert_int_ge(tu_read_file(result, buf, sizeof(buf)), 0);
	(void)unlink(result);
	(void)rmdir(dir);
	return strdup(buf);
}

static void
assert_child(sweep_fn fn, const char *expect)
{
	char *got = in_child(fn);

	ck_assert_str_eq(got, expect);
	free(got);
}

/* ---- dz_fds_sweep ------------------------------------------------------ */

/* The sweep of the list, errno into *err, the call's result. */
static int
sweep(int *keep, size_t n, int *err)
{
	struct dz_err e = { "" };
	int r;

	errno = 0;
	r = dz_fds_sweep(keep, n, &e);
	*err = r == -1 ? errno : 0;
	return r;
}

static int
case_keep_some(int *err)
{
	int fds[] = { 7, 19, 500, topfd, -1 };
	int keep[] = { 19, 500 };

	if (open_at(fds) == -1)
		return -99;
	return sweep(keep, 2, err);
}

START_TEST(test_keep_some)
{
	assert_child(case_keep_some, "r=0 errno=0 fds=0,1,2,19,500");
}
END_TEST

static int
case_keep_messy(int *err)
{
	int fds[] = { 7, 19, 500, topfd, -1 };
	int keep[] = { topfd, -1, 7, 7, -5, topfd, 19, INT_MIN, 19 };

	if (open_at(fds) == -1)
		return -99;
	return sweep(keep, sizeof(keep) / sizeof(keep[0]), err);
}

/* Unsorted, repeated and negative entries in the keep list. */
START_TEST(test_keep_messy)
{
	assert_child(case_keep_messy, tu_fmt("r=0 errno=0 fds=0,1,2,7,19,%d",
	    topfd));
}
END_TEST

static int
case_keep_none(int *err)
{
	int fds[] = { 3, 4, 7, 19, 500, topfd, -1 };

	if (open_at(fds) == -1)
		return -99;
	return sweep(NULL, 0, err);
}

START_TEST(test_keep_none)
{
	assert_child(case_keep_none, "r=0 errno=0 fds=0,1,2");
}
END_TEST

static int
case_keep_stdio(int *err)
{
	int fds[] = { 5, 7, 19, 20, 21, 500, topfd, -1 };
	int keep[] = { 0, 21, 2 };

	if (open_at(fds) == -1)
		return -99;
	/* 0-2 are never closed, kept or not; a kept 0 or 2 changes nothing
	 * else */
	return sweep(keep, 3, err);
}

START_TEST(test_keep_stdio)
{
	assert_child(case_keep_stdio, "r=0 errno=0 fds=0,1,2,21");
}
END_TEST

static int
case_keep_adjacent(int *err)
{
	int fds[] = { 3, 4, 5, 6, 8, 9, -1 };
	int keep[] = { 5, 3, 4, 9, 10 };

	if (open_at(fds) == -1)
		return -99;
	/* kept fds at 3, next to each other, and one not open (10) */
	return sweep(keep, 5, err);
}

START_TEST(test_keep_adjacent)
{
	assert_child(case_keep_adjacent, "r=0 errno=0 fds=0,1,2,3,4,5,9");
}
END_TEST

static int
case_above_soft_limit(int *err)
{
	int fds[] = { 7, 500, topfd, -1 };
	struct rlimit rl;

	if (open_at(fds) == -1 || getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -99;
	/* A parent with a higher limit handed us fds above our own soft
	 * limit: a loop up to the limit would miss them. */
	rl.rlim_cur = 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -99;
	return sweep(NULL, 0, err);
}

START_TEST(test_above_soft_limit)
{
	assert_child(case_above_soft_limit, "r=0 errno=0 fds=0,1,2");
}
END_TEST

static int
case_bad_keep(int *err)
{
	int fds[] = { 7, 500, -1 };

	if (open_at(fds) == -1)
		return -99;
	return sweep(NULL, 2, err);
}

/* A count without a list: EINVAL, and nothing closed. */
START_TEST(test_bad_arguments)
{
	assert_child(case_bad_keep, tu_fmt("r=-1 errno=%d fds=0,1,2,7,500",
	    EINVAL));
}
END_TEST

/* ---- dz_close_range ---------------------------------------------------- */

static int
case_range(int *err)
{
	int fds[] = { 40, 41, 42, 43, 44, 45, 50, -1 };

	if (open_at(fds) == -1)
		return -99;
	if (dz_close_range(41, 44) == -1 || dz_close_range(60, 50) == -1 ||
	    dz_close_range(50, 50) == -1) {
		*err = errno;
		return -1;
	}
	*err = 0;
	return 0;
}

START_TEST(test_close_range)
{
	assert_child(case_range, "r=0 errno=0 fds=0,1,2,40,45");
}
END_TEST

static int
case_range_to_end(int *err)
{
	int fds[] = { 40, 45, 500, topfd, -1 };

	if (open_at(fds) == -1)
		return -99;
	if (dz_close_range(45, UINT_MAX) == -1) {
		*err = errno;
		return -1;
	}
	*err = 0;
	return 0;
}

START_TEST(test_close_range_to_end)
{
	assert_child(case_range_to_end, "r=0 errno=0 fds=0,1,2,40");
}
END_TEST

/* ---- daemonize_keep_fd ------------------------------------------------- */

START_TEST(test_keep_fd)
{
	struct daemonize *d = daemonize_new("test");
	int fd;

	ck_assert_ptr_nonnull(d);
	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(close(fd), 0);

	errno = 0;
	ck_assert_int_eq(daemonize_keep_fd(d, fd), -1);
	ck_assert_int_eq(errno, EBADF);
	assert_text(d, tu_fmt("keep_fd: fd %d is not open", fd));
	errno = 0;
	ck_assert_int_eq(daemonize_keep_fd(d, -1), -1);
	ck_assert_int_eq(errno, EBADF);
	assert_text(d, "keep_fd: fd -1 is not open");
	errno = 0;
	ck_assert_int_eq(daemonize_keep_fd(d, topfd + 1), -1);
	ck_assert_int_eq(errno, EBADF);
	/* stdio: the daemon replaces it, so it cannot be kept */
	errno = 0;
	ck_assert_int_eq(daemonize_keep_fd(d, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	assert_text(d, "keep_fd: fd 0 is standard input");

	ck_assert_int_eq(dup2(0, 7), 7);
	ck_assert_int_eq(daemonize_keep_fd(d, 7), 0);
	ck_assert_int_eq(daemonize_keep_fd(d, 7), 0);	/* once only */
	/* beyond the first allocation */
	for (fd = 100; fd < 120; fd++) {
		ck_assert_int_eq(dup2(0, fd), fd);
		ck_assert_int_eq(daemonize_keep_fd(d, fd), 0);
	}
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_lock(d), 0);
	/* between lock and start: still allowed (a socket bound after the
	 * lock) */
	ck_assert_int_eq(dup2(0, 120), 120);
	ck_assert_int_eq(daemonize_keep_fd(d, 120), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	errno = 0;
	ck_assert_int_eq(daemonize_keep_fd(d, 7), -1);
	ck_assert_int_eq(errno, EBUSY);
	assert_text(d, "keep_fd: too late: daemonize_start was called");
	/* foreground mode sweeps nothing */
	for (fd = 100; fd <= 120; fd++)
		ck_assert_int_ne(fcntl(fd, F_GETFD), -1);
	daemonize_free(d);
	errno = 0;
	ck_assert_int_eq(daemonize_keep_fd(NULL, 3), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- end to end -------------------------------------------------------- */

static bool
in_list(const char *list, int fd)
{
	const char *p = list;
	char *end;

	while (*p != '\0') {
		long v = strtol(p, &end, 10);

		if (end == p)
			return false;
		if (v == fd)
			return true;
		p = *end == ',' ? end + 1 : end;
	}
	return false;
}

/*
 * The helper started with inherited fds 7 and 19000 (or just under the
 * limit) open on a file of their own and fd 9 kept: in the daemon no fd
 * points at that file any more (the number 7 itself may be reused by the
 * library's own pipes), 19000 is closed, 9 is open on the same file, and
 * what else is open is 0-2, the report, the pidfile and the signal pipe
 * (the report is written after ready, which closed the status pipe, and
 * the opened /dev/null went onto 1 and 2).
 */
START_TEST(test_e2e_inherited)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir), *report = tu_fmt("%s/r", dir);
	char *kept = tu_fmt("%s/kept", dir), *err = tu_fmt("%s/err", dir);
	char *inherited = tu_fmt("%s/inherited", dir);
	int high = topfd < 19000 ? topfd : 19000;
	char buf[4096], fds[4096], *t;
	const char *v;
	pid_t child, pid;
	int status = 0, fd, sigfd, others = 0, pidfd = -1, repfd = -1;
	char *p, *end;

	ck_assert_ptr_nonnull(helper);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		int nul = open(inherited, O_RDONLY | O_CREAT, 0644);
		int k = open(kept, O_WRONLY | O_CREAT, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (nul < 3 || k < 3 || e < 3 || dup2(nul, 7) != 7 ||
		    dup2(nul, high) != high || dup2(k, 9) != 9 ||
		    dup2(e, 2) != 2)
			_exit(126);
		close(nul);
		close(k);
		close(e);
		execl(helper, helper, "-d", "-k", "9", "-R", report, "-p",
		    pidfile, (char *)NULL);
		_exit(127);
	}
	if (tu_wait_child(child, WAIT_MS, &status) == -1) {
		tu_kill(child);
		ck_abort_msg("helper did not finish");
	}
	(void)tu_read_file(err, buf, sizeof(buf));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %#x: %s", status, buf);
	pid = tu_pidfile_pid(pidfile);
	ck_assert_int_gt(pid, 0);
	ck_assert(tu_alive(pid));
	ck_assert_int_eq(tu_wait_report(report, WAIT_MS), 0);

	v = tu_report_get(report, "fds");
	ck_assert_ptr_nonnull(v);
	snprintf(fds, sizeof(fds), "%s", v);
	v = tu_report_get(report, "signal_fd");
	ck_assert_ptr_nonnull(v);
	sigfd = atoi(v);
	ck_assert_msg(!in_list(fds, high), "fd %d survived: %s", high, fds);
	ck_assert_msg(in_list(fds, 9), "kept fd 9 closed: %s", fds);
	for (fd = 0; fd <= 2; fd++)
		ck_assert_msg(in_list(fds, fd), "fd %d closed: %s", fd, fds);
	ck_assert_msg(in_list(fds, sigfd), "signal fd %d: %s", sigfd, fds);
	t = tu_fd_target(pid, 9);
	ck_assert_str_eq(t, kept);
	free(t);

	/* Everything else: identified from outside where still open. */
	for (p = fds; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		fd = (int)strtol(p, &end, 10);
		ck_assert(end != p);
		if (fd >= fdlimit)
			continue;
		t = tu_fd_target(pid, fd);
		/* The library may reuse the number 7 for its own fds once
		 * the sweep closed it, so the inherited ones are told apart
		 * by what they point at. */
		ck_assert_msg(strcmp(t, inherited) != 0,
		    "inherited fd %d survived: %s", fd, fds);
		if (fd <= 2 || fd == 9 || fd == sigfd) {
			free(t);
			continue;
		}
		others++;
		if (strcmp(t, pidfile) == 0)
			pidfd = fd;
		else if (strcmp(t, report) == 0)
			repfd = fd;
		else	/* the signal pipe's write end */
			ck_assert_msg(*t == '\0' || strncmp(t, "pipe:", 5) == 0,
			    "fd %d is %s: %s", fd, t, fds);
		free(t);
	}
	/* and nothing open now points at the inherited file either */
	{
		char *fddir = tu_fmt("/proc/%ld/fd", (long)pid);
		struct dirent *e;
		DIR *dp = opendir(fddir);

		ck_assert_ptr_nonnull(dp);
		while ((e = readdir(dp)) != NULL) {
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			t = tu_fd_target(pid, atoi(e->d_name));
			ck_assert_msg(strcmp(t, inherited) != 0,
			    "inherited file open on fd %s", e->d_name);
			free(t);
		}
		closedir(dp);
		free(fddir);
	}
	ck_assert_msg(pidfd >= 3, "no pidfile fd in %s", fds);
	ck_assert_msg(repfd >= 3, "no report fd in %s", fds);
	ck_assert_msg(others == 3, "expected report, pidfile and signal pipe "
	    "besides 0-2, 9 and %d: %s", sigfd, fds);

	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(tu_wait_gone(pid, WAIT_MS), 0);
	ck_assert(access(pidfile, F_OK) == -1);
	(void)unlink(report);
	(void)unlink(kept);
	(void)unlink(err);
	(void)unlink(inherited);
	(void)unlink(helper);
	ck_assert_int_eq(rmdir(dir), 0);
	free(helper);
}
END_TEST

/* ---- the connection to the system logger ------------------------------- */

/* This test process in a mount namespace of its own, with a tmpfs on
 * /dev holding the null device and a datagram socket bound at /dev/log:
 * the test's own system logger, nothing outside sees it.  The socket, or
 * -1 when the namespace is refused (then the test skips). */
static int
private_logger(void)
{
	struct sockaddr_un sun;
	int fd;

	if (geteuid() != 0 || unshare(CLONE_NEWNS) == -1)
		return -1;
	ck_assert_int_eq(mount("none", "/", "none", MS_REC | MS_PRIVATE,
	    NULL), 0);
	ck_assert_int_eq(mount("dztest", "/dev", "tmpfs", 0, "mode=0755"), 0);
	ck_assert_int_eq(mknod("/dev/null", S_IFCHR | 0666, makedev(1, 3)), 0);
	ck_assert_int_eq(chmod("/dev/null", 0666), 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/dev/log");
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(chmod("/dev/log", 0666), 0);
	return fd;
}

/* A datagram socket connected to path at fd target; 0 or -1. */
static int
connected_at(const char *path, int target)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	if (fd == -1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    dup2(fd, target) != target)
		return -1;
	return close(fd);
}

static char *other_socket;

static int
case_logger(int *err)
{
	/* 7: the logger connection; 8: another datagram socket; 9: a
	 * file */
	int fds[] = { 9, -1 };

	if (connected_at("/dev/log", 7) == -1 ||
	    connected_at(other_socket, 8) == -1 || open_at(fds) == -1)
		return -99;
	return sweep(NULL, 0, err);
}

/* The sweep keeps a connection to the system logger without being told,
 * and only that one. */
START_TEST(test_sweep_keeps_logger)
{
	struct sockaddr_un sun;
	char *dir = tu_tmpdir();
	int lfd, ofd;

	if ((lfd = private_logger()) == -1) {
		printf("%s: skipped: no mount namespace\n", __func__);
		return;
	}
	other_socket = tu_fmt("%s/other", dir);
	ofd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(ofd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, other_socket);
	ck_assert_int_eq(bind(ofd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_child(case_logger, "r=0 errno=0 fds=0,1,2,7");
	close(ofd);
	close(lfd);
}
END_TEST

/* Wait (bounded) for a datagram on fd containing needle; the datagrams
 * seen, joined, in buf. */
static bool
logged(int fd, const char *needle, char *buf, size_t len)
{
	long long deadline = tu_now_ms() + WAIT_MS;
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t used = strlen(buf);
	ssize_t n;

	while (strstr(buf, needle) == NULL) {
		long long left = deadline - tu_now_ms();

		if (left <= 0 || used + 1 >= len)
			return false;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = recv(fd, buf + used, len - used - 1, MSG_DONTWAIT);
		if (n > 0) {
			used += (size_t)n;
			buf[used++] = '|';
			buf[used] = '\0';
		}
	}
	return true;
}

/* A daemon that called openlog(LOG_NDELAY) and syslog before start keeps
 * logging after it (the sweep kept the socket), and SIGTERM still stops it
 * (the signal pipe, created before the sweep, did not take the logger's
 * number: syslog lines would go into the pipe, signals be lost). */
START_TEST(test_e2e_logger_kept)
{
	char *dir = tu_tmpdir(), *helper = tu_private_helper(dir);
	char *pidfile = tu_fmt("%s/h.pid", dir);
	char *argv[] = { helper, "-d", "-Y", "-p", pidfile, NULL };
	static char buf[65536];
	char out[4096];
	pid_t pid;
	int lfd, st;

	if ((lfd = private_logger()) == -1) {
		printf("%s: skipped: no mount namespace\n", __func__);
		return;
	}
	st = tu_run_env(argv, tu_clean_envv(NULL), out, sizeof(out), WAIT_MS);
	ck_assert_msg(st == 0, "status %#x: %s", st, out);
	pid = tu_pidfile_pid(pidfile);
	ck_assert_int_gt(pid, 1);
	buf[0] = '\0';
	ck_assert_msg(logged(lfd, "before start", buf, sizeof(buf)), "%s",
	    buf);
	ck_assert_msg(logged(lfd, tu_fmt("helper[%ld]: after start",
	    (long)pid), buf, sizeof(buf)), "logged: %s", buf);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_msg(logged(lfd, tu_fmt("helper[%ld]: stopping", (long)pid),
	    buf, sizeof(buf)), "logged: %s", buf);
	ck_assert_int_eq(tu_wait_gone(pid, WAIT_MS), 0);
	ck_assert_int_eq(tu_wait_no_procs(helper, WAIT_MS), 0);
	ck_assert(!tu_exists(pidfile));
	close(lfd);
}
END_TEST

static Suite *
fds_suite(void)
{
	Suite *s = suite_create("fds");
	TCase *tc;

	tc = tcase_create("sweep");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_keep_some);
	tcase_add_test(tc, test_keep_messy);
	tcase_add_test(tc, test_keep_none);
	tcase_add_test(tc, test_keep_stdio);
	tcase_add_test(tc, test_keep_adjacent);
	tcase_add_test(tc, test_above_soft_limit);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_close_range);
	tcase_add_test(tc, test_close_range_to_end);
	tcase_add_test(tc, test_keep_fd);
	tcase_add_test(tc, test_sweep_keeps_logger);
	suite_add_tcase(s, tc);

	tc = tcase_create("end-to-end");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_e2e_inherited);
	tcase_add_test(tc, test_e2e_logger_kept);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fds_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

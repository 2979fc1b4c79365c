/*
 * check_fds.c - lib/fds.c and lib/compat/close_range.c: closing inherited
 * descriptors, keeping the ones asked for.
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
#include "internal.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define WAIT_MS 30000

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

/* ---- the child that sweeps ----------------------------------------------- */

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

/* ---- daemonize_close_fds ------------------------------------------------- */

static int
case_keep_some(int *err)
{
	int fds[] = { 7, 19, 500, topfd, -1 };
	int keep[] = { 19, 500 };
	int r;

	if (open_at(fds) == -1)
		return -99;
	r = daemonize_close_fds(3, keep, 2);
	*err = r == -1 ? errno : 0;
	return r;
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
	int r;

	if (open_at(fds) == -1)
		return -99;
	r = daemonize_close_fds(3, keep, sizeof(keep) / sizeof(keep[0]));
	*err = r == -1 ? errno : 0;
	return r;
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
	int r;

	if (open_at(fds) == -1)
		return -99;
	r = daemonize_close_fds(3, NULL, 0);
	*err = r == -1 ? errno : 0;
	return r;
}

START_TEST(test_keep_none)
{
	assert_child(case_keep_none, "r=0 errno=0 fds=0,1,2");
}
END_TEST

static int
case_lowfd(int *err)
{
	int fds[] = { 5, 7, 19, 20, 21, 500, topfd, -1 };
	int keep[] = { 5, 21, 3 };
	int r;

	if (open_at(fds) == -1)
		return -99;
	/* 5 and 7 are below lowfd and stay whatever the list says; 19 is
	 * lowfd itself and is closed. */
	r = daemonize_close_fds(19, keep, 3);
	*err = r == -1 ? errno : 0;
	return r;
}

START_TEST(test_lowfd)
{
	assert_child(case_lowfd, "r=0 errno=0 fds=0,1,2,5,7,21");
}
END_TEST

static int
case_keep_adjacent(int *err)
{
	int fds[] = { 3, 4, 5, 6, 8, 9, -1 };
	int keep[] = { 5, 3, 4, 9, 10 };
	int r;

	if (open_at(fds) == -1)
		return -99;
	/* kept fds at lowfd, next to each other, and one not open (10) */
	r = daemonize_close_fds(3, keep, 5);
	*err = r == -1 ? errno : 0;
	return r;
}

START_TEST(test_keep_adjacent)
{
	assert_child(case_keep_adjacent, "r=0 errno=0 fds=0,1,2,3,4,5,9");
}
END_TEST

static int
case_lowfd_zero(int *err)
{
	int fds[] = { 7, -1 };
	int keep[] = { 1 };
	int r;

	if (open_at(fds) == -1)
		return -99;
	/* lowfd 0 is allowed: the caller's stdio goes too unless kept */
	r = daemonize_close_fds(0, keep, 1);
	*err = r == -1 ? errno : 0;
	return r;
}

START_TEST(test_lowfd_zero)
{
	assert_child(case_lowfd_zero, "r=0 errno=0 fds=1");
}
END_TEST

static int
case_lowfd_high(int *err)
{
	int fds[] = { 7, 500, topfd, -1 };
	int r;

	if (open_at(fds) == -1)
		return -99;
	r = daemonize_close_fds(topfd + 1, NULL, 0);
	*err = r == -1 ? errno : 0;
	return r;
}

/* Nothing at or above a lowfd past every open fd: nothing closed. */
START_TEST(test_lowfd_high)
{
	assert_child(case_lowfd_high, tu_fmt("r=0 errno=0 fds=0,1,2,7,500,%d",
	    topfd));
}
END_TEST

static int
case_above_soft_limit(int *err)
{
	int fds[] = { 7, 500, topfd, -1 };
	struct rlimit rl;
	int r;

	if (open_at(fds) == -1 || getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -99;
	/* A parent with a higher limit handed us fds above our own soft
	 * limit: a loop up to the limit would miss them. */
	rl.rlim_cur = 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -99;
	r = daemonize_close_fds(3, NULL, 0);
	*err = r == -1 ? errno : 0;
	return r;
}

START_TEST(test_above_soft_limit)
{
	assert_child(case_above_soft_limit, "r=0 errno=0 fds=0,1,2");
}
END_TEST

static int
case_bad_lowfd(int *err)
{
	int fds[] = { 7, 500, -1 };
	int r;

	if (open_at(fds) == -1)
		return -99;
	errno = 0;
	r = daemonize_close_fds(-1, NULL, 0);
	*err = errno;
	return r;
}

static int
case_bad_keep(int *err)
{
	int fds[] = { 7, 500, -1 };
	int r;

	if (open_at(fds) == -1)
		return -99;
	errno = 0;
	r = daemonize_close_fds(3, NULL, 2);
	*err = errno;
	return r;
}

/* Bad arguments: EINVAL, and nothing closed. */
START_TEST(test_bad_arguments)
{
	assert_child(case_bad_lowfd, "r=-1 errno=22 fds=0,1,2,7,500");
	assert_child(case_bad_keep, "r=-1 errno=22 fds=0,1,2,7,500");
	ck_assert_int_eq(EINVAL, 22);
}
END_TEST

/* ---- dz_close_range ------------------------------------------------------ */

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

/* ---- daemonize_keep_fd --------------------------------------------------- */

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
	ck_assert_uint_eq(d->nkeep, 0);

	ck_assert_int_eq(dup2(0, 7), 7);
	ck_assert_int_eq(daemonize_keep_fd(d, 7), 0);
	ck_assert_int_eq(daemonize_keep_fd(d, 7), 0);	/* once only */
	ck_assert_int_eq(daemonize_keep_fd(d, 0), 0);
	ck_assert_uint_eq(d->nkeep, 2);
	ck_assert_int_eq(d->keep[0], 7);
	ck_assert_int_eq(d->keep[1], 0);
	/* beyond the first allocation */
	for (fd = 100; fd < 120; fd++) {
		ck_assert_int_eq(dup2(0, fd), fd);
		ck_assert_int_eq(daemonize_keep_fd(d, fd), 0);
	}
	ck_assert_uint_eq(d->nkeep, 22);
	ck_assert_int_eq(d->keep[21], 119);

	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	errno = 0;
	ck_assert_int_eq(daemonize_keep_fd(d, 7), -1);
	ck_assert_int_eq(errno, EBUSY);
	assert_text(d, "keep_fd: configuration cannot change after "
	    "daemonize_start");
	daemonize_free(d);
	errno = 0;
	ck_assert_int_eq(daemonize_keep_fd(NULL, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- end to end ---------------------------------------------------------- */

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
 * what else is open is 0-2, the report, the pidfile, the signal pipe and
 * the status pipe (still open while the report is written, before ready).
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
		else	/* the signal pipe's write end, or the status pipe
			 * (closed by ready since) */
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
	ck_assert_msg(others == 4, "expected report, pidfile, signal pipe "
	    "and status pipe besides 0-2, 9 and %d: %s", sigfd, fds);

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

static Suite *
fds_suite(void)
{
	Suite *s = suite_create("fds");
	TCase *tc;

	tc = tcase_create("close_fds");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_keep_some);
	tcase_add_test(tc, test_keep_messy);
	tcase_add_test(tc, test_keep_none);
	tcase_add_test(tc, test_lowfd);
	tcase_add_test(tc, test_keep_adjacent);
	tcase_add_test(tc, test_lowfd_zero);
	tcase_add_test(tc, test_lowfd_high);
	tcase_add_test(tc, test_above_soft_limit);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_close_range);
	tcase_add_test(tc, test_close_range_to_end);
	tcase_add_test(tc, test_keep_fd);
	suite_add_tcase(s, tc);

	tc = tcase_create("end-to-end");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_e2e_inherited);
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

/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * check_load.c - examples/echod under load and across a long life: 500
 * concurrent clients on loopback, 100 SIGHUP reloads while they keep
 * echoing, then SIGTERM with the clients still connected.
 *
 * What is asserted, and why each is a fair assertion in a test:
 *   - no connection is dropped by a reload: every one still echoes after
 *     the 100 reloads (each reload reopens the log file, the step most
 *     likely to disturb descriptors);
 *   - no descriptor leaks: /proc/PID/fd counted before the load, with the
 *     500 clients, and after they all closed, back at the baseline;
 *   - memory stays flat: VmRSS and VmData sampled after reload 10 and
 *     after reload 100 grow by less than 64 KiB.  This is a count of
 *     memory, not a timing, so it does not depend on how loaded the
 *     machine is.  Reload 10 is the reference rather than reload 0 so that
 *     first-use allocations (stdio buffers, lazily touched pages of code
 *     and of the client buffers) are behind us; every echo uses messages
 *     of one fixed size so no client buffer touches new pages later.  A
 *     leak of even a few hundred bytes per reload (a FILE, a path copy)
 *     would pass 64 KiB over 90 reloads only if it were below ~700 bytes;
 *     VmData, which counts the heap's pages, catches larger ones.
 *   - SIGTERM under load: the daemon exits (its pidfile lock is released
 *     and the process is gone within a bounded wait), it took the clean
 *     path ("stopping on signal 15" in its log) and the pidfile is gone.
 * Every loop and wait is bounded in count and in time.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemonize.h"
#include "testutil.h"

#define NCLIENTS     500
#define NRELOADS     100
#define SAMPLE_AT    10          /* reference sample after this reload */
#define PER_RELOAD   25          /* clients echoing between two reloads */
#define MEM_SLACK_KB 64
/* Time limits, scaled by DZ_TIME_FACTOR (tu_ms) */
#define RUN_MS       tu_ms(20000) /* one echod command */
#define IO_MS        tu_ms(10000) /* one echo round over many clients */
#define GONE_MS      tu_ms(10000) /* exit after SIGTERM, fds closing */
#define TRIES        8           /* port races with parallel suites */
#define MSGLEN       12          /* "c%03u r%05u\n": fixed size */
#define OUTLEN       8192

/* ---- the daemon, and killing it whatever happens ----------------------- */

/* Set in the unchecked fixture, which runs in the runner process: echod
 * runs through a private link (testutil.h), so that the teardown,
 * tu_kill_leftovers, kills it when a test failed an assertion.  clean_env
 * unsets LD_PRELOAD too: no preloaded library in the measured echod. */
static char *dir, *pidfile, *logfile, *echod_link;
static char **clean_env;

static const char *
echod_path(void)
{
	return echod_link;
}

/* 1 if pid runs our echod directly, 2 if under a tool such as valgrind
 * (the CI memcheck stage: echod is then one of its arguments), else 0. */
static int
our_echod(pid_t pid)
{
	char buf[PATH_MAX];
	ssize_t n, i;

	if (pid <= 0 || (n = tu_read_file(tu_fmt("/proc/%ld/cmdline",
	    (long)pid), buf, sizeof(buf))) <= 0)
		return 0;
	for (i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
		if (strcmp(buf + i, echod_path()) == 0)
			return i == 0 ? 1 : 2;
	return 0;
}

static bool
is_our_echod(pid_t pid)
{
	return our_echod(pid) != 0;
}

static void
setup(void)
{
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/echod.pid", dir);
	logfile = tu_fmt("%s/echod.log", dir);
	echod_link = tu_private_link(dir, tu_fmt("%s/examples/echod",
	    tu_builddir()), "echod");
	clean_env = tu_clean_envv("LD_PRELOAD", NULL);
}

/* Start echod in the background with -p and -l on a free port; its pid. */
static pid_t
echod_start(int *portp)
{
	char out[OUTLEN], port[8];
	char *argv[] = { (char *)echod_path(), "-p", pidfile, "-l", logfile,
	    "-P", port, NULL };
	int i, st = -1;
	pid_t pid;

	for (i = 0; i < TRIES; i++) {
		*portp = tu_free_port();
		snprintf(port, sizeof(port), "%d", *portp);
		st = tu_run_env(argv, clean_env, out, sizeof(out), RUN_MS);
		if (st == 0 || strstr(out, "Address already in use") == NULL)
			break;
	}
	ck_assert_msg(st == 0, "echod start: status %#x: %s", st, out);
	pid = tu_pidfile_pid(pidfile);
	ck_assert_int_gt(pid, 0);
	ck_assert(is_our_echod(pid));
	ck_assert(tu_lock_held(pidfile));
	return pid;
}

/* ---- what /proc says about it -------------------------------------------- */

/* Wait (bounded) until the daemon has exactly want fds; the last count. */
static int
wait_fds(pid_t pid, int want)
{
	long long deadline = tu_now_ms() + GONE_MS;
	int n;

	while ((n = tu_nfds(pid)) != want && tu_now_ms() < deadline)
		tu_msleep(10);
	return n;
}

/* The daemon's fd count once two readings 50 ms apart agree (bounded). */
static int
stable_fds(pid_t pid)
{
	long long deadline = tu_now_ms() + GONE_MS;
	int n = tu_nfds(pid), m;

	for (;;) {
		tu_msleep(50);
		m = tu_nfds(pid);
		if (m == n || tu_now_ms() >= deadline)
			return m;
		n = m;
	}
}

/* A "Key:   N kB" line of /proc/PID/status, in kB. */
static long
status_kb(pid_t pid, const char *key)
{
	static char buf[8192];
	const char *p;
	size_t klen = strlen(key);

	ck_assert_int_gt(tu_read_file(tu_fmt("/proc/%ld/status", (long)pid),
	    buf, sizeof(buf)), 0);
	for (p = buf; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return atol(p + klen + 1);
	ck_abort_msg("no %s in /proc/%ld/status", key, (long)pid);
	return -1;
}

/* How many times needle occurs in the log. */
static int
log_count(const char *needle)
{
	static char buf[1 << 20];
	const char *p;
	int n = 0;

	if (tu_read_file(logfile, buf, sizeof(buf)) < 0)
		return 0;
	for (p = buf; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static int
wait_log_count(const char *needle, int want)
{
	long long deadline = tu_now_ms() + IO_MS;
	int n;

	while ((n = log_count(needle)) < want && tu_now_ms() < deadline)
		tu_msleep(2);
	return n;
}

/* ---- clients --------------------------------------------------------------- */

static int
connect_port(int port)
{
	struct timeval tv = { 0, 0 };
	struct sockaddr_in sin;
	int fd;

	tv.tv_sec = IO_MS / 1000;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd >= 0, "socket: %s", strerror(errno));
	/* connect honours SO_SNDTIMEO on Linux: bounded even if the
	 * backlog were full. */
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "connect to port %d: %s", port, strerror(errno));
	return fd;
}

/*
 * One echo exchange on clients first .. first+n-1 (modulo NCLIENTS): a
 * fixed-size line written to each, then poll until every one has its own
 * line back, within IO_MS.  A connection that was dropped shows as EOF or
 * an error here.
 */
static void
echo_round(const int *fds, int first, int n, int round)
{
	struct pollfd pfd[NCLIENTS];
	char want[NCLIENTS][MSGLEN + 1], got[NCLIENTS][MSGLEN + 1];
	size_t have[NCLIENTS];
	int idx[NCLIENTS], i, left = n, r;
	long long deadline = tu_now_ms() + IO_MS;
	ssize_t k;

	ck_assert_int_le(n, NCLIENTS);
	for (i = 0; i < n; i++) {
		idx[i] = (first + i) % NCLIENTS;
		snprintf(want[i], sizeof(want[i]), "c%03u r%05u\n",
		    (unsigned int)idx[i] % 1000u, (unsigned int)round % 100000u);
		ck_assert_uint_eq(strlen(want[i]), MSGLEN);
		/* 12 bytes into an idle socket: never blocks. */
		k = write(fds[idx[i]], want[i], MSGLEN);
		ck_assert_msg(k == MSGLEN, "client %d round %d: write: %s",
		    idx[i], round, k == -1 ? strerror(errno) : "short");
		have[i] = 0;
		pfd[i].fd = fds[idx[i]];
		pfd[i].events = POLLIN;
	}
	while (left > 0) {
		long long rem = deadline - tu_now_ms();

		ck_assert_msg(rem > 0, "round %d: %d of %d clients got no echo "
		    "within %d ms", round, left, n, IO_MS);
		r = poll(pfd, (nfds_t)n, (int)rem);
		if (r == -1 && errno == EINTR)
			continue;
		ck_assert_int_ge(r, 0);
		for (i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			k = read(pfd[i].fd, got[i] + have[i], MSGLEN - have[i]);
			ck_assert_msg(k > 0, "client %d round %d: connection "
			    "%s", idx[i], round, k == 0 ? "closed by echod" :
			    strerror(errno));
			have[i] += (size_t)k;
			if (have[i] == MSGLEN) {
				got[i][MSGLEN] = '\0';
				ck_assert_str_eq(got[i], want[i]);
				pfd[i].fd = -1;     /* poll skips it */
				left--;
			}
		}
	}
}

/* The soft limit up to the hard one, in this process; echod inherits it.
 * 500 clients fit under 1024 on either side, but a smaller default soft
 * limit (some CI runners use 256) would not do. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_msg(rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= 2 * NCLIENTS + 64,
	    "RLIMIT_NOFILE hard limit %llu is too low for %d clients",
	    (unsigned long long)rl.rlim_cur, NCLIENTS);
}

START_TEST(test_load_reloads_and_stop)
{
	int fds[NCLIENTS];
	long rss10 = 0, data10 = 0, rss100, data100;
	long long deadline;
	int port, base, loaded, after, i, round = 0;
	struct daemonize *d;
	pid_t pid;

	raise_nofile();
	pid = echod_start(&port);
	/* The start command returns when it has read READY; the daemon
	 * closes its end of the status pipe just after writing it.  One
	 * client answered proves the daemon is past that, in its loop; the
	 * baseline is the count once that client's fd is gone too. */
	fds[0] = connect_port(port);
	echo_round(fds, 0, 1, round++);
	close(fds[0]);
	base = stable_fds(pid);

	/* 500 concurrent clients, each answered once: the echo proves echod
	 * accepted every one of them. */
	for (i = 0; i < NCLIENTS; i++)
		fds[i] = connect_port(port);
	echo_round(fds, 0, NCLIENTS, round++);
	loaded = tu_nfds(pid);
	ck_assert_msg(loaded == base + NCLIENTS, "echod has %d fds with %d "
	    "clients, %d before", loaded, NCLIENTS, base);

	/* 100 reloads, each one waited for (its "reloaded" log line), so
	 * that no two SIGHUPs coalesce into one reload, with clients echoing
	 * in between: 25 per reload, so each of the 500 echoes 5 times. */
	for (i = 1; i <= NRELOADS; i++) {
		ck_assert_int_eq(kill(pid, SIGHUP), 0);
		ck_assert_msg(wait_log_count("reloaded", i) >= i,
		    "reload %d not logged within %d ms", i, IO_MS);
		echo_round(fds, (i - 1) * PER_RELOAD, PER_RELOAD, round++);
		if (i == SAMPLE_AT) {
			/* Every client has echoed (fixed-size lines) before
			 * this sample, so all their pages are touched. */
			echo_round(fds, 0, NCLIENTS, round++);
			rss10 = status_kb(pid, "VmRSS");
			data10 = status_kb(pid, "VmData");
		}
	}
	echo_round(fds, 0, NCLIENTS, round++);
	rss100 = status_kb(pid, "VmRSS");
	data100 = status_kb(pid, "VmData");
	/* Under valgrind the process's memory is mostly valgrind's (its
	 * translation cache grows with every new code path): the figures
	 * are printed but only asserted for echod itself. */
	if (our_echod(pid) == 1) {
		ck_assert_msg(rss100 - rss10 < MEM_SLACK_KB, "VmRSS grew from "
		    "%ld kB after reload %d to %ld kB after reload %d", rss10,
		    SAMPLE_AT, rss100, NRELOADS);
		ck_assert_msg(data100 - data10 < MEM_SLACK_KB, "VmData grew "
		    "from %ld kB after reload %d to %ld kB after reload %d",
		    data10, SAMPLE_AT, data100, NRELOADS);
	}
	/* Not one connection was dropped (the round above used all 500),
	 * and nothing was opened or closed on the way. */
	ck_assert_int_eq(tu_nfds(pid), loaded);
	ck_assert_int_eq(log_count("reloaded"), NRELOADS);
	fprintf(stderr, "check_load: fds %d idle, %d with %d clients; "
	    "VmRSS %ld -> %ld kB, VmData %ld -> %ld kB (reload %d -> %d)\n",
	    base, loaded, NCLIENTS, rss10, rss100, data10, data100, SAMPLE_AT,
	    NRELOADS);

	/* All clients gone: echod is back at its baseline. */
	for (i = 0; i < NCLIENTS; i++)
		ck_assert_int_eq(close(fds[i]), 0);
	after = wait_fds(pid, base);
	ck_assert_msg(after == base, "echod has %d fds after all clients "
	    "left, %d before the load", after, base);

	/* SIGTERM under load: 500 clients connected and served again. */
	for (i = 0; i < NCLIENTS; i++)
		fds[i] = connect_port(port);
	echo_round(fds, 0, NCLIENTS, round++);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	/* The exit is seen through the pidfile (echod is not our child):
	 * "not running" once the file is gone or its lock released.  No
	 * second SIGTERM: it could hit the default action during the exit. */
	d = tu_ctx("echod");
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	deadline = tu_now_ms() + GONE_MS;
	while (daemonize_pidfile_state(d, NULL) !=
	    DAEMONIZE_PIDFILE_NOT_RUNNING && tu_now_ms() < deadline)
		tu_msleep(5);
	ck_assert_msg(daemonize_pidfile_state(d, NULL) ==
	    DAEMONIZE_PIDFILE_NOT_RUNNING, "echod still holds %s %d ms after "
	    "SIGTERM: %s", pidfile, GONE_MS, daemonize_error(d));
	daemonize_free(d);
	ck_assert_int_eq(tu_wait_gone(pid, GONE_MS), 0);
	ck_assert_msg(access(pidfile, F_OK) == -1 && errno == ENOENT,
	    "%s left behind", pidfile);
	ck_assert_int_eq(log_count("stopping on signal 15"), 1);
	for (i = 0; i < NCLIENTS; i++)
		(void)close(fds[i]);
}
END_TEST

static Suite *
load_suite(void)
{
	Suite *s = suite_create("load");
	TCase *tc = tcase_create("echod");

	tcase_add_unchecked_fixture(tc, setup, tu_kill_leftovers);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_load_reloads_and_stop);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(load_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * ready.c - time to ready, all contenders in one interleaved run.
 *
 * Usage: ready -n ITER -b BLOCKS -d DIR -i INHERITED spec...
 *   spec: name:lock:program[:arg...]   (lock: flock, posix or none; the
 *   pidfile DIR/name.pid is appended to the arguments)
 *
 * One sample: fork+exec the contender, waitpid it (it must exit 0), then
 * poll the pidfile until it names a live daemon holding its lock (the
 * first check succeeds at once for contenders with a readiness
 * handshake); CLOCK_MONOTONIC from before fork to that moment.  Then
 * SIGTERM and a bounded wait for the daemon, untimed.
 *
 * Both RLIMIT_NOFILE settings (soft 1024, soft = hard) are measured in the
 * same run: BLOCKS alternating blocks, each with ITER/(BLOCKS/2) rounds of
 * every contender, the order rotated each round.  Before each block the
 * soft limit is set and one inherited fd is placed at soft-2; INHERITED
 * more fds (on /dev/null, not close-on-exec) sit at 3 and up throughout.
 *
 * Prints one line per (setting, contender): "R setting name n median p90
 * min max p25 p75" in nanoseconds, for run.sh to tabulate.
 */
#define _GNU_SOURCE
#include "benchutil.h"

#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXC 12
#define WARMUP 3

static struct contender cs[MAXC];
static int64_t *samples[2][MAXC];
static size_t nsamples[2][MAXC];

static void
usage(void)
{
	fprintf(stderr, "usage: ready -n ITER -b BLOCKS -d DIR -i INHERITED "
	    "name:lock:prog[:arg...]...\n");
	exit(2);
}

/* Set the soft limit and move the high inherited fd just under it. */
static int
apply_setting(rlim_t soft, int *topfd)
{
	struct rlimit rl;
	int fd;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	if (*topfd >= 0) {
		(void)close(*topfd);
		*topfd = -1;
	}
	rl.rlim_cur = soft;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	if ((fd = open("/dev/null", O_RDONLY)) == -1)
		return -1;
	if (dup2(fd, (int)soft - 2) == -1)
		return -1;
	(void)close(fd);
	*topfd = (int)soft - 2;
	return 0;
}

/* One sample; -1 on a failure of the contender (reported). */
static int
one(struct contender *c, int64_t *ns)
{
	int64_t t0, t1;
	int status;
	pid_t child, pid = 0;

	(void)unlink(c->pidfile);
	t0 = now_ns();
	if ((child = spawn(c)) == -1) {
		perror("fork");
		return -1;
	}
	if (wait_exit(child, &status, 10000) == -1) {
		fprintf(stderr, "%s: did not exit in 10 s\n", c->name);
		(void)kill(child, SIGKILL);
		(void)wait_exit(child, &status, 1000);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: exit status %#x\n", c->name, status);
		if (check_ready(c, &pid))
			(void)stop_daemon(c, pid);
		return -1;
	}
	if (wait_ready(c, &pid, 5000) == -1) {
		struct contender any = *c;

		fprintf(stderr, "%s: not ready 5 s after it exited\n",
		    c->name);
		/* Whatever the file names still goes, lock or not. */
		any.lock = LOCK_NONE;
		if (check_ready(&any, &pid))
			(void)stop_daemon(c, pid);
		return -1;
	}
	t1 = now_ns();
	*ns = t1 - t0;
	if (stop_daemon(c, pid) == -1)
		fprintf(stderr, "%s: daemon %ld did not stop cleanly\n",
		    c->name, (long)pid);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct rlimit rl;
	rlim_t settings[2];
	const char *dir = NULL;
	int iter = 200, blocks = 10, inherited = 200, nc = 0, topfd = -1;
	int opt, b, r, k, i, per, failures = 0;
	int64_t ns;

	while ((opt = getopt(argc, argv, "n:b:d:i:")) != -1) {
		switch (opt) {
		case 'n':
			iter = atoi(optarg);
			break;
		case 'b':
			blocks = atoi(optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'i':
			inherited = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (dir == NULL || iter <= 0 || blocks < 2 || blocks % 2 != 0 ||
	    iter % (blocks / 2) != 0 || inherited < 0)
		usage();
	for (; optind < argc && nc < MAXC; optind++, nc++)
		if (contender_parse(&cs[nc], argv[optind], dir) == -1)
			usage();
	if (nc == 0)
		usage();
	per = iter / (blocks / 2);

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		perror("getrlimit");
		return 2;
	}
	settings[0] = 1024;
	settings[1] = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
	if (settings[1] < 1024) {
		fprintf(stderr, "hard RLIMIT_NOFILE %lu < 1024\n",
		    (unsigned long)settings[1]);
		return 2;
	}
	for (k = 0; k < 2; k++)
		for (i = 0; i < nc; i++)
			if ((samples[k][i] = calloc((size_t)iter,
			    sizeof(int64_t))) == NULL) {
				perror("calloc");
				return 2;
			}
	harness_init();
	if (open_inherited(inherited) == -1) {
		perror("open /dev/null");
		return 2;
	}

	/* Warm the page cache and the dynamic loader's files. */
	if (apply_setting(settings[0], &topfd) == -1) {
		perror("setting");
		return 2;
	}
	for (r = 0; r < WARMUP; r++)
		for (i = 0; i < nc; i++)
			if (one(&cs[i], &ns) == -1)
				failures++;

	for (b = 0; b < blocks; b++) {
		k = b % 2;
		if (apply_setting(settings[k], &topfd) == -1) {
			perror("setting");
			return 2;
		}
		for (r = 0; r < per; r++) {
			for (int j = 0; j < nc; j++) {
				/* Rotate who goes first: no contender always
				 * follows the same one. */
				i = (j + r + b) % nc;
				if (one(&cs[i], &ns) == -1) {
					failures++;
					continue;
				}
				samples[k][i][nsamples[k][i]++] = ns;
			}
		}
		fprintf(stderr, "block %d/%d done\n", b + 1, blocks);
	}

	for (k = 0; k < 2; k++) {
		for (i = 0; i < nc; i++) {
			int64_t *s = samples[k][i];
			size_t n = nsamples[k][i];

			qsort(s, n, sizeof(*s), cmp_i64);
			printf("R %lu %s %zu %lld %lld %lld %lld %lld %lld\n",
			    (unsigned long)settings[k], cs[i].name, n,
			    (long long)percentile(s, n, 0.5),
			    (long long)percentile(s, n, 0.9),
			    (long long)(n ? s[0] : 0),
			    (long long)(n ? s[n - 1] : 0),
			    (long long)percentile(s, n, 0.25),
			    (long long)percentile(s, n, 0.75));
		}
	}
	printf("F %d\n", failures);
	return failures == 0 ? 0 : 1;
}

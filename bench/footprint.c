/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * footprint.c - resident memory and open descriptors of each contender's
 * daemon once it is ready, and the heap counts of the library's daemon.
 *
 * Usage: footprint -d DIR -i INHERITED [-r RUNS] [-a PRELOAD -l LOG] spec...
 *   spec as in ready.c.  With -a, each contender instead runs once with
 *   LD_PRELOAD=PRELOAD and BENCH_ALLOC_LOG=LOG, and the log is printed.
 *
 * Output: "M name vmrss_kB rssanon_kB rssfile_kB nfds" (medians over RUNS),
 * "D name fd target what" for each fd of the last run,
 * "A name role pid malloc calloc realloc free bytes" for the preload's
 * per-process exit lines, and the "S ..." lines of allocs.c as they are.
 */
#define _GNU_SOURCE
#include "benchutil.h"

#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXFDS 1024

struct fdent {
	int fd;
	char target[PATH_MAX];
	unsigned int flags;
};

static long
status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':')
			v = strtol(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

static int
list_fds(pid_t pid, struct fdent *e, int max)
{
	char path[64], line[128];
	struct dirent *de;
	int n = 0;
	ssize_t len;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL && n < max) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		e[n].fd = atoi(de->d_name);
		snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid,
		    e[n].fd);
		len = readlink(path, e[n].target, sizeof(e[n].target) - 1);
		e[n].target[len < 0 ? 0 : len] = '\0';
		e[n].flags = 0;
		snprintf(path, sizeof(path), "/proc/%ld/fdinfo/%d", (long)pid,
		    e[n].fd);
		if ((f = fopen(path, "re")) != NULL) {
			while (fgets(line, sizeof(line), f) != NULL)
				if (strncmp(line, "flags:", 6) == 0)
					e[n].flags = (unsigned int)strtoul(
					    line + 6, NULL, 8);
			fclose(f);
		}
		n++;
	}
	closedir(dir);
	return n;
}

static int
cmp_fd(const void *a, const void *b)
{
	return ((const struct fdent *)a)->fd - ((const struct fdent *)b)->fd;
}

/* What a descriptor is, as far as one can tell from outside. */
static const char *
what(const struct contender *c, const struct fdent *e, int n, int i)
{
	int j;

	if (strcmp(e[i].target, "/dev/null") == 0)
		return e[i].fd <= 2 ? "stdio on /dev/null" : "/dev/null";
	if (strcmp(e[i].target, c->pidfile) == 0)
		return "the pidfile";
	if (strncmp(e[i].target, "pipe:", 5) == 0) {
		for (j = 0; j < n; j++)
			if (j != i && strcmp(e[j].target, e[i].target) == 0)
				break;
		if (j == n)
			return "pipe, one end only";
		return (e[i].flags & 3) == 1 ?
		    "self-pipe write end (both ends here: signal pipe)" :
		    "self-pipe read end (both ends here: signal pipe)";
	}
	if (strncmp(e[i].target, "socket:", 7) == 0)
		return "socket";
	return "other";
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* Start c, wait until ready; the daemon's pid, or -1. */
static pid_t
start(struct contender *c, pid_t *orig)
{
	int status;
	pid_t child, pid;

	(void)unlink(c->pidfile);
	if ((child = spawn(c)) == -1)
		return -1;
	*orig = child;
	if (wait_exit(child, &status, 10000) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: start failed\n", c->name);
		return -1;
	}
	if (wait_ready(c, &pid, 5000) == -1) {
		fprintf(stderr, "%s: not ready\n", c->name);
		return -1;
	}
	return pid;
}

static void
print_log(const struct contender *c, const char *log, pid_t orig,
    pid_t daemon)
{
	char line[256], role[16];
	long pid;
	FILE *f;

	if ((f = fopen(log, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == 'S') {
			printf("%s", line);
			continue;
		}
		pid = strtol(line, NULL, 10);
		snprintf(role, sizeof(role), "%s", pid == orig ? "original" :
		    pid == daemon ? "daemon" : "other");
		printf("A %s %s %s", c->name, role, line);
	}
	fclose(f);
}

int
main(int argc, char *argv[])
{
	struct contender cs[12];
	struct fdent fds[MAXFDS];
	const char *dir = NULL, *preload = NULL, *log = NULL;
	long v[4][16];
	int inherited = 200, runs = 3, nc = 0, opt, i, r, k, n = 0;
	pid_t pid, orig;

	while ((opt = getopt(argc, argv, "d:i:r:a:l:")) != -1) {
		switch (opt) {
		case 'd':
			dir = optarg;
			break;
		case 'i':
			inherited = atoi(optarg);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'a':
			preload = optarg;
			break;
		case 'l':
			log = optarg;
			break;
		default:
			return 2;
		}
	}
	if (dir == NULL || runs < 1 || runs > 16 || (preload == NULL) !=
	    (log == NULL))
		return 2;
	for (; optind < argc && nc < 12; optind++, nc++)
		if (contender_parse(&cs[nc], argv[optind], dir) == -1)
			return 2;
	harness_init();
	if (open_inherited(inherited) == -1)
		return 2;

	/* With -a only the heap is counted: the preload would inflate RSS. */
	for (i = 0; i < nc && preload == NULL; i++) {
		for (r = 0; r < runs; r++) {
			if ((pid = start(&cs[i], &orig)) == -1)
				return 1;
			v[0][r] = status_kb(pid, "VmRSS");
			v[1][r] = status_kb(pid, "RssAnon");
			v[2][r] = status_kb(pid, "RssFile");
			n = list_fds(pid, fds, MAXFDS);
			v[3][r] = n;
			if (r == runs - 1 && n > 0) {
				qsort(fds, (size_t)n, sizeof(fds[0]), cmp_fd);
				for (k = 0; k < n; k++) {
					/* A long list: its ends only. */
					if (n > 12 && k == 4)
						printf("D %s ... (%d more)\n",
						    cs[i].name, n - 6);
					if (n > 12 && k >= 4 && k < n - 2)
						continue;
					printf("D %s %d %s %s\n", cs[i].name,
					    fds[k].fd, fds[k].target,
					    what(&cs[i], fds, n, k));
				}
			}
			(void)stop_daemon(&cs[i], pid);
		}
		for (k = 0; k < 4; k++)
			qsort(v[k], (size_t)runs, sizeof(long), cmp_long);
		printf("M %s %ld %ld %ld %ld\n", cs[i].name, v[0][runs / 2],
		    v[1][runs / 2], v[2][runs / 2], v[3][runs / 2]);
	}

	if (preload != NULL) {
		for (i = 0; i < nc; i++) {
			(void)unlink(log);
			if (setenv("LD_PRELOAD", preload, 1) == -1 ||
			    setenv("BENCH_ALLOC_LOG", log, 1) == -1)
				return 2;
			pid = start(&cs[i], &orig);
			(void)unsetenv("LD_PRELOAD");
			if (pid == -1)
				return 1;
			(void)stop_daemon(&cs[i], pid);
			print_log(&cs[i], log, orig, pid);
		}
	}
	return 0;
}

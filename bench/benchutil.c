/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * benchutil.c - see benchutil.h.
 */
#define _GNU_SOURCE
#include "benchutil.h"

#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t
now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
		perror("clock_gettime");
		exit(2);
	}
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
contender_parse(struct contender *c, char *spec, const char *dir)
{
	char *f[MAXARGS + 2];
	int n = 0, i;

	memset(c, 0, sizeof(*c));
	for (char *p = strtok(spec, ":"); p != NULL && n < MAXARGS + 1;
	    p = strtok(NULL, ":"))
		f[n++] = p;
	if (n < 3 || n > MAXARGS)
		return -1;
	snprintf(c->name, sizeof(c->name), "%s", f[0]);
	if (strcmp(f[1], "flock") == 0)
		c->lock = LOCK_FLOCK;
	else if (strcmp(f[1], "posix") == 0)
		c->lock = LOCK_POSIX;
	else if (strcmp(f[1], "none") == 0)
		c->lock = LOCK_NONE;
	else
		return -1;
	if ((size_t)snprintf(c->pidfile, sizeof(c->pidfile), "%s/%s.pid", dir,
	    c->name) >= sizeof(c->pidfile))
		return -1;
	for (i = 2; i < n; i++)
		c->argv[i - 2] = f[i];
	c->argv[n - 2] = c->pidfile;
	c->argv[n - 1] = NULL;
	return 0;
}

void
harness_init(void)
{
	sigset_t set;

	/* SIGCHLD blocked: wait_exit sleeps in sigtimedwait, which wakes
	 * exactly when a child exits, with a bound. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
		perror("sigprocmask");
		exit(2);
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1) {
		perror("prctl(PR_SET_CHILD_SUBREAPER)");
		exit(2);
	}
}

pid_t
spawn(struct contender *c)
{
	sigset_t empty;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		/* The child must not inherit our blocked SIGCHLD. */
		sigemptyset(&empty);
		(void)sigprocmask(SIG_SETMASK, &empty, NULL);
		execv(c->argv[0], c->argv);
		_exit(127);
	}
	return pid;
}

int
wait_exit(pid_t pid, int *status, int timeout_ms)
{
	int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;
	struct timespec ts;
	sigset_t set;
	int64_t left;
	pid_t r;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
		left = deadline - now_ns();
		if (left <= 0)
			return -1;
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		/* Any child's exit wakes us; waitpid above sorts it out. */
		(void)sigtimedwait(&set, NULL, &ts);
	}
}

static int
parse_pid(const char *buf, ssize_t len, pid_t *pid)
{
	long v = 0;
	ssize_t i;

	for (i = 0; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		v = v * 10 + (buf[i] - '0');
		if (v > 0x7fffffffL)
			return -1;
	}
	if (i == 0 || v <= 0)
		return -1;
	if (i < len && buf[i] != '\n')
		return -1;
	*pid = (pid_t)v;
	return 0;
}

int
check_ready(const struct contender *c, pid_t *pidp)
{
	char buf[32];
	struct flock fl;
	ssize_t n;
	pid_t pid;
	int fd, ok = 0;

	if ((fd = open(c->pidfile, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	do
		n = read(fd, buf, sizeof(buf));
	while (n == -1 && errno == EINTR);
	if (n <= 0 || parse_pid(buf, n, &pid) == -1)
		goto out;
	if (kill(pid, 0) == -1)
		goto out;
	switch (c->lock) {
	case LOCK_FLOCK:
		/* A shared lock is refused while the daemon holds its
		 * exclusive one.  If we got it, nobody held it: drop it. */
		if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
			(void)flock(fd, LOCK_UN);
			goto out;
		}
		if (errno != EWOULDBLOCK)
			goto out;
		break;
	case LOCK_POSIX:
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_GETLK, &fl) == -1 || fl.l_type == F_UNLCK ||
		    fl.l_pid != pid)
			goto out;
		break;
	case LOCK_NONE:
		break;
	}
	*pidp = pid;
	ok = 1;
out:
	(void)close(fd);
	return ok;
}

int
wait_ready(const struct contender *c, pid_t *pid, int timeout_ms)
{
	int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;
	struct timespec tick = { 0, 20000 };

	for (;;) {
		if (check_ready(c, pid))
			return 0;
		if (now_ns() >= deadline)
			return -1;
		(void)nanosleep(&tick, NULL);
	}
}

void
reap_strays(void)
{
	int status;

	while (waitpid(-1, &status, WNOHANG) > 0)
		;
}

int
stop_daemon(const struct contender *c, pid_t pid)
{
	int status, r = -1;
	int64_t deadline;
	struct timespec tick = { 0, 1000000 };

	if (pid > 0 && kill(pid, SIGTERM) == 0) {
		/* As subreaper the daemon is our child; if it is not (some
		 * other reaper took it), watch it disappear instead. */
		if (wait_exit(pid, &status, 5000) == 0) {
			r = WIFEXITED(status) || (WIFSIGNALED(status) &&
			    WTERMSIG(status) == SIGTERM) ? 0 : -1;
		} else if (errno == ECHILD) {
			deadline = now_ns() + 5000 * (int64_t)1000000;
			while (kill(pid, 0) == 0 && now_ns() < deadline)
				(void)nanosleep(&tick, NULL);
			r = kill(pid, 0) == 0 ? -1 : 0;
		}
		if (r == -1 && kill(pid, 0) == 0) {
			fprintf(stderr, "%s: pid %ld ignored SIGTERM, killing\n",
			    c->name, (long)pid);
			(void)kill(pid, SIGKILL);
			(void)wait_exit(pid, &status, 5000);
		}
	}
	(void)unlink(c->pidfile);
	reap_strays();
	return r;
}

int
open_inherited(int n)
{
	int i, fd;

	for (i = 0; i < n; i++) {
		if ((fd = open("/dev/null", O_RDONLY)) == -1)
			return -1;
	}
	return 0;
}

int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t
percentile(const int64_t *sorted, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	/* Nearest rank. */
	i = (size_t)(p * (double)n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return sorted[i - 1];
}

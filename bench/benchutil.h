/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * benchutil.h - what the benchmark harnesses share: the clock, starting a
 * contender, deciding that its daemon is ready, and stopping it.
 */
#ifndef BENCHUTIL_H
#define BENCHUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How a contender's pidfile shows that its daemon holds it. */
enum lockkind {
	LOCK_FLOCK,	/* flock(2): library, floor, daemon(3) program */
	LOCK_POSIX,	/* fcntl(2) record lock: libdaemon */
	LOCK_NONE	/* no lock (python-daemon's PIDLockFile): content only */
};

#define MAXARGS 8

struct contender {
	char name[32];
	enum lockkind lock;
	char *argv[MAXARGS];	/* program and its arguments, then pidfile */
	char pidfile[256];
};

int64_t now_ns(void);
/* Parse "name:lock:prog[:arg...]"; the pidfile path is appended. */
int contender_parse(struct contender *c, char *spec, const char *dir);
/* Block SIGCHLD and become a subreaper: daemons end up as our children,
 * so they can be reaped and waited for without polling. */
void harness_init(void);
pid_t spawn(struct contender *c);
/* Wait for pid to exit, at most timeout_ms; 0 and its status, -1 on
 * timeout or error. */
int wait_exit(pid_t pid, int *status, int timeout_ms);
/* 1 and the daemon's pid when the pidfile names a live daemon that holds
 * it (as far as the contender's lock kind can show), else 0. */
int check_ready(const struct contender *c, pid_t *pid);
/* Poll check_ready every 20 us, at most timeout_ms. */
int wait_ready(const struct contender *c, pid_t *pid, int timeout_ms);
/* SIGTERM, bounded wait, SIGKILL if needed, remove a pidfile left over,
 * reap whatever else was handed to us.  0 if it exited on SIGTERM. */
int stop_daemon(const struct contender *c, pid_t pid);
void reap_strays(void);
/* Open n inherited fds (no close-on-exec) on /dev/null from fd 3 up. */
int open_inherited(int n);
int cmp_i64(const void *a, const void *b);
int64_t percentile(const int64_t *sorted, size_t n, double p);

#endif /* BENCHUTIL_H */

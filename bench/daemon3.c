/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * daemon3.c - the same job with daemon(3): flock'ed pidfile, daemon(0, 0)
 * (one fork, setsid, chdir("/"), stdio on /dev/null), the pid written.
 * Usage: daemon3 PIDFILE (absolute).
 *
 * daemon(3) has no readiness handshake: its parent exits right after the
 * fork, before the pid is written, so whoever started it has to poll the
 * pidfile.  It closes no inherited fd, forks once (the daemon is a session
 * leader) and leaves the umask alone.
 */
#define _GNU_SOURCE
#include <sys/file.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	const char *path = argc > 1 ? argv[1] : "/tmp/daemon3.pid";
	char buf[24];
	sigset_t set;
	int fd, len, sig;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1 ||
	    flock(fd, LOCK_EX | LOCK_NB) == -1) {
		perror(path);
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
		perror("sigprocmask");
		return 1;
	}
	if (daemon(0, 0) == -1) {
		perror("daemon");
		return 1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, buf, (size_t)len) != len)
		_exit(1);
	while (sigwait(&set, &sig) != 0)
		;
	(void)unlink(path);
	return 0;
}

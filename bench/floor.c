/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * floor.c - the floor for "time to ready": what examples/template.c does,
 * in the template's order, with raw system calls and nothing else: no
 * library, no error text, no checks beyond return values.
 *
 *	floor [-P port] [-p pidfile]	(the template's options; defaults
 *					 7010 and /tmp/floor.pid)
 *
 * In the original process: the pidfile opened and flock'ed (a second
 * instance fails here), 127.0.0.1:PORT bound and listening, a status
 * pipe, fork.  In between: setsid, fork, _exit.  In the daemon: signal
 * mask and dispositions reset, every other fd closed (close_range around
 * the kept ones), stdin on /dev/null, umask, chdir, the pid written, a
 * self-pipe for SIGHUP/SIGTERM/SIGINT, then "ready": stdout and stderr
 * on /dev/null and one byte over the status pipe.  The original process
 * exits 0 when the byte arrives, 1 on EOF.  The daemon greets clients
 * until SIGTERM, removes its pidfile and exits.
 *
 * run.sh links it three ways: against libc only ("floor"), also against
 * libbsd ("floor-bsd": what a hand-written daemon using libbsd's
 * pidfile_open would load), and against the very shared objects the
 * template loads ("floor-linked": libdaemonize.so and, through it,
 * libbsd and libmd, loaded but never called).
 */
#define _GNU_SOURCE
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int sigw = -1;

static void
on_signal(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;

	if (write(sigw, &b, 1) == -1) {
		/* full: a byte is pending already */
	}
	errno = saved;
}

/* "PID\n" into buf, returns its length; no stdio in the daemon. */
static size_t
format_pid(char *buf, long pid)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid > 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n++] = '\n';
	return n;
}

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Close every fd from 3 up except the n in keep. */
static int
close_except(int *keep, int n)
{
	unsigned int lo = 3;
	int i;

	qsort(keep, (size_t)n, sizeof(*keep), cmp_int);
	for (i = 0; i < n; i++) {
		if ((unsigned int)keep[i] > lo &&
		    close_range(lo, (unsigned int)keep[i] - 1, 0) == -1)
			return -1;
		if ((unsigned int)keep[i] + 1 > lo)
			lo = (unsigned int)keep[i] + 1;
	}
	return close_range(lo, ~0U, 0);
}

int
main(int argc, char *argv[])
{
	const char *path = "/tmp/floor.pid";
	struct sockaddr_in sin;
	struct sigaction sa;
	struct pollfd pfd[2];
	char buf[24], c;
	sigset_t set;
	ssize_t n;
	size_t len;
	pid_t pid;
	int port = 7010, p[2], sp[2], keep[3], pf, lfd, fd, ch, sig, on = 1;

	while ((ch = getopt(argc, argv, "P:p:")) != -1) {
		switch (ch) {
		case 'P':
			port = atoi(optarg);
			break;
		case 'p':
			path = optarg;
			break;
		default:
			return 2;
		}
	}

	/* Lock, then bind, as the template does. */
	if ((pf = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0644)) == -1 || flock(pf, LOCK_EX | LOCK_NB) == -1)
		return 1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 64) == -1 || fcntl(lfd, F_SETFL, O_NONBLOCK) == -1) {
		(void)unlink(path);
		return 1;
	}

	if (pipe2(p, O_CLOEXEC) == -1)
		return 1;
	if ((pid = fork()) == -1)
		return 1;
	if (pid > 0) {
		/* The original process: one byte means ready, EOF failed. */
		(void)close(p[1]);
		do
			n = read(p[0], &c, 1);
		while (n == -1 && errno == EINTR);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		return n == 1 ? 0 : 1;
	}
	(void)close(p[0]);
	if (setsid() == -1)
		_exit(1);
	if ((pid = fork()) != 0)
		_exit(pid == -1);

	/* The daemon: signal state, fds, stdin, umask, cwd. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	if (sigprocmask(SIG_SETMASK, &set, NULL) == -1)
		_exit(1);
	keep[0] = pf;
	keep[1] = lfd;
	keep[2] = p[1];
	if (close_except(keep, 3) == -1)
		_exit(1);
	if ((fd = open("/dev/null", O_RDWR)) == -1 || dup2(fd, 0) == -1)
		_exit(1);
	(void)umask(022);
	if (chdir("/") == -1)
		_exit(1);
	/* The pid into the descriptor locked before the fork. */
	len = format_pid(buf, (long)getpid());
	if (ftruncate(pf, 0) == -1 || pwrite(pf, buf, len, 0) != (ssize_t)len)
		_exit(1);
	/* Signals through a self-pipe. */
	if (pipe2(sp, O_CLOEXEC | O_NONBLOCK) == -1)
		_exit(1);
	sigw = sp[1];
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		_exit(1);
	/* Ready: stdout and stderr leave the terminal, then the byte. */
	if (dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
		_exit(1);
	if (fd > 2)
		(void)close(fd);
	if (write(p[1], "R", 1) != 1)
		_exit(1);
	(void)close(p[1]);

	pfd[0].fd = sp[0];
	pfd[1].fd = lfd;
	pfd[0].events = pfd[1].events = POLLIN;
	for (sig = 0; sig != SIGTERM && sig != SIGINT;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((pfd[1].revents & POLLIN) &&
		    (fd = accept(lfd, NULL, NULL)) != -1) {
			if (write(fd, "hello\n", 6) != 6) {
				/* the client went away */
			}
			(void)close(fd);
		}
		if ((pfd[0].revents & POLLIN) && read(sp[0], &c, 1) == 1)
			sig = (unsigned char)c;
	}
	(void)unlink(path);
	_exit(0);
}

/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * ldaemon.c - the template's job with libdaemon, in libdaemon's canonical
 * pattern (its own testd.c): reset and unblock signals, refuse a running
 * instance, bind 127.0.0.1:PORT (as examples/template.c does),
 * daemon_retval_init, daemon_fork; the parent waits for the daemon's
 * return value; the daemon closes all fds but the socket, creates the
 * pidfile (fcntl-locked), installs signal handling and sends 0, then
 * greets clients until SIGTERM.
 * Usage: ldaemon [-P port] [-p pidfile]	(as examples/template)
 *        ldaemon PIDFILE			(no socket)
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdaemon/dfork.h>
#include <libdaemon/dpid.h>
#include <libdaemon/dsignal.h>

static const char *pidpath = "/tmp/ldaemon.pid";

static const char *
pidfile_proc(void)
{
	return pidpath;
}

static int
listen_on(int port)
{
	struct sockaddr_in sin;
	int fd, on = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 64) == -1 || fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char *argv[])
{
	struct pollfd pfd[2];
	pid_t pid;
	int ret, sig, quit = 0, ch, port = 0, lfd = -1, c;

	while ((ch = getopt(argc, argv, "P:p:")) != -1) {
		switch (ch) {
		case 'P':
			port = atoi(optarg);
			break;
		case 'p':
			pidpath = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind < argc)
		pidpath = argv[optind];
	daemon_pid_file_proc = pidfile_proc;
	if (daemon_reset_sigs(-1) < 0 || daemon_unblock_sigs(-1) < 0) {
		fprintf(stderr, "ldaemon: signals: %s\n", strerror(errno));
		return 1;
	}
	if ((pid = daemon_pid_file_is_running()) >= 0) {
		fprintf(stderr, "ldaemon: already running, pid %ld\n",
		    (long)pid);
		return 1;
	}
	if (port > 0 && (lfd = listen_on(port)) == -1) {
		fprintf(stderr, "ldaemon: 127.0.0.1:%d: %s\n", port,
		    strerror(errno));
		return 1;
	}
	if (daemon_retval_init() < 0) {
		fprintf(stderr, "ldaemon: cannot create the pipe\n");
		return 1;
	}
	if ((pid = daemon_fork()) < 0) {
		daemon_retval_done();
		return 1;
	}
	if (pid > 0) {
		if ((ret = daemon_retval_wait(20)) < 0) {
			fprintf(stderr, "ldaemon: no return value: %s\n",
			    strerror(errno));
			return 255;
		}
		return ret;
	}
	/* The daemon. */
	if (daemon_close_all(lfd, -1) < 0) {
		daemon_retval_send(1);
		goto finish;
	}
	if (daemon_pid_file_create() < 0) {
		daemon_retval_send(2);
		goto finish;
	}
	if (daemon_signal_init(SIGINT, SIGTERM, SIGQUIT, SIGHUP, 0) < 0) {
		daemon_retval_send(3);
		goto finish;
	}
	daemon_retval_send(0);
	pfd[0].fd = daemon_signal_fd();
	pfd[1].fd = lfd;
	pfd[0].events = pfd[1].events = POLLIN;
	while (!quit) {
		if (poll(pfd, lfd >= 0 ? 2 : 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (lfd >= 0 && (pfd[1].revents & POLLIN) &&
		    (c = accept(lfd, NULL, NULL)) != -1) {
			if (write(c, "hello\n", 6) != 6) {
				/* the client went away */
			}
			close(c);
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		if ((sig = daemon_signal_next()) <= 0)
			break;
		if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
			quit = 1;
	}
finish:
	daemon_signal_done();
	daemon_pid_file_remove();
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * template.c - the skeleton of a daemon built on libdaemonize: copy it,
 * replace the greeting with your protocol, keep the order of main().
 *
 *	template [-f] [-p pidfile] [-u user] [-l logfile] [-P port]
 *
 * It greets every client on 127.0.0.1:PORT (default 7010).  Without -f it
 * detaches and the command returns once the daemon is ready (or prints
 * the daemon's own error and exits 1); -f keeps it in the foreground for
 * debugging or a supervisor, with every other option still applied.
 * SIGHUP reopens the log file, SIGTERM and SIGINT stop it.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <daemonize.h>

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

static void
serve(int lfd)
{
	static const char hello[] = "hello\n";
	int c;

	if ((c = accept(lfd, NULL, NULL)) == -1)
		return;         /* EAGAIN, ECONNABORTED: nothing to do */
	if (write(c, hello, sizeof(hello) - 1) == -1)
		warn("write");  /* the client went away */
	close(c);
}

int
main(int argc, char *argv[])
{
	const char *pidfile = "/tmp/template.pid", *user = NULL, *log = NULL;
	struct daemonize *d;
	struct pollfd pfd[2];
	int ch, lfd, port = 7010, foreground = 0, sig = 0;

	/* 1. Configure.  -f means foreground: no fork, and the pidfile,
	 * user and log still apply, so the same unit file works either way. */
	while ((ch = getopt(argc, argv, "fp:u:l:P:")) != -1) {
		switch (ch) {
		case 'f': foreground = 1; break;
		case 'p': pidfile = optarg; break;
		case 'u': user = optarg; break;
		case 'l': log = optarg; break;
		case 'P': port = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: template [-f] [-p pidfile] "
			    "[-u user] [-l logfile] [-P port]\n");
			return 2;
		}
	}
	if ((d = daemonize_new("template")) == NULL)
		err(1, "daemonize_new");
	if ((foreground &&
	    daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND) == -1) ||
	    daemonize_set_pidfile(d, pidfile) == -1 ||
	    daemonize_set_user(d, user, NULL) == -1 ||
	    daemonize_set_output(d, log) == -1)
		errx(1, "%s", daemonize_error(d));

	/* 2. Lock: fds 0-2 valid, names resolved, pidfile locked.  A second
	 * instance stops here: "already running, pid N". */
	if (daemonize_lock(d) == -1)
		errx(1, "%s", daemonize_error(d));

	/* 3. Bind while we are still root and in the terminal: a taken port
	 * is reported here.  Keep the socket across the fd sweep. */
	if ((lfd = listen_on(port)) == -1) {
		warn("127.0.0.1:%d", port);
		daemonize_stop(d);      /* removes the new pidfile */
		return 1;
	}
	if (daemonize_keep_fd(d, lfd) == -1)
		errx(1, "%s", daemonize_error(d));

	/* 4. Start: detach (unless -f or supervised), drop privileges. */
	switch (daemonize_start(d)) {
	case -1:        /* also the daemon's own error, from the background */
		errx(1, "%s", daemonize_error(d));
	case DAEMONIZE_PARENT:  /* the daemon is running and ready */
		daemonize_free(d);
		return 0;
	}

	/* 5. Initialise: stderr still reaches the terminal.  A failure is
	 * reported with daemonize_fail, and the command exits non-zero. */
	if (access("/", R_OK) == -1) {
		daemonize_fail(d, errno, "cannot read /");
		/* In background mode the original process prints it. */
		if (daemonize_mode(d) == DAEMONIZE_MODE_FOREGROUND)
			warnx("%s", daemonize_error(d));
		return 1;
	}
	if (daemonize_ready(d) == -1)
		errx(1, "%s", daemonize_error(d));
	printf("template: ready, pid %ld, port %d\n", (long)getpid(), port);
	fflush(stdout);

	/* 6. Loop: signals arrive through a descriptor, so reload and stop
	 * run here, where any function may be called. */
	pfd[0].fd = daemonize_signal_fd(d);
	pfd[1].fd = lfd;
	pfd[0].events = pfd[1].events = POLLIN;
	while (sig != SIGTERM && sig != SIGINT) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;       /* see libdaemonize(3), EINTR */
			daemonize_fail(d, errno, "poll");
			break;
		}
		if (pfd[1].revents & POLLIN)
			serve(lfd);
		if (!(pfd[0].revents & POLLIN))
			continue;
		if ((sig = daemonize_next_signal(d, 0)) == -1)
			errx(1, "%s", daemonize_error(d));
		if (sig == SIGHUP) {    /* reload: reopen the log */
			daemonize_notify_reloading(d);
			if (daemonize_reopen_output(d) == -1)
				warnx("%s", daemonize_error(d));
			daemonize_ready(d);
		}
	}

	/* 7. Stop: tells a supervisor, removes the pidfile. */
	printf("template: stopping\n");
	fflush(stdout);
	daemonize_stop(d);
	daemonize_free(d);
	close(lfd);
	return 0;
}

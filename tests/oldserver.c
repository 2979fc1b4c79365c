/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * oldserver.c - a typical existing C daemon, ported to libdaemonize 1.0 by
 * its maintainer the way libdaemonize(3), PORTING AN EXISTING DAEMON, says:
 * its own fork/setsid/chroot/setuid/pidfile code deleted, syslog kept as
 * it was (opened with LOG_NDELAY before anything else), the select() loop
 * kept, with the signals now read from daemonize_signal_fd().
 * tests/check_porting.c drives it.
 *
 *	oldserver [-nFW] [-u user] [-r chroot] [-p pidfile] [-R runtime_dir]
 *	    [-l logfile] [-P port] [-N notify_fd] [-t timeout_ms]
 *
 * -n stays in the foreground (every other option still applies); -F fails
 * during initialisation ("cannot load configuration"); -W warns on stderr
 * while initialising.  Every client on 127.0.0.1:PORT gets "hello\n".
 * SIGHUP reopens the log (logrotate), SIGTERM stops it.
 * Syslog lines: "starting", "ready", "client", "reloading", "stopping".
 */
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <daemonize.h>

static const char *progname = "oldserver";

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-nFW] [-u user] [-r chroot] [-p pidfile] "
	    "[-R runtime_dir] [-l logfile] [-P port] [-N notify_fd] "
	    "[-t timeout_ms]\n", progname);
	exit(2);
}

/* The old server's error exit, kept: it says why, in the terminal. */
static void
die(struct daemonize *d, const char *what)
{
	if (d != NULL)
		fprintf(stderr, "%s: %s\n", progname, daemonize_error(d));
	else
		fprintf(stderr, "%s: %s: %s\n", progname, what,
		    strerror(errno));
	exit(1);
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
	    listen(fd, 16) == -1 || fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
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
		return;
	syslog(LOG_INFO, "client");
	if (write(c, hello, sizeof(hello) - 1) == -1)
		syslog(LOG_WARNING, "write: %s", strerror(errno));
	close(c);
}

int
main(int argc, char *argv[])
{
	const char *user = NULL, *root = NULL, *pidfile = NULL, *rundir = NULL;
	const char *logfile = NULL;
	struct daemonize *d;
	fd_set rfds;
	int ch, lfd, sfd, nfd, sig, port = 7011, notify_fd = -1, timeout = 0;
	int foreground = 0, fail = 0, warn_early = 0, running = 1;

	/* As it always did: the logger first, connected at once, so that it
	 * works from inside the chroot. */
	openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	syslog(LOG_INFO, "starting");

	while ((ch = getopt(argc, argv, "nFWu:r:p:R:l:P:N:t:")) != -1) {
		switch (ch) {
		case 'n': foreground = 1; break;
		case 'F': fail = 1; break;
		case 'W': warn_early = 1; break;
		case 'u': user = optarg; break;
		case 'r': root = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'R': rundir = optarg; break;
		case 'l': logfile = optarg; break;
		case 'P': port = atoi(optarg); break;
		case 'N': notify_fd = atoi(optarg); break;
		case 't': timeout = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();

	if ((d = daemonize_new(progname)) == NULL)
		die(NULL, "daemonize_new");
	if ((foreground &&
	    daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND) == -1) ||
	    daemonize_set_user(d, user, NULL) == -1 ||
	    daemonize_set_chroot(d, root) == -1 ||
	    daemonize_set_runtime_dir(d, rundir) == -1 ||
	    daemonize_set_pidfile(d, pidfile) == -1 ||
	    daemonize_set_output(d, logfile) == -1 ||
	    (timeout > 0 &&
	    daemonize_set_timeout(d, (unsigned int)timeout) == -1) ||
	    (notify_fd != -1 && daemonize_set_notify_fd(d, notify_fd) == -1))
		die(d, NULL);

	/* Lock before bind: a second instance is told "already running". */
	if (daemonize_lock(d) == -1)
		die(d, NULL);
	if ((lfd = listen_on(port)) == -1) {
		fprintf(stderr, "%s: bind 127.0.0.1:%d: %s\n", progname, port,
		    strerror(errno));
		daemonize_stop(d);	/* removes the fresh pidfile */
		daemonize_free(d);
		exit(1);
	}
	if (daemonize_keep_fd(d, lfd) == -1)
		die(d, NULL);

	switch (daemonize_start(d)) {
	case -1:
		die(d, NULL);
		break;
	case DAEMONIZE_PARENT:
		daemonize_free(d);
		exit(0);
	}

	/* Initialisation: stderr still reaches the terminal. */
	if (warn_early)
		fprintf(stderr, "%s: warning: no configuration file, using "
		    "defaults\n", progname);
	if (fail) {
		daemonize_fail(d, EADDRNOTAVAIL, "cannot load configuration");
		syslog(LOG_ERR, "cannot load configuration");
		daemonize_free(d);
		closelog();
		exit(1);
	}
	if (daemonize_ready(d) == -1) {
		syslog(LOG_ERR, "%s", daemonize_error(d));
		exit(1);
	}
	syslog(LOG_INFO, "ready");
	printf("%s: ready, pid %ld\n", progname, (long)getpid());
	fflush(stdout);

	sfd = daemonize_signal_fd(d);
	nfd = (sfd > lfd ? sfd : lfd) + 1;
	while (running) {
		FD_ZERO(&rfds);
		FD_SET(lfd, &rfds);
		FD_SET(sfd, &rfds);
		if (select(nfd, &rfds, NULL, NULL, NULL) == -1) {
			if (errno == EINTR)
				continue;	/* every signal interrupts it */
			syslog(LOG_ERR, "select: %s", strerror(errno));
			break;
		}
		if (FD_ISSET(lfd, &rfds))
			serve(lfd);
		if (!FD_ISSET(sfd, &rfds))
			continue;
		while (running && (sig = daemonize_next_signal(d, 0)) > 0) {
			switch (sig) {
			case SIGHUP:
				syslog(LOG_INFO, "reloading");
				daemonize_notify_reloading(d);
				if (daemonize_reopen_output(d) == -1)
					syslog(LOG_WARNING, "%s",
					    daemonize_error(d));
				printf("%s: reloaded\n", progname);
				fflush(stdout);
				daemonize_ready(d);
				break;
			case SIGTERM:
			case SIGINT:
				running = 0;
				break;
			}
		}
	}

	syslog(LOG_INFO, "stopping");
	printf("%s: stopping\n", progname);
	fflush(stdout);
	daemonize_stop(d);
	daemonize_free(d);
	close(lfd);
	closelog();
	exit(0);
}

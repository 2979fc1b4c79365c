/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * notifyprog.c - a program for daemonrun's tests; it knows nothing of
 * libdaemonize.  The mode is argv[1]:
 *
 *   ready     send READY=1 to $NOTIFY_SOCKET, then sleep until SIGTERM
 *   exit      exit 3 before it is ready
 *   never     sleep 30 s without being ready
 *   errno     send "STATUS=bad config\nERRNO=22", then exit 1
 *   fd N      write "\n" to fd N (s6 readiness), then sleep until SIGTERM
 *   print     write "line N" to stdout every 100 ms (flushed)
 *   hold      sleep until a signal; on SIGHUP print "hup"; SIGTERM exits 0
 *   env NAME  print NAME=value of the variable (or NAME unset), then hold
 *   info      print "pid P ppid Q cwd DIR umask M uid U gid G", then hold
 *   crash     (--restart tests) print "start P", hold; SIGTERM exits 0
 *   brief     sleep 300 ms, exit 0
 *
 * Every mode prints "pid P" first if NOTIFYPROG_SAY_PID is set.  SIGTERM
 * in the sleeping modes prints "term" and exits 0.
 * SPDX-License-Identifier: ISC
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void
on_signal(int signo)
{
	got = signo;
}

static int
notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	int fd, r;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "notifyprog: no usable NOTIFY_SOCKET\n");
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path) + (path[0] == '/' ? 1 : 0));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return -1;
	r = (int)sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sun,
	    len);
	if (r == -1)
		fprintf(stderr, "notifyprog: sendto %s: %s\n", path,
		    strerror(errno));
	close(fd);
	return r == -1 ? -1 : 0;
}

/* Sleep until SIGTERM/SIGINT (exit 0); SIGHUP prints "hup". */
static void
hold(int seconds)
{
	int left = seconds * 10;

	for (;;) {
		if (got == SIGHUP) {
			got = 0;
			printf("hup\n");
			fflush(stdout);
		}
		if (got == SIGTERM || got == SIGINT) {
			printf("term\n");
			fflush(stdout);
			exit(0);
		}
		if (seconds > 0 && left-- <= 0)
			exit(0);
		usleep(100000);
	}
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	const char *mode = argc > 1 ? argv[1] : "ready";
	int n = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("NOTIFYPROG_SAY_PID") != NULL)
		printf("pid %ld\n", (long)getpid());

	if (strcmp(mode, "ready") == 0) {
		if (notify("READY=1") == -1)
			return 1;
		hold(0);
	} else if (strcmp(mode, "exit") == 0) {
		fprintf(stderr, "notifyprog: exiting before ready\n");
		return 3;
	} else if (strcmp(mode, "never") == 0) {
		hold(30);
	} else if (strcmp(mode, "errno") == 0) {
		(void)notify("STATUS=bad config\nERRNO=22");
		return 1;
	} else if (strcmp(mode, "fd") == 0 && argc > 2) {
		int fd = atoi(argv[2]);

		if (write(fd, "\n", 1) != 1) {
			fprintf(stderr, "notifyprog: fd %d: %s\n", fd,
			    strerror(errno));
			return 1;
		}
		close(fd);
		hold(0);
	} else if (strcmp(mode, "print") == 0) {
		for (;;) {
			printf("line %d\n", n++);
			if (got == SIGTERM || got == SIGINT)
				return 0;
			usleep(100000);
		}
	} else if (strcmp(mode, "hold") == 0 || strcmp(mode, "crash") == 0) {
		if (strcmp(mode, "crash") == 0)
			printf("start %ld\n", (long)getpid());
		hold(0);
	} else if (strcmp(mode, "brief") == 0) {
		usleep(300000);
		return 0;
	} else if (strcmp(mode, "env") == 0 && argc > 2) {
		const char *v = getenv(argv[2]);

		if (v != NULL)
			printf("%s=%s\n", argv[2], v);
		else
			printf("%s unset\n", argv[2]);
		hold(0);
	} else if (strcmp(mode, "info") == 0) {
		char cwd[4096];
		mode_t m = umask(0);

		if (getcwd(cwd, sizeof(cwd)) == NULL)
			strcpy(cwd, "?");
		printf("pid %ld ppid %ld cwd %s umask %03o uid %ld gid %ld\n",
		    (long)getpid(), (long)getppid(), cwd, (unsigned int)m,
		    (long)getuid(), (long)getgid());
		hold(0);
	} else {
		fprintf(stderr, "notifyprog: unknown mode %s\n", mode);
		return 2;
	}
	return 0;
}

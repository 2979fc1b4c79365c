/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * helper.c - the daemon the end-to-end tests drive; options in testutil.h.
 *
 * The report (-R) is opened before start and kept across the fd sweep, so
 * the daemon can write it after chroot and privilege drop.  Its keys:
 * pid ppid pgid sid tty (tty_nr from /proc) cwd root umask ruid euid suid
 * rgid egid sgid groups (comma-separated) fds (comma-separated open fds)
 * fd0 fd1 fd2 (readlink of each) mode supervisor marker signal_fd
 * listen_fd (the -b socket, -1 without) setuid0 (0 if setuid(0)
 * succeeded, else the errno), then "end".  It is written right after
 * daemonize_ready (stdout and stderr move at ready), or before the action
 * for the actions that never call ready.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "daemonize.h"

static FILE *report;
static int listen_fd = -1;

static void
usage(void)
{
	fprintf(stderr, "usage: helper [-dflnPTY] [-p pidfile] [-o output] "
	    "[-t ms] [-w dir] [-m umask] [-u user] [-g group] [-r dir] "
	    "[-k fd] [-N fd] [-S signo] [-R report] [-a action] [-E file] "
	    "[-L] [-W text] [-b port]\n");
	exit(2);
}

static void
link_of(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len - 1);

	buf[n < 0 ? 0 : n] = '\0';
}

/* Field 7 of /proc/self/stat: the controlling terminal, 0 for none. */
static long
tty_nr(void)
{
	char buf[1024], *p;
	long tty = -1;
	size_t n;
	FILE *f = fopen("/proc/self/stat", "r");

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After the ")" that ends the command: state ppid pgrp session tty */
	if ((p = strrchr(buf, ')')) != NULL)
		(void)sscanf(p + 1, " %*c %*d %*d %*d %ld", &tty);
	return tty;
}

static void
write_report(struct daemonize *d)
{
	char buf[PATH_MAX], path[64];
	gid_t groups[256];
	struct dirent *e;
	const char *marker = NULL, *sup;
	mode_t mask;
	int i, n;
	DIR *dir;
#ifdef HAVE_GETRESUID
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
#endif

	fprintf(report, "pid=%ld\nppid=%ld\npgid=%ld\nsid=%ld\n",
	    (long)getpid(), (long)getppid(), (long)getpgrp(),
	    (long)getsid(0));
	fprintf(report, "tty=%ld\n", tty_nr());
	fprintf(report, "cwd=%s\n", getcwd(buf, sizeof(buf)) ? buf : "?");
	link_of("/proc/self/exe", buf, sizeof(buf));
	fprintf(report, "exe=%s\n", buf);
	fprintf(report, "reexec_env=%s\n",
	    getenv("DAEMONIZE_REEXEC") != NULL ? "set" : "unset");
	link_of("/proc/self/root", buf, sizeof(buf));
	fprintf(report, "root=%s\n", buf);
	mask = umask(0);
	umask(mask);
	fprintf(report, "umask=%03o\n", (unsigned int)mask);
#ifdef HAVE_GETRESUID
	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	fprintf(report, "ruid=%ld\neuid=%ld\nsuid=%ld\n", (long)ru, (long)eu,
	    (long)su);
	fprintf(report, "rgid=%ld\negid=%ld\nsgid=%ld\n", (long)rg, (long)eg,
	    (long)sg);
#endif
	n = getgroups(256, groups);
	fprintf(report, "groups=");
	for (i = 0; i < n; i++)
		fprintf(report, "%s%ld", i ? "," : "", (long)groups[i]);
	fprintf(report, "\nfds=");
	if ((dir = opendir("/proc/self/fd")) != NULL) {
		int first = 1;

		while ((e = readdir(dir)) != NULL) {
			if (e->d_name[0] == '.' ||
			    atoi(e->d_name) == dirfd(dir))
				continue;
			fprintf(report, "%s%s", first ? "" : ",", e->d_name);
			first = 0;
		}
		closedir(dir);
	}
	fprintf(report, "\n");
	for (i = 0; i <= 2; i++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", i);
		link_of(path, buf, sizeof(buf));
		fprintf(report, "fd%d=%s\n", i, buf);
	}
	sup = daemonize_supervisor(d, &marker);
	fprintf(report, "mode=%d\nsupervisor=%s\nmarker=%s\nsignal_fd=%d\n",
	    daemonize_mode(d), sup ? sup : "none", marker ? marker : "none",
	    daemonize_signal_fd(d));
	fprintf(report, "listen_fd=%d\n", listen_fd);
	/* Last: it may succeed (when we are still root). */
	fprintf(report, "setuid0=%d\n", setuid(0) == 0 ? 0 : errno);
	fprintf(report, "end\n");
	fflush(report);
}

static void
run_env(const char *file)
{
	pid_t pid = fork();
	int fd;

	if (pid == 0) {
		fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd == -1 || dup2(fd, 1) == -1)
			_exit(127);
		execl("/usr/bin/env", "env", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
}

/* -T: a second thread, so that a background start must refuse. */
static void *
idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* -b: a listening TCP socket on 127.0.0.1:port, above fd 2; -1 on error. */
static int
bind_port(int port)
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
	    listen(fd, 16) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* -b: one client: "helper PID\n", then close. */
static void
serve(void)
{
	char msg[64];
	int c, n;

	if ((c = accept(listen_fd, NULL, NULL)) == -1)
		return;
	n = snprintf(msg, sizeof(msg), "helper %ld\n", (long)getpid());
	if (write(c, msg, (size_t)n) == -1)
		perror("helper: write");
	close(c);
}

/* The actions after which the daemon never calls ready: the report is
 * written before them. */
static int
never_ready(const char *action)
{
	static const char *const list[] = { "fail", "exit", "crash", "hang",
	    "forkworker", "failcarry", NULL };
	int i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(action, list[i]) == 0)
			return 1;
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *action = "ready", *envfile = NULL, *reportpath = NULL;
	const char *user = NULL, *group = NULL, *early = NULL;
	int keep[64], nkeep = 0, mode = -1, port = -1;
	int lock_first = 0, thread = 0, use_syslog = 0;
	unsigned int flags = 0;
	struct daemonize *d;
	int ch, sig, lines = 0, hups = 0, r, i;

	if ((d = daemonize_new("helper")) == NULL) {
		perror("helper: daemonize_new");
		return 1;
	}
#define TRY(call) do { if ((call) == -1) { \
	fprintf(stderr, "helper: %s\n", daemonize_error(d)); \
	daemonize_free(d); \
	return 1; } } while (0)
	while ((ch = getopt(argc, argv,
	    "a:b:de:E:fg:k:lLm:N:no:Pp:R:r:S:t:Tu:w:W:XY")) != -1) {
		switch (ch) {
		case 'a': action = optarg; break;
		case 'b': port = atoi(optarg); break;
		case 'd': mode = DAEMONIZE_MODE_BACKGROUND; break;
		case 'e':
			/* This C library's text for an errno: a suite built
			 * against another libc compares messages with it. */
			printf("%s\n", strerror(atoi(optarg)));
			daemonize_free(d);
			return fflush(stdout) == 0 ? 0 : 1;
		case 'E': envfile = optarg; break;
		case 'f': mode = DAEMONIZE_MODE_FOREGROUND; break;
		case 'n': mode = DAEMONIZE_MODE_FOREGROUND; break;
		case 'P': flags |= DAEMONIZE_KEEP_SIGPIPE; break;
		case 'l': lock_first = 1; break;
		case 'L': lines = 10000; break;
		case 'g': group = optarg; break;
		case 'u': user = optarg; break;
		case 'k':
			if (nkeep == 64)
				usage();
			keep[nkeep++] = atoi(optarg);
			break;
		case 'm': TRY(daemonize_set_umask(d,
		    (mode_t)strtol(optarg, NULL, 8))); break;
		case 'N': TRY(daemonize_set_notify_fd(d, atoi(optarg))); break;
		case 'o': TRY(daemonize_set_output(d, optarg)); break;
		case 'p': TRY(daemonize_set_pidfile(d, optarg)); break;
		case 'R': reportpath = optarg; break;
		case 'r': TRY(daemonize_set_chroot(d, optarg)); break;
		case 'S': TRY(daemonize_add_signal(d, atoi(optarg))); break;
		case 't': TRY(daemonize_set_timeout(d,
		    (unsigned int)atoi(optarg))); break;
		case 'T': thread = 1; break;
		case 'w': TRY(daemonize_set_workdir(d, optarg)); break;
		case 'W': early = optarg; break;
		case 'X': TRY(daemonize_set_reexec(d, argv)); break;
		case 'Y': use_syslog = 1; break;
		default: usage();
		}
	}
	/* One call: daemonize_set_user sets both (the last call wins). */
	if (user != NULL || group != NULL)
		TRY(daemonize_set_user(d, user, group));
	if (mode != -1)
		TRY(daemonize_set_mode(d, mode));
	TRY(daemonize_set_flags(d, flags));
	if (use_syslog) {
		/* A logger connection made before start: the fd sweep must
		 * keep it. */
		openlog("helper", LOG_NDELAY | LOG_PID, LOG_DAEMON);
		syslog(LOG_INFO, "before start");
	}
	if (thread) {
		pthread_t t;

		if ((r = pthread_create(&t, NULL, idle_thread, NULL)) != 0) {
			fprintf(stderr, "helper: pthread_create: %s\n",
			    strerror(r));
			daemonize_free(d);
			return 1;
		}
	}
	/* -l: the lock first, then the descriptors are opened and kept, as
	 * a server binds its sockets after daemonize_lock. */
	if (lock_first)
		TRY(daemonize_lock(d));
	if (reportpath != NULL) {
		int fd = open(reportpath, O_WRONLY | O_CREAT | O_TRUNC, 0644),
		    hi;

		/* Never on 0-2: a test may start us with stdout closed
		 * (without -l), and the daemon redirects 0-2. */
		if (fd != -1 && fd < 3) {
			hi = fcntl(fd, F_DUPFD, 3);
			close(fd);
			fd = hi;
		}
		if (fd == -1 || (report = fdopen(fd, "w")) == NULL) {
			perror(reportpath);
			daemonize_free(d);
			return 1;
		}
		TRY(daemonize_keep_fd(d, fileno(report)));
	}
	if (port != -1) {
		if ((listen_fd = bind_port(port)) == -1) {
			fprintf(stderr, "helper: bind 127.0.0.1:%d: %s\n", port,
			    strerror(errno));
			daemonize_free(d);
			return 1;
		}
		TRY(daemonize_keep_fd(d, listen_fd));
	}
	for (i = 0; i < nkeep; i++)
		TRY(daemonize_keep_fd(d, keep[i]));

	r = daemonize_start(d);
	if (r == -1) {
		fprintf(stderr, "helper: %s\n", daemonize_error(d));
		daemonize_free(d);
		return 1;
	}
	if (r == DAEMONIZE_PARENT) {
		daemonize_free(d);
		return 0;
	}

	/* The daemon (or foreground / supervised process). */
	if (use_syslog)
		syslog(LOG_INFO, "after start");
	if (early != NULL) {
		/* Before ready: this still reaches the starting terminal. */
		fprintf(stderr, "%s\n", early);
		fflush(stderr);
	}
	if (report != NULL && never_ready(action))
		write_report(d);
	if (strcmp(action, "fail") == 0) {
		daemonize_fail(d, EADDRINUSE, "cannot bind port %d", 80);
		daemonize_free(d);
		return 1;
	} else if (strcmp(action, "exit") == 0) {
		exit(3);
	} else if (strcmp(action, "crash") == 0) {
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	} else if (strcmp(action, "hang") == 0) {
		for (;;)
			pause();
	} else if (strcmp(action, "sleep") == 0) {
		usleep(300 * 1000);
	} else if (strcmp(action, "forkworker") == 0) {
		/* A worker that inherits every fd (the status pipe too) and
		 * outlives the daemon, which then dies before ready. */
		if (fork() == 0) {
			sleep(30);
			_exit(0);
		}
		abort();
	} else if (strcmp(action, "failcarry") == 0) {
		/* Fails, but does not exit for a while. */
		daemonize_fail(d, EADDRINUSE, "cannot bind port %d", 80);
		sleep(8);
		return 1;
	}
	if (daemonize_ready(d) == -1)
		fprintf(stderr, "helper: ready: %s\n", daemonize_error(d));
	/* After ready: fd0-fd2 as the daemon keeps them from now on. */
	if (report != NULL)
		write_report(d);
	if (envfile != NULL)
		run_env(envfile);

	for (;;) {
		/* With -L, write numbered lines while waiting, 1 ms apart;
		 * with -b, serve the socket too; else wait for ever. */
		if (listen_fd != -1) {
			struct pollfd pfd[2];

			pfd[0].fd = daemonize_signal_fd(d);
			pfd[0].events = POLLIN;
			pfd[1].fd = listen_fd;
			pfd[1].events = POLLIN;
			pfd[0].revents = pfd[1].revents = 0;
			if (poll(pfd, 2, -1) == -1 && errno != EINTR) {
				perror("helper: poll");
				return 1;
			}
			if (pfd[1].revents & POLLIN)
				serve();
			sig = daemonize_next_signal(d, 0);
		} else {
			sig = daemonize_next_signal(d, lines > 0 ? 1 : -1);
		}
		if (sig == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "helper: wait: %s\n",
			    daemonize_error(d));
			return 1;
		}
		if (sig == 0 && lines > 0) {
			static int line;

			if (line < lines) {
				printf("line %d\n", ++line);
				fflush(stdout);
			}
			continue;
		}
		/* Every signal read from the pipe is handled: it is gone from
		 * the pipe once read.  After 64 in a row the outer loop gets a
		 * turn (the -L lines), and reads the pipe again itself. */
		for (i = 0; sig > 0; i++) {
			if (sig == SIGHUP) {
				if (daemonize_reopen_output(d) == -1)
					printf("reopen failed: %s\n",
					    daemonize_error(d));
				printf("hup %d\n", ++hups);
			} else if (sig == SIGUSR1) {
				printf("usr1\n");
			} else if (sig == SIGTERM || sig == SIGINT) {
				if (use_syslog)
					syslog(LOG_INFO, "stopping");
				printf("term\n");
				fflush(stdout);
				daemonize_stop(d);
				daemonize_free(d);
				return 0;
			}
			fflush(stdout);
			if (i == 63)
				break;
			sig = daemonize_next_signal(d, 0);
		}
	}
}

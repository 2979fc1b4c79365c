/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * echod.c - a TCP echo server built on libdaemonize: the full
 * demonstration of the library (examples/template.c is the file to copy).
 *
 * It shows what a real server needs beyond the template: many clients in
 * one poll() loop with back-pressure, IPv4 and IPv6, socket activation,
 * a log file reopened on SIGHUP, a privilege drop, chroot, s6 readiness,
 * and -k/-s/-R, which control the running instance through its pidfile.
 * main() keeps the template's order, because each step is where it is for
 * a reason:
 *
 *   1. Parse the command line.  -k, -s and -R only talk to the running
 *      instance through its pidfile and exit.
 *   2. Configure the context.  -f asks for foreground mode: no fork and
 *      stdio untouched, but the pidfile, -u, -g and -r still apply, so
 *      what runs in the terminal is what runs under a supervisor.
 *   3. daemonize_lock(): fds 0-2 valid, user and chroot checked, the
 *      pidfile locked.  A second instance stops here with "already
 *      running, pid N", before its bind could fail with the less helpful
 *      "Address already in use".
 *   4. Take the listening sockets from the supervisor (systemd socket
 *      activation, launchd) or bind our own, while we still have the
 *      terminal and are still root: a taken port is reported right here,
 *      and a port below 1024 is bound before the privilege drop.  Each
 *      one is kept across the library's sweep of inherited fds.
 *   5. daemonize_start().  It forks when nothing supervises us, and never
 *      forks under systemd, launchd, s6, supervisord or in a container;
 *      the code is the same either way.
 *   6. In the daemon: initialise, then daemonize_ready().  Only then does
 *      the command that started us exit 0 (or a supervisor hear READY=1).
 *   7. One poll() loop over the signal fd, the listeners and the clients;
 *      then daemonize_stop().
 *
 * Errors of the library are printed as errx(1, "%s", daemonize_error(d)):
 * the text already names the step, the path and strerror.  err() is for
 * our own system calls.
 *
 * Usage: see usage() below, or run "echod -h".
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <net/if.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemonize.h"

#define PROG             "echod"   /* also the context name: launchd's
                                      Sockets key and LISTEN_FDNAMES */
#define DEFAULT_ADDRESS  "127.0.0.1"
#define DEFAULT_PORT     "7007"
#define MAX_LISTENERS    16        /* socket activation may pass several */
#define MAX_CLIENTS      1024      /* beyond this, connections are closed */
#define CLIENT_BUFSIZE   4096      /* per client: echo not yet written */
#define STOP_TIMEOUT_MS  10000     /* -k: how long to wait for the exit */
#define PAUSE_MS         1000      /* accept() back-off when out of fds */
#define LABELLEN         (INET6_ADDRSTRLEN + IF_NAMESIZE + 16)
                                   /* "[v6addr%scope]:port" */

/* Exit statuses.  3 for "not running" and 4 for "status unknown" are the
 * LSB init-script conventions for status, which service managers and
 * scripts understand. */
#define EXIT_USAGE       2
#define EXIT_NOT_RUNNING 3
#define EXIT_UNKNOWN     4

#if defined(__GNUC__)
#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN         __attribute__((noreturn))
#else
#define PRINTFLIKE(f, a)
#define NORETURN
#endif

struct options {
	const char *pidfile;
	const char *logfile;        /* NULL: /dev/null in background mode */
	const char *address;
	const char *port;
	const char *user;
	const char *group;
	const char *chroot_dir;
	unsigned int timeout_s;     /* 0: wait for readiness for ever */
	int notify_fd;              /* s6 notification fd, -1 when none */
	bool foreground;
	char action;                /* 0 (serve), 'k', 's' or 'R' */
};

/* One connection.  Echo that the peer has not read yet stays in buf, and
 * we read nothing more from that peer until it is written: a client that
 * never reads cannot make us buffer without bound. */
struct client {
	size_t off;                 /* next byte to write */
	size_t len;                 /* bytes in buf */
	char buf[CLIENT_BUFSIZE];
};

/* pfd[0] is the signal fd, pfd[1 .. nlisten] the listeners, and the
 * clients follow; cl[i] belongs to pfd[i] (NULL below the clients). */
struct server {
	struct daemonize *d;
	int listen_fd[MAX_LISTENERS];
	size_t nlisten;
	char where[256];            /* "127.0.0.1:7007", for status lines */
	struct pollfd *pfd;
	struct client **cl;
	size_t npfd;
	size_t cap;
	bool paused;                /* accept() ran out of fds or memory */
	bool full;                  /* MAX_CLIENTS reached, logged once */
};

/* ---- messages ------------------------------------------------------------ */

/* Until daemonize_ready() messages go to the terminal with err(3) and
 * warn(3); afterwards the daemon uses logmsg()/logerr().
 *
 * A log line: UTC time stamp (no time zone files are needed inside a
 * chroot), name and pid.  In background mode stdout and stderr are the
 * log file (or /dev/null) once the daemon is ready; under a supervisor
 * they are whatever it gave us, usually its log.  Each line is flushed so
 * that nothing waits in a buffer when the log is rotated or the process
 * dies.  A failure to log cannot be reported anywhere, so it is ignored. */
static void PRINTFLIKE(2, 0)
vlog(FILE *fp, const char *fmt, va_list ap)
{
	char stamp[32];
	struct tm tm;
	time_t now;

	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strcpy(stamp, "-");
	fprintf(fp, "%s %s[%ld]: ", stamp, PROG, (long)getpid());
	vfprintf(fp, fmt, ap);
	fputc('\n', fp);
	(void)fflush(fp);
}

static void PRINTFLIKE(1, 2)
logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(stdout, fmt, ap);
	va_end(ap);
}

static void PRINTFLIKE(1, 2)
logerr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(stderr, fmt, ap);
	va_end(ap);
}

static void NORETURN
usage(int status)
{
	FILE *fp = status == 0 ? stdout : stderr;

	fprintf(fp,
	    "usage: %s [-f] [-p pidfile] [-l logfile] [-a address] [-P port]\n"
	    "             [-t seconds] [-u user] [-g group] [-r chroot] [-N fd]\n"
	    "       %s -k | -s | -R [-p pidfile] [-u user]\n", PROG, PROG);
	if (status != 0) {
		fprintf(fp, "Run '%s -h' for help.\n", PROG);
		exit(status);
	}
	fprintf(fp,
	    "\n"
	    "  -f          foreground: no fork, stdio stays on the terminal;\n"
	    "              -p, -u, -g and -r still apply (SIGINT stops)\n"
	    "  -p pidfile  default /run/echod.pid as root, else\n"
	    "              $XDG_RUNTIME_DIR/echod.pid or /tmp/echod-UID.pid\n"
	    "  -l logfile  append stdout and stderr to it once ready\n"
	    "              (background mode)\n"
	    "  -a address  IPv4 or IPv6 literal to listen on (default %s)\n"
	    "  -P port     TCP port (default %s)\n"
	    "  -t seconds  give up if not ready within this time\n"
	    "  -u user     run as this user (bind first, then drop); with\n"
	    "              -k, -s, -R: also trust a pidfile owned by it\n"
	    "  -g group    run as this group (default: the user's group)\n"
	    "  -r chroot   chroot into this directory\n"
	    "  -N fd       write a newline to fd when ready (s6 readiness)\n"
	    "  -k          stop the running instance (exit 0 once it is gone)\n"
	    "  -s          status: \"running, pid N\" (exit 0), \"not running\"\n"
	    "              (exit 3), \"starting up\" or unverifiable (exit 4)\n"
	    "  -R          reload: reopen the log file (SIGHUP)\n"
	    "  -h          this help\n"
	    "\n"
	    "Socket activation (systemd, launchd) replaces -a and -P.\n",
	    DEFAULT_ADDRESS, DEFAULT_PORT);
	exit(0);
}

/* ---- command line -------------------------------------------------------- */

/* A strict decimal number in [min, max], or -1: "12x", "" and " 1" are
 * rejected, which strtoul alone would accept. */
static long long
parse_number(const char *s, long long min, long long max)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < (unsigned long long)min ||
	    v > (unsigned long long)max)
		return -1;
	return (long long)v;
}

/* The default pidfile: the system's run directory as root, else the
 * user's runtime directory, else a per-uid name in /tmp. */
static const char *
default_pidfile(void)
{
	static char path[PATH_MAX];
	const char *dir;
	struct stat st;
	int n;

	if (geteuid() == 0)
		return stat("/run", &st) == 0 && S_ISDIR(st.st_mode) ?
		    "/run/" PROG ".pid" : "/var/run/" PROG ".pid";
	dir = getenv("XDG_RUNTIME_DIR");
	if (dir != NULL && *dir == '/')
		n = snprintf(path, sizeof(path), "%s/%s.pid", dir, PROG);
	else
		n = snprintf(path, sizeof(path), "/tmp/%s-%lu.pid", PROG,
		    (unsigned long)getuid());
	if (n < 0 || (size_t)n >= sizeof(path))
		errx(1, "default pidfile: path too long; use -p");
	return path;
}

static void
set_action(struct options *opt, char action)
{
	if (opt->action != 0 && opt->action != action) {
		warnx("-%c and -%c exclude each other", opt->action, action);
		usage(EXIT_USAGE);
	}
	opt->action = action;
}

static void
parse_options(int argc, char *argv[], struct options *opt)
{
	long long v;
	int ch;

	memset(opt, 0, sizeof(*opt));
	opt->address = DEFAULT_ADDRESS;
	opt->port = DEFAULT_PORT;
	opt->notify_fd = -1;

	/* Leading ':' and opterr = 0: we print our own messages. */
	opterr = 0;
	while ((ch = getopt(argc, argv, ":fp:l:a:P:t:u:g:r:N:ksRh")) != -1) {
		switch (ch) {
		case 'f':
			opt->foreground = true;
			break;
		case 'p':
			opt->pidfile = optarg;
			break;
		case 'l':
			opt->logfile = optarg;
			break;
		case 'a':
			opt->address = optarg;
			break;
		case 'P':
			if (parse_number(optarg, 1, 65535) == -1) {
				warnx("-P %s: not a port number (1-65535)",
				    optarg);
				usage(EXIT_USAGE);
			}
			opt->port = optarg;
			break;
		case 't':
			if ((v = parse_number(optarg, 0, UINT_MAX / 1000)) ==
			    -1) {
				warnx("-t %s: not a number of seconds", optarg);
				usage(EXIT_USAGE);
			}
			opt->timeout_s = (unsigned int)v;
			break;
		case 'u':
			opt->user = optarg;
			break;
		case 'g':
			opt->group = optarg;
			break;
		case 'r':
			opt->chroot_dir = optarg;
			break;
		case 'N':
			if ((v = parse_number(optarg, 0, INT_MAX)) == -1) {
				warnx("-N %s: not a file descriptor number",
				    optarg);
				usage(EXIT_USAGE);
			}
			opt->notify_fd = (int)v;
			break;
		case 'k':
		case 's':
		case 'R':
			set_action(opt, (char)ch);
			break;
		case 'h':
			usage(0);
		case ':':
			warnx("option -%c needs an argument", optopt);
			usage(EXIT_USAGE);
		default:
			warnx("unknown option -%c", optopt);
			usage(EXIT_USAGE);
		}
	}
	if (optind < argc) {
		warnx("unexpected argument '%s'", argv[optind]);
		usage(EXIT_USAGE);
	}
	if (opt->pidfile == NULL)
		opt->pidfile = default_pidfile();
}

/* ---- -k, -s, -R: control the running instance through its pidfile ------- */

/* A context only for reading the pidfile: its path, and the user the
 * daemon runs as, whose files the reader trusts besides root's and our
 * own.  The library acts only on a pid it verified as the holder of the
 * pidfile's lock: a stale file left by a crash, or one holding garbage,
 * means "not running" and never picks a pid to signal. */
static struct daemonize *
control_context(const struct options *opt)
{
	struct daemonize *d;

	if ((d = daemonize_new(PROG)) == NULL)
		err(1, "daemonize_new");
	if (daemonize_set_pidfile(d, opt->pidfile) == -1 ||
	    ((opt->user != NULL || opt->group != NULL) &&
	    daemonize_set_user(d, opt->user, opt->group) == -1))
		errx(EXIT_USAGE, "%s", daemonize_error(d));
	return d;
}

/* Whether a failed signal or terminate found nothing to act on: ESRCH,
 * or, when unsure, the pidfile asked again (its own failure, such as an
 * unknown -u user, is not "not running").  The first error's text is
 * kept for the message. */
static bool
not_running(struct daemonize *d, int errnum, char *why, size_t size)
{
	snprintf(why, size, "%s", daemonize_error(d));
	if (errnum == ESRCH)
		return true;
	return daemonize_pidfile_state(d, NULL) ==
	    DAEMONIZE_PIDFILE_NOT_RUNNING;
}

static int
cmd_status(struct daemonize *d)
{
	pid_t pid = 0;

	switch (daemonize_pidfile_state(d, &pid)) {
	case DAEMONIZE_PIDFILE_RUNNING:
		printf("running, pid %ld\n", (long)pid);
		return 0;
	case DAEMONIZE_PIDFILE_NOT_RUNNING:
		printf("not running\n");
		return EXIT_NOT_RUNNING;
	case DAEMONIZE_PIDFILE_STARTING:
		/* Locked, no pid yet (or no longer): neither running nor
		 * not; LSB has no code for it, 4 is "unknown". */
		printf("starting up\n");
		return EXIT_UNKNOWN;
	case DAEMONIZE_PIDFILE_UNVERIFIED:
		/* Locked, but the pid in it cannot be shown to be the
		 * holder: the library says why. */
		warnx("%s", daemonize_error(d));
		return EXIT_UNKNOWN;
	default:
		warnx("%s", daemonize_error(d));
		return EXIT_UNKNOWN;
	}
}

static int
cmd_reload(struct daemonize *d, const char *pidfile)
{
	char why[512];

	if (daemonize_pidfile_signal(d, SIGHUP) == 0)
		return 0;
	if (not_running(d, errno, why, sizeof(why)))
		errx(EXIT_NOT_RUNNING, "not running (pidfile %s)", pidfile);
	errx(1, "%s", why);
}

static int
cmd_stop(struct daemonize *d)
{
	char why[512];

	/* 0 once the process is gone, not merely its lock released (a
	 * restart right after -k must find the port free too). */
	if (daemonize_pidfile_terminate(d, SIGTERM, STOP_TIMEOUT_MS) == 0)
		return 0;
	/* Stopping what is not running succeeds: the caller's goal, no
	 * instance, holds, and scripts can call -k unconditionally. */
	if (not_running(d, errno, why, sizeof(why)))
		return 0;
	errx(1, "%s", why);
}

/* ---- listening sockets --------------------------------------------------- */

/* "127.0.0.1:7007" or "[::1]:7007". */
static void
format_address(const struct sockaddr *sa, socklen_t salen, char *buf,
    size_t size)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1], serv[8];

	if (getnameinfo(sa, salen, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(buf, size, "(unknown address)");
	else if (sa->sa_family == AF_INET6)
		snprintf(buf, size, "[%s]:%s", host, serv);
	else
		snprintf(buf, size, "%s:%s", host, serv);
}

/* Every fd we poll is non-blocking, so that a peer that went away between
 * poll() and accept() or read() cannot hang the whole server, and
 * close-on-exec, so that no program we might run inherits it. */
static int
make_nonblocking_cloexec(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	if ((fl = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

static void
add_where(struct server *s, const char *label)
{
	size_t len = strlen(s->where);

	snprintf(s->where + len, sizeof(s->where) - len, "%s%s",
	    len > 0 ? ", " : "", label);
}

/* -a and -P as an address, checked before anything is locked: a typo is
 * a usage error, not a start that failed. */
static struct addrinfo *
resolve_address(const char *address, const char *port)
{
	struct addrinfo hints, *res;
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* Literals only: a daemon must not wait for DNS at boot, and after a
	 * chroot name resolution would not work anyway. */
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((e = getaddrinfo(address, port, &hints, &res)) != 0) {
		warnx("-a %s: not an IPv4 or IPv6 address: %s", address,
		    gai_strerror(e));
		usage(EXIT_USAGE);
	}
	return res;
}

/* Bind our own socket.  -1 after a message on stderr: the caller still
 * holds the pidfile's lock and must give it back before exiting. */
static int
bind_listener(struct server *s, const struct addrinfo *ai)
{
	char label[LABELLEN];
	const char *what;
	int fd, on = 1, saved;

	format_address(ai->ai_addr, ai->ai_addrlen, label, sizeof(label));
	if ((fd = socket(ai->ai_family, ai->ai_socktype,
	    ai->ai_protocol)) == -1) {
		warn("socket for %s", label);
		return -1;
	}
	what = "fcntl on socket for";
	if (make_nonblocking_cloexec(fd) == -1)
		goto fail;
	/* A restart must not fail while old connections sit in TIME_WAIT. */
	what = "SO_REUSEADDR on";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	/* "::" means IPv6 only, the same on every system, whatever the
	 * system default for mapped IPv4 addresses is. */
	what = "IPV6_V6ONLY on";
	if (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	what = "bind";
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
		goto fail;
	what = "listen";
	if (listen(fd, SOMAXCONN) == -1)
		goto fail;
	s->listen_fd[s->nlisten++] = fd;
	add_where(s, label);
	return 0;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	warn("%s %s", what, label);
	return -1;
}

/* Sockets passed by systemd (LISTEN_FDS) or launchd (the Sockets key named
 * like the context).  How many were taken over (0: bind our own), or -1
 * after a message on stderr. */
static int
take_activated_sockets(struct server *s)
{
	const int *fds;
	const char *const *names;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char label[LABELLEN];
	int n, i, type;
	socklen_t len;

	n = daemonize_listen_fds(s->d, &fds, &names);
	if (n == -1) {
		/* ENOSYS: this system has no activation protocol at all. */
		if (errno == ENOSYS)
			return 0;
		warnx("%s", daemonize_error(s->d));
		return -1;
	}
	if (n > MAX_LISTENERS) {
		warnx("socket activation: %d sockets passed, at most %d "
		    "supported", n, MAX_LISTENERS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		len = sizeof(type);
		if (getsockopt(fds[i], SOL_SOCKET, SO_TYPE, &type,
		    &len) == -1) {
			warn("socket activation: fd %d", fds[i]);
			return -1;
		}
		if (type != SOCK_STREAM) {
			warnx("socket activation: fd %d (%s) is not a stream "
			    "socket", fds[i], names != NULL &&
			    names[i] != NULL ? names[i] : "?");
			return -1;
		}
		/* systemd passes blocking sockets unless told otherwise. */
		sslen = sizeof(ss);
		if (make_nonblocking_cloexec(fds[i]) == -1 ||
		    getsockname(fds[i], (struct sockaddr *)&ss,
		    &sslen) == -1) {
			warn("socket activation: fd %d", fds[i]);
			return -1;
		}
		format_address((struct sockaddr *)&ss, sslen, label,
		    sizeof(label));
		s->listen_fd[s->nlisten++] = fds[i];
		add_where(s, label);
	}
	return n;
}

/* ---- the server ---------------------------------------------------------- */

/* Runs in the daemon: big allocations belong here, after the fork. */
static int
server_init(struct server *s)
{
	size_t i;

	s->cap = 1 + s->nlisten + MAX_CLIENTS;
	s->pfd = calloc(s->cap, sizeof(*s->pfd));
	s->cl = calloc(s->cap, sizeof(*s->cl));
	if (s->pfd == NULL || s->cl == NULL)
		return -1;
	if ((s->pfd[0].fd = daemonize_signal_fd(s->d)) == -1)
		return -1;
	s->pfd[0].events = POLLIN;
	for (i = 0; i < s->nlisten; i++) {
		s->pfd[1 + i].fd = s->listen_fd[i];
		s->pfd[1 + i].events = POLLIN;
	}
	s->npfd = 1 + s->nlisten;
	return 0;
}

static size_t
nclients(const struct server *s)
{
	return s->npfd - 1 - s->nlisten;
}

static void
drop_client(struct server *s, size_t i)
{
	(void)close(s->pfd[i].fd);
	free(s->cl[i]);
	/* The last entry fills the hole; callers walk the clients from the
	 * end, so the moved one has already been served in this round. */
	s->npfd--;
	s->pfd[i] = s->pfd[s->npfd];
	s->cl[i] = s->cl[s->npfd];
	s->cl[s->npfd] = NULL;
	if (s->full && nclients(s) < MAX_CLIENTS)
		s->full = false;
}

static void
pause_accepting(struct server *s, bool pause)
{
	size_t i;

	s->paused = pause;
	for (i = 0; i < s->nlisten; i++)
		s->pfd[1 + i].events = pause ? 0 : POLLIN;
}

static void
accept_clients(struct server *s, int lfd)
{
	struct client *c;
	int fd;

	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* Out of fds or memory: the pending connection would
			 * make poll() return at once for ever.  Stop polling
			 * the listeners for a while instead of spinning. */
			logerr("accept: %s; pausing new connections for %d ms",
			    strerror(errno), PAUSE_MS);
			pause_accepting(s, true);
			return;
		}
		if (nclients(s) >= MAX_CLIENTS) {
			if (!s->full)
				logerr("%d clients connected: closing new "
				    "connections until some leave",
				    MAX_CLIENTS);
			s->full = true;
			(void)close(fd);
			continue;
		}
		if (make_nonblocking_cloexec(fd) == -1 ||
		    (c = malloc(sizeof(*c))) == NULL) {
			logerr("new connection: %s", strerror(errno));
			(void)close(fd);
			continue;
		}
		c->off = c->len = 0;
		s->pfd[s->npfd].fd = fd;
		s->pfd[s->npfd].events = POLLIN;
		s->pfd[s->npfd].revents = 0;  /* not polled yet this round */
		s->cl[s->npfd] = c;
		s->npfd++;
	}
}

/* Serve one client whose poll entry has events; false: close it.
 * Writes go straight after the read, and only what the peer does not take
 * at once waits for POLLOUT.  The library ignores SIGPIPE (unless
 * DAEMONIZE_KEEP_SIGPIPE is set), so a peer that went away gives EPIPE
 * here instead of killing the daemon. */
static bool
serve_client(struct pollfd *p, struct client *c)
{
	ssize_t n;

	if (p->revents & POLLNVAL)
		return false;
	if (c->off == c->len && (p->revents & (POLLIN | POLLHUP | POLLERR))) {
		/* Reading also reports a pending error (POLLERR) or EOF. */
		n = read(p->fd, c->buf, sizeof(c->buf));
		if (n == 0)
			return false;           /* the peer is done */
		if (n == -1)
			return errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK;
		c->off = 0;
		c->len = (size_t)n;
	}
	while (c->off < c->len) {
		n = write(p->fd, c->buf + c->off, c->len - c->off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;          /* wait for POLLOUT */
			return false;           /* EPIPE, ECONNRESET, ... */
		}
		c->off += (size_t)n;
	}
	if (c->off == c->len) {
		c->off = c->len = 0;
		p->events = POLLIN;
	} else
		p->events = POLLOUT;
	return true;
}

/* SIGHUP.  Type=notify-reload wants RELOADING=1 first and READY=1 once the
 * reload is done; without a supervisor these calls cost nothing.  A log
 * file that cannot be reopened (inside a chroot, or after a privilege
 * drop, the path may be out of reach) is reported and the old one kept;
 * without -l, or in foreground mode, there is nothing to reopen. */
static void
reload(struct server *s)
{
	if (daemonize_notify_reloading(s->d) == -1)
		logerr("reload: %s", daemonize_error(s->d));
	if (daemonize_reopen_output(s->d) == -1)
		logerr("reload: keeping the old log file: %s",
		    daemonize_error(s->d));
	/* Re-read configuration here in a real server. */
	logmsg("reloaded");
	if (daemonize_notify_status(s->d, "serving on %s", s->where) == -1)
		logerr("reload: %s", daemonize_error(s->d));
	if (daemonize_ready(s->d) == -1)
		logerr("reload: %s", daemonize_error(s->d));
}

/* Take every pending signal.  1: stop, 0: go on, -1: error. */
static int
handle_signals(struct server *s)
{
	int signo;

	/* Timeout 0: only what is pending now; poll() does the waiting. */
	while ((signo = daemonize_next_signal(s->d, 0)) > 0) {
		switch (signo) {
		case SIGHUP:
			reload(s);
			break;
		case SIGTERM:
		case SIGINT:
			logmsg("stopping on signal %d", signo);
			return 1;
		default:
			break;
		}
	}
	if (signo == -1) {
		logerr("signals: %s", daemonize_error(s->d));
		return -1;
	}
	return 0;
}

/* The event loop.  0 when asked to stop, -1 on an error. */
static int
server_run(struct server *s)
{
	size_t i;
	int n, r;

	for (;;) {
		n = poll(s->pfd, (nfds_t)s->npfd, s->paused ? PAUSE_MS : -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			logerr("poll: %s", strerror(errno));
			return -1;
		}
		if (s->paused)
			pause_accepting(s, false);
		if (s->pfd[0].revents & (POLLERR | POLLNVAL)) {
			logerr("signal fd %d failed", s->pfd[0].fd);
			return -1;
		}
		if (s->pfd[0].revents & POLLIN &&
		    (r = handle_signals(s)) != 0)
			return r > 0 ? 0 : -1;
		for (i = 1; i <= s->nlisten; i++)
			if (s->pfd[i].revents & POLLIN)
				accept_clients(s, s->pfd[i].fd);
		/* From the end, so that drop_client() may move the last
		 * entry into the hole (see there). */
		for (i = s->npfd; i-- > 1 + s->nlisten;)
			if (s->pfd[i].revents != 0 &&
			    !serve_client(&s->pfd[i], s->cl[i]))
				drop_client(s, i);
	}
}

static void
server_close(struct server *s)
{
	size_t i;

	if (s->pfd != NULL)
		while (s->npfd > 1 + s->nlisten)
			drop_client(s, s->npfd - 1);
	for (i = 0; i < s->nlisten; i++)
		(void)close(s->listen_fd[i]);
	s->nlisten = 0;
	free(s->pfd);
	free(s->cl);
	s->pfd = NULL;
	s->cl = NULL;
}

/* ---- main ---------------------------------------------------------------- */

/* Every setter before daemonize_lock(): afterwards they fail with EBUSY.
 * A value the library refuses (a relative path, a bad fd) is a usage
 * error. */
static void
configure(struct daemonize *d, const struct options *opt)
{
	/* -f is the one foreground switch: no fork, stdio untouched, and
	 * the pidfile, user and chroot still applied.  Without it the
	 * library detects a supervisor (or DAEMONIZE_MODE=foreground). */
	if ((opt->foreground &&
	    daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND) == -1) ||
	    daemonize_set_pidfile(d, opt->pidfile) == -1 ||
	    daemonize_set_output(d, opt->logfile) == -1 ||
	    daemonize_set_timeout(d, opt->timeout_s * 1000) == -1 ||
	    ((opt->user != NULL || opt->group != NULL) &&
	    daemonize_set_user(d, opt->user, opt->group) == -1) ||
	    daemonize_set_chroot(d, opt->chroot_dir) == -1 ||
	    daemonize_set_notify_fd(d, opt->notify_fd) == -1)
		errx(EXIT_USAGE, "%s", daemonize_error(d));
}

static const char *
mode_name(int mode)
{
	switch (mode) {
	case DAEMONIZE_MODE_BACKGROUND:
		return "background";
	case DAEMONIZE_MODE_FOREGROUND:
		return "foreground";
	default:
		return "unknown";
	}
}

int
main(int argc, char *argv[])
{
	struct options opt;
	struct server srv;
	struct daemonize *d;
	struct addrinfo *ai;
	const char *supervisor, *marker = NULL;
	size_t i;
	int r;

	/* 1. The command line; -k, -s and -R end here. */
	parse_options(argc, argv, &opt);
	if (opt.action != 0) {
		d = control_context(&opt);
		switch (opt.action) {
		case 'k':
			r = cmd_stop(d);
			break;
		case 's':
			r = cmd_status(d);
			break;
		default:
			r = cmd_reload(d, opt.pidfile);
			break;
		}
		daemonize_free(d);
		return r;
	}
	ai = resolve_address(opt.address, opt.port);

	/* 2. Configure. */
	if ((d = daemonize_new(PROG)) == NULL)
		err(1, "daemonize_new");
	memset(&srv, 0, sizeof(srv));
	srv.d = d;
	configure(d, &opt);

	/* 3. Lock, before the bind: a second instance is told "already
	 * running, pid N" (the pidfile's lock is what keeps it out), not
	 * "Address already in use". */
	if (daemonize_lock(d) == -1)
		errx(1, "%s", daemonize_error(d));

	/* 4. Sockets, while errors still reach the terminal and we may
	 * still be root (see the top of the file).  A failure here gives
	 * the lock back: daemonize_stop() removes the pidfile we created. */
	if ((r = take_activated_sockets(&srv)) == 0)
		r = bind_listener(&srv, ai);
	freeaddrinfo(ai);
	if (r == -1) {
		server_close(&srv);
		daemonize_stop(d);
		daemonize_free(d);
		return 1;
	}
	/* Without this the sweep of inherited fds in the daemon would close
	 * the sockets we just bound. */
	for (i = 0; i < srv.nlisten; i++)
		if (daemonize_keep_fd(d, srv.listen_fd[i]) == -1) {
			warnx("%s", daemonize_error(d));
			server_close(&srv);
			daemonize_stop(d);
			daemonize_free(d);
			return 1;
		}

	/* Whatever sits in a stdio buffer now would be written twice: once
	 * by this process and once by the daemon's copy of the buffer. */
	(void)fflush(stdout);

	/* 5. Start. */
	switch (daemonize_start(d)) {
	case -1:
		/* Also the daemon's own error from the background, e.g.
		 * "privileges: setgroups: Operation not permitted". */
		errx(1, "%s", daemonize_error(d));
	case DAEMONIZE_PARENT:
		/* The daemon is up and serving; we are done. */
		daemonize_free(d);
		return 0;
	default:
		break;
	}

	/* 6. From here on we are the daemon, or run in the foreground, or
	 * under a supervisor.  stdout becomes the log file at ready: make it
	 * line buffered so that each log line is written as it happens. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (server_init(&srv) == -1) {
		/* daemonize_fail() hands the error to the original process,
		 * which prints it and exits non-zero, and a supervisor gets
		 * ERRNO=; the library appends ": strerror(r)" itself.  In
		 * foreground mode nobody else prints it: we do. */
		r = errno;
		if (daemonize_mode(d) == DAEMONIZE_MODE_FOREGROUND)
			logerr("initialisation: %s", strerror(r));
		(void)daemonize_fail(d, r, "initialisation");
		server_close(&srv);
		daemonize_free(d);
		return 1;
	}
	if (daemonize_notify_status(d, "serving on %s", srv.where) == -1)
		logerr("status: %s", daemonize_error(d));
	/* Only now does "echod" in the terminal exit 0, or systemd hear
	 * READY=1: the sockets listen and the loop is about to run. */
	if (daemonize_ready(d) == -1)
		logerr("ready: %s", daemonize_error(d));

	/* Logged after ready, which moves stdout to the log file (in
	 * background mode): before it, these lines would have gone to the
	 * terminal of the command that started us. */
	supervisor = daemonize_supervisor(d, &marker);
	logmsg("started: pid %ld, uid %lu, gid %lu, %s mode%s%s%s%s%s",
	    (long)getpid(), (unsigned long)getuid(), (unsigned long)getgid(),
	    mode_name(daemonize_mode(d)),
	    supervisor != NULL ? ", supervisor " : "",
	    supervisor != NULL ? supervisor : "",
	    marker != NULL ? " (" : "", marker != NULL ? marker : "",
	    marker != NULL ? ")" : "");
	logmsg("serving on %s", srv.where);

	/* 7. The loop, then stop. */
	r = server_run(&srv);

	server_close(&srv);
	/* STOPPING=1 under systemd, and the pidfile is removed (or emptied,
	 * when a chroot or the privilege drop put it out of reach). */
	if (daemonize_stop(d) == -1) {
		logerr("stop: %s", daemonize_error(d));
		r = -1;
	}
	daemonize_free(d);
	return r == 0 ? 0 : 1;
}

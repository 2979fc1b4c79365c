/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * daemonrun.c - run any program as a daemon, built on libdaemonize.
 *
 *	daemonrun [options] [--] program [argument ...]
 *	daemonrun --status | --stop | --reload -p pidfile
 *
 * Plain mode: one context (pidfile, output, user, chroot, workdir, umask),
 * daemonize_lock, daemonize_start, and in the daemon daemonize_exec: the
 * program keeps the daemon's pid and the pidfile's lock for its whole
 * life, and the original process returns once the exec succeeded (or,
 * with --notify / --notify-fd, once the program said READY=1).
 *
 * --restart: the daemon is a small supervisor holding its own pidfile
 * (-P); it forks the program, which writes the program's pidfile (-p)
 * through a locked descriptor the supervisor keeps between restarts.
 *
 * See daemonrun(1).  SPDX-License-Identifier: ISC
 */
#include "util.h"
#include "trust.h"
#include "pidfile.h"

#include "daemonize.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define PROG "daemonrun"

#define EXIT_USAGE       2
#define EXIT_NOT_RUNNING 3
#define EXIT_UNKNOWN     4
#define EXIT_EXEC        127

#define DEFAULT_TIMEOUT_MS   90000u  /* --notify: as systemd's start timeout */
#define STOP_TIMEOUT_MS      10000u  /* --stop, and the supervisor's stop */
#define DEFAULT_DELAY_MS     1000u   /* --restart-delay */
#define MAX_DELAY_MS         60000u  /* the backoff's cap */
#define STABLE_MS            10000   /* a run this long resets the backoff */
#define TICK_MS              50      /* how often the child is looked at */
#define MAX_ENV              64

struct opts {
	const char *pidfile, *suppidfile, *output, *user, *chroot, *chdir;
	const char *env[MAX_ENV];
	int nenv;
	bool syslog;
	int facility;
	bool umask_set;
	mode_t umask;
	bool notify;
	int notify_fd;			/* -1: none */
	bool timeout_set;
	unsigned int timeout_ms;	/* 0: none */
	bool restart;
	unsigned int delay_ms;
	bool delay_set;
	bool foreground;
	char action;			/* 0, 's'tatus, 'k' stop, 'R' reload */
	char *const *argv;		/* the program's */
	char path[PATH_MAX];		/* the program, resolved */
	const char *name;		/* its basename */
};

/* ---- messages ----------------------------------------------------------- */


/* Between fork and _exit: the errno of a failed step into a pipe the
 * other side reads (async-signal-safe); a failed write shows there as
 * EOF without a number, which it reports too. */
static void
tell_errno(int fd, int e)
{
	if (write(fd, &e, sizeof(e)) != (ssize_t)sizeof(e)) {
		/* see above */
	}
}

static void __attribute__((format(printf, 1, 2)))
warnmsg(const char *fmt, ...)
{
	va_list ap;

	(void)fflush(stdout);
	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	(void)fflush(stderr);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list ap;

	(void)fflush(stdout);
	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void __attribute__((noreturn))
usage(int status)
{
	FILE *fp = status == 0 ? stdout : stderr;

	fprintf(fp,
"usage: daemonrun [-fnr] [-p pidfile] [-o file | --syslog[=facility]]\n"
"                 [-u user[:group]] [--chroot=dir] [--chdir=dir]\n"
"                 [--umask=mask] [--env=name=value] [-t seconds]\n"
"                 [--notify-fd=n] [--restart-delay=seconds]\n"
"                 [-P supervisor-pidfile] [--] program [argument ...]\n"
"       daemonrun --status | --stop | --reload -p pidfile [-u user] "
"[-t seconds]\n");
	if (status != 0) {
		fprintf(fp, "Run 'daemonrun --help' for help, or see "
		    "daemonrun(1).\n");
		exit(status);
	}
	fprintf(fp, "\n"
"  -p, --pidfile=FILE        the program's pid, locked for its life\n"
"  -o, --output=FILE         append its stdout and stderr (default /dev/null)\n"
"      --syslog[=FACILITY]   send them to syslog instead (default daemon)\n"
"  -u, --user=USER[:GROUP]   run as this user and group\n"
"      --chroot=DIR          chroot into DIR first\n"
"      --chdir=DIR           working directory (default /)\n"
"      --umask=MASK          octal (default 022)\n"
"      --env=NAME=VALUE      set a variable for the program (repeatable)\n"
"  -n, --notify              wait for READY=1 on a private NOTIFY_SOCKET\n"
"      --notify-fd=N         wait for a newline on fd N (s6 convention)\n"
"  -t, --timeout=SECONDS     bound the wait for readiness (--notify: 90)\n"
"  -r, --restart             supervise: restart it when it dies abnormally\n"
"      --restart-delay=SECS  first restart delay, doubling up to 60 (1)\n"
"  -P, --supervisor-pidfile=FILE  the supervisor's own pidfile\n"
"  -f, --foreground          every step but the detach\n"
"      --status              0 running, 3 not running, 4 unverifiable\n"
"      --stop                SIGTERM; returns once it is gone\n"
"      --reload              SIGHUP\n"
"  -h, --help                this help\n");
	exit(0);
}

/* ---- parsing ------------------------------------------------------------ */

/* Seconds, with a fraction, as milliseconds; -1 if malformed. */
static long long
parse_seconds(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 86400.0 * 365)
		return -1;
	return (long long)(v * 1000.0 + 0.5);
}

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV }, { "cron", LOG_CRON },
	{ "daemon", LOG_DAEMON }, { "ftp", LOG_FTP }, { "lpr", LOG_LPR },
	{ "mail", LOG_MAIL }, { "news", LOG_NEWS }, { "syslog", LOG_SYSLOG },
	{ "user", LOG_USER }, { "uucp", LOG_UUCP },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static int
parse_facility(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(s, facilities[i].name) == 0)
			return facilities[i].value;
	return -1;
}

enum {
	OPT_CHROOT = 256, OPT_CHDIR, OPT_UMASK, OPT_ENV, OPT_SYSLOG,
	OPT_NOTIFY_FD, OPT_DELAY, OPT_STATUS, OPT_STOP, OPT_RELOAD,
};

static const struct option longopts[] = {
	{ "pidfile", required_argument, NULL, 'p' },
	{ "output", required_argument, NULL, 'o' },
	{ "syslog", optional_argument, NULL, OPT_SYSLOG },
	{ "user", required_argument, NULL, 'u' },
	{ "chroot", required_argument, NULL, OPT_CHROOT },
	{ "chdir", required_argument, NULL, OPT_CHDIR },
	{ "umask", required_argument, NULL, OPT_UMASK },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "notify", no_argument, NULL, 'n' },
	{ "notify-fd", required_argument, NULL, OPT_NOTIFY_FD },
	{ "timeout", required_argument, NULL, 't' },
	{ "restart", no_argument, NULL, 'r' },
	{ "restart-delay", required_argument, NULL, OPT_DELAY },
	{ "supervisor-pidfile", required_argument, NULL, 'P' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "stop", no_argument, NULL, OPT_STOP },
	{ "reload", no_argument, NULL, OPT_RELOAD },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void __attribute__((noreturn, format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(EXIT_USAGE);
}

static void
set_action(struct opts *o, char a)
{
	if (o->action != 0 && o->action != a)
		bad_usage("--status, --stop and --reload exclude each other");
	o->action = a;
}

static void
parse(int argc, char *argv[], struct opts *o)
{
	long long ms;
	char *end;
	unsigned long v;
	int ch;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	o->notify_fd = -1;
	o->facility = LOG_DAEMON;
	o->delay_ms = DEFAULT_DELAY_MS;
	/* '+': options end at the program's name, as with env(1). */
	while ((ch = getopt_long(argc, argv, "+p:o:u:nt:rP:fh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'p': o->pidfile = optarg; break;
		case 'P': o->suppidfile = optarg; break;
		case 'o': o->output = optarg; break;
		case 'u': o->user = optarg; break;
		case 'n': o->notify = true; break;
		case 'r': o->restart = true; break;
		case 'f': o->foreground = true; break;
		case 'h': usage(0);
		case OPT_CHROOT: o->chroot = optarg; break;
		case OPT_CHDIR: o->chdir = optarg; break;
		case OPT_SYSLOG:
			o->syslog = true;
			if (optarg != NULL &&
			    (o->facility = parse_facility(optarg)) == -1)
				bad_usage("--syslog=%s: unknown facility "
				    "(daemon, user, local0 ... local7, ...)",
				    optarg);
			break;
		case OPT_UMASK:
			errno = 0;
			v = strtoul(optarg, &end, 8);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    v > 0777)
				bad_usage("--umask=%s: expected an octal mask "
				    "of at most 0777", optarg);
			o->umask = (mode_t)v;
			o->umask_set = true;
			break;
		case OPT_ENV:
			if (strchr(optarg, '=') == NULL || optarg[0] == '=')
				bad_usage("--env=%s: expected NAME=VALUE",
				    optarg);
			if (o->nenv == MAX_ENV)
				bad_usage("more than %d --env", MAX_ENV);
			o->env[o->nenv++] = optarg;
			break;
		case OPT_NOTIFY_FD:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    v < 3 || v > 1023)
				bad_usage("--notify-fd=%s: expected a descriptor "
				    "number from 3 to 1023 (0-2 are stdio)",
				    optarg);
			o->notify_fd = (int)v;
			break;
		case 't':
			if ((ms = parse_seconds(optarg)) < 0 || ms > UINT_MAX)
				bad_usage("--timeout=%s: expected seconds",
				    optarg);
			o->timeout_ms = (unsigned int)ms;
			o->timeout_set = true;
			break;
		case OPT_DELAY:
			if ((ms = parse_seconds(optarg)) <= 0 ||
			    ms > MAX_DELAY_MS)
				bad_usage("--restart-delay=%s: expected seconds, "
				    "more than 0 and at most 60", optarg);
			o->delay_ms = (unsigned int)ms;
			o->delay_set = true;
			break;
		case OPT_STATUS: set_action(o, 's'); break;
		case OPT_STOP: set_action(o, 'k'); break;
		case OPT_RELOAD: set_action(o, 'R'); break;
		default:
			bad_usage("%s: unknown option, or its argument is "
			    "missing", argv[optind - 1]);
		}
	}
	o->argv = argv + optind;
	if (o->action != 0) {
		if (o->argv[0] != NULL)
			bad_usage("--status, --stop and --reload take no "
			    "program");
		if (o->pidfile == NULL && o->suppidfile == NULL)
			bad_usage("--status, --stop and --reload need "
			    "--pidfile (or --supervisor-pidfile)");
		return;
	}
	if (o->argv[0] == NULL)
		bad_usage("no program to run");
	if (o->argv[0][0] == '\0')
		bad_usage("empty program name");
	if (o->syslog && o->output != NULL)
		bad_usage("--output and --syslog exclude each other");
	if (o->notify && o->notify_fd >= 0)
		bad_usage("--notify and --notify-fd exclude each other");
	if (!o->restart && (o->suppidfile != NULL || o->delay_set))
		bad_usage("--supervisor-pidfile and --restart-delay need "
		    "--restart");
	if (o->pidfile != NULL && o->suppidfile != NULL) {
		struct stat a, b;

		if (strcmp(o->pidfile, o->suppidfile) == 0 ||
		    (stat(o->pidfile, &a) == 0 && stat(o->suppidfile, &b) ==
		    0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino))
			bad_usage("--pidfile and --supervisor-pidfile name the "
			    "same file");
	}
	if ((o->notify || o->notify_fd >= 0) && !o->timeout_set)
		o->timeout_ms = DEFAULT_TIMEOUT_MS;
	if ((o->name = strrchr(o->argv[0], '/')) != NULL)
		o->name++;
	else
		o->name = o->argv[0];
}

/* ---- the program -------------------------------------------------------- */

/* Whether root-relative path is an executable regular file; errno. */
static int
check_exec(const char *root, const char *path, bool search)
{
	char full[PATH_MAX];
	struct stat st;

	if (snprintf(full, sizeof(full), "%s%s", root != NULL ? root : "",
	    path) >= (int)sizeof(full)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (stat(full, &st) == -1) {
		/* A directory of PATH we may not search holds nothing
		 * for us: "not found", not "permission denied". */
		if (errno == EACCES && search)
			errno = ENOENT;
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || access(full, X_OK) == -1) {
		errno = EACCES;
		return -1;
	}
	return 0;
}

/* A relative program path ("./run.sh", or a relative PATH entry) is the
 * caller's: made absolute against the current directory now, because the
 * daemon execs it after chdir (to "/" or --chdir). */
static void
absolute_program(struct opts *o)
{
	char cwd[PATH_MAX], abs[PATH_MAX];

	if (o->chroot != NULL || o->path[0] == '/')
		return;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		die(1, "exec %s: cannot make the path absolute: %s", o->path,
		    strerror(errno));
	if (snprintf(abs, sizeof(abs), "%s/%s", cwd, o->path) >=
	    (int)sizeof(abs))
		die(1, "exec %s: %s", o->path, strerror(ENAMETOOLONG));
	(void)snprintf(o->path, sizeof(o->path), "%s", abs);
}

/* execvp's search, done here so that "no such program" is reported from
 * the original process before anything is forked or locked.  With
 * --chroot the program is looked for inside the new root, where exec
 * will look for it. */
static void
resolve_program(struct opts *o)
{
	const char *prog = o->argv[0], *p, *pathvar;
	char dir[PATH_MAX];
	struct stat st;
	size_t len;
	int first_err = ENOENT;

	/* A missing chroot is the problem to report, not the program that
	 * cannot be found inside it. */
	if (o->chroot != NULL) {
		if (stat(o->chroot, &st) == -1)
			die(1, "chroot %s: %s", o->chroot, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			die(1, "chroot %s: %s", o->chroot, strerror(ENOTDIR));
	}
	if (strchr(prog, '/') != NULL) {
		if (snprintf(o->path, sizeof(o->path), "%s", prog) >=
		    (int)sizeof(o->path))
			die(1, "exec %s: %s", prog, strerror(ENAMETOOLONG));
		if (o->chroot != NULL && prog[0] != '/')
			die(EXIT_USAGE, "exec %s: with --chroot the program "
			    "must be a name or an absolute path", prog);
		if (check_exec(o->chroot, o->path, false) == -1)
			die(EXIT_EXEC, "exec %s: %s%s", prog, strerror(errno),
			    o->chroot != NULL ? " (inside the chroot)" : "");
		absolute_program(o);
		return;
	}
	if ((pathvar = getenv("PATH")) == NULL || *pathvar == '\0')
		pathvar = "/usr/local/bin:/usr/bin:/bin";
	for (p = pathvar;; p += len + 1) {
		len = strcspn(p, ":");
		if (len == 0)
			(void)snprintf(dir, sizeof(dir), ".");
		else
			(void)snprintf(dir, sizeof(dir), "%.*s", (int)len, p);
		if (snprintf(o->path, sizeof(o->path), "%s/%s", dir, prog) <
		    (int)sizeof(o->path) && (o->chroot == NULL ||
		    o->path[0] == '/')) {
			if (check_exec(o->chroot, o->path, true) == 0) {
				absolute_program(o);
				return;
			}
			if (errno != ENOENT && errno != ENOTDIR)
				first_err = errno;
		}
		if (p[len] == '\0')
			break;
	}
	if (first_err == ENOENT)
		die(EXIT_EXEC, "exec %s: command not found in PATH%s", prog,
		    o->chroot != NULL ? " (inside the chroot)" : "");
	die(EXIT_EXEC, "exec %s: %s", prog, strerror(first_err));
}

/* ---- readiness channels ------------------------------------------------- */

struct channel {
	int fd;			/* our end: datagram socket or pipe; -1 */
	int wfd;		/* --notify-fd: the write end, at N */
	char name[108];		/* NOTIFY_SOCKET's value */
	char dir[PATH_MAX];	/* non-Linux: the private directory */
	char status[256];	/* last STATUS= */
	int errnum;		/* last ERRNO=, 0 none */
	bool ready;
};

static void
channel_init(struct channel *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = c->wfd = -1;
}

/* A private AF_UNIX datagram socket.  On Linux in the abstract namespace,
 * which needs no file and is reachable from inside a chroot; elsewhere in
 * a fresh 0700 directory given to the program's user. */
static int
channel_socket(struct channel *c, const char *root, uid_t uid, gid_t gid)
{
	struct sockaddr_un sun;
	socklen_t len;
	unsigned int rnd;
	int fd, on = 1;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	rnd = (unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16) ^
	    (unsigned int)(uintptr_t)&sun;
#ifdef __linux__
	(void)root;
	(void)uid;
	(void)gid;
	{
		unsigned char b[8];
		int r = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (r >= 0) {
			if (read(r, b, sizeof(b)) == (ssize_t)sizeof(b))
				memcpy(&rnd, b, sizeof(rnd));
			close(r);
		}
	}
	(void)snprintf(c->name, sizeof(c->name), "@" PROG "-%ld-%08x",
	    (long)getpid(), rnd);
	memcpy(sun.sun_path + 1, c->name + 1, strlen(c->name) - 1);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(c->name));
	(void)setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
#else
	(void)snprintf(c->dir, sizeof(c->dir), "%s/tmp/" PROG ".XXXXXX",
	    root != NULL ? root : "");
	if (mkdtemp(c->dir) == NULL) {
		close(fd);
		return -1;
	}
	if (uid != (uid_t)-1 && chown(c->dir, uid, gid) == -1) {
		(void)rmdir(c->dir);
		close(fd);
		return -1;
	}
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/notify",
	    c->dir);
	/* The name the program sees: inside its root. */
	(void)snprintf(c->name, sizeof(c->name), "%s",
	    sun.sun_path + (root != NULL ? strlen(root) : 0));
	len = (socklen_t)sizeof(sun);
	(void)on;
#endif
	if (bind(fd, (struct sockaddr *)&sun, len) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
#ifndef __linux__
	/* The program runs as uid: it must be able to send to the socket.
	 * A failure shows as the program's own send error. */
	if (uid != (uid_t)-1 && chown(sun.sun_path, uid, gid) == -1) {
		/* reported by the program's failing send */
	}
#endif
	c->fd = fd;
	return 0;
}

static void
channel_close(struct channel *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->dir[0] != '\0') {
		char p[PATH_MAX + 16];

		(void)snprintf(p, sizeof(p), "%s/notify", c->dir);
		(void)unlink(p);
		(void)rmdir(c->dir);
		c->dir[0] = '\0';
	}
}

/* A pipe whose write end sits at fd n (kept off the numbers 0-2). */
static int
channel_pipe(struct channel *c, int n)
{
	int p[2], r;

	if (pipe(p) == -1)
		return -1;
	if (p[0] == n) {
		if ((r = fcntl(p[0], F_DUPFD_CLOEXEC, n + 1)) == -1)
			return -1;
		close(p[0]);
		p[0] = r;
	}
	(void)fcntl(p[0], F_SETFD, FD_CLOEXEC);
	if (p[1] != n) {
		if (dup2(p[1], n) == -1)
			return -1;
		close(p[1]);
	}
	(void)fcntl(n, F_SETFD, FD_CLOEXEC);
	c->fd = p[0];
	c->wfd = n;
	return 0;
}

/* Read what is there: 1 READY, 0 nothing decisive, -1 EOF (pipe). */
static int
channel_read(struct channel *c, bool is_pipe)
{
	char buf[4097], *line, *nl;
	ssize_t n;

	if (is_pipe) {
		n = read(c->fd, buf, sizeof(buf) - 1);
		if (n == 0)
			return -1;
		if (n < 0)
			return 0;
		if (memchr(buf, '\n', (size_t)n) != NULL) {
			c->ready = true;
			return 1;
		}
		return 0;
	}
	for (;;) {
		n = recv(c->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n < 0)
			return c->ready ? 1 : 0;
		buf[n] = '\0';
		for (line = buf; line != NULL && *line != '\0'; line = nl) {
			if ((nl = strchr(line, '\n')) != NULL)
				*nl++ = '\0';
			if (strcmp(line, "READY=1") == 0)
				c->ready = true;
			else if (strncmp(line, "STATUS=", 7) == 0)
				(void)snprintf(c->status, sizeof(c->status),
				    "%s", line + 7);
			else if (strncmp(line, "ERRNO=", 6) == 0)
				c->errnum = atoi(line + 6);
		}
	}
}

/* "STATUS: x, ERRNO: 22 (Invalid argument)", or "" */
static void
channel_details(const struct channel *c, char *buf, size_t size)
{
	buf[0] = '\0';
	if (c->status[0] != '\0' && c->errnum > 0)
		(void)snprintf(buf, size, " (STATUS: %s, ERRNO: %d (%s))",
		    c->status, c->errnum, strerror(c->errnum));
	else if (c->status[0] != '\0')
		(void)snprintf(buf, size, " (STATUS: %s)", c->status);
	else if (c->errnum > 0)
		(void)snprintf(buf, size, " (ERRNO: %d (%s))", c->errnum,
		    strerror(c->errnum));
}

static void
describe_exit(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		(void)snprintf(buf, size, "was killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		(void)snprintf(buf, size, "exited with status %d",
		    WEXITSTATUS(status));
}

/* ---- the context -------------------------------------------------------- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
split_user(const char *spec, char **user, char **group)
{
	char *copy, *colon;

	*user = *group = NULL;
	if (spec == NULL)
		return;
	if ((copy = strdup(spec)) == NULL)
		die(1, "%s", strerror(errno));
	if ((colon = strchr(copy, ':')) != NULL) {
		*colon = '\0';
		if (colon[1] != '\0')
			*group = strdup(colon + 1);
	}
	if (copy[0] != '\0')
		*user = copy;
	else
		free(copy);
	if (*user == NULL && *group == NULL)
		die(EXIT_USAGE, "--user=%s: no user and no group", spec);
}

/* The target uid and gid, for the private socket and the trust rule;
 * (uid_t)-1 when not configured. */
static void
lookup_ids(const char *user, const char *group, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	struct group *gr;
	char *end;
	unsigned long v;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (user != NULL) {
		if ((pw = getpwnam(user)) != NULL) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
		} else {
			v = strtoul(user, &end, 10);
			if (*end == '\0' && end != user)
				*uid = (uid_t)v;
		}
	}
	if (group != NULL) {
		if ((gr = getgrnam(group)) != NULL)
			*gid = gr->gr_gid;
		else {
			v = strtoul(group, &end, 10);
			if (*end == '\0' && end != group)
				*gid = (gid_t)v;
		}
	}
}

static struct daemonize *
context(const struct opts *o, const char *pidfile, const char *output)
{
	struct daemonize *d;
	char *user, *group;

	if ((d = daemonize_new(PROG)) == NULL)
		die(1, "daemonize_new: %s", strerror(errno));
	split_user(o->user, &user, &group);
	if ((o->foreground &&
	    daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND) == -1) ||
	    daemonize_set_pidfile(d, pidfile) == -1 ||
	    daemonize_set_output(d, output) == -1 ||
	    ((user != NULL || group != NULL) &&
	    daemonize_set_user(d, user, group) == -1) ||
	    daemonize_set_chroot(d, o->chroot) == -1 ||
	    daemonize_set_workdir(d, o->chdir) == -1 ||
	    (o->umask_set && daemonize_set_umask(d, o->umask) == -1) ||
	    daemonize_set_timeout(d, o->timeout_ms) == -1)
		die(EXIT_USAGE, "%s", daemonize_error(d));
	free(user);
	free(group);
	return d;
}

static void
apply_env(const struct opts *o)
{
	char name[256];
	const char *eq;
	int i;

	for (i = 0; i < o->nenv; i++) {
		eq = strchr(o->env[i], '=');
		(void)snprintf(name, sizeof(name), "%.*s",
		    (int)(eq - o->env[i]), o->env[i]);
		if (setenv(name, eq + 1, 1) == -1)
			warnmsg("--env=%s: %s", o->env[i], strerror(errno));
	}
}

/* An explicit --output in foreground mode: the library leaves stdio alone
 * there, daemonrun still honours the option ("every step but the
 * detach").  Opened before start, as the daemon's user will not be able
 * to open a root-owned directory's file. */
static int
open_foreground_output(const struct opts *o)
{
	int fd;

	if (o->output == NULL)
		return -1;
	fd = open(o->output, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0640);
	if (fd == -1)
		die(1, "output: %s: %s", o->output, strerror(errno));
	return fd;
}

/* ---- --syslog: lines of the program into syslog ------------------------- */

static void
syslog_lines(int fd, int prio)
{
	char buf[4096], line[1024];
	size_t used = 0;
	ssize_t n, i;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' || used == sizeof(line) - 1) {
				line[used] = '\0';
				syslog(prio, "%s", line);
				used = 0;
				if (buf[i] == '\n')
					continue;
			}
			line[used++] = buf[i];
		}
	}
	if (used > 0) {
		line[used] = '\0';
		syslog(prio, "%s", line);
	}
}

/* In the daemon, before exec: a child that reads the program's stdout and
 * stderr from a pipe and writes each line to syslog.  The connection to
 * the system logger was opened before start (LOG_NDELAY), so it survives
 * the library's fd sweep and a chroot.  The child keeps only sockets (the
 * logger's) and its pipe: no copy of the pidfile lock, the status pipe or
 * a readiness fd.  Returns the write end. */
static int
start_logger(const char *ident, int facility)
{
	int p[2], fd, nul;
	struct stat st;
	pid_t pid;

	if (pipe(p) == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid > 0) {
		close(p[0]);
		return p[1];
	}
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGPIPE, SIG_DFL);
	{
		sigset_t none;

		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
	}
	for (fd = 3; fd < 1024; fd++)
		if (fd != p[0] && fstat(fd, &st) == 0 && !S_ISSOCK(st.st_mode))
			(void)close(fd);
	if ((nul = open("/dev/null", O_RDWR)) >= 0) {
		(void)dup2(nul, 0);
		(void)dup2(nul, 1);
		(void)dup2(nul, 2);
		if (nul > 2)
			close(nul);
	}
	openlog(ident, LOG_NDELAY, facility);
	syslog_lines(p[0], LOG_INFO | facility);
	_exit(0);
}

/* After the program died before it was ready: a pidfile that still names
 * it, and that nobody holds, goes (nothing is left behind). */
static void
remove_stale_pidfile(const char *path, pid_t pid)
{
	char buf[32];
	ssize_t n;
	int fd;

	if (path == NULL || pid <= 0)
		return;
	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    (n = pread(fd, buf, sizeof(buf) - 1, 0)) >= 0) {
		buf[n] = '\0';
		if (n == 0 || atol(buf) == (long)pid)
			(void)unlink(path);
	}
	close(fd);
}

/* ---- --status, --stop, --reload ----------------------------------------- */

static bool
not_running(struct daemonize *d, int errnum, char *why, size_t size)
{
	(void)snprintf(why, size, "%s", daemonize_error(d));
	if (errnum == ESRCH || errnum == ENOENT)
		return true;
	return daemonize_pidfile_state(d, NULL) ==
	    DAEMONIZE_PIDFILE_NOT_RUNNING;
}

static int
control(const struct opts *o)
{
	const char *pidfile = o->suppidfile != NULL ? o->suppidfile :
	    o->pidfile;
	struct daemonize *d;
	char *user, *group, why[512];
	pid_t pid = 0;
	int r = 0;

	if ((d = daemonize_new(PROG)) == NULL)
		die(1, "daemonize_new: %s", strerror(errno));
	split_user(o->user, &user, &group);
	if (daemonize_set_pidfile(d, pidfile) == -1 ||
	    ((user != NULL || group != NULL) &&
	    daemonize_set_user(d, user, group) == -1))
		die(EXIT_USAGE, "%s", daemonize_error(d));
	switch (o->action) {
	case 's':
		switch (daemonize_pidfile_state(d, &pid)) {
		case DAEMONIZE_PIDFILE_RUNNING:
			printf("running, pid %ld\n", (long)pid);
			break;
		case DAEMONIZE_PIDFILE_NOT_RUNNING:
			printf("not running\n");
			r = EXIT_NOT_RUNNING;
			break;
		case DAEMONIZE_PIDFILE_STARTING:
			printf("starting up\n");
			r = EXIT_UNKNOWN;
			break;
		default:
			warnmsg("%s", daemonize_error(d));
			r = EXIT_UNKNOWN;
			break;
		}
		break;
	case 'R':
		if (daemonize_pidfile_signal(d, SIGHUP) == 0)
			break;
		if (not_running(d, errno, why, sizeof(why))) {
			warnmsg("not running (pidfile %s)", pidfile);
			r = EXIT_NOT_RUNNING;
		} else {
			warnmsg("%s", why);
			r = 1;
		}
		break;
	default:
		/* The program knows nothing of its pidfile: once it is gone,
		 * a file that still names it (unlocked) is removed here. */
		if (daemonize_pidfile_state(d, &pid) !=
		    DAEMONIZE_PIDFILE_RUNNING)
			pid = 0;
		if (daemonize_pidfile_terminate(d, SIGTERM, o->timeout_set ?
		    o->timeout_ms : STOP_TIMEOUT_MS) == 0) {
			remove_stale_pidfile(pidfile, pid);
			break;
		}
		if (not_running(d, errno, why, sizeof(why)))
			break;
		warnmsg("%s", why);
		r = 1;
		break;
	}
	daemonize_free(d);
	free(user);
	free(group);
	return r;
}

/* ---- plain mode --------------------------------------------------------- */

/* The original process after daemonize_start returned DAEMONIZE_PARENT:
 * the program runs (it is our child: we were a subreaper while the
 * library waited).  Wait for its readiness on the channel, bounded. */
static int
await_ready(const struct opts *o, struct channel *c, bool is_pipe,
    int witness)
{
	struct pollfd pfd;
	int64_t deadline = o->timeout_ms > 0 ? now_ms() + o->timeout_ms : -1;
	char what[128], details[512];
	int status = 0, r, e;
	pid_t pid;
	ssize_t n;

	/* --syslog: the daemon said ready before it exec'd (see run_plain);
	 * the witness pipe's EOF is the successful exec, an int its errno. */
	if (witness >= 0) {
		pfd.fd = witness;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, o->timeout_ms > 0 ? (int)o->timeout_ms : -1);
		if (r == 1 && (n = read(witness, &e, sizeof(e))) ==
		    (ssize_t)sizeof(e)) {
			remove_stale_pidfile(o->pidfile, waitpid(-1, NULL, 0));
			die(EXIT_EXEC, "exec %s: %s", o->path, strerror(e));
		}
		close(witness);
	}
	if (c == NULL)
		return 0;
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	for (;;) {
		r = poll(&pfd, 1, TICK_MS);
		if (r == 1) {
			r = channel_read(c, is_pipe);
			if (r == 1)
				return 0;
			if (r == -1) {
				/* EOF: it closed fd N; it died, or it never
				 * will be ready. */
				pfd.fd = -1;
			}
		}
		pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			if (!is_pipe)
				(void)channel_read(c, false);
			describe_exit(status, what, sizeof(what));
			channel_details(c, details, sizeof(details));
			remove_stale_pidfile(o->pidfile, pid);
			warnmsg("%s (pid %ld) %s before it was ready%s",
			    o->name, (long)pid, what, details);
			return 1;
		}
		if (pfd.fd == -1 && pid == -1 && errno == ECHILD) {
			warnmsg("%s closed fd %d before it was ready",
			    o->name, o->notify_fd);
			return 1;
		}
		if (deadline >= 0 && now_ms() >= deadline) {
			channel_details(c, details, sizeof(details));
			warnmsg("%s not ready after %.3g seconds%s; it was "
			    "left running", o->name, o->timeout_ms / 1000.0,
			    details);
			return 1;
		}
	}
}

/* In the daemon, just before the exec: the library's handlers would
 * swallow a SIGTERM, SIGINT or SIGHUP sent to this pid (it is already in
 * the pidfile, and a supervisor knows it) and the program would never see
 * it.  From here on they have their default action: one that came
 * already, or comes before the exec, ends this process, as it would have
 * ended the program. */
static void
settle_signals(struct daemonize *d)
{
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT };
	sigset_t set, old;
	int sig, caught = 0;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	(void)sigprocmask(SIG_BLOCK, &set, &old);
	while ((sig = daemonize_next_signal(d, 0)) > 0)
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
			caught = sig;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)signal(sigs[i], SIG_DFL);
	if (caught != 0)
		(void)raise(caught);	/* pending until the mask goes */
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
}

static int
run_plain(struct opts *o)
{
	struct daemonize *d;
	struct channel ch;
	char *user, *group;
	uid_t uid;
	gid_t gid;
	int r, mode, outfd = -1, witness[2] = { -1, -1 }, logfd, e, fd;
	bool supervised, waiting;

	channel_init(&ch);
	d = context(o, o->pidfile, o->output);
	/* Reserve --notify-fd's number before the library opens its own
	 * descriptors, so that none of them can take it. */
	if (o->notify_fd >= 0 && fcntl(o->notify_fd, F_GETFD) == -1) {
		if ((fd = open("/dev/null", O_WRONLY)) == -1 ||
		    dup2(fd, o->notify_fd) == -1)
			die(1, "fd %d: %s", o->notify_fd, strerror(errno));
		if (fd != o->notify_fd)
			close(fd);
	}
	if (o->syslog)
		openlog(o->name, LOG_NDELAY, o->facility);
	if (daemonize_lock(d) == -1)
		die(1, "%s", daemonize_error(d));
	mode = daemonize_mode(d);
	supervised = mode == DAEMONIZE_MODE_FOREGROUND && !o->foreground;
	waiting = mode == DAEMONIZE_MODE_BACKGROUND;
	if (mode == DAEMONIZE_MODE_FOREGROUND)
		outfd = open_foreground_output(o);
	if (waiting && o->notify) {
		split_user(o->user, &user, &group);
		lookup_ids(user, group, &uid, &gid);
		free(user);
		free(group);
		if (channel_socket(&ch, o->chroot, uid, gid) == -1) {
			e = errno;
			daemonize_stop(d);
			die(1, "notify socket: %s", strerror(e));
		}
	}
	if (waiting && o->notify_fd >= 0) {
		if (channel_pipe(&ch, o->notify_fd) == -1 ||
		    daemonize_keep_fd(d, o->notify_fd) == -1) {
			e = errno;
			daemonize_stop(d);
			die(1, "--notify-fd=%d: %s", o->notify_fd, strerror(e));
		}
	}
	if (waiting && o->syslog) {
		if (pipe(witness) == -1 ||
		    fcntl(witness[0], F_SETFD, FD_CLOEXEC) == -1 ||
		    fcntl(witness[1], F_SETFD, FD_CLOEXEC) == -1 ||
		    daemonize_keep_fd(d, witness[1]) == -1) {
			e = errno;
			daemonize_stop(d);
			die(1, "pipe: %s", strerror(e));
		}
	}

	r = daemonize_start(d);
	if (r == -1) {
		char details[512] = "";

		/* A program that exits at once can do so before the library
		 * has seen its exec succeed: the library reports its exit
		 * status; what it sent on the socket is added here. */
		if (ch.fd >= 0 && !(o->notify_fd >= 0)) {
			(void)channel_read(&ch, false);
			channel_details(&ch, details, sizeof(details));
		}
		channel_close(&ch);
		die(mode == DAEMONIZE_MODE_BACKGROUND &&
		    strncmp(daemonize_error(d), "exec ", 5) == 0 ? EXIT_EXEC :
		    1, "%s%s", daemonize_error(d), details);
	}
	if (r == DAEMONIZE_PARENT) {
		if (ch.wfd >= 0)
			close(ch.wfd);
		if (witness[1] >= 0)
			close(witness[1]);
		r = await_ready(o, ch.fd >= 0 ? &ch : NULL, o->notify_fd >= 0,
		    witness[0]);
		channel_close(&ch);
		daemonize_free(d);
		return r;
	}

	/* The daemon (or, in foreground mode, this very process). */
	settle_signals(d);
	apply_env(o);
	/* ch.fd was closed by the library's fd sweep (its number may be
	 * one of the library's own descriptors now): not closed again. */
	if (ch.fd >= 0) {
		if (o->notify && setenv("NOTIFY_SOCKET", ch.name, 1) == -1)
			warnmsg("setenv NOTIFY_SOCKET: %s", strerror(errno));
	}
	if (ch.wfd >= 0)
		(void)fcntl(ch.wfd, F_SETFD, 0);
	else if (o->notify_fd >= 0)
		(void)fcntl(o->notify_fd, F_SETFD, 0);
	if (outfd >= 0) {
		(void)fflush(NULL);
		if (dup2(outfd, 1) == -1 || dup2(outfd, 2) == -1)
			warnmsg("output: %s", strerror(errno));
		close(outfd);
	}
	/* Under a supervisor the program speaks to it directly with
	 * --notify / --notify-fd; without them, the exec is the readiness,
	 * as it is for the terminal. */
	if (supervised && !o->notify && o->notify_fd < 0)
		(void)daemonize_ready(d);
	if (o->syslog) {
		char ident[256];

		(void)snprintf(ident, sizeof(ident), "%s[%ld]", o->name,
		    (long)getpid());
		if (waiting)
			(void)daemonize_ready(d);	/* stdio on /dev/null */
		if ((logfd = start_logger(ident, o->facility)) == -1 ||
		    dup2(logfd, 1) == -1 || dup2(logfd, 2) == -1) {
			e = errno;
			if (witness[1] >= 0)
				tell_errno(witness[1], e);
			(void)daemonize_fail(d, e, "syslog pipe");
			_exit(1);
		}
		close(logfd);
		closelog();
	}
	(void)daemonize_exec(d, o->path, o->argv);
	e = errno;
	if (witness[1] >= 0) {
		tell_errno(witness[1], e);
		_exit(EXIT_EXEC);
	}
	(void)daemonize_fail(d, e, "exec %s", o->path);
	if (mode == DAEMONIZE_MODE_FOREGROUND)
		warnmsg("%s", daemonize_error(d));
	_exit(EXIT_EXEC);
}

/* ---- --restart: the supervisor ----------------------------------------- */

struct super {
	const struct opts *o;
	struct daemonize *d;
	struct dz_pidfile pf;		/* the program's pidfile, locked */
	struct channel ch;		/* --notify: private socket */
	int nfd;			/* --notify-fd: this child's pipe */
	int relay[2];			/* the program's stdout and stderr */
	int execpipe;			/* this child's exec status; -1 */
	int exec_errno;			/* its exec failed with this; 0 */
	pid_t child;			/* -1: none */
	int64_t started;		/* when the child was forked */
	int64_t restart_at;		/* -1: none pending */
	unsigned int delay;
	bool ready;
	bool stopping;
	unsigned int restarts;
};

static void
super_release_pidfile(struct super *s)
{
	/* The children wrote it; we hold the lock: ours to remove. */
	s->pf.written_by = getpid();
	dz_pidfile_release(&s->pf, true);
}

static void __attribute__((noreturn))
super_exit(struct super *s, int status)
{
	super_release_pidfile(s);
	channel_close(&s->ch);
	if (status == 0 || s->ready)
		(void)daemonize_stop(s->d);
	daemonize_free(s->d);
	exit(status);
}

/* Readers see STARTING (an empty, locked file) between two programs,
 * never a dead pid. */
static void
super_truncate(struct super *s)
{
	if (s->pf.fd >= 0 && ftruncate(s->pf.fd, 0) == -1)
		warnmsg("%s: truncate: %s", s->pf.path, strerror(errno));
}

static void
super_ready(struct super *s)
{
	if (s->ready)
		return;
	s->ready = true;
	if (daemonize_ready(s->d) == -1)
		warnmsg("%s", daemonize_error(s->d));
}

static void
super_fail(struct super *s, int errnum, const char *text)
{
	(void)daemonize_fail(s->d, errnum, "%s", text);
	if (daemonize_mode(s->d) == DAEMONIZE_MODE_FOREGROUND)
		warnmsg("%s", daemonize_error(s->d));
	super_exit(s, 1);
}

static void
super_spawn(struct super *s)
{
	const struct opts *o = s->o;
	struct dz_err err;
	int ep[2], np[2] = { -1, -1 }, e;
	sigset_t none;
	pid_t pid;

	if (pipe(ep) == -1 || fcntl(ep[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(ep[1], F_SETFD, FD_CLOEXEC) == -1) {
		e = errno;
		warnmsg("pipe: %s", strerror(e));
		goto failed;
	}
	if (o->notify_fd >= 0 && !s->ready && pipe(np) == -1) {
		e = errno;
		close(ep[0]);
		close(ep[1]);
		warnmsg("pipe: %s", strerror(e));
		goto failed;
	}
	(void)fflush(NULL);
	if ((pid = fork()) == -1) {
		e = errno;
		close(ep[0]);
		close(ep[1]);
		if (np[0] >= 0) {
			close(np[0]);
			close(np[1]);
		}
		warnmsg("fork: %s", strerror(e));
		goto failed;
	}
	if (pid == 0) {
		/* The program: default signal handling, an empty mask. */
		(void)signal(SIGHUP, SIG_DFL);
		(void)signal(SIGTERM, SIG_DFL);
		(void)signal(SIGINT, SIG_DFL);
		(void)signal(SIGCHLD, SIG_DFL);
		(void)signal(SIGPIPE, SIG_DFL);
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		(void)setpgid(0, 0);
		close(ep[0]);
		if (dup2(s->relay[1], 1) == -1 || dup2(s->relay[1], 2) == -1)
			goto child_failed;
		if (dz_pidfile_write(&s->pf, &err) == -1) {
			errno = EIO;
			goto child_failed;
		}
		if (s->pf.fd >= 0 && fcntl(s->pf.fd, F_SETFD, 0) == -1)
			goto child_failed;
		if (s->ch.fd >= 0) {
			if (setenv("NOTIFY_SOCKET", s->ch.name, 1) == -1)
				goto child_failed;
		} else
			(void)unsetenv("NOTIFY_SOCKET");
		if (np[1] >= 0) {
			close(np[0]);
			if (np[1] != o->notify_fd) {
				if (dup2(np[1], o->notify_fd) == -1)
					goto child_failed;
				close(np[1]);
			} else
				(void)fcntl(np[1], F_SETFD, 0);
		}
		apply_env(o);
		execv(o->path, o->argv);
child_failed:
		e = errno;
		tell_errno(ep[1], e);
		_exit(EXIT_EXEC);
	}
	close(ep[1]);
	s->execpipe = ep[0];
	if (np[1] >= 0) {
		close(np[1]);
		s->nfd = np[0];
		(void)fcntl(s->nfd, F_SETFD, FD_CLOEXEC);
	}
	s->child = pid;
	s->started = now_ms();
	s->restart_at = -1;
	return;
failed:
	if (!s->ready)
		super_fail(s, e, "cannot start the program");
	s->restart_at = now_ms() + s->delay;
}

static void
super_relay(struct super *s)
{
	char buf[4096];
	ssize_t n;

	n = read(s->relay[0], buf, sizeof(buf));
	if (n <= 0)
		return;
	if (s->o->syslog) {
		/* Lines, as they come (a line cut by the pipe is two). */
		char *p = buf, *nl;

		while (p < buf + n) {
			nl = memchr(p, '\n', (size_t)(buf + n - p));
			syslog(LOG_INFO | s->o->facility, "%.*s",
			    (int)((nl != NULL ? nl : buf + n) - p), p);
			p = nl != NULL ? nl + 1 : buf + n;
		}
		return;
	}
	if (write(1, buf, (size_t)n) != n) {
		/* stdout is the terminal or the log: nowhere else to say it */
	}
}

/* The child died: reap, truncate, then decide. */
static void
super_reaped(struct super *s, int status)
{
	char what[128], text[768], details[512];
	int64_t ran = now_ms() - s->started;
	pid_t pid = s->child;

	s->child = -1;
	super_truncate(s);
	/* What it wrote just before it died. */
	while (poll(&(struct pollfd){ s->relay[0], POLLIN, 0 }, 1, 0) == 1)
		super_relay(s);
	if (s->execpipe >= 0) {
		int e;

		if (read(s->execpipe, &e, sizeof(e)) == (ssize_t)sizeof(e))
			s->exec_errno = e;
		close(s->execpipe);
		s->execpipe = -1;
	}
	if (s->exec_errno != 0) {
		int e = s->exec_errno;

		s->exec_errno = 0;
		if (!s->ready) {
			(void)daemonize_fail(s->d, e, "exec %s", s->o->path);
			if (daemonize_mode(s->d) == DAEMONIZE_MODE_FOREGROUND)
				warnmsg("%s", daemonize_error(s->d));
			super_exit(s, EXIT_EXEC);
		}
		warnmsg("exec %s: %s", s->o->path, strerror(e));
	}
	if (s->nfd >= 0) {
		close(s->nfd);
		s->nfd = -1;
	}
	if (s->ch.fd >= 0)
		(void)channel_read(&s->ch, false);
	describe_exit(status, what, sizeof(what));
	if (s->stopping)
		return;
	if (!s->ready) {
		channel_details(&s->ch, details, sizeof(details));
		(void)snprintf(text, sizeof(text), "%s (pid %ld) %s before it "
		    "was ready%s", s->o->name, (long)pid, what, details);
		super_fail(s, 0, text);	/* ERRNO= is in the text */
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		warnmsg("%s (pid %ld) exited with status 0: done", s->o->name,
		    (long)pid);
		super_exit(s, 0);
	}
	if (ran >= STABLE_MS)
		s->delay = s->o->delay_ms;
	warnmsg("%s (pid %ld) %s; restarting in %.3g s", s->o->name,
	    (long)pid, what, s->delay / 1000.0);
	s->restart_at = now_ms() + s->delay;
	s->delay = s->delay * 2 > MAX_DELAY_MS ? MAX_DELAY_MS : s->delay * 2;
}

static void
super_reap(struct super *s)
{
	int status;
	pid_t r;

	while ((r = waitpid(-1, &status, WNOHANG)) > 0)
		if (r == s->child)
			super_reaped(s, status);
}

static void __attribute__((noreturn))
super_stop(struct super *s, int signo)
{
	unsigned int limit = s->o->timeout_set && s->o->timeout_ms > 0 ?
	    s->o->timeout_ms : STOP_TIMEOUT_MS;
	int64_t deadline = now_ms() + limit;
	int status;

	s->stopping = true;
	if (s->child > 0) {
		(void)kill(s->child, signo);
		while (s->child > 0 && now_ms() < deadline) {
			if (waitpid(s->child, &status, WNOHANG) == s->child)
				super_reaped(s, status);
			else
				(void)poll(NULL, 0, 10);
		}
		if (s->child > 0) {
			warnmsg("%s (pid %ld) still running after %.3g s: "
			    "SIGKILL", s->o->name, (long)s->child,
			    limit / 1000.0);
			(void)kill(s->child, SIGKILL);
			if (waitpid(s->child, &status, 0) == s->child)
				super_reaped(s, status);
		}
	}
	super_exit(s, s->ready ? 0 : 1);
}

static void __attribute__((noreturn))
supervise(struct super *s)
{
	struct pollfd pfd[5];
	int64_t wait;
	int n, sig, i, r;

	if (s->o->notify && channel_socket(&s->ch, NULL, (uid_t)-1,
	    (gid_t)-1) == -1) {
		int e = errno;

		super_fail(s, e, "notify socket");
	}
	if (pipe(s->relay) == -1) {
		int e = errno;

		super_fail(s, e, "pipe");
	}
	(void)fcntl(s->relay[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(s->relay[1], F_SETFD, FD_CLOEXEC);
	super_spawn(s);
	for (;;) {
		n = 0;
		pfd[n].fd = daemonize_signal_fd(s->d);
		pfd[n++].events = POLLIN;
		pfd[n].fd = s->relay[0];
		pfd[n++].events = POLLIN;
		pfd[n].fd = s->execpipe;
		pfd[n++].events = POLLIN;
		pfd[n].fd = s->ch.fd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = s->nfd;
		pfd[n++].events = POLLIN;
		wait = -1;
		if (s->restart_at >= 0) {
			wait = s->restart_at - now_ms();
			if (wait < 0)
				wait = 0;
		}
		r = poll(pfd, (nfds_t)n, (int)wait);
		if (r == -1 && errno != EINTR) {
			int e = errno;

			warnmsg("poll: %s", strerror(e));
			super_stop(s, SIGTERM);
		}
		if (r > 0 && (pfd[1].revents & POLLIN))
			super_relay(s);
		if (r > 0 && pfd[2].fd >= 0 && pfd[2].revents != 0) {
			int e;
			ssize_t k = read(s->execpipe, &e, sizeof(e));

			/* EOF: the exec succeeded; an errno: it failed, and
			 * the child exits 127 (reported when reaped). */
			if (k == (ssize_t)sizeof(e))
				s->exec_errno = e;
			close(s->execpipe);
			s->execpipe = -1;
			if (k == 0 && !s->o->notify && s->o->notify_fd < 0)
				super_ready(s);
		}
		if (r > 0 && pfd[3].fd >= 0 && (pfd[3].revents & POLLIN)) {
			if (channel_read(&s->ch, false) == 1 && !s->ready &&
			    s->child > 0)
				super_ready(s);
		}
		if (r > 0 && pfd[4].fd >= 0 && pfd[4].revents != 0) {
			struct channel tmp;

			channel_init(&tmp);
			tmp.fd = s->nfd;
			i = channel_read(&tmp, true);
			if (i == 1)
				super_ready(s);
			if (i != 0) {
				close(s->nfd);
				s->nfd = -1;
			}
		}
		while ((sig = daemonize_next_signal(s->d, 0)) > 0) {
			switch (sig) {
			case SIGCHLD:
				super_reap(s);
				break;
			case SIGHUP:
				if (daemonize_reopen_output(s->d) == -1)
					warnmsg("%s", daemonize_error(s->d));
				if (s->child > 0)
					(void)kill(s->child, SIGHUP);
				break;
			case SIGTERM:
			case SIGINT:
				super_stop(s, sig);
			default:
				break;
			}
		}
		super_reap(s);
		if (s->child < 0 && s->restart_at >= 0 &&
		    now_ms() >= s->restart_at) {
			s->restarts++;
			super_spawn(s);
		}
	}
}

static int
run_restart(struct opts *o)
{
	struct super s;
	struct dz_owners owners;
	struct dz_err err;
	char *user, *group;
	uid_t uid;
	gid_t gid;
	int r;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.nfd = -1;
	s.execpipe = -1;
	s.child = -1;
	s.restart_at = -1;
	s.delay = o->delay_ms;
	s.relay[0] = s.relay[1] = -1;
	channel_init(&s.ch);
	dz_pidfile_init(&s.pf);
	s.d = context(o, o->suppidfile, o->output);
	if (daemonize_add_signal(s.d, SIGCHLD) == -1)
		die(1, "%s", daemonize_error(s.d));
	if (o->syslog)
		openlog(o->name, LOG_NDELAY, o->facility);
	if (daemonize_lock(s.d) == -1)
		die(1, "%s", daemonize_error(s.d));
	if (o->pidfile != NULL) {
		/* The program's pidfile, with the library's rules, locked
		 * here so that a second instance is told "already running,
		 * pid N" by this process; the supervisor keeps the lock. */
		split_user(o->user, &user, &group);
		lookup_ids(user, group, &uid, &gid);
		free(user);
		free(group);
		dz_owners_init(&owners, uid != (uid_t)-1, uid);
		err.text[0] = '\0';
		if ((s.pf.path = dz_absolute_path(&err, "pidfile",
		    o->pidfile)) == NULL ||
		    dz_pidfile_open(&s.pf, &owners, &err) == -1) {
			daemonize_stop(s.d);
			die(1, "%s", err.text);
		}
		if (daemonize_keep_fd(s.d, s.pf.fd) == -1) {
			dz_pidfile_release(&s.pf, true);
			daemonize_stop(s.d);
			die(1, "%s", daemonize_error(s.d));
		}
	}
	r = daemonize_start(s.d);
	if (r == -1) {
		dz_pidfile_release(&s.pf, true);
		die(strncmp(daemonize_error(s.d), "exec ", 5) == 0 ? EXIT_EXEC :
		    1, "%s", daemonize_error(s.d));
	}
	if (r == DAEMONIZE_PARENT) {
		dz_pidfile_release(&s.pf, false);
		daemonize_free(s.d);
		return 0;
	}
	supervise(&s);
}

int
main(int argc, char *argv[])
{
	struct opts o;

	parse(argc, argv, &o);
	if (o.action != 0)
		return control(&o);
	resolve_program(&o);
	if (o.restart)
		return run_restart(&o);
	return run_plain(&o);
}

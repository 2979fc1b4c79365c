/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * check_porting.c - tracker issue 12, "Existing servers keep working after
 * daemonize_start", through tests/oldserver: a typical existing daemon
 * ported to libdaemonize 1.0 (syslog opened with LOG_NDELAY before
 * anything else, lock then bind, chroot and a user, a select() loop,
 * SIGHUP and SIGTERM).  Each numbered item of the issue has a test here
 * that failed before its fix:
 *   1 the syslog connection survives the fd sweep, signals still work
 *     (a test socket bound at /dev/log in a private mount namespace)
 *   2 a second instance says "already running, pid N"
 *   3 fds 0-2 closed at program start
 *   4 stderr before ready reaches the starting terminal (a pty)
 *   5 the log reopened (rotation) after the privilege drop
 *   6 the pidfile removed, not emptied, in a runtime directory
 *   7 the notification fd validated and used
 *   8 a bounded timeout with a stopped intermediate (and the daemon that
 *     was left running)
 *   9 failed starts leave nothing (log file, pidfile, process, lock)
 *  10 ERRNO= and STATUS= on a supervised failure
 *  11 parent pid 1 (tini in a pid namespace): no fork
 *  12 EINTR: the select loop survives every signal
 *  13 a SIGHUP pending at teardown does not kill the exiting daemon
 *
 * The test process makes itself a child subreaper, so that every daemon
 * it starts becomes its child once the original process has exited: its
 * exit status (0 after SIGTERM) is asserted, not guessed.  Every process
 * runs through a private link in the test's own temp dir (testutil.h);
 * tu_kill_leftovers kills whatever a failed test left.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define RUN_MS   20000	/* one oldserver command */
#define IO_MS    5000	/* one client exchange, one log line */
#define STOP_MS  5000	/* a daemon's exit after SIGTERM */
#define TRIES    8	/* port races with suites running in parallel */
#define OUTLEN   8192
#define SKIP_NS  77	/* the namespace child: namespaces refused */

/* ---- the binary and the test's files ------------------------------------ */

static const char *
oldserver_bin(void)
{
	const char *s = getenv("DZ_OLDSERVER");

	if (s != NULL && *s != '\0')
		return s;
	return tu_fmt("%s/tests/oldserver", tu_builddir());
}

struct world {
	char *dir;		/* the test's temp dir */
	char *link;		/* private link to oldserver */
	char *run;		/* runtime dir (-R) */
	char *pidfile;		/* in run */
	char *logdir;
	char *log;		/* -l */
	char *root;		/* chroot (-r), made only when asked */
	char *out;		/* stdout+stderr of the namespace child */
	char port[12];
};

static void
world_init(struct world *w)
{
	w->dir = tu_tmpdir();
	w->link = tu_private_link(w->dir, oldserver_bin(), "oldserver");
	w->run = tu_fmt("%s/run", w->dir);
	w->pidfile = tu_fmt("%s/oldserver.pid", w->run);
	w->logdir = tu_fmt("%s/logs", w->dir);
	w->log = tu_fmt("%s/oldserver.log", w->logdir);
	w->root = tu_fmt("%s/root", w->dir);
	w->out = tu_fmt("%s/out", w->dir);
	w->port[0] = '\0';
	ck_assert_int_eq(mkdir(w->logdir, 0755), 0);
}

static void
new_port(struct world *w)
{
	snprintf(w->port, sizeof(w->port), "%d", tu_free_port());
}

/* A directory owned by the daemon's user, as a package would make it. */
static void
mkdir_for(const char *path, uid_t uid, gid_t gid)
{
	ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "%s: %s",
	    path, strerror(errno));
	ck_assert_int_eq(chown(path, uid, gid), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
}

/* mkdir -p, 0755. */
static void
mkdir_p(const char *path)
{
	char *p = tu_fmt("%s", path), *s;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST, "%s: %s",
		    p, strerror(errno));
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
}

static struct passwd *
nobody(void)
{
	struct passwd *pw = getpwnam("nobody");

	ck_assert_msg(pw != NULL, "no user nobody");
	return pw;
}

/* A NULL-terminated argument list built a piece at a time. */
struct args {
	char *v[48];
	int n;
};

static void
arg(struct args *a, const char *s)
{
	ck_assert_int_lt(a->n, 46);
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
}

static void
args_init(struct args *a, struct world *w)
{
	a->n = 0;
	arg(a, w->link);
}

/* -p PIDFILE -l LOG -P PORT of the world: most tests' files. */
static void
args_files(struct args *a, struct world *w)
{
	arg(a, "-p");
	arg(a, w->pidfile);
	arg(a, "-l");
	arg(a, w->log);
	arg(a, "-P");
	arg(a, w->port);
}

static int
exit_code(int status)
{
	if (status == -1)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Run a to completion in a clean environment; its exit code. */
static int
run(struct args *a, char *out, size_t outlen)
{
	return exit_code(tu_run_env(a->v, tu_clean_envv(NULL), out, outlen,
	    tu_ms(RUN_MS)));
}

/* Start oldserver in the background with a's arguments plus -P PORT,
 * retrying on a port another suite took; the daemon's pid (pidfile). */
static pid_t
start_bg(struct world *w, struct args *a, const char *pidfile)
{
	char out[OUTLEN];
	int i, rc = -1, n = a->n;
	pid_t pid;

	for (i = 0; i < TRIES; i++) {
		a->n = n;
		new_port(w);
		arg(a, "-P");
		arg(a, w->port);
		rc = run(a, out, sizeof(out));
		if (rc == 0 || strstr(out, tu_strerror(EADDRINUSE)) == NULL)
			break;
	}
	ck_assert_msg(rc == 0, "start: exit %d: %s", rc, out);
	ck_assert_msg(out[0] == '\0', "a start is silent: %s", out);
	pid = tu_pidfile_pid(pidfile);
	ck_assert_int_gt(pid, 0);
	ck_assert(tu_alive(pid));
	ck_assert(tu_lock_held(pidfile));
	return pid;
}

/* Whether 127.0.0.1:port answers "hello\n". */
static bool
hello(const char *port)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	char buf[64];
	size_t used = 0;
	long long deadline = tu_now_ms() + tu_ms(IO_MS);
	ssize_t n;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(port));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return false;
	}
	while (used < sizeof(buf) - 1 && tu_now_ms() < deadline) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if ((n = read(fd, buf + used, sizeof(buf) - 1 - used)) <= 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	return strcmp(buf, "hello\n") == 0;
}

/* The daemon, our child since the original process exited (we are a
 * subreaper): its exit code after timeout_ms, or -1. */
static int
reap(pid_t pid, int timeout_ms)
{
	int status;

	if (tu_wait_child(pid, timeout_ms, &status) == -1)
		return -1;
	return exit_code(status);
}

/* SIGTERM: the daemon exits 0 and removes its pidfile. */
static void
stop_daemon(pid_t pid, const char *pidfile)
{
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(reap(pid, tu_ms(STOP_MS)), 0);
	ck_assert(!tu_alive(pid));
	if (pidfile != NULL)
		ck_assert_msg(!tu_exists(pidfile), "%s left behind", pidfile);
}

/* Whether this suite (and so every process it starts) runs under
 * valgrind (tests/valgrind.sh traces children): valgrind needs fd 2 and
 * emulates the signal mask itself, so the tests that depend on those say
 * why they skip. */
static bool
under_valgrind(const char *test)
{
	const char *p = getenv("LD_PRELOAD");

	if (p == NULL || strstr(p, "vgpreload") == NULL)
		return false;
	printf("%s: skipped: under valgrind\n", test);
	return true;
}

static void
subreaper(void)
{
	tu_clean_slate();
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
}

/* A field of /proc/PID/status ("Uid", "PPid", "NSpid"), static buffer. */
static const char *
proc_status(pid_t pid, const char *key)
{
	static char buf[8192], val[256];
	char *p, *nl;
	size_t k = strlen(key);

	if (tu_read_file(tu_fmt("/proc/%ld/status", (long)pid), buf,
	    sizeof(buf)) <= 0)
		return "";
	for (p = buf; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (strncmp(p, key, k) == 0 && p[k] == ':') {
			p += k + 1;
			while (*p == '\t' || *p == ' ')
				p++;
			snprintf(val, sizeof(val), "%.*s", nl != NULL ?
			    (int)(nl - p) : (int)strlen(p), p);
			return val;
		}
	}
	return "";
}

/* Whether fd of process pid is the file at path (same inode). */
static bool
fd_is(pid_t pid, int fd, const char *path)
{
	struct stat a, b;

	return stat(tu_fmt("/proc/%ld/fd/%d", (long)pid, fd), &a) == 0 &&
	    stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static bool
fd_is_null(pid_t pid, int fd)
{
	struct stat st;

	return stat(tu_fmt("/proc/%ld/fd/%d", (long)pid, fd), &st) == 0 &&
	    S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

/* Occurrences of needle in the file. */
static int
count_in(const char *path, const char *needle)
{
	static char buf[1 << 18];
	const char *p;
	int n = 0;

	if (tu_read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	for (p = buf; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static int
wait_count(const char *path, const char *needle, int n, int timeout_ms)
{
	long long deadline = tu_now_ms() + timeout_ms;

	while (count_in(path, needle) < n) {
		if (tu_now_ms() >= deadline)
			return -1;
		tu_msleep(5);
	}
	return 0;
}

/* ---- a system logger: a datagram socket at /dev/log, privately ---------- */

struct logger {
	int fd;
	char text[1 << 16];	/* every datagram so far, one per line */
	size_t len;
};

/* Read what has arrived, waiting up to ms for the first datagram. */
static void
logger_read(struct logger *lg, int ms)
{
	struct pollfd pfd;
	char buf[2048];
	ssize_t n;

	pfd.fd = lg->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) <= 0)
		return;
	while ((n = recv(lg->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		if (lg->len + (size_t)n + 2 < sizeof(lg->text))
			lg->len += (size_t)snprintf(lg->text + lg->len,
			    sizeof(lg->text) - lg->len, "%s\n", buf);
	}
}

/* Wait until a datagram contains needle; 0, or -1 after timeout_ms. */
static int
logger_wait(struct logger *lg, const char *needle, int timeout_ms)
{
	long long deadline = tu_now_ms() + timeout_ms;

	for (;;) {
		if (strstr(lg->text, needle) != NULL)
			return 0;
		if (tu_now_ms() >= deadline)
			return -1;
		logger_read(lg, 20);
	}
}

static int
logger_count(struct logger *lg, const char *needle)
{
	const char *p;
	int n = 0;

	for (p = lg->text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

#define LOG_SEEN(lg, needle) \
	ck_assert_msg(logger_wait((lg), (needle), tu_ms(IO_MS)) == 0, \
	    "\"%s\" never reached the logger; it got:\n%s", (needle), \
	    (lg)->text)

/* In the namespace child: report and leave. */
static void __attribute__((noreturn))
ns_fail(int report, int code, const char *what)
{
	dprintf(report, "%s: %s", what, strerror(errno));
	_exit(code);
}

static void
ns_bind_node(int report, const char *newdev, const char *name)
{
	char *dst = tu_fmt("%s/%s", newdev, name);
	char *src = tu_fmt("/dev/%s", name);
	int fd;

	if (!tu_exists(src))
		return;
	if ((fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0666)) == -1)
		ns_fail(report, 70, dst);
	close(fd);
	if (mount(src, dst, "none", MS_BIND, NULL) == -1)
		ns_fail(report, 70, tu_fmt("mount --bind %s %s", src, dst));
}

/*
 * The child that becomes oldserver: a mount namespace of its own, made
 * private so that nothing leaks to the host; a tmpfs /dev in it (never
 * the host's /dev: the device nodes it needs are bind-mounted from it)
 * in which the test's socket is bound at /dev/log, the name the C library
 * connects to and the one the logger's peer address shows; the runtime
 * directory bind-mounted into the chroot at its own path (so that the
 * chrooted daemon finds its pidfile and log there, as in a jail that
 * exposes /run/NAME).  Then fds in closefds are closed and oldserver is
 * executed.  Returns in the test: the child's exit code (the original
 * process's), or SKIP_NS with why.
 */
static int
ns_run(struct world *w, struct logger *lg, struct args *a, int closefds,
    bool chrooted, pid_t *original, char *why, size_t whylen)
{
	char *newdev = tu_fmt("%s/dev", w->dir);
	struct sockaddr_un sun;
	int report[2], fd, i, status;
	ssize_t n;
	pid_t pid;

	if (lg->fd < 0) {
		lg->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(lg->fd, 0);
		lg->len = 0;
		lg->text[0] = '\0';
	}
	ck_assert(mkdir(newdev, 0755) == 0 || errno == EEXIST);
	ck_assert_int_eq(pipe2(report, O_CLOEXEC), 0);
	(void)unlink(w->out);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(report[0]);
		if (unshare(CLONE_NEWNS) == -1)
			ns_fail(report[1], errno == EPERM || errno == EINVAL ||
			    errno == ENOSYS ? SKIP_NS : 70,
			    "unshare(CLONE_NEWNS)");
		if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == -1)
			ns_fail(report[1], SKIP_NS, "mount --make-rprivate /");
		if (mount("tmpfs", newdev, "tmpfs", MS_NOSUID | MS_NOEXEC,
		    "mode=755") == -1)
			ns_fail(report[1], SKIP_NS, "mount tmpfs");
		ns_bind_node(report[1], newdev, "null");
		ns_bind_node(report[1], newdev, "zero");
		ns_bind_node(report[1], newdev, "urandom");
		ns_bind_node(report[1], newdev, "random");
		if (mount(newdev, "/dev", "none", MS_MOVE, NULL) == -1)
			ns_fail(report[1], 70, "mount --move to /dev");
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "/dev/log");
		if (bind(lg->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 &&
		    errno != EINVAL)	/* EINVAL: bound by an earlier run */
			ns_fail(report[1], 70, "bind /dev/log");
		(void)chmod("/dev/log", 0666);
		if (chrooted && mount(w->run, tu_fmt("%s%s", w->root, w->run),
		    "none", MS_BIND, NULL) == -1)
			ns_fail(report[1], 70, "mount --bind run into root");
		if ((fd = open(w->out, O_WRONLY | O_CREAT | O_APPEND, 0644)) ==
		    -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			ns_fail(report[1], 70, w->out);
		close(fd);
		if ((fd = open("/dev/null", O_RDONLY)) == -1 || dup2(fd, 0) == -1)
			ns_fail(report[1], 70, "/dev/null");
		close(fd);
		for (i = 0; i <= 2; i++)
			if (closefds & (1 << i))
				close(i);
		execv(a->v[0], a->v);
		ns_fail(report[1], 70, a->v[0]);
	}
	close(report[1]);
	*original = pid;
	status = tu_child_status(pid, tu_ms(RUN_MS));
	n = read(report[0], why, whylen - 1);
	close(report[0]);
	why[n > 0 ? n : 0] = '\0';
	if (status == -1)
		tu_kill(pid);
	ck_assert_msg(status != -1, "oldserver did not exit");
	if (n > 0 && exit_code(status) == SKIP_NS)
		return SKIP_NS;
	ck_assert_msg(n <= 0, "namespace setup: %s", why);
	return exit_code(status);
}

/* The world of the logger tests: -u nobody -r ROOT -R RUN -p PIDFILE
 * -l LOG, ROOT holding nothing but the path to RUN, RUN owned by nobody.
 * oldserver is started (port races retried); the daemon's pid, or 0 when
 * namespaces are refused (the reason printed). */
static pid_t
logger_start(struct world *w, struct logger *lg, int closefds)
{
	struct passwd *pw = nobody();
	char why[512], out[OUTLEN];
	struct args a;
	pid_t original = -1, pid;
	int i, rc = -1;

	if (geteuid() != 0) {
		printf("%s: skipped: not root\n", __func__);
		return 0;
	}
	mkdir_for(w->run, pw->pw_uid, pw->pw_gid);
	mkdir_for(w->logdir, pw->pw_uid, pw->pw_gid);
	free(w->log);
	w->log = tu_fmt("%s/oldserver.log", w->run);
	mkdir_p(tu_fmt("%s%s", w->root, w->run));
	lg->fd = -1;
	for (i = 0; i < TRIES; i++) {
		/* a socket bound in an earlier namespace names a gone file */
		if (lg->fd >= 0)
			close(lg->fd);
		lg->fd = -1;
		args_init(&a, w);
		arg(&a, "-u");
		arg(&a, "nobody");
		arg(&a, "-r");
		arg(&a, w->root);
		arg(&a, "-R");
		arg(&a, w->run);
		arg(&a, "-p");
		arg(&a, w->pidfile);
		arg(&a, "-l");
		arg(&a, w->log);
		new_port(w);
		arg(&a, "-P");
		arg(&a, w->port);
		rc = ns_run(w, lg, &a, closefds, true, &original, why,
		    sizeof(why));
		if (rc == SKIP_NS) {
			printf("%s: skipped: %s\n", __func__, why);
			return 0;
		}
		(void)tu_read_file(w->out, out, sizeof(out));
		if (rc == 0 || strstr(out, tu_strerror(EADDRINUSE)) == NULL)
			break;
	}
	ck_assert_msg(rc == 0, "start: exit %d: %s", rc, out);
	ck_assert_msg(out[0] == '\0', "a start is silent: %s", out);
	pid = tu_pidfile_pid(w->pidfile);
	ck_assert_int_gt(pid, 0);
	ck_assert(tu_alive(pid));
	ck_assert(tu_lock_held(w->pidfile));
	/* Before start, in the original process. */
	LOG_SEEN(lg, tu_fmt("oldserver[%ld]: starting", (long)original));
	return pid;
}

/* Item 1.  The lines after start reach the logger from inside the chroot,
 * as nobody; SIGHUP reloads, SIGTERM stops it with status 0, and the
 * pidfile is removed. */
START_TEST(test_logger_survives_start)
{
	struct world w;
	struct logger *lg = calloc(1, sizeof(*lg));
	char *pw_uid;
	pid_t pid;

	ck_assert_ptr_nonnull(lg);
	world_init(&w);
	if ((pid = logger_start(&w, lg, 0)) == 0)
		return;
	/* The chroot has no /dev/log: a line after start can only come
	 * through the connection opened before it, kept by the fd sweep. */
	LOG_SEEN(lg, tu_fmt("oldserver[%ld]: ready", (long)pid));
	/* chroot and the user were applied: it is a real confined daemon */
	pw_uid = tu_fmt("%lu", (unsigned long)nobody()->pw_uid);
	ck_assert_msg(strncmp(proc_status(pid, "Uid"), pw_uid,
	    strlen(pw_uid)) == 0, "Uid: %s", proc_status(pid, "Uid"));
	{
		char root[PATH_MAX];
		ssize_t n = readlink(tu_fmt("/proc/%ld/root", (long)pid), root,
		    sizeof(root) - 1);

		ck_assert_int_gt(n, 0);
		root[n] = '\0';
		ck_assert_str_eq(root, w.root);
	}
	/* the daemon's 0-2: /dev/null and the log, never the logger */
	ck_assert(fd_is_null(pid, 0));
	ck_assert(fd_is(pid, 1, w.log));
	ck_assert(fd_is(pid, 2, w.log));

	ck_assert(hello(w.port));
	LOG_SEEN(lg, tu_fmt("oldserver[%ld]: client", (long)pid));
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	LOG_SEEN(lg, tu_fmt("oldserver[%ld]: reloading", (long)pid));
	ck_assert_int_eq(wait_count(w.log, "oldserver: reloaded", 1,
	    tu_ms(IO_MS)), 0);
	ck_assert(hello(w.port));
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	LOG_SEEN(lg, tu_fmt("oldserver[%ld]: stopping", (long)pid));
	ck_assert_int_eq(reap(pid, tu_ms(STOP_MS)), 0);
	ck_assert_msg(!tu_exists(w.pidfile), "%s left behind", w.pidfile);
	ck_assert_int_eq(tu_wait_no_procs(w.link, tu_ms(STOP_MS)), 0);
	/* every line went to the logger, none into the log file */
	ck_assert_int_eq(count_in(w.log, "oldserver["), 0);
	ck_assert_int_eq(count_in(w.log, "oldserver: stopping"), 1);
	ck_assert_int_eq(logger_count(lg, "]: ready"), 1);
	ck_assert_int_eq(logger_count(lg, "]: client"), 2);
	free(lg);
}
END_TEST

/* Item 3.  fd 0, 1, 2 (and all three, _i == 3) closed when oldserver
 * starts: the syslog connection opened first takes the lowest closed
 * number.  The daemon still starts, serves, logs through syslog after
 * start, stops with status 0; its 0-2 end as /dev/null and the log. */
START_TEST(test_closed_stdio_at_start)
{
	int closefds = _i == 3 ? 7 : 1 << _i;
	struct world w;
	struct logger *lg = calloc(1, sizeof(*lg));
	pid_t pid;

	ck_assert_ptr_nonnull(lg);
	if ((closefds & 4) != 0 && under_valgrind(__func__))
		return;
	world_init(&w);
	if ((pid = logger_start(&w, lg, closefds)) == 0)
		return;
	ck_assert(fd_is_null(pid, 0));
	ck_assert(fd_is(pid, 1, w.log));
	ck_assert(fd_is(pid, 2, w.log));
	ck_assert(hello(w.port));
	LOG_SEEN(lg, tu_fmt("oldserver[%ld]: ready", (long)pid));
	LOG_SEEN(lg, tu_fmt("oldserver[%ld]: client", (long)pid));
	ck_assert_int_eq(wait_count(w.log, tu_fmt("oldserver: ready, pid %ld",
	    (long)pid), 1, tu_ms(IO_MS)), 0);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	LOG_SEEN(lg, tu_fmt("oldserver[%ld]: stopping", (long)pid));
	ck_assert_int_eq(reap(pid, tu_ms(STOP_MS)), 0);
	ck_assert(!tu_exists(w.pidfile));
	ck_assert_int_eq(tu_wait_no_procs(w.link, tu_ms(STOP_MS)), 0);
	free(lg);
}
END_TEST

/* ---- item 2: a second instance --------------------------------------- */

START_TEST(test_second_instance)
{
	struct world w;
	struct args a;
	char out[OUTLEN], *other;
	pid_t pid;
	int rc;

	world_init(&w);
	args_init(&a, &w);
	arg(&a, "-p");
	arg(&a, tu_fmt("%s/a.pid", w.dir));
	pid = start_bg(&w, &a, tu_fmt("%s/a.pid", w.dir));

	/* Same pidfile, same port: the lock says it, not the bind. */
	args_init(&a, &w);
	arg(&a, "-p");
	arg(&a, tu_fmt("%s/a.pid", w.dir));
	arg(&a, "-P");
	arg(&a, w.port);
	rc = run(&a, out, sizeof(out));
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out, tu_fmt("oldserver: pidfile: %s/a.pid: already "
	    "running, pid %ld\n", w.dir, (long)pid));
	ck_assert_ptr_null(strstr(out, tu_strerror(EADDRINUSE)));
	/* the first one is untouched */
	ck_assert(tu_alive(pid));
	ck_assert_int_eq(tu_pidfile_pid(tu_fmt("%s/a.pid", w.dir)), pid);
	ck_assert(tu_lock_held(tu_fmt("%s/a.pid", w.dir)));
	ck_assert_int_eq(tu_count_procs(w.link), 1);

	/* Another pidfile, same port: now the bind fails, in the terminal,
	 * and the fresh pidfile is removed again. */
	other = tu_fmt("%s/b.pid", w.dir);
	args_init(&a, &w);
	arg(&a, "-p");
	arg(&a, other);
	arg(&a, "-l");
	arg(&a, w.log);
	arg(&a, "-P");
	arg(&a, w.port);
	rc = run(&a, out, sizeof(out));
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out, tu_fmt("oldserver: bind 127.0.0.1:%s: %s\n",
	    w.port, tu_strerror(EADDRINUSE)));
	ck_assert(!tu_exists(other));
	ck_assert(!tu_exists(w.log));
	ck_assert_int_eq(tu_count_procs(w.link), 1);

	ck_assert(hello(w.port));
	stop_daemon(pid, tu_fmt("%s/a.pid", w.dir));
	ck_assert_int_eq(tu_wait_no_procs(w.link, tu_ms(STOP_MS)), 0);
}
END_TEST

/* ---- item 4: stderr before ready, in the terminal ---------------------- */

START_TEST(test_stderr_reaches_terminal)
{
	struct world w;
	char text[OUTLEN], *pidfile;
	size_t used = 0;
	int master, slave, status = 0, rc = -1, i;
	long long deadline;
	struct pollfd pfd;
	pid_t c, pid;
	ssize_t n;

	world_init(&w);
	pidfile = tu_fmt("%s/o.pid", w.dir);
	for (i = 0; i < TRIES; i++) {
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		ck_assert_int_ge(master, 0);
		ck_assert_int_eq(grantpt(master), 0);
		ck_assert_int_eq(unlockpt(master), 0);
		new_port(&w);
		c = fork();
		ck_assert_int_ge(c, 0);
		if (c == 0) {
			/* a login shell's shape: a session with the pty as
			 * its controlling terminal and stdio */
			if (setsid() == -1 ||
			    (slave = open(ptsname(master), O_RDWR)) == -1 ||
			    dup2(slave, 0) == -1 || dup2(slave, 1) == -1 ||
			    dup2(slave, 2) == -1)
				_exit(126);
			if (slave > 2)
				close(slave);
			execl(w.link, w.link, "-W", "-p", pidfile, "-l", w.log,
			    "-P", w.port, (char *)NULL);
			_exit(127);
		}
		used = 0;
		text[0] = '\0';
		deadline = tu_now_ms() + tu_ms(RUN_MS);
		rc = -1;
		while (tu_now_ms() < deadline) {
			pfd.fd = master;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 20) == 1) {
				n = read(master, text + used,
				    sizeof(text) - 1 - used);
				if (n > 0) {
					used += (size_t)n;
					text[used] = '\0';
					continue;
				}
				/* EIO: nobody has the terminal open */
				if (rc != -1)
					break;
			}
			if (rc == -1) {
				if (waitpid(c, &status, WNOHANG) == c)
					rc = exit_code(status);
			} else {
				break;	/* exited, and nothing more to read */
			}
		}
		close(master);
		if (rc == -1)
			tu_kill(c);
		if (rc == 0 || strstr(text, tu_strerror(EADDRINUSE)) == NULL)
			break;
	}
	ck_assert_msg(rc == 0, "exit %d: %s", rc, text);
	ck_assert_msg(strstr(text, "oldserver: warning: no configuration file, "
	    "using defaults") != NULL, "terminal got: \"%s\"", text);
	pid = tu_pidfile_pid(pidfile);
	ck_assert_int_gt(pid, 0);
	/* after ready, stdout goes to the log and not to the terminal */
	ck_assert_ptr_null(strstr(text, "ready, pid"));
	ck_assert_int_eq(wait_count(w.log, tu_fmt("oldserver: ready, pid %ld",
	    (long)pid), 1, tu_ms(IO_MS)), 0);
	ck_assert_int_eq(count_in(w.log, "warning"), 0);
	/* the terminal is gone; the daemon, in a session of its own with no
	 * controlling terminal, did not notice */
	ck_assert(fd_is_null(pid, 0));
	ck_assert(fd_is(pid, 1, w.log));
	ck_assert(fd_is(pid, 2, w.log));
	ck_assert(hello(w.port));
	stop_daemon(pid, pidfile);
	ck_assert_int_eq(tu_wait_no_procs(w.link, tu_ms(STOP_MS)), 0);
}
END_TEST

/* ---- item 5: rotation after the drop ----------------------------------- */

START_TEST(test_log_reopen_after_drop)
{
	struct passwd *pw;
	struct world w;
	struct args a;
	struct stat st;
	char *uid;
	pid_t pid;
	int round;

	TU_NEED_ROOT();
	pw = nobody();
	world_init(&w);
	mkdir_for(w.logdir, pw->pw_uid, pw->pw_gid);
	args_init(&a, &w);
	arg(&a, "-u");
	arg(&a, "nobody");
	arg(&a, "-R");
	arg(&a, w.run);
	arg(&a, "-p");
	arg(&a, w.pidfile);
	arg(&a, "-l");
	arg(&a, w.log);
	pid = start_bg(&w, &a, w.pidfile);
	uid = tu_fmt("%lu", (unsigned long)pw->pw_uid);
	ck_assert(strncmp(proc_status(pid, "Uid"), uid, strlen(uid)) == 0);
	ck_assert_int_eq(wait_count(w.log, "oldserver: ready", 1,
	    tu_ms(IO_MS)), 0);
	/* created by root before the drop, for the daemon's user */
	ck_assert_int_eq(stat(w.log, &st), 0);
	ck_assert_int_eq(st.st_uid, pw->pw_uid);

	for (round = 1; round <= 2; round++) {
		char *old = tu_fmt("%s.%d", w.log, round);

		/* logrotate: move, then ask for a reopen */
		ck_assert_int_eq(rename(w.log, old), 0);
		ck_assert_int_eq(kill(pid, SIGHUP), 0);
		ck_assert_msg(wait_count(w.log, "oldserver: reloaded", 1,
		    tu_ms(IO_MS)) == 0, "no new log after rotation %d", round);
		ck_assert_int_eq(stat(w.log, &st), 0);
		ck_assert_int_eq(st.st_uid, pw->pw_uid);
		ck_assert_int_eq(count_in(old, "oldserver: reloaded"),
		    round == 1 ? 0 : 1);
		ck_assert(fd_is(pid, 1, w.log));
		ck_assert(fd_is(pid, 2, w.log));
	}
	ck_assert(hello(w.port));
	stop_daemon(pid, w.pidfile);
	ck_assert_int_eq(count_in(w.log, "oldserver: stopping"), 1);
	ck_assert_int_eq(tu_wait_no_procs(w.link, tu_ms(STOP_MS)), 0);
}
END_TEST

/* ---- item 6: the pidfile after the drop -------------------------------- */

/* The runtime directory is made by the lock, for nobody; the daemon,
 * running as nobody, removes its pidfile there at stop. */
START_TEST(test_pidfile_removed_in_runtime_dir)
{
	struct passwd *pw;
	struct world w;
	struct args a;
	struct stat st;
	pid_t pid;

	TU_NEED_ROOT();
	pw = nobody();
	world_init(&w);
	ck_assert(!tu_exists(w.run));
	args_init(&a, &w);
	arg(&a, "-u");
	arg(&a, "nobody");
	arg(&a, "-R");
	arg(&a, w.run);
	arg(&a, "-p");
	arg(&a, w.pidfile);
	pid = start_bg(&w, &a, w.pidfile);
	ck_assert_int_eq(stat(w.run, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_uid, pw->pw_uid);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(tu_pidfile_pid(w.pidfile), pid);
	stop_daemon(pid, w.pidfile);	/* removed, not emptied */
	ck_assert(tu_exists(w.run));
	ck_assert_int_eq(tu_wait_no_procs(w.link, tu_ms(STOP_MS)), 0);
}
END_TEST

/* ---- item 7: the notification fd --------------------------------------- */

START_TEST(test_notify_fd)
{
	struct world w;
	struct args a;
	char out[OUTLEN], buf[16], *fdstr;
	struct pollfd pfd;
	int p[2], rc;
	ssize_t n;
	pid_t pid;

	world_init(&w);
	/* A pipe, as s6's notification-fd: one newline at ready, then EOF
	 * while the daemon runs on (it kept no copy). */
	ck_assert_int_eq(pipe(p), 0);
	fdstr = tu_fmt("%d", p[1]);
	args_init(&a, &w);
	arg(&a, "-p");
	arg(&a, w.pidfile);
	arg(&a, "-N");
	arg(&a, fdstr);
	ck_assert_int_eq(mkdir(w.run, 0755), 0);
	pid = start_bg(&w, &a, w.pidfile);
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, tu_ms(IO_MS)), 1);
	n = read(p[0], buf, sizeof(buf));
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(buf[0], '\n');
	ck_assert_int_eq(poll(&pfd, 1, tu_ms(IO_MS)), 1);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	ck_assert(tu_alive(pid));
	ck_assert(hello(w.port));
	stop_daemon(pid, w.pidfile);

	/* Standard output is refused: the newline would go to whatever
	 * reads it.  Nothing was created. */
	args_init(&a, &w);
	arg(&a, "-p");
	arg(&a, w.pidfile);
	arg(&a, "-N");
	arg(&a, "1");
	arg(&a, "-P");
	arg(&a, w.port);
	rc = run(&a, out, sizeof(out));
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out, tu_fmt("oldserver: notify: notification fd 1 "
	    "is standard input, output or error: %s\n", tu_strerror(EINVAL)));
	ck_assert(!tu_exists(w.pidfile));

	/* A closed descriptor is refused. */
	ck_assert_int_eq(fcntl(250, F_GETFD), -1);
	args_init(&a, &w);
	arg(&a, "-p");
	arg(&a, w.pidfile);
	arg(&a, "-N");
	arg(&a, "250");
	arg(&a, "-P");
	arg(&a, w.port);
	rc = run(&a, out, sizeof(out));
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out, tu_fmt("oldserver: notify: notification fd 250: "
	    "%s\n", tu_strerror(EBADF)));
	ck_assert(!tu_exists(w.pidfile));

	/* A failed start says nothing on it: EOF without a newline. */
	ck_assert_int_eq(pipe(p), 0);
	args_init(&a, &w);
	arg(&a, "-F");
	arg(&a, "-p");
	arg(&a, w.pidfile);
	arg(&a, "-N");
	arg(&a, tu_fmt("%d", p[1]));
	arg(&a, "-P");
	arg(&a, w.port);
	rc = run(&a, out, sizeof(out));
	close(p[1]);
	ck_assert_int_eq(rc, 1);
	pfd.fd = p[0];
	ck_assert_int_eq(poll(&pfd, 1, tu_ms(IO_MS)), 1);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	ck_assert(!tu_exists(w.pidfile));
	ck_assert_int_eq(tu_wait_no_procs(w.link, tu_ms(STOP_MS)), 0);
}
END_TEST

/* ---- item 8: a stopped intermediate ------------------------------------ */

enum stop_what { STOP_MIDDLE, STOP_DAEMON };

/*
 * Run oldserver under ptrace only long enough to catch the process it
 * forks (the middle child), or the one that forks (the daemon), at its
 * first instruction, and leave it there stopped by a plain SIGSTOP, no
 * longer traced: what "kill -STOP" at the wrong moment does.  Then wait
 * for the original process.  Its exit code; *stopped the stopped pid.
 */
static int
run_stopping(struct world *w, char *const argv[], enum stop_what what,
    pid_t *stopped, long long *elapsed, char *out, size_t outlen)
{
	pid_t c, middle = -1, target = -1, r, seen[8];
	int status, nseen = 0, i, rc = -1;
	long long t0, deadline;
	unsigned long msg;
	bool c_traced = true, done = false;

	(void)unlink(w->out);
	c = fork();
	ck_assert_int_ge(c, 0);
	if (c == 0) {
		int fd = open(w->out, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			_exit(126);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == -1)
			_exit(125);
		execv(argv[0], argv);
		_exit(127);
	}
	*stopped = -1;
	t0 = tu_now_ms();
	deadline = t0 + tu_ms(RUN_MS);
	while (!done && tu_now_ms() < deadline) {
		r = waitpid(-1, &status, __WALL | WNOHANG);
		if (r == 0) {
			tu_msleep(1);
			continue;
		}
		ck_assert_int_gt(r, 0);
		if (r == c && !WIFSTOPPED(status)) {
			rc = exit_code(status);
			break;
		}
		if (!WIFSTOPPED(status))
			continue;
		if (r == c) {
			if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_FORK << 8))) {
				ck_assert_int_eq(ptrace(PTRACE_GETEVENTMSG, c, NULL,
				    &msg), 0);
				middle = (pid_t)msg;
				if (what == STOP_MIDDLE)
					target = middle;
				ck_assert_int_eq(ptrace(PTRACE_DETACH, c, NULL,
				    NULL), 0);
				c_traced = false;
			} else if (WSTOPSIG(status) == SIGTRAP && c_traced &&
			    nseen == 0 && middle == -1) {
				/* after exec */
				ck_assert_int_eq(ptrace(PTRACE_SETOPTIONS, c,
				    NULL, PTRACE_O_TRACEFORK), 0);
				ck_assert_int_eq(ptrace(PTRACE_CONT, c, NULL,
				    NULL), 0);
			} else {
				ck_assert_int_eq(ptrace(PTRACE_CONT, c, NULL,
				    (void *)(long)WSTOPSIG(status)), 0);
			}
		} else if (r == middle && what == STOP_DAEMON &&
		    status >> 8 == (SIGTRAP | (PTRACE_EVENT_FORK << 8))) {
			ck_assert_int_eq(ptrace(PTRACE_GETEVENTMSG, middle,
			    NULL, &msg), 0);
			target = (pid_t)msg;
			ck_assert_int_eq(ptrace(PTRACE_DETACH, middle, NULL,
			    NULL), 0);
		} else {
			/* a new child's first stop; maybe before its parent's
			 * fork event named it */
			ck_assert_int_lt(nseen, 8);
			seen[nseen++] = r;
		}
		for (i = 0; i < nseen; i++) {
			if (seen[i] <= 0)
				continue;	/* handled */
			if (seen[i] == target) {
				/* leave it stopped, untraced */
				ck_assert_int_eq(ptrace(PTRACE_DETACH, target,
				    NULL, (void *)(long)SIGSTOP), 0);
				*stopped = target;
				seen[i] = 0;
				done = what == STOP_MIDDLE;
			} else if (seen[i] == middle && what == STOP_DAEMON) {
				ck_assert_int_eq(ptrace(PTRACE_CONT, middle,
				    NULL, NULL), 0);
				seen[i] = 0;
			}
		}
		if (what == STOP_DAEMON && *stopped > 0)
			done = true;
	}
	ck_assert_msg(*stopped > 0, "never caught the process to stop");
	if (rc == -1) {
		status = tu_child_status(c, (int)(deadline - tu_now_ms()));
		if (status == -1)
			tu_kill(c);
		rc = exit_code(status);
	}
	*elapsed = tu_now_ms() - t0;
	(void)tu_read_file(w->out, out, outlen);
	return rc;
}

/* The middle child stopped before it could fork the daemon: the command
 * returns within the timeout and a short grace, and leaves nothing: the
 * middle child killed, no lock, no pidfile, no log. */
START_TEST(test_stopped_intermediate)
{
	struct world w;
	struct args a;
	char out[OUTLEN];
	long long elapsed;
	pid_t middle;
	int rc;

	world_init(&w);
	ck_assert_int_eq(mkdir(w.run, 0755), 0);
	new_port(&w);
	args_init(&a, &w);
	arg(&a, "-t");
	arg(&a, "1000");
	args_files(&a, &w);
	rc = run_stopping(&w, a.v, STOP_MIDDLE, &middle, &elapsed, out,
	    sizeof(out));
	ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
	ck_assert_str_eq(out, tu_fmt("oldserver: start: daemon not ready after "
	    "1000 ms: %s\n", tu_strerror(ETIMEDOUT)));
	ck_assert_msg(elapsed >= 1000 && elapsed < 1000 + tu_ms(2000),
	    "returned after %lld ms", elapsed);
	ck_assert_int_eq(tu_wait_gone(middle, tu_ms(STOP_MS)), 0);
	ck_assert_int_eq(tu_wait_no_procs(w.link, tu_ms(STOP_MS)), 0);
	ck_assert(!tu_lock_held(w.pidfile));
	ck_assert_msg(!tu_exists(w.pidfile), "%s left behind (%s)", w.pidfile,
	    "no daemon was ever forked");
	ck_assert(!tu_exists(w.log));
}
END_TEST

/* The daemon stopped at its first instruction: the command times out and
 * says that the daemon was left running; the daemon holds the lock of its
 * pidfile, and once continued it becomes a normal daemon that stops with
 * status 0 and removes the pidfile. */
START_TEST(test_stopped_daemon_left_running)
{
	struct world w;
	struct args a;
	char out[OUTLEN];
	long long elapsed;
	pid_t pid;
	int rc;

	world_init(&w);
	ck_assert_int_eq(mkdir(w.run, 0755), 0);
	new_port(&w);
	args_init(&a, &w);
	arg(&a, "-t");
	arg(&a, "1000");
	args_files(&a, &w);
	rc = run_stopping(&w, a.v, STOP_DAEMON, &pid, &elapsed, out,
	    sizeof(out));
	ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
	ck_assert_str_eq(out, tu_fmt("oldserver: start: daemon (pid %ld) not "
	    "ready after 1000 ms; it was left running: %s\n", (long)pid,
	    tu_strerror(ETIMEDOUT)));
	ck_assert_msg(elapsed >= 1000 && elapsed < 1000 + tu_ms(2000),
	    "returned after %lld ms", elapsed);
	ck_assert(tu_alive(pid));
	ck_assert(tu_lock_held(w.pidfile));
	ck_assert_int_eq(tu_count_procs(w.link), 1);
	ck_assert_int_eq(kill(pid, SIGCONT), 0);
	ck_assert_int_eq(wait_count(w.log, tu_fmt("oldserver: ready, pid %ld",
	    (long)pid), 1, tu_ms(IO_MS)), 0);
	ck_assert_int_eq(tu_pidfile_pid(w.pidfile), pid);
	ck_assert(hello(w.port));
	stop_daemon(pid, w.pidfile);
	ck_assert_int_eq(tu_wait_no_procs(w.link, tu_ms(STOP_MS)), 0);
}
END_TEST

/* ---- item 9: failed starts leave nothing ------------------------------- */

static void
assert_nothing_left(struct world *w, const char *pidfile, const char *log)
{
	ck_assert_int_eq(tu_wait_no_procs(w->link, tu_ms(STOP_MS)), 0);
	ck_assert(!tu_lock_held(pidfile));
	ck_assert_msg(!tu_exists(pidfile), "%s left behind", pidfile);
	if (log != NULL)
		ck_assert_msg(!tu_exists(log), "%s left behind", log);
}

/* daemonize_fail in the daemon: the command prints the daemon's reason
 * with its errno and exits 1; the log file the start created is gone. */
START_TEST(test_fail_leaves_nothing)
{
	struct world w;
	struct args a;
	char out[OUTLEN];
	int rc;

	world_init(&w);
	ck_assert_int_eq(mkdir(w.run, 0755), 0);
	new_port(&w);
	args_init(&a, &w);
	arg(&a, "-W");
	arg(&a, "-F");
	args_files(&a, &w);
	rc = run(&a, out, sizeof(out));
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out, tu_fmt("oldserver: warning: no configuration "
	    "file, using defaults\noldserver: cannot load configuration: %s\n",
	    tu_strerror(EADDRNOTAVAIL)));
	assert_nothing_left(&w, w.pidfile, w.log);
}
END_TEST

/* A log file that was there before is the admin's: a failed start keeps
 * it, content and all. */
START_TEST(test_fail_keeps_existing_log)
{
	struct world w;
	struct args a;
	char out[OUTLEN], buf[256];
	int rc, fd;

	world_init(&w);
	ck_assert_int_eq(mkdir(w.run, 0755), 0);
	fd = open(w.log, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "old line\n", 9), 9);
	close(fd);
	new_port(&w);
	args_init(&a, &w);
	arg(&a, "-F");
	args_files(&a, &w);
	rc = run(&a, out, sizeof(out));
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out, tu_fmt("oldserver: cannot load configuration: "
	    "%s\n", tu_strerror(EADDRNOTAVAIL)));
	assert_nothing_left(&w, w.pidfile, NULL);
	ck_assert_int_eq(tu_read_file(w.log, buf, sizeof(buf)), 9);
	ck_assert_str_eq(buf, "old line\n");
}
END_TEST

/* The port is taken by someone else: the bind fails in the terminal;
 * the pidfile locked for it is removed, no log was opened. */
START_TEST(test_bind_failure_leaves_nothing)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct world w;
	struct args a;
	char out[OUTLEN];
	int rc, s;

	world_init(&w);
	ck_assert_int_eq(mkdir(w.run, 0755), 0);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(s, 1), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	snprintf(w.port, sizeof(w.port), "%d", ntohs(sin.sin_port));
	args_init(&a, &w);
	args_files(&a, &w);
	rc = run(&a, out, sizeof(out));
	close(s);
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out, tu_fmt("oldserver: bind 127.0.0.1:%s: %s\n",
	    w.port, tu_strerror(EADDRINUSE)));
	assert_nothing_left(&w, w.pidfile, w.log);
}
END_TEST

/* Refused by the lock, in the terminal: a missing chroot, an unknown
 * user.  Nothing was created (_i picks the case). */
START_TEST(test_lock_failure_leaves_nothing)
{
	struct world w;
	struct args a;
	char out[OUTLEN], *missing;
	int rc;

	world_init(&w);
	ck_assert_int_eq(mkdir(w.run, 0755), 0);
	missing = tu_fmt("%s/no-such-root", w.dir);
	new_port(&w);
	args_init(&a, &w);
	if (_i == 0) {
		arg(&a, "-r");
		arg(&a, missing);
	} else {
		arg(&a, "-u");
		arg(&a, "no-such-user-dz");
	}
	args_files(&a, &w);
	rc = run(&a, out, sizeof(out));
	ck_assert_int_eq(rc, 1);
	if (_i == 0)
		ck_assert_str_eq(out, tu_fmt("oldserver: chroot: %s: %s\n",
		    missing, tu_strerror(ENOENT)));
	else
		ck_assert_msg(strncmp(out, "oldserver: privileges: ", 23) == 0 &&
		    strstr(out, "no-such-user-dz") != NULL, "%s", out);
	assert_nothing_left(&w, w.pidfile, w.log);
}
END_TEST

/* In the foreground (-n) a failure removes the pidfile too. */
START_TEST(test_foreground_fail_leaves_nothing)
{
	struct world w;
	struct args a;
	char out[OUTLEN];
	int rc;

	world_init(&w);
	ck_assert_int_eq(mkdir(w.run, 0755), 0);
	new_port(&w);
	args_init(&a, &w);
	arg(&a, "-n");
	arg(&a, "-F");
	args_files(&a, &w);
	rc = run(&a, out, sizeof(out));
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out, "");
	assert_nothing_left(&w, w.pidfile, w.log);
}
END_TEST

/* ---- item 10: a supervised failure ------------------------------------- */

static int
notify_socket(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof(sun.sun_path));
	strcpy(sun.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Every datagram that arrives within ms, joined with "|". */
static void
notify_read(int fd, char *buf, size_t len, int ms)
{
	struct pollfd pfd;
	size_t used = strlen(buf);
	ssize_t n;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (used + 2 < len && poll(&pfd, 1, ms) == 1) {
		n = recv(fd, buf + used, len - used - 2, MSG_DONTWAIT);
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used++] = '|';
		buf[used] = '\0';
		ms = 50;
	}
}

START_TEST(test_supervised_failure)
{
	struct world w;
	struct args a;
	char out[OUTLEN], got[4096], *sock, *env;
	int fd, st, rc;
	pid_t pid;

	world_init(&w);
	ck_assert_int_eq(mkdir(w.run, 0755), 0);
	sock = tu_fmt("%s/notify", w.dir);
	fd = notify_socket(sock);
	env = tu_fmt("NOTIFY_SOCKET=%s", sock);
	new_port(&w);

	/* daemonize_fail under systemd: ERRNO= and STATUS= */
	args_init(&a, &w);
	arg(&a, "-F");
	arg(&a, "-p");
	arg(&a, w.pidfile);
	arg(&a, "-P");
	arg(&a, w.port);
	st = tu_run_env(a.v, tu_clean_envv(env, NULL), out, sizeof(out),
	    tu_ms(RUN_MS));
	ck_assert_int_eq(exit_code(st), 1);
	got[0] = '\0';
	notify_read(fd, got, sizeof(got), tu_ms(IO_MS));
	ck_assert_msg(strstr(got, tu_fmt("ERRNO=%d\nSTATUS=cannot load "
	    "configuration: %s|", EADDRNOTAVAIL, tu_strerror(EADDRNOTAVAIL)))
	    != NULL, "got: %s", got);
	ck_assert_ptr_null(strstr(got, "READY=1"));
	assert_nothing_left(&w, w.pidfile, NULL);

	/* refused by the lock under systemd: the same, with EEXIST */
	args_init(&a, &w);
	arg(&a, "-p");
	arg(&a, w.pidfile);
	pid = start_bg(&w, &a, w.pidfile);
	args_init(&a, &w);
	arg(&a, "-p");
	arg(&a, w.pidfile);
	arg(&a, "-P");
	arg(&a, w.port);
	st = tu_run_env(a.v, tu_clean_envv(env, NULL), out, sizeof(out),
	    tu_ms(RUN_MS));
	rc = exit_code(st);
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out, tu_fmt("oldserver: pidfile: %s: already running, "
	    "pid %ld\n", w.pidfile, (long)pid));
	got[0] = '\0';
	notify_read(fd, got, sizeof(got), tu_ms(IO_MS));
	ck_assert_msg(strcmp(got, tu_fmt("ERRNO=%d\nSTATUS=pidfile: %s: already "
	    "running, pid %ld|", EEXIST, w.pidfile, (long)pid)) == 0,
	    "got: %s", got);
	stop_daemon(pid, w.pidfile);
	ck_assert_int_eq(tu_wait_no_procs(w.link, tu_ms(STOP_MS)), 0);
	close(fd);
}
END_TEST

/* Under systemd the whole life is told: READY=1 with MAINPID, a reload,
 * STOPPING=1; it never forks (the unit's main pid is the one started). */
START_TEST(test_supervised_life)
{
	struct world w;
	struct args a;
	char got[4096], *sock;
	int fd, i;
	pid_t pid;

	world_init(&w);
	ck_assert_int_eq(mkdir(w.run, 0755), 0);
	sock = tu_fmt("%s/notify", w.dir);
	fd = notify_socket(sock);
	got[0] = '\0';
	for (i = 0; i < TRIES; i++) {
		new_port(&w);
		args_init(&a, &w);
		arg(&a, "-p");
		arg(&a, w.pidfile);
		arg(&a, "-l");
		arg(&a, w.log);
		arg(&a, "-P");
		arg(&a, w.port);
		(void)unlink(w.out);
		pid = tu_spawn(a.v, tu_clean_envv(tu_fmt("NOTIFY_SOCKET=%s",
		    sock), NULL), w.out);
		ck_assert_int_gt(pid, 0);
		notify_read(fd, got, sizeof(got), tu_ms(IO_MS));
		if (strstr(got, "READY=1") != NULL)
			break;
		ck_assert_int_eq(tu_wait_child(pid, tu_ms(RUN_MS), NULL), 0);
		ck_assert_msg(count_in(w.out, tu_strerror(EADDRINUSE)) == 1,
		    "no READY=1: %s", got);
		got[0] = '\0';
	}
	ck_assert_str_eq(got, tu_fmt("READY=1\nMAINPID=%ld|", (long)pid));
	ck_assert_int_eq(tu_pidfile_pid(w.pidfile), pid);
	/* foreground: stdout untouched, the -l log not used */
	ck_assert_int_eq(wait_count(w.out, tu_fmt("oldserver: ready, pid %ld",
	    (long)pid), 1, tu_ms(IO_MS)), 0);
	ck_assert(!tu_exists(w.log));
	ck_assert(hello(w.port));
	got[0] = '\0';
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	notify_read(fd, got, sizeof(got), tu_ms(IO_MS));
	ck_assert_msg(strncmp(got, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0 &&
	    strstr(got, "|READY=1|") != NULL, "got: %s", got);
	got[0] = '\0';
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(reap(pid, tu_ms(STOP_MS)), 0);
	notify_read(fd, got, sizeof(got), tu_ms(IO_MS));
	ck_assert_str_eq(got, "STOPPING=1|");
	ck_assert(!tu_exists(w.pidfile));
	close(fd);
}
END_TEST

/* ---- item 11: tini ----------------------------------------------------- */

/* Fork the test's child, which makes a pid namespace whose pid 1, a fake
 * init in the tini shape, starts oldserver (no -n) and reaps it, and exits
 * with its status.  The child's pid, *init the init's pid as we see it; 0
 * when pid namespaces are refused (why says so). */
static pid_t
tini_run(struct world *w, pid_t *init, char *why, size_t whylen)
{
	int report[2];
	char buf[64];
	ssize_t n;
	pid_t c;

	ck_assert_int_eq(pipe2(report, O_CLOEXEC), 0);
	(void)unlink(w->out);
	c = fork();
	ck_assert_int_ge(c, 0);
	if (c == 0) {
		pid_t i1, s;
		int status;

		close(report[0]);
		if (unshare(CLONE_NEWPID) == -1) {
			dprintf(report[1], "skip unshare(CLONE_NEWPID): %s",
			    strerror(errno));
			_exit(SKIP_NS);
		}
		if ((i1 = fork()) == -1)
			_exit(70);
		if (i1 > 0) {
			dprintf(report[1], "%ld", (long)i1);
			close(report[1]);
			if (waitpid(i1, &status, 0) != i1)
				_exit(70);
			_exit(exit_code(status));
		}
		/* pid 1: tini */
		close(report[1]);
		if ((s = fork()) == -1)
			_exit(70);
		if (s == 0) {
			int fd = open(w->out, O_WRONLY | O_CREAT | O_APPEND,
			    0644);

			if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
				_exit(126);
			execl(w->link, w->link, "-p", w->pidfile, "-l", w->log,
			    "-P", w->port, (char *)NULL);
			_exit(127);
		}
		for (;;) {
			pid_t r = waitpid(-1, &status, 0);

			if (r == s)
				_exit(exit_code(status));
			if (r == -1 && errno != EINTR)
				_exit(71);
		}
	}
	close(report[1]);
	n = read(report[0], buf, sizeof(buf) - 1);
	close(report[0]);
	buf[n > 0 ? n : 0] = '\0';
	if (strncmp(buf, "skip ", 5) == 0) {
		(void)tu_child_status(c, tu_ms(RUN_MS));
		snprintf(why, whylen, "%s", buf + 5);
		return 0;
	}
	*init = (pid_t)atol(buf);
	ck_assert_int_gt(*init, 0);
	return c;
}

/*
 * A pid namespace whose pid 1 is a fake init in the tini shape: it starts
 * oldserver (without -n) and reaps it, and exits with its status.  The
 * daemon's parent is pid 1, so it must not fork: a fork would look to the
 * init like its one child exiting, and the container would stop.
 */
START_TEST(test_parent_pid_1)
{
	struct world w;
	char buf[512], *children;
	int st, i, try;
	pid_t c = -1, init = -1, server = -1;
	long long deadline;
	bool ready = false;

	TU_NEED_ROOT();
	world_init(&w);
	ck_assert_int_eq(mkdir(w.run, 0755), 0);
	for (try = 0; try < TRIES && !ready; try++) {
		new_port(&w);
		if ((c = tini_run(&w, &init, buf, sizeof(buf))) == 0) {
			printf("%s: skipped: %s\n", __func__, buf);
			return;
		}
		/* ready: it prints, in the foreground, on its own stdout;
		 * or it exits (a port another suite took: again) */
		deadline = tu_now_ms() + tu_ms(RUN_MS);
		st = -1;
		while (tu_now_ms() < deadline) {
			if (count_in(w.out, "oldserver: ready, pid 2\n") == 1) {
				ready = true;
				break;
			}
			if (tu_wait_child(c, 0, &st) == 0)
				break;
			tu_msleep(5);
		}
		if (ready)
			break;
		if (st == -1)
			tu_kill(c);
		(void)tu_read_file(w.out, buf, sizeof(buf));
		ck_assert_msg(st != -1 && strstr(buf, tu_strerror(EADDRINUSE))
		    != NULL, "no ready line; output: %s", buf);
	}
	ck_assert(ready);
	ck_assert(hello(w.port));
	/* the process tini started is the server: pid 2 in the namespace,
	 * its parent the init, and there is no other */
	children = NULL;
	for (i = 0; i < 100 && server <= 0; i++) {
		char kids[256];

		if (tu_read_file(tu_fmt("/proc/%ld/task/%ld/children",
		    (long)init, (long)init), kids, sizeof(kids)) > 0) {
			children = tu_fmt("%s", kids);
			server = (pid_t)atol(kids);
		}
		if (server <= 0)
			tu_msleep(10);
	}
	ck_assert_msg(server > 0, "the init has no child (%s)",
	    children != NULL ? children : "");
	ck_assert_msg(strchr(children, ' ') == NULL ||
	    strchr(children, ' ')[1] == '\0', "children: %s", children);
	ck_assert_str_eq(proc_status(server, "NSpid"),
	    tu_fmt("%ld\t2", (long)server));
	ck_assert_str_eq(proc_status(server, "PPid"), tu_fmt("%ld",
	    (long)init));
	ck_assert_int_eq(tu_count_procs(w.link), 1);
	ck_assert_int_eq(tu_pidfile_pid(w.pidfile), 2);
	ck_assert(tu_lock_held(w.pidfile));
	ck_assert(!tu_exists(w.log));	/* stdio untouched */
	ck_assert_int_eq(kill(server, SIGTERM), 0);
	st = tu_child_status(c, tu_ms(STOP_MS));
	if (st == -1)
		tu_kill(c);
	ck_assert_int_eq(exit_code(st), 0);
	ck_assert_int_eq(count_in(w.out, "oldserver: stopping"), 1);
	ck_assert(!tu_exists(w.pidfile));
	ck_assert_int_eq(tu_wait_no_procs(w.link, tu_ms(STOP_MS)), 0);
}
END_TEST

/* ---- item 12: EINTR ---------------------------------------------------- */

/* Whether pid is blocked in select (or pselect6, as the C library may
 * implement it). */
static bool
in_select(pid_t pid)
{
	char buf[256];
	long nr;

	if (tu_read_file(tu_fmt("/proc/%ld/syscall", (long)pid), buf,
	    sizeof(buf)) <= 0)
		return false;
	nr = strtol(buf, NULL, 10);
#ifdef SYS_select
	if (nr == SYS_select)
		return true;
#endif
#ifdef SYS_pselect6
	if (nr == SYS_pselect6)
		return true;
#endif
	return false;
}

/* Every SIGHUP interrupts select() (SA_RESTART does not restart it):
 * the loop retries, and the daemon reloads 20 times and serves on. */
START_TEST(test_select_eintr)
{
	struct world w;
	struct args a;
	long long deadline;
	pid_t pid;
	int i;

	world_init(&w);
	ck_assert_int_eq(mkdir(w.run, 0755), 0);
	args_init(&a, &w);
	arg(&a, "-p");
	arg(&a, w.pidfile);
	arg(&a, "-l");
	arg(&a, w.log);
	pid = start_bg(&w, &a, w.pidfile);
	for (i = 1; i <= 20; i++) {
		deadline = tu_now_ms() + tu_ms(IO_MS);
		while (!in_select(pid) && tu_now_ms() < deadline)
			tu_msleep(2);
		ck_assert_msg(in_select(pid), "not waiting in select: %s",
		    tu_fmt("%s", proc_status(pid, "State")));
		ck_assert_int_eq(kill(pid, SIGHUP), 0);
		ck_assert_int_eq(wait_count(w.log, "oldserver: reloaded", i,
		    tu_ms(IO_MS)), 0);
		ck_assert(tu_alive(pid));
	}
	ck_assert(hello(w.port));
	ck_assert_int_eq(count_in(w.log, "oldserver: reloaded"), 20);
	stop_daemon(pid, w.pidfile);
	ck_assert_int_eq(tu_wait_no_procs(w.link, tu_ms(STOP_MS)), 0);
}
END_TEST

/* ---- item 13: SIGHUP at teardown --------------------------------------- */

/* The layout of the kernel's struct ptrace_syscall_info (linux/ptrace.h
 * cannot be included beside glibc's sys/ptrace.h). */
struct tp_syscall_info {
	uint8_t op;
	uint8_t pad[3];
	uint32_t arch;
	uint64_t instruction_pointer;
	uint64_t stack_pointer;
	union {
		struct {
			uint64_t nr;
			uint64_t args[6];
		} entry;
		struct {
			int64_t rval;
			uint8_t is_error;
		} exit;
	} u;
};

#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif

/* The mask field ("SigBlk", "ShdPnd") of /proc/PID/status. */
static unsigned long long
proc_mask(pid_t pid, const char *key)
{
	return strtoull(proc_status(pid, key), NULL, 16);
}

/*
 * SIGTERM, then the daemon is followed system call by system call until
 * its teardown: after it removed its pidfile (daemonize_stop), the first
 * sigprocmask that blocks SIGHUP is daemonize_free putting the handlers
 * back.  Right there a SIGHUP is sent: blocked, it stays pending while the
 * default action is restored.  The daemon must still exit 0, not die of
 * the SIGHUP (129).
 */
START_TEST(test_sighup_pending_at_teardown)
{
	struct tp_syscall_info info;
	struct world w;
	struct args a;
	long long deadline;
	bool unlinked = false, target = false, sent = false;
	int status, r;
	long word;
	pid_t pid;

	if (under_valgrind(__func__))
		return;
	world_init(&w);
	ck_assert_int_eq(mkdir(w.run, 0755), 0);
	args_init(&a, &w);
	arg(&a, "-p");
	arg(&a, w.pidfile);
	arg(&a, "-l");
	arg(&a, w.log);
	pid = start_bg(&w, &a, w.pidfile);
	if (ptrace(PTRACE_SEIZE, pid, NULL,
	    (void *)(long)PTRACE_O_TRACESYSGOOD) == -1) {
		printf("%s: skipped: ptrace: %s\n", __func__, strerror(errno));
		stop_daemon(pid, w.pidfile);
		return;
	}
	ck_assert_int_eq(ptrace(PTRACE_INTERRUPT, pid, NULL, NULL), 0);
	ck_assert_int_eq(waitpid(pid, &status, __WALL), pid);
	ck_assert(WIFSTOPPED(status));
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(ptrace(PTRACE_SYSCALL, pid, NULL, NULL), 0);
	deadline = tu_now_ms() + tu_ms(RUN_MS);
	while (!sent) {
		ck_assert_msg(tu_now_ms() < deadline, "teardown never seen");
		r = waitpid(pid, &status, __WALL | WNOHANG);
		if (r == 0) {
			tu_msleep(1);
			continue;
		}
		ck_assert_int_eq(r, pid);
		ck_assert_msg(WIFSTOPPED(status), "ended (%#x) before its "
		    "teardown was seen", status);
		if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			memset(&info, 0, sizeof(info));
			ck_assert_int_gt(ptrace(PTRACE_GET_SYSCALL_INFO, pid,
			    (void *)sizeof(info), &info), 0);
			if (info.op == 1) {	/* entry */
#ifdef SYS_unlink
				if (info.u.entry.nr == SYS_unlink)
					unlinked = true;
#endif
				if (info.u.entry.nr == SYS_unlinkat)
					unlinked = true;
				if (unlinked &&
				    info.u.entry.nr == SYS_rt_sigprocmask &&
				    info.u.entry.args[0] == SIG_BLOCK &&
				    info.u.entry.args[1] != 0) {
					errno = 0;
					word = ptrace(PTRACE_PEEKDATA, pid,
					    (void *)info.u.entry.args[1], NULL);
					ck_assert_int_eq(errno, 0);
					target = (word & (1L << (SIGHUP - 1))) &&
					    (word & (1L << (SIGTERM - 1)));
				}
			} else if (info.op == 2 && target) {	/* exit */
				ck_assert_int_eq(info.u.exit.rval, 0);
				ck_assert_int_eq(kill(pid, SIGHUP), 0);
				/* pending, and blocked: it stays pending */
				ck_assert(proc_mask(pid, "ShdPnd") &
				    (1ULL << (SIGHUP - 1)));
				ck_assert(proc_mask(pid, "SigBlk") &
				    (1ULL << (SIGHUP - 1)));
				ck_assert_int_eq(ptrace(PTRACE_DETACH, pid, NULL,
				    NULL), 0);
				sent = true;
				continue;
			}
			ck_assert_int_eq(ptrace(PTRACE_SYSCALL, pid, NULL,
			    NULL), 0);
		} else if (status >> 16 == PTRACE_EVENT_STOP) {
			ck_assert_int_eq(ptrace(PTRACE_SYSCALL, pid, NULL,
			    NULL), 0);
		} else {
			/* signal-delivery stop (SIGTERM): deliver it */
			ck_assert_int_eq(ptrace(PTRACE_SYSCALL, pid, NULL,
			    (void *)(long)WSTOPSIG(status)), 0);
		}
	}
	ck_assert_int_eq(reap(pid, tu_ms(STOP_MS)), 0);
	ck_assert(!tu_exists(w.pidfile));
	ck_assert_int_eq(count_in(w.log, "oldserver: stopping"), 1);
	ck_assert_int_eq(tu_wait_no_procs(w.link, tu_ms(STOP_MS)), 0);
}
END_TEST

/* ---- the suite --------------------------------------------------------- */

static Suite *
porting_suite(void)
{
	Suite *s = suite_create("porting");
	TCase *tc;

	tc = tcase_create("logger");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, subreaper, NULL);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_logger_survives_start);
	tcase_add_loop_test(tc, test_closed_stdio_at_start, 0, 4);
	suite_add_tcase(s, tc);

	tc = tcase_create("start");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, subreaper, NULL);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_second_instance);
	tcase_add_test(tc, test_stderr_reaches_terminal);
	tcase_add_test(tc, test_notify_fd);
	tcase_add_test(tc, test_stopped_intermediate);
	tcase_add_test(tc, test_stopped_daemon_left_running);
	tcase_add_test(tc, test_parent_pid_1);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, subreaper, NULL);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_fail_leaves_nothing);
	tcase_add_test(tc, test_fail_keeps_existing_log);
	tcase_add_test(tc, test_bind_failure_leaves_nothing);
	tcase_add_loop_test(tc, test_lock_failure_leaves_nothing, 0, 2);
	tcase_add_test(tc, test_foreground_fail_leaves_nothing);
	tcase_add_test(tc, test_supervised_failure);
	tcase_add_test(tc, test_supervised_life);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifetime");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, subreaper, NULL);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_log_reopen_after_drop);
	tcase_add_test(tc, test_pidfile_removed_in_runtime_dir);
	tcase_add_test(tc, test_select_eintr);
	tcase_add_test(tc, test_sighup_pending_at_teardown);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(porting_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

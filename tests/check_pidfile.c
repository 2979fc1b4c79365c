/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * check_pidfile.c - the locked pidfile (lib/pidfile.c) and its trust rules
 * (lib/trust.c): open, write and release through the internal step
 * functions, the content parser (dz_parse_pid), the three public readers
 * (daemonize_pidfile_state, _signal, _terminate), the runtime directory,
 * the attacks of tracker issue 11 (symlink race, foreign pidfile, dead
 * daemon with an inherited lock, pid reuse, pid namespaces, hard links,
 * pidfile == log, a removed pidfile) and the race of 32 concurrent starts
 * through tests/helper.
 *
 * Check runs each test in its own forked process, so a test may close fds,
 * change its umask or fork freely.  Every child a test forks exits on its
 * own within seconds (alarm) so nothing outlives a failed test for long.
 * Tests that need root print "skipped: not root" and return otherwise.
 */
#include "util.h"
#include "trust.h"
#include "pidfile.h"
#include "stdfds.h"

#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemonize.h"
#include "testutil.h"

#define NOBODY  65534
#define NOGROUP 65534

/* ---- helpers ------------------------------------------------------------- */

static void
put_file(const char *path, const char *content, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

static char *
content(const char *path)
{
	static char buf[4096];

	ck_assert_int_ge(tu_read_file(path, buf, sizeof(buf)), 0);
	return buf;
}

/* The trust of a process without a target user: root and ourselves. */
static struct dz_owners owners;
static struct dz_err err;

/* A fresh pidfile step state for path (NULL: none configured). */
static struct dz_pidfile *
pf_new(const char *path)
{
	struct dz_pidfile *pf = malloc(sizeof(*pf));

	ck_assert_ptr_nonnull(pf);
	dz_pidfile_init(pf);
	if (path != NULL)
		ck_assert_ptr_nonnull(pf->path = strdup(path));
	return pf;
}

static int
pf_open(struct dz_pidfile *pf)
{
	dz_owners_init(&owners, false, 0);
	err.text[0] = '\0';
	return dz_pidfile_open(pf, &owners, &err);
}

static int
pf_write(struct dz_pidfile *pf)
{
	err.text[0] = '\0';
	return dz_pidfile_write(pf, &err);
}

static void
pf_free(struct dz_pidfile *pf)
{
	dz_pidfile_clear(pf);
	free(pf);
}

/* Assert errno and the exact error text of the last step call. */
static void
assert_err(int want_errno, int got_errno, const char *want)
{
	ck_assert_msg(got_errno == want_errno, "errno %d (%s), expected %d "
	    "(%s); text: %s", got_errno, strerror(got_errno), want_errno,
	    strerror(want_errno), err.text);
	ck_assert_str_eq(err.text, want);
}

/* ---- the public readers, each through a context of its own --------------- */

static char rtext[DZ_ERRLEN];

static struct daemonize *
reader(const char *path, const char *user)
{
	struct daemonize *d = tu_ctx("pidtest");

	if (path != NULL)
		ck_assert_int_eq(daemonize_set_pidfile(d, path), 0);
	if (user != NULL)
		ck_assert_int_eq(daemonize_set_user(d, user, NULL), 0);
	return d;
}

/* After a reader call on d that returned r: keep errno and the text (in
 * rtext), free d, return r. */
static int
reader_done(struct daemonize *d, int r)
{
	int saved = errno;

	dz_strlcpy_safe(rtext, daemonize_error(d), sizeof(rtext));
	daemonize_free(d);
	errno = saved;
	return r;
}

/* daemonize_pidfile_state(); errno and the text (rtext) kept. */
static int
rstate_as(const char *path, const char *user, pid_t *pid)
{
	struct daemonize *d = reader(path, user);

	return reader_done(d, daemonize_pidfile_state(d, pid));
}

static int
rstate(const char *path, pid_t *pid)
{
	return rstate_as(path, NULL, pid);
}

static int
rsignal(const char *path, int signo)
{
	struct daemonize *d = reader(path, NULL);

	return reader_done(d, daemonize_pidfile_signal(d, signo));
}

static int
rterm(const char *path, int signo, unsigned int ms)
{
	struct daemonize *d = reader(path, NULL);

	return reader_done(d, daemonize_pidfile_terminate(d, signo, ms));
}

#define assert_rtext(frag) ck_assert_msg(strstr(rtext, (frag)) != NULL, \
	"\"%s\" not in \"%s\"", (frag), rtext)

/* The state of path, asserted to be want, with *pid want_pid. */
static void
assert_state(const char *path, int want, pid_t want_pid)
{
	pid_t pid = -77;
	int r = rstate(path, &pid);

	ck_assert_msg(r == want, "state %d, expected %d (pid %ld): %s", r,
	    want, (long)pid, rtext);
	ck_assert_int_eq(pid, want_pid);
}

/* ---- processes ------------------------------------------------------------ */

/* Another open file description that holds LOCK_EX on path, with the given
 * content, as a running daemon would. */
static int
hold(const char *path, const char *content, size_t len)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	if (len > 0)
		ck_assert_int_eq(pwrite(fd, content, len, 0), (ssize_t)len);
	return fd;
}

/* A child that sleeps (at most 20 s): a live pid that is not a daemon. */
static pid_t
sleeper(void)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm((unsigned int)tu_ms(20000) / 1000);
		for (;;)
			pause();
	}
	return pid;
}

/* Read one line ("ok ..." or a failure) that a child writes to fd, within
 * ms; the text in a static buffer, "" on timeout. */
static const char *
read_line(int fd, int ms)
{
	static char buf[1024];
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t off = 0;
	ssize_t n;
	long long deadline = tu_now_ms() + ms;

	buf[0] = '\0';
	while (off < sizeof(buf) - 1) {
		int left = (int)(deadline - tu_now_ms());

		if (left <= 0 || poll(&pfd, 1, left) != 1)
			break;
		n = read(fd, buf + off, sizeof(buf) - 1 - off);
		if (n <= 0)
			break;
		off += (size_t)n;
		buf[off] = '\0';
		if (memchr(buf, '\n', off) != NULL)
			break;
	}
	return buf;
}

/* A fake daemon: locks path, writes "PID\n", then waits for signals (at
 * most 20 s).  With ignore_term it survives SIGTERM.  Returns once the pid
 * is in the file. */
static pid_t
fake_daemon(const char *path, bool ignore_term)
{
	int p[2];
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char buf[32];
		int fd, n;

		close(p[0]);
		alarm((unsigned int)tu_ms(20000) / 1000);
		signal(SIGTERM, ignore_term ? SIG_IGN : SIG_DFL);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd == -1 || flock(fd, LOCK_EX | LOCK_NB) == -1 ||
		    ftruncate(fd, 0) == -1)
			_exit(2);
		n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
		if (pwrite(fd, buf, (size_t)n, 0) != n ||
		    write(p[1], "ok\n", 3) != 3)
			_exit(3);
		for (;;)
			pause();
	}
	close(p[1]);
	ck_assert_str_eq(read_line(p[0], tu_ms(5000)), "ok\n");
	close(p[0]);
	return pid;
}

/* What lib_daemon does besides the start. */
#define LD_WORKER  0x1	/* fork a worker that inherits the lock */
#define LD_PORT    0x2	/* bind 127.0.0.1:port and listen */
#define LD_LINGER  0x4	/* after stop on SIGTERM, keep the port 300 ms */

struct lib_daemon {
	pid_t pid;
	pid_t worker;
	int port;
};

/*
 * A daemon made by the library in a child of this test: foreground mode
 * (every step but the fork), pidfile path, optionally user; on SIGTERM it
 * calls daemonize_stop and exits 0.  Returns once start returned 0 there,
 * with its pid (and its worker's); fails the test if start failed.
 */
static void
lib_daemon(struct lib_daemon *ld, const char *path, const char *user,
    int flags)
{
	const char *line;
	long w = 0;
	int p[2];

	memset(ld, 0, sizeof(*ld));
	ld->worker = -1;
	if (flags & LD_PORT)
		ld->port = tu_free_port();
	ck_assert_int_eq(pipe(p), 0);
	ld->pid = fork();
	ck_assert_int_ge(ld->pid, 0);
	if (ld->pid == 0) {
		struct daemonize *d;
		struct sockaddr_in sin;
		pid_t worker = 0;
		int one = 1, s = -1, sig;

		close(p[0]);
		alarm((unsigned int)tu_ms(20000) / 1000);
		tu_clean_env();
		if (flags & LD_PORT) {
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			sin.sin_port = htons((uint16_t)ld->port);
			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			s = socket(AF_INET, SOCK_STREAM, 0);
			(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
			    sizeof(one));
			if (s == -1 || bind(s, (struct sockaddr *)&sin,
			    sizeof(sin)) == -1 || listen(s, 4) == -1) {
				dprintf(p[1], "bind: %s\n", strerror(errno));
				_exit(1);
			}
		}
		d = daemonize_new("pidtest");
		if (d == NULL || daemonize_set_pidfile(d, path) == -1 ||
		    daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND) == -1 ||
		    (user != NULL &&
		    daemonize_set_user(d, user, NULL) == -1) ||
		    daemonize_start(d) != 0) {
			dprintf(p[1], "start: %s\n", d != NULL ?
			    daemonize_error(d) : "no context");
			_exit(1);
		}
		if (flags & LD_WORKER) {
			if ((worker = fork()) == 0) {
				alarm((unsigned int)tu_ms(20000) / 1000);
				for (;;)
					pause();
			}
		}
		dprintf(p[1], "ok %ld\n", (long)worker);
		close(p[1]);
		for (;;) {
			sig = daemonize_next_signal(d, -1);
			if (sig == SIGTERM) {
				daemonize_stop(d);
				if (flags & LD_LINGER)
					tu_msleep(300);
				daemonize_free(d);
				_exit(0);
			}
			if (sig == -1 && errno != EINTR)
				_exit(4);
		}
	}
	close(p[1]);
	line = read_line(p[0], tu_ms(5000));
	close(p[0]);
	if (strncmp(line, "ok ", 3) != 0)
		tu_kill(ld->pid);
	ck_assert_msg(strncmp(line, "ok ", 3) == 0, "daemon: %s", line);
	w = strtol(line + 3, NULL, 10);
	ld->worker = w > 0 ? (pid_t)w : -1;
}

/* Become nobody/nogroup by hand (not through the library). */
static int
become_nobody(void)
{
	gid_t g = NOGROUP;

	if (setgroups(1, &g) == -1 ||
	    setresgid(NOGROUP, NOGROUP, NOGROUP) == -1 ||
	    setresuid(NOBODY, NOBODY, NOBODY) == -1)
		return -1;
	return 0;
}

/* ---- parse --------------------------------------------------------------- */

struct parse_case {
	const char *in;
	size_t len;         /* 0: strlen(in) */
	int err;            /* 0: valid */
	long pid;
};

static const struct parse_case parse_cases[] = {
	{ "1", 0, 0, 1 },
	{ "123\n", 0, 0, 123 },
	{ "123", 0, 0, 123 },
	{ "  123  \n", 0, 0, 123 },
	{ "\t42\r\n", 0, 0, 42 },
	{ "\n\n7\n\n", 0, 0, 7 },
	{ "0042\n", 0, 0, 42 },
	{ "2147483647\n", 0, 0, 2147483647L },
	{ "", 0, EINVAL, 0 },
	{ " ", 0, EINVAL, 0 },
	{ "\n", 0, EINVAL, 0 },
	{ "abc", 0, EINVAL, 0 },
	{ "12a", 0, EINVAL, 0 },
	{ "a12", 0, EINVAL, 0 },
	{ "-5\n", 0, EINVAL, 0 },
	{ "+5\n", 0, EINVAL, 0 },
	{ "- 5", 0, EINVAL, 0 },
	{ "0", 0, EINVAL, 0 },
	{ "000\n", 0, EINVAL, 0 },
	{ "12 34\n", 0, EINVAL, 0 },
	{ "0x10", 0, EINVAL, 0 },
	{ "1e3", 0, EINVAL, 0 },
	{ "12.0", 0, EINVAL, 0 },
	{ "12\0", 3, EINVAL, 0 },        /* an embedded NUL is garbage */
	{ "\0" "12", 3, EINVAL, 0 },
	{ "1\0" "2", 3, EINVAL, 0 },
	{ "2147483648\n", 0, ERANGE, 0 },
	{ "99999999999999999999999999999999\n", 0, ERANGE, 0 },
	{ "18446744073709551617", 0, ERANGE, 0 },
};

START_TEST(test_parse_table)
{
	const struct parse_case *c = &parse_cases[_i];
	size_t len = c->len != 0 ? c->len : strlen(c->in);
	pid_t pid = 4242;
	char *buf;

	/* Exactly len bytes, no terminator: a read past the end is caught
	 * by valgrind and ASan. */
	buf = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, c->in, len);
	errno = 0;
	if (c->err == 0) {
		ck_assert_msg(dz_parse_pid(buf, len, &pid) == 0,
		    "case %d rejected: %s", _i, strerror(errno));
		ck_assert_int_eq(pid, c->pid);
	} else {
		ck_assert_msg(dz_parse_pid(buf, len, &pid) == -1,
		    "case %d accepted as %ld", _i, (long)pid);
		ck_assert_int_eq(errno, c->err);
		ck_assert_int_eq(pid, 4242);    /* untouched on failure */
	}
	free(buf);
}
END_TEST

START_TEST(test_parse_bounds)
{
	char big[4096];
	pid_t pid = 4242;

	/* Only len bytes count: "12345" read as its first two bytes. */
	ck_assert_int_eq(dz_parse_pid("12345", 2, &pid), 0);
	ck_assert_int_eq(pid, 12);
	/* Huge input is refused without looking at it all. */
	memset(big, '1', sizeof(big));
	ck_assert_int_eq(dz_parse_pid(big, sizeof(big), &pid), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* DZ_PID_MAXLEN bytes are fine, one more is not, whatever they
	 * hold. */
	memset(big, ' ', sizeof(big));
	big[DZ_PID_MAXLEN - 1] = '7';
	ck_assert_int_eq(dz_parse_pid(big, DZ_PID_MAXLEN, &pid), 0);
	ck_assert_int_eq(pid, 7);
	ck_assert_int_eq(dz_parse_pid(big, DZ_PID_MAXLEN + 1, &pid), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(dz_parse_pid(NULL, 0, &pid), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(dz_parse_pid("1", 1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(pid, 7);
}
END_TEST

/* ---- configuration ---------------------------------------------------------- */

START_TEST(test_set_pidfile)
{
	char *dir = tu_tmpdir();
	char *sub = tu_fmt("%s/sub", dir);
	struct daemonize *d = tu_ctx("pidtest");

	tu_clean_env();
	errno = 0;
	ck_assert_int_eq(daemonize_set_pidfile(NULL, "/x.pid"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(daemonize_set_pidfile(d, ""), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, "pidfile: empty path");
	/* A failed setter changed nothing: no pidfile for the readers. */
	ck_assert_int_eq(daemonize_pidfile_state(d, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, "pidfile: no pidfile configured "
	    "(daemonize_set_pidfile)");

	/* Relative paths are made absolute now: the daemon chdirs.  The
	 * lock below runs in another directory and creates dir/rel.pid. */
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(daemonize_set_pidfile(d, "rel.pid"), 0);
	ck_assert_int_eq(chdir(sub), 0);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_msg(daemonize_lock(d) == 0, "%s", daemonize_error(d));
	ck_assert(tu_exists(tu_fmt("%s/rel.pid", dir)));
	ck_assert(!tu_exists(tu_fmt("%s/rel.pid", sub)));
	ck_assert(tu_lock_held(tu_fmt("%s/rel.pid", dir)));
	/* Locked: configuration is refused, and changes nothing. */
	errno = 0;
	ck_assert_int_eq(daemonize_set_pidfile(d, "/x.pid"), -1);
	ck_assert_int_eq(errno, EBUSY);
	tu_assert_text(d, "pidfile: configuration cannot change after "
	    "daemonize_lock or daemonize_start");
	ck_assert_int_eq(daemonize_set_runtime_dir(d, "/run/x"), -1);
	ck_assert_int_eq(errno, EBUSY);
	/* Stop after a lock without start removes the fresh file. */
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(tu_fmt("%s/rel.pid", dir)));
	daemonize_free(d);

	/* Last call wins, NULL clears: a lock then creates nothing. */
	d = tu_ctx("pidtest");
	ck_assert_int_eq(daemonize_set_pidfile(d, tu_fmt("%s/a.pid", dir)),
	    0);
	ck_assert_int_eq(daemonize_set_pidfile(d, tu_fmt("%s/b.pid", dir)),
	    0);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_msg(daemonize_lock(d) == 0, "%s", daemonize_error(d));
	ck_assert(!tu_exists(tu_fmt("%s/a.pid", dir)));
	ck_assert(tu_lock_held(tu_fmt("%s/b.pid", dir)));
	/* free after a lock that never wrote a pid removes it too. */
	daemonize_free(d);
	ck_assert(!tu_exists(tu_fmt("%s/b.pid", dir)));
	d = tu_ctx("pidtest");
	ck_assert_int_eq(daemonize_set_pidfile(d, tu_fmt("%s/c.pid", dir)),
	    0);
	ck_assert_int_eq(daemonize_set_pidfile(d, NULL), 0);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_msg(daemonize_lock(d) == 0, "%s", daemonize_error(d));
	ck_assert(!tu_exists(tu_fmt("%s/c.pid", dir)));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_no_pidfile)
{
	struct dz_pidfile *pf = pf_new(NULL);
	int nfds = tu_nfds(0);

	ck_assert_int_eq(pf_open(pf), 0);
	ck_assert_int_eq(pf->fd, -1);
	ck_assert_int_eq(pf_write(pf), 0);
	ck_assert_int_eq(pf->written_by, 0);
	errno = 1234;
	dz_pidfile_release(pf, true);
	ck_assert_int_eq(errno, 1234);
	ck_assert_int_eq(tu_nfds(0), nfds);
	pf_free(pf);
}
END_TEST

/* ---- open, write, release ------------------------------------------------ */

START_TEST(test_open_write_release)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/d.pid", dir);
	struct dz_pidfile *pf = pf_new(path);
	int nfds = tu_nfds(0), flags;
	struct stat st;

	umask(022);
	ck_assert_msg(pf_open(pf) == 0, "%s", err.text);
	ck_assert_int_ge(pf->fd, 3);
	ck_assert_int_eq(tu_nfds(0), nfds + 1);
	flags = fcntl(pf->fd, F_GETFD);
	ck_assert_int_ne(flags, -1);
	ck_assert(flags & FD_CLOEXEC);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	ck_assert(st.st_dev == pf->dev && st.st_ino == pf->ino);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert(pf->created);
	ck_assert(tu_lock_held(path));
	ck_assert_int_eq(pf->written_by, 0);
	/* Locked, no pid yet: "starting". */
	assert_state(path, DAEMONIZE_PIDFILE_STARTING, 0);
	/* A second open on the same state is refused. */
	ck_assert_int_eq(pf_open(pf), -1);
	assert_err(EALREADY, errno, tu_fmt("pidfile: %s: already open: %s",
	    path, strerror(EALREADY)));

	ck_assert_int_eq(pf_write(pf), 0);
	ck_assert_int_eq(pf->written_by, getpid());
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)getpid()));
	/* Writing again gives the same single line. */
	ck_assert_int_eq(pf_write(pf), 0);
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)getpid()));
	/* We hold it: verified. */
	assert_state(path, DAEMONIZE_PIDFILE_RUNNING, getpid());

	dz_pidfile_release(pf, true);
	ck_assert(!tu_exists(path));
	ck_assert_int_eq(pf->fd, -1);
	ck_assert_int_eq(pf->written_by, 0);
	ck_assert_str_eq(pf->path, path);    /* kept */
	ck_assert_int_eq(tu_nfds(0), nfds);
	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	/* Idempotent, errno preserved. */
	errno = 4321;
	dz_pidfile_release(pf, true);
	dz_pidfile_release(pf, false);
	ck_assert_int_eq(errno, 4321);
	/* The state can open again once released. */
	ck_assert_int_eq(pf_open(pf), 0);
	dz_pidfile_release(pf, true);
	ck_assert(!tu_exists(path));
	pf_free(pf);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_write_not_open)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/n.pid", dir);
	struct dz_pidfile *pf = pf_new(path);

	ck_assert_int_eq(pf_write(pf), -1);
	assert_err(EBADF, errno, tu_fmt("pidfile: %s: not open: %s", path,
	    strerror(EBADF)));
	ck_assert(!tu_exists(path));
	pf_free(pf);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* An existing file with a stale pid is reused and truncated at once. */
START_TEST(test_open_existing_stale)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/s.pid", dir);
	struct dz_pidfile *pf = pf_new(path);
	struct stat st;

	put_file(path, "999999\n", 7);
	ck_assert_msg(pf_open(pf) == 0, "%s", err.text);
	ck_assert(!pf->created);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(pf_write(pf), 0);
	assert_state(path, DAEMONIZE_PIDFILE_RUNNING, getpid());
	pf_free(pf);		/* release(false): the file stays */
	ck_assert(tu_exists(path));
	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	ck_assert(!tu_lock_held(path));
	/* A failed start that did not create the file truncates it but
	 * never removes it (it was there before). */
	pf = pf_new(path);
	ck_assert_int_eq(pf_open(pf), 0);
	dz_pidfile_release(pf, true);
	ck_assert(tu_exists(path));
	ck_assert_str_eq(content(path), "");
	pf_free(pf);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_second_instance)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/two.pid", dir);
	struct dz_pidfile *p1 = pf_new(path), *p2 = pf_new(path);
	int nfds;

	ck_assert_int_eq(pf_open(p1), 0);
	/* The first has not written its pid yet: "starting up". */
	nfds = tu_nfds(0);
	ck_assert_int_eq(pf_open(p2), -1);
	assert_err(EEXIST, errno, tu_fmt("pidfile: %s: already running, pid "
	    "unknown (starting up)", path));
	ck_assert_int_eq(p2->fd, -1);
	ck_assert_int_eq(tu_nfds(0), nfds);

	ck_assert_int_eq(pf_write(p1), 0);
	ck_assert_int_eq(pf_open(p2), -1);
	assert_err(EEXIST, errno, tu_fmt("pidfile: %s: already running, pid "
	    "%ld", path, (long)getpid()));
	ck_assert_int_eq(tu_nfds(0), nfds);
	/* The loser touched nothing: content, lock and file are the first's. */
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)getpid()));
	ck_assert(tu_lock_held(path));
	/* Its release (start's failure path) must not remove the file. */
	dz_pidfile_release(p2, true);
	ck_assert(tu_exists(path));
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)getpid()));

	dz_pidfile_release(p1, true);
	ck_assert(!tu_exists(path));
	/* Now the second one gets it. */
	ck_assert_int_eq(pf_open(p2), 0);
	dz_pidfile_release(p2, true);
	ck_assert(!tu_exists(path));
	pf_free(p1);
	pf_free(p2);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The holder is another process (the usual case), with a foreign pid. */
START_TEST(test_second_instance_other_process)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/o.pid", dir);
	struct dz_pidfile *pf = pf_new(path);
	pid_t pid = fake_daemon(path, false);

	ck_assert_int_eq(pf_open(pf), -1);
	assert_err(EEXIST, errno, tu_fmt("pidfile: %s: already running, pid "
	    "%ld", path, (long)pid));
	/* The same through the public lock. */
	{
		struct daemonize *d = reader(path, NULL);

		tu_clean_env();
		ck_assert_int_eq(daemonize_set_mode(d,
		    DAEMONIZE_MODE_FOREGROUND), 0);
		ck_assert_int_eq(daemonize_lock(d), -1);
		ck_assert_int_eq(errno, EEXIST);
		ck_assert_str_eq(daemonize_error(d), tu_fmt("pidfile: %s: "
		    "already running, pid %ld", path, (long)pid));
		daemonize_free(d);
		ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)pid));
	}
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert(WIFSIGNALED(tu_child_status(pid, tu_ms(5000))));
	/* Its lock died with it: the file is ours now.  It was there
	 * before: a release that wrote no pid truncates, never removes. */
	ck_assert_int_eq(pf_open(pf), 0);
	ck_assert(!pf->created);
	dz_pidfile_release(pf, true);
	ck_assert_str_eq(content(path), "");
	ck_assert_int_eq(unlink(path), 0);
	pf_free(pf);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_refuse_symlink)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/link.pid", dir);
	char *target = tu_fmt("%s/precious", dir);
	char *dangling = tu_fmt("%s/dangling.pid", dir);
	char *nowhere = tu_fmt("%s/nowhere", dir);
	struct dz_pidfile *pf = pf_new(path), *p2 = pf_new(dangling);
	int nfds = tu_nfds(0);
	struct stat st;

	put_file(target, "precious\n", 9);
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(pf_open(pf), -1);
	assert_err(ELOOP, errno, tu_fmt("pidfile: %s: is a symbolic link, "
	    "refusing to follow it: %s", path, strerror(ELOOP)));
	ck_assert_int_eq(pf->fd, -1);
	ck_assert_int_eq(tu_nfds(0), nfds);
	/* The target is untouched and unlocked. */
	ck_assert_str_eq(content(target), "precious\n");
	ck_assert(!tu_lock_held(target));
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	/* Releasing after the failure does nothing to either. */
	dz_pidfile_release(pf, true);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_str_eq(content(target), "precious\n");

	/* A dangling symlink must not create its target. */
	ck_assert_int_eq(symlink(nowhere, dangling), 0);
	ck_assert_int_eq(pf_open(p2), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert(!tu_exists(nowhere));
	ck_assert_int_eq(tu_nfds(0), nfds);

	/* The readers do not follow it either. */
	ck_assert_int_eq(rstate(path, NULL), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_str_eq(rtext, tu_fmt("pidfile: %s: is a symbolic link, "
	    "refusing to follow it: %s", path, strerror(ELOOP)));
	ck_assert_int_eq(rsignal(path, 0), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(rterm(path, SIGTERM, (unsigned int)tu_ms(100)), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(tu_nfds(0), nfds);

	pf_free(pf);
	pf_free(p2);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(unlink(dangling), 0);
	ck_assert_int_eq(unlink(target), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_refuse_nonregular)
{
	char *dir = tu_tmpdir();
	char *sub = tu_fmt("%s/sub", dir);
	char *fifo = tu_fmt("%s/fifo", dir);
	struct dz_pidfile *pf = pf_new(sub), *p2 = pf_new(fifo);
	int nfds = tu_nfds(0);
	struct stat st;

	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(pf_open(pf), -1);
	assert_err(EINVAL, errno, tu_fmt("pidfile: %s: not a regular file: "
	    "%s", sub, strerror(EINVAL)));
	/* A fifo: refused, and opening it must not block. */
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	ck_assert_int_eq(pf_open(p2), -1);
	assert_err(EINVAL, errno, tu_fmt("pidfile: %s: not a regular file: "
	    "%s", fifo, strerror(EINVAL)));
	ck_assert_int_eq(tu_nfds(0), nfds);
	ck_assert_int_eq(lstat(fifo, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	dz_pidfile_release(p2, true);
	ck_assert(tu_exists(fifo));
	/* Readers refuse them too, and do not block on the fifo. */
	ck_assert_int_eq(rstate(sub, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(rtext, tu_fmt("pidfile: %s: not a regular file: %s",
	    sub, strerror(EINVAL)));
	ck_assert_int_eq(rstate(fifo, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(rsignal(fifo, SIGTERM), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tu_nfds(0), nfds);
	pf_free(pf);
	pf_free(p2);
	ck_assert_int_eq(unlink(fifo), 0);
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_missing_directory)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/nodir/x.pid", dir);
	struct dz_pidfile *pf = pf_new(path);
	int nfds = tu_nfds(0);

	ck_assert_int_eq(pf_open(pf), -1);
	assert_err(ENOENT, errno, tu_fmt("pidfile: %s: its directory "
	    "%s/nodir: %s", path, dir, strerror(ENOENT)));
	ck_assert_int_eq(tu_nfds(0), nfds);
	ck_assert(!tu_exists(tu_fmt("%s/nodir", dir)));
	/* Readers: a missing file (or directory) is "not running". */
	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	pf_free(pf);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* With fd 1 closed the pidfile would land on it; it must not. */
START_TEST(test_fd_not_on_stdio)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/fd.pid", dir);
	struct dz_pidfile *pf = pf_new(path);
	int flags;

	ck_assert_int_eq(close(1), 0);
	ck_assert_int_eq(pf_open(pf), 0);
	ck_assert_int_ge(pf->fd, 3);
	flags = fcntl(pf->fd, F_GETFD);
	ck_assert(flags != -1 && (flags & FD_CLOEXEC));
	/* fd 1 stays closed: nothing was left on it. */
	ck_assert_int_eq(fcntl(1, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert(tu_lock_held(path));
	ck_assert_int_eq(pf_write(pf), 0);
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)getpid()));
	dz_pidfile_release(pf, true);
	ck_assert(!tu_exists(path));
	pf_free(pf);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_fd_not_on_stdio_all_closed)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/fd3.pid", dir);
	struct dz_pidfile *pf = pf_new(path);
	int fd;

	close(0);
	close(1);
	close(2);
	ck_assert_int_eq(pf_open(pf), 0);
	ck_assert_int_ge(pf->fd, 3);
	for (fd = 0; fd < 3; fd++)
		ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert(tu_lock_held(path));
	dz_pidfile_release(pf, true);
	ck_assert(!tu_exists(path));
	pf_free(pf);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A failed start: the original process opened it, wrote nothing, and
 * releases with remove: no file is left behind. */
START_TEST(test_release_unwritten_removes)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/u.pid", dir);
	struct dz_pidfile *pf = pf_new(path);

	ck_assert_int_eq(pf_open(pf), 0);
	ck_assert_int_eq(pf->written_by, 0);
	dz_pidfile_release(pf, true);
	ck_assert(!tu_exists(path));
	pf_free(pf);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_release_keep)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/k.pid", dir);
	struct dz_pidfile *pf = pf_new(path);

	ck_assert_int_eq(pf_open(pf), 0);
	ck_assert_int_eq(pf_write(pf), 0);
	dz_pidfile_release(pf, false);
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)getpid()));
	ck_assert(!tu_lock_held(path));
	ck_assert_int_eq(pf->fd, -1);
	pf_free(pf);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A forked worker inherits the state; its release must neither remove
 * nor truncate the daemon's file, nor release the daemon's lock. */
START_TEST(test_release_in_worker)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/w.pid", dir);
	struct dz_pidfile *pf = pf_new(path);
	char *want;
	pid_t pid;
	int status;

	ck_assert_int_eq(pf_open(pf), 0);
	ck_assert_int_eq(pf_write(pf), 0);
	want = tu_fmt("%ld\n", (long)getpid());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm((unsigned int)tu_ms(10000) / 1000);
		dz_pidfile_release(pf, true);
		_exit(pf->fd == -1 ? 0 : 1);
	}
	status = tu_child_status(pid, tu_ms(5000));
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_str_eq(content(path), want);
	ck_assert(tu_lock_held(path));
	assert_state(path, DAEMONIZE_PIDFILE_RUNNING, getpid());
	dz_pidfile_release(pf, true);
	ck_assert(!tu_exists(path));
	pf_free(pf);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The file was replaced (renamed over) while we held it, as after a
 * chroot where the name means something else: the other file is left
 * alone and our own inode is truncated. */
START_TEST(test_release_replaced)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/r.pid", dir);
	char *old = tu_fmt("%s/r.old", dir);
	char *other = tu_fmt("%s/r.new", dir);
	struct dz_pidfile *pf = pf_new(path);
	struct stat st;

	ck_assert_int_eq(pf_open(pf), 0);
	ck_assert_int_eq(pf_write(pf), 0);
	ck_assert_int_eq(link(path, old), 0);   /* keep our inode visible */
	put_file(other, "someone else\n", 13);
	ck_assert_int_eq(rename(other, path), 0);
	dz_pidfile_release(pf, true);
	ck_assert_str_eq(content(path), "someone else\n");
	ck_assert_int_eq(lstat(old, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert(!tu_lock_held(old));
	pf_free(pf);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(unlink(old), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* After a privilege drop the daemon may not unlink its file: it truncates
 * it through its descriptor instead. */
START_TEST(test_release_truncates_when_unlink_fails)
{
	char *dir, *path;
	struct stat st;
	pid_t pid;
	int status;

	TU_NEED_ROOT();
	dir = tu_tmpdir();              /* root's */
	ck_assert_int_eq(chmod(dir, 0755), 0);
	path = tu_fmt("%s/t.pid", dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct dz_pidfile *pf = pf_new(path);

		alarm((unsigned int)tu_ms(10000) / 1000);
		if (pf_open(pf) == -1 || pf_write(pf) == -1)
			_exit(2);
		if (become_nobody() == -1)
			_exit(3);
		if (unlink(path) != -1 || errno != EACCES)
			_exit(4);       /* the premise of the test */
		dz_pidfile_release(pf, true);
		_exit(pf->fd == -1 ? 0 : 5);
	}
	status = tu_child_status(pid, tu_ms(5000));
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert(!tu_lock_held(path));
	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---- readers --------------------------------------------------------------- */

struct reader_case {
	const char *content;
	size_t len;         /* 0: strlen */
};

static const struct reader_case reader_cases[] = {
	{ "", 0 },
	{ "garbage\n", 0 },
	{ "-1\n", 0 },
	{ "0\n", 0 },
	{ "0", 0 },
	{ "12 34\n", 0 },
	{ "99999999999999999999\n", 0 },
	{ "1\0" "2\n", 4 },
	{ NULL, 0 },        /* huge: 64 KiB of digits */
};

static char *
reader_content(const struct reader_case *c, size_t *len)
{
	char *buf;

	if (c->content == NULL) {
		*len = 65536;
		buf = malloc(*len);
		ck_assert_ptr_nonnull(buf);
		memset(buf, '1', *len);
		return buf;
	}
	*len = c->len != 0 ? c->len : strlen(c->content);
	buf = malloc(*len + 1);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, c->content, *len + 1);
	return buf;
}

/* Unlocked files never mean "running", whatever they hold. */
START_TEST(test_readers_unlocked_bad)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/bad.pid", dir);
	size_t len;
	char *buf = reader_content(&reader_cases[_i], &len);

	put_file(path, buf, len);
	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	ck_assert_int_eq(rsignal(path, SIGTERM), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_str_eq(rtext, tu_fmt("pidfile: %s: not running: %s", path,
	    strerror(ESRCH)));
	ck_assert_int_eq(rterm(path, SIGTERM, (unsigned int)tu_ms(100)), 0);
	ck_assert(tu_exists(path));        /* readers never remove */
	free(buf);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Locked files without a valid pid: "starting up", never a guess. */
START_TEST(test_readers_locked_bad)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/lbad.pid", dir);
	size_t len;
	char *buf = reader_content(&reader_cases[_i], &len);
	int fd = hold(path, buf, len);
	long long t0;

	assert_state(path, DAEMONIZE_PIDFILE_STARTING, 0);
	ck_assert_int_eq(rsignal(path, SIGTERM), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_str_eq(rtext, tu_fmt("pidfile: %s: starting up, no pid in "
	    "it yet: %s", path, strerror(EAGAIN)));
	/* terminate waits (bounded) for a pid to appear, then gives up. */
	t0 = tu_now_ms();
	ck_assert_int_eq(rterm(path, SIGTERM, 50), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_ge(tu_now_ms() - t0, 45);
	assert_rtext("starting up, no pid in it yet");
	ck_assert(tu_lock_held(path));  /* the holder keeps its lock */
	close(fd);
	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	free(buf);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A stale file naming a live process that holds no lock: nobody is
 * signalled. */
START_TEST(test_readers_stale_live_pid)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/stale.pid", dir);
	pid_t victim = sleeper();
	char *s = tu_fmt("%ld\n", (long)victim);
	char *p = tu_fmt("%ld\n", (long)getppid());

	put_file(path, s, strlen(s));
	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	ck_assert_int_eq(rsignal(path, SIGTERM), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(rterm(path, SIGTERM, (unsigned int)tu_ms(100)), 0);
	tu_msleep(20);
	ck_assert(tu_alive(victim));
	ck_assert_int_eq(waitpid(victim, NULL, WNOHANG), 0);
	/* Same with our parent's pid (Check's runner): untouched. */
	put_file(path, p, strlen(p));
	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	ck_assert_int_eq(rsignal(path, SIGKILL), -1);
	ck_assert_int_eq(errno, ESRCH);
	tu_kill(victim);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A held lock with a pid that is not the holder's: UNVERIFIED, the pid
 * reported but never signalled; the holder's own pid: RUNNING. */
START_TEST(test_readers_locked_good)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/good.pid", dir);
	pid_t victim = sleeper(), pid;
	char *v = tu_fmt("%ld\n", (long)victim);
	char *self = tu_fmt("%ld", (long)getpid());
	int fd;

	/* A live process that does not have the file open. */
	fd = hold(path, v, strlen(v));
	ck_assert_int_eq(rstate(path, &pid), DAEMONIZE_PIDFILE_UNVERIFIED);
	ck_assert_int_eq(pid, victim);
	ck_assert_int_eq(rsignal(path, SIGTERM), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(rtext, tu_fmt("pidfile: %s: pid %ld is not proven to "
	    "hold it (that process does not have the file open): not "
	    "signalling it: %s", path, (long)victim, strerror(EPERM)));
	ck_assert_int_eq(rterm(path, SIGKILL, (unsigned int)tu_ms(100)), -1);
	ck_assert_int_eq(errno, EPERM);
	assert_rtext("is not proven to hold it");
	ck_assert(tu_alive(victim));
	close(fd);

	/* The holder's own pid, in both formats: verified. */
	fd = hold(path, tu_fmt("%s\n", self), strlen(self) + 1);
	assert_state(path, DAEMONIZE_PIDFILE_RUNNING, getpid());
	close(fd);
	fd = hold(path, self, strlen(self));     /* libbsd's format */
	assert_state(path, DAEMONIZE_PIDFILE_RUNNING, getpid());
	/* The reader's shared lock attempt left the holder's lock alone. */
	ck_assert(tu_lock_held(path));
	close(fd);
	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	tu_kill(victim);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_readers_missing_and_bad_args)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/none.pid", dir);
	struct daemonize *d = tu_ctx("pidtest");
	int nfds = tu_nfds(0);

	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	ck_assert(!tu_exists(path));       /* never created by a reader */
	ck_assert_int_eq(rsignal(path, SIGTERM), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(rterm(path, 0, (unsigned int)tu_ms(1000)), 0);
	ck_assert(!tu_exists(path));
	/* No context, no pidfile configured. */
	errno = 0;
	ck_assert_int_eq(daemonize_pidfile_state(NULL, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(daemonize_pidfile_signal(NULL, SIGTERM), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(daemonize_pidfile_terminate(NULL, SIGTERM, 10), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(daemonize_pidfile_state(d, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, "pidfile: no pidfile configured "
	    "(daemonize_set_pidfile)");
	ck_assert_int_eq(daemonize_pidfile_signal(d, SIGTERM), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(daemonize_pidfile_terminate(d, SIGTERM, 10), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, "no pidfile configured");
	/* A bad signal number. */
	ck_assert_int_eq(rterm(path, -1, 10), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(rtext, "pidfile: invalid signal -1: Invalid argument");
	ck_assert_int_eq(rsignal(path, -1), -1);
	ck_assert_int_eq(errno, EINVAL);
	assert_rtext("invalid signal -1");
	daemonize_free(d);
	ck_assert_int_eq(tu_nfds(0), nfds);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_signal_running)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/kill.pid", dir);
	pid_t pid = fake_daemon(path, false);
	int status;

	assert_state(path, DAEMONIZE_PIDFILE_RUNNING, pid);
	ck_assert_int_eq(rsignal(path, 0), 0);  /* probe */
	ck_assert(tu_alive(pid));
	ck_assert_int_eq(rsignal(path, SIGTERM), 0);
	status = tu_child_status(pid, tu_ms(5000));
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	ck_assert_int_eq(rsignal(path, SIGTERM), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_terminate_fake_daemon)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/stop.pid", dir);
	pid_t pid = fake_daemon(path, false);
	int status;

	ck_assert_msg(rterm(path, 0, (unsigned int)tu_ms(5000)) == 0, "%s",
	    rtext);
	/* The process has exited when terminate returns: it is a zombie
	 * (our child), reaped at once. */
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ck_assert(!tu_lock_held(path));
	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_terminate_timeout)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/hang.pid", dir);
	pid_t pid = fake_daemon(path, true);
	unsigned int ms = (unsigned int)tu_ms(200);
	int status;

	ck_assert_int_eq(rterm(path, SIGTERM, ms), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_str_eq(rtext, tu_fmt("pidfile: %s: pid %ld still running "
	    "after %u ms: %s", path, (long)pid, ms, strerror(ETIMEDOUT)));
	ck_assert(tu_alive(pid));
	assert_state(path, DAEMONIZE_PIDFILE_RUNNING, pid);
	/* Another signal gets through. */
	ck_assert_int_eq(rterm(path, SIGKILL, (unsigned int)tu_ms(5000)), 0);
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* timeout 0: signal and return at once. */
START_TEST(test_terminate_no_wait)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/nowait.pid", dir);
	pid_t pid = fake_daemon(path, true);
	int status;

	ck_assert_int_eq(rterm(path, SIGTERM, 0), 0);
	ck_assert(tu_alive(pid));       /* ignored SIGTERM, not waited on */
	ck_assert_int_eq(rterm(path, SIGKILL, 0), 0);
	status = tu_child_status(pid, tu_ms(5000));
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Whether 127.0.0.1:port can be bound now. */
static bool
port_free(int port)
{
	struct sockaddr_in sin;
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	bool ok;

	ck_assert_int_ge(s, 0);
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(s);
	return ok;
}

/*
 * Stop means gone: terminate returns 0 only once the process has exited,
 * not when its pidfile is removed nor when the lock is free.  The daemon
 * removes its pidfile (daemonize_stop) and then keeps its port for 300 ms
 * before it exits: a terminate that returned on the file would leave the
 * port taken.  Ten times.
 */
START_TEST(test_terminate_means_gone)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/gone.pid", dir);
	struct lib_daemon ld;
	int i, r, status;
	pid_t got;

	for (i = 0; i < 10; i++) {
		lib_daemon(&ld, path, NULL, LD_PORT | LD_LINGER);
		assert_state(path, DAEMONIZE_PIDFILE_RUNNING, ld.pid);
		ck_assert(!port_free(ld.port));
		r = rterm(path, SIGTERM, (unsigned int)tu_ms(5000));
		if (r != 0)
			tu_kill(ld.pid);
		ck_assert_msg(r == 0, "round %d: %s", i, rtext);
		got = waitpid(ld.pid, &status, WNOHANG);
		if (got != ld.pid)
			tu_kill(ld.pid);
		ck_assert_msg(got == ld.pid, "round %d: terminate returned "
		    "while pid %ld had not exited (%s)", i, (long)ld.pid,
		    rtext);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		errno = 0;
		ck_assert_int_eq(kill(ld.pid, 0), -1);
		ck_assert_int_eq(errno, ESRCH);
		ck_assert_msg(port_free(ld.port), "round %d: port %d still "
		    "taken", i, ld.port);
		ck_assert(!tu_exists(path));
	}
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---- tracker issue 11 --------------------------------------------------------
 * Each of these reproduced against 0.1 (its pidfile_open followed a
 * symlink and truncated the target as root, believed any pid in a locked
 * file, and signalled it).
 */

/* A lock attempt through the public API, as a server would: a context
 * with the pidfile (and user), foreground mode, daemonize_lock.  On
 * success the fresh pidfile is removed again (daemonize_stop).  errno and
 * the text (rtext) kept. */
static int
try_lock(const char *path, const char *user, const char *output)
{
	struct daemonize *d = reader(path, user);
	int r, saved;

	tu_clean_env();
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	if (output != NULL)
		ck_assert_int_eq(daemonize_set_output(d, output), 0);
	r = daemonize_lock(d);
	saved = errno;
	dz_strlcpy_safe(rtext, daemonize_error(d), sizeof(rtext));
	if (r == 0)
		ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
	errno = saved;
	return r;
}

/* A root-only file with known content, and how it must stay. */
struct victim {
	char *path;
	struct stat st;
};

#define VICTIM_TEXT "root:only:secret\n"

static void
victim_make(struct victim *v, const char *dir)
{
	v->path = tu_fmt("%s/victim", dir);
	put_file(v->path, VICTIM_TEXT, strlen(VICTIM_TEXT));
	ck_assert_int_eq(chmod(v->path, 0600), 0);
	ck_assert_int_eq(lstat(v->path, &v->st), 0);
}

static void
victim_check(const struct victim *v)
{
	struct stat st;

	ck_assert_int_eq(lstat(v->path, &st), 0);
	ck_assert_str_eq(content(v->path), VICTIM_TEXT);
	ck_assert_int_eq(st.st_size, (off_t)strlen(VICTIM_TEXT));
	ck_assert_int_eq(st.st_mode, v->st.st_mode);
	ck_assert_uint_eq(st.st_uid, 0);
	ck_assert(!tu_lock_held(v->path));
}

/* 1. A directory another user owns, in which that user loops symlink(victim,
 * x.pid) / unlink while root starts N times.  Without a target user the
 * directory is refused, naming it, its owner and its mode; with the owner
 * as target user (then it is trusted) the own O_NOFOLLOW code runs in both
 * builds: the start succeeds or refuses the link, and the victim is never
 * touched. */
START_TEST(test_issue11_symlink_race)
{
	struct victim v;
	char *dir, *sub, *path, *want, out[2048];
	int i, ok = 0, refused = 0, st;
	pid_t attacker;

	TU_NEED_ROOT();
	dir = tu_tmpdir();
	ck_assert_int_eq(chmod(dir, 0755), 0);
	sub = tu_fmt("%s/nobody", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(chown(sub, NOBODY, NOGROUP), 0);
	victim_make(&v, dir);
	path = tu_fmt("%s/x.pid", sub);

	attacker = fork();
	ck_assert_int_ge(attacker, 0);
	if (attacker == 0) {
		long n;

		alarm((unsigned int)tu_ms(30000) / 1000);
		if (become_nobody() == -1)
			_exit(2);
		for (n = 0; n < 50000000L; n++) {
			if (symlink(v.path, path) == -1 && errno != EEXIST)
				continue;      /* lost a race with ourselves: retry */
			(void)unlink(path);
		}
		_exit(0);
	}

	want = tu_fmt("pidfile: %s: owned by uid %d, mode 0755: another user "
	    "could replace the pidfile; use a directory only root can write: "
	    "%s", sub, NOBODY, strerror(EPERM));
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(try_lock(path, NULL, NULL), -1);
		ck_assert_int_eq(errno, EPERM);
		ck_assert_str_eq(rtext, want);
	}
	for (i = 0; i < 300; i++) {
		if (try_lock(path, "nobody", NULL) == 0) {
			ok++;
			continue;
		}
		ck_assert_msg(errno == ELOOP || errno == EAGAIN ||
		    errno == ENOENT, "attempt %d: %s", i, rtext);
		ck_assert_ptr_nonnull(strstr(rtext, path));
		refused++;
	}
	/* The same in the internal step, 300 more times. */
	for (i = 0; i < 300; i++) {
		struct dz_pidfile *pf = pf_new(path);

		dz_owners_init(&owners, true, NOBODY);
		if (dz_pidfile_open(pf, &owners, &err) == 0) {
			ok++;
			dz_pidfile_release(pf, true);
		} else {
			ck_assert_msg(errno == ELOOP || errno == EAGAIN ||
			    errno == ENOENT, "step %d: %s", i, err.text);
			refused++;
		}
		pf_free(pf);
	}
	kill(attacker, SIGKILL);
	ck_assert_int_ne(tu_child_status(attacker, tu_ms(5000)), -1);
	printf("%s: %d locked, %d refused a planted link\n", __func__, ok,
	    refused);
	victim_check(&v);

	/* And through a real start (tests/helper), refused in the terminal
	 * with the same text. */
	st = tu_run(tu_argv(tu_private_helper(dir), "-p", path, NULL), out,
	    sizeof(out), tu_ms(10000));
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "status %#x: %s", st, out);
	ck_assert_msg(strstr(out, tu_fmt("helper: %s", want)) != NULL, "%s",
	    out);
	victim_check(&v);
	(void)unlink(path);
	ck_assert_int_eq(tu_count_mentioning(dir), 0);
}
END_TEST

/* 2. A pidfile owned by another user, locked, naming a process of ours:
 * never believed, nothing signalled; and a root start refuses an existing
 * (empty, or not) pidfile that another user owns. */
START_TEST(test_issue11_foreign_pidfile)
{
	char *dir, *path, *want;
	pid_t victim, holder, pid = -5;
	struct stat st;
	int p[2];

	TU_NEED_ROOT();
	dir = tu_tmpdir();
	path = tu_fmt("%s/f.pid", dir);
	victim = sleeper();
	ck_assert_int_eq(pipe(p), 0);
	holder = fork();
	ck_assert_int_ge(holder, 0);
	if (holder == 0) {
		int fd;

		close(p[0]);
		alarm((unsigned int)tu_ms(20000) / 1000);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd == -1 || fchown(fd, NOBODY, NOGROUP) == -1 ||
		    become_nobody() == -1 || flock(fd, LOCK_EX) == -1 ||
		    dprintf(fd, "%ld\n", (long)victim) < 0)
			_exit(2);
		if (write(p[1], "ok\n", 3) != 3)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	ck_assert_str_eq(read_line(p[0], tu_ms(5000)), "ok\n");
	close(p[0]);

	want = tu_fmt("pidfile: %s: owned by uid %d, neither root, this user "
	    "nor the daemon user: the pid in it is not believed: %s", path,
	    NOBODY, strerror(EPERM));
	ck_assert_int_eq(rstate(path, &pid), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(rtext, want);
	ck_assert_int_eq(pid, 0);
	ck_assert_int_eq(rsignal(path, SIGTERM), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(rtext, want);
	ck_assert_int_eq(rterm(path, SIGKILL, (unsigned int)tu_ms(200)), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(rtext, want);
	tu_msleep(20);
	ck_assert(tu_alive(victim));
	ck_assert_int_eq(waitpid(victim, NULL, WNOHANG), 0);
	tu_kill(holder);

	/* Nobody holds it now; empty, then with a pid: a root start
	 * refuses to open (and truncate, and later remove) it. */
	want = tu_fmt("pidfile: %s: owned by uid %d, not by root: refusing a "
	    "pidfile another user controls: %s", path, NOBODY,
	    strerror(EPERM));
	ck_assert_int_eq(truncate(path, 0), 0);
	ck_assert_int_eq(try_lock(path, NULL, NULL), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(rtext, want);
	put_file(path, "1\n", 2);
	ck_assert_int_eq(try_lock(path, NULL, NULL), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(rtext, want);
	ck_assert_str_eq(content(path), "1\n");
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, NOBODY);
	ck_assert(!tu_lock_held(path));
	tu_kill(victim);
}
END_TEST

/* Wait (bounded) until the state of path is want. */
static int
wait_state(const char *path, int want, int ms)
{
	long long deadline = tu_now_ms() + ms;
	pid_t pid;
	int r;

	while ((r = rstate(path, &pid)) != want && tu_now_ms() < deadline)
		tu_msleep(10);
	return r;
}

/* 3a. The daemon forked a worker (which inherited the lock) and was then
 * killed: the lock is held, the pid in the file is dead.  Not RUNNING,
 * and nothing is signalled. */
START_TEST(test_issue11_dead_daemon_inherited_lock)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/dead.pid", dir);
	struct lib_daemon ld;
	pid_t pid = -5;
	int status;

	lib_daemon(&ld, path, NULL, LD_WORKER);
	ck_assert_int_gt(ld.worker, 0);
	assert_state(path, DAEMONIZE_PIDFILE_RUNNING, ld.pid);
	ck_assert_int_eq(kill(ld.pid, SIGKILL), 0);
	ck_assert_int_eq(tu_wait_child(ld.pid, tu_ms(5000), &status), 0);
	ck_assert(tu_lock_held(path));
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)ld.pid));

	ck_assert_int_eq(rstate(path, &pid), DAEMONIZE_PIDFILE_UNVERIFIED);
	ck_assert_int_eq(pid, ld.pid);
	ck_assert_int_eq(rsignal(path, SIGTERM), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(rtext, tu_fmt("pidfile: %s: pid %ld is not proven to "
	    "hold it (no process has that pid): not signalling it: %s", path,
	    (long)ld.pid, strerror(EPERM)));
	ck_assert_int_eq(rterm(path, SIGTERM, (unsigned int)tu_ms(200)), -1);
	ck_assert_int_eq(errno, EPERM);
	assert_rtext("is not proven to hold it");
	ck_assert(tu_alive(ld.worker));
	tu_kill(ld.worker);
	ck_assert_int_eq(wait_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING,
	    tu_ms(5000)), DAEMONIZE_PIDFILE_NOT_RUNNING);
	(void)unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/*
 * Run fn in a new pid namespace (as its pid 1, with /proc mounted for it in
 * a new mount namespace), as `unshare --pid --fork --mount-proc` would.
 * fn writes one line to fd: "ok...", "skip: why" or the failure.  The line
 * is returned ("" when nothing came within ms).  When the namespace ends
 * with its pid 1, the kernel kills everything left in it.
 */
static const char *
in_pid_ns(void (*fn)(int fd, const char *path), const char *path, int ms)
{
	const char *line;
	int p[2], status;
	pid_t c;

	ck_assert_int_eq(pipe(p), 0);
	c = fork();
	ck_assert_int_ge(c, 0);
	if (c == 0) {
		pid_t init;

		close(p[0]);
		alarm((unsigned int)tu_ms(60000) / 1000);
		if (unshare(CLONE_NEWPID | CLONE_NEWNS) == -1) {
			dprintf(p[1], "skip: unshare(CLONE_NEWPID|CLONE_NEWNS): "
			    "%s\n", strerror(errno));
			_exit(0);
		}
		if ((init = fork()) == 0) {
			if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE,
			    NULL) == -1 || mount("proc", "/proc", "proc",
			    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1) {
				dprintf(p[1], "skip: mount /proc: %s\n",
				    strerror(errno));
				_exit(0);
			}
			fn(p[1], path);
			_exit(0);
		}
		if (init == -1)
			dprintf(p[1], "fork in the namespace: %s\n",
			    strerror(errno));
		else
			(void)waitpid(init, NULL, 0);
		_exit(0);
	}
	close(p[1]);
	line = read_line(p[0], ms);
	close(p[0]);
	if (tu_wait_child(c, tu_ms(10000), &status) == -1)
		tu_kill(c);
	return line;
}

#define NS_CHECK(fd, cond, ...) do {					\
	if (!(cond)) {							\
		dprintf((fd), "line %d: " #cond ": ", __LINE__);	\
		dprintf((fd), __VA_ARGS__);				\
		dprintf((fd), "\n");					\
		_exit(1);						\
	}								\
} while (0)

/* In the namespace, as its pid 1: the daemon (with a worker) is killed,
 * its pid given to a new process (ns_last_pid), which must neither be
 * believed nor signalled. */
static void
ns_pid_reuse(int fd, const char *path)
{
	struct lib_daemon ld;
	pid_t s, pid = -5;
	int lp, r;

	lib_daemon(&ld, path, NULL, LD_WORKER);
	NS_CHECK(fd, kill(ld.pid, SIGKILL) == 0, "%s", strerror(errno));
	NS_CHECK(fd, waitpid(ld.pid, NULL, 0) == ld.pid, "%s",
	    strerror(errno));
	r = rstate(path, &pid);
	NS_CHECK(fd, r == DAEMONIZE_PIDFILE_UNVERIFIED && pid == ld.pid,
	    "state %d pid %ld: %s", r, (long)pid, rtext);
	if ((lp = open("/proc/sys/kernel/ns_last_pid", O_WRONLY)) == -1 ||
	    dprintf(lp, "%ld", (long)ld.pid - 1) < 0) {
		dprintf(fd, "skip: ns_last_pid: %s\n", strerror(errno));
		_exit(0);
	}
	close(lp);
	if ((s = fork()) == 0) {
		alarm((unsigned int)tu_ms(20000) / 1000);
		for (;;)
			pause();
	}
	if (s != ld.pid) {
		dprintf(fd, "skip: the pid was not reused (%ld, not %ld)\n",
		    (long)s, (long)ld.pid);
		_exit(0);
	}
	r = rstate(path, &pid);
	NS_CHECK(fd, r == DAEMONIZE_PIDFILE_UNVERIFIED && pid == s,
	    "state %d pid %ld: %s", r, (long)pid, rtext);
	r = rsignal(path, SIGTERM);
	NS_CHECK(fd, r == -1 && errno == EPERM && strstr(rtext, "that process "
	    "does not have the file open") != NULL, "signal %d: %s", r, rtext);
	r = rterm(path, SIGKILL, (unsigned int)tu_ms(200));
	NS_CHECK(fd, r == -1 && errno == EPERM, "terminate %d: %s", r, rtext);
	tu_msleep(20);
	NS_CHECK(fd, waitpid(s, NULL, WNOHANG) == 0 && kill(s, 0) == 0,
	    "the process that reused pid %ld was signalled", (long)s);
	dprintf(fd, "ok pid %ld reused\n", (long)s);
}

/* 3b. The same after pid reuse. */
START_TEST(test_issue11_pid_reuse)
{
	char *dir, *path;
	const char *line;

	TU_NEED_ROOT();
	dir = tu_tmpdir();
	path = tu_fmt("%s/reuse.pid", dir);
	line = in_pid_ns(ns_pid_reuse, path, tu_ms(20000));
	if (strncmp(line, "skip: ", 6) == 0) {
		printf("%s: skipped: %s", __func__, line + 6);
		return;
	}
	ck_assert_msg(strncmp(line, "ok", 2) == 0, "%s", line);
	ck_assert_int_eq(wait_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING,
	    tu_ms(5000)), DAEMONIZE_PIDFILE_NOT_RUNNING);
}
END_TEST

/* The readers' verdict on a daemon that wrote "1" from its own pid
 * namespace, as seen by this process: "ok" or why not. */
static const char *
judge_pid1(const char *path)
{
	pid_t pid = -5;
	int r;

	r = rstate(path, &pid);
	if (r != DAEMONIZE_PIDFILE_UNVERIFIED || pid != 1)
		return tu_fmt("state %d pid %ld (%s)", r, (long)pid, rtext);
	r = rsignal(path, SIGTERM);
	if (r != -1 || errno != EPERM)
		return tu_fmt("signal returned %d (%s)", r, rtext);
	r = rterm(path, SIGTERM, (unsigned int)tu_ms(200));
	if (r != -1 || errno != EPERM)
		return tu_fmt("terminate returned %d (%s)", r, rtext);
	return "ok";
}

/* In the outer namespace, as its pid 1: a daemon that is pid 1 of an inner
 * namespace writes "1"; judged from a process of the outer namespace (as
 * the test would be, run under unshare) and from its pid 1 itself. */
static void
ns_pid1_daemon(int fd, const char *path)
{
	const char *line, *verdict;
	int p[2], q[2], status;
	pid_t x, checker;

	NS_CHECK(fd, pipe(p) == 0, "%s", strerror(errno));
	if ((x = fork()) == 0) {
		pid_t y;

		alarm((unsigned int)tu_ms(30000) / 1000);
		if (unshare(CLONE_NEWPID) == -1) {
			dprintf(p[1], "skip: inner unshare: %s\n",
			    strerror(errno));
			_exit(0);
		}
		if ((y = fork()) == 0) {
			struct daemonize *d = daemonize_new("pidtest");

			if (d == NULL || daemonize_set_pidfile(d, path) == -1 ||
			    daemonize_set_mode(d,
			    DAEMONIZE_MODE_FOREGROUND) == -1 ||
			    daemonize_start(d) != 0) {
				dprintf(p[1], "start: %s\n", d != NULL ?
				    daemonize_error(d) : "no context");
				_exit(1);
			}
			dprintf(p[1], "ok %ld\n", (long)getpid());
			for (;;)
				pause();
		}
		(void)waitpid(y, NULL, 0);
		_exit(0);
	}
	close(p[1]);
	line = read_line(p[0], tu_ms(5000));
	if (strncmp(line, "skip: ", 6) == 0) {
		dprintf(fd, "%s", line);
		_exit(0);
	}
	NS_CHECK(fd, strcmp(line, "ok 1\n") == 0, "daemon: %s", line);
	tu_msleep(0);
	{
		char buf[64];

		NS_CHECK(fd, tu_read_file(path, buf, sizeof(buf)) == 2 &&
		    strcmp(buf, "1\n") == 0, "pidfile holds \"%s\"", buf);
	}
	/* From a process of this namespace that is not its pid 1. */
	NS_CHECK(fd, pipe(q) == 0, "%s", strerror(errno));
	if ((checker = fork()) == 0) {
		close(q[0]);
		dprintf(q[1], "%s\n", judge_pid1(path));
		_exit(0);
	}
	close(q[1]);
	line = read_line(q[0], tu_ms(5000));
	(void)waitpid(checker, &status, 0);
	NS_CHECK(fd, strcmp(line, "ok\n") == 0, "from pid %ld: %s",
	    (long)checker, line);
	/* From pid 1 of this namespace: the reader's own descriptor of the
	 * file must not pass for the holder's. */
	verdict = judge_pid1(path);
	NS_CHECK(fd, strcmp(verdict, "ok") == 0, "from pid 1: %s", verdict);
	NS_CHECK(fd, tu_lock_held(path), "the daemon's lock is gone");
	NS_CHECK(fd, kill(x, 0) == 0 && waitpid(x, NULL, WNOHANG) == 0,
	    "the inner namespace ended");
	dprintf(fd, "ok\n");
	kill(x, SIGKILL);
}

/* 4. pid namespaces: the daemon is pid 1 of its own and writes "1". */
START_TEST(test_issue11_pid_namespace)
{
	char *dir, *path;
	const char *line;

	TU_NEED_ROOT();
	dir = tu_tmpdir();
	path = tu_fmt("%s/ns.pid", dir);
	line = in_pid_ns(ns_pid1_daemon, path, tu_ms(20000));
	if (strncmp(line, "skip: ", 6) == 0) {
		printf("%s: skipped: %s", __func__, line + 6);
		return;
	}
	ck_assert_msg(strcmp(line, "ok\n") == 0, "%s", line);
	ck_assert_int_eq(wait_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING,
	    tu_ms(5000)), DAEMONIZE_PIDFILE_NOT_RUNNING);
}
END_TEST

/* 5. A hard link planted at the pidfile's (or the log's) path to a root
 * file of the same filesystem: refused with EMLINK, the target unchanged. */
START_TEST(test_issue11_hard_links)
{
	struct victim v;
	struct dz_output out;
	char *dir, *sub, *path, *log, *buf;
	int fd, protect = -1;

	TU_NEED_ROOT();
	dir = tu_tmpdir();
	ck_assert_int_eq(chmod(dir, 0755), 0);
	victim_make(&v, dir);
	path = tu_fmt("%s/h.pid", dir);
	log = tu_fmt("%s/h.log", dir);
	ck_assert_int_eq(link(v.path, path), 0);
	ck_assert_int_eq(link(v.path, log), 0);

	ck_assert_int_eq(try_lock(path, NULL, NULL), -1);
	ck_assert_int_eq(errno, EMLINK);
	ck_assert_str_eq(rtext, tu_fmt("pidfile: %s: has 3 hard links: "
	    "refusing a pidfile linked elsewhere: %s", path,
	    strerror(EMLINK)));
	{
		struct dz_pidfile *pf = pf_new(path);

		ck_assert_int_eq(pf_open(pf), -1);
		ck_assert_int_eq(errno, EMLINK);
		pf_free(pf);
	}
	victim_check(&v);

	dz_output_init(&out);
	ck_assert_ptr_nonnull(out.path = strdup(log));
	dz_owners_init(&owners, false, 0);
	ck_assert_int_eq(dz_output_open(&out, &owners, (uid_t)-1, (gid_t)-1,
	    &err), -1);
	ck_assert_int_eq(errno, EMLINK);
	ck_assert_str_eq(err.text, tu_fmt("stdio: %s: has 3 hard links: "
	    "refusing a log file linked elsewhere: %s", log,
	    strerror(EMLINK)));
	ck_assert_int_eq(out.fd, -1);
	dz_output_clear(&out);
	victim_check(&v);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(unlink(log), 0);

	/* Planted by the daemon's user in its own directory: needs
	 * fs.protected_hardlinks=0 (else the kernel refuses the link). */
	buf = tu_fmt("%s", "");
	if ((fd = open("/proc/sys/fs/protected_hardlinks", O_RDONLY)) >= 0) {
		char c = '?';

		if (read(fd, &c, 1) == 1)
			protect = c - '0';
		close(fd);
	}
	sub = tu_fmt("%s/nobody", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(chown(sub, NOBODY, NOGROUP), 0);
	path = tu_fmt("%s/x.pid", sub);
	if (protect != 0) {
		printf("%s: as another user skipped: fs.protected_hardlinks "
		    "is %d\n", __func__, protect);
		free(buf);
		return;
	}
	{
		pid_t c = fork();
		int status;

		ck_assert_int_ge(c, 0);
		if (c == 0)
			_exit(become_nobody() == 0 && link(v.path, path) == 0 ?
			    0 : 1);
		status = tu_child_status(c, tu_ms(5000));
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(try_lock(path, "nobody", NULL), -1);
	ck_assert_int_eq(errno, EMLINK);
	assert_rtext("hard links: refusing a pidfile linked elsewhere");
	victim_check(&v);
	free(buf);
}
END_TEST

/* 7. The same file as pidfile and log: refused at lock, naming both; a
 * second name of the pidfile given as the log is refused as well. */
START_TEST(test_issue11_pidfile_is_log)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/same", dir);
	char *alias = tu_fmt("%s/./same", dir);
	char *other = tu_fmt("%s/other", dir);
	char out[2048];
	int st;

	ck_assert_int_eq(try_lock(path, NULL, path), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(rtext, tu_fmt("pidfile: %s: also the log file (%s): "
	    "log lines would overwrite the pid: %s", path, path,
	    strerror(EINVAL)));
	ck_assert(!tu_exists(path));
	/* Two names of one existing file. */
	tu_touch(path);
	ck_assert_int_eq(link(path, other), 0);
	ck_assert_int_eq(try_lock(path, NULL, other), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(rtext, tu_fmt("pidfile: %s: also the log file (%s): "
	    "log lines would overwrite the pid: %s", path, other,
	    strerror(EINVAL)));
	ck_assert_int_eq(unlink(other), 0);
	ck_assert_int_eq(unlink(path), 0);
	/* Another spelling of a path that does not exist yet: the lock
	 * creates the pidfile, the start would open it as the log. */
	st = tu_run(tu_argv(tu_private_helper(dir), "-p", path, "-o", alias,
	    NULL), out, sizeof(out), tu_ms(10000));
	if (st == 0)
		(void)rterm(path, SIGKILL, (unsigned int)tu_ms(5000));
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "%s as the log of %s: status %#x: %s", alias, path, st, out);
	ck_assert_msg(strstr(out, "also the log file") != NULL, "%s", out);
	ck_assert(!tu_exists(path));
	ck_assert_int_eq(tu_count_mentioning(dir), 0);
}
END_TEST

/* 8. The pidfile removed while the daemon runs.  What the library does
 * (libdaemonize(3) CAVEATS): the lock guards the inode, not the name; with
 * the name gone the readers say NOT_RUNNING, and a second start succeeds,
 * so two instances run.  The first one's stop then leaves the second's
 * file alone.  Keep pidfiles where only root (or the daemon) can write. */
/* A reader given a second name (a hard link) of another daemon's live,
 * locked pidfile: the holder is real, so every other check passes; the
 * link count refuses it, and that daemon is never signalled (found by an
 * outside attack with fs.protected_hardlinks=0 and a sticky /tmp). */
START_TEST(test_issue11_reader_hard_link)
{
	char *dir = tu_tmpdir(), *other = tu_tmpdir();
	char *victim = tu_fmt("%s/victim.pid", dir);
	char *link_path = tu_fmt("%s/echod.pid", other);
	struct daemonize *d;
	pid_t v, pid = 0;
	int status;

	v = fake_daemon(victim, false);
	assert_state(victim, DAEMONIZE_PIDFILE_RUNNING, v);
	ck_assert_int_eq(link(victim, link_path), 0);
	d = reader(link_path, NULL);
	ck_assert_int_eq(daemonize_pidfile_state(d, &pid), -1);
	ck_assert_int_eq(errno, EMLINK);
	tu_assert_text(d, "has 2 hard links");
	daemonize_free(d);
	ck_assert_int_eq(rsignal(link_path, SIGTERM), -1);
	ck_assert_int_eq(errno, EMLINK);
	ck_assert_int_eq(rterm(link_path, SIGTERM, (unsigned int)tu_ms(1000)),
	    -1);
	ck_assert(tu_alive(v));
	ck_assert_int_eq(unlink(link_path), 0);
	ck_assert_int_eq(kill(v, SIGTERM), 0);
	ck_assert_int_eq(tu_wait_child(v, tu_ms(5000), &status), 0);
}
END_TEST

START_TEST(test_issue11_pidfile_removed)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/rm.pid", dir);
	struct lib_daemon a, b;
	int status;

	lib_daemon(&a, path, NULL, 0);
	assert_state(path, DAEMONIZE_PIDFILE_RUNNING, a.pid);
	ck_assert_int_eq(unlink(path), 0);
	assert_state(path, DAEMONIZE_PIDFILE_NOT_RUNNING, 0);
	ck_assert_int_eq(rsignal(path, SIGTERM), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert(tu_alive(a.pid));
	/* The second start succeeds (documented, not prevented). */
	lib_daemon(&b, path, NULL, 0);
	assert_state(path, DAEMONIZE_PIDFILE_RUNNING, b.pid);
	ck_assert(tu_alive(a.pid));
	/* The first one stops: the name is the second's now, untouched. */
	ck_assert_int_eq(kill(a.pid, SIGTERM), 0);
	ck_assert_int_eq(tu_wait_child(a.pid, tu_ms(5000), &status), 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)b.pid));
	assert_state(path, DAEMONIZE_PIDFILE_RUNNING, b.pid);
	ck_assert_int_eq(rterm(path, SIGTERM, (unsigned int)tu_ms(5000)), 0);
	ck_assert_int_eq(waitpid(b.pid, &status, WNOHANG), b.pid);
	ck_assert(!tu_exists(path));
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---- the runtime directory ------------------------------------------------ */

/* set_runtime_dir with user nobody: made owned by nobody, mode 0755 (the
 * umask does not apply), the pidfile in it; the daemon, running as nobody,
 * removes (not empties) its pidfile at stop. */
START_TEST(test_runtime_dir)
{
	char *dir, *run, *path;
	const char *line;
	struct stat st;
	int p[2], status;
	pid_t c;

	TU_NEED_ROOT();
	dir = tu_tmpdir();
	ck_assert_int_eq(chmod(dir, 0755), 0);
	run = tu_fmt("%s/run", dir);
	path = tu_fmt("%s/x.pid", run);
	ck_assert_int_eq(pipe(p), 0);
	c = fork();
	ck_assert_int_ge(c, 0);
	if (c == 0) {
		struct daemonize *d = daemonize_new("pidtest");
		struct stat ds, fs;
		char buf[64];

		close(p[0]);
		alarm((unsigned int)tu_ms(20000) / 1000);
		tu_clean_env();
		umask(077);
		if (d == NULL || daemonize_set_runtime_dir(d, run) == -1 ||
		    daemonize_set_pidfile(d, path) == -1 ||
		    daemonize_set_user(d, "nobody", NULL) == -1 ||
		    daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND) == -1 ||
		    daemonize_start(d) != 0) {
			dprintf(p[1], "start: %s\n", d != NULL ?
			    daemonize_error(d) : "no context");
			_exit(1);
		}
		if (geteuid() != NOBODY || stat(run, &ds) == -1 ||
		    ds.st_uid != NOBODY || ds.st_gid != NOGROUP ||
		    (ds.st_mode & 07777) != 0755) {
			dprintf(p[1], "euid %ld, dir %ld:%ld mode %04o\n",
			    (long)geteuid(), (long)ds.st_uid, (long)ds.st_gid,
			    (unsigned int)(ds.st_mode & 07777));
			_exit(1);
		}
		/* The umask (077) applies to the pidfile: root's 0600,
		 * which nobody may still stat (and unlink) in its dir. */
		if (stat(path, &fs) == -1 || fs.st_uid != 0 ||
		    (fs.st_mode & 07777) != 0600 || fs.st_size !=
		    (off_t)snprintf(buf, sizeof(buf), "%ld\n",
		    (long)getpid())) {
			dprintf(p[1], "pidfile: %s, uid %ld, mode %04o, "
			    "size %ld\n", strerror(errno), (long)fs.st_uid,
			    (unsigned int)(fs.st_mode & 07777),
			    (long)fs.st_size);
			_exit(1);
		}
		if (daemonize_stop(d) == -1) {
			dprintf(p[1], "stop: %s\n", daemonize_error(d));
			_exit(1);
		}
		dprintf(p[1], "%s\n", tu_exists(path) ? "still there" : "ok");
		daemonize_free(d);
		_exit(0);
	}
	close(p[1]);
	line = read_line(p[0], tu_ms(5000));
	close(p[0]);
	status = tu_child_status(c, tu_ms(5000));
	ck_assert_str_eq(line, "ok\n");
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert(!tu_exists(path));
	ck_assert_int_eq(lstat(run, &st), 0);
	ck_assert_uint_eq(st.st_uid, NOBODY);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
}
END_TEST

/* An existing runtime directory must be a directory of root, ours or the
 * daemon user's; never followed when it is a symlink. */
START_TEST(test_runtime_dir_refused)
{
	char *dir = tu_tmpdir();
	char *run = tu_fmt("%s/run", dir);
	char *elsewhere = tu_fmt("%s/elsewhere", dir);
	struct daemonize *d;

	TU_NEED_ROOT();
	ck_assert_int_eq(mkdir(run, 0755), 0);
	ck_assert_int_eq(chown(run, 12345, 12345), 0);
	d = reader(tu_fmt("%s/x.pid", run), NULL);
	tu_clean_env();
	ck_assert_int_eq(daemonize_set_runtime_dir(d, run), 0);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_lock(d), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_str_eq(daemonize_error(d), tu_fmt("runtime dir: %s: owned "
	    "by uid 12345, mode 0755: neither root, this user nor the daemon "
	    "user owns it: %s", run, strerror(EPERM)));
	daemonize_free(d);
	ck_assert(!tu_exists(tu_fmt("%s/x.pid", run)));
	ck_assert_int_eq(rmdir(run), 0);

	ck_assert_int_eq(mkdir(elsewhere, 0755), 0);
	ck_assert_int_eq(symlink(elsewhere, run), 0);
	d = reader(tu_fmt("%s/x.pid", run), NULL);
	ck_assert_int_eq(daemonize_set_runtime_dir(d, run), 0);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_lock(d), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_str_eq(daemonize_error(d), tu_fmt("runtime dir: %s: is a "
	    "symbolic link, refusing to follow it: %s", run, strerror(ELOOP)));
	daemonize_free(d);
	ck_assert(!tu_exists(tu_fmt("%s/x.pid", elsewhere)));
}
END_TEST
/* ---- end to end: 32 starts at once --------------------------------------- */

#define RACERS 32

/* Processes whose command line has arg among its arguments. */
static int
count_with_arg(const char *arg, pid_t *last)
{
	struct dirent *e;
	DIR *dir = opendir("/proc");
	int count = 0;

	ck_assert_ptr_nonnull(dir);
	while ((e = readdir(dir)) != NULL) {
		char path[300], buf[8192];
		ssize_t n, off;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		/* tu_read_file NUL-terminates, so buf[n] is 0 too. */
		if ((n = tu_read_file(path, buf, sizeof(buf))) <= 0)
			continue;
		for (off = 0; off < n; off += (ssize_t)strlen(buf + off) + 1)
			if (strcmp(buf + off, arg) == 0 &&
			    tu_alive((pid_t)atol(e->d_name))) {
				count++;
				*last = (pid_t)atol(e->d_name);
				break;
			}
	}
	closedir(dir);
	return count;
}

START_TEST(test_race_32_starts)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/race.pid", dir);
	char *argv[] = { NULL, "-p", path, "-a", "ready", NULL };
	pid_t pids[RACERS], daemon = -1, seen = -1, found;
	int status[RACERS], i, ok = 0, busy = 0, other = 0, ndaemons;
	int stopped, stop_errno, state;
	bool lock_held, gone;
	char *outs[RACERS], buf[2048];
	char other_msg[4096] = "";

	argv[0] = tu_private_helper(dir);
	ck_assert_int_eq(access(argv[0], X_OK), 0);
	for (i = 0; i < RACERS; i++) {
		outs[i] = tu_fmt("%s/out.%d", dir, i);
		pids[i] = tu_spawn(argv, NULL, outs[i]);
		ck_assert_int_gt(pids[i], 0);
	}
	for (i = 0; i < RACERS; i++)
		status[i] = tu_child_status(pids[i], tu_ms(20000));
	/* Collect everything first and stop the daemon before asserting,
	 * so that a failed assertion leaves no daemon behind. */
	for (i = 0; i < RACERS; i++) {
		if (status[i] == -1) {
			tu_kill(pids[i]);
			other++;
			continue;
		}
		(void)tu_read_file(outs[i], buf, sizeof(buf));
		if (WIFEXITED(status[i]) && WEXITSTATUS(status[i]) == 0 &&
		    buf[0] == '\0')
			ok++;
		else if (WIFEXITED(status[i]) && WEXITSTATUS(status[i]) == 1 &&
		    strstr(buf, "already running") != NULL &&
		    strstr(buf, path) != NULL)
			busy++;
		else {
			other++;
			snprintf(other_msg, sizeof(other_msg),
			    "status %#x: %s", status[i], buf);
		}
	}
	state = rstate(path, &daemon);
	lock_held = tu_lock_held(path);
	ndaemons = count_with_arg(path, &seen);
	stopped = rterm(path, SIGTERM, (unsigned int)tu_ms(10000));
	stop_errno = errno;
	/* terminate returned: the daemon has exited (not our child: its
	 * parent reaps it). */
	gone = daemon > 0 && tu_wait_gone(daemon, tu_ms(5000)) == 0;
	if (!gone && daemon > 0)
		tu_kill(daemon);
	/* Anything still alive that names our pidfile is a leak. */
	if (count_with_arg(path, &found) > 0)
		tu_kill(found);

	ck_assert_msg(other == 0, "%d unexpected outcomes, last: %s", other,
	    other_msg);
	ck_assert_int_eq(ok, 1);
	ck_assert_int_eq(busy, RACERS - 1);
	ck_assert_msg(state == DAEMONIZE_PIDFILE_RUNNING, "state %d: %s",
	    state, rtext);
	ck_assert_int_gt(daemon, 0);
	ck_assert(lock_held);
	ck_assert_int_eq(ndaemons, 1);
	ck_assert_int_eq(seen, daemon);
	ck_assert_msg(stopped == 0, "terminate: %s (%s)", rtext,
	    strerror(stop_errno));
	ck_assert(gone);
	ck_assert(!tu_exists(path));       /* the daemon removed it on exit */
	for (i = 0; i < RACERS; i++)
		ck_assert_int_eq(unlink(outs[i]), 0);
	ck_assert_int_eq(unlink(argv[0]), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---- suite ------------------------------------------------------------------ */

static Suite *
pidfile_suite(void)
{
	Suite *s = suite_create("pidfile");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_table, 0,
	    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, test_parse_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("step");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_set_pidfile);
	tcase_add_test(tc, test_no_pidfile);
	tcase_add_test(tc, test_open_write_release);
	tcase_add_test(tc, test_write_not_open);
	tcase_add_test(tc, test_open_existing_stale);
	tcase_add_test(tc, test_second_instance);
	tcase_add_test(tc, test_second_instance_other_process);
	tcase_add_test(tc, test_refuse_symlink);
	tcase_add_test(tc, test_refuse_nonregular);
	tcase_add_test(tc, test_missing_directory);
	tcase_add_test(tc, test_fd_not_on_stdio);
	tcase_add_test(tc, test_fd_not_on_stdio_all_closed);
	tcase_add_test(tc, test_release_unwritten_removes);
	tcase_add_test(tc, test_release_keep);
	tcase_add_test(tc, test_release_in_worker);
	tcase_add_test(tc, test_release_replaced);
	tcase_add_test(tc, test_release_truncates_when_unlink_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("readers");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_readers_unlocked_bad, 0,
	    (int)(sizeof(reader_cases) / sizeof(reader_cases[0])));
	tcase_add_loop_test(tc, test_readers_locked_bad, 0,
	    (int)(sizeof(reader_cases) / sizeof(reader_cases[0])));
	tcase_add_test(tc, test_readers_stale_live_pid);
	tcase_add_test(tc, test_readers_locked_good);
	tcase_add_test(tc, test_readers_missing_and_bad_args);
	tcase_add_test(tc, test_signal_running);
	tcase_add_test(tc, test_terminate_fake_daemon);
	tcase_add_test(tc, test_terminate_timeout);
	tcase_add_test(tc, test_terminate_no_wait);
	tcase_add_test(tc, test_terminate_means_gone);
	suite_add_tcase(s, tc);

	tc = tcase_create("issue11");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_issue11_symlink_race);
	tcase_add_test(tc, test_issue11_reader_hard_link);
	tcase_add_test(tc, test_issue11_foreign_pidfile);
	tcase_add_test(tc, test_issue11_dead_daemon_inherited_lock);
	tcase_add_test(tc, test_issue11_pid_reuse);
	tcase_add_test(tc, test_issue11_pid_namespace);
	tcase_add_test(tc, test_issue11_hard_links);
	tcase_add_test(tc, test_issue11_pidfile_is_log);
	tcase_add_test(tc, test_issue11_pidfile_removed);
	suite_add_tcase(s, tc);

	tc = tcase_create("runtime_dir");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_runtime_dir);
	tcase_add_test(tc, test_runtime_dir_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("race");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_race_32_starts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pidfile_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

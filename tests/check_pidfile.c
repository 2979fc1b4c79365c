/*
 * check_pidfile.c - the locked pidfile (lib/pidfile.c): open, write,
 * release and parse through a context, the three readers, and the race of
 * 32 concurrent starts through tests/helper.
 *
 * Check runs each test in its own forked process, so a test may close fds,
 * change its umask or fork freely.  Every child a test forks exits on its
 * own within seconds (alarm) so nothing outlives a failed test for long.
 */
#include "internal.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define NOBODY 65534

/* ---- helpers ------------------------------------------------------------- */

static void
put_file(const char *path, const char *content, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

static struct daemonize *
ctx(const char *path)
{
	struct daemonize *d = daemonize_new("pidtest");

	ck_assert_ptr_nonnull(d);
	if (path != NULL)
		ck_assert_int_eq(daemonize_set_pidfile(d, path), 0);
	return d;
}

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

/* A child that sleeps (at most 10 s): a live pid that is not a daemon. */
static pid_t
sleeper(void)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(10);
		for (;;)
			pause();
	}
	return pid;
}

/* A fake daemon: locks path, writes "PID\n", then waits for signals (at
 * most 10 s).  With ignore_term it survives SIGTERM.  Returns once the pid
 * is in the file. */
static pid_t
fake_daemon(const char *path, bool ignore_term)
{
	int p[2];
	char c;
	pid_t pid;
	struct pollfd pfd;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char buf[32];
		int fd, n;

		close(p[0]);
		alarm(10);
		signal(SIGTERM, ignore_term ? SIG_IGN : SIG_DFL);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd == -1 || flock(fd, LOCK_EX | LOCK_NB) == -1 ||
		    ftruncate(fd, 0) == -1)
			_exit(2);
		n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
		if (pwrite(fd, buf, (size_t)n, 0) != n ||
		    write(p[1], "x", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static char *
content(const char *path)
{
	static char buf[4096];

	ck_assert_int_ge(tu_read_file(path, buf, sizeof(buf)), 0);
	return buf;
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
		ck_assert_msg(dz_pidfile_parse(buf, len, &pid) == 0,
		    "case %d rejected: %s", _i, strerror(errno));
		ck_assert_int_eq(pid, c->pid);
	} else {
		ck_assert_msg(dz_pidfile_parse(buf, len, &pid) == -1,
		    "case %d accepted", _i);
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
	ck_assert_int_eq(dz_pidfile_parse("12345", 2, &pid), 0);
	ck_assert_int_eq(pid, 12);
	/* Huge input is refused without looking at it all. */
	memset(big, '1', sizeof(big));
	ck_assert_int_eq(dz_pidfile_parse(big, sizeof(big), &pid), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* 64 bytes are fine, 65 are not, whatever they hold. */
	memset(big, ' ', sizeof(big));
	big[63] = '7';
	ck_assert_int_eq(dz_pidfile_parse(big, 64, &pid), 0);
	ck_assert_int_eq(pid, 7);
	ck_assert_int_eq(dz_pidfile_parse(big, 65, &pid), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(dz_pidfile_parse(NULL, 0, &pid), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(dz_pidfile_parse("1", 1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(pid, 7);
}
END_TEST

/* ---- configuration ---------------------------------------------------------- */

START_TEST(test_set_pidfile)
{
	char *dir = tu_tmpdir();
	struct daemonize *d = ctx(NULL);

	errno = 0;
	ck_assert_int_eq(daemonize_set_pidfile(NULL, "/x.pid"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(daemonize_set_pidfile(d, ""), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(daemonize_error(d), "pidfile"));
	ck_assert_ptr_null(d->pidfile.path);
	/* Relative paths are made absolute: the daemon chdirs. */
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(daemonize_set_pidfile(d, "rel.pid"), 0);
	ck_assert_str_eq(d->pidfile.path, tu_fmt("%s/rel.pid", dir));
	ck_assert_int_eq(daemonize_set_pidfile(d, NULL), 0);
	ck_assert_ptr_null(d->pidfile.path);
	d->started = true;
	ck_assert_int_eq(daemonize_set_pidfile(d, "/x.pid"), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_ptr_nonnull(strstr(daemonize_error(d), "pidfile: "));
	d->started = false;
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_no_pidfile)
{
	struct daemonize *d = ctx(NULL);
	int nfds = tu_nfds(0);

	ck_assert_int_eq(dz_pidfile_open(d), 0);
	ck_assert_int_eq(d->pidfile.fd, -1);
	ck_assert_int_eq(dz_pidfile_write(d), 0);
	ck_assert_int_eq(d->pidfile.written_by, 0);
	errno = 1234;
	dz_pidfile_release(d, true);
	ck_assert_int_eq(errno, 1234);
	ck_assert_int_eq(tu_nfds(0), nfds);
	daemonize_free(d);
}
END_TEST

/* ---- open, write, release ------------------------------------------------ */

START_TEST(test_open_write_release)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/d.pid", dir);
	struct daemonize *d = ctx(path);
	int nfds = tu_nfds(0), flags;
	struct stat st;

	umask(022);
	ck_assert_int_eq(dz_pidfile_open(d), 0);
	ck_assert_int_ge(d->pidfile.fd, 3);
	ck_assert_int_eq(tu_nfds(0), nfds + 1);
	flags = fcntl(d->pidfile.fd, F_GETFD);
	ck_assert_int_ne(flags, -1);
	ck_assert(flags & FD_CLOEXEC);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	ck_assert(st.st_dev == d->pidfile.dev && st.st_ino == d->pidfile.ino);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert(tu_lock_held(path));
	ck_assert_int_eq(d->pidfile.written_by, 0);
	/* A second open on the same context is refused. */
	ck_assert_int_eq(dz_pidfile_open(d), -1);
	ck_assert_int_eq(errno, EALREADY);

	ck_assert_int_eq(dz_pidfile_write(d), 0);
	ck_assert_int_eq(d->pidfile.written_by, getpid());
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)getpid()));
	/* Writing again gives the same single line. */
	ck_assert_int_eq(dz_pidfile_write(d), 0);
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)getpid()));
	ck_assert_int_eq(daemonize_pidfile_running(path), getpid());

	dz_pidfile_release(d, true);
	ck_assert(!tu_exists(path));
	ck_assert_int_eq(d->pidfile.fd, -1);
	ck_assert_int_eq(d->pidfile.written_by, 0);
	ck_assert_str_eq(d->pidfile.path, path);    /* kept */
	ck_assert_int_eq(tu_nfds(0), nfds);
	ck_assert_int_eq(daemonize_pidfile_running(path), 0);
	/* Idempotent, errno preserved. */
	errno = 4321;
	dz_pidfile_release(d, true);
	dz_pidfile_release(d, false);
	ck_assert_int_eq(errno, 4321);
	/* The context can open again once released. */
	ck_assert_int_eq(dz_pidfile_open(d), 0);
	dz_pidfile_release(d, true);
	ck_assert(!tu_exists(path));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_write_not_open)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/n.pid", dir);
	struct daemonize *d = ctx(path);

	ck_assert_int_eq(dz_pidfile_write(d), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_str_eq(daemonize_error(d),
	    tu_fmt("pidfile: %s: not open: %s", path, strerror(EBADF)));
	ck_assert(!tu_exists(path));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* An existing file with a stale pid is reused and truncated at once. */
START_TEST(test_open_existing_stale)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/s.pid", dir);
	struct daemonize *d = ctx(path);
	struct stat st;

	put_file(path, "999999\n", 7);
	ck_assert_int_eq(dz_pidfile_open(d), 0);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(dz_pidfile_write(d), 0);
	ck_assert_int_eq(daemonize_pidfile_running(path), getpid());
	daemonize_free(d);      /* release(false): the file stays */
	ck_assert(tu_exists(path));
	ck_assert_int_eq(daemonize_pidfile_running(path), 0);
	ck_assert(!tu_lock_held(path));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_second_instance)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/two.pid", dir);
	struct daemonize *d1 = ctx(path), *d2 = ctx(path);
	int nfds;

	ck_assert_int_eq(dz_pidfile_open(d1), 0);
	/* The first has not written its pid yet: "starting up". */
	nfds = tu_nfds(0);
	ck_assert_int_eq(dz_pidfile_open(d2), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_str_eq(daemonize_error(d2), tu_fmt("pidfile: %s: already "
	    "running, pid unknown (starting up)", path));
	ck_assert_int_eq(d2->pidfile.fd, -1);
	ck_assert_int_eq(tu_nfds(0), nfds);

	ck_assert_int_eq(dz_pidfile_write(d1), 0);
	ck_assert_int_eq(dz_pidfile_open(d2), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_str_eq(daemonize_error(d2), tu_fmt("pidfile: %s: already "
	    "running, pid %ld", path, (long)getpid()));
	ck_assert_int_eq(tu_nfds(0), nfds);
	/* The loser touched nothing: content, lock and file are the first's. */
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)getpid()));
	ck_assert(tu_lock_held(path));
	/* Its release (start's failure path) must not remove the file. */
	dz_pidfile_release(d2, true);
	ck_assert(tu_exists(path));
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)getpid()));

	dz_pidfile_release(d1, true);
	ck_assert(!tu_exists(path));
	/* Now the second one gets it. */
	ck_assert_int_eq(dz_pidfile_open(d2), 0);
	dz_pidfile_release(d2, true);
	ck_assert(!tu_exists(path));
	daemonize_free(d1);
	daemonize_free(d2);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The holder is another process (the usual case), with a foreign pid. */
START_TEST(test_second_instance_other_process)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/o.pid", dir);
	struct daemonize *d = ctx(path);
	pid_t pid = fake_daemon(path, false);

	ck_assert_int_eq(dz_pidfile_open(d), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_str_eq(daemonize_error(d), tu_fmt("pidfile: %s: already "
	    "running, pid %ld", path, (long)pid));
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert(WIFSIGNALED(tu_child_status(pid, 5000)));
	/* Its lock died with it: the file is ours now. */
	ck_assert_int_eq(dz_pidfile_open(d), 0);
	dz_pidfile_release(d, true);
	ck_assert(!tu_exists(path));
	daemonize_free(d);
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
	struct daemonize *d = ctx(path), *d2 = ctx(dangling);
	int nfds = tu_nfds(0);
	struct stat st;

	put_file(target, "precious\n", 9);
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(dz_pidfile_open(d), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_str_eq(daemonize_error(d), tu_fmt("pidfile: %s: is a "
	    "symbolic link, refusing to follow it: %s", path, strerror(ELOOP)));
	ck_assert_int_eq(d->pidfile.fd, -1);
	ck_assert_int_eq(tu_nfds(0), nfds);
	/* The target is untouched and unlocked. */
	ck_assert_str_eq(content(target), "precious\n");
	ck_assert(!tu_lock_held(target));
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	/* Releasing after the failure does nothing to either. */
	dz_pidfile_release(d, true);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_str_eq(content(target), "precious\n");

	/* A dangling symlink must not create its target. */
	ck_assert_int_eq(symlink(nowhere, dangling), 0);
	ck_assert_int_eq(dz_pidfile_open(d2), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert(!tu_exists(nowhere));
	ck_assert_int_eq(tu_nfds(0), nfds);

	/* The readers do not follow it either. */
	ck_assert_int_eq(daemonize_pidfile_running(path), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(daemonize_pidfile_kill(path, 0), -1);
	ck_assert_int_eq(errno, ELOOP);

	daemonize_free(d);
	daemonize_free(d2);
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
	struct daemonize *d = ctx(sub), *d2 = ctx(fifo);
	int nfds = tu_nfds(0);
	struct stat st;

	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(dz_pidfile_open(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(daemonize_error(d), tu_fmt("pidfile: %s: not a "
	    "regular file: %s", sub, strerror(EINVAL)));
	/* A fifo: refused, and opening it must not block. */
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	ck_assert_int_eq(dz_pidfile_open(d2), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(daemonize_error(d2), tu_fmt("pidfile: %s: not a "
	    "regular file: %s", fifo, strerror(EINVAL)));
	ck_assert_int_eq(tu_nfds(0), nfds);
	ck_assert_int_eq(lstat(fifo, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	dz_pidfile_release(d2, true);
	ck_assert(tu_exists(fifo));
	/* Readers refuse them too, and do not block on the fifo. */
	ck_assert_int_eq(daemonize_pidfile_running(sub), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(daemonize_pidfile_running(fifo), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tu_nfds(0), nfds);
	daemonize_free(d);
	daemonize_free(d2);
	ck_assert_int_eq(unlink(fifo), 0);
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_missing_directory)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/nodir/x.pid", dir);
	struct daemonize *d = ctx(path);
	int nfds = tu_nfds(0);

	ck_assert_int_eq(dz_pidfile_open(d), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(daemonize_error(d), tu_fmt("pidfile: %s: cannot "
	    "open: %s", path, strerror(ENOENT)));
	ck_assert_int_eq(tu_nfds(0), nfds);
	ck_assert(!tu_exists(tu_fmt("%s/nodir", dir)));
	/* Readers: a missing file (or directory) is "not running". */
	ck_assert_int_eq(daemonize_pidfile_running(path), 0);
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* With fd 1 closed the pidfile would land on it; it must not. */
START_TEST(test_fd_not_on_stdio)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/fd.pid", dir);
	struct daemonize *d = ctx(path);
	int flags;

	ck_assert_int_eq(close(1), 0);
	ck_assert_int_eq(dz_pidfile_open(d), 0);
	ck_assert_int_ge(d->pidfile.fd, 3);
	flags = fcntl(d->pidfile.fd, F_GETFD);
	ck_assert(flags != -1 && (flags & FD_CLOEXEC));
	/* fd 1 stays closed: nothing was left on it. */
	ck_assert_int_eq(fcntl(1, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert(tu_lock_held(path));
	ck_assert_int_eq(dz_pidfile_write(d), 0);
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)getpid()));
	dz_pidfile_release(d, true);
	ck_assert(!tu_exists(path));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_fd_not_on_stdio_all_closed)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/fd3.pid", dir);
	struct daemonize *d = ctx(path);
	int fd;

	close(0);
	close(1);
	close(2);
	ck_assert_int_eq(dz_pidfile_open(d), 0);
	ck_assert_int_ge(d->pidfile.fd, 3);
	for (fd = 0; fd < 3; fd++)
		ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert(tu_lock_held(path));
	dz_pidfile_release(d, true);
	ck_assert(!tu_exists(path));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A failed start: the original process opened it, wrote nothing, and
 * releases with remove: no file is left behind. */
START_TEST(test_release_unwritten_removes)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/u.pid", dir);
	struct daemonize *d = ctx(path);

	ck_assert_int_eq(dz_pidfile_open(d), 0);
	ck_assert_int_eq(d->pidfile.written_by, 0);
	dz_pidfile_release(d, true);
	ck_assert(!tu_exists(path));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_release_keep)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/k.pid", dir);
	struct daemonize *d = ctx(path);

	ck_assert_int_eq(dz_pidfile_open(d), 0);
	ck_assert_int_eq(dz_pidfile_write(d), 0);
	dz_pidfile_release(d, false);
	ck_assert_str_eq(content(path), tu_fmt("%ld\n", (long)getpid()));
	ck_assert(!tu_lock_held(path));
	ck_assert_int_eq(d->pidfile.fd, -1);
	daemonize_free(d);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A forked worker inherits the context; its release must neither remove
 * nor truncate the daemon's file, nor release the daemon's lock. */
START_TEST(test_release_in_worker)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/w.pid", dir);
	struct daemonize *d = ctx(path);
	char *want;
	pid_t pid;
	int status;

	ck_assert_int_eq(dz_pidfile_open(d), 0);
	ck_assert_int_eq(dz_pidfile_write(d), 0);
	want = tu_fmt("%ld\n", (long)getpid());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(10);
		dz_pidfile_release(d, true);
		_exit(d->pidfile.fd == -1 ? 0 : 1);
	}
	status = tu_child_status(pid, 5000);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_str_eq(content(path), want);
	ck_assert(tu_lock_held(path));
	ck_assert_int_eq(daemonize_pidfile_running(path), getpid());
	dz_pidfile_release(d, true);
	ck_assert(!tu_exists(path));
	daemonize_free(d);
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
	struct daemonize *d = ctx(path);
	struct stat st;

	ck_assert_int_eq(dz_pidfile_open(d), 0);
	ck_assert_int_eq(dz_pidfile_write(d), 0);
	ck_assert_int_eq(link(path, old), 0);   /* keep our inode visible */
	put_file(other, "someone else\n", 13);
	ck_assert_int_eq(rename(other, path), 0);
	dz_pidfile_release(d, true);
	ck_assert_str_eq(content(path), "someone else\n");
	ck_assert_int_eq(lstat(old, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert(!tu_lock_held(old));
	daemonize_free(d);
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

	if (geteuid() != 0) {
		fprintf(stderr, "skipped: needs root\n");
		return;
	}
	dir = tu_tmpdir();              /* root's, mode 0755 */
	path = tu_fmt("%s/t.pid", dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct daemonize *d = ctx(path);

		alarm(10);
		if (dz_pidfile_open(d) == -1 || dz_pidfile_write(d) == -1)
			_exit(2);
		if (setgroups(0, NULL) == -1 || setgid(NOBODY) == -1 ||
		    setuid(NOBODY) == -1)
			_exit(3);
		if (unlink(path) != -1 || errno != EACCES)
			_exit(4);       /* the premise of the test */
		dz_pidfile_release(d, true);
		_exit(d->pidfile.fd == -1 ? 0 : 5);
	}
	status = tu_child_status(pid, 5000);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert(!tu_lock_held(path));
	ck_assert_int_eq(daemonize_pidfile_running(path), 0);
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
	ck_assert_int_eq(daemonize_pidfile_running(path), 0);
	ck_assert_int_eq(daemonize_pidfile_kill(path, SIGTERM), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(daemonize_pidfile_stop(path, SIGTERM, 100), 0);
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

	ck_assert_int_eq(daemonize_pidfile_running(path), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(daemonize_pidfile_kill(path, SIGTERM), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(daemonize_pidfile_stop(path, SIGTERM, 50), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert(tu_lock_held(path));  /* the holder keeps its lock */
	close(fd);
	ck_assert_int_eq(daemonize_pidfile_running(path), 0);
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
	ck_assert_int_eq(daemonize_pidfile_running(path), 0);
	ck_assert_int_eq(daemonize_pidfile_kill(path, SIGTERM), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(daemonize_pidfile_stop(path, SIGTERM, 100), 0);
	tu_msleep(20);
	ck_assert(tu_alive(victim));
	ck_assert_int_eq(waitpid(victim, NULL, WNOHANG), 0);
	/* Same with our parent's pid (Check's runner): untouched. */
	put_file(path, p, strlen(p));
	ck_assert_int_eq(daemonize_pidfile_running(path), 0);
	ck_assert_int_eq(daemonize_pidfile_kill(path, SIGKILL), -1);
	ck_assert_int_eq(errno, ESRCH);
	tu_kill(victim);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_readers_locked_good)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/good.pid", dir);
	int fd;

	fd = hold(path, "123\n", 4);
	ck_assert_int_eq(daemonize_pidfile_running(path), 123);
	close(fd);
	fd = hold(path, "123", 3);      /* libbsd's format */
	ck_assert_int_eq(daemonize_pidfile_running(path), 123);
	close(fd);
	fd = hold(path, "  456 \n", 7);
	ck_assert_int_eq(daemonize_pidfile_running(path), 456);
	/* The reader's shared lock attempt left the holder's lock alone. */
	ck_assert(tu_lock_held(path));
	close(fd);
	ck_assert_int_eq(daemonize_pidfile_running(path), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_readers_missing_and_bad_args)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/none.pid", dir);
	int nfds = tu_nfds(0);

	ck_assert_int_eq(daemonize_pidfile_running(path), 0);
	ck_assert(!tu_exists(path));       /* never created by a reader */
	ck_assert_int_eq(daemonize_pidfile_kill(path, SIGTERM), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(daemonize_pidfile_stop(path, 0, 1000), 0);
	ck_assert(!tu_exists(path));
	ck_assert_int_eq(daemonize_pidfile_running(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(daemonize_pidfile_running(""), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(daemonize_pidfile_kill(NULL, SIGTERM), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(daemonize_pidfile_stop(NULL, SIGTERM, 10), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(daemonize_pidfile_stop(path, -1, 10), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tu_nfds(0), nfds);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_kill_running)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/kill.pid", dir);
	pid_t pid = fake_daemon(path, false);
	int status;

	ck_assert_int_eq(daemonize_pidfile_running(path), pid);
	ck_assert_int_eq(daemonize_pidfile_kill(path, 0), 0);  /* probe */
	ck_assert(tu_alive(pid));
	ck_assert_int_eq(daemonize_pidfile_kill(path, SIGTERM), 0);
	status = tu_child_status(pid, 5000);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ck_assert_int_eq(daemonize_pidfile_running(path), 0);
	ck_assert_int_eq(daemonize_pidfile_kill(path, SIGTERM), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_stop_fake_daemon)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/stop.pid", dir);
	pid_t pid = fake_daemon(path, false);
	int status;

	ck_assert_int_eq(daemonize_pidfile_stop(path, 0, 5000), 0);
	/* The lock is free when stop returns: the process is gone. */
	ck_assert(!tu_lock_held(path));
	ck_assert_int_eq(daemonize_pidfile_running(path), 0);
	status = tu_child_status(pid, 5000);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_stop_timeout)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/hang.pid", dir);
	pid_t pid = fake_daemon(path, true);
	int status;

	ck_assert_int_eq(daemonize_pidfile_stop(path, SIGTERM, 200), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert(tu_alive(pid));
	ck_assert_int_eq(daemonize_pidfile_running(path), pid);
	/* Another signal gets through. */
	ck_assert_int_eq(daemonize_pidfile_stop(path, SIGKILL, 5000), 0);
	status = tu_child_status(pid, 5000);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* timeout 0: signal and return at once. */
START_TEST(test_stop_no_wait)
{
	char *dir = tu_tmpdir();
	char *path = tu_fmt("%s/nowait.pid", dir);
	pid_t pid = fake_daemon(path, true);
	int status;

	ck_assert_int_eq(daemonize_pidfile_stop(path, SIGTERM, 0), 0);
	ck_assert(tu_alive(pid));       /* ignored SIGTERM, not waited on */
	ck_assert_int_eq(daemonize_pidfile_stop(path, SIGKILL, 0), 0);
	status = tu_child_status(pid, 5000);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(daemonize_pidfile_running(path), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
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
	int stopped, stop_errno;
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
		status[i] = tu_child_status(pids[i], 20000);
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
	daemon = daemonize_pidfile_running(path);
	lock_held = tu_lock_held(path);
	ndaemons = count_with_arg(path, &seen);
	stopped = daemonize_pidfile_stop(path, SIGTERM, 10000);
	stop_errno = errno;
	gone = daemon > 0 && tu_wait_gone(daemon, 5000) == 0;
	if (!gone && daemon > 0)
		tu_kill(daemon);
	/* Anything still alive that names our pidfile is a leak. */
	if (count_with_arg(path, &found) > 0)
		tu_kill(found);

	ck_assert_msg(other == 0, "%d unexpected outcomes, last: %s", other,
	    other_msg);
	ck_assert_int_eq(ok, 1);
	ck_assert_int_eq(busy, RACERS - 1);
	ck_assert_int_gt(daemon, 0);
	ck_assert(lock_held);
	ck_assert_int_eq(ndaemons, 1);
	ck_assert_int_eq(seen, daemon);
	ck_assert_msg(stopped == 0, "stop: %s", strerror(stop_errno));
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

	tc = tcase_create("context");
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
	tcase_add_loop_test(tc, test_readers_unlocked_bad, 0,
	    (int)(sizeof(reader_cases) / sizeof(reader_cases[0])));
	tcase_add_loop_test(tc, test_readers_locked_bad, 0,
	    (int)(sizeof(reader_cases) / sizeof(reader_cases[0])));
	tcase_add_test(tc, test_readers_stale_live_pid);
	tcase_add_test(tc, test_readers_locked_good);
	tcase_add_test(tc, test_readers_missing_and_bad_args);
	tcase_add_test(tc, test_kill_running);
	tcase_add_test(tc, test_stop_fake_daemon);
	tcase_add_test(tc, test_stop_timeout);
	tcase_add_test(tc, test_stop_no_wait);
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

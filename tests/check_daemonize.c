/*
 * check_daemonize.c - lib/daemonize.c: the context, the generic setters,
 * and the rules of start, ready, fail and stop, in the foreground and
 * supervised modes that run inside the test process (background mode is
 * driven from outside through tests/helper in check_fork.c).
 *
 * Check runs each test in its own forked process, so a test may start a
 * context, change its cwd and install signal handlers freely.
 */
#include "internal.h"

#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

/* Assert a failure: -1, errno, and every fragment in the error text. */
#define ASSERT_FAIL(call, d, err, frag1, frag2) do {			\
	errno = 0;							\
	ck_assert_int_eq((call), -1);					\
	ck_assert_int_eq(errno, (err));					\
	tu_assert_text((d), (frag1));					\
	tu_assert_text((d), (frag2));					\
} while (0)

static mode_t
current_umask(void)
{
	mode_t m = umask(0);

	(void)umask(m);
	return m;
}

/* The open fds of this process with their targets, "fd=target;..."
 * (the listing's own fd left out), in a malloc'ed string. */
static char *
fd_targets(void)
{
	char *out = calloc(1, 65536);
	struct dirent *e;
	DIR *dir;
	int fd;

	ck_assert_ptr_nonnull(out);
	dir = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(dir);
	/* /proc lists fds in ascending order. */
	while ((e = readdir(dir)) != NULL) {
		char path[64], target[PATH_MAX];
		ssize_t n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = atoi(e->d_name);
		if (fd == dirfd(dir))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		snprintf(out + strlen(out), 65536 - strlen(out), "%d=%s;", fd,
		    target);
	}
	closedir(dir);
	return out;
}

/* ---- the context --------------------------------------------------------- */

START_TEST(test_new_invalid)
{
	const char *bad[] = { NULL, "", "a/b", "/", "name/" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_ptr_null(daemonize_new(bad[i]));
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_new_defaults)
{
	struct daemonize *d = tu_ctx("test");

	ck_assert_str_eq(d->name, "test");
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_NONE);
	ck_assert_str_eq(daemonize_error(d), "no error");
	ck_assert_uint_eq(d->umask, 022);
	ck_assert(!d->umask_set);
	ck_assert_ptr_null(d->workdir);
	ck_assert_ptr_null(d->output_path);
	ck_assert_ptr_null(d->pidfile.path);
	ck_assert_int_eq(d->pidfile.fd, -1);
	ck_assert_int_eq(d->status_fd, -1);
	ck_assert_int_eq(d->notify_fd, -1);
	ck_assert_uint_eq(d->timeout_ms, 0);
	ck_assert(!d->started);
	daemonize_free(d);
}
END_TEST

START_TEST(test_error_and_free_null)
{
	const char *s = daemonize_error(NULL);

	ck_assert_ptr_nonnull(s);
	ck_assert(*s != '\0');
	errno = ENOENT;
	daemonize_free(NULL);
	ck_assert_int_eq(errno, ENOENT);
	/* free keeps errno, so it can sit between a failure and its report */
	{
		struct daemonize *d = tu_ctx("test");

		errno = EADDRINUSE;
		daemonize_free(d);
		ck_assert_int_eq(errno, EADDRINUSE);
	}
}
END_TEST

START_TEST(test_mode_values)
{
	struct daemonize *d = tu_ctx("test");

	/* Distinct, and NONE is 0 so a zeroed context reads "not started". */
	ck_assert_int_eq(DAEMONIZE_MODE_NONE, 0);
	ck_assert_int_ne(DAEMONIZE_MODE_BACKGROUND, DAEMONIZE_MODE_NONE);
	ck_assert_int_ne(DAEMONIZE_MODE_FOREGROUND, DAEMONIZE_MODE_NONE);
	ck_assert_int_ne(DAEMONIZE_MODE_SUPERVISED, DAEMONIZE_MODE_NONE);
	ck_assert_int_ne(DAEMONIZE_MODE_BACKGROUND, DAEMONIZE_MODE_FOREGROUND);
	ck_assert_int_ne(DAEMONIZE_MODE_BACKGROUND, DAEMONIZE_MODE_SUPERVISED);
	ck_assert_int_ne(DAEMONIZE_MODE_FOREGROUND, DAEMONIZE_MODE_SUPERVISED);
	ck_assert_int_ne(DAEMONIZE_PARENT, 0);
	ck_assert_int_ne(DAEMONIZE_PARENT, -1);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_NONE);
	errno = 0;
	ck_assert_int_eq(daemonize_mode(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	daemonize_free(d);
}
END_TEST

/* ---- every call with a NULL context -------------------------------------- */

/* Each call as an int (*)(struct daemonize *), for the table below. */
#define CALL(name, expr)						\
static int								\
c_##name(struct daemonize *d)						\
{									\
	return (expr);							\
}

CALL(flags, daemonize_set_flags(d, 0))
CALL(pidfile, daemonize_set_pidfile(d, "/tmp/x.pid"))
CALL(output, daemonize_set_output(d, "/tmp/x.log"))
CALL(keep, daemonize_keep_fd(d, 0))
CALL(umask, daemonize_set_umask(d, 022))
CALL(workdir, daemonize_set_workdir(d, "/"))
CALL(timeout, daemonize_set_timeout(d, 100))
CALL(user, daemonize_set_user(d, "root", NULL))
CALL(chroot, daemonize_set_chroot(d, "/"))
CALL(jail, daemonize_set_jail(d, "j"))
CALL(notify, daemonize_set_notify_fd(d, -1))
CALL(signal, daemonize_add_signal(d, SIGUSR1))
CALL(start, daemonize_start(d))
CALL(ready, daemonize_ready(d))
CALL(fail, daemonize_fail(d, EIO, "x"))
CALL(stop, daemonize_stop(d))
CALL(reopen, daemonize_reopen_output(d))
CALL(mode, daemonize_mode(d))

static const struct {
	const char *name;
	const char *step;	/* how the error text names it after start */
	int (*call)(struct daemonize *);
} calls[] = {
	{ "set_flags", "flags", c_flags },
	{ "set_pidfile", "pidfile", c_pidfile },
	{ "set_output", "output", c_output },
	{ "keep_fd", "keep_fd", c_keep },
	{ "set_umask", "umask", c_umask },
	{ "set_workdir", "workdir", c_workdir },
	{ "set_timeout", "timeout", c_timeout },
	{ "set_user", NULL, c_user },
	{ "set_chroot", "chroot", c_chroot },
	{ "set_jail", "jail", c_jail },
	{ "set_notify_fd", "notify", c_notify },
	{ "add_signal", "signals", c_signal },
	/* not setters: checked with NULL only */
	{ "start", NULL, c_start },
	{ "ready", NULL, c_ready },
	{ "fail", NULL, c_fail },
	{ "stop", NULL, c_stop },
	{ "reopen_output", NULL, c_reopen },
	{ "mode", NULL, c_mode },
};
#define NSETTERS 12

START_TEST(test_null_context)
{
	size_t i;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		errno = 0;
		ck_assert_msg(calls[i].call(NULL) == -1,
		    "daemonize_%s(NULL) did not fail", calls[i].name);
		ck_assert_msg(errno == EINVAL, "daemonize_%s(NULL): errno %d",
		    calls[i].name, errno);
	}
}
END_TEST

/* Configuration is frozen once start has returned: EBUSY, with the
 * setter's step in the text, and the value unchanged. */
START_TEST(test_setters_after_start)
{
	struct daemonize *d = tu_ctx("test");
	size_t i;

	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	for (i = 0; i < NSETTERS; i++) {
		errno = 0;
		ck_assert_msg(calls[i].call(d) == -1,
		    "daemonize_%s after start did not fail", calls[i].name);
		ck_assert_msg(errno == EBUSY, "daemonize_%s after start: "
		    "errno %d", calls[i].name, errno);
		ck_assert_msg(strstr(daemonize_error(d), "configuration cannot "
		    "change after daemonize_start") != NULL,
		    "daemonize_%s: \"%s\"", calls[i].name, daemonize_error(d));
		if (calls[i].step != NULL)
			ck_assert_msg(strncmp(daemonize_error(d),
			    calls[i].step, strlen(calls[i].step)) == 0,
			    "daemonize_%s: \"%s\" does not start with \"%s\"",
			    calls[i].name, daemonize_error(d), calls[i].step);
	}
	ck_assert_uint_eq(d->flags, DAEMONIZE_FOREGROUND);
	ck_assert_ptr_null(d->pidfile.path);
	ck_assert_ptr_null(d->output_path);
	ck_assert_uint_eq(d->nkeep, 0);
	ck_assert(!d->umask_set);
	ck_assert_uint_eq(d->timeout_ms, 0);
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
}
END_TEST

/* ---- bad values ---------------------------------------------------------- */

START_TEST(test_flags)
{
	struct daemonize *d = tu_ctx("test");

	ASSERT_FAIL(daemonize_set_flags(d, 0x100), d, EINVAL,
	    "flags: unknown flag bits", "0x100");
	ASSERT_FAIL(daemonize_set_flags(d, DAEMONIZE_FOREGROUND | 0x80000000u),
	    d, EINVAL, "flags: unknown flag bits", "0x80000000");
	ASSERT_FAIL(daemonize_set_flags(d, DAEMONIZE_DETACH |
	    DAEMONIZE_NO_DETACH), d, EINVAL, "flags: ", "contradicts");
	ASSERT_FAIL(daemonize_set_flags(d, DAEMONIZE_DETACH |
	    DAEMONIZE_FOREGROUND), d, EINVAL, "flags: ", "contradicts");
	/* a refused value leaves the previous one */
	ck_assert_uint_eq(d->flags, 0);

	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_DETACH |
	    DAEMONIZE_KEEP_SIGPIPE), 0);
	ck_assert_uint_eq(d->flags, DAEMONIZE_DETACH | DAEMONIZE_KEEP_SIGPIPE);
	ASSERT_FAIL(daemonize_set_flags(d, 0x40), d, EINVAL,
	    "unknown flag bits", NULL);
	ck_assert_uint_eq(d->flags, DAEMONIZE_DETACH | DAEMONIZE_KEEP_SIGPIPE);
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_FOREGROUND |
	    DAEMONIZE_NO_DETACH), 0);
	ck_assert_int_eq(daemonize_set_flags(d, 0), 0);
	ck_assert_uint_eq(d->flags, 0);
	daemonize_free(d);
}
END_TEST

START_TEST(test_umask)
{
	struct daemonize *d = tu_ctx("test");

	ASSERT_FAIL(daemonize_set_umask(d, 01000), d, EINVAL, "umask: ",
	    "01000 is not a file mode mask");
	ASSERT_FAIL(daemonize_set_umask(d, 04022), d, EINVAL, "umask: ",
	    "not a file mode mask");
	ck_assert(!d->umask_set);
	ck_assert_uint_eq(d->umask, 022);
	ck_assert_int_eq(daemonize_set_umask(d, 0777), 0);
	ck_assert_uint_eq(d->umask, 0777);
	ck_assert_int_eq(daemonize_set_umask(d, 0), 0);
	ck_assert_uint_eq(d->umask, 0);
	ck_assert(d->umask_set);
	daemonize_free(d);
}
END_TEST

START_TEST(test_workdir)
{
	struct daemonize *d = tu_ctx("test");

	ASSERT_FAIL(daemonize_set_workdir(d, "var/lib"), d, EINVAL,
	    "workdir: var/lib", "not an absolute path");
	ASSERT_FAIL(daemonize_set_workdir(d, NULL), d, EINVAL, "workdir: ",
	    "not an absolute path");
	ASSERT_FAIL(daemonize_set_workdir(d, ""), d, EINVAL, "workdir: ",
	    "not an absolute path");
	ASSERT_FAIL(daemonize_set_workdir(d, "./x"), d, EINVAL, "workdir: ./x",
	    "not an absolute path");
	ck_assert_ptr_null(d->workdir);
	ck_assert_int_eq(daemonize_set_workdir(d, "/var"), 0);
	ck_assert_str_eq(d->workdir, "/var");
	ASSERT_FAIL(daemonize_set_workdir(d, "rel"), d, EINVAL, "workdir",
	    NULL);
	ck_assert_str_eq(d->workdir, "/var");
	daemonize_free(d);
}
END_TEST

START_TEST(test_empty_paths)
{
	struct daemonize *d = tu_ctx("test");

	ASSERT_FAIL(daemonize_set_pidfile(d, ""), d, EINVAL, "pidfile: ",
	    "empty path");
	ASSERT_FAIL(daemonize_set_output(d, ""), d, EINVAL, "output: ",
	    "empty path");
	ck_assert_ptr_null(d->pidfile.path);
	ck_assert_ptr_null(d->output_path);
	/* NULL clears a configured path */
	ck_assert_int_eq(daemonize_set_pidfile(d, "/tmp/a.pid"), 0);
	ck_assert_str_eq(d->pidfile.path, "/tmp/a.pid");
	ck_assert_int_eq(daemonize_set_pidfile(d, NULL), 0);
	ck_assert_ptr_null(d->pidfile.path);
	ck_assert_int_eq(daemonize_set_output(d, "/tmp/a.log"), 0);
	ck_assert_int_eq(daemonize_set_output(d, NULL), 0);
	ck_assert_ptr_null(d->output_path);
	daemonize_free(d);
}
END_TEST

/* Relative paths are resolved against the cwd at the time of the call. */
START_TEST(test_relative_paths_stored_absolute)
{
	struct daemonize *d = tu_ctx("test");
	char *dir = tu_tmpdir();

	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(daemonize_set_pidfile(d, "x.pid"), 0);
	ck_assert_str_eq(d->pidfile.path, tu_fmt("%s/x.pid", dir));
	ck_assert_int_eq(daemonize_set_output(d, "logs/x.log"), 0);
	ck_assert_str_eq(d->output_path, tu_fmt("%s/logs/x.log", dir));
	/* at the root, no "//" */
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(daemonize_set_pidfile(d, "y.pid"), 0);
	ck_assert_str_eq(d->pidfile.path, "/y.pid");
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ...and that is where start puts the file, whatever the cwd is then. */
START_TEST(test_relative_pidfile_behaviour)
{
	struct daemonize *d = tu_ctx("test");
	char *first = tu_tmpdir(), *second = tu_tmpdir();
	char *expect = tu_fmt("%s/rel.pid", first);
	char buf[64];

	ck_assert_int_eq(chdir(first), 0);
	ck_assert_int_eq(daemonize_set_pidfile(d, "rel.pid"), 0);
	ck_assert_int_eq(chdir(second), 0);
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_NO_DETACH), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert(tu_exists(expect));
	ck_assert(!tu_exists(tu_fmt("%s/rel.pid", second)));
	ck_assert_int_gt(tu_read_file(expect, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, tu_fmt("%ld\n", (long)getpid()));
	/* and stop removes it there, from elsewhere */
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(expect));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(first), 0);
	ck_assert_int_eq(rmdir(second), 0);
}
END_TEST

/* ---- start, ready, fail, stop: the state rules --------------------------- */

START_TEST(test_before_start)
{
	struct daemonize *d = tu_ctx("test");

	ASSERT_FAIL(daemonize_ready(d), d, EINVAL, "ready: ",
	    "daemonize_start has not returned 0 in this process");
	ASSERT_FAIL(daemonize_fail(d, EIO, "boom %d", 1), d, EINVAL, "fail: ",
	    "daemonize_start has not returned 0 in this process");
	/* stop before start is a harmless no-op */
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_NONE);
	daemonize_free(d);
}
END_TEST

START_TEST(test_fail_bad_arguments)
{
	struct daemonize *d = tu_ctx("test");

	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ASSERT_FAIL(daemonize_fail(d, -1, "x"), d, EINVAL, "fail: ",
	    "bad arguments");
	ASSERT_FAIL(daemonize_fail(d, EIO, NULL), d, EINVAL, "fail: ",
	    "bad arguments");
	errno = 0;
	ck_assert_int_eq(daemonize_fail(NULL, EIO, "x"), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* a good call keeps the caller's errno and message */
	ck_assert_int_eq(daemonize_fail(d, EADDRINUSE, "cannot bind port %d",
	    80), 0);
	ck_assert_int_eq(errno, EADDRINUSE);
	ck_assert_msg(strstr(daemonize_error(d), "cannot bind port 80") != NULL,
	    "%s", daemonize_error(d));
	ck_assert_msg(strstr(daemonize_error(d), strerror(EADDRINUSE)) != NULL,
	    "%s", daemonize_error(d));
	/* errno 0 is allowed: a failure without a system error */
	ck_assert_int_eq(daemonize_fail(d, 0, "config: bad line %d", 3), 0);
	ck_assert_str_eq(daemonize_error(d), "config: bad line 3");
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
}
END_TEST

START_TEST(test_start_twice)
{
	struct daemonize *d = tu_ctx("test");

	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ASSERT_FAIL(daemonize_start(d), d, EALREADY, "start: ",
	    "daemonize_start was already called");
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_FOREGROUND);
	ck_assert_int_eq(daemonize_stop(d), 0);
	ASSERT_FAIL(daemonize_start(d), d, EALREADY, "start: ", "already");
	daemonize_free(d);
}
END_TEST

/* Foreground: nothing about the process changes. */
START_TEST(test_foreground)
{
	struct daemonize *d = tu_ctx("test");
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/fg.pid", dir);
	char *logfile = tu_fmt("%s/fg.log", dir);
	char cwd_before[PATH_MAX], cwd_after[PATH_MAX];
	pid_t pid = getpid(), ppid = getppid(), sid = getsid(0);
	mode_t mask;
	char *before, *after, *p;

	ck_assert_int_eq(chdir(dir), 0);
	(void)umask(027);
	mask = current_umask();
	ck_assert_ptr_nonnull(getcwd(cwd_before, sizeof(cwd_before)));
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_set_output(d, logfile), 0);
	ck_assert_int_eq(daemonize_set_umask(d, 0), 0);
	ck_assert_int_eq(daemonize_set_workdir(d, "/"), 0);
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_FOREGROUND), 0);
	before = fd_targets();

	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_FOREGROUND);
	ck_assert_int_eq(getpid(), pid);
	ck_assert_int_eq(getppid(), ppid);
	ck_assert_int_eq(getsid(0), sid);
	ck_assert_ptr_nonnull(getcwd(cwd_after, sizeof(cwd_after)));
	ck_assert_str_eq(cwd_after, cwd_before);
	ck_assert_uint_eq(current_umask(), mask);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_exists(logfile));
	ck_assert_int_eq(d->pidfile.fd, -1);
	/* Every fd is as it was; the only new ones are the signal pipe,
	 * which every mode has. */
	after = fd_targets();
	for (p = before; *p != '\0'; p = strchr(p, ';') + 1) {
		char *entry = strndup(p, (size_t)(strchr(p, ';') - p + 1));

		ck_assert_msg(strstr(after, entry) != NULL,
		    "%s lost: before %s after %s", entry, before, after);
		free(entry);
	}
	{
		int extra = 0;

		for (p = after; *p != '\0'; p = strchr(p, ';') + 1) {
			char *entry = strndup(p,
			    (size_t)(strchr(p, ';') - p + 1));

			if (strstr(before, entry) == NULL) {
				ck_assert_msg(strstr(entry, "=pipe:") != NULL,
				    "new fd %s is not the signal pipe", entry);
				extra++;
			}
			free(entry);
		}
		ck_assert_int_le(extra, 2);
	}

	ck_assert_int_eq(daemonize_ready(d), 0);
	ck_assert_int_eq(daemonize_ready(d), 0);	/* again: harmless */
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(pidfile));
	daemonize_free(d);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Supervised: no fork, but the pidfile is taken, written and locked. */
START_TEST(test_supervised)
{
	struct daemonize *d = tu_ctx("test");
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/sup.pid", dir);
	char cwd_before[PATH_MAX], cwd_after[PATH_MAX], buf[64];
	pid_t pid = getpid(), ppid = getppid(), sid = getsid(0);
	mode_t mask;

	ck_assert_int_eq(chdir(dir), 0);
	(void)umask(026);
	mask = current_umask();
	ck_assert_ptr_nonnull(getcwd(cwd_before, sizeof(cwd_before)));
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_NO_DETACH), 0);
	ck_assert(!tu_exists(pidfile));

	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_SUPERVISED);
	ck_assert_int_eq(getpid(), pid);
	ck_assert_int_eq(getppid(), ppid);
	ck_assert_int_eq(getsid(0), sid);
	/* a supervisor's cwd and umask are left alone unless set */
	ck_assert_ptr_nonnull(getcwd(cwd_after, sizeof(cwd_after)));
	ck_assert_str_eq(cwd_after, cwd_before);
	ck_assert_uint_eq(current_umask(), mask);
	ck_assert_int_eq(tu_read_file(pidfile, buf, sizeof(buf)),
	    (ssize_t)strlen(tu_fmt("%ld\n", (long)pid)));
	ck_assert_str_eq(buf, tu_fmt("%ld\n", (long)pid));
	ck_assert(tu_lock_held(pidfile));
	ck_assert_int_ge(d->pidfile.fd, 3);
	ck_assert_int_eq(tu_pidfile_pid(pidfile), pid);

	ck_assert_int_eq(daemonize_ready(d), 0);
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_lock_held(pidfile));
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* An explicit umask and workdir apply under a supervisor too. */
START_TEST(test_supervised_umask_workdir)
{
	struct daemonize *d = tu_ctx("test");
	char *dir = tu_tmpdir(), *sub = tu_fmt("%s/sub", dir);
	char cwd[PATH_MAX];

	ck_assert_int_eq(mkdir(sub, 0755), 0);
	(void)umask(022);
	ck_assert_int_eq(daemonize_set_umask(d, 077), 0);
	ck_assert_int_eq(daemonize_set_workdir(d, sub), 0);
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_NO_DETACH), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_uint_eq(current_umask(), 077);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_str_eq(cwd, sub);
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A failed start leaves nothing behind and no half-started context. */
START_TEST(test_supervised_start_fails)
{
	struct daemonize *d = tu_ctx("test");
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/missing/x.pid", dir);

	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_NO_DETACH), 0);
	ASSERT_FAIL(daemonize_start(d), d, ENOENT, "pidfile: ", pidfile);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_NONE);
	ck_assert(!d->started);
	ck_assert_int_eq(d->pidfile.fd, -1);
	ck_assert(!tu_exists(tu_fmt("%s/missing", dir)));
	/* still configurable, and ready is still refused */
	ASSERT_FAIL(daemonize_ready(d), d, EINVAL, "ready: ", NULL);
	ck_assert_int_eq(daemonize_set_pidfile(d, tu_fmt("%s/x.pid", dir)), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert(tu_lock_held(tu_fmt("%s/x.pid", dir)));
	ck_assert_int_eq(daemonize_stop(d), 0);
	ck_assert(!tu_exists(tu_fmt("%s/x.pid", dir)));
	daemonize_free(d);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A second context on a pidfile we hold fails, and its failure does not
 * touch the first one's file. */
START_TEST(test_supervised_second_instance)
{
	struct daemonize *d1 = tu_ctx("test"), *d2 = tu_ctx("test");
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/one.pid", dir);
	char buf[64];

	ck_assert_int_eq(daemonize_set_pidfile(d1, pidfile), 0);
	ck_assert_int_eq(daemonize_set_flags(d1, DAEMONIZE_NO_DETACH), 0);
	ck_assert_int_eq(daemonize_set_pidfile(d2, pidfile), 0);
	ck_assert_int_eq(daemonize_set_flags(d2, DAEMONIZE_NO_DETACH), 0);
	ck_assert_int_eq(daemonize_start(d1), 0);
	ASSERT_FAIL(daemonize_start(d2), d2, EEXIST, pidfile,
	    tu_fmt("already running, pid %ld", (long)getpid()));
	ck_assert_int_eq(daemonize_mode(d2), DAEMONIZE_MODE_NONE);
	ck_assert(tu_exists(pidfile));
	ck_assert(tu_lock_held(pidfile));
	ck_assert_int_gt(tu_read_file(pidfile, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, tu_fmt("%ld\n", (long)getpid()));
	daemonize_free(d2);
	ck_assert(tu_exists(pidfile));
	ck_assert_int_eq(daemonize_stop(d1), 0);
	ck_assert(!tu_exists(pidfile));
	daemonize_free(d1);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* free without stop stops: the pidfile goes. */
START_TEST(test_free_stops)
{
	struct daemonize *d = tu_ctx("test");
	char *dir = tu_tmpdir();
	char *pidfile = tu_fmt("%s/f.pid", dir);

	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_NO_DETACH), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert(tu_lock_held(pidfile));
	daemonize_free(d);
	ck_assert(!tu_exists(pidfile));
	ck_assert(!tu_lock_held(pidfile));
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *
daemonize_suite(void)
{
	Suite *s = suite_create("daemonize");
	TCase *tc;

	tc = tcase_create("context");
	tcase_add_checked_fixture(tc, tu_clean_env, NULL);
	tcase_add_test(tc, test_new_invalid);
	tcase_add_test(tc, test_new_defaults);
	tcase_add_test(tc, test_error_and_free_null);
	tcase_add_test(tc, test_mode_values);
	tcase_add_test(tc, test_null_context);
	suite_add_tcase(s, tc);

	tc = tcase_create("setters");
	tcase_add_checked_fixture(tc, tu_clean_env, NULL);
	tcase_add_test(tc, test_setters_after_start);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_umask);
	tcase_add_test(tc, test_workdir);
	tcase_add_test(tc, test_empty_paths);
	tcase_add_test(tc, test_relative_paths_stored_absolute);
	tcase_add_test(tc, test_relative_pidfile_behaviour);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_add_checked_fixture(tc, tu_clean_env, NULL);
	tcase_add_test(tc, test_before_start);
	tcase_add_test(tc, test_fail_bad_arguments);
	tcase_add_test(tc, test_start_twice);
	tcase_add_test(tc, test_foreground);
	tcase_add_test(tc, test_supervised);
	tcase_add_test(tc, test_supervised_umask_workdir);
	tcase_add_test(tc, test_supervised_start_fails);
	tcase_add_test(tc, test_supervised_second_instance);
	tcase_add_test(tc, test_free_stops);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(daemonize_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * testutil.c - helpers shared by the Check suites.  Every wait is bounded.
 */
#include "config.h"

#include <sys/file.h>
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
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "daemonize.h"
#include "testutil.h"

const char *
tu_builddir(void)
{
	const char *s = getenv("top_builddir");

	return s != NULL && *s != '\0' ? s : ".";
}

const char *
tu_srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s != NULL && *s != '\0' ? s : ".";
}

/* DZ_HELPER and DZ_EXAMPLES_DIR let the suites drive binaries built
 * elsewhere: scripts/portability.sh runs these glibc-built suites against
 * a helper and examples built with musl-gcc, which cannot link Check. */
const char *
tu_helper(void)
{
	static char path[PATH_MAX];
	const char *s = getenv("DZ_HELPER");

	if (s != NULL && *s != '\0')
		snprintf(path, sizeof(path), "%s", s);
	else
		snprintf(path, sizeof(path), "%s/tests/helper", tu_builddir());
	return path;
}

const char *
tu_example(const char *name)
{
	static char path[PATH_MAX];
	const char *s = getenv("DZ_EXAMPLES_DIR");

	if (s != NULL && *s != '\0')
		snprintf(path, sizeof(path), "%s/%s", s, name);
	else
		snprintf(path, sizeof(path), "%s/examples/%s", tu_builddir(),
		    name);
	return path;
}

const char *
tu_strerror(int err)
{
	static char text[256];
	const char *s = getenv("DZ_HELPER");
	char arg[16], *nl;

	snprintf(text, sizeof(text), "%s", strerror(err));
	if (s == NULL || *s == '\0')
		return text;
	snprintf(arg, sizeof(arg), "%d", err);
	{
		char *argv[] = { (char *)tu_helper(), (char *)"-e", arg, NULL };
		char out[sizeof(text)];
		int st = tu_run(argv, out, sizeof(out), 10000);

		/* On any failure keep our own text: the comparison that
		 * follows then fails and shows both. */
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
		    (nl = strchr(out, '\n')) == NULL)
			return text;
		*nl = '\0';
		snprintf(text, sizeof(text), "%s", out);
	}
	return text;
}

char *
tu_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		abort();
	return s;
}

char *
tu_tmpdir(void)
{
	char *t = strdup("/tmp/dztest.XXXXXX");

	if (t == NULL || mkdtemp(t) == NULL)
		abort();
	/* World-searchable, so a daemon that dropped to nobody can still
	 * reach files the test puts here. */
	(void)chmod(t, 0755);
	return t;
}

int
tu_ms(int ms)
{
	static int factor;
	const char *v;
	long f;

	if (factor == 0) {
		v = getenv("DZ_TIME_FACTOR");
		f = v != NULL ? strtol(v, NULL, 10) : 1;
		factor = f >= 1 && f <= 100 ? (int)f : 1;
	}
	return ms > INT_MAX / factor ? INT_MAX : ms * factor;
}

long long
tu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
tu_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
apply_env(char *const env[])
{
	size_t i;

	for (i = 0; env != NULL && env[i] != NULL; i++) {
		char *eq = strchr(env[i], '=');

		if (eq == NULL) {
			unsetenv(env[i]);
		} else {
			char *k = strndup(env[i], (size_t)(eq - env[i]));

			setenv(k, eq + 1, 1);
			free(k);
		}
	}
}

pid_t
tu_spawn(char *const argv[], char *const env[], const char *out_path)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (out_path != NULL) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			_exit(127);
		if (fd > 2)
			close(fd);
	}
	apply_env(env);
	execv(argv[0], argv);
	_exit(127);
}

/* Output goes to a temporary file, not a pipe: a daemon started by the
 * command (or valgrind's copy of it under --trace-children) may hold a
 * copy of a pipe open long after the command exited. */
int
tu_run_env(char *const argv[], char *const env[], char *out, size_t outlen,
    int timeout_ms)
{
	char tmp[] = "/tmp/dzrun.XXXXXX";
	int fd, status;
	pid_t pid;

	if ((fd = mkstemp(tmp)) == -1)
		return -1;
	(void)unlink(tmp);
	pid = fork();
	if (pid == -1) {
		close(fd);
		return -1;
	}
	if (pid == 0) {
		if (dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			_exit(127);
		if (fd > 2)
			close(fd);
		apply_env(env);
		execv(argv[0], argv);
		_exit(127);
	}
	if (tu_wait_child(pid, timeout_ms, &status) == -1) {
		kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
		status = -1;
	}
	if (out != NULL && outlen > 0) {
		ssize_t n = pread(fd, out, outlen - 1, 0);

		out[n > 0 ? n : 0] = '\0';
	}
	close(fd);
	return status;
}

int
tu_wait_child(pid_t pid, int timeout_ms, int *status)
{
	long long deadline = tu_now_ms() + timeout_ms;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
		if (tu_now_ms() >= deadline)
			return -1;
		tu_msleep(2);
	}
}

int
tu_run(char *const argv[], char *out, size_t outlen, int timeout_ms)
{
	return tu_run_env(argv, NULL, out, outlen, timeout_ms);
}

bool
tu_alive(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;

	if (pid <= 0 || kill(pid, 0) == -1)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((n = tu_read_file(path, buf, sizeof(buf))) <= 0)
		return errno != ENOENT;
	/* The state follows the ")" that ends the command name. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0')
		return true;
	return p[2] != 'Z' && p[2] != 'X';
}

int
tu_wait_gone(pid_t pid, int timeout_ms)
{
	long long deadline = tu_now_ms() + timeout_ms;

	while (tu_alive(pid)) {
		if (tu_now_ms() >= deadline)
			return -1;
		tu_msleep(5);
	}
	return 0;
}

void
tu_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	(void)kill(pid, SIGKILL);
	(void)tu_wait_gone(pid, 5000);
	(void)waitpid(pid, NULL, WNOHANG);
}

ssize_t
tu_read_file(const char *path, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n;
	int fd;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (used + 1 < len) {
		n = read(fd, buf + used, len - 1 - used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	close(fd);
	return (ssize_t)used;
}

int
tu_wait_contains(const char *path, const char *needle, int timeout_ms)
{
	long long deadline = tu_now_ms() + timeout_ms;
	static char buf[1 << 20];

	for (;;) {
		if (tu_read_file(path, buf, sizeof(buf)) >= 0 &&
		    strstr(buf, needle) != NULL)
			return 0;
		if (tu_now_ms() >= deadline)
			return -1;
		tu_msleep(5);
	}
}

int
tu_wait_report(const char *path, int timeout_ms)
{
	return tu_wait_contains(path, "\nend\n", timeout_ms);
}

const char *
tu_report_get(const char *report_path, const char *key)
{
	static char buf[65536];
	static char val[4096];
	size_t klen = strlen(key);
	char *line, *save = NULL;

	if (tu_read_file(report_path, buf, sizeof(buf)) < 0)
		return NULL;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			snprintf(val, sizeof(val), "%s", line + klen + 1);
			return val;
		}
	}
	return NULL;
}

pid_t
tu_pidfile_pid(const char *path)
{
	char buf[64];
	char *end;
	long v;

	if (tu_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	v = strtol(buf, &end, 10);
	if (end == buf || v <= 0)
		return -1;
	return (pid_t)v;
}

bool
tu_lock_held(const char *path)
{
	bool held;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return false;
	held = flock(fd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/*
 * Call fn(pid, args, n, arg) for every process but ours, args its command
 * line (n bytes, NUL-separated arguments); fn returns 1 to count the
 * process.  The number counted, or -1 when /proc cannot be read.
 */
static int
scan_procs(int (*fn)(pid_t, char *, ssize_t, const void *), const void *arg)
{
	struct dirent *e;
	DIR *dir = opendir("/proc");
	int count = 0;

	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL) {
		char path[300], buf[PATH_MAX];
		ssize_t n;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((n = tu_read_file(path, buf, sizeof(buf))) <= 0 ||
		    atol(e->d_name) == (long)getpid())
			continue;
		count += fn((pid_t)atol(e->d_name), buf, n, arg);
	}
	closedir(dir);
	return count;
}

/* Any argument, not only argv[0]: under valgrind argv[0] is valgrind
 * itself. */
static int
has_arg(pid_t pid, char *args, ssize_t n, const void *arg)
{
	ssize_t i;

	for (i = 0; i < n; i += (ssize_t)strlen(args + i) + 1)
		if (strcmp(args + i, arg) == 0)
			return tu_alive(pid);
	return 0;
}

int
tu_count_procs(const char *argv0)
{
	return scan_procs(has_arg, argv0);
}

static int
mentions(pid_t pid, char *args, ssize_t n, const void *needle)
{
	ssize_t i;

	for (i = 0; i < n; i++)
		if (args[i] == '\0')
			args[i] = ' ';
	return strstr(args, needle) != NULL && tu_alive(pid);
}

int
tu_count_mentioning(const char *needle)
{
	return scan_procs(mentions, needle);
}

/* ---- private links and leftovers ---------------------------------------- */

/* The pid of the suite's runner: taken before main, so a forked test
 * sees the same value as the runner. */
static pid_t runner_pid;

__attribute__((constructor)) static void
record_runner(void)
{
	runner_pid = getpid();
}

/* "-run<R>": how every private link of this runner ends. */
static const char *
private_suffix(void)
{
	static char suffix[32];

	snprintf(suffix, sizeof(suffix), "-run%ld", (long)runner_pid);
	return suffix;
}

char *
tu_private_link(const char *dir, const char *target, const char *name)
{
	char *path = tu_fmt("%s/%s%s", dir, name, private_suffix());
	char *real = realpath(target, NULL);

	ck_assert_msg(real != NULL, "%s: %s", target, strerror(errno));
	ck_assert_msg(symlink(real, path) == 0, "symlink %s: %s", path,
	    strerror(errno));
	free(real);
	return path;
}

char *
tu_private_helper(const char *dir)
{
	return tu_private_link(dir, tu_helper(), "helper");
}

/* Whether an argument names a private link of this runner: a path whose
 * last component ends with the suffix. */
static bool
is_private(const char *arg, const char *suffix)
{
	size_t n = strlen(arg), m = strlen(suffix);
	const char *slash = strrchr(arg, '/');

	return slash != NULL && n > m && (size_t)(slash - arg) < n - m &&
	    strcmp(arg + n - m, suffix) == 0;
}

static int
kill_private(pid_t pid, char *args, ssize_t n, const void *suffix)
{
	ssize_t i;

	for (i = 0; i < n; i += (ssize_t)strlen(args + i) + 1) {
		if (!is_private(args + i, suffix))
			continue;
		if (!tu_alive(pid))
			return 0;
		fprintf(stderr, "killing leftover %s, pid %ld\n", args + i,
		    (long)pid);
		tu_kill(pid);
		return 1;
	}
	return 0;
}

void
tu_kill_leftovers(void)
{
	(void)scan_procs(kill_private, private_suffix());
}

int
tu_wait_no_procs(const char *path, int timeout_ms)
{
	long long deadline = tu_now_ms() + timeout_ms;
	int n;

	for (;;) {
		if ((n = tu_count_procs(path)) == 0)
			return 0;
		if (tu_now_ms() >= deadline)
			return n;
		tu_msleep(10);
	}
}

/* ---- small things many suites need ------------------------------------- */

char **
tu_argv(const char *first, ...)
{
	char **argv = calloc(32, sizeof(*argv));
	const char *a;
	va_list ap;
	int i = 0;

	if (argv == NULL)
		abort();
	va_start(ap, first);
	for (a = first; a != NULL; a = va_arg(ap, const char *)) {
		/* A longer list is a mistake in the test, not a case. */
		if (i == 31)
			abort();
		argv[i++] = (char *)a;
	}
	va_end(ap);
	return argv;
}

struct daemonize *
tu_ctx(const char *name)
{
	struct daemonize *d = daemonize_new(name);

	ck_assert_ptr_nonnull(d);
	return d;
}

void
tu_assert_text(const struct daemonize *d, const char *frag)
{
	if (frag != NULL)
		ck_assert_msg(strstr(daemonize_error(d), frag) != NULL,
		    "\"%s\" not in \"%s\"", frag, daemonize_error(d));
}

const char *const tu_supervisor_vars[] = {
	"NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
	"SYSTEMD_EXEC_PID", "WATCHDOG_PID", "WATCHDOG_USEC",
	"SUPERVISOR_ENABLED", "XPC_SERVICE_NAME", "INVOCATION_ID",
	"JOURNAL_STREAM", "DAEMONIZE_MODE", NULL
};

void
tu_clean_env(void)
{
	int i;

	for (i = 0; tu_supervisor_vars[i] != NULL; i++)
		ck_assert_int_eq(unsetenv(tu_supervisor_vars[i]), 0);
}

void
tu_stdin_null(void)
{
	int fd = open("/dev/null", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, 0), 0);
	if (fd != 0)
		close(fd);
}

void
tu_clean_slate(void)
{
	tu_clean_env();
	tu_stdin_null();
}

char **
tu_clean_envv(const char *first, ...)
{
	size_t nvars = sizeof(tu_supervisor_vars) /
	    sizeof(tu_supervisor_vars[0]) - 1;
	char **env = calloc(nvars + 32, sizeof(*env));
	const char *a;
	va_list ap;
	size_t i;

	if (env == NULL)
		abort();
	for (i = 0; i < nvars; i++)
		env[i] = (char *)tu_supervisor_vars[i];
	va_start(ap, first);
	for (a = first; a != NULL; a = va_arg(ap, const char *)) {
		if (i == nvars + 31)
			abort();
		env[i++] = (char *)a;
	}
	va_end(ap);
	return env;
}

void
tu_touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	close(fd);
}

bool
tu_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

char *
tu_fd_target(pid_t pid, int fd)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;
	char *s;

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	else
		snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid,
		    fd);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	if ((s = strdup(buf)) == NULL)
		abort();
	return s;
}

int
tu_nfds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *dir;
	int n = 0;

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/fd");
	else
		snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	dir = opendir(path);
	ck_assert_msg(dir != NULL, "%s: %s", path, strerror(errno));
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
			n++;
	closedir(dir);
	/* Our own listing holds one fd of its own. */
	return pid == 0 ? n - 1 : n;
}

int
tu_child_status(pid_t pid, int timeout_ms)
{
	int status;

	return tu_wait_child(pid, timeout_ms, &status) == 0 ? status : -1;
}

int
tu_free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

char *
tu_pidstr(pid_t pid)
{
	return tu_fmt("%ld", (long)pid);
}

pid_t
tu_pid_with_arg(const char *arg)
{
	struct dirent *e;
	DIR *dir = opendir("/proc");
	pid_t found = -1;

	ck_assert_ptr_nonnull(dir);
	while ((e = readdir(dir)) != NULL) {
		char buf[4096];

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (tu_read_file(tu_fmt("/proc/%s/cmdline", e->d_name), buf,
		    sizeof(buf)) <= 0 || strcmp(buf, arg) != 0 ||
		    !tu_alive((pid_t)atol(e->d_name)))
			continue;
		found = found == -1 ? (pid_t)atol(e->d_name) : -2;
	}
	closedir(dir);
	return found;
}

long
tu_inner_pid(pid_t pid)
{
	char buf[4096], *line, *last;

	if (tu_read_file(tu_fmt("/proc/%ld/status", (long)pid), buf,
	    sizeof(buf)) <= 0 || (line = strstr(buf, "\nNSpid:")) == NULL)
		return -1;
	line += 7;
	*strchrnul(line, '\n') = '\0';
	last = strrchr(line, '\t');
	return atol(last != NULL ? last + 1 : line);
}

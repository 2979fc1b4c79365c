/*
 * check_signals.c - signal delivery (lib/signals.c).
 *
 * In-process tests install the handlers in the forked Check process and
 * raise() signals at it; end-to-end tests drive tests/helper, which loops
 * on daemonize_wait_signal and logs "hup N" and "term", in background and
 * in foreground mode.
 */
#include "internal.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define STORM 100000

/* Daemons and children the tests start, in memory shared with the Check
 * runner: a failed assertion ends the test process at once, so the
 * runner's teardown (and the next test's setup) kills what it left. */
#define MAXPIDS 8
static pid_t *tracked;

static void
track(pid_t pid)
{
	int i;

	for (i = 0; i < MAXPIDS; i++)
		if (tracked[i] == 0) {
			tracked[i] = pid;
			return;
		}
	ck_abort_msg("too many processes tracked");
}

static void
untrack(pid_t pid)
{
	int i;

	for (i = 0; i < MAXPIDS; i++)
		if (tracked[i] == pid)
			tracked[i] = 0;
}

static void
kill_tracked(void)
{
	int i;

	for (i = 0; i < MAXPIDS; i++) {
		if (tracked[i] > 0 && tu_alive(tracked[i]))
			tu_kill(tracked[i]);
		tracked[i] = 0;
	}
}

static long long
mono_ms(void)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct daemonize *
installed(unsigned int flags)
{
	struct daemonize *d = daemonize_new("t");

	ck_assert_ptr_nonnull(d);
	if (flags != 0)
		ck_assert_int_eq(daemonize_set_flags(d, flags), 0);
	ck_assert_int_eq(dz_signals_install(d), 0);
	return d;
}

static int
nfds_open(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

/* The write end of the signal pipe: the other fd on the same pipe. */
static int
write_end(int rfd)
{
	struct stat rs, st;
	int fd, fl;

	ck_assert_int_eq(fstat(rfd, &rs), 0);
	for (fd = 0; fd < 1024; fd++) {
		if (fd == rfd || fstat(fd, &st) == -1)
			continue;
		fl = fcntl(fd, F_GETFL);
		if (S_ISFIFO(st.st_mode) && st.st_ino == rs.st_ino &&
		    st.st_dev == rs.st_dev && fl != -1 &&
		    (fl & O_ACCMODE) == O_WRONLY)
			return fd;
	}
	return -1;
}

/* A function pointer, compared with ==: ISO C has no conversion between
 * function and object pointers, so ck_assert_ptr_eq cannot take one. */
typedef void (*handler_t)(int);

static handler_t
handler_of(int signo)
{
	struct sigaction sa;

	ck_assert_int_eq(sigaction(signo, NULL, &sa), 0);
	return sa.sa_handler;
}

/* Reap our child pid within timeout_ms and return its status.  Not
 * tu_wait_gone: it may reap the child itself and lose the status. */
static int
wait_child(pid_t pid, int timeout_ms)
{
	long long deadline = mono_ms() + timeout_ms;
	pid_t r;
	int st;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == -1 && errno == EINTR)
			continue;
		ck_assert_int_ne(r, -1);
		if (r == pid)
			break;
		ck_assert_msg(mono_ms() < deadline, "child %ld still runs",
		    (long)pid);
		tu_msleep(2);
	}
	untrack(pid);
	return st;
}

static void
reap(pid_t pid)
{
	int st = wait_child(pid, 20000);

	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A child that sleeps ms, sends signo to us, and exits. */
static pid_t
send_later(int signo, int ms)
{
	pid_t parent = getpid(), pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		tu_msleep(ms);
		_exit(kill(parent, signo) == 0 ? 0 : 1);
	}
	return pid;
}

/* ---- in-process ---------------------------------------------------------- */

START_TEST(test_order_and_coalescing)
{
	struct daemonize *d = installed(0);

	errno = ERANGE;
	ck_assert_int_eq(daemonize_next_signal(d), 0);
	ck_assert_int_eq(errno, ERANGE);        /* "none" leaves errno alone */

	/* Distinct signals come out in the order they arrived. */
	ck_assert_int_eq(raise(SIGINT), 0);
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(daemonize_next_signal(d), SIGINT);
	ck_assert_int_eq(daemonize_next_signal(d), SIGHUP);
	ck_assert_int_eq(daemonize_next_signal(d), SIGTERM);
	ck_assert_int_eq(daemonize_next_signal(d), 0);

	/* Repeats of a signal not yet read are one. */
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_int_eq(daemonize_next_signal(d), SIGHUP);
	ck_assert_int_eq(daemonize_next_signal(d), SIGTERM);
	ck_assert_int_eq(daemonize_next_signal(d), 0);
	/* Once read, the next one is delivered again. */
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_int_eq(daemonize_next_signal(d), SIGHUP);
	ck_assert_int_eq(daemonize_next_signal(d), 0);
	daemonize_free(d);
}
END_TEST

START_TEST(test_errno_preserved)
{
	struct daemonize *d = installed(0);
	char junk[512];
	int wfd, i;
	ssize_t n;

	errno = ERANGE;
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_int_eq(errno, ERANGE);

	/* Make the handler's write fail (EAGAIN on a pipe we fill with bytes
	 * that are no signal): errno must still survive it. */
	wfd = write_end(daemonize_signal_fd(d));
	ck_assert_int_ge(wfd, 3);
	memset(junk, 0, sizeof(junk));
	for (i = 0; i < 100000; i++) {
		n = write(wfd, junk, sizeof(junk));
		if (n == -1)
			break;
	}
	ck_assert_int_eq(n, -1);
	ck_assert_int_eq(errno, EAGAIN);
	errno = ENOTDIR;
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(errno, ENOTDIR);

	/* The reader skips what is not a signal; the SIGTERM whose write
	 * failed is not stuck as "pending": the next one gets through. */
	ck_assert_int_eq(daemonize_next_signal(d), SIGHUP);
	ck_assert_int_eq(daemonize_next_signal(d), 0);
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(daemonize_next_signal(d), SIGTERM);
	daemonize_free(d);
}
END_TEST

START_TEST(test_fd_flags)
{
	struct daemonize *d = daemonize_new("t");
	int fd, wfd, before;

	ck_assert_ptr_nonnull(d);
	/* Nothing before install. */
	errno = 0;
	ck_assert_int_eq(daemonize_signal_fd(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(daemonize_next_signal(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(daemonize_error(d),
	    "signals: signal handling is not installed"));
	errno = 0;
	ck_assert_int_eq(daemonize_wait_signal(d, 10), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(daemonize_signal_fd(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(daemonize_next_signal(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(daemonize_wait_signal(NULL, 0), -1);
	ck_assert_int_eq(errno, EINVAL);

	before = nfds_open();
	ck_assert_int_eq(dz_signals_install(d), 0);
	ck_assert_int_eq(nfds_open(), before + 2);
	fd = daemonize_signal_fd(d);
	ck_assert_int_ge(fd, 3);
	ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	wfd = write_end(fd);
	ck_assert_int_ge(wfd, 3);
	ck_assert(fcntl(wfd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(wfd, F_GETFD) & FD_CLOEXEC);
	/* Installing again for the same context changes nothing. */
	ck_assert_int_eq(dz_signals_install(d), 0);
	ck_assert_int_eq(daemonize_signal_fd(d), fd);
	daemonize_free(d);
	ck_assert_int_eq(nfds_open(), before);
}
END_TEST

START_TEST(test_fd_above_stdio)
{
	struct daemonize *d;
	int fd;

	/* Foreground mode sanitizes nothing: with 0 and 1 closed, the pipe
	 * must still not land there. */
	ck_assert_int_eq(close(0), 0);
	ck_assert_int_eq(close(1), 0);
	d = installed(0);
	fd = daemonize_signal_fd(d);
	ck_assert_int_ge(fd, 3);
	ck_assert_int_ge(write_end(fd), 3);
	errno = 0;
	ck_assert_int_eq(fcntl(0, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	errno = 0;
	ck_assert_int_eq(fcntl(1, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_int_eq(daemonize_next_signal(d), SIGHUP);
	daemonize_free(d);
}
END_TEST

static void
usr2_handler(int signo)
{
	(void)signo;
}

START_TEST(test_install_uninstall)
{
	struct daemonize *d;
	struct sigaction sa;
	int before = nfds_open();
	void (*hup0)(int), (*term0)(int), (*int0)(int);

	/* SIGPIPE had a handler of the caller's: ignored while installed,
	 * given back at uninstall. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr2_handler;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGPIPE, &sa, NULL), 0);
	/* What uninstall must give back (Check's runner may have handlers
	 * of its own for SIGINT and SIGTERM, inherited by this process). */
	hup0 = handler_of(SIGHUP);
	term0 = handler_of(SIGTERM);
	int0 = handler_of(SIGINT);

	d = installed(0);
	ck_assert(handler_of(SIGHUP) != SIG_DFL);
	ck_assert(handler_of(SIGHUP) != SIG_IGN);
	ck_assert(handler_of(SIGHUP) == handler_of(SIGTERM));
	ck_assert(handler_of(SIGHUP) == handler_of(SIGINT));
	ck_assert(handler_of(SIGPIPE) == SIG_IGN);
	ck_assert_int_eq(sigaction(SIGHUP, NULL, &sa), 0);
	ck_assert(sa.sa_flags & SA_RESTART);
	ck_assert_int_eq(sigismember(&sa.sa_mask, SIGTERM), 1);
	ck_assert_int_eq(sigismember(&sa.sa_mask, SIGINT), 1);

	dz_signals_uninstall(d);
	ck_assert(handler_of(SIGHUP) == hup0);
	ck_assert(handler_of(SIGTERM) == term0);
	ck_assert(handler_of(SIGINT) == int0);
	ck_assert(handler_of(SIGPIPE) == usr2_handler);
	ck_assert_int_eq(nfds_open(), before);
	errno = 0;
	ck_assert_int_eq(daemonize_signal_fd(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Idempotent, and errno is kept. */
	errno = ERANGE;
	dz_signals_uninstall(d);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(nfds_open(), before);

	/* And it can be installed again. */
	ck_assert_int_eq(dz_signals_install(d), 0);
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(daemonize_next_signal(d), SIGTERM);
	daemonize_free(d);
	ck_assert(handler_of(SIGTERM) == term0);
	ck_assert_int_eq(nfds_open(), before);

	/* DAEMONIZE_KEEP_SIGPIPE leaves SIGPIPE alone. */
	ck_assert_int_eq(signal(SIGPIPE, SIG_DFL) == SIG_ERR, 0);
	d = installed(DAEMONIZE_KEEP_SIGPIPE);
	ck_assert(handler_of(SIGPIPE) == SIG_DFL);
	daemonize_free(d);
}
END_TEST

START_TEST(test_second_context_busy)
{
	struct daemonize *d1 = installed(0), *d2 = daemonize_new("u");
	int before;

	ck_assert_ptr_nonnull(d2);
	before = nfds_open();
	errno = 0;
	ck_assert_int_eq(dz_signals_install(d2), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_str_eq(daemonize_error(d2), "signals: signal handling is "
	    "already installed by another context: Device or resource busy");
	ck_assert_int_eq(nfds_open(), before);
	errno = 0;
	ck_assert_int_eq(daemonize_signal_fd(d2), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Freeing the other context does not take d1's handling away. */
	daemonize_free(d2);
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_int_eq(daemonize_next_signal(d1), SIGHUP);
	daemonize_free(d1);
}
END_TEST

START_TEST(test_blocked_until_install)
{
	struct daemonize *d = daemonize_new("t");
	sigset_t old, cur;
	int a, b;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemonize_add_signal(d, SIGUSR1), 0);
	ck_assert_int_eq(dz_signals_block(d, &old), 0);
	ck_assert_int_eq(sigismember(&old, SIGHUP), 0);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
	ck_assert_int_eq(sigismember(&cur, SIGHUP), 1);
	ck_assert_int_eq(sigismember(&cur, SIGTERM), 1);
	ck_assert_int_eq(sigismember(&cur, SIGINT), 1);
	ck_assert_int_eq(sigismember(&cur, SIGUSR1), 1);

	/* Sent during "startup": would kill us if delivered now. */
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_eq(dz_signals_install(d), 0);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
	ck_assert_int_eq(sigismember(&cur, SIGTERM), 0);
	ck_assert_int_eq(sigismember(&cur, SIGUSR1), 0);
	a = daemonize_next_signal(d);
	b = daemonize_next_signal(d);
	ck_assert(a != b);
	ck_assert(a == SIGTERM || a == SIGUSR1);
	ck_assert(b == SIGTERM || b == SIGUSR1);
	ck_assert_int_eq(daemonize_next_signal(d), 0);
	daemonize_free(d);
}
END_TEST

START_TEST(test_reset)
{
	struct daemonize *d = daemonize_new("t");
	struct sigaction sa;
	sigset_t set, cur;
	int sig;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemonize_add_signal(d, SIGCHLD), 0);
	/* What a shell or the caller may leave behind. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr2_handler;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	ck_assert_int_eq(signal(SIGQUIT, SIG_IGN) == SIG_ERR, 0);
	ck_assert_int_eq(signal(SIGTERM, SIG_IGN) == SIG_ERR, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);

	/* A handled SIGCHLD sent between block and install must survive the
	 * reset (SIG_DFL would discard it: its default is to ignore). */
	ck_assert_int_eq(dz_signals_block(d, &set), 0);
	ck_assert_int_eq(raise(SIGCHLD), 0);

	ck_assert_int_eq(dz_signals_reset(d), 0);
	ck_assert(handler_of(SIGUSR1) == SIG_DFL);
	ck_assert(handler_of(SIGQUIT) == SIG_DFL);
	ck_assert(handler_of(SIGTERM) == SIG_DFL);
	ck_assert(handler_of(SIGPIPE) == SIG_IGN);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP ||
		    sigismember(&cur, sig) == -1)
			continue;
		ck_assert_msg(sigismember(&cur, sig) ==
		    sigismember(&d->signals, sig), "signal %d mask", sig);
	}
	ck_assert_int_eq(sigismember(&cur, SIGUSR2), 0);
	ck_assert_int_eq(sigismember(&cur, SIGHUP), 1);

	ck_assert_int_eq(dz_signals_install(d), 0);
	ck_assert_int_eq(daemonize_next_signal(d), SIGCHLD);
	ck_assert_int_eq(daemonize_next_signal(d), 0);
	daemonize_free(d);

	/* With KEEP_SIGPIPE the default stays. */
	d = daemonize_new("t");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_KEEP_SIGPIPE), 0);
	ck_assert_int_eq(dz_signals_reset(d), 0);
	ck_assert(handler_of(SIGPIPE) == SIG_DFL);
	daemonize_free(d);
}
END_TEST

START_TEST(test_wait_timeout)
{
	struct daemonize *d = installed(0);
	long long t0, el;

	t0 = mono_ms();
	ck_assert_int_eq(daemonize_wait_signal(d, 100), 0);
	el = mono_ms() - t0;
	ck_assert_int_ge(el, 99);
	ck_assert_int_lt(el, 10000);
	ck_assert_int_eq(daemonize_wait_signal(d, 0), 0);

	/* A pending signal is returned without waiting. */
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_int_eq(daemonize_wait_signal(d, 0), SIGHUP);
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(daemonize_wait_signal(d, -1), SIGTERM);

	errno = 0;
	ck_assert_int_eq(daemonize_wait_signal(d, -2), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(daemonize_error(d), "signals: timeout -2 ms: must be "
	    "-1 (for ever) or >= 0: Invalid argument");
	daemonize_free(d);
}
END_TEST

START_TEST(test_wait_eintr)
{
	struct daemonize *d = installed(0);
	struct sigaction sa;
	long long t0, el;
	pid_t pid;

	/* A signal the caller handles itself, without SA_RESTART, cuts poll
	 * short; the wait goes on for the time that is left. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr2_handler;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR2, &sa, NULL), 0);
	pid = send_later(SIGUSR2, 30);
	t0 = mono_ms();
	ck_assert_int_eq(daemonize_wait_signal(d, 300), 0);
	el = mono_ms() - t0;
	ck_assert_int_ge(el, 299);
	ck_assert_int_lt(el, 10000);
	reap(pid);
	daemonize_free(d);
}
END_TEST

START_TEST(test_wait_from_child)
{
	struct daemonize *d = installed(0);
	pid_t pid;

	pid = send_later(SIGHUP, 50);
	ck_assert_int_eq(daemonize_wait_signal(d, 10000), SIGHUP);
	reap(pid);
	/* For ever: the test case timeout bounds it. */
	pid = send_later(SIGTERM, 50);
	ck_assert_int_eq(daemonize_wait_signal(d, -1), SIGTERM);
	reap(pid);
	ck_assert_int_eq(daemonize_next_signal(d), 0);
	daemonize_free(d);
}
END_TEST

static void
add_fails(struct daemonize *d, int sig, int err, const char *needle)
{
	sigset_t before = d->signals;

	errno = 0;
	ck_assert_int_eq(daemonize_add_signal(d, sig), -1);
	ck_assert_int_eq(errno, err);
	ck_assert_msg(strstr(daemonize_error(d), needle) != NULL,
	    "signal %d: \"%s\" lacks \"%s\"", sig, daemonize_error(d), needle);
	ck_assert(memcmp(&before, &d->signals, sizeof(before)) == 0);
}

START_TEST(test_add_signal)
{
	struct daemonize *d = daemonize_new("t");

	ck_assert_ptr_nonnull(d);
	add_fails(d, 0, EINVAL, "signals: 0 is not a signal number");
	add_fails(d, -1, EINVAL, "signals: -1 is not a signal number");
	add_fails(d, NSIG, EINVAL, "is not a signal number");
	add_fails(d, 1000, EINVAL, "signals: 1000 is not a signal number");
	add_fails(d, SIGKILL, EINVAL, "signals: SIGKILL (9) cannot be caught");
	add_fails(d, SIGSTOP, EINVAL, "SIGSTOP");
	add_fails(d, SIGSTOP, EINVAL, "cannot be caught");
	add_fails(d, SIGSEGV, EINVAL, "signals: SIGSEGV (11) reports a fault "
	    "and must not be caught: Invalid argument");
	add_fails(d, SIGBUS, EINVAL, "SIGBUS");
	add_fails(d, SIGFPE, EINVAL, "SIGFPE");
	add_fails(d, SIGILL, EINVAL, "SIGILL");
	add_fails(d, SIGABRT, EINVAL, "SIGABRT");
#if defined(SIGRTMIN)
	if (SIGRTMIN > 32)      /* glibc keeps 32 and up for threads */
		add_fails(d, 32, EINVAL, "reserved by the C library");
#endif
	errno = 0;
	ck_assert_int_eq(daemonize_add_signal(NULL, SIGUSR1), -1);
	ck_assert_int_eq(errno, EINVAL);

	ck_assert_int_eq(daemonize_add_signal(d, SIGUSR1), 0);
	ck_assert_int_eq(daemonize_add_signal(d, SIGUSR1), 0); /* twice ok */
#if defined(SIGRTMIN)
	ck_assert_int_eq(daemonize_add_signal(d, SIGRTMIN), 0);
#endif
	ck_assert_int_eq(dz_signals_install(d), 0);
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_eq(daemonize_next_signal(d), SIGUSR1);
#if defined(SIGRTMIN)
	ck_assert_int_eq(raise(SIGRTMIN), 0);
	ck_assert_int_eq(daemonize_next_signal(d), SIGRTMIN);
#endif
	ck_assert_int_eq(daemonize_next_signal(d), 0);

	/* Not after start. */
	d->started = true;
	add_fails(d, SIGUSR2, EBUSY, "signals: configuration cannot change "
	    "after daemonize_start");
	d->started = false;
	daemonize_free(d);
}
END_TEST

START_TEST(test_storm_in_process)
{
	struct daemonize *d = installed(0);
	pid_t parent = getpid(), pid;
	int i, st;

	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		for (i = 0; i < STORM; i++)
			if (kill(parent, SIGHUP) == -1)
				_exit(1);
		_exit(kill(parent, SIGTERM) == 0 ? 0 : 1);
	}
	track(pid);
	/* The signals are delivered before waitpid returns; nobody reads
	 * the pipe meanwhile, which is the point. */
	st = wait_child(pid, 60000);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* One byte per distinct signal, in the order of first arrival. */
	ck_assert_int_eq(daemonize_next_signal(d), SIGHUP);
	ck_assert_int_eq(daemonize_next_signal(d), SIGTERM);
	ck_assert_int_eq(daemonize_next_signal(d), 0);
	daemonize_free(d);
}
END_TEST

START_TEST(test_through_start_foreground)
{
	struct daemonize *d;
	void (*int0)(int) = handler_of(SIGINT);

	unsetenv("NOTIFY_SOCKET");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	d = daemonize_new("t");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(daemonize_add_signal(d, SIGUSR1), 0);
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_int_eq(daemonize_mode(d), DAEMONIZE_MODE_FOREGROUND);
	ck_assert_int_ge(daemonize_signal_fd(d), 3);
	/* Configuration is closed now. */
	errno = 0;
	ck_assert_int_eq(daemonize_add_signal(d, SIGUSR2), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_int_eq(raise(SIGINT), 0);
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_eq(daemonize_wait_signal(d, 1000), SIGINT);
	ck_assert_int_eq(daemonize_wait_signal(d, 1000), SIGUSR1);
	daemonize_free(d);
	ck_assert(handler_of(SIGINT) == int0);
	ck_assert(handler_of(SIGUSR1) == SIG_DFL);
}
END_TEST

/* In foreground mode the process outlives the context: the caller's own
 * handlers come back when the context is freed. */
static void
callers_handler(int signo)
{
	(void)signo;
}

START_TEST(test_caller_handlers_restored)
{
	struct sigaction sa;
	struct daemonize *d;

	unsetenv("NOTIFY_SOCKET");
	unsetenv("LISTEN_PID");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = callers_handler;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGHUP, &sa, NULL), 0);
	sa.sa_handler = SIG_IGN;
	ck_assert_int_eq(sigaction(SIGINT, &sa, NULL), 0);
	sa.sa_handler = SIG_DFL;
	ck_assert_int_eq(sigaction(SIGTERM, &sa, NULL), 0);
	d = daemonize_new("t");
	ck_assert_int_eq(daemonize_set_flags(d, DAEMONIZE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert(handler_of(SIGHUP) != callers_handler);
	daemonize_free(d);
	ck_assert(handler_of(SIGHUP) == callers_handler);
	ck_assert(handler_of(SIGINT) == SIG_IGN);
	ck_assert(handler_of(SIGTERM) == SIG_DFL);
}
END_TEST

/* ---- end to end: tests/helper -------------------------------------------- */

struct run {
	char *dir, *log, *report, *pidfile;
	char *helper;           /* its private link (testutil.h) */
	pid_t pid;              /* the daemon (or the foreground process) */
	bool fg;
};

static char outbuf[1 << 20];

/* Start the helper, background (waits for the original process) or
 * foreground (tu_spawn), with extra options; return when it has written
 * its report, i.e. after start returned and before its first wait. */
static void
start_helper(struct run *r, bool fg, const char *extra1, const char *extra2)
{
	char out[4096];
	char *argv[16];
	const char *p;
	int n = 0, st;

	r->dir = tu_tmpdir();
	r->log = tu_fmt("%s/log", r->dir);
	r->report = tu_fmt("%s/report", r->dir);
	r->pidfile = tu_fmt("%s/pid", r->dir);
	r->fg = fg;
	r->helper = tu_private_helper(r->dir);
	argv[n++] = r->helper;
	argv[n++] = (char *)"-R";
	argv[n++] = r->report;
	if (fg) {
		argv[n++] = (char *)"-f";
	} else {
		argv[n++] = (char *)"-o";
		argv[n++] = r->log;
		argv[n++] = (char *)"-p";
		argv[n++] = r->pidfile;
	}
	if (extra1 != NULL)
		argv[n++] = (char *)extra1;
	if (extra2 != NULL)
		argv[n++] = (char *)extra2;
	argv[n] = NULL;
	if (fg) {
		r->pid = tu_spawn(argv, NULL, r->log);
		ck_assert_int_gt(r->pid, 0);
		track(r->pid);
		ck_assert_int_eq(tu_wait_report(r->report, 10000), 0);
		return;
	}
	st = tu_run(argv, out, sizeof(out), 10000);
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "helper: status %d: %s", st, out);
	ck_assert_int_eq(tu_wait_report(r->report, 10000), 0);
	p = tu_report_get(r->report, "pid");
	ck_assert_ptr_nonnull(p);
	r->pid = (pid_t)atol(p);
	ck_assert_int_gt(r->pid, 1);
	track(r->pid);
	ck_assert_int_eq(tu_pidfile_pid(r->pidfile), r->pid);
}

/* Remove the test's files and directory and free the names. */
static void
finish(struct run *r, char *extra)
{
	if (extra != NULL) {
		(void)unlink(extra);
		free(extra);
	}
	(void)unlink(r->log);
	(void)unlink(r->report);
	(void)unlink(r->pidfile);
	if (r->helper != NULL)
		(void)unlink(r->helper);
	ck_assert_int_eq(rmdir(r->dir), 0);
	free(r->log);
	free(r->report);
	free(r->pidfile);
	free(r->dir);
}

/* Wait for the end; in foreground mode reap it and return its status. */
static int
end_of(struct run *r)
{
	int st = 0;

	if (r->fg)
		return wait_child(r->pid, 30000);
	if (tu_wait_gone(r->pid, 30000) != 0) {
		/* Say what the daemon is doing, so that a failure here can
		 * be understood from the log alone. */
		static char status[4096], wchan[128], sys[256], log[1 << 16];
		const char *st_line, *sig;
		ssize_t n;

		(void)tu_read_file(tu_fmt("/proc/%ld/status", (long)r->pid),
		    status, sizeof(status));
		(void)tu_read_file(tu_fmt("/proc/%ld/wchan", (long)r->pid),
		    wchan, sizeof(wchan));
		(void)tu_read_file(tu_fmt("/proc/%ld/syscall", (long)r->pid),
		    sys, sizeof(sys));
		n = tu_read_file(r->log, log, sizeof(log));
		st_line = strstr(status, "State:");
		sig = strstr(status, "SigQ:");
		ck_abort_msg("daemon %ld still running 30 s after the signal: "
		    "%.40s | %.160s | wchan %s | syscall %.60s | log tail: %s",
		    (long)r->pid, st_line ? st_line : "?", sig ? sig : "?",
		    wchan, sys, n > 80 ? log + n - 80 : log);
	}
	untrack(r->pid);
	return st;
}

/* SIGTERM (or sig), then: gone, exit 0, log ends with "term", and in
 * background mode the pidfile is removed. */
static void
stop_helper(struct run *r, int sig)
{
	ssize_t n;
	int st;

	ck_assert_int_eq(kill(r->pid, sig), 0);
	st = end_of(r);
	if (r->fg)
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "status %#x", st);
	n = tu_read_file(r->log, outbuf, sizeof(outbuf));
	ck_assert_int_ge(n, 5);
	ck_assert_msg(strcmp(outbuf + n - 5, "term\n") == 0,
	    "log does not end with term: ...%s", outbuf + (n > 60 ? n - 60 : 0));
	if (!r->fg)
		ck_assert_int_eq(access(r->pidfile, F_OK), -1);
}

static void
storm(bool fg)
{
	struct run r;
	int i;

	start_helper(&r, fg, NULL, NULL);
	for (i = 0; i < STORM; i++)
		ck_assert_int_eq(kill(r.pid, SIGHUP), 0);
	stop_helper(&r, SIGTERM);
	ck_assert_ptr_nonnull(strstr(outbuf, "hup 1\n"));
	finish(&r, NULL);
}

START_TEST(test_storm_background)
{
	storm(false);
}
END_TEST

START_TEST(test_storm_foreground)
{
	storm(true);
}
END_TEST

/* A signal sent the moment start has returned, before the daemon's first
 * wait, is not lost (it waits in the pipe). */
static void
before_first_wait(bool fg)
{
	struct run r;

	start_helper(&r, fg, NULL, NULL);
	ck_assert_int_eq(kill(r.pid, SIGHUP), 0);
	ck_assert_int_eq(tu_wait_contains(r.log, "hup 1\n", 10000), 0);
	ck_assert(tu_alive(r.pid));
	/* Foreground: SIGINT means stop, too. */
	stop_helper(&r, fg ? SIGINT : SIGTERM);
	finish(&r, NULL);
}

START_TEST(test_before_first_wait_background)
{
	before_first_wait(false);
}
END_TEST

START_TEST(test_before_first_wait_foreground)
{
	before_first_wait(true);
}
END_TEST

/* Background, during startup: the pid is in the pidfile before the
 * handlers exist (and the daemon sleeps 300 ms before ready); a SIGHUP
 * sent as soon as the pid is known must neither kill it nor be lost. */
START_TEST(test_during_startup_background)
{
	char *dir = tu_tmpdir();
	char *log = tu_fmt("%s/log", dir), *pidf = tu_fmt("%s/pid", dir);
	char *argv[] = { tu_private_helper(dir), (char *)"-o", log,
	    (char *)"-p", pidf, (char *)"-a", (char *)"sleep", NULL };
	struct run r;
	pid_t orig, pid = -1;
	int i, st;

	orig = tu_spawn(argv, NULL, NULL);
	ck_assert_int_gt(orig, 0);
	track(orig);
	for (i = 0; i < 10000 && pid <= 0; i++) {
		pid = tu_pidfile_pid(pidf);
		if (pid <= 0)
			tu_msleep(1);
	}
	ck_assert_int_gt(pid, 1);
	track(pid);
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	/* The original process still reports success. */
	st = wait_child(orig, 10000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	ck_assert_int_eq(tu_wait_contains(log, "hup 1\n", 10000), 0);
	memset(&r, 0, sizeof(r));
	r.pid = pid;
	r.dir = dir;
	r.log = log;
	r.pidfile = pidf;
	r.report = tu_fmt("%s/report", dir);
	r.helper = argv[0];
	stop_helper(&r, SIGTERM);
	finish(&r, NULL);
}
END_TEST

static void
sigpipe_ignored(bool fg)
{
	struct run r;

	start_helper(&r, fg, NULL, NULL);
	ck_assert_int_eq(kill(r.pid, SIGPIPE), 0);
	/* Still alive, and still answering: the SIGHUP sent after the
	 * SIGPIPE is handled. */
	ck_assert_int_eq(kill(r.pid, SIGHUP), 0);
	ck_assert_int_eq(tu_wait_contains(r.log, "hup 1\n", 10000), 0);
	ck_assert(tu_alive(r.pid));
	stop_helper(&r, SIGTERM);
	finish(&r, NULL);
}

START_TEST(test_sigpipe_background)
{
	sigpipe_ignored(false);
}
END_TEST

START_TEST(test_sigpipe_foreground)
{
	sigpipe_ignored(true);
}
END_TEST

static void
sigpipe_kept(bool fg)
{
	struct run r;
	ssize_t n;
	int st;

	start_helper(&r, fg, "-P", NULL);
	ck_assert_int_eq(kill(r.pid, SIGPIPE), 0);
	st = end_of(&r);
	if (fg)
		ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE,
		    "status %#x", st);
	n = tu_read_file(r.log, outbuf, sizeof(outbuf));
	ck_assert(n <= 0 || strstr(outbuf, "term") == NULL);
	finish(&r, NULL);
}

START_TEST(test_sigpipe_kept_background)
{
	sigpipe_kept(false);
}
END_TEST

START_TEST(test_sigpipe_kept_foreground)
{
	sigpipe_kept(true);
}
END_TEST

/* Append the numbers of the "line N" lines of path to nums. */
static void
collect_lines(const char *path, int *nums, int *count, int max)
{
	char *p, *nl;
	ssize_t n;

	n = tu_read_file(path, outbuf, sizeof(outbuf));
	ck_assert_int_ge(n, 0);
	ck_assert_int_lt(n, (ssize_t)sizeof(outbuf) - 1);
	for (p = outbuf; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		ck_assert_msg(nl != NULL, "%s: last line cut: %s", path, p);
		if (strncmp(p, "line ", 5) == 0) {
			ck_assert_int_lt(*count, max);
			nums[(*count)++] = atoi(p + 5);
		}
	}
}

START_TEST(test_log_reopen)
{
	static int nums[20000];
	struct run r;
	char *rotated;
	int count = 0, old_count, i;

	start_helper(&r, false, "-L", NULL);
	rotated = tu_fmt("%s.1", r.log);
	ck_assert_int_eq(tu_wait_contains(r.log, "line 50\n", 10000), 0);
	/* logrotate: rename, then SIGHUP. */
	ck_assert_int_eq(rename(r.log, rotated), 0);
	ck_assert_int_eq(kill(r.pid, SIGHUP), 0);
	ck_assert_int_eq(tu_wait_contains(r.log, "hup 1\n", 10000), 0);
	/* Lines keep coming into the new file. */
	ck_assert_int_eq(tu_wait_contains(r.log, "line ", 10000), 0);
	stop_helper(&r, SIGTERM);

	collect_lines(rotated, nums, &count, 20000);
	old_count = count;
	ck_assert_int_ge(old_count, 50);
	ck_assert_ptr_null(strstr(outbuf, "hup"));
	collect_lines(r.log, nums, &count, 20000);
	ck_assert_int_gt(count, old_count);
	/* Every number from 1 to the last, in order: no gap, no
	 * duplicate, across the two files. */
	for (i = 0; i < count; i++)
		ck_assert_msg(nums[i] == i + 1, "line %d is %d (old file has "
		    "%d lines)", i + 1, nums[i], old_count);
	finish(&r, rotated);
}
END_TEST

static Suite *
signals_suite(void)
{
	Suite *s = suite_create("signals");
	TCase *tc;

	tc = tcase_create("in_process");
	tcase_add_checked_fixture(tc, kill_tracked, NULL);
	tcase_add_unchecked_fixture(tc, NULL, kill_tracked);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_order_and_coalescing);
	tcase_add_test(tc, test_errno_preserved);
	tcase_add_test(tc, test_fd_flags);
	tcase_add_test(tc, test_fd_above_stdio);
	tcase_add_test(tc, test_install_uninstall);
	tcase_add_test(tc, test_second_context_busy);
	tcase_add_test(tc, test_blocked_until_install);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_wait_timeout);
	tcase_add_test(tc, test_wait_eintr);
	tcase_add_test(tc, test_wait_from_child);
	tcase_add_test(tc, test_add_signal);
	tcase_add_test(tc, test_storm_in_process);
	tcase_add_test(tc, test_through_start_foreground);
	tcase_add_test(tc, test_caller_handlers_restored);
	suite_add_tcase(s, tc);

	tc = tcase_create("helper");
	tcase_add_checked_fixture(tc, kill_tracked, NULL);
	tcase_add_unchecked_fixture(tc, NULL, kill_tracked);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_storm_background);
	tcase_add_test(tc, test_storm_foreground);
	tcase_add_test(tc, test_before_first_wait_background);
	tcase_add_test(tc, test_before_first_wait_foreground);
	tcase_add_test(tc, test_during_startup_background);
	tcase_add_test(tc, test_sigpipe_background);
	tcase_add_test(tc, test_sigpipe_foreground);
	tcase_add_test(tc, test_sigpipe_kept_background);
	tcase_add_test(tc, test_sigpipe_kept_foreground);
	tcase_add_test(tc, test_log_reopen);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(signals_suite());
	int failed;

	tracked = mmap(NULL, MAXPIDS * sizeof(pid_t), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tracked == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/*
 * signals.c - deliver the handled signals to the caller through one fd.
 *
 * The handled set (d->signals) is SIGHUP, SIGTERM and SIGINT plus what
 * the caller adds.  Their handler does nothing but record the signal in a
 * self-pipe: the caller polls daemonize_signal_fd() in its own loop,
 * reads the next pending signal with daemonize_next_signal(), or blocks
 * in daemonize_wait_signal().  The work a signal asks for (reload, stop)
 * then runs in the caller's normal context, where any function may be
 * called.
 *
 * Why a self-pipe and not signalfd(2): signalfd only sees a signal that
 * is blocked in every thread of the process, so one thread created by a
 * third-party library without the mask would take the signal with its
 * default action; and it is Linux-only.  kqueue's EVFILT_SIGNAL is
 * BSD-only.  The self-pipe works everywhere, with every mask, and hides
 * behind the same API, so a later backend can replace it.
 *
 * Why the state is process-global: signal handlers are per process, so
 * only one context at a time can own them (a second one gets EBUSY).
 *
 * Coalescing: each signal number has a pending flag.  The handler writes
 * a byte only when the flag was clear, so each distinct signal has at most
 * one byte in the pipe: the pipe can never fill, a storm of 100000
 * SIGHUPs costs one byte and cannot push out the SIGTERM that follows it,
 * and the order in which distinct signals first arrived is kept.
 *
 * A process forked from the daemon (a worker) shares the pipe: its
 * handled signals land in the daemon's pipe until it installs its own
 * handling.  Such a child should set its own dispositions first.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Highest signal number + 1.  The pipe carries a signal as one byte. */
#if defined(NSIG)
#define DZ_NSIG NSIG
#elif defined(_NSIG)
#define DZ_NSIG _NSIG
#else
#define DZ_NSIG 65
#endif
#if DZ_NSIG > 256
#error "signal numbers do not fit in one byte of the self-pipe"
#endif

/* Read end [0] and write end [1] of the self-pipe; -1 when none.  The
 * handler reads sig_wfd, so it is a sig_atomic_t. */
static int sig_rfd = -1;
static volatile sig_atomic_t sig_wfd = -1;
/* 1 while the signal's byte is in the pipe and not yet read. */
static volatile sig_atomic_t pending[DZ_NSIG];
/* The context that installed the handlers, and what they replaced. */
static const struct daemonize *owner;
static sigset_t handled;
static bool sigpipe_changed;
static struct sigaction old_sigpipe;
/* The actions our handler replaced, put back by uninstall: in foreground
 * mode the process outlives the context and keeps its own handlers. */
static struct sigaction old_actions[DZ_NSIG];

/*
 * The handler.  Only async-signal-safe calls (write), and errno restored,
 * because it interrupts the caller anywhere, e.g. between a failing call
 * and the errno check that follows.  sa_mask blocks every handled signal
 * while it runs, so in one thread the test-and-set of pending[] cannot be
 * interleaved; across threads the worst case is a second byte for the
 * same signal, which the reader treats as one more wakeup.
 */
static void
signal_handler(int signo)
{
	int saved = errno;
	unsigned char b;
	int fd;

	if (signo > 0 && signo < DZ_NSIG && !pending[signo]) {
		pending[signo] = 1;
		b = (unsigned char)signo;
		fd = (int)sig_wfd;
		/* EAGAIN cannot happen with one byte per distinct signal in
		 * a pipe of at least 512 bytes (only if someone else wrote
		 * into it).  If the byte did not go in, the flag must not
		 * stay set, or this signal would never be reported again. */
		if (fd < 0 || write(fd, &b, 1) != 1)
			pending[signo] = 0;
	}
	errno = saved;
}

static const char *
signal_name(int signo)
{
	switch (signo) {
	case SIGKILL:
		return "SIGKILL";
	case SIGSTOP:
		return "SIGSTOP";
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIGFPE:
		return "SIGFPE";
	case SIGILL:
		return "SIGILL";
	case SIGABRT:
		return "SIGABRT";
#ifdef SIGSYS
	case SIGSYS:
		return "SIGSYS";
#endif
#ifdef SIGTRAP
	case SIGTRAP:
		return "SIGTRAP";
#endif
	default:
		return "signal";
	}
}

DZ_PUBLIC int
daemonize_add_signal(struct daemonize *d, int signo)
{
	sigset_t probe;

	if (dz_config_check(d, "signals") == -1)
		return -1;
	if (signo <= 0 || signo >= DZ_NSIG)
		return dz_error(d, "signals", EINVAL,
		    "%d is not a signal number (1 to %d)", signo, DZ_NSIG - 1);
	switch (signo) {
	case SIGKILL:
	case SIGSTOP:
		return dz_error(d, "signals", EINVAL,
		    "%s (%d) cannot be caught", signal_name(signo), signo);
	/* These report a fault of the process itself and are sent
	 * synchronously: returning from a handler that only records them
	 * re-runs the faulting instruction for ever (or, for abort(), the
	 * process dies anyway), so delivering them through a pipe is never
	 * what the caller wants. */
	case SIGSEGV:
	case SIGBUS:
	case SIGFPE:
	case SIGILL:
	case SIGABRT:
#ifdef SIGSYS
	case SIGSYS:
#endif
#ifdef SIGTRAP
	case SIGTRAP:
#endif
		return dz_error(d, "signals", EINVAL,
		    "%s (%d) reports a fault and must not be caught",
		    signal_name(signo), signo);
	default:
		break;
	}
	/* The C library may reserve numbers for itself (glibc's 32 and 33);
	 * sigaddset refuses those. */
	sigemptyset(&probe);
	if (sigaddset(&probe, signo) == -1)
		return dz_error(d, "signals", EINVAL,
		    "signal %d is reserved by the C library", signo);
	sigaddset(&d->signals, signo);
	return 0;
}

/* Signals whose default action is to ignore them (or to continue): setting
 * SIG_DFL for one of these discards it if pending (POSIX sigaction), so a
 * handled one sent during startup would be lost. */
static bool
default_discards(int signo)
{
	switch (signo) {
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
#ifdef SIGWINCH
	case SIGWINCH:
#endif
		return true;
	default:
		return false;
	}
}

/*
 * In the daemon right after the fork: nothing the shell or the caller's
 * original process set up for signals may survive (an inherited SIG_IGN
 * for SIGTERM makes a daemon unstoppable, an inherited mask hides
 * signals).  Every catchable signal gets SIG_DFL, SIGPIPE is ignored
 * (unless DAEMONIZE_KEEP_SIGPIPE) so a write to a closed socket gives
 * EPIPE instead of killing the daemon, and the mask becomes exactly the
 * handled set, which stays blocked until dz_signals_install.
 */
int
dz_signals_reset(struct daemonize *d)
{
	struct sigaction sa;
	int signo;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	for (signo = 1; signo < DZ_NSIG; signo++) {
		if (signo == SIGKILL || signo == SIGSTOP)
			continue;
		/* A handled signal is blocked and its handler is set by
		 * install; resetting one whose default is to ignore would
		 * discard it if it is already pending. */
		if (sigismember(&d->signals, signo) == 1 &&
		    default_discards(signo))
			continue;
		sa.sa_handler = SIG_DFL;
		if (signo == SIGPIPE &&
		    (d->flags & DAEMONIZE_KEEP_SIGPIPE) == 0 &&
		    sigismember(&d->signals, SIGPIPE) != 1)
			sa.sa_handler = SIG_IGN;
		/* EINVAL only: numbers the C library reserves (glibc's
		 * thread signals) are not ours to touch. */
		if (sigaction(signo, &sa, NULL) == -1 && errno != EINVAL)
			return dz_error(d, "signals", errno,
			    "cannot reset the action of signal %d", signo);
	}
	if (sigprocmask(SIG_SETMASK, &d->signals, NULL) == -1)
		return dz_error(d, "signals", errno,
		    "cannot reset the signal mask");
	return 0;
}

/* Before the fork: block the handled set, so that a signal sent to the
 * daemon before its handlers exist stays pending instead of killing it
 * (SIGHUP, SIGTERM) or being lost.  The old mask is for the original
 * process to restore. */
int
dz_signals_block(struct daemonize *d, sigset_t *old)
{
	if (sigprocmask(SIG_BLOCK, &d->signals, old) == -1)
		return dz_error(d, "signals", errno,
		    "cannot block the handled signals");
	return 0;
}

/* Move fd to a number >= 3, close-on-exec: in foreground mode fds 0-2 may
 * be closed, and a pipe end there would become someone's stdio. */
static int
move_high(int fd)
{
	int nfd;

	if (fd >= 3)
		return fd;
#ifdef F_DUPFD_CLOEXEC
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
#else
	nfd = fcntl(fd, F_DUPFD, 3);
	if (nfd != -1 && fcntl(nfd, F_SETFD, FD_CLOEXEC) == -1) {
		dz_close_quietly(nfd);
		nfd = -1;
	}
#endif
	dz_close_quietly(fd);
	return nfd;
}

/* Non-blocking so that neither the handler nor next_signal can block,
 * close-on-exec so that a program the daemon runs does not inherit it. */
static int
make_pipe(struct daemonize *d, int fds[2])
{
	if (dz_pipe_cloexec(fds, O_NONBLOCK) == -1)
		return dz_error(d, "signals", errno,
		    "cannot create the signal pipe");
	fds[0] = move_high(fds[0]);
	fds[1] = move_high(fds[1]);
	if (fds[0] == -1 || fds[1] == -1) {
		int err = errno;

		dz_close_quietly(fds[0]);
		dz_close_quietly(fds[1]);
		return dz_error(d, "signals", err,
		    "cannot move the signal pipe above fd 2");
	}
	return 0;
}

/* Put back, for the signals in set, the actions our handler replaced. */
static void
restore_previous(const sigset_t *set)
{
	int signo;

	for (signo = 1; signo < DZ_NSIG; signo++)
		if (sigismember(set, signo) == 1)
			(void)sigaction(signo, &old_actions[signo], NULL);
}

/*
 * Last step of startup, in every mode.  The order matters: the pipe
 * exists before any handler can write to it, every handler is in place
 * before any handled signal is unblocked, and only then is the set
 * unblocked, so that a signal that arrived during startup (pending while
 * blocked) is delivered into the pipe now rather than lost or fatal.
 */
int
dz_signals_install(struct daemonize *d)
{
	struct sigaction sa, ign;
	sigset_t done;
	int fds[2], signo, err;

	if (owner == d && sig_rfd >= 0)
		return 0;
	if (owner != NULL)
		return dz_error(d, "signals", EBUSY,
		    "signal handling is already installed by another context");
	if (make_pipe(d, fds) == -1)
		return -1;
	for (signo = 0; signo < DZ_NSIG; signo++)
		pending[signo] = 0;
	sig_rfd = fds[0];
	sig_wfd = fds[1];

	/* SA_RESTART so that the caller's slow calls (read, write, waitpid)
	 * are not cut short by a reload; sa_mask blocks the whole handled
	 * set while one handler runs (see signal_handler). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = signal_handler;
	sa.sa_mask = d->signals;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&done);
	for (signo = 1; signo < DZ_NSIG; signo++) {
		if (sigismember(&d->signals, signo) != 1)
			continue;
		if (sigaction(signo, &sa, &old_actions[signo]) == -1) {
			err = errno;
			dz_error(d, "signals", err,
			    "cannot install the handler of signal %d", signo);
			goto fail;
		}
		sigaddset(&done, signo);
	}
	/* SIGPIPE: a daemon writing to a client that went away must get
	 * EPIPE, not die.  The old action is kept for uninstall, which
	 * matters in foreground mode where the process outlives us. */
	sigpipe_changed = false;
	if ((d->flags & DAEMONIZE_KEEP_SIGPIPE) == 0 &&
	    sigismember(&d->signals, SIGPIPE) != 1) {
		memset(&ign, 0, sizeof(ign));
		sigemptyset(&ign.sa_mask);
		ign.sa_handler = SIG_IGN;
		if (sigaction(SIGPIPE, &ign, &old_sigpipe) == -1) {
			err = errno;
			dz_error(d, "signals", err, "cannot ignore SIGPIPE");
			goto fail;
		}
		sigpipe_changed = true;
	}
	handled = d->signals;
	owner = d;
	if (sigprocmask(SIG_UNBLOCK, &d->signals, NULL) == -1) {
		err = errno;
		dz_error(d, "signals", err,
		    "cannot unblock the handled signals");
		dz_signals_uninstall(d);
		errno = err;
		return -1;
	}
	return 0;
fail:
	restore_previous(&done);
	if (sigpipe_changed)
		(void)sigaction(SIGPIPE, &old_sigpipe, NULL);
	sigpipe_changed = false;
	sig_wfd = -1;
	sig_rfd = -1;
	dz_close_quietly(fds[0]);
	dz_close_quietly(fds[1]);
	errno = err;
	return -1;
}

/*
 * From daemonize_free and the failure paths of start: the handled signals
 * and SIGPIPE get back the actions they had before install (SIG_DFL in a
 * daemon, whose dispositions were reset; the caller's own in foreground
 * mode), and the pipe is closed.
 * Idempotent, and a no-op for a context that did not install (such as
 * the original process in background mode).  The handled set is blocked
 * meanwhile so that no handler of this thread can run with a half-closed
 * pipe; one that arrives in that window gets its default action when the
 * mask is restored, as it would a moment later.
 */
void
/* cppcheck-suppress constParameter ; ending d's ownership of the process's
 * handlers changes d's state (kept in statics), so const would mislead. */
dz_signals_uninstall(struct daemonize *d)
{
	sigset_t old;
	bool masked;
	int saved = errno, rfd, wfd;

	if (d == NULL || owner != d)
		return;
	masked = sigprocmask(SIG_BLOCK, &handled, &old) == 0;
	restore_previous(&handled);
	if (sigpipe_changed)
		(void)sigaction(SIGPIPE, &old_sigpipe, NULL);
	sigpipe_changed = false;
	rfd = sig_rfd;
	wfd = (int)sig_wfd;
	sig_wfd = -1;
	sig_rfd = -1;
	dz_close_quietly(rfd);
	dz_close_quietly(wfd);
	owner = NULL;
	sigemptyset(&handled);
	if (masked)
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
}

DZ_PUBLIC int
daemonize_signal_fd(const struct daemonize *d)
{
	if (d == NULL || owner != d || sig_rfd < 0) {
		errno = EINVAL;
		return -1;
	}
	return sig_rfd;
}

static int
not_installed(struct daemonize *d)
{
	if (d == NULL) {
		errno = EINVAL;
		return -1;
	}
	return dz_error(d, "signals", EINVAL, "signal handling is not "
	    "installed: daemonize_start has not returned 0 in this process");
}

DZ_PUBLIC int
daemonize_next_signal(struct daemonize *d)
{
	unsigned char b;
	ssize_t n;
	int saved = errno;

	if (d == NULL || owner != d || sig_rfd < 0)
		return not_installed(d);
	for (;;) {
		n = read(sig_rfd, &b, 1);
		if (n == 1) {
			if (b == 0 || b >= DZ_NSIG)
				continue;       /* not written by us */
			/* Cleared after the read: a signal arriving between
			 * the two is coalesced into the one returned now,
			 * which the caller has not acted on yet. */
			pending[b] = 0;
			errno = saved;
			return b;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			errno = saved;
			return 0;
		}
		/* EOF cannot happen while we hold the write end. */
		return dz_error(d, "signals", n == 0 ? EIO : errno,
		    "cannot read the signal pipe");
	}
}

static int
now_ns(struct daemonize *d, int64_t *ns)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC: a wall-clock step must not stretch or cut the
	 * wait. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
		/* -1 spelt out: static analyzers do not see that dz_error
		 * (another file) always returns it, and would take *ns as
		 * unset on a 0 return. */
		(void)dz_error(d, "signals", errno, "clock_gettime");
		return -1;
	}
	*ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	return 0;
}

/*
 * The next pending signal, waiting up to timeout_ms (-1: for ever) for
 * one; 0 when none came in time.  poll(), never select(): the pipe's fd
 * may be above FD_SETSIZE.  An interrupted poll (EINTR, e.g. from a
 * signal the caller handles itself) waits again for what is left.
 */
DZ_PUBLIC int
daemonize_wait_signal(struct daemonize *d, int timeout_ms)
{
	struct pollfd pfd;
	int64_t deadline = 0, now, left;
	int sig, ms, r;

	if (d == NULL || owner != d || sig_rfd < 0)
		return not_installed(d);
	if (timeout_ms < -1)
		return dz_error(d, "signals", EINVAL,
		    "timeout %d ms: must be -1 (for ever) or >= 0",
		    timeout_ms);
	if (timeout_ms > 0) {
		if (now_ns(d, &deadline) == -1)
			return -1;
		deadline += (int64_t)timeout_ms * 1000000;
	}
	for (;;) {
		if ((sig = daemonize_next_signal(d)) != 0)
			return sig;     /* a signal, or -1 */
		if (timeout_ms == 0)
			return 0;
		ms = -1;
		if (timeout_ms > 0) {
			if (now_ns(d, &now) == -1)
				return -1;
			left = deadline - now;
			if (left <= 0)
				return 0;
			/* Rounded up, so we never wake just before the
			 * deadline and spin. */
			left = (left + 999999) / 1000000;
			ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		pfd.fd = sig_rfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, ms);
		if (r == -1 && errno != EINTR)
			return dz_error(d, "signals", errno,
			    "cannot poll the signal pipe");
		if (r == 1 && (pfd.revents & POLLNVAL))
			return dz_error(d, "signals", EBADF,
			    "the signal pipe (fd %d) was closed", sig_rfd);
		/* Readable, interrupted or timed out: the top of the loop
		 * reads the pipe and checks the clock again rather than
		 * trusting poll's rounding. */
	}
}

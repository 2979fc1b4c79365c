/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * signals.c - deliver the handled signals to the caller through one fd.
 *
 * The handled set (struct dz_signals) is SIGHUP, SIGTERM and SIGINT plus
 * what the caller adds.  Their handler does nothing but record the signal
 * in a self-pipe: the caller polls daemonize_signal_fd() in its own loop
 * and reads the next pending signal with daemonize_next_signal(), which
 * can also wait for one.  The work a signal asks for (reload, stop) then
 * runs in the caller's normal context, where any function may be called.
 *
 * Why a self-pipe and not signalfd(2): signalfd only sees a signal that
 * is blocked in every thread of the process, so one thread created by a
 * third-party library without the mask would take the signal with its
 * default action; and it is Linux-only.  kqueue's EVFILT_SIGNAL is
 * BSD-only.  The self-pipe works everywhere, with every mask, and hides
 * behind the same API, so a later backend can replace it.
 *
 * Why the state is process-global: signal handlers are per process, so
 * only one context at a time can own them (a second one gets EBUSY).  The
 * owner is an opaque token (the context); this file never looks into it.
 *
 * Coalescing: each signal number has a pending flag.  The handler writes
 * a byte only when the flag was clear, so each distinct signal has at most
 * one byte in the pipe: the pipe can never fill, a storm of 100000
 * SIGHUPs costs one byte and cannot push out the SIGTERM that follows it,
 * and the order in which distinct signals first arrived is kept.
 *
 * The pipe may be created (dz_signals_open) before the handlers exist, so
 * that the daemon's fd sweep can keep it; dz_signals_install creates it
 * itself when that was not done.
 *
 * A process forked from the daemon (a worker) shares the pipe: its
 * handled signals land in the daemon's pipe until it installs its own
 * handling.  Such a child should set its own dispositions first.
 */
#include "signals.h"
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* Read end [0] and write end [1] of the self-pipe; -1 when none.  The
 * handler reads sig_wfd, so it is a sig_atomic_t. */
static int sig_rfd = -1;
static volatile sig_atomic_t sig_wfd = -1;
/* 1 while the signal's byte is in the pipe and not yet read. */
static volatile sig_atomic_t pending[DZ_NSIG];
/* The owner of the pipe and of the handlers (NULL: nobody), whether the
 * handlers are in place, and which signals they replaced. */
static const void *sig_owner;
static bool installed;
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
	const char *name;

	switch (signo) {
	case SIGKILL:
		return "SIGKILL";
	case SIGSTOP:
		return "SIGSTOP";
	default:
		name = dz_signal_fault_name(signo);
		return name != NULL ? name : "signal";
	}
}

/* Signals whose default action is to ignore them (or to continue),
 * dz_signal_default_discards: setting SIG_DFL for one of these discards it
 * if pending (POSIX sigaction), so a handled one sent during startup would
 * be lost. */

/* ---- the configured set ------------------------------------------------ */

void
dz_signals_init(struct dz_signals *s)
{
	(void)sigemptyset(&s->set);
	(void)sigaddset(&s->set, SIGHUP);
	(void)sigaddset(&s->set, SIGTERM);
	(void)sigaddset(&s->set, SIGINT);
	s->keep_sigpipe = false;
}

int
dz_signals_add(struct dz_signals *s, int signo, struct dz_err *e)
{
	sigset_t probe;

	if (signo <= 0 || signo >= DZ_NSIG)
		return dz_fail(e, "signals", EINVAL,
		    "%d is not a signal number (1 to %d)", signo, DZ_NSIG - 1);
	switch (signo) {
	case SIGKILL:
	case SIGSTOP:
		return dz_fail(e, "signals", EINVAL,
		    "%s (%d) cannot be caught", signal_name(signo), signo);
	default:
		break;
	}
	/* These report a fault of the process itself and are sent
	 * synchronously: returning from a handler that only records them
	 * re-runs the faulting instruction for ever (or, for abort(), the
	 * process dies anyway), so delivering them through a pipe is never
	 * what the caller wants. */
	if (dz_signal_reports_fault(signo))
		return dz_fail(e, "signals", EINVAL,
		    "%s (%d) reports a fault and must not be caught",
		    signal_name(signo), signo);
	/* The C library may reserve numbers for itself (glibc's 32 and 33);
	 * sigaddset refuses those. */
	(void)sigemptyset(&probe);
	if (sigaddset(&probe, signo) == -1)
		return dz_fail(e, "signals", EINVAL,
		    "signal %d is reserved by the C library", signo);
	(void)sigaddset(&s->set, signo);
	return 0;
}

/* ---- around the fork ----------------------------------------------------- */

/*
 * In the daemon right after the fork: nothing the shell or the caller's
 * original process set up for signals may survive (an inherited SIG_IGN
 * for SIGTERM makes a daemon unstoppable, an inherited mask hides
 * signals).  Every catchable signal gets SIG_DFL, SIGPIPE is ignored
 * (unless keep_sigpipe) so a write to a closed socket gives EPIPE instead
 * of killing the daemon, and the mask becomes exactly the handled set,
 * which stays blocked until dz_signals_install.
 */
int
dz_signals_reset(const struct dz_signals *s, struct dz_err *e)
{
	struct sigaction sa;
	int signo;

	memset(&sa, 0, sizeof(sa));
	(void)sigemptyset(&sa.sa_mask);
	for (signo = 1; signo < DZ_NSIG; signo++) {
		if (signo == SIGKILL || signo == SIGSTOP)
			continue;
		/* A handled signal is blocked and its handler is set by
		 * install; resetting one whose default is to ignore would
		 * discard it if it is already pending. */
		if (sigismember(&s->set, signo) == 1 &&
		    dz_signal_default_discards(signo))
			continue;
		sa.sa_handler = SIG_DFL;
		if (signo == SIGPIPE && !s->keep_sigpipe &&
		    sigismember(&s->set, SIGPIPE) != 1)
			sa.sa_handler = SIG_IGN;
		/* EINVAL only: numbers the C library reserves (glibc's
		 * thread signals) are not ours to touch. */
		if (sigaction(signo, &sa, NULL) == -1 && errno != EINVAL)
			return dz_fail(e, "signals", errno,
			    "cannot reset the action of signal %d", signo);
	}
	if (sigprocmask(SIG_SETMASK, &s->set, NULL) == -1)
		return dz_fail(e, "signals", errno,
		    "cannot reset the signal mask");
	return 0;
}

/* Before the fork: block the handled set, so that a signal sent to the
 * daemon before its handlers exist stays pending instead of killing it
 * (SIGHUP, SIGTERM) or being lost.  The old mask is for the original
 * process to restore. */
int
dz_signals_block(const struct dz_signals *s, sigset_t *old, struct dz_err *e)
{
	if (sigprocmask(SIG_BLOCK, &s->set, old) == -1)
		return dz_fail(e, "signals", errno,
		    "cannot block the handled signals");
	return 0;
}

/* ---- the pipe and the handlers ------------------------------------------- */

/*
 * Non-blocking so that neither the handler nor dz_signals_next can block,
 * close-on-exec so that a program the daemon runs does not inherit it,
 * and above fd 2: in foreground mode fds 0-2 may be closed, and a pipe
 * end there would become someone's stdio.  Created before the fd sweep,
 * which is handed both ends to keep.
 */
int
dz_signals_open(const void *owner, int fds[2], struct dz_err *e)
{
	int p[2], signo, err;

	if (owner == NULL)
		return dz_fail(e, "signals", EINVAL, "no owner");
	if (sig_owner == owner && sig_rfd >= 0) {
		fds[0] = sig_rfd;
		fds[1] = (int)sig_wfd;
		return 0;
	}
	if (sig_owner != NULL)
		return dz_fail(e, "signals", EBUSY,
		    "signal handling is already installed by another context");
	if (dz_pipe_cloexec(p, O_NONBLOCK) == -1)
		return dz_fail(e, "signals", errno,
		    "cannot create the signal pipe");
	p[0] = dz_move_high(p[0]);
	p[1] = dz_move_high(p[1]);
	if (p[0] == -1 || p[1] == -1) {
		err = errno;
		dz_close_quietly(p[0]);
		dz_close_quietly(p[1]);
		return dz_fail(e, "signals", err,
		    "cannot move the signal pipe above fd 2");
	}
	for (signo = 0; signo < DZ_NSIG; signo++)
		pending[signo] = 0;
	(void)sigemptyset(&handled);
	sig_rfd = p[0];
	sig_wfd = p[1];
	sig_owner = owner;
	fds[0] = p[0];
	fds[1] = p[1];
	return 0;
}

/* Close the pipe and give up the ownership. */
static void
close_pipe(void)
{
	int rfd = sig_rfd, wfd = (int)sig_wfd;

	sig_wfd = -1;
	sig_rfd = -1;
	dz_close_quietly(rfd);
	dz_close_quietly(wfd);
	sig_owner = NULL;
}

/*
 * Put back the actions our handler replaced (for the signals in handled)
 * and SIGPIPE's.  Called with the handled set blocked in this thread.
 *
 * Why SIG_IGN first: a handled signal that arrived once the set was
 * blocked is pending, and restoring SIG_DFL and then the mask would
 * deliver it with its default action: a SIGHUP sent to a daemon that is
 * stopping would kill it with status 129 instead of letting it exit 0.
 * Setting SIG_IGN discards the pending instances (POSIX sigaction), and
 * the saved action goes back only then.  Such a signal is not lost more
 * than one sent a moment earlier, which our handler wrote into the pipe
 * that is being closed unread.  Only where the restored action is SIG_DFL
 * and that default terminates or stops the process: a caller's own
 * handler (foreground mode) still gets the signal when the mask is
 * restored, and for a signal whose default is to ignore, restoring
 * SIG_DFL discards it anyway.
 */
static void
restore_actions(void)
{
	struct sigaction ign;
	const struct sigaction *old;
	int signo;

	memset(&ign, 0, sizeof(ign));
	(void)sigemptyset(&ign.sa_mask);
	ign.sa_handler = SIG_IGN;
	for (signo = 1; signo < DZ_NSIG; signo++) {
		if (sigismember(&handled, signo) != 1)
			continue;
		old = &old_actions[signo];
		if ((old->sa_flags & SA_SIGINFO) == 0 &&
		    old->sa_handler == SIG_DFL &&
		    !dz_signal_default_discards(signo))
			(void)sigaction(signo, &ign, NULL);
		(void)sigaction(signo, old, NULL);
	}
	(void)sigemptyset(&handled);
	if (sigpipe_changed)
		(void)sigaction(SIGPIPE, &old_sigpipe, NULL);
	sigpipe_changed = false;
	installed = false;
}

/*
 * Last step of startup, in every mode.  The order matters: the pipe
 * exists before any handler can write to it, every handler is in place
 * before any handled signal is unblocked, and only then is the set
 * unblocked, so that a signal that arrived during startup (pending while
 * blocked) is delivered into the pipe now rather than lost or fatal.
 */
int
dz_signals_install(const struct dz_signals *s, const void *owner,
    struct dz_err *e)
{
	struct sigaction sa, ign;
	bool created = false;
	int fds[2], signo, err;

	if (owner == NULL)
		return dz_fail(e, "signals", EINVAL, "no owner");
	if (sig_owner == owner && installed)
		return 0;
	if (sig_owner != NULL && sig_owner != owner)
		return dz_fail(e, "signals", EBUSY,
		    "signal handling is already installed by another context");
	if (sig_owner == NULL) {
		if (dz_signals_open(owner, fds, e) == -1)
			return -1;
		created = true;
	}

	/* handled grows with each handler set, so that a failure part way
	 * puts back exactly what was replaced. */
	(void)sigemptyset(&handled);
	sigpipe_changed = false;
	/* SA_RESTART so that the caller's slow calls (read, write, waitpid)
	 * are not cut short by a reload; sa_mask blocks the whole handled
	 * set while one handler runs (see signal_handler). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = signal_handler;
	sa.sa_mask = s->set;
	sa.sa_flags = SA_RESTART;
	for (signo = 1; signo < DZ_NSIG; signo++) {
		if (sigismember(&s->set, signo) != 1)
			continue;
		if (sigaction(signo, &sa, &old_actions[signo]) == -1) {
			err = errno;
			dz_fail(e, "signals", err,
			    "cannot install the handler of signal %d", signo);
			goto fail;
		}
		(void)sigaddset(&handled, signo);
	}
	/* SIGPIPE: a daemon writing to a client that went away must get
	 * EPIPE, not die.  The old action is kept for uninstall, which
	 * matters in foreground mode where the process outlives us. */
	if (!s->keep_sigpipe && sigismember(&s->set, SIGPIPE) != 1) {
		memset(&ign, 0, sizeof(ign));
		(void)sigemptyset(&ign.sa_mask);
		ign.sa_handler = SIG_IGN;
		if (sigaction(SIGPIPE, &ign, &old_sigpipe) == -1) {
			err = errno;
			dz_fail(e, "signals", err, "cannot ignore SIGPIPE");
			goto fail;
		}
		sigpipe_changed = true;
	}
	installed = true;
	if (sigprocmask(SIG_UNBLOCK, &s->set, NULL) == -1) {
		err = errno;
		dz_fail(e, "signals", err,
		    "cannot unblock the handled signals");
		goto fail;
	}
	return 0;
fail:
	/* Only what this call did is undone: a pipe made by
	 * dz_signals_open stays its caller's, for uninstall to close. */
	restore_actions();
	if (created)
		close_pipe();
	errno = err;
	return -1;
}

/*
 * From the context's teardown and the failure paths of start: the handled
 * signals and SIGPIPE get back the actions they had before install
 * (SIG_DFL in a daemon, whose dispositions were reset; the caller's own in
 * foreground mode), and the pipe is closed.
 * Idempotent, and a no-op for an owner that did not open or install (such
 * as the original process in background mode).  The handled set is
 * blocked meanwhile so that no handler of this thread can run with a
 * half-closed pipe, and so that restore_actions can discard what would
 * otherwise kill the process when the mask is restored.
 */
void
dz_signals_uninstall(const void *owner)
{
	sigset_t set, old;
	bool masked;
	int saved = errno;

	if (owner == NULL || sig_owner != owner)
		return;
	set = handled;
	masked = sigprocmask(SIG_BLOCK, &set, &old) == 0;
	restore_actions();
	close_pipe();
	if (masked)
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
}

/* ---- reading ------------------------------------------------------------- */

int
dz_signals_fd(const void *owner)
{
	if (owner == NULL || sig_owner != owner || !installed || sig_rfd < 0) {
		errno = EINVAL;
		return -1;
	}
	return sig_rfd;
}

/* One pending signal from the pipe without waiting: its number, 0 for
 * none, -1 on error. */
static int
read_one(struct dz_err *e)
{
	unsigned char b;
	ssize_t n;
	int saved = errno;

	for (;;) {
		/* dz_read_full retries EINTR; the pipe is non-blocking. */
		n = dz_read_full(sig_rfd, &b, 1);
		if (n == 1) {
			if (b == 0 || b >= DZ_NSIG)
				continue;	/* not written by us */
			/* Cleared after the read: a signal arriving between
			 * the two is coalesced into the one returned now,
			 * which the caller has not acted on yet. */
			pending[b] = 0;
			errno = saved;
			return b;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			errno = saved;
			return 0;
		}
		/* EOF cannot happen while we hold the write end. */
		return dz_fail(e, "signals", n == 0 ? EIO : errno,
		    "cannot read the signal pipe");
	}
}

/*
 * The next pending signal, waiting up to timeout_ms for one: 0 returns at
 * once, -1 waits for ever; 0 when none came in time.  poll(), never
 * select(): the pipe's fd may be above FD_SETSIZE.  An interrupted poll
 * (EINTR, e.g. from a signal the caller handles itself) waits again for
 * what is left (dz_poll_until).
 */
int
dz_signals_next(const void *owner, int timeout_ms, struct dz_err *e)
{
	struct pollfd pfd;
	int64_t deadline = -1;
	bool expired = false;
	int sig, r;

	if (owner == NULL || sig_owner != owner || !installed || sig_rfd < 0)
		return dz_fail(e, "signals", EINVAL, "signal handling is not "
		    "installed: daemonize_start has not returned 0 in this "
		    "process");
	if (timeout_ms < -1)
		return dz_fail(e, "signals", EINVAL,
		    "timeout %d ms: must be -1 (for ever) or >= 0",
		    timeout_ms);
	if (timeout_ms > 0)
		deadline = dz_now_ms() + timeout_ms;
	for (;;) {
		if ((sig = read_one(e)) != 0)
			return sig;	/* a signal, or -1 */
		if (timeout_ms == 0 || expired)
			return 0;
		pfd.fd = sig_rfd;
		pfd.events = POLLIN;
		r = dz_poll_until(&pfd, 1, deadline);
		if (r == -1)
			return dz_fail(e, "signals", errno,
			    "cannot poll the signal pipe");
		if (r == 1 && (pfd.revents & POLLNVAL))
			return dz_fail(e, "signals", EBADF,
			    "the signal pipe (fd %d) was closed", sig_rfd);
		/* Readable or timed out: the top of the loop reads the
		 * pipe, once more after the deadline, so that a signal that
		 * came with it is not reported as none. */
		if (r == 0)
			expired = true;
	}
}

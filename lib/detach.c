/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * detach.c - the double fork and the status pipe.
 *
 * The original process forks; the middle child calls setsid (so the daemon
 * is in a new session, without a controlling terminal) and forks again; the
 * middle child then _exits at once, so the daemon is not a session leader
 * and can never acquire a terminal by opening one.  The original process
 * waits on the read end of the status pipe for one record from the daemon:
 * READY, or ERROR with the daemon's errno, step and message.  If the daemon
 * dies first, the pipe's EOF says so at once.
 *
 * Only the daemon keeps the write end: the original process closes its copy
 * right after the fork, or it would never see the EOF.
 *
 * Every wait of the original process is bounded: by the caller's timeout,
 * and by fixed bounds where there is none or where the pipe has already
 * said that the daemon is done.
 */
#include "detach.h"
#include "compat.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemonize.h"

/* Status pipe records: fixed size, at most PIPE_BUF, so every write of one
 * is atomic and a reader never sees half of one. */
#define DZ_REC_PID   1 /* from the middle child: value = the daemon's pid */
#define DZ_REC_READY 2 /* the daemon is ready */
#define DZ_REC_ERROR 3 /* value = errno; step and message say the rest */
#define DZ_REC_EXEC  4 /* the daemon is about to exec a program: the EOF
                          of a successful exec (the write end is
                          close-on-exec) means ready */

#define DZ_STEPLEN 16
#define DZ_MSGLEN  488  /* the record is 512 bytes: POSIX's least PIPE_BUF */

struct dz_record {
	int32_t kind;
	int32_t value;
	char step[DZ_STEPLEN];
	char msg[DZ_MSGLEN];
};

/* Records are written with one write(2) each, and a write of at most
 * PIPE_BUF bytes to a pipe is atomic; POSIX guarantees PIPE_BUF >= 512. */
typedef char dz_record_fits_pipe_buf[sizeof(struct dz_record) <= 512 ? 1 : -1];

/* How long the original process waits, after the daemon reported an error
 * or closed the pipe, for the daemon to exit, so that it can report the
 * exit status and leave no process behind.  Bounded: a daemon that reports
 * a failure and carries on must not hang the command that started it. */
#define DZ_EXIT_WAIT_MS 5000

/* How long the middle child may take to _exit once the pipe has said that
 * it is done (it sent the daemon's pid, or its end is closed), when the
 * caller set no timeout; with one, the deadline bounds it. */
#define DZ_MIDDLE_WAIT_MS 3000
/* At least this long even when the deadline has already passed, so that a
 * middle child that is merely slow to be scheduled is not killed. */
#define DZ_MIDDLE_GRACE_MS 100
/* After SIGKILL: a stopped or traced process dies at once; only one in an
 * uninterruptible sleep could take longer, and it is not waited for. */
#define DZ_KILL_WAIT_MS 1000

/* How often the original process looks at the daemon itself while it
 * waits: a process the daemon forked before ready holds a copy of the
 * write end, so the daemon's death may bring no EOF. */
#define DZ_TICK_MS 100

/* Poll interval of the WNOHANG loops. */
#define DZ_REAP_POLL_MS 2

void
dz_handshake_init(struct dz_handshake *h)
{
	h->status_fd = -1;
	h->daemon_pid = 0;
	h->left_running = false;
}

/* ---- the writing side (async-signal-safe: the middle child uses it) ---- */

/* Copy src into dst; if it is too long, cut the middle rather than the
 * end, because the end holds the reason (": Permission denied").  No
 * library calls: the middle child uses this. */
static void
copy_keep_tail(char *dst, size_t size, const char *src)
{
	const size_t tail = 96;
	size_t len = 0, i, head;

	if (src == NULL)
		src = "";
	while (src[len] != '\0')
		len++;
	if (len < size) {
		dz_strlcpy_safe(dst, src, size);
		return;
	}
	head = size - 1 - tail - 3;
	for (i = 0; i < head; i++)
		dst[i] = src[i];
	dst[head] = dst[head + 1] = dst[head + 2] = '.';
	for (i = 0; i < tail; i++)
		dst[head + 3 + i] = src[len - tail + i];
	dst[size - 1] = '\0';
}

/* Write one record; 0, or -1 with errno (EPIPE: nobody reads). */
static int
send_record(int fd, int32_t kind, int32_t value, const char *step,
    const char *msg)
{
	struct dz_record rec;
	struct sigaction ign, old_action;
	sigset_t pipe_set, old_mask, pending;
	bool was_pending;
	int r, saved;

	/* Only async-signal-safe calls: the middle child uses this. */
	memset(&rec, 0, sizeof(rec));
	rec.kind = kind;
	rec.value = value;
	dz_strlcpy_safe(rec.step, step, sizeof(rec.step));
	copy_keep_tail(rec.msg, sizeof(rec.msg), msg);
	/* The reader may be gone (it timed out, or was killed): that must
	 * be EPIPE here, not a SIGPIPE that kills a daemon which kept the
	 * default disposition (DAEMONIZE_KEEP_SIGPIPE).  SIGPIPE is blocked
	 * rather than ignored, because ignoring would also discard one that
	 * someone else sends meanwhile; only the one our own write raised is
	 * taken back, by ignoring it while it is pending (which discards a
	 * pending signal) and restoring the action. */
	if (sigemptyset(&pipe_set) == -1 || sigaddset(&pipe_set, SIGPIPE) == -1)
		return -1;
	if (sigprocmask(SIG_BLOCK, &pipe_set, &old_mask) == -1)
		return -1;
	was_pending = sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE) == 1;
	r = dz_write_full(fd, &rec, sizeof(rec));
	saved = errno;
	if (r == -1 && saved == EPIPE && !was_pending) {
		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		(void)sigemptyset(&ign.sa_mask);
		if (sigaction(SIGPIPE, &ign, &old_action) == 0)
			(void)sigaction(SIGPIPE, &old_action, NULL);
	}
	(void)sigprocmask(SIG_SETMASK, &old_mask, NULL);
	errno = saved;
	return r;
}

/* ---- the daemon's side ---------------------------------------------------- */

int
dz_handshake_ready(struct dz_handshake *h, struct dz_err *e)
{
	int r = 0;

	if (h->status_fd < 0)
		return 0;
	/* EPIPE: the original process stopped waiting (its timeout passed,
	 * or it was killed).  The daemon is ready all the same and runs on;
	 * that is not a failure of ready. */
	if (send_record(h->status_fd, DZ_REC_READY, 0, "", "") == -1 &&
	    errno != EPIPE)
		r = dz_fail(e, "ready", errno,
		    "cannot tell the original process");
	dz_handshake_close(h);
	return r;
}

int
dz_handshake_error(struct dz_handshake *h, int errnum, const char *msg)
{
	if (h->status_fd < 0)
		return 0;
	/* The write end stays open: the original process waits for the EOF
	 * of our exit, so that no process is left when it reports the
	 * failure.  The message already names its step. */
	return send_record(h->status_fd, DZ_REC_ERROR, errnum, "", msg);
}

void
dz_handshake_abort(struct dz_handshake *h, int errnum, const char *msg)
{
	if (h->status_fd >= 0)
		(void)send_record(h->status_fd, DZ_REC_ERROR, errnum, "", msg);
	/* _exit: no atexit handlers and no stdio flush of buffers that were
	 * copied from the caller's original process. */
	_exit(1);
}

int
dz_handshake_export(struct dz_handshake *h)
{
	if (h->status_fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (fcntl(h->status_fd, F_SETFD, 0) == -1)
		return -1;
	return h->status_fd;
}

int
dz_handshake_adopt(struct dz_handshake *h, int fd, struct dz_err *e)
{
	struct stat st;

	/* A pipe, or the variable that named it lied. */
	if (fstat(fd, &st) == -1 || !S_ISFIFO(st.st_mode))
		return dz_fail(e, "start", EBADF, "re-exec: inherited status "
		    "descriptor %d is not a pipe", fd);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return dz_fail(e, "start", errno, "re-exec: status descriptor");
	h->status_fd = fd;
	return 0;
}

int
dz_handshake_exec(struct dz_handshake *h, struct dz_err *e)
{
	if (h->status_fd < 0)
		return 0;
	if (send_record(h->status_fd, DZ_REC_EXEC, 0, "", "") == -1)
		return dz_fail(e, "exec", errno,
		    "cannot tell the original process");
	return 0;
}

void
dz_handshake_close(struct dz_handshake *h)
{
	dz_close_quietly(h->status_fd);
	h->status_fd = -1;
}

/* ---- the original process's side ------------------------------------------ */

/* Read one whole record; 1 with a record, 0 on EOF, -1 on error.  Records
 * are written atomically, so a short read only happens at EOF. */
static int
read_record(int fd, struct dz_record *rec)
{
	ssize_t n;

	if ((n = dz_read_full(fd, rec, sizeof(*rec))) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((size_t)n < sizeof(*rec)) {
		errno = EPROTO;
		return -1;
	}
	rec->step[sizeof(rec->step) - 1] = '\0';
	rec->msg[sizeof(rec->msg) - 1] = '\0';
	return 1;
}

/* After an ERROR record, give the daemon a bounded time to exit, so that
 * the caller reports a failure with no process left running. */
static void
drain_until_eof(int fd, int64_t deadline)
{
	struct dz_record rec;
	struct pollfd pfd;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (dz_poll_until(&pfd, 1, deadline) == 1)
		if (read_record(fd, &rec) != 1)
			break;
}

/* Reap the middle child (*middle, -1 once reaped).  It _exits at once;
 * until it has, the daemon is its child, not ours, and waitpid on the
 * daemon would fail with ECHILD.  Never a blocking waitpid: a middle child
 * stopped (SIGSTOP) or traced would hold us for ever.  WNOHANG polls until
 * the deadline, or with none until DZ_MIDDLE_WAIT_MS from now (the pipe
 * has said that it is done); in any case DZ_MIDDLE_GRACE_MS at least.
 * ECHILD (already reaped) ends the loop too. */
static void
reap_middle(pid_t *middle, int64_t deadline)
{
	int64_t limit, now;
	pid_t r;
	bool killed = false;
	long pause_us = 20;

	if (*middle <= 0)
		return;
	now = dz_now_ms();
	limit = deadline >= 0 ? deadline : now + DZ_MIDDLE_WAIT_MS;
	if (limit < now + DZ_MIDDLE_GRACE_MS)
		limit = now + DZ_MIDDLE_GRACE_MS;
	for (;;) {
		r = waitpid(*middle, NULL, WNOHANG);
		if (r == *middle || (r == -1 && errno == ECHILD)) {
			*middle = -1;
			return;
		}
		if (r == -1 && errno != EINTR)
			return;
		if (dz_now_ms() >= limit) {
			if (killed)
				return;
			/* The middle child does nothing but _exit once it
			 * has spoken: if it has not exited by now it is
			 * stopped or traced, and would stay a zombie of ours
			 * or hold the daemon's parenthood.  SIGKILL ends it
			 * even while stopped. */
			if (kill(*middle, SIGKILL) == -1)
				return;
			killed = true;
			limit = dz_now_ms() + DZ_KILL_WAIT_MS;
		}
		/* It is usually exiting as we look: short pauses first, so
		 * that the common case costs microseconds, growing to the
		 * poll interval for a stopped one. */
		dz_sleep_us(pause_us);
		if (pause_us < DZ_REAP_POLL_MS * 1000L)
			pause_us *= 2;
	}
}

/* What became of the daemon: 1 it exited and *status says how; 0 it is
 * gone but its status was not ours to collect (no subreaper here); -1 it
 * is still running after wait_ms.  The daemon is our child only while we
 * are a subreaper (Linux, FreeBSD) and the middle child has been reaped. */
static int
daemon_fate(pid_t pid, int *status, int wait_ms)
{
	int64_t deadline;
	pid_t r;

	if (pid <= 0)
		return 0;
	deadline = dz_now_ms() + wait_ms;
	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r == -1 && errno != EINTR &&
		    kill(pid, 0) == -1 && errno == ESRCH)
			return 0;
		if (dz_now_ms() >= deadline)
			return -1;
		dz_sleep_ms(DZ_REAP_POLL_MS);
	}
}

/* The daemon ended (or closed the pipe) before it was ready. */
static int
report_death(struct dz_handshake *h, int fate, int status, struct dz_err *e)
{
	pid_t pid = h->daemon_pid;

	if (fate == -1) {
		/* Alive but the pipe is closed: its pidfile and lock are a
		 * running daemon's, so the failed start must keep them. */
		h->left_running = true;
		return dz_fail(e, "start", EPIPE, "daemon (pid %ld) closed "
		    "the status pipe before it was ready and did not exit; "
		    "it was left running", (long)pid);
	}
	if (fate == 0 && pid <= 0)
		(void)dz_fail(e, "start", 0, "the daemon exited before it was "
		    "ready (before its pid was known)");
	else if (fate == 0)
		(void)dz_fail(e, "start", 0, "daemon (pid %ld) exited before "
		    "it was ready", (long)pid);
	else if (WIFSIGNALED(status))
		(void)dz_fail(e, "start", 0, "daemon (pid %ld) was killed by "
		    "signal %d (%s) before it was ready", (long)pid,
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		(void)dz_fail(e, "start", 0, "daemon (pid %ld) exited with "
		    "status %d before it was ready", (long)pid,
		    WEXITSTATUS(status));
	/* ESRCH: the process that should have become the daemon is gone. */
	errno = ESRCH;
	return -1;
}

/* An ERROR record: the daemon's failure (or the middle child's). */
static int
report_error(struct dz_handshake *h, int fd, pid_t *middle, int64_t deadline,
    const struct dz_record *rec, struct dz_err *e)
{
	int status = 0;

	/* The daemon's message already names its step; the middle child's
	 * names only the call that failed. */
	if (rec->step[0] == '\0')
		(void)dz_fail(e, "", 0, "%s", rec->msg);
	else
		(void)dz_fail(e, rec->step, rec->value, "%s", rec->msg);
	/* Wait (bounded) for it to exit, so that no process is left when
	 * the failure is reported. */
	drain_until_eof(fd, dz_now_ms() + DZ_EXIT_WAIT_MS);
	reap_middle(middle, deadline);
	if (daemon_fate(h->daemon_pid, &status, 500) == -1) {
		h->left_running = true;
		(void)dz_fail(e, "", 0, "%s (daemon pid %ld did not exit; it "
		    "was left running)", rec->msg, (long)h->daemon_pid);
	}
	errno = rec->value > 0 ? rec->value : EIO;
	return -1;
}

/* The original process's side of the handshake. */
static int
await_daemon(struct dz_handshake *h, int fd, pid_t *middle,
    unsigned int timeout_ms, int64_t deadline, struct dz_err *e)
{
	struct dz_record rec;
	struct pollfd pfd;
	int64_t until;
	int r, fate, status = 0;
	bool exec_pending = false;

	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		until = deadline;
		if (h->daemon_pid > 0 &&
		    (until < 0 || dz_now_ms() + DZ_TICK_MS < until))
			until = dz_now_ms() + DZ_TICK_MS;
		r = dz_poll_until(&pfd, 1, until);
		if (r == -1)
			return dz_fail(e, "start", errno, "status pipe");
		if (r == 0) {
			if (deadline >= 0 && dz_now_ms() >= deadline) {
				/* It may still become ready: leave it be. */
				h->left_running = true;
				if (h->daemon_pid > 0)
					return dz_fail(e, "start", ETIMEDOUT,
					    "daemon (pid %ld) not ready after "
					    "%u ms; it was left running",
					    (long)h->daemon_pid, timeout_ms);
				return dz_fail(e, "start", ETIMEDOUT, "daemon "
				    "not ready after %u ms", timeout_ms);
			}
			fate = daemon_fate(h->daemon_pid, &status, 0);
			if (fate >= 0)
				return report_death(h, fate, status, e);
			continue;
		}
		r = read_record(fd, &rec);
		if (r == -1)
			return dz_fail(e, "start", errno, "status pipe");
		if (r == 0) {
			reap_middle(middle, deadline);
			/* After an EXEC record the EOF is the exec closing the
			 * write end: ready, if the program is still there. */
			if (exec_pending && (fate = daemon_fate(h->daemon_pid,
			    &status, 0)) == -1)
				return DAEMONIZE_PARENT;
			if (!exec_pending)
				fate = daemon_fate(h->daemon_pid, &status,
				    DZ_EXIT_WAIT_MS);
			return report_death(h, fate, status, e);
		}
		switch (rec.kind) {
		case DZ_REC_PID:
			if (rec.value <= 0)
				return dz_fail(e, "start", EPROTO,
				    "bad daemon pid %ld", (long)rec.value);
			h->daemon_pid = (pid_t)rec.value;
			/* It sends this just before it _exits. */
			reap_middle(middle, deadline);
			break;
		case DZ_REC_READY:
			return DAEMONIZE_PARENT;
		case DZ_REC_EXEC:
			exec_pending = true;
			break;
		case DZ_REC_ERROR:
			return report_error(h, fd, middle, deadline, &rec, e);
		default:
			return dz_fail(e, "start", EPROTO,
			    "unknown status record %d", (int)rec.kind);
		}
	}
}

/* The middle child: setsid, the second fork, the daemon's pid into the
 * pipe, _exit.  Async-signal-safe calls only (the caller may have
 * threads), and _exit, not exit: no atexit handlers, no stdio flush of the
 * caller's buffers.  Returns only in the daemon. */
static void
middle_child(int fds[2])
{
	pid_t pid;

	(void)close(fds[0]);
	if (setsid() == -1) {
		(void)send_record(fds[1], DZ_REC_ERROR, errno, "setsid",
		    "setsid failed");
		_exit(1);
	}
	pid = fork();
	if (pid == -1) {
		(void)send_record(fds[1], DZ_REC_ERROR, errno, "fork",
		    "second fork failed");
		_exit(1);
	}
	if (pid > 0) {
		(void)send_record(fds[1], DZ_REC_PID, (int32_t)pid, "", "");
		_exit(0);
	}
}

int
dz_detach(struct dz_handshake *h, unsigned int timeout_ms,
    const sigset_t *caller_mask, struct dz_err *e)
{
	struct sigaction dfl, old_chld;
	sigset_t wait_mask;
	int64_t deadline = -1;
	int fds[2], r, reaper, saved;
	pid_t middle;

	if (dz_pipe_cloexec(fds, 0) == -1)
		return dz_fail(e, "fork", errno, "status pipe");
	/* Buffered output of the caller would otherwise be written twice,
	 * once by each process. */
	(void)fflush(NULL);
	/* While we wait, SIGCHLD must neither reap on its own (SIG_IGN,
	 * SA_NOCLDWAIT) nor run a handler of the caller that reaps with
	 * waitpid(-1): either would take the daemon's exit status.  It is
	 * set to SIG_DFL (now, because auto-reaping is decided when a child
	 * exits) and blocked; both are undone before we return. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	(void)sigemptyset(&dfl.sa_mask);
	if (sigaction(SIGCHLD, &dfl, &old_chld) == -1) {
		saved = errno;
		dz_close_quietly(fds[0]);
		dz_close_quietly(fds[1]);
		return dz_fail(e, "fork", saved, "SIGCHLD disposition");
	}
	/* As a subreaper we inherit the daemon when the middle child exits,
	 * so its exit status can be reported if it dies before ready. */
	reaper = dz_reaper_acquire();

	middle = fork();
	if (middle == -1) {
		saved = errno;
		dz_close_quietly(fds[0]);
		dz_close_quietly(fds[1]);
		if (reaper == 1)
			(void)dz_reaper_release();
		(void)sigaction(SIGCHLD, &old_chld, NULL);
		return dz_fail(e, "fork", saved, "first fork");
	}
	if (middle == 0) {
		middle_child(fds);
		/* The daemon. */
		h->status_fd = fds[1];
		return 0;
	}

	/* The deadline starts before the wait, so that it bounds all of
	 * it, the reaping of the middle child included. */
	if (timeout_ms > 0)
		deadline = dz_now_ms() + timeout_ms;
	/* The caller's handled signals were blocked only so that the daemon
	 * starts with them blocked; here Ctrl-C must work while we wait. */
	wait_mask = *caller_mask;
	(void)sigaddset(&wait_mask, SIGCHLD);
	(void)sigprocmask(SIG_SETMASK, &wait_mask, NULL);
	dz_close_quietly(fds[1]);
	h->daemon_pid = 0;
	h->left_running = false;
	r = await_daemon(h, fds[0], &middle, timeout_ms, deadline, e);
	saved = errno;
	dz_close_quietly(fds[0]);
	/* No zombie is left (nothing to do if await_daemon reaped it). */
	reap_middle(&middle, deadline);
	if (reaper == 1)
		(void)dz_reaper_release();
	(void)sigaction(SIGCHLD, &old_chld, NULL);
	errno = saved;
	return r;
}

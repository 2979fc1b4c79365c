/*
 * fork.c - the double fork and the status pipe.
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
 */
#include "internal.h"

#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long the original process waits, after the daemon reported an error
 * or closed the pipe, for the daemon to exit, so that it can report the
 * exit status and leave no process behind.  Bounded: a daemon that calls
 * daemonize_fail and carries on must not hang the command that started it. */
#define DZ_EXIT_WAIT_MS 5000

/* Records are written with one write(2) each, and a write of at most
 * PIPE_BUF bytes to a pipe is atomic; POSIX guarantees PIPE_BUF >= 512. */
typedef char dz_record_fits_pipe_buf[sizeof(struct dz_record) <= 512 ? 1 : -1];

/* Copy src into dst; if it is too long, cut the middle rather than the
 * end, because the end holds the reason (": Permission denied").  No
 * library calls: the middle child uses this. */
static void
copy_keep_tail(char *dst, size_t size, const char *src)
{
	const size_t tail = 96;
	size_t len = 0, i, head;

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

int
dz_status_send(int fd, int32_t kind, int32_t value, const char *step,
    const char *msg)
{
	struct dz_record rec;
	const char *p = (const char *)&rec;
	struct sigaction ign, old_action;
	sigset_t pipe_set, old_mask, pending;
	bool was_pending;
	size_t off = 0;
	ssize_t n;
	int r = 0, saved;

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
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &pipe_set, &old_mask) == -1)
		return -1;
	was_pending = sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE) == 1;
	while (off < sizeof(rec)) {
		n = write(fd, p + off, sizeof(rec) - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = -1;
			break;
		}
		off += (size_t)n;
	}
	saved = errno;
	if (r == -1 && saved == EPIPE && !was_pending) {
		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		sigemptyset(&ign.sa_mask);
		if (sigaction(SIGPIPE, &ign, &old_action) == 0)
			(void)sigaction(SIGPIPE, &old_action, NULL);
	}
	(void)sigprocmask(SIG_SETMASK, &old_mask, NULL);
	errno = saved;
	return r;
}

void
dz_status_fail(struct daemonize *d)
{
	int err = errno;

	if (d->status_fd >= 0)
		(void)dz_status_send(d->status_fd, DZ_REC_ERROR, err, "",
		    d->error);
	/* _exit: no atexit handlers and no stdio flush of buffers that were
	 * copied from the caller's original process. */
	_exit(1);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read one whole record; 1 with a record, 0 on EOF, -1 on error.  Records
 * are written atomically, so a short read only happens at EOF. */
static int
read_record(int fd, struct dz_record *rec)
{
	char *p = (char *)rec;
	size_t off = 0;
	ssize_t n;

	while (off < sizeof(*rec)) {
		n = read(fd, p + off, sizeof(*rec) - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			return off == 0 ? 0 : (errno = EPROTO, -1);
		off += (size_t)n;
	}
	rec->step[sizeof(rec->step) - 1] = '\0';
	rec->msg[sizeof(rec->msg) - 1] = '\0';
	return 1;
}

/* Wait until fd is readable or the deadline (-1: none) passes: 1 readable,
 * 0 timed out, -1 error. */
static int
wait_readable(int fd, int64_t deadline)
{
	struct pollfd pfd;
	int r, left;

	for (;;) {
		left = -1;
		if (deadline >= 0) {
			int64_t rem = deadline - now_ms();

			left = rem < 0 ? 0 : rem > 86400000 ? 86400000 : (int)rem;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, left);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		return r > 0 ? 1 : 0;
	}
}

/* After an ERROR record, give the daemon a bounded time to exit, so that
 * the caller reports a failure with no process left running. */
static void
drain_until_eof(int fd, int64_t deadline)
{
	struct dz_record rec;

	while (wait_readable(fd, deadline) == 1)
		if (read_record(fd, &rec) != 1)
			break;
}

/* What became of the daemon: 1 it exited and *status says how; 0 it is
 * gone but its status was not ours to collect (no subreaper here); -1 it
 * is still running after wait_ms.  The daemon is our child only while we
 * are a subreaper (Linux, FreeBSD) and the middle child has been reaped. */
static int
daemon_fate(pid_t pid, int *status, int wait_ms)
{
	int64_t deadline = now_ms() + wait_ms;
	struct timespec tick = { 0, 2L * 1000 * 1000 };
	pid_t r;

	if (pid <= 0)
		return 0;
	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r == -1 && errno != EINTR &&
		    kill(pid, 0) == -1 && errno == ESRCH)
			return 0;
		if (now_ms() >= deadline)
			return -1;
		(void)nanosleep(&tick, NULL);
	}
}

/* Reap the middle child.  It _exits at once; until it has, the daemon is
 * its child, not ours, and waitpid on the daemon would fail with ECHILD.
 * ECHILD here (already reaped) ends the loop too. */
static void
reap_middle(pid_t middle)
{
	while (waitpid(middle, NULL, 0) == -1 && errno == EINTR)
		;
}

/* The daemon ended (or closed the pipe) before it was ready. */
static int
report_death(struct daemonize *d, pid_t pid, int fate, int status)
{
	if (fate == -1) {
		/* Alive but the pipe is closed: its pidfile and lock are a
		 * running daemon's, so start_failed must keep them. */
		d->daemon_left_running = true;
		return dz_error(d, "start", EPIPE, "daemon (pid %ld) closed "
		    "the status pipe before it was ready and did not exit; "
		    "it was left running", (long)pid);
	}
	if (fate == 0 && pid <= 0)
		dz_error(d, "start", 0, "the daemon exited before it was ready "
		    "(before its pid was known)");
	else if (fate == 0)
		dz_error(d, "start", 0, "daemon (pid %ld) exited before it was "
		    "ready", (long)pid);
	else if (WIFSIGNALED(status))
		dz_error(d, "start", 0, "daemon (pid %ld) was killed by signal "
		    "%d (%s) before it was ready", (long)pid, WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		dz_error(d, "start", 0, "daemon (pid %ld) exited with status "
		    "%d before it was ready", (long)pid, WEXITSTATUS(status));
	/* ESRCH: the process that should have become the daemon is gone. */
	errno = ESRCH;
	return -1;
}

/* How often the original process looks at the daemon itself while it
 * waits: a process the daemon forked before ready holds a copy of the
 * write end, so the daemon's death may bring no EOF. */
#define DZ_TICK_MS 100

/* The original process's side of the handshake. */
static int
await_daemon(struct daemonize *d, int fd, pid_t middle)
{
	struct dz_record rec;
	pid_t pid = 0;
	int64_t deadline = -1, until;
	int r, fate, status = 0;

	if (d->timeout_ms > 0)
		deadline = now_ms() + d->timeout_ms;
	for (;;) {
		until = deadline;
		if (pid > 0 && (until < 0 || now_ms() + DZ_TICK_MS < until))
			until = now_ms() + DZ_TICK_MS;
		r = wait_readable(fd, until);
		if (r == -1)
			return dz_error(d, "start", errno, "status pipe");
		if (r == 0) {
			if (deadline >= 0 && now_ms() >= deadline) {
				/* It may still become ready: leave it be. */
				d->daemon_left_running = true;
				if (pid > 0)
					return dz_error(d, "start", ETIMEDOUT,
					    "daemon (pid %ld) not ready after "
					    "%u ms; it was left running",
					    (long)pid, d->timeout_ms);
				return dz_error(d, "start", ETIMEDOUT, "daemon "
				    "not ready after %u ms", d->timeout_ms);
			}
			if ((fate = daemon_fate(pid, &status, 0)) >= 0)
				return report_death(d, pid, fate, status);
			continue;
		}
		r = read_record(fd, &rec);
		if (r == -1)
			return dz_error(d, "start", errno, "status pipe");
		if (r == 0) {
			reap_middle(middle);
			fate = daemon_fate(pid, &status, DZ_EXIT_WAIT_MS);
			return report_death(d, pid, fate, status);
		}
		switch (rec.kind) {
		case DZ_REC_PID:
			pid = rec.value;
			/* It sends this just before it _exits. */
			reap_middle(middle);
			break;
		case DZ_REC_READY:
			return DAEMONIZE_PARENT;
		case DZ_REC_ERROR:
			/* The daemon's message already names its step; the
			 * middle child's names only the call that failed. */
			if (rec.step[0] == '\0')
				dz_error(d, "", 0, "%s", rec.msg);
			else
				dz_error(d, rec.step, rec.value, "%s",
				    rec.msg);
			/* Wait (bounded) for it to exit, so that no process
			 * is left when the failure is reported. */
			drain_until_eof(fd, now_ms() + DZ_EXIT_WAIT_MS);
			reap_middle(middle);
			if (daemon_fate(pid, &status, 500) == -1) {
				d->daemon_left_running = true;
				(void)dz_error(d, "", 0, "%s (daemon pid %ld did "
				    "not exit; it was left running)",
				    rec.msg, (long)pid);
			}
			errno = rec.value > 0 ? rec.value : EIO;
			return -1;
		default:
			return dz_error(d, "start", EPROTO,
			    "unknown status record %d", (int)rec.kind);
		}
	}
}

int
dz_fork_detach(struct daemonize *d, const sigset_t *caller_mask)
{
	struct sigaction dfl, old_chld;
	sigset_t wait_mask;
	int fds[2], r, reaper, saved;
	pid_t middle, pid;

	if (dz_pipe_cloexec(fds, 0) == -1)
		return dz_error(d, "fork", errno, "status pipe");
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
	sigemptyset(&dfl.sa_mask);
	if (sigaction(SIGCHLD, &dfl, &old_chld) == -1) {
		saved = errno;
		dz_close_quietly(fds[0]);
		dz_close_quietly(fds[1]);
		return dz_error(d, "fork", saved, "SIGCHLD disposition");
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
		return dz_error(d, "fork", saved, "first fork");
	}
	if (middle == 0) {
		/* Middle child: async-signal-safe calls and _exit only. */
		(void)close(fds[0]);
		if (setsid() == -1) {
			(void)dz_status_send(fds[1], DZ_REC_ERROR, errno,
			    "setsid", "setsid failed");
			_exit(1);
		}
		pid = fork();
		if (pid == -1) {
			(void)dz_status_send(fds[1], DZ_REC_ERROR, errno,
			    "fork", "second fork failed");
			_exit(1);
		}
		if (pid > 0) {
			(void)dz_status_send(fds[1], DZ_REC_PID, (int32_t)pid,
			    "", "");
			_exit(0);
		}
		/* The daemon. */
		d->status_fd = fds[1];
		return 0;
	}

	/* The caller's handled signals were blocked only so that the daemon
	 * starts with them blocked; here Ctrl-C must work while we wait. */
	wait_mask = *caller_mask;
	sigaddset(&wait_mask, SIGCHLD);
	(void)sigprocmask(SIG_SETMASK, &wait_mask, NULL);
	dz_close_quietly(fds[1]);
	d->daemon_left_running = false;
	r = await_daemon(d, fds[0], middle);
	saved = errno;
	dz_close_quietly(fds[0]);
	/* No zombie is left (ECHILD if await_daemon reaped it already). */
	reap_middle(middle);
	if (reaper == 1)
		(void)dz_reaper_release();
	(void)sigaction(SIGCHLD, &old_chld, NULL);
	errno = saved;
	return r;
}

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
#include <fcntl.h>
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

int
dz_status_send(int fd, int32_t kind, int32_t value, const char *step,
    const char *msg)
{
	struct dz_record rec;
	const char *p = (const char *)&rec;
	size_t off = 0;
	ssize_t n;

	struct sigaction ign, old;
	int r = 0;

	/* Only async-signal-safe calls: the middle child uses this. */
	memset(&rec, 0, sizeof(rec));
	rec.kind = kind;
	rec.value = value;
	dz_strlcpy_safe(rec.step, step, sizeof(rec.step));
	dz_strlcpy_safe(rec.msg, msg, sizeof(rec.msg));
	/* The reader may be gone (it timed out, or was killed): that must
	 * be EPIPE here, not a SIGPIPE that kills a daemon which kept the
	 * default disposition (DAEMONIZE_KEEP_SIGPIPE).  An ignored signal is
	 * discarded when generated, so nothing stays pending. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGPIPE, &ign, &old) == -1)
		return -1;
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
	{
		int saved = errno;

		(void)sigaction(SIGPIPE, &old, NULL);
		errno = saved;
	}
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

static int
make_status_pipe(int fds[2])
{
#ifdef HAVE_PIPE2
	return pipe2(fds, O_CLOEXEC);
#else
	if (pipe(fds) == -1)
		return -1;
	if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fds[1], F_SETFD, FD_CLOEXEC) == -1) {
		dz_close_quietly(fds[0]);
		dz_close_quietly(fds[1]);
		return -1;
	}
	return 0;
#endif
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

/* The daemon is our child only while we are a subreaper (Linux, FreeBSD);
 * elsewhere waitpid fails with ECHILD and the report has no status. */
static int
reap_daemon(pid_t pid, int *status, int wait_ms)
{
	int64_t deadline = now_ms() + wait_ms;
	struct timespec tick = { 0, 2 * 1000 * 1000 };
	pid_t r;

	if (pid <= 0)
		return -1;
	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
		if (now_ms() >= deadline)
			return -1;
		(void)nanosleep(&tick, NULL);
	}
}

/* Reap the middle child.  It _exits at once; until it has, the daemon is
 * its child, not ours, and waitpid on the daemon would fail with ECHILD. */
static void
reap_middle(pid_t middle)
{
	while (waitpid(middle, NULL, 0) == -1 && errno == EINTR)
		;
}

static int
report_death(struct daemonize *d, pid_t middle, pid_t pid)
{
	int status;

	reap_middle(middle);
	if (reap_daemon(pid, &status, DZ_EXIT_WAIT_MS) == -1) {
		dz_error(d, "start", 0, "daemon (pid %ld) closed the status "
		    "pipe before it was ready", (long)pid);
	} else if (WIFSIGNALED(status)) {
		dz_error(d, "start", 0, "daemon (pid %ld) was killed by signal "
		    "%d (%s) before it was ready", (long)pid, WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	} else {
		dz_error(d, "start", 0, "daemon (pid %ld) exited with status "
		    "%d before it was ready", (long)pid, WEXITSTATUS(status));
	}
	/* ESRCH: the process that should have become the daemon is gone. */
	errno = ESRCH;
	return -1;
}

/* The original process's side of the handshake. */
static int
await_daemon(struct daemonize *d, int fd, pid_t middle)
{
	struct dz_record rec;
	pid_t pid = 0;
	int64_t deadline = -1;
	int r;

	if (d->timeout_ms > 0)
		deadline = now_ms() + d->timeout_ms;
	for (;;) {
		r = wait_readable(fd, deadline);
		if (r == -1)
			return dz_error(d, "start", errno, "status pipe");
		if (r == 0) {
			if (pid > 0)
				return dz_error(d, "start", ETIMEDOUT, "daemon "
				    "(pid %ld) not ready after %u ms; it was "
				    "left running", (long)pid, d->timeout_ms);
			return dz_error(d, "start", ETIMEDOUT, "daemon not "
			    "ready after %u ms", d->timeout_ms);
		}
		r = read_record(fd, &rec);
		if (r == -1)
			return dz_error(d, "start", errno, "status pipe");
		if (r == 0)
			return report_death(d, middle, pid);
		switch (rec.kind) {
		case DZ_REC_PID:
			pid = rec.value;
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
			drain_until_eof(fd, now_ms() + DZ_EXIT_WAIT_MS);
			reap_middle(middle);
			if (pid > 0) {
				int status;

				(void)reap_daemon(pid, &status, 500);
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
dz_fork_detach(struct daemonize *d)
{
	int fds[2], r, reaper, saved;
	pid_t middle, pid;

	if (make_status_pipe(fds) == -1)
		return dz_error(d, "fork", errno, "status pipe");
	/* Buffered output of the caller would otherwise be written twice,
	 * once by each process. */
	(void)fflush(NULL);
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

	dz_close_quietly(fds[1]);
	r = await_daemon(d, fds[0], middle);
	saved = errno;
	dz_close_quietly(fds[0]);
	/* No zombie is left (ECHILD if await_daemon reaped it already). */
	reap_middle(middle);
	if (reaper == 1)
		(void)dz_reaper_release();
	errno = saved;
	return r;
}

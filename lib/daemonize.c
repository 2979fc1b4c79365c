/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * daemonize.c - the context, every public function, and the order of the
 * startup steps.
 *
 * This is the only file that knows struct daemonize and the only one that
 * includes the step headers: each step (supervisor, stdfds, pidfile,
 * detach, fds, signals, privileges, confine, notify) owns its state and
 * knows nothing of the others, and util.c is the leaf under all of them.
 * Read daemonize_lock() and daemonize_start() for the order and why.
 *
 * The life of a context is an explicit state, changed only here:
 *
 *   CONFIGURING --lock--> LOCKED --start--> STARTED --ready--> READY
 *        |                   |                 |                 |
 *        |                   +--start (original process)--> PARENT
 *        |                                     +--fail--> FAILED |
 *        +-------------------------- stop -------------------> STOPPED
 *
 * A failed lock or start releases what it took and returns to CONFIGURING.
 */
#include "util.h"
#include "compat.h"
#include "trust.h"
#include "supervisor.h"
#include "stdfds.h"
#include "pidfile.h"
#include "notify.h"
#include "privileges.h"
#include "confine.h"
#include "signals.h"
#include "fds.h"
#include "detach.h"

#include "daemonize.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum dz_state {
	DZ_CONFIGURING,		/* setters allowed; nothing acquired */
	DZ_LOCKED,		/* mode chosen, ids resolved, fds 0-2 valid,
				   supervisor handles taken, pidfile locked */
	DZ_PARENT,		/* original process: the daemon is ready */
	DZ_STARTED,		/* start returned 0 here: initialising */
	DZ_READY,		/* ready sent */
	DZ_FAILED,		/* fail reported: the process should exit */
	DZ_STOPPED,		/* stop done */
};

/* Longest message for daemonize_notify(); systemd reads datagrams of any
 * size, but a status line of more than this is a bug somewhere. */
#define DZ_NOTIFY_MAX 4096

struct daemonize {
	char *name;
	enum dz_state state;
	pid_t owner;		/* the process start returned 0 in */

	/* configuration */
	int requested_mode;	/* DAEMONIZE_MODE_* */
	unsigned int flags;
	mode_t umask;
	bool umask_set;		/* applied in foreground mode too */
	unsigned int timeout_ms; /* 0: wait for ever */
	int ready_fd;		/* s6/OpenRC readiness fd; -1: none */
	struct dz_fdlist keep;
	struct dz_identity id;
	struct dz_confine confine;
	struct dz_pidfile pidfile;
	struct dz_output output;
	struct dz_signals signals;
	char **reexec_argv;	/* re-exec after the double fork; NULL: no */

	/* decided and acquired by lock and start */
	int mode;		/* DAEMONIZE_MODE_BACKGROUND or _FOREGROUND */
	struct dz_detection detection;
	struct dz_owners owners;
	struct dz_notify notify;
	struct dz_listen listen;
	struct dz_handshake handshake;
	bool stopping_sent;
	bool reexeced;		/* this image is the daemon after a re-exec */

	struct dz_err err;
};

/* ---- state checks ---------------------------------------------------------- */

static int
no_context(void)
{
	errno = EINVAL;
	return -1;
}

/* Setters: only while configuring, so that what lock checked stays true. */
static int
configuring(struct daemonize *d, const char *step)
{
	if (d == NULL)
		return no_context();
	if (d->state != DZ_CONFIGURING)
		return dz_fail(&d->err, step, EBUSY, "configuration cannot "
		    "change after daemonize_lock or daemonize_start");
	return 0;
}

/* The lists (kept fds, signals) may still grow between lock and start:
 * the caller binds its sockets after the lock. */
static int
before_start(struct daemonize *d, const char *step)
{
	if (d == NULL)
		return no_context();
	if (d->state != DZ_CONFIGURING && d->state != DZ_LOCKED)
		return dz_fail(&d->err, step, EBUSY, "too late: "
		    "daemonize_start was called");
	return 0;
}

/* Readiness, failure, stop and supervisor messages speak for the service:
 * only the process start returned 0 in may send them, not a worker it
 * forked (which inherited a copy of the context). */
static int
as_daemon(struct daemonize *d, const char *step)
{
	if (d == NULL)
		return no_context();
	if (d->state != DZ_STARTED && d->state != DZ_READY &&
	    d->state != DZ_FAILED)
		return dz_fail(&d->err, step, EINVAL,
		    "daemonize_start has not returned 0 in this process");
	if (getpid() != d->owner)
		return dz_fail(&d->err, step, EPERM, "not the process "
		    "daemonize_start returned in (pid %ld); a forked child "
		    "cannot speak for the daemon", (long)d->owner);
	return 0;
}

/* ---- the context ------------------------------------------------------------ */

DZ_PUBLIC struct daemonize *
daemonize_new(const char *name)
{
	struct daemonize *d;

	/* The name is launchd's Sockets key and may name files: no '/'. */
	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if ((d->name = strdup(name)) == NULL) {
		free(d);
		return NULL;
	}
	d->state = DZ_CONFIGURING;
	d->requested_mode = DAEMONIZE_MODE_AUTO;
	d->umask = 022;
	d->ready_fd = -1;
	dz_pidfile_init(&d->pidfile);
	dz_output_init(&d->output);
	dz_signals_init(&d->signals);
	dz_notify_init(&d->notify);
	dz_handshake_init(&d->handshake);
	return d;
}

static void
free_argv(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/*
 * Frees the context and closes its descriptors; it never signals a
 * supervisor and never removes a pidfile a daemon wrote (daemonize_stop
 * does).  The one file it removes is a pidfile that daemonize_lock
 * created in this process and that never received a pid: nothing ran.
 */
DZ_PUBLIC void
daemonize_free(struct daemonize *d)
{
	int saved = errno;

	if (d == NULL)
		return;
	dz_signals_uninstall(d);
	dz_pidfile_release(&d->pidfile, d->pidfile.created &&
	    d->pidfile.written_by == 0);
	dz_pidfile_clear(&d->pidfile);
	dz_notify_close(&d->notify);
	dz_handshake_close(&d->handshake);
	dz_output_clear(&d->output);
	dz_listen_clear(&d->listen);
	dz_fdlist_clear(&d->keep);
	dz_identity_clear(&d->id);
	dz_confine_clear(&d->confine);
	free_argv(d->reexec_argv);
	free(d->name);
	free(d);
	errno = saved;
}

DZ_PUBLIC const char *
daemonize_error(const struct daemonize *d)
{
	if (d == NULL)
		return "invalid argument: no daemonize context";
	return d->err.text[0] != '\0' ? d->err.text : "no error";
}

/* ---- configuration ------------------------------------------------------------ */

DZ_PUBLIC int
daemonize_set_mode(struct daemonize *d, int mode)
{
	if (configuring(d, "mode") == -1)
		return -1;
	if (mode != DAEMONIZE_MODE_AUTO && mode != DAEMONIZE_MODE_BACKGROUND &&
	    mode != DAEMONIZE_MODE_FOREGROUND)
		return dz_fail(&d->err, "mode", EINVAL, "mode %d: expected "
		    "DAEMONIZE_MODE_AUTO, _BACKGROUND or _FOREGROUND", mode);
	d->requested_mode = mode;
	return 0;
}

DZ_PUBLIC int
daemonize_set_flags(struct daemonize *d, unsigned int flags)
{
	const unsigned int known = DAEMONIZE_KEEP_SIGPIPE;

	if (configuring(d, "flags") == -1)
		return -1;
	if ((flags & ~known) != 0)
		return dz_fail(&d->err, "flags", EINVAL,
		    "unknown flag bits %#x", flags & ~known);
	d->flags = flags;
	d->signals.keep_sigpipe = (flags & DAEMONIZE_KEEP_SIGPIPE) != 0;
	return 0;
}

/* The setters of paths: stored absolute, because the daemon uses them
 * again after chdir (removing the pidfile, reopening the log). */
static int
set_path(struct daemonize *d, const char *step, char **slot,
    const char *path)
{
	if (configuring(d, step) == -1)
		return -1;
	return dz_replace_path(&d->err, step, slot, path);
}

DZ_PUBLIC int
daemonize_set_pidfile(struct daemonize *d, const char *path)
{
	return set_path(d, "pidfile", d != NULL ? &d->pidfile.path : NULL,
	    path);
}

DZ_PUBLIC int
daemonize_set_runtime_dir(struct daemonize *d, const char *path)
{
	return set_path(d, "runtime_dir",
	    d != NULL ? &d->pidfile.runtime_dir : NULL, path);
}

DZ_PUBLIC int
daemonize_set_reexec(struct daemonize *d, char *const argv[])
{
	char **copy;
	size_t n, i;

	if (configuring(d, "reexec") == -1)
		return -1;
	if (argv == NULL) {
		free_argv(d->reexec_argv);
		d->reexec_argv = NULL;
		return 0;
	}
	if (argv[0] == NULL)
		return dz_fail(&d->err, "reexec", EINVAL,
		    "empty argument vector");
	for (n = 0; argv[n] != NULL; n++)
		continue;
	if ((copy = calloc(n + 1, sizeof(*copy))) == NULL)
		return dz_fail(&d->err, "reexec", errno, "argument vector");
	for (i = 0; i < n; i++) {
		if ((copy[i] = strdup(argv[i])) == NULL) {
			free_argv(copy);
			return dz_fail(&d->err, "reexec", ENOMEM,
			    "argument vector");
		}
	}
	free_argv(d->reexec_argv);
	d->reexec_argv = copy;
	return 0;
}

DZ_PUBLIC int
daemonize_set_output(struct daemonize *d, const char *path)
{
	return set_path(d, "output", d != NULL ? &d->output.path : NULL, path);
}

DZ_PUBLIC int
daemonize_set_user(struct daemonize *d, const char *user, const char *group)
{
	if (configuring(d, "privileges") == -1)
		return -1;
	return dz_identity_set(&d->id, user, group, &d->err);
}

DZ_PUBLIC int
daemonize_set_chroot(struct daemonize *d, const char *path)
{
	return set_path(d, "chroot", d != NULL ? &d->confine.root : NULL,
	    path);
}

DZ_PUBLIC int
daemonize_set_jail(struct daemonize *d, const char *jail)
{
	if (configuring(d, "jail") == -1)
		return -1;
	return dz_confine_set_jail(&d->confine, jail, &d->err);
}

DZ_PUBLIC int
daemonize_set_workdir(struct daemonize *d, const char *path)
{
	if (configuring(d, "workdir") == -1)
		return -1;
	return dz_confine_set_workdir(&d->confine, path, &d->err);
}

DZ_PUBLIC int
daemonize_set_umask(struct daemonize *d, mode_t mask)
{
	if (configuring(d, "umask") == -1)
		return -1;
	if ((mask & ~(mode_t)0777) != 0)
		return dz_fail(&d->err, "umask", EINVAL,
		    "%#o is not a file mode mask", (unsigned int)mask);
	d->umask = mask;
	d->umask_set = true;
	return 0;
}

DZ_PUBLIC int
daemonize_set_timeout(struct daemonize *d, unsigned int milliseconds)
{
	if (configuring(d, "timeout") == -1)
		return -1;
	d->timeout_ms = milliseconds;
	return 0;
}

DZ_PUBLIC int
daemonize_set_notify_fd(struct daemonize *d, int fd)
{
	if (configuring(d, "notify") == -1)
		return -1;
	if (fd == -1) {
		d->ready_fd = -1;
		return 0;
	}
	/* A kept descriptor is the caller's socket or file: writing a
	 * newline into it and closing it would break the server. */
	if (dz_fdlist_has(&d->keep, fd))
		return dz_fail(&d->err, "notify", EINVAL, "notification fd %d "
		    "is also kept with daemonize_keep_fd", fd);
	if (dz_readyfd_check(fd, &d->err) == -1)
		return -1;
	d->ready_fd = fd;
	return 0;
}

DZ_PUBLIC int
daemonize_keep_fd(struct daemonize *d, int fd)
{
	if (before_start(d, "keep_fd") == -1)
		return -1;
	/* 0-2 are pointed at /dev/null or the log in the daemon; a socket
	 * there was opened while they were closed, and would be replaced
	 * without a word.  daemonize_lock first makes them valid. */
	if (fd >= 0 && fd <= 2)
		return dz_fail(&d->err, "keep_fd", EINVAL, "fd %d is standard "
		    "%s: the daemon points it at /dev/null or the log; call "
		    "daemonize_lock before opening descriptors so that none "
		    "lands on 0, 1 or 2", fd,
		    fd == 0 ? "input" : fd == 1 ? "output" : "error");
	if (fd < 0 || fcntl(fd, F_GETFD) == -1)
		return dz_fail(&d->err, "keep_fd", EBADF, "fd %d is not open",
		    fd);
	if (fd == d->ready_fd)
		return dz_fail(&d->err, "keep_fd", EINVAL, "fd %d is the "
		    "notification fd (daemonize_set_notify_fd)", fd);
	if (dz_fdlist_add(&d->keep, fd) == -1)
		return dz_fail(&d->err, "keep_fd", errno, "fd %d", fd);
	return 0;
}

DZ_PUBLIC int
daemonize_add_signal(struct daemonize *d, int signo)
{
	if (before_start(d, "signals") == -1)
		return -1;
	return dz_signals_add(&d->signals, signo, &d->err);
}

/* ---- re-exec after detach --------------------------------------------------------
 *
 * Some programs cannot live through fork() without exec(): on macOS every
 * framework above the System framework (Apple's TN2083, "Daemonizing
 * Frameworks"); anywhere, a program that wants a fresh address space for
 * ASLR.  With daemonize_set_reexec(d, argv) the daemon, right after the
 * double fork and before chroot and the privilege drop (after them the
 * binary and its libraries may be out of reach), executes its own binary
 * again (the path from the system, not argv[0]).  The pidfile lock, the
 * status pipe, the readiness fd, the notify socket and socket-activated
 * fds cross the exec; the caller's kept descriptors do not (they are
 * closed, so that the new image can bind its ports again).  The new image
 * runs main() from the top; its daemonize_lock adopts what was carried,
 * its daemonize_start continues as the daemon and returns 0.
 */
#define DZ_REEXEC_ENV "DAEMONIZE_REEXEC"

/* Clear close-on-exec on fd, so that it crosses the exec. */
static int
inherit_fd(struct daemonize *d, int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) == -1)
		return dz_fail(&d->err, "exec", errno, "fd %d", fd);
	return 0;
}

static int
export_env(struct daemonize *d, const char *name, const char *value)
{
	if (setenv(name, value, 1) == -1)
		return dz_fail(&d->err, "exec", errno, "setenv %s", name);
	return 0;
}

static int
export_number(struct daemonize *d, const char *name, unsigned long long v)
{
	char buf[24];

	(void)dz_utoa(buf, v);
	return export_env(d, name, buf);
}

/* Before an exec (daemonize_exec, the re-exec): the supervisor's handles
 * back into the environment, as the supervisor passed them, for the
 * program (or the new image) to take: NOTIFY_SOCKET and the watchdog,
 * LISTEN_* naming our pid (exec keeps it) with the fds inheritable. */
static int
export_handles(struct daemonize *d)
{
	char names[4096] = "";
	size_t i;

	if (d->notify.fd >= 0 && d->notify.name != NULL) {
		if (export_env(d, "NOTIFY_SOCKET", d->notify.name) == -1)
			return -1;
		if (d->notify.watchdog_usec > 0 &&
		    (export_number(d, "WATCHDOG_USEC",
		    d->notify.watchdog_usec) == -1 ||
		    export_number(d, "WATCHDOG_PID",
		    (unsigned long long)getpid()) == -1))
			return -1;
	}
	if (d->listen.n <= 0)
		return 0;
	for (i = 0; i < (size_t)d->listen.n; i++) {
		if (inherit_fd(d, d->listen.fds[i]) == -1)
			return -1;
		if (i > 0)
			(void)strncat(names, ":", sizeof(names) -
			    strlen(names) - 1);
		(void)strncat(names, d->listen.names[i],
		    sizeof(names) - strlen(names) - 1);
	}
	if (export_number(d, "LISTEN_PID", (unsigned long long)getpid()) == -1 ||
	    export_number(d, "LISTEN_FDS", (unsigned long long)d->listen.n) == -1)
		return -1;
	return export_env(d, "LISTEN_FDNAMES", names);
}

/* In the daemon, right after the double fork: does not return. */
static void
reexec(struct daemonize *d)
{
	char path[4096], state[96], *p;
	size_t i, len;
	int statusfd, pidfd;

	if (dz_executable_path(path, sizeof(path)) == -1) {
		(void)dz_fail(&d->err, "reexec", errno,
		    "cannot find the path of the running program");
		dz_handshake_abort(&d->handshake, errno, d->err.text);
	}
	statusfd = dz_handshake_export(&d->handshake);
	pidfd = dz_pidfile_export(&d->pidfile);
	if (statusfd == -1 || (d->pidfile.fd >= 0 && pidfd == -1)) {
		(void)dz_fail(&d->err, "reexec", errno,
		    "cannot pass the status pipe and the pidfile");
		dz_handshake_abort(&d->handshake, errno, d->err.text);
	}
	if (d->ready_fd >= 0 && inherit_fd(d, d->ready_fd) == -1)
		dz_handshake_abort(&d->handshake, errno, d->err.text);
	/* "PID:STATUS:PIDFILE:READY", -1 for none: valid only in a process
	 * with that pid, as LISTEN_PID is, so a copy leaked into another
	 * program's environment means nothing there. */
	p = state;
	len = dz_utoa(p, (unsigned long long)getpid());
	p[len++] = ':';
	p += len;
	len = dz_utoa(p, (unsigned long long)statusfd);
	p[len++] = ':';
	p += len;
	if (pidfd >= 0)
		len = dz_utoa(p, (unsigned long long)pidfd);
	else
		len = (size_t)snprintf(p, 4, "-1");
	p[len++] = ':';
	p += len;
	if (d->ready_fd >= 0)
		(void)dz_utoa(p, (unsigned long long)d->ready_fd);
	else
		(void)snprintf(p, 4, "-1");
	if (export_env(d, DZ_REEXEC_ENV, state) == -1)
		dz_handshake_abort(&d->handshake, errno, d->err.text);
	/* The supervisor's handles, as the supervisor passed them. */
	if (export_handles(d) == -1)
		dz_handshake_abort(&d->handshake, errno, d->err.text);
	/* The new image binds again: the old image's sockets must be gone. */
	for (i = 0; i < d->keep.n; i++)
		dz_close_quietly(d->keep.fd[i]);
	/* The handled signals stay blocked across exec, and pending ones
	 * stay pending, until the new image installs its handlers. */
	execv(path, d->reexec_argv);
	(void)dz_fail(&d->err, "reexec", errno, "%s", path);
	dz_handshake_abort(&d->handshake, errno, d->err.text);
}

/* One field of DAEMONIZE_REEXEC: a descriptor number or -1. */
static int
state_field(const char **p, int *out)
{
	unsigned long long v;
	char buf[24];
	size_t n = 0;

	while (**p != '\0' && **p != ':' && n + 1 < sizeof(buf))
		buf[n++] = *(*p)++;
	buf[n] = '\0';
	if (**p == ':')
		(*p)++;
	if (strcmp(buf, "-1") == 0) {
		*out = -1;
		return 0;
	}
	if (dz_parse_uint(buf, 1U << 30, &v) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

static int reexec_fds[3] = { -1, -1, -1 };	/* status, pidfile, ready */

/* In lock: is this image the daemon after a re-exec?  1 yes, 0 no. */
static int
reexec_inherited(struct daemonize *d)
{
	const char *v = getenv(DZ_REEXEC_ENV), *p;
	int pid, i;

	if (v == NULL)
		return 0;
	p = v;
	if (state_field(&p, &pid) == -1 || pid != (int)getpid()) {
		(void)unsetenv(DZ_REEXEC_ENV);
		return 0;       /* not ours: leaked from another process */
	}
	for (i = 0; i < 3; i++)
		if (state_field(&p, &reexec_fds[i]) == -1)
			return dz_fail(&d->err, "reexec", EINVAL,
			    "%s=%.64s: malformed", DZ_REEXEC_ENV, v);
	(void)unsetenv(DZ_REEXEC_ENV);
	d->reexeced = true;
	return 1;
}

/* The pidfile lock, status pipe and readiness fd that crossed the exec. */
static int
reexec_adopt(struct daemonize *d)
{
	if (dz_handshake_adopt(&d->handshake, reexec_fds[0], &d->err) == -1)
		return -1;
	if (reexec_fds[1] >= 0 && dz_pidfile_adopt(&d->pidfile,
	    reexec_fds[1], &d->owners, &d->err) == -1)
		return -1;
	if (reexec_fds[1] < 0 && d->pidfile.path != NULL)
		return dz_fail(&d->err, "reexec", EINVAL, "%s: configured "
		    "after the re-exec but not before it", d->pidfile.path);
	if (reexec_fds[2] >= 0)
		d->ready_fd = reexec_fds[2];
	return 0;
}

/* ---- lock ------------------------------------------------------------------------ */

/* A start that fails under systemd must say why there, too: systemd shows
 * STATUS= in "systemctl status", and start-stop-daemon --notify-await
 * stops waiting at once instead of running out its timeout. */
static void
tell_supervisor_failure(struct daemonize *d, int errnum)
{
	char msg[DZ_ERRLEN + 64];
	char *p;

	if (d->notify.fd < 0)
		return;
	(void)snprintf(msg, sizeof(msg), "ERRNO=%d\nSTATUS=", errnum);
	/* One line: a newline in the text must not become a field. */
	p = msg + strlen(msg);
	dz_strlcpy_safe(p, d->err.text, sizeof(msg) - (size_t)(p - msg));
	for (; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	(void)dz_notify_send(&d->notify, msg, NULL);
}

/* Undo a failed lock or start in this process, keeping the error text and
 * errno: no lock, no file we created, no descriptor is left behind.  A
 * daemon left running (it timed out) owns its pidfile: only our
 * descriptor is closed then. */
static int
release_after_failure(struct daemonize *d)
{
	int saved = errno;

	tell_supervisor_failure(d, saved);
	if (d->handshake.left_running && d->handshake.daemon_pid <= 0)
		dz_pidfile_release_unless_held(&d->pidfile);
	else
		dz_pidfile_release(&d->pidfile, !d->handshake.left_running);
	dz_notify_close(&d->notify);
	dz_signals_uninstall(d);
	d->state = DZ_CONFIGURING;
	errno = saved;
	return -1;
}

/* Whether two configured paths name one file: the same string (both are
 * absolute), or two names of one existing inode (a link, "a/../b"). */
static bool
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (a == NULL || b == NULL)
		return false;
	if (strcmp(a, b) == 0)
		return true;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * Everything that must happen before the caller binds its sockets.  In this
 * order, each for a reason:
 *  1. The mode: the caller's request, DAEMONIZE_MODE, then detection.  It
 *     looks at LISTEN_PID, which step 3 consumes.
 *  2. fds 0-2 valid (/dev/null onto a closed one), before anything of
 *     ours or the caller's is opened, so that nothing becomes someone's
 *     stdout by accident.
 *  3. The supervisor's handles: LISTEN_FDS before the fd sweep could
 *     close them, the notify socket connected before a chroot hides its
 *     path, and early, so that a failure of the next steps reaches the
 *     supervisor too.
 *  4. User, group and chroot checked here, in the original process, where
 *     /etc is still reachable and an error still reaches the terminal.
 *  5. The runtime directory, then the pidfile, locked: a second instance
 *     stops here with "already running, pid N", before its bind could
 *     fail with the less helpful "address already in use".
 */
DZ_PUBLIC int
daemonize_lock(struct daemonize *d)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (d == NULL)
		return no_context();
	if (d->state == DZ_LOCKED)
		return 0;
	if (d->state != DZ_CONFIGURING)
		return dz_fail(&d->err, "lock", EALREADY,
		    "daemonize_start was already called");
	d->err.text[0] = '\0';

	/* The new image after a re-exec continues the detached start: its
	 * mode is decided, its pidfile locked and its status pipe open. */
	if (reexec_inherited(d) == -1)
		return -1;
	if (d->reexeced)
		d->mode = DAEMONIZE_MODE_BACKGROUND;
	else if (dz_mode_choose(d->requested_mode, &d->detection, d->name,
	    &d->mode, &d->err) == -1)
		return -1;
	if (same_file(d->pidfile.path, d->output.path))
		return dz_fail(&d->err, "pidfile", EINVAL, "%s: also the log "
		    "file (%s): log lines would overwrite the pid",
		    d->pidfile.path, d->output.path);
	if (dz_stdio_sanitize(&d->err) == -1)
		return -1;
	if (dz_listen_parse(&d->listen, &d->err) == -1 ||
	    dz_notify_open(&d->notify, &d->err) == -1)
		return release_after_failure(d);
	if (d->ready_fd >= 0 && dz_readyfd_check(d->ready_fd, &d->err) == -1)
		return release_after_failure(d);
	if (dz_identity_configured(&d->id)) {
		if (dz_privileges_resolve(&d->id, &d->err) == -1)
			return release_after_failure(d);
		uid = d->id.user != NULL ? d->id.uid : (uid_t)-1;
		gid = d->id.gid;
	}
	dz_owners_init(&d->owners, uid != (uid_t)-1, uid);
	if (dz_confine_check(&d->confine, &d->err) == -1)
		return release_after_failure(d);
	if (d->reexeced) {
		if (reexec_adopt(d) == -1)
			return release_after_failure(d);
	} else if (dz_runtime_dir_make(&d->pidfile, &d->owners, uid, gid,
	    &d->err) == -1 ||
	    dz_pidfile_open(&d->pidfile, &d->owners, &d->err) == -1)
		return release_after_failure(d);
	/* Again, now that the pidfile exists: "dir/./x" and "dir/x". */
	if (same_file(d->pidfile.path, d->output.path)) {
		(void)dz_fail(&d->err, "pidfile", EINVAL, "%s: also the log "
		    "file (%s): log lines would overwrite the pid",
		    d->pidfile.path, d->output.path);
		return release_after_failure(d);
	}
	d->state = DZ_LOCKED;
	return 0;
}

/* ---- start ------------------------------------------------------------------------ */

/* The descriptors the fd sweep must leave open: the library's own and the
 * caller's kept ones.  Malloc'ed; *n their number. */
static int *
keep_list(struct daemonize *d, const int sigpipe[2], size_t *n)
{
	size_t cap = d->keep.n + (size_t)d->listen.n + 8, i;
	int *keep;

	if ((keep = malloc(cap * sizeof(*keep))) == NULL)
		return NULL;
	*n = 0;
	keep[(*n)++] = d->pidfile.fd;
	keep[(*n)++] = d->handshake.status_fd;
	keep[(*n)++] = d->notify.fd;
	keep[(*n)++] = d->ready_fd;
	keep[(*n)++] = sigpipe[0];
	keep[(*n)++] = sigpipe[1];
	for (i = 0; i < (size_t)d->listen.n; i++)
		keep[(*n)++] = d->listen.fds[i];
	for (i = 0; i < d->keep.n; i++)
		keep[(*n)++] = d->keep.fd[i];
	return keep;
}

/*
 * The daemon's half of startup, in the process that will be the daemon:
 * after the double fork in background mode, in place in foreground mode.
 */
static int
become_daemon(struct daemonize *d, bool detached)
{
	int sigpipe[2] = { -1, -1 };
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	size_t n;
	int *keep, r;

	if (detached) {
		/* Nothing inherited from the shell may survive: handlers and
		 * mask, then every fd but ours, the caller's kept ones and a
		 * connection to the system logger.  The signal pipe exists
		 * before the sweep, so it cannot take a number the caller
		 * still believes it owns (a closed syslog socket's). */
		if (dz_signals_reset(&d->signals, &d->err) == -1 ||
		    dz_signals_open(d, sigpipe, &d->err) == -1)
			return -1;
		if ((keep = keep_list(d, sigpipe, &n)) == NULL)
			return dz_fail(&d->err, "fds", errno, "keep list");
		r = dz_fds_sweep(keep, n, &d->err);
		free(keep);
		if (r == -1 || dz_stdio_stdin_null(&d->err) == -1)
			return -1;
	}
	/* Supervisors set umask and cwd themselves (systemd's UMask= and
	 * WorkingDirectory=): overridden only when asked to. */
	if (detached || d->umask_set)
		(void)umask(d->umask);
	/* The log is opened now, while the outside filesystem and root are
	 * still ours, and created owned by the target user so that it can
	 * be reopened after the drop; it replaces stdout and stderr only at
	 * ready, so that the daemon's own warnings reach the terminal. */
	if (detached) {
		if (d->id.user != NULL)
			uid = d->id.uid;
		if (dz_identity_configured(&d->id))
			gid = d->id.gid;
		if (dz_output_open(&d->output, &d->owners, uid, gid,
		    &d->err) == -1)
			return -1;
	}
	/* As root, into the descriptor locked before the fork. */
	if (dz_pidfile_write(&d->pidfile, &d->err) == -1)
		return -1;
	/* chroot needs root: before the drop. */
	if (dz_confine_enter(&d->confine, detached, &d->err) == -1)
		return -1;
	if (dz_identity_configured(&d->id) &&
	    dz_privileges_drop(&d->id, &d->err) == -1)
		return -1;
	return dz_signals_install(&d->signals, d, &d->err);
}

/* A startup step failed in the daemon: what it created goes (the pidfile
 * is removed by the original process once we are gone), the error goes to
 * the original process, and this process exits. */
static void __attribute__((noreturn))
abort_start(struct daemonize *d)
{
	int err = errno;

	/* A pidfile that existed before keeps no pid of a process that is
	 * about to exit (the original process removes one it created). */
	dz_pidfile_release(&d->pidfile, true);
	dz_output_discard(&d->output);
	dz_handshake_abort(&d->handshake, err, d->err.text);
}

/* fork() copies one thread: a lock another thread holds (malloc's) stays
 * locked for ever in the child, which then calls malloc.  Where the
 * system can count threads, refuse instead of deadlocking some day. */
static int
single_threaded(struct daemonize *d)
{
	int n = dz_thread_count();

	if (n > 1)
		return dz_fail(&d->err, "start", EDEADLK, "the process has %d "
		    "threads: daemonize_start must run before any thread is "
		    "created (fork copies only the calling one)", n);
	return 0;
}

DZ_PUBLIC int
daemonize_start(struct daemonize *d)
{
	sigset_t caller_mask;
	int r, saved;

	if (d == NULL)
		return no_context();
	if (d->state == DZ_CONFIGURING && daemonize_lock(d) == -1)
		return -1;
	if (d->state != DZ_LOCKED)
		return dz_fail(&d->err, "start", EALREADY,
		    "daemonize_start was already called");

	if (d->reexeced) {
		/* Detached already, by the image before the exec. */
		d->owner = getpid();
		if (become_daemon(d, true) == -1)
			abort_start(d);
		d->state = DZ_STARTED;
		return 0;
	}
	if (d->mode == DAEMONIZE_MODE_FOREGROUND) {
		/* No fork, no setsid, stdio and inherited fds untouched;
		 * every configured step is still applied. */
		if (become_daemon(d, false) == -1) {
			dz_output_discard(&d->output);
			return release_after_failure(d);
		}
		d->owner = getpid();
		d->state = DZ_STARTED;
		return 0;
	}

	if (single_threaded(d) == -1)
		return release_after_failure(d);
	/* The handled signals stay blocked from before the fork until the
	 * daemon's handlers are in place: a SIGTERM sent to the new pid
	 * during startup is queued, not fatal or lost. */
	if (dz_signals_block(&d->signals, &caller_mask, &d->err) == -1)
		return release_after_failure(d);
	r = dz_detach(&d->handshake, d->timeout_ms, &caller_mask, &d->err);
	if (r != 0) {
		/* The original process. */
		saved = errno;
		(void)sigprocmask(SIG_SETMASK, &caller_mask, NULL);
		errno = saved;
		if (r == -1)
			return release_after_failure(d);
		/* The daemon owns the pidfile and the notify socket now;
		 * our descriptors go, the lock stays with its copy. */
		dz_pidfile_release(&d->pidfile, false);
		dz_notify_close(&d->notify);
		d->state = DZ_PARENT;
		return DAEMONIZE_PARENT;
	}
	/* The daemon: a failed step goes to the original process, which
	 * prints it; this process exits. */
	d->owner = getpid();
	if (d->reexec_argv != NULL)
		reexec(d);      /* returns only by aborting */
	if (become_daemon(d, true) == -1)
		abort_start(d);
	d->state = DZ_STARTED;
	return 0;
}

/* ---- readiness, failure and the end ------------------------------------------------ */

DZ_PUBLIC int
daemonize_ready(struct daemonize *d)
{
	char msg[64];
	bool first;
	int r = 0;

	if (as_daemon(d, "ready") == -1)
		return -1;
	if (d->state == DZ_FAILED)
		return dz_fail(&d->err, "ready", EINVAL,
		    "daemonize_fail was called");
	first = d->state == DZ_STARTED;
	/* stdout and stderr leave the terminal now, before the original
	 * process is told (so that a "$(command)" sees its EOF). */
	if (first && d->mode == DAEMONIZE_MODE_BACKGROUND &&
	    dz_output_install(&d->output, &d->err) == -1) {
		(void)dz_handshake_error(&d->handshake, errno, d->err.text);
		return -1;
	}
	if (d->notify.fd >= 0) {
		/* MAINPID on the first READY lets a Type=forking unit with
		 * NotifyAccess=all learn its main process. */
		if (first)
			(void)snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%ld",
			    (long)getpid());
		else
			(void)snprintf(msg, sizeof(msg), "READY=1");
		if (dz_notify_send(&d->notify, msg, &d->err) == -1)
			r = -1;
	}
	if (first && d->ready_fd >= 0) {
		if (dz_readyfd_signal(d->ready_fd, &d->err) == -1)
			r = -1;
		d->ready_fd = -1;
	}
	/* EPIPE: the original process stopped waiting (its timeout, or it
	 * was killed).  The daemon is ready all the same. */
	if (first && dz_handshake_ready(&d->handshake, &d->err) == -1 &&
	    errno != EPIPE)
		r = -1;
	d->state = DZ_READY;
	return r;
}

DZ_PUBLIC int
daemonize_fail(struct daemonize *d, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r = 0;

	if (as_daemon(d, "fail") == -1)
		return -1;
	if (fmt == NULL || errnum < 0)
		return dz_fail(&d->err, "fail", EINVAL, "bad arguments");
	va_start(ap, fmt);
	(void)dz_vfail(&d->err, "", errnum, fmt, ap);
	va_end(ap);
	tell_supervisor_failure(d, errnum);
	/* The original process prints it and waits for our exit, then
	 * removes what remains. */
	if (dz_handshake_error(&d->handshake, errnum, d->err.text) == -1)
		r = -1;
	/* A failed start leaves no pidfile naming a process that is about
	 * to exit, and no log file it created and never wrote. */
	dz_pidfile_release(&d->pidfile, true);
	if (d->state == DZ_STARTED)
		dz_output_discard(&d->output);
	d->state = DZ_FAILED;
	errno = errnum;
	return r;
}

DZ_PUBLIC int
daemonize_stop(struct daemonize *d)
{
	if (d == NULL)
		return no_context();
	switch (d->state) {
	case DZ_CONFIGURING:
	case DZ_PARENT:		/* the daemon owns it all */
	case DZ_STOPPED:
		return 0;
	case DZ_LOCKED:		/* gave up before start */
		dz_pidfile_release(&d->pidfile, true);
		dz_notify_close(&d->notify);
		d->state = DZ_STOPPED;
		return 0;
	case DZ_STARTED:
	case DZ_READY:
	case DZ_FAILED:
		break;
	}
	if (as_daemon(d, "stop") == -1)
		return -1;
	if (d->notify.fd >= 0 && !d->stopping_sent)
		(void)dz_notify_send(&d->notify, "STOPPING=1", NULL);
	d->stopping_sent = true;
	/* Removed if the name still maps to our locked inode and we can;
	 * else emptied through our descriptor (after a drop that left the
	 * directory unwritable). */
	dz_pidfile_release(&d->pidfile, true);
	d->state = DZ_STOPPED;
	return 0;
}

DZ_PUBLIC int
daemonize_reopen_output(struct daemonize *d)
{
	if (d == NULL)
		return no_context();
	/* Only a detached daemon's output is ours, and only once ready:
	 * before that stdout is still the terminal's. */
	if (d->mode != DAEMONIZE_MODE_BACKGROUND || d->state != DZ_READY ||
	    d->output.path == NULL)
		return 0;
	return dz_output_reopen(&d->output, &d->owners, &d->err);
}

/*
 * Replace the daemon with a program that keeps what the daemon holds: its
 * pid (so the pidfile stays right), the pidfile's lock (the descriptor
 * crosses the exec: the program holds it for its whole life), its stdio
 * (the log, as at ready), and a supervisor's handles (NOTIFY_SOCKET and
 * LISTEN_* are put back into the environment for it).  Before ready, the
 * exec itself is the readiness: the original process returns
 * DAEMONIZE_PARENT when the exec succeeded, and reports the error if the
 * caller calls daemonize_fail after a failed exec.  This is what
 * daemonrun(1) is built on.  Returns only on failure.
 */
DZ_PUBLIC int
daemonize_exec(struct daemonize *d, const char *path, char *const argv[])
{
	sigset_t none, old;
	int again[16], n, i, err;

	if (as_daemon(d, "exec") == -1)
		return -1;
	if (path == NULL || argv == NULL || argv[0] == NULL)
		return dz_fail(&d->err, "exec", EINVAL, "no program");
	if (d->state == DZ_FAILED)
		return dz_fail(&d->err, "exec", EINVAL,
		    "daemonize_fail was called");
	if (d->state == DZ_STARTED && d->mode == DAEMONIZE_MODE_BACKGROUND &&
	    dz_output_install(&d->output, &d->err) == -1)
		return -1;
	if (dz_pidfile_export(&d->pidfile) == -1 && d->pidfile.fd >= 0)
		return dz_fail(&d->err, "exec", errno, "pidfile descriptor");
	/* The supervisor's handles, for the program to use itself. */
	if (export_handles(d) == -1)
		return -1;
	if (d->state == DZ_STARTED &&
	    dz_handshake_exec(&d->handshake, &d->err) == -1)
		return -1;
	/* The program starts with default signal handling: our handlers
	 * (and the ignored SIGPIPE) go; in background mode also the mask.
	 * A handled signal that came before the exec and still waits in
	 * the pipe was meant for the service, not for us to drop: it is
	 * sent again, blocked, once the default action is back, and is
	 * delivered when the mask is set (a SIGTERM then ends us before
	 * the exec, as it would have ended the program just after). */
	if (dz_signals_block(&d->signals, &old, &d->err) == -1)
		return -1;
	for (n = 0; n < (int)(sizeof(again) / sizeof(again[0])); n++)
		if ((again[n] = dz_signals_next(d, 0, NULL)) <= 0)
			break;
	dz_signals_uninstall(d);
	for (i = 0; i < n; i++)
		(void)kill(getpid(), again[i]);
	if (d->mode == DAEMONIZE_MODE_BACKGROUND)
		sigemptyset(&none);
	else
		none = old;
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execv(path, argv);
	err = errno;
	return dz_fail(&d->err, "exec", err, "%s", path);
}

/* ---- what was decided ---------------------------------------------------------------- */

DZ_PUBLIC int
daemonize_mode(const struct daemonize *d)
{
	if (d == NULL)
		return no_context();
	return d->state == DZ_CONFIGURING ? d->requested_mode : d->mode;
}

DZ_PUBLIC const char *
daemonize_supervisor(struct daemonize *d, const char **marker)
{
	if (marker != NULL)
		*marker = NULL;
	if (d == NULL) {
		errno = EINVAL;
		return NULL;
	}
	dz_supervisor_detect(&d->detection, d->name);
	if (marker != NULL)
		*marker = d->detection.marker;
	return d->detection.supervisor;
}

/* ---- signals ------------------------------------------------------------------------- */

DZ_PUBLIC int
daemonize_signal_fd(const struct daemonize *d)
{
	if (d == NULL)
		return no_context();
	return dz_signals_fd(d);
}

DZ_PUBLIC int
daemonize_next_signal(struct daemonize *d, int timeout_ms)
{
	if (d == NULL)
		return no_context();
	return dz_signals_next(d, timeout_ms, &d->err);
}

/* ---- messages to a supervisor -------------------------------------------------------- */

/* Whether msg is "KEY=VALUE" lines with keys of [A-Z0-9_], as systemd
 * parses them; *stopping when one of them is STOPPING=1. */
static bool
valid_fields(const char *msg, bool *ready, bool *stopping)
{
	const char *p = msg, *key;

	*ready = *stopping = false;
	while (*p != '\0') {
		key = p;
		while ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_')
			p++;
		if (p == key || *p != '=')
			return false;
		if (strncmp(key, "READY=", 6) == 0)
			*ready = true;
		if (strncmp(key, "STOPPING=1", 10) == 0 &&
		    (key[10] == '\n' || key[10] == '\0'))
			*stopping = true;
		while (*p != '\0' && *p != '\n')
			p++;
		if (*p == '\n')
			p++;
	}
	return p != msg;
}

DZ_PUBLIC int
daemonize_notify(struct daemonize *d, const char *fmt, ...)
{
	char msg[DZ_NOTIFY_MAX];
	bool ready, stopping;
	va_list ap;
	int n;

	if (d == NULL)
		return no_context();
	if (fmt == NULL)
		return dz_fail(&d->err, "notify", EINVAL, "no format");
	if (d->notify.fd < 0)
		return 0;
	if (as_daemon(d, "notify") == -1)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return dz_fail(&d->err, "notify", EMSGSIZE,
		    "message longer than %d bytes", DZ_NOTIFY_MAX - 1);
	if (!valid_fields(msg, &ready, &stopping))
		return dz_fail(&d->err, "notify", EINVAL, "\"%.64s\": expected "
		    "KEY=VALUE lines, keys of A-Z, 0-9 and _", msg);
	/* READY=1 also ends the handshake with the original process and
	 * the s6 fd: only daemonize_ready can do all of it. */
	if (ready)
		return dz_fail(&d->err, "notify", EINVAL,
		    "READY=1: call daemonize_ready instead");
	if (dz_notify_send(&d->notify, msg, &d->err) == -1)
		return -1;
	if (stopping)
		d->stopping_sent = true;
	return 0;
}

DZ_PUBLIC int
daemonize_notify_status(struct daemonize *d, const char *fmt, ...)
{
	char msg[DZ_NOTIFY_MAX];
	va_list ap;
	size_t i;

	if (d == NULL)
		return no_context();
	if (fmt == NULL)
		return dz_fail(&d->err, "notify", EINVAL, "no format");
	if (d->notify.fd < 0)
		return 0;
	if (as_daemon(d, "notify") == -1)
		return -1;
	memcpy(msg, "STATUS=", 7);
	va_start(ap, fmt);
	(void)vsnprintf(msg + 7, sizeof(msg) - 7, fmt, ap);
	va_end(ap);
	/* A newline would start another field: a status text must not be
	 * able to send READY=1 or MAINPID= on its own. */
	for (i = 7; msg[i] != '\0'; i++)
		if (msg[i] == '\n')
			msg[i] = ' ';
	return dz_notify_send(&d->notify, msg, &d->err);
}

DZ_PUBLIC int
daemonize_notify_reloading(struct daemonize *d)
{
	char msg[64];

	if (d == NULL)
		return no_context();
	if (d->notify.fd < 0)
		return 0;
	if (as_daemon(d, "notify") == -1)
		return -1;
	/* Type=notify-reload matches the time stamp against its own
	 * CLOCK_MONOTONIC to tell this reload from an earlier one. */
	(void)snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)(dz_now_ns() / 1000));
	return dz_notify_send(&d->notify, msg, &d->err);
}

DZ_PUBLIC uint64_t
daemonize_watchdog_usec(const struct daemonize *d)
{
	if (d == NULL) {
		errno = EINVAL;
		return 0;
	}
	return d->notify.fd >= 0 ? d->notify.watchdog_usec : 0;
}

DZ_PUBLIC int
daemonize_listen_fds(struct daemonize *d, const int **fds,
    const char *const **names)
{
	if (fds != NULL)
		*fds = NULL;
	if (names != NULL)
		*names = NULL;
	if (d == NULL)
		return no_context();
	/* LISTEN_PID is also the strongest systemd marker: detection must
	 * see it before parsing removes it from the environment. */
	dz_supervisor_detect(&d->detection, d->name);
	if (dz_listen_parse(&d->listen, &d->err) == -1)
		return -1;
	if (d->listen.n == 0 &&
	    dz_listen_launchd(&d->listen, d->name, &d->err) == -1)
		return -1;
	if (fds != NULL)
		*fds = d->listen.fds;
	if (names != NULL)
		*names = (const char *const *)d->listen.names;
	return d->listen.n;
}

/* ---- another process's view, through the pidfile --------------------------------------- */

/* Readers trust files owned by root, the effective user and the daemon's
 * configured user (its uid looked up, not the drop prepared). */
static int
reader_setup(struct daemonize *d, const char *step)
{
	uid_t uid;

	if (d == NULL)
		return no_context();
	if (d->pidfile.path == NULL)
		return dz_fail(&d->err, step, EINVAL,
		    "no pidfile configured (daemonize_set_pidfile)");
	if (d->id.user == NULL) {
		dz_owners_init(&d->owners, false, 0);
		return 0;
	}
	if (dz_identity_uid(&d->id, &uid, &d->err) == -1)
		return -1;
	dz_owners_init(&d->owners, true, uid);
	return 0;
}

DZ_PUBLIC int
daemonize_pidfile_state(struct daemonize *d, pid_t *pid)
{
	pid_t dummy;

	if (reader_setup(d, "pidfile") == -1)
		return -1;
	return dz_pidfile_state(d->pidfile.path, &d->owners,
	    pid != NULL ? pid : &dummy, &d->err);
}

DZ_PUBLIC int
daemonize_pidfile_signal(struct daemonize *d, int signo)
{
	if (reader_setup(d, "pidfile") == -1)
		return -1;
	return dz_pidfile_signal(d->pidfile.path, &d->owners, signo,
	    &d->err);
}

DZ_PUBLIC int
daemonize_pidfile_terminate(struct daemonize *d, int signo,
    unsigned int timeout_ms)
{
	if (reader_setup(d, "pidfile") == -1)
		return -1;
	return dz_pidfile_terminate(d->pidfile.path, &d->owners, signo,
	    timeout_ms, &d->err);
}

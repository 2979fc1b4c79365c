/*
 * daemonize.c - the context, its generic setters, and the orchestration:
 * daemonize_start() runs the steps of the other files in the order
 * DESIGN.md section 3 gives, and says why each comes where it does.
 */
#include "internal.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- errors -------------------------------------------------------------- */

/* Append src to the string in dst, truncating to size (error text only). */
static void
append(char *dst, size_t size, const char *src)
{
	size_t used = strlen(dst);

	if (used + 1 < size)
		dz_strlcpy_safe(dst + used, src, size - used);
}

int
dz_verror(struct daemonize *d, const char *step, int err, const char *fmt,
    va_list ap)
{
	char text[DZ_ERRLEN], reason[128];
	size_t used, room;
	int n;

	if (d != NULL) {
		/* "step: message: strerror", the parts that exist, built in a
		 * local buffer: an argument may be daemonize_error(d) itself.
		 * Room for the reason is kept: a long path must not push it
		 * out, so the message is cut instead, marked with "...". */
		reason[0] = '\0';
		if (err != 0) {
			append(reason, sizeof(reason), ": ");
			append(reason, sizeof(reason), strerror(err));
		}
		text[0] = '\0';
		append(text, sizeof(text), step);
		if (*step != '\0')
			append(text, sizeof(text), ": ");
		used = strlen(text);
		room = sizeof(text) - strlen(reason);
		n = vsnprintf(text + used, room - used, fmt, ap);
		if (n > 0 && (size_t)n >= room - used)
			memcpy(text + room - 4, "...", 4);
		append(text, sizeof(text), reason);
		memcpy(d->error, text, sizeof(d->error));
	}
	errno = err != 0 ? err : EINVAL;
	return -1;
}

int
dz_error(struct daemonize *d, const char *step, int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = dz_verror(d, step, err, fmt, ap);
	va_end(ap);
	return r;
}

void
dz_strlcpy_safe(char *dst, const char *src, size_t size)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < size; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

void
dz_close_quietly(int fd)
{
	int saved = errno;

	/* POSIX leaves the fd state unspecified after EINTR and Linux always
	 * frees it, so close is never retried. */
	if (fd >= 0)
		(void)close(fd);
	errno = saved;
}

/* Configuration may change only before start; the step names the setter. */
int
dz_config_check(struct daemonize *d, const char *step)
{
	if (d == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (d->started)
		return dz_error(d, step, EBUSY,
		    "configuration cannot change after daemonize_start");
	return 0;
}

/* A copy of path made absolute against the current directory, because the
 * daemon uses it again after chdir (removing the pidfile, reopening the
 * log).  NULL with errno (and the error text) on failure. */
char *
dz_absolute_path(struct daemonize *d, const char *step, const char *path)
{
	char cwd[PATH_MAX];
	char *abs;
	size_t len;

	if (path == NULL || *path == '\0') {
		dz_error(d, step, EINVAL, "empty path");
		return NULL;
	}
	if (*path == '/') {
		abs = strdup(path);
		if (abs == NULL)
			dz_error(d, step, errno, "%s", path);
		return abs;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		dz_error(d, step, errno, "%s: cannot make it absolute", path);
		return NULL;
	}
	len = strlen(cwd) + 1 + strlen(path) + 1;
	if (len > PATH_MAX) {
		dz_error(d, step, ENAMETOOLONG, "%s/%s", cwd, path);
		return NULL;
	}
	abs = malloc(len);
	if (abs == NULL) {
		dz_error(d, step, errno, "%s", path);
		return NULL;
	}
	abs[0] = '\0';
	if (strcmp(cwd, "/") != 0)
		append(abs, len, cwd);
	append(abs, len, "/");
	append(abs, len, path);
	return abs;
}

/* Replace *slot with an absolute copy of path, or clear it for NULL. */
int
dz_set_path(struct daemonize *d, const char *step, char **slot,
    const char *path)
{
	char *copy = NULL;

	if (dz_config_check(d, step) == -1)
		return -1;
	if (path != NULL && (copy = dz_absolute_path(d, step, path)) == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

/* ---- context ------------------------------------------------------------- */

DZ_PUBLIC struct daemonize *
daemonize_new(const char *name)
{
	struct daemonize *d;

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
	d->umask = 022;
	d->notify_fd = -1;
	d->status_fd = -1;
	d->pidfile.fd = -1;
	d->notify.fd = -1;
	sigemptyset(&d->signals);
	sigaddset(&d->signals, SIGHUP);
	sigaddset(&d->signals, SIGTERM);
	sigaddset(&d->signals, SIGINT);
	return d;
}

DZ_PUBLIC void
daemonize_free(struct daemonize *d)
{
	int saved = errno;
	int i;

	if (d == NULL)
		return;
	if (d->started && !d->stopped)
		(void)daemonize_stop(d);
	dz_pidfile_release(d, false);
	dz_signals_uninstall(d);
	dz_notify_close(d);
	dz_close_quietly(d->status_fd);
	free(d->pidfile.path);
	free(d->output_path);
	free(d->workdir);
	free(d->keep);
	dz_identity_clear(&d->id);
	free(d->chroot_dir);
	free(d->jail);
	for (i = 0; i < d->nlisten; i++)
		free(d->listen_names[i]);
	free(d->listen_names);
	free(d->listen_fds);
	free(d->notify.name);
	free(d->name);
	free(d);
	errno = saved;
}

DZ_PUBLIC const char *
daemonize_error(const struct daemonize *d)
{
	if (d == NULL)
		return "invalid argument: no daemonize context";
	return d->error[0] != '\0' ? d->error : "no error";
}

DZ_PUBLIC int
daemonize_set_flags(struct daemonize *d, unsigned int flags)
{
	const unsigned int known = DAEMONIZE_FOREGROUND | DAEMONIZE_NO_DETACH |
	    DAEMONIZE_DETACH | DAEMONIZE_KEEP_SIGPIPE;

	if (dz_config_check(d, "flags") == -1)
		return -1;
	if ((flags & ~known) != 0)
		return dz_error(d, "flags", EINVAL, "unknown flag bits %#x",
		    flags & ~known);
	if ((flags & DAEMONIZE_DETACH) &&
	    (flags & (DAEMONIZE_NO_DETACH | DAEMONIZE_FOREGROUND)))
		return dz_error(d, "flags", EINVAL, "DAEMONIZE_DETACH contradicts "
		    "DAEMONIZE_NO_DETACH and DAEMONIZE_FOREGROUND");
	d->flags = flags;
	return 0;
}

DZ_PUBLIC int
daemonize_set_umask(struct daemonize *d, mode_t mask)
{
	if (dz_config_check(d, "umask") == -1)
		return -1;
	if ((mask & ~(mode_t)0777) != 0)
		return dz_error(d, "umask", EINVAL, "%#o is not a file mode mask",
		    (unsigned int)mask);
	d->umask = mask;
	d->umask_set = true;
	return 0;
}

DZ_PUBLIC int
daemonize_set_workdir(struct daemonize *d, const char *path)
{
	if (dz_config_check(d, "workdir") == -1)
		return -1;
	/* Applied after any chroot, so it is a path inside the new root and
	 * must be absolute: a relative one would depend on where we were. */
	if (path == NULL || *path != '/')
		return dz_error(d, "workdir", EINVAL, "%s: not an absolute path",
		    path == NULL ? "(null)" : path);
	free(d->workdir);
	if ((d->workdir = strdup(path)) == NULL)
		return dz_error(d, "workdir", errno, "%s", path);
	return 0;
}

DZ_PUBLIC int
daemonize_set_timeout(struct daemonize *d, unsigned int milliseconds)
{
	if (dz_config_check(d, "timeout") == -1)
		return -1;
	d->timeout_ms = milliseconds;
	return 0;
}

DZ_PUBLIC int
daemonize_mode(const struct daemonize *d)
{
	if (d == NULL) {
		errno = EINVAL;
		return -1;
	}
	return d->mode;
}

/* ---- start --------------------------------------------------------------- */

/* Release what start acquired in this process after a failure, keeping the
 * error text and errno: no lock, no file, no fd is left behind.  The one
 * exception is a daemon that was left running (it timed out, or did not
 * exit after it failed): its pidfile is its own, so this process only
 * closes its descriptor. */
static int
start_failed(struct daemonize *d)
{
	int saved = errno;

	dz_pidfile_release(d, !d->daemon_left_running);
	dz_notify_close(d);
	dz_signals_uninstall(d);
	d->mode = DAEMONIZE_MODE_NONE;
	errno = saved;
	return -1;
}

/* The daemon's half of background mode, and supervised mode.  In the
 * daemon a failure goes to the original process through the status pipe
 * (dz_status_fail does not return); in supervised mode it returns -1. */
static int
become_daemon(struct daemonize *d)
{
	bool detached = d->mode == DAEMONIZE_MODE_BACKGROUND;

	if (detached) {
		/* Nothing inherited may survive: handlers and mask from the
		 * shell, then every fd but the ones we or the caller need. */
		if (dz_signals_reset(d) == -1 || dz_fds_sweep(d) == -1)
			goto fail;
	}
	/* Supervisors set umask and cwd themselves (systemd's UMask= and
	 * WorkingDirectory=); override them only when asked to. */
	if (detached || d->umask_set)
		(void)umask(d->umask);
	/* The log file is opened before chroot and privilege drop, while the
	 * outside filesystem and our rights are still there. */
	if (detached && dz_stdio_redirect(d) == -1)
		goto fail;
	/* The pid is written now, as root, into the descriptor locked before
	 * the fork; the lock is held by this process from here on. */
	if (dz_pidfile_write(d) == -1)
		goto fail;
	/* chroot (then chdir into it) needs root, so it comes before the
	 * privilege drop; resolution of names happened before the fork. */
	if (dz_confine_enter(d) == -1)
		goto fail;
	if (dz_privileges_drop(d) == -1)
		goto fail;
	if (dz_signals_install(d) == -1)
		goto fail;
	return 0;
fail:
	if (detached)
		dz_status_fail(d);      /* does not return */
	return -1;
}

DZ_PUBLIC int
daemonize_start(struct daemonize *d)
{
	sigset_t saved_mask;
	int r;

	if (d == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (d->started)
		return dz_error(d, "start", EALREADY,
		    "daemonize_start was already called");
	d->error[0] = '\0';

	if (dz_mode_choose(d) == -1)
		return -1;

	if (d->mode == DAEMONIZE_MODE_FOREGROUND) {
		/* Debug mode: no startup step at all, but signals and a
		 * supervisor's readiness protocol work as in every mode. */
		if (dz_listen_parse(d) == -1 || dz_notify_open(d) == -1 ||
		    dz_signals_install(d) == -1)
			return start_failed(d);
		d->started = true;
		d->owner = getpid();
		return 0;
	}

	/* 1. Everything that can be checked is checked here, where the error
	 * still reaches the terminal and /etc is still reachable. */
	if (dz_privileges_resolve(d) == -1 || dz_confine_check(d) == -1)
		return start_failed(d);
	/* 2. fds 0-2 valid, so the pidfile or a socket can never become
	 * someone's stdout. */
	if (dz_stdio_sanitize(d) == -1)
		return start_failed(d);
	/* Supervisor handles are taken over before the fd sweep would close
	 * them and before chroot would hide the notify socket's path. */
	if (dz_listen_parse(d) == -1 || dz_notify_open(d) == -1)
		return start_failed(d);
	/* 3. A second instance stops here, in the terminal. */
	if (dz_pidfile_open(d) == -1)
		return start_failed(d);

	if (d->mode == DAEMONIZE_MODE_SUPERVISED) {
		if (become_daemon(d) == -1)
			return start_failed(d);
		d->started = true;
		d->owner = getpid();
		return 0;
	}

	/* 4. Background: the handled signals stay blocked from before the
	 * fork until the daemon's handlers are in place, so a SIGTERM sent
	 * to the new pid during startup is queued, not fatal or lost. */
	if (dz_signals_block(d, &saved_mask) == -1)
		return start_failed(d);
	r = dz_fork_detach(d, &saved_mask);
	if (r != 0) {
		/* The original process: the daemon is ready, or it is not
		 * and r is -1 with its error. */
		int saved = errno;

		(void)sigprocmask(SIG_SETMASK, &saved_mask, NULL);
		if (r == -1) {
			errno = saved;
			return start_failed(d);
		}
		/* The daemon owns the pidfile, notify socket and fds now. */
		dz_pidfile_release(d, false);
		dz_notify_close(d);
		d->started = true;
		d->stopped = true;
		d->is_parent = true;
		return DAEMONIZE_PARENT;
	}
	/* 5. The daemon. */
	(void)become_daemon(d);
	d->started = true;
	d->owner = getpid();
	return 0;
}

/* ---- readiness and the end ----------------------------------------------- */

/* A process forked from the daemon after start inherits the context; it
 * must not claim readiness or failure for the service. */
bool
dz_not_owner(struct daemonize *d, const char *step)
{
	if (getpid() == d->owner)
		return false;
	(void)dz_error(d, step, EPERM, "not the process daemonize_start "
	    "returned in (pid %ld); a forked child cannot speak for the "
	    "daemon", (long)d->owner);
	return true;
}

DZ_PUBLIC int
daemonize_ready(struct daemonize *d)
{
	char msg[64];
	int r = 0;

	if (d == NULL || !d->started || d->is_parent)
		return dz_error(d, "ready", EINVAL,
		    "daemonize_start has not returned 0 in this process");
	if (dz_not_owner(d, "ready"))
		return -1;
	if (d->notify.fd >= 0) {
		/* MAINPID on the first READY lets a Type=forking unit with
		 * NotifyAccess=all know its main process. */
		if (!d->ready_sent)
			(void)snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%ld",
			    (long)getpid());
		else
			(void)snprintf(msg, sizeof(msg), "READY=1");
		if (dz_notify_send(d, msg) == -1)
			r = -1;
	}
	if (!d->ready_sent && d->notify_fd >= 0) {
		/* s6 and OpenRC: one newline, then the fd is closed. */
		ssize_t n;

		do
			n = write(d->notify_fd, "\n", 1);
		while (n == -1 && errno == EINTR);
		if (n != 1)
			r = dz_error(d, "ready", errno,
			    "notification fd %d", d->notify_fd);
		dz_close_quietly(d->notify_fd);
		d->notify_fd = -1;
	}
	if (d->status_fd >= 0) {
		/* EPIPE: the original process stopped waiting (its timeout
		 * passed, or it was killed).  The daemon is ready all the
		 * same and runs on; that is not a failure of ready. */
		if (dz_status_send(d->status_fd, DZ_REC_READY, 0, "", "") == -1 &&
		    errno != EPIPE)
			r = dz_error(d, "ready", errno,
			    "cannot tell the original process");
		dz_close_quietly(d->status_fd);
		d->status_fd = -1;
	}
	d->ready_sent = true;
	return r;
}

DZ_PUBLIC int
daemonize_fail(struct daemonize *d, int errnum, const char *fmt, ...)
{
	char msg[DZ_ERRLEN];
	va_list ap;
	int r = 0;

	if (d == NULL || fmt == NULL || errnum < 0)
		return dz_error(d, "fail", EINVAL, "bad arguments");
	if (!d->started || d->is_parent)
		return dz_error(d, "fail", EINVAL,
		    "daemonize_start has not returned 0 in this process");
	if (dz_not_owner(d, "fail"))
		return -1;
	va_start(ap, fmt);
	(void)dz_verror(d, "", errnum, fmt, ap);
	va_end(ap);
	if (d->notify.fd >= 0) {
		char *p;

		(void)snprintf(msg, sizeof(msg), "ERRNO=%d\nSTATUS=", errnum);
		/* One line: a newline in the message must not become a
		 * field of its own (READY=1, MAINPID=...). */
		p = msg + strlen(msg);
		append(msg, sizeof(msg), d->error);
		for (; *p != '\0'; p++)
			if (*p == '\n')
				*p = ' ';
		if (dz_notify_send(d, msg) == -1)
			r = -1;
	}
	if (d->status_fd >= 0) {
		/* The write end stays open: the original process waits for the
		 * EOF of our exit, so that no process is left when it reports
		 * the failure. */
		if (dz_status_send(d->status_fd, DZ_REC_ERROR, errnum, "",
		    d->error) == -1)
			r = -1;
	}
	errno = errnum;
	return r;
}

DZ_PUBLIC int
daemonize_stop(struct daemonize *d)
{
	if (d == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (!d->started || d->stopped) {
		d->stopped = true;
		return 0;
	}
	d->stopped = true;
	/* A worker forked from the daemon that frees its copy of the
	 * context only closes its descriptors: the service is not stopping,
	 * and the pidfile is removed only by its writer (pidfile.c). */
	if (d->notify.fd >= 0 && !d->stopping_sent && getpid() == d->owner)
		(void)daemonize_stopping(d);
	/* Removes the file if its name still maps to our locked inode and we
	 * are the process that wrote it; else truncates it. */
	dz_pidfile_release(d, true);
	return 0;
}

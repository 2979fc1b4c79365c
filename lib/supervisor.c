/*
 * supervisor.c - decide whether a supervisor runs us, and so the mode.
 *
 * Detection only reads: it consumes no environment variable and no fd,
 * so it can run any number of times before notify.c takes over
 * NOTIFY_SOCKET and LISTEN_*.  DESIGN.md section 6 gives the order:
 * markers that name our own pid are exact and come first, inherited
 * environment is a hint and comes later, and INVOCATION_ID and
 * JOURNAL_STREAM never count because they leak into login shells that a
 * systemd user session started.
 */
#include "internal.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether the environment variable name holds exactly our pid.  A value
 * that is not a strict decimal number never matches: a garbage marker is
 * not evidence of anything. */
static bool
env_names_us(const char *name)
{
	const char *v = getenv(name);
	unsigned long long pid;

	if (v == NULL || dz_parse_uint(v, (unsigned long long)INT32_MAX,
	    &pid) == -1)
		return false;
	return (pid_t)pid == getpid();
}

static bool
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0';
}

/* launchd answers ESRCH when this process is not one of its jobs; any
 * other answer (sockets, or ENOENT for a job without that socket name)
 * means it is.  Where the system has no launchd API to ask (ENOSYS) the
 * environment checked by launchd_job is all the evidence there is.  The
 * descriptors of a successful probe are not ours to keep here:
 * daemonize_listen_fds() asks again. */
static bool
launchd_manages_us(const struct daemonize *d)
{
	int *fds, saved = errno;
	size_t n, i;
	bool ours;

	if (dz_launchd_sockets(d->name, &fds, &n) == 0) {
		for (i = 0; i < n; i++)
			dz_close_quietly(fds[i]);
		free(fds);
		return true;
	}
	ours = errno != ESRCH;
	errno = saved;
	return ours;
}

static bool
launchd_job(const struct daemonize *d)
{
	const char *v = getenv("XPC_SERVICE_NAME");

	/* Terminal.app sets XPC_SERVICE_NAME=0 for shells, and processes
	 * started by launchd are children of pid 1. */
	if (v == NULL || *v == '\0' || strcmp(v, "0") == 0 || getppid() != 1)
		return false;
	return launchd_manages_us(d);
}

static bool
stdin_is_socket(void)
{
	struct stat st;

	return fstat(STDIN_FILENO, &st) == 0 && S_ISSOCK(st.st_mode);
}

static void
found(struct daemonize *d, const char *supervisor, const char *marker)
{
	d->supervisor = supervisor;
	d->marker = marker;
}

void
dz_supervisor_detect(struct daemonize *d)
{
	d->detected = true;
	d->supervisor = NULL;
	d->marker = NULL;

	/* A container's init: forking would leave pid 1 exiting and the
	 * container stopping with it. */
	if (getpid() == 1)
		found(d, "container", "pid 1");
	else if (env_names_us("LISTEN_PID"))
		found(d, "systemd", "LISTEN_PID");
	else if (env_names_us("SYSTEMD_EXEC_PID"))
		found(d, "systemd", "SYSTEMD_EXEC_PID");
	else if (env_names_us("WATCHDOG_PID"))
		found(d, "systemd", "WATCHDOG_PID");
	else if (env_nonempty("NOTIFY_SOCKET"))
		found(d, "systemd", "NOTIFY_SOCKET");
	else if (env_nonempty("SUPERVISOR_ENABLED"))
		found(d, "supervisord", "SUPERVISOR_ENABLED");
	else if (launchd_job(d))
		found(d, "launchd", "XPC_SERVICE_NAME");
	else if (stdin_is_socket())
		/* inetd, launchd's inetdCompatibility, systemd Accept=yes:
		 * the connection is the process's life, never detach. */
		found(d, "inetd", "stdin is a socket");
}

static void
forced(struct daemonize *d, int mode, const char *marker)
{
	d->mode = mode;
	d->detected = true;
	d->supervisor = "forced";
	d->marker = marker;
}

/*
 * Flags win over the environment, and the environment over detection, so
 * that a caller's explicit -f or -d always means what it says and a whole
 * deployment can still be switched without touching the command lines.
 * DAEMONIZE_MODE=foreground means "never detach" (supervised mode: the
 * pidfile, chroot and privilege drop still apply), not the debug mode of
 * DAEMONIZE_FOREGROUND that skips every step: an environment variable
 * must not silently turn off a configured privilege drop.
 */
int
dz_mode_choose(struct daemonize *d)
{
	const char *v;

	if (d->flags & DAEMONIZE_FOREGROUND) {
		/* Debug mode still speaks a supervisor's protocols, so the
		 * caller may want to know which one is there. */
		if (!d->detected)
			dz_supervisor_detect(d);
		d->mode = DAEMONIZE_MODE_FOREGROUND;
		return 0;
	}
	if (d->flags & DAEMONIZE_DETACH) {
		forced(d, DAEMONIZE_MODE_BACKGROUND, "DAEMONIZE_DETACH");
		return 0;
	}
	if (d->flags & DAEMONIZE_NO_DETACH) {
		forced(d, DAEMONIZE_MODE_SUPERVISED, "DAEMONIZE_NO_DETACH");
		return 0;
	}
	v = getenv("DAEMONIZE_MODE");
	if (v != NULL && strcmp(v, "foreground") == 0) {
		forced(d, DAEMONIZE_MODE_SUPERVISED,
		    "DAEMONIZE_MODE=foreground");
		return 0;
	}
	if (v != NULL && strcmp(v, "background") == 0) {
		forced(d, DAEMONIZE_MODE_BACKGROUND,
		    "DAEMONIZE_MODE=background");
		return 0;
	}
	if (v != NULL && *v != '\0' && strcmp(v, "auto") != 0)
		return dz_error(d, "mode", EINVAL, "DAEMONIZE_MODE=%.64s: "
		    "expected foreground, background or auto", v);
	/* Detection may have run already, on the caller's question or when
	 * daemonize_listen_fds consumed LISTEN_PID: its answer stands. */
	if (!d->detected)
		dz_supervisor_detect(d);
	d->mode = d->supervisor != NULL ? DAEMONIZE_MODE_SUPERVISED :
	    DAEMONIZE_MODE_BACKGROUND;
	return 0;
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
	if (!d->detected)
		dz_supervisor_detect(d);
	if (marker != NULL)
		*marker = d->marker;
	return d->supervisor;
}

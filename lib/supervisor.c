/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * supervisor.c - decide whether a supervisor runs us, and so the mode.
 *
 * Detection only reads: it consumes no environment variable and no fd,
 * so it can run any number of times before the notify step takes over
 * NOTIFY_SOCKET and LISTEN_*.  The order: markers that name our own pid
 * are exact and come first, inherited environment is a hint and comes
 * later, and INVOCATION_ID and JOURNAL_STREAM never count because they
 * leak into login shells that a systemd user session started.  Every
 * supervisor found means the same thing (do not fork); the order only
 * decides which name is reported, so the most specific comes first.
 */
#include "supervisor.h"
#include "compat.h"
#include "daemonize.h"	/* the DAEMONIZE_MODE_ constants only */

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* det->supervisor when the mode was imposed rather than detected. */
static const char forced_name[] = "forced";

/* Whether the environment variable name holds exactly our pid.  A value
 * that is not a strict decimal number never matches: a garbage marker is
 * not evidence of anything. */
static bool
env_names_us(const char *name)
{
	const char *v;
	unsigned long long pid;

	v = getenv(name);
	if (v == NULL || dz_parse_uint(v, (unsigned long long)INT32_MAX,
	    &pid) == -1)
		return false;
	return (pid_t)pid == getpid();
}

static bool
env_nonempty(const char *name)
{
	const char *v;

	v = getenv(name);
	return v != NULL && *v != '\0';
}

/* launchd answers ESRCH when this process is not one of its jobs; any
 * other answer (sockets, or ENOENT for a job without that socket name)
 * means it is.  Where the system has no launchd API to ask (ENOSYS) the
 * environment checked by launchd_job is all the evidence there is.  The
 * descriptors of a successful probe are not ours to keep here:
 * daemonize_listen_fds() asks again. */
static bool
launchd_manages_us(const char *name)
{
	int *fds, saved = errno;
	size_t n, i;
	bool ours;

	if (dz_launchd_sockets(name, &fds, &n) == 0) {
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
launchd_job(const char *name)
{
	const char *v;

	/* Terminal.app sets XPC_SERVICE_NAME=0 for shells, and processes
	 * started by launchd are children of pid 1. */
	v = getenv("XPC_SERVICE_NAME");
	if (v == NULL || *v == '\0' || strcmp(v, "0") == 0 || getppid() != 1)
		return false;
	return launchd_manages_us(name);
}

static bool
stdin_is_socket(void)
{
	struct stat st;

	/* A connection to the system logger on fd 0 is a server's own
	 * openlog() that ran while stdin was closed, not inetd's client. */
	return fstat(STDIN_FILENO, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    !dz_is_logger_socket(STDIN_FILENO);
}

static void
found(struct dz_detection *det, const char *supervisor, const char *marker)
{
	det->supervisor = supervisor;
	det->marker = marker;
}

void
dz_supervisor_detect(struct dz_detection *det, const char *name)
{
	/* Once done the answer stands: detection may have run on the
	 * caller's question, or before daemonize_listen_fds consumed
	 * LISTEN_PID, which it could no longer see. */
	if (det->done)
		return;
	det->done = true;
	det->supervisor = NULL;
	det->marker = NULL;

	/* A container's init: forking would leave pid 1 exiting and the
	 * container stopping with it. */
	if (getpid() == 1)
		found(det, "container", "pid 1");
	else if (env_names_us("LISTEN_PID"))
		found(det, "systemd", "LISTEN_PID");
	else if (env_names_us("SYSTEMD_EXEC_PID"))
		found(det, "systemd", "SYSTEMD_EXEC_PID");
	else if (env_names_us("WATCHDOG_PID"))
		found(det, "systemd", "WATCHDOG_PID");
	else if (env_nonempty("NOTIFY_SOCKET"))
		found(det, "systemd", "NOTIFY_SOCKET");
	else if (env_nonempty("SUPERVISOR_ENABLED"))
		found(det, "supervisord", "SUPERVISOR_ENABLED");
	else if (launchd_job(name))
		found(det, "launchd", "XPC_SERVICE_NAME");
	else if (stdin_is_socket())
		/* inetd, launchd's inetdCompatibility, systemd Accept=yes:
		 * the connection is the process's life, never detach. */
		found(det, "inetd", "stdin is a socket");
	else if (getppid() == 1)
		/* A minimal init runs us: tini, dumb-init, docker --init, an
		 * inittab respawn entry.  Forking would make it think we
		 * exited (and respawn us, or stop the container).  Last,
		 * because systemd and launchd are pid 1 too and their own
		 * markers name them better.  A process orphaned before it
		 * started (the kernel reparents it to pid 1 when its parent
		 * dies) looks the same and then simply does not fork: it is
		 * already detached from its parent, so nothing is lost. */
		found(det, "init", "parent is pid 1");
}

/* Detection whose answer is not an earlier "forced" (of a previous
 * choice): that one says nothing about the supervisor. */
static void
detect_real(struct dz_detection *det, const char *name)
{
	if (det->done && det->supervisor == forced_name)
		det->done = false;
	dz_supervisor_detect(det, name);
}

/* An imposed mode.  The protocols of a supervisor that is really there
 * (the notify socket) are spoken in every mode, so daemonize_supervisor
 * keeps naming it; "forced" only when there is none. */
static void
forced(struct dz_detection *det, const char *name, const char *marker)
{
	detect_real(det, name);
	if (det->supervisor == NULL)
		found(det, forced_name, marker);
}

/*
 * The caller's request wins over the environment, and the environment
 * over detection, so that a caller's explicit choice (a -f or -d on its
 * command line) always means what it says and a whole deployment can
 * still be switched without touching the command lines.
 * DAEMONIZE_MODE=foreground means "never detach": the pidfile, chroot and
 * privilege drop still apply; an environment variable must not silently
 * turn off a configured privilege drop.
 */
int
dz_mode_choose(int requested, struct dz_detection *det, const char *name,
    int *mode, struct dz_err *e)
{
	const char *v;

	switch (requested) {
	case DAEMONIZE_MODE_BACKGROUND:
	case DAEMONIZE_MODE_FOREGROUND:
		forced(det, name, "daemonize_set_mode");
		*mode = requested;
		return 0;
	case DAEMONIZE_MODE_AUTO:
		break;
	default:
		return dz_fail(e, "mode", EINVAL, "mode %d: expected "
		    "DAEMONIZE_MODE_AUTO, _BACKGROUND or _FOREGROUND",
		    requested);
	}
	v = getenv("DAEMONIZE_MODE");
	if (v != NULL && strcmp(v, "foreground") == 0) {
		forced(det, name, "DAEMONIZE_MODE=foreground");
		*mode = DAEMONIZE_MODE_FOREGROUND;
		return 0;
	}
	if (v != NULL && strcmp(v, "background") == 0) {
		forced(det, name, "DAEMONIZE_MODE=background");
		*mode = DAEMONIZE_MODE_BACKGROUND;
		return 0;
	}
	if (v != NULL && *v != '\0' && strcmp(v, "auto") != 0)
		return dz_fail(e, "mode", EINVAL, "DAEMONIZE_MODE=%.64s: "
		    "expected foreground, background or auto", v);
	detect_real(det, name);
	*mode = det->supervisor != NULL ? DAEMONIZE_MODE_FOREGROUND :
	    DAEMONIZE_MODE_BACKGROUND;
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * daemonize.h - turn a server into a correct Unix daemon with one call.
 *
 * One opaque context, configured with setters, then, in the order a server
 * calls them:
 *
 *	d = daemonize_new("name");          configure with daemonize_set_*
 *	daemonize_lock(d);                  fds 0-2 valid, pidfile locked:
 *	                                    "already running, pid N"
 *	bind the listening sockets; daemonize_keep_fd(d, fd);
 *	daemonize_start(d);                 DAEMONIZE_PARENT in the original
 *	                                    process once the daemon is ready
 *	initialise; daemonize_ready(d);     or daemonize_fail(d, errno, ...)
 *	loop on daemonize_signal_fd(d) and the work fds
 *	daemonize_stop(d); daemonize_free(d);
 *
 * Every function returns 0 (or a count, a state or a descriptor) on success
 * and -1 with errno set on failure; daemonize_new returns NULL with errno.
 * The text of the last failure (which step, why, which path) is kept in
 * the context and read with daemonize_error().  The library never prints,
 * never logs and never calls exit() in the caller's original process.
 * See libdaemonize(3).
 */
#ifndef DAEMONIZE_H
#define DAEMONIZE_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header.  An addition bumps the minor number and adds
 * a new symbol version node; the major number is the soname's. */
#define DAEMONIZE_VERSION_MAJOR 1
#define DAEMONIZE_VERSION_MINOR 0
#define DAEMONIZE_VERSION_PATCH 0

#if defined(__GNUC__) && __GNUC__ >= 4
#define DAEMONIZE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DAEMONIZE_PRINTF(f, a)
#endif

struct daemonize;

/* daemonize_start() returns this in the original process once the daemon
 * is ready; the daemon, and a process in foreground mode, get 0. */
#define DAEMONIZE_PARENT 1

/* Modes, for daemonize_set_mode() and daemonize_mode(). */
#define DAEMONIZE_MODE_AUTO       0 /* background unless supervised */
#define DAEMONIZE_MODE_BACKGROUND 1 /* double fork, setsid, stdio moved */
#define DAEMONIZE_MODE_FOREGROUND 2 /* no fork, stdio untouched; every
                                       configured step still applied */

/* Options for daemonize_set_flags(). */
#define DAEMONIZE_KEEP_SIGPIPE 0x0001u /* leave SIGPIPE at its default */

/* What daemonize_pidfile_state() found. */
#define DAEMONIZE_PIDFILE_NOT_RUNNING 0 /* no file, or nobody holds its lock */
#define DAEMONIZE_PIDFILE_RUNNING     1 /* locked, the pid verified as the
                                           process that holds it */
#define DAEMONIZE_PIDFILE_STARTING    2 /* locked, no pid in it yet (or
                                           no longer: stopping) */
#define DAEMONIZE_PIDFILE_UNVERIFIED  3 /* locked, but the pid in it cannot
                                           be shown to be the holder */

/* The context. */
struct daemonize *daemonize_new(const char *name);
void daemonize_free(struct daemonize *d);
const char *daemonize_error(const struct daemonize *d);

/* Configuration, before daemonize_lock(): the last call of a setter wins,
 * and NULL (or -1 for a descriptor) clears it.  EBUSY afterwards. */
int daemonize_set_mode(struct daemonize *d, int mode);
int daemonize_set_flags(struct daemonize *d, unsigned int flags);
int daemonize_set_pidfile(struct daemonize *d, const char *path);
int daemonize_set_runtime_dir(struct daemonize *d, const char *path);
int daemonize_set_output(struct daemonize *d, const char *path);
int daemonize_set_user(struct daemonize *d, const char *user,
    const char *group);
int daemonize_set_chroot(struct daemonize *d, const char *path);
int daemonize_set_jail(struct daemonize *d, const char *jail);
int daemonize_set_workdir(struct daemonize *d, const char *path);
int daemonize_set_umask(struct daemonize *d, mode_t mask);
int daemonize_set_timeout(struct daemonize *d, unsigned int milliseconds);
int daemonize_set_notify_fd(struct daemonize *d, int fd);
int daemonize_set_reexec(struct daemonize *d, char *const argv[]);
/* Lists: each call adds one; until daemonize_start(), so that a socket
 * bound after daemonize_lock() can be kept. */
int daemonize_keep_fd(struct daemonize *d, int fd);
int daemonize_add_signal(struct daemonize *d, int signo);

/* Startup and lifetime. */
int daemonize_lock(struct daemonize *d);
int daemonize_start(struct daemonize *d);
int daemonize_ready(struct daemonize *d);
int daemonize_fail(struct daemonize *d, int errnum, const char *fmt, ...)
    DAEMONIZE_PRINTF(3, 4);
int daemonize_stop(struct daemonize *d);
int daemonize_reopen_output(struct daemonize *d);
int daemonize_exec(struct daemonize *d, const char *path, char *const argv[]);

/* What was decided. */
int daemonize_mode(const struct daemonize *d);
const char *daemonize_supervisor(struct daemonize *d, const char **marker);

/* Signals: one descriptor to poll, and the next pending signal (waiting up
 * to timeout_ms: 0 returns at once, -1 waits for ever). */
int daemonize_signal_fd(const struct daemonize *d);
int daemonize_next_signal(struct daemonize *d, int timeout_ms);

/* Messages to a supervisor (systemd's notify protocol; no-ops without
 * one), and its socket-activated descriptors. */
int daemonize_notify(struct daemonize *d, const char *fmt, ...)
    DAEMONIZE_PRINTF(2, 3);
int daemonize_notify_status(struct daemonize *d, const char *fmt, ...)
    DAEMONIZE_PRINTF(2, 3);
int daemonize_notify_reloading(struct daemonize *d);
uint64_t daemonize_watchdog_usec(const struct daemonize *d);
int daemonize_listen_fds(struct daemonize *d, const int **fds,
    const char *const **names);

/* Another process's view of a running instance, through the pidfile
 * configured in d: never acts on a pid it could not verify. */
int daemonize_pidfile_state(struct daemonize *d, pid_t *pid);
int daemonize_pidfile_signal(struct daemonize *d, int signo);
int daemonize_pidfile_terminate(struct daemonize *d, int signo,
    unsigned int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* DAEMONIZE_H */

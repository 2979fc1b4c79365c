/*
 * daemonize.h - turn a server into a correct Unix daemon with one call.
 *
 * One opaque context, configured with setters, then daemonize_start().
 * Every function returns 0 (or a count, or a pid) on success and -1 with
 * errno set on failure; the text of the last failure (which step, why,
 * which path) is kept in the context and read with daemonize_error().
 * The library never prints, never logs and never calls exit() in the
 * caller's original process.  See libdaemonize(3).
 */
#ifndef DAEMONIZE_H
#define DAEMONIZE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define DAEMONIZE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DAEMONIZE_PRINTF(f, a)
#endif

struct daemonize;

/* daemonize_start() returns this in the original process once the daemon
 * is ready; the daemon (and a foreground or supervised process) gets 0. */
#define DAEMONIZE_PARENT 1

/* Flags for daemonize_set_flags(). */
#define DAEMONIZE_FOREGROUND   0x0001u /* debug: skip every startup step */
#define DAEMONIZE_NO_DETACH    0x0002u /* never fork, as under a supervisor */
#define DAEMONIZE_DETACH       0x0004u /* always fork, ignore supervisors */
#define DAEMONIZE_KEEP_SIGPIPE 0x0008u /* leave SIGPIPE at its default */

/* Values of daemonize_mode(). */
#define DAEMONIZE_MODE_NONE        0 /* daemonize_start() not called yet */
#define DAEMONIZE_MODE_BACKGROUND  1 /* detached: double fork, setsid */
#define DAEMONIZE_MODE_FOREGROUND  2 /* debug: nothing done */
#define DAEMONIZE_MODE_SUPERVISED  3 /* no fork; pidfile, chroot, privs */

/* Context. */
struct daemonize *daemonize_new(const char *name);
void daemonize_free(struct daemonize *d);
const char *daemonize_error(const struct daemonize *d);

/* Configuration; call before daemonize_start(). */
int daemonize_set_flags(struct daemonize *d, unsigned int flags);
int daemonize_set_pidfile(struct daemonize *d, const char *path);
int daemonize_set_output(struct daemonize *d, const char *path);
int daemonize_keep_fd(struct daemonize *d, int fd);
int daemonize_set_umask(struct daemonize *d, mode_t mask);
int daemonize_set_workdir(struct daemonize *d, const char *path);
int daemonize_set_timeout(struct daemonize *d, unsigned int milliseconds);
int daemonize_set_user(struct daemonize *d, const char *user,
    const char *group);
int daemonize_set_chroot(struct daemonize *d, const char *path);
int daemonize_set_jail(struct daemonize *d, const char *jail);
int daemonize_set_notify_fd(struct daemonize *d, int fd);
int daemonize_add_signal(struct daemonize *d, int signo);

/* Startup and lifetime. */
int daemonize_start(struct daemonize *d);
int daemonize_ready(struct daemonize *d);
int daemonize_fail(struct daemonize *d, int errnum, const char *fmt, ...)
    DAEMONIZE_PRINTF(3, 4);
int daemonize_stop(struct daemonize *d);
int daemonize_reopen_output(struct daemonize *d);

/* What daemonize_start() decided. */
int daemonize_mode(const struct daemonize *d);
const char *daemonize_supervisor(struct daemonize *d, const char **marker);

/* Signals: one fd to poll, the next pending signal, or a blocking wait. */
int daemonize_signal_fd(const struct daemonize *d);
int daemonize_next_signal(struct daemonize *d);
int daemonize_wait_signal(struct daemonize *d, int timeout_ms);

/* Supervisor protocols (systemd notify, socket activation). */
int daemonize_status(struct daemonize *d, const char *fmt, ...)
    DAEMONIZE_PRINTF(2, 3);
int daemonize_reloading(struct daemonize *d);
int daemonize_stopping(struct daemonize *d);
int daemonize_watchdog(struct daemonize *d);
uint64_t daemonize_watchdog_interval(const struct daemonize *d);
int daemonize_listen_fds(struct daemonize *d, const int **fds,
    const char *const **names);

/* Controlling a running daemon through its pidfile (no context needed). */
pid_t daemonize_pidfile_running(const char *path);
int daemonize_pidfile_kill(const char *path, int signo);
int daemonize_pidfile_stop(const char *path, int signo,
    unsigned int timeout_ms);

/* Single steps, for callers who need a different order. */
int daemonize_close_fds(int lowfd, const int *keep, size_t nkeep);

#ifdef __cplusplus
}
#endif

#endif /* DAEMONIZE_H */

/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * compat.h - what differs between platforms, behind one name each.
 *
 * One function per file in lib/compat/, each choosing its implementation
 * from config.h features (HAVE_CLOSE_RANGE), never from OS names.  Where a
 * platform lacks a feature the function fails with ENOSYS; it is never a
 * silent no-op.  These files include only this header (and so util.h).
 */
#ifndef DZ_COMPAT_H
#define DZ_COMPAT_H

#include "util.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <signal.h>
#include <stdbool.h>

/* Highest signal number + 1, a constant (it sizes arrays): NSIG is not
 * in every C library's <signal.h> (nor in POSIX), _NSIG stands in for it
 * in some, else 65 (Linux's 64 signals + 1).  The self-pipe (signals.c)
 * carries a signal as one byte. */
#if defined(NSIG)
#define DZ_NSIG NSIG
#elif defined(_NSIG)
#define DZ_NSIG _NSIG
#else
#define DZ_NSIG 65
#endif
#if DZ_NSIG > 256
#error "signal numbers do not fit in one byte of the self-pipe"
#endif

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0  /* no SIGPIPE on datagram sockets there anyway */
#endif

/* Close every open fd in [first, last] at a cost that follows the number
 * of open fds: close_range(2), /proc/self/fd, closefrom(3), a loop. */
int dz_close_range(unsigned int first, unsigned int last);
/* Become a subreaper: 1 made one, 0 already one (do not release), -1
 * with ENOSYS where there is no such notion. */
int dz_reaper_acquire(void);
int dz_reaper_release(void);
/* Attach to (or create) a FreeBSD jail; ENOSYS elsewhere.  jail NULL:
 * probe, 0 where jails exist.  err receives a reason. */
int dz_jail_enter(const char *jail, const char *path, char *err,
    size_t errlen);
/* getgrouplist with gid_t arrays also where libc takes int (macOS). */
int dz_getgrouplist(const char *user, gid_t gid, gid_t *groups,
    int *ngroups);
/* pipe2(fds, O_CLOEXEC | flags), flags 0 or O_NONBLOCK; pipe + fcntl
 * where there is no pipe2. */
int dz_pipe_cloexec(int fds[2], int flags);
/* Real, effective and saved id all set to id; *call names the call used. */
int dz_setresuid(uid_t id, const char **call);
int dz_setresgid(gid_t id, const char **call);
/* getres*id; ENOSYS where there is none (macOS). */
int dz_getresuid(uid_t *r, uid_t *e, uid_t *s);
int dz_getresgid(gid_t *r, gid_t *e, gid_t *s);
/* The fds of launchd's Sockets entry name (*fds malloc'ed); ESRCH not a
 * launchd job, ENOENT no such entry, ENOSYS no launchd. */
int dz_launchd_sockets(const char *name, int **fds, size_t *n);
/* Number of threads of this process, or -1 with ENOSYS where the system
 * cannot tell (Linux /proc/self/task, FreeBSD kinfo). */
int dz_thread_count(void);
/* The path of the running executable (Linux /proc/self/exe, FreeBSD
 * KERN_PROC_PATHNAME, macOS _NSGetExecutablePath); ENOSYS elsewhere. */
int dz_executable_path(char *buf, size_t len);
/* Whether a system-logger connection: fd is an AF_UNIX socket connected
 * to the system logger (/dev/log, /var/run/log, /var/run/syslog). */
int dz_is_logger_socket(int fd);
/* pidfd_open(pid, 0) and pidfd_send_signal(pidfd, signo, NULL, 0): -1
 * with ENOSYS where the system has no pidfds (all but Linux 5.3). */
int dz_pidfd_open(pid_t pid);
int dz_pidfd_send_signal(int pidfd, int signo);
/* libbsd's pidfile_open, locked, its fd duplicated close-on-exec >= 3 and
 * libbsd's handle closed; *what names the failed call.  -1 with ENOSYS
 * when the build has no libbsd.  path NULL: probe, 0 with libbsd. */
int dz_libbsd_pidfile_open(const char *path, mode_t mode, int *fdp,
    const char **what);
/* Whether err is how an O_NOFOLLOW open refuses a symlink: ELOOP, EMLINK
 * (FreeBSD), EFTYPE (NetBSD). */
bool dz_errno_is_symlink_refusal(int err);
/* socket(domain, type | SOCK_CLOEXEC, 0); socket + fcntl where there is
 * no SOCK_CLOEXEC. */
int dz_socket_cloexec(int domain, int type);
/* Signals that report a fault of the process (SIGSEGV ... and SIGSYS,
 * SIGTRAP where they exist): their name, NULL for any other signal. */
const char *dz_signal_fault_name(int signo);
bool dz_signal_reports_fault(int signo);
/* Signals whose default action ignores them (SIGCHLD, SIGCONT, SIGURG,
 * SIGWINCH where it exists). */
bool dz_signal_default_discards(int signo);

#endif /* DZ_COMPAT_H */

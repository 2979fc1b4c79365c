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

#endif /* DZ_COMPAT_H */

/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * pidfile.h - the locked pidfile of a daemon, and the readers that
 * control a running instance through it.
 */
#ifndef DZ_PIDFILE_H
#define DZ_PIDFILE_H

#include "util.h"
#include "trust.h"

#include <sys/types.h>

struct dz_pidfile {
	char *path;		/* absolute; NULL: no pidfile */
	char *runtime_dir;	/* created for the target user; NULL: none */
	int fd;			/* locked, close-on-exec; -1 when none */
	dev_t dev;		/* the inode we locked: unlinked only while */
	ino_t ino;		/* the path still names it */
	pid_t written_by;	/* pid written into it; 0 before */
	bool created;		/* this open created the file */
};

void dz_pidfile_init(struct dz_pidfile *pf);
void dz_pidfile_clear(struct dz_pidfile *pf);	/* close, free paths */
/* Create the runtime directory (owner uid:gid when root, 0755) if
 * configured and missing: only its last component, in a trusted parent.
 * An existing one must be a directory, not a symlink, owned by a trusted
 * user or uid.  uid/gid (uid_t)-1/(gid_t)-1: keep ours. */
int dz_runtime_dir_make(struct dz_pidfile *pf, const struct dz_owners *o,
    uid_t uid, gid_t gid, struct dz_err *e);
/* Open and lock: EEXIST "already running, pid N" when held.  The
 * directory must be trusted (trust.h); where anyone but root and the
 * effective user can write it, the own O_NOFOLLOW code is used, never
 * libbsd's.  An existing file must be regular, with one link and a
 * trusted owner (EINVAL, EMLINK, EPERM). */
int dz_pidfile_open(struct dz_pidfile *pf, const struct dz_owners *o,
    struct dz_err *e);
/* Re-exec after detach: the new image adopts the inherited locked
 * descriptor (the path must still name it); the old one exports it
 * (clears close-on-exec; its number, or -1). */
int dz_pidfile_adopt(struct dz_pidfile *pf, int fd, const struct dz_owners *o,
    struct dz_err *e);
int dz_pidfile_export(struct dz_pidfile *pf);
/* "PID\n" of getpid() into the locked descriptor. */
int dz_pidfile_write(struct dz_pidfile *pf, struct dz_err *e);
/* Close; with remove, unlink while the path names our inode and we wrote
 * it (or created it and wrote nothing), else truncate.  Keeps errno. */
void dz_pidfile_release(struct dz_pidfile *pf, bool remove);
/* Close; remove a file we created only if no other process holds it. */
void dz_pidfile_release_unless_held(struct dz_pidfile *pf);
/* Readers: DAEMONIZE_PIDFILE_* or -1 (EPERM for a file owned by an
 * untrusted user); never act on an unverified pid.  RUNNING only once
 * the pid is shown to have the file open (Linux /proc/PID/fd; elsewhere a
 * held file is UNVERIFIED).  *pid: the pid for RUNNING and UNVERIFIED, 0
 * otherwise.  signal: -1 with ESRCH (not running), EAGAIN (starting),
 * EPERM (unverified); through a pidfd where there are pidfds.
 * terminate: signo 0 is SIGTERM; waits up to timeout_ms (0: no wait)
 * for a holder still starting up to write its pid (else EAGAIN), then
 * until the process is gone, ETIMEDOUT otherwise; 0 when not running. */
int dz_pidfile_state(const char *path, const struct dz_owners *o,
    pid_t *pid, struct dz_err *e);
int dz_pidfile_signal(const char *path, const struct dz_owners *o,
    int signo, struct dz_err *e);
int dz_pidfile_terminate(const char *path, const struct dz_owners *o,
    int signo, unsigned int timeout_ms, struct dz_err *e);

#endif /* DZ_PIDFILE_H */

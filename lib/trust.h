/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * trust.h - which files and directories the library may write, follow or
 * believe (libdaemonize(3), SECURITY).
 *
 * A pidfile or log in a directory that another user can write is a
 * weapon: a symlink or hard link planted there redirects root's writes.
 * So a directory is trusted only if it is owned by root, the effective
 * user or the daemon's target user, and not writable by anyone else (no
 * group or other write permission, except a sticky directory owned by
 * root, as /tmp: see trust.c for the exact rule); an existing file only
 * if it is a regular file with one link, owned by one of those users.
 */
#ifndef DZ_TRUST_H
#define DZ_TRUST_H

#include "util.h"

#include <sys/stat.h>

/* The users whose files and directories we trust: root and the effective
 * user always, the daemon's target user when one is configured. */
struct dz_owners {
	uid_t euid;
	bool has_target;
	uid_t target;
};

void dz_owners_init(struct dz_owners *o, bool has_target, uid_t target);
bool dz_owner_trusted(const struct dz_owners *o, uid_t uid);
/* The directory that holds path (its parent, symlinks resolved) is
 * trusted; else EPERM (ENOTDIR, or stat's errno).  step and what
 * ("pidfile", "log file") name it in the message.  A root-owned sticky
 * directory passes: ask dz_parent_dir_writable_by_others next. */
int dz_trust_parent_dir(const struct dz_owners *o, const char *path,
    const char *step, const char *what, struct dz_err *e);
/* Whether the directory holding path can be written by a user other
 * than root and the effective user (the target user counts as other):
 * the own O_NOFOLLOW code must then be used instead of libbsd's. */
int dz_parent_dir_writable_by_others(const char *path, bool *others);
/* An opened (or lstat'ed) file: regular (else EINVAL), one link (else
 * EMLINK), trusted owner (else EPERM). */
int dz_trust_file(const struct dz_owners *o, const struct stat *st,
    const char *path, const char *step, const char *what, struct dz_err *e);

#endif /* DZ_TRUST_H */

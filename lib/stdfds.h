/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * stdfds.h - descriptors 0, 1 and 2: valid before anything else is opened,
 * stdin on /dev/null in the daemon, stdout and stderr on the log file (or
 * /dev/null) only once the daemon is ready, so that what it writes while
 * it initialises reaches the terminal that started it.
 */
#ifndef DZ_STDFDS_H
#define DZ_STDFDS_H

#include "util.h"
#include "trust.h"

struct dz_output {
	char *path;	/* the log file; NULL: /dev/null (or journal) */
	int fd;		/* opened before chroot and the drop, -1 before */
	bool keep_journal; /* fds 1-2 are systemd's journal stream: keep */
	bool created;	/* dz_output_open created the file */
};

void dz_output_init(struct dz_output *out);
void dz_output_clear(struct dz_output *out);	/* close, free the path */
/* Make fds 0-2 valid: /dev/null (verified to be the null device, never
 * created) onto any closed one. */
int dz_stdio_sanitize(struct dz_err *e);
/* Daemon, right after the fork: stdin from /dev/null. */
int dz_stdio_stdin_null(struct dz_err *e);
/* Open the log (append, O_NOFOLLOW, trust rules, created owned by the
 * target user so that it can be reopened after the drop), or /dev/null.
 * Before chroot.  owner: uid/gid to give a file we create (-1: keep). */
int dz_output_open(struct dz_output *out, const struct dz_owners *trust,
    uid_t owner, gid_t owner_group, struct dz_err *e);
/* A failed start: remove the log file dz_output_open created, if it is
 * still empty and the path still names it; then close it. */
void dz_output_discard(struct dz_output *out);
/* At ready: stdout and stderr onto the opened output. */
int dz_output_install(struct dz_output *out, struct dz_err *e);
/* On request (SIGHUP, logrotate): open the path again, then install. */
int dz_output_reopen(struct dz_output *out, const struct dz_owners *trust,
    struct dz_err *e);

#endif /* DZ_STDFDS_H */

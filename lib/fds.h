/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * fds.h - closing inherited descriptors in the daemon.
 */
#ifndef DZ_FDS_H
#define DZ_FDS_H

#include "util.h"

#include <stddef.h>

/* A growable list of descriptors (the caller's keep-list). */
struct dz_fdlist {
	int *fd;
	size_t n, cap;
};

void dz_fdlist_clear(struct dz_fdlist *l);
int dz_fdlist_add(struct dz_fdlist *l, int fd);	/* -1 ENOMEM; no repeats */
bool dz_fdlist_has(const struct dz_fdlist *l, int fd);
/* Close every fd >= 3 but those in keep[] and the connections to the
 * system logger, at a cost that follows the number of open fds. */
int dz_fds_sweep(const int *keep, size_t nkeep, struct dz_err *e);

#endif /* DZ_FDS_H */

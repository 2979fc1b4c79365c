/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * confine.h - chroot (or a FreeBSD jail) and the working directory.
 */
#ifndef DZ_CONFINE_H
#define DZ_CONFINE_H

#include "util.h"

struct dz_confine {
	char *root;		/* chroot directory, absolute; NULL: none */
	char *jail;		/* FreeBSD jail name or id; NULL: none */
	char *workdir;		/* inside the new root; NULL: "/" */
};

void dz_confine_clear(struct dz_confine *c);
int dz_confine_set_jail(struct dz_confine *c, const char *jail,
    struct dz_err *e);
int dz_confine_set_workdir(struct dz_confine *c, const char *path,
    struct dz_err *e);
/* Before the fork: the directories exist. */
int dz_confine_check(const struct dz_confine *c, struct dz_err *e);
/* In the daemon: chroot/jail, chdir; detached: chdir "/" by default. */
int dz_confine_enter(const struct dz_confine *c, bool detached,
    struct dz_err *e);

#endif /* DZ_CONFINE_H */

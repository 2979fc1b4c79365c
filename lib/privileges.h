/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * privileges.h - the user and group the daemon runs as.
 */
#ifndef DZ_PRIVILEGES_H
#define DZ_PRIVILEGES_H

#include "util.h"

#include <sys/types.h>

struct dz_identity {
	char *user;		/* as configured: name or number, or NULL */
	char *group;		/* as configured: name or number, or NULL */
	bool resolved;
	uid_t uid;
	gid_t gid;
	gid_t *groups;		/* supplementary groups to set */
	int ngroups;
};

/* Replace the configuration (both at once: the last call wins). */
int dz_identity_set(struct dz_identity *id, const char *user,
    const char *group, struct dz_err *e);
void dz_identity_clear(struct dz_identity *id);
bool dz_identity_configured(const struct dz_identity *id);
/* In the original process, before chroot: names to ids, group list;
 * EPERM when the drop would need root and we are not. */
int dz_privileges_resolve(struct dz_identity *id, struct dz_err *e);
/* In the daemon: setgroups, setresgid, setresuid, then verify. */
int dz_privileges_drop(struct dz_identity *id, struct dz_err *e);
int dz_privileges_verify(const struct dz_identity *id, struct dz_err *e);
/* Only the configured user's uid (for the pidfile readers' trust). */
int dz_identity_uid(const struct dz_identity *id, uid_t *uid,
    struct dz_err *e);

#endif /* DZ_PRIVILEGES_H */

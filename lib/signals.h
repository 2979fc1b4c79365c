/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * signals.h - the handled signals, delivered through a self-pipe.
 *
 * Handlers are per process, so the installed state is process-global and
 * belongs to one owner (the context, passed as an opaque token).
 */
#ifndef DZ_SIGNALS_H
#define DZ_SIGNALS_H

#include "util.h"

#include <signal.h>

struct dz_signals {
	sigset_t set;		/* SIGHUP, SIGTERM, SIGINT + added */
	bool keep_sigpipe;	/* else SIGPIPE is ignored */
};

void dz_signals_init(struct dz_signals *s);
int dz_signals_add(struct dz_signals *s, int signo, struct dz_err *e);
/* Daemon after the fork: every disposition to default, mask = the set. */
int dz_signals_reset(const struct dz_signals *s, struct dz_err *e);
/* Before the fork: block the set; *old for the original to restore. */
int dz_signals_block(const struct dz_signals *s, sigset_t *old,
    struct dz_err *e);
/* Create the self-pipe (above fd 2, before the fd sweep keeps it);
 * fds[0..1] receive its ends for the keep-list. */
int dz_signals_open(const void *owner, int fds[2], struct dz_err *e);
/* Handlers in place, then the set unblocked. */
int dz_signals_install(const struct dz_signals *s, const void *owner,
    struct dz_err *e);
/* The old actions back, the pipe closed; no-op for another owner. */
void dz_signals_uninstall(const void *owner);
int dz_signals_fd(const void *owner);
/* Next pending signal, 0 none within timeout_ms (-1 for ever), -1. */
int dz_signals_next(const void *owner, int timeout_ms, struct dz_err *e);

#endif /* DZ_SIGNALS_H */

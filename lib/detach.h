/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * detach.h - the double fork and the status pipe that carries the
 * daemon's READY or ERROR record back to the original process.
 */
#ifndef DZ_DETACH_H
#define DZ_DETACH_H

#include "util.h"

#include <signal.h>

struct dz_handshake {
	int status_fd;		/* the daemon's write end; -1 elsewhere */
	pid_t daemon_pid;	/* in the original process, once known */
	bool left_running;	/* a failed start left the daemon alive */
};

void dz_handshake_init(struct dz_handshake *h);
/* Fork twice with setsid between.  DAEMONIZE_PARENT in the original
 * process once the daemon is ready; -1 there with the daemon's error; 0
 * in the daemon.  timeout_ms 0: wait for ever; it bounds every wait. */
int dz_detach(struct dz_handshake *h, unsigned int timeout_ms,
    const sigset_t *caller_mask, struct dz_err *e);
/* In the daemon: READY (closes the pipe), or an ERROR record (the pipe
 * stays open: the original process waits for our exit). */
int dz_handshake_ready(struct dz_handshake *h, struct dz_err *e);
int dz_handshake_error(struct dz_handshake *h, int errnum, const char *msg);
/* In the daemon, a failed startup step: ERROR record, then _exit(1). */
void dz_handshake_abort(struct dz_handshake *h, int errnum, const char *msg)
    __attribute__((noreturn));
/* Inherit the write end across exec (re-exec): its number, or -1. */
int dz_handshake_export(struct dz_handshake *h);
/* In the daemon, just before it execs a program (daemonize_exec): the
 * original process takes the exec's EOF as readiness.  0 without a pipe. */
int dz_handshake_exec(struct dz_handshake *h, struct dz_err *e);
/* The new image after a re-exec: the inherited write end is ours. */
int dz_handshake_adopt(struct dz_handshake *h, int fd, struct dz_err *e);
void dz_handshake_close(struct dz_handshake *h);

#endif /* DZ_DETACH_H */

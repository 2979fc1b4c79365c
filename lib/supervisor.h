/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * supervisor.h - is a supervisor running us, and so which mode.
 */
#ifndef DZ_SUPERVISOR_H
#define DZ_SUPERVISOR_H

#include "util.h"

struct dz_detection {
	bool done;
	const char *supervisor;	/* static text ("systemd"), NULL: none */
	const char *marker;	/* what decided ("SYSTEMD_EXEC_PID") */
};

/* Look, without consuming any variable or descriptor; name is the
 * context's (launchd's Sockets key).  Idempotent once done. */
void dz_supervisor_detect(struct dz_detection *det, const char *name);
/* The mode start will use (DAEMONIZE_MODE_BACKGROUND or _FOREGROUND):
 * the caller's request first, then DAEMONIZE_MODE in the environment,
 * then detection.  Sets det->supervisor to "forced" when asked. */
int dz_mode_choose(int requested, struct dz_detection *det, const char *name,
    int *mode, struct dz_err *e);

#endif /* DZ_SUPERVISOR_H */

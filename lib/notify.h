/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * notify.h - systemd's notify protocol and socket activation (without
 * libsystemd), and the s6/OpenRC readiness descriptor.
 */
#ifndef DZ_NOTIFY_H
#define DZ_NOTIFY_H

#include "util.h"

#include <sys/socket.h>
#include <sys/un.h>

struct dz_notify {
	int fd;			/* connected datagram socket; -1: none */
	char *name;		/* NOTIFY_SOCKET as found, for messages */
	uint64_t watchdog_usec;	/* WATCHDOG_USEC when meant for us */
};

struct dz_listen {
	bool parsed;
	int *fds;
	char **names;
	int n;
};

void dz_notify_init(struct dz_notify *n);
/* From NOTIFY_SOCKET (and WATCHDOG_*), connected now, before chroot; the
 * variables are unset once consumed.  No variable: 0, fd stays -1. */
int dz_notify_open(struct dz_notify *n, struct dz_err *e);
/* One datagram; 0 without a socket. */
int dz_notify_send(const struct dz_notify *n, const char *msg,
    struct dz_err *e);
void dz_notify_close(struct dz_notify *n);	/* and free the name */
int dz_notify_parse_address(const char *name, struct sockaddr_un *sun,
    socklen_t *len);

/* LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES (unset once consumed). */
int dz_listen_parse(struct dz_listen *l, struct dz_err *e);
/* launchd's Sockets entry called name, when nothing else was passed. */
int dz_listen_launchd(struct dz_listen *l, const char *name,
    struct dz_err *e);
void dz_listen_clear(struct dz_listen *l);

/* s6/OpenRC: the readiness fd is open and not stdio. */
int dz_readyfd_check(int fd, struct dz_err *e);
/* Write one newline and close it. */
int dz_readyfd_signal(int fd, struct dz_err *e);

#endif /* DZ_NOTIFY_H */

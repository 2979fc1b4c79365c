/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * logger.c - is this descriptor the process's connection to the system
 * logger?
 *
 * A server that called openlog(LOG_NDELAY) (or syslog()) before
 * daemonize_start() holds an AF_UNIX socket connected to the logger, and
 * its C library will keep using that descriptor number.  The fd sweep must
 * keep it: closing it breaks logging, and worse, the number is reused by
 * the next open() and the C library then writes log lines into whatever
 * took it (OpenBSD daemons use LOG_NDELAY precisely so that the
 * connection survives chroot).  The logger's path differs: /dev/log
 * (Linux, the BSDs' compatibility link), /var/run/log (FreeBSD),
 * /var/run/syslog (macOS); /run/systemd/journal/dev-log is where /dev/log
 * points under systemd.
 */
#include "compat.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <string.h>

static const char *const logger_paths[] = {
	"/dev/log",
	"/run/systemd/journal/dev-log",
	"/var/run/log",
	"/var/run/logpriv",
	"/var/run/syslog",
};

int
dz_is_logger_socket(int fd)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	struct stat st;
	size_t i, n;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		return 0;
	memset(&sun, 0, sizeof(sun));
	if (getpeername(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    sun.sun_family != AF_UNIX)
		return 0;
	if (len <= (socklen_t)offsetof(struct sockaddr_un, sun_path))
		return 0;
	n = (size_t)len - offsetof(struct sockaddr_un, sun_path);
	for (i = 0; i < sizeof(logger_paths) / sizeof(logger_paths[0]); i++)
		if (strncmp(sun.sun_path, logger_paths[i], n) == 0 &&
		    strlen(logger_paths[i]) <= n)
			return 1;
	return 0;
}

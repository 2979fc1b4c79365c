/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * allocs.c - the library calls of examples/template.c, in its order, with
 * the heap counted around each (needs alloccount.so preloaded).
 * Usage: allocs PIDFILE
 * Appends to $BENCH_ALLOC_LOG, per process, lines
 *   "S role call malloc calloc realloc free bytes"
 * for daemonize_new + daemonize_set_pidfile ("setup"), daemonize_lock
 * ("lock"), daemonize_start ("start": in the daemon, counted from its own
 * creation by the second fork), daemonize_ready and daemonize_stop +
 * daemonize_free.  No socket: the heap of the library only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemonize.h"

typedef void (*getter)(unsigned long[5]);

static getter get;
static unsigned long before[5];

static void
mark(void)
{
	get(before);
}

static void
note(const char *role, const char *call)
{
	const char *path = getenv("BENCH_ALLOC_LOG");
	unsigned long now[5];
	char line[200];
	int fd, n;

	get(now);
	n = snprintf(line, sizeof(line), "S %s %s %lu %lu %lu %lu %lu\n", role,
	    call, now[0] - before[0], now[1] - before[1], now[2] - before[2],
	    now[3] - before[3], now[4] - before[4]);
	if (path != NULL && n > 0 &&
	    (fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) != -1) {
		if (write(fd, line, (size_t)n) != n) {
			/* a report line lost: nothing to report it to */
		}
		(void)close(fd);
	}
	get(before);
}

int
main(int argc, char *argv[])
{
	struct daemonize *d;
	int r, sig;

	if ((get = (getter)dlsym(RTLD_DEFAULT, "bench_alloc_get")) == NULL) {
		fprintf(stderr, "allocs: run with alloccount.so preloaded\n");
		return 1;
	}
	mark();
	if ((d = daemonize_new("allocs")) == NULL ||
	    daemonize_set_pidfile(d, argc > 1 ? argv[1] : "/tmp/allocs.pid")
	    == -1)
		goto fail;
	note("original", "setup");
	if (daemonize_lock(d) == -1)
		goto fail;
	note("original", "lock");
	r = daemonize_start(d);
	if (r == -1)
		goto fail;
	if (r == DAEMONIZE_PARENT) {
		note("original", "start");
		daemonize_free(d);
		note("original", "free");
		return 0;
	}
	/* In the daemon the counter restarted at the fork: "before" is
	 * from the original process, so count from zero. */
	memset(before, 0, sizeof(before));
	note("daemon", "start");
	if (daemonize_ready(d) == -1)
		goto fail;
	note("daemon", "ready");
	do {
		if ((sig = daemonize_next_signal(d, -1)) == -1)
			goto fail;
	} while (sig != SIGTERM && sig != SIGINT);
	mark();
	if (daemonize_stop(d) == -1)
		goto fail;
	daemonize_free(d);
	note("daemon", "stop+free");
	return 0;
fail:
	fprintf(stderr, "allocs: %s\n", daemonize_error(d));
	daemonize_free(d);
	return 1;
}

/*
 * minimal.c - the smallest correct daemon built on libdaemonize.
 *
 * Usage: minimal [pidfile]        (default /tmp/minimal.pid)
 * Stop it with: kill $(cat /tmp/minimal.pid)
 */
#include <signal.h>
#include <stdio.h>

#include "daemonize.h"

int
main(int argc, char *argv[])
{
	struct daemonize *d;
	int sig;

	if ((d = daemonize_new("minimal")) == NULL) {
		perror("minimal: daemonize_new");
		return 1;
	}
	if (daemonize_set_pidfile(d, argc > 1 ? argv[1] :
	    "/tmp/minimal.pid") == -1)
		goto fail;
	switch (daemonize_start(d)) {
	case -1:                        /* e.g. "already running, pid N" */
		goto fail;
	case DAEMONIZE_PARENT:          /* the daemon is running and ready */
		daemonize_free(d);
		return 0;
	}
	/* The daemon: initialise here (open sockets, load data), then
	 * release the command that started us. */
	if (daemonize_ready(d) == -1)
		goto fail;
	/* SIGHUP would mean "reload"; this daemon has nothing to reload. */
	do {
		if ((sig = daemonize_wait_signal(d, -1)) == -1)
			goto fail;
	} while (sig != SIGTERM && sig != SIGINT);
	if (daemonize_stop(d) == -1)    /* removes the pidfile */
		goto fail;
	daemonize_free(d);
	return 0;
fail:
	fprintf(stderr, "minimal: %s\n", daemonize_error(d));
	daemonize_free(d);
	return 1;
}

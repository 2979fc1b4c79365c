/*
 * ldaemon.c - the same job with libdaemon, in its canonical pattern
 * (libdaemon's own testd.c): reset and unblock signals, refuse a running
 * instance, daemon_retval_init, daemon_fork; the parent waits for the
 * daemon's return value; the daemon closes all fds, creates the pidfile
 * (fcntl-locked), installs signal handling and sends 0.
 * Usage: ldaemon PIDFILE (absolute).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <libdaemon/dfork.h>
#include <libdaemon/dpid.h>
#include <libdaemon/dsignal.h>

static const char *pidpath = "/tmp/ldaemon.pid";

static const char *
pidfile_proc(void)
{
	return pidpath;
}

int
main(int argc, char *argv[])
{
	struct pollfd pfd;
	pid_t pid;
	int ret, sig, quit = 0;

	if (argc > 1)
		pidpath = argv[1];
	daemon_pid_file_proc = pidfile_proc;
	if (daemon_reset_sigs(-1) < 0 || daemon_unblock_sigs(-1) < 0) {
		fprintf(stderr, "ldaemon: signals: %s\n", strerror(errno));
		return 1;
	}
	if ((pid = daemon_pid_file_is_running()) >= 0) {
		fprintf(stderr, "ldaemon: already running, pid %ld\n",
		    (long)pid);
		return 1;
	}
	if (daemon_retval_init() < 0) {
		fprintf(stderr, "ldaemon: cannot create the pipe\n");
		return 1;
	}
	if ((pid = daemon_fork()) < 0) {
		daemon_retval_done();
		return 1;
	}
	if (pid > 0) {
		if ((ret = daemon_retval_wait(20)) < 0) {
			fprintf(stderr, "ldaemon: no return value: %s\n",
			    strerror(errno));
			return 255;
		}
		return ret;
	}
	/* The daemon. */
	if (daemon_close_all(-1) < 0) {
		daemon_retval_send(1);
		goto finish;
	}
	if (daemon_pid_file_create() < 0) {
		daemon_retval_send(2);
		goto finish;
	}
	if (daemon_signal_init(SIGINT, SIGTERM, SIGQUIT, SIGHUP, 0) < 0) {
		daemon_retval_send(3);
		goto finish;
	}
	daemon_retval_send(0);
	pfd.fd = daemon_signal_fd();
	pfd.events = POLLIN;
	while (!quit) {
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((sig = daemon_signal_next()) <= 0)
			break;
		if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
			quit = 1;
	}
finish:
	daemon_signal_done();
	daemon_pid_file_remove();
	return 0;
}

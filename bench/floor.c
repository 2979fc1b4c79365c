/*
 * floor.c - the floor for "time to ready": the startup steps of a
 * daemon done with raw system calls and nothing else, no library, no
 * error text.  Usage: floor PIDFILE (absolute; default /tmp/floor.pid)
 *
 * pipe, fork, setsid, fork, close_range, /dev/null on 0-2, umask, chdir,
 * an flock'ed pidfile with the pid written, one ready byte over the pipe;
 * the original process exits 0 when the byte arrives, 1 on EOF.  The
 * daemon then waits for SIGTERM, removes its pidfile and exits.
 */
#define _GNU_SOURCE
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

/* "PID\n" into buf, returns its length; no stdio in the daemon. */
static size_t
format_pid(char *buf, long pid)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid > 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n++] = '\n';
	return n;
}

int
main(int argc, char *argv[])
{
	const char *path = argc > 1 ? argv[1] : "/tmp/floor.pid";
	char buf[24], c;
	sigset_t set;
	ssize_t n;
	size_t len;
	pid_t pid;
	int p[2], fd, sig;

	if (pipe2(p, O_CLOEXEC) == -1)
		return 1;
	if ((pid = fork()) == -1)
		return 1;
	if (pid > 0) {
		/* The original process: one byte means ready, EOF failed. */
		(void)close(p[1]);
		do
			n = read(p[0], &c, 1);
		while (n == -1 && errno == EINTR);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		return n == 1 ? 0 : 1;
	}
	(void)close(p[0]);
	if (setsid() == -1)
		_exit(1);
	if ((pid = fork()) != 0)
		_exit(pid == -1);
	/* The daemon. */
	if (p[1] > 3 && close_range(3, (unsigned int)p[1] - 1, 0) == -1)
		_exit(1);
	if (close_range((unsigned int)p[1] + 1, ~0U, 0) == -1)
		_exit(1);
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		_exit(1);
	if (dup2(fd, 0) == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
		_exit(1);
	if (fd > 2)
		(void)close(fd);
	(void)umask(022);
	if (chdir("/") == -1)
		_exit(1);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1 ||
	    flock(fd, LOCK_EX | LOCK_NB) == -1 || ftruncate(fd, 0) == -1)
		_exit(1);
	len = format_pid(buf, (long)getpid());
	if (write(fd, buf, len) != (ssize_t)len)
		_exit(1);
	/* SIGTERM blocked before ready, so it is taken by sigwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		_exit(1);
	if (write(p[1], "R", 1) != 1)
		_exit(1);
	(void)close(p[1]);
	while (sigwait(&set, &sig) != 0)
		;
	(void)unlink(path);
	_exit(0);
}

/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * siglat.c - signal latency through the library's fd against a raw
 * self-pipe, in the same process and run, and the signal storm.
 *
 * Usage: siglat [-n ROUNDS] [-s STORM_SIGNALS]
 *
 * The library's handling is installed in foreground mode
 * (daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND): no fork) with
 * SIGUSR1 added to its set; the raw self-pipe handles SIGUSR2 (its
 * handler writes one byte to a non-blocking pipe).  A sender process
 * spins on a shared page: for each request it waits 30 us (so that the
 * receiver is asleep in poll), takes CLOCK_MONOTONIC, stores it, and
 * kill()s the receiver.  The receiver alternates library and raw rounds;
 * the latency is from the sender's timestamp to the moment the receiver's
 * poll loop has the signal number in hand (daemonize_next_signal(d, 0) for
 * the library, read(2) for the raw pipe).
 *
 * Storm: the sender sends STORM_SIGNALS SIGHUPs then one SIGTERM; the
 * receiver's loop must see the SIGTERM.  Run first with the raw self-pipe
 * (before the library is installed, as a reference) and then three times
 * with the library.
 *
 * Output lines for run.sh: "L name n median p99 min" (ns) and
 * "S name wall_ns hups_seen term_seen send_ns".
 */
#define _GNU_SOURCE
#include "benchutil.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemonize.h"

enum { CMD_NONE, CMD_ONE, CMD_STORM, CMD_QUIT };

struct shm {
	int64_t seq;		/* receiver: number of the request */
	int cmd;
	int sig;
	int count;		/* storm: SIGHUPs to send */
	int64_t t_send;		/* sender: clock just before the kill */
	int64_t t_end;		/* sender: clock after the last kill */
	int64_t done;		/* sender: last request carried out */
};

static struct shm *shm;
static int raw_w = -1;

static void
raw_handler(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;

	/* A full pipe drops the byte, as a naive self-pipe does. */
	if (write(raw_w, &b, 1) != 1) {
		/* the pipe is full: the reader has this signal already */
	}
	errno = saved;
}

static void
spin_ns(int64_t ns)
{
	int64_t end = now_ns() + ns;

	while (now_ns() < end)
		;
}

/* The sender: carry out requests until CMD_QUIT, or until 30 s pass
 * without one, or the receiver is gone. */
static void
sender(pid_t target)
{
	int64_t last = 0, seq, idle_since = now_ns();
	unsigned long spins = 0;
	int i;

	for (;;) {
		seq = __atomic_load_n(&shm->seq, __ATOMIC_ACQUIRE);
		if (seq == last) {
			if (++spins % 4096 == 0) {
				if (now_ns() - idle_since > 30000000000LL ||
				    getppid() != target)
					_exit(1);
			}
			continue;
		}
		last = seq;
		switch (shm->cmd) {
		case CMD_ONE:
			spin_ns(30000);
			shm->t_send = now_ns();
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			(void)kill(target, shm->sig);
			break;
		case CMD_STORM:
			shm->t_send = now_ns();
			for (i = 0; i < shm->count; i++)
				(void)kill(target, SIGHUP);
			(void)kill(target, SIGTERM);
			shm->t_end = now_ns();
			break;
		default:
			_exit(0);
		}
		__atomic_store_n(&shm->done, seq, __ATOMIC_RELEASE);
		idle_since = now_ns();
	}
}

static int64_t seq;

static void
request(int cmd, int sig, int count)
{
	shm->cmd = cmd;
	shm->sig = sig;
	shm->count = count;
	__atomic_store_n(&shm->seq, ++seq, __ATOMIC_RELEASE);
}

/* Wait (bounded) until the sender has finished the current request. */
static int
await_done(void)
{
	int64_t end = now_ns() + 10000000000LL;

	while (__atomic_load_n(&shm->done, __ATOMIC_ACQUIRE) != seq)
		if (now_ns() > end)
			return -1;
	return 0;
}

/* Wait up to 2 s for fd to be readable. */
static int
wait_fd(int fd)
{
	struct pollfd pfd;
	int r;

	pfd.fd = fd;
	pfd.events = POLLIN;
	do
		r = poll(&pfd, 1, 2000);
	while (r == -1 && errno == EINTR);
	return r == 1 ? 0 : -1;
}

static int
read_raw(int fd)
{
	unsigned char b;
	ssize_t n;

	do
		n = read(fd, &b, 1);
	while (n == -1 && errno == EINTR);
	return n == 1 ? b : (n == -1 && errno == EAGAIN ? 0 : -1);
}

static void
report(const char *name, int64_t *s, size_t n)
{
	qsort(s, n, sizeof(*s), cmp_i64);
	printf("L %s %zu %lld %lld %lld\n", name, n,
	    (long long)percentile(s, n, 0.5),
	    (long long)percentile(s, n, 0.99), (long long)s[0]);
}

/* One storm; next() returns the next signal (0: none, -1: error). */
static int
storm(const char *name, int fd, int (*next)(void *), void *arg, int count)
{
	int64_t t1 = 0, end;
	long hups = 0;
	int sig, term = 0;

	request(CMD_STORM, 0, count);
	end = now_ns() + 60000000000LL;
	while (!term && now_ns() < end) {
		if (wait_fd(fd) == -1 && now_ns() >= end)
			break;
		while ((sig = next(arg)) > 0) {
			if (sig == SIGHUP)
				hups++;
			if (sig == SIGTERM) {
				term = 1;
				t1 = now_ns();
			}
		}
		if (sig == -1)
			break;
	}
	if (await_done() == -1) {
		fprintf(stderr, "siglat: sender did not finish the storm\n");
		return -1;
	}
	printf("S %s %lld %ld %d %lld\n", name,
	    term ? (long long)(t1 - shm->t_send) : -1LL, hups, term,
	    (long long)(shm->t_end - shm->t_send));
	return term ? 0 : -1;
}

static int raw_r = -1;

static int
next_raw(void *arg)
{
	(void)arg;
	return read_raw(raw_r);
}

static int
next_lib(void *arg)
{
	return daemonize_next_signal(arg, 0);
}

int
main(int argc, char *argv[])
{
	struct sigaction sa, dfl;
	struct daemonize *d;
	int64_t *lib, *raw, t1;
	int rounds = 10000, count = 100000, opt, i, fds[2], lfd, sig;
	int failures = 0;
	size_t nl = 0, nr = 0;
	pid_t child;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		switch (opt) {
		case 'n':
			rounds = atoi(optarg);
			break;
		case 's':
			count = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: siglat [-n ROUNDS] "
			    "[-s STORM_SIGNALS]\n");
			return 2;
		}
	}
	if (rounds <= 0 || count < 0)
		return 2;
	lib = calloc((size_t)rounds, sizeof(*lib));
	raw = calloc((size_t)rounds, sizeof(*raw));
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lib == NULL || raw == NULL || shm == MAP_FAILED) {
		perror("siglat: memory");
		return 2;
	}
	memset(shm, 0, sizeof(*shm));

	/* The raw self-pipe, for SIGUSR2 and (for its storm) SIGHUP and
	 * SIGTERM. */
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1) {
		perror("siglat: pipe2");
		return 2;
	}
	raw_r = fds[0];
	raw_w = fds[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = raw_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGUSR2, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1) {
		perror("siglat: sigaction");
		return 2;
	}

	/* SIGCHLD blocked, for wait_exit at the end. */
	{
		sigset_t chld;

		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		(void)sigprocmask(SIG_BLOCK, &chld, NULL);
	}
	if ((child = fork()) == -1) {
		perror("siglat: fork");
		return 2;
	}
	if (child == 0)
		sender(getppid());

	/* The raw storm first: the library takes SIGHUP and SIGTERM over
	 * once it is installed. */
	if (storm("raw-self-pipe", raw_r, next_raw, NULL, count) == -1)
		failures++;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	(void)sigaction(SIGHUP, &dfl, NULL);
	(void)sigaction(SIGTERM, &dfl, NULL);

	if ((d = daemonize_new("siglat")) == NULL ||
	    daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND) == -1 ||
	    daemonize_add_signal(d, SIGUSR1) == -1 ||
	    daemonize_start(d) != 0 || (lfd = daemonize_signal_fd(d)) == -1) {
		fprintf(stderr, "siglat: %s\n", daemonize_error(d));
		(void)kill(child, SIGKILL);
		return 2;
	}

	for (i = 0; i < 2 * rounds; i++) {
		int use_lib = i % 2 == 0;
		int fd = use_lib ? lfd : raw_r;

		request(CMD_ONE, use_lib ? SIGUSR1 : SIGUSR2, 0);
		if (wait_fd(fd) == -1) {
			fprintf(stderr, "siglat: round %d: no signal\n", i);
			failures++;
			(void)await_done();
			continue;
		}
		sig = use_lib ? daemonize_next_signal(d, 0) : read_raw(raw_r);
		t1 = now_ns();
		if (await_done() == -1 ||
		    sig != (use_lib ? SIGUSR1 : SIGUSR2)) {
			fprintf(stderr, "siglat: round %d: got %d\n", i, sig);
			failures++;
			continue;
		}
		if (use_lib)
			lib[nl++] = t1 - shm->t_send;
		else
			raw[nr++] = t1 - shm->t_send;
	}
	report("library", lib, nl);
	report("raw-self-pipe", raw, nr);

	for (i = 0; i < 3; i++)
		if (storm("library", lfd, next_lib, d, count) == -1)
			failures++;

	request(CMD_QUIT, 0, 0);
	(void)wait_exit(child, &i, 5000);
	daemonize_free(d);
	printf("F %d\n", failures);
	return failures == 0 ? 0 : 1;
}

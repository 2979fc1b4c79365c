/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * alloccount.c - LD_PRELOAD counter of malloc, calloc, realloc and free,
 * per process: a forked child starts from zero (pthread_atfork).  At exit
 * each process appends "pid malloc calloc realloc free bytes" to the file
 * named by BENCH_ALLOC_LOG.  bench_alloc_get() gives the counts so far to
 * a program that looks it up with dlsym (allocs.c).
 *
 * It forwards to glibc's __libc_* entry points, so it needs no dlsym of
 * its own (dlsym itself allocates).  Not thread-safe counting: the
 * programs measured are single-threaded.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void bench_alloc_get(unsigned long out[5]);

static unsigned long counts[5];	/* malloc calloc realloc free bytes */

void *
malloc(size_t n)
{
	counts[0]++;
	counts[4] += n;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	counts[1]++;
	counts[4] += n * size;
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	counts[2]++;
	counts[4] += n;
	return __libc_realloc(p, n);
}

void
free(void *p)
{
	if (p != NULL)
		counts[3]++;
	__libc_free(p);
}

void
bench_alloc_get(unsigned long out[5])
{
	memcpy(out, counts, sizeof(counts));
}

static void
child_reset(void)
{
	memset(counts, 0, sizeof(counts));
}

__attribute__((constructor)) static void
init(void)
{
	(void)pthread_atfork(NULL, NULL, child_reset);
}

__attribute__((destructor)) static void
fini(void)
{
	const char *path = getenv("BENCH_ALLOC_LOG");
	char line[160];
	int fd, n;

	if (path == NULL)
		return;
	n = snprintf(line, sizeof(line), "%ld %lu %lu %lu %lu %lu\n",
	    (long)getpid(), counts[0], counts[1], counts[2], counts[3],
	    counts[4]);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) == -1)
		return;
	if (n > 0)
		if (write(fd, line, (size_t)n) != n) {
			/* a report line lost: nothing to report it to */
		}
	(void)close(fd);
}

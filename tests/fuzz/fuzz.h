/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz/ share.
 *
 * Every target checks invariants of the parser it drives, not only that
 * it does not crash: a violated one prints the condition and aborts, which
 * libFuzzer reports as a crash and saves as an artifact.  Build and run
 * them with scripts/fuzz.sh.
 */
#ifndef DZ_FUZZ_H
#define DZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant violated: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* A NUL-terminated copy of data[0..size-1]: environment values and C
 * strings cannot hold a NUL, so the copy ends at the first one. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_CHECK(s != NULL);
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * Split data at NUL bytes into at most max fields (each a NUL-terminated
 * malloc'ed copy; the last takes the rest, NULs and all, cut at its first
 * NUL).  Returns the number of fields, at least 1.  NUL is the natural
 * separator: no environment value can contain one.
 */
static inline int
fuzz_fields(const uint8_t *data, size_t size, char **out, int max)
{
	size_t start = 0, i;
	int n = 0;

	for (i = 0; i < size && n < max - 1; i++) {
		if (data[i] == '\0') {
			out[n++] = fuzz_cstr(data + start, i - start);
			start = i + 1;
		}
	}
	out[n++] = fuzz_cstr(data + start, size - start);
	return n;
}

static inline void
fuzz_free_fields(char **f, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(f[i]);
}

#endif /* DZ_FUZZ_H */

/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * fuzz_pidfile.c - libFuzzer target for dz_parse_pid (lib/util.c), the
 * parser of pidfile contents behind the readers of lib/pidfile.c
 * (daemonize_pidfile_state and friends) and the "already running, pid N"
 * message; whoever can write the file controls its bytes.  Run: scripts/fuzz.sh (seeds in tests/fuzz/corpus/fuzz_pidfile/).
 * FUZZ_OPTIONS: -max_len=128
 *
 * The input is the file's bytes, passed without a terminating NUL so that
 * ASan sees any read past len.  A NUL byte among them is garbage like any
 * other non-digit.  Invariants: the verdict and the value
 * match an independent reference reader; an accepted pid is in 1..INT_MAX
 * (pid_t is int here) and survives the round trip through the format the
 * library writes ("%d\n") and libbsd's ("%d").
 */
#include "util.h"

#include <errno.h>
#include <limits.h>

#include "fuzz.h"

#define MAXLEN DZ_PID_MAXLEN	/* lib/util.h */

static int
space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* 1 and *out for a valid pid, 0 for garbage, -1 for a number too big. */
static int
reference(const uint8_t *b, size_t len, long long *out)
{
	size_t i = 0, first;
	long long v = 0;
	int big = 0;

	if (len > MAXLEN)
		return 0;
	while (i < len && space(b[i]))
		i++;
	for (first = i; i < len && b[i] >= '0' && b[i] <= '9'; i++) {
		v = v * 10 + (b[i] - '0');
		if (v > INT_MAX) {
			big = 1;
			v = INT_MAX;    /* keeps the product in range */
		}
	}
	if (i == first)
		return 0;
	while (i < len && space(b[i]))
		i++;
	if (i != len)
		return 0;
	if (big)
		return -1;
	if (v == 0)
		return 0;
	*out = v;
	return 1;
}

/* Formats are literal (-Wformat-nonliteral): one helper per layout. */
static void
parses_back(const char *buf, int n, pid_t pid)
{
	pid_t back = 0;

	FUZZ_CHECK(n > 0 && n < 32);
	FUZZ_CHECK(dz_parse_pid(buf, (size_t)n, &back) == 0);
	FUZZ_CHECK(back == pid);
}

static void
round_trip(pid_t pid)
{
	char buf[32];

	parses_back(buf, snprintf(buf, sizeof(buf), "%d\n", (int)pid), pid);
	parses_back(buf, snprintf(buf, sizeof(buf), "%d", (int)pid), pid);
	parses_back(buf, snprintf(buf, sizeof(buf), " %d \r\n", (int)pid),
	    pid);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const pid_t sentinel = -12345;
	pid_t pid = sentinel;
	long long want = 0;
	int r, ref;

	/* An exact-size heap copy: a read at buf[len] is a heap overflow. */
	char *buf = malloc(size > 0 ? size : 1);

	FUZZ_CHECK(buf != NULL);
	if (size > 0)
		memcpy(buf, data, size);
	errno = 0;
	r = dz_parse_pid(buf, size, &pid);
	ref = reference(data, size, &want);
	if (ref == 1) {
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(pid > 0 && (long long)pid <= INT_MAX);
		FUZZ_CHECK((long long)pid == want);
		round_trip(pid);
	} else {
		FUZZ_CHECK(r == -1);
		/* A failed parse leaves the output alone. */
		FUZZ_CHECK(pid == sentinel);
		FUZZ_CHECK(errno == (ref == -1 ? ERANGE : EINVAL));
	}
	free(buf);
	return 0;
}

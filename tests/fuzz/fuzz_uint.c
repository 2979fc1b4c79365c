/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * fuzz_uint.c - libFuzzer target for dz_parse_uint (lib/util.c), the
 * strict decimal parser behind LISTEN_PID, LISTEN_FDS, WATCHDOG_PID,
 * WATCHDOG_USEC, the pid markers of supervisor detection, numeric user
 * and group ids (lib/privileges.c) and pidfile contents (dz_parse_pid).  Run:
 * scripts/fuzz.sh (seeds in tests/fuzz/corpus/fuzz_uint/).
 * FUZZ_OPTIONS: -max_len=128
 *
 * Input: the first byte picks the upper bound (the ones the library uses,
 * and a few edges), the rest, cut at its first NUL, is the string.
 * Invariants: accepted exactly when the string is one or more ASCII
 * digits whose value is at most the bound; the value matches a reference
 * computed in 128 bits; errors are EINVAL (empty, any non-digit, even
 * after an overflow) or ERANGE (digits only, too big); a failure leaves
 * *out alone; parse(print(v)) == v.
 */
#include "util.h"

#include <errno.h>
#include <limits.h>

#include "fuzz.h"

static const unsigned long long bounds[] = {
	INT32_MAX,      /* LISTEN_PID, WATCHDOG_PID, detection markers */
	4096,           /* LISTEN_FDS (DZ_LISTEN_MAX) */
	ULLONG_MAX,     /* WATCHDOG_USEC */
	0, 1, 9, 10, UINT32_MAX, ULLONG_MAX - 1, ULLONG_MAX / 10,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned long long sentinel = 0x5a5a5a5a5a5a5a5aULL;
	unsigned long long max, out = sentinel, back = 0;
	unsigned __int128 v = 0;
	int digits_only = 1, big = 0, n, r;
	char *s, *p, buf[32];

	if (size < 1)
		return 0;
	max = bounds[data[0] % (sizeof(bounds) / sizeof(bounds[0]))];
	s = fuzz_cstr(data + 1, size - 1);
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			digits_only = 0;
			break;
		}
		if (!big) {
			v = v * 10 + (unsigned)(*p - '0');
			if (v > ULLONG_MAX)
				big = 1;
		}
	}
	if (*s == '\0')
		digits_only = 0;
	errno = 0;
	r = dz_parse_uint(s, max, &out);
	if (!digits_only) {
		FUZZ_CHECK(r == -1 && errno == EINVAL);
	} else if (big || v > max) {
		FUZZ_CHECK(r == -1 && errno == ERANGE);
	} else {
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(out == (unsigned long long)v);
		FUZZ_CHECK(out <= max);
		n = snprintf(buf, sizeof(buf), "%llu", out);
		FUZZ_CHECK(n > 0 && (size_t)n < sizeof(buf));
		FUZZ_CHECK(dz_parse_uint(buf, max, &back) == 0);
		FUZZ_CHECK(back == out);
	}
	if (r == -1)
		FUZZ_CHECK(out == sentinel);
	/* NULL is EINVAL, not a crash. */
	FUZZ_CHECK(dz_parse_uint(NULL, max, &back) == -1 && errno == EINVAL);
	free(s);
	return 0;
}

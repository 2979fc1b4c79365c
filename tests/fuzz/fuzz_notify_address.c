/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * fuzz_notify_address.c - libFuzzer target for dz_notify_parse_address
 * (lib/notify.c), which turns NOTIFY_SOCKET, set by whoever starts us,
 * into a socket address.  Run: scripts/fuzz.sh (seeds in
 * tests/fuzz/corpus/fuzz_notify_address/).
 * FUZZ_OPTIONS: -max_len=512
 *
 * The input, cut at its first NUL, is the variable's value.  Invariants:
 * accepted exactly when it is "/path" (with room for the NUL) or "@name"
 * (non-empty, fitting sun_path without one); a path's length counts its
 * NUL, an abstract name's length is offsetof(sun_path) + 1 + strlen(name)
 * - 1 with no padding NULs; the bytes of sun_path are the name's; nothing
 * beyond the length is touched but zeroed; errors are ENAMETOOLONG,
 * EAFNOSUPPORT ("vsock...") or EINVAL.
 */
#include "notify.h"

#include <errno.h>
#include <stddef.h>

#include "fuzz.h"

#define PATHMAX sizeof(((struct sockaddr_un *)0)->sun_path)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sun;
	socklen_t len = 0;
	const size_t off = offsetof(struct sockaddr_un, sun_path);
	char *name = fuzz_cstr(data, size);
	size_t n = strlen(name), i;
	int r;

	memset(&sun, 0xa5, sizeof(sun));
	errno = 0;
	r = dz_notify_parse_address(name, &sun, &len);
	if (name[0] == '/' && n < PATHMAX) {
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(sun.sun_family == AF_UNIX);
		FUZZ_CHECK((size_t)len == off + n + 1);
		FUZZ_CHECK(strcmp(sun.sun_path, name) == 0);
	} else if (name[0] == '@' && n >= 2 && n - 1 <= PATHMAX - 1) {
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(sun.sun_family == AF_UNIX);
		/* "@name": the leading NUL replaces '@', no trailing NUL. */
		FUZZ_CHECK((size_t)len == off + 1 + strlen(name) - 1);
		FUZZ_CHECK(sun.sun_path[0] == '\0');
		FUZZ_CHECK(memcmp(sun.sun_path + 1, name + 1, n - 1) == 0);
	} else {
		FUZZ_CHECK(r == -1);
		if (name[0] == '/' || (name[0] == '@' && n >= 2))
			FUZZ_CHECK(errno == ENAMETOOLONG);
		else if (strncmp(name, "vsock", 5) == 0)
			FUZZ_CHECK(errno == EAFNOSUPPORT);
		else
			FUZZ_CHECK(errno == EINVAL);
	}
	if (r == 0) {
		FUZZ_CHECK(len > off && (size_t)len <= sizeof(sun));
		/* The kernel reads len bytes; everything after them was
		 * cleared, so no stale byte can be mistaken for a name. */
		for (i = len; i < sizeof(sun); i++)
			FUZZ_CHECK(((unsigned char *)&sun)[i] == 0);
	}
	free(name);
	return 0;
}

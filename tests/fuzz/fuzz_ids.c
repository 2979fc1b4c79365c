/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * fuzz_ids.c - libFuzzer target for numeric user and group strings
 * (parse_id in lib/privileges.c, static, and the resolution around it),
 * which come from a daemon's command line or configuration file.  Run:
 * scripts/fuzz.sh (seeds in tests/fuzz/corpus/fuzz_ids/).
 * FUZZ_OPTIONS: -max_len=64
 *
 * privileges.c is included whole so that its static parser can be driven
 * directly; scripts/fuzz.sh links the other lib/ files from an archive,
 * from which privileges.o is then never pulled (this file defines every
 * symbol in it).
 *
 * Input, cut at its first NUL: the id string.  Invariants: parse_id says
 * 1 exactly for one or more digits with a value below 2^32 - 1 ((uid_t)-1
 * means "unchanged" to set*id and is refused), -1 for other digit strings,
 * 0 for anything else (a name); an accepted id prints back to itself
 * without leading zeros and parses to the same value.  A numeric string
 * is then resolved as the group alone (no name service lookup: the gid is
 * the number, the group list exactly that gid) and as the user with group
 * 0 (getpwuid only), through the step's own state (struct dz_identity,
 * dz_identity_set: the last call wins), and the pidfile readers' view of
 * the configured user (dz_identity_uid: the number itself, no lookup);
 * names are never resolved here, so no input makes the target call
 * getpwnam or getgrnam.
 */
#include "../../lib/privileges.c"

#include <sys/types.h>

#include "fuzz.h"

/* 1, 0 or -1 as parse_id must answer, with the value in *v. */
static int
reference(const char *s, unsigned long long *v)
{
	size_t i, n = strlen(s);
	int big = 0;

	*v = 0;
	if (n == 0 || strspn(s, "0123456789") != n)
		return 0;
	for (i = 0; i < n; i++) {
		if (*v > 0xffffffffULL)
			big = 1;
		else
			*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	if (big || *v >= 0xffffffffULL)
		return -1;
	return 1;
}

static void
resolve_as_group(const char *s, int kind, unsigned long long v)
{
	struct dz_identity id;
	struct dz_err e;
	int r;

	memset(&id, 0, sizeof(id));
	/* A user set first is dropped by the next call: the last wins. */
	FUZZ_CHECK(dz_identity_set(&id, "0", NULL, &e) == 0);
	FUZZ_CHECK(dz_identity_set(&id, NULL, s, &e) == 0);
	FUZZ_CHECK(id.user == NULL && id.group != NULL);
	FUZZ_CHECK(dz_identity_configured(&id));
	errno = 0;
	r = dz_privileges_resolve(&id, &e);
	if (kind == -1) {
		FUZZ_CHECK(r == -1 && errno == ERANGE);
		FUZZ_CHECK(strstr(e.text, "out of range") != NULL);
		FUZZ_CHECK(!id.resolved && id.groups == NULL);
	} else if (geteuid() == 0 || getgid() == (gid_t)v) {
		/* Not root, the right to a group change is checked too. */
		FUZZ_CHECK(r == 0 && id.resolved);
		FUZZ_CHECK(id.gid == (gid_t)v);
		FUZZ_CHECK(id.ngroups == 1 && id.groups[0] == (gid_t)v);
	} else {
		FUZZ_CHECK(r == -1 && errno == EPERM);
	}
	dz_identity_clear(&id);
	FUZZ_CHECK(id.user == NULL && id.group == NULL && id.groups == NULL);
}

static void
resolve_as_user(const char *s, int kind, unsigned long long v)
{
	struct dz_identity id;
	struct dz_err e;
	struct passwd *pw;
	uid_t uid = 12345;
	int r;

	memset(&id, 0, sizeof(id));
	FUZZ_CHECK(dz_identity_set(&id, s, "0", &e) == 0);
	/* The readers' trust: the number itself, never a lookup. */
	errno = 0;
	r = dz_identity_uid(&id, &uid, &e);
	if (kind == -1)
		FUZZ_CHECK(r == -1 && errno == ERANGE && uid == 12345);
	else
		FUZZ_CHECK(r == 0 && uid == (uid_t)v);
	errno = 0;
	r = dz_privileges_resolve(&id, &e);
	if (kind == -1) {
		FUZZ_CHECK(r == -1 && errno == ERANGE);
	} else if (r == 0) {
		FUZZ_CHECK(id.resolved);
		FUZZ_CHECK(id.uid == (uid_t)v && id.gid == 0);
		FUZZ_CHECK(id.ngroups >= 1);
		pw = getpwuid((uid_t)v);
		/* Without a passwd entry the list is the group alone. */
		if (pw == NULL)
			FUZZ_CHECK(id.ngroups == 1 && id.groups[0] == 0);
	} else {
		/* Only a missing right (not root) or a lookup error. */
		FUZZ_CHECK(geteuid() != 0 || errno != EPERM);
		FUZZ_CHECK(errno != ERANGE && errno != EINVAL);
		FUZZ_CHECK(!id.resolved);
	}
	dz_identity_clear(&id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), buf[32];
	unsigned long out = 12345, back = 0;
	unsigned long long v;
	int r, kind;

	kind = reference(s, &v);
	r = parse_id(s, &out);
	FUZZ_CHECK(r == kind);
	if (r == 1) {
		FUZZ_CHECK(out == v && (uid_t)out != (uid_t)-1);
		FUZZ_CHECK(snprintf(buf, sizeof(buf), "%lu", out) > 0);
		FUZZ_CHECK(parse_id(buf, &back) == 1 && back == out);
		/* Canonical form: s without its leading zeros. */
		FUZZ_CHECK(strcmp(buf, s + strspn(s, "0")) == 0 ||
		    (out == 0 && strspn(s, "0") == strlen(s)));
	} else {
		FUZZ_CHECK(out == 12345);
	}
	/* Only numbers go on to resolution: a name would query NSS. */
	if (kind != 0 && *s != '\0') {
		resolve_as_group(s, kind, v);
		resolve_as_user(s, kind, v);
	}
	free(s);
	return 0;
}

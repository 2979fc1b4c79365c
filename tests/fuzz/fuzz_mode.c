/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * fuzz_mode.c - libFuzzer target for the choice of mode (dz_mode_choose
 * in lib/supervisor.c): DAEMONIZE_MODE from the environment against the
 * caller's flags, and the supervisor markers LISTEN_PID and NOTIFY_SOCKET
 * it falls back to.  Run: scripts/fuzz.sh (seeds in
 * tests/fuzz/corpus/fuzz_mode/).
 * FUZZ_OPTIONS: -max_len=512
 *
 * Input: byte 0 is the mode the caller requests (0 AUTO, 1 BACKGROUND,
 * 2 FOREGROUND, anything else invalid); byte 1 holds switches (bit 0:
 * DAEMONIZE_MODE unset, bit 1: LISTEN_PID = our pid, bit 2: NOTIFY_SOCKET
 * set); the rest splits at NULs into the values of DAEMONIZE_MODE,
 * NOTIFY_SOCKET and LISTEN_PID (used unless bit 1).  A fresh context and
 * a fresh detection per input, so nothing carries over.
 *
 * Invariants: daemonize_set_mode refuses an unknown mode (EINVAL, the
 * requested mode unchanged) and dz_mode_choose too; an explicit
 * BACKGROUND or FOREGROUND wins whatever the environment; otherwise
 * DAEMONIZE_MODE "foreground"/"background" force that mode, unset, ""
 * and "auto" mean detection (foreground exactly when a supervisor was
 * found, which is systemd by LISTEN_PID when it is our pid in strict
 * decimal, else by a non-empty NOTIFY_SOCKET, else what this process's
 * own situation gives), and any other value is EINVAL with a bounded
 * message quoting it.  A forced mode names a supervisor that is really
 * there, and "forced" (with what forced it as the marker) only when
 * none is.  The environment is only read.
 */
#include "daemonize.h"
#include "supervisor.h"

#include <errno.h>
#include <unistd.h>

#include "fuzz.h"

/* What detection says with none of the fuzzed markers set: stdin may be
 * a socket, the parent may be pid 1, or the fuzzer may run as pid 1. */
static const char *base_supervisor, *base_marker;

static void
set_or_unset(const char *name, const char *value)
{
	if (value == NULL)
		FUZZ_CHECK(unsetenv(name) == 0);
	else
		FUZZ_CHECK(setenv(name, value, 1) == 0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const markers[] = {
		"DAEMONIZE_MODE", "LISTEN_PID", "SYSTEMD_EXEC_PID",
		"WATCHDOG_PID", "NOTIFY_SOCKET", "SUPERVISOR_ENABLED",
		"XPC_SERVICE_NAME",
	};
	struct dz_detection det;
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		set_or_unset(markers[i], NULL);
	memset(&det, 0, sizeof(det));
	dz_supervisor_detect(&det, "fuzz");
	base_supervisor = det.supervisor;
	base_marker = det.marker;
	return 0;
}

static int
names_us(const char *s)
{
	long long v = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
		if (v > INT32_MAX)
			return 0;
	}
	return v == (long long)getpid();
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct daemonize *d;
	struct dz_detection det;
	struct dz_err e;
	char *f[3] = { NULL, NULL, NULL }, pidbuf[16];
	const char *mode, *notify, *lpid, *real_sup, *real_marker;
	const char *forced_marker = NULL;
	int requested, chosen = -7, want = -1, nf, r, ok, err;

	if (size < 2)
		return 0;
	requested = data[0];
	nf = fuzz_fields(data + 2, size - 2, f, 3);
	mode = (data[1] & 1) ? NULL : f[0];
	notify = (data[1] & 4) && nf > 1 ? f[1] : NULL;
	lpid = nf > 2 ? f[2] : NULL;
	if (data[1] & 2) {
		snprintf(pidbuf, sizeof(pidbuf), "%ld", (long)getpid());
		lpid = pidbuf;
	}
	set_or_unset("DAEMONIZE_MODE", mode);
	set_or_unset("NOTIFY_SOCKET", notify);
	set_or_unset("LISTEN_PID", lpid);

	/* The public setter: the same rule for what is a mode. */
	FUZZ_CHECK((d = daemonize_new("fuzz")) != NULL);
	ok = requested == DAEMONIZE_MODE_AUTO ||
	    requested == DAEMONIZE_MODE_BACKGROUND ||
	    requested == DAEMONIZE_MODE_FOREGROUND;
	errno = 0;
	r = daemonize_set_mode(d, requested);
	FUZZ_CHECK(ok ? r == 0 : (r == -1 && errno == EINVAL));
	FUZZ_CHECK(daemonize_mode(d) == (ok ? requested :
	    DAEMONIZE_MODE_AUTO));
	daemonize_free(d);

	/* What a real supervisor would make detection say. */
	if (base_supervisor != NULL && same(base_marker, "pid 1")) {
		real_sup = base_supervisor;
		real_marker = base_marker;
	} else if (names_us(lpid)) {
		real_sup = "systemd";
		real_marker = "LISTEN_PID";
	} else if (notify != NULL && *notify != '\0') {
		real_sup = "systemd";
		real_marker = "NOTIFY_SOCKET";
	} else {
		real_sup = base_supervisor;
		real_marker = base_marker;
	}

	memset(&det, 0, sizeof(det));
	e.text[0] = '\0';
	errno = 0;
	r = dz_mode_choose(requested, &det, "fuzz", &chosen, &e);
	err = errno;
	if (!ok) {
		FUZZ_CHECK(r == -1 && err == EINVAL);
		FUZZ_CHECK(strstr(e.text, "mode: mode ") == e.text);
		FUZZ_CHECK(chosen == -7);	/* untouched */
	} else if (requested != DAEMONIZE_MODE_AUTO) {
		want = requested;
		forced_marker = "daemonize_set_mode";
	} else if (mode != NULL && strcmp(mode, "foreground") == 0) {
		want = DAEMONIZE_MODE_FOREGROUND;
		forced_marker = "DAEMONIZE_MODE=foreground";
	} else if (mode != NULL && strcmp(mode, "background") == 0) {
		want = DAEMONIZE_MODE_BACKGROUND;
		forced_marker = "DAEMONIZE_MODE=background";
	} else if (mode != NULL && *mode != '\0' && strcmp(mode, "auto") != 0) {
		FUZZ_CHECK(r == -1 && err == EINVAL);
		FUZZ_CHECK(chosen == -7);
		FUZZ_CHECK(strlen(e.text) < DZ_ERRLEN);
		/* The value is quoted, cut to 64 bytes. */
		FUZZ_CHECK(strstr(e.text, "DAEMONIZE_MODE=") != NULL);
		FUZZ_CHECK(strncmp(strstr(e.text, "DAEMONIZE_MODE=") + 15,
		    mode, strlen(mode) < 64 ? strlen(mode) : 64) == 0);
		FUZZ_CHECK(strstr(e.text, "expected foreground, background "
		    "or auto") != NULL);
	} else {
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(same(det.supervisor, real_sup));
		FUZZ_CHECK(same(det.marker, real_marker));
		FUZZ_CHECK(chosen == (real_sup != NULL ?
		    DAEMONIZE_MODE_FOREGROUND : DAEMONIZE_MODE_BACKGROUND));
	}
	if (forced_marker != NULL) {
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(chosen == want);
		if (real_sup != NULL) {
			FUZZ_CHECK(same(det.supervisor, real_sup));
			FUZZ_CHECK(same(det.marker, real_marker));
		} else {
			FUZZ_CHECK(same(det.supervisor, "forced"));
			FUZZ_CHECK(same(det.marker, forced_marker));
		}
	}
	/* Choosing only reads the environment. */
	FUZZ_CHECK(same(getenv("DAEMONIZE_MODE"), mode));
	FUZZ_CHECK(same(getenv("NOTIFY_SOCKET"), notify));
	FUZZ_CHECK(same(getenv("LISTEN_PID"), lpid));
	fuzz_free_fields(f, nf);
	return 0;
}

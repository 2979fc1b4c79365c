/*
 * fuzz_mode.c - libFuzzer target for the choice of mode (dz_mode_choose
 * in lib/supervisor.c): DAEMONIZE_MODE from the environment against the
 * caller's flags, and the supervisor markers LISTEN_PID and NOTIFY_SOCKET
 * it falls back to.  Run: scripts/fuzz.sh (seeds in
 * tests/fuzz/corpus/fuzz_mode/).
 * FUZZ_OPTIONS: -max_len=512
 *
 * Input: byte 0 is the flags word given to daemonize_set_flags; byte 1
 * holds switches (bit 0: DAEMONIZE_MODE unset, bit 1: LISTEN_PID = our
 * pid, bit 2: NOTIFY_SOCKET set); the rest splits at NULs into the values
 * of DAEMONIZE_MODE, NOTIFY_SOCKET and LISTEN_PID (used unless bit 1).
 * A fresh context per input, so nothing carries over.
 *
 * Invariants: set_flags refuses unknown bits and DETACH with another
 * mode flag; FOREGROUND gives the debug mode, DETACH background, and
 * NO_DETACH supervised, whatever the environment; otherwise
 * DAEMONIZE_MODE "foreground"/"background" force supervised/background,
 * unset, "" and "auto" mean detection (supervised exactly when a
 * supervisor was found, which is systemd by LISTEN_PID when it is our pid
 * in strict decimal, else by a non-empty NOTIFY_SOCKET, else what this
 * process's own environment gives), and any other value is EINVAL with a
 * bounded message quoting it; the environment is only read.
 */
#include "internal.h"

#include <errno.h>
#include <unistd.h>

#include "fuzz.h"

/* What detection says with none of the fuzzed markers set: stdin may be
 * a socket, or the fuzzer may run as pid 1 in a container. */
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
	struct daemonize *d;
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		set_or_unset(markers[i], NULL);
	FUZZ_CHECK((d = daemonize_new("fuzz")) != NULL);
	base_supervisor = daemonize_supervisor(d, &base_marker);
	daemonize_free(d);
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
	const unsigned int known = DAEMONIZE_FOREGROUND | DAEMONIZE_NO_DETACH |
	    DAEMONIZE_DETACH | DAEMONIZE_KEEP_SIGPIPE;
	struct daemonize *d;
	char *f[3] = { NULL, NULL, NULL }, pidbuf[16];
	const char *mode, *notify, *lpid, *sup, *marker;
	unsigned int flags;
	int nf, r, ok, err;

	if (size < 2)
		return 0;
	flags = data[0];
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

	FUZZ_CHECK((d = daemonize_new("fuzz")) != NULL);
	ok = (flags & ~known) == 0 && !((flags & DAEMONIZE_DETACH) &&
	    (flags & (DAEMONIZE_NO_DETACH | DAEMONIZE_FOREGROUND)));
	r = daemonize_set_flags(d, flags);
	FUZZ_CHECK(ok ? r == 0 : (r == -1 && errno == EINVAL));
	if (!ok)
		flags = 0;      /* the context keeps its default */

	errno = 0;
	r = dz_mode_choose(d);
	err = errno;    /* daemonize_supervisor may detect, and so set it */
	sup = daemonize_supervisor(d, &marker);
	if (flags & DAEMONIZE_FOREGROUND) {
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(daemonize_mode(d) == DAEMONIZE_MODE_FOREGROUND);
	} else if (flags & DAEMONIZE_DETACH) {
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(daemonize_mode(d) == DAEMONIZE_MODE_BACKGROUND);
		FUZZ_CHECK(same(sup, "forced"));
	} else if (flags & DAEMONIZE_NO_DETACH) {
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(daemonize_mode(d) == DAEMONIZE_MODE_SUPERVISED);
		FUZZ_CHECK(same(sup, "forced"));
	} else if (mode != NULL && strcmp(mode, "foreground") == 0) {
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(daemonize_mode(d) == DAEMONIZE_MODE_SUPERVISED);
		FUZZ_CHECK(same(marker, "DAEMONIZE_MODE=foreground"));
	} else if (mode != NULL && strcmp(mode, "background") == 0) {
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(daemonize_mode(d) == DAEMONIZE_MODE_BACKGROUND);
		FUZZ_CHECK(same(marker, "DAEMONIZE_MODE=background"));
	} else if (mode != NULL && *mode != '\0' && strcmp(mode, "auto") != 0) {
		const char *msg = daemonize_error(d);

		FUZZ_CHECK(r == -1 && err == EINVAL);
		FUZZ_CHECK(daemonize_mode(d) == DAEMONIZE_MODE_NONE);
		FUZZ_CHECK(strlen(msg) < DZ_ERRLEN);
		/* The value is quoted, cut to 64 bytes. */
		FUZZ_CHECK(strstr(msg, "DAEMONIZE_MODE=") != NULL);
		FUZZ_CHECK(strncmp(strstr(msg, "DAEMONIZE_MODE=") + 15, mode,
		    strlen(mode) < 64 ? strlen(mode) : 64) == 0);
	} else {
		FUZZ_CHECK(r == 0);
		if (base_supervisor != NULL && same(base_marker, "pid 1")) {
			FUZZ_CHECK(same(marker, "pid 1"));
		} else if (names_us(lpid)) {
			FUZZ_CHECK(same(sup, "systemd"));
			FUZZ_CHECK(same(marker, "LISTEN_PID"));
		} else if (notify != NULL && *notify != '\0') {
			FUZZ_CHECK(same(sup, "systemd"));
			FUZZ_CHECK(same(marker, "NOTIFY_SOCKET"));
		} else {
			FUZZ_CHECK(same(sup, base_supervisor));
			FUZZ_CHECK(same(marker, base_marker));
		}
		FUZZ_CHECK(daemonize_mode(d) == (sup != NULL ?
		    DAEMONIZE_MODE_SUPERVISED : DAEMONIZE_MODE_BACKGROUND));
	}
	/* Choosing only reads the environment. */
	FUZZ_CHECK(same(getenv("DAEMONIZE_MODE"), mode));
	FUZZ_CHECK(same(getenv("NOTIFY_SOCKET"), notify));
	FUZZ_CHECK(same(getenv("LISTEN_PID"), lpid));
	daemonize_free(d);
	fuzz_free_fields(f, nf);
	return 0;
}

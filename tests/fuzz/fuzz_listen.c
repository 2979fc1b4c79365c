/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * fuzz_listen.c - libFuzzer target for socket activation's environment
 * (dz_listen_parse in lib/notify.c, through daemonize_listen_fds):
 * LISTEN_PID, LISTEN_FDS and the colon-separated LISTEN_FDNAMES, which
 * the service manager (or anyone who execs us) sets.  Run: scripts/fuzz.sh
 * (seeds in tests/fuzz/corpus/fuzz_listen/).
 * FUZZ_OPTIONS: -max_len=1024
 *
 * The name splitting is a static helper, so it is driven through setenv
 * with LISTEN_PID = getpid(), against descriptors 3..3+NOPEN-1 that this
 * target holds open on /dev/null (anything beyond them may be closed, or
 * libFuzzer's own: the parser only fcntl()s them).
 *
 * Input: byte 0 bit 0 set means LISTEN_PID is our pid, otherwise the third
 * field is LISTEN_PID (unset when absent); bit 1 sets LISTEN_PIDFDID (a
 * number, as systemd passes it); the rest splits at NULs into
 * LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID; an absent field is unset.
 * Invariants: a LISTEN_PID that is not exactly our pid in strict decimal
 * means no descriptors and no error, and every LISTEN_ variable is gone;
 * otherwise the call succeeds exactly when LISTEN_FDS is empty/unset or a
 * strict count <= 4096 of open fds from 3 up and, for a count above 0,
 * LISTEN_FDNAMES is unset or has exactly that many colon-separated
 * fields (empty ones count; another number is EINVAL); then it returns
 * that many fds 3, 4, ..., each now close-on-exec, named by the matching
 * field or "unknown" when LISTEN_FDNAMES is unset, and LISTEN_PID,
 * LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PIDFDID are gone from the
 * environment.  A failure returns -1 with no descriptors and leaves the
 * environment as it was.
 */
#include "daemonize.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "fuzz.h"

#define NOPEN 16

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd, nul;

	(void)argc;
	(void)argv;
	if ((nul = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		perror("/dev/null");
		exit(1);
	}
	for (fd = 3; fd < 3 + NOPEN; fd++) {
		if (fd != nul && fcntl(fd, F_GETFD) == -1 &&
		    dup2(nul, fd) == -1) {
			perror("dup2");
			exit(1);
		}
	}
	/* Other markers would only change which supervisor is named. */
	(void)unsetenv("NOTIFY_SOCKET");
	(void)unsetenv("WATCHDOG_PID");
	(void)unsetenv("SYSTEMD_EXEC_PID");
	return 0;
}

static void
set_or_unset(const char *name, const char *value)
{
	if (value == NULL)
		FUZZ_CHECK(unsetenv(name) == 0);
	else
		FUZZ_CHECK(setenv(name, value, 1) == 0);
}

/* Strict decimal equal to our pid: what the library must accept. */
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

/* The strict count in s, or -1 for garbage or more than 4096. */
static long
count_of(const char *s)
{
	long v = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 4096)
			return -1;
	}
	return v;
}

/* Number of colon-separated fields of list (a reference counter written
 * differently from the library's). */
static long
fields_of(const char *list)
{
	long n = 1;
	const char *p;

	for (p = list; (p = strchr(p, ':')) != NULL; p++)
		n++;
	return n;
}

/* Whether field i of the colon list equals name (a reference splitter
 * written differently from the library's: walk once, count colons);
 * without a list every name is "unknown". */
static int
field_is(const char *list, int i, const char *name)
{
	int k = 0;
	size_t len;
	const char *start = list;

	if (list == NULL)
		return strcmp(name, "unknown") == 0;
	for (;; list++) {
		if (*list == ':' || *list == '\0') {
			if (k == i) {
				len = (size_t)(list - start);
				return strlen(name) == len &&
				    memcmp(name, start, len) == 0;
			}
			if (*list == '\0')
				return 0;	/* fewer fields: refused */
			k++;
			start = list + 1;
		}
	}
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
	const int *fds;
	const char *const *names;
	char *f[3] = { NULL, NULL, NULL }, pidbuf[16];
	const char *fdsv, *namesv, *pidv;
	long want;
	int nf, n, i, open_ok;

	if (size < 1)
		return 0;
	nf = fuzz_fields(data + 1, size - 1, f, 3);
	fdsv = f[0];
	namesv = nf > 1 ? f[1] : NULL;
	pidv = nf > 2 ? f[2] : NULL;
	if (data[0] & 1) {
		snprintf(pidbuf, sizeof(pidbuf), "%ld", (long)getpid());
		pidv = pidbuf;
	}
	set_or_unset("LISTEN_PID", pidv);
	set_or_unset("LISTEN_FDS", fdsv);
	set_or_unset("LISTEN_FDNAMES", namesv);
	set_or_unset("LISTEN_PIDFDID", (data[0] & 2) ? "4242" : NULL);

	want = count_of(fdsv);
	open_ok = want >= 0;
	for (i = 0; open_ok && i < want; i++)
		open_ok = fcntl(3 + i, F_GETFD) != -1;

	FUZZ_CHECK((d = daemonize_new("fuzz")) != NULL);
	errno = 0;
	n = daemonize_listen_fds(d, &fds, &names);
	if (!names_us(pidv)) {
		FUZZ_CHECK(n == 0);
		FUZZ_CHECK(getenv("LISTEN_PID") == NULL);
		FUZZ_CHECK(getenv("LISTEN_FDS") == NULL);
		FUZZ_CHECK(getenv("LISTEN_FDNAMES") == NULL);
		FUZZ_CHECK(getenv("LISTEN_PIDFDID") == NULL);
	} else if (!open_ok || (want > 0 && namesv != NULL &&
	    fields_of(namesv) != want)) {
		FUZZ_CHECK(n == -1);
		if (!open_ok && want >= 0)
			FUZZ_CHECK(errno == EBADF);
		else if (!open_ok &&
		    strspn(fdsv, "0123456789") == strlen(fdsv))
			FUZZ_CHECK(errno == ERANGE);    /* digits, too many */
		else
			FUZZ_CHECK(errno == EINVAL);    /* garbage, names */
		FUZZ_CHECK(fds == NULL && names == NULL);
		/* Nothing was taken over: the environment is as it was. */
		FUZZ_CHECK(same(getenv("LISTEN_PID"), pidv));
		FUZZ_CHECK(same(getenv("LISTEN_FDS"), fdsv));
		FUZZ_CHECK(same(getenv("LISTEN_FDNAMES"), namesv));
	} else {
		FUZZ_CHECK(n == want);
		FUZZ_CHECK(n == 0 || (fds != NULL && names != NULL));
		for (i = 0; i < n; i++) {
			FUZZ_CHECK(fds[i] == 3 + i);
			FUZZ_CHECK(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
			FUZZ_CHECK(names[i] != NULL);
			FUZZ_CHECK(strchr(names[i], ':') == NULL);
			FUZZ_CHECK(field_is(namesv, i, names[i]));
		}
		FUZZ_CHECK(getenv("LISTEN_PID") == NULL);
		FUZZ_CHECK(getenv("LISTEN_FDS") == NULL);
		FUZZ_CHECK(getenv("LISTEN_FDNAMES") == NULL);
		FUZZ_CHECK(getenv("LISTEN_PIDFDID") == NULL);
		/* Asking again gives the same answer, not a second parse. */
		FUZZ_CHECK(daemonize_listen_fds(d, NULL, NULL) == n);
	}
	daemonize_free(d);
	fuzz_free_fields(f, nf);
	return 0;
}

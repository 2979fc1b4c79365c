/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * util.c - the leaf of the library (see util.h): it includes nothing of
 * ours but util.h, so every other file can use it without a circle.
 */
#include "util.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- errors -------------------------------------------------------------- */

/* Append src to the string in dst, truncating to size. */
static void
append(char *dst, size_t size, const char *src)
{
	size_t used = strlen(dst);

	if (used + 1 < size)
		dz_strlcpy_safe(dst + used, src, size - used);
}

int
dz_vfail(struct dz_err *e, const char *step, int err, const char *fmt,
    va_list ap)
{
	char text[DZ_ERRLEN], reason[128];
	size_t used, room;
	int n;

	if (e != NULL) {
		/* Built in a local buffer: an argument may be e->text itself.
		 * Room for the reason is kept, so a long path cannot push it
		 * out; the message is cut instead, marked with "...". */
		reason[0] = '\0';
		if (err != 0) {
			append(reason, sizeof(reason), ": ");
			append(reason, sizeof(reason), strerror(err));
		}
		text[0] = '\0';
		append(text, sizeof(text), step);
		if (*step != '\0')
			append(text, sizeof(text), ": ");
		used = strlen(text);
		room = sizeof(text) - strlen(reason);
		n = vsnprintf(text + used, room - used, fmt, ap);
		if (n > 0 && (size_t)n >= room - used)
			memcpy(text + room - 4, "...", 4);
		append(text, sizeof(text), reason);
		memcpy(e->text, text, sizeof(e->text));
	}
	errno = err != 0 ? err : EINVAL;
	return -1;
}

int
dz_fail(struct dz_err *e, const char *step, int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = dz_vfail(e, step, err, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- strings ------------------------------------------------------------- */

void
dz_strlcpy_safe(char *dst, const char *src, size_t size)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < size; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

size_t
dz_utoa(char *buf, unsigned long long v)
{
	char tmp[24];
	size_t n = 0, len = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		buf[len++] = tmp[--n];
	buf[len] = '\0';
	return len;
}

/* ---- parsers -------------------------------------------------------------- */

int
dz_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	unsigned int digit;

	if (s == NULL || *s == '\0') {
		errno = EINVAL;
		return -1;
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9') {
			errno = EINVAL;
			return -1;
		}
		digit = (unsigned int)(*s - '0');
		if (v > (~0ULL - digit) / 10) {
			/* Garbage after an overflow is still garbage, and
			 * EINVAL is the better answer for it. */
			for (s++; *s >= '0' && *s <= '9'; s++)
				;
			errno = *s == '\0' ? ERANGE : EINVAL;
			return -1;
		}
		v = v * 10 + digit;
	}
	if (v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/* Largest value of the signed type pid_t, computed without overflow. */
#define PID_T_MAX \
	((unsigned long long)((((pid_t)1 << (sizeof(pid_t) * CHAR_BIT - 2)) - 1) \
	    * 2 + 1))

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

int
dz_parse_pid(const char *buf, size_t len, pid_t *pid)
{
	char digits[DZ_PID_MAXLEN + 1];
	unsigned long long v;
	size_t start = 0, end = len;

	if (buf == NULL || pid == NULL || len > DZ_PID_MAXLEN) {
		errno = EINVAL;
		return -1;
	}
	/* Tolerant of the whitespace around the number ("1234\n" as we
	 * write it, "1234" as libbsd's pidfile_write does), strict inside. */
	while (start < end && is_space(buf[start]))
		start++;
	while (end > start && is_space(buf[end - 1]))
		end--;
	/* An embedded NUL is garbage, not the end of the number. */
	if (memchr(buf + start, '\0', end - start) != NULL) {
		errno = EINVAL;
		return -1;
	}
	memcpy(digits, buf + start, end - start);
	digits[end - start] = '\0';
	if (dz_parse_uint(digits, PID_T_MAX, &v) == -1)
		return -1;
	if (v == 0) {
		/* kill(0, sig) would signal our own process group. */
		errno = EINVAL;
		return -1;
	}
	*pid = (pid_t)v;
	return 0;
}

/* ---- clock ---------------------------------------------------------------- */

int64_t
dz_now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer (EINVAL only
	 * for an unknown clock); 0 would only make a deadline early. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
dz_now_ms(void)
{
	return dz_now_ns() / 1000000;
}

void
dz_sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void
dz_sleep_ms(long ms)
{
	dz_sleep_us(ms * 1000L);
}

int
dz_ms_left(int64_t deadline_ms)
{
	int64_t left;

	if (deadline_ms < 0)
		return -1;
	left = deadline_ms - dz_now_ms();
	if (left <= 0)
		return 0;
	return left > 86400000 ? 86400000 : (int)left;
}

/* ---- descriptors ---------------------------------------------------------- */

void
dz_close_quietly(int fd)
{
	int saved = errno;

	if (fd >= 0)
		(void)close(fd);
	errno = saved;
}

int
dz_move_high(int fd)
{
	int nfd;

	if (fd < 0 || fd >= 3)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	dz_close_quietly(fd);
	return nfd;
}

int
dz_open(const char *path, int flags, mode_t mode)
{
	int fd;

	do
		fd = open(path, flags, mode);
	while (fd == -1 && errno == EINTR);
	return fd;
}

int
dz_dup2(int from, int to)
{
	int r;

	do
		r = dup2(from, to);
	while (r == -1 && errno == EINTR);
	return r;
}

int
dz_flock(int fd, int op)
{
	int r;

	do
		r = flock(fd, op);
	while (r == -1 && errno == EINTR);
	return r;
}

int
dz_poll_until(struct pollfd *pfd, nfds_t n, int64_t deadline_ms)
{
	nfds_t i;
	int r;

	for (;;) {
		for (i = 0; i < n; i++)
			pfd[i].revents = 0;
		r = poll(pfd, n, dz_ms_left(deadline_ms));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		/* poll rounds; trust the clock, not its zero. */
		if (r == 0 && deadline_ms >= 0 && dz_now_ms() < deadline_ms)
			continue;
		return r > 0 ? 1 : 0;
	}
}

/* Read up to len bytes, with pread from off, or with read when off is -1;
 * until len or EOF, retrying EINTR. */
static ssize_t
read_upto(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (off >= 0)
			n = pread(fd, p + done, len - done, off + (off_t)done);
		else
			n = read(fd, p + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t
dz_pread_full(int fd, void *buf, size_t len, off_t off)
{
	return read_upto(fd, buf, len, off < 0 ? 0 : off);
}

ssize_t
dz_read_full(int fd, void *buf, size_t len)
{
	return read_upto(fd, buf, len, -1);
}

int
dz_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, p + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* ---- paths ---------------------------------------------------------------- */

char *
dz_absolute_path(struct dz_err *e, const char *step, const char *path)
{
	char cwd[PATH_MAX];
	char *abs;
	size_t len;

	if (path == NULL || *path == '\0') {
		dz_fail(e, step, EINVAL, "empty path");
		return NULL;
	}
	if (*path == '/') {
		if ((abs = strdup(path)) == NULL)
			dz_fail(e, step, errno, "%s", path);
		return abs;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		dz_fail(e, step, errno, "%s: cannot make it absolute", path);
		return NULL;
	}
	len = strlen(cwd) + 1 + strlen(path) + 1;
	if (len > PATH_MAX) {
		dz_fail(e, step, ENAMETOOLONG, "%s/%s", cwd, path);
		return NULL;
	}
	if ((abs = malloc(len)) == NULL) {
		dz_fail(e, step, errno, "%s", path);
		return NULL;
	}
	abs[0] = '\0';
	if (strcmp(cwd, "/") != 0)
		append(abs, len, cwd);
	append(abs, len, "/");
	append(abs, len, path);
	return abs;
}

int
dz_replace_path(struct dz_err *e, const char *step, char **slot,
    const char *path)
{
	char *copy = NULL;

	if (path != NULL && (copy = dz_absolute_path(e, step, path)) == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

int
dz_replace_string(struct dz_err *e, const char *step, char **slot,
    const char *s)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL)
		return dz_fail(e, step, errno, "%s", s);
	free(*slot);
	*slot = copy;
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * util.h - the leaf of the library: error text, EINTR-safe wrappers,
 * strict parsers, the monotonic clock and descriptor moves.
 *
 * util.c includes nothing of ours but this header; every other lib/ file
 * may use it.  Names starting with dz_ are internal: the shared library
 * exports only the daemonize_ names of <daemonize.h> (lib/libdaemonize.map).
 */
#ifndef DZ_UTIL_H
#define DZ_UTIL_H

#include "config.h"

#include <sys/types.h>

#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Marks the definitions of the public functions (-fvisibility=hidden
 * hides everything else, and the version script lists them again). */
#define DZ_PUBLIC __attribute__((visibility("default")))

#if defined(__GNUC__)
#define DZ_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DZ_PRINTF(f, a)
#endif

/* ---- errors --------------------------------------------------------------
 * The text of the last failure, "step: what: strerror", kept by whoever
 * owns it (the context keeps one; a step is handed a pointer).  Failing
 * functions set it and errno and return -1 in one statement:
 *	return dz_fail(e, "pidfile", errno, "%s: cannot open", path);
 * err 0 means "no strerror suffix"; errno is then EINVAL unless the caller
 * sets it afterwards. */
#define DZ_ERRLEN 512

struct dz_err {
	char text[DZ_ERRLEN];
};

int dz_fail(struct dz_err *e, const char *step, int err, const char *fmt,
    ...) DZ_PRINTF(4, 5);
int dz_vfail(struct dz_err *e, const char *step, int err, const char *fmt,
    va_list ap) DZ_PRINTF(4, 0);

/* ---- strings (async-signal-safe: used between fork and _exit) ---------- */

/* Copy src into dst of size bytes, always terminated, no library call. */
void dz_strlcpy_safe(char *dst, const char *src, size_t size);
/* Decimal digits of v into buf (at least 21 bytes), terminated; length. */
size_t dz_utoa(char *buf, unsigned long long v);

/* ---- parsers -------------------------------------------------------------- */

/* Strict decimal: digits only, no sign, no spaces; EINVAL for anything
 * else, ERANGE above max. */
int dz_parse_uint(const char *s, unsigned long long max,
    unsigned long long *out);
/* A pidfile's content: one positive decimal pid, optional surrounding
 * whitespace, at most DZ_PID_MAXLEN bytes.  Reads only buf[0..len-1].
 * EINVAL for empty, garbage, zero or two numbers; ERANGE beyond pid_t. */
#define DZ_PID_MAXLEN 64
int dz_parse_pid(const char *buf, size_t len, pid_t *pid);

/* ---- clock ---------------------------------------------------------------- */

/* CLOCK_MONOTONIC: a wall-clock step never stretches or cuts a wait. */
int64_t dz_now_ms(void);
int64_t dz_now_ns(void);
/* Sleep ms milliseconds (us microseconds), resuming after signals. */
void dz_sleep_ms(long ms);
void dz_sleep_us(long us);
/* Milliseconds left until deadline_ms (-1: no deadline), for poll():
 * -1 for none, 0 when passed, capped to a day. */
int dz_ms_left(int64_t deadline_ms);

/* ---- descriptors: every call retries EINTR where that is correct -------- */

/* close(2) without retry (the fd is gone after EINTR on Linux and its
 * state unspecified by POSIX), keeping errno; -1 is ignored. */
void dz_close_quietly(int fd);
/* Move fd to a number >= 3, close-on-exec; the old number is closed.
 * -1 with errno (fd closed too) on failure.  The library's descriptors
 * must never take 0-2: the next open() would make them someone's stdio. */
int dz_move_high(int fd);
int dz_open(const char *path, int flags, mode_t mode);
int dz_dup2(int from, int to);
int dz_flock(int fd, int op);
/* poll() until an event or the deadline (dz_now_ms based, -1: none);
 * 1 readable/event, 0 timed out, -1 error. */
int dz_poll_until(struct pollfd *pfd, nfds_t n, int64_t deadline_ms);
/* Read up to len bytes from offset off (pread) or until EOF; bytes read. */
ssize_t dz_pread_full(int fd, void *buf, size_t len, off_t off);
/* Read exactly len bytes unless EOF comes first; bytes read, -1 on error. */
ssize_t dz_read_full(int fd, void *buf, size_t len);
/* Write all len bytes; 0 or -1.  Async-signal-safe. */
int dz_write_full(int fd, const void *buf, size_t len);

/* ---- paths ---------------------------------------------------------------- */

/* A malloc'ed absolute copy of path (relative to the cwd), because the
 * daemon uses paths again after chdir.  NULL with the error set. */
char *dz_absolute_path(struct dz_err *e, const char *step, const char *path);
/* *slot = absolute copy of path, or NULL for NULL; the old value is freed
 * only once the new one exists, so a failure changes nothing. */
int dz_replace_path(struct dz_err *e, const char *step, char **slot,
    const char *path);
/* *slot = strdup(s), or NULL for NULL; the same failure rule. */
int dz_replace_string(struct dz_err *e, const char *step, char **slot,
    const char *s);

#endif /* DZ_UTIL_H */

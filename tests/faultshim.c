/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * faultshim.c - an LD_PRELOAD shim that makes one chosen system call fail
 * once, for the fault-injection suite (tests/check_faults.c).
 *
 * Usage:
 *   LD_PRELOAD=.../tests/.libs/libfaultshim.so \
 *   DZ_FAULT=NAME:ERRNO:N[:GEN][,NAME:ERRNO:N[:GEN]...] program ...
 *
 *   NAME   one of the wrapped calls below.  "open" counts open, open64,
 *          openat and openat64 together (libbsd's pidfile_open opens with
 *          openat, the library itself with open); "pipe" counts pipe and
 *          pipe2; "pwrite" and "ftruncate" count their 64-bit twins.
 *          Every other name is one function: setgid and setresgid are
 *          separate, so are setuid and setresuid.
 *   ERRNO  a symbolic name from the table below (EPERM, ENOSPC, ...) or
 *          a positive decimal number.
 *   N      the N-th call (1 = the first) fails, once.
 *   GEN    optional: count and fail only in processes of this fork
 *          generation.  The process that loaded the shim (exec) is
 *          generation 0, a child it forks is 1, that child's child is 2.
 *          For a daemonizing program: 0 = the original process, 1 = the
 *          middle child (setsid, second fork), 2 = the daemon.
 *
 * Counting and fork.  Counters live in the process and are copied by fork
 * like all memory, so without GEN the N-th call is counted along the line
 * of descent: if the original process made one open call before it forked,
 * the daemon's first open is call 2.  This is usually what a test means
 * ("the second open of the start-up sequence"), but two branches of a fork
 * that both go on calling the function can each reach N and each fail
 * once.  With GEN, only processes of that generation count (and fail), so
 * the count starts at 0 in the first process of that generation and the
 * fault happens in exactly the process the test aims at: ancestors never
 * count, and descendants inherit the count but neither count nor fail.
 * Once a fault has fired in a process it stays fired in the children that
 * process forks afterwards.  exec starts everything afresh (the shim is
 * loaded again and reads DZ_FAULT again), generation 0 included.
 *
 * DZ_FAULT_LOG=1 writes one line to fd 2 each time a fault fires (fd 2 of
 * the daemon is /dev/null or its log file, so this is for debugging).
 *
 * The wrappers are async-signal-safe (the middle child of a daemonizing
 * fork may call only such functions): everything that is not, parsing the
 * environment and dlsym(RTLD_NEXT), happens in the constructor.
 */
/* Our own definitions of open, pwrite, ... must not be renamed or inlined
 * by the headers. */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Wrapped call families; each has one counter per spec. */
enum fam {
	F_FORK, F_SETSID, F_OPEN, F_FLOCK, F_WRITE, F_PWRITE, F_FTRUNCATE,
	F_CHDIR, F_CHROOT, F_SETGROUPS, F_SETGID, F_SETRESGID, F_SETUID,
	F_SETRESUID, F_DUP2, F_PIPE, F_NFAM
};

static const char *const fam_names[F_NFAM] = {
	"fork", "setsid", "open", "flock", "write", "pwrite", "ftruncate",
	"chdir", "chroot", "setgroups", "setgid", "setresgid", "setuid",
	"setresuid", "dup2", "pipe"
};

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EINTR", EINTR },
	{ "EIO", EIO }, { "EBADF", EBADF }, { "EAGAIN", EAGAIN },
	{ "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "EBUSY", EBUSY },
	{ "EEXIST", EEXIST }, { "ENOTDIR", ENOTDIR }, { "EINVAL", EINVAL },
	{ "ENFILE", ENFILE }, { "EMFILE", EMFILE }, { "ENOSPC", ENOSPC },
	{ "EROFS", EROFS }, { "ENOLCK", ENOLCK }, { "ELOOP", ELOOP },
	{ "EDQUOT", EDQUOT }, { "ENAMETOOLONG", ENAMETOOLONG },
	{ "EWOULDBLOCK", EWOULDBLOCK }, { "ENOSYS", ENOSYS },
};

#define MAX_SPECS 8

struct spec {
	enum fam fam;
	int err;
	unsigned long nth;
	int gen;            /* -1: every generation */
	unsigned long count;
	int fired;
};

static struct spec specs[MAX_SPECS];
static int nspecs;
static int generation;
static bool logging;
static bool initialized;

/* The next definitions, resolved once in the constructor. */
static pid_t (*real_fork)(void);
static pid_t (*real_setsid)(void);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_flock)(int, int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off64_t);
static int (*real_chdir)(const char *);
static int (*real_chroot)(const char *);
static int (*real_setgroups)(size_t, const gid_t *);
static int (*real_setgid)(gid_t);
static int (*real_setresgid)(gid_t, gid_t, gid_t);
static int (*real_setuid)(uid_t);
static int (*real_setresuid)(uid_t, uid_t, uid_t);
static int (*real_dup2)(int, int);
static int (*real_pipe)(int[2]);
static int (*real_pipe2)(int[2], int);

/* ---- set-up (not async-signal-safe; runs before main) -------------------- */

static void
die(const char *msg)
{
	/* A bad DZ_FAULT must not let a test pass by injecting nothing. */
	if (real_write != NULL) {
		(void)real_write(2, "faultshim: ", 11);
		(void)real_write(2, msg, strlen(msg));
		(void)real_write(2, "\n", 1);
	}
	_exit(99);
}

/* ISO C has no conversion from dlsym's object pointer to a function
 * pointer; POSIX guarantees the representations agree, so copy the bits.
 * Casts between function pointer types are then plain C. */
typedef void (*shim_fn)(void);

static shim_fn
next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	shim_fn f;

	/* NULL is fine for a function libc lacks: its wrapper then fails
	 * with ENOSYS, which no test expects by accident. */
	memcpy(&f, &p, sizeof(f));
	return f;
}

static int
parse_errno(const char *s)
{
	size_t i;
	char *end;
	long v;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strcmp(s, errnos[i].name) == 0)
			return errnos[i].value;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > 4095)
		die("DZ_FAULT: unknown errno");
	return (int)v;
}

static unsigned long
parse_count(const char *s, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-')
		die(what);
	return v;
}

/* One "NAME:ERRNO:N[:GEN]" into specs[nspecs]; s is modified. */
static void
parse_spec(char *s)
{
	char *field[4] = { NULL, NULL, NULL, NULL };
	struct spec *sp;
	int i, n = 0;

	if (nspecs == MAX_SPECS)
		die("DZ_FAULT: too many specs");
	field[n++] = s;
	for (; *s != '\0'; s++) {
		if (*s == ':') {
			if (n == 4)
				die("DZ_FAULT: too many fields");
			*s = '\0';
			field[n++] = s + 1;
		}
	}
	if (n < 3)
		die("DZ_FAULT: expected NAME:ERRNO:N[:GEN]");
	sp = &specs[nspecs];
	for (i = 0; i < F_NFAM; i++)
		if (strcmp(field[0], fam_names[i]) == 0)
			break;
	if (i == F_NFAM)
		die("DZ_FAULT: unknown function name");
	sp->fam = (enum fam)i;
	sp->err = parse_errno(field[1]);
	sp->nth = parse_count(field[2], "DZ_FAULT: bad call number");
	if (sp->nth == 0)
		die("DZ_FAULT: call numbers start at 1");
	sp->gen = n == 4 ?
	    (int)parse_count(field[3], "DZ_FAULT: bad generation") : -1;
	nspecs++;
}

__attribute__((constructor)) static void
faultshim_init(void)
{
	const char *env, *lg;
	char *copy, *tok, *save = NULL;

	/* Another library's constructor may call a wrapper before ours ran:
	 * fault() then calls us first.  Only ever one thread before main. */
	if (initialized)
		return;
	initialized = true;
	real_fork = (pid_t (*)(void))next("fork");
	real_setsid = (pid_t (*)(void))next("setsid");
	real_open = (int (*)(const char *, int, ...))next("open");
	real_open64 = (int (*)(const char *, int, ...))next("open64");
	real_openat = (int (*)(int, const char *, int, ...))next("openat");
	real_openat64 = (int (*)(int, const char *, int, ...))next("openat64");
	real_flock = (int (*)(int, int))next("flock");
	real_write = (ssize_t (*)(int, const void *, size_t))next("write");
	real_pwrite = (ssize_t (*)(int, const void *, size_t, off_t))
	    next("pwrite");
	real_pwrite64 = (ssize_t (*)(int, const void *, size_t, off64_t))
	    next("pwrite64");
	real_ftruncate = (int (*)(int, off_t))next("ftruncate");
	real_ftruncate64 = (int (*)(int, off64_t))next("ftruncate64");
	real_chdir = (int (*)(const char *))next("chdir");
	real_chroot = (int (*)(const char *))next("chroot");
	real_setgroups = (int (*)(size_t, const gid_t *))next("setgroups");
	real_setgid = (int (*)(gid_t))next("setgid");
	real_setresgid = (int (*)(gid_t, gid_t, gid_t))next("setresgid");
	real_setuid = (int (*)(uid_t))next("setuid");
	real_setresuid = (int (*)(uid_t, uid_t, uid_t))next("setresuid");
	real_dup2 = (int (*)(int, int))next("dup2");
	real_pipe = (int (*)(int[2]))next("pipe");
	real_pipe2 = (int (*)(int[2], int))next("pipe2");

	lg = getenv("DZ_FAULT_LOG");
	logging = lg != NULL && *lg != '\0' && strcmp(lg, "0") != 0;
	if ((env = getenv("DZ_FAULT")) == NULL || *env == '\0')
		return;
	if ((copy = strdup(env)) == NULL)
		die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		parse_spec(tok);
	free(copy);
}

/* ---- the decision (async-signal-safe) ------------------------------------- */

static void
put_num(char *buf, size_t *len, unsigned long v)
{
	char tmp[24];
	size_t i = 0;

	do
		tmp[i++] = (char)('0' + v % 10);
	while ((v /= 10) != 0 && i < sizeof(tmp));
	while (i > 0)
		buf[(*len)++] = tmp[--i];
}

static void
put_str(char *buf, size_t *len, const char *s)
{
	while (*s != '\0')
		buf[(*len)++] = *s++;
}

static void
log_fire(const struct spec *sp)
{
	char buf[128];
	size_t len = 0;

	if (!logging || real_write == NULL)
		return;
	put_str(buf, &len, "faultshim: pid ");
	put_num(buf, &len, (unsigned long)getpid());
	put_str(buf, &len, " gen ");
	put_num(buf, &len, (unsigned long)generation);
	put_str(buf, &len, ": ");
	put_str(buf, &len, fam_names[sp->fam]);
	put_str(buf, &len, " call ");
	put_num(buf, &len, sp->nth);
	put_str(buf, &len, " fails with errno ");
	put_num(buf, &len, (unsigned long)sp->err);
	buf[len++] = '\n';
	(void)real_write(2, buf, len);
}

/* Count one call of fam; the errno to fail it with, or 0 to let it run. */
static int
fault(enum fam fam)
{
	struct spec *sp;
	int i, err = 0;

	if (!initialized)
		faultshim_init();
	for (i = 0; i < nspecs; i++) {
		sp = &specs[i];
		if (sp->fam != fam || sp->fired ||
		    (sp->gen >= 0 && sp->gen != generation))
			continue;
		/* Atomic so that a signal handler or a thread calling the
		 * same function cannot make two calls share one number. */
		if (__atomic_add_fetch(&sp->count, 1, __ATOMIC_SEQ_CST) !=
		    sp->nth)
			continue;
		if (__atomic_exchange_n(&sp->fired, 1, __ATOMIC_SEQ_CST))
			continue;
		log_fire(sp);
		if (err == 0)
			err = sp->err;
	}
	return err;
}

/* Fail with e, or call through. */
#define INJECT(fam, failval) do {				\
	int e_ = fault(fam);					\
								\
	if (e_ != 0) {						\
		errno = e_;					\
		return (failval);				\
	}							\
} while (0)

#define NEED(fn, failval) do {					\
	if ((fn) == NULL) {					\
		errno = ENOSYS;					\
		return (failval);				\
	}							\
} while (0)

/* open's mode argument exists only when the flags create a file. */
static bool
needs_mode(int flags)
{
#ifdef O_TMPFILE
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return true;
#endif
	return (flags & O_CREAT) != 0;
}

/* ---- the wrappers ----------------------------------------------------------- */

pid_t
fork(void)
{
	pid_t pid;

	INJECT(F_FORK, -1);
	NEED(real_fork, -1);
	pid = real_fork();
	if (pid == 0)
		generation++;
	return pid;
}

pid_t
setsid(void)
{
	INJECT(F_SETSID, -1);
	NEED(real_setsid, -1);
	return real_setsid();
}

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	INJECT(F_OPEN, -1);
	NEED(real_open, -1);
	return real_open(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	INJECT(F_OPEN, -1);
	NEED(real_open64, -1);
	return real_open64(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	INJECT(F_OPEN, -1);
	NEED(real_openat, -1);
	return real_openat(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	INJECT(F_OPEN, -1);
	NEED(real_openat64, -1);
	return real_openat64(dirfd, path, flags, mode);
}

int
flock(int fd, int op)
{
	INJECT(F_FLOCK, -1);
	NEED(real_flock, -1);
	return real_flock(fd, op);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	INJECT(F_WRITE, -1);
	NEED(real_write, -1);
	return real_write(fd, buf, len);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	INJECT(F_PWRITE, -1);
	NEED(real_pwrite, -1);
	return real_pwrite(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	INJECT(F_PWRITE, -1);
	NEED(real_pwrite64, -1);
	return real_pwrite64(fd, buf, len, off);
}

int
ftruncate(int fd, off_t len)
{
	INJECT(F_FTRUNCATE, -1);
	NEED(real_ftruncate, -1);
	return real_ftruncate(fd, len);
}

int
ftruncate64(int fd, off64_t len)
{
	INJECT(F_FTRUNCATE, -1);
	NEED(real_ftruncate64, -1);
	return real_ftruncate64(fd, len);
}

int
chdir(const char *path)
{
	INJECT(F_CHDIR, -1);
	NEED(real_chdir, -1);
	return real_chdir(path);
}

int
chroot(const char *path)
{
	INJECT(F_CHROOT, -1);
	NEED(real_chroot, -1);
	return real_chroot(path);
}

int
setgroups(size_t n, const gid_t *list)
{
	INJECT(F_SETGROUPS, -1);
	NEED(real_setgroups, -1);
	return real_setgroups(n, list);
}

int
setgid(gid_t gid)
{
	INJECT(F_SETGID, -1);
	NEED(real_setgid, -1);
	return real_setgid(gid);
}

int
setresgid(gid_t r, gid_t e, gid_t s)
{
	INJECT(F_SETRESGID, -1);
	NEED(real_setresgid, -1);
	return real_setresgid(r, e, s);
}

int
setuid(uid_t uid)
{
	INJECT(F_SETUID, -1);
	NEED(real_setuid, -1);
	return real_setuid(uid);
}

int
setresuid(uid_t r, uid_t e, uid_t s)
{
	INJECT(F_SETRESUID, -1);
	NEED(real_setresuid, -1);
	return real_setresuid(r, e, s);
}

int
dup2(int from, int to)
{
	INJECT(F_DUP2, -1);
	NEED(real_dup2, -1);
	return real_dup2(from, to);
}

int
pipe(int fds[2])
{
	INJECT(F_PIPE, -1);
	NEED(real_pipe, -1);
	return real_pipe(fds);
}

int
pipe2(int fds[2], int flags)
{
	INJECT(F_PIPE, -1);
	NEED(real_pipe2, -1);
	return real_pipe2(fds, flags);
}

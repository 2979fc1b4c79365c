/*
 * pidfile.c - the locked pidfile: open and lock before the fork, write the
 * daemon's pid, release (remove or truncate) at the end, and the readers
 * that control a running daemon through its file.
 *
 * The lock is flock(2), never fcntl(2): flock locks belong to the open file
 * description, so the lock taken in the original process before the fork
 * is the daemon's lock after it (both forks share the description), and
 * the original process closing its descriptor does not release it.  fcntl
 * locks belong to a process and would be lost in the fork.
 *
 * On-disk format, written by dz_pidfile_write: the pid in decimal followed
 * by one newline ("1234\n"), nothing else.  The reader (dz_pidfile_parse)
 * is tolerant: surrounding whitespace is allowed and the newline optional,
 * so files written by libbsd's pidfile_write ("1234") read as well.
 *
 * "Running" means "the lock is held".  The content of a file nobody holds
 * (empty, garbage, a stale pid that may now belong to another process) is
 * never used to pick a process to signal.
 */
#include "internal.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_PIDFILE_OPEN
#include <bsd/libutil.h>
#endif

/* Creation mode; the caller's umask applies, as to any file it creates. */
#define PIDFILE_MODE	0644
/* A pidfile is one number: anything longer is not one of ours. */
#define PIDFILE_MAXLEN	64
/* Times the path may be replaced under us between open and lock. */
#define OPEN_TRIES	8
/* How long a second instance waits for the holder to write its pid:
 * 20 x 5 ms, like libbsd, then it reports "pid unknown". */
#define HOLDER_TRIES	20
#define HOLDER_WAIT_NS	5000000L
/* Poll interval of daemonize_pidfile_stop. */
#define STOP_POLL_MS	10

/* Largest value of the signed integer type pid_t, computed without
 * overflow for any width. */
#define PID_T_MAX \
	((unsigned long long)((((pid_t)1 << (sizeof(pid_t) * CHAR_BIT - 2)) - 1) \
	    * 2 + 1))

/* ---- the one place where libbsd and the own code differ ----------------
 *
 * lock_open(path, &fd, &what): open (creating it with PIDFILE_MODE) and lock
 * path with LOCK_EX|LOCK_NB.  On success *fd is locked and close-on-exec;
 * on failure -1 with errno, EEXIST when another description holds the lock,
 * and *what says which call failed, for the message.
 * The caller checks the file type and that the path still names the
 * locked inode, and truncates.
 *
 * With libbsd (0.11) we use pidfile_open, pidfile_fileno and pidfile_close:
 * pidfile_open creates, locks with flock, re-checks the inode and truncates
 * after locking, which is what we want.  We call it with a NULL pid pointer,
 * so that a held lock is plain EEXIST: its own reader (pidfile_read) rejects
 * "PID\n" with EINVAL, which would turn "already running" into "invalid
 * argument"; the holder's pid is read with our tolerant reader instead.
 * Its descriptor is not close-on-exec (the man page says otherwise) and
 * may land on 0-2, so we keep an F_DUPFD_CLOEXEC duplicate >= 3 (same open
 * file description, so the same lock) and close libbsd's handle at once
 * with pidfile_close: no libbsd state is carried into the daemon, and
 * pidfile_close's fstat check can never fail later on a descriptor the
 * caller closed.  Replaced, not used: pidfile_write (no newline: we write
 * "PID\n"), pidfile_remove (unlinks by path, so a forked worker would delete
 * the daemon's file; we unlink only while the path still names our inode)
 * and pidfile_read (strict, see above).
 *
 * libbsd follows a symlink at the path (no O_NOFOLLOW) and, as root,
 * truncates its target.  pidfile_open refuses the symlink and non-regular
 * files with lstat before calling lock_open, and again after it; what stays
 * is the window between that lstat and libbsd's open, which only someone
 * who may write into the pidfile's directory can use.  The own code has no
 * such window (O_NOFOLLOW).
 */
#ifdef HAVE_PIDFILE_OPEN
static int
lock_open(const char *path, int *fdp, const char **what)
{
	struct pidfh *pfh;
	int fd, saved;

	if ((pfh = pidfile_open(path, PIDFILE_MODE, NULL)) == NULL) {
		/* libbsd opens and locks in one call; of flock's errors only
		 * ENOLCK reaches us (EWOULDBLOCK becomes EEXIST), so errno
		 * says which of the two failed. */
		*what = errno == ENOLCK ? "cannot lock" : "cannot open";
		return -1;              /* EEXIST when the lock is held */
	}
	fd = fcntl(pidfile_fileno(pfh), F_DUPFD_CLOEXEC, 3);
	saved = errno;
	(void)pidfile_close(pfh);       /* our duplicate keeps the lock */
	if (fd == -1) {
		*what = "cannot duplicate its descriptor";
		errno = saved;
		return -1;
	}
	*fdp = fd;
	return 0;
}
#else
static int
lock_open(const char *path, int *fdp, const char **what)
{
	int fd, r, saved;

	*what = "cannot open";
	/* O_NOFOLLOW: never a symlink's target.  O_NONBLOCK and O_NOCTTY:
	 * opening a fifo or a terminal planted there must neither block nor
	 * acquire a controlling terminal (the type is refused afterwards). */
	do
		fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC, PIDFILE_MODE);
	while (fd == -1 && errno == EINTR);
	if (fd == -1)
		return -1;
	*what = "cannot lock";
	do
		r = flock(fd, LOCK_EX | LOCK_NB);
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		saved = errno == EWOULDBLOCK ? EEXIST : errno;
		dz_close_quietly(fd);
		errno = saved;
		return -1;
	}
	*fdp = fd;
	return 0;
}
#endif

/* ---- parsing ------------------------------------------------------------- */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* One positive decimal pid with optional surrounding whitespace.  Reads
 * only buf[0..len-1] (no NUL needed: this is a fuzz target).  EINVAL for
 * empty, garbage, a sign, zero, more than one number or more than
 * PIDFILE_MAXLEN bytes; ERANGE for a number beyond pid_t. */
int
dz_pidfile_parse(const char *buf, size_t len, pid_t *pid)
{
	unsigned long long v = 0;
	size_t i = 0, digits = 0;
	bool range = false;

	if (buf == NULL || pid == NULL || len > PIDFILE_MAXLEN) {
		errno = EINVAL;
		return -1;
	}
	while (i < len && is_space(buf[i]))
		i++;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++, digits++) {
		if (!range) {
			v = v * 10 + (unsigned long long)(buf[i] - '0');
			if (v > PID_T_MAX)
				range = true;
		}
	}
	while (i < len && is_space(buf[i]))
		i++;
	if (digits == 0 || i != len) {
		errno = EINVAL;
		return -1;
	}
	if (range) {
		errno = ERANGE;
		return -1;
	}
	if (v == 0) {
		errno = EINVAL;
		return -1;
	}
	*pid = (pid_t)v;
	return 0;
}

/* ---- helpers --------------------------------------------------------------- */

/* Read at most PIDFILE_MAXLEN + 1 bytes from the start of fd, so that an
 * oversized file is seen as one (and rejected by the parser). */
static ssize_t
read_head(int fd, char *buf, size_t size)
{
	size_t off = 0;
	ssize_t n;

	while (off < size) {
		n = pread(fd, buf + off, size - off, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	return (ssize_t)off;
}

/* Open path for reading without following a symlink, without blocking on
 * a fifo and without a controlling terminal; regular files only (EINVAL). */
static int
open_reader(const char *path)
{
	struct stat st;
	int fd;

	do
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC);
	while (fd == -1 && errno == EINTR);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		int saved = errno;

		dz_close_quietly(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		dz_close_quietly(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* The pid in fd's file, or -1 with errno (EINVAL/ERANGE/read errors). */
static pid_t
read_pid_fd(int fd)
{
	char buf[PIDFILE_MAXLEN + 1];
	ssize_t n;
	pid_t pid;

	if ((n = read_head(fd, buf, sizeof(buf))) == -1)
		return -1;
	if (dz_pidfile_parse(buf, (size_t)n, &pid) == -1)
		return -1;
	return pid;
}

/* The pid of the instance holding the lock, for the "already running"
 * message: the holder writes it only after its fork, so wait a little
 * (bounded) while the file is empty.  0 when it is still unknown. */
static pid_t
holder_pid(const char *path)
{
	struct timespec ts = { 0, HOLDER_WAIT_NS };
	pid_t pid;
	int fd, i;

	for (i = 0; i < HOLDER_TRIES; i++) {
		if ((fd = open_reader(path)) == -1)
			return 0;
		pid = read_pid_fd(fd);
		dz_close_quietly(fd);
		if (pid > 0)
			return pid;
		(void)nanosleep(&ts, NULL);
	}
	return 0;
}

/* Refuse what must never be opened for writing: a symlink (ELOOP, also
 * where O_NOFOLLOW says EMLINK or EFTYPE) and anything but a regular file
 * (EINVAL: portable, where EFTYPE exists only on the BSDs).  A missing
 * file is fine: it is created. */
static int
check_path(struct daemonize *d, const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return dz_error(d, "pidfile", errno, "%s", path);
	}
	if (S_ISLNK(st.st_mode))
		return dz_error(d, "pidfile", ELOOP,
		    "%s: is a symbolic link, refusing to follow it", path);
	if (!S_ISREG(st.st_mode))
		return dz_error(d, "pidfile", EINVAL,
		    "%s: not a regular file", path);
	return 0;
}

/* lock_open failed after its open may have created path (the lock or the
 * truncation failed): remove the file if it was not there before, is
 * still empty and nobody holds it, so that a failed start leaves no
 * pidfile behind.  A holder that opened it meanwhile and locks it after
 * our unlink finds the name gone and starts over, as in dz_pidfile_open. */
static void
discard_created(const char *path)
{
	struct stat fst, pst;
	int fd, r;

	if ((fd = open_reader(path)) == -1)
		return;
	do
		r = flock(fd, LOCK_EX | LOCK_NB);
	while (r == -1 && errno == EINTR);
	if (r == 0 && fstat(fd, &fst) == 0 && fst.st_size == 0 &&
	    lstat(path, &pst) == 0 && pst.st_dev == fst.st_dev &&
	    pst.st_ino == fst.st_ino)
		(void)unlink(path);
	dz_close_quietly(fd);
}

/* ---- the pidfile of a context ------------------------------------------ */

static void
reset(struct dz_pidfile *pf)
{
	pf->fd = -1;
	pf->dev = 0;
	pf->ino = 0;
	pf->written_by = 0;
}

int
dz_pidfile_open(struct daemonize *d)
{
	const char *path, *what = "cannot open";
	struct stat fst, pst;
	pid_t pid;
	int fd, tries, nfd, saved;
	bool existed;

	if (d == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((path = d->pidfile.path) == NULL)
		return 0;
	if (d->pidfile.fd >= 0)
		return dz_error(d, "pidfile", EALREADY, "%s: already open", path);

	for (tries = 0; tries < OPEN_TRIES; tries++) {
		if (check_path(d, path) == -1)
			return -1;
		existed = lstat(path, &pst) == 0;
		if (lock_open(path, &fd, &what) == -1) {
			saved = errno;
			if (saved != EEXIST && !existed)
				discard_created(path);
			if (saved == EEXIST) {
				/* The exact text is a contract (tests, scripts
				 * and people read it): no strerror suffix. */
				pid = holder_pid(path);
				if (pid > 0)
					dz_error(d, "pidfile", 0,
					    "%s: already running, pid %ld", path,
					    (long)pid);
				else
					dz_error(d, "pidfile", 0,
					    "%s: already running, pid unknown "
					    "(starting up)", path);
				errno = EEXIST;
				return -1;
			}
			/* Lost a race with someone planting a symlink or a
			 * fifo after check_path: say what it is. */
			if ((saved == ELOOP || saved == EMLINK ||
#ifdef EFTYPE
			    saved == EFTYPE ||
#endif
			    saved == ENXIO || saved == EISDIR) &&
			    check_path(d, path) == -1)
				return -1;
			return dz_error(d, "pidfile", saved, "%s: %s", path,
			    what);
		}
		/* Defensive: start made 0-2 valid, but a direct caller may
		 * not have; the pidfile must never become someone's stdout. */
		if (fd < 3) {
			if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1) {
				saved = errno;
				dz_close_quietly(fd);
				return dz_error(d, "pidfile", saved,
				    "%s: cannot move above fd 2", path);
			}
			dz_close_quietly(fd);
			fd = nfd;
		}
		if (fstat(fd, &fst) == -1) {
			saved = errno;
			dz_close_quietly(fd);
			return dz_error(d, "pidfile", saved, "%s", path);
		}
		if (!S_ISREG(fst.st_mode)) {
			dz_close_quietly(fd);
			return dz_error(d, "pidfile", EINVAL,
			    "%s: not a regular file", path);
		}
		/* Between our open and our lock the previous holder may have
		 * unlinked the file (its stop) or someone replaced it: then
		 * we hold a lock on a name nobody else will open.  Start
		 * over while the path does not name the inode we locked. */
		if (lstat(path, &pst) == -1) {
			saved = errno;
			dz_close_quietly(fd);
			if (saved == ENOENT)
				continue;
			return dz_error(d, "pidfile", saved, "%s", path);
		}
		if (pst.st_dev != fst.st_dev || pst.st_ino != fst.st_ino) {
			dz_close_quietly(fd);
			continue;
		}
		/* Only the lock holder may clear an old pid. */
		if (ftruncate(fd, 0) == -1) {
			saved = errno;
			/* We hold the lock and the name is ours: a file we
			 * created must not outlive the failed start. */
			if (!existed)
				(void)unlink(path);
			dz_close_quietly(fd);
			return dz_error(d, "pidfile", saved,
			    "%s: cannot truncate", path);
		}
		d->pidfile.fd = fd;
		d->pidfile.dev = fst.st_dev;
		d->pidfile.ino = fst.st_ino;
		d->pidfile.written_by = 0;
		return 0;
	}
	return dz_error(d, "pidfile", EAGAIN,
	    "%s: replaced %d times while being locked", path, OPEN_TRIES);
}

/* "PID\n" for getpid(), through the locked descriptor.  No stdio: this
 * runs in the daemon between fork and its possible _exit on failure. */
int
dz_pidfile_write(struct daemonize *d)
{
	char tmp[32], buf[32];
	size_t len = 0, off = 0, i = 0;
	unsigned long long v;
	pid_t self = getpid();
	ssize_t n;

	if (d == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (d->pidfile.path == NULL)
		return 0;
	if (d->pidfile.fd < 0)
		return dz_error(d, "pidfile", EBADF, "%s: not open",
		    d->pidfile.path);
	v = (unsigned long long)self;
	do
		tmp[i++] = (char)('0' + v % 10);
	while ((v /= 10) != 0 && i < sizeof(tmp));
	while (i > 0)
		buf[len++] = tmp[--i];
	buf[len++] = '\n';

	/* Readers may see the file empty for a moment: that reads as
	 * "starting up" (EAGAIN), never as a wrong pid. */
	if (ftruncate(d->pidfile.fd, 0) == -1)
		return dz_error(d, "pidfile", errno, "%s: cannot truncate",
		    d->pidfile.path);
	while (off < len) {
		n = pwrite(d->pidfile.fd, buf + off, len - off, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return dz_error(d, "pidfile", errno, "%s: cannot write",
			    d->pidfile.path);
		if (n == 0)
			return dz_error(d, "pidfile", EIO, "%s: short write",
			    d->pidfile.path);
		off += (size_t)n;
	}
	d->pidfile.written_by = self;
	return 0;
}

/*
 * Close the pidfile; with remove, also delete it, but only
 * - in the process that wrote its pid into it (a forked worker inherits
 *   the context and must never delete the daemon's file), or in the
 *   process that opened it before any pid was written (a failed start,
 *   which must leave no file behind), and
 * - while the path still names the inode we locked (after a chroot, or if
 *   someone replaced the file, the name is somebody else's).
 * When it may not be unlinked (EACCES after a privilege drop, the name
 * gone or someone else's), it is truncated through our descriptor so that
 * no reader sees a stale pid.  The lock is never released explicitly
 * (LOCK_UN would unlock the daemon's shared description too): it goes
 * with the last descriptor.  Idempotent; errno is preserved.
 */
void
dz_pidfile_release(struct daemonize *d, bool remove)
{
	struct stat st;
	bool removed = false;
	pid_t self;
	int saved = errno;

	if (d == NULL || d->pidfile.fd < 0) {
		errno = saved;
		return;
	}
	self = getpid();
	if (remove && d->pidfile.path != NULL &&
	    (d->pidfile.written_by == self || d->pidfile.written_by == 0)) {
		/* Unlink while we still hold the lock: a new instance that
		 * opened the old name before the unlink finds it locked
		 * (LOCK_NB) and reports "already running"; one that opens it
		 * after the unlink creates a new file.  No instance ever
		 * locks the unlinked inode and believes it owns the name. */
		if (lstat(d->pidfile.path, &st) == 0 &&
		    st.st_dev == d->pidfile.dev &&
		    st.st_ino == d->pidfile.ino &&
		    unlink(d->pidfile.path) == 0)
			removed = true;
		if (!removed)
			(void)ftruncate(d->pidfile.fd, 0);
	}
	dz_close_quietly(d->pidfile.fd);
	reset(&d->pidfile);
	errno = saved;
}

DZ_PUBLIC int
daemonize_set_pidfile(struct daemonize *d, const char *path)
{
	if (d == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* Absolute, because the daemon removes it after chdir. */
	return dz_set_path(d, "pidfile", &d->pidfile.path, path);
}

/* ---- readers (no context) -----------------------------------------------
 *
 * A reader tests the lock with LOCK_SH|LOCK_NB.  For the instant it holds
 * the shared lock, a daemon starting at that moment sees the lock taken and
 * fails with "already running, pid unknown": a tiny race, accepted because
 * flock offers no way to test a lock without taking it, and harmless to a
 * running daemon (it holds LOCK_EX, so our LOCK_SH simply fails).
 */

DZ_PUBLIC pid_t
daemonize_pidfile_running(const char *path)
{
	char buf[PIDFILE_MAXLEN + 1];
	ssize_t n;
	pid_t pid;
	int fd, r, saved;

	if (path == NULL || *path == '\0') {
		errno = EINVAL;
		return -1;
	}
	/* Never created here: a reader must not leave a file behind. */
	if ((fd = open_reader(path)) == -1)
		return errno == ENOENT ? 0 : -1;
	do
		r = flock(fd, LOCK_SH | LOCK_NB);
	while (r == -1 && errno == EINTR);
	if (r == 0) {
		/* Nobody holds it: not running, whatever the file says. */
		dz_close_quietly(fd);       /* drops our shared lock */
		return 0;
	}
	if (errno != EWOULDBLOCK && errno != EAGAIN) {
		saved = errno;
		dz_close_quietly(fd);
		errno = saved;
		return -1;
	}
	n = read_head(fd, buf, sizeof(buf));
	saved = errno;
	dz_close_quietly(fd);
	if (n == -1) {
		errno = saved;
		return -1;
	}
	if (dz_pidfile_parse(buf, (size_t)n, &pid) == 0)
		return pid;
	/* Locked but no valid pid yet: the holder is starting up (or
	 * stopping after truncating it).  Never guess. */
	errno = EAGAIN;
	return -1;
}

DZ_PUBLIC int
daemonize_pidfile_kill(const char *path, int signo)
{
	pid_t pid;

	if ((pid = daemonize_pidfile_running(path)) == -1)
		return -1;
	if (pid == 0) {
		errno = ESRCH;
		return -1;
	}
	return kill(pid, signo);
}

static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

DZ_PUBLIC int
daemonize_pidfile_stop(const char *path, int signo, unsigned int timeout_ms)
{
	long long deadline;
	pid_t pid, cur;

	if (signo < 0) {
		errno = EINVAL;
		return -1;
	}
	if (signo == 0)
		signo = SIGTERM;
	deadline = now_ms() + (long long)timeout_ms;
	/* A holder still starting up has no pid in the file yet: wait for
	 * it (within the timeout) rather than guess. */
	for (;;) {
		pid = daemonize_pidfile_running(path);
		if (pid == 0)
			return 0;
		if (pid > 0)
			break;
		if (errno != EAGAIN)
			return -1;
		if (now_ms() >= deadline) {
			errno = EAGAIN;
			return -1;
		}
		sleep_ms(STOP_POLL_MS);
	}
	if (kill(pid, signo) == -1 && errno != ESRCH)
		return -1;
	if (timeout_ms == 0)
		return 0;
	/* Done when the lock is free (the holder's descriptors are closed
	 * at its exit, before it is even a zombie), or when someone else
	 * holds it now.  A locked file without a pid (EAGAIN) is our
	 * daemon truncating it on its way out: keep waiting. */
	for (;;) {
		cur = daemonize_pidfile_running(path);
		if (cur == 0 || (cur > 0 && cur != pid))
			return 0;
		if (cur == -1 && errno != EAGAIN)
			return -1;
		if (now_ms() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		sleep_ms(STOP_POLL_MS);
	}
}

/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * pidfile.c - the locked pidfile: open and lock before the fork, write the
 * daemon's pid, release (remove or truncate) at the end, and the readers
 * that control a running daemon through its file (pidfile.h).
 *
 * The lock is flock(2), never fcntl(2): flock locks belong to the open file
 * description, so the lock taken in the original process before the fork
 * is the daemon's lock after it (both forks share the description), and
 * the original process closing its descriptor does not release it.  fcntl
 * locks belong to a process and would be lost in the fork.
 *
 * On-disk format, written by dz_pidfile_write: the pid in decimal followed
 * by one newline ("1234\n"), nothing else.  The reader (dz_parse_pid) is
 * tolerant: surrounding whitespace is allowed and the newline optional,
 * so files written by libbsd's pidfile_write ("1234") read as well.
 *
 * "Running" means "the lock is held".  The content of a file nobody holds
 * (empty, garbage, a stale pid that may now belong to another process) is
 * never used to pick a process to signal; and the pid in a held file is
 * signalled only once the process it names is shown to have the file
 * open (verify_holder).
 *
 * Where the file may be (trust.c): its directory must be trusted, an
 * existing file must be a regular file with one link and a trusted owner.
 */
#include "pidfile.h"
#include "compat.h"

#include <daemonize.h>

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Creation mode; the caller's umask applies, as to any file it creates. */
#define PIDFILE_MODE	0644
/* The runtime directory; set with fchmod, the umask does not apply. */
#define RUNTIME_DIR_MODE 0755
/* Times the path may be replaced under us between open and lock. */
#define OPEN_TRIES	8
/* How long a second instance waits for the holder to write its pid:
 * 20 x 5 ms, like libbsd, then it reports "pid unknown". */
#define HOLDER_TRIES	20
#define HOLDER_WAIT_MS	5
/* Poll interval of dz_pidfile_terminate where there is no pidfd. */
#define STOP_POLL_MS	10

/* ---- the one place where libbsd and the own code differ ----------------
 *
 * lock_open_*(path, &fd, ..., &what): open (creating it with PIDFILE_MODE)
 * and lock path with LOCK_EX|LOCK_NB.  On success *fd is locked and
 * close-on-exec; on failure -1 with errno, EEXIST when another description
 * holds the lock, and *what says which call failed, for the message.
 * The caller checks the file (trust.c) and that the path still names the
 * locked inode, and truncates.
 *
 * With libbsd (0.11), dz_libbsd_pidfile_open (lib/compat/libbsd_pidfile.c,
 * which says which of libbsd's functions are used and which replaced, and
 * why): pidfile_open creates, locks with flock, re-checks the inode and
 * truncates after locking, which is what we want.  A build without libbsd
 * says ENOSYS there, and the own code runs everywhere.
 *
 * libbsd follows a symlink at the path (no O_NOFOLLOW) and, as root,
 * truncates its target before we can look at it.  So it is used only
 * where nobody but root and the effective user can write the directory
 * (dz_parent_dir_writable_by_others); dz_pidfile_open refuses a symlink,
 * a non-regular file and an untrusted one with lstat (check_path) before
 * calling it, and checks again what it opened.  The window between that
 * lstat and libbsd's open is open only to users who could write the file
 * anyway.  Everywhere else (a sticky /tmp, a directory of the target
 * user) the own code runs, in both builds: it has no such window
 * (O_NOFOLLOW, O_EXCL) and truncates only after the checks.
 */

/* *created says whether this call made the file: O_EXCL first, then the
 * existing file, so a failed start removes only a file it created. */
static int
lock_open_own(const char *path, int *fdp, bool *created, const char **what)
{
	/* O_NOFOLLOW: never a symlink's target.  O_NONBLOCK and O_NOCTTY:
	 * opening a fifo or a terminal planted there must neither block nor
	 * acquire a controlling terminal (the type is refused afterwards). */
	const int flags = O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC;
	int fd = -1, tries, saved;

	*what = "cannot open";
	*created = false;
	for (tries = 0; tries < OPEN_TRIES && fd == -1; tries++) {
		fd = dz_open(path, flags | O_CREAT | O_EXCL, PIDFILE_MODE);
		if (fd >= 0) {
			*created = true;
			break;
		}
		if (errno != EEXIST)
			return -1;
		/* O_EXCL fails on any name, a symlink included; the second
		 * open refuses the symlink (O_NOFOLLOW). */
		fd = dz_open(path, flags, 0);
		if (fd == -1 && errno != ENOENT)
			return -1;
		/* ENOENT: removed between the two opens; again. */
	}
	if (fd == -1)
		return -1;
	*what = "cannot lock";
	if (dz_flock(fd, LOCK_EX | LOCK_NB) == -1) {
		saved = errno == EWOULDBLOCK ? EEXIST : errno;
		dz_close_quietly(fd);
		errno = saved;
		return -1;
	}
	*fdp = fd;
	return 0;
}

/* The implementation for this directory: libbsd's only where nobody else
 * can write it (see above).  existed: check_path found a file there, which
 * is what tells whether libbsd created it. */
static int
lock_open(const char *path, bool libbsd, bool existed, int *fdp,
    bool *created, const char **what)
{
	if (libbsd) {
		*created = !existed;
		return dz_libbsd_pidfile_open(path, PIDFILE_MODE, fdp, what);
	}
	return lock_open_own(path, fdp, created, what);
}

/* ---- helpers --------------------------------------------------------------- */

/* Open path for reading without following a symlink, without blocking on
 * a fifo and without a controlling terminal; regular files only (EINVAL).
 * st receives its fstat. */
static int
open_reader(const char *path, struct stat *st)
{
	int fd;

	if ((fd = dz_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC, 0)) == -1)
		return -1;
	if (fstat(fd, st) == -1) {
		dz_close_quietly(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		dz_close_quietly(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* The pid in fd's file, or -1 with errno (EINVAL/ERANGE/read errors).
 * Reads one byte more than a pid may have, so that an oversized file is
 * seen as one (and rejected by the parser). */
static pid_t
read_pid_fd(int fd)
{
	char buf[DZ_PID_MAXLEN + 1];
	ssize_t n;
	pid_t pid;

	if ((n = dz_pread_full(fd, buf, sizeof(buf), 0)) == -1)
		return -1;
	if (dz_parse_pid(buf, (size_t)n, &pid) == -1)
		return -1;
	return pid;
}

/* The pid of the instance holding the lock, for the "already running"
 * message: the holder writes it only after its fork, so wait a little
 * (bounded) while the file is empty.  0 when it is still unknown.  Only
 * a message: nothing acts on this pid. */
static pid_t
holder_pid(const char *path)
{
	struct stat st;
	pid_t pid;
	int fd, i;

	for (i = 0; i < HOLDER_TRIES; i++) {
		if ((fd = open_reader(path, &st)) == -1)
			return 0;
		pid = read_pid_fd(fd);
		dz_close_quietly(fd);
		if (pid > 0)
			return pid;
		dz_sleep_ms(HOLDER_WAIT_MS);
	}
	return 0;
}

/* Whether errno from an O_NOFOLLOW open says "a symlink": ELOOP, EMLINK
 * (FreeBSD) or EFTYPE (NetBSD), dz_errno_is_symlink_refusal. */
static bool
is_symlink_errno(int err)
{
	return dz_errno_is_symlink_refusal(err);
}

/* Refuse what must never be opened for writing: a symlink (ELOOP), and
 * what trust.c refuses: anything but a regular file (EINVAL: portable,
 * where EFTYPE exists only on the BSDs), a second hard link, an untrusted
 * owner.  1 when a file is there, 0 when it is missing (it is created),
 * -1 with the error set. */
static int
check_path(const char *path, const struct dz_owners *o, struct dz_err *e)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return dz_fail(e, "pidfile", errno, "%s", path);
	}
	if (S_ISLNK(st.st_mode))
		return dz_fail(e, "pidfile", ELOOP,
		    "%s: is a symbolic link, refusing to follow it", path);
	if (dz_trust_file(o, &st, path, "pidfile", "pidfile", e) == -1)
		return -1;
	return 1;
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
	int fd;

	if ((fd = open_reader(path, &fst)) == -1)
		return;
	if (dz_flock(fd, LOCK_EX | LOCK_NB) == 0 && fst.st_size == 0 &&
	    lstat(path, &pst) == 0 && pst.st_dev == fst.st_dev &&
	    pst.st_ino == fst.st_ino)
		(void)unlink(path);
	dz_close_quietly(fd);
}

/* ---- the pidfile of a daemon -------------------------------------------- */

static void
reset(struct dz_pidfile *pf)
{
	pf->fd = -1;
	pf->dev = 0;
	pf->ino = 0;
	pf->written_by = 0;
	pf->created = false;
}

void
dz_pidfile_init(struct dz_pidfile *pf)
{
	pf->path = NULL;
	pf->runtime_dir = NULL;
	reset(pf);
}

void
dz_pidfile_clear(struct dz_pidfile *pf)
{
	dz_pidfile_release(pf, false);
	free(pf->path);
	free(pf->runtime_dir);
	dz_pidfile_init(pf);
}

/* The runtime directory we just made: its mode and owner are set through
 * a descriptor of it, never by path again (in a sticky parent the name
 * could be replaced in between).  On failure it is removed again. */
static int
runtime_dir_give(const char *dir, const struct dz_owners *o, uid_t uid,
    gid_t gid, struct dz_err *e)
{
	const char *what;
	int fd, saved;

	if ((fd = dz_open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC, 0)) == -1) {
		what = "cannot open";
		goto fail;
	}
	/* The umask must not take the others' search bit away: readers
	 * (other users asking for the daemon's state) need it. */
	if (fchmod(fd, RUNTIME_DIR_MODE) == -1) {
		what = "cannot set mode 0755";
		goto fail;
	}
	if (o->euid == 0 && (uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    fchown(fd, uid, gid) == -1) {
		what = "cannot give it to the daemon user";
		goto fail;
	}
	dz_close_quietly(fd);
	return 0;

fail:
	saved = errno;
	dz_close_quietly(fd);
	(void)rmdir(dir);
	return dz_fail(e, "runtime dir", saved, "%s: %s", dir, what);
}

/*
 * The runtime directory (/run/NAME): made here, before the privilege drop,
 * and given to the target user, so that the daemon running as that user
 * can unlink its pidfile in it at stop (it cannot in root's /run).  Only
 * the last component is created; its parent must exist and be trusted.
 * An existing one must be a directory (not a symlink) owned by root, the
 * effective user or the target user; its mode and owner are not changed,
 * and the pidfile's own directory check judges it again in
 * dz_pidfile_open.
 */
int
dz_runtime_dir_make(struct dz_pidfile *pf, const struct dz_owners *o,
    uid_t uid, gid_t gid, struct dz_err *e)
{
	const char *dir = pf->runtime_dir;
	struct stat st;
	int tries;

	if (dir == NULL)
		return 0;
	if (dz_trust_parent_dir(o, dir, "runtime dir", "runtime directory",
	    e) == -1)
		return -1;
	for (tries = 0; lstat(dir, &st) == -1; tries++) {
		if (errno != ENOENT)
			return dz_fail(e, "runtime dir", errno, "%s", dir);
		if (mkdir(dir, RUNTIME_DIR_MODE) == 0)
			return runtime_dir_give(dir, o, uid, gid, e);
		/* EEXIST: someone made it meanwhile; judge it as found. */
		if (errno != EEXIST)
			return dz_fail(e, "runtime dir", errno,
			    "%s: cannot create", dir);
		if (tries == OPEN_TRIES)
			return dz_fail(e, "runtime dir", EAGAIN,
			    "%s: replaced %d times while being created", dir,
			    OPEN_TRIES);
	}
	if (S_ISLNK(st.st_mode))
		return dz_fail(e, "runtime dir", ELOOP,
		    "%s: is a symbolic link, refusing to follow it", dir);
	if (!S_ISDIR(st.st_mode))
		return dz_fail(e, "runtime dir", ENOTDIR, "%s: not a directory",
		    dir);
	if (!dz_owner_trusted(o, st.st_uid) &&
	    !(uid != (uid_t)-1 && st.st_uid == uid))
		return dz_fail(e, "runtime dir", EPERM,
		    "%s: owned by uid %lu, mode %04o: neither root, this user "
		    "nor the daemon user owns it", dir,
		    (unsigned long)st.st_uid,
		    (unsigned int)(st.st_mode & 07777));
	return 0;
}

int
dz_pidfile_open(struct dz_pidfile *pf, const struct dz_owners *o,
    struct dz_err *e)
{
	const char *path, *what = "cannot open";
	struct stat fst, pst;
	pid_t pid;
	int fd, tries, saved, found;
	bool existed, created, libbsd = false;

	if ((path = pf->path) == NULL)
		return 0;
	if (pf->fd >= 0)
		return dz_fail(e, "pidfile", EALREADY, "%s: already open", path);
	if (dz_trust_parent_dir(o, path, "pidfile", "pidfile", e) == -1)
		return -1;
	/* libbsd only where nobody else can write the directory (see
	 * lock_open_*); the own code where the build has no libbsd (the
	 * probe says ENOSYS). */
	if (dz_libbsd_pidfile_open(NULL, 0, NULL, NULL) == 0) {
		bool others;

		if (dz_parent_dir_writable_by_others(path, &others) == -1)
			return dz_fail(e, "pidfile", errno,
			    "%s: cannot check its directory", path);
		libbsd = !others;
	}

	for (tries = 0; tries < OPEN_TRIES; tries++) {
		if ((found = check_path(path, o, e)) == -1)
			return -1;
		existed = found == 1;
		if (lock_open(path, libbsd, existed, &fd, &created,
		    &what) == -1) {
			saved = errno;
			if (saved != EEXIST && (created || !existed))
				discard_created(path);
			if (saved == EEXIST) {
				/* The exact text is a contract (tests, scripts
				 * and people read it): no strerror suffix. */
				pid = holder_pid(path);
				if (pid > 0)
					dz_fail(e, "pidfile", 0,
					    "%s: already running, pid %ld", path,
					    (long)pid);
				else
					dz_fail(e, "pidfile", 0,
					    "%s: already running, pid unknown "
					    "(starting up)", path);
				errno = EEXIST;
				return -1;
			}
			/* Lost a race with someone planting a symlink or a
			 * fifo after check_path: say what it is. */
			if ((is_symlink_errno(saved) || saved == ENXIO ||
			    saved == EISDIR) && check_path(path, o, e) == -1)
				return -1;
			return dz_fail(e, "pidfile", saved, "%s: %s", path,
			    what);
		}
		/* Defensive: the orchestrator made 0-2 valid, but the
		 * pidfile must never become someone's stdout. */
		if ((fd = dz_move_high(fd)) == -1)
			return dz_fail(e, "pidfile", errno,
			    "%s: cannot move above fd 2", path);
		if (fstat(fd, &fst) == -1) {
			saved = errno;
			dz_close_quietly(fd);
			return dz_fail(e, "pidfile", saved, "%s", path);
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
			return dz_fail(e, "pidfile", saved, "%s", path);
		}
		if (pst.st_dev != fst.st_dev || pst.st_ino != fst.st_ino) {
			dz_close_quietly(fd);
			continue;
		}
		/* What we opened, not what check_path saw: regular, one
		 * link, trusted owner.  Nothing is written before this.
		 * Then only the lock holder may clear an old pid. */
		if (dz_trust_file(o, &fst, path, "pidfile", "pidfile",
		    e) == -1)
			saved = errno;
		else if (ftruncate(fd, 0) == -1) {
			saved = errno;
			dz_fail(e, "pidfile", saved, "%s: cannot truncate",
			    path);
		} else
			saved = 0;
		if (saved != 0) {
			/* We hold the lock and the name is ours: a file we
			 * created must not outlive the failed start. */
			if (created)
				(void)unlink(path);
			dz_close_quietly(fd);
			errno = saved;
			return -1;
		}
		pf->fd = fd;
		pf->dev = fst.st_dev;
		pf->ino = fst.st_ino;
		pf->written_by = 0;
		pf->created = created;
		return 0;
	}
	return dz_fail(e, "pidfile", EAGAIN,
	    "%s: replaced %d times while being locked", path, OPEN_TRIES);
}

/* "PID\n" for getpid(), through the locked descriptor.  No stdio: this
 * runs in the daemon between fork and its possible _exit on failure. */
int
dz_pidfile_write(struct dz_pidfile *pf, struct dz_err *e)
{
	char buf[32];
	size_t len, off = 0;
	pid_t self;
	ssize_t n;

	if (pf->path == NULL)
		return 0;
	if (pf->fd < 0)
		return dz_fail(e, "pidfile", EBADF, "%s: not open", pf->path);
	self = getpid();
	len = dz_utoa(buf, (unsigned long long)self);
	buf[len++] = '\n';

	/* Readers may see the file empty for a moment: that reads as
	 * "starting up", never as a wrong pid. */
	if (ftruncate(pf->fd, 0) == -1)
		return dz_fail(e, "pidfile", errno, "%s: cannot truncate",
		    pf->path);
	/* pwrite at offset 0, whatever the descriptor's offset is: no util
	 * wrapper writes at an offset. */
	while (off < len) {
		n = pwrite(pf->fd, buf + off, len - off, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return dz_fail(e, "pidfile", errno, "%s: cannot write",
			    pf->path);
		if (n == 0)
			return dz_fail(e, "pidfile", EIO, "%s: short write",
			    pf->path);
		off += (size_t)n;
	}
	pf->written_by = self;
	return 0;
}

/*
 * Close the pidfile; with remove, also delete it, but only
 * - in the process that wrote its pid into it (a forked worker inherits
 *   the pidfile and must never delete the daemon's file), or in the
 *   process that created it and wrote no pid (a failed start, which must
 *   leave no file behind; a file that was there before is truncated), and
 * - while the path still names the inode we locked (after a chroot, or if
 *   someone replaced the file, the name is somebody else's).
 * When it may not be unlinked (EACCES after a privilege drop, the name
 * gone or someone else's), it is truncated through our descriptor so that
 * no reader sees a stale pid.  The lock is never released explicitly
 * (LOCK_UN would unlock the daemon's shared description too): it goes
 * with the last descriptor.  Idempotent; errno is preserved.
 */
void
dz_pidfile_release(struct dz_pidfile *pf, bool remove)
{
	struct stat st;
	bool removed = false;
	pid_t self;
	int saved = errno;

	if (pf->fd < 0) {
		errno = saved;
		return;
	}
	self = getpid();
	if (remove && pf->path != NULL && (pf->written_by == self ||
	    (pf->written_by == 0 && pf->created))) {
		/* Unlink while we still hold the lock: a new instance that
		 * opened the old name before the unlink finds it locked
		 * (LOCK_NB) and reports "already running"; one that opens it
		 * after the unlink creates a new file.  No instance ever
		 * locks the unlinked inode and believes it owns the name. */
		if (lstat(pf->path, &st) == 0 && st.st_dev == pf->dev &&
		    st.st_ino == pf->ino && unlink(pf->path) == 0)
			removed = true;
		if (!removed && ftruncate(pf->fd, 0) == -1) {
			/* Nothing more can be done: this runs on the way
			 * out (and must keep errno), and a reader still
			 * finds the lock gone once we close, so the stale
			 * pid is never acted on. */
		}
	}
	dz_close_quietly(pf->fd);
	reset(pf);
	errno = saved;
}

/* ---- readers ----------------------------------------------------------------
 *
 * A reader tests the lock with LOCK_SH|LOCK_NB.  For the instant it holds
 * the shared lock, a daemon starting at that moment sees the lock taken and
 * fails with "already running, pid unknown": a tiny race, accepted because
 * flock offers no way to test a lock without taking it, and harmless to a
 * running daemon (it holds LOCK_EX, so our LOCK_SH simply fails).
 *
 * A held lock says that some process holds the file, not which: the pid
 * in it may be stale (the daemon died and a worker it forked still holds
 * the description) and may by now name an unrelated process.  So the pid
 * is acted on only once verify_holder shows that the process has the very
 * inode open, and a pidfd pins that process for the signal.
 */

/* What a reader found; fd stays open (-1 when none) until reading_close,
 * so that dev and ino cannot name another file meanwhile. */
struct reading {
	int state;		/* DAEMONIZE_PIDFILE_* */
	int why;		/* UNVERIFIED: errno of verify_holder */
	int fd;
	pid_t pid;		/* RUNNING and UNVERIFIED; 0 otherwise */
	dev_t dev;
	ino_t ino;
};

static void
reading_close(struct reading *r)
{
	dz_close_quietly(r->fd);
	r->fd = -1;
}

/*
 * Whether process pid has the file dev/ino open: 1 proven, 0 not proven,
 * with errno saying why: ESRCH no such process, EBADF it does not have
 * the file open, EACCES its descriptors cannot be read by us (another
 * user's process, or /proc mounted with hidepid), ENOSYS no /proc/PID/fd
 * on this system (nothing can be verified there), or readdir's error.
 * Linux's /proc/PID/fd: each entry stat()s as the file it is open on.
 */
static int
verify_holder(pid_t pid, dev_t dev, ino_t ino, int own_fd)
{
	char dir[48];
	struct stat st;
	struct dirent *ent;
	DIR *dp;
	char self_fd_name[24];
	size_t len;

	if (pid <= 0) {
		errno = ESRCH;
		return 0;
	}
	self_fd_name[0] = '\0';
	if (own_fd >= 0)
		(void)dz_utoa(self_fd_name, (unsigned long long)own_fd);
	dz_strlcpy_safe(dir, "/proc/", sizeof(dir));
	len = strlen(dir);
	len += dz_utoa(dir + len, (unsigned long long)pid);
	dz_strlcpy_safe(dir + len, "/fd", sizeof(dir) - len);
	if ((dp = opendir(dir)) == NULL) {
		if (errno != ENOENT)
			return 0;
		if (stat("/proc/self/fd", &st) == -1)
			errno = ENOSYS;         /* no /proc here */
		else if (kill(pid, 0) == 0 || errno == EPERM)
			errno = EACCES;         /* alive, but hidden from us */
		else
			errno = ESRCH;
		return 0;
	}
	for (;;) {
		errno = 0;
		if ((ent = readdir(dp)) == NULL)
			break;
		if (ent->d_name[0] < '0' || ent->d_name[0] > '9')
			continue;
		/* A reader whose pid is the one in the file (pid 1 of another
		 * namespace, a stale pid reused by us) must not take its own
		 * reading descriptor for the holder's. */
		if (pid == getpid() && own_fd >= 0 &&
		    strcmp(ent->d_name, self_fd_name) == 0)
			continue;
		/* stat, not lstat: follows the magic link to the file. */
		if (fstatat(dirfd(dp), ent->d_name, &st, 0) == 0 &&
		    st.st_dev == dev && st.st_ino == ino) {
			(void)closedir(dp);
			return 1;
		}
	}
	if (errno == 0)
		errno = EBADF;
	(void)closedir(dp);
	return 0;
}

/* verify_holder's reason, for a message. */
static const char *
unverified_why(int err)
{
	switch (err) {
	case ESRCH:
		return "no process has that pid";
	case EBADF:
		return "that process does not have the file open";
	case EACCES:
	case EPERM:
		return "its descriptors cannot be read by this user";
	case ENOSYS:
		return "there is no /proc/PID/fd here to check it";
	default:
		return strerror(err);
	}
}

static int
fail_unverified(const char *path, const struct reading *r, struct dz_err *e)
{
	return dz_fail(e, "pidfile", EPERM,
	    "%s: pid %ld is not proven to hold it (%s): not signalling it",
	    path, (long)r->pid, unverified_why(r->why));
}

/* The state of the pidfile at path into r; -1 with the error set.  Never
 * creates a file: a reader must not leave one behind. */
static int
read_state(const char *path, const struct dz_owners *o, struct reading *r,
    struct dz_err *e)
{
	struct stat st;
	int saved;

	r->state = DAEMONIZE_PIDFILE_NOT_RUNNING;
	r->why = 0;
	r->fd = -1;
	r->pid = 0;
	r->dev = 0;
	r->ino = 0;
	if (path == NULL || *path == '\0')
		return dz_fail(e, "pidfile", EINVAL, "no pidfile configured");
	if ((r->fd = open_reader(path, &st)) == -1) {
		saved = errno;
		if (saved == ENOENT)
			return r->state;
		if (is_symlink_errno(saved))
			return dz_fail(e, "pidfile", ELOOP,
			    "%s: is a symbolic link, refusing to follow it",
			    path);
		if (saved == EINVAL)
			return dz_fail(e, "pidfile", EINVAL,
			    "%s: not a regular file", path);
		return dz_fail(e, "pidfile", saved, "%s: cannot open", path);
	}
	/* A file another user controls could name any process. */
	if (!dz_owner_trusted(o, st.st_uid)) {
		reading_close(r);
		return dz_fail(e, "pidfile", EPERM,
		    "%s: owned by uid %lu, neither root, this user nor the "
		    "daemon user: the pid in it is not believed", path,
		    (unsigned long)st.st_uid);
	}
	/* A second name of another daemon's locked pidfile (a hard link
	 * planted at our path) passes every other check, its holder being
	 * a real one: we would signal that other daemon.  No link count
	 * but one is ours (0: the daemon's stop unlinked it meanwhile). */
	if (st.st_nlink > 1) {
		reading_close(r);
		return dz_fail(e, "pidfile", EMLINK, "%s: has %lu hard links: "
		    "another name of some other file, the pid in it is not "
		    "believed", path, (unsigned long)st.st_nlink);
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	if (dz_flock(r->fd, LOCK_SH | LOCK_NB) == 0) {
		/* Nobody holds it: not running, whatever the file says. */
		reading_close(r);       /* drops our shared lock */
		return r->state;
	}
	if (errno != EWOULDBLOCK && errno != EAGAIN) {
		saved = errno;
		reading_close(r);
		return dz_fail(e, "pidfile", saved, "%s: cannot test the lock",
		    path);
	}
	if ((r->pid = read_pid_fd(r->fd)) == -1) {
		r->pid = 0;
		if (errno != EINVAL && errno != ERANGE) {
			saved = errno;
			reading_close(r);
			return dz_fail(e, "pidfile", saved, "%s: cannot read",
			    path);
		}
		/* Locked but no valid pid yet: the holder is starting up
		 * (or stopping after truncating it).  Never guess. */
		reading_close(r);
		r->state = DAEMONIZE_PIDFILE_STARTING;
		return r->state;
	}
	if (verify_holder(r->pid, r->dev, r->ino, r->fd) == 1) {
		r->state = DAEMONIZE_PIDFILE_RUNNING;
	} else {
		r->why = errno;
		r->state = DAEMONIZE_PIDFILE_UNVERIFIED;
	}
	return r->state;
}

int
dz_pidfile_state(const char *path, const struct dz_owners *o, pid_t *pid,
    struct dz_err *e)
{
	struct reading r;
	int state;

	if (pid != NULL)
		*pid = 0;
	state = read_state(path, o, &r, e);
	reading_close(&r);
	if (state != -1 && pid != NULL)
		*pid = r.pid;
	/* The caller reports why it will not act: say it in the text. */
	if (state == DAEMONIZE_PIDFILE_UNVERIFIED) {
		int saved = errno;

		(void)fail_unverified(path, &r, e);
		errno = saved;
	}
	return state;
}

/* Signal the verified holder in r.  Where the system has pidfds, the
 * holder's goes to *pidfdp (NULL: closed) for the caller to wait on; -1
 * otherwise.  ESRCH when it exited meanwhile, EPERM when the pid no
 * longer names the holder. */
static int
send_verified(const char *path, const struct reading *r, int signo,
    int *pidfdp, struct dz_err *e)
{
	int saved;
	int pidfd;

	if (pidfdp != NULL)
		*pidfdp = -1;
	/* kill(pid) between our check and the signal could reach a process
	 * that took the pid over after the holder exited.  A pidfd names
	 * one process for good: opened first, then the pid proven again
	 * (our reader still has the file, so its inode is the same), the
	 * signal goes to that process or nowhere (ESRCH). */
	pidfd = dz_pidfd_open(r->pid);
	if (pidfd == -1 && errno == ESRCH)
		return dz_fail(e, "pidfile", ESRCH,
		    "%s: not running (pid %ld exited)", path, (long)r->pid);
	/* ENOSYS: no pidfds (a kernel before 5.3, or not Linux); EPERM: a
	 * seccomp filter refusing calls it does not know (older container
	 * runtimes).  kill then. */
	if (pidfd == -1 && errno != ENOSYS && errno != EPERM)
		return dz_fail(e, "pidfile", errno, "%s: pidfd_open(%ld)", path,
		    (long)r->pid);
	if (pidfd >= 0) {
		if (verify_holder(r->pid, r->dev, r->ino, r->fd) != 1) {
			struct reading again = *r;

			again.why = errno;
			dz_close_quietly(pidfd);
			return fail_unverified(path, &again, e);
		}
		if (dz_pidfd_send_signal(pidfd, signo) == -1) {
			saved = errno;
			dz_close_quietly(pidfd);
			if (saved == ESRCH)
				return dz_fail(e, "pidfile", ESRCH,
				    "%s: not running (pid %ld exited)", path,
				    (long)r->pid);
			return dz_fail(e, "pidfile", saved,
			    "%s: cannot signal pid %ld", path, (long)r->pid);
		}
		if (pidfdp != NULL)
			*pidfdp = pidfd;
		else
			dz_close_quietly(pidfd);
		return 0;
	}
	if (kill(r->pid, signo) == -1) {
		saved = errno;
		if (saved == ESRCH)
			return dz_fail(e, "pidfile", ESRCH,
			    "%s: not running (pid %ld exited)", path,
			    (long)r->pid);
		return dz_fail(e, "pidfile", saved, "%s: cannot signal pid %ld",
		    path, (long)r->pid);
	}
	return 0;
}

int
dz_pidfile_signal(const char *path, const struct dz_owners *o, int signo,
    struct dz_err *e)
{
	struct reading r;
	int ret;

	if (signo < 0)
		return dz_fail(e, "pidfile", EINVAL, "invalid signal %d", signo);
	switch (read_state(path, o, &r, e)) {
	case -1:
		return -1;
	case DAEMONIZE_PIDFILE_NOT_RUNNING:
		return dz_fail(e, "pidfile", ESRCH, "%s: not running", path);
	case DAEMONIZE_PIDFILE_STARTING:
		return dz_fail(e, "pidfile", EAGAIN,
		    "%s: starting up, no pid in it yet", path);
	case DAEMONIZE_PIDFILE_UNVERIFIED:
		reading_close(&r);
		return fail_unverified(path, &r, e);
	default:
		break;
	}
	ret = send_verified(path, &r, signo, NULL, e);
	reading_close(&r);
	return ret;
}

/* Without a pidfd: whether pid is gone.  kill(pid, 0) finds a zombie
 * alive, and a zombie that is our own child (the caller started the
 * daemon and has not reaped it yet) would stay one for the whole wait:
 * waitid with WNOWAIT sees it without reaping it.  If the pid is taken
 * over meanwhile we wait into the timeout: never a wrong "gone". */
static bool
process_gone(pid_t pid)
{
	siginfo_t si;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return true;
	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
	    0 && si.si_pid == pid;
}

/*
 * Signal the holder (signo 0: SIGTERM) and wait up to timeout_ms until
 * the process is gone, not merely the lock (a worker it forked may hold
 * the lock longer, and a process still exiting may hold resources the
 * next start needs).  A holder still starting up has no pid in the file
 * yet: wait for it (within the timeout) rather than guess.  0 when it is
 * gone or was not running; timeout_ms 0 signals and does not wait.
 */
int
dz_pidfile_terminate(const char *path, const struct dz_owners *o,
    int signo, unsigned int timeout_ms, struct dz_err *e)
{
	struct reading r;
	struct pollfd pfd;
	int64_t deadline;
	int state, pidfd, saved, ret;
	long step;

	if (signo < 0)
		return dz_fail(e, "pidfile", EINVAL, "invalid signal %d", signo);
	if (signo == 0)
		signo = SIGTERM;
	deadline = dz_now_ms() + (int64_t)timeout_ms;
	for (;;) {
		if ((state = read_state(path, o, &r, e)) == -1)
			return -1;
		if (state != DAEMONIZE_PIDFILE_STARTING)
			break;
		if (dz_now_ms() >= deadline)
			return dz_fail(e, "pidfile", EAGAIN,
			    "%s: starting up, no pid in it yet", path);
		dz_sleep_ms(STOP_POLL_MS);
	}
	if (state == DAEMONIZE_PIDFILE_NOT_RUNNING)
		return 0;
	if (state == DAEMONIZE_PIDFILE_UNVERIFIED) {
		reading_close(&r);
		return fail_unverified(path, &r, e);
	}
	ret = send_verified(path, &r, signo, &pidfd, e);
	saved = errno;
	reading_close(&r);
	if (ret == -1) {
		if (saved == ESRCH)
			return 0;       /* gone before the signal */
		errno = saved;
		return -1;
	}
	if (timeout_ms == 0) {
		dz_close_quietly(pidfd);
		return 0;
	}
	if (pidfd >= 0) {
		/* A pidfd polls readable once the process has exited. */
		pfd.fd = pidfd;
		pfd.events = POLLIN;
		ret = dz_poll_until(&pfd, 1, deadline);
		saved = errno;
		dz_close_quietly(pidfd);
		if (ret == 1)
			return 0;
		if (ret == -1)
			return dz_fail(e, "pidfile", saved,
			    "%s: cannot wait for pid %ld", path, (long)r.pid);
	} else {
		for (;;) {
			if (process_gone(r.pid))
				return 0;
			if ((step = dz_ms_left(deadline)) == 0)
				break;
			dz_sleep_ms(step < STOP_POLL_MS ? step : STOP_POLL_MS);
		}
	}
	return dz_fail(e, "pidfile", ETIMEDOUT,
	    "%s: pid %ld still running after %u ms", path, (long)r.pid,
	    timeout_ms);
}

/*
 * The re-exec after detach (daemonize_set_reexec): the new image of the
 * daemon inherits the locked descriptor instead of opening the file again
 * (a second open would conflict with our own lock).  It is adopted only if
 * the configured path still names the inode it holds, as a regular file
 * we trust.
 */
int
dz_pidfile_adopt(struct dz_pidfile *pf, int fd, const struct dz_owners *o,
    struct dz_err *e)
{
	struct stat fst, pst;

	if (pf->path == NULL)
		return dz_fail(e, "pidfile", EINVAL, "re-exec: a pidfile "
		    "descriptor was passed but no pidfile is configured");
	if (fstat(fd, &fst) == -1)
		return dz_fail(e, "pidfile", errno, "%s: re-exec: inherited "
		    "descriptor %d", pf->path, fd);
	if (lstat(pf->path, &pst) == -1)
		return dz_fail(e, "pidfile", errno, "%s: re-exec", pf->path);
	if (pst.st_dev != fst.st_dev || pst.st_ino != fst.st_ino)
		return dz_fail(e, "pidfile", ESTALE, "%s: re-exec: the path "
		    "no longer names the locked file", pf->path);
	if (dz_trust_file(o, &fst, pf->path, "pidfile", "pidfile", e) == -1)
		return -1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return dz_fail(e, "pidfile", errno, "%s: re-exec", pf->path);
	pf->fd = fd;
	pf->dev = fst.st_dev;
	pf->ino = fst.st_ino;
	pf->written_by = 0;
	pf->created = false;
	return 0;
}

/* Before the re-exec: the locked descriptor survives exec. */
int
dz_pidfile_export(struct dz_pidfile *pf)
{
	int fl;

	if (pf->fd < 0)
		return -1;
	if ((fl = fcntl(pf->fd, F_GETFD)) == -1 ||
	    fcntl(pf->fd, F_SETFD, fl & ~FD_CLOEXEC) == -1)
		return -1;
	return pf->fd;
}

/*
 * A failed start that timed out before the daemon's pid was known: a
 * daemon may or may not exist (the middle child was killed; it may have
 * forked first).  Our descriptor goes, then the file we created is
 * removed only if nobody holds its lock any more and it is still empty:
 * a daemon that does exist keeps its file.
 */
void
dz_pidfile_release_unless_held(struct dz_pidfile *pf)
{
	int saved = errno;

	if (pf->fd < 0)
		return;
	dz_close_quietly(pf->fd);
	pf->fd = -1;
	if (pf->created && pf->path != NULL)
		discard_created(pf->path);
	pf->created = false;
	errno = saved;
}

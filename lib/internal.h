/*
 * internal.h - the context layout and the interfaces between the step files.
 *
 * Each lib/ file owns one startup step; daemonize.c calls them in the order
 * DESIGN.md section 3 gives.  Names with the dz_ prefix are internal and
 * hidden from the shared library (-fvisibility=hidden); public functions
 * are marked DZ_PUBLIC where they are defined.
 */
#ifndef DAEMONIZE_INTERNAL_H
#define DAEMONIZE_INTERNAL_H

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemonize.h"

#define DZ_PUBLIC __attribute__((visibility("default")))

#define DZ_ERRLEN 512

/* Status pipe records: fixed size, well under PIPE_BUF, so every write of
 * one is atomic and a reader never sees half of one. */
#define DZ_REC_PID   1 /* from the middle child: value = the daemon's pid */
#define DZ_REC_READY 2 /* the daemon is ready */
#define DZ_REC_ERROR 3 /* value = errno; step and message say the rest */

#define DZ_STEPLEN 16
#define DZ_MSGLEN  488  /* the record is 512 bytes: POSIX's least PIPE_BUF */

struct dz_record {
	int32_t kind;
	int32_t value;
	char step[DZ_STEPLEN];
	char msg[DZ_MSGLEN];
};

/* A pidfile we hold: the locked descriptor and what it must still name. */
struct dz_pidfile {
	char *path;
	int fd;             /* -1 when none */
	dev_t dev;          /* identity of the file we locked, to unlink  */
	ino_t ino;          /* it only while the path still names it     */
	pid_t written_by;   /* pid written into it, 0 before              */
};

/* The user, group and group list resolved before the fork. */
struct dz_identity {
	char *user;         /* as configured: name or number, or NULL */
	char *group;        /* as configured: name or number, or NULL */
	bool resolved;
	uid_t uid;
	gid_t gid;
	gid_t *groups;      /* supplementary groups to set */
	int ngroups;
};

/* systemd's notification socket, connected before any chroot. */
struct dz_notify {
	int fd;             /* -1 when there is none */
	char *name;         /* NOTIFY_SOCKET as found, for messages */
	uint64_t watchdog_usec;   /* WATCHDOG_USEC when meant for us, else 0 */
};

struct daemonize {
	char *name;
	unsigned int flags;

	/* configuration */
	char *output_path;  /* NULL: /dev/null */
	char *workdir;      /* default "/" */
	mode_t umask;       /* default 022 */
	bool umask_set;     /* set explicitly: applied in supervised mode too */
	unsigned int timeout_ms;    /* 0: wait for ever */
	int *keep;          /* caller's fds kept across the sweep */
	size_t nkeep, keepcap;
	struct dz_identity id;
	char *chroot_dir;
	char *jail;
	int notify_fd;      /* s6/OpenRC readiness fd, -1 when none */
	sigset_t signals;   /* signals delivered through the signal fd */

	/* decided and acquired by daemonize_start() */
	int mode;
	bool detected;
	const char *supervisor; /* static strings, NULL when none */
	const char *marker;
	struct dz_pidfile pidfile;
	int status_fd;      /* write end, in the daemon until ready */
	bool started, ready_sent, stopped, stopping_sent;
	bool is_parent;     /* start returned DAEMONIZE_PARENT here */
	bool daemon_left_running; /* a failed start left the daemon alive */
	pid_t owner;        /* the process start returned 0 in; 0 before */
	struct dz_notify notify;
	bool listen_parsed;
	int *listen_fds;
	char **listen_names;
	int nlisten;

	char error[DZ_ERRLEN];
};

/* daemonize.c: errors.  Both set d->error to "step: message[: strerror]",
 * set errno to err and return -1. */
int dz_error(struct daemonize *d, const char *step, int err,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int dz_verror(struct daemonize *d, const char *step, int err,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
/* Setter preamble: EINVAL for a NULL context, EBUSY after start. */
int dz_config_check(struct daemonize *d, const char *step);
/* An absolute malloc'ed copy of path (relative to the cwd), or NULL. */
char *dz_absolute_path(struct daemonize *d, const char *step,
    const char *path);
/* *slot = absolute copy of path (NULL clears), with dz_config_check. */
int dz_set_path(struct daemonize *d, const char *step, char **slot,
    const char *path);
/* True (with the error set, EPERM) in a process other than the one
 * daemonize_start returned 0 in: a forked worker. */
bool dz_not_owner(struct daemonize *d, const char *step);
/* Copy s into a fixed buffer without any library call (async-signal-safe). */
void dz_strlcpy_safe(char *dst, const char *src, size_t size);
/* Close fd, retrying nothing (close must not be retried on EINTR), and
 * keep errno as it was. */
void dz_close_quietly(int fd);

/* stdio.c */
int dz_stdio_sanitize(struct daemonize *d);     /* fds 0-2 valid */
int dz_stdio_redirect(struct daemonize *d);     /* 0 <- /dev/null, 1,2 <- output */

/* pidfile.c (with libbsd or the library's own code) */
int dz_pidfile_open(struct daemonize *d);       /* open + lock, or EEXIST */
int dz_pidfile_write(struct daemonize *d);      /* "PID\n" for getpid() */
void dz_pidfile_release(struct daemonize *d, bool remove); /* close, maybe unlink */
int dz_pidfile_parse(const char *buf, size_t len, pid_t *pid); /* tolerant */

/* fork.c: the double fork and the status pipe. */
/* Returns DAEMONIZE_PARENT in the original process once the daemon is
 * ready, -1 there on failure, and 0 in the daemon. */
int dz_fork_detach(struct daemonize *d, const sigset_t *caller_mask);
int dz_status_send(int fd, int32_t kind, int32_t value, const char *step,
    const char *msg);               /* async-signal-safe */
void dz_status_fail(struct daemonize *d); /* send d->error, then _exit */

/* fds.c */
int dz_fds_sweep(struct daemonize *d);           /* close all but the kept */

/* signals.c */
int dz_signals_reset(struct daemonize *d);       /* defaults, empty mask */
int dz_signals_block(struct daemonize *d, sigset_t *old);
int dz_signals_install(struct daemonize *d);     /* handlers + self-pipe */
void dz_signals_uninstall(struct daemonize *d);  /* defaults, close pipe */

/* privileges.c */
int dz_privileges_resolve(struct daemonize *d);  /* in the original process */
int dz_privileges_drop(struct daemonize *d);     /* in the daemon */
int dz_privileges_verify(struct daemonize *d);   /* ids are the target, root
                                                   cannot be regained */
void dz_identity_clear(struct dz_identity *id);

/* confine.c */
int dz_confine_check(struct daemonize *d);       /* before the fork */
int dz_confine_enter(struct daemonize *d);       /* chroot/jail, chdir */

/* supervisor.c */
void dz_supervisor_detect(struct daemonize *d);
int dz_mode_choose(struct daemonize *d);

/* notify.c */
int dz_notify_open(struct daemonize *d);         /* from NOTIFY_SOCKET */
int dz_notify_send(struct daemonize *d, const char *msg);
int dz_notify_parse_address(const char *name, struct sockaddr_un *sun,
    socklen_t *len);
int dz_listen_parse(struct daemonize *d);        /* LISTEN_* */
int dz_parse_uint(const char *s, unsigned long long max,
    unsigned long long *out);                    /* strict decimal */
void dz_notify_close(struct daemonize *d);

/* compat: replacements chosen by configure (lib/compat/). */
int dz_close_range(unsigned int first, unsigned int last);
int dz_reaper_acquire(void);     /* become subreaper; ENOSYS if impossible */
int dz_reaper_release(void);
int dz_jail_enter(const char *jail, const char *path, char *err,
    size_t errlen);              /* ENOSYS outside FreeBSD; jail NULL:
                                    probe, 0 where jails exist */
int dz_getgrouplist(const char *user, gid_t gid, gid_t *groups,
    int *ngroups);               /* gid_t form also where libc takes int */
/* pipe2(fds, O_CLOEXEC | flags), flags 0 or O_NONBLOCK; pipe + fcntl
 * where there is no pipe2 (never fails for lack of it). */
int dz_pipe_cloexec(int fds[2], int flags);
/* Real, effective and saved id all set to id: setres*id, or where there
 * is none setre*id then set*id as root (never fails for lack of it);
 * *call names the call for messages. */
int dz_setresuid(uid_t id, const char **call);
int dz_setresgid(gid_t id, const char **call);
/* getres*id; -1 with ENOSYS where there is none (macOS): the saved id
 * cannot be read, and is then not checked. */
int dz_getresuid(uid_t *r, uid_t *e, uid_t *s);
int dz_getresgid(gid_t *r, gid_t *e, gid_t *s);
/* The fds of launchd's Sockets entry name (*fds malloc'ed); -1 with
 * ESRCH (not a launchd job), ENOENT (no such entry), or ENOSYS where
 * there is no launchd. */
int dz_launchd_sockets(const char *name, int **fds, size_t *n);

#endif /* DAEMONIZE_INTERNAL_H */

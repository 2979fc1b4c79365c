/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * check_faults.c - fault injection: every system call the background
 * start depends on is made to fail once, through the LD_PRELOAD shim
 * tests/faultshim.c (see there for DZ_FAULT and the fork generations),
 * and each time the test checks what the person who typed the command
 * would see and what would be left behind:
 *   - the command exits 1,
 *   - its message names the step and the injected errno's text (each case
 *     injects an errno nothing else would produce there, so the message
 *     also proves that the fault fired),
 *   - no process of the test is left (each test runs the helper through
 *     its own private link, see testutil.h, so counting processes by that
 *     path sees only its own, even with other suites running in parallel),
 *   - the pidfile's lock is not held, and no pidfile is left that was not
 *     there before (a pre-existing one may stay, unlocked and never with
 *     a live pid in it).
 *
 * Which call number is which step (fork generations: 0 the original
 * process, 1 the middle child, 2 the daemon), in the 1.0 order (lock in
 * the original process, then the fork; in the daemon: signal pipe, fd
 * sweep, stdin, log, pid, chroot/workdir, drop, handlers):
 *   open 1@0 the pidfile (libbsd opens it with openat, which the shim
 *   counts as open), flock 1@0 its lock, ftruncate 1@0 libbsd's own
 *   truncation (2@0 the library's after its checks; 1@0 without libbsd),
 *   pipe 1@0 the status pipe, fork 1@0 the first fork; setsid 1@1 and
 *   fork 1@1 the second fork (in the middle child); pipe 1@2 the signal
 *   self-pipe, open 1@2 stdin's /dev/null, dup2 1@2 stdin onto it, open
 *   2@2 the output (/dev/null, or the -o log), ftruncate 1@2 and pwrite
 *   1@2 the pid into the pidfile, chdir 1@2 the working directory (or "/"
 *   inside the chroot), chroot 1@2, setgroups/setresgid/setresuid 1@2 the
 *   drop, write 1@2 the READY record.  The texts are those of the dz_fail
 *   calls in lib/pidfile.c, detach.c, stdfds.c, signals.c, confine.c and
 *   privileges.c.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemonize.h"
#include "testutil.h"

#define RUN_MS   tu_ms(20000)  /* bound for one helper command */
#define GONE_MS  tu_ms(5000)   /* bound for the processes to disappear */
#define OUTLEN   4096

/* Options of a case. */
#define OPT_PRIV   0x1        /* -u nobody -g <nobody's group> */
#define OPT_CHROOT 0x2        /* -r <tmp>/root */
#define OPT_STALE  0x4        /* a stale pidfile exists before the start */
#define OPT_LOG    0x8        /* -o <tmp>/log */
#define OPT_WORKDIR 0x10      /* -w <tmp>/root */

#define STALE_CONTENT "stale\n"

static const char *
shim_path(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/tests/.libs/libfaultshim.so",
	    tu_builddir());
	return path;
}

/* The group for -g: "nogroup" (Debian), else "nobody". */
static const char *
nobody_group(void)
{
	return getgrnam("nogroup") != NULL ? "nogroup" : "nobody";
}

/* s with every "{P}" replaced by p and every "{R}" by r (the log is
 * "{R}" too in the cases that name it: see fault_case_log). */
static char *
expand(const char *s, const char *p, const char *r)
{
	char *out = tu_fmt("%s", ""), *t;

	while (*s != '\0') {
		if (strncmp(s, "{P}", 3) == 0 || strncmp(s, "{R}", 3) == 0) {
			t = tu_fmt("%s%s", out, s[1] == 'P' ? p : r);
			s += 3;
		} else {
			t = tu_fmt("%s%c", out, *s);
			s++;
		}
		free(out);
		out = t;
	}
	return out;
}

struct run {
	char *dir, *link, *pidfile, *root, *log;
	int status;
	char out[OUTLEN];
};

/* A fresh directory with its own link to the helper; then run it in the
 * background (-d: no supervisor marker may change the mode) with the shim
 * and DZ_FAULT=spec. */
static void
run_faulty(struct run *r, const char *spec, int opts)
{
	char *argv[16];
	char **env;
	int n = 0, fd;

	ck_assert_msg(access(shim_path(), R_OK) == 0, "%s: %s", shim_path(),
	    strerror(errno));
	r->dir = tu_tmpdir();
	r->link = tu_private_helper(r->dir);
	r->pidfile = tu_fmt("%s/d.pid", r->dir);
	r->root = tu_fmt("%s/root", r->dir);
	r->log = tu_fmt("%s/log", r->dir);
	ck_assert_int_eq(mkdir(r->root, 0755), 0);
	if (opts & OPT_STALE) {
		fd = open(r->pidfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, STALE_CONTENT,
		    strlen(STALE_CONTENT)), (ssize_t)strlen(STALE_CONTENT));
		ck_assert_int_eq(close(fd), 0);
	}

	argv[n++] = r->link;
	argv[n++] = "-d";
	argv[n++] = "-p";
	argv[n++] = r->pidfile;
	if (opts & OPT_PRIV) {
		argv[n++] = "-u";
		argv[n++] = "nobody";
		argv[n++] = "-g";
		argv[n++] = (char *)nobody_group();
	}
	if (opts & OPT_CHROOT) {
		argv[n++] = "-r";
		argv[n++] = r->root;
	}
	if (opts & OPT_LOG) {
		argv[n++] = "-o";
		argv[n++] = r->log;
	}
	if (opts & OPT_WORKDIR) {
		argv[n++] = "-w";
		argv[n++] = r->root;
	}
	argv[n] = NULL;

	env = tu_clean_envv(tu_fmt("LD_PRELOAD=%s", shim_path()),
	    tu_fmt("DZ_FAULT=%s", spec), "DZ_FAULT_LOG", NULL);
	r->status = tu_run_env(argv, env, r->out, sizeof(r->out), RUN_MS);
}

/* Nothing of the run is left: no process, no lock, and no pidfile unless
 * one was there before (then it is unlocked and still stale or empty). */
static void
assert_nothing_left(struct run *r, int opts)
{
	char buf[256];
	int left;

	left = tu_wait_no_procs(r->link, GONE_MS);
	if (left != 0)
		tu_kill_leftovers();
	ck_assert_msg(left == 0, "%d process(es) left running %s", left,
	    r->link);
	ck_assert_msg(!tu_lock_held(r->pidfile), "%s still locked",
	    r->pidfile);
	if (!(opts & OPT_STALE)) {
		ck_assert_msg(access(r->pidfile, F_OK) == -1 &&
		    errno == ENOENT, "%s left behind", r->pidfile);
		return;
	}
	if (tu_read_file(r->pidfile, buf, sizeof(buf)) >= 0)
		ck_assert_msg(strcmp(buf, STALE_CONTENT) == 0 ||
		    buf[0] == '\0', "pre-existing %s now holds \"%s\"",
		    r->pidfile, buf);
}

/* Stop the daemon of a run through its pidfile: returns once it is gone
 * (daemonize_pidfile_terminate), asserted. */
static void
terminate(const char *pidfile)
{
	struct daemonize *d = tu_ctx("faults");

	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_msg(daemonize_pidfile_terminate(d, SIGTERM,
	    (unsigned int)GONE_MS) == 0, "%s", daemonize_error(d));
	daemonize_free(d);
}

/* The whole check for one fault: exit 1, the message, nothing left. */
static void
fault_case(const char *spec, int opts, const char *expect_fmt, int err)
{
	struct run r;
	char *expect, *line, *end, *why;

	run_faulty(&r, spec, opts);
	/* "helper: STEP...: STRERROR" on one line: the step part may go on
	 * with details (the id, the group count) before the errno text. */
	expect = tu_fmt("helper: %s", expand(expect_fmt, r.pidfile,
	    (opts & OPT_LOG) ? r.log : r.root));
	why = tu_fmt(": %s\n", strerror(err));
	if (!(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1))
		tu_kill_leftovers();
	ck_assert_msg(r.status != -1, "%s: the command did not end", spec);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1,
	    "%s: status %#x, output: %s", spec, r.status, r.out);
	line = strstr(r.out, expect);
	end = line != NULL ? strchr(line, '\n') : NULL;
	ck_assert_msg(line != NULL && end != NULL &&
	    strstr(line, why) == end + 1 - strlen(why),
	    "%s: expected \"%s...%s\" in: %s", spec, expect, why, r.out);
	assert_nothing_left(&r, opts);
}

/* ---- the original process ------------------------------------------------ */

START_TEST(test_fork_first)
{
	fault_case("fork:EAGAIN:1:0", 0, "fork: first fork", EAGAIN);
}
END_TEST

START_TEST(test_fork_first_stale_pidfile)
{
	fault_case("fork:EAGAIN:1:0", OPT_STALE, "fork: first fork", EAGAIN);
}
END_TEST

START_TEST(test_open_pidfile)
{
	fault_case("open:EACCES:1:0", 0, "pidfile: {P}: cannot open", EACCES);
}
END_TEST

START_TEST(test_open_pidfile_stale)
{
	fault_case("open:EACCES:1:0", OPT_STALE, "pidfile: {P}: cannot open",
	    EACCES);
}
END_TEST

#define FLOCK_FAILED "pidfile: {P}: cannot lock"

START_TEST(test_flock)
{
	fault_case("flock:ENOLCK:1:0", 0, FLOCK_FAILED, ENOLCK);
}
END_TEST

START_TEST(test_flock_stale)
{
	fault_case("flock:ENOLCK:1:0", OPT_STALE, FLOCK_FAILED, ENOLCK);
}
END_TEST

/* The truncation after the lock: libbsd's pidfile_open truncates once
 * itself (call 1), the library again after its own checks. */
START_TEST(test_ftruncate_after_lock)
{
#ifdef HAVE_PIDFILE_OPEN
	fault_case("ftruncate:EIO:2:0", 0, "pidfile: {P}: cannot truncate",
	    EIO);
#else
	fault_case("ftruncate:EIO:1:0", 0, "pidfile: {P}: cannot truncate",
	    EIO);
#endif
}
END_TEST

#ifdef HAVE_PIDFILE_OPEN
START_TEST(test_ftruncate_in_libbsd)
{
	fault_case("ftruncate:EIO:1:0", 0, "pidfile: {P}: cannot open", EIO);
}
END_TEST
#endif

START_TEST(test_pipe_status)
{
	fault_case("pipe:EMFILE:1:0", 0, "fork: status pipe", EMFILE);
}
END_TEST

/* ---- the middle child ---------------------------------------------------- */

START_TEST(test_setsid)
{
	fault_case("setsid:EPERM:1:1", 0, "setsid: setsid failed", EPERM);
}
END_TEST

START_TEST(test_fork_second)
{
	fault_case("fork:EAGAIN:1:1", 0, "fork: second fork failed", EAGAIN);
}
END_TEST

/* Without a generation the count runs along the line of descent: the
 * original process made fork call 1, so call 2 is the middle child's. */
START_TEST(test_fork_second_by_lineage)
{
	fault_case("fork:EAGAIN:2", 0, "fork: second fork failed", EAGAIN);
}
END_TEST

/* ---- the daemon ------------------------------------------------------------ */

/* The output: /dev/null, or the log file, opened after stdin's. */
START_TEST(test_open_output_devnull)
{
	fault_case("open:ENFILE:2:2", 0, "stdio: /dev/null", ENFILE);
}
END_TEST

START_TEST(test_open_log)
{
	fault_case("open:EACCES:2:2", OPT_LOG, "stdio: {R}", EACCES);
}
END_TEST

/* The daemon's truncation before it writes its pid. */
START_TEST(test_truncate_pid)
{
	fault_case("ftruncate:EIO:1:2", 0, "pidfile: {P}: cannot truncate",
	    EIO);
}
END_TEST

START_TEST(test_truncate_pid_stale_with_log)
{
	fault_case("ftruncate:EIO:1:2", OPT_STALE | OPT_LOG,
	    "pidfile: {P}: cannot truncate", EIO);
}
END_TEST

/* A configured working directory (without chroot). */
START_TEST(test_chdir_workdir)
{
	fault_case("chdir:EACCES:1:2", OPT_WORKDIR, "workdir: {R}", EACCES);
}
END_TEST

/* stdin's /dev/null, the daemon's first open. */
START_TEST(test_open_output)
{
	fault_case("open:ENFILE:1:2", 0, "stdio: /dev/null", ENFILE);
}
END_TEST

START_TEST(test_dup2)
{
	fault_case("dup2:EBUSY:1:2", 0, "stdio: dup2 onto fd 0", EBUSY);
}
END_TEST

/* The pid is written with pwrite: this is the "write" step. */
START_TEST(test_write_pid)
{
	fault_case("pwrite:ENOSPC:1:2", 0, "pidfile: {P}: cannot write",
	    ENOSPC);
}
END_TEST

START_TEST(test_write_pid_stale)
{
	fault_case("pwrite:ENOSPC:1:2", OPT_STALE, "pidfile: {P}: cannot write",
	    ENOSPC);
}
END_TEST

START_TEST(test_chdir)
{
	fault_case("chdir:EACCES:1:2", 0, "workdir: /", EACCES);
}
END_TEST

START_TEST(test_pipe_signals)
{
	fault_case("pipe:EMFILE:1:2", 0,
	    "signals: cannot create the signal pipe", EMFILE);
}
END_TEST

/* Root only: chroot and the privilege drop. */
START_TEST(test_chroot)
{
	fault_case("chroot:EPERM:1:2", OPT_CHROOT, "chroot: {R}", EPERM);
}
END_TEST

START_TEST(test_chdir_in_chroot)
{
	fault_case("chdir:EACCES:1:2", OPT_CHROOT, "chroot: chdir / in {R}",
	    EACCES);
}
END_TEST

START_TEST(test_setgroups)
{
	fault_case("setgroups:EPERM:1:2", OPT_PRIV, "privileges: setgroups",
	    EPERM);
}
END_TEST

START_TEST(test_setgid)
{
#ifdef HAVE_SETRESGID
	fault_case("setresgid:EPERM:1:2", OPT_PRIV, "privileges: setresgid",
	    EPERM);
#else
	fault_case("setgid:EPERM:1:2", OPT_PRIV, "privileges: setgid", EPERM);
#endif
}
END_TEST

/* EAGAIN is what setuid really returns at the target's RLIMIT_NPROC. */
START_TEST(test_setuid)
{
#ifdef HAVE_SETRESUID
	fault_case("setresuid:EAGAIN:1:2", OPT_PRIV | OPT_CHROOT,
	    "privileges: setresuid", EAGAIN);
#else
	fault_case("setuid:EAGAIN:1:2", OPT_PRIV | OPT_CHROOT,
	    "privileges: setuid", EAGAIN);
#endif
}
END_TEST

START_TEST(test_setuid_stale)
{
#ifdef HAVE_SETRESUID
	fault_case("setresuid:EAGAIN:1:2", OPT_PRIV | OPT_STALE,
	    "privileges: setresuid", EAGAIN);
#else
	fault_case("setuid:EAGAIN:1:2", OPT_PRIV | OPT_STALE,
	    "privileges: setuid", EAGAIN);
#endif
}
END_TEST

/* ---- the shim itself, and the one fault after which a daemon runs -------- */

/* With the shim loaded and a fault that never fires, the start works and
 * the daemon stops cleanly: the shim alone changes nothing. */
START_TEST(test_shim_inert)
{
	struct run r;

	run_faulty(&r, "setsid:EPERM:5", 0);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
	    "status %#x: %s", r.status, r.out);
	ck_assert_str_eq(r.out, "");
	ck_assert(tu_lock_held(r.pidfile));
	terminate(r.pidfile);
	assert_nothing_left(&r, 0);
}
END_TEST

/* A typo in DZ_FAULT must not pass as "no fault fired". */
START_TEST(test_shim_rejects_bad_spec)
{
	struct run r;

	run_faulty(&r, "setsdi:EPERM:1", 0);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 99);
	ck_assert_ptr_nonnull(strstr(r.out, "unknown function name"));
	assert_nothing_left(&r, 0);
}
END_TEST

/*
 * The daemon cannot write its READY record (the only write(2) it makes on
 * the status pipe).  It goes on running, as the caller decided (the helper
 * only prints the error of daemonize_ready), so the original process
 * cannot honestly say "nothing is left": after a bounded wait for the
 * daemon to exit it reports, like a timeout, that it was left running,
 * and leaves the running daemon's pidfile and lock alone.  (Before the
 * fix it said only "closed the status pipe" and unlinked the live
 * daemon's pidfile, so a second instance could start.)
 */
START_TEST(test_write_ready_record)
{
	struct run r;
	pid_t pid;

	run_faulty(&r, "write:EIO:1:2", 0);
	pid = tu_pidfile_pid(r.pidfile);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1,
	    "status %#x: %s", r.status, r.out);
	ck_assert_msg(strstr(r.out, "it was left running") != NULL, "%s",
	    r.out);
	ck_assert_msg(strstr(r.out, tu_fmt("pid %ld", (long)pid)) != NULL,
	    "pid %ld not named in: %s", (long)pid, r.out);
	ck_assert(tu_lock_held(r.pidfile));
	terminate(r.pidfile);
	assert_nothing_left(&r, 0);
}
END_TEST

static Suite *
faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("startup");
	TCase *tr;

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_shim_inert);
	tcase_add_test(tc, test_shim_rejects_bad_spec);
	tcase_add_test(tc, test_fork_first);
	tcase_add_test(tc, test_fork_first_stale_pidfile);
	tcase_add_test(tc, test_open_pidfile);
	tcase_add_test(tc, test_open_pidfile_stale);
	tcase_add_test(tc, test_flock);
	tcase_add_test(tc, test_flock_stale);
	tcase_add_test(tc, test_ftruncate_after_lock);
#ifdef HAVE_PIDFILE_OPEN
	tcase_add_test(tc, test_ftruncate_in_libbsd);
#endif
	tcase_add_test(tc, test_pipe_status);
	tcase_add_test(tc, test_setsid);
	tcase_add_test(tc, test_fork_second);
	tcase_add_test(tc, test_fork_second_by_lineage);
	tcase_add_test(tc, test_open_output);
	tcase_add_test(tc, test_open_output_devnull);
	tcase_add_test(tc, test_open_log);
	tcase_add_test(tc, test_truncate_pid);
	tcase_add_test(tc, test_truncate_pid_stale_with_log);
	tcase_add_test(tc, test_chdir_workdir);
	tcase_add_test(tc, test_dup2);
	tcase_add_test(tc, test_write_pid);
	tcase_add_test(tc, test_write_pid_stale);
	tcase_add_test(tc, test_chdir);
	tcase_add_test(tc, test_pipe_signals);
	tcase_add_test(tc, test_write_ready_record);
	suite_add_tcase(s, tc);

	/* chroot and the privilege drop need root; elsewhere they are
	 * left out (the suite still runs the rest). */
	if (geteuid() == 0) {
		tr = tcase_create("root");
		tcase_set_timeout(tr, 60);
		tcase_add_unchecked_fixture(tr, NULL, tu_kill_leftovers);
		tcase_add_test(tr, test_chroot);
		tcase_add_test(tr, test_chdir_in_chroot);
		tcase_add_test(tr, test_setgroups);
		tcase_add_test(tr, test_setgid);
		tcase_add_test(tr, test_setuid);
		tcase_add_test(tr, test_setuid_stale);
		suite_add_tcase(s, tr);
	} else {
		fprintf(stderr, "check_faults: not root, chroot and privilege "
		    "faults skipped\n");
	}
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(faults_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * pidfd.c - a descriptor that names one process for good, and a signal
 * sent through it.
 *
 * pidfd_open (Linux 5.3) and pidfd_send_signal (5.1), through syscall(2):
 * older C libraries have no wrappers, so the numbers come from
 * <sys/syscall.h> (SYS_ or the kernel's __NR_ names).  Where the headers
 * know neither call (every system but Linux) both functions fail with
 * ENOSYS, as does a kernel without them at run time; the caller then uses
 * kill(2).  A seccomp filter that refuses calls it does not know (older
 * container runtimes) says EPERM instead, which the caller treats alike.
 */
#include "compat.h"

#include <errno.h>
#include <unistd.h>

#if defined(HAVE_SYS_SYSCALL_H)
#include <sys/syscall.h>
#elif defined(__has_include)
#if __has_include(<sys/syscall.h>)
#include <sys/syscall.h>
#endif
#endif

#if !defined(SYS_pidfd_open) && defined(__NR_pidfd_open)
#define SYS_pidfd_open __NR_pidfd_open
#endif
#if !defined(SYS_pidfd_send_signal) && defined(__NR_pidfd_send_signal)
#define SYS_pidfd_send_signal __NR_pidfd_send_signal
#endif
/* Both or neither: a pidfd nobody can signal through is of no use here. */
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_send_signal)
#define USE_PIDFD 1
#endif

int
dz_pidfd_open(pid_t pid)
{
#ifdef USE_PIDFD
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

int
dz_pidfd_send_signal(int pidfd, int signo)
{
#ifdef USE_PIDFD
	return (int)syscall(SYS_pidfd_send_signal, pidfd, signo, NULL, 0);
#else
	(void)pidfd;
	(void)signo;
	errno = ENOSYS;
	return -1;
#endif
}

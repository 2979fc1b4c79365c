# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
"""pyd.py - the same job with python-daemon: DaemonContext with a pidfile.

Usage: /usr/bin/python3 pyd.py PIDFILE

python-daemon's parent exits right after the first fork (no readiness
handshake), and its TimeoutPIDLockFile (from python3-lockfile) is a
lockfile-style pidfile: created with O_EXCL and holding the pid, with no
lock held on it.  The default signal map turns SIGTERM into SystemExit,
which leaves the context and removes the pidfile.
"""
import signal
import sys
import time

import daemon
import daemon.pidfile

path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/pyd.pid"
pidfile = daemon.pidfile.TimeoutPIDLockFile(path, acquire_timeout=0)
with daemon.DaemonContext(pidfile=pidfile):
    while True:
        # Short sleeps: signal.pause() can miss a signal that arrives
        # between the check of pending handlers and the pause itself.
        time.sleep(0.05)

# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# Real systemd as pid 1 of a container, for the systemd tests (sourced).
#
# systemd-nspawn --boot runs the host's own systemd on a tiny root tree:
# etc/ with passwd, group, nsswitch.conf, os-release and an empty
# machine-id (systemd then makes up a transient one), bin, lib, lib64 and
# sbin as links into usr/, and the host's /usr overlaid read-write with
# an upper directory that holds echod as /usr/local/sbin/echod and
# libdaemonize.so* in the default library path.  So the shipped unit files
# are used with only the port substituted.  Another systemd (254 from
# bookworm-backports) can be unpacked into the upper directory too: it
# then shadows the host's in the container only.
#
# The container shares the host's network (loopback), so the tests talk
# to echod from outside.  Commands inside run with nsenter into all of
# the container's namespaces.
#
# cgroups: nspawn puts itself and the container into "supervisor" and
# "payload" cgroups below the cgroup it is started in.  Started from a
# root cgroup (as on a machine whose pid 1 is not systemd) those would be
# shared by every container and left behind; so the launching shell first
# moves into a cgroup of its own (in every hierarchy that systemd uses:
# the unified one and the name=systemd one on a hybrid machine, the root
# on a pure cgroup2 one), and cleanup removes that subtree.
# shellcheck shell=bash
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

DZ_NS_PID=      # host pid of the container's pid 1
DZ_NSPAWN=      # host pid of systemd-nspawn
DZ_CGROUPS=()   # the cgroup directories made for this test

# dz_ns_requirements: skip (77) when systemd cannot run here.
dz_ns_requirements() {
	[ "$(id -u)" -eq 0 ] || dz_skip_all "not root: systemd-nspawn needs root"
	command -v systemd-nspawn >/dev/null ||
		dz_skip_all "systemd-nspawn not installed (package systemd-container)"
	command -v nsenter >/dev/null || dz_skip_all "nsenter (util-linux) not installed"
	[ -x /usr/lib/systemd/systemd ] || [ -x /lib/systemd/systemd ] ||
		dz_skip_all "systemd is not installed"
	grep -q overlay /proc/filesystems ||
		modprobe overlay 2>/dev/null
	grep -q overlay /proc/filesystems ||
		dz_skip_all "no overlay file system: --overlay=/usr needs it"
	[ -d /sys/fs/cgroup ] || dz_skip_all "no /sys/fs/cgroup"
	if [ -e /run/systemd/system ] && [ "$(cat /proc/1/comm)" = systemd ]; then
		# With systemd as the host's pid 1 the cgroup tree is its own;
		# nspawn --keep-unit then needs to run in a unit, which this
		# suite does not arrange.
		dz_skip_all "the host runs systemd as pid 1: run this suite from a container or VM without it"
	fi
}

# dz_ns_cgroup_dirs: the hierarchies nspawn will use.
dz_ns_cgroup_dirs() {
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo /sys/fs/cgroup              # pure cgroup2
		return
	fi
	[ -f /sys/fs/cgroup/unified/cgroup.procs ] && echo /sys/fs/cgroup/unified
	[ -f /sys/fs/cgroup/systemd/cgroup.procs ] && echo /sys/fs/cgroup/systemd
	return 0
}

# dz_ns_cgroup_kill_rm DIR: kill (by pid) whatever is still in the subtree,
# then remove it, deepest first.  Bounded.
dz_ns_cgroup_kill_rm() {
	local dir=$1 i pids d
	[ -d "$dir" ] || return 0
	for ((i = 0; i < 20; i++)); do
		pids=$(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un)
		[ -z "$pids" ] && break
		for p in $pids; do kill -KILL "$p" 2>/dev/null; done
		sleep 0.2
	done
	for ((i = 0; i < 20; i++)); do
		find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null
		[ -d "$dir" ] || return 0
		sleep 0.2
	done
	return 1
}

# dz_ns_prepare: the root tree and the upper /usr with echod.
dz_ns_prepare() {
	local r=$DZ_TMP/ns/root u=$DZ_TMP/ns/upper d multiarch
	mkdir -p "$r/etc/systemd/system" "$r/usr" "$r/var" "$r/run" "$r/tmp" \
	    "$r/proc" "$r/sys" "$r/dev" "$r/root" "$u/local/sbin"
	for d in bin lib lib64 sbin; do ln -s "usr/$d" "$r/$d"; done
	grep -E '^(root|nobody|daemon|messagebus|systemd-[a-z-]+):' /etc/passwd >"$r/etc/passwd"
	grep -E '^(root|nogroup|daemon|adm|tty|utmp|kmem|disk|input|kvm|render|sgx|audio|video|messagebus|systemd-[a-z-]+):' \
	    /etc/group >"$r/etc/group"
	cp /etc/nsswitch.conf "$r/etc/" 2>/dev/null ||
		printf 'passwd: files\ngroup: files\n' >"$r/etc/nsswitch.conf"
	cp -L /etc/os-release "$r/etc/os-release" 2>/dev/null ||
		cp /usr/lib/os-release "$r/etc/os-release"
	: >"$r/etc/machine-id"
	chmod 1777 "$r/tmp"
	multiarch=$(gcc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
	[ -n "$multiarch" ] || multiarch=x86_64-linux-gnu
	mkdir -p "$u/lib/$multiarch"
	cp "$DZ_ECHOD" "$u/local/sbin/echod"
	cp -P "$DZ_TMP"/lib/libdaemonize.so* "$u/lib/$multiarch/"
	DZ_NS_ROOT=$r
	DZ_NS_UPPER=$u
}

# dz_ns_substitute SRC NAME: install a shipped unit with only the port
# changed.
dz_ns_substitute() {
	sed -e "s|7007|$DZ_PORT|g" "$1" >"$DZ_NS_ROOT/etc/systemd/system/$2"
}

# ns CMD...: run CMD inside the container, bounded.
ns() { timeout "$(dz_t 30)" nsenter -t "$DZ_NS_PID" -a "$@"; }

dz_ns_state() { ns systemctl is-system-running 2>/dev/null; }
dz_ns_up() {
	dz_ns_find_init || return 1
	case $(dz_ns_state) in running|degraded) return 0 ;; esac
	return 1
}

# dz_ns_find_init: nspawn's child that is pid 1 of the new pid namespace.
# Early on nspawn's child is an intermediate process that soon exits (a
# race a loaded machine makes likely), so the pid is checked every time.
dz_ns_find_init() {
	local p
	if [ -n "$DZ_NS_PID" ] && [ "$(dz_ns_inner_pid "$DZ_NS_PID")" = 1 ] &&
	    [ "$(dz_ppid "$DZ_NS_PID")" = "$DZ_NSPAWN" ]; then
		return 0
	fi
	DZ_NS_PID=
	for p in $(pgrep -P "$DZ_NSPAWN" 2>/dev/null); do
		if [ "$(dz_ns_inner_pid "$p")" = 1 ]; then
			DZ_NS_PID=$p
			return 0
		fi
	done
	return 1
}

# dz_ns_boot: boot the container; fails with DZ_WHY.
dz_ns_boot() {
	local h cg t0
	DZ_NS_MACHINE=dz$$
	for h in $(dz_ns_cgroup_dirs); do
		cg=$h/dz-supervisors-$$
		mkdir "$cg" || { DZ_WHY="cannot make cgroup $cg"; return 1; }
		DZ_CGROUPS+=("$cg")
	done
	[ ${#DZ_CGROUPS[@]} -gt 0 ] || { DZ_WHY="no usable cgroup hierarchy"; return 1; }
	dz_defer 'dz_ns_teardown'
	t0=${EPOCHREALTIME/./}
	(
		# The launching shell (this subshell) moves into the new
		# cgroups, then becomes nspawn.
		for cg in "${DZ_CGROUPS[@]}"; do
			echo "$BASHPID" >"$cg/cgroup.procs" || exit 125
		done
		exec systemd-nspawn -q -D "$DZ_NS_ROOT" -M "$DZ_NS_MACHINE" \
		    --boot --keep-unit --register=no --console=pipe \
		    --link-journal=no --resolv-conf=off --timezone=off \
		    --overlay="/usr:$DZ_NS_UPPER:/usr"
	) </dev/null >"$DZ_TMP/nspawn.out" 2>&1 &
	DZ_NSPAWN=$!
	if ! dz_wait 20 dz_ns_find_init; then
		DZ_WHY="no container init: $(tail -5 "$DZ_TMP/nspawn.out" | tr '\n' ' ')"
		return 1
	fi
	# Generous: on a loaded machine a boot can take a minute.
	if ! dz_wait 120 dz_ns_up; then
		# What it was still waiting for, for the report.
		ns systemctl list-jobs --no-pager 2>&1 | head -5 | sed 's/^/# jobs: /'
		DZ_WHY="system state '$(dz_ns_state)' (container pid 1: host pid '$DZ_NS_PID') after $(dz_t 120) s: $(tail -5 "$DZ_TMP/nspawn.out" | tr '\n' ' ')"
		return 1
	fi
	DZ_NS_VERSION=$(ns systemctl --version | head -1)
	dz_log "container booted in $(( (${EPOCHREALTIME/./} - t0) / 1000 )) ms: $DZ_NS_VERSION"
}

# dz_ns_teardown: power off (nspawn's SIGTERM = an orderly halt), bounded,
# then harder; then the cgroups and nspawn's runtime leftovers.
dz_ns_teardown() {
	local i cg
	if [ -n "$DZ_NSPAWN" ] && kill -0 "$DZ_NSPAWN" 2>/dev/null; then
		kill -TERM "$DZ_NSPAWN"
		for ((i = 0; i < 100; i++)); do
			kill -0 "$DZ_NSPAWN" 2>/dev/null || break
			sleep 0.1
		done
		# A second SIGTERM makes nspawn terminate at once.
		kill -TERM "$DZ_NSPAWN" 2>/dev/null
		sleep 0.5
		kill -KILL "$DZ_NSPAWN" 2>/dev/null
	fi
	wait "$DZ_NSPAWN" 2>/dev/null
	for cg in "${DZ_CGROUPS[@]}"; do
		dz_ns_cgroup_kill_rm "$cg"
	done
	rm -rf "/run/systemd/nspawn/propagate/$DZ_NS_MACHINE" \
	    "/run/systemd/nspawn/unix-export/$DZ_NS_MACHINE"
	# nspawn's runtime directories, only if no other container uses them.
	rmdir /run/systemd/nspawn/propagate /run/systemd/nspawn/unix-export \
	    /run/systemd/nspawn/locks /run/systemd/nspawn 2>/dev/null
	return 0
}

# dz_ns_host_pid NSPID: the host pid of a container pid, found through the
# listening socket's holders or any process in the container.
dz_ns_inner_pid() { awk '/^NSpid:/ { print $NF }' "/proc/$1/status" 2>/dev/null; }

dz_ns_show() { ns systemctl show -p "$2" --value "$1" 2>/dev/null; }
dz_ns_is_active() { [ "$(dz_ns_show "$1" ActiveState)" = active ]; }

# dz_ns_journal UNIT: echod's messages from the journal.
dz_ns_journal() { ns journalctl -q --no-pager -o cat -u "$1" 2>/dev/null; }
dz_ns_journal_has() { dz_ns_journal "$1" | grep -qE -- "$2"; }
dz_ns_journal_count() { dz_ns_journal "$1" | grep -cE -- "$2"; }

# dz_ns_serving_inner UNIT: succeeds when MainPID is the (one, non-pid-1)
# process holding the listening socket; prints the host pid.
dz_ns_main_is_serving() {
	local unit=$1 main p inner found=
	main=$(dz_ns_show "$unit" MainPID)
	if [ -z "$main" ] || [ "$main" = 0 ]; then
		DZ_WHY="$unit has no MainPID"; return 1
	fi
	for p in $(dz_listen_pids "$DZ_PORT"); do
		inner=$(dz_ns_inner_pid "$p")
		[ "$inner" = 1 ] && continue    # systemd itself (socket unit)
		if [ "$inner" = "$main" ]; then
			found=$p
		else
			DZ_WHY="container pid $inner (host $p) also holds the socket; MainPID $main"
			return 1
		fi
	done
	[ -n "$found" ] || { DZ_WHY="MainPID $main does not hold 127.0.0.1:$DZ_PORT"; return 1; }
	echo "$found"
}

# dz_ns_nothing_left UNIT HOSTPID...: check (f) inside the container.
dz_ns_nothing_left() {
	local unit=$1 p out st
	shift
	for p in "$@"; do
		dz_wait 5 dz_is_gone "$p" || { DZ_WHY="pid $p still running"; return 1; }
	done
	out=$(ns pgrep -x echod)
	[ -z "$out" ] || { DZ_WHY="echod processes left in the container: ${out//$'\n'/ }"; return 1; }
	out=$(ns /usr/local/sbin/echod -s -p /run/echod.pid 2>&1); st=$?
	[ "$st" -eq 3 ] || { DZ_WHY="echod -s says '$out' (exit $st)"; return 1; }
	out=$(ns cat /run/echod.pid 2>/dev/null)
	[ -z "$out" ] || { DZ_WHY="/run/echod.pid still holds '$out'"; return 1; }
	dz_wait 5 dz_not_listening "$DZ_PORT" || { DZ_WHY="port $DZ_PORT still listening"; return 1; }
	[ "$(dz_ns_show "$unit" ActiveState)" = inactive ] ||
		{ DZ_WHY="$unit is $(dz_ns_show "$unit" ActiveState)"; return 1; }
}

# dz_ns_backports_systemd: unpack systemd from bookworm-backports (254)
# into the container's /usr and /etc only.  apt runs with a private state
# and cache and a sources list of that one suite; the host's package
# database and lists are only read, nothing is installed on the host.
# Skips (77) when the packages cannot be had.  DZ_BACKPORTS_MIRROR
# overrides the mirror; with DZ_CACHE_DIR set the .debs are kept there and
# reused (nothing is kept otherwise).
dz_ns_backports_systemd() {
	local b=$DZ_TMP/apt t0
	t0=${EPOCHREALTIME/./}
	if [ -n "${DZ_CACHE_DIR:-}" ] &&
	    [ -n "$(find "$DZ_CACHE_DIR/systemd-backports" -name 'systemd_*.deb' 2>/dev/null)" ]; then
		mkdir -p "$b"
		cp -r "$DZ_CACHE_DIR/systemd-backports" "$b/deb"
		dz_log "systemd .debs from $DZ_CACHE_DIR/systemd-backports"
	else
		dz_ns_backports_fetch
	fi
	dz_ns_backports_unpack
	dz_log "systemd $DZ_BACKPORTS_VERSION in the container's /usr after $(( (${EPOCHREALTIME/./} - t0) / 1000 )) ms"
}

# dz_ns_backports_fetch: apt-get download into $DZ_TMP/apt/deb.
dz_ns_backports_fetch() {
	local b=$DZ_TMP/apt mirror codename
	local -a opt
	codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null)
	[ "$codename" = bookworm ] ||
		dz_skip_all "systemd 253+ is fetched from bookworm-backports; this host is '$codename'"
	command -v apt-get >/dev/null || dz_skip_all "no apt-get to fetch systemd 254"
	mirror=${DZ_BACKPORTS_MIRROR:-http://deb.debian.org/debian}
	mkdir -p "$b/state/lists/partial" "$b/cache/archives/partial" \
	    "$b/etc/sources.list.d" "$b/etc/preferences.d" "$b/deb"
	echo "deb $mirror bookworm-backports main" >"$b/etc/sources.list"
	opt=(-q -o "Dir::State=$b/state" -o "Dir::Cache=$b/cache"
	    -o "Dir::Etc::sourcelist=$b/etc/sources.list"
	    -o "Dir::Etc::sourceparts=$b/etc/sources.list.d"
	    -o "Dir::Etc::preferencesparts=$b/etc/preferences.d"
	    -o APT::Sandbox::User=root)
	timeout "$(dz_t 120)" apt-get "${opt[@]}" update >"$b/update.out" 2>&1 ||
		dz_skip_all "apt-get update of bookworm-backports failed: $(tail -1 "$b/update.out")"
	(cd "$b/deb" && timeout "$(dz_t 180)" apt-get "${opt[@]}" download \
	    systemd/bookworm-backports libsystemd-shared/bookworm-backports \
	    libsystemd0/bookworm-backports) >"$b/download.out" 2>&1 ||
		dz_skip_all "bookworm-backports has no systemd to download: $(tail -1 "$b/download.out")"
	if [ -n "${DZ_CACHE_DIR:-}" ]; then
		mkdir -p "$DZ_CACHE_DIR/systemd-backports" &&
		    cp "$b"/deb/*.deb "$DZ_CACHE_DIR/systemd-backports/"
	fi
}

# dz_ns_backports_unpack: dpkg -x the .debs into the container only.
dz_ns_backports_unpack() {
	local b=$DZ_TMP/apt x=$DZ_TMP/bp p d
	mkdir -p "$x"
	for p in "$b"/deb/*.deb; do
		dpkg -x "$p" "$x" || dz_skip_all "dpkg -x $p failed"
	done
	DZ_BACKPORTS_VERSION=$(dpkg-deb -f "$b"/deb/systemd_*.deb Version)
	# The container's bin, lib and sbin are links into usr: merge.
	for d in bin sbin lib lib64; do
		[ -d "$x/$d" ] && { mkdir -p "$DZ_NS_UPPER/$d"; cp -a "$x/$d/." "$DZ_NS_UPPER/$d/"; }
	done
	[ -d "$x/usr" ] && cp -a "$x/usr/." "$DZ_NS_UPPER/"
	[ -d "$x/etc" ] && cp -a "$x/etc/." "$DZ_NS_ROOT/etc/"
	rm -rf "$x" "$b/deb" "$b/cache"
}

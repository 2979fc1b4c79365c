#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# Run every libdaemonize benchmark with one command and rewrite
# bench/README.md with the results, the commands and the machine.
#
#   bench/run.sh            (ITER=200 samples per contender and setting by
#                            default; ITER=20 bench/run.sh is the quick run:
#                            the least the 1.0 issue accepts.  ITER must be
#                            a multiple of 5.  README.md is rewritten when
#                            ITER >= 20; NO_README=1 leaves it alone.)
#
# Builds the library out of tree in build/bench (BENCH_BUILD to change it),
# twice (with libbsd if configure finds it, and --without-libbsd), compiles
# the programs in bench/ and examples/template.c with cc against that
# build, then runs:
#   1. time to ready (bench/ready.c): examples/template linked as users
#      link it (-ldaemonize), the raw floor (bench/floor.c) linked three
#      ways, daemon(3), libdaemon, python-daemon; interleaved, RLIMIT_NOFILE
#      soft 1024 and soft = hard, medians with their spread;
#   2. signal latency and storm (bench/siglat.c);
#   3. footprint (bench/footprint.c, bench/alloccount.c, bench/allocs.c).
# Everything temporary lives in a fresh mktemp directory, removed at exit.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
iter=${ITER:-200}
blocks=10
build=${BENCH_BUILD:-$top/build/bench}
bin=$build/bin
if [ $((iter % (blocks / 2))) -ne 0 ] || [ "$iter" -lt 1 ]; then
	echo "run.sh: ITER=$iter: must be a positive multiple of $((blocks / 2))" >&2
	exit 2
fi
"$top/scripts/deps.sh"

# libdaemon and python-daemon are contenders when installed.
have_libdaemon=0 have_pydaemon=0
pkg-config --exists libdaemon 2>/dev/null && have_libdaemon=1
py=/usr/bin/python3
[ -x $py ] && $py -c 'import daemon.pidfile' 2>/dev/null && have_pydaemon=1
for tool in strace; do
	command -v $tool >/dev/null || echo "run.sh: $tool missing (apt-get install $tool): no syscall profile" >&2
done

echo "=== build: $build"
if [ ! -x "$top/configure" ]; then
	(cd "$top" && autoreconf -fi >/dev/null 2>&1)
fi
rm -rf "$build"
mkdir -p "$build" "$bin"
(cd "$build" && "$top/configure" -q --enable-werror >configure.out 2>&1 &&
	make -s -j"$(nproc)" lib/libdaemonize.la >make.out 2>&1) ||
	{ tail -30 "$build/configure.out" "$build/make.out"; exit 1; }
libdir=$build/lib/.libs
so=$libdir/libdaemonize.so
# The same library built with its own pidfile code instead of libbsd's: the
# loader then maps fewer shared objects; its static archive is the
# template without the dynamic loader's share.
own=$build/own
mkdir -p "$own"
(cd "$own" && "$top/configure" -q --enable-werror --without-libbsd >configure.out 2>&1 &&
	make -s -j"$(nproc)" lib/libdaemonize.la >make.out 2>&1) ||
	{ tail -30 "$own/configure.out" "$own/make.out"; exit 1; }
# What libdaemonize.so itself needs besides libc: libbsd when configure
# chose it (and libmd through libbsd).
uses_libbsd=0
readelf -d "$so" | grep -q 'NEEDED.*libbsd' && uses_libbsd=1

cflags="-O2 -g -Wall -Wextra -Wshadow -Werror"
c() { echo "cc $*" >>"$build/commands.txt"; cc "$@"; }
: >"$build/commands.txt"
# The template as its users link it: the header, -ldaemonize, nothing else.
c $cflags -o "$bin/template" "$top/examples/template.c" -I"$top/include" -L"$libdir" -ldaemonize -Wl,-rpath,"$libdir"
c $cflags -o "$bin/template-own" "$top/examples/template.c" -I"$top/include" -L"$own/lib/.libs" -ldaemonize -Wl,-rpath,"$own/lib/.libs"
c $cflags -o "$bin/template-static" "$top/examples/template.c" -I"$top/include" "$own/lib/.libs/libdaemonize.a"
# The floor: the template's steps in raw system calls, linked against libc
# only; against libbsd too when the library uses it (what a hand-written
# daemon using libbsd's pidfile_open loads); and against exactly the
# shared objects the template loads (libdaemonize.so, never called).
c $cflags -o "$bin/floor" "$top/bench/floor.c"
if [ $uses_libbsd = 1 ]; then
	c $cflags -o "$bin/floor-bsd" "$top/bench/floor.c" -Wl,--no-as-needed -lbsd -Wl,--as-needed
fi
c $cflags -o "$bin/floor-linked" "$top/bench/floor.c" -Wl,--no-as-needed -L"$libdir" -ldaemonize -Wl,-rpath,"$libdir" -Wl,--as-needed
c $cflags -o "$bin/daemon3" "$top/bench/daemon3.c"
lib=(-I"$top/include" -L"$libdir" -ldaemonize -Wl,-rpath,"$libdir")
c $cflags -o "$bin/ready" "$top/bench/ready.c" "$top/bench/benchutil.c"
c $cflags -o "$bin/footprint" "$top/bench/footprint.c" "$top/bench/benchutil.c"
c $cflags -o "$bin/siglat" "$top/bench/siglat.c" "$top/bench/benchutil.c" "${lib[@]}"
c $cflags -shared -fPIC -o "$bin/alloccount.so" "$top/bench/alloccount.c"
c $cflags -o "$bin/allocs" "$top/bench/allocs.c" "${lib[@]}" -ldl
[ $have_libdaemon = 1 ] &&
	c $cflags -o "$bin/ldaemon" "$top/bench/ldaemon.c" $(pkg-config --cflags --libs libdaemon)

# The loaded objects must match for floor-linked to mean anything.
objs() { ldd "$1" | awk '$1 !~ /^linux-vdso/ { print $1 }' | sort | tr '\n' ' '; }
objs_template=$(objs "$bin/template")
objs_linked=$(objs "$bin/floor-linked")
if [ "$objs_template" != "$objs_linked" ]; then
	echo "run.sh: floor-linked loads [$objs_linked], template [$objs_template]" >&2
	exit 1
fi
objs_floor=$(objs "$bin/floor")
objs_bsd=$([ $uses_libbsd = 1 ] && objs "$bin/floor-bsd" || true)

work=$(mktemp -d /tmp/dz-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
# One free port per contender that binds (the template and the floors);
# samples run one at a time, so a port is free again at the next start.
port=$((20000 + RANDOM % 30000))
next_port() {
	while ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; do port=$((port + 1)); done
	echo $port
	port=$((port + 1))
}
specs=()
add() { specs+=("$1"); }
for p in template template-own template-static floor floor-bsd floor-linked; do
	[ -x "$bin/$p" ] && add "$p:flock:$bin/$p:-P:$(next_port):-p"
done
add "daemon3:flock:$bin/daemon3"
# libdaemon writes its pidfile under an fcntl lock and then closes it (no
# lock is held while it runs), python-daemon's PIDLockFile holds no lock:
# for both "ready" means the file names a live pid.
[ $have_libdaemon = 1 ] && add "libdaemon:none:$bin/ldaemon:-P:$(next_port):-p"
[ $have_pydaemon = 1 ] && add "python-daemon:none:$py:$top/bench/pyd.py"
# How to start one contender by hand (perf, strace): its spec's argv.
argv_of() {	# name pidfile
	local s f
	for s in "${specs[@]}"; do
		[ "${s%%:*}" = "$1" ] || continue
		IFS=: read -r -a f <<<"$s"
		echo "${f[@]:2}" "$2"
		return
	done
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "=== 1. time to ready ($iter runs each, both settings interleaved)"
ready_cmd=("$bin/ready" -n "$iter" -b "$blocks" -d "$work" -i 200 "${specs[@]}")
"${ready_cmd[@]}" >"$work/ready.out" 2>"$work/ready.err" || true
grep -v '^block' "$work/ready.err" | sort | uniq -c | sed 's/^/  stderr: /' || true

echo "=== 2. signal latency and storm"
sig_cmd=("$bin/siglat" -n 10000 -s 100000)
"${sig_cmd[@]}" >"$work/sig.out" 2>"$work/sig.err" || true
cat "$work/sig.err"

echo "=== 3. footprint"
fp_cmd=("$bin/footprint" -d "$work" -i 200 -r 3 "${specs[@]}")
"${fp_cmd[@]}" >"$work/fp.out" 2>"$work/fp.err" || true
al_cmd=("$bin/footprint" -d "$work" -i 200 -a "$bin/alloccount.so"
	-l "$work/alloc.log" "${specs[0]}" "allocs:flock:$bin/allocs")
"${al_cmd[@]}" >"$work/alloc.out" 2>"$work/alloc.err" || true
cat "$work/fp.err" "$work/alloc.err"
so_size=$(stat -c %s "$(readlink -f "$so")")
strip -o "$work/stripped.so" "$(readlink -f "$so")"
so_stripped=$(stat -c %s "$work/stripped.so")

# Syscall counts of one start, original + middle + daemon (strace -f -c):
# what the library does that the floor does not.
profile() {	# name
	local pf=$work/$1.strace.pid out=$work/$1.strace
	rm -f "$pf"
	# shellcheck disable=SC2046
	strace -f -c -o "$out" $(argv_of "$1" "$pf") >/dev/null 2>&1 &
	local st=$! i=0
	while [ ! -s "$pf" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
	[ -s "$pf" ] && kill "$(cat "$pf")" 2>/dev/null || true
	i=0
	while kill -0 $st 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
	kill $st 2>/dev/null || true
	wait $st 2>/dev/null || true
	awk '$NF == "total" { print $2 " s, " $4 " calls" }' "$out" 2>/dev/null | tail -1
}
if command -v strace >/dev/null; then
	prof_tpl=$(profile template)
	prof_floor=$(profile floor)
	top_calls() {
		awk '$NF != "total" && $1 ~ /^[0-9.]+$/ { print $NF, $4 }' "$1" |
			sort -k2 -nr | head -10 | awk '{ printf "%s %s, ", $1, $2 }'
	}
	calls_tpl=$(top_calls "$work/template.strace")
	calls_floor=$(top_calls "$work/floor.strace")
fi
# CPU time and page faults of one start (original + middle + daemon until
# the original exits; perf stat counts inherited children), interleaved.
perf_progs="template template-own template-static floor floor-bsd floor-linked"
if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
	for i in $(seq 1 30); do
		for p in $perf_progs; do
			[ -x "$bin/$p" ] || continue
			rm -f "$work/perf.pid"
			# shellcheck disable=SC2046
			perf stat -x, -e task-clock,page-faults,context-switches \
				$(argv_of "$p" "$work/perf.pid") >/dev/null 2>>"$work/perf.$p" || true
			[ -s "$work/perf.pid" ] && kill "$(cat "$work/perf.pid")" 2>/dev/null || true
			j=0
			while [ -e "$work/perf.pid" ] && [ $j -lt 200 ]; do sleep 0.005; j=$((j + 1)); done
		done
	done
	{
		echo "| program | task-clock ms (CPU, all 3 processes) | page faults | context switches |"
		echo "|---|---|---|---|"
		for p in $perf_progs; do
			[ -s "$work/perf.$p" ] || continue
			awk -F, -v p="$p" '$1 ~ /^[0-9.]+$/ { s[$3] += $1; n[$3]++ }
			    END { printf "| %s | %.3f | %.1f | %.1f |\n", p, s["task-clock"] / n["task-clock"],
			    s["page-faults"] / n["page-faults"], s["context-switches"] / n["context-switches"] }' "$work/perf.$p"
		done
	} >"$work/perf.md"
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- tables ----------------------------------------------------------------
ms() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e6 }'; }
us() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1e3 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
# ready.out: R setting name n median p90 min max p25 p75
get() { awk -v s="$1" -v n="$2" -v f="$3" '$1 == "R" && $2 == s && $3 == n { print $f }' "$work/ready.out"; }
settings=$(awk '$1 == "R" { print $2 }' "$work/ready.out" | sort -nu)
hard=$(echo "$settings" | tail -1)

note() {
	case $1 in
	template) echo "examples/template.c linked as users link it (-ldaemonize; libdaemonize.so $([ $uses_libbsd = 1 ] && echo "with libbsd" || echo "without libbsd")); binds a port; handshake" ;;
	template-own) echo "the same, against libdaemonize built --without-libbsd (own pidfile code, fewer objects to load)" ;;
	template-static) echo "the same, linked statically with libdaemonize.a (own pidfile code): the library's steps without the dynamic loader" ;;
	floor) echo "bench/floor.c: the template's steps in raw system calls, libc only; handshake" ;;
	floor-bsd) echo "bench/floor.c linked with -lbsd too (libdaemonize-free, but loading what the library loads besides itself)" ;;
	floor-linked) echo "bench/floor.c linked against exactly the template's shared objects ($objs_linked), libdaemonize never called" ;;
	daemon3) echo "daemon(3): **no readiness handshake** (parent exits at fork; harness polls the pidfile), one fork, no fd closing, no socket" ;;
	libdaemon) echo "libdaemon 0.14 daemon_fork + daemon_retval (bench/ldaemon.c); binds a port as the template does; pidfile not locked while running (checked: content + pid alive)" ;;
	python-daemon) echo "python-daemon $(dpkg-query -W -f='${Version}' python3-daemon 2>/dev/null || echo '?'): python startup included; **no handshake** (parent exits at first fork); PIDLockFile, no lock (checked: content + pid alive)" ;;
	esac
}

{
	echo "| RLIMIT_NOFILE (soft) | contender | n | median ms | IQR ms (p25-p75) | min-max ms | median / floor-linked | notes |"
	echo "|---|---|---|---|---|---|---|---|"
	for s in $settings; do
		fmed=$(get "$s" floor-linked 5)
		for spec in "${specs[@]}"; do
			name=${spec%%:*}
			med=$(get "$s" "$name" 5)
			[ -n "$med" ] || continue
			echo "| $s | $name | $(get "$s" "$name" 4) | $(ms "$med") | $(ms "$(get "$s" "$name" 9)")-$(ms "$(get "$s" "$name" 10)") | $(ms "$(get "$s" "$name" 7)")-$(ms "$(get "$s" "$name" 8)") | $(ratio "$med" "$fmed") | $(note "$name") |"
		done
	done
} >"$work/t1.md"

verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r != "n/a" && r <= t) ? "met" : "**missed**" }'; }
{
	echo "| target | measured (ratio of medians) | verdict |"
	echo "|---|---|---|"
	for f in floor-linked floor-bsd; do
		for s in 1024 "$hard"; do
			fm=$(get "$s" "$f" 5)
			[ -n "$fm" ] || continue
			r=$(ratio "$(get "$s" template 5)" "$fm")
			echo "| template within 1.10x of $f at $s | $r | $(verdict "$r" 1.10) |"
		done
	done
	for s in 1024 "$hard"; do
		r=$(ratio "$(get "$s" template 5)" "$(get "$s" floor 5)")
		echo "| (template / floor, libc only) at $s | $r | $(verdict "$r" 1.10) |"
	done
	for other in libdaemon python-daemon; do
		for s in 1024 "$hard"; do
			om=$(get "$s" "$other" 5)
			[ -n "$om" ] || continue
			r=$(ratio "$(get "$s" template 5)" "$om")
			echo "| template ahead of $other at $s (template / $other) | $r | $(verdict "$r" 0.9999) |"
		done
	done
	tm1=$(get 1024 template 5); tmh=$(get "$hard" template 5)
	fm1=$(get 1024 floor-linked 5); fmh=$(get "$hard" floor-linked 5)
	rg=$(ratio "$tmh" "$tm1"); fg=$(ratio "$fmh" "$fm1")
	echo "| no growth with RLIMIT_NOFILE: template@$hard / template@1024 | $rg (floor-linked: $fg) | $(verdict "$rg" 1.10) (within 1.10) |"
	# The floor grows too: at soft $hard the inherited fd at $((hard - 2))
	# makes every fork copy a $hard-entry fd table until close_range.
	# What the library itself adds is its growth relative to the floor's.
	rn=$(awk -v a="$rg" -v b="$fg" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }')
	echo "| growth relative to the floor's: (template@$hard / template@1024) / (floor-linked@$hard / floor-linked@1024) | $rn | $(verdict "$rn" 1.10) (within 1.10) |"
} >"$work/t1v.md"

{
	siglib=$(awk '$1 == "L" && $2 == "library"' "$work/sig.out")
	sigraw=$(awk '$1 == "L" && $2 == "raw-self-pipe"' "$work/sig.out")
	echo "| path | n | median us | p99 us | min us |"
	echo "|---|---|---|---|---|"
	for l in "$siglib" "$sigraw"; do
		# shellcheck disable=SC2086
		set -- $l
		[ $# -ge 6 ] && echo "| $2 | $3 | $(us "$4") | $(us "$5") | $(us "$6") |"
	done
	# shellcheck disable=SC2086
	set -- $siglib; lmed=${4:-0}
	# shellcheck disable=SC2086
	set -- $sigraw; rmed=${4:-0}
	r=$(ratio "$lmed" "$rmed")
	echo
	echo "Median ratio library / raw self-pipe: **$r** (target <= 1.2: $(verdict "$r" 1.2))."
	echo
	echo "| storm (100000 SIGHUP, then SIGTERM) | wall ms, first kill to SIGTERM seen | SIGHUP wakeups seen | SIGTERM seen | sender's kill loop ms |"
	echo "|---|---|---|---|---|"
	awk '$1 == "S" { printf "| %s | %.1f | %s | %s | %.1f |\n", $2, $3 / 1e6, $4, $5 == 1 ? "yes" : "**no**", $6 / 1e6 }' "$work/sig.out"
} >"$work/t2.md"

{
	echo "| contender | VmRSS kB | RssAnon kB | RssFile kB | open fds |"
	echo "|---|---|---|---|---|"
	awk '$1 == "M" { printf "| %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6 }' "$work/fp.out"
} >"$work/t3.md"
{
	echo "| fd | target | what |"
	echo "|---|---|---|"
	awk '$1 == "D" && $2 == "template" { t = $4; $1 = $2 = $4 = ""; sub(/^ +/, ""); printf "| %s | %s | %s |\n", $1, t, substr($0, index($0, $1) + length($1) + 1) }' "$work/fp.out" |
		sed "s|$work|\$WORK|g"
} >"$work/t3fd.md"
{
	echo "| process | call | malloc | calloc | realloc | free | bytes requested |"
	echo "|---|---|---|---|---|---|---|"
	awk '$1 == "S" { printf "| %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8 }' "$work/alloc.out"
	awk '$1 == "A" && $2 == "template" { printf "| %s (whole life) | examples/template unchanged | %s | %s | %s | %s | %s |\n", $3, $5, $6, $7, $8, $9 }' "$work/alloc.out"
} >"$work/t3a.md"

echo
cat "$work/t1.md"; echo; cat "$work/t1v.md"; echo; cat "$work/t2.md"; echo
cat "$work/t3.md"; echo; cat "$work/t3fd.md"; echo; cat "$work/t3a.md"
[ -s "$work/perf.md" ] && { echo; cat "$work/perf.md"; }
echo "libdaemonize.so: $so_size bytes, stripped $so_stripped"
echo "strace -f -c, one start until SIGTERM: template ${prof_tpl:-?}; floor ${prof_floor:-?}"
echo "load average: before $load_before, after $load_after"

if [ "$iter" -lt 20 ] || [ "${NO_README:-0}" = 1 ]; then
	echo "ITER=$iter < 20 or NO_README=1: README.md not rewritten"
	exit 0
fi

# ---- README ----------------------------------------------------------------
# head(1) closes pipes early below: not a failure.
set +o pipefail
model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
libc=$(ldd --version 2>&1 | head -1)
{
cat <<EOF
# Benchmarks

Written by \`bench/run.sh\` (ITER=$iter) on $(date -u '+%Y-%m-%d %H:%M UTC'); do not edit by hand, run
\`bench/run.sh\` again.  Every comparison is side by side in one run: the
machine is shared and noisy (load average $load_before before the run,
$load_after after; other jobs were running), so absolute times move between
runs while the ratios of interleaved medians are the figures to read.

## Machine

- CPU: $model, $(nproc) cores (nproc)
- kernel: $(uname -sr)
- libc: $libc; libbsd $(dpkg-query -W -f='${Version}' libbsd0 2>/dev/null || echo '?'); libdaemon $(dpkg-query -W -f='${Version}' libdaemon0 2>/dev/null || echo 'absent'); python-daemon $(dpkg-query -W -f='${Version}' python3-daemon 2>/dev/null || echo 'absent') on $($py --version 2>&1)
- compiler: $(cc --version | head -1)
- RLIMIT_NOFILE hard limit: $hard

## 1. Time to ready

From before fork+exec of the command until it has exited 0 **and** its
pidfile names a live daemon that holds the pidfile's flock (for libdaemon
and python-daemon, which hold no lock: the pid in the file is alive).
CLOCK_MONOTONIC in the harness (bench/ready.c), which is a subreaper so the
daemons become its children and are stopped (SIGTERM, bounded wait) after
each sample, untimed.  One run: $blocks alternating blocks of the two
RLIMIT_NOFILE settings, every contender in each round, order rotated;
$iter samples per contender and setting.  The harness holds 200 inherited
fds (on /dev/null, not close-on-exec) at 3 and up and one at soft-2
(1022 or $((hard - 2))).  For contenders without a handshake the harness
polls the pidfile every 20 us after the program exited.

The contender is examples/template.c, started as a user starts it
(\`template -P PORT -p PIDFILE\`) and linked as users link it
(\`-ldaemonize\`): it locks its pidfile, binds 127.0.0.1:PORT, keeps it,
starts and is ready.  bench/floor.c does the same steps with raw system
calls.  Loaded shared objects: template $objs_template; floor-linked
$objs_linked; floor-bsd ${objs_bsd:-(not built: the library does not use libbsd)}; floor $objs_floor.

$(cat "$work/t1.md")

Targets (ratios of medians; the spread of each median is in the table above):

$(cat "$work/t1v.md")

EOF
if [ -s "$work/perf.md" ]; then
cat <<EOP
Where the time goes: \`perf stat -e task-clock,page-faults,context-switches\`
of one start, mean of 30 interleaved runs each (bench/run.sh, "perf" section):

$(cat "$work/perf.md")

floor-linked is the floor with the template's shared objects loaded but
never called; template-own is the template against the library built
\`--without-libbsd\`, template-static the same linked statically.
EOP
fi
cat <<EOF

Syscalls of one whole start (original + middle + daemon, until SIGTERM;
\`strace -f -c\`; the seconds are strace's, the counts are exact): template ${prof_tpl:-?}; floor ${prof_floor:-?}.

- template, most frequent: ${calls_tpl:-?}
- floor, most frequent: ${calls_floor:-?}

## 2. Signal latency and storm

bench/siglat.c: one process installs the library's handling (foreground
mode, SIGUSR1 added) and a raw self-pipe (SIGUSR2, handler writes one
byte); rounds alternate between the two.  A sender process spins on a
shared page, waits 30 us so the receiver sleeps in poll, stores
CLOCK_MONOTONIC and kill()s; latency ends when the receiver's poll loop has
the signal number (daemonize_next_signal(d, 0) / read).  Storm: the sender
sends 100000 SIGHUPs and one SIGTERM; first with the raw self-pipe (before
the library is installed, reference), then three times with the library.

$(cat "$work/t2.md")

The library coalesces: one byte per distinct pending signal, so a full
pipe cannot push the SIGTERM out.  How many wakeups a storm costs depends
on how often the receiver drains the pipe while the sender is still
sending (a busy machine interleaves them more), so the count varies
between runs; the SIGTERM column is the one that must say yes.

## 3. Footprint

- build/bench/lib/.libs/libdaemonize.so: **$so_size bytes**, stripped **$so_stripped bytes**
  (\`strip -o\`).

Resident memory and open fds of each daemon once ready (median of 3 runs;
started with 200 inherited fds):

$(cat "$work/t3.md")

Descriptors of the template's daemon after ready (\`/proc/PID/fd\`, same
start with 200 inherited fds):

$(cat "$work/t3fd.md")

Heap: an LD_PRELOAD counter (bench/alloccount.c, counts reset in a forked
child) around each library call of bench/allocs.c (the template's calls in
its order, no socket), plus the whole-life counts of examples/template
unchanged.  In the daemon, "start" counts from its creation by the second
fork.

$(cat "$work/t3a.md")

## Commands

\`\`\`
ITER=$iter bench/run.sh
# which ran:
cd build/bench && ../../configure -q --enable-werror && make -j$(nproc) lib/libdaemonize.la
cd build/bench/own && ../../../configure -q --enable-werror --without-libbsd && make lib/libdaemonize.la
$(sed "s|$top/||g" "$build/commands.txt")
${ready_cmd[*]}
${sig_cmd[*]}
${fp_cmd[*]}
${al_cmd[*]}
strace -f -c -o OUT build/bench/bin/{template,floor} -P PORT -p PIDFILE
\`\`\`

(\`$work\` was a fresh temporary directory.)  Packages: libdaemon-dev,
python3-daemon, strace, linux-perf (plus what scripts/deps.sh installs).
EOF
} | sed "s|$top/||g" >"$top/bench/README.md"
echo "bench/README.md rewritten"

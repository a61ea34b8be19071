#!/usr/bin/env bash
# tools/bench/run-bench.sh - podfab's benchmark against its targets and
# against Open MPI's OpenSHMEM on the same machine.
#
#   tools/bench/run-bench.sh [-o DIR] [BUILD_DIR] [-- BENCH_OPTIONS...]
#
# BUILD_DIR (default ./build) is an existing meson build of podfab; nothing of
# podfab is built here (configure with -Dbuildtype=release for figures worth
# quoting).  The script runs, with 2 accelerators in functional mode:
#   1. podfab-run -n 2 podfab-bench          accelerators as processes
#   2. podfab-bench --threads                accelerators as threads
#   3. when oshcc and oshrun exist: oshmem-bench.c compiled with oshcc into a
#      temporary directory and run with oshrun -np 2 (see OSHRUN_ATTEMPTS)
# and prints a side-by-side table: podfab / OpenSHMEM ratios for the 8-byte
# put, get and fetch-add latency and the message rate (target: within 1.2x),
# the 1 MiB put bandwidth over memcpy bandwidth (target >= 0.90) and the
# barrier latency (target < 100 ns), next to the one-way trip of a cache line
# between the two cores, which no 2-party barrier can beat.  BENCH_OPTIONS (--iters, --bw-iters,
# --reps) go to every benchmark; -o DIR keeps the JSON results in DIR.
# OSHCC and OSHRUN name other OpenSHMEM compiler and launcher commands.
# Exits 1 when podfab-bench fails; missed targets are reported, not fatal.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() {
	sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

outdir=
builddir=
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help)
		usage
		exit 0
		;;
	-o)
		[ $# -ge 2 ] || { echo "run-bench.sh: -o needs a directory" >&2; exit 2; }
		outdir=$2
		shift 2
		;;
	--)
		shift
		break
		;;
	-*)
		echo "run-bench.sh: unknown option '$1' (benchmark options go after --)" >&2
		exit 2
		;;
	*)
		[ -z "$builddir" ] || { echo "run-bench.sh: one build directory only" >&2; exit 2; }
		builddir=$1
		shift
		;;
	esac
done
bench_opts=("$@")
builddir=${builddir:-./build}

run=$builddir/tools/podfab-run
bench=$builddir/tools/podfab-bench
for f in "$run" "$bench"; do
	if [ ! -x "$f" ]; then
		echo "run-bench.sh: $f not found: build podfab first" \
			"(meson setup $builddir -Dbuildtype=release && ninja -C $builddir)" >&2
		exit 2
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/podfab-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
if [ -n "$outdir" ]; then
	mkdir -p "$outdir" && res=$(cd "$outdir" && pwd) || exit 1
else
	res=$tmp
fi

say() { printf '\n==> %s\n' "$*"; }

# The benchmarks need the CPUs to themselves: warn when something else keeps
# them busy (from /proc/stat over half a second), as the figures then vary
# severalfold between runs.
cpu_busy_percent() {
	local a b
	a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat 2>/dev/null) || return 0
	sleep 0.5
	b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat 2>/dev/null) || return 0
	awk -v a="$a" -v b="$b" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		busy = y[1] - x[1]; all = busy + y[2] - x[2]
		if (all > 0) printf "%d", 100 * busy / all }'
}
busy=$(cpu_busy_percent)
if [ -n "$busy" ] && [ "$busy" -ge 10 ]; then
	echo "run-bench.sh: warning: the CPUs are ${busy}% busy with other work;" \
		"the figures will be noisy" >&2
fi

status=0
say "podfab: 2 accelerators as processes (podfab-run -n 2 podfab-bench)"
if ! timeout 600 "$run" -n 2 -- "$bench" --json "$res/podfab-processes.json" "${bench_opts[@]}"; then
	echo "run-bench.sh: podfab-bench under podfab-run failed" >&2
	rm -f "$res/podfab-processes.json"
	status=1
fi

say "podfab: 2 accelerators as threads (podfab-bench --threads)"
if ! timeout 600 "$bench" --threads --json "$res/podfab-threads.json" "${bench_opts[@]}"; then
	echo "run-bench.sh: podfab-bench --threads failed" >&2
	rm -f "$res/podfab-threads.json"
	status=1
fi

# OpenSHMEM.  The issue's command line is oshrun --allow-run-as-root -np 2
# --mca osc ^rdma; on a 2-core container without network devices (Open MPI
# 4.1 with UCX 1.13, run as root) that alone works: the spml is UCX, which
# reaches the other PE's symmetric heap through shared memory (sysv/posix
# mappings), and no network is looked for.  --bind-to core makes the
# placement explicit: each PE on its own core, as podfab-run does.  Should
# that fail elsewhere, the next attempts keep MPI and UCX on shared memory
# only (pml ob1 over the self and vader BTLs; UCX_TLS=self,sm, for machines
# whose network devices are present but unusable), and finally drop core
# binding for machines with fewer than 2 cores.
OSHRUN_BASE=(--allow-run-as-root -np 2 --mca osc ^rdma)
OSHRUN_ATTEMPTS=(
	"--bind-to core"
	"--bind-to core --mca pml ob1 --mca btl self,vader -x UCX_TLS=self,sm"
	"--oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader -x UCX_TLS=self,sm"
)
oshcc=${OSHCC:-oshcc}
oshrun=${OSHRUN:-oshrun}
have_osh=0
osh_why=
if ! command -v "$oshcc" >/dev/null 2>&1 || ! command -v "$oshrun" >/dev/null 2>&1; then
	osh_why="$oshcc or $oshrun not found: Open MPI's OpenSHMEM is not installed"
else
	say "OpenSHMEM: compile oshmem-bench.c with oshcc"
	if ! "$oshcc" -std=c11 -O2 -Wall -Wextra -o "$tmp/oshmem-bench" "$here/oshmem-bench.c" \
		>"$tmp/oshcc.log" 2>&1; then
		cat "$tmp/oshcc.log" >&2
		osh_why="oshmem-bench.c did not compile with oshcc"
	else
		for extra in "${OSHRUN_ATTEMPTS[@]}"; do
			# shellcheck disable=SC2086 # $extra is a list of options
			say "OpenSHMEM: oshrun ${OSHRUN_BASE[*]} $extra oshmem-bench"
			# shellcheck disable=SC2086
			if (cd "$tmp" && timeout 600 "$oshrun" "${OSHRUN_BASE[@]}" $extra ./oshmem-bench \
				--json "$res/openshmem.json" "${bench_opts[@]}"); then
				have_osh=1
				break
			fi
			rm -f "$res/openshmem.json"
			echo "run-bench.sh: that oshrun attempt failed" >&2
		done
		[ "$have_osh" = 1 ] || osh_why="every oshrun attempt failed (see above)"
	fi
fi

# The value of KEY in a flat JSON file of the benchmarks ("" when absent or null).
jget() {
	[ -f "$1" ] || return 0
	awk -v k="\"$2\":" '$1 == k { v = $2; sub(/,$/, "", v); if (v != "null") print v }' "$1"
}

P=$res/podfab-processes.json
T=$res/podfab-threads.json
O=$res/openshmem.json

# fmt VALUE: a number with 2 decimals, or "-".
fmt() {
	if [ -n "$1" ]; then awk -v v="$1" 'BEGIN { printf "%.2f", v }'; else printf -- '-'; fi
}
# ratio A B: A/B with 2 decimals, or "-".
ratio() {
	if [ -n "$1" ] && [ -n "$2" ]; then
		awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
	else
		printf -- '-'
	fi
}
# verdict VALUE OP LIMIT: pass, FAIL, or "-" when there is no value.
verdict() {
	if [ -z "$1" ] || [ "$1" = - ]; then
		printf -- '-'
		return
	fi
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		ok = (op == "<=") ? v <= l : (op == ">=") ? v >= l : v < l
		printf "%s", ok ? "pass" : "FAIL" }'
}
# both VERDICT_PROCESSES VERDICT_THREADS
both() { printf '%s/%s' "$1" "$2"; }

row() { printf '%-26s %10s %10s %10s %10s  %-14s %s\n' "$@"; }

say "summary (medians of the repetitions; podfab in functional mode, 2 accelerators)"
if [ "$have_osh" = 0 ]; then
	echo "OpenSHMEM: not measured: $osh_why"
	echo "(podfab's own figures only; the latency targets need the OpenSHMEM reference)"
fi
row "" "podfab" "podfab" "OpenSHMEM" "podfab/" "target" "verdict"
row "" "processes" "threads" "oshrun" "OpenSHMEM" "" "proc/threads"

# Latencies: podfab / OpenSHMEM <= 1.2.
for m in put_lat_ns:"8 B put latency (ns)" get_lat_ns:"8 B get latency (ns)" \
	fadd_lat_ns:"8 B fetch-add latency (ns)"; do
	key=${m%%:*}
	p=$(jget "$P" "$key") t=$(jget "$T" "$key") o=$(jget "$O" "$key")
	rp=$(ratio "$p" "$o") rt=$(ratio "$t" "$o")
	row "${m#*:}" "$(fmt "$p")" "$(fmt "$t")" "$(fmt "$o")" "$rp" "ratio <= 1.20" \
		"$(both "$(verdict "$rp" '<=' 1.2)" "$(verdict "$rt" '<=' 1.2)")"
done

# Message rate: higher is better; within 1.2x means podfab >= OpenSHMEM / 1.2.
p=$(jget "$P" put_rate_mops) t=$(jget "$T" put_rate_mops) o=$(jget "$O" put_rate_mops)
rp=$(ratio "$p" "$o") rt=$(ratio "$t" "$o")
row "8 B put_nb rate (Mops/s)" "$(fmt "$p")" "$(fmt "$t")" "$(fmt "$o")" "$rp" "ratio >= 0.83" \
	"$(both "$(verdict "$rp" '>=' 0.8333)" "$(verdict "$rt" '>=' 0.8333)")"

# Bandwidth: each implementation against the memcpy of its own run.
p=$(jget "$P" put_bw_gbs) t=$(jget "$T" put_bw_gbs) o=$(jget "$O" put_bw_gbs)
row "1 MiB put (GB/s)" "$(fmt "$p")" "$(fmt "$t")" "$(fmt "$o")" "$(ratio "$p" "$o")" "" ""
pm=$(jget "$P" memcpy_bw_gbs) tm=$(jget "$T" memcpy_bw_gbs) om=$(jget "$O" memcpy_bw_gbs)
row "1 MiB memcpy (GB/s)" "$(fmt "$pm")" "$(fmt "$tm")" "$(fmt "$om")" "" "" ""
bp=$(ratio "$p" "$pm") bt=$(ratio "$t" "$tm") bo=$(ratio "$o" "$om")
row "put / memcpy bandwidth" "$bp" "$bt" "$bo" "" ">= 0.90" \
	"$(both "$(verdict "$bp" '>=' 0.9)" "$(verdict "$bt" '>=' 0.9)")"

# Barrier: an absolute target.
p=$(jget "$P" barrier_ns) t=$(jget "$T" barrier_ns) o=$(jget "$O" barrier_ns)
row "barrier (ns)" "$(fmt "$p")" "$(fmt "$t")" "$(fmt "$o")" "$(ratio "$p" "$o")" "< 100 ns" \
	"$(both "$(verdict "$p" '<' 100)" "$(verdict "$t" '<' 100)")"

# The floor under any barrier of 2 accelerators on 2 cores: one one-way trip of
# a cache line between them, measured in the same runs.
po=$(jget "$P" one_way_ns) to=$(jget "$T" one_way_ns) oo=$(jget "$O" one_way_ns)
row "core-to-core one-way (ns)" "$(fmt "$po")" "$(fmt "$to")" "$(fmt "$oo")" "" "reference" ""
row "barrier / one-way" "$(ratio "$p" "$po")" "$(ratio "$t" "$to")" "$(ratio "$o" "$oo")" "" \
	"floor ~1" ""

if [ -n "$outdir" ]; then
	echo
	echo "JSON results in $outdir"
fi
exit "$status"

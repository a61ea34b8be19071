#!/usr/bin/env bash
# tools/bench/shmem-bench.sh [BUILD_DIR] [-- BENCH_OPTIONS...] - the cost of the
# OpenSHMEM layer (a benchmark, not a test).  With 2 PEs / accelerators in
# functional mode, in one run:
#   1. podfab-run -n 2 podfab-bench        podfab's native API
#   2. oshmem-bench.c built with podfab-oshcc and started with podfab-oshrun -n 2:
#      the same loops through libpodfab-shmem
#   3. the same oshmem-bench.c with Open MPI's oshcc/oshrun, when installed
#   4. shmem-ab.c: native and SHMEM calls alternating in one job, by default,
#      with PODFAB_SHMEM_DIRECT=0 (every call through podfab) and in virtual mode
# and prints the 8-byte put, get and fetch-add latencies side by side with
# podfab-shmem / native (target <= 1.10) and podfab-shmem / Open MPI ratios.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
builddir=${1:-./build}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
opts=("$@")
run=$builddir/tools/podfab-run
bench=$builddir/tools/podfab-bench
oshcc_pf=$builddir/lib/shmem/podfab-oshcc-uninstalled
oshrun_pf=$builddir/tools/podfab-oshrun
for f in "$run" "$bench" "$oshcc_pf" "$oshrun_pf"; do
	[ -e "$f" ] || { echo "shmem-bench: $f not found: build podfab first" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmem-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
echo "==> native: podfab-run -n 2 podfab-bench"
timeout 600 "$run" -n 2 -- "$bench" --json "$tmp/native.json" "${opts[@]}" >/dev/null || echo "shmem-bench: podfab-bench failed" >&2
echo "==> podfab-shmem: oshmem-bench.c with podfab-oshcc, podfab-oshrun -n 2"
if sh "$oshcc_pf" -std=c11 -O2 -Wall -o "$tmp/pf-oshmem-bench" "$here/oshmem-bench.c"; then
	timeout 600 sh "$oshrun_pf" -n 2 -- "$tmp/pf-oshmem-bench" --json "$tmp/pfshmem.json" "${opts[@]}" >/dev/null ||
		echo "shmem-bench: oshmem-bench over podfab-shmem failed" >&2
fi
if command -v oshcc >/dev/null 2>&1 && command -v oshrun >/dev/null 2>&1; then
	echo "==> Open MPI: oshmem-bench.c with oshcc, oshrun -np 2"
	if oshcc -std=c11 -O2 -o "$tmp/ompi-oshmem-bench" "$here/oshmem-bench.c" >/dev/null 2>&1; then
		(cd "$tmp" && timeout 600 oshrun --allow-run-as-root -np 2 --mca osc ^rdma --oversubscribe --bind-to none \
			--mca pml ob1 --mca btl self,vader -x UCX_TLS=self,sm ./ompi-oshmem-bench --json "$tmp/ompi.json" \
			"${opts[@]}" >/dev/null) || echo "shmem-bench: Open MPI's oshmem run failed" >&2
	fi
else
	echo "shmem-bench: Open MPI's oshcc/oshrun not found: no Open MPI column" >&2
fi
# The same operations through both in one job, interleaved round by round
# (shmem-ab.c): the default path, through podfab's API, and timed.
if sh "$oshcc_pf" -std=c11 -O2 -Wall -o "$tmp/shmem-ab" "$here/shmem-ab.c"; then
	for mode in "default:" "PODFAB_SHMEM_DIRECT=0:PODFAB_SHMEM_DIRECT=0" "virtual timing:PODFAB_TIMING=virtual"; do
		echo "==> interleaved in one job, ${mode%%:*} (shmem-ab.c)"
		env ${mode#*:} timeout 600 sh "$oshrun_pf" -n 2 -- "$tmp/shmem-ab" | sed 's/^/    /' ||
			echo "shmem-bench: shmem-ab failed" >&2
	done
fi
jget() {
	[ -f "$1" ] || return 0
	awk -v k="\"$2\":" '$1 == k { v = $2; sub(/,$/, "", v); if (v != "null") print v }' "$1"
}
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else printf -- -; fi; }
fmt() { if [ -n "$1" ]; then awk -v v="$1" 'BEGIN { printf "%.1f", v }'; else printf -- -; fi; }
printf '\n%-28s %10s %12s %10s %14s %14s\n' "" native podfab-shmem "Open MPI" "shmem/native" "shmem/OpenMPI"
for m in put_lat_ns:"8 B put latency (ns)" get_lat_ns:"8 B get latency (ns)" fadd_lat_ns:"8 B fetch-add (ns)" \
	put_rate_mops:"8 B put_nbi rate (Mops/s)" put_bw_gbs:"1 MiB put (GB/s)" barrier_ns:"barrier (ns)"; do
	k=${m%%:*}
	n=$(jget "$tmp/native.json" "$k") s=$(jget "$tmp/pfshmem.json" "$k") o=$(jget "$tmp/ompi.json" "$k")
	printf '%-28s %10s %12s %10s %14s %14s\n' "${m#*:}" "$(fmt "$n")" "$(fmt "$s")" "$(fmt "$o")" \
		"$(ratio "$s" "$n")" "$(ratio "$s" "$o")"
done

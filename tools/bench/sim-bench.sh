#!/usr/bin/env bash
# tools/bench/sim-bench.sh [BUILD_DIR] [SCALE] [REPEAT] - podfab-sim's speed and memory on the
# issue's reference workloads (a benchmark, not a test): wall time of the run
# (the simulator's own figure), total wall time with model building and traffic
# generation, request-hops per second, and peak resident memory.
#   1. request-hops/s on a 64-accelerator pod whose state fits in cache;
#   2. the 1,024-accelerator UALink pod (16 planes), all-to-all with 4 KiB per pair
#      (window 64 operations per source: enough to keep its 16 links busy);
#   3. an 8,192-accelerator Clos, 10 million uniform-random 256-byte writes at 0.7 of
#      the first link's rate;
#   4. the same pod, all-to-all of 1 MiB per pair in the flow-level mode.
# SCALE (default 1) divides the operation counts, for a quick look.
# REPEAT (default 1) runs each workload that many times and gives the least
# and the most of each figure (a shared VM's timings vary from run to run).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$here/build}
scale=${2:-1}
repeat=${3:-1}
sim="$build/tools/podfab-sim"
[ -x "$sim" ] || { echo "sim-bench: $sim not found (build first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "sim-bench: needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
pod="$here/fabric-models/ualink-pod-1024-16planes.yaml"
runs=(
	"ualink-pod:accels=64,switches=4|uniform:ops=$((40000 / scale)),load=0.7|--window 8"
	"$pod|alltoall:bytes=4096${scale:+,accels=$((1024 / scale))}|--window 64"
	"clos:accels=8192,leaves=256,spines=128|uniform:ops=$((1221 / scale)),load=0.7|"
	"$pod|alltoall:bytes=1048576,accels=$((256 / scale))|--mode flow"
)
printf '%-40s %-34s %15s %15s %12s %9s\n' model traffic "run s" "total s" "hops/s" "peak MiB"
for r in "${runs[@]}"; do
	IFS='|' read -r model traffic opts <<<"$r"
	rs=() ts=() hs=() ks=()
	for _ in $(seq "$repeat"); do
		# shellcheck disable=SC2086
		out=$(/usr/bin/time -f 'TIME %e %M' "$sim" "$model" "$traffic" $opts 2>&1)
		rs+=("$(sed -n 's/^wall time: *\([0-9.]*\) s.*/\1/p' <<<"$out")")
		hs+=("$(sed -n 's/^wall time:.*(\([0-9.e+]*\) request-hops\/s).*/\1/p' <<<"$out")")
		read -r _ total kib <<<"$(grep '^TIME' <<<"$out")"
		ts+=("$total")
		ks+=("$kib")
	done
	awk -v m="${model#"$here"/}" -v t="$traffic" -v r="${rs[*]}" -v T="${ts[*]}" -v h="${hs[*]}" -v k="${ks[*]}" '
		function lo(s,  a, n, i, x) { n = split(s, a, " "); x = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 < x + 0) x = a[i]; return x }
		function hi(s,  a, n, i, x) { n = split(s, a, " "); x = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 > x + 0) x = a[i]; return x }
		function span(s) { return lo(s) == hi(s) ? lo(s) : lo(s) "-" hi(s) }
		BEGIN { printf "%-40s %-34s %15s %15s %12s %9.1f\n", substr(m, 1, 40), substr(t, 1, 34), span(r), span(T),
			hi(h), hi(k) / 1024 }'
done

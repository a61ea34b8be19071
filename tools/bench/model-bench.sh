#!/usr/bin/env bash
# tools/bench/model-bench.sh [BUILD_DIR] - load, validate and route the big models
# (a benchmark, not a test): wall time and peak resident memory of
# `podfab-topo validate` for the issue's two reference pods, plus a 2-retimer Clos.
# Build with -Dbuildtype=release for figures worth quoting.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$here/build}
topo="$build/tools/podfab-topo"
[ -x "$topo" ] || { echo "model-bench: $topo not found (build first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "model-bench: needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
specs=(
	"$here/fabric-models/ualink-pod-1024-16planes.yaml"
	"clos:accels=8192,leaves=256,spines=128"
	"clos:accels=8192,leaves=256,spines=128,retimers=2"
)
printf '%-55s %10s %12s\n' "model" "seconds" "peak MiB"
for s in "${specs[@]}"; do
	out=$(/usr/bin/time -f '%e %M' "$topo" validate "$s" 2>&1 >/dev/null | tail -n 1)
	read -r secs kib <<<"$out"
	awk -v m="${s#"$here"/}" -v t="$secs" -v k="$kib" 'BEGIN { printf "%-55s %10s %12.1f\n", m, t, k / 1024 }'
done

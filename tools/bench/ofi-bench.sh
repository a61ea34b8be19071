#!/usr/bin/env bash
# tools/bench/ofi-bench.sh [BUILD_DIR] [PROVIDER] - podfab's libfabric transport
# beside libfabric's own fi_pingpong, in one run (a benchmark, not a test).
#
# On this machine's loopback, with PROVIDER (default "tcp;ofi_rxm"; fi_pingpong
# gets its first part, "tcp"):
#   1. fi_pingpong -p tcp -e rdm -S 8         one-way latency of 8-byte messages
#   2. podfab-run -n 2 --transport ofi podfab-bench: "8 B put ping-pong one-way"
#      (half the round trip of podfab_put answered by podfab_put after
#      podfab_wait_until), the other latencies and the 1 MiB put bandwidth
#   3. fi_pingpong -S 1048576                  the provider's 1 MiB figure
#   4. fi_pingpong -S 8 again (the machine may have changed)
# and prints podfab's 8-byte one-way latency over fi_pingpong's (the target is
# <= 1.2) and its 1 MiB put bandwidth beside fi_pingpong's 1 MiB messages.
set -uo pipefail
builddir=${1:-./build}
prov=${2:-tcp;ofi_rxm}
run=$builddir/tools/podfab-run
bench=$builddir/tools/podfab-bench
for f in "$run" "$bench"; do
	[ -x "$f" ] || { echo "ofi-bench: $f not found: build podfab first (meson -Dbench=true)" >&2; exit 2; }
done
command -v fi_pingpong >/dev/null || { echo "ofi-bench: fi_pingpong not found (libfabric-bin)" >&2; exit 2; }
core=${prov%%;*}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ofi-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# fi_pingpong SIZE ITERS: prints "usec/xfer MB/sec" of the client side
pingpong() {
	local port=$((47000 + RANDOM % 1000))
	fi_pingpong -p "$core" -e rdm -B "$port" -I "$2" -S "$1" >"$tmp/srv" 2>&1 &
	local srv=$!
	sleep 0.3
	fi_pingpong -p "$core" -e rdm -P "$port" -I "$2" -S "$1" 127.0.0.1 >"$tmp/cli" 2>&1
	wait "$srv"
	awk '$1 ~ /^[0-9]+[kmg]?$/ && NF >= 8 { print $7, $6 }' "$tmp/cli" | tail -n 1
}

echo "==> fi_pingpong -p $core -e rdm -S 8 (20000 round trips)"
pp1=$(pingpong 8 20000)
echo "    $pp1 (usec/xfer MB/sec)"
echo "==> podfab-run -n 2 --transport ofi podfab-bench (FI_PROVIDER=$prov)"
FI_PROVIDER=$prov timeout 600 "$run" -n 2 --transport ofi -- "$bench" --iters 20000 --bw-iters 200 --reps 7 \
	--json "$tmp/pf.json" | tee "$tmp/pf.txt" | sed 's/^/    /'
echo "==> fi_pingpong -p $core -e rdm -S 1048576 (200 round trips)"
ppbw=$(pingpong 1048576 200)
echo "    $ppbw (usec/xfer MB/sec)"
echo "==> fi_pingpong -p $core -e rdm -S 8 again"
pp2=$(pingpong 8 20000)
echo "    $pp2 (usec/xfer MB/sec)"

python3 - "$tmp/pf.json" "$pp1" "$pp2" "$ppbw" <<'PY'
import json, sys
pf = json.load(open(sys.argv[1]))
pp = [float(x.split()[0]) * 1000 for x in sys.argv[2:4] if x.strip()]
bw = sys.argv[4].split()
one = pf.get("put_pingpong_ns")
print("\nsummary (medians):")
if one and pp:
    ref = sum(pp) / len(pp)
    print(f"  8 B one-way: podfab put ping-pong {one/1000:.2f} us, fi_pingpong {ref/1000:.2f} us "
          f"(runs: {', '.join(f'{p/1000:.2f}' for p in pp)}): ratio {one/ref:.2f} (target <= 1.20)")
if pf.get("put_bw_gbs") and len(bw) == 2:
    print(f"  1 MiB: podfab put {pf['put_bw_gbs']:.2f} GB/s, fi_pingpong 1 MiB messages {float(bw[1])/1000:.2f} GB/s "
          f"({float(bw[0]):.0f} us per message): ratio {pf['put_bw_gbs']/(float(bw[1])/1000):.2f}")
for k in ("get_lat_ns", "fadd_lat_ns", "put_lat_ns", "barrier_ns"):
    if pf.get(k):
        print(f"  {k}: {pf[k]/1000:.2f} us")
PY

#!/usr/bin/env bash
# tools/bench/verbs-bench.sh [BUILD_DIR] - podfab's verbs transport beside
# ibv_rc_pingpong on the same soft-RoCE device, in one run inside the guest
# of tests/verbs/guest.sh (a benchmark, not a test).  The guest's figures are
# software-emulated (rdma_rxe under TCG): compare the ratios, not the values.
#
#   1. ibv_rc_pingpong -s 8          RC send/receive ping-pong: one-way = half
#                                    its usec/iter
#   2. podfab-run -n 2 --transport verbs podfab-bench: "8 B put ping-pong
#      one-way" and the 1 MiB put bandwidth, with device atomics
#   3. ibv_rc_pingpong -s 1048576    the device's 1 MiB figure
#   4. ibv_rc_pingpong -s 8 again    (the machine may have changed)
#   5. the same podfab-bench over ofi with libfabric's verbs;ofi_rxm provider
# All on rxe1 (guest.sh's soft-RoCE device on a dummy interface, which
# rdma_cm - libfabric's verbs provider - can use).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
if [ "${1:-}" != --inside ]; then
	build=$(cd "${1:-$here/../../build}" && pwd -P)
	export PODFAB_GUEST_CACHE=${PODFAB_GUEST_CACHE:-$build/verbs-guest}
	exec "$here/../../tests/verbs/guest.sh" --timeout 1200 -- bash "$here/verbs-bench.sh" --inside "$build"
fi
build=$2
run=$build/tools/podfab-run
bench=$build/tools/podfab-bench
[ -x "$bench" ] || { echo "verbs-bench: $bench not found (meson -Dbench=true)" >&2; exit 2; }
tmp=$(mktemp -d)

# rcpp SIZE ITERS: "usec/iter Mbit/sec" of the client
rcpp() {
	ibv_rc_pingpong -d rxe1 -g 1 -s "$1" -n "$2" >"$tmp/srv" 2>&1 &
	local srv=$!
	sleep 0.5
	ibv_rc_pingpong -d rxe1 -g 1 -s "$1" -n "$2" 127.0.0.1 >"$tmp/cli" 2>&1
	wait "$srv"
	awk '/Mbit\/sec/ { mb = $(NF-1) } /usec\/iter/ { us = $(NF-1) } END { print us, mb }' "$tmp/cli"
}

echo "==> ibv_rc_pingpong -s 8 (5000 round trips)"
p1=$(rcpp 8 5000)
echo "    $p1 (usec/iter Mbit/sec)"
echo "==> podfab-run -n 2 --transport verbs podfab-bench"
PODFAB_VERBS_DEVICE=rxe1 timeout 900 "$run" -n 2 --transport verbs -- "$bench" --iters 5000 --bw-iters 50 --reps 3 --json "$tmp/pf.json" |
	sed 's/^/    /'
echo "==> ibv_rc_pingpong -s 1048576 (100 round trips)"
pbw=$(rcpp 1048576 100)
echo "    $pbw (usec/iter Mbit/sec)"
echo "==> ibv_rc_pingpong -s 8 again"
p2=$(rcpp 8 5000)
echo "    $p2 (usec/iter Mbit/sec)"
echo "==> podfab-run -n 2 --transport ofi podfab-bench (FI_PROVIDER=verbs;ofi_rxm on rxe1)"
FI_PROVIDER='verbs;ofi_rxm' FI_VERBS_IFACE=pfdummy0 FI_UNIVERSE_SIZE=32 timeout 900 "$run" -n 2 --transport ofi -- "$bench" --iters 5000 --bw-iters 50 --reps 3 \
	--json "$tmp/ofi.json" | sed 's/^/    /'

python3 - "$tmp/pf.json" "$tmp/ofi.json" "$p1" "$p2" "$pbw" <<'PY'
import json, sys
pf = json.load(open(sys.argv[1]))
try:
    ofi = json.load(open(sys.argv[2]))
except Exception:
    ofi = {}
rt = [float(x.split()[0]) for x in sys.argv[3:5] if x.strip()]
bw = sys.argv[5].split()
print("\nsummary (guest: soft-RoCE under TCG; ratios only):")
one = pf.get("put_pingpong_ns")
if one and rt:
    ref = sum(rt) / len(rt) / 2 * 1000  # one-way ns
    print(f"  8 B one-way: podfab verbs put ping-pong {one/1000:.1f} us, ibv_rc_pingpong {ref/1000:.1f} us "
          f"(runs {', '.join(f'{r/2:.1f}' for r in rt)}): ratio {one/ref:.2f}")
    if ofi.get("put_pingpong_ns"):
        print(f"  8 B one-way over ofi (verbs;ofi_rxm): {ofi['put_pingpong_ns']/1000:.1f} us: verbs/ofi {one/ofi['put_pingpong_ns']:.2f}")
if pf.get("put_bw_gbs") and len(bw) == 2:
    dev = float(bw[1]) / 8000
    print(f"  1 MiB: podfab verbs put {pf['put_bw_gbs']:.3f} GB/s, ibv_rc_pingpong {dev:.3f} GB/s: ratio {pf['put_bw_gbs']/dev:.2f}")
    if ofi.get("put_bw_gbs"):
        print(f"  1 MiB over ofi (verbs;ofi_rxm): {ofi['put_bw_gbs']:.3f} GB/s: verbs/ofi {pf['put_bw_gbs']/ofi['put_bw_gbs']:.2f}")
for k in ("get_lat_ns", "fadd_lat_ns", "put_lat_ns", "barrier_ns"):
    if pf.get(k):
        print(f"  verbs {k}: {pf[k]/1000:.1f} us" + (f" (ofi {ofi[k]/1000:.1f} us)" if ofi.get(k) else ""))
PY
rm -rf "$tmp"

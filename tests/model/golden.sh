#!/bin/sh
# golden.sh - podfab-topo golden tests (suite 'model').
#
# usage: golden.sh PODFAB-TOPO SOURCE-ROOT [--update | --svg]
#
# Runs podfab-topo on every bundled model (fabric-models/*.yaml) and on the
# generator strings in tests/model/golden/generators.txt: `info`, `info --json`
# and `route` 0 -> last accelerator (text and --json), and compares each output
# with tests/model/golden/NAME.CMD.  --update rewrites the expected files.
# Every --json output must parse (python3 -m json.tool).  Also checks, by hand
# arithmetic from the generator parameters (not from the tool), the zero-load
# latency and bandwidth of two routes, and the exit codes of bad usage.
# --svg draws every bundled model of at most 300 links with Graphviz
# (podfab-topo dot | dot -Tsvg) into docs/models/NAME.svg and exits.
set -u
if [ $# -lt 2 ]; then
	echo "usage: golden.sh PODFAB-TOPO SOURCE-ROOT [--update | --svg]" >&2
	exit 2
fi
case "$1" in
/*) topo=$1 ;;
*) topo=$(pwd)/$1 ;;
esac
root=$2
update=${3:-}
gold=$root/tests/model/golden
cd "$root" || exit 1
fails=0
n=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ "$update" = "--svg" ]; then
	command -v dot >/dev/null || { echo "golden: --svg needs Graphviz dot"; exit 1; }
	mkdir -p docs/models
	for f in fabric-models/*.yaml; do
		name=$(basename "$f" .yaml)
		links=$("$topo" validate "$f" | sed -n 's/.* \([0-9]*\) links)$/\1/p')
		[ -n "$links" ] || exit 1
		collapse=
		if [ "$links" -gt 300 ]; then
			collapse=--collapse # one node per class of equivalent elements
		fi
		# shellcheck disable=SC2086
		"$topo" dot $collapse "$f" | dot -Tsvg -o "docs/models/$name.svg" || exit 1
		echo "golden: docs/models/$name.svg"
	done
	exit 0
fi

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# check NAME CMD...: run the command, compare with the expected file
check() {
	name=$1
	shift
	n=$((n + 1))
	out=$("$topo" "$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$name: podfab-topo $* exited $rc: $out"
		return
	fi
	case "$*" in
	*--json*) printf '%s\n' "$out" >"$tmp/$name" ;;	# parsed together at the end
	esac
	if [ "$update" = "--update" ]; then
		printf '%s\n' "$out" >"$gold/$name"
	elif [ ! -f "$gold/$name" ]; then
		fail "$name: no expected file (run golden.sh with --update)"
	elif ! printf '%s\n' "$out" | diff -u "$gold/$name" - >/dev/null; then
		fail "$name: podfab-topo $* differs from $gold/$name:"
		printf '%s\n' "$out" | diff -u "$gold/$name" - | head -40
	fi
}

# one model or generator string: info, info --json, route 0 -> last (text, json)
model() {
	tag=$1
	spec=$2
	naccels=$("$topo" validate "$spec" | sed -n 's/.*: ok (\([0-9]*\) accelerators.*/\1/p')
	if [ -z "$naccels" ]; then
		fail "$tag: $spec does not validate"
		return
	fi
	last=$((naccels - 1))
	check "$tag.info" info "$spec"
	check "$tag.info.json" --json info "$spec"
	check "$tag.route" route "$spec" 0 "$last"
	check "$tag.route.json" --json route "$spec" 0 "$last" --flow 7
	n=$((n + 1))
	if ! "$topo" dot "$spec" | grep -q '^graph "podfab" {'; then
		fail "$tag: dot output does not start a graph"
	fi
}

for f in fabric-models/*.yaml; do
	model "$(basename "$f" .yaml)" "$f"
done
while IFS='|' read -r tag spec; do
	case "$tag" in ''|'#'*) continue ;; esac
	model "$tag" "$spec"
done <"$gold/generators.txt"
# --op read and atomic (both legs printed; a read of more than max_request is one request).
check "ops-read-retimers.route" route fabric-models/ualink-pod-retimers.yaml 0 5 --op read --bytes 4096
check "ops-read-retimers.route.json" --json route fabric-models/ualink-pod-retimers.yaml 0 5 --op read --bytes 4096
check "ops-atomic-torus.route" route "torus3d:x=3,y=3,z=2,retimers=1,retimer-fec=terminate" 0 17 --op atomic

# Independent closed form (DESIGN.md's timing contract), by hand:
#   latency = egress + sum over hops (s_e + p_e + fec_e + d_v), s_e = w / R_e
#   (store-and-forward), R_e = lanes * lane_gbps / 8 bytes per ns; w = header +
#   payload in whole flits, then DL framing and FEC overhead in proportion.
#   A write's response (header only) then goes back after the destination's
#   egress; the operation's latency is the sum of both.  The request stream
#   bandwidth is min over hops of R_e * payload / w (256-byte requests).
# 1. ring of 4, nvlink4 (16-byte flits and headers, no framing, no FEC),
#    x2 lanes of 100 Gb/s, prop 10ns, ingress 30ns, egress 20ns; 0 -> 2 crosses
#    accel1: w = 256 + 16 = 272 B, R = 25 B/ns, s = 10.88 ns;
#    latency = 20 + 2 * (10.88 + 10 + 30) = 121.76 ns; bandwidth 25 GB/s;
#    response w = 16 B, s = 0.64 ns: 20 + 2 * (0.64 + 10 + 30) = 101.28 ns,
#    write 223.04 ns; stream 25 * 256 / 272 GB/s.
# 2. ualink-pod with 1 switch, x1 lanes of 200 Gb/s, ualink-200g, store-and-
#    forward, switch 100ns: w = 272 B -> 5 flits of 64 = 320 B -> * 640/628 (DL)
#    -> * 680/640 (FEC) = 346.497 B; R = 25 B/ns, s = w / 25, FEC 100 ns a hop;
#    latency = 20 + (s + 5 + 100 + 100) + (s + 5 + 100 + 20) = 377.720 ns;
#    response: 1 flit, 64 * 680/628 B, s' = that / 25: 20 + 2 * s' + 330 ns;
#    bandwidth = 25 * (628/640) * (640/680) GB/s; stream 25 * 256 / w GB/s.
closed() {
	n=$((n + 1))
	spec=$1
	a=$2
	b=$3
	if ! "$topo" --json route "$spec" "$a" "$b" | python3 -c '
import json, sys
r = json.load(sys.stdin)
want = [float(x) for x in sys.argv[1:]]
keys = ["latency_ns", "bandwidth_gbytes_per_s", "op_latency_ns", "request_stream_gbytes_per_s"]
ok = True
for k, v in zip(keys, want):
    if abs(r[k] - v) > 1e-6:
        print("%s %r (want %r)" % (k, r[k], v))
        ok = False
sys.exit(0 if ok else 1)' "$4" "$5" "$6" "$7"; then
		fail "closed form: route $spec $a $b"
	fi
}
closed "ring:accels=4,encoding=nvlink4,lanes=2,lane-rate=100Gbps,prop=10ns,accel-ingress=30ns,accel-egress=20ns" \
	0 2 121.76 25 223.04 "$(python3 -c 'print(repr(25 * 256 / 272))')"
w2=$(python3 -c 'print(repr(320 * 640 / 628 * 680 / 640))')
r2=$(python3 -c 'print(repr(64 * 640 / 628 * 680 / 640))')
closed "ualink-pod:accels=4,switches=1,lanes=1,forwarding=store-and-forward,switch-latency=100ns,prop=5ns,accel-ingress=20ns,accel-egress=20ns" \
	0 3 "$(python3 -c "print(repr(20 + 2 * $w2 / 25 + 330))")" \
	"$(python3 -c 'print(repr(25 * 628 / 640 * 640 / 680))')" \
	"$(python3 -c "print(repr(20 + 2 * $w2 / 25 + 330 + 20 + 2 * $r2 / 25 + 330))")" \
	"$(python3 -c "print(repr(25 * 256 / $w2))")"

# Usage errors exit 2; a bad model exits 1.
usage_rc() {
	n=$((n + 1))
	want=$1
	shift
	"$topo" "$@" >/dev/null 2>&1
	rc=$?
	[ $rc -eq "$want" ] || fail "podfab-topo $* exited $rc, want $want"
}
usage_rc 2
usage_rc 2 frobnicate
usage_rc 2 --frob list
usage_rc 2 info
usage_rc 2 route ring:accels=4 0
usage_rc 2 route ring:accels=4 0 x
usage_rc 2 route ring:accels=4 0 1 --op frob
usage_rc 2 route ring:accels=4 0 1 --op
usage_rc 2 info ring:accels=4 --op read
usage_rc 0 route ring:accels=4 0 1 --op atomic
usage_rc 1 validate ring:accels=1
usage_rc 1 validate tests/model/bad/validate-disconnected.yaml
usage_rc 1 route ring:accels=4 0 9
usage_rc 0 list
usage_rc 0 --json list
for cmd in list "validate ring:accels=4" "dot ring:accels=4"; do
	# shellcheck disable=SC2086
	"$topo" --json $cmd >"$tmp/json-$(echo "$cmd" | tr ' :=,' '____')"
done
# Every --json output must parse (one python3 run for all of them).
bad=$(python3 -c '
import json, sys
for p in sys.argv[1:]:
    try:
        json.load(open(p))
    except ValueError as e:
        print("%s: %s" % (p.rsplit("/", 1)[-1], e))' "$tmp"/*)
n=$((n + 1))
[ -z "$bad" ] || fail "not valid JSON: $bad"
# dot --collapse: the classes of equivalent elements, counted by hand.
n=$((n + 1))
out=$("$topo" dot --collapse fabric-models/nvl72.yaml)
echo "$out" | grep -q '"72 x accelerator (accel0, ...)"' &&
	echo "$out" | grep -q '"18 x switch (tray0.sw0, ...)"' &&
	echo "$out" | grep -q 'c0 -- c1 \[label="1296 links"\]' ||
	fail "dot --collapse of nvl72 is not 72 accelerators -- 1296 links -- 18 switches: $out"
n=$((n + 1))
out=$("$topo" dot --collapse fabric-models/dgx-h100.yaml)
echo "$out" | grep -q '"2 x switch (sw0, ...)"' && echo "$out" | grep -q '"2 x switch (sw2, ...)"' &&
	echo "$out" | grep -q 'label="80 links"' && echo "$out" | grep -q 'label="64 links"' ||
	fail "dot --collapse of dgx-h100 does not split the switches 5/5 and 4/4: $out"
n=$((n + 1))
out=$("$topo" dot --collapse fabric-models/clos-1024.yaml)
[ "$(echo "$out" | grep -c ' -- ')" -eq 2 ] && echo "$out" | grep -q '"1024 x accelerator' ||
	fail "dot --collapse of clos-1024 is not accelerators -- leaves -- spines: $out"
"$topo" dot --collapse ring:accels=4 >/dev/null && ! "$topo" info --collapse ring:accels=4 2>/dev/null ||
	fail "--collapse is accepted by dot only"
"$topo" validate tests/model/bad/validate-disconnected.yaml 2>&1 |
	grep -q 'validate-disconnected.yaml:[0-9]' || fail "validate does not name FILE:LINE"

if [ "$update" = "--update" ]; then
	echo "golden: expected files written to $gold"
fi
echo "golden: $n checks, $fails failed"
[ $fails -eq 0 ]

# netns-timing.sh HOSTS_PROG PF_CONFORM - timed jobs across two "hosts":
# network namespaces joined by a veth pair (netns-lib.sh), 2 accelerators in
# each, over the hybrid transport (shm inside a namespace, libfabric's
# tcp;ofi_rxm across), met through the TCP rendezvous.  Each namespace is a
# host of its own (its own mount namespace), so each keeps its own timing
# region (podfab(7), "Across hosts").
#
#   - hosts-prog pingpong in virtual mode: accelerator 0's model time within
#     1% of the same job on one host (write arrival times cross the hosts)
#   - accelerator 0's PODFAB_STATS covers the 4 accelerators and the message
#     counts per link of the one-host job
#   - conformance cases (ring, signal, wait, fence, barrier, atomics) in
#     virtual mode, and pingpong in realtime mode
# Needs root for the namespaces: skipped (77) otherwise.
. "$(dirname "$0")/../integration/lib.sh"

PROG=${1:?usage: netns-timing.sh HOSTS_PROG PF_CONFORM}
CONFORM=${2:?usage: netns-timing.sh HOSTS_PROG PF_CONFORM}

. "$(dirname "$0")/netns-lib.sh"
netns_setup

port=4900
# across NAME MODE ARGS...: 2 + 2 accelerators across the namespaces.
across() {
	name=$1 mode=$2
	shift 2
	port=$((port + 1))
	rv=$net.1:$port
	job=nt$tag$port
	ip netns exec "$ns_b" env FI_PROVIDER='tcp;ofi_rxm' FI_TCP_IFACE="$if_b" PODFAB_LOG=info \
		$PODFAB_IT_WRAPPER "$PODFAB_RUN" -n 2 --rendezvous "$rv" --world 4 --first 2 --job "$job" \
		--transport hybrid --timing "$mode" --timeout 120 "$@" >"$tmp/$name.b.out" 2>"$tmp/$name.b.err" &
	pid_b=$!
	it_pids="$it_pids $pid_b"
	ip netns exec "$ns_a" env FI_PROVIDER='tcp;ofi_rxm' FI_TCP_IFACE="$if_a" PODFAB_LOG=info \
		PODFAB_STATS="$tmp/$name.json" \
		$PODFAB_IT_WRAPPER "$PODFAB_RUN" -n 2 --rendezvous "$rv" --world 4 --first 0 --job "$job" \
		--transport hybrid --timing "$mode" --timeout 120 "$@" >"$tmp/$name.a.out" 2>"$tmp/$name.a.err"
	rc_a=$?
	wait $pid_b
	rc_b=$?
	cp "$tmp/$name.a.out" "$tmp/out"
	cat "$tmp/$name.a.err" "$tmp/$name.b.err" >"$tmp/err"
	[ "$rc_a" -eq 0 ] && [ "$rc_b" -eq 0 ] || fail "$name ($mode) across the namespaces: status $rc_a and $rc_b"
}

close() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t * b) }'
}

# The reference: the same job on one host.
PODFAB_STATS="$tmp/one.json" podfab_run -n 4 --timing virtual --timeout 120 "$PROG" pingpong >"$tmp/one.out" 2>"$tmp/one.err" ||
	fail "pingpong on one host"
one=$(awk '$1 == "pingpong" { print $2 }' "$tmp/one.out")

across pp virtual "$PROG" pingpong
two=$(awk '$1 == "pingpong" { print $2 }' "$tmp/pp.a.out")
echo "# pingpong: one host $one ns, two namespaces $two ns"
[ -n "$one" ] && [ -n "$two" ] || fail "no pingpong time printed"
close "$two" "$one" 0.01 || fail "pingpong across namespaces took $two ns of model time, on one host $one ns"
grep -q "timing: 2 hosts, one timing region each" "$tmp/pp.a.err" ||
	fail "accelerator 0 did not report 2 hosts with a timing region each"
grep -q "hybrid: accelerator 0 reaches 0-1 over shm, 2-3 over ofi" "$tmp/pp.a.err" ||
	fail "accelerator 0 did not reach 2-3 over ofi"
n=$(grep -c '"state": "finished"' "$tmp/pp.json")
[ "$n" -eq 4 ] || fail "accelerator 0's report has $n of 4 accelerators finished"
for j in one pp; do
	grep -o '"dlink": [0-9]*, [^}]*"messages": [0-9]*' "$tmp/$j.json" |
		sed 's/"dlink": \([0-9]*\),.*"messages": \([0-9]*\)/\1 \2/' >"$tmp/$j.msgs"
done
cmp -s "$tmp/one.msgs" "$tmp/pp.msgs" || fail "the report's message counts per link differ from the one-host job's"

for c in ring signal wait fence barrier atomics; do
	across "c-$c" virtual "$CONFORM" --scale 0.1 "$c"
	echo "# conformance $c: ok (virtual, across namespaces)"
done
across rt realtime "$PROG" pingpong
echo "# realtime pingpong: $(awk '$1 == "pingpong" { print $2 }' "$tmp/rt.a.out") ns"
netns_check_private
echo "ok: timed jobs across two namespaces (virtual and realtime)"
exit 0

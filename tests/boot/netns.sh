# netns.sh BOOT_PROG - the TCP rendezvous between two network namespaces.
#
# Two namespaces joined by a veth pair with addresses 10.199.X.1/24 and
# 10.199.X.2/24 (inside the namespaces only) play two hosts; one podfab-run in
# each starts 2 accelerators of a job of 4 that meet at 10.199.X.1:PORT.
# Needs root (ip netns add): otherwise the test is skipped (exit 77).  The
# namespaces share the host's /dev/shm, so the shm transport carries the data:
# the test is of the bootstrap, not of a network transport.
. "$(dirname "$0")/../integration/lib.sh"

PROG=${1:?usage: netns.sh BOOT_PROG}

command -v ip >/dev/null 2>&1 || { echo "SKIP: no 'ip' command (iproute2)"; exit 77; }
tag=$(( $$ % 100000 ))
ns_a=podfab-t$tag-a
ns_b=podfab-t$tag-b
net=10.199.$(( $$ % 250 + 1 ))
if ! ip netns add "$ns_a" 2>"$tmp/ip.err"; then
	echo "SKIP: 'ip netns add' failed (needs root or CAP_SYS_ADMIN): $(head -n 1 "$tmp/ip.err")"
	exit 77
fi

netns_cleanup() {
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	it_cleanup
}
trap netns_cleanup EXIT

ip netns add "$ns_b" || fail "ip netns add $ns_b"
ip link add "pfa$tag" type veth peer name "pfb$tag" 2>"$tmp/ip.err" ||
	{ echo "SKIP: cannot create a veth pair: $(head -n 1 "$tmp/ip.err")"; exit 77; }
ip link set "pfa$tag" netns "$ns_a" && ip link set "pfb$tag" netns "$ns_b" || fail "moving the veth ends"
ip -n "$ns_a" addr add "$net.1/24" dev "pfa$tag" && ip -n "$ns_b" addr add "$net.2/24" dev "pfb$tag" ||
	fail "addresses"
for ns in "$ns_a" "$ns_b"; do
	ip -n "$ns" link set lo up || fail "lo up in $ns"
done
ip -n "$ns_a" link set "pfa$tag" up && ip -n "$ns_b" link set "pfb$tag" up || fail "veth up"

rv=$net.1:4791
ip netns exec "$ns_b" $PODFAB_IT_WRAPPER "$PODFAB_RUN" -n 2 --rendezvous "$rv" --world 4 --first 2 \
	--timeout 60 "$PROG" >"$tmp/b.out" 2>"$tmp/b.err" &
pid_b=$!
it_pids="$it_pids $pid_b"
ip netns exec "$ns_a" $PODFAB_IT_WRAPPER "$PODFAB_RUN" -n 2 --rendezvous "$rv" --world 4 --first 0 \
	--timeout 60 "$PROG" >"$tmp/a.out" 2>"$tmp/a.err"
rc_a=$?
wait $pid_b
rc_b=$?
if [ "$rc_a" -ne 0 ] || [ "$rc_b" -ne 0 ]; then
	sed -n '1,20p' "$tmp/a.err" "$tmp/b.err" >&2
	fail "namespaces: status $rc_a and $rc_b"
fi
for i in 0 1 2 3; do
	grep -q "accelerator $i of 4 ok" "$tmp/a.out" "$tmp/b.out" || fail "accelerator $i did not report ok"
done
# The addresses live inside the namespaces only.
if ip -4 addr show 2>/dev/null | grep -q "inet $net\."; then
	fail "the test network $net.0/24 shows up outside the namespaces"
fi
echo "ok: 2 + 2 accelerators met at $rv across namespaces $ns_a and $ns_b"
exit 0

# netns-lib.sh - two "hosts" for the tests: network namespaces joined by a
# veth pair (POSIX sh; sourced after tests/integration/lib.sh).
#
# netns_setup makes $ns_a and $ns_b with addresses $net.1/24 (device $if_a)
# and $net.2/24 (device $if_b), inside the namespaces only, and removes them
# when the script ends.  Without root (ip netns add fails) or iproute2 the
# calling test is skipped (exit 77) with the reason.

netns_setup() {
	command -v ip >/dev/null 2>&1 || { echo "SKIP: no 'ip' command (iproute2)"; exit 77; }
	tag=$(( $$ % 100000 ))
	ns_a=podfab-t$tag-a
	ns_b=podfab-t$tag-b
	if_a=pfa$tag
	if_b=pfb$tag
	net=10.199.$(( $$ % 250 + 1 ))
	if ! ip netns add "$ns_a" 2>"$tmp/ip.err"; then
		echo "SKIP: 'ip netns add' failed (needs root or CAP_SYS_ADMIN): $(head -n 1 "$tmp/ip.err")"
		exit 77
	fi
	trap netns_cleanup EXIT
	ip netns add "$ns_b" || fail "ip netns add $ns_b"
	ip link add "$if_a" type veth peer name "$if_b" 2>"$tmp/ip.err" ||
		{ echo "SKIP: cannot create a veth pair: $(head -n 1 "$tmp/ip.err")"; exit 77; }
	ip link set "$if_a" netns "$ns_a" && ip link set "$if_b" netns "$ns_b" || fail "moving the veth ends"
	ip -n "$ns_a" addr add "$net.1/24" dev "$if_a" && ip -n "$ns_b" addr add "$net.2/24" dev "$if_b" ||
		fail "addresses"
	for ns in "$ns_a" "$ns_b"; do
		ip -n "$ns" link set lo up || fail "lo up in $ns"
	done
	ip -n "$ns_a" link set "$if_a" up && ip -n "$ns_b" link set "$if_b" up || fail "veth up"
}

netns_cleanup() {
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	it_cleanup
}

# The test network must not show up outside the namespaces.
netns_check_private() {
	if ip -4 addr show 2>/dev/null | grep -q "inet $net\."; then
		fail "the test network $net.0/24 shows up outside the namespaces"
	fi
}

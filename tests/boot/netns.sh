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

. "$(dirname "$0")/netns-lib.sh"
netns_setup

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
netns_check_private
echo "ok: 2 + 2 accelerators met at $rv across namespaces $ns_a and $ns_b"
exit 0

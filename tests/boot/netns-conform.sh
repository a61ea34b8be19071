# netns-conform.sh PF_CONFORM TRANSPORT - the conformance suite across two
# "hosts": network namespaces joined by a veth pair (netns-lib.sh).
#
# For every multi-accelerator case of pf-conform, one podfab-run in each
# namespace starts 2 accelerators of a job of 4; they meet through the TCP
# rendezvous at the first namespace's address, and the data moves over
# TRANSPORT: "ofi" (libfabric's tcp;ofi_rxm over the veth pair, for every
# peer) or "hybrid" (shm to the accelerator in the same namespace, ofi to the
# two in the other).  PF_CONFORM_SCALE (default 0.1) scales the long cases.
# Needs root for the namespaces: skipped (77) otherwise.
. "$(dirname "$0")/../integration/lib.sh"

CONFORM=${1:?usage: netns-conform.sh PF_CONFORM TRANSPORT}
TP=${2:?usage: netns-conform.sh PF_CONFORM TRANSPORT}
SCALE=${PF_CONFORM_SCALE:-0.1}

. "$(dirname "$0")/netns-lib.sh"
netns_setup

cases=$("$CONFORM" --list | awk '$2 == "pod" { print $1 }')
[ -n "$cases" ] || fail "$CONFORM --list gave no cases"

port=4800
failed=""
ncases=0
for c in $cases; do
	port=$((port + 1))
	ncases=$((ncases + 1))
	rv=$net.1:$port
	job=nc$tag$c
	start=$(date +%s)
	ip netns exec "$ns_b" env FI_PROVIDER='tcp;ofi_rxm' FI_TCP_IFACE="$if_b" PODFAB_LOG=info \
		$PODFAB_IT_WRAPPER "$PODFAB_RUN" -n 2 --rendezvous "$rv" --world 4 --first 2 --job "$job" \
		--transport "$TP" --timeout 240 "$CONFORM" --scale "$SCALE" "$c" >"$tmp/b.out" 2>"$tmp/b.err" &
	pid_b=$!
	it_pids="$it_pids $pid_b"
	ip netns exec "$ns_a" env FI_PROVIDER='tcp;ofi_rxm' FI_TCP_IFACE="$if_a" PODFAB_LOG=info \
		$PODFAB_IT_WRAPPER "$PODFAB_RUN" -n 2 --rendezvous "$rv" --world 4 --first 0 --job "$job" \
		--transport "$TP" --timeout 240 "$CONFORM" --scale "$SCALE" "$c" >"$tmp/a.out" 2>"$tmp/a.err"
	rc_a=$?
	wait $pid_b
	rc_b=$?
	secs=$(( $(date +%s) - start ))
	if [ "$rc_a" -ne 0 ] || [ "$rc_b" -ne 0 ]; then
		echo "# $c: FAILED (status $rc_a and $rc_b, ${secs}s)"
		grep -v "attached to job\|: ofi: accelerator\|: hybrid: accelerator\|PODFAB_EFINALIZED" \
			"$tmp/a.err" "$tmp/b.err" | sed -n '1,30p' >&2
		failed="$failed $c"
		continue
	fi
	echo "# $c: ok (${secs}s)"
	# What carried the data: the listing of each accelerator (PODFAB_LOG=info).
	if [ "$c" = init ]; then
		cat "$tmp/a.err" "$tmp/b.err" | grep ": ofi: accelerator\|: hybrid: accelerator" | sed 's/^/#   /'
		if [ "$TP" = hybrid ]; then
			for i in 0 1; do
				grep -q "hybrid: accelerator $i reaches 0-1 over shm, 2-3 over ofi" "$tmp/a.err" ||
					fail "accelerator $i in $ns_a did not reach 0-1 over shm and 2-3 over ofi"
			done
			for i in 2 3; do
				grep -q "hybrid: accelerator $i reaches 2-3 over shm, 0-1 over ofi" "$tmp/b.err" ||
					fail "accelerator $i in $ns_b did not reach 2-3 over shm and 0-1 over ofi"
			done
		fi
		grep -q "provider tcp;ofi_rxm" "$tmp/a.err" || fail "the accelerators in $ns_a did not use tcp;ofi_rxm"
	fi
done
netns_check_private
[ -z "$failed" ] || fail "over $TP across namespaces, these cases failed:$failed"
echo "ok: $ncases cases over $TP, 2 + 2 accelerators across namespaces $ns_a and $ns_b"
exit 0

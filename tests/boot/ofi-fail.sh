# ofi-fail.sh CASE BOOT_PROG - failures over the libfabric transport: each ends
# with a clear error within a bounded time, never a hang.
#
#   no-provider  FI_PROVIDER names no provider: podfab_init fails on every
#                accelerator with PODFAB_ETRANSPORT naming it
#   dies         4 accelerators, each alone in its launcher, meet through the
#                TCP rendezvous and use ofi over tcp;ofi_rxm; accelerator 1
#                exits after init: the others report PODFAB_EPEERDEAD
#   unreachable  two network namespaces (netns-lib.sh); the accelerators of
#                the second publish an ofi address on their loopback
#                interface (FI_TCP_IFACE=lo), which the first cannot reach:
#                the first ones' operations to them fail, within the bound
. "$(dirname "$0")/../integration/lib.sh"

CASE=${1:?usage: ofi-fail.sh CASE BOOT_PROG}
PROG=${2:?usage: ofi-fail.sh CASE BOOT_PROG}
BOUND=60 # seconds any of these may take

launch() {
	name=$1
	shift
	podfab_run "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	eval "pid_$name=\$!"
	it_pids="$it_pids $!"
}
finish() {
	eval "wait \$pid_$1"
	eval "rc_$1=\$?"
}
show() {
	for f in "$@"; do
		echo "--- $f:" >&2
		sed -n '1,30p' "$tmp/$f" >&2
	done
}

case $CASE in
no-provider)
	t0=$(date +%s)
	FI_PROVIDER=no-such-provider podfab_run -n 2 --transport ofi --timeout "$BOUND" "$PROG" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -ne 0 ] || fail "podfab-run returned 0 with FI_PROVIDER=no-such-provider"
	[ $(( $(date +%s) - t0 )) -le "$BOUND" ] || fail "the failure took more than $BOUND s"
	for i in 0 1; do
		grep -q "accelerator $i: podfab_init: PODFAB_ETRANSPORT: ofi: no libfabric provider named 'no-such-provider'" \
			"$tmp/err" || { show err; fail "accelerator $i did not name the missing provider"; }
	done
	echo "ok: FI_PROVIDER=no-such-provider fails podfab_init with its name"
	;;
dies)
	port=$("$PROG" --free-port) || fail "boot-prog --free-port"
	rv=127.0.0.1:$port
	t0=$(date +%s)
	export FI_PROVIDER='tcp;ofi_rxm'
	for i in 0 1 2 3; do
		launch a$i -n 1 --rendezvous "$rv" --world 4 --first $i --transport ofi --timeout "$BOUND" "$PROG" --die 1
	done
	for i in 0 1 2 3; do
		finish a$i
	done
	t1=$(date +%s)
	[ "$rc_a1" -eq 3 ] || { show a1.err; fail "accelerator 1 exited with $rc_a1, not 3"; }
	for i in 0 2 3; do
		eval "rc=\$rc_a$i"
		[ "$rc" -eq 1 ] || { show a$i.err; fail "survivor $i exited with $rc, not 1"; }
		grep -q "boot-prog: accelerator $i: .*PODFAB_EPEERDEAD" "$tmp/a$i.err" ||
			{ show a$i.err; fail "accelerator $i did not report a dead peer"; }
	done
	[ $((t1 - t0)) -le "$BOUND" ] || fail "the failure took $((t1 - t0)) s"
	echo "ok: the death of accelerator 1 reached the others over ofi in $((t1 - t0)) s"
	sed -n '1p' "$tmp/a0.err" | sed 's/^/# /'
	;;
unreachable)
	. "$(dirname "$0")/netns-lib.sh"
	netns_setup
	rv=$net.1:4790
	t0=$(date +%s)
	ip netns exec "$ns_b" env FI_PROVIDER='tcp;ofi_rxm' FI_TCP_IFACE=lo $PODFAB_IT_WRAPPER "$PODFAB_RUN" -n 2 \
		--rendezvous "$rv" --world 4 --first 2 --transport ofi --timeout "$BOUND" "$PROG" \
		>"$tmp/b.out" 2>"$tmp/b.err" &
	pid_b=$!
	it_pids="$it_pids $pid_b"
	ip netns exec "$ns_a" env FI_PROVIDER='tcp;ofi_rxm' FI_TCP_IFACE="$if_a" $PODFAB_IT_WRAPPER "$PODFAB_RUN" \
		-n 2 --rendezvous "$rv" --world 4 --first 0 --transport ofi --timeout "$BOUND" "$PROG" \
		>"$tmp/a.out" 2>"$tmp/a.err"
	rc_a=$?
	wait $pid_b
	rc_b=$?
	t1=$(date +%s)
	[ "$rc_a" -ne 0 ] || { show a.err b.err; fail "the accelerators in $ns_a reached an unreachable peer"; }
	[ $((t1 - t0)) -le $((BOUND + 10)) ] || fail "the failure took $((t1 - t0)) s"
	grep -q "boot-prog: accelerator [01]: .*PODFAB_E" "$tmp/a.err" ||
		{ show a.err b.err; fail "no accelerator in $ns_a reported an error"; }
	echo "ok: an unreachable peer address failed the job in $((t1 - t0)) s (status $rc_a and $rc_b)"
	grep "boot-prog: accelerator" "$tmp/a.err" | sed -n '1,2p' | sed 's/^/# /'
	;;
*)
	fail "unknown case $CASE"
	;;
esac
exit 0

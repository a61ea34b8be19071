#!/usr/bin/env bash
# tests/verbs/verbs-tests.sh CASE BUILD_DIR [guest.sh options...] - the verbs
# transport against a real verbs stack: boots the soft-RoCE guest (guest.sh)
# and runs CASE inside it, with BUILD_DIR's programs.
#
#   conform         the conformance suite over verbs (device atomics): 2 and 4
#                   processes, 3 threads, the long cases at a tenth
#   conform-target  the same with atomics executed at the target
#                   (PODFAB_VERBS_ATOMICS=target: the path of a device without
#                   atomics, and of hybrid), every case
#   hybrid          the hybrid transport with verbs between "hosts"
#                   (PODFAB_HYBRID_REMOTE=verbs, PODFAB_HYBRID_HOSTS=2), every
#                   case
#   ofi-verbs       the conformance suite over the ofi transport with
#                   libfabric's verbs;ofi_rxm provider on the same soft-RoCE
#                   stack (rxe1: rdma_cm cannot resolve addresses of lo, so
#                   guest.sh gives rxe1 a dummy interface with 10.211.0.1;
#                   FI_UNIVERSE_SIZE=32: rxm sizes its queues by it, past
#                   rxe's largest completion queue at the default 256)
#   fail-badkey     put, get and atomic on a revoked key: PODFAB_EREMOTE,
#                   nothing written, the connection replaced (verbs-fail)
#   fail-dies       a peer that exits: PODFAB_EPEERDEAD within the bound
#   fail-device     PODFAB_VERBS_DEVICE names no device: podfab_init fails
#                   naming it and listing the devices found
#
# (`stress` with target-run atomics once hung about one run in ten: a nested
# wait inside the completion loop - an atomic's answer posted while serving it
# - waited for a completion that the outer loop had already read.  The
# completion batch now lives in the transport, so nested calls handle it
# first, and every case runs.)  Exit status: 0 passed, 77 the guest is
# unavailable, else failed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

if [ "${1:-}" = --inside ]; then
	shift
	CASE=$1
	cd "$2" || exit 1
	export PODFAB_RUN=$PWD/tools/podfab-run CK_DEFAULT_TIMEOUT=300 PF_CONFORM_SCALE=0.1
	conform=$PWD/tests/conformance/pf-conform
	fail=0
	# every case, as 2 and 4 processes and 3 threads
	every_case() {
		for c in $("$conform" --list | awk '$2 != "local" { print $1 }'); do
			for n in 2 4; do
				"$PODFAB_RUN" -n $n --transport "$1" --timeout 240 -- "$conform" --scale 0.1 "$c" >/tmp/out 2>&1 ||
					{ echo "FAIL: $c on $n processes over $1:"; tail -5 /tmp/out; fail=1; }
			done
			"$conform" --threads 3 --transport "$1" --timeout 240 --scale 0.1 "$c" >/tmp/out 2>&1 ||
				{ echo "FAIL: $c on 3 threads over $1:"; tail -5 /tmp/out; fail=1; }
			echo "case $c: done"
		done
	}
	case $CASE in
	conform)
		PF_CONFORM_TRANSPORTS=verbs PF_CONFORM_SIZES=2,3,4 ./tests/conformance/test-conformance "$conform" 2>&1 |
			grep -v '^+ ' || fail=1
		[ "${PIPESTATUS[0]}" -eq 0 ] || fail=1
		;;
	ofi-verbs)
		[ -e /sys/class/infiniband/rxe1 ] || { echo "FAIL: no rxe1 (see guest.sh)"; exit 1; }
		export FI_PROVIDER='verbs;ofi_rxm' FI_VERBS_IFACE=pfdummy0 FI_UNIVERSE_SIZE=32
		PODFAB_LOG=info ./tools/podfab-run -n 2 --transport ofi -- "$conform" init >/tmp/log 2>&1
		grep -q 'provider verbs;ofi_rxm' /tmp/log || { echo "FAIL: not over verbs;ofi_rxm"; cat /tmp/log; fail=1; }
		PF_CONFORM_TRANSPORTS=ofi PF_CONFORM_SIZES=2,3,4 ./tests/conformance/test-conformance "$conform" 2>&1 |
			grep -v '^+ ' || fail=1
		[ "${PIPESTATUS[0]}" -eq 0 ] || fail=1
		;;
	conform-target)
		export PODFAB_VERBS_ATOMICS=target
		PODFAB_LOG=info ./tools/podfab-run -n 2 --transport verbs -- "$conform" init >/tmp/log 2>&1
		grep -q 'atomics executed at the target' /tmp/log || { echo "FAIL: the target path was not taken"; cat /tmp/log; fail=1; }
		every_case verbs
		;;
	hybrid)
		export PODFAB_HYBRID_REMOTE=verbs PODFAB_HYBRID_HOSTS=2
		PODFAB_LOG=info ./tools/podfab-run -n 4 --transport hybrid -- "$conform" init >/tmp/log 2>&1
		grep -q 'reaches 0-1 over shm, 2-3 over verbs' /tmp/log ||
			{ echo "FAIL: no 'reaches 0-1 over shm, 2-3 over verbs'"; cat /tmp/log; fail=1; }
		every_case hybrid
		;;
	fail-badkey)
		./tools/podfab-run -n 2 --transport verbs --timeout 120 -- ./tests/verbs/verbs-fail badkey || fail=1
		;;
	fail-dies)
		# each accelerator in its own launcher (TCP rendezvous), so that the
		# survivors are not stopped by a launcher that saw the death
		t0=$(date +%s)
		for i in 0 1 2; do
			./tools/podfab-run -n 1 --rendezvous 127.0.0.1:4793 --world 3 --first $i --transport verbs \
				--timeout 120 -- ./tests/verbs/verbs-fail dies >/tmp/a$i.out 2>&1 &
			eval "p$i=\$!"
		done
		wait "$p0"; r0=$?
		wait "$p1"; r1=$?
		wait "$p2"; r2=$?
		cat /tmp/a0.out /tmp/a2.out
		[ "$r1" -eq 3 ] || { echo "FAIL: accelerator 1 exited with $r1, not 3"; cat /tmp/a1.out; fail=1; }
		for i in 0 2; do
			eval "r=\$r$i"
			[ "$r" -eq 0 ] || { echo "FAIL: survivor $i exited with $r"; fail=1; }
			grep -q "dies ok: PODFAB_EPEERDEAD" /tmp/a$i.out || { echo "FAIL: survivor $i did not see PODFAB_EPEERDEAD"; fail=1; }
		done
		echo "the death reached the survivors in $(( $(date +%s) - t0 )) s (bound 60 s)"
		;;
	fail-device)
		PODFAB_VERBS_DEVICE=no-such-device ./tools/podfab-run -n 2 --transport verbs --timeout 60 -- \
			./tests/verbs/verbs-fail badkey >/tmp/out 2>&1 && { echo "FAIL: podfab-run succeeded"; fail=1; }
		cat /tmp/out
		grep -q "verbs: no device named 'no-such-device' among those found (rxe0" /tmp/out ||
			{ echo "FAIL: the error does not name the device and list rxe0"; fail=1; }
		;;
	*)
		echo "verbs-tests.sh: unknown case '$CASE'" >&2
		exit 2
		;;
	esac
	[ $fail -eq 0 ] && echo "verbs-tests: $CASE passed" || echo "verbs-tests: $CASE FAILED"
	exit $fail
fi

CASE=${1:?usage: verbs-tests.sh CASE BUILD_DIR [guest.sh options...]}
BUILD=$(cd "${2:?usage: verbs-tests.sh CASE BUILD_DIR}" && pwd -P)
shift 2
export PODFAB_GUEST_CACHE=${PODFAB_GUEST_CACHE:-$BUILD/verbs-guest}
san=()
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do # a sanitizer build's settings go in too
	[ -z "${!v:-}" ] || san+=(--env "$v")
done
exec "$here/guest.sh" "${san[@]}" "$@" -- bash "$here/verbs-tests.sh" --inside "$CASE" "$BUILD"

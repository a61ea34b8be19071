# pmix-mpirun.sh CASE PMIX_PROG - tests of the PMIx bootstrap under Open MPI's
# mpirun, whose PMIx server the accelerators ask for their id, the job size and
# the job name (no PODFAB_ACCEL_ID, PODFAB_NACCELS or PODFAB_JOB is set; only
# PODFAB_TRANSPORT=shm).  pmix-prog (pmix-prog.c) is the program.  Exits 77
# (skipped) when there is no Open MPI mpirun.
#
#   ok           4 ranks: each puts its id to its right neighbour, barrier,
#                checks the word from its left: 4 "ok" lines
#   twice        the same twice in one process (PMIx finalized and started again)
#   dies         rank 2 exits after init while the others wait in a barrier:
#                with Open MPI's default (abort the job when a rank fails)
#                mpirun returns non-zero within the time limit; with that
#                abort turned off, every other rank reports EPEERDEAD naming
#                accelerator 2
#   exit-before  rank 1 exits before podfab_init: mpirun returns non-zero
#                within the time limit
#   mismatch     PODFAB_BOOT=pmix with PODFAB_ACCEL_ID=0 on every rank: a
#                rank other than 0 refuses it (EMISMATCH, naming its PMIx
#                rank) and mpirun returns non-zero
. "$(dirname "$0")/../integration/lib.sh"

case_name=${1:?usage: pmix-mpirun.sh CASE PMIX_PROG}
PROG=${2:?usage: pmix-mpirun.sh CASE PMIX_PROG}
LIMIT=120 # seconds any one mpirun may take

if [ -n "${PODFAB_UNDER_VALGRIND:-}" ] && [ "${PODFAB_UNDER_VALGRIND}" != 0 ]; then
	# The valgrind setup does not follow into mpirun (see meson.build), so its
	# ranks would run unchecked, only slower: these cases run in the other setups.
	echo "SKIP: under the valgrind setup mpirun and its ranks run natively, unchecked" >&2
	exit 77
fi
if ! command -v mpirun >/dev/null 2>&1; then
	echo "SKIP: no mpirun in PATH: the PMIx bootstrap test needs Open MPI (Debian: openmpi-bin)" >&2
	exit 77
fi
if ! mpirun --version 2>&1 | grep -q "Open MPI"; then
	echo "SKIP: mpirun ($(command -v mpirun)) is not Open MPI's: $(mpirun --version 2>&1 | head -n 1)" >&2
	exit 77
fi
command -v timeout >/dev/null 2>&1 || { echo "SKIP: no timeout(1) to bound mpirun" >&2; exit 77; }

# The launcher's environment, not podfab-run's, must name the accelerators.
for v in $(env | sed -n 's/^\(PODFAB_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done
export PODFAB_TRANSPORT=shm
# Sanitized builds: libpmix's own allocations for the life of the process are not leaks of ours.
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(cd "$(dirname "$0")" && pwd)/lsan-pmix.supp"
export LSAN_OPTIONS

# run ARGS...: mpirun of 4 ranks of pmix-prog with ARGS, bounded by LIMIT;
# output in $tmp/out and $tmp/err, exit status in $rc, seconds in $secs.
# Options: root may run it, 4 ranks on however few cores, no network but
# loopback for Open MPI's own daemons, no stdin.
run() {
	_start=$(now)
	timeout -k 10 "$LIMIT" mpirun --allow-run-as-root --oversubscribe --bind-to none \
		--mca btl self,vader --mca oob_tcp_if_include lo \
		-np 4 "$PROG" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	secs=$(($(now) - _start))
	note "mpirun -np 4 pmix-prog $*: exit $rc after ${secs}s"
}

expect_ok() {
	[ "$rc" -eq 0 ] || fail "mpirun returned $rc"
	for i in 0 1 2 3; do
		c=$(grep -c "^pmix-prog: accelerator $i of 4 ok\$" "$tmp/out")
		[ "$c" -eq "$1" ] || fail "accelerator $i reported ok $c times, expected $1"
	done
	! grep -q "pmix-prog:" "$tmp/err" || fail "unexpected messages from pmix-prog"
}

bounded() {
	[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || fail "mpirun did not end within ${LIMIT}s"
}

case $case_name in
ok)
	run 4
	expect_ok 1
	;;
twice)
	run 4 --twice
	expect_ok 2
	;;
dies)
	run 4 --die 2
	bounded
	[ "$rc" -ne 0 ] || fail "mpirun returned 0 although rank 2 exited with status 3"
	grep -q "accelerator 2: dying on purpose" "$tmp/err" || fail "rank 2 did not run to its exit"
	# Keep the survivors alive (Open MPI 4: no abort on a failed rank) and check what they say.
	export OMPI_MCA_orte_abort_on_non_zero_status=0
	run 4 --die 2
	unset OMPI_MCA_orte_abort_on_non_zero_status
	bounded
	for i in 0 1 3; do
		grep -q "^pmix-prog: accelerator $i: podfab_barrier: PODFAB_EPEERDEAD: .*accelerator 2 .*died" "$tmp/err" ||
			fail "accelerator $i did not report the death of accelerator 2"
	done
	! grep -q " of 4 ok" "$tmp/out" || fail "a rank reported ok"
	;;
exit-before)
	run 4 --exit-before 1
	bounded
	[ "$rc" -ne 0 ] || fail "mpirun returned 0 although rank 1 exited with status 3"
	! grep -q " of 4 ok" "$tmp/out" || fail "a rank reported ok"
	;;
mismatch)
	# mpirun hands its environment to the ranks it starts on this host.
	export PODFAB_BOOT=pmix PODFAB_ACCEL_ID=0 PODFAB_NACCELS=4 PODFAB_JOB=pmixmismatch$$ PODFAB_TIMEOUT_MS=5000
	run 4
	bounded
	[ "$rc" -ne 0 ] || fail "mpirun returned 0 with a wrong PODFAB_ACCEL_ID"
	# Open MPI ends the job at the first failed rank: one refusal is enough.
	grep -q "PODFAB_EMISMATCH: asked for accelerator 0 of 4, but PMIx says this process is rank [123] of 4" \
		"$tmp/err" || fail "no rank refused PODFAB_ACCEL_ID=0"
	! grep -q " of 4 ok" "$tmp/out" || fail "a rank reported ok"
	;;
*)
	fail "unknown case '$case_name'"
	;;
esac
exit 0

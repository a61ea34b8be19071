#!/bin/sh
# engine.sh WORKER MODEL... - run tm-worker (tm-worker.c) through
# podfab-run on each MODEL; a MODEL of the form TIMING@SPEC picks the timing
# mode (default virtual); a directory stands for every *.yaml in it.
# N = min(the model's accelerators, 8; 3 under valgrind).
. "$(dirname "$0")/../integration/lib.sh"

worker=${1:?usage: engine.sh WORKER MODEL...}
shift

models=
for m in "$@"; do
	if [ -d "$m" ]; then
		for f in "$m"/*.yaml; do
			[ -f "$f" ] && models="$models $f"
		done
	else
		models="$models $m"
	fi
done
[ -n "$models" ] || fail "no models"

for m in $models; do
	case $m in
	*@*) timing=${m%%@*} spec=${m#*@} ;;
	*) timing=virtual spec=$m ;;
	esac
	na=$("$worker" --count "$spec")
	case $na in '' | *[!0-9]*) fail "tm-worker --count $spec: '$na'" ;; esac
	n=$na
	limit=8
	# Under valgrind every accelerator is slow: fewer of them.
	case ${PODFAB_UNDER_VALGRIND:-0} in 0) ;; *) limit=3 ;; esac
	[ "$n" -le "$limit" ] || n=$limit
	new_job "$n"
	start=$(now)
	podfab_run -n "$n" -m "$spec" --timing "$timing" --job "$job" -- "$worker" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	note "$(basename "$spec") $timing -n $n: exit $rc after $(($(now) - start)) s"
	[ "$rc" -eq 0 ] || fail "tm-worker on $spec ($timing, $n accelerators) exited with $rc"
	ok=$(grep -c '^tm-worker [0-9]*: OK$' "$tmp/out")
	[ "$ok" -eq "$n" ] || fail "tm-worker on $spec ($timing): $ok of $n accelerators reported OK"
	assert_no_shm "$job"
done
note ok

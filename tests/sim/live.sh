#!/bin/sh
# live.sh WORKER SIM SPEC N K BYTES - the same traffic live and simulated: N
# accelerators each do K blocking puts of BYTES to (i+1) mod N, through
# podfab-run in virtual timing (WORKER, ring-worker.c) and in the simulator
# (SIM, ring-sim.c); every accelerator's completion time must agree within 1%.
. "$(dirname "$0")/../integration/lib.sh"

worker=${1:?usage: live.sh WORKER SIM SPEC N K BYTES}
sim=${2:?} spec=${3:?} n=${4:?} k=${5:?} bytes=${6:?}

"$sim" "$spec" "$n" "$k" "$bytes" >"$tmp/sim" 2>"$tmp/err" || fail "ring-sim $spec $n $k $bytes: $(cat "$tmp/err")"
new_job
podfab_run -n "$n" -m "$spec" --timing virtual --job "$job" -- "$worker" "$k" "$bytes" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] || fail "ring-worker on $spec (-n $n) exited with $rc"
assert_no_shm "$job"
grep '^live ' "$tmp/out" >"$tmp/live"
cat "$tmp/sim" "$tmp/live" | awk -v n="$n" '
	$1 == "sim" { s[$2] = $3; ns++ }
	$1 == "live" { l[$2] = $3; nl++ }
	END {
		if (ns != n || nl != n) { printf "FAIL: %d simulated and %d live times for %d accelerators\n", ns, nl, n; exit 1 }
		bad = 0
		for (i = 0; i < n; i++) {
			d = (l[i] - s[i]) / s[i]; if (d < 0) d = -d
			printf "# accel %d: live %.3f ns, simulated %.3f ns, off by %.4f%%\n", i, l[i], s[i], 100 * d
			if (!(s[i] > 0) || d > 0.01) bad++
		}
		if (bad) { printf "FAIL: %d of %d accelerators differ by more than 1%%\n", bad, n; exit 1 }
	}' || fail "live and simulated completion times differ ($spec, $n accelerators, $k x $bytes B)"
note ok

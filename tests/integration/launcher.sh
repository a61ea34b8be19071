#!/bin/sh
# launcher.sh CASE HELPER [VERSION] - podfab-run's behaviour, one case per test:
#
#   fail-fast     an accelerator fails: its status is the job's, quickly, and the
#                 others are stopped
#   sigkill       an accelerator is SIGKILLed: status 137, and no shared-memory
#                 object of the job is left (the launcher sweeps them)
#   init-kill     an accelerator dies while the others attach: the library's own
#                 control object is swept too
#   clean-exit    a job that ends normally leaves nothing in /dev/shm, and the
#                 library had unlinked its names while the job still ran
#   signals       SIGUSR1 and SIGTERM sent to podfab-run reach every accelerator
#   bad-options   usage errors exit 2 with a message naming the problem
#   help          --help and --version
#   timeout       --timeout stops the job with status 124
#   exec-fail     a program that cannot be run: status 127
#   env           the environment every accelerator sees
#
# HELPER is the pf-holder program built next to this script.
. "$(dirname "$0")/lib.sh"

case_name=${1:?usage: launcher.sh CASE HELPER [VERSION]}
helper=${2:?usage: launcher.sh CASE HELPER [VERSION]}
version=${3:-}
# Bound every wait for peers, so that a broken library cannot stall a test for minutes.
PODFAB_TIMEOUT_MS=60000
export PODFAB_TIMEOUT_MS
unset PODFAB_JOB PODFAB_ACCEL_ID PODFAB_NACCELS PODFAB_MODEL PODFAB_TIMING PODFAB_TRANSPORT

# run_bg ARGS...: start podfab-run in the background; its pid is in $run_pid.
run_bg() {
	# not through the podfab_run function: $! must be podfab-run's own pid
	$PODFAB_IT_WRAPPER "$PODFAB_RUN" "$@" >"$tmp/out" 2>"$tmp/err" &
	run_pid=$!
	it_pids="$it_pids $run_pid"
}

# wait_run SECONDS WHAT: wait for the background podfab-run, at most SECONDS; status in $rc.
wait_run() {
	_end=$(($(now) + $1))
	while alive "$run_pid"; do
		[ "$(now)" -lt "$_end" ] || fail "podfab-run still runs $1 s after $2"
		sleep 0.1
	done
	wait "$run_pid"
	rc=$?
}

# Every pid recorded in $tmp/PREFIX.* is gone.
assert_all_gone() {
	for f in "$tmp/$1".*; do
		[ -f "$f" ] || continue
		p=$(head -n 1 "$f")
		! alive "$p" || fail "accelerator process $p (${f##*/}) is still running"
	done
}

case_fail_fast() {
	start=$(now)
	podfab_run -n 4 -- sh -c 'echo $$ > "$0/pid.$PODFAB_ACCEL_ID"
		test "$PODFAB_ACCEL_ID" = 2 && exit 3
		exec sleep 30' "$tmp" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	took=$(($(now) - start))
	note "exit $rc after $took s"
	[ "$rc" -eq 3 ] || fail "expected the failing accelerator's status 3, got $rc"
	[ "$took" -lt 15 ] || fail "podfab-run took $took s to stop the job (sleep 30 in the others)"
	grep -q "accelerator 2" "$tmp/err" || fail "the message does not name accelerator 2"
	assert_all_gone pid

	# The same with a shell that waits for its sleep (not exec'd): the launcher
	# stops the accelerators (the shells) and returns at once.
	new_job
	start=$(now)
	podfab_run -n 4 --job "$job" -- sh -c 'echo $$ > "$0/pid.$PODFAB_ACCEL_ID"
		test $PODFAB_ACCEL_ID = 2 && exit 3; sleep 30' "$tmp" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	took=$(($(now) - start))
	note "exit $rc after $took s"
	[ "$rc" -eq 3 ] || fail "expected 3, got $rc"
	[ "$took" -lt 15 ] || fail "podfab-run took $took s to stop the job"
	assert_all_gone pid
	# Their children (the sleeps) are not accelerators; do not leave them behind.
	stray=0
	for d in /proc/[0-9]*; do
		if { tr '\0' '\n' <"$d/environ"; } 2>/dev/null | grep -qx "PODFAB_JOB=$job"; then
			kill -KILL "${d#/proc/}" 2>/dev/null && stray=$((stray + 1))
		fi
	done
	note "$stray grandchildren of the stopped accelerators were still running"
}

case_sigkill() {
	new_job
	run_bg -n 4 --job "$job" -- "$helper" hold "$tmp"
	wait_files ready 4 60 || fail "the accelerators did not get ready"
	n=$(shm_objects "$job" | grep -c "\.test[0-9]*$")
	[ "$n" -eq 4 ] || fail "expected 4 test objects of job $job in /dev/shm, found $n"
	victim=$(cat "$tmp/ready.1")
	start=$(now)
	kill -KILL "$victim"
	wait_run 20 "one accelerator was killed"
	note "exit $rc after $(($(now) - start)) s"
	[ "$rc" -eq 137 ] || fail "expected 137 (128 + SIGKILL), got $rc"
	grep -q "SIGKILL" "$tmp/err" || fail "the message does not say SIGKILL"
	assert_no_shm "$job"
	assert_all_gone ready
}

case_init_kill() {
	new_job
	run_bg -n 3 --job "$job" -- "$helper" init-hang "$tmp"
	wait_files ready 3 60 || fail "the accelerators did not start"
	end=$(($(now) + 30))
	while [ -z "$(shm_objects "$job")" ]; do
		[ "$(now)" -lt "$end" ] || fail "no shared-memory object of job $job appeared during podfab_init"
		sleep 0.1
	done
	note "during podfab_init: $(echo $(shm_objects "$job"))"
	kill -KILL "$(cat "$tmp/ready.0")"
	wait_run 20 "one accelerator was killed"
	[ "$rc" -eq 137 ] || fail "expected 137, got $rc"
	assert_no_shm "$job"
	assert_all_gone ready
}

case_clean_exit() {
	for n in 2 4 8; do
		new_job "n$n"
		podfab_run -n "$n" --job "$job" -- "$helper" noleak >"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ "$rc" -eq 0 ] || fail "noleak with $n accelerators exited with $rc"
		[ "$(grep -c ': OK$' "$tmp/out")" -eq "$n" ] || fail "not every accelerator reported"
		assert_no_shm "$job"
	done
}

case_signals() {
	cat >"$tmp/child.sh" <<'CHILD'
d=$1
id=$PODFAB_ACCEL_ID
trap 'echo usr1 > "$d/usr1.$id"' USR1
trap 'echo term > "$d/term.$id"; kill "$sp" 2>/dev/null; exit 0' TERM
sleep 60 </dev/null >/dev/null 2>&1 &
sp=$!
echo "$sp" > "$d/pid.sleep.$id"
echo $$ > "$d/.ready.$id" && mv "$d/.ready.$id" "$d/ready.$id"
while kill -0 "$sp" 2>/dev/null; do
	wait "$sp"
done
exit 9
CHILD
	run_bg -n 3 -- sh "$tmp/child.sh" "$tmp"
	wait_files ready 3 30 || fail "the accelerators did not get ready"
	kill -USR1 "$run_pid"
	wait_files usr1 3 15 || fail "SIGUSR1 did not reach every accelerator"
	alive "$run_pid" || fail "podfab-run ended after SIGUSR1"
	kill -TERM "$run_pid"
	wait_run 20 "SIGTERM"
	wait_files term 3 1 || fail "SIGTERM did not reach every accelerator"
	[ "$rc" -eq 0 ] || fail "every accelerator exited with 0 after SIGTERM, but podfab-run returned $rc"
	assert_all_gone ready
}

# bad_option NEEDLE ARGS...: podfab-run ARGS exits 2, says NEEDLE on stderr, runs nothing.
bad_option() {
	needle=$1
	shift
	rm -f "$tmp/started"
	podfab_run "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 2 ] || fail "podfab-run $* exited with $rc, expected 2"
	grep -qF -e "$needle" "$tmp/err" || fail "podfab-run $*: the message does not mention '$needle'"
	[ ! -e "$tmp/started" ] || fail "podfab-run $* started the program"
	note "podfab-run $*: $(head -n 1 "$tmp/err")"
}

case_bad_options() {
	set -- sh -c ': > "$0/started"' "$tmp"
	bad_option "--no-such-option" --no-such-option -n 2 "$@"
	bad_option "-x" -x -n 2 "$@"
	bad_option "-n 0" -n 0 "$@"
	bad_option "abc" -n abc "$@"
	bad_option "-5" -n -5 "$@"
	bad_option "3x" -n 3x "$@"
	bad_option "99999" -n 99999 "$@"
	bad_option "no program" -n 2
	bad_option "no program" -n 2 --
	bad_option "-n" "$@"
	bad_option "-n" -n
	bad_option "bind" --bind bogus -n 2 "$@"
	bad_option "bogus" --bind bogus -n 2 "$@"
	bad_option "timing" --timing bogus -n 2 "$@"
	bad_option "bogus" --timing bogus -n 2 "$@"
	bad_option "timing" -n 2 --timing
	bad_option "timeout" --timeout 0 -n 2 "$@"
	bad_option "timeout" --timeout abc -n 2 "$@"
	bad_option "timeout" --timeout -1 -n 2 "$@"
	bad_option "job" --job "bad name" -n 2 "$@"
	bad_option "transport" --transport no-such-transport -n 2 "$@"
	bad_option "model" -n 2 -m "" "$@"
}

case_help() {
	for h in --help -h; do
		podfab_run "$h" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ "$rc" -eq 0 ] || fail "podfab-run $h exited with $rc"
		for opt in -n --naccels -m --model --timing --transport --bind --print-topology \
			--timeout --job -v --verbose -h --help -V --version; do
			grep -qE -e "(^|[ ,])$opt([ ,=]|\$)" "$tmp/out" || fail "podfab-run $h does not mention $opt"
		done
		for v in PODFAB_JOB PODFAB_ACCEL_ID PODFAB_NACCELS PODFAB_MODEL PODFAB_TIMING \
			PODFAB_TRANSPORT; do
			grep -q "$v" "$tmp/out" || fail "podfab-run $h does not mention $v"
		done
	done
	# Every long option the help names is one podfab-run accepts.
	for opt in $(grep -oE -e '--[a-z][a-z-]+' "$tmp/out" | sort -u); do
		podfab_run "$opt" >"$tmp/o2" 2>"$tmp/e2"
		! grep -qi "unknown" "$tmp/e2" || fail "the help mentions $opt, which podfab-run does not know"
	done
	for v in --version -V; do
		podfab_run "$v" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ "$rc" -eq 0 ] || fail "podfab-run $v exited with $rc"
		[ -z "$version" ] || grep -qF "$version" "$tmp/out" || fail "podfab-run $v does not print $version"
	done
}

case_timeout() {
	start=$(now)
	podfab_run -n 2 --timeout 1 -- sleep 30 >"$tmp/out" 2>"$tmp/err"
	rc=$?
	took=$(($(now) - start))
	note "exit $rc after $took s"
	[ "$rc" -eq 124 ] || fail "expected 124 after --timeout, got $rc"
	[ "$took" -lt 15 ] || fail "--timeout 1 took $took s"
	grep -qi "timed out" "$tmp/err" || fail "no message about the timeout"
	# A job that ends in time is not affected, and decimals are accepted.
	podfab_run -n 2 --timeout 20.5 -- true >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 0 ] || fail "a job within its --timeout exited with $rc"
	# Accelerators that ignore SIGTERM are killed after the grace period.
	start=$(now)
	podfab_run -n 2 --timeout 0.5 -- sh -c 'trap "" TERM; exec sleep 30' >"$tmp/out" 2>"$tmp/err"
	rc=$?
	took=$(($(now) - start))
	[ "$rc" -eq 124 ] || fail "expected 124 with accelerators that ignore SIGTERM, got $rc"
	[ "$took" -lt 15 ] || fail "accelerators that ignore SIGTERM kept the job alive for $took s"
}

case_exec_fail() {
	podfab_run -n 2 -- "$tmp/no-such-program" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 127 ] || fail "expected 127 for a program that does not exist, got $rc"
	grep -q "no-such-program" "$tmp/err" || fail "the message does not name the program"
}

# env_run N ARGS...: each accelerator writes its view of the environment to $tmp/env.<id>.
env_run() {
	n=$1
	shift
	rm -f "$tmp"/env.*
	podfab_run -n "$n" "$@" -- sh -c 'printf "%s|%s|%s|%s|%s|%s|%s\n" "${PODFAB_ACCEL_ID-unset}" \
		"${PODFAB_NACCELS-unset}" "${PODFAB_JOB-unset}" "${PODFAB_MODEL-unset}" \
		"${PODFAB_TIMING-unset}" "${PODFAB_TRANSPORT-unset}" "${PODFAB_TIMEOUT_MS-unset}" \
		> "$0/env.$PODFAB_ACCEL_ID"' "$tmp" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 0 ] || fail "the environment job exited with $rc"
	[ "$(ls "$tmp" | grep -c '^env\.')" -eq "$n" ] || fail "expected $n env files"
}

# field ID K: field K (1-based) of accelerator ID's environment line.
field() {
	cut -d'|' -f"$2" "$tmp/env.$1"
}

# env_expect N JOB MODEL TIMING TRANSPORT TIMEOUT (JOB '*': any valid, the same for all)
env_expect() {
	i=0
	first_job=$(field 0 3)
	while [ "$i" -lt "$1" ]; do
		[ "$(field $i 1)" = "$i" ] || fail "accelerator $i has PODFAB_ACCEL_ID=$(field $i 1)"
		[ "$(field $i 2)" = "$1" ] || fail "accelerator $i has PODFAB_NACCELS=$(field $i 2)"
		j=$(field $i 3)
		[ "$j" = "$first_job" ] || fail "accelerators 0 and $i have different jobs: $first_job, $j"
		if [ "$2" = "*" ]; then
			echo "$j" | grep -Eq '^[A-Za-z0-9_-]{1,48}$' || fail "invalid generated job name '$j'"
		else
			[ "$j" = "$2" ] || fail "accelerator $i has PODFAB_JOB=$j, expected $2"
		fi
		[ "$(field $i 4)" = "$3" ] || fail "accelerator $i has PODFAB_MODEL=$(field $i 4), expected $3"
		[ "$(field $i 5)" = "$4" ] || fail "accelerator $i has PODFAB_TIMING=$(field $i 5), expected $4"
		[ "$(field $i 6)" = "$5" ] || fail "accelerator $i has PODFAB_TRANSPORT=$(field $i 6), expected $5"
		[ "$(field $i 7)" = "$6" ] || fail "accelerator $i has PODFAB_TIMEOUT_MS=$(field $i 7), expected $6"
		i=$((i + 1))
	done
}

case_env() {
	# Plain: no model, timing or transport; other variables pass through.
	PODFAB_TIMEOUT_MS=54321
	env_run 3
	env_expect 3 "*" unset unset unset 54321
	job1=$(field 0 3)
	env_run 3
	job2=$(field 0 3)
	[ "$job1" != "$job2" ] || fail "two runs got the same generated job name $job1"
	# Stale launcher variables in podfab-run's own environment are replaced.
	PODFAB_JOB=stale PODFAB_ACCEL_ID=7 PODFAB_NACCELS=9
	export PODFAB_JOB PODFAB_ACCEL_ID PODFAB_NACCELS
	env_run 4
	unset PODFAB_JOB PODFAB_ACCEL_ID PODFAB_NACCELS
	env_expect 4 "*" unset unset unset 54321
	[ "$(field 0 3)" != stale ] || fail "the stale PODFAB_JOB reached the accelerators"
	# With every option.
	new_job
	env_run 2 -m "ring:accels=2" --timing functional --transport shm --job "$job"
	env_expect 2 "$job" "ring:accels=2" functional shm 54321
	env_run 8 --timing virtual --job "${job}v"
	env_expect 8 "${job}v" unset virtual unset 54321
	# The library sees the same: ids, count, transport, timing.
	for n in 1 4; do
		podfab_run -n "$n" -m "ring:accels=4" --timing functional --transport shm -- "$helper" env \
			>"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ "$rc" -eq 0 ] || fail "pf-holder env with $n accelerators exited with $rc"
		[ "$(grep -c ': OK$' "$tmp/out")" -eq "$n" ] || fail "not every accelerator agreed with its environment"
	done
	# The timed modes attach too (over a generated pod when no model is given).
	for mode in realtime virtual; do
		podfab_run -n 2 --timing $mode -- "$helper" env >"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ "$rc" -eq 0 ] || fail "--timing $mode: exited with $rc: $(cat "$tmp/err")"
		[ "$(grep -c ': OK$' "$tmp/out")" -eq 2 ] || fail "--timing $mode: not every accelerator agreed"
	done
}

case $case_name in
fail-fast) case_fail_fast ;;
sigkill) case_sigkill ;;
init-kill) case_init_kill ;;
clean-exit) case_clean_exit ;;
signals) case_signals ;;
bad-options) case_bad_options ;;
help) case_help ;;
timeout) case_timeout ;;
exec-fail) case_exec_fail ;;
env) case_env ;;
*) fail "unknown case $case_name" ;;
esac
note "ok"

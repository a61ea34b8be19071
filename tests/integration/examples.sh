#!/bin/sh
# examples.sh EXAMPLE N - run an example through podfab-run with N accelerators
# and check its output: every accelerator reports, exactly once, success.
. "$(dirname "$0")/lib.sh"

exe=${1:?usage: examples.sh EXAMPLE N}
n=${2:?usage: examples.sh EXAMPLE N}
name=$(basename "$exe")
new_job

start=$(now)
podfab_run -n "$n" --job "$job" -- "$exe" >"$tmp/out" 2>"$tmp/err"
rc=$?
note "$name -n $n: exit $rc after $(($(now) - start)) s"
[ "$rc" -eq 0 ] || fail "$name with $n accelerators exited with $rc"
! grep -q FAIL "$tmp/out" || fail "$name printed FAIL"

# count_lines REGEX: how many output lines match (extended regex, whole line).
count_lines() {
	grep -Ec "^$1\$" "$tmp/out"
}

case $name in
*hello*)
	[ "$(wc -l <"$tmp/out")" -eq "$n" ] || fail "hello printed $(wc -l <"$tmp/out") lines, expected $n"
	i=0
	while [ "$i" -lt "$n" ]; do
		c=$(count_lines "accelerator $i of $n \\(transport shm\\)")
		[ "$c" -eq 1 ] || fail "hello: accelerator $i reported $c times"
		i=$((i + 1))
	done
	;;
*ring*)
	i=0
	while [ "$i" -lt "$n" ]; do
		left=$(((i + n - 1) % n))
		c=$(count_lines "accelerator $i: [0-9]+ rounds of [0-9]+ bytes from accelerator $left: OK")
		[ "$c" -eq 1 ] || fail "ring: accelerator $i reported OK from $left $c times"
		i=$((i + 1))
	done
	;;
*counter*)
	c=$(count_lines "counter = $((n * 1000)) \\($n accelerators x 1000 increments = $((n * 1000))\\): OK")
	[ "$c" -eq 1 ] || fail "counter: no single line with the exact total $((n * 1000))"
	;;
*signal*)
	c=$(count_lines "producer: sent [0-9]+ messages to each of $((n - 1)) consumers?")
	[ "$c" -eq 1 ] || fail "signal: the producer did not report"
	i=1
	while [ "$i" -lt "$n" ]; do
		c=$(count_lines "consumer $i: received [0-9]+ messages: OK")
		[ "$c" -eq 1 ] || fail "signal: consumer $i reported OK $c times"
		i=$((i + 1))
	done
	;;
*)
	fail "no output check for example $name"
	;;
esac

# A job that ends normally leaves nothing in /dev/shm.
assert_no_shm "$job"
note "ok"

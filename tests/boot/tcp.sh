# tcp.sh CASE BOOT_PROG - tests of the TCP rendezvous bootstrap on the loopback
# interface, through podfab-run (PODFAB_RUN).  Several launchers of one job
# play the hosts; boot-prog (boot-prog.c) is the program.
#
#   loopback        two launchers of 2 accelerators each (ids 0-1 and 2-3) meet
#                   at 127.0.0.1:PORT, the joiners' launcher first
#   missing         a job of 3 of which only 2 start: both fail within a few
#                   seconds (PODFAB_TIMEOUT_MS=2000), naming accelerator 2
#   dies            accelerator 1 exits after init while the others wait in a
#                   barrier: every other accelerator fails with EPEERDEAD
#   bad-rendezvous  malformed --rendezvous / PODFAB_RENDEZVOUS, an unknown host
#   mismatch        joiners with another job size, a taken id, another job name:
#                   accelerator 0 rejects them and they print why
#   threads         4 accelerators as threads of one process (params, no
#                   launcher), at 127.0.0.1, [::1] and localhost
#   options         --world/--first checks, --help, -v, one launcher over tcp,
#                   and --world/--first without tcp (the local bootstrap)
. "$(dirname "$0")/../integration/lib.sh"

case_name=${1:?usage: tcp.sh CASE BOOT_PROG}
PROG=${2:?usage: tcp.sh CASE BOOT_PROG}

# A port of 127.0.0.1 that is free now (another test may take it before us:
# the callers retry when accelerator 0 cannot listen).
free_port() {
	"$PROG" --free-port || fail "boot-prog --free-port"
}

# show FILE...: the files, for a failure report.
show() {
	for f in "$@"; do
		echo "--- $f:" >&2
		sed -n '1,40p' "$tmp/$f" >&2
	done
}

# launch NAME ARGS...: podfab-run ARGS in the background, output in $tmp/NAME.out/.err.
launch() {
	name=$1
	shift
	podfab_run "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	eval "pid_$name=\$!"
	it_pids="$it_pids $!"
}

# finish NAME: wait for it; its exit status in $rc_NAME.
finish() {
	eval "wait \$pid_$1"
	eval "rc_$1=\$?"
}

# The port was taken between free_port and the root's bind: try again.
port_taken() {
	grep -q "cannot listen on rendezvous" "$tmp"/*.err 2>/dev/null
}

now() {
	date +%s
}

case $case_name in
loopback)
	for try in 1 2 3; do
		port=$(free_port)
		rv=127.0.0.1:$port
		# The joiners first: they must wait for accelerator 0 to listen.
		launch b -n 2 --rendezvous "$rv" --world 4 --first 2 --timeout 60 "$PROG"
		sleep 0.3
		launch a -n 2 --rendezvous "$rv" --world 4 --first 0 --timeout 60 "$PROG"
		finish a
		finish b
		[ "$rc_a" -ne 0 ] && port_taken && { note "port $port was taken; again"; continue; }
		break
	done
	[ "$rc_a" -eq 0 ] && [ "$rc_b" -eq 0 ] || { show a.err b.err; fail "loopback job failed: $rc_a, $rc_b"; }
	for i in 0 1 2 3; do
		grep -q "accelerator $i of 4 ok" "$tmp/a.out" "$tmp/b.out" ||
			{ show a.out b.out; fail "accelerator $i did not report ok"; }
	done
	[ ! -s "$tmp/a.err" ] && [ ! -s "$tmp/b.err" ] || { show a.err b.err; fail "unexpected messages"; }
	# The ports are free again: a second job at the same rendezvous works.
	launch a -n 2 --rendezvous "$rv" --world 4 --first 0 --timeout 60 "$PROG"
	launch b -n 2 --rendezvous "$rv" --world 4 --first 2 --timeout 60 "$PROG"
	finish a
	finish b
	[ "$rc_a" -eq 0 ] && [ "$rc_b" -eq 0 ] || { show a.err b.err; fail "second job at $rv failed: $rc_a, $rc_b"; }
	note "2 x 2 accelerators met at $rv, twice"
	;;

missing)
	for try in 1 2 3; do
		port=$(free_port)
		rv=127.0.0.1:$port
		t0=$(now)
		export PODFAB_TIMEOUT_MS=2000
		launch a -n 1 --rendezvous "$rv" --world 3 --first 0 --timeout 60 "$PROG"
		launch b -n 1 --rendezvous "$rv" --world 3 --first 1 --timeout 60 "$PROG"
		finish a
		finish b
		t1=$(now)
		[ "$rc_a" -ne 0 ] && port_taken && { note "port $port was taken; again"; continue; }
		break
	done
	[ "$rc_a" -ne 0 ] && [ "$rc_b" -ne 0 ] || { show a.err b.err; fail "a job with a missing accelerator succeeded"; }
	[ "$rc_a" -ne 124 ] && [ "$rc_b" -ne 124 ] || { show a.err b.err; fail "the launchers' --timeout had to stop the job"; }
	[ $((t1 - t0)) -le 10 ] || fail "the failure took $((t1 - t0)) s (timeout 2 s)"
	for f in a b; do
		grep -q "PODFAB_ETIMEDOUT" "$tmp/$f.err" && grep -q "accelerator 2 of 3 never connected" "$tmp/$f.err" ||
			{ show a.err b.err; fail "$f: no ETIMEDOUT naming accelerator 2"; }
		grep -q "$rv" "$tmp/$f.err" || { show $f.err; fail "$f: the message does not name $rv"; }
	done
	note "both failed in $((t1 - t0)) s: $(grep -h ETIMEDOUT "$tmp/b.err" | head -n 1)"

	# Nobody listens at all: the joiner gives up after the timeout.
	port=$(free_port)
	t0=$(now)
	export PODFAB_TIMEOUT_MS=1000
	launch b -n 1 --rendezvous "127.0.0.1:$port" --world 2 --first 1 --timeout 60 "$PROG"
	finish b
	t1=$(now)
	[ "$rc_b" -ne 0 ] && [ $((t1 - t0)) -le 8 ] || fail "a joiner without a root: status $rc_b after $((t1 - t0)) s"
	grep -q "could not reach the rendezvous root (accelerator 0) at 127.0.0.1:$port within 1000 ms" "$tmp/b.err" ||
		{ show b.err; fail "the joiner's message does not say that the root never answered"; }
	;;

dies)
	for try in 1 2 3; do
		port=$(free_port)
		rv=127.0.0.1:$port
		t0=$(now)
		# Every accelerator alone in its launcher, so that no launcher stops a
		# survivor: accelerator 0 must notice the death itself and tell 2 and 3.
		launch a -n 1 --rendezvous "$rv" --world 4 --first 0 --timeout 60 "$PROG" --die 1
		launch d -n 1 --rendezvous "$rv" --world 4 --first 1 --timeout 60 "$PROG" --die 1
		launch b -n 1 --rendezvous "$rv" --world 4 --first 2 --timeout 60 "$PROG" --die 1
		launch c -n 1 --rendezvous "$rv" --world 4 --first 3 --timeout 60 "$PROG" --die 1
		finish a
		finish d
		finish b
		finish c
		t1=$(now)
		[ "$rc_a" -ne 0 ] && port_taken && { note "port $port was taken; again"; continue; }
		break
	done
	[ "$rc_d" -eq 3 ] || { show d.err; fail "accelerator 1 exited with $rc_d, not 3"; }
	[ "$rc_a" -eq 1 ] && [ "$rc_b" -eq 1 ] && [ "$rc_c" -eq 1 ] ||
		{ show a.err b.err c.err; fail "the survivors exited with $rc_a, $rc_b and $rc_c, not 1"; }
	[ $((t1 - t0)) -le 30 ] || fail "the failure took $((t1 - t0)) s"
	grep -q "accelerator 0: podfab_barrier: PODFAB_EPEERDEAD: accelerator 1 died" "$tmp/a.err" ||
		{ show a.err; fail "accelerator 0 does not report the death of accelerator 1"; }
	for f in b:2 c:3; do
		grep -q "accelerator ${f#*:}: podfab_barrier: PODFAB_EPEERDEAD: accelerator 1 died.*reported by the rendezvous root" \
			"$tmp/${f%:*}.err" || { show ${f%:*}.err; fail "accelerator ${f#*:} does not report the death of accelerator 1"; }
	done
	note "survivors failed in $((t1 - t0)) s: $(grep -h 'accelerator 2: podfab_barrier' "$tmp/b.err")"

	# The root dies: its joiners notice the closed connection (the first of
	# the two to fail makes its launcher stop the other: look for one).
	port=$(free_port)
	launch a -n 1 --rendezvous "127.0.0.1:$port" --world 3 --first 0 --timeout 60 "$PROG" --die 0
	launch b -n 2 --rendezvous "127.0.0.1:$port" --world 3 --first 1 --timeout 60 "$PROG" --die 0
	finish a
	finish b
	[ "$rc_a" -eq 3 ] && [ "$rc_b" -eq 1 ] || { show a.err b.err; fail "root death: status $rc_a and $rc_b"; }
	grep -q "PODFAB_EPEERDEAD: accelerator 0 (the rendezvous root at 127.0.0.1:$port) died" "$tmp/b.err" ||
		{ show b.err; fail "the joiners do not report the root's death"; }
	;;

bad-rendezvous)
	expect_usage() { # MESSAGE ARGS...
		want=$1
		shift
		podfab_run -n 1 "$@" "$PROG" >"$tmp/out" 2>"$tmp/err"
		r=$?
		[ "$r" -eq 2 ] || fail "podfab-run $*: status $r, not 2"
		grep -q -- "$want" "$tmp/err" || fail "podfab-run $*: no '$want'"
	}
	expect_usage "has no port: expected HOST:PORT" --rendezvous 127.0.0.1
	expect_usage "the port must be a number from 1 to 65535" --rendezvous 127.0.0.1:0
	expect_usage "the port must be a number from 1 to 65535" --rendezvous 127.0.0.1:99999
	expect_usage "the port must be a number from 1 to 65535" --rendezvous host:
	expect_usage "has no host" --rendezvous :5000
	expect_usage "IPv6 address in brackets" --rendezvous ::1:5000
	expect_usage "expected \[IPV6\]:PORT" --rendezvous "[::1]5000"

	# The library checks PODFAB_RENDEZVOUS too (no launcher).
	expect_env() { # MESSAGE VALUE
		PODFAB_BOOT=tcp PODFAB_RENDEZVOUS=$2 PODFAB_JOB=bad$$ PODFAB_ACCEL_ID=1 PODFAB_NACCELS=2 \
			PODFAB_TIMEOUT_MS=3000 $PODFAB_IT_WRAPPER "$PROG" >"$tmp/out" 2>"$tmp/err"
		r=$?
		[ "$r" -eq 1 ] || fail "PODFAB_RENDEZVOUS='$2': status $r, not 1"
		grep -q -- "$1" "$tmp/err" || fail "PODFAB_RENDEZVOUS='$2': no '$1'"
	}
	expect_env "PODFAB_EENV: the tcp bootstrap needs PODFAB_RENDEZVOUS=HOST:PORT" ""
	expect_env "PODFAB_EENV: PODFAB_RENDEZVOUS='127.0.0.1' has no port" 127.0.0.1
	expect_env "the port must be a number from 1 to 65535" 127.0.0.1:0
	expect_env "the port must be a number from 1 to 65535" 127.0.0.1:99999
	expect_env "write an IPv6 address in brackets" ::1:80
	expect_env "cannot resolve host 'no-such-host.invalid'" no-such-host.invalid:5000

	# Through the launcher: an unknown host fails every accelerator, quickly.
	t0=$(now)
	export PODFAB_TIMEOUT_MS=3000
	podfab_run -n 2 --rendezvous no-such-host.invalid:5000 --timeout 60 "$PROG" \
		>"$tmp/out" 2>"$tmp/err"
	r=$?
	t1=$(now)
	[ "$r" -eq 1 ] || fail "unknown host: status $r"
	[ $((t1 - t0)) -le 10 ] || fail "unknown host: $((t1 - t0)) s"
	grep -q "rendezvous no-such-host.invalid:5000: cannot resolve host 'no-such-host.invalid'" "$tmp/err" ||
		fail "unknown host: no clear message"
	note "$(grep -h -m 1 'cannot resolve' "$tmp/err")"
	;;

mismatch)
	export PODFAB_TIMEOUT_MS=2000
	for try in 1 2 3; do
		port=$(free_port)
		rv=127.0.0.1:$port
		launch a -n 1 --rendezvous "$rv" --world 3 --first 0 --timeout 60 "$PROG"
		launch b -n 1 --rendezvous "$rv" --world 3 --first 1 --timeout 60 "$PROG"
		sleep 0.5
		launch c -n 1 --rendezvous "$rv" --world 4 --first 2 --timeout 60 "$PROG"
		launch d -n 1 --rendezvous "$rv" --world 3 --first 1 --timeout 60 "$PROG"
		launch e -n 1 --rendezvous "$rv" --world 3 --first 2 --job other --timeout 60 "$PROG"
		for x in a b c d e; do finish $x; done
		[ "$rc_a" -ne 0 ] && port_taken && { note "port $port was taken; again"; continue; }
		break
	done
	for x in a b c d e; do
		eval "r=\$rc_$x"
		[ "$r" -eq 1 ] || { show a.err b.err c.err d.err e.err; fail "launcher $x: status $r, not 1"; }
	done
	grep -q "PODFAB_EMISMATCH: the rendezvous root at $rv rejected accelerator 2: job 'rv-127-0-0-1-$port-[0-9a-f]*' has 3 accelerators, but accelerator 2 says 4" "$tmp/c.err" ||
		{ show c.err; fail "the wrong job size is not explained"; }
	grep -q "rejected accelerator 1: accelerator 1 of job .* has already joined" "$tmp/d.err" ||
		{ show d.err; fail "the taken id is not explained"; }
	grep -q "rejected accelerator 2: this rendezvous serves job 'rv-127-0-0-1-$port-[0-9a-f]*', not job 'other'" "$tmp/e.err" ||
		{ show e.err; fail "the wrong job name is not explained"; }
	grep -q "accelerator 2 of 3 never connected" "$tmp/a.err" || { show a.err; fail "the root does not name accelerator 2"; }
	note "$(grep -h PODFAB_EMISMATCH "$tmp/c.err")"
	;;

threads)
	hosts="127.0.0.1 localhost"
	if ip -6 addr show dev lo 2>/dev/null | grep -q "inet6 ::1"; then
		hosts="$hosts [::1]"
	else
		note "no ::1 on lo: IPv6 not tried"
	fi
	for h in $hosts; do
		for try in 1 2 3; do
			port=$(free_port)
			PODFAB_BOOT=tcp PODFAB_RENDEZVOUS=$h:$port PODFAB_JOB=bt$$-$try PODFAB_TIMEOUT_MS=20000 \
				timeout 60 $PODFAB_IT_WRAPPER "$PROG" --threads 4 >"$tmp/out" 2>"$tmp/err"
			r=$?
			[ "$r" -ne 0 ] && grep -q "cannot listen on rendezvous" "$tmp/err" && continue
			break
		done
		[ "$r" -eq 0 ] || { show err; fail "4 threads over tcp at $h:$port: status $r"; }
		[ "$(grep -c 'of 4 ok' "$tmp/out")" -eq 4 ] || fail "4 threads over tcp at $h: not all ok"
		note "4 threads met at $h:$port"
	done
	;;

options)
	expect_usage() { # MESSAGE ARGS...
		want=$1
		shift
		podfab_run "$@" "$PROG" >"$tmp/out" 2>"$tmp/err"
		r=$?
		[ "$r" -eq 2 ] || fail "podfab-run $*: status $r, not 2"
		grep -q -- "$want" "$tmp/err" || fail "podfab-run $*: no '$want'"
	}
	expect_usage "--first 1 needs --world N" -n 2 --first 1
	expect_usage "-n 4 is more than --world 2" -n 4 --world 2 --job j
	expect_usage "--first 3 with -n 2 makes accelerators 3..4, but --world 4 has ids 0..3 only" \
		-n 2 --world 4 --first 3 --rendezvous 127.0.0.1:5000
	expect_usage "give them all the same --job NAME" -n 2 --world 4
	expect_usage "--world '0': expected a whole number from 1 to 65536" -n 2 --world 0
	expect_usage "--first '-1': expected a whole number" -n 2 --world 4 --first -1
	podfab_run --help | grep -q -- "--rendezvous HOST:PORT" || fail "--help does not describe --rendezvous"

	# One launcher, the whole job, over tcp; -v says who is who.
	for try in 1 2 3; do
		port=$(free_port)
		podfab_run -v -n 3 --rendezvous "127.0.0.1:$port" --timeout 60 "$PROG" >"$tmp/out" 2>"$tmp/err"
		r=$?
		[ "$r" -ne 0 ] && grep -q "cannot listen on rendezvous" "$tmp/err" && continue
		break
	done
	[ "$r" -eq 0 ] || fail "one launcher over tcp: status $r"
	grep -q "accelerators 0..2 of 3, rendezvous 127.0.0.1:$port" "$tmp/err" || fail "-v: no rendezvous line"
	grep -q "job rv-127-0-0-1-$port-" "$tmp/err" || fail "-v: the job name is not derived from the rendezvous"

	# --world and --first on one host without tcp: two launchers, the local bootstrap.
	new_job w
	launch b -n 2 --world 4 --first 2 --job "$job" --timeout 60 "$PROG"
	launch a -n 2 --world 4 --first 0 --job "$job" --timeout 60 "$PROG"
	finish a
	finish b
	[ "$rc_a" -eq 0 ] && [ "$rc_b" -eq 0 ] || { show a.err b.err; fail "--world/--first with the local bootstrap: $rc_a, $rc_b"; }
	grep -q "accelerator 3 of 4 ok" "$tmp/b.out" || { show b.out; fail "accelerator 3 did not report"; }
	;;

*)
	fail "unknown case '$case_name'"
	;;
esac
echo "ok: boot-tcp-$case_name"
exit 0

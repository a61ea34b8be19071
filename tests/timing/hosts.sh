# hosts.sh CASE HOSTS_PROG - timed jobs whose accelerators sit on several
# hosts, played on one machine with PODFAB_HOSTS=N (accelerators id / N are
# one host; each host keeps its own timing region, podfab(7) "Across hosts").
#
#   pingpong  a token 3 times round the ring with put-with-signal (8 B from
#             0, 64 KiB from the others; hosts-prog.c): accelerator 0's model
#             time is the same within 1% (contention of one host) with 2
#             accelerators on one host and on two, and with 4 on one host, 2
#             hosts of 2 and 4 hosts of 1
#             (the arrival time of a write travels with it to another host)
#   incast    2 senders put 1 MiB each into accelerator 0 at time 0: on one
#             host they share the link into it (the later ends at about twice
#             a lone sender's time); each on its own host neither delays the
#             other (each ends at a lone sender's time)
#   report    accelerator 0's PODFAB_STATS of a job of 2 hosts counts every
#             host's messages on every link and every accelerator's clock:
#             the same counts as the job on one host
#   realtime  the pingpong in realtime mode across 2 hosts (model time 0 set
#             on both hosts' regions together) ends, with the bytes checked
#   stat      while a job of 2 hosts holds, each host has its region and
#             podfab-stat reads accelerator 0's and lists the job once
. "$(dirname "$0")/../integration/lib.sh"

case_name=${1:?usage: hosts.sh CASE HOSTS_PROG}
PROG=${2:?usage: hosts.sh CASE HOSTS_PROG}

# run NAME HOSTS N MODE PROG-ARGS...: podfab-run -n N with PODFAB_HOSTS=HOSTS ('' = unset).
run() {
	name=$1 hosts=$2 n=$3 mode=$4
	shift 4
	if [ -n "$hosts" ]; then
		PODFAB_HOSTS=$hosts podfab_run -n "$n" --timing "$mode" --timeout 60 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	else
		env -u PODFAB_HOSTS -u PODFAB_HYBRID_HOSTS \
			$PODFAB_IT_WRAPPER "$PODFAB_RUN" -n "$n" --timing "$mode" --timeout 60 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	fi
	rc=$?
	cp "$tmp/$name.out" "$tmp/out"
	cp "$tmp/$name.err" "$tmp/err"
	[ "$rc" -eq 0 ] || fail "$name (PODFAB_HOSTS='$hosts', -n $n, $mode) exited with status $rc"
}

# field NAME KEY: the number after KEY in NAME's output.
field() {
	awk -v k="$2" '$1 == k { print $NF }' "$tmp/$1.out" | head -n 1
}

# close A B TOL: |A - B| <= TOL * B
close() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t * b) }'
}

case $case_name in
pingpong)
	run one "" 2 virtual "$PROG" pingpong
	run two1 1 2 virtual "$PROG" pingpong
	run four "" 4 virtual "$PROG" pingpong
	run four2 2 4 virtual "$PROG" pingpong
	run four1 1 4 virtual "$PROG" pingpong
	a=$(field one pingpong)
	[ -n "$a" ] || fail "no pingpong time printed"
	close "$a" 1 1e9 && awk -v a="$a" 'BEGIN { exit !(a > 0) }' || fail "pingpong time '$a' is not positive"
	for r in two1 four four2 four1; do
		b=$(field $r pingpong)
		echo "# pingpong: $r $b ns (one host, 2 accelerators: $a ns)"
		[ -n "$b" ] || fail "$r: no pingpong time printed"
	done
	# Within 1%: on one host the token's messages and their responses, and the
	# barriers' messages, meet on links (contention that hosts apart do not
	# see); without the arrival times carried across hosts, 2 hosts give
	# 25% less and 4 hosts of 1 a third.
	close "$(field two1 pingpong)" "$a" 0.01 ||
		fail "2 accelerators on 2 hosts took $(field two1 pingpong) ns of model time, on one host $a ns"
	f=$(field four pingpong)
	for r in four2 four1; do
		close "$(field $r pingpong)" "$f" 0.01 ||
			fail "4 accelerators, $r: $(field $r pingpong) ns of model time, on one host $f ns"
	done
	echo "ok: the model time of a ping-pong does not depend on how accelerators are spread over hosts"
	;;
incast)
	run lone "" 3 virtual "$PROG" incast 1
	run shared "" 3 virtual "$PROG" incast
	run apart 1 3 virtual "$PROG" incast
	t=$(field lone incast)
	[ -n "$t" ] || fail "no incast time printed"
	s1=$(awk '$1 == "incast" && $2 == 1 { print $3 }' "$tmp/shared.out")
	s2=$(awk '$1 == "incast" && $2 == 2 { print $3 }' "$tmp/shared.out")
	p1=$(awk '$1 == "incast" && $2 == 1 { print $3 }' "$tmp/apart.out")
	p2=$(awk '$1 == "incast" && $2 == 2 { print $3 }' "$tmp/apart.out")
	echo "# lone sender $t ns; one host: $s1 and $s2 ns; a host each: $p1 and $p2 ns"
	[ -n "$s1" ] && [ -n "$s2" ] && [ -n "$p1" ] && [ -n "$p2" ] || fail "missing incast times"
	later=$(awk -v a="$s1" -v b="$s2" 'BEGIN { print (a > b ? a : b) }')
	awk -v l="$later" -v t="$t" 'BEGIN { exit !(l >= 1.8 * t) }' ||
		fail "on one host the later of 2 senders ended at $later ns, a lone sender at $t ns: no contention modelled"
	# (within 2%: on one host the lone sender also meets the others' barrier messages)
	close "$p1" "$t" 0.02 && close "$p2" "$t" 0.02 ||
		fail "senders on separate hosts ended at $p1 and $p2 ns, a lone sender at $t ns"
	echo "ok: contention is modelled among a host's accelerators, not across hosts"
	;;
report)
	run one "" 4 virtual --stats "$tmp/one.json" "$PROG" pingpong
	run two 2 4 virtual --stats "$tmp/two.json" --report "$PROG" pingpong
	for j in one two; do
		[ -s "$tmp/$j.json" ] || fail "no PODFAB_STATS file from the $j-host run"
		n=$(grep -c '"state": "finished"' "$tmp/$j.json")
		[ "$n" -eq 4 ] || fail "$j-host run: $n of 4 accelerators finished in the report"
		grep -o '"dlink": [0-9]*, [^}]*"messages": [0-9]*' "$tmp/$j.json" |
			sed 's/"dlink": \([0-9]*\),.*"messages": \([0-9]*\)/\1 \2/' >"$tmp/$j.msgs"
	done
	total=$(awk '{ s += $2 } END { print s + 0 }' "$tmp/one.msgs")
	[ "$total" -gt 0 ] || fail "the one-host report counts no messages"
	cmp -s "$tmp/one.msgs" "$tmp/two.msgs" || {
		diff "$tmp/one.msgs" "$tmp/two.msgs" | head -n 20 >&2
		fail "the 2-host report's message counts per link differ from the one-host report's"
	}
	t1=$(sed -n 's/.*"timing": "virtual", "dilation": [0-9.e+-]*, "time_ns": \([0-9.e+-]*\),.*/\1/p' "$tmp/one.json")
	t2=$(sed -n 's/.*"timing": "virtual", "dilation": [0-9.e+-]*, "time_ns": \([0-9.e+-]*\),.*/\1/p' "$tmp/two.json")
	# (the barriers' messages meet on one host's links only: within 1%)
	[ -n "$t1" ] && close "$t2" "$t1" 0.01 || fail "job model time: 2 hosts '$t2', one host '$t1'"
	grep -q "virtual time .* over 4 accelerators" "$tmp/two.err" ||
		fail "podfab-run --report printed no job summary for the 2-host job"
	echo "ok: $total messages on the same links, job time $t2 ns, in both reports"
	;;
realtime)
	run rt 2 4 realtime "$PROG" pingpong
	v=$(field rt pingpong)
	[ -n "$v" ] && awk -v a="$v" 'BEGIN { exit !(a > 0) }' || fail "realtime pingpong printed '$v'"
	run rt1 1 2 realtime "$PROG" pingpong
	echo "ok: realtime across hosts: pingpong $v ns (4 on 2 hosts), $(field rt1 pingpong) ns (2 on 2 hosts)"
	;;
stat)
	# podfab-stat on this machine sees both hosts' regions (2 hosts of 2);
	# -j reads accelerator 0's, and the list names the job once.
	PODFAB_HOSTS=2 podfab_run -n 4 --timing virtual --timeout 90 --job hs$$ "$PROG" hold "$tmp" \
		>"$tmp/hold.out" 2>"$tmp/hold.err" &
	pid=$!
	it_pids="$it_pids $pid"
	it_jobs="$it_jobs hs$$"
	for i in $(seq 1 600); do
		[ -e "$tmp/ready.0" ] && [ -e "$tmp/ready.1" ] && [ -e "$tmp/ready.2" ] && [ -e "$tmp/ready.3" ] && break
		sleep 0.1
	done
	[ -e "$tmp/ready.3" ] || { touch "$tmp/go"; fail "the accelerators did not get ready"; }
	ls /dev/shm/podfab.hs$$.timing /dev/shm/podfab.hs$$.timing.2 >/dev/null 2>&1 ||
		{ touch "$tmp/go"; fail "no region per host: $(ls /dev/shm | grep "hs$$" | tr '\n' ' ')"; }
	"$(dirname "$PODFAB_RUN")/podfab-stat" -j hs$$ --json >"$tmp/stat.json" 2>"$tmp/stat.err"
	src=$?
	"$(dirname "$PODFAB_RUN")/podfab-stat" >"$tmp/list.out" 2>"$tmp/list.err"
	lrc=$?
	touch "$tmp/go"
	wait $pid || fail "the held job failed"
	[ "$src" -eq 0 ] || fail "podfab-stat -j: status $src: $(cat "$tmp/stat.err")"
	n=$(grep -o '"state": "attached"' "$tmp/stat.json" | wc -l)
	[ "$n" -eq 2 ] || fail "podfab-stat -j of accelerator 0's host showed $n accelerators attached (2 expected)"
	[ "$lrc" -eq 0 ] || fail "podfab-stat without -j: status $lrc: $(cat "$tmp/list.err")"
	c=$(cat "$tmp/list.out" "$tmp/list.err" | grep -c "hs$$")
	[ "$c" -ge 1 ] || fail "podfab-stat without -j did not name job hs$$"
	grep -q "hs$$.timing" "$tmp/list.out" "$tmp/list.err" && fail "podfab-stat listed a region name, not the job"
	[ -e /dev/shm/podfab.hs$$.timing.2 ] && fail "the second host's region outlived the job"
	echo "ok: podfab-stat reads a job of 2 hosts on one machine"
	;;
*)
	fail "unknown case $case_name"
	;;
esac
exit 0

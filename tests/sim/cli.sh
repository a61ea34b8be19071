#!/usr/bin/env bash
# cli.sh PODFAB_SIM MODELS_DIR - the podfab-sim command (podfab-sim(1)) from
# the outside; its engine is tested through the API by test_sim.c:
#   1. every traffic pattern that --list names runs in both modes, alone on
#      three models and together with the others on every bundled model
#      (MODELS_DIR/*.yaml; at most 8 accelerators of it, through accels=):
#      exit 0, a positive completion time, the expected number of operations
#      and payload bytes;
#   2. --json, --csv, --trace, --dot and --histogram write what they promise,
#      consistent with the summary and with each other;
#   3. the same command twice writes the same bytes; another --seed does not;
#   4. bad input exits 2 (usage) or 1 (model, traffic) with a message naming
#      the problem, and prints no summary;
#   5. with standard error not a terminal there is no progress bar (\r).
# Every failed check prints what was expected and what was got; the script
# goes on and exits 1 at the end if any check failed.

# meson starts it through it-driver, which runs /bin/sh: carry on in bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: cli.sh PODFAB_SIM MODELS_DIR" >&2
	exit 2
fi
podfab_sim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
models=$(cd "$2" && pwd)
[ -x "$podfab_sim" ] || { echo "FAIL: $1 is not an executable" >&2; exit 1; }
# python3 by its real path: a version manager's shim (pyenv) costs more than the check.
python=$(python3 -c 'import sys; print(sys.executable)') ||
	{ echo "FAIL: python3 is needed (tools/dev.sh installs it)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/podfab-sim-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

nfail=0
nchecks=0
t0=${EPOCHREALTIME/,/.}
# section WHAT: a line for the log, with the seconds since the last one.
section() {
	local t=${EPOCHREALTIME/,/.}
	printf '# %s (%.1f s)\n' "$1" "$(awk -v a="$t0" -v b="$t" 'BEGIN { print b - a }')"
	t0=$t
}
fail() {
	printf 'FAIL: %s\n' "$*"
	nfail=$((nfail + 1))
}

# run ARGS...: podfab-sim ARGS, stdout in $tmp/out, stderr in $tmp/err, exit
# status in $rc, the command line (for messages) in $cmd.
rc=0
cmd=
run() {
	cmd="podfab-sim $*"
	rc=0
	"$podfab_sim" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
	parse_summary
}

# stderr_tail: the end of the last run's standard error, for messages.
stderr_tail() {
	tail -c 1500 "$tmp/err"
}

# run_ok ARGS...: run, and a failed check (returning 1) unless it exited 0.
run_ok() {
	run "$@"
	nchecks=$((nchecks + 1))
	if [ "$rc" -ne 0 ]; then
		fail "$cmd: expected exit status 0, got $rc; stderr: $(stderr_tail)"
		return 1
	fi
}

# The last run's summary (podfab-sim(1), DESCRIPTION), parsed without a
# process per field (forks are most of this script's time): s_ops, s_bytes,
# s_hops, s_end_us, s_naccels, s_nlinks; empty where it printed none.
parse_summary() {
	local line
	s_ops='' s_bytes='' s_hops='' s_end_us='' s_naccels='' s_nlinks=''
	while IFS= read -r line; do
		case $line in
		"operations: "*) read -r _ s_ops s_bytes _ <<<"$line" && s_bytes=${s_bytes//[()]/} ;;
		"request-hops: "*) read -r _ s_hops _ <<<"$line" ;;
		"completion time: "*) read -r _ _ s_end_us _ <<<"$line" ;;
		"model: "*)
			if [[ $line =~ \(([0-9]+)\ accelerators,\ ([0-9]+)\ links\)$ ]]; then
				s_naccels=${BASH_REMATCH[1]} s_nlinks=${BASH_REMATCH[2]}
			fi ;;
		esac
	done <"$tmp/out"
}

# expect_eq WHAT WANT GOT
expect_eq() {
	nchecks=$((nchecks + 1))
	[ "$2" = "$3" ] || fail "$cmd: $1: expected '$2', got '$3'"
}

# expect_positive WHAT VALUE
expect_positive() {
	nchecks=$((nchecks + 1))
	[[ $2 =~ ^[0-9]*\.?[0-9]+$ && $2 =~ [1-9] ]] ||
		fail "$cmd: $1: expected a positive number, got '$2'"
}

# expect_in FILE TEXT: FILE (of the last run) contains TEXT.
expect_in() {
	nchecks=$((nchecks + 1))
	grep -qF -- "$2" "$1" || fail "$cmd: expected '$2' in $(basename "$1"), got: $(tail -c 1500 "$1")"
}

ceil_div() {
	echo $((($1 + $2 - 1) / $2))
}

# ---- 0. --help, --version, --list -------------------------------------------

run_ok --help && {
	expect_in "$tmp/out" "usage: podfab-sim"
	for o in --seed --window --mode --json --csv --trace --trace-every --dot --histogram \
		--quiet --progress --list --version; do
		expect_in "$tmp/out" "$o"
	done
}
run_ok --version && expect_in "$tmp/out" "podfab-sim "
run_ok --list
patterns=$(awk '/^  [^ ]/ { print $1 }' "$tmp/out")
for p in uniform permutation shift alltoall allreduce-ring allreduce-tree incast trace; do
	nchecks=$((nchecks + 1))
	grep -qx -- "$p" <<<"$patterns" || fail "podfab-sim --list: expected pattern '$p', got: $(tr '\n' ' ' <<<"$patterns")"
done

# ---- 1. every pattern on every model, both modes -----------------------------

# The trace replayed: 4 operations, 4096 + 256 + 8 + 1000 bytes, accelerators 0..3.
cat >ops.trace <<'EOF'
# TIME_NS SRC DST OP BYTES
0      0  1  write  4KiB
125.5  3  0  read   256

200    1  2  atomic 8      # a comment after the fields
300	2	3	write	1KB
EOF

# traffic PATTERN N ALL: sets spec, want_ops and want_bytes for the pattern on N
# accelerators (all of the model's when ALL is 1, else through accels=N).
traffic() {
	local p=$1 n=$2 acc=
	[ "$3" -eq 1 ] || acc=",accels=$2"
	case $p in
	uniform)
		spec="uniform:ops=3,bytes=512,load=0.5$acc"
		want_ops=$((n * 3)) want_bytes=$((n * 3 * 512)) ;;
	permutation)
		spec="permutation:ops=3,op=atomic,bytes=8$acc"
		want_ops=$((n * 3)) want_bytes=$((n * 3 * 8)) ;;
	shift)
		spec="shift:k=1,ops=2,bytes=1KiB$acc"
		want_ops=$((n * 2)) want_bytes=$((n * 2 * 1024)) ;;
	alltoall)
		spec="alltoall:bytes=1KiB$acc"
		want_ops=$((n * (n - 1))) want_bytes=$((n * (n - 1) * 1024)) ;;
	allreduce-ring) # 2(n-1) steps of n writes of ceil(bytes / n)
		spec="allreduce-ring:bytes=64KiB$acc"
		want_ops=$((2 * (n - 1) * n)) want_bytes=$((2 * (n - 1) * n * $(ceil_div 65536 "$n"))) ;;
	allreduce-tree) # n-1 writes up the tree, n-1 down
		spec="allreduce-tree:bytes=16KiB$acc"
		want_ops=$((2 * (n - 1))) want_bytes=$((2 * (n - 1) * 16384)) ;;
	incast)
		spec="incast:dst=1,ops=3$acc"
		want_ops=$(((n - 1) * 3)) want_bytes=$(((n - 1) * 3 * 256)) ;;
	hotspot)
		spec="hotspot:frac=0.5,ops=3,op=read$acc"
		want_ops=$((n * 3)) want_bytes=$((n * 3 * 256)) ;;
	trace)
		spec="trace:$tmp/ops.trace"
		want_ops=4 want_bytes=$((4096 + 256 + 8 + 1000)) ;;
	*)
		return 1 ;;
	esac
}

# sizes MODEL: n (at most 8) and all (1 when that is all of the model's
# accelerators) for MODEL, from the summary of a 2-operation run.
sizes() {
	run_ok "$1" incast:ops=1,accels=2 || return 1
	local naccels=$s_naccels
	if ! [[ $naccels =~ ^[0-9]+$ ]] || [ "$naccels" -lt 4 ]; then
		fail "$cmd: expected at least 4 accelerators (ops.trace uses 0..3), got '$naccels'"
		return 1
	fi
	n=$((naccels < 8 ? naccels : 8))
	all=$((n == naccels ? 1 : 0))
}

# 1a. Each pattern alone, in both modes, on three models: its own operations,
# bytes and completion time.  A process costs more than these few operations
# (about 0.1 s under ASan, 1 s to build a 1024-accelerator model there), so
# 1b runs all the patterns together, one process per model and mode.
for model in "$models/pod-4-explicit.yaml" "$models/default.yaml" "$models/ualink-pod-64.yaml"; do
	sizes "$model" || continue
	for p in $patterns; do
		if ! traffic "$p" "$n" "$all"; then
			fail "pattern '$p' (podfab-sim --list) has no case in tests/sim/cli.sh: add one"
			continue
		fi
		for mode in request flow; do
			run_ok --mode "$mode" "$model" "$spec" || continue
			expect_eq "operations" "$want_ops" "$s_ops"
			expect_eq "payload bytes" "$want_bytes" "$s_bytes"
			expect_positive "completion time (us)" "$s_end_us"
			expect_positive "request-hops" "$s_hops"
		done
	done
done
section "1a. $(wc -w <<<"$patterns") patterns alone x 3 models x 2 modes"

# 1b. Every pattern on every bundled model, together in one run per mode: the
# operations and bytes of all of them.
nmodels=0
for model in "$models"/*.yaml; do
	[ -e "$model" ] || continue
	nmodels=$((nmodels + 1))
	sizes "$model" || continue
	specs=()
	sum_ops=0 sum_bytes=0 parts=
	for p in $patterns; do
		traffic "$p" "$n" "$all" || continue # reported in 1a
		specs+=("$spec")
		sum_ops=$((sum_ops + want_ops)) sum_bytes=$((sum_bytes + want_bytes))
		parts="$parts $p $want_ops,"
	done
	for mode in request flow; do
		run_ok --mode "$mode" "$model" "${specs[@]}" || continue
		expect_eq "operations (${parts# })" "$sum_ops" "$s_ops"
		expect_eq "payload bytes" "$sum_bytes" "$s_bytes"
		expect_positive "completion time (us)" "$s_end_us"
		expect_positive "request-hops" "$s_hops"
	done
done
nchecks=$((nchecks + 1))
[ "$nmodels" -ge 1 ] || fail "no models in $models/*.yaml"
section "1b. $(wc -w <<<"$patterns") patterns together x $nmodels models x 2 modes"

# ---- 2. output files ---------------------------------------------------------

cat >check_outputs.py <<'EOF'
# check_outputs.py MODE OPS HOPS NLINKS JSON CSV TRACE HISTOGRAM: the files of one
# run against its summary (operations, request-hops, links of the model) and
# against each other; prints what is wrong, exits 1 if anything is.
import csv, json, re, sys
import xml.etree.ElementTree as ET

mode, ops, hops, nlinks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fjson, fcsv, ftrace, fhist = sys.argv[5:9]
bad = []
def check(ok, what):
    if not ok:
        bad.append(what)

def load(what, path, parse):
    try:
        with open(path, newline="") as f:
            return parse(f)
    except Exception as e:  # a file that does not parse is a failed check, not a traceback
        bad.append(f"{what} {path}: does not parse: {type(e).__name__}: {e}")
        return None

FIELDS = ["link", "dlink", "from", "to", "class", "messages", "bytes", "wire_bytes", "flits",
          "busy_ns", "queue_ns", "replays", "utilisation"]

j = load("JSON", fjson, json.load)
j = j if isinstance(j, dict) else {}
s = j.get("summary", {})
check(s.get("ops") == ops, f"JSON summary.ops: expected {ops} (stdout), got {s.get('ops')}")
check(s.get("hops") == hops, f"JSON summary.hops: expected {hops} (stdout), got {s.get('hops')}")
check(isinstance(s.get("end_ns"), (int, float)) and s["end_ns"] > 0,
      f"JSON summary.end_ns: expected > 0, got {s.get('end_ns')}")
links = j.get("links", [])
for l in links:
    missing = [k for k in FIELDS if k not in l]
    check(not missing, f"JSON link {l}: missing {missing}")
check(all(l.get("messages", 0) > 0 for l in links), "JSON lists a link that carried no messages")
msum = sum(l.get("messages", 0) for l in links)
check(msum == hops, f"JSON: messages over all links: expected {hops} (request-hops), got {msum}")
jl = {l.get("dlink"): l for l in links}
check(len(jl) == len(links), "JSON: a dlink listed twice")

rows = load("CSV", fcsv, lambda f: list(csv.reader(f))) or []
header, data = (rows[0], rows[1:]) if rows else ([], [])
check(all(k in header for k in FIELDS), f"CSV header: expected the fields {FIELDS}, got {header}")
check(len(data) == 2 * nlinks,
      f"CSV rows: expected {2 * nlinks} (one per directed link of {nlinks} links), got {len(data)}")
if all(k in header for k in FIELDS):
    col = {k: header.index(k) for k in FIELDS}
    by = {}
    for r in data:
        check(len(r) == len(header), f"CSV row {r}: {len(r)} fields, header has {len(header)}")
        if len(r) == len(header):
            by[int(r[col["dlink"]])] = r
    check(sorted(by) == list(range(2 * nlinks)),
          f"CSV dlinks: expected 0..{2 * nlinks - 1}, got {sorted(by)[:10]}...")
    used = [d for d, r in by.items() if int(r[col["messages"]]) > 0]
    check(sorted(used) == sorted(jl),
          f"CSV links with messages {sorted(used)} are not the JSON's links {sorted(jl)}")
    for d, l in jl.items():
        r = by.get(d)
        if r is None:
            continue
        for k in ("from", "to", "class", "messages", "bytes", "flits", "replays"):
            got = r[col[k]]
            check(got == str(l[k]), f"dlink {d} {k}: JSON {l[k]}, CSV {got}")
        check(abs(float(r[col["busy_ns"]]) - l["busy_ns"]) <= 1e-6 * max(1.0, l["busy_ns"]),
              f"dlink {d} busy_ns: JSON {l['busy_ns']}, CSV {r[col['busy_ns']]}")

t = load("trace", ftrace, json.load)
ev = t.get("traceEvents") if isinstance(t, dict) else None
check(isinstance(ev, list), "trace: no traceEvents list")
ev = ev or []
xs = [e for e in ev if e.get("ph") == "X"]
named = {e.get("pid"): e.get("args", {}).get("name", "") for e in ev if e.get("ph") == "M"}
if mode == "request":
    # --trace-every 1: every request and response at every hop
    check(len(xs) == hops, f"trace: expected {hops} complete events (request-hops), got {len(xs)}")
else:
    check(len(xs) == 0, f"trace in flow mode: expected no events (podfab-sim(1)), got {len(xs)}")
for e in xs[:100000]:
    ok = (isinstance(e.get("pid"), int) and isinstance(e.get("tid"), int)
          and e.get("ts", -1) >= 0 and e.get("dur", -1) >= 0)
    check(ok, f"trace event {e}: expected integer pid and tid, ts >= 0, dur >= 0")
    check(re.match(r"dlink %d " % e.get("pid", -1), named.get(e.get("pid"), "")) is not None,
          f"trace event {e}: its pid has no process_name 'dlink {e.get('pid')} ...'")
    if bad:
        break

root = load("histogram", fhist, lambda f: ET.parse(f).getroot())
root = root if root is not None else ET.Element("none")
check(root.tag == "{http://www.w3.org/2000/svg}svg", f"histogram: expected an <svg> root, got {root.tag}")
counts = 0
for title in root.iter("{http://www.w3.org/2000/svg}title"):
    m = re.search(r": (\d+)$", title.text or "")
    check(m is not None, f"histogram: bin title '{title.text}' ends in no count")
    counts += int(m.group(1)) if m else 0
check(counts == ops, f"histogram: expected bins counting {ops} operations, got {counts}")

for b in bad[:20]:
    print(b)
sys.exit(1 if bad else 0)
EOF

# xml_ok FILE: FILE is well-formed XML.
xml_ok() {
	"$python" -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1" 2>&1
}

have_dot=1
command -v dot >/dev/null || {
	have_dot=0
	echo "SKIP: Graphviz's dot is missing: --dot output not rendered with dot -Tsvg"
}

# outputs TAG MODE MODEL TRAFFIC...: one run with every output file, checked.
outputs() {
	local tag=$1 mode=$2 model=$3
	shift 3
	local d="$tmp/out-$tag"
	mkdir -p "$d"
	run_ok --mode "$mode" --json "$d/links.json" --csv "$d/links.csv" --trace "$d/trace.json" \
		--trace-every 1 --dot "$d/util.dot" --histogram "$d/lat.svg" "$model" "$@" || return 0
	local ops hops nlinks msg
	ops=$s_ops hops=$s_hops nlinks=$s_nlinks
	nchecks=$((nchecks + 1))
	msg=$("$python" check_outputs.py "$mode" "$ops" "$hops" "$nlinks" "$d/links.json" "$d/links.csv" \
		"$d/trace.json" "$d/lat.svg" 2>&1) || fail "$cmd: $msg"

	# The Graphviz source: one edge per link, and dot renders it.
	expect_eq "first word of util.dot" "graph" "$(head -c 5 "$d/util.dot")"
	expect_eq "edges in util.dot" "$nlinks" "$(grep -c -- ' -- ' "$d/util.dot" || true)"
	if [ "$have_dot" -eq 1 ]; then
		nchecks=$((nchecks + 1))
		if ! msg=$(dot -Tsvg -o "$d/util.dot.svg" "$d/util.dot" 2>&1); then
			fail "dot -Tsvg $tag/util.dot: expected exit status 0, got: $msg"
		elif ! msg=$(xml_ok "$d/util.dot.svg"); then
			fail "dot -Tsvg $tag/util.dot: not well-formed XML: $msg"
		fi
	fi
}

outputs default-request request "$models/default.yaml" alltoall:bytes=1KiB
outputs default-flow flow "$models/default.yaml" alltoall:bytes=64KiB uniform:ops=5
outputs torus-subset request "$models/torus2d-8x8.yaml" permutation:ops=2,accels=6 incast:ops=2,accels=4
outputs retimers request "$models/ualink-pod-retimers.yaml" uniform:ops=4,op=read,load=0.3
section "2. outputs"

# --dot FILE.svg: rendered by dot when it is on PATH, else FILE.dot and a note.
if [ "$have_dot" -eq 1 ]; then
	run_ok "$models/pod-4-explicit.yaml" alltoall --dot "$tmp/util.svg" && {
		nchecks=$((nchecks + 1))
		msg=$(xml_ok "$tmp/util.svg") || fail "$cmd: util.svg is not well-formed XML: $msg"
		expect_in "$tmp/util.svg" "<svg"
	}
fi
mkdir -p nodot
rc=0
cmd="PATH=$tmp/nodot podfab-sim ... --dot $tmp/nodot.svg"
env PATH="$tmp/nodot" "$podfab_sim" "$models/pod-4-explicit.yaml" alltoall --dot "$tmp/nodot.svg" \
	>"$tmp/out" 2>"$tmp/err" || rc=$?
expect_eq "exit status" 0 "$rc"
nchecks=$((nchecks + 1))
if [ ! -s "$tmp/nodot.dot" ] || [ -e "$tmp/nodot.svg" ]; then
	fail "$cmd: expected nodot.dot and no nodot.svg, got: $(cd "$tmp" && echo nodot.*)"
fi
expect_in "$tmp/err" "nodot.dot"

# ---- 3. determinism ----------------------------------------------------------

for mode in request flow; do
	for i in 1 2; do
		mkdir -p "det-$mode-$i"
		run_ok --mode "$mode" --seed 11 --json "det-$mode-$i/links.json" --csv "det-$mode-$i/links.csv" \
			--trace "det-$mode-$i/trace.json" --trace-every 3 --histogram "det-$mode-$i/lat.svg" \
			"$models/default.yaml" uniform:ops=20,load=0.7 alltoall:bytes=2KiB || true
		grep -v '^wall time:' "$tmp/out" >"det-$mode-$i/summary" || true
	done
	for f in summary links.json links.csv trace.json lat.svg; do
		nchecks=$((nchecks + 1))
		cmp -s "det-$mode-1/$f" "det-$mode-2/$f" ||
			fail "$cmd: $f: expected the same bytes from two runs, got: $(diff "det-$mode-1/$f" "det-$mode-2/$f" | head -5)"
	done
	nchecks=$((nchecks + 1))
	[ -s "det-$mode-1/links.json" ] || fail "$cmd: links.json is empty"
	run_ok --mode "$mode" --seed 12 --json "det-$mode-seed12.json" "$models/default.yaml" uniform:ops=20,load=0.7
	run_ok --mode "$mode" --seed 11 --json "det-$mode-seed11.json" "$models/default.yaml" uniform:ops=20,load=0.7
	nchecks=$((nchecks + 1))
	! cmp -s "det-$mode-seed11.json" "det-$mode-seed12.json" ||
		fail "podfab-sim --mode $mode --seed 11 / --seed 12 ... uniform: expected different JSON, got the same"
done
section "3. determinism"

# ---- 4. bad input ------------------------------------------------------------

# bad STATUS TEXT ARGS...: podfab-sim ARGS exits with STATUS, prints TEXT on
# standard error, and no summary.
bad() {
	local want=$1 text=$2
	shift 2
	run "$@"
	expect_eq "exit status" "$want" "$rc"
	expect_in "$tmp/err" "$text"
	nchecks=$((nchecks + 1))
	[ ! -s "$tmp/out" ] || fail "$cmd: expected nothing on standard output, got: $(head -c 500 "$tmp/out")"
}

m=$models/default.yaml
bad 2 "unknown option '--frobnicate'" --frobnicate "$m" alltoall
bad 2 "--mode" --mode sideways "$m" alltoall
bad 2 "--seed" --seed twelve "$m" alltoall
bad 2 "--trace-every" --trace-every 0 "$m" alltoall
bad 2 "--json" "$m" alltoall --json
bad 2 "no TRAFFIC" "$m"
bad 1 "nosuch" "$m" nosuch:ops=1
bad 1 "unknown pattern" "$m" nosuch:ops=1
bad 1 "unknown key 'frobs'" "$m" uniform:ops=1,frobs=3
bad 1 "bytes '0'" "$m" alltoall:bytes=0
bad 1 "accels '99'" "$m" alltoall:accels=99
bad 1 "$tmp/no-such-model.yaml" "$tmp/no-such-model.yaml" alltoall
bad 1 "$tmp/no-such.trace" "$m" "trace:$tmp/no-such.trace"

# A trace with its first bad line at line 3 (comments and blank lines count).
badtrace() {
	local name=$1 line=$2 want=$3
	printf '# TIME_NS SRC DST OP BYTES\n0 0 1 write 4KiB\n%s\n5 1 2 write 8\n' "$line" >"$name"
	bad 1 "$name:3" "$m" "trace:$name"
	expect_in "$tmp/err" "$want"
}
badtrace bad-bytes.trace "10 1 2 write 0" "BYTES"
badtrace bad-op.trace "10 1 2 frob 8" "OP"
badtrace bad-dst.trace "10 1 99 write 8" "DST"
badtrace bad-time.trace "-1 1 2 write 8" "TIME_NS"
badtrace bad-fields.trace "10 1 2 write" "fields"
printf '0 0 1 write 4KiB\n\n10 1 2 write 0x\n' >bad-blank.trace
bad 1 "bad-blank.trace:3" "$m" trace:bad-blank.trace
bad 2 "out of range" --window 4294967296 "$m" alltoall
bad 1 "ops '08x'" "$m" uniform:ops=08x
# Numbers are decimal (a leading 0 is not octal) or hexadecimal after 0x.
printf '0 0 010 write 8\n1 0 0x3 write 8\n' >decimal.trace
run_ok "$models/ualink-pod-64.yaml" trace:decimal.trace --csv decimal.csv && {
	nchecks=$((nchecks + 1))
	got=$(awk -F, '$4 == "accel10" || $4 == "accel8" || $4 == "accel3" { if ($7 > 0) print $4 }' decimal.csv | sort -u | tr '\n' ' ')
	expect_eq "trace '0 0 010' and '1 0 0x3': accelerators reached" "accel10 accel3 " "$got"
}
# default.yaml has 8 accelerators: 10 operations each.
run_ok "$m" uniform:ops=010 && expect_eq "uniform:ops=010 on default.yaml: operations" 80 "$s_ops"
run_ok "$m" uniform:ops=08 && expect_eq "uniform:ops=08 on default.yaml: operations" 64 "$s_ops"
section "4. bad input"

# ---- 5. quiet in scripts -----------------------------------------------------

run_ok "$m" alltoall:bytes=16KiB && {
	nchecks=$((nchecks + 1))
	! grep -q $'\r' "$tmp/err" || fail "$cmd 2>file: expected no progress bar (\\r) on stderr, got: $(od -c "$tmp/err" | head -3)"
	expect_positive "operations" "$s_ops"
}
run_ok -q "$m" alltoall:bytes=16KiB && {
	nchecks=$((nchecks + 1))
	if [ -s "$tmp/out" ] || [ -s "$tmp/err" ]; then
		fail "$cmd: expected no output, got stdout '$(head -c 300 "$tmp/out")', stderr '$(stderr_tail)'"
	fi
}
run_ok -q --progress "$m" alltoall:bytes=16KiB && {
	nchecks=$((nchecks + 1))
	[ ! -s "$tmp/err" ] || fail "$cmd: expected --quiet to win over --progress, got stderr: $(od -c "$tmp/err" | head -3)"
}
# The control: --progress draws the bar into the same file, so the check above can see one.
run_ok --progress "$m" alltoall:bytes=16KiB && {
	nchecks=$((nchecks + 1))
	grep -q $'\r' "$tmp/err" || fail "$cmd 2>file: expected a progress bar (\\r) on stderr, got: $(od -c "$tmp/err" | head -3)"
}
section "5. quiet"

if [ "$nfail" -ne 0 ]; then
	echo "FAIL: $nfail of $nchecks checks failed"
	exit 1
fi
echo "ok: $nchecks checks"

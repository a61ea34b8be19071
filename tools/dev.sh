#!/usr/bin/env bash
# tools/dev.sh - the two commands of the README.
#
#   tools/dev.sh run    install what is missing, build, run the main job
#                       (the examples over the bundled default model)
#   tools/dev.sh test   install what is missing, build, run every test:
#                       the normal build, an ASan+UBSan build, valgrind, and
#                       a ThreadSanitizer build for the threaded suites
#
# Works on a fresh Debian 12 machine that has only git: missing packages are
# installed with apt-get (through sudo when not root).  Build trees go to
# build/ (normal), build-san/ (ASan+UBSan), build-tsan/ (TSan); set
# PODFAB_BUILD_ROOT to move them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
root=${PODFAB_BUILD_ROOT:-$here}
jobs=$(nproc 2>/dev/null || echo 2)

packages=(gcc g++ python3 meson ninja-build pkg-config check libsubunit-dev libhwloc-dev hwloc
	libyaml-dev valgrind procps clang libclang-rt-14-dev libfabric-dev libfabric-bin libpmix-dev
	openmpi-bin iproute2 libibverbs-dev ibverbs-providers qemu-system-x86 graphviz)

say() { printf '\n==> %s\n' "$*"; }

install_deps() {
	local missing=()
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		return 0
	fi
	say "installing: ${missing[*]}"
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# setup DIR [meson options...]: configure once, reconfigure if options change.
setup() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@"
	fi
	ninja -C "$dir" -j "$jobs"
}

run_main_job() {
	setup "$root/build"
	local run="$root/build/tools/podfab-run"
	local ex="$root/build/examples"
	local topo="$root/build/tools/podfab-topo"
	local model="$here/fabric-models/default.yaml"
	local n=8
	say "the bundled default model: $model"
	"$topo" info "$model"
	"$topo" route "$model" 0 $((n - 1))
	say "main job: the examples on $n accelerators of that model, timed by it (virtual clocks)"
	"$run" -n "$n" -m "$model" -- "$ex/podfab-example-hello"
	"$run" -n "$n" -m "$model" --timing virtual --report=5 -- "$ex/podfab-example-ring"
	"$run" -n "$n" -m "$model" --timing virtual --report=5 -- "$ex/podfab-example-counter" 1000
	"$run" -n "$n" -m "$model" --timing virtual --report=5 -- "$ex/podfab-example-signal"
	say "the ring again in realtime: every operation paced to the model against the wall clock"
	"$run" -n "$n" -m "$model" --timing realtime --report=3 -- "$ex/podfab-example-ring"
	say "main job passed: the reports above give each run's model time and its busiest links"
}

run_tests() {
	say "build and test (debugoptimized)"
	setup "$root/build"
	# the verbs suite boots soft-RoCE guests (tests/verbs): one image for every tree
	export PODFAB_GUEST_CACHE=${PODFAB_GUEST_CACHE:-$root/verbs-guest}
	meson test -C "$root/build" --print-errorlogs --num-processes "$jobs"

	say "build and test with AddressSanitizer + UndefinedBehaviorSanitizer"
	setup "$root/build-san" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C "$root/build-san" --no-suite fuzz --no-suite verbs --print-errorlogs --num-processes "$jobs"
	# the verbs transport under the sanitizers, in the soft-RoCE guest: the conformance suite and a failure
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C "$root/build-san" --print-errorlogs --logbase testlog-verbs verbs-conform verbs-fail-badkey

	say "valgrind"
	meson test -C "$root/build" --setup valgrind --no-suite fuzz --no-suite netns --no-suite ofi --no-suite verbs --print-errorlogs --num-processes "$jobs"

	say "build and test with ThreadSanitizer (unit and conformance suites: threads and processes)"
	setup "$root/build-tsan" -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debug
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		meson test -C "$root/build-tsan" --suite unit --suite conformance --print-errorlogs \
		--num-processes "$jobs"

	say "all tests passed"
	summary
}

# One closing line over every run above: 'N passed, N failed'.
summary() {
	python3 - "$root/build/meson-logs/testlog.json" "$root/build-san/meson-logs/testlog.json" \
		"$root/build-san/meson-logs/testlog-verbs.json" \
		"$root/build/meson-logs/testlog-valgrind.json" "$root/build-tsan/meson-logs/testlog.json" <<'PY'
import json, sys
ok = bad = skip = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            r = json.loads(line).get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                ok += 1
            elif r == "SKIP":
                skip += 1
            else:
                bad += 1
print(f"tests: {ok} passed, {bad} failed, {skip} skipped")
PY
}

case "${1:-}" in
run)
	install_deps
	run_main_job
	;;
test)
	install_deps
	run_tests
	;;
*)
	echo "usage: tools/dev.sh run|test" >&2
	exit 2
	;;
esac

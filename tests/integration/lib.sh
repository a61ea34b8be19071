# lib.sh - shared by the integration test scripts (POSIX sh; sourced, not run).
#
# Every script gets PODFAB_RUN (the podfab-run under test) from the test
# environment, works in its own mktemp directory, and kills what it started
# when it ends, however it ends.

set -u

PODFAB_RUN=${PODFAB_RUN:?PODFAB_RUN must name the podfab-run program to test}
[ -x "$PODFAB_RUN" ] || { echo "FAIL: PODFAB_RUN=$PODFAB_RUN is not executable" >&2; exit 1; }

# Under `meson test --setup valgrind` (PODFAB_UNDER_VALGRIND=1) podfab-run, and
# the accelerators it starts, run under memcheck; system programs (the shell,
# sleep, ...) do not.  PODFAB_IT_WRAPPER overrides the command put in front.
if [ -z "${PODFAB_IT_WRAPPER+set}" ]; then
	PODFAB_IT_WRAPPER=
	if [ -n "${PODFAB_UNDER_VALGRIND:-}" ] && command -v valgrind >/dev/null 2>&1; then
		PODFAB_IT_WRAPPER="valgrind --error-exitcode=99 --leak-check=full"
		PODFAB_IT_WRAPPER="$PODFAB_IT_WRAPPER --errors-for-leak-kinds=definite"
		PODFAB_IT_WRAPPER="$PODFAB_IT_WRAPPER --show-leak-kinds=definite --trace-children=yes"
		PODFAB_IT_WRAPPER="$PODFAB_IT_WRAPPER --trace-children-skip=/usr/*,/bin/*,/sbin/*"
		PODFAB_IT_WRAPPER="$PODFAB_IT_WRAPPER --child-silent-after-fork=yes --quiet"
	fi
fi

# podfab_run ARGS...: the launcher under test (with the wrapper, if any).
podfab_run() {
	$PODFAB_IT_WRAPPER "$PODFAB_RUN" "$@"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/podfab-it.XXXXXX") || { echo "FAIL: mktemp" >&2; exit 1; }
it_pids=""   # processes to kill when the script ends (launchers, accelerators)
it_jobs=""   # jobs whose shared-memory objects a failed test must not leave behind

it_cleanup() {
	for p in $it_pids; do
		kill -KILL "$p" 2>/dev/null
	done
	# accelerator pids that tests recorded in pid.* and ready.* files
	for f in "$tmp"/pid.* "$tmp"/ready.*; do
		[ -f "$f" ] || continue
		p=$(head -n 1 "$f" 2>/dev/null)
		case $p in '' | *[!0-9]*) continue ;; esac
		kill -KILL "$p" 2>/dev/null
	done
	for j in $it_jobs; do
		for f in /dev/shm/podfab."$j".*; do
			[ -e "$f" ] && rm -f "$f"
		done
	done
	rm -rf "$tmp"
}
trap it_cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	for f in "$tmp"/out "$tmp"/err; do
		if [ -s "$f" ]; then
			echo "--- ${f##*/} of the last podfab-run:" >&2
			sed -n '1,60p' "$f" >&2
		fi
	done
	exit 1
}

note() {
	echo "# $*"
}

# new_job [SUFFIX]: set $job to a name no other run uses (this script's pid and
# the temp dir's suffix), remembered so that a failed test removes its objects.
new_job() {
	job=$(printf 'it%s-%s%s' "$$" "$(basename "$tmp" | tr -cd 'A-Za-z0-9' | tail -c 7)" "${1:-}")
	it_jobs="$it_jobs $job"
}

# The job's shared-memory objects that exist now, one per line.
shm_objects() {
	ls -a /dev/shm 2>/dev/null | grep "^podfab\.$1\." || true
}

assert_no_shm() {
	left=$(shm_objects "$1")
	[ -z "$left" ] || fail "job $1 left shared-memory objects behind: $(echo $left)"
}

now() {
	date +%s
}

# wait_files PREFIX COUNT SECONDS: until $tmp/PREFIX.* names COUNT files.
wait_files() {
	_w_end=$(($(now) + $3))
	while :; do
		_w_n=0
		for f in "$tmp/$1".*; do
			[ -f "$f" ] && _w_n=$((_w_n + 1))
		done
		[ "$_w_n" -ge "$2" ] && return 0
		[ "$(now)" -lt "$_w_end" ] || return 1
		sleep 0.1
	done
}

# alive PID: the process exists and is not a zombie.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		_st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
		[ "$_st" != Z ] || return 1
	fi
	return 0
}

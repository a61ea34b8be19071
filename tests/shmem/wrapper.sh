#!/bin/sh
# wrapper.sh OSHCC OSHRUN SOURCE N [SANITIZE] - build an OpenSHMEM program with
# the compiler wrapper (the build-tree copy of podfab-oshcc) and run it with
# the launcher name on N PEs: every PE must say "ok".  SANITIZE is the
# build's b_sanitize option: a sanitized library needs the program built with
# the same sanitizers.
set -eu
oshcc=$1 oshrun=$2 src=$3 n=$4 sanitize=${5:-none}
flags=
if [ "$sanitize" != none ]; then
	flags="-fsanitize=$sanitize"
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# shellcheck disable=SC2086 # flags: zero or one word
sh "$oshcc" -O2 -Wall -Werror $flags "$src" -o "$dir/prog"
out=$(sh "$oshrun" -n "$n" "$dir/prog")
echo "$out"
oks=$(printf '%s\n' "$out" | grep -c ' ok,' || true)
[ "$oks" -eq "$n" ] || { echo "wrapper.sh: $oks of $n PEs said ok" >&2; exit 1; }

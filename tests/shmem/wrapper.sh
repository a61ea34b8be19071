#!/bin/sh
# wrapper.sh OSHCC OSHRUN SOURCE N - build an OpenSHMEM program with the
# compiler wrapper (the build-tree copy of podfab-oshcc) and run it with the
# launcher name on N PEs: every PE must say "ok".
set -eu
oshcc=$1 oshrun=$2 src=$3 n=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sh "$oshcc" -O2 -Wall -Werror "$src" -o "$dir/prog"
out=$(sh "$oshrun" -n "$n" "$dir/prog")
echo "$out"
oks=$(printf '%s\n' "$out" | grep -c ' ok,' || true)
[ "$oks" -eq "$n" ] || { echo "wrapper.sh: $oks of $n PEs said ok" >&2; exit 1; }

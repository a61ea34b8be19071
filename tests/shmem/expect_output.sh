#!/bin/sh
# expect_output.sh PATTERN... -- COMMAND [ARG...]: passes when COMMAND succeeds
# and exactly one line of its standard output matches each extended regular
# expression PATTERN (once: what one PE prints is not repeated by the others).
err=$(mktemp) || exit 99
out=$(mktemp) || exit 99
trap 'rm -f "$err" "$out"' EXIT
n=0
for a in "$@"; do
	n=$((n + 1))
	[ "$a" = "--" ] && break
done
[ "$n" -lt "$#" ] || { echo "usage: expect_output.sh PATTERN... -- COMMAND" >&2; exit 99; }
i=1
patterns=""
while [ "$i" -lt "$n" ]; do
	eval "p=\${$i}"
	patterns="$patterns
$p"
	i=$((i + 1))
done
shift "$n"
"$@" >"$out" 2>"$err"
rc=$?
cat "$out"
cat "$err" >&2
[ "$rc" -eq 0 ] || { echo "expect_output: '$*' failed with status $rc" >&2; exit 1; }
echo "$patterns" | while IFS= read -r p; do
	[ -n "$p" ] || continue
	c=$(grep -Ec -- "$p" "$out")
	[ "$c" -eq 1 ] || { echo "expect_output: $c lines of the output match /$p/, not 1" >&2; exit 1; }
done || exit 1
exit 0

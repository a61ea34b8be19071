#!/bin/sh
# expect_error.sh PATTERN COMMAND [ARG...]: passes when COMMAND fails (non-zero
# exit, not a signal) and its standard error matches the extended regular
# expression PATTERN; fails when the mistake went unnoticed, the program
# crashed, or the message is not the one expected.
pattern=$1
shift
err=$(mktemp) || exit 99
trap 'rm -f "$err"' EXIT
"$@" 2>"$err"
rc=$?
cat "$err" >&2
if [ "$rc" -eq 0 ]; then
	echo "expect_error: '$*' succeeded; it should have failed with /$pattern/" >&2
	exit 1
fi
if [ "$rc" -gt 128 ]; then
	echo "expect_error: '$*' was killed by signal $((rc - 128))" >&2
	exit 1
fi
if ! grep -Eq -- "$pattern" "$err"; then
	echo "expect_error: '$*' failed (status $rc) without the message /$pattern/" >&2
	exit 1
fi
exit 0

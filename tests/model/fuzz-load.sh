#!/bin/sh
# fuzz-load.sh SRCROOT BUILDROOT [SECONDS] - build the libFuzzer harness for the
# model-file parser (fuzz_load.c with lib/model and lib/core/errors.c, under
# ASan and UBSan) with clang and run it for SECONDS (default 30) from the seed
# corpus.  New inputs go to BUILDROOT/tests/model/fuzz-work, never the source
# tree.  Exits 77 (skipped) without clang or libFuzzer (Debian:
# libclang-rt-14-dev), non-zero on any crash, leak or sanitizer report.
set -eu
src=$1
build=$2
secs=${3:-30}
cc=${CLANG:-clang}
out=$build/tests/model
# ASan cannot run under valgrind (meson test --setup valgrind sets this)
[ "${PODFAB_UNDER_VALGRIND:-0}" = 1 ] && { echo "fuzz-load: under valgrind: skipped"; exit 77; }
command -v "$cc" >/dev/null 2>&1 || { echo "fuzz-load: no $cc: skipped"; exit 77; }
mkdir -p "$out/fuzz-work"
# probe: can this clang link a libFuzzer program at all?
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	>"$out/fuzz-probe.c"
if ! "$cc" -fsanitize=fuzzer,address "$out/fuzz-probe.c" -o "$out/fuzz-probe" >/dev/null 2>&1; then
	echo "fuzz-load: $cc cannot link libFuzzer (Debian: libclang-rt-14-dev): skipped"
	exit 77
fi
"$cc" -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -DPODFAB_BUILDING \
	-I"$src/include" -I"$src/lib" -I"$src/lib/core" -I"$src/lib/boot" -I"$src/lib/transport" \
	-I"$src/lib/model" -I"$src/lib/timing" -I"$build" -I"$build/lib" \
	"$src/tests/model/fuzz_load.c" "$src"/lib/model/*.c "$src/lib/core/errors.c" \
	-lyaml -ldl -lm -o "$out/fuzz-model-load"
exec env PODFAB_LOG=none "$out/fuzz-model-load" -max_total_time="$secs" -timeout=10 \
	-rss_limit_mb=4096 -print_final_stats=1 "$out/fuzz-work" "$src/tests/model/fuzz-corpus"

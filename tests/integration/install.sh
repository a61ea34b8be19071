# install.sh BUILD_DIR README SANITIZE - packaging check: install into a scratch
# root, build the README's first program with pkg-config against the installed
# headers and library only, and run it with the installed podfab-run.
. "$(dirname "$0")/lib.sh"

build=$1
readme=$2
sanitize=$3
if [ "$sanitize" != none ]; then
	echo "SKIP: a build with -Db_sanitize=$sanitize installs a library that needs the sanitizer runtime"
	exit 77
fi
command -v pkg-config >/dev/null || fail "pkg-config is not installed"
cc=${CC:-cc}

dest="$tmp/root"
meson install -C "$build" --no-rebuild --destdir "$dest" >"$tmp/install.log" 2>&1 ||
	fail "meson install: $(tail -5 "$tmp/install.log")"
pc=$(find "$dest" -name podfab.pc | head -n 1)
[ -n "$pc" ] || fail "no podfab.pc was installed"
[ -n "$(find "$dest" -path '*/include/podfab/podfab.h')" ] ||
	fail "podfab/podfab.h was not installed"

# The first C block of the README, verbatim.
awk '/^```c$/ { on = 1; next } /^```$/ { if (on) exit } on' "$readme" >"$tmp/first.c"
[ -s "$tmp/first.c" ] || fail "no C example found in $readme"

flags=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags --libs podfab) ||
	fail "pkg-config --cflags --libs podfab failed"
# shellcheck disable=SC2086
"$cc" -std=c99 -Wall -Wextra -Werror "$tmp/first.c" $flags -o "$tmp/first" 2>"$tmp/err" ||
	fail "the README example does not build against the installed files: $(cat "$tmp/err")"

libdir=$(dirname "$(dirname "$pc")")
run=$(find "$dest" -path '*/bin/podfab-run' | head -n 1)
[ -x "$run" ] || fail "podfab-run was not installed"
LD_LIBRARY_PATH=$libdir "$run" -n 3 -- "$tmp/first" >"$tmp/out" 2>"$tmp/err" ||
	fail "the README example failed under the installed podfab-run"
for i in 0 1 2; do
	left=$(( (i + 2) % 3 ))
	grep -qx "accelerator $i of 3 got $left" "$tmp/out" ||
		fail "expected 'accelerator $i of 3 got $left' in: $(cat "$tmp/out")"
done

# OpenSHMEM: a program with a profiling wrapper (shmem_barrier_all over
# pshmem_barrier_all), built against the installed shmem.h, pshmem.h and
# libpodfab-shmem through pkg-config podfab-shmem, run on 2 PEs.
cat >"$tmp/prof.c" <<'PROG'
#include <stdio.h>
#include <shmem.h>
#include <pshmem.h>
#include <mpp/shmem.h>
static int calls;
void shmem_barrier_all(void) { calls++; pshmem_barrier_all(); }
int main(void)
{
	shmem_init();
	shmem_barrier_all();
	printf("PE %d of %d: %d\n", shmem_my_pe(), shmem_n_pes(), calls >= 1);
	shmem_finalize();
	return 0;
}
PROG
sflags=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags --libs podfab-shmem) ||
	fail "pkg-config --cflags --libs podfab-shmem failed"
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror "$tmp/prof.c" $sflags -o "$tmp/prof" 2>"$tmp/err" ||
	fail "a profiling wrapper does not build against the installed shmem.h and pshmem.h: $(cat "$tmp/err")"
LD_LIBRARY_PATH=$libdir "$run" -n 2 -- "$tmp/prof" >"$tmp/out" 2>"$tmp/err" ||
	fail "the profiling wrapper program failed under the installed podfab-run: $(cat "$tmp/err")"
for i in 0 1; do
	grep -qx "PE $i of 2: 1" "$tmp/out" || fail "expected 'PE $i of 2: 1' in: $(cat "$tmp/out")"
done
echo "PASS: installed headers, pkg-config files, libraries and podfab-run build and run the README example and a SHMEM profiling wrapper"

#!/usr/bin/env bash
# tests/verbs/guest.sh - run a command inside a qemu guest that has a real
# verbs stack: Debian's own kernel with soft-RoCE (rdma_rxe) on loopback.
#
#   guest.sh [--cache DIR] [--timeout SECONDS] [--mem MB] [--smp N]
#            [--env NAME]... [--verbose] -- COMMAND [ARGS...]
#
# The host has no RDMA device and its kernel cannot create rxe devices, so
# the verbs tests boot a guest (TCG; this machine kind has no usable KVM),
# create rxe0 on the guest's lo and run COMMAND there as root.  The exit
# status of COMMAND is this script's exit status.  Special statuses:
#    77  the guest is unavailable: qemu-system-x86_64 is not installed, the
#        Debian packages cannot be resolved or downloaded (no network, no apt
#        lists), or the guest kernel cannot load rdma_rxe.  The message says
#        which.
#   124  the wall-clock timeout (--timeout, default 600 s) expired.
# Anything else non-zero that does not come from COMMAND is a real failure of
# the harness, with a message on stderr.
#
# How the guest is put together, and why:
#  * The guest's root file system is the HOST's root, shared read-only over
#    9p (virtio) and made writable with an overlay whose upper layer is a
#    tmpfs in guest memory (writes never reach the host).  COMMAND runs in a
#    chroot of that overlay, in the caller's current directory.  So the build
#    tree is at the same absolute path, RPATH'd binaries and absolute paths in
#    the command work, and the programs find exactly the libraries they were
#    built against (libibverbs, libfabric, libcheck, libyaml, libhwloc, ...)
#    without this script having to know them.  Copying a shared-library
#    closure of arbitrary test binaries into an initramfs is the fragile
#    alternative; sharing the host is both simpler and exact.
#  * Under the host layer lies a second, lower layer: the verbs userland
#    unpacked from Debian packages (iproute2 for `rdma`, libibverbs1,
#    ibverbs-providers, ibverbs-utils, librdmacm1, rdmacm-utils, libfabric1,
#    libfabric-bin, and the library closure of their Depends).  Host files win
#    where both have one; the staged files fill in what the host lacks
#    (ibv_devinfo, ibv_rc_pingpong, rping, fi_info, the rxe provider, ...), so
#    the harness does not depend on which verbs tools the host installed.
#    That layer is checked with readelf: every DT_NEEDED of every staged ELF
#    must resolve inside the layer itself.
#  * The initramfs holds only busybox-static (the /init shell), the kernel
#    modules that are needed (virtio/9p/overlay, crc32_generic, rdma_rxe and
#    rdma_ucm with their dependencies, computed from modules.dep) and /init.
#  * Packages come from `apt-get download` and are unpacked with
#    `dpkg-deb -x`; nothing is installed on the host.  The image (kernel,
#    initramfs, userland layer) is cached under DIR keyed by the exact
#    versions of every package used, and built under a lock into a temporary
#    directory that is renamed into place, so concurrent runs do not race.
#  * The guest's /dev is a devtmpfs (so /dev/infiniband/uverbs* exist), /sys,
#    /proc are fresh mounts, /dev/shm and /run are tmpfs, /tmp is the
#    overlay's (host contents visible, writes private).  COMMAND gets PATH,
#    the caller's variables starting with PODFAB_, PF_, FI_ and CK_, those
#    named with --env, HOME=/root and PODFAB_IN_GUEST=1.
#  * The result comes back over the serial console as a line carrying a
#    random per-run token; everything else the guest prints is streamed to
#    stdout.  The kernel is booted with `quiet loglevel=3`.
#
# Cache directory: --cache DIR, else $PODFAB_GUEST_CACHE, else ./verbs-guest.
# PODFAB_GUEST_VERBOSE=1 (or --verbose) shows the guest's boot steps and
# kernel messages.
set -euo pipefail

me=guest.sh
die() { printf '%s: error: %s\n' "$me" "$*" >&2; exit 1; }
skip() { printf '%s: SKIP: %s\n' "$me" "$*" >&2; exit 77; }
note() { printf '%s: %s\n' "$me" "$*" >&2; }

# ---------------------------------------------------------------- settings
# Every Debian package the image is made from, in one place.  The kernel is
# the package that linux-image-amd64 depends on.
KERNEL_META=linux-image-amd64
INITRD_PACKAGES=(busybox-static)
USERLAND_PACKAGES=(iproute2 libibverbs1 ibverbs-providers ibverbs-utils
	librdmacm1 rdmacm-utils libnl-3-200 libnl-route-3-200
	libfabric1 libfabric-bin libc6 libgcc-s1 zlib1g)
# Modules: the first set must load (the guest cannot run without it), the
# second is the verbs stack (if it does not load the guest is unavailable).
BASE_MODULES=(virtio_pci 9pnet_virtio 9p overlay)
RDMA_MODULES=(crc32_generic udp_tunnel ip6_udp_tunnel ib_core ib_uverbs rdma_rxe rdma_ucm dummy)
# Bump when the image layout or /init changes in a way the key must see.
IMAGE_FORMAT=3

cache=${PODFAB_GUEST_CACHE:-}
timeout_s=600
mem=1024
smp=2
verbose=${PODFAB_GUEST_VERBOSE:-0}
extra_env=()

usage() {
	cat >&2 <<'USAGE'
usage: guest.sh [--cache DIR] [--timeout SECONDS] [--mem MB] [--smp N]
                [--env NAME]... [--verbose] -- COMMAND [ARGS...]
USAGE
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--cache) [ $# -ge 2 ] || usage; cache=$2; shift 2 ;;
	--cache=*) cache=${1#*=}; shift ;;
	--timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
	--timeout=*) timeout_s=${1#*=}; shift ;;
	--mem) [ $# -ge 2 ] || usage; mem=$2; shift 2 ;;
	--mem=*) mem=${1#*=}; shift ;;
	--smp) [ $# -ge 2 ] || usage; smp=$2; shift 2 ;;
	--smp=*) smp=${1#*=}; shift ;;
	--env) [ $# -ge 2 ] || usage; extra_env+=("$2"); shift 2 ;;
	--env=*) extra_env+=("${1#*=}"); shift ;;
	--verbose) verbose=1; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	*) printf '%s: unknown option: %s\n' "$me" "$1" >&2; usage ;;
	esac
done
[ $# -gt 0 ] || usage
for n in "$timeout_s" "$mem" "$smp"; do
	case $n in '' | *[!0-9]*) die "not a positive number: '$n'" ;; esac
done
if [ "$timeout_s" -lt 1 ] || [ "$mem" -lt 256 ] || [ "$smp" -lt 1 ]; then
	die "bad value: --timeout must be >= 1, --mem >= 256, --smp >= 1"
fi

[ -n "$cache" ] || cache=$PWD/verbs-guest
mkdir -p "$cache" || die "cannot create the cache directory $cache"
cache=$(cd "$cache" && pwd -P)

# ------------------------------------------------------------ prerequisites
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	skip "qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"
for t in apt-get apt-cache dpkg-deb; do
	command -v "$t" >/dev/null 2>&1 || skip "$t is not available (the guest image is built from Debian packages)"
done
for t in flock timeout gzip sha256sum find od mkfifo; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done
case $(uname -m) in x86_64) ;; *) skip "the guest image is amd64 only (host is $(uname -m))" ;; esac

# ------------------------------------------------------ package resolution
apt_updated=0
apt_update_once() {
	[ "$apt_updated" = 0 ] || return 1
	apt_updated=1
	[ "$(id -u)" -eq 0 ] || return 1
	note "refreshing the apt package lists (apt-get update)"
	DEBIAN_FRONTEND=noninteractive apt-get update -q >"$cache/.apt-update.log" 2>&1 || return 1
}

# resolve: sets kernel_pkg, userland_pkgs (the USERLAND_PACKAGES and the
# library closure of their Depends), all_pkgs (name=version lines) and key.
# The closure follows the first alternative of every Depends/Pre-Depends
# that names a library package (lib*); virtual packages are left out.  The
# answer is remembered in the cache until the apt lists or this script change
# (each apt-cache call costs about a second).
resolve() {
	local roots=("$KERNEL_META" "${INITRD_PACKAGES[@]}" "${USERLAND_PACKAGES[@]}")
	local memo=$cache/.resolved stamp graph order n
	stamp=$({
		sha256sum "${BASH_SOURCE[0]}"
		ls -l --time-style=+%s /var/lib/apt/lists/ 2>/dev/null
	} | sha256sum | cut -c1-16)
	if [ -f "$memo" ] && [ "$(head -1 "$memo")" = "stamp $stamp" ]; then
		kernel_pkg=$(sed -n 's/^kernel //p' "$memo")
		key=$(sed -n 's/^key //p' "$memo")
		mapfile -t userland_pkgs < <(sed -n 's/^userland //p' "$memo")
		all_pkgs=$(sed -n 's/^package //p' "$memo")
		[ -n "$kernel_pkg" ] && [ -n "$key" ] && return 0
	fi
	graph=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "${roots[@]}" 2>/dev/null) || return 1
	order=$(printf '%s\n' "$graph" | awk -v kernel="$KERNEL_META" -v roots="${USERLAND_PACKAGES[*]}" '
		/^[^ ]/ { cur = $1; skip = 0; next }
		$1 ~ /^\|?(Pre)?Depends:$/ {
			alt = ($1 ~ /^\|/)
			if (skip) { skip = alt; next }
			skip = alt
			if ($2 !~ /^</) edges[cur] = edges[cur] " " $2
		}
		END {
			m = split(edges[kernel], d, " ")
			for (j = 1; j <= m; j++) if (d[j] ~ /^linux-image-/) { print "kernel " d[j]; break }
			n = split(roots, q, " ")
			for (i = 1; i <= n; i++) seen[q[i]] = 1
			for (h = 1; h <= n; h++) {
				print "userland " q[h]
				m = split(edges[q[h]], d, " ")
				for (j = 1; j <= m; j++)
					if (d[j] ~ /^lib/ && !(d[j] in seen)) { seen[d[j]] = 1; q[++n] = d[j] }
			}
		}')
	kernel_pkg=$(printf '%s\n' "$order" | sed -n 's/^kernel //p')
	[ -n "$kernel_pkg" ] || return 1
	mapfile -t userland_pkgs < <(printf '%s\n' "$order" | sed -n 's/^userland //p')
	all_pkgs=$(apt-cache show --no-all-versions "$kernel_pkg" "${INITRD_PACKAGES[@]}" "${userland_pkgs[@]}" 2>/dev/null |
		awk '/^Package:/ { p = $2 } /^Version:/ { print p "=" $2 }' | sort -u)
	n=$(printf '%s\n' "$all_pkgs" | grep -c . || true)
	[ "$n" -eq $((1 + ${#INITRD_PACKAGES[@]} + ${#userland_pkgs[@]})) ] || return 1
	key=$({
		echo "format=$IMAGE_FORMAT"
		echo "base=${BASE_MODULES[*]} rdma=${RDMA_MODULES[*]}"
		printf '%s\n' "$all_pkgs"
		guest_init
	} | sha256sum | cut -c1-16)
	{
		echo "stamp $stamp"
		echo "kernel $kernel_pkg"
		echo "key $key"
		printf 'userland %s\n' "${userland_pkgs[@]}"
		printf '%s\n' "$all_pkgs" | sed 's/^/package /'
	} >"$memo.$$" && mv -f "$memo.$$" "$memo"
}

# ------------------------------------------------------------- guest /init
# Written into the initramfs; runs as PID 1 under busybox sh.
guest_init() {
	cat <<'EOF'
#!/bin/busybox sh
# PID 1 of the podfab verbs guest (generated by tests/verbs/guest.sh).
/bin/busybox mkdir -p /proc /sys /dev /tmp /host /stage /pfrun /rw /newroot
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
token=none verbose=0
for a in $(cat /proc/cmdline); do
	case $a in
	pf.token=*) token=${a#pf.token=} ;;
	pf.verbose=1) verbose=1 ;;
	esac
done
log() { [ "$verbose" = 0 ] || echo "guest: $*"; }
result() {
	echo "PODFAB-GUEST-RESULT $token $*"
	sync
	poweroff -f
	while :; do sleep 60; done
}
for m in $(cat /etc/podfab-guest/modules.base); do
	modprobe "$m" 2>/tmp/err || result fail "cannot load kernel module $m: $(cat /tmp/err)"
done
for m in $(cat /etc/podfab-guest/modules.rdma); do
	modprobe "$m" 2>/tmp/err ||
		result skip "the guest kernel $(uname -r) cannot load $m: $(cat /tmp/err)"
done
log "modules loaded"
o=trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose
mount -t 9p -o $o hostroot /host 2>/tmp/err || result fail "9p mount of the host root: $(cat /tmp/err)"
mount -t 9p -o $o pfstage /stage 2>/tmp/err || result fail "9p mount of the userland layer: $(cat /tmp/err)"
mount -t 9p -o $o pfrun /pfrun 2>/tmp/err || result fail "9p mount of the run directory: $(cat /tmp/err)"
mount -t tmpfs -o mode=755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/host:/stage,upperdir=/rw/upper,workdir=/rw/work /newroot 2>/tmp/err ||
	result fail "overlay mount: $(cat /tmp/err)"
R=/newroot
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/shm $R/dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs $R/dev/shm
mount -t devpts -o gid=5,mode=620 devpts $R/dev/pts
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs $R/run
mkdir -p $R/run/lock $R/run/podfab-guest
mount -o bind /pfrun $R/run/podfab-guest
log "root file system ready"
ip link set lo up || result fail "cannot bring up lo"
chroot $R /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin rdma link add rxe0 type rxe netdev lo 2>/tmp/err ||
	result fail "rdma link add rxe0 type rxe netdev lo: $(cat /tmp/err)"
[ -e /sys/class/infiniband/rxe0 ] || result fail "rxe0 did not appear in /sys/class/infiniband"
# A second device, rxe1, on a dummy interface with an address of its own:
# rdma_cm (libfabric's verbs provider) cannot resolve addresses of lo, and
# rxe loops traffic to its own GID back inside the device.
ch() { chroot $R /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
if ch ip link add pfdummy0 type dummy 2>/tmp/err && ch ip addr add 10.211.0.1/24 dev pfdummy0 2>>/tmp/err &&
	ch ip link set pfdummy0 up 2>>/tmp/err && ch rdma link add rxe1 type rxe netdev pfdummy0 2>>/tmp/err; then
	log "rxe1 created on pfdummy0 (10.211.0.1)"
else
	echo "guest: no rxe1 on a dummy interface: $(cat /tmp/err)"
fi
log "rxe0 created; running the command"
echo "PODFAB-GUEST-BEGIN $token"
chroot $R /usr/bin/env -i /bin/bash /run/podfab-guest/run.sh </dev/null
result exit $?
EOF
}

# ------------------------------------------------------------ image build
# module_closure DIR VERSION NAME...: relative paths (under lib/modules/V) of
# the named modules and their dependencies; builtin modules are left out.
# Fails naming a module that the kernel has neither as .ko nor builtin.
module_closure() {
	local dir=$1/lib/modules/$2
	shift 2
	awk -v want="$*" '
		function norm(s) { gsub(/-/, "_", s); return s }
		function base(p) { sub(/.*\//, "", p); sub(/\.ko(\.[a-z]+)?$/, "", p); return norm(p) }
		FILENAME ~ /modules\.builtin$/ { builtin[base($1)] = 1; next }
		{ sub(/:$/, "", $1); path[base($1)] = $1; deps[$1] = ""
		  for (i = 2; i <= NF; i++) deps[$1] = deps[$1] " " $i }
		function add(p,   n, a, i) {
			if (p in done) return
			done[p] = 1; print p
			n = split(deps[p], a, " ")
			for (i = 1; i <= n; i++) add(a[i])
		}
		END {
			n = split(want, w, " ")
			for (i = 1; i <= n; i++) {
				m = norm(w[i])
				if (m in path) add(path[m])
				else if (!(m in builtin)) { print "MISSING " w[i]; bad = 1 }
			}
			exit bad
		}' "$dir/modules.builtin" "$dir/modules.dep"
}

# modules_present DIR VERSION NAME...: the names that are loadable modules.
modules_loadable() {
	local dir=$1/lib/modules/$2 m
	shift 2
	for m in "$@"; do
		if grep -Eq "(^|/)${m//_/[-_]}\.ko(\.[a-z]+)?:" "$dir/modules.dep"; then
			printf '%s\n' "$m"
		fi
	done
}

# usr_merge STAGE: Debian 12 packages still ship /lib, /bin, /sbin; the host
# has them as links into /usr, and in the overlay the host's link would hide
# the staged directory.  Move everything under usr/.
usr_merge() {
	local st=$1 d
	for d in bin sbin lib lib64; do
		if [ -d "$st/$d" ] && [ ! -L "$st/$d" ]; then
			mkdir -p "$st/usr/$d"
			cp -a "$st/$d/." "$st/usr/$d/"
			rm -rf "${st:?}/$d"
		fi
		[ -e "$st/usr/$d" ] && ln -sfn "usr/$d" "$st/$d"
	done
	return 0
}

# check_closure STAGE: every DT_NEEDED of every ELF in STAGE resolves inside
# STAGE's library directories.  Libraries reached through update-alternatives
# (links a maintainer script would make, e.g. libpsm_infinipath.so.1) are
# linked in from wherever the package put them.
check_closure() {
	local st=$1 libdir=$1/usr/lib/x86_64-linux-gnu so missing=() found
	command -v readelf >/dev/null 2>&1 || { note "readelf not found: not checking the library closure"; return 0; }
	local needed
	needed=$(find "$st" -type f \( -perm -u+x -o -name '*.so*' \) -print0 |
		{ xargs -0 readelf -d 2>/dev/null || true; } | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u)
	for so in $needed; do
		[ -e "$libdir/$so" ] || [ -e "$st/usr/lib/$so" ] || [ -e "$st/usr/lib64/$so" ] && continue
		found=$(find "$st" \( -name "$so" -o -name "$so.*" \) -print -quit)
		if [ -n "$found" ]; then
			ln -s "/${found#"$st"/}" "$libdir/$so"
		else
			missing+=("$so")
		fi
	done
	[ ${#missing[@]} -eq 0 ] || die "the staged verbs userland lacks: ${missing[*]} (add the package to USERLAND_PACKAGES)"
}

build_image() {
	local img=$1 tmp debs k kver vmlinuz bb root mods p
	tmp=$(mktemp -d "$cache/.build.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	debs=$tmp/debs
	mkdir -p "$debs"
	note "building the guest image in $img (downloads about 82 MB once)"
	local apt_opts=()
	[ "$(id -u)" -ne 0 ] || apt_opts=(-o APT::Sandbox::User=root)
	local spec
	mapfile -t spec < <(printf '%s\n' "$all_pkgs")
	if ! (cd "$debs" && apt-get "${apt_opts[@]}" download -q "${spec[@]}") >"$cache/.download.log" 2>&1; then
		return 3
	fi

	# Kernel and modules.
	k=$tmp/kernel
	dpkg-deb -x "$debs/${kernel_pkg}"_*.deb "$k"
	kver=$(ls "$k/lib/modules")
	vmlinuz=$k/boot/vmlinuz-$kver
	[ -f "$vmlinuz" ] || die "$kernel_pkg has no vmlinuz/modules"
	bb=$tmp/busybox
	dpkg-deb -x "$debs"/busybox-static_*.deb "$bb"
	bb=$bb/bin/busybox
	"$bb" true || die "the staged busybox does not run on the host"
	"$bb" depmod -b "$k" "$kver" || die "depmod on the kernel's modules failed"

	local base rdma
	mapfile -t base < <(modules_loadable "$k" "$kver" "${BASE_MODULES[@]}")
	mapfile -t rdma < <(modules_loadable "$k" "$kver" "${RDMA_MODULES[@]}")
	if ! mods=$(module_closure "$k" "$kver" "${BASE_MODULES[@]}" "${RDMA_MODULES[@]}"); then
		local miss
		miss=$(printf '%s\n' "$mods" | sed -n 's/^MISSING //p' | tr '\n' ' ')
		case " $miss " in
		*" rdma_rxe "* | *" ib_core "* | *" ib_uverbs "*) skip "the kernel $kver has no module $miss" ;;
		*) die "the kernel $kver has no module $miss" ;;
		esac
	fi

	root=$tmp/initrd
	mkdir -p "$root/bin" "$root/etc/podfab-guest" "$root/lib/modules/$kver"
	cp "$bb" "$root/bin/busybox"
	guest_init >"$root/init"
	chmod 755 "$root/init"
	printf '%s\n' "${base[@]}" >"$root/etc/podfab-guest/modules.base"
	printf '%s\n' "${rdma[@]}" >"$root/etc/podfab-guest/modules.rdma"
	for p in $mods; do
		mkdir -p "$root/lib/modules/$kver/$(dirname "$p")"
		cp "$k/lib/modules/$kver/$p" "$root/lib/modules/$kver/$p"
	done
	cp "$k/lib/modules/$kver/modules.builtin" "$k/lib/modules/$kver/modules.order" "$root/lib/modules/$kver/"
	[ ! -f "$k/lib/modules/$kver/modules.builtin.modinfo" ] ||
		cp "$k/lib/modules/$kver/modules.builtin.modinfo" "$root/lib/modules/$kver/"
	"$bb" depmod -b "$root" "$kver" || die "depmod on the initramfs failed"
	(cd "$root" && find . | LC_ALL=C sort | "$bb" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -9 >"$tmp/initrd.gz"
	cp "$vmlinuz" "$tmp/vmlinuz"

	# The verbs userland layer.
	local st=$tmp/userland
	mkdir -p "$st"
	for p in "${userland_pkgs[@]}"; do
		dpkg-deb -x "$debs/${p}"_*.deb "$st" || die "cannot unpack $p"
	done
	usr_merge "$st"
	# Not needed: documentation, iproute2's tc plugins (they need libatm;
	# only `rdma` is used) and glibc's iconv modules (the host's libc6 is
	# always there above this layer).
	rm -rf "${st:?}/usr/share/doc" "${st:?}/usr/share/man" "${st:?}/usr/share/locale" \
		"${st:?}/usr/share/lintian" "${st:?}/usr/lib/x86_64-linux-gnu/tc" \
		"${st:?}/usr/lib/x86_64-linux-gnu/gconv"
	check_closure "$st"

	printf '%s\n' "$all_pkgs" >"$tmp/packages.txt"
	echo "$kver" >"$tmp/kernel-version"
	rm -rf "$debs" "$k" "$root" "$tmp/busybox"
	chmod 755 "$tmp"
	touch "$tmp/ready"
	mv -T "$tmp" "$img" || die "cannot move the image into $img"
	trap - EXIT
	local old
	for old in "$cache"/img-*; do
		[ "$old" = "$img" ] || [ ! -d "$old" ] || rm -rf "$old"
	done
}

ensure_image() {
	if ! resolve; then
		if apt_update_once && resolve; then
			:
		else
			# Offline but an image is cached: use the newest one.
			img=$(find "$cache" -maxdepth 2 -path "$cache/img-*/ready" -printf '%T@ %h\n' 2>/dev/null |
				sort -rn | sed -n '1s/^[^ ]* //p')
			if [ -n "$img" ]; then
				note "cannot resolve the Debian packages; using the cached image $img"
				return 0
			fi
			skip "cannot resolve the Debian packages $KERNEL_META ${INITRD_PACKAGES[*]} ${USERLAND_PACKAGES[*]} with apt-cache (no apt lists? run apt-get update)"
		fi
	fi
	img=$cache/img-$key
	[ -f "$img/ready" ] && return 0
	exec 9>"$cache/.lock"
	flock 9
	# Leftovers of builds that were killed (no build runs while we hold
	# the lock).
	find "$cache" -maxdepth 1 -name '.build.*' -exec rm -rf {} +
	local t0=$SECONDS
	rc=0 built=0
	try_build
	# A failed download may come from stale apt lists (the mirror dropped
	# the versions they name): refresh them once and try again.
	if [ "$rc" -eq 3 ] && apt_update_once && resolve; then
		img=$cache/img-$key
		try_build
	fi
	if [ "$rc" -eq 3 ]; then
		sed 's/^/  apt-get: /' "$cache/.download.log" | tail -5 >&2
		skip "cannot download the Debian packages for the guest with apt-get download (no network to the Debian mirror?)"
	fi
	[ "$rc" -eq 0 ] || { [ "$rc" -eq 1 ] || [ "$rc" -eq 77 ] || note "building the guest image failed (status $rc)"; exit "$rc"; }
	[ "$built" = 0 ] || note "guest image built in $((SECONDS - t0)) s ($(du -sh "$img" | cut -f1))"
	exec 9>&-
}

# try_build: build $img unless it is there; rc is build_image's status.  The
# subshell keeps build_image's traps and variables to itself, and is not
# tested with || so that set -e stays in force inside it.
try_build() {
	[ ! -f "$img/ready" ] || { rc=0; return 0; }
	set +e
	(
		set -e
		build_image "$img"
	)
	rc=$?
	set -e
	[ "$rc" -ne 0 ] || built=1
}

ensure_image

# ------------------------------------------------------------------ run
# Run directories of runs that were killed a day ago or more.
find "$cache" -maxdepth 1 -name 'run.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
rundir=$(mktemp -d "$cache/run.XXXXXX")
qpid=
# shellcheck disable=SC2317 # called through the trap
cleanup() {
	if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; fi
	rm -rf "$rundir"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
chmod 755 "$rundir"

token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
{
	echo "# generated by guest.sh"
	echo "export HOME=/root TERM=dumb PODFAB_IN_GUEST=1"
	path=$PATH
	for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		case ":$path:" in *":$d:"*) ;; *) path+=:$d ;; esac
	done
	printf 'export PATH=%q\n' "$path"
	while IFS= read -r name; do
		printf 'export %s=%q\n' "$name" "${!name}"
	done < <(compgen -e | grep -E '^(PODFAB_|PF_|FI_|CK_)' | grep -vx 'PODFAB_IN_GUEST' || true)
	for name in "${extra_env[@]}"; do
		[[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad --env name: $name"
		[ -z "${!name+x}" ] || printf 'export %s=%q\n' "$name" "${!name}"
	done
	printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$rundir/run.sh"

append="console=ttyS0 panic=-1 pf.token=$token"
if [ "$verbose" = 1 ]; then append+=" loglevel=6 pf.verbose=1"; else append+=" quiet loglevel=3"; fi

# A comma inside a qemu option value is written twice.
q() { printf '%s' "${1//,/,,}"; }
# shellcheck disable=SC2054 # the commas are qemu option syntax
qemu=(qemu-system-x86_64 -nodefaults -nographic -no-reboot
	-accel tcg,thread=multi -M pc -cpu max -m "$mem" -smp "$smp"
	-serial stdio -monitor none
	-kernel "$img/vmlinuz" -initrd "$img/initrd.gz" -append "$append"
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
	-virtfs "local,path=$(q "$img/userland"),mount_tag=pfstage,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$(q "$rundir"),mount_tag=pfrun,security_model=none,readonly=on")

# One guest at a time per cache directory: on a small machine, parallel TCG
# guests only slow each other down past their timeouts.
# PODFAB_GUEST_PARALLEL=1 lifts this.
if [ "${PODFAB_GUEST_PARALLEL:-0}" != 1 ]; then
	exec 8>"$cache/.run.lock"
	if ! flock -n 8; then
		note "waiting for another guest using $cache to finish"
		flock 8
	fi
fi

mkfifo "$rundir/console"
timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null >"$rundir/console" 2>"$rundir/qemu.stderr" &
qpid=$!

# Stream the console.  What the guest prints before COMMAND starts (firmware,
# boot) goes to a log that is shown only when the guest fails, or with
# --verbose; the result line (which may follow output that did not end in a
# newline) is taken out; carriage returns are dropped.
result='' started=0 begun=0
begin="PODFAB-GUEST-BEGIN $token"
marker="PODFAB-GUEST-RESULT $token "
while IFS= read -r line || [ -n "$line" ]; do
	line=${line//$'\r'/}
	if [ "$started" = 0 ]; then
		if [[ $line == *"$begin"* ]]; then
			started=1 begun=1
		elif [[ $line == *"$marker"* ]]; then
			result=${line#*"$marker"}
			started=2
		else
			printf '%s\n' "$line" >>"$rundir/boot.log"
			[ "$verbose" = 0 ] || printf '%s\n' "$line"
		fi
		continue
	fi
	if [ "$started" = 2 ]; then
		[ "$verbose" = 0 ] || printf '%s\n' "$line"
		continue
	fi
	if [[ $line == *"$marker"* ]]; then
		[ -z "${line%%"$marker"*}" ] || printf '%s\n' "${line%%"$marker"*}"
		result=${line#*"$marker"}
		started=2
		continue
	fi
	printf '%s\n' "$line"
done <"$rundir/console"

set +e
wait "$qpid"
qrc=$?
set -e
qpid=

show_boot_log() {
	[ "$verbose" = 0 ] && [ "$begun" = 0 ] && [ -s "$rundir/boot.log" ] || return 0
	echo "$me: the guest's console before the failure:" >&2
	# Drop the firmware's terminal control sequences.
	sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g; s/^/  guest: /' "$rundir/boot.log" | tail -40 >&2
}

case $result in
exit\ [0-9]*)
	status=${result#exit }
	exit "${status%%[!0-9]*}" ;;
skip\ *)
	skip "${result#skip }" ;;
fail\ *)
	show_boot_log
	die "guest setup failed: ${result#fail }" ;;
esac
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	printf '%s: TIMEOUT: the guest did not finish within %s s (qemu killed)\n' "$me" "$timeout_s" >&2
	exit 124
fi
show_boot_log
sed 's/^/  qemu: /' "$rundir/qemu.stderr" >&2
if [ "$qrc" -ne 0 ]; then
	die "qemu failed (exit status $qrc) before the guest reported a result"
fi
die "the guest stopped without reporting a result (kernel panic? see above)"

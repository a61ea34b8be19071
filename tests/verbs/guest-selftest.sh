#!/usr/bin/env bash
# tests/verbs/guest-selftest.sh - check the verbs guest itself (guest.sh):
# inside one guest, rxe0 is listed by ibv_devinfo with an active port and
# atomics, an RC ping-pong runs over it on loopback, and libfabric's verbs
# provider (alone and under ofi_rxm) sees it.
#
#   guest-selftest.sh [guest.sh options...]
#
# Exit status: 0 when every check passed, 77 when the guest is unavailable
# (guest.sh's skip, passed through), 124 on guest.sh's timeout, 1 otherwise.
# The cache directory is guest.sh's (--cache, $PODFAB_GUEST_CACHE or
# ./verbs-guest).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

if [ "${1:-}" != --inside ]; then
	# On the host: run this same script inside the guest.
	set +e
	"$here/guest.sh" "$@" -- bash "$here/guest-selftest.sh" --inside
	rc=$?
	set -e
	case $rc in
	0) echo "guest-selftest: all checks passed" ;;
	77) echo "guest-selftest: SKIP (the verbs guest is unavailable, see above)" ;;
	124) echo "guest-selftest: FAIL (timeout)" ;;
	*) echo "guest-selftest: FAIL (status $rc)" ;;
	esac
	exit "$rc"
fi

# ---------------------------------------------------------------- in the guest
pass=0 fail=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
show() { sed 's/^/    | /' "$1" | tail -"${2:-30}"; }

# 1. The device, its port, atomics and the IPv4-mapped loopback GID.
if timeout 60 ibv_devinfo -v -d rxe0 >"$out/devinfo" 2>&1; then
	missing=()
	grep -q 'hca_id:[[:space:]]*rxe0' "$out/devinfo" || missing+=("hca_id rxe0")
	grep -q 'PORT_ACTIVE' "$out/devinfo" || missing+=(PORT_ACTIVE)
	grep -Eq 'atomic_cap:[[:space:]]*ATOMIC_(HCA|GLOB)' "$out/devinfo" || missing+=("atomic_cap ATOMIC_HCA")
	grep -Eq 'GID\[ *1\]:[[:space:]]*::ffff:127\.0\.0\.1' "$out/devinfo" || missing+=("GID[1] ::ffff:127.0.0.1")
	if [ ${#missing[@]} -eq 0 ]; then
		ok "ibv_devinfo -v: rxe0, PORT_ACTIVE, $(grep -o 'atomic_cap:[[:space:]]*[A-Z_]*' "$out/devinfo" | tr -s '\t ' ' '), GID[1] ::ffff:127.0.0.1"
	else
		bad "ibv_devinfo -v lacks: ${missing[*]}"
		show "$out/devinfo" 80
	fi
else
	bad "ibv_devinfo -v -d rxe0 failed"
	show "$out/devinfo"
fi

# 2. RC ping-pong, server and client both here, over rxe0's GID 1.
port=18515
timeout 120 ibv_rc_pingpong -d rxe0 -g 1 -p "$port" >"$out/server" 2>&1 &
server=$!
client_rc=1
for _ in $(seq 1 50); do
	# The client fails at once while the server is not listening yet.
	if timeout 120 ibv_rc_pingpong -d rxe0 -g 1 -p "$port" 127.0.0.1 >"$out/client" 2>&1; then
		client_rc=0
		break
	fi
	grep -q "Couldn't connect" "$out/client" || break
	kill -0 "$server" 2>/dev/null || break
	sleep 0.2
done
set +e
wait "$server"
server_rc=$?
set -e
if [ "$client_rc" -eq 0 ] && [ "$server_rc" -eq 0 ] &&
	grep -q 'iters in' "$out/client" && grep -q 'iters in' "$out/server"; then
	ok "ibv_rc_pingpong -d rxe0 -g 1: $(grep 'iters in' "$out/client" | head -1)"
else
	bad "ibv_rc_pingpong (client status $client_rc, server status $server_rc)"
	echo "    client:"
	show "$out/client"
	echo "    server:"
	show "$out/server"
fi

# 3. libfabric's verbs provider sees rxe0.
if timeout 60 fi_info -p verbs >"$out/fi_verbs" 2>&1 && grep -q 'rxe0' "$out/fi_verbs"; then
	ok "fi_info -p verbs: $(grep -c '^provider:' "$out/fi_verbs") entries, domain rxe0"
else
	bad "fi_info -p verbs does not list rxe0"
	show "$out/fi_verbs"
fi

# 4. ... also as RDM endpoints through ofi_rxm.
if FI_PROVIDER='verbs;ofi_rxm' timeout 60 fi_info -t FI_EP_RDM >"$out/fi_rxm" 2>&1 &&
	grep -q 'provider: verbs;ofi_rxm' "$out/fi_rxm" && grep -q 'rxe0' "$out/fi_rxm"; then
	ok "FI_PROVIDER='verbs;ofi_rxm' fi_info -t FI_EP_RDM: $(grep -c '^provider:' "$out/fi_rxm") entries on rxe0"
else
	bad "FI_PROVIDER='verbs;ofi_rxm' fi_info -t FI_EP_RDM does not list rxe0"
	show "$out/fi_rxm"
fi

echo "guest-selftest (in the guest): $pass checks passed, $fail failed"
[ "$fail" -eq 0 ]

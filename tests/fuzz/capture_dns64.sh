#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Records real nameserver answers to the RFC 7050 query (ipv4only.arpa AAAA, ID 0x1234,
# RD) as seeds of fuzz_dns64_answer: unbound as DNS64 for each RFC 6052 prefix length,
# and unbound answering from the ipv4only.arpa zone itself (NODATA with SOA). unbound
# runs in a network namespace of its own, on ::1, removed at the end.
# Usage (root, unbound installed): tests/fuzz/capture_dns64.sh [OUT_DIR]
set -euo pipefail
out=$(realpath "${1:-$(dirname "$0")/corpus/dns64_answer}")
mkdir -p "$out"
command -v unbound >/dev/null || { echo "unbound not installed" >&2; exit 1; }
work=$(mktemp -d /tmp/colatrl-capture.XXXXXX)
ns="colatrl-capture-$$"
pid=""
cleanup() {
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up

cat >"$work/ask.py" <<'PY'
import socket, struct, sys
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x08ipv4only\x04arpa\x00" + struct.pack("!HH", 28, 1)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, ("::1", 53))
open(sys.argv[1], "wb").write(s.recv(4096))
PY
cat >"$work/ipv4only.zone" <<'ZONE'
$ORIGIN ipv4only.arpa.
$TTL 3600
@ IN SOA ipv4only.arpa. nobody.invalid. 1 3600 1200 604800 3600
@ IN NS localhost.
@ IN A 192.0.0.170
@ IN A 192.0.0.171
ZONE

# capture NAME PREF64 dns64|zone
capture() {
    local modules='"dns64 iterator"' up=yes down=no
    if [ "$3" = zone ]; then modules='"iterator"' up=no down=yes; fi
    cat >"$work/unbound.conf" <<CONF
server:
    interface: ::1
    access-control: ::/0 allow
    module-config: $modules
    dns64-prefix: $2
    chroot: ""
    username: ""
    directory: "$work"
    pidfile: "$work/unbound.pid"
    use-syslog: no
    do-daemonize: no
    num-threads: 1
    do-ip4: no
auth-zone:
    name: "ipv4only.arpa"
    zonefile: "$work/ipv4only.zone"
    for-upstream: $up
    for-downstream: $down
CONF
    ip netns exec "$ns" unbound -d -c "$work/unbound.conf" >"$work/unbound.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 50); do
        ip netns exec "$ns" python3 "$work/ask.py" "$out/$1.bin" 2>/dev/null && break
        sleep 0.2
    done
    kill "$pid"
    wait "$pid" || true
    pid=""
    [ -s "$out/$1.bin" ] || { cat "$work/unbound.log" >&2; exit 1; }
    echo "$out/$1.bin: $(stat -c %s "$out/$1.bin") bytes"
}

capture unbound_wkp_96 64:ff9b::/96 dns64
capture unbound_nsp_96 2001:db8:6461::/96 dns64
capture unbound_nsp_64 2001:db8:122:344::/64 dns64
capture unbound_nsp_56 2001:db8:122:300::/56 dns64
capture unbound_nsp_48 2001:db8:122::/48 dns64
capture unbound_nsp_40 2001:db8:100::/40 dns64
capture unbound_nsp_32 2001:db8::/32 dns64
capture unbound_nodata 64:ff9b::/96 zone

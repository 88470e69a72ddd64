#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The colatrl tc datapath on a veth pair, attached by hand with
# `colatrlctl datapath attach` (no daemon, no NAT64):
#
#   ns "clat": clat0 (IPv6 2001:db8:1::X/64, CLAT IPv4 192.0.0.2/32,
#              default via inet6 fe80::1 src 192.0.0.2 mtu 1472, colatrl attached)
#      <-- veth -->
#   ns "peer": peer0 (IPv6 only: fe80::1, 2001:db8:1::1/64), and on lo the
#              PREF64-embedded addresses of the "IPv4 server" 198.51.100.1
#
# From the clat namespace over IPv4: ping, a TCP transfer checked by SHA-256,
# UDP echoes (small and fragmented); counters must move. Done for a /96 PREF64
# with a checksum-neutral CLAT address, a /96 with a non-neutral one, and /64
# and /40 PREF64s (incremental TCP/UDP checksum updates). Also: a foreign tc
# filter survives attach and detach, and detach leaves none of ours.
#
# Env: COLATRL_BUILD_DIR (default ./build), COLATRL_NOOP_OBJ (noop.bpf.o, used
# as the "someone else's filter"). Exit 77 = SKIP (no root / netns / BPF).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
: "${COLATRL_BUILD_DIR:=$REPO/build}"
CTL="$COLATRL_BUILD_DIR/tools/colatrlctl"
NETCHECK="$HERE/lib/netcheck.py"
NOOP_OBJ=${COLATRL_NOOP_OBJ:-$COLATRL_BUILD_DIR/bpf/noop.bpf.o}
PY=$(command -v python3 || true)

SERVER4=198.51.100.1
CLAT4=192.0.0.2
OUR_PRIO=17228 # COLATRL_TC_PRIORITY 0x434c
OUR_HANDLE=0x434c

. "$HERE/lib/netns.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, BPF)"
for t in ip tc ping; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not installed"
done
[ -n "$PY" ] || skip "python3 not installed"
[ -x "$CTL" ] || skip "colatrlctl not built ($CTL)"
[ -e /proc/sys/kernel/unprivileged_bpf_disabled ] || skip "kernel without BPF syscall"

ID="dpv$$$(printf '%04x' $((RANDOM % 65536)))"
NS_C="$ID-clat"
NS_P="$ID-peer"
PIDS=()

cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    # Deleting the namespace removes veth, qdisc and filters; the programs go
    # with their last reference.
    netns_remove "$NS_C" "$NS_P"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$NS_C" || skip "cannot create network namespaces"
ip netns add "$NS_P" || skip "cannot create network namespaces"
cx() { ip netns exec "$NS_C" "$@"; }
px() { ip netns exec "$NS_P" "$@"; }

cx ip link add clat0 type veth peer name peer0 || skip "veth not available"
cx ip link set peer0 netns "$NS_P" || fail "move veth peer"
cx tc qdisc add dev clat0 clsact 2>/dev/null || skip "kernel without clsact qdisc"
cx tc qdisc del dev clat0 clsact

cx ip link set lo up
px ip link set lo up
# Fixed, DAD-free addresses so the test does not wait for DAD.
px ip -6 addr add fe80::1/64 dev peer0 nodad
px ip -6 addr add 2001:db8:1::1/64 dev peer0 nodad
px ip link set peer0 up
cx ip link set clat0 up
cx ip -4 addr add "$CLAT4/32" dev clat0
cx ip -4 route add default via inet6 fe80::1 dev clat0 src "$CLAT4" mtu 1472 ||
    fail "IPv4 default route via inet6"

# The server's IPv4 address under each PREF64 tested (RFC 6052 layout).
declare -A SERVER6=(
    [2001:db8:6464::/96]=2001:db8:6464::c633:6401
    [2001:db8:6464::/64]=2001:db8:6464:0:c6:3364:100:0
    [2001:db8:100::/40]=2001:db8:1c6:3364:1::
)
for p in "${!SERVER6[@]}"; do
    s6=${SERVER6[$p]}
    px ip -6 addr add "$s6/128" dev lo nodad
    # One server per address: a reply must come from the address asked.
    px "$PY" "$NETCHECK" serve --bind "$s6" --port 5001 >/dev/null 2>&1 &
    PIDS+=($!)
done

our_filters() {
    {
        cx tc filter show dev clat0 ingress
        cx tc filter show dev clat0 egress
    } 2>/dev/null | grep "pref $OUR_PRIO .*handle $OUR_HANDLE"
}

counter() { # name -> packets in the configured slot
    cx "$CTL" datapath show clat0 --all | awk -v n="$1" '$1 == n {print $2; exit}'
}

wait_servers() {
    local _
    for _ in $(seq 200); do
        if [ "$(px ss -Hltn 'sport = :5001' | wc -l)" -ge "${#SERVER6[@]}" ]; then
            return 0
        fi
        sleep 0.1
    done
    fail "netcheck servers did not start"
}
wait_servers

# Someone else's filter on both hooks, at another priority: must survive. It
# sits behind ours (higher number = later): a direct-action filter in front
# returning TC_ACT_OK would end classification before our programs run.
FOREIGN=0
if [ -f "$NOOP_OBJ" ]; then
    cx tc qdisc add dev clat0 clsact
    if cx tc filter add dev clat0 ingress prio 30000 handle 1 bpf da obj "$NOOP_OBJ" sec tc 2>/dev/null &&
        cx tc filter add dev clat0 egress prio 30000 handle 1 bpf da obj "$NOOP_OBJ" sec tc 2>/dev/null; then
        FOREIGN=1
    else
        echo "note: could not add a foreign bpf filter with tc; coexistence not checked" >&2
    fi
else
    echo "note: $NOOP_OBJ missing; coexistence not checked" >&2
fi

foreign_present() {
    [ "$FOREIGN" = 0 ] && return 0
    [ "$(cx tc filter show dev clat0 ingress | grep -c 'pref 30000 .*handle 0x1')" -eq 1 ] &&
        [ "$(cx tc filter show dev clat0 egress | grep -c 'pref 30000 .*handle 0x1')" -eq 1 ]
}

# run_case PREF64 CLAT6 WANT_NEUTRAL(0|1)
run_case() {
    local pref=$1 clat6=$2 want_neutral=$3 out s6 before after
    s6=${SERVER6[$pref]}
    echo "== PREF64 $pref, CLAT IPv6 $clat6"
    cx ip -6 addr flush dev clat0 scope global
    cx ip -6 addr add "$clat6/64" dev clat0 nodad
    out=$(cx "$CTL" datapath attach clat0 --clat-ipv4 "$CLAT4" --clat-ipv6 "$clat6" \
        --pref64 "$pref" 2>&1) || fail "attach: $out"
    echo "$out"
    [ "$(our_filters | wc -l)" -eq 2 ] || fail "want our 2 filters, have: $(our_filters)"
    foreign_present || fail "foreign filter gone after attach"
    out=$(cx "$CTL" datapath show clat0) || fail "show: $out"
    echo "$out" | grep -q "config: .*pref64=$pref " || fail "config not in the map: $out"
    if [ "$want_neutral" = 1 ]; then
        echo "$out" | grep -q "flags=.*csum_neutral" || fail "want csum_neutral: $out"
    else
        echo "$out" | grep -q "csum_neutral" && fail "unexpected csum_neutral: $out"
    fi

    before=$(counter egress_translated)
    local in_before
    in_before=$(counter ingress_translated)
    out=$(cx ping -4 -c 3 -i 0.2 -W 2 "$SERVER4" 2>&1) || fail "ping $SERVER4: $out"
    echo "ok: ping"
    out=$(cx "$PY" "$NETCHECK" tcp --to "$SERVER4" --bytes 4000000 2>&1) || fail "TCP: $out"
    echo "ok: $out"
    out=$(cx "$PY" "$NETCHECK" udp --to "$SERVER4" --count 20 --size 200 2>&1) || fail "UDP: $out"
    echo "ok: $out"
    local frag_before
    frag_before=$(counter egress_translated_fragment)
    out=$(cx "$PY" "$NETCHECK" udp --to "$SERVER4" --count 3 --size 4000 2>&1) ||
        fail "fragmented UDP: $out"
    echo "ok: fragmented $out"
    after=$(counter egress_translated)
    [ "${after:-0}" -ge $((${before:-0} + 3 + 20)) ] ||
        fail "egress_translated moved from ${before:-?} to ${after:-?} only"
    [ "$(counter ingress_translated)" -ge $((${in_before:-0} + 3 + 20)) ] ||
        fail "ingress_translated did not move enough"
    [ "$(counter egress_translated_fragment)" -gt "${frag_before:-0}" ] ||
        fail "egress_translated_fragment did not move"
    [ "$(counter ingress_translated_fragment)" -gt 0 ] ||
        fail "ingress_translated_fragment did not move"
    cx "$CTL" datapath show clat0
}

run_case 2001:db8:6464::/96 2001:db8:1::2b 1 # 0x2001+0xdb8+1+0x2b + prefix = 0xc002
run_case 2001:db8:6464::/96 2001:db8:1::c1a7 0
run_case 2001:db8:6464::/64 2001:db8:1::c1a7 0
run_case 2001:db8:100::/40 2001:db8:1::2b 0

# A packet not from the CLAT address passes untouched (counted, not translated).
cx ip -4 addr add 10.9.9.9/24 dev clat0
cx ip neigh add 10.9.9.1 lladdr 02:00:00:00:00:01 dev clat0 # no ARP: the packet leaves
before=$(counter egress_pass_not_clat_source)
cx ping -4 -c 1 -W 1 -I 10.9.9.9 10.9.9.1 >/dev/null 2>&1
[ "$(counter egress_pass_not_clat_source)" -gt "${before:-0}" ] ||
    fail "egress_pass_not_clat_source did not move"
echo "ok: foreign IPv4 source passes untouched"

out=$(cx "$CTL" datapath detach clat0 2>&1) || fail "detach: $out"
echo "$out"
[ -z "$(our_filters)" ] || fail "filters left after detach: $(our_filters)"
foreign_present || fail "foreign filter removed by detach"
cx ping -4 -c 1 -W 1 "$SERVER4" >/dev/null 2>&1 && fail "IPv4 still reaches the server after detach"
out=$(cx "$CTL" datapath show clat0 2>&1) && fail "show after detach succeeded: $out"
out=$(cx "$CTL" datapath detach clat0 2>&1) || fail "second detach: $out"
echo "ok: detach removed only our filters"
echo PASS

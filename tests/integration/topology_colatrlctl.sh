#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The NAT64 topology with colatrl's datapath set up by hand through
# `colatrlctl datapath attach` (no daemon): proves the tc programs against a real
# NAT64 (TAYGA) and IPv4-only server: ping, TCP, UDP, TTL expiry, PMTU behind the
# NAT64, counters, detach.
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
topo_require ping
[ -x "$COLATRLCTL" ] || topo_skip "colatrlctl not built ($COLATRLCTL)"
topo_init
TOPO_V4_MTU=1400 topo_standard

# The manual CLAT: 192.0.0.2/32 on the uplink, the CLAT IPv6 address held as a
# /128 (nodad) so the kernel answers ND for it, IPv4 default via inet6 router.
clat6=2001:db8:1::c1a8
gw=$(rx 1 ip -6 -o addr show dev lan0 scope link | awk '{split($4, a, "/"); print a[1]}')
hx ip -6 addr add "$clat6/128" dev wan1 nodad
hx ip -4 addr add 192.0.0.2/32 dev wan1
hx ip -4 route add default via inet6 "$gw" dev wan1 src 192.0.0.2 mtu 1472
out=$(ctl datapath attach wan1 --clat-ipv4 192.0.0.2 --clat-ipv6 "$clat6" \
    --pref64 2001:db8:6461::/96 --mtu 1500 2>&1) ||
    { hx ls /sys/fs/bpf >/dev/null 2>&1; topo_fail "colatrlctl datapath attach: $out"; }
echo "$out"
[ "$(dp_field wan1 pref64)" = 2001:db8:6461::/96 ] || topo_fail "map config: $(dp_config wan1)"
[ "$(our_filters wan1 | wc -l)" -ge 2 ] || topo_fail "filters not attached"

assert_traffic_via wan1

topo_ping_shows "time to live exceeded" -t1 || topo_fail "ping -t1: no Time Exceeded from the router"
topo_ping_shows "time to live exceeded" -t2 || topo_fail "ping -t2: no Time Exceeded from the NAT64"
echo "ok: TTL expiry at the router and in the NAT64 comes back as ICMPv4"

# A retry after a late Frag Needed meets the learnt PMTU locally instead.
topo_ping_shows "frag needed.*mtu = 1400|message too long, mtu=1400" -M do -s 1444 ||
    topo_fail "no Frag Needed (mtu 1400)"
mtu=$(hx ip -4 route get "$TOPO_SERVER4" | grep -o 'mtu [0-9]*' | awk '{print $2}')
[ "${mtu:-0}" = 1400 ] || topo_fail "PMTU for $TOPO_SERVER4 is '${mtu:-none}', want 1400"
hx "$TOPO_PYTHON" "$TOPO_LIB_DIR/netcheck.py" tcp --to "$TOPO_SERVER4" --bytes 3000000 ||
    topo_fail "TCP transfer after PMTU"
echo "ok: PMTU 1400 from behind the NAT64"
# Full-size (1400-byte) UDP datagrams both ways with DF: fits the learnt PMTU.
hx "$TOPO_PYTHON" "$TOPO_LIB_DIR/netcheck.py" udp --to "$TOPO_SERVER4" --count 3 --size 1372 ||
    topo_fail "1400-byte UDP exchange after PMTU"
# A 1400-byte ping: Linux echo replies carry DF=0, so the NAT64 fragments the
# ICMPv6 reply, and fragmented ICMP is not translatable (RFC 7915 §5.1): the
# drop must be counted under its own reason. The fragments may come after
# ping has given up waiting (the counter gets 5 s), and a request may be lost
# in the userspace NAT64 (three tries).
fragment_drop_counted() {
    hx ping -4 -c1 -W1 -M do -s 1372 "$TOPO_SERVER4" >/dev/null 2>&1
    for _ in $(seq 50); do
        d1=$(dp_counter wan1 ingress_drop_icmp_fragmented)
        [ "${d1:-0}" -gt "${d0:-0}" ] && return 0
        sleep 0.1
    done
    return 1
}
d0=$(dp_counter wan1 ingress_drop_icmp_fragmented)
fragment_drop_counted || fragment_drop_counted || fragment_drop_counted
[ "${d1:-0}" -gt "${d0:-0}" ] || topo_fail "fragmented ICMPv6 reply not counted as ingress_drop_icmp_fragmented"
echo "ok: full-size UDP after PMTU; fragmented ICMPv6 dropped and counted"

ctl datapath detach wan1 || topo_fail "detach"
[ -z "$(our_filters wan1)" ] || topo_fail "filters left after detach: $(our_filters wan1)"
echo PASS

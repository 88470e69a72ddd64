#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A WWAN-style uplink: raw IP, point-to-point, no ARP (a tun device in the host
# and one in the router, relayed by colatrl-test-tunrelay), RAs with PREF64,
# TAYGA as the NAT64. With the RA's link-local next hop the CLAT routes
# `via inet6 fe80::1`; with only a device route (`default dev wan1`, as modem
# managers install it) it routes `default dev wan1 src 192.0.0.x` with no next
# hop. Both carry IPv4 through the raw-IP programs, and IPv4 from another
# source does not leave (no IPv4 on the uplink); stop leaves nothing.
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping
topo_init
topo_base
topo_add_router 1 tun
topo_start_nat64 1
topo_start_ra 1
topo_start_netcheck
topo_wait_slaac 1

# The uplink is what a raw-IP modem gives: ARPHRD_NONE, POINTOPOINT, NOARP.
[ "$(hx cat /sys/class/net/wan1/type)" = 65534 ] ||
    topo_fail "wan1 is not ARPHRD_NONE: type $(hx cat /sys/class/net/wan1/type)"
hx ip link show wan1 | grep -qE '<POINTOPOINT,.*NOARP' ||
    topo_fail "wan1 is not point-to-point without ARP: $(hx ip link show wan1)"

# The raw-IP variant of a program: its BTF name, read from the kernel (the
# program name in tc's output is cut to 15 characters).
attached_variant() {
    local ifc=$1 dir=$2 id
    id=$(hx tc filter show dev "$ifc" "$dir" 2>/dev/null | grep colatrl | sed -n 's/.* id \([0-9]*\).*/\1/p' | head -n 1)
    [ -n "$id" ] || return 1
    hx bpftool prog dump xlated id "$id" 2>/dev/null | sed -n 's/^int \(colatrl_[a-z_]*\)(.*/\1/p' | head -n 1
}

# Every DAD probe (Neighbor Solicitation from ::) that reaches the router.
rx 1 nft -f - <<'EOF' || topo_fail "nft DAD counter in router1"
table ip6 colatrl_dad {
    chain pre {
        type filter hook prerouting priority 0; policy accept;
        iifname "lan0" ip6 saddr :: icmpv6 type nd-neighbor-solicit counter
    }
}
EOF
dad_probes() { rx 1 nft list table ip6 colatrl_dad | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }

daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 20
assert_installed_once wan1
# No DAD on a NOARP link (docs/decisions.md), as the kernel does for its own addresses.
[ "$(dad_probes)" = 0 ] || topo_fail "$(dad_probes) DAD probes sent on the NOARP link wan1"
clat4=$(dp_field wan1 clat4)
our_routes4 wan1 | grep -qE "^default via inet6 fe80::1 src $clat4 metric [0-9]+ mtu 1472" ||
    topo_fail "route on wan1 with the RA's next hop: $(our_routes4 wan1)"
if command -v bpftool >/dev/null 2>&1; then
    [ "$(attached_variant wan1 egress)" = colatrl_egress_rawip ] ||
        topo_fail "egress program on wan1: '$(attached_variant wan1 egress)', want colatrl_egress_rawip"
    [ "$(attached_variant wan1 ingress)" = colatrl_ingress_rawip ] ||
        topo_fail "ingress program on wan1: '$(attached_variant wan1 ingress)', want colatrl_ingress_rawip"
    echo "ok: raw-IP programs attached on wan1"
else
    echo "note: bpftool missing, program variant not checked"
fi
assert_traffic_via wan1
echo "ok: raw-IP uplink with a link-local next hop: $(our_routes4 wan1)"

# No IPv4 of its own on wan1: IPv4 from another local source is dropped by the
# raw-IP egress program (egress_drop_not_clat_source) and none reaches the router.
[[ ",$(dp_field wan1 flags)," == *,ipv6_only,* ]] ||
    topo_fail "raw-IP uplink without IPv4 lacks the ipv6_only flag: $(dp_config wan1)"
rx 1 nft -f - <<'EOF' || topo_fail "nft IPv4 counter in router1"
table netdev colatrl_v4guard {
    chain in {
        type filter hook ingress device "lan0" priority 0; policy accept;
        meta protocol ip counter
    }
}
EOF
router_v4() { rx 1 nft list table netdev colatrl_v4guard | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }
hx ip addr add 10.99.0.1/32 dev lo
drop0=$(dp_counter wan1 egress_drop_not_clat_source)
hx ping -4 -c 2 -i 0.2 -W 1 -I 10.99.0.1 "$TOPO_SERVER4" >/dev/null 2>&1 &&
    topo_fail "IPv4 from 10.99.0.1 got an answer through the IPv6-only raw-IP uplink"
drops_grew() { [ "$(dp_counter wan1 egress_drop_not_clat_source)" -gt "$drop0" ]; }
topo_wait 20 drops_grew || topo_fail "egress_drop_not_clat_source stays $drop0 on the raw-IP uplink"
assert_traffic_via wan1 # after the dropped packets, on the same link
[ "$(router_v4)" = 0 ] || topo_fail "router 1 received $(router_v4) IPv4 packets from the raw-IP uplink"
echo "ok: raw-IP: IPv4 not from the CLAT dropped ($drop0 -> $(dp_counter wan1 egress_drop_not_clat_source)), none at the router"

# Only a device route, no next hop: what ModemManager/NetworkManager set up on
# WWAN. It comes first with a lower metric, then the RA's route goes: the CLAT
# stays on throughout, its route changes shape and metric (new one first).
log_lines=$(wc -l <"$TOPO_DIR/colatrld.log")
metric_before=$(our_metric4 wan1)
hx ip -6 route add default dev wan1 metric 512 || topo_fail "cannot add the device route"
hx sysctl -qw net.ipv6.conf.wan1.accept_ra_defrtr=0
hx ip -6 route flush default dev wan1 proto ra
topo_wait 20 sh -c "ip netns exec '$TOPO_HOST' ip -4 route show proto 157 dev wan1 | grep -q '^default scope link src $clat4 '" ||
    topo_fail "no route without next hop on wan1: $(our_routes4 wan1)"
assert_installed_once wan1
[ "$(dp_field wan1 clat4)" = "$clat4" ] || topo_fail "CLAT IPv4 changed with the route"
our_routes4 wan1 | grep -qE "^default scope link src $clat4 metric [0-9]+ mtu 1472 *$" ||
    topo_fail "route shape on wan1: $(our_routes4 wan1)"
hx ip -4 route get "$TOPO_SERVER4" | grep -q "dev wan1 src $clat4" ||
    topo_fail "IPv4 to $TOPO_SERVER4 not routed through the CLAT: $(hx ip -4 route get "$TOPO_SERVER4")"
assert_traffic_via wan1
grep -q "wan1: CLAT on: .*, no next hop," "$TOPO_DIR/colatrld.log" ||
    topo_fail "no 'CLAT on ... no next hop' line in the log"
if tail -n +"$((log_lines + 1))" "$TOPO_DIR/colatrld.log" | grep -q "wan1: CLAT off"; then
    tail -n +"$((log_lines + 1))" "$TOPO_DIR/colatrld.log" >&2
    topo_fail "the CLAT went off while the route changed"
fi
[ "$(our_metric4 wan1)" -lt "$metric_before" ] ||
    topo_fail "IPv4 metric did not follow the IPv6 one down: $metric_before -> $(our_metric4 wan1)"
echo "ok: device route only: $(our_routes4 wan1)"

LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
# The DAD counter counts: with ARP and DAD on (a tun device has accept_dad -1),
# the kernel probes a new address.
[ "$(dad_probes)" = 0 ] || topo_fail "$(dad_probes) DAD probes sent on the NOARP link wan1"
hx ip link set wan1 arp on
hx sysctl -qw net.ipv6.conf.wan1.accept_dad=1
hx ip -6 addr add 2001:db8:1::99/64 dev wan1
dad_seen() { [ "$(dad_probes)" -gt 0 ]; }
topo_wait 20 dad_seen || topo_fail "the DAD probe counter did not see the kernel's own probe"
echo "ok: no DAD probe from colatrld on the NOARP link (the counter saw one once ARP was on)"
echo PASS

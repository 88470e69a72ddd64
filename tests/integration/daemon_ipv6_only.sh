#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# No IPv4 frame leaves an IPv6-only uplink. With colatrld's CLAT on wan1 and no
# other IPv4 there, IPv4 the host sends with another source (ping -I from an
# address on lo, and IPv4 forwarded from a LAN namespace) and ARP for an
# on-link IPv4 route are dropped by the egress program and counted
# (egress_drop_not_clat_source, egress_drop_arp: in `datapath show`, the bus
# Statistics, `colatrlctl statistics` and `metrics`); router 1 counts the
# IPv4 and ARP frames arriving on lan0 (nftables, netdev ingress) and sees
# none, while the CLAT's own IPv4 still flows. IPv4 tagged for a VLAN on top
# of wan1 still leaves. An IPv4 address on wan1 (no
# default route: the CLAT stays on) clears the flag and such IPv4 leaves
# again; Mode=force beside a native IPv4 default route leaves it clear too.
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
. "$(dirname "$0")/lib/bus.sh"
daemon_require ping
bus_require
topo_init
topo_standard

# Router 1 counts every IPv4 and ARP frame that reaches it from the host.
rx 1 nft -f - <<'EOF' || topo_fail "nft counters on router 1's lan0"
table netdev colatrl_v4guard {
    counter v4frames {}
    counter arpframes {}
    chain in {
        type filter hook ingress device "lan0" priority 0; policy accept;
        ether type ip counter name "v4frames"
        ether type arp counter name "arpframes"
    }
}
EOF
router_frames() {
    rx 1 nft list counter netdev colatrl_v4guard "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
# Counter $2 of wan1 is above $1 (topo_wait polls it).
counter_above() { [ "$(dp_counter wan1 "$2")" -gt "$1" ] 2>/dev/null; }
flags_have_ipv6_only() { case ",$(dp_field wan1 flags)," in *,ipv6_only,*) ;; *) return 1 ;; esac; }
# A config is there and it lacks the flag.
flags_clear() { [ -n "$(dp_field wan1 flags)" ] && ! flags_have_ipv6_only; }
router_v4_above() { [ "$(router_frames v4frames)" -gt "$1" ]; }

# A LAN behind the host: its IPv4 is forwarded and picks the CLAT's default route.
LAN="$TOPO_ID-lan"
topo_ns_add "$LAN"
ip -n "$TOPO_HOST" link add lanh type veth peer name lanc netns "$LAN" || topo_fail "veth host<->lan"
hx ip addr add 10.77.0.1/24 dev lanh
hx ip link set lanh up
ip -n "$LAN" addr add 10.77.0.2/24 dev lanc
ip -n "$LAN" link set lanc up
ip -n "$LAN" route add default via 10.77.0.1
hx sysctl -qw net.ipv4.ip_forward=1
# Another local IPv4 source, not on the uplink.
hx ip addr add 10.99.0.1/32 dev lo

bus_start
daemon_start
topo_wait 20 bus_daemon_up || topo_fail "colatrld does not answer on the bus"
daemon_wait_up wan1 2001:db8:6461::/96
flags_have_ipv6_only || topo_fail "IPv6-only uplink without the ipv6_only flag: $(dp_config wan1)"
LAST_CLAT6=$(dp_field wan1 clat6)
echo "ok: CLAT up, $(dp_config wan1)"

v4_0=$(router_frames v4frames)
arp_0=$(router_frames arpframes)
drop_0=$(dp_counter wan1 egress_drop_not_clat_source)
arpdrop_0=$(dp_counter wan1 egress_drop_arp)
route=$(hx ip -4 route get "$TOPO_SERVER4" from 10.99.0.1)
grep -q "dev wan1" <<<"$route" ||
    topo_fail "IPv4 from 10.99.0.1 would not take wan1: $route"
hx ping -4 -c 3 -i 0.2 -W 1 -I 10.99.0.1 "$TOPO_SERVER4" >/dev/null 2>&1 &&
    topo_fail "IPv4 from 10.99.0.1 got an answer through an IPv6-only uplink"
topo_wait 20 counter_above $((drop_0 + 2)) egress_drop_not_clat_source ||
    topo_fail "egress_drop_not_clat_source ${drop_0} -> $(dp_counter wan1 egress_drop_not_clat_source) after 3 pings"
drop_1=$(dp_counter wan1 egress_drop_not_clat_source)
ip netns exec "$LAN" ping -4 -c 2 -i 0.2 -W 1 "$TOPO_SERVER4" >/dev/null 2>&1 &&
    topo_fail "forwarded IPv4 from 10.77.0.2 got an answer"
topo_wait 20 counter_above $((drop_1 + 1)) egress_drop_not_clat_source ||
    topo_fail "forwarded IPv4 not counted: egress_drop_not_clat_source ${drop_1} -> $(dp_counter wan1 egress_drop_not_clat_source)"
# An on-link IPv4 route on the uplink makes the kernel ARP there.
hx ip route add 10.98.0.0/24 dev wan1
hx ping -4 -c 1 -W 1 10.98.0.5 >/dev/null 2>&1
topo_wait 20 counter_above "$arpdrop_0" egress_drop_arp ||
    topo_fail "no ARP dropped: egress_drop_arp stays ${arpdrop_0}"
hx ip route del 10.98.0.0/24 dev wan1
echo "ok: IPv4 not from the CLAT and ARP dropped: egress_drop_not_clat_source" \
    "${drop_0} -> $(dp_counter wan1 egress_drop_not_clat_source), egress_drop_arp ${arpdrop_0} -> $(dp_counter wan1 egress_drop_arp)"

# The CLAT's own traffic still flows (and comes after the dropped packets on
# the same link, so a leaked frame would have reached the router by now).
assert_traffic_via wan1
v4_1=$(router_frames v4frames)
arp_1=$(router_frames arpframes)
[ "$v4_1" = "$v4_0" ] || topo_fail "router 1 received $((v4_1 - v4_0)) IPv4 frames from the IPv6-only uplink"
[ "$arp_1" = "$arp_0" ] || topo_fail "router 1 received $((arp_1 - arp_0)) ARP frames from the IPv6-only uplink"
echo "ok: router 1 saw no IPv4 and no ARP frame (v4frames $v4_0, arpframes $arp_0)"

# The counters by their stable names through the bus, colatrlctl and metrics
# (nothing else sends such packets now, so all agree with the maps).
drops=$(dp_counter wan1 egress_drop_not_clat_source)
path=$(bus_link_path wan1)
[ -n "$path" ] || topo_fail "wan1 not on the bus"
stats=$(bctl get-property org.colatrl "$path" org.colatrl.Link1 Statistics)
grep -qE "\"egress_drop_not_clat_source\" $drops [1-9]" <<<"$stats" ||
    topo_fail "bus Statistics lacks egress_drop_not_clat_source $drops: $stats"
grep -qE '"egress_drop_arp" [1-9]' <<<"$stats" || topo_fail "bus Statistics lacks egress_drop_arp: $stats"
# (Whole outputs first: grep -q leaving early would fail the pipeline.)
out=$(ctl statistics wan1) || topo_fail "colatrlctl statistics failed"
grep -qE "^ *egress_drop_not_clat_source +$drops packets" <<<"$out" ||
    topo_fail "colatrlctl statistics: $out"
grep -qE "^ *egress_drop_arp +[1-9][0-9]* packets" <<<"$out" ||
    topo_fail "colatrlctl statistics lacks egress_drop_arp: $out"
out=$(ctl metrics) || topo_fail "colatrlctl metrics failed"
grep -qxF "colatrl_packets_total{interface=\"wan1\",counter=\"egress_drop_not_clat_source\"} $drops" <<<"$out" ||
    topo_fail "colatrlctl metrics: $(grep not_clat <<<"$out")"
echo "ok: egress_drop_not_clat_source = $drops on the bus, in colatrlctl statistics and metrics"

# A VLAN on top of the uplink is a link of its own, with its own IPv4: its
# frames leave although wan1 itself is IPv6-only. The VLAN device is played by
# a filter before ours (tests/integration/vlan_tag.bpf.c) that tags IPv4 from
# 10.97.0.2 as transmit VLAN offload does (the tag beside the frame); router
# 1 counts frames with VLAN 7.
VLAN_OBJ="$COLATRL_BUILD_DIR/tests/integration/vlan_tag.bpf.o"
[ -f "$VLAN_OBJ" ] || topo_fail "vlan_tag.bpf.o not built"
hx tc filter add dev wan1 egress pref 1 bpf obj "$VLAN_OBJ" sec tc da || topo_fail "VLAN tagger on wan1"
rx 1 nft add counter netdev colatrl_v4guard vlan7frames
rx 1 nft add rule netdev colatrl_v4guard in vlan id 7 counter name vlan7frames
hx ip addr add 10.97.0.2/32 dev lo
hx ip route add 10.97.0.1/32 dev wan1 src 10.97.0.2
hx ip neigh add 10.97.0.1 lladdr "$(rx 1 cat /sys/class/net/lan0/address)" dev wan1
pass_0=$(dp_counter wan1 egress_pass_not_clat_source)
drop_2=$(dp_counter wan1 egress_drop_not_clat_source)
hx ping -4 -c 3 -i 0.2 -W 1 10.97.0.1 >/dev/null 2>&1 # no VLAN 7 on the router: no answer
topo_wait 20 counter_above "$((${pass_0:-0} + 2))" egress_pass_not_clat_source ||
    topo_fail "tagged IPv4 not passed: egress_pass_not_clat_source ${pass_0:-0} -> $(dp_counter wan1 egress_pass_not_clat_source)"
[ "$(dp_counter wan1 egress_drop_not_clat_source)" = "$drop_2" ] ||
    topo_fail "tagged IPv4 dropped: egress_drop_not_clat_source $drop_2 -> $(dp_counter wan1 egress_drop_not_clat_source)"
vlan7=$(router_frames vlan7frames)
[ "${vlan7:-0}" -ge 3 ] || topo_fail "router 1 got ${vlan7:-0} frames of VLAN 7, want 3"
flags_have_ipv6_only || topo_fail "ipv6_only flag gone: $(dp_config wan1)"
hx tc filter del dev wan1 egress pref 1
hx ip route del 10.97.0.1/32 dev wan1
echo "ok: IPv4 tagged for a VLAN on the IPv6-only uplink passes (egress_pass_not_clat_source ${pass_0:-0} -> $(dp_counter wan1 egress_pass_not_clat_source), router VLAN 7 frames $vlan7)"

# IPv4 on the uplink (an address, no default route: the CLAT stays on): the
# flag goes, and IPv4 from another source leaves as before.
hx ip addr add 10.1.1.2/24 dev wan1
topo_wait 20 flags_clear ||
    topo_fail "ipv6_only still set with 10.1.1.2/24 on wan1: $(dp_config wan1)"
clat_up wan1 || topo_fail "CLAT not up with an IPv4 address on wan1: $(daemon_state wan1)"
pass_0=$(dp_counter wan1 egress_pass_not_clat_source)
v4_2=$(router_frames v4frames)
hx ping -4 -c 2 -i 0.2 -W 1 -I 10.99.0.1 "$TOPO_SERVER4" >/dev/null 2>&1
topo_wait 20 router_v4_above "$v4_2" ||
    topo_fail "IPv4 from 10.99.0.1 did not reach router 1 with IPv4 on wan1"
counter_above "${pass_0:-0}" egress_pass_not_clat_source ||
    topo_fail "egress_pass_not_clat_source did not grow"
echo "ok: with 10.1.1.2/24 on wan1 the flag is clear and other IPv4 leaves (router v4frames $v4_2 -> $(router_frames v4frames))"
assert_traffic_via wan1
daemon_stop
assert_nothing_left

# Mode=force beside a native IPv4 default route: the flag stays clear.
rx 1 ip addr add 10.1.1.1/24 dev lan0
hx ip route add default via 10.1.1.1 dev wan1
daemon_config "Mode=force"
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96
flags_have_ipv6_only && topo_fail "Mode=force beside native IPv4 set ipv6_only: $(dp_config wan1)"
hx ping -4 -c3 -i0.2 -W2 10.1.1.1 >/dev/null || topo_fail "native IPv4 broken beside the CLAT"
echo "ok: Mode=force beside native IPv4: $(dp_config wan1)"
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
echo PASS

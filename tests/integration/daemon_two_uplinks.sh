#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two IPv6-only uplinks at once, as on a laptop with Wi-Fi and WWAN: wan1 an
# Ethernet-like veth ("wlan", IPv6 default route metric 600 from the RA) and
# wan2 a raw-IP tun link ("wwan", device route `default dev wan2 metric 700`).
# Each gets its own CLAT (IPv4 address, programs, route); the IPv4 default
# routes are ordered like the IPv6 ones. wan1 loses carrier: IPv4 moves to
# wan2; carrier back: IPv4 returns to wan1. The IPv6 order flips: so does
# IPv4's. (bench/failover.sh measures how long the moves take.)
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping
topo_init
topo_two_uplinks # wan1 "wlan" (veth, metric 600), wan2 "wwan" (raw IP, metric 700)

daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 20
daemon_wait_up wan2 2001:db8:6462::/96 20
assert_installed_once wan1
assert_installed_once wan2
clat4_1=$(dp_field wan1 clat4)
clat4_2=$(dp_field wan2 clat4)
[ "$clat4_1" != "$clat4_2" ] || topo_fail "both uplinks have CLAT IPv4 $clat4_1"
[ "$(dp_field wan1 slot)" != "$(dp_field wan2 slot)" ] || topo_fail "both uplinks count in one slot"

# wan1's route wins, both lose to any native route (metrics >= 0xff000000).
metrics_ordered() { # true when $1's route has the lower metric
    local a b
    a=$(our_metric4 "$1")
    b=$(our_metric4 "$2")
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}
metrics_ordered wan1 wan2 || topo_fail "route order: wan1 $(our_metric4 wan1), wan2 $(our_metric4 wan2)"
for ifc in wan1 wan2; do
    [ "$(our_metric4 "$ifc")" -ge 4278190080 ] || topo_fail "metric on $ifc below our range: $(our_metric4 "$ifc")"
done
routed_via() { hx ip -4 route get "$TOPO_SERVER4" | grep -q "dev $1 src $2"; }
routed_via wan1 "$clat4_1" || topo_fail "IPv4 not via wan1: $(hx ip -4 route get "$TOPO_SERVER4")"
echo "ok: two CLATs, $clat4_1 on wan1 (metric $(our_metric4 wan1)) before $clat4_2 on wan2 (metric $(our_metric4 wan2))"
eg2=$(dp_counter wan2 egress_translated)
assert_traffic_via wan1
[ "$(dp_counter wan2 egress_translated)" = "$eg2" ] || topo_fail "traffic went out wan2 as well"

# The preferred link loses carrier (its router's end goes down).
ip -n "$(topo_router_ns 1)" link set lan0 down
topo_wait 20 routed_via wan2 "$clat4_2" ||
    topo_fail "IPv4 did not move to wan2: $(hx ip -4 route get "$TOPO_SERVER4"); wan1: $(daemon_state wan1)"
daemon_wait_off wan1 10
assert_installed_once wan2
assert_traffic_via wan2
echo "ok: wan1 down -> IPv4 via wan2"

# Carrier back: IPv4 returns to wan1.
ip -n "$(topo_router_ns 1)" link set lan0 up
daemon_wait_up wan1 2001:db8:6461::/96 30
topo_wait 20 routed_via wan1 "$(dp_field wan1 clat4)" ||
    topo_fail "IPv4 did not return to wan1: $(hx ip -4 route get "$TOPO_SERVER4")"
metrics_ordered wan1 wan2 || topo_fail "route order after return: wan1 $(our_metric4 wan1), wan2 $(our_metric4 wan2)"
assert_installed_once wan1
assert_installed_once wan2
assert_traffic_via wan1
echo "ok: wan1 back -> IPv4 via wan1"

# The IPv6 preference flips (WWAN made preferred): IPv4 follows, one route each.
hx ip -6 route add default dev wan2 metric 500 || topo_fail "device route metric 500 on wan2"
hx ip -6 route del default dev wan2 metric 700
topo_wait 20 metrics_ordered wan2 wan1 ||
    topo_fail "IPv4 order did not follow IPv6: wan1 $(our_metric4 wan1), wan2 $(our_metric4 wan2)"
assert_installed_once wan2
assert_installed_once wan1
routed_via wan2 "$(dp_field wan2 clat4)" || topo_fail "IPv4 not via wan2: $(hx ip -4 route get "$TOPO_SERVER4")"
assert_traffic_via wan2
echo "ok: IPv6 order flipped -> IPv4 via wan2"

LAST_CLAT6=$(dp_field wan1 clat6)
clat6_2=$(dp_field wan2 clat6)
daemon_stop
assert_nothing_left
anycast_has "$clat6_2" && topo_fail "anycast $clat6_2 left behind on wan2"
echo PASS

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An Ethernet uplink whose IPv6 default route has no next hop (a device route)
# gets no CLAT at all: an IPv4 route without a next hop there would ARP for
# every destination. Nothing half-installed, no retry loop. When a router's
# default route comes back, the CLAT comes up. (Raw-IP links take a device
# route: daemon_wwan.sh.)
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping
topo_init
topo_standard
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 20
echo "ok: CLAT on with the router's default route"

# Only a device route: RAs no longer install a default route.
[ "$(hx cat /sys/class/net/wan1/type)" = 1 ] || topo_fail "wan1 is not Ethernet"
hx sysctl -qw net.ipv6.conf.wan1.accept_ra_defrtr=0
hx ip -6 route flush default dev wan1 proto ra
hx ip -6 route add default dev wan1 metric 1024 || topo_fail "cannot add the device route"
daemon_wait_off wan1 20
# The filters go last (lib/apply/applier.cpp), after what daemon_wait_off sees.
no_filters() { [ -z "$(our_filters wan1)" ]; }
topo_wait 20 no_filters || topo_fail "tc filters left on wan1: $(our_filters wan1)"
log_lines=$(wc -l <"$TOPO_DIR/colatrld.log")
sleep 4 # several RAs (1 s interval) and any retry back-off (1 s, 2 s) pass
clat_off wan1 || topo_fail "CLAT came back without a gateway: $(daemon_state wan1)"
if tail -n +"$((log_lines + 1))" "$TOPO_DIR/colatrld.log" | grep -q "failed"; then
    tail -n +"$((log_lines + 1))" "$TOPO_DIR/colatrld.log" >&2
    topo_fail "install attempts without a gateway"
fi
grep -q "wan1: CLAT off: no IPv6 gateway" "$TOPO_DIR/colatrld.log" ||
    topo_fail "no 'no IPv6 gateway' line in the log"
echo "ok: device route only -> CLAT off (no IPv6 gateway), nothing installed, no retries"

hx ip -6 route del default dev wan1 metric 1024
hx sysctl -qw net.ipv6.conf.wan1.accept_ra_defrtr=1
daemon_wait_up wan1 2001:db8:6461::/96 20
assert_installed_once wan1
assert_traffic_via wan1
echo "ok: router default route back -> CLAT on"
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
echo PASS

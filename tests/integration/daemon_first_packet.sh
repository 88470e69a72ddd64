#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The first packet does not wait: once the CLAT is up, the router already has
# a neighbour entry for the CLAT IPv6 address with the host's MAC (colatrld
# sent a Neighbor Solicitation from that address, RFC 4861 §7.2.3), before
# any IPv4 packet went out; so the router never has to resolve it (the
# kernel answers anycast targets only after up to 0.8 s). The RTT of the
# first ping is printed for information (bench/control.sh measures it).
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping
topo_init
topo_standard
mac=$(hx cat /sys/class/net/wan1/address)
router_entry() { rx 1 ip -6 neigh show "$1" dev lan0; }
router_knows() { router_entry "$1" | grep -q "lladdr $mac"; }

daemon_start
daemon_wait_up wan1 2001:db8:6461::/96
clat6=$(dp_field wan1 clat6)
[ "$(dp_counter wan1 egress_translated)" = "" ] || [ "$(dp_counter wan1 egress_translated)" -eq 0 ] ||
    topo_fail "IPv4 traffic went through the CLAT before the check"
topo_wait 20 router_knows "$clat6" ||
    topo_fail "the router has no entry for the CLAT IPv6 $clat6 before traffic: '$(router_entry "$clat6")'"
echo "ok: router knows $clat6 before any traffic: $(router_entry "$clat6")"
out=$(hx ping -4 -c 3 -i 0.2 -W 2 "$TOPO_SERVER4" 2>&1) || topo_fail "IPv4 ping failed: $out"
echo "first RTTs (information only): $(echo "$out" | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | tr '\n' ' ')"

# Restarted (the router's entry removed meanwhile): told again.
LAST_CLAT6=$clat6
daemon_stop
assert_nothing_left
rx 1 ip -6 neigh del "$clat6" dev lan0 2>/dev/null
router_knows "$clat6" && topo_fail "the router's entry for $clat6 could not be removed"
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96
topo_wait 20 router_knows "$clat6" || topo_fail "not told again after a restart: '$(router_entry "$clat6")'"
echo "ok: told again after a restart"
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
echo PASS

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Switching uplinks: router 1 (wan1) goes away, router 2 (wan2, another /64,
# another NAT64 and PREF64) takes over; the CLAT follows to wan2 and nothing
# stays on wan1. Then back.
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping
topo_init
topo_standard
topo_add_router 2
topo_start_nat64 2
hx ip link set wan2 down
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96
assert_traffic_via wan1

# wan2 comes up with its router, wan1 goes down.
topo_start_ra 2
hx ip link set wan2 up
topo_wait_slaac 2
hx ip link set wan1 down
daemon_wait_up wan2 2001:db8:6462::/96 30
daemon_wait_off wan1 15
assert_installed_once wan2
assert_traffic_via wan2
echo "ok: switched to wan2"

# And back: wan1 up again, wan2's router leaves (final RA with lifetime 0) and its link goes.
hx ip link set wan1 up
topo_wait_slaac 1
topo_stop_ra 2
hx ip link set wan2 down
daemon_wait_up wan1 2001:db8:6461::/96 30
daemon_wait_off wan2 15
assert_installed_once wan1
assert_traffic_via wan1
echo "ok: switched back to wan1"
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
echo PASS

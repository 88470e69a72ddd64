#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 leaves the CLAT installed; a new colatrld adopts or cleans it and
# converges with nothing duplicated and the same (stable) CLAT IPv6 address.
# The router sends unsolicited RAs only once an hour and PREF64 comes only from
# RAs: a (re)started colatrld can only learn it quickly from the answer to its
# own Router Solicitation (the kernel keeps no RA PREF64 to read back).
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping
topo_init
topo_standard --prefix 2001:db8:1::/64 --pref64 2001:db8:6461::/96 --interval 3600
daemon_config Pref64Discovery=ra
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 8
assert_installed_once wan1
first6=$(dp_field wan1 clat6)
first4=$(dp_field wan1 clat4)

daemon_kill9
# Left behind by the crash: route, address, filters, map config (not the anycast join).
[ -n "$(our_routes4 wan1)" ] && [ -n "$(dp_config wan1)" ] ||
    echo "note: after kill -9 the state was not all present: $(daemon_state wan1)"
t0=$(date +%s%N)
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 8
echo "restart to CLAT on: $((($(date +%s%N) - t0) / 1000000)) ms"
sleep 2 # let a second pass run; duplicates would show now
assert_installed_once wan1
[ "$(dp_field wan1 clat6)" = "$first6" ] || topo_fail "CLAT IPv6 changed across restart: $first6 -> $(dp_field wan1 clat6)"
[ "$(dp_field wan1 clat4)" = "$first4" ] || topo_fail "CLAT IPv4 changed across restart: $first4 -> $(dp_field wan1 clat4)"
assert_traffic_via wan1
echo "ok: restart after kill -9 converged, nothing duplicated, same addresses"

# Twice in a row, quickly.
daemon_kill9
daemon_start
daemon_kill9
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 8
sleep 2
assert_installed_once wan1
assert_traffic_via wan1
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
echo PASS

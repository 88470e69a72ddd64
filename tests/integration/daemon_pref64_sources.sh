#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PREF64 sources: (1) DNS64 only (RA without PREF64, unbound DNS64 answering
# ipv4only.arpa, RFC 7050); (2) RA PREF64 preferred over DNS64 (RFC 9872);
# (3) Pref64= in the config beats the RA. Traffic and installed state each time.
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping unbound
topo_init
# RAs carry no PREF64 at first.
topo_standard --prefix 2001:db8:1::/64 --interval 1
topo_start_dns64 1 2001:db8:6461::/96
topo_wait 20 hx "$TOPO_PYTHON" -c 'import socket; socket.getaddrinfo("ipv4only.arpa", None, socket.AF_INET6)' ||
    topo_fail "DNS64 does not answer ipv4only.arpa AAAA"

# (1) DNS64 only
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 30
assert_installed_once wan1
assert_traffic_via wan1
echo "ok: PREF64 from DNS64 only"

# (2) an RA PREF64 appears (a second NAT64 serves it): the RA wins over DNS64.
topo_start_nat64 1 2001:db8:6469::/96 nat64b 249
topo_ra_update 1 --prefix 2001:db8:1::/64 --pref64 2001:db8:6469::/96 --interval 1
daemon_wait_up wan1 2001:db8:6469::/96 15
assert_installed_once wan1
assert_traffic_via wan1
echo "ok: RA PREF64 preferred over DNS64"
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left

# (3) Pref64= in the config beats the RA's.
daemon_config "Pref64=2001:db8:6461::/96"
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 20
assert_installed_once wan1
assert_traffic_via wan1
echo "ok: Pref64= from the config beats RA and DNS64"
daemon_stop
assert_nothing_left
echo PASS

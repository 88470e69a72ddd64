#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Proves the test topology itself, with TAYGA as the CLAT in the host namespace
# (the benchmark baseline): our RA sender gives the host SLAAC + a default route,
# the NAT64 in the router carries IPv4 to server4 (ping, TCP, UDP), TTL expiry and
# PMTU (a 1400-byte IPv4 hop behind the NAT64) come back as ICMPv4 errors, and
# the host received the PREF64 option (rdisc-style: kernel RA option to userspace).
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
topo_require ping
topo_init
TOPO_V4_MTU=1400 topo_standard

topo_tayga_clat 1
topo_assert_ipv4_traffic
echo "ok: ping, TCP, UDP over IPv4 through TAYGA CLAT + TAYGA NAT64"

# TTL expiry: hop limit 1 dies at the router (ICMPv6 from a non-PREF64 source).
topo_ping_shows "time to live exceeded" -t1 || topo_fail "ping -t1: no Time Exceeded: $TOPO_PING_OUT"
echo "ok: TTL 1 -> Time to live exceeded"

# PMTU: a 1472-byte DF packet cannot cross the 1400 hop behind the NAT64: Frag
# Needed (mtu 1400) comes back through both translators, the kernel caches PMTU
# 1400, and a bulk TCP transfer (full-size DF segments) then goes through.
# (Not a 1400-byte ping: Linux echo replies carry DF=0, TAYGA-NAT64 fragments them
# to 1280-byte IPv6 fragments and TAYGA 0.9.2 as CLAT drops those.)
topo_ping_shows "frag needed.*mtu = 1400|message too long, mtu=1400" -M do -s 1444 ||
    topo_fail "no Frag Needed (mtu 1400): $TOPO_PING_OUT"
mtu=$(hx ip -4 route get "$TOPO_SERVER4" | grep -o 'mtu [0-9]*' | awk '{print $2}')
[ "${mtu:-0}" = 1400 ] || topo_fail "PMTU for $TOPO_SERVER4 is '${mtu:-none}', want 1400"
hx "$TOPO_PYTHON" "$TOPO_LIB_DIR/netcheck.py" tcp --to "$TOPO_SERVER4" --bytes 3000000 ||
    topo_fail "TCP transfer after PMTU"
echo "ok: PMTU 1400 learnt from Frag Needed through two translators"

# Renumbering through the RA sender: a second prefix appears, the old is deprecated.
topo_ra_update 1 --prefix 2001:db8:1::/64,86400,0 --prefix 2001:db8:1:1::/64 \
    --pref64 2001:db8:6461::/96 --interval 1
topo_wait 20 topo_has_host_addr 1 2001:db8:1:1::/64 || topo_fail "no address from the new prefix"
topo_wait 20 topo_host_addr_deprecated 1 2001:db8:1::/64 || topo_fail "old prefix not deprecated"
echo "ok: SIGHUP renumbering: new /64 configured, old one deprecated"
echo "PASS"

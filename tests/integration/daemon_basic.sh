#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# colatrld with PREF64 from our RAs: the CLAT comes up on the SLAAC uplink with
# everything installed once (route via inet6 proto 157, 192.0.0.x/32, tc filters,
# map config, anycast CLAT IPv6); IPv4 ping/TCP/UDP reach the IPv4-only server;
# TTL expiry and PMTU (1400-byte IPv4 hop behind the NAT64) come back as ICMPv4;
# SIGTERM removes everything.
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping
topo_init
TOPO_V4_MTU=1400 topo_standard

daemon_start
daemon_wait_up wan1 2001:db8:6461::/96
assert_installed_once wan1
clat6=$(dp_field wan1 clat6)
LAST_CLAT6=$clat6
"$TOPO_PYTHON" -c 'import ipaddress,sys; sys.exit(ipaddress.IPv6Address(sys.argv[1]) not in ipaddress.IPv6Network("2001:db8:1::/64"))' "$clat6" ||
    topo_fail "CLAT IPv6 $clat6 not in the SLAAC /64"
our_routes4 wan1 | grep -q "mtu 1472" || topo_fail "route MTU is not 1500-28: $(our_routes4 wan1)"
echo "ok: installed once: $(daemon_state wan1)"

assert_traffic_via wan1

# TTL 1 expires at the router (ICMPv6 from outside PREF64 -> 192.0.0.8 per RFC 7600);
# TTL 2 expires in the NAT64 (source inside PREF64 -> its IPv4 192.168.251.1).
topo_ping_shows "time to live exceeded" -t1 || topo_fail "ping -t1: no Time Exceeded: $TOPO_PING_OUT"
topo_ping_shows "time to live exceeded" -t2 || topo_fail "ping -t2: no Time Exceeded: $TOPO_PING_OUT"
echo "$TOPO_PING_OUT" | grep -q "From 192.168.251.1" || echo "note: ping -t2 answer: $TOPO_PING_OUT"
echo "ok: TTL expiry comes back translated"

# PMTU: Frag Needed mtu 1400 from behind the NAT64, cached, then full-size works.
# (A retry after a late Frag Needed meets the cached PMTU locally.)
topo_ping_shows "frag needed.*mtu = 1400|message too long, mtu=1400" -M do -s 1444 ||
    topo_fail "no Frag Needed (mtu 1400): $TOPO_PING_OUT"
mtu=$(hx ip -4 route get "$TOPO_SERVER4" | grep -o 'mtu [0-9]*' | awk '{print $2}')
[ "${mtu:-0}" = 1400 ] || topo_fail "PMTU for $TOPO_SERVER4 is '${mtu:-none}', want 1400"
hx "$TOPO_PYTHON" "$TOPO_LIB_DIR/netcheck.py" udp --to "$TOPO_SERVER4" --count 3 --size 1372 ||
    topo_fail "1400-byte UDP exchange after PMTU"
hx "$TOPO_PYTHON" "$TOPO_LIB_DIR/netcheck.py" tcp --to "$TOPO_SERVER4" --bytes 3000000 ||
    topo_fail "TCP transfer after PMTU"
echo "ok: PMTU 1400 learnt, full-size DF packets and TCP pass"

daemon_stop
assert_nothing_left
hx ping -4 -c1 -W1 "$TOPO_SERVER4" >/dev/null 2>&1 && topo_fail "IPv4 still works after SIGTERM"
echo "ok: SIGTERM removed everything"
echo PASS

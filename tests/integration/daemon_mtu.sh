#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# MTU change: the router announces a smaller MTU (RA MTU option, 1400); the CLAT's
# IPv4 route MTU follows (1400 - 28 = 1372) and the datapath config carries 1400;
# full-size IPv4 packets still get through (no black hole). colatrld has no
# timer for it: it follows netlink events (the RA's options, the kernel's IPv6
# link info and prefix notifications, link changes), which this also covers:
# a link MTU change that the next RA overrides again, and an RA without any
# option colatrld reads (PREF64 from the configuration).
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping
topo_init
topo_standard
daemon_config "Pref64=2001:db8:6461::/96"
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96
our_routes4 wan1 | grep -q "mtu 1472" || topo_fail "initial route MTU not 1472: $(our_routes4 wan1)"

topo_ra_update 1 --prefix 2001:db8:1::/64 --pref64 2001:db8:6461::/96 --mtu 1400 --interval 1
ipv6_mtu_1400() { hx cat /proc/sys/net/ipv6/conf/wan1/mtu | grep -qx 1400; }
topo_wait 20 ipv6_mtu_1400 || topo_fail "host did not take the RA MTU"
route_mtu_1372() { our_routes4 wan1 | grep -q "mtu 1372"; }
topo_wait 20 route_mtu_1372 || topo_fail "route MTU did not follow the RA MTU: $(daemon_state wan1)"
[ "$(dp_field wan1 mtu)" = 1400 ] || topo_fail "datapath mtu is $(dp_field wan1 mtu), want 1400"
assert_installed_once wan1
# 1372-byte IPv4 datagrams (UDP: DF set both ways; an ICMP echo reply would come
# back DF=0, fragmented by TAYGA and so untranslatable, RFC 7915 §5.1).
hx "$TOPO_PYTHON" "$TOPO_LIB_DIR/netcheck.py" udp --to "$TOPO_SERVER4" --count 3 --size 1344 ||
    topo_fail "1372-byte UDP exchange failed"
out=$(hx ping -4 -c1 -W2 -M do -s 1400 "$TOPO_SERVER4" 2>&1)
echo "$out" | grep -q "mtu=1372" ||
    topo_fail "an oversize DF packet did not get the local 'message too long, mtu=1372': $out"
assert_traffic_via wan1
echo "ok: RA MTU 1400 -> route mtu 1372, datapath mtu 1400"

# The link MTU moves: the kernel resets the IPv6 MTU to it (1450), then the
# next RA sets 1400 again without a notification of its own.
hx ip link set wan1 mtu 1450
route_mtu_1422() { our_routes4 wan1 | grep -q "mtu 1422"; }
topo_wait 10 route_mtu_1422 || echo "note: the route did not show 1422 in between (RA came first)"
topo_wait 20 route_mtu_1372 || topo_fail "route MTU did not return to 1372 after the next RA: $(daemon_state wan1)"
ipv6_mtu_1400 || topo_fail "host IPv6 MTU is $(hx cat /proc/sys/net/ipv6/conf/wan1/mtu), want 1400"
echo "ok: link MTU 1450 then RA MTU 1400 again -> route mtu 1372"

# An RA without PREF64 (so without an option colatrld reads) and MTU 1300.
topo_ra_update 1 --prefix 2001:db8:1::/64 --mtu 1300 --interval 1
route_mtu_1272() { our_routes4 wan1 | grep -q "mtu 1272"; }
topo_wait 20 route_mtu_1272 || topo_fail "route MTU did not follow an RA without PREF64: $(daemon_state wan1)"
[ "$(dp_field wan1 mtu)" = 1300 ] || topo_fail "datapath mtu is $(dp_field wan1 mtu), want 1300"
echo "ok: RA MTU 1300 in an RA without PREF64 -> route mtu 1272"
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
echo PASS

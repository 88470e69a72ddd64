#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# colatrl-test-ra on its own: with a 10-minute interval the host still configures
# at once (its Router Solicitation is answered); bad options are refused; SIGHUP
# with a broken options file keeps the old RA; SIGTERM sends a final RA with
# router lifetime 0 (the host drops its default route) and preferred lifetime 0.
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
topo_require
topo_init
topo_base
topo_add_router 1
RA="$COLATRL_BUILD_DIR/tools/colatrl-test-ra"

out=$(rx 1 "$RA" --interface lan0 --pref64 2001:db8::/33 2>&1) && topo_fail "accepted a /33 PREF64"
echo "$out" | grep -q "length must be" || topo_fail "unclear error: $out"
out=$(rx 1 "$RA" --interface lan0 --prefix 2001:db8:1::/64,100,200 2>&1) && topo_fail "accepted preferred > valid"
rx 1 "$RA" --bogus 2>/dev/null && topo_fail "accepted an unknown option"
rx 1 "$RA" --help | grep -q -- "--pref64" || topo_fail "--help does not document --pref64"
echo "ok: bad options refused"

# Long interval: only the answer to the host's RS can configure it quickly.
topo_start_ra 1 --prefix 2001:db8:1::/64 --pref64 2001:db8:6461::/96 --interval 600 --mtu 1480
hx ip link set wan1 down
hx ip link set wan1 up # sends Router Solicitations
topo_wait 20 topo_has_host_addr 1 || topo_fail "no SLAAC address: RS not answered"
hx ip -6 route show default | grep -q "dev wan1" || topo_fail "no default route from the RS answer"
hx cat /proc/sys/net/ipv6/conf/wan1/mtu | grep -qx 1480 || topo_fail "MTU option not applied"
echo "ok: RS answered (PIO, router lifetime, MTU option applied)"

# A broken options file on SIGHUP: the sender keeps running with the old options.
topo_ra_update 1 --pref64 nonsense
topo_wait 20 grep -q "reload failed, keeping old" "$TOPO_DIR/ra1.log" || topo_fail "no reload error logged"
kill -0 "$TOPO_RA_PID_1" || topo_fail "RA sender died on a bad options file"
echo "ok: bad reload kept the old options"

# --once sends one RA (here: a second /64) and exits 0.
rx 1 "$RA" --interface lan0 --once --prefix 2001:db8:1:5::/64 || topo_fail "--once failed"
topo_wait 20 topo_has_host_addr 1 2001:db8:1:5::/64 || topo_fail "--once RA not applied"
echo "ok: --once"

# SIGTERM: final RA with lifetimes 0.
topo_stop_ra 1
no_default() { ! hx ip -6 route show default | grep -q "dev wan1"; }
topo_wait 20 no_default || topo_fail "default route still there after the final RA"
topo_wait 20 topo_host_addr_deprecated 1 2001:db8:1::/64 || topo_fail "prefix not deprecated by the final RA"
echo "ok: final RA on SIGTERM withdrew the router and deprecated the prefix"
echo PASS

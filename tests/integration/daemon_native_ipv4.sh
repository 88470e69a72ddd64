#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Mode=auto: native IPv4 on the uplink keeps the CLAT off; when the native IPv4
# default route goes, the CLAT comes up; when it returns, the CLAT goes off
# again. Mode=force installs it next to native IPv4 (losing on metric).
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping
topo_init
topo_standard
topo_native_ipv4 1
daemon_start
sleep 3
clat_off wan1 || topo_fail "CLAT installed despite native IPv4: $(daemon_state wan1)"
hx ping -4 -c3 -i0.2 -W2 10.1.1.1 >/dev/null || topo_fail "native IPv4 broken"
echo "ok: native IPv4 -> CLAT off"

hx ip route del default via 10.1.1.1 dev wan1 || topo_fail "cannot remove native default route"
daemon_wait_up wan1 2001:db8:6461::/96 20
assert_installed_once wan1
assert_traffic_via wan1
echo "ok: native default route gone -> CLAT on"

hx ip route add default via 10.1.1.1 dev wan1
daemon_wait_off wan1 20
hx ping -4 -c3 -i0.2 -W2 10.1.1.1 >/dev/null || topo_fail "native IPv4 broken after CLAT off"
echo "ok: native IPv4 back -> CLAT off"
daemon_stop
assert_nothing_left

daemon_config "Mode=force"
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 20
assert_installed_once wan1
hx ip -4 route get "$TOPO_SERVER4" | grep -q "via 10.1.1.1" ||
    topo_fail "native default route does not win over the CLAT's: $(hx ip -4 route get "$TOPO_SERVER4")"
echo "ok: Mode=force installs the CLAT behind the native route"
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
echo PASS

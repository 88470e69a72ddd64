#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Other users of the uplink. Another CLAT (here set up the way NetworkManager's
# and clatd's are: a 192.0.0.0/29 address and an IPv4 default route via inet6)
# keeps colatrld off on that link, with a log line, whatever the Mode, and its
# state is never touched; when it goes, colatrld comes up; when one appears
# beside ours, colatrld steps back. Someone else's tc filters on the uplink
# stay in place through start, changes and stop.
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping tc bpftool
topo_init
topo_standard

# Someone else's BPF filters (tests/integration/foreign_filter.bpf.c: they
# count and hand each packet on): on both hooks before ours (pref 1), and on
# egress after ours (pref 49152, tc's default for a first filter).
FOREIGN_OBJ="$COLATRL_BUILD_DIR/tests/integration/foreign_filter.bpf.o"
[ -f "$FOREIGN_OBJ" ] || topo_skip "foreign_filter.bpf.o not built"
hx tc qdisc add dev wan1 clsact || topo_fail "cannot add clsact"
FOREIGN=("egress 1" "ingress 1" "egress 49152")
for f in "${FOREIGN[@]}"; do
    set -- $f
    hx tc filter add dev wan1 "$1" pref "$2" bpf obj "$FOREIGN_OBJ" sec tc da ||
        topo_fail "cannot add the foreign $1 filter at pref $2"
done
foreign_intact() {
    local f
    for f in "${FOREIGN[@]}"; do
        set -- $f
        hx tc filter show dev wan1 "$1" pref "$2" | grep -q 'foreign_count' ||
            topo_fail "the foreign $1 filter at pref $2 is gone: $(hx tc filter show dev wan1 "$1")"
    done
}
# Packets the foreign egress filter at pref $1 has seen (its map, found
# through its program).
foreign_packets() {
    local prog map
    prog=$(hx tc filter show dev wan1 egress pref "$1" | sed -n 's/.* id \([0-9]*\).*/\1/p' | head -1)
    map=$(bpftool prog show id "$prog" | sed -n 's/.*map_ids \([0-9]*\).*/\1/p')
    bpftool map dump id "$map" -j | "$TOPO_PYTHON" -c '
import json, sys
v = json.load(sys.stdin)[0]["value"]
print(v if isinstance(v, int) else int.from_bytes(bytes(int(b, 16) for b in v), "little"))'
}

other_clat_on() {
    hx ip -4 addr add 192.0.0.5/32 dev wan1 || topo_fail "cannot add the other CLAT's address"
    hx ip -4 route add default via inet6 fe80::1 dev wan1 src 192.0.0.5 proto static metric 100 ||
        topo_fail "cannot add the other CLAT's route"
}
other_clat_off() {
    hx ip -4 route del default via inet6 fe80::1 dev wan1 proto static metric 100
    hx ip -4 addr del 192.0.0.5/32 dev wan1
}
other_clat_intact() {
    hx ip -4 -o addr show dev wan1 | grep -q ' 192.0.0.5/32 ' ||
        topo_fail "the other CLAT's address was removed"
    hx ip -4 route show dev wan1 proto static | grep -q '^default via inet6 fe80::1' ||
        topo_fail "the other CLAT's route was removed"
}
ours_absent() {
    [ -z "$(our_routes4 wan1)" ] && [ -z "$(dp_config wan1)" ] &&
        ! hx ip -4 -o addr show dev wan1 | grep -v ' 192.0.0.5/32 ' | grep -q ' 192\.0\.0\.'
}
log_has() { grep -q "$1" "$TOPO_DIR/colatrld.log"; }

# 1. Another CLAT first: colatrld stays off, even with Mode=force.
other_clat_on
daemon_config Mode=force
daemon_start
topo_wait 20 log_has "another CLAT is active" ||
    topo_fail "no log line about the other CLAT: $(tail -5 "$TOPO_DIR/colatrld.log")"
sleep 1
ours_absent || topo_fail "colatrld installed beside another CLAT: $(daemon_state wan1)"
other_clat_intact
foreign_intact
echo "ok: another CLAT present -> off ($(grep -o 'CLAT off: another CLAT.*' "$TOPO_DIR/colatrld.log" | head -1))"

# 2. It goes: ours comes up, with the foreign filters still in front.
other_clat_off
daemon_wait_up wan1 2001:db8:6461::/96 20
assert_installed_once wan1
foreign_intact
before0=$(foreign_packets 1)
after0=$(foreign_packets 49152)
assert_traffic_via wan1
before1=$(foreign_packets 1)
after1=$(foreign_packets 49152)
[ "${before1:-0}" -gt "${before0:-0}" ] ||
    topo_fail "the foreign egress filter before ours saw no packets (${before0:-0} -> ${before1:-0})"
[ "${after1:-0}" -gt "${after0:-0}" ] ||
    topo_fail "the foreign egress filter after ours saw no packets (${after0:-0} -> ${after1:-0})"
echo "ok: other CLAT gone -> on; foreign filters before and after ours keep counting" \
    "(${before0:-0} -> $before1, ${after0:-0} -> $after1)"

# 3. Another CLAT appears beside ours: colatrld removes its own and stays off.
other_clat_on
topo_wait 20 ours_absent || topo_fail "colatrld did not step back: $(daemon_state wan1)"
other_clat_intact
foreign_intact
echo "ok: another CLAT appeared -> ours removed, theirs untouched"

other_clat_off
daemon_wait_up wan1 2001:db8:6461::/96 20
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
foreign_intact
echo "ok: stop leaves the foreign filters"
echo PASS

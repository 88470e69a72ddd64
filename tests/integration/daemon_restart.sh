#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 leaves the CLAT installed; a new colatrld adopts or cleans it and
# converges with nothing duplicated and the same (stable) CLAT IPv6 address.
# SIGUSR2 (exit for a successor, what a systemd restart does on SIGTERM)
# keeps the CLAT translating: a restart that way loses no ping at 100 Hz,
# while SIGTERM + start still removes it all (the loss is printed). A start
# that fails on a bad configuration removes what the earlier run left.
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
daemon_wait_up wan1 2001:db8:6461::/96 20
assert_installed_once wan1
first6=$(dp_field wan1 clat6)
first4=$(dp_field wan1 clat4)

daemon_kill9
# Left behind by the crash: route, address, filters, map config (not the anycast join).
[ -n "$(our_routes4 wan1)" ] && [ -n "$(dp_config wan1)" ] ||
    echo "note: after kill -9 the state was not all present: $(daemon_state wan1)"
t0=$(date +%s%N)
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 20
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
daemon_wait_up wan1 2001:db8:6461::/96 20
sleep 2
assert_installed_once wan1
assert_traffic_via wan1
LAST_CLAT6=$(dp_field wan1 clat6)

# Restart by SIGUSR2 + start: nothing removed, the new run adopts at once.
handover_restart() {
    daemon_handover
    clat_off wan1 && topo_fail "SIGUSR2 removed the CLAT"
    daemon_start
}
ping_loss_during wan1 "SIGUSR2 + start (handover)" handover_restart
[ "$LOST" -eq 0 ] || topo_fail "$LOST pings lost across a handover restart (want 0)"
sleep 1
assert_installed_once wan1
[ "$(dp_field wan1 clat6)" = "$first6" ] || topo_fail "CLAT IPv6 changed across the handover"
grep -q "adopting what an earlier run left: route address tc filters" "$TOPO_DIR/colatrld.log" ||
    topo_fail "the new run did not adopt the kept CLAT: $(tail -n 20 "$TOPO_DIR/colatrld.log")"
grep -q "DAD for" "$TOPO_DIR/colatrld.log" && echo "note: a DAD ran in one of the runs"
echo "ok: restart by SIGUSR2 lost no ping, same addresses, adopted"

# For comparison: SIGTERM + start removes and reinstalls (with a DAD).
stop_start() {
    daemon_stop
    daemon_start
}
ping_loss_during wan1 "SIGTERM + start" stop_start
[ "$LOST" -gt 0 ] || echo "note: SIGTERM + start lost no ping this time"
assert_installed_once wan1

# A start on a bad configuration after a handover: it exits 78 and removes
# what it would otherwise have adopted.
daemon_handover
daemon_config Mode=sometimes
rc=0
hx "$COLATRLD" --config "$TOPO_DIR/colatrld.conf" --state-dir "$TOPO_DIR/state" \
    >"$TOPO_DIR/badconf.log" 2>&1 || rc=$?
[ "$rc" -eq 78 ] || topo_fail "start with a bad configuration exited $rc, not 78: $(cat "$TOPO_DIR/badconf.log")"
grep -q "colatrld.conf:2" "$TOPO_DIR/badconf.log" || topo_fail "no FILE:LINE error: $(cat "$TOPO_DIR/badconf.log")"
assert_nothing_left
echo "ok: a start on a bad configuration removed the kept CLAT: $(grep -c removed "$TOPO_DIR/badconf.log") lines"

daemon_config Pref64Discovery=ra
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 20
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
# The clsact qdisc an earlier run made goes with the last filter of a later one.
left=$(hx tc qdisc show dev wan1 | grep clsact)
[ -z "$left" ] || topo_fail "clsact qdisc left on wan1 after the last stop: $left"
echo PASS

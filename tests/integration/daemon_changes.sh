#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# colatrld follows the network without a restart: PREF64 change (RA; the CLAT
# IPv6 address stays, traffic goes on across it), renumbering
# (new /64 in the RA, the old one deprecated), link down/up, PREF64 expiry
# (the RA stops carrying it; its lifetime runs out). Traffic and state each time.
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping
topo_init
topo_standard
topo_start_nat64 1 2001:db8:6469::/96 nat64b 249
daemon_config "Pref64Discovery=ra"
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96
assert_traffic_via wan1

# PREF64 change: the CLAT IPv6 address stays (no new DAD, the map alone
# switches); a ping running across the change keeps getting answers.
clat6_before=$(dp_field wan1 clat6)
# -w: ping waits for late replies (up to 20 s) instead of counting them lost.
hx ping -4 -n -c 60 -i 0.05 -w 20 "$TOPO_SERVER4" >"$TOPO_DIR/ping-change.out" 2>&1 &
pinger=$!
sleep 1
topo_ra_update 1 --prefix 2001:db8:1::/64 --pref64 2001:db8:6469::/96 --interval 1
daemon_wait_up wan1 2001:db8:6469::/96 10
wait "$pinger"
[ "$(dp_field wan1 clat6)" = "$clat6_before" ] ||
    topo_fail "the CLAT IPv6 address changed with the PREF64: $clat6_before -> $(dp_field wan1 clat6)"
received=$(ping_answered_seqs "$TOPO_DIR/ping-change.out" | awk '$1 <= 60' | wc -l)
# None lost: a reply in flight at the switch comes from the old prefix and is
# translated with the previous config, kept beside the new one for a while.
[ "$received" -eq 60 ] || { cat "$TOPO_DIR/ping-change.out" >&2; topo_fail "ping across the PREF64 change: $received of requests 1-60 answered"; }
ctl datapath show wan1 | grep -q "^ *previous config: .*pref64=2001:db8:6461::/96 " ||
    topo_fail "no previous config after the PREF64 change: $(ctl datapath show wan1)"
# It goes after its grace period (10 s), by the daemon's one-shot timer.
no_previous_config() { ! ctl datapath show wan1 | grep -q 'previous config:'; }
topo_wait 20 no_previous_config ||
    topo_fail "the previous config stayed: $(ctl datapath show wan1)"
assert_installed_once wan1
assert_traffic_via wan1
echo "ok: PREF64 change followed, CLAT IPv6 $clat6_before kept, $received/60 pings answered across it"

# Renumbering: the router gets the new /64, the RA announces it and deprecates the old.
rx 1 ip addr add 2001:db8:1:1::1/64 dev lan0
old6=$(dp_field wan1 clat6)
log_lines=$(wc -l <"$TOPO_DIR/colatrld.log")
topo_ra_update 1 --prefix 2001:db8:1::/64,86400,0 --prefix 2001:db8:1:1::/64 \
    --pref64 2001:db8:6469::/96 --interval 1
in_new() {
    "$TOPO_PYTHON" -c 'import ipaddress,sys; sys.exit(ipaddress.IPv6Address(sys.argv[1]) not in ipaddress.IPv6Network("2001:db8:1:1::/64"))' "$(dp_field wan1 clat6)"
}
topo_wait 20 in_new || topo_fail "CLAT IPv6 not moved to 2001:db8:1:1::/64 (still $(dp_field wan1 clat6))"
daemon_wait_up wan1 2001:db8:6469::/96
new6=$(dp_field wan1 clat6)
rx 1 ip -6 neigh show "$new6" dev lan0 | grep -q "lladdr $(hx cat /sys/class/net/wan1/address)" ||
    topo_fail "the router was not told about the new CLAT IPv6 $new6"
assert_installed_once wan1
anycast_has "$old6" && topo_fail "old CLAT IPv6 $old6 still joined as anycast"
assert_traffic_via wan1
echo "ok: renumbering followed ($old6 -> $(dp_field wan1 clat6))"
# Make-before-break: the old (deprecated, still valid) /64 carries the CLAT
# until the new one is usable, so it never goes off while renumbering.
if tail -n +"$((log_lines + 1))" "$TOPO_DIR/colatrld.log" | grep -q "CLAT off"; then
    tail -n +"$((log_lines + 1))" "$TOPO_DIR/colatrld.log" | grep "CLAT" >&2
    topo_fail "the CLAT went off during renumbering (make-before-break broken)"
fi
echo "ok: no gap while renumbering"

# Link down/up
hx ip link set wan1 down
daemon_wait_off wan1 15
hx ip link set wan1 up
daemon_wait_up wan1 2001:db8:6469::/96 30
assert_installed_once wan1
assert_traffic_via wan1
echo "ok: link down -> off, up -> on again"

# PREF64 expiry: withdraw the first PREF64 (lifetime 0: it is still valid from
# the RAs at the start), give the current one a 16 s lifetime, then stop
# announcing PREF64 at all: the CLAT must go off when those 16 s run out.
topo_ra_update 1 --prefix 2001:db8:1:1::/64 --pref64 2001:db8:6461::/96,0 \
    --pref64 2001:db8:6469::/96,16 --interval 1
sleep 2
topo_ra_update 1 --prefix 2001:db8:1:1::/64 --no-pref64 --interval 1
t0=$SECONDS
daemon_wait_off wan1 30
echo "ok: PREF64 expired after ~$((SECONDS - t0)) s -> CLAT off"
hx ping -4 -c1 -W1 "$TOPO_SERVER4" >/dev/null 2>&1 && topo_fail "IPv4 still works after PREF64 expiry"
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
echo PASS

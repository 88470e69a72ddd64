#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A netlink storm under traffic: COLATRL_STORM_CHANGES (default 1000) changes to the
# uplink, in bursts, while a ping runs through the CLAT: addresses of both families
# added and removed, renumbering (addresses in new /64s, the RA's prefix changing),
# IPv6 default routes from more routers, IPv4 routes, MTU changes, link flaps, the RA's
# PREF64 changing and expiring, and the uplink deleted and created again. colatrld must
# not crash, must end in exactly the right state (one route, one address, one filter
# pair, the right config map) with traffic flowing, and its open fds and RSS must not
# grow: fds exactly as before the storm, RSS by at most COLATRL_STORM_RSS_KB (default
# 16 MiB; 160 MiB under ASan, whose quarantine holds freed memory). Prints one line:
#   storm: N changes in S s; fds A -> B; VmRSS X -> Y kB (+G kB)
# bench/storm_soak.sh runs it with 10,000 changes.
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping
total=${COLATRL_STORM_CHANGES:-1000}
topo_init
topo_standard
topo_start_nat64 1 2001:db8:6469::/96 nat64b 249
rx 1 ip addr add 2001:db8:1:1::1/64 dev lan0 # the renumbered /64
daemon_config "Pref64Discovery=ra"
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96

fds() { ls "/proc/$COLATRLD_PID/fd" | wc -l; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$COLATRLD_PID/status"; }
alive() {
    kill -0 "$COLATRLD_PID" 2>/dev/null || topo_fail "colatrld died during the storm (after $done changes)"
}
# The settled state after any part of the storm: the RA as at the start, CLAT up
# with the first PREF64, exactly one of everything.
settle() {
    daemon_wait_up wan1 "${1:-2001:db8:6461::/96}" 60
    assert_installed_once wan1
    [ "$(dp_field wan1 mtu)" = 1500 ] || topo_fail "datapath mtu $(dp_field wan1 mtu), want 1500"
    our_routes4 wan1 | grep -q "mtu 1472" || topo_fail "route MTU not 1472: $(our_routes4 wan1)"
}
ra_default() { topo_ra_update 1 --prefix 2001:db8:1::/64 --pref64 2001:db8:6461::/96 --interval 1; }

# One burst of changes through one `ip -batch` (fast enough to pile up events).
done=0
batch() {
    local f="$TOPO_DIR/batch"
    cat >"$f"
    hx ip -force -batch "$f" >/dev/null 2>&1 # some deletes may miss after a flap: fine
    done=$((done + $(grep -c . "$f")))
}
burst() {
    local r=$1 i
    {
        for i in 1 2 3 4; do
            echo "-6 addr add 2001:db8:1:$((r % 50 + 100))::$i/64 dev wan1 nodad"
            echo "-4 addr add 10.200.$((r % 200)).$i/24 dev wan1"
        done
        echo "-6 route add default via fe80::$((r % 7 + 2)) dev wan1 metric $((2000 + r % 3))"
        echo "-4 route add 10.201.$((r % 200)).0/24 dev wan1"
        echo "link set wan1 mtu $((1400 + r % 90))"
        echo "link set wan1 mtu 1500"
        for i in 1 2 3 4; do
            echo "-6 addr del 2001:db8:1:$((r % 50 + 100))::$i/64 dev wan1"
            echo "-4 addr del 10.200.$((r % 200)).$i/24 dev wan1"
        done
        echo "-6 route del default via fe80::$((r % 7 + 2)) dev wan1 metric $((2000 + r % 3))"
        echo "-4 route del 10.201.$((r % 200)).0/24 dev wan1"
    } >"$TOPO_DIR/burst"
    batch <"$TOPO_DIR/burst" # not in a pipeline: batch counts in this shell
}

# The uplink goes away with its router's RA sender and comes back (same names, a new
# ifindex), as topo_add_router made it.
recreate_uplink() {
    topo_stop_ra 1
    ip -n "$(topo_router_ns 1)" link del lan0
    ip -n "$(topo_router_ns 1)" link add lan0 type veth peer name wan1 netns "$TOPO_HOST" ||
        topo_fail "veth host<->router1 again"
    hx sysctl -qw net.ipv6.conf.wan1.accept_ra=1 net.ipv6.conf.wan1.autoconf=1
    ip -n "$(topo_router_ns 1)" link set lan0 up
    ip -n "$(topo_router_ns 1)" addr add 2001:db8:1::1/64 dev lan0
    ip -n "$(topo_router_ns 1)" addr add 2001:db8:1:1::1/64 dev lan0
    hx ip link set wan1 up
    topo_start_ra 1 # returns once it catches SIGHUP
    done=$((done + 4))
}

# Traffic through the CLAT during the storm (losses expected while it is off).
topo_spawn storm-ping "$TOPO_HOST" ping -4 -q -i 0.2 "$TOPO_SERVER4"
ping_pid=$TOPO_LAST_PID

# Warm-up: one of each kind, so lazily grown buffers and caches count in the baseline.
round=0
warm() {
    burst "$round"
    round=$((round + 1))
}
warm
recreate_uplink
topo_wait_slaac 1
settle
echo "warm-up done at ${SECONDS} s"
fd0=$(fds) rss0=$(rss_kb)
done=0
t0=$SECONDS

while [ "$done" -lt "$total" ]; do
    burst "$round"
    round=$((round + 1))
    case $((round % 20)) in
    5) # renumbering: a second /64, the first deprecated; then back
        topo_ra_update 1 --prefix 2001:db8:1::/64,86400,0 --prefix 2001:db8:1:1::/64 \
            --pref64 2001:db8:6461::/96 --interval 1
        done=$((done + 1))
        ;;
    8) # PREF64 change
        topo_ra_update 1 --prefix 2001:db8:1::/64 --pref64 2001:db8:6469::/96 --interval 1
        done=$((done + 1))
        ;;
    11) # PREF64 withdrawn (lifetime 0) and later back
        topo_ra_update 1 --prefix 2001:db8:1::/64 --pref64 2001:db8:6469::/96,0 --interval 1
        done=$((done + 1))
        ;;
    13) # link flap
        hx ip link set wan1 down
        hx ip link set wan1 up
        done=$((done + 2))
        ;;
    15)
        ra_default
        done=$((done + 1))
        ;;
    19) # the uplink deleted and created again
        recreate_uplink
        ;;
    esac
    alive
    sleep 0.05
done
storm_s=$((SECONDS - t0))
echo "storm done at ${SECONDS} s"

# A PREF64 that expires: announced with an 8 s lifetime (the shortest there is) (the other one withdrawn), then
# no longer announced.
topo_ra_update 1 --prefix 2001:db8:1::/64 --pref64 2001:db8:6461::/96,0 \
    --pref64 2001:db8:6469::/96,8 --interval 1
daemon_wait_up wan1 2001:db8:6469::/96 30
topo_ra_update 1 --prefix 2001:db8:1::/64 --no-pref64 --interval 1
daemon_wait_off wan1 30
done=$((done + 2))
echo "ok: PREF64 expired -> CLAT off"
ra_default
done=$((done + 1))
settle
alive
kill "$ping_pid" 2>/dev/null
assert_traffic_via wan1
# No address of the storm is left behind (the RA's /64s are not ours to judge).
left=$(hx ip -o addr show dev wan1 | grep -E '10\.200\.|2001:db8:1:1[0-4][0-9]::')
[ -z "$left" ] || topo_fail "storm addresses left (the test's own cleanup?): $left"

fd1=$(fds) rss1=$(rss_kb)
growth=$((rss1 - rss0))
echo "storm: $done changes in $storm_s s (+ the PREF64 expiry); fds $fd0 -> $fd1; VmRSS $rss0 -> $rss1 kB (${growth:+$growth} kB)"
if nm -D "$COLATRLD" 2>/dev/null | grep -q __asan_init || grep -q __asan_init "$COLATRLD" 2>/dev/null; then
    limit=${COLATRL_STORM_RSS_KB:-163840}
else
    limit=${COLATRL_STORM_RSS_KB:-16384}
fi
[ "$fd1" -eq "$fd0" ] || { ls -l "/proc/$COLATRLD_PID/fd" >&2; topo_fail "open fds grew from $fd0 to $fd1"; }
[ "$growth" -le "$limit" ] || topo_fail "VmRSS grew by $growth kB (limit $limit kB)"
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
echo PASS

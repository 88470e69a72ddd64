#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Failover between two uplinks (tests/integration/lib/topology.sh
# topo_two_uplinks: wan1 "wlan" veth preferred, wan2 "wwan" raw-IP tun), IPv4
# to server4 probed by a 100 Hz ping (ping -D -i 0.01):
#   down  wan1 loses carrier (its router's end goes down) while the ping runs:
#         the longest gap between replies, minus the 10 ms interval, is the
#         outage; lost = echo requests without reply.
#   back  wan1's carrier returns: ms until IPv4 is routed via wan1 again
#         (`ip route get`, polled every 10 ms), and the pings lost meanwhile.
# Two setups, rounds interleaved (baseline, colatrl, baseline, ...):
#   baseline  native IPv4 on both links (default routes metric 600/700, no
#             CLAT: colatrld stays off, Mode=auto) with
#             net.ipv4.conf.wan1.ignore_routes_with_linkdown=1, so the kernel
#             itself skips the dead route at once: the best possible figure.
#   colatrl   IPv4 through the two CLATs; colatrld removes the dead link's
#             route (the next one, wan2's, is already installed).
# Medians (min..max) per setup are printed as a table.
#
# Usage: bench/failover.sh [--rounds N]      (default 5)
# Needs root; exits 77 with SKIP otherwise. Env: COLATRL_BUILD_DIR (default ./build).
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=5
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N]" >&2; exit 2 ;;
    esac
done
export COLATRL_BUILD_DIR=${COLATRL_BUILD_DIR:-$PWD/build}
. tests/integration/lib/topology.sh
. tests/integration/lib/daemon.sh
daemon_require ping
[ -x "$COLATRL_BUILD_DIR/tools/colatrl-test-tunrelay" ] || topo_skip "colatrl-test-tunrelay not built"
topo_init
TOPO_QUIET_LOGS=1
topo_two_uplinks
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 30
daemon_wait_up wan2 2001:db8:6462::/96 30

R1=$(topo_router_ns 1)
routed_via() { hx ip -4 route get "$TOPO_SERVER4" 2>/dev/null | grep -q "dev $1 "; }
now_ms() { date +%s%3N; }

native_on() {
    rx 1 ip addr add 10.1.1.1/24 dev lan0
    rx 2 ip addr add 10.1.2.1/24 dev lan0
    hx ip addr add 10.1.1.2/24 dev wan1
    hx ip addr add 10.1.2.2/24 dev wan2
    hx ip route add default via 10.1.1.1 dev wan1 metric 600
    hx ip route add default via 10.1.2.1 dev wan2 metric 700
    hx sysctl -qw net.ipv4.conf.wan1.ignore_routes_with_linkdown=1
    daemon_wait_off wan1 20
    daemon_wait_off wan2 20
}
native_off() {
    hx ip route del default via 10.1.1.1 dev wan1 metric 600 2>/dev/null
    hx ip route del default via 10.1.2.1 dev wan2 metric 700 2>/dev/null
    hx ip addr del 10.1.1.2/24 dev wan1 2>/dev/null
    hx ip addr del 10.1.2.2/24 dev wan2 2>/dev/null
    rx 1 ip addr del 10.1.1.1/24 dev lan0 2>/dev/null
    rx 2 ip addr del 10.1.2.1/24 dev lan0 2>/dev/null
    hx sysctl -qw net.ipv4.conf.wan1.ignore_routes_with_linkdown=0
    daemon_wait_up wan1 2001:db8:6461::/96 30
    daemon_wait_up wan2 2001:db8:6462::/96 30
}

# "GAP_MS LOST" from a `ping -D` output file.
ping_figures() {
    awk '
        /^\[[0-9.]+\] .*icmp_seq=/ {
            t = substr($1, 2, length($1) - 2) * 1000
            if (prev != "" && t - prev > gap) gap = t - prev
            prev = t
        }
        / packets transmitted, / { sent = $1; got = $4 }
        END { g = gap - 10; if (g < 0) g = 0; printf "%d %d\n", g, sent - got }
    ' "$1"
}

# One round: prints "DOWN_GAP_MS DOWN_LOST BACK_MS BACK_LOST".
round() {
    local out=$TOPO_DIR/ping.out t0 back down
    routed_via wan1 || topo_fail "round starts with IPv4 not via wan1: $(hx ip -4 route get "$TOPO_SERVER4")"
    hx ping -4 -D -i 0.01 -W 1 -w 3 "$TOPO_SERVER4" >"$out" 2>&1 &
    local ping_pid=$!
    sleep 1
    ip -n "$R1" link set lan0 down
    wait "$ping_pid"
    down=$(ping_figures "$out")
    routed_via wan2 || topo_fail "IPv4 not via wan2 after wan1 went down"
    hx ping -4 -D -i 0.01 -W 1 -w 8 "$TOPO_SERVER4" >"$out" 2>&1 &
    ping_pid=$!
    sleep 0.5
    t0=$(now_ms)
    ip -n "$R1" link set lan0 up
    while ! routed_via wan1; do
        [ $(($(now_ms) - t0)) -lt 30000 ] || topo_fail "IPv4 did not return to wan1 within 30 s"
        sleep 0.01
    done
    back=$(($(now_ms) - t0))
    wait "$ping_pid"
    echo "$down $back $(ping_figures "$out" | cut -d' ' -f2)"
}

declare -A res
for r in $(seq 1 "$ROUNDS"); do
    native_on
    res[baseline]+="$(round)"$'\n'
    native_off
    sleep 1 # the back-path's settling (RAs, DAD) does not spill into the next round
    res[colatrl]+="$(round)"$'\n'
    echo "round $r/$ROUNDS done" >&2
done

# median (min..max) of column COL of the rows on stdin
stat_col() {
    awk -v c="$1" '{print $c}' | sort -n | awk '
        { v[NR] = $1 }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%d (%d..%d)", m, v[1], v[NR] }'
}

echo
echo "Failover between two uplinks, IPv4 to server4 at 100 Hz, $ROUNDS rounds, median (min..max)"
printf '%-10s | %-22s | %-16s | %-22s | %-16s\n' setup "down: outage ms" "down: lost" "back: ms to wan1" "back: lost"
printf '%s\n' "-----------+------------------------+------------------+------------------------+-----------------"
for s in baseline colatrl; do
    rows=$(printf '%s' "${res[$s]}" | sed '/^$/d')
    printf '%-10s | %-22s | %-16s | %-22s | %-16s\n' "$s" \
        "$(stat_col 1 <<<"$rows")" "$(stat_col 2 <<<"$rows")" \
        "$(stat_col 3 <<<"$rows")" "$(stat_col 4 <<<"$rows")"
done
daemon_stop

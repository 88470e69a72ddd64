#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Throughput benchmark on the integration-test topology (tests/integration/lib):
#   A  native IPv6            host -> router 2001:db8:1::1
#   B  IPv4 through colatrl   host 192.0.0.x -> 198.51.100.2 (tc BPF CLAT, set up by
#                             colatrld if built, else by `colatrlctl datapath attach`)
#   C  IPv4 through TAYGA     the same IPv4 path with TAYGA 0.9.2 as the CLAT (tun)
# B and C reach 198.51.100.2 = 2001:db8:6461::c633:6402, an address held by the
# router itself: the measurement isolates the CLAT (no NAT64 in the path, which
# would cap everything at TAYGA-NAT64 speed). For each: iperf3 TCP up and down and
# 64-byte UDP packet rate, rounds interleaved A B C A B C ..., medians printed with
# ratios, chart drawn to docs/bench-throughput.png (gnuplot). With colatrld, also
# its reaction time from a network change (new PREF64, new /64 in the RA) to the
# datapath map updated (the map read with bpf(2) every 1 ms).
#
# Usage: bench/throughput.sh [--rounds N] [--seconds S] [--png FILE]
# Needs root; exits 77 with SKIP otherwise. Env: COLATRL_BUILD_DIR (default ./build).
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3
SECS=3
PNG=docs/bench-throughput.png
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --png) PNG=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--seconds S] [--png FILE]" >&2; exit 2 ;;
    esac
done
export COLATRL_BUILD_DIR=${COLATRL_BUILD_DIR:-$PWD/build}
. tests/integration/lib/topology.sh
. tests/integration/lib/daemon.sh
topo_require iperf3 ping
[ -x "$COLATRLCTL" ] || topo_skip "colatrlctl not built ($COLATRLCTL)"
topo_init
TOPO_QUIET_LOGS=1
topo_standard

BENCH_V4=198.51.100.2
BENCH_V6=2001:db8:6461::c633:6402
rx 1 ip -6 addr add "$BENCH_V6/128" dev lo
topo_spawn iperf-native "$(topo_router_ns 1)" iperf3 -s -B 2001:db8:1::1 -p 5201
topo_spawn iperf-clat "$(topo_router_ns 1)" iperf3 -s -B "$BENCH_V6" -p 5202

# --- colatrl: the daemon if we have it, else by hand ---
USE_DAEMON=0
if [ -x "$COLATRLD" ]; then
    USE_DAEMON=1
    daemon_config "Pref64Discovery=ra"
    daemon_start
    daemon_wait_up wan1 2001:db8:6461::/96 30
else
    echo "note: colatrld not built; colatrl set up with colatrlctl datapath attach" >&2
    gw=$(rx 1 ip -6 -o addr show dev lan0 scope link | awk '{split($4, a, "/"); print a[1]}')
    hx ip -6 addr add 2001:db8:1::c1a8/128 dev wan1 nodad
    hx ip -4 addr add 192.0.0.2/32 dev wan1
    hx ip -4 route add default via inet6 "$gw" dev wan1 src 192.0.0.2 mtu 1472
    ctl datapath attach wan1 --clat-ipv4 192.0.0.2 --clat-ipv6 2001:db8:1::c1a8 \
        --pref64 2001:db8:6461::/96 --mtu 1500 >/dev/null || topo_fail "colatrlctl attach"
fi
# TAYGA as the CLAT next to it; the mode switch is a /32 route to BENCH_V4.
TOPO_TAYGA_NO_DEFAULT=1 topo_tayga_clat 1

set_mode() {
    case $1 in
    colatrl) hx ip route del "$BENCH_V4/32" 2>/dev/null || true ;;
    tayga) hx ip route replace "$BENCH_V4/32" dev clat src 192.0.0.7 mtu 1472 ;;
    esac
}
set_mode colatrl
topo_wait 10 hx ping -4 -c1 -W1 "$BENCH_V4" || topo_fail "no IPv4 through colatrl to $BENCH_V4"
set_mode tayga
topo_wait 10 hx ping -4 -c1 -W1 "$BENCH_V4" || topo_fail "no IPv4 through TAYGA to $BENCH_V4"

RES="$TOPO_DIR/results.txt"
: >"$RES"

# iperf3 JSON -> one number: TCP Gbit/s (receiver) or UDP kpps received.
iperf_value() {
    "$TOPO_PYTHON" -c '
import json, sys
kind = sys.argv[1]
d = json.load(sys.stdin)
if "error" in d:
    print("nan"); sys.exit(0)
e = d["end"]
if kind == "tcp":
    print("%.3f" % (e["sum_received"]["bits_per_second"] / 1e9))
else:
    s = e["sum"]
    print("%.1f" % ((s["packets"] - s["lost_packets"]) / s["seconds"] / 1e3))
' "$1"
}

run_one() { # mode test
    local mode=$1 test=$2 target port args=()
    case $mode in
    native) target=2001:db8:1::1; port=5201 ;;
    *) target=$BENCH_V4; port=5202; set_mode "$mode" ;;
    esac
    case $test in
    tcp_up) args=() ;;
    tcp_down) args=(-R) ;;
    udp64) args=(-u -l 64 -b 0) ;;
    esac
    local kind=tcp
    [ "$test" = udp64 ] && kind=udp
    local v
    v=$(hx iperf3 -c "$target" -p "$port" -t "$SECS" -J "${args[@]}" 2>/dev/null | iperf_value "$kind")
    echo "$mode $test ${v:-nan}" >>"$RES"
    printf '  %-8s %-9s %s\n' "$mode" "$test" "${v:-nan}" >&2
}

for r in $(seq 1 "$ROUNDS"); do
    echo "round $r/$ROUNDS" >&2
    for test in tcp_up tcp_down udp64; do
        for mode in native colatrl tayga; do
            run_one "$mode" "$test"
        done
    done
done
set_mode colatrl

median() { # mode test
    awk -v m="$1" -v t="$2" '$1 == m && $2 == t && $3 != "nan" {print $3}' "$RES" | sort -g |
        awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 > 0 && a != "nan") printf "%.2f", a / b; else print "-"}'; }

# --- reaction time (daemon only) ---
react_prefix=() react_pref64=() react_withdraw=()
# bench/lib/map_poll.py reads the config map every 1 ms after sending the RA.
config_map_id() { # of the programs attached to wan1 in the host namespace
    local prog
    prog=$(hx tc filter show dev wan1 egress | grep -o ' id [0-9]*' | head -1 | awk '{print $2}')
    local m
    for m in $(bpftool prog show id "$prog" | grep -o 'map_ids [0-9,]*' | awk '{print $2}' | tr ',' ' '); do
        bpftool map show id "$m" | grep -q 'name config_map' && { echo "$m"; return; }
    done
}
# Usage: react COND WANT LIMIT_MS RA-OPTIONS... (COND: pref64 | clat6in | absent)
react() {
    local cond=$1 want=$2 limit=$3
    shift 3
    printf '%s\n' "$@" >"$TOPO_DIR/ra1.opts"
    "$TOPO_PYTHON" bench/lib/map_poll.py "$MAP_ID" "$WAN1_IFINDEX" "$TOPO_RA_PID_1" "$cond" "$want" "$limit"
}
if [ "$USE_DAEMON" = 1 ]; then
    topo_start_nat64 1 2001:db8:6469::/96 nat64b 249
    rx 1 ip addr add 2001:db8:1:1::1/64 dev lan0
    cur_prefix=2001:db8:1::/64
    MAP_ID=$(config_map_id)
    WAN1_IFINDEX=$(hx cat /sys/class/net/wan1/ifindex)
    [ -n "$MAP_ID" ] || topo_fail "cannot find colatrl's config_map"
    for i in 1 2 3; do
        # New PREF64 (alternating), same /64.
        # (the previous one withdrawn: it would stay valid for its lifetime)
        p=2001:db8:6469::/96 q=2001:db8:6461::/96
        [ $((i % 2)) -eq 0 ] && p=2001:db8:6461::/96 q=2001:db8:6469::/96
        react_pref64+=("$(react pref64 "$p" 10000 --prefix "$cur_prefix" --pref64 "$p" \
            --pref64 "$q,0" --interval 1)")
        # New /64 (alternating), the old one deprecated.
        old=$cur_prefix
        cur_prefix=2001:db8:1:1::/64
        [ "$old" = 2001:db8:1:1::/64 ] && cur_prefix=2001:db8:1::/64
        react_prefix+=("$(react clat6in "$cur_prefix" 15000 --prefix "$old,86400,0" \
            --prefix "$cur_prefix" --pref64 "$p" --pref64 "$q,0" --interval 1)")
        # PREF64 withdrawn (lifetime 0): datapath config removed (no DAD involved).
        react_withdraw+=("$(react absent - 10000 --prefix "$cur_prefix" --pref64 "$p,0" \
            --pref64 "$q,0" --interval 1)")
        topo_ra_update 1 --prefix "$cur_prefix" --pref64 "$p" --interval 1
        topo_wait 15 clat_up wan1 "$p" || topo_fail "CLAT did not come back after re-announcing $p"
        sleep 1
    done
fi
med_list() { printf '%s\n' "$@" | grep -E '^[0-9]+$' | sort -n | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print "-"}'; }

# --- table ---
{
    echo
    echo "colatrl throughput benchmark: $ROUNDS interleaved rounds of ${SECS}s, medians ($(uname -r), $(nproc) CPUs)"
    printf '%-24s %12s %12s %12s %12s %12s\n' "path" "TCP up" "TCP down" "UDP 64B" "vs IPv6" "vs TAYGA"
    printf '%-24s %12s %12s %12s %12s %12s\n' "" "Gbit/s" "Gbit/s" "kpps" "(up/dn/udp)" "(up/dn/udp)"
    for mode in native colatrl tayga; do
        up=$(median "$mode" tcp_up)
        dn=$(median "$mode" tcp_down)
        ud=$(median "$mode" udp64)
        label=$mode
        [ "$mode" = native ] && label="native IPv6"
        [ "$mode" = colatrl ] && label="IPv4 via colatrl (BPF)"
        [ "$mode" = tayga ] && label="IPv4 via TAYGA (tun)"
        v6="$(ratio "$up" "$(median native tcp_up)")/$(ratio "$dn" "$(median native tcp_down)")/$(ratio "$ud" "$(median native udp64)")"
        vt="$(ratio "$up" "$(median tayga tcp_up)")/$(ratio "$dn" "$(median tayga tcp_down)")/$(ratio "$ud" "$(median tayga udp64)")"
        printf '%-24s %12s %12s %12s %12s %12s\n' "$label" "$up" "$dn" "$ud" "$v6" "$vt"
        short=$mode
        [ "$mode" = native ] && short="native IPv6"
        [ "$mode" = colatrl ] && short="IPv4: colatrl"
        [ "$mode" = tayga ] && short="IPv4: TAYGA"
        echo "$short|$up|$dn|$ud" >>"$TOPO_DIR/chart.dat"
    done
    if [ "$USE_DAEMON" = 1 ]; then
        echo
        echo "colatrld reaction time, RA sent -> config map updated (bpf(2) poll every 1 ms; 3 changes each, median):"
        echo "  new PREF64:         $(med_list "${react_pref64[@]}") ms   (all: ${react_pref64[*]})"
        echo "  new /64 (renumber): $(med_list "${react_prefix[@]}") ms   (all: ${react_prefix[*]}; includes SLAAC DAD + CLAT address DAD)"
        echo "  PREF64 withdrawn:   $(med_list "${react_withdraw[@]}") ms   (all: ${react_withdraw[*]}; config removed, no DAD)"
        echo "  (a new PREF64 keeps the CLAT IPv6 address: no DAD; a new /64 needs one, ~1 s)"
    else
        echo "(reaction time not measured: colatrld not built)"
    fi
} | tee "$TOPO_DIR/table.txt"

# --- chart ---
if command -v gnuplot >/dev/null 2>&1; then
    mkdir -p "$(dirname "$PNG")"
    gnuplot <<EOF || echo "gnuplot failed" >&2
set terminal pngcairo size 1000,420 font ",10"
set output "$PNG"
set datafile separator "|"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set key top right
set multiplot layout 1,2 title "colatrl vs TAYGA as CLAT vs native IPv6 (iperf3, veth in netns, medians of $ROUNDS)"
set title "TCP throughput"
set ylabel "Gbit/s"
set yrange [0:*]
plot "$TOPO_DIR/chart.dat" using 2:xtic(1) title "host -> server", '' using 3 title "server -> host"
set title "UDP, 64-byte payload"
set ylabel "kpackets/s received"
plot "$TOPO_DIR/chart.dat" using 4:xtic(1) title "host -> server" lc rgb "#4a8a4a"
unset multiplot
EOF
    [ -s "$PNG" ] && echo "chart: $PNG" >&2
else
    echo "gnuplot not installed: no chart" >&2
fi
if [ "$USE_DAEMON" = 1 ]; then
    daemon_stop
fi
exit 0

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Throughput and CPU per packet on the integration-test topology
# (tests/integration/lib), four paths from the host to router 1 over one veth:
#   native   native IPv6, host -> 2001:db8:1::1, no tc program on the uplink
#   noop     the same with bpf/noop.bpf.c attached at tc ingress and egress of
#            the uplink: what any tc program costs before it does anything
#   colatrl  IPv4 host 192.0.0.2 -> 198.51.100.2 through colatrl's tc programs
#            (`colatrlctl datapath attach`, the daemon's programs and config)
#   tayga    the same IPv4 path with TAYGA 0.9.2 as the CLAT (tun device)
# colatrl and TAYGA reach 198.51.100.2 = 2001:db8:6461::c633:6402, an address
# held by the router itself: the measurement isolates the CLAT (no NAT64 in the
# path, which would cap everything at TAYGA-NAT64 speed). Per path: iperf3 TCP
# up (host -> router) and down (-R), 64-byte UDP at full speed up and down
# (packets received per second), and the CPU time per packet at one fixed
# 64-byte UDP rate up and down (bench/lib/cpu_run.py explains the method).
# Rounds are interleaved (native noop colatrl tayga native ...); the table shows
# medians with ratios; charts go to docs/bench-throughput.png and
# docs/bench-cpu.png (gnuplot). colatrld's reaction times are in bench/control.sh.
#
# Usage: bench/throughput.sh [--rounds N] [--seconds S] [--pps N] [--png-dir DIR]
#                            [--tests "tcp_up tcp_down udp64_up udp64_down cpu_up cpu_down"]
# Needs root; exits 77 with SKIP otherwise. Env: COLATRL_BUILD_DIR (default
# ./build); BENCH_RESULTS (bench/lib/results.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROUNDS=3
SECS=3
PPS=10000
PNG_DIR=docs
TESTS=(tcp_up tcp_down udp64_up udp64_down cpu_up cpu_down)
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --pps) PPS=$2; shift 2 ;;
    --png-dir) PNG_DIR=$2; shift 2 ;;
    --tests) read -r -a TESTS <<<"$2"; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--seconds S] [--pps N] [--png-dir DIR] [--tests LIST]" >&2; exit 2 ;;
    esac
done
export COLATRL_BUILD_DIR=${COLATRL_BUILD_DIR:-$PWD/build}
. tests/integration/lib/topology.sh
. tests/integration/lib/daemon.sh
. bench/lib/results.sh
NOOP_OBJ=$COLATRL_BUILD_DIR/bpf/noop.bpf.o
topo_require iperf3 ping tc
[ -x "$COLATRLCTL" ] || topo_skip "colatrlctl not built ($COLATRLCTL)"
[ -f "$NOOP_OBJ" ] || topo_skip "$NOOP_OBJ not built"
topo_init
TOPO_QUIET_LOGS=1
topo_standard

BENCH_V4=198.51.100.2
BENCH_V6=2001:db8:6461::c633:6402
CLAT6=2001:db8:1::c1a8
rx 1 ip -6 addr add "$BENCH_V6/128" dev lo
topo_spawn iperf-native "$(topo_router_ns 1)" iperf3 -s -B 2001:db8:1::1 -p 5201
topo_spawn iperf-clat "$(topo_router_ns 1)" iperf3 -s -B "$BENCH_V6" -p 5202

# colatrl's addresses and route as colatrld would install them; the programs
# are attached only while the colatrl path is measured.
gw=$(rx 1 ip -6 -o addr show dev lan0 scope link | awk '{split($4, a, "/"); print a[1]}')
hx ip -6 addr add "$CLAT6/128" dev wan1 nodad
hx ip -4 addr add 192.0.0.2/32 dev wan1
hx ip -4 route add default via inet6 "$gw" dev wan1 src 192.0.0.2 mtu 1472
hx tc qdisc add dev wan1 clsact
# TAYGA as the CLAT next to it; it gets BENCH_V4 by a /32 route.
TOPO_TAYGA_NO_DEFAULT=1 topo_tayga_clat 1

MODE=none
set_mode() {
    [ "$1" = "$MODE" ] && return 0
    ctl datapath detach wan1 >/dev/null 2>&1
    hx tc filter del dev wan1 ingress prio 1 2>/dev/null
    hx tc filter del dev wan1 egress prio 1 2>/dev/null
    hx ip route del "$BENCH_V4/32" 2>/dev/null
    case $1 in
    noop)
        hx tc filter add dev wan1 ingress prio 1 handle 1 bpf da obj "$NOOP_OBJ" sec tc &&
            hx tc filter add dev wan1 egress prio 1 handle 1 bpf da obj "$NOOP_OBJ" sec tc ||
            topo_fail "attach the no-op program"
        ;;
    colatrl)
        ctl datapath attach wan1 --clat-ipv4 192.0.0.2 --clat-ipv6 "$CLAT6" \
            --pref64 2001:db8:6461::/96 --mtu 1500 >/dev/null || topo_fail "colatrlctl datapath attach"
        ;;
    tayga) hx ip route replace "$BENCH_V4/32" dev clat src 192.0.0.7 mtu 1472 ;;
    esac
    MODE=$1
}
for m in colatrl tayga; do
    set_mode $m
    topo_wait 10 hx ping -4 -c1 -W1 "$BENCH_V4" || topo_fail "no IPv4 through $m to $BENCH_V4"
done
for m in native noop; do
    set_mode $m
    topo_wait 10 hx ping -6 -c1 -W1 2001:db8:1::1 || topo_fail "no IPv6 with $m"
done

RES="$TOPO_DIR/results.txt"
: >"$RES"

# iperf3 JSON -> one number: TCP Gbit/s (receiver) or UDP kpps received.
iperf_value() {
    "$TOPO_PYTHON" -c '
import json, sys
kind = sys.argv[1]
try:
    d = json.load(sys.stdin)
    e = d["end"]
    if kind == "tcp":
        print("%.3f" % (e["sum_received"]["bits_per_second"] / 1e9))
    else:
        # Received datagrams: bytes over the datagram size ("packets" on the
        # receiving side is the highest sequence number seen).
        s = e["sum_received"]
        got = s["bytes"] / d["start"]["test_start"]["blksize"]
        print("%.1f" % (got / s["seconds"] / 1e3))
except (ValueError, KeyError, TypeError, ZeroDivisionError):
    print("nan")
' "$1"
}

# Every process in the namespaces the packets cross (servers, TAYGA, ...).
ns_pids() { ip netns pids "$TOPO_HOST"; ip netns pids "$(topo_router_ns 1)"; }

run_one() { # mode test
    local mode=$1 test=$2 target port args=() v
    case $mode in
    native | noop) target=2001:db8:1::1; port=5201 ;;
    *) target=$BENCH_V4; port=5202 ;;
    esac
    set_mode "$mode"
    # 64-byte UDP payload: iperf3 counts -b in payload bits.
    case $test in
    tcp_up) args=() ;;
    tcp_down) args=(-R) ;;
    udp64_up) args=(-u -l 64 -b 0) ;;
    udp64_down) args=(-u -l 64 -b 0 -R) ;;
    cpu_up) args=(-u -l 64 -b $((PPS * 512))) ;;
    cpu_down) args=(-u -l 64 -b $((PPS * 512)) -R) ;;
    esac
    local cmd=(ip netns exec "$TOPO_HOST" iperf3 -c "$target" -p "$port" -t "$SECS" -J "${args[@]}")
    case $test in
    tcp_*) v=$("${cmd[@]}" 2>/dev/null | iperf_value tcp) ;;
    udp64_*) v=$("${cmd[@]}" 2>/dev/null | iperf_value udp) ;;
    cpu_*)
        local pidargs=() p
        for p in $(ns_pids); do pidargs+=(--pid "$p"); done
        # "packets cpu_ns ns_per_packet loss%": keep ns/packet and loss.
        read -r _ _ v loss < <("$TOPO_PYTHON" bench/lib/cpu_run.py "${pidargs[@]}" -- "${cmd[@]}")
        echo "$mode ${test}_loss ${loss:-nan}" >>"$RES"
        ;;
    esac
    echo "$mode $test ${v:-nan}" >>"$RES"
    printf '  %-8s %-10s %s\n' "$mode" "$test" "${v:-nan}" >&2
}

MODES=(native noop colatrl tayga)
for r in $(seq 1 "$ROUNDS"); do
    echo "round $r/$ROUNDS" >&2
    for test in "${TESTS[@]}"; do
        # Alternate the order so that drift does not favour one path.
        order=("${MODES[@]}")
        [ $((r % 2)) -eq 0 ] && order=(tayga colatrl noop native)
        for mode in "${order[@]}"; do
            run_one "$mode" "$test"
        done
    done
done
set_mode native

median() { # mode test
    awk -v m="$1" -v t="$2" '$1 == m && $2 == t && $3 != "nan" {print $3}' "$RES" | sort -g |
        awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 > 0 && a != "nan") printf "%.2f", a / b; else print "-"}'; }
label() {
    case $1 in
    native) echo "native IPv6" ;;
    noop) echo "IPv6 + no-op tc program" ;;
    colatrl) echo "IPv4 via colatrl (BPF)" ;;
    tayga) echo "IPv4 via TAYGA (tun)" ;;
    esac
}
short() {
    case $1 in
    native) echo "native IPv6" ;;
    noop) echo "IPv6 + no-op" ;;
    colatrl) echo "IPv4: colatrl" ;;
    tayga) echo "IPv4: TAYGA" ;;
    esac
}

: >"$TOPO_DIR/chart.dat"
{
    echo
    echo "colatrl throughput benchmark: $ROUNDS interleaved rounds of ${SECS}s, medians ($(uname -r), $(nproc) CPUs)"
    printf '%-24s %8s %8s %9s %9s %9s %9s  %s\n' "path" "TCP up" "TCP down" "UDP64 up" "UDP64 dn" \
        "CPU up" "CPU dn" "vs native IPv6"
    printf '%-24s %8s %8s %9s %9s %9s %9s  %s\n' "" "Gbit/s" "Gbit/s" "kpps" "kpps" "ns/pkt" "ns/pkt" \
        "(TCP up/dn, UDP up/dn)"
    for mode in "${MODES[@]}"; do
        declare -A v=()
        for t in tcp_up tcp_down udp64_up udp64_down cpu_up cpu_down; do
            v[$t]=$(median "$mode" "$t")
            bench_result "throughput.$t.$mode" "${v[$t]}" ""
        done
        vs="$(ratio "${v[tcp_up]}" "$(median native tcp_up)")/$(ratio "${v[tcp_down]}" "$(median native tcp_down)")"
        vs+=", $(ratio "${v[udp64_up]}" "$(median native udp64_up)")/$(ratio "${v[udp64_down]}" "$(median native udp64_down)")"
        printf '%-24s %8s %8s %9s %9s %9s %9s  %s\n' "$(label "$mode")" "${v[tcp_up]}" "${v[tcp_down]}" \
            "${v[udp64_up]}" "${v[udp64_down]}" "${v[cpu_up]}" "${v[cpu_down]}" "$vs"
        echo "$(short "$mode")|${v[tcp_up]}|${v[tcp_down]}|${v[udp64_up]}|${v[udp64_down]}|${v[cpu_up]}|${v[cpu_down]}" >>"$TOPO_DIR/chart.dat"
        unset v
    done
    echo "CPU = on-CPU ns per received packet at a fixed $PPS packets/s of 64-byte UDP (all processes in"
    echo "the benchmark's namespaces + the iperf3 client + ksoftirqd; bench/lib/cpu_run.py). Loss at that"
    echo "rate, median %: $(for m in "${MODES[@]}"; do printf '%s %s/%s  ' "$m" "$(median "$m" cpu_up_loss)" "$(median "$m" cpu_down_loss)"; done)"
} | tee "$TOPO_DIR/table.txt"
bench_result throughput.rounds "$ROUNDS" ""
bench_result throughput.pps "$PPS" "packets/s"

# --- charts ---
if [ ${#TESTS[@]} -lt 6 ]; then
    echo "only some tests run (--tests): no chart" >&2
elif command -v gnuplot >/dev/null 2>&1; then
    mkdir -p "$PNG_DIR"
    gnuplot <<EOF || echo "gnuplot failed" >&2
set terminal pngcairo size 1100,420 font ",10"
set datafile separator "|"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set key outside bottom center horizontal
set yrange [0:*]
set xtics noenhanced
set output "$PNG_DIR/bench-throughput.png"
set multiplot layout 1,2 title "native IPv6, a no-op tc program, colatrl and TAYGA as CLAT (iperf3, veth in netns, medians of $ROUNDS)"
set title "TCP throughput"
set ylabel "Gbit/s"
plot "$TOPO_DIR/chart.dat" using 2:xtic(1) title "host -> server", '' using 3 title "server -> host"
set title "UDP, 64-byte payload, full speed"
set ylabel "kpackets/s received"
plot "$TOPO_DIR/chart.dat" using 4:xtic(1) title "host -> server" lc rgb "#4a8a4a", '' using 5 title "server -> host" lc rgb "#c08030"
unset multiplot
set terminal pngcairo size 700,420 font ",10"
set output "$PNG_DIR/bench-cpu.png"
set title "CPU time per 64-byte UDP packet at $PPS packets/s (whole path, both ends)"
set ylabel "ns per packet"
plot "$TOPO_DIR/chart.dat" using 6:xtic(1) title "host -> server" lc rgb "#4a8a4a", '' using 7 title "server -> host" lc rgb "#c08030"
EOF
    [ -s "$PNG_DIR/bench-throughput.png" ] && echo "charts: $PNG_DIR/bench-throughput.png $PNG_DIR/bench-cpu.png" >&2
else
    echo "gnuplot not installed: no chart" >&2
fi
exit 0

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Per-packet cost of the colatrl tc programs under real traffic, read from the
# kernel's own BPF statistics (kernel.bpf_stats_enabled: run_cnt, run_time_ns).
#
#   ns "clat": clat0 (veth), CLAT 192.0.0.2, IPv4 default via inet6, colatrl
#   ns "peer": IPv6 only, iperf3 server on 2001:db8:6464::c633:6401 (= PREF64
#              2001:db8:6464::/96 + 198.51.100.1)
#
# colatrl: IPv4 iperf3 to 198.51.100.1 through the CLAT (egress translates
#          IPv4->IPv6, ingress IPv6->IPv4).
# noop:    bpf/noop.bpf.c attached at the same hooks instead, the same iperf3
#          over native IPv6 to the same server: the cost of a tc program that
#          does nothing, on the same packets.
# Traffic: TCP upload (egress: data as GSO super-packets; ingress: ACKs),
#          64-byte UDP payload up (egress) and down (-R, ingress).
# Rounds alternate colatrl/noop; the table shows medians over rounds of
# delta(run_time_ns)/delta(run_cnt) per program, and the ratio to noop.
# run_cnt counts skbs: one GSO super-packet is one run.
#
# Usage: bench/bpf_real_traffic.sh [--rounds N] [--seconds S]
# Needs root; exits 77 with SKIP otherwise. Sets kernel.bpf_stats_enabled=1
# for its duration (the one host sysctl it touches) and restores the old value.
# Env: COLATRL_BUILD_DIR (default ./build); BENCH_RESULTS (bench/lib/results.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROUNDS=3
SECS=2
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--rounds N] [--seconds S]" >&2; exit 2 ;;
    esac
done
BUILD=${COLATRL_BUILD_DIR:-$PWD/build}
CTL=$BUILD/tools/colatrlctl
NOOP_OBJ=$BUILD/bpf/noop.bpf.o

. tests/integration/lib/netns.sh

[ "$(id -u)" -eq 0 ] || skip "needs root"
for t in ip tc iperf3 bpftool python3; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not installed"
done
[ -x "$CTL" ] || skip "colatrlctl not built ($CTL)"
[ -f "$NOOP_OBJ" ] || skip "$NOOP_OBJ not built (ninja -C $BUILD bpf/noop.bpf.o)"
[ -w /proc/sys/kernel/bpf_stats_enabled ] || skip "kernel.bpf_stats_enabled not available"

ID="dpb$$"
NS_C="$ID-clat"
NS_P="$ID-peer"
SERVER4=198.51.100.1
SERVER6=2001:db8:6464::c633:6401
CLAT6=2001:db8:1::2b # checksum-neutral for 192.0.0.2 with 2001:db8:6464::/96
OLD_STATS=$(cat /proc/sys/kernel/bpf_stats_enabled)
PIDS=()
TMP=$(mktemp -d /tmp/colatrl-bench.XXXXXX)

cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    netns_remove "$NS_C" "$NS_P"
    echo "$OLD_STATS" >/proc/sys/kernel/bpf_stats_enabled
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cx() { ip netns exec "$NS_C" "$@"; }
px() { ip netns exec "$NS_P" "$@"; }

ip netns add "$NS_C" || skip "cannot create network namespaces"
ip netns add "$NS_P" || skip "cannot create network namespaces"
cx ip link add clat0 type veth peer name peer0 || skip "veth not available"
cx ip link set peer0 netns "$NS_P"
cx ip link set lo up
px ip link set lo up
px ip -6 addr add fe80::1/64 dev peer0 nodad
px ip -6 addr add 2001:db8:1::1/64 dev peer0 nodad
px ip -6 addr add "$SERVER6/128" dev lo
px ip link set peer0 up
cx ip link set clat0 up
cx ip -6 addr add "$CLAT6/64" dev clat0 nodad
cx ip -4 addr add 192.0.0.2/32 dev clat0
cx ip -4 route add default via inet6 fe80::1 dev clat0 src 192.0.0.2 mtu 1472
cx ip -6 route add 2001:db8:6464::/96 via fe80::1 dev clat0
px iperf3 -s -B "$SERVER6" -p 5201 >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5

echo 1 >/proc/sys/kernel/bpf_stats_enabled

# prog id of the filter on a hook (colatrl: ours at handle 0x434c; noop: handle 1)
prog_id() { # hook
    cx tc filter show dev clat0 "$1" | grep -o ' id [0-9]*' | head -1 | awk '{print $2}'
}

attach_mode() { # colatrl|noop
    cx "$CTL" datapath detach clat0 >/dev/null
    cx tc filter del dev clat0 ingress prio 1 2>/dev/null
    cx tc filter del dev clat0 egress prio 1 2>/dev/null
    if [ "$1" = colatrl ]; then
        cx "$CTL" datapath attach clat0 --clat-ipv4 192.0.0.2 --clat-ipv6 "$CLAT6" \
            --pref64 2001:db8:6464::/96 >/dev/null || fail "colatrlctl datapath attach"
    else
        cx tc qdisc add dev clat0 clsact 2>/dev/null
        if ! cx tc filter add dev clat0 ingress prio 1 handle 1 bpf da obj "$NOOP_OBJ" sec tc ||
            ! cx tc filter add dev clat0 egress prio 1 handle 1 bpf da obj "$NOOP_OBJ" sec tc; then
            fail "attach noop"
        fi
    fi
}

stats() { # prog id -> "run_cnt run_time_ns"
    bpftool prog show id "$1" -j |
        python3 -c 'import json,sys; j=json.load(sys.stdin); print(j.get("run_cnt",0), j.get("run_time_ns",0))'
}

# measure MODE TRAFFIC: one iperf3 run, appends "mode traffic hook cnt ns mbps" to $TMP/raw
measure() {
    local mode=$1 traffic=$2 dst fam args eg in s_eg0 s_in0 s_eg1 s_in1 mbps
    if [ "$mode" = colatrl ]; then dst=$SERVER4 fam=-4; else dst=$SERVER6 fam=-6; fi
    case $traffic in
    tcp_up) args=() ;;
    udp64_up) args=(-u -l 64 -b 0) ;;
    udp64_down) args=(-u -l 64 -b 0 -R) ;;
    esac
    eg=$(prog_id egress)
    in=$(prog_id ingress)
    s_eg0=$(stats "$eg")
    s_in0=$(stats "$in")
    cx iperf3 "$fam" -c "$dst" -p 5201 -t "$SECS" "${args[@]}" -J >"$TMP/iperf.json" 2>&1 ||
        fail "iperf3 $mode $traffic: $(head -c 400 "$TMP/iperf.json")"
    s_eg1=$(stats "$eg")
    s_in1=$(stats "$in")
    mbps=$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]
s=e.get("sum_received") or e.get("sum") or {}
print(round(s.get("bits_per_second",0)/1e6))' "$TMP/iperf.json")
    echo "$mode $traffic egress $s_eg0 $s_eg1 $mbps" >>"$TMP/raw"
    echo "$mode $traffic ingress $s_in0 $s_in1 $mbps" >>"$TMP/raw"
}

: >"$TMP/raw"
for r in $(seq "$ROUNDS"); do
    for mode in colatrl noop; do
        attach_mode "$mode"
        for traffic in tcp_up udp64_up udp64_down; do
            measure "$mode" "$traffic"
        done
    done
    echo "round $r/$ROUNDS done" >&2
done
cx "$CTL" datapath detach clat0 >/dev/null 2>&1

python3 - "$TMP/raw" <<'EOF'
import os, statistics, sys
rows = {}
results = os.environ.get("BENCH_RESULTS")
for line in open(sys.argv[1]):
    mode, traffic, hook, c0, t0, c1, t1, mbps = line.split()
    cnt, ns = int(c1) - int(c0), int(t1) - int(t0)
    r = rows.setdefault((traffic, hook, mode), {"nspp": [], "cnt": [], "mbps": []})
    if cnt > 0:
        r["nspp"].append(ns / cnt)
    r["cnt"].append(cnt)
    r["mbps"].append(int(mbps))
med = lambda v: statistics.median(v) if v else float("nan")
print()
print("colatrl tc programs under real traffic (veth, kernel.bpf_stats_enabled; medians of %d rounds)"
      % max(len(r["cnt"]) for r in rows.values()))
print("%-11s %-8s %-8s %10s %12s %9s %10s" % ("traffic", "hook", "program", "ns/packet",
                                              "runs/round", "vs noop", "Mbit/s"))
for traffic in ("tcp_up", "udp64_up", "udp64_down"):
    for hook in ("egress", "ingress"):
        base = med(rows.get((traffic, hook, "noop"), {"nspp": []})["nspp"])
        for mode in ("colatrl", "noop"):
            r = rows.get((traffic, hook, mode))
            if not r:
                continue
            if med(r["cnt"]) < 200:
                continue  # only iperf3 control packets on this hook: noise
            v = med(r["nspp"])
            ratio = v / base if base == base and base > 0 else float("nan")
            print("%-11s %-8s %-8s %10.1f %12d %8.2fx %10d" % (traffic, hook, mode, v,
                  med(r["cnt"]), ratio, med(r["mbps"])))
            if results:
                with open(results, "a") as f:
                    f.write("real_traffic.%s.%s.%s\t%.1f\tns\n" % (traffic, hook, mode, v))
print("colatrl = IPv4 through the CLAT; noop = same iperf3 over native IPv6 with a no-op tc program.")
print("TCP egress runs are GSO super-packets (one run per skb, up to 64 KiB). Hooks that only")
print("saw iperf3 control packets (< 200 runs) are left out. bpf_stats timing itself adds")
print("two clock reads per run, included in both columns.")
EOF

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# colatrld's control plane on the integration-test topology (tests/integration/lib):
#   first ping   the RTT of the first IPv4 ping after the CLAT came up (a fresh
#                daemon, the router's neighbour entry for the CLAT IPv6 address
#                removed before) against the median of the pings after it, and
#                whether the router knew the CLAT IPv6 address before any traffic
#   PREF64       RA with a new PREF64 sent (and received on the uplink) -> new
#                prefix in the config map (ms, bench/lib/map_poll.py), whether the
#                CLAT IPv6 address stayed, and
#                the pings lost by a 100/s ping running across the change
#   new /64      RA with a new /64 (the old one deprecated, still valid) sent ->
#                CLAT IPv6 address in the new /64 in the config map (ms; one DAD
#                of the new address), and the pings lost across the change
#   withdrawn    RA withdrawing the PREF64 (lifetime 0) sent -> config removed
#   idle         an idle daemon (one uplink, RAs every 300 s, nothing changing)
#                over 60 s: wakeups (context switches of all its threads, from
#                /proc/PID/task/*/status), RSS (anonymous + file), PSS, USS
#                (private), the daemon's own part (bench/lib/smaps.py) and open
#                fds; bench/memory.sh breaks the memory down per mapping
#
# Usage: bench/control.sh [--rounds N] [--idle-seconds S]
# Env:   COLATRL_BUILD_DIR (default ./build); BENCH_COLATRLD: another colatrld
#        binary to measure (e.g. a build of an earlier commit), same topology.
# Needs root; exits 77 with SKIP otherwise.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROUNDS=3
IDLE=60
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --idle-seconds) IDLE=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--idle-seconds S]" >&2; exit 2 ;;
    esac
done
export COLATRL_BUILD_DIR=${COLATRL_BUILD_DIR:-$PWD/build}
. tests/integration/lib/topology.sh
. tests/integration/lib/daemon.sh
. bench/lib/results.sh
[ -n "${BENCH_COLATRLD:-}" ] && COLATRLD=$BENCH_COLATRLD
daemon_require ping bpftool
topo_init
TOPO_QUIET_LOGS=1
topo_standard
topo_start_nat64 1 2001:db8:6469::/96 nat64b 249

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
mac_of() { hx cat "/sys/class/net/$1/address"; }
router_knows() { # CLAT6: the router has a neighbour entry for it with our MAC
    rx 1 ip -6 neigh show "$1" dev lan0 | grep -q "lladdr $(mac_of wan1)"
}

# --- first ping after convergence ---
first=() rest=() knew=()
for i in $(seq 1 "$ROUNDS"); do
    daemon_start
    daemon_wait_up wan1 2001:db8:6461::/96 30
    clat6=$(dp_field wan1 clat6)
    if router_knows "$clat6"; then knew+=(yes); else knew+=(no); fi
    out=$(hx ping -4 -c 6 -i 0.2 -W 3 "$TOPO_SERVER4" 2>&1)
    mapfile -t rtts < <(echo "$out" | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p')
    [ ${#rtts[@]} -ge 2 ] || topo_fail "ping after convergence failed: $out"
    first+=("${rtts[0]}")
    rest+=("$(printf '%s\n' "${rtts[@]:1}" | median)")
    daemon_stop
    # The next round starts from a router that does not know the address.
    rx 1 ip -6 neigh del "$clat6" dev lan0 2>/dev/null
done

# --- PREF64 change ---
daemon_config "Pref64Discovery=ra"
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 30
MAP_ID=
prog=$(hx tc filter show dev wan1 egress | grep -o ' id [0-9]*' | head -1 | awk '{print $2}')
for m in $(bpftool prog show id "$prog" | grep -o 'map_ids [0-9,]*' | awk '{print $2}' | tr ',' ' '); do
    bpftool map show id "$m" | grep -q 'name config_map' && MAP_ID=$m
done
[ -n "$MAP_ID" ] || topo_fail "cannot find colatrl's config_map"
IFINDEX=$(hx cat /sys/class/net/wan1/ifindex)
react=() react_ra=() kept=() lost=()
for i in $(seq 1 "$ROUNDS"); do
    p=2001:db8:6469::/96 q=2001:db8:6461::/96
    [ $((i % 2)) -eq 0 ] && p=2001:db8:6461::/96 q=2001:db8:6469::/96
    before=$(dp_field wan1 clat6)
    hx ping -4 -c 300 -i 0.01 -W 1 "$TOPO_SERVER4" >"$TOPO_DIR/ping-change.out" 2>&1 &
    pinger=$!
    sleep 0.5
    printf '%s\n' --prefix 2001:db8:1::/64 --pref64 "$p" --pref64 "$q,0" --interval 1 >"$TOPO_DIR/ra1.opts"
    r=$(hx "$TOPO_PYTHON" bench/lib/map_poll.py "$MAP_ID" "$IFINDEX" "$TOPO_RA_PID_1" pref64 "$p" 10000 wan1)
    react+=("${r%% *}")
    react_ra+=("${r#* }")
    wait "$pinger"
    lost+=("$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TOPO_DIR/ping-change.out" | awk '{print 300 - $1}')")
    topo_wait 15 clat_up wan1 "$p" || topo_fail "CLAT not up with $p"
    [ "$(dp_field wan1 clat6)" = "$before" ] && kept+=(yes) || kept+=(no)
done

# --- new /64 (renumbering) and PREF64 withdrawn ---
# The PREF64 is 2001:db8:6461::/96 again after the loop above only for odd
# ROUNDS; announce it explicitly.
topo_ra_update 1 --prefix 2001:db8:1::/64 --pref64 2001:db8:6461::/96 --pref64 2001:db8:6469::/96,0 --interval 1
topo_wait 15 clat_up wan1 2001:db8:6461::/96 || topo_fail "CLAT not up with 2001:db8:6461::/96"
rx 1 ip addr add 2001:db8:1:1::1/64 dev lan0
cur=2001:db8:1::/64
renum=() renum_lost=() withdraw=()
for i in $(seq 1 "$ROUNDS"); do
    old=$cur
    cur=2001:db8:1:1::/64
    [ "$old" = 2001:db8:1:1::/64 ] && cur=2001:db8:1::/64
    # 100/s for 4 s: the change, its DAD and the switch lie inside.
    hx ping -4 -c 400 -i 0.01 -W 1 "$TOPO_SERVER4" >"$TOPO_DIR/ping-renum.out" 2>&1 &
    pinger=$!
    sleep 0.5
    printf '%s\n' --prefix "$old,86400,0" --prefix "$cur" --pref64 2001:db8:6461::/96 --interval 1 >"$TOPO_DIR/ra1.opts"
    renum+=("$(hx "$TOPO_PYTHON" bench/lib/map_poll.py "$MAP_ID" "$IFINDEX" "$TOPO_RA_PID_1" clat6in "$cur" 15000)")
    wait "$pinger"
    renum_lost+=("$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TOPO_DIR/ping-renum.out" | awk '{print 400 - $1}')")
    # Withdrawn: no DAD involved, the config goes at once.
    printf '%s\n' --prefix "$cur" --pref64 2001:db8:6461::/96,0 --interval 1 >"$TOPO_DIR/ra1.opts"
    withdraw+=("$(hx "$TOPO_PYTHON" bench/lib/map_poll.py "$MAP_ID" "$IFINDEX" "$TOPO_RA_PID_1" absent - 10000)")
    topo_ra_update 1 --prefix "$cur" --pref64 2001:db8:6461::/96 --interval 1
    topo_wait 15 clat_up wan1 2001:db8:6461::/96 || topo_fail "CLAT not back after re-announcing the PREF64"
    sleep 1
done

# --- idle ---
topo_ra_update 1 --prefix "$cur" --pref64 2001:db8:6461::/96 --interval 300
daemon_wait_up wan1 2001:db8:6461::/96 30
sleep 3
switches() { # voluntary + involuntary context switches of every thread of PID
    cat /proc/"$1"/task/*/status 2>/dev/null |
        awk '/^(non)?voluntary_ctxt_switches/ {n += $2} END {print n + 0}'
}
s0=$(switches "$COLATRLD_PID")
sleep "$IDLE"
s1=$(switches "$COLATRLD_PID")
wakeups=$(awk -v a="$s0" -v b="$s1" -v t="$IDLE" 'BEGIN {printf "%.1f", (b - a) * 60 / t}')
rss_kib=$(awk '/^VmRSS/ {print $2}' /proc/"$COLATRLD_PID"/status)
anon_kib=$(awk '/^RssAnon/ {print $2}' /proc/"$COLATRLD_PID"/status)
file_kib=$(awk '/^RssFile/ {print $2}' /proc/"$COLATRLD_PID"/status)
# PSS shares each shared-library page among the processes mapping it.
pss_kib=$(awk '/^Pss:/ {print $2}' /proc/"$COLATRLD_PID"/smaps_rollup)
# USS: the pages no other process maps. Own: the executable, heap, stack and
# anonymous mappings, whatever else runs (docs/memory.md).
read -r _ _ uss_kib own_kib < <("$TOPO_PYTHON" bench/lib/smaps.py "$COLATRLD_PID" --totals)
fds=$(ls /proc/"$COLATRLD_PID"/fd | wc -l)
threads=$(ls /proc/"$COLATRLD_PID"/task | wc -l)
daemon_stop

med() { printf '%s\n' "$@" | grep -E '^[0-9.]+$' | median; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
{
    echo
    echo "colatrld control plane ($(uname -r), $(nproc) CPUs; $ROUNDS rounds, medians; daemon: $COLATRLD)"
    printf '%-44s %s\n' "first IPv4 ping after convergence, ms" "$(printf '%s\n' "${first[@]}" | median)   (all: ${first[*]})"
    printf '%-44s %s\n' "later pings (median per round), ms" "$(printf '%s\n' "${rest[@]}" | median)   (all: ${rest[*]})"
    printf '%-44s %s\n' "router knew the CLAT IPv6 before traffic" "${knew[*]}"
    printf '%-44s %s\n' "new PREF64: RA sent -> config map, ms" "$(printf '%s\n' "${react[@]}" | grep -E '^[0-9]+$' | median)   (all: ${react[*]}; includes the RA sender's reaction)"
    printf '%-44s %s\n' "new PREF64: RA received -> config map, ms" "$(printf '%s\n' "${react_ra[@]}" | grep -E '^[0-9.]+$' | median)   (all: ${react_ra[*]})"
    printf '%-44s %s\n' "CLAT IPv6 kept across the PREF64 change" "${kept[*]}"
    printf '%-44s %s\n' "pings lost across the change (of 300, 100/s)" "${lost[*]}"
    printf '%-44s %s\n' "new /64: RA sent -> config map, ms" "$(med "${renum[@]}")   (all: ${renum[*]}; one DAD of the new CLAT IPv6 address)"
    printf '%-44s %s\n' "pings lost across the new /64 (of 400, 100/s)" "${renum_lost[*]}"
    printf '%-44s %s\n' "PREF64 withdrawn: RA sent -> config gone, ms" "$(med "${withdraw[@]}")   (all: ${withdraw[*]})"
    printf '%-44s %s\n' "idle wakeups per minute (${IDLE} s)" "$wakeups"
    printf '%-44s %s\n' "idle RSS, MiB (anonymous + file)" "$(mib "$rss_kib") ($(mib "$anon_kib") + $(mib "$file_kib"))"
    printf '%-44s %s\n' "idle PSS / USS, MiB" "$(mib "$pss_kib") / $(mib "$uss_kib")"
    printf '%-44s %s\n' "idle own RSS (binary, heap, stack, anon), MiB" "$(mib "$own_kib")"
    printf '%-44s %s\n' "open fds / threads" "$fds / $threads"
} | tee "$TOPO_DIR/table.txt"
max() { printf '%s\n' "$@" | grep -E '^[0-9]+$' | sort -n | tail -n 1; }
later=$(printf '%s\n' "${rest[@]}" | median)
bench_result control.first_ping "$(printf '%s\n' "${first[@]}" | median)" ms
bench_result control.later_pings "$later" ms
bench_result control.router_knew "${knew[*]}" ""
bench_result control.pref64_ra_to_map "$(med "${react_ra[@]}")" ms
bench_result control.pref64_sent_to_map "$(med "${react[@]}")" ms
bench_result control.pref64_clat6_kept "${kept[*]}" ""
bench_result control.pref64_lost_max "$(max "${lost[@]}")" pings
bench_result control.renumber_sent_to_map "$(med "${renum[@]}")" ms
bench_result control.renumber_lost_max "$(max "${renum_lost[@]}")" pings
bench_result control.withdraw_sent_to_map "$(med "${withdraw[@]}")" ms
bench_result control.idle_seconds "$IDLE" s
bench_result control.idle_wakeups_per_min "$wakeups" /min
bench_result control.idle_rss "$(mib "$rss_kib")" MiB
bench_result control.idle_pss "$(mib "$pss_kib")" MiB
bench_result control.idle_uss "$(mib "$uss_kib")" MiB
bench_result control.idle_own_rss "$(mib "$own_kib")" MiB
bench_result control.idle_fds "$fds" ""

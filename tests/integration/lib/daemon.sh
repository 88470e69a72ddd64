# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for the colatrld integration tests: start/stop the daemon inside the
# topology's host namespace (config and --state-dir in the test's temp dir),
# read the installed state (route proto 157, 192.0.0.x/32, tc filters,
# `colatrlctl datapath show`) and wait for it with bounded timeouts.
# Source after topology.sh.

COLATRLD="$COLATRL_BUILD_DIR/daemon/colatrld"
COLATRLCTL="$COLATRL_BUILD_DIR/tools/colatrlctl"
COLATRL_RTPROTO=157 # kRouteProtocol, lib/clat/markers.hpp
COLATRLD_PID=""

daemon_require() {
    topo_require "$@"
    [ -x "$COLATRLD" ] || topo_skip "colatrld not built ($COLATRLD)"
    [ -x "$COLATRLCTL" ] || topo_skip "colatrlctl not built ($COLATRLCTL)"
}

# Writes the [CLAT] config from the arguments (one "Key=Value" each).
daemon_config() {
    {
        echo "[CLAT]"
        printf '%s\n' "$@"
    } >"$TOPO_DIR/colatrld.conf"
}

# Starts colatrld in the host namespace. Without daemon_config before, the
# config file is an empty [CLAT] section (built-in defaults). The daemon offers
# its bus API only on a test's private bus (lib/bus.sh sets COLATRLD_BUS), never
# on the machine's own.
daemon_start() {
    [ -f "$TOPO_DIR/colatrld.conf" ] || daemon_config
    mkdir -p "$TOPO_DIR/state"
    topo_spawn colatrld "$TOPO_HOST" "$COLATRLD" --config "$TOPO_DIR/colatrld.conf" \
        --state-dir "$TOPO_DIR/state" --bus "${COLATRLD_BUS:-none}"
    COLATRLD_PID=$TOPO_LAST_PID
    sleep 0.2
    kill -0 "$COLATRLD_PID" 2>/dev/null || topo_fail "colatrld exited at start"
}

# SIGTERM and wait (bounded); fails unless it exits 0.
daemon_stop() { daemon_signal_exit TERM; }

# SIGUSR2: colatrld exits leaving the CLAT in place for the next run (what a
# systemd restart does on SIGTERM); fails unless it exits 0.
daemon_handover() { daemon_signal_exit USR2; }

daemon_signal_exit() {
    local sig=$1
    kill -"$sig" "$COLATRLD_PID" || topo_fail "colatrld not running at SIG$sig"
    local i rc
    # 30 s: a sanitizer build checks for leaks at exit, on a loaded machine.
    for i in $(seq 1 300); do
        kill -0 "$COLATRLD_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$COLATRLD_PID" 2>/dev/null && topo_fail "colatrld did not exit within 30 s of SIG$sig"
    wait "$COLATRLD_PID"
    rc=$?
    [ "$rc" -eq 0 ] || topo_fail "colatrld exited $rc after SIG$sig"
    COLATRLD_PID=""
}

# The sequence numbers answered in ping output FILE, sorted, once each.
ping_answered_seqs() { grep -o 'icmp_seq=[0-9]*' "$1" | cut -d= -f2 | sort -un; }

# The figures of a 100 Hz ping (run without -q, ended by SIGINT) written to
# FILE: sets LOST and prints them. Ping counts a request whose reply was still
# on its way at the SIGINT as lost; such requests at the very end, sent after
# the CLAT was up again for a second, are not loss across WHAT. So LOST counts
# the sequence numbers missing below the highest one answered.
# Usage: ping_loss_figures FILE WHAT
ping_loss_figures() {
    local out=$1 what=$2 sent answered highest
    sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$out")
    answered=$(ping_answered_seqs "$out")
    highest=$(echo "$answered" | tail -n 1)
    if [ -z "$sent" ] || [ -z "$highest" ] || [ "$sent" -le 100 ]; then
        topo_fail "no ping statistics for $what: $(tail -n 5 "$out")"
    fi
    LOST=$((highest - $(echo "$answered" | wc -l)))
    echo "measured: $what under a 100 Hz IPv4 ping: $highest sent up to the last reply," \
        "$((highest - LOST)) answered, $LOST lost (~$((LOST * 10)) ms; $((sent - highest)) still in flight at the end)"
}

# Runs CMD... under a 100 Hz IPv4 ping from the host to the IPv4 server,
# waits for the CLAT to be up on IF again (and one second more), then sets
# LOST to the pings lost (ping_loss_figures) and prints the figures.
# Usage: ping_loss_during IF WHAT CMD...
ping_loss_during() {
    local ifc=$1 what=$2 out="$TOPO_DIR/ping-loss.out"
    shift 2
    : >"$out"
    ip netns exec "$TOPO_HOST" ping -4 -n -i 0.01 -W 1 "$TOPO_SERVER4" >"$out" 2>&1 &
    local ping_pid=$!
    TOPO_PIDS+=("$ping_pid")
    sleep 1
    "$@"
    daemon_wait_up "$ifc" "" 20
    sleep 1
    kill -INT "$ping_pid"
    wait "$ping_pid"
    ping_loss_figures "$out" "$what"
}

daemon_kill9() {
    kill -KILL "$COLATRLD_PID"
    wait "$COLATRLD_PID" 2>/dev/null
    COLATRLD_PID=""
}

ctl() { hx "$COLATRLCTL" "$@"; }

# "clat4=... clat6=... pref64=... mtu=... slot=... flags=..." or empty.
dp_config() {
    ctl datapath show "$1" 2>/dev/null | sed -n 's/^ *config: \(clat4=.*\)/\1/p'
}

# One field of dp_config (clat4, clat6, pref64, mtu, slot, flags).
dp_field() {
    dp_config "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# Packets of one named counter in `colatrlctl datapath show IF` (first block).
dp_counter() {
    ctl datapath show "$1" --all 2>/dev/null | awk -v n="$2" '$1 == n {print $2; exit}'
}

# Our IPv4 default routes (any table) on IF.
our_routes4() {
    hx ip -4 route show table all proto "$COLATRL_RTPROTO" dev "$1" 2>/dev/null
}
# Our 192.0.0.0/29 addresses on IF.
our_addrs4() {
    hx ip -4 -o addr show dev "$1" to 192.0.0.0/29 2>/dev/null | awk '{print $4}'
}
# On failure (topo_cleanup): attachments and non-zero counters of every
# host link with a colatrl filter.
topo_fail_details() {
    local ifc
    for ifc in $(hx ls /sys/class/net 2>/dev/null); do
        [ -n "$(our_filters "$ifc")" ] || continue
        echo "----- colatrlctl datapath show $ifc -----"
        ctl datapath show "$ifc" 2>&1 | head -n 40
    done
}

# Lines naming our tc programs on IF (ingress + egress).
our_filters() {
    {
        hx tc filter show dev "$1" ingress
        hx tc filter show dev "$1" egress
    } 2>/dev/null | grep 'colatrl'
}

# True when the CLAT is fully up on IF (with PREF64 = $2 if given): datapath
# config, our /32, our default route (via inet6, or none on raw-IP links) with
# src = CLAT IPv4, filters,
# and the CLAT IPv6 address joined as anycast (so the kernel answers ND; a
# crashed daemon's leftovers lack this, the join dies with its socket).
clat_up() {
    local ifc=$1 want_pref64=${2:-}
    local cfg clat4
    cfg=$(dp_config "$ifc")
    [ -n "$cfg" ] || return 1
    if [ -n "$want_pref64" ]; then
        [ "$(dp_field "$ifc" pref64)" = "$want_pref64" ] || return 1
    fi
    clat4=$(dp_field "$ifc" clat4)
    our_addrs4 "$ifc" | grep -qx "$clat4/32" || return 1
    our_routes4 "$ifc" | grep -qE "^default .*src $clat4( |$)" || return 1
    [ "$(our_filters "$ifc" | wc -l)" -ge 2 ] || return 1
    anycast_has "$(dp_field "$ifc" clat6)" || return 1
}

# True when nothing of the CLAT is installed on IF (filters may stay only if
# CHECK_FILTERS=0: an idle attachment without config passes packets untouched).
clat_off() {
    local ifc=$1
    [ -z "$(our_routes4 "$ifc")" ] || return 1
    [ -z "$(our_addrs4 "$ifc")" ] || return 1
    [ -z "$(dp_config "$ifc")" ] || return 1
}

daemon_wait_up() {
    local ifc=$1 pref64=${2:-} timeout=${3:-20}
    topo_wait "$timeout" clat_up "$ifc" "$pref64" ||
        topo_fail "CLAT not up on $ifc${pref64:+ with PREF64 $pref64} within ${timeout}s; state: $(daemon_state "$ifc")"
}

daemon_wait_off() {
    local ifc=$1 timeout=${2:-20}
    topo_wait "$timeout" clat_off "$ifc" ||
        topo_fail "CLAT still installed on $ifc after ${timeout}s; state: $(daemon_state "$ifc")"
}

daemon_state() {
    local ifc=$1
    echo "[config: $(dp_config "$ifc")] [routes: $(our_routes4 "$ifc" | tr '\n' ';')]" \
        "[addrs: $(our_addrs4 "$ifc" | tr '\n' ' ')] [filters: $(our_filters "$ifc" | wc -l)]"
}

# Exactly one of each thing on IF: no duplicates after restarts and changes.
assert_installed_once() {
    local ifc=$1 n
    n=$(our_routes4 "$ifc" | grep -c '^default')
    [ "$n" -eq 1 ] || topo_fail "$n CLAT default routes on $ifc (want 1): $(our_routes4 "$ifc")"
    n=$(our_addrs4 "$ifc" | wc -l)
    [ "$n" -eq 1 ] || topo_fail "$n CLAT IPv4 addresses on $ifc (want 1)"
    n=$(hx tc filter show dev "$ifc" egress | grep -c 'colatrl')
    [ "$n" -eq 1 ] || topo_fail "$n colatrl egress filters on $ifc (want 1)"
    n=$(hx tc filter show dev "$ifc" ingress | grep -c 'colatrl')
    [ "$n" -eq 1 ] || topo_fail "$n colatrl ingress filters on $ifc (want 1)"
    local clat6
    clat6=$(dp_field "$ifc" clat6)
    anycast_has "$clat6" || topo_fail "CLAT IPv6 $clat6 not joined as anycast (ND would not answer)"
}

# True if ADDR is in the host namespace's anycast list.
anycast_has() {
    local hex
    hex=$("$TOPO_PYTHON" -c 'import ipaddress,sys; print(ipaddress.IPv6Address(sys.argv[1]).exploded.replace(":",""))' "$1")
    hx cat /proc/net/anycast6 | grep -q "$hex"
}

# Nothing of ours anywhere in the host namespace.
assert_nothing_left() {
    local left
    left=$(hx ip -4 route show table all proto "$COLATRL_RTPROTO")
    [ -z "$left" ] || topo_fail "routes left behind: $left"
    left=$(hx ip -6 route show table all proto "$COLATRL_RTPROTO")
    [ -z "$left" ] || topo_fail "IPv6 routes left behind: $left"
    left=$(hx ip -4 -o addr show to 192.0.0.0/29)
    [ -z "$left" ] || topo_fail "CLAT addresses left behind: $left"
    local ifc
    for ifc in $(hx ls /sys/class/net); do
        left=$(our_filters "$ifc")
        [ -z "$left" ] || topo_fail "tc filters left on $ifc: $left"
    done
    if [ -n "${LAST_CLAT6:-}" ] && anycast_has "$LAST_CLAT6"; then
        topo_fail "anycast $LAST_CLAT6 left behind"
    fi
}

# Our route's metric on IF (empty if none).
our_metric4() {
    our_routes4 "$1" | sed -n 's/^default .*metric \([0-9]*\).*/\1/p' | head -n 1
}

# The program attached on IF's DIRECTION (ingress/egress), e.g. colatrl_egress_rawip.
our_program() {
    hx tc filter show dev "$1" "$2" 2>/dev/null | grep -o 'colatrl_[a-z0-9_]*' | head -n 1
}

# IPv4 traffic through the CLAT on IF: ping, TCP, UDP, and the egress/ingress
# translation counters grew.
assert_traffic_via() {
    local ifc=$1 eg0 in0 eg1 in1
    eg0=$(dp_counter "$ifc" egress_translated)
    in0=$(dp_counter "$ifc" ingress_translated)
    topo_assert_ipv4_traffic
    eg1=$(dp_counter "$ifc" egress_translated)
    in1=$(dp_counter "$ifc" ingress_translated)
    [ "${eg1:-0}" -gt "${eg0:-0}" ] || topo_fail "egress_translated did not grow on $ifc (${eg0:-0} -> ${eg1:-0})"
    [ "${in1:-0}" -gt "${in0:-0}" ] || topo_fail "ingress_translated did not grow on $ifc (${in0:-0} -> ${in1:-0})"
    echo "ok: IPv4 ping/TCP/UDP via $ifc; egress_translated ${eg0:-0}->$eg1, ingress_translated ${in0:-0}->$in1"
}

# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The 464XLAT test topology, built from network namespaces this script creates
# and always removes again (EXIT trap), for the integration tests, the demo and
# the benchmark. Source it, call topo_init, then the topo_* builders.
#
#   host ("clat host", colatrld runs here)
#     wanN  <-- veth -->  lan0   routerN (IPv6 router: colatrl-test-ra sends RAs with
#                                 a /64 and PREF64; TAYGA NAT64 on tun "nat64" with a
#                                 network-specific prefix and a dynamic pool; nftables
#                                 masquerade; optional unbound DNS64)
#                                 v4    <-- veth (MTU TOPO_V4_MTU) -->  rN   server4
#   server4: IPv4 only, 198.51.100.1/32 on lo (netcheck + iperf3 servers)
#
# Router N (N = 1, 2): IPv6 prefix 2001:db8:N::/64 (router 2001:db8:N::1), PREF64
# 2001:db8:646N::/96 unless told otherwise, TAYGA pool 192.168.25N.0/24, IPv4 link
# to server4 10.0.N.0/24 (router .1, server .2).
#
# Nothing here touches the machine's own interfaces, routes or sysctls: every
# command runs inside one of the namespaces created by topo_init's caller.

TOPO_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOPO_REPO=$(cd "$TOPO_LIB_DIR/../../.." && pwd)
: "${COLATRL_BUILD_DIR:=$TOPO_REPO/build}"
TOPO_SERVER4=198.51.100.1
TOPO_PYTHON=$(command -v /usr/bin/python3 || command -v python3)

TOPO_PIDS=()
TOPO_NAMESPACES=()
TOPO_ID=""
TOPO_DIR=""

topo_log() { echo "[topo] $*" >&2; }

# Exit 77 (meson's SKIP) with the reason on stderr.
topo_skip() {
    echo "SKIP: $*" >&2
    exit 77
}

TOPO_FAIL_REASON=""
topo_fail() {
    echo "FAIL: $*" >&2
    TOPO_FAIL_REASON="$*"
    exit 1
}

# Skips unless everything the topology needs is here. Extra tool names may be
# passed (e.g. unbound, iperf3).
topo_require() {
    [ "$(id -u)" -eq 0 ] || topo_skip "needs root (network namespaces)"
    local t
    for t in ip nft tayga "$@"; do
        command -v "$t" >/dev/null 2>&1 || topo_skip "$t not installed"
    done
    [ -x "$COLATRL_BUILD_DIR/tools/colatrl-test-ra" ] ||
        topo_skip "colatrl-test-ra not built in $COLATRL_BUILD_DIR"
    local probe="colatrl-probe-$$"
    ip netns add "$probe" 2>/dev/null || topo_skip "cannot create network namespaces"
    if ! ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null; then
        ip netns del "$probe"
        topo_skip "veth not available"
    fi
    ip netns del "$probe"
    [ -c /dev/net/tun ] || topo_skip "/dev/net/tun missing (TAYGA needs it)"
}

# Unique names and the cleanup trap. Call once, before building anything.
topo_init() {
    TOPO_ID="ct$$$(printf '%04x' $((RANDOM % 65536)))"
    TOPO_DIR=$(mktemp -d "/tmp/colatrl-topo.XXXXXX")
    TOPO_HOST="$TOPO_ID-host"
    TOPO_SRV="$TOPO_ID-srv"
    trap topo_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

topo_router_ns() { echo "$TOPO_ID-rtr$1"; }

# Runs a command in the host / router N / server namespace.
hx() { ip netns exec "$TOPO_HOST" "$@"; }
rx() {
    local n=$1
    shift
    ip netns exec "$(topo_router_ns "$n")" "$@"
}
sx() { ip netns exec "$TOPO_SRV" "$@"; }

topo_cleanup() {
    local rc=$?
    trap - EXIT
    # While everything still stands: the test's own view of the failure
    # (lib/daemon.sh prints the datapath counters).
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && declare -F topo_fail_details >/dev/null; then
        topo_fail_details >&2
    fi
    local pid
    for pid in "${TOPO_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${TOPO_PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
    done
    # Anything still running inside our namespaces (e.g. forked helpers).
    local ns
    for ns in "${TOPO_NAMESPACES[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
    done
    for ns in "${TOPO_NAMESPACES[@]}"; do
        ip netns del "$ns" 2>/dev/null
        rm -rf "/etc/netns/$ns"
    done
    if [ -n "$TOPO_DIR" ] && [ -d "$TOPO_DIR" ]; then
        # Sanitizer builds: a report from any process started here fails the test.
        local log
        for log in "$TOPO_DIR"/*.log; do
            grep -qE '^==[0-9]+==ERROR: |: runtime error: ' "$log" 2>/dev/null || continue
            echo "FAIL: sanitizer report in $(basename "$log"):" >&2
            sed -n '/^==[0-9]*==ERROR: \|: runtime error: /,/^SUMMARY: /p' "$log" | head -n 60 >&2
            [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] || rc=1
        done
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -z "${TOPO_QUIET_LOGS:-}" ]; then
            local f
            for f in "$TOPO_DIR"/*.log; do
                [ -s "$f" ] || continue
                echo "----- $(basename "$f") (last 30 lines) -----" >&2
                tail -n 30 "$f" >&2
            done
        fi
        rm -rf "$TOPO_DIR"
    fi
    # Last, so that a log that keeps only its tail still says what failed.
    [ -z "$TOPO_FAIL_REASON" ] || echo "FAIL: $TOPO_FAIL_REASON" >&2
    exit "$rc"
}

# Starts a background command inside namespace NS, remembers its pid for
# cleanup (ip netns exec execs the command, so the pid is the command's own).
# Output goes to $TOPO_DIR/LOGNAME.log.
# Usage: topo_spawn LOGNAME NS cmd...   (sets TOPO_LAST_PID)
topo_spawn() {
    local log="$TOPO_DIR/$1.log" ns=$2
    shift 2
    ip netns exec "$ns" "$@" >>"$log" 2>&1 &
    TOPO_LAST_PID=$!
    TOPO_PIDS+=("$TOPO_LAST_PID")
}

topo_ns_add() {
    ip netns add "$1" || topo_fail "ip netns add $1"
    TOPO_NAMESPACES+=("$1")
    ip -n "$1" link set lo up
}

# Polls "cmd..." every 0.1 s until it succeeds or TIMEOUT seconds pass.
# Usage: topo_wait TIMEOUT cmd...
topo_wait() {
    local timeout=$1
    shift
    local deadline=$((SECONDS + timeout))
    while true; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

# The host and the server namespaces. Call before topo_add_router.
topo_base() {
    topo_ns_add "$TOPO_HOST"
    topo_ns_add "$TOPO_SRV"
    hx sysctl -qw net.ipv6.conf.all.forwarding=0
    sx ip addr add "$TOPO_SERVER4/32" dev lo
    # DNS lookups from the host namespace stay inside the topology: router 1
    # (a DNS64 there when topo_start_dns64 runs, else nothing answers).
    # ip netns exec bind-mounts this file over /etc/resolv.conf.
    mkdir -p "/etc/netns/$TOPO_HOST"
    echo "nameserver 2001:db8:1::1" >"/etc/netns/$TOPO_HOST/resolv.conf"
}

# Adds router N (1 or 2) between the host (interface wanN) and server4.
# LINK: veth (default; Ethernet) or tun (raw IP, point-to-point, no ARP: the
# shape of a WWAN modem's link; a tun device in the host and in the router,
# relayed by colatrl-test-tunrelay, with link-locals fe80::2 and fe80::1).
# Env knobs: TOPO_V4_MTU (router<->server4 link MTU, default 1500), TOPO_LAN_MTU
# (host<->router link MTU, default 1500).
# Usage: topo_add_router N [veth|tun]
topo_add_router() {
    local n=$1 link=${2:-veth}
    local r
    r=$(topo_router_ns "$n")
    topo_ns_add "$r"
    # The router's own addresses must be usable at once (RAs need a non-tentative
    # link-local source), so DAD is off in the router namespace.
    rx "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    rx "$n" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
    case "$link" in
    veth)
        ip -n "$r" link add lan0 mtu "${TOPO_LAN_MTU:-1500}" type veth peer name "wan$n" \
            mtu "${TOPO_LAN_MTU:-1500}" netns "$TOPO_HOST" || topo_fail "veth host<->router$n"
        ;;
    tun) topo_tun_link "$n" ;;
    *) topo_fail "topo_add_router: unknown link type $link" ;;
    esac
    # The host's uplink takes RAs (forwarding is off there); SLAAC on.
    hx sysctl -qw "net.ipv6.conf.wan$n.accept_ra=1" "net.ipv6.conf.wan$n.autoconf=1"
    ip -n "$r" link set lan0 up
    ip -n "$r" addr add "2001:db8:$n::1/64" dev lan0
    ip -n "$TOPO_HOST" link set "wan$n" up

    ip -n "$r" link add v4 mtu "${TOPO_V4_MTU:-1500}" type veth peer name "r$n" \
        mtu "${TOPO_V4_MTU:-1500}" netns "$TOPO_SRV" || topo_fail "veth router$n<->server4"
    ip -n "$r" link set v4 up
    ip -n "$r" addr add "10.0.$n.1/24" dev v4
    ip -n "$r" route add "$TOPO_SERVER4/32" via "10.0.$n.2"
    ip -n "$TOPO_SRV" link set "r$n" up
    ip -n "$TOPO_SRV" addr add "10.0.$n.2/24" dev "r$n"
    # Masquerade the NAT64 pool towards the IPv4 side.
    rx "$n" nft -f - <<EOF || topo_fail "nft masquerade in router$n"
table ip colatrl_topo {
    chain post {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "v4" masquerade
    }
}
EOF
}

# The raw-IP link of topo_add_router N tun: persistent tun devices wanN (host)
# and lan0 (router N), so they go with their namespaces, and the relay that
# gives both carrier while it runs (topo_tun_link_down / _up cut and restore it).
topo_tun_link() {
    local n=$1 r
    r=$(topo_router_ns "$n")
    [ -x "$COLATRL_BUILD_DIR/tools/colatrl-test-tunrelay" ] ||
        topo_skip "colatrl-test-tunrelay not built in $COLATRL_BUILD_DIR"
    ip -n "$TOPO_HOST" tuntap add mode tun name "wan$n" || topo_fail "tun wan$n in the host"
    ip -n "$r" tuntap add mode tun name lan0 || topo_fail "tun lan0 in router$n"
    ip -n "$TOPO_HOST" link set "wan$n" mtu "${TOPO_LAN_MTU:-1500}"
    ip -n "$r" link set lan0 mtu "${TOPO_LAN_MTU:-1500}"
    # Fixed link-locals: a tun device has no hardware address to derive one from.
    hx sysctl -qw "net.ipv6.conf.wan$n.addr_gen_mode=1"
    rx "$n" sysctl -qw net.ipv6.conf.lan0.addr_gen_mode=1
    ip -n "$TOPO_HOST" addr add fe80::2/64 dev "wan$n"
    ip -n "$r" addr add fe80::1/64 dev lan0
    topo_tun_link_up "$n"
}

topo_tun_link_up() {
    local n=$1
    : >"$TOPO_DIR/tunrelay$n.log"
    topo_spawn "tunrelay$n" "$TOPO_HOST" "$COLATRL_BUILD_DIR/tools/colatrl-test-tunrelay" \
        "$TOPO_HOST:wan$n" "$(topo_router_ns "$n"):lan0"
    eval "TOPO_TUNRELAY_PID_$n=$TOPO_LAST_PID"
    topo_wait 20 grep -q relaying "$TOPO_DIR/tunrelay$n.log" ||
        topo_fail "colatrl-test-tunrelay for wan$n did not start (log: tunrelay$n.log)"
}

# Carrier loss on router N's raw-IP link (the relay stops; devices stay).
topo_tun_link_down() {
    local var="TOPO_TUNRELAY_PID_$1"
    kill -TERM "${!var}" 2>/dev/null
    wait "${!var}" 2>/dev/null || true
}

# TAYGA as the NAT64 (PLAT) in router N with prefix PREF64 (default
# 2001:db8:646N::/96). A second instance for another prefix needs its own tun
# name and pool: topo_start_nat64 N PREF64 TUN POOL_THIRD_OCTET.
topo_start_nat64() {
    local n=$1 pref64=${2:-2001:db8:646$1::/96} tun=${3:-nat64} pool=${4:-25$1}
    local dir="$TOPO_DIR/tayga-$tun-$n"
    mkdir -p "$dir"
    cat >"$dir/tayga.conf" <<EOF
tun-device $tun
ipv4-addr 192.168.$pool.1
prefix $pref64
dynamic-pool 192.168.$pool.0/24
data-dir $dir
EOF
    rx "$n" tayga -c "$dir/tayga.conf" --mktun >/dev/null 2>&1 || topo_fail "tayga --mktun router$n"
    rx "$n" ip link set "$tun" up
    rx "$n" ip route add "192.168.$pool.0/24" dev "$tun"
    rx "$n" ip route add "$pref64" dev "$tun"
    topo_spawn "tayga-$tun-$n" "$(topo_router_ns "$n")" tayga -c "$dir/tayga.conf" -d
    # TAYGA answers for its own IPv4 address: wait until it runs.
    topo_wait 20 rx "$n" ping -c1 -W1 "192.168.$pool.1" ||
        topo_fail "TAYGA NAT64 $tun in router$n did not come up (log: tayga-$tun-$n.log)"
}

# colatrl-test-ra in router N on lan0. Options go to an options file so that
# topo_ra_update can change them (SIGHUP) without a restart.
# Usage: topo_start_ra N [colatrl-test-ra options...]
# Default: --prefix 2001:db8:N::/64 --pref64 2001:db8:646N::/96 --interval 1
topo_start_ra() {
    local n=$1
    shift
    local opts=("$@")
    if [ ${#opts[@]} -eq 0 ]; then
        opts=(--prefix "2001:db8:$n::/64" --pref64 "2001:db8:646$n::/96" --interval 1)
    fi
    printf '%s\n' "${opts[@]}" >"$TOPO_DIR/ra$n.opts"
    # Its log is appended to across restarts: count from here.
    local starts reloads
    starts=$(topo_ra_log_count "$n" 'lan0: ')
    reloads=$(topo_ra_log_count "$n" '(reloaded|reload failed)')
    topo_spawn "ra$n" "$(topo_router_ns "$n")" "$COLATRL_BUILD_DIR/tools/colatrl-test-ra" --interface lan0 \
        --options-file "$TOPO_DIR/ra$n.opts"
    eval "TOPO_RA_PID_$n=$TOPO_LAST_PID TOPO_RA_HUPS_$n=$reloads"
    # Its first line comes once SIGHUP is caught (a SIGHUP before would kill it).
    topo_wait 20 topo_ra_log_reaches "$n" 'lan0: ' $((starts + 1)) ||
        topo_fail "RA sender of router$n did not start: $(tail -n 5 "$TOPO_DIR/ra$n.log")"
}

# Lines of router N's RA sender log that start with "colatrl-test-ra: " and
# then match the extended regex RE; and whether they are at least COUNT.
topo_ra_log_count() {
    local c
    c=$(grep -cE "^colatrl-test-ra: $2" "$TOPO_DIR/ra$1.log" 2>/dev/null)
    echo "${c:-0}"
}
topo_ra_log_reaches() { [ "$(topo_ra_log_count "$1" "$2")" -ge "$3" ]; }

# Replaces router N's RA options and makes the sender re-read them at once.
# Returns right after the SIGHUP (the demo and bench time what follows). The
# previous SIGHUP must have been handled first: two pending SIGHUPs are one
# signal, and the sender would read only the newer options file.
topo_ra_update() {
    local n=$1
    shift
    local pid_var="TOPO_RA_PID_$n" hups_var="TOPO_RA_HUPS_$n"
    topo_wait 20 topo_ra_log_reaches "$n" '(reloaded|reload failed)' "${!hups_var}" ||
        topo_fail "RA sender of router$n did not handle the previous SIGHUP"
    printf '%s\n' "$@" >"$TOPO_DIR/ra$n.opts"
    kill -HUP "${!pid_var}" || topo_fail "RA sender of router$n is gone"
    eval "$hups_var=$((${!hups_var} + 1))"
}

# Stops router N's RA sender (it sends a final RA with lifetimes 0).
topo_stop_ra() {
    local var="TOPO_RA_PID_$1"
    kill -TERM "${!var}" 2>/dev/null
    wait "${!var}" 2>/dev/null || true
}

# The host's usable (not tentative, not deprecated) global SLAAC address on
# wanN under PREFIX (default 2001:db8:N::/64); empty if none.
topo_host_addr() {
    local n=$1 prefix=${2:-2001:db8:$1::/64}
    hx ip -6 -o addr show dev "wan$n" to "$prefix" scope global -tentative -deprecated \
        2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}'
}

topo_has_host_addr() { [ -n "$(topo_host_addr "$@")" ]; }

# True if the host's address under PREFIX on wanN is deprecated.
topo_host_addr_deprecated() {
    hx ip -6 -o addr show dev "wan$1" to "$2" scope global deprecated 2>/dev/null | grep -q .
}

# Waits for SLAAC on wanN and the IPv6 default route learnt from the RA.
topo_wait_slaac() {
    local n=$1 prefix=${2:-2001:db8:$1::/64}
    topo_wait 15 topo_has_host_addr "$n" "$prefix" ||
        topo_fail "no SLAAC address under $prefix on wan$n"
    topo_wait 20 sh -c "ip netns exec '$TOPO_HOST' ip -6 route show default dev wan$n | grep -q via" ||
        topo_fail "no IPv6 default route via wan$n"
}

# unbound as DNS64 in router N on 2001:db8:N::1, and the host's resolv.conf
# (ip netns exec bind-mounts /etc/netns/NAME/resolv.conf) pointing to it.
topo_start_dns64() {
    local n=$1 pref64=${2:-2001:db8:646$1::/96}
    local dir="$TOPO_DIR/unbound-$n"
    mkdir -p "$dir"
    cat >"$dir/ipv4only.zone" <<'EOF'
$ORIGIN ipv4only.arpa.
$TTL 3600
@ IN SOA ipv4only.arpa. nobody.invalid. 1 3600 1200 604800 3600
@ IN NS localhost.
@ IN A 192.0.0.170
@ IN A 192.0.0.171
EOF
    cat >"$dir/unbound.conf" <<EOF
server:
    interface: 2001:db8:$n::1
    port: 53
    access-control: ::/0 allow
    module-config: "dns64 iterator"
    dns64-prefix: $pref64
    chroot: ""
    username: ""
    directory: "$dir"
    pidfile: "$dir/unbound.pid"
    use-syslog: no
    logfile: ""
    do-daemonize: no
    verbosity: 1
    num-threads: 1
    do-ip4: no
auth-zone:
    name: "ipv4only.arpa"
    zonefile: "$dir/ipv4only.zone"
    for-upstream: yes
    for-downstream: no
EOF
    topo_spawn "unbound-$n" "$(topo_router_ns "$n")" unbound -d -c "$dir/unbound.conf"
    mkdir -p "/etc/netns/$TOPO_HOST"
    echo "nameserver 2001:db8:$n::1" >"/etc/netns/$TOPO_HOST/resolv.conf"
}

# Native IPv4 on router N's link: host 10.1.N.2/24, default via 10.1.N.1.
topo_native_ipv4() {
    local n=$1
    rx "$n" ip addr add "10.1.$n.1/24" dev lan0
    hx ip addr add "10.1.$n.2/24" dev "wan$n"
    hx ip route add default via "10.1.$n.1" dev "wan$n"
}

# server4's TCP/UDP peer (netcheck.py serve), listening before this returns:
# a first transfer must not meet a closed port while Python starts.
topo_start_netcheck() {
    topo_spawn netcheck "$TOPO_SRV" "$TOPO_PYTHON" "$TOPO_LIB_DIR/netcheck.py" serve --bind "$TOPO_SERVER4"
    topo_wait 20 grep -q 'serving on' "$TOPO_DIR/netcheck.log" ||
        topo_fail "netcheck server on server4 did not start: $(cat "$TOPO_DIR/netcheck.log")"
}

# A whole standard topology: host, server4, router 1 with NAT64 + RAs, SLAAC done.
topo_standard() {
    topo_base
    topo_add_router 1
    topo_start_nat64 1
    topo_start_ra 1 "$@"
    topo_start_netcheck
    topo_wait_slaac 1
}

# Two IPv6-only uplinks, as on a laptop with Wi-Fi and WWAN, with
# NetworkManager's default-route metrics: wan1 an Ethernet-like veth ("wlan",
# the RA's default route at metric 600) and wan2 a raw-IP tun link ("wwan",
# `default dev wan2 metric 700`, no next hop), each router with its NAT64 and
# RAs; server4's netcheck runs; SLAAC done on both.
topo_two_uplinks() {
    topo_base
    topo_add_router 1
    topo_add_router 2 tun
    hx sysctl -qw net.ipv6.conf.wan1.ra_defrtr_metric=600 net.ipv6.conf.wan2.accept_ra_defrtr=0
    hx ip -6 route add default dev wan2 metric 700 || topo_fail "device route on wan2"
    # Tests cut wan1's carrier by taking router 1's end down; the router keeps
    # its addresses meanwhile, as an access point does when a station leaves.
    rx 1 sysctl -qw net.ipv6.conf.lan0.keep_addr_on_down=1
    topo_start_nat64 1
    topo_start_nat64 2
    topo_start_ra 1
    topo_start_ra 2
    topo_start_netcheck
    topo_wait_slaac 1
    topo_wait 15 topo_has_host_addr 2 || topo_fail "no SLAAC address on wan2"
}

# TAYGA as the CLAT in the host namespace (the benchmark baseline and a proof
# that the topology carries IPv4 before colatrld exists). IPv4 default route
# through tun "clat" from 192.0.0.7 (TAYGA itself is 192.0.0.6, leaving .2 for
# colatrl next to it); CLAT IPv6 address 2001:db8:N::c1a7 answered by proxy ND.
# Usage: topo_tayga_clat N [PREF64]
topo_tayga_clat() {
    local n=$1 pref64=${2:-2001:db8:646$1::/96}
    local clat6="2001:db8:$n::c1a7"
    local dir="$TOPO_DIR/tayga-clat"
    mkdir -p "$dir"
    cat >"$dir/tayga.conf" <<EOF
tun-device clat
ipv4-addr 192.0.0.6
prefix $pref64
map 192.0.0.7 $clat6
data-dir $dir
EOF
    hx tayga -c "$dir/tayga.conf" --mktun >/dev/null 2>&1 || topo_fail "tayga --mktun (clat)"
    # Forwarding between tun and uplink; keep taking RAs with forwarding on.
    hx sysctl -qw "net.ipv6.conf.wan$n.accept_ra=2" net.ipv6.conf.all.forwarding=1 \
        "net.ipv6.conf.wan$n.proxy_ndp=1"
    hx ip link set clat up
    hx ip addr add 192.0.0.7/32 dev clat
    hx ip route add 192.0.0.6/32 dev clat src 192.0.0.7
    # TOPO_TAYGA_NO_DEFAULT=1: no default route (the caller routes what it wants).
    [ -n "${TOPO_TAYGA_NO_DEFAULT:-}" ] || hx ip route add default dev clat src 192.0.0.7 mtu 1472
    hx ip -6 route add "$clat6/128" dev clat
    hx ip -6 neigh add proxy "$clat6" dev "wan$n"
    topo_spawn tayga-clat "$TOPO_HOST" tayga -c "$dir/tayga.conf" -d
    topo_wait 20 hx ping -c1 -W1 192.0.0.6 || topo_fail "TAYGA CLAT did not come up"
}

topo_tayga_clat_stop() {
    hx ip route del default dev clat 2>/dev/null
    hx ip link del clat 2>/dev/null
}

# ---- assertions shared by the tests ----

# Pings server4 over IPv4 from the host.
topo_ping4() { hx ping -4 -c "${2:-3}" -i 0.2 -W 2 "${1:-$TOPO_SERVER4}"; }

# One IPv4 ping from the host to server4 with ping's extra ARGS must print
# PATTERN (grep -iE), e.g. a translated ICMP error. One ICMP error or reply can
# be late or lost on a loaded machine (TAYGA is a userspace process), so it gets
# three tries. TOPO_PING_OUT holds the last ping's output.
# Usage: topo_ping_shows PATTERN ARGS...
topo_ping_shows() {
    local pattern=$1 _
    shift
    for _ in 1 2 3; do
        TOPO_PING_OUT=$(hx ping -4 -c1 -W2 "$@" "$TOPO_SERVER4" 2>&1)
        echo "$TOPO_PING_OUT" | grep -qiE "$pattern" && return 0
        topo_log "ping $*: no '$pattern' yet: $(echo "$TOPO_PING_OUT" | head -n 3 | tr '\n' ' ')"
    done
    return 1
}

topo_assert_ipv4_traffic() {
    topo_ping4 "$TOPO_SERVER4" 3 >"$TOPO_DIR/ping.out" 2>&1 ||
        { cat "$TOPO_DIR/ping.out" >&2; topo_fail "IPv4 ping to $TOPO_SERVER4"; }
    hx "$TOPO_PYTHON" "$TOPO_LIB_DIR/netcheck.py" tcp --to "$TOPO_SERVER4" --bytes 2000000 ||
        topo_fail "IPv4 TCP transfer to $TOPO_SERVER4"
    hx "$TOPO_PYTHON" "$TOPO_LIB_DIR/netcheck.py" udp --to "$TOPO_SERVER4" --count 5 --size 1200 ||
        topo_fail "IPv4 UDP exchange with $TOPO_SERVER4"
}

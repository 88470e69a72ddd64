#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A hostile host: each case gets one clear log line and the best behaviour there is,
# never a crash loop and never a half-installed CLAT.
#   - corrupt secret: moved aside, a new one made, CLAT up; the next start is quiet
#   - 192.0.0.0/29 fully taken by other addresses: CLAT off ("no free CLAT IPv4
#     address"), nothing installed; on as soon as one is free
#   - the uplink renamed: followed under its new name
#   - the uplink moved to another namespace: off here, nothing of ours left there
#     doing work; back again: on again
#   - BPF not permitted (no CAP_BPF; and unprivileged): one line, exit 77 (not
#     restarted by colatrld.service), nothing installed
#   - state directory read-only (private mount namespace): a temporary secret, one
#     warning, CLAT up
#   - bpffs not mounted (private mount namespace): colatrld pins nothing, CLAT up
# A kernel without clsact is not simulated here: sch_ingress is one module for the
# whole machine (unloading it would hit every other user); colatrld's start does
# not attach anything, and a failing attach is an install failure like any other.
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping setpriv unshare
topo_init
topo_standard
daemon_config "Pref64Discovery=ra"
state="$TOPO_DIR/state"
mkdir -p "$state"
log="$TOPO_DIR/colatrld.log"

# Lines of colatrld.log written since the mark.
mark() { mark_at=$(cat "$log" 2>/dev/null | wc -l); }
since_mark() { tail -n +"$((mark_at + 1))" "$log"; }
# Some line since the mark matches the pattern.
has_line() { since_mark | grep -q -- "$1"; }
# Exactly one line matching the pattern since the mark.
one_line() {
    local n
    n=$(since_mark | grep -c -- "$1")
    [ "$n" -eq 1 ] || { since_mark >&2; topo_fail "want one log line matching '$1', got $n"; }
    echo "  log: $(since_mark | grep -- "$1")"
}
nothing_installed() {
    clat_off wan1 || topo_fail "something installed: $(daemon_state wan1)"
    [ -z "$(our_filters wan1)" ] || topo_fail "tc filters installed: $(our_filters wan1)"
}
# Starts colatrld through a wrapper (env, setpriv, unshare ...) as daemon_start does.
start_wrapped() {
    topo_spawn colatrld "$TOPO_HOST" "$@" "$COLATRLD" --config "$TOPO_DIR/colatrld.conf" \
        --state-dir "$state"
    COLATRLD_PID=$TOPO_LAST_PID
}
# Waits (bounded) for a start that must fail; its exit status in $rc (no subshell:
# only this shell can wait for it).
wait_exit() {
    local i
    for i in $(seq 1 300); do
        kill -0 "$COLATRLD_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$COLATRLD_PID" 2>/dev/null && topo_fail "colatrld still running, want it to exit"
    wait "$COLATRLD_PID"
    rc=$?
    COLATRLD_PID=""
}

# --- corrupt secret
printf 'short' >"$state/secret"
mark
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96
assert_installed_once wan1
one_line "corrupt secret.*moved to $state/secret.corrupt"
[ "$(stat -c %s "$state/secret")" = 16 ] || topo_fail "no new 16-byte secret"
clat6=$(dp_field wan1 clat6)
echo "ok: corrupt secret moved aside, a new one made, CLAT up"

# --- 192.0.0.0/29 fully taken (by addresses that are not on the uplink)
mark
printf 'addr add 192.0.0.%s/32 dev lo\n' 2 3 4 5 6 7 | hx ip -batch - || topo_fail "192.0.0.x on lo"
daemon_wait_off wan1 15
topo_wait 20 has_line "no free CLAT IPv4 address" || true
sleep 1 # and it is not repeated
nothing_installed
one_line "no free CLAT IPv4 address"
kill -0 "$COLATRLD_PID" || topo_fail "colatrld exited"
hx ip addr del 192.0.0.5/32 dev lo
daemon_wait_up wan1 2001:db8:6461::/96 15
[ "$(dp_field wan1 clat4)" = 192.0.0.5 ] || topo_fail "CLAT IPv4 $(dp_field wan1 clat4), want the free 192.0.0.5"
assert_installed_once wan1
for i in 2 3 4 6 7; do hx ip addr del "192.0.0.$i/32" dev lo; done
echo "ok: 192.0.0.0/29 taken -> off with nothing installed; one freed -> on"

# --- the uplink renamed (a veth must be down to be renamed)
hx ip link set wan1 down
hx ip link set wan1 name uplink7
hx ip link set uplink7 up
daemon_wait_up uplink7 2001:db8:6461::/96 30
assert_installed_once uplink7
echo "ok: renamed uplink followed (wan1 -> uplink7)"
hx ip link set uplink7 down
hx ip link set uplink7 name wan1
hx ip link set wan1 up
daemon_wait_up wan1 2001:db8:6461::/96 30
topo_wait_slaac 1

# --- the uplink moved to another namespace and back
other="$TOPO_ID-other"
topo_ns_add "$other"
mark
hx ip link set wan1 netns "$other"
topo_wait 15 sh -c "! ip netns exec '$TOPO_HOST' ip -4 route show table all proto $COLATRL_RTPROTO | grep -q ." ||
    topo_fail "our route still in the host namespace"
topo_wait 20 has_line "CLAT off: link \(down\|gone\)" || true
sleep 1 # and it is not repeated
kill -0 "$COLATRLD_PID" || topo_fail "colatrld exited after its uplink left"
one_line "CLAT off: link \(down\|gone\)" # the kernel takes it down before it goes
# Whatever moved along with the device must not translate there: no config, or no filters.
moved_cfg=$(ip netns exec "$other" "$COLATRLCTL" datapath show wan1 2>/dev/null | sed -n 's/^ *config: \(clat4=.*\)/\1/p')
moved_filters=$(ip netns exec "$other" tc filter show dev wan1 ingress 2>/dev/null | grep -c colatrl)
[ -z "$moved_cfg" ] || [ "$moved_filters" -eq 0 ] ||
    topo_fail "the moved uplink still translates in the other namespace: $moved_cfg"
echo "  moved device: colatrl filters $moved_filters, config '${moved_cfg:-none}'"
ip -n "$other" link set wan1 netns "$TOPO_HOST"
hx ip link set wan1 up
hx sysctl -qw net.ipv6.conf.wan1.accept_ra=1 net.ipv6.conf.wan1.autoconf=1
daemon_wait_up wan1 2001:db8:6461::/96 30
assert_installed_once wan1
assert_traffic_via wan1
echo "ok: uplink moved away -> off, nothing translating; back -> on"
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left

# --- the next start with the new secret is quiet and keeps the address
mark
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96
since_mark | grep -q "secret" && { since_mark >&2; topo_fail "a warning about the secret again"; }
[ "$(dp_field wan1 clat6)" = "$clat6" ] || topo_fail "CLAT IPv6 changed with the new secret kept"
daemon_stop
echo "ok: the new secret is kept"

# --- BPF not permitted: root without CAP_BPF / CAP_SYS_ADMIN / CAP_PERFMON
mark
start_wrapped setpriv --bounding-set=-all,+net_admin,+net_raw,+dac_override --
wait_exit
[ "$rc" = 77 ] || { since_mark >&2; topo_fail "exit status $rc without CAP_BPF, want 77"; }
one_line "cannot start: .*Operation not permitted"
nothing_installed
echo "ok: no CAP_BPF -> exit 77 (no restart), one line, nothing installed"

# --- unprivileged (a system user with no capabilities at all); it may read the config
chmod 711 "$TOPO_DIR"
chmod 644 "$TOPO_DIR/colatrld.conf"
mark
start_wrapped setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --
wait_exit
[ "$rc" = 77 ] || { since_mark >&2; topo_fail "exit status $rc as nobody, want 77"; }
one_line "cannot start: "
nothing_installed
echo "ok: unprivileged -> exit 77, nothing installed"

# --- state directory read-only, in a private mount namespace; no secret there yet
mv "$state/secret" "$state/secret.kept"
mark
start_wrapped unshare -m --propagation private sh -c \
    'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"' "$state"
sleep 0.5
kill -0 "$COLATRLD_PID" 2>/dev/null || topo_fail "colatrld exited with a read-only state directory"
daemon_wait_up wan1 2001:db8:6461::/96
assert_installed_once wan1
one_line "using a temporary one"
[ "$(dp_field wan1 clat6)" != "$clat6" ] || topo_fail "the stored secret was used"
daemon_stop
echo "ok: read-only state directory -> temporary secret, one warning, CLAT up"

# --- bpffs not mounted, in a private mount namespace (the host's stays untouched)
mark
start_wrapped unshare -m --propagation private sh -c \
    'while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf || exit 9; done; exec "$@"' sh
sleep 0.5
kill -0 "$COLATRLD_PID" 2>/dev/null || topo_fail "colatrld exited without bpffs"
daemon_wait_up wan1 2001:db8:6461::/96
assert_installed_once wan1
assert_traffic_via wan1
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
echo "ok: no bpffs -> CLAT up (nothing is pinned)"
echo PASS

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bus API (dbus/org.colatrl.*.xml) on a private system bus that loads the
# real policy: introspection as documented; Link1 properties for an off link
# (no-pref64, native-ipv4) and an active one, with PropertiesChanged when PREF64
# appears and changes and when the /64 is renumbered (the link staying active); InterfacesAdded/Removed as links come and go; counters
# growing with traffic and ResetStatistics; errors for bad arguments; a
# caller with uid 65534 reads but may not Reload/ResetStatistics; colatrlctl
# in text and JSON and its exit codes; the bus restarted under the daemon.
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
. "$(dirname "$0")/lib/bus.sh"
daemon_require ping
bus_require
command -v dbus-send >/dev/null 2>&1 || topo_skip "dbus-send not installed"
topo_init
# Every counter of the X-macro in bpf/colatrl_shared.h, each with a name.
NCOUNTERS=$(grep -cE '^ *X\([A-Z0-9_]+, "[a-z0-9_]+"\)' "$TOPO_REPO/bpf/colatrl_shared.h")
# RAs carry no PREF64 at first: the CLAT stays off with "no-pref64".
topo_standard --prefix 2001:db8:1::/64 --interval 1
topo_start_nat64 1 2001:db8:6469::/96 nat64b 249
bus_start
daemon_config "Pref64Discovery=ra"
daemon_start
topo_wait 20 bus_daemon_up || topo_fail "colatrld does not answer on the bus"
topo_spawn monitor "$TOPO_HOST" "$COLATRLCTL" monitor
MON_PID=$TOPO_LAST_PID
MON_LOG="$TOPO_DIR/monitor.log"
topo_wait 20 grep -q Watching "$MON_LOG" || topo_fail "colatrlctl monitor did not start"

# dbus-send names the error of a failed call ("Error org.colatrl.Error.NoSuchLink: ...").
call_error() {
    hx dbus-send --system --print-reply --dest=org.colatrl /org/colatrl "org.colatrl.Manager1.$1" "${@:2}" 2>&1 |
        sed -n 's/^Error \([^:]*\):.*/\1/p'
}
# Exit status of colatrlctl (as root unless ctl_nobody is passed as $1).
ctl_rc() {
    "$@" >/dev/null 2>&1
    echo $?
}
mon_has() { grep -q -- "$1" "$MON_LOG"; }
# grep -q on a captured output (a pipe into grep -q can end the writer with
# SIGPIPE, which pipefail turns into a failure).
has() { grep -q -- "$2" <<<"$1"; }

# --- introspection equals the documented XML ---
bctl introspect --xml-interface org.colatrl /org/colatrl >"$TOPO_DIR/live-manager.xml" ||
    topo_fail "introspect /org/colatrl"
"$TOPO_PYTHON" "$TOPO_LIB_DIR/introspect_cmp.py" "$TOPO_REPO/dbus/org.colatrl.Manager1.xml" \
    "$TOPO_DIR/live-manager.xml" org.colatrl.Manager1 || topo_fail "Manager1 differs from dbus/org.colatrl.Manager1.xml"
grep -q 'interface name="org.freedesktop.DBus.ObjectManager"' "$TOPO_DIR/live-manager.xml" ||
    topo_fail "no ObjectManager on /org/colatrl"
path=$(bus_link_path wan1)
ifindex=$(hx cat /sys/class/net/wan1/ifindex)
want_path=$("$TOPO_PYTHON" -c 'import sys; print("/org/colatrl/link/_3" + sys.argv[1][0] + sys.argv[1][1:])' "$ifindex")
[ "$path" = "$want_path" ] || topo_fail "wan1 (ifindex $ifindex) at '$path', want $want_path"
bctl introspect --xml-interface org.colatrl "$path" >"$TOPO_DIR/live-link.xml" || topo_fail "introspect $path"
"$TOPO_PYTHON" "$TOPO_LIB_DIR/introspect_cmp.py" "$TOPO_REPO/dbus/org.colatrl.Link1.xml" \
    "$TOPO_DIR/live-link.xml" org.colatrl.Link1 || topo_fail "Link1 differs from dbus/org.colatrl.Link1.xml"
echo "busctl introspect org.colatrl /org/colatrl:"
bctl introspect org.colatrl /org/colatrl
bctl_nobody call org.colatrl /org/colatrl org.freedesktop.DBus.Peer Ping >/dev/null ||
    topo_fail "org.freedesktop.DBus.Peer.Ping"
echo "ok: introspection as documented; Peer answers"

# --- an off link: no PREF64 ---
link_wait_prop wan1 OffReason no-pref64
link_prop_is wan1 State off || topo_fail "State $(link_prop wan1 State), want off"
link_prop_is wan1 Pref64 "" || topo_fail "Pref64 set while none is known"
link_prop_is wan1 ClatIPv4Address "" || topo_fail "ClatIPv4Address set while off"
link_prop_is wan1 MTU 0 || topo_fail "MTU $(link_prop wan1 MTU) while off"
link_prop_is wan1 InterfaceIndex "$ifindex" || topo_fail "InterfaceIndex $(link_prop wan1 InterfaceIndex)"
[ "$(bctl get-property org.colatrl /org/colatrl org.colatrl.Manager1 State)" = 's "running"' ] ||
    topo_fail "Manager1.State: $(bctl get-property org.colatrl /org/colatrl org.colatrl.Manager1 State)"
[ "$(bctl get-property org.colatrl /org/colatrl org.colatrl.Manager1 ConfigFile)" = "s \"$TOPO_DIR/colatrld.conf\"" ] ||
    topo_fail "Manager1.ConfigFile: $(bctl get-property org.colatrl /org/colatrl org.colatrl.Manager1 ConfigFile)"
out=$(ctl status wan1) || topo_fail "colatrlctl status wan1 (off)"
has "$out" "State: off (no-pref64)" || topo_fail "status of an off link: $out"
echo "ok: off link: no-pref64"

# --- PREF64 appears: active, every property right, signals ---
topo_ra_update 1 --prefix 2001:db8:1::/64 --pref64 2001:db8:6461::/96 --interval 1
daemon_wait_up wan1 2001:db8:6461::/96
link_wait_prop wan1 State active
for kv in "Pref64=2001:db8:6461::/96" "Pref64Source=ra" "OffReason=" "OffDetail=" \
    "ClatIPv4Address=$(dp_field wan1 clat4)" "ClatIPv6Address=$(dp_field wan1 clat6)" \
    "Gateway=$(rx 1 ip -6 -o addr show dev lan0 scope link | awk '{split($4, a, "/"); print a[1]}')" \
    "MTU=1472" "InterfaceName=wan1"; do
    link_prop_is wan1 "${kv%%=*}" "${kv#*=}" || topo_fail "${kv%%=*} is '$(link_prop wan1 "${kv%%=*}")', want '${kv#*=}'"
done
boot_us=$(awk '{printf "%d", $1 * 1000000}' /proc/uptime)
exp_us=$(link_prop wan1 Pref64ExpiresUSec)
[ "$exp_us" -gt "$boot_us" ] || topo_fail "Pref64ExpiresUSec $exp_us not after now ($boot_us, CLOCK_BOOTTIME)"
since=$(link_prop wan1 Since)
now_us=$(($(date +%s) * 1000000))
[ "$since" -gt $((now_us - 120000000)) ] && [ "$since" -le $((now_us + 1000000)) ] ||
    topo_fail "Since $since is not within the last 2 minutes (now $now_us)"
topo_wait 20 mon_has "PropertiesChanged $path.*State=\"active\"" ||
    topo_fail "no PropertiesChanged State=active: $(cat "$MON_LOG")"
echo "ok: active link properties; PropertiesChanged State=active"

# PREF64 changes (the RA announces another NAT64)
topo_ra_update 1 --prefix 2001:db8:1::/64 --pref64 2001:db8:6469::/96 --interval 1
link_wait_prop wan1 Pref64 2001:db8:6469::/96
daemon_wait_up wan1 2001:db8:6469::/96
topo_wait 20 mon_has "PropertiesChanged $path.*Pref64=\"2001:db8:6469::/96\"" ||
    topo_fail "no PropertiesChanged Pref64: $(cat "$MON_LOG")"
echo "ok: PropertiesChanged on a PREF64 change"

# Renumbering: the router moves to a new /64 and deprecates the old one.
rx 1 ip addr add 2001:db8:1:1::1/64 dev lan0
topo_ra_update 1 --prefix 2001:db8:1::/64,86400,0 --prefix 2001:db8:1:1::/64 \
    --pref64 2001:db8:6469::/96 --interval 1
in_new_64() { [[ "$(link_prop wan1 ClatIPv6Address)" == 2001:db8:1:1:* ]]; }
topo_wait 20 in_new_64 || topo_fail "ClatIPv6Address not renumbered: $(link_prop wan1 ClatIPv6Address)"
link_prop_is wan1 State active || topo_fail "State $(link_prop wan1 State) after renumbering"
topo_wait 20 mon_has "PropertiesChanged $path.*ClatIPv6Address=\"2001:db8:1:1:" ||
    topo_fail "no PropertiesChanged for the renumbered ClatIPv6Address"
mon_has 'State="off"' && topo_fail "State went off during the PREF64 change or the renumbering: $(cat "$MON_LOG")"
echo "ok: renumbering: ClatIPv6Address $(link_prop wan1 ClatIPv6Address), with a signal"

# --- counters ---
p0=$(link_prop wan1 Packets4to6)
b0=$(link_prop wan1 Bytes6to4)
topo_ping4 "$TOPO_SERVER4" 3 >/dev/null || topo_fail "IPv4 ping through the CLAT"
p1=$(link_prop wan1 Packets4to6)
b1=$(link_prop wan1 Bytes6to4)
[ "$p1" -ge $((p0 + 3)) ] || topo_fail "Packets4to6 $p0 -> $p1 after 3 pings"
[ "$b1" -gt "$b0" ] || topo_fail "Bytes6to4 $b0 -> $b1 after 3 pings"
stats=$(bctl get-property org.colatrl "$path" org.colatrl.Link1 Statistics)
has "$stats" "^a{s(tt)} $NCOUNTERS \"egress_translated\" [1-9]" || topo_fail "Statistics: $stats"
has "$stats" '"ingress_drop_icmp_fragmented" [0-9]* [0-9]*' || topo_fail "Statistics lacks a drop reason: $stats"
echo "ok: counters grow with traffic (Packets4to6 $p0 -> $p1)"

# --- colatrlctl: text, JSON, exit codes ---
out=$(ctl status) || topo_fail "colatrlctl status"
echo "colatrlctl status:"
echo "$out"
for want in "colatrld .*: running" "State: active since" "PREF64: 2001:db8:6469::/96 from ra (expires in" \
    "CLAT IPv4: 192.0.0." "MTU: 1472" "IPv4 -> IPv6: [1-9][0-9]* packets" "Drops:"; do
    has "$out" "$want" || topo_fail "colatrlctl status lacks '$want'"
done
ctl status --json | "$TOPO_PYTHON" -c '
import json, sys
links = {l["InterfaceName"]: l for l in json.load(sys.stdin)}
w = links["wan1"]
assert w["State"] == "active" and w["Pref64"] == "2001:db8:6469::/96", w
assert w["Statistics"]["egress_translated"]["packets"] >= 3, w["Statistics"]
' || topo_fail "colatrlctl status --json"
has "$(ctl list)" "wan1 *active" || topo_fail "colatrlctl list: $(ctl list)"
ctl list --json | "$TOPO_PYTHON" -c 'import json,sys; assert any(l["InterfaceName"] == "wan1" for l in json.load(sys.stdin))' ||
    topo_fail "colatrlctl list --json"
has "$(ctl statistics wan1)" "egress_translated *[1-9]" || topo_fail "colatrlctl statistics: $(ctl statistics wan1)"
[ "$(ctl statistics wan1 --all | grep -c '_')" -eq "$NCOUNTERS" ] ||
    topo_fail "statistics --all does not list all $NCOUNTERS counters"
ctl describe | NCOUNTERS=$NCOUNTERS "$TOPO_PYTHON" -c '
import json, os, sys
d = json.load(sys.stdin)
assert d["State"] == "running" and d["Config"]["pref64_discovery_dns64"] is False, d
w = [l for l in d["Links"] if l["InterfaceName"] == "wan1"][0]
assert w["State"] == "active" and len(w["Statistics"]) == int(os.environ["NCOUNTERS"]), w
' || topo_fail "colatrlctl describe"
has "$(ctl metrics)" '^colatrl_packets_total{interface="wan1",counter="egress_translated"} [1-9]' ||
    topo_fail "colatrlctl metrics"
[ "$(ctl_rc ctl status nosuch0)" = 5 ] || topo_fail "status of an unknown link: exit $(ctl_rc ctl status nosuch0), want 5"
[ "$(ctl_rc ctl status --bogus)" = 2 ] || topo_fail "bad option: exit $(ctl_rc ctl status --bogus), want 2"
echo "ok: colatrlctl status/list/statistics/describe/metrics, text and JSON, exit codes"

# --- ResetStatistics ---
ctl reset-statistics || topo_fail "colatrlctl reset-statistics as root"
[ "$(link_prop wan1 Packets4to6)" = 0 ] || topo_fail "Packets4to6 $(link_prop wan1 Packets4to6) after ResetStatistics"
[ "$(link_prop wan1 Bytes4to6)" = 0 ] || topo_fail "Bytes4to6 not zero after ResetStatistics"
echo "ok: ResetStatistics zeroes the counters"

# --- a caller that is not root ---
ctl_nobody status >/dev/null || topo_fail "uid 65534 cannot read the status"
has "$(bctl_nobody get-property org.colatrl "$path" org.colatrl.Link1 State)" active ||
    topo_fail "uid 65534 cannot read properties"
[ "$(ctl_rc ctl_nobody reload)" = 4 ] || topo_fail "uid 65534 reload: exit $(ctl_rc ctl_nobody reload), want 4"
[ "$(ctl_rc ctl_nobody reset-statistics)" = 4 ] || topo_fail "uid 65534 reset-statistics not denied"
out=$(bctl_nobody call org.colatrl /org/colatrl org.colatrl.Manager1 ResetStatistics 2>&1) &&
    topo_fail "uid 65534 may call ResetStatistics"
echo "ok: uid 65534 reads but is denied Reload/ResetStatistics ($out)"

# --- bad arguments ---
[ "$(call_error GetLinkByName string:nosuch0)" = org.colatrl.Error.NoSuchLink ] || topo_fail "unknown name: $(call_error GetLinkByName string:nosuch0)"
[ "$(call_error GetLinkByName string:a/b)" = org.freedesktop.DBus.Error.InvalidArgs ] || topo_fail "bad name"
[ "$(call_error GetLinkByName string:)" = org.freedesktop.DBus.Error.InvalidArgs ] || topo_fail "empty name"
[ "$(call_error GetLinkByIndex int32:-1)" = org.freedesktop.DBus.Error.InvalidArgs ] || topo_fail "negative index"
[ "$(call_error GetLinkByIndex int32:99999)" = org.colatrl.Error.NoSuchLink ] || topo_fail "unknown index"
[ "$(call_error GetLinkByIndex string:x)" = org.freedesktop.DBus.Error.InvalidArgs ] || topo_fail "wrong type: $(call_error GetLinkByIndex string:x)"
[ "$(call_error GetLinkByName)" = org.freedesktop.DBus.Error.InvalidArgs ] || topo_fail "missing argument"
[ "$(call_error NoSuchMethod)" = org.freedesktop.DBus.Error.UnknownMethod ] || topo_fail "unknown method"
bctl get-property org.colatrl /org/colatrl/link/_399999 org.colatrl.Link1 State >/dev/null 2>&1 &&
    topo_fail "a property of a link that does not exist"
kill -0 "$COLATRLD_PID" || topo_fail "colatrld died on bad arguments"
echo "ok: bad arguments get D-Bus errors"

# --- ObjectManager: links come and go ---
hx ip link add dbt0 type veth peer name dbt1 || topo_fail "ip link add dbt0"
link_known() { [ -n "$(bus_link_path "$1")" ]; }
topo_wait 20 link_known dbt0 || topo_fail "no object for the new link dbt0"
dpath=$(bus_link_path dbt0)
topo_wait 20 mon_has "InterfacesAdded $dpath" || topo_fail "no InterfacesAdded for $dpath: $(cat "$MON_LOG")"
has "$(bctl call org.colatrl /org/colatrl org.freedesktop.DBus.ObjectManager GetManagedObjects)" "$dpath" ||
    topo_fail "GetManagedObjects lacks $dpath"
hx ip link del dbt0
topo_wait 20 mon_has "InterfacesRemoved $dpath" || topo_fail "no InterfacesRemoved for $dpath"
echo "ok: InterfacesAdded/Removed as a link comes and goes"

# --- native IPv4 appears: off with native-ipv4, and back ---
topo_native_ipv4 1
link_wait_prop wan1 OffReason native-ipv4
link_prop_is wan1 State off || topo_fail "State not off with native IPv4"
topo_wait 20 mon_has "PropertiesChanged $path.*OffReason=\"native-ipv4\"" || topo_fail "no signal for native-ipv4"
has "$(ctl status wan1)" "State: off (native-ipv4)" || topo_fail "status with native IPv4: $(ctl status wan1)"
hx ip route del default via 10.1.1.1 dev wan1
link_wait_prop wan1 State active
echo "ok: native IPv4 -> off (native-ipv4) and back"

# --- Reload over the bus ---
ctl reload || topo_fail "colatrlctl reload"
cp "$TOPO_DIR/colatrld.conf" "$TOPO_DIR/colatrld.conf.good"
echo "Mode=bogus" >>"$TOPO_DIR/colatrld.conf"
out=$(ctl reload 2>&1) && topo_fail "a bad configuration reloaded"
has "$out" "colatrld.conf:" || topo_fail "reload error does not name the file: $out"
cp "$TOPO_DIR/colatrld.conf.good" "$TOPO_DIR/colatrld.conf"
echo "ok: Reload, and a bad file refused with its location ($out)"

# --- the bus goes away and comes back ---
bus_stop
[ "$(ctl_rc ctl status)" = 3 ] || topo_fail "status without a bus: exit $(ctl_rc ctl status), want 3"
topo_ping4 "$TOPO_SERVER4" 2 >/dev/null || topo_fail "translation stopped with the bus"
kill -0 "$COLATRLD_PID" || topo_fail "colatrld exited when the bus went away"
# Behind a bus that lets everything through, the daemon's own check still refuses.
bus_start lax
topo_wait 20 bus_daemon_up || topo_fail "colatrld did not come back on the restarted bus"
link_wait_prop wan1 State active 5
out=$(hx setpriv --reuid=65534 --regid=65534 --clear-groups dbus-send --system --print-reply \
    --dest=org.colatrl /org/colatrl org.colatrl.Manager1.Reload 2>&1) &&
    topo_fail "uid 65534 may Reload behind a lax bus"
has "$out" "AccessDenied: Reload: only root" || topo_fail "not the daemon's refusal: $out"
[ "$(ctl_rc ctl_nobody reset-statistics)" = 4 ] || topo_fail "uid 65534 reset-statistics behind a lax bus: not exit 4"
n=$(grep -c "D-Bus connection lost" "$TOPO_DIR/colatrld.log")
[ "$n" -eq 1 ] || topo_fail "'D-Bus connection lost' logged $n times, want once"
echo "ok: bus restarted: translating went on, the daemon is back on the bus"

daemon_stop
LAST_CLAT6=""
assert_nothing_left
kill "$MON_PID" 2>/dev/null
echo PASS

# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A private system bus for the D-Bus tests: a dbus-daemon of its own (socket in
# the test's temp dir, reachable from every namespace since it is a path),
# configured like a distribution's system bus and loading the real policy
# dbus/org.colatrl.conf. DBUS_SYSTEM_BUS_ADDRESS points colatrld, colatrlctl
# and busctl at it. Source after topology.sh and daemon.sh.

BUS_DIR=""
BUS_PID=""

# Writes the bus configuration; with "lax", every method call is allowed (to
# test the daemon's own check of the caller's uid behind a permissive bus).
bus_config() {
    local mode=${1:-real}
    local extra=""
    if [ "$mode" = lax ]; then
        extra='<policy context="default"><allow send_destination="org.colatrl"/></policy>'
    fi
    cat >"$BUS_DIR/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$BUS_DIR/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <include>$TOPO_REPO/dbus/org.colatrl.conf</include>
  $extra
</busconfig>
EOF
}

# Starts the bus (config: bus_config's, "real" unless told) and exports its address.
bus_start() {
    if [ -z "$BUS_DIR" ]; then
        BUS_DIR="$TOPO_DIR/bus"
        mkdir -p "$BUS_DIR"
        # uid 65534 must reach the socket.
        chmod 711 "$TOPO_DIR"
        chmod 755 "$BUS_DIR"
    fi
    bus_config "${1:-real}"
    rm -f "$BUS_DIR/system_bus_socket"
    topo_spawn dbus "$TOPO_HOST" dbus-daemon --config-file="$BUS_DIR/bus.conf" --nofork --nopidfile
    BUS_PID=$TOPO_LAST_PID
    export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$BUS_DIR/system_bus_socket"
    COLATRLD_BUS=system
    topo_wait 20 test -S "$BUS_DIR/system_bus_socket" || topo_fail "private dbus-daemon did not start"
    topo_wait 20 busctl --system list || topo_fail "private dbus-daemon does not answer"
}

bus_stop() {
    kill -TERM "$BUS_PID" 2>/dev/null
    wait "$BUS_PID" 2>/dev/null
    BUS_PID=""
}

bus_require() {
    command -v dbus-daemon >/dev/null 2>&1 || topo_skip "dbus-daemon not installed"
    command -v busctl >/dev/null 2>&1 || topo_skip "busctl not installed"
    command -v setpriv >/dev/null 2>&1 || topo_skip "setpriv not installed"
}

# busctl on the private bus, in the host namespace.
bctl() { hx busctl --system "$@"; }
# The same as uid/gid 65534 (nobody).
bctl_nobody() { hx setpriv --reuid=65534 --regid=65534 --clear-groups busctl --system "$@"; }
ctl_nobody() { hx setpriv --reuid=65534 --regid=65534 --clear-groups "$COLATRLCTL" "$@"; }

# Object path of the link named $1 (GetLinkByName).
bus_link_path() {
    bctl call org.colatrl /org/colatrl org.colatrl.Manager1 GetLinkByName s "$1" 2>/dev/null |
        awk '{gsub(/"/, "", $3); print $3}'
}

# The value of one Link1 property of link $1 (strings unquoted).
link_prop() {
    local path
    path=$(bus_link_path "$1")
    [ -n "$path" ] || return 1
    bctl get-property org.colatrl "$path" org.colatrl.Link1 "$2" 2>/dev/null |
        sed -e 's/^[a-z]* //' -e 's/^"\(.*\)"$/\1/'
}

# True when property $2 of link $1 is $3.
link_prop_is() { [ "$(link_prop "$1" "$2")" = "$3" ]; }

link_wait_prop() {
    local ifc=$1 prop=$2 want=$3 timeout=${4:-20}
    topo_wait "$timeout" link_prop_is "$ifc" "$prop" "$want" ||
        topo_fail "$ifc $prop is '$(link_prop "$ifc" "$prop")', want '$want' (after ${timeout}s)"
}

# The daemon answers on the bus (its name is owned and Manager1 reads).
bus_daemon_up() { bctl get-property org.colatrl /org/colatrl org.colatrl.Manager1 State >/dev/null 2>&1; }

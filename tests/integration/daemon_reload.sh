#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Configuration lifecycle: a bad config is refused at start (FILE:LINE message,
# exit 78, nothing installed); SIGHUP applies a changed config (Pref64= switches
# the CLAT to another NAT64) without a restart; a bad config on SIGHUP is refused,
# the old one stays in force and the daemon keeps running.
set -uo pipefail
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/daemon.sh"
daemon_require ping
topo_init
topo_standard
topo_start_nat64 1 2001:db8:6469::/96 nat64b 249

# Bad config at start.
daemon_config "Pref64=not-a-prefix"
out=$(hx "$COLATRLD" --config "$TOPO_DIR/colatrld.conf" --state-dir "$TOPO_DIR/state" 2>&1)
rc=$?
[ "$rc" -eq 78 ] || topo_fail "bad config at start: exit $rc, want 78 ($out)"
echo "$out" | grep -q "colatrld.conf:2" || topo_fail "no FILE:LINE in the message: $out"
clat_off wan1 || topo_fail "something installed by a refused start: $(daemon_state wan1)"
echo "ok: bad config refused at start: $out"

# Good config, then SIGHUP with a new Pref64=.
daemon_config "Pref64Discovery=ra"
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96
daemon_config "Pref64=2001:db8:6469::/96"
kill -HUP "$COLATRLD_PID"
daemon_wait_up wan1 2001:db8:6469::/96 15
assert_installed_once wan1
assert_traffic_via wan1
echo "ok: SIGHUP applied Pref64= from the new config"

# Bad config on SIGHUP: refused, old config (2001:db8:6469::/96) stays.
daemon_config "Pref64=2001:db8:6469::/96" "NoSuchKey=1"
log_lines=$(wc -l <"$TOPO_DIR/colatrld.log")
kill -HUP "$COLATRLD_PID"
error_logged() { tail -n +"$((log_lines + 1))" "$TOPO_DIR/colatrld.log" | grep -qi "refused\|error\|invalid\|unknown"; }
topo_wait 20 error_logged || topo_fail "no error logged for the bad config"
kill -0 "$COLATRLD_PID" 2>/dev/null || topo_fail "colatrld died on a bad config at SIGHUP"
clat_up wan1 2001:db8:6469::/96 || topo_fail "old config not kept: $(daemon_state wan1)"
assert_traffic_via wan1
echo "ok: bad config at SIGHUP refused, old one kept"
LAST_CLAT6=$(dp_field wan1 clat6)
daemon_stop
assert_nothing_left
echo PASS

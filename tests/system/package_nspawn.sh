#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package in a booted Debian 12 systemd:
#
#  1. builds the package with dpkg-buildpackage from a clean copy of the tree
#     (what `git ls-files` lists, tracked or new but not ignored, as it is in
#     the working tree: the test checks what would be committed, without build
#     directories or ignored files) and checks it with lintian;
#  2. boots a cached Debian 12 minbase root (tests/system/lib/nspawn.sh) with
#     systemd-nspawn inside the host namespace of the test topology (router
#     with RA PREF64 + TAYGA NAT64, IPv4 server), and installs the package;
#  3. checks from inside: the unit active (running) with READY sent, the state
#     change in the journal with its fields (INTERFACE=, COLATRL_STATE=,
#     COLATRL_PREF64=, MESSAGE_ID=), IPv4 to the server through the CLAT,
#     colatrlctl over the system bus; no ping lost at 100 Hz across `systemctl
#     restart` and a reinstall (upgrade path), the new run reusing the old
#     run's BPF maps from the fd store; `systemctl stop` leaves no route,
#     address or filter; a restart into a bad configuration fails with the
#     error in the journal, no restart loop, and removes the CLAT the old run
#     left for it; `apt-get purge` leaves nothing.
#
# SKIP (77) without root, nspawn, debootstrap, the build dependencies or (on
# the first run, which downloads the root) network access to the mirror.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib/topology.sh"
. "$here/../integration/lib/daemon.sh"
. "$here/lib/nspawn.sh"

SRC=$(cd "$here/../.." && pwd)
UPLINK=wan1
PREF64=2001:db8:6461::/96

topo_require python3
nspawn_require
for t in dpkg-buildpackage dpkg-checkbuilddeps lintian; do
    command -v "$t" >/dev/null 2>&1 || topo_skip "$t not installed (scripts/deps test installs it)"
done
missing=$(cd "$SRC" && dpkg-checkbuilddeps -P nocheck 2>&1) ||
    topo_skip "build dependencies missing: ${missing##*: } (scripts/deps test installs them)"

topo_init
NSPAWN_DIR=$(mktemp -d /var/tmp/colatrl-nspawn.XXXXXX)
cleanup() {
    local rc=$?
    nspawn_cleanup
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -f "$NSPAWN_DIR/console.log" ]; then
        echo "----- container console (last 20 lines) -----" >&2
        tail -n 20 "$NSPAWN_DIR/console.log" >&2
    fi
    rm -rf "$NSPAWN_DIR"
    (exit "$rc")
    topo_cleanup
}
trap cleanup EXIT

phase_start() { PHASE_T0=$SECONDS; }
phase_end() { echo "time: $1 $((SECONDS - PHASE_T0)) s"; }

# ---- 1. the package ----
phase_start
mkdir -p "$NSPAWN_DIR/src/colatrl"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf -) | tar -C "$NSPAWN_DIR/src/colatrl" -xf - ||
        topo_fail "copying the tree"
else
    tar -C "$SRC" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$NSPAWN_DIR/src/colatrl" -xf -
fi
(cd "$NSPAWN_DIR/src/colatrl" &&
    DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
    >"$NSPAWN_DIR/dpkg-buildpackage.log" 2>&1 || {
    tail -n 40 "$NSPAWN_DIR/dpkg-buildpackage.log" >&2
    topo_fail "dpkg-buildpackage -us -uc -b failed"
}
version=$(cd "$NSPAWN_DIR/src/colatrl" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
DEB="$NSPAWN_DIR/src/colatrl_${version}_$arch.deb"
CHANGES="$NSPAWN_DIR/src/colatrl_${version}_$arch.changes"
[ -f "$DEB" ] || topo_fail "no $DEB after the build"
phase_end "package build"
echo "ok: dpkg-buildpackage -us -uc -b built $(basename "$DEB")"

# lintian: no error, no warning but those tests/system/lintian-expected lists
# (each with its reason).
phase_start
lintian --pedantic "$CHANGES" >"$NSPAWN_DIR/lintian.out" 2>&1
unexpected=$(grep -E '^(E|W): ' "$NSPAWN_DIR/lintian.out" |
    grep -v -F -x -f <(grep -v '^#' "$here/lintian-expected" | sed '/^$/d') || true)
sed 's/^/lintian: /' "$NSPAWN_DIR/lintian.out"
[ -z "$unexpected" ] || topo_fail "lintian errors/warnings: $unexpected"
phase_end lintian
echo "ok: lintian shows no unexpected error or warning"

# ---- 2. the container in the topology ----
phase_start
# The package's dependencies are part of the cached root, so installing it
# needs no network after the first run. The root made ahead of the test
# (prepare_rootfs.sh) has NSPAWN_PACKAGE_DEPS; more dependencies make another.
deps=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | sed '/^$/d')
extra=$(comm -23 <(echo "$deps" | sort -u) <(printf '%s\n' "${NSPAWN_PACKAGE_DEPS[@]}" | sort -u) | paste -sd' ' -)
[ -z "$extra" ] || topo_log "the package depends on $extra beyond NSPAWN_PACKAGE_DEPS (tests/system/lib/nspawn.sh): a root of its own is made; add them there"
# shellcheck disable=SC2086
nspawn_rootfs "${NSPAWN_PACKAGE_DEPS[@]}" $deps
phase_end "root file system"

phase_start
topo_standard --prefix 2001:db8:1::/64 --pref64 "$PREF64" --interval 1
nspawn_boot "$TOPO_HOST" "$DEB"
phase_end "topology and boot"
echo "ok: Debian 12 booted (systemd $(cx systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')) in the topology's host namespace"

# ---- 3. the checks ----
unit_prop() { cx systemctl show -P "$1" colatrld.service; }

# Active (running): for Type=notify that means READY=1 arrived; STATUS= set.
assert_running() {
    local _
    for _ in $(seq 1 100); do
        [ "$(unit_prop SubState)" = running ] && break
        sleep 0.1
    done
    local state status
    state="$(unit_prop ActiveState) ($(unit_prop SubState))"
    status=$(unit_prop StatusText)
    [ "$state" = "active (running)" ] ||
        topo_fail "colatrld.service is $state; journal: $(cx journalctl -u colatrld -n 20 -o cat | tr '\n' '|')"
    [ -n "$status" ] || topo_fail "colatrld.service sent no STATUS="
    [ "$(unit_prop NRestarts)" = 0 ] || topo_fail "colatrld.service restarted $(unit_prop NRestarts) times"
    echo "ok: colatrld.service active (running), READY sent, status \"$status\""
}

# 100 Hz IPv4 ping from inside the container to the server while ACTION
# runs; sets LOST and prints the figures (ping_loss_figures). Waits for the
# CLAT to be up again (and a second more) before ending the ping.
measure_loss() {
    local what=$1
    shift
    cx_bg "$NSPAWN_DIR/ping.out" ping -4 -n -i 0.01 -W 1 "$TOPO_SERVER4"
    local ping_pid=$NSPAWN_BG_PID
    sleep 1
    "$@" >"$NSPAWN_DIR/action.out" 2>&1 || {
        cat "$NSPAWN_DIR/action.out" >&2
        kill -INT "$ping_pid"
        topo_fail "$what failed"
    }
    daemon_wait_up "$UPLINK" "$PREF64" 20
    sleep 1
    kill -INT "$ping_pid"
    wait "$ping_pid"
    ping_loss_figures "$NSPAWN_DIR/ping.out" "$what"
}

# Nothing of the CLAT left in the container's network namespace (LAST_CLAT6:
# the CLAT IPv6 address whose anycast join must be gone too).
assert_clat_removed() {
    topo_wait 20 clat_off "$UPLINK" || true
    assert_nothing_left
    local left
    left=$(our_filters "$UPLINK")
    [ -z "$left" ] || topo_fail "tc filters left on $UPLINK: $left"
    echo "ok: $1 left no route, address or filter"
}

# Install: the package's postinst enables and starts the unit (dh_installsystemd).
phase_start
cx env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "/root/$(basename "$DEB")" \
    >"$NSPAWN_DIR/install.log" 2>&1 || {
    cat "$NSPAWN_DIR/install.log" >&2
    topo_fail "apt-get install of the package failed"
}
[ "$(cx systemctl is-enabled colatrld.service)" = enabled ] ||
    topo_fail "the package did not enable colatrld.service"
cx systemctl enable --now colatrld.service >/dev/null 2>&1 || topo_fail "systemctl enable --now colatrld"
assert_running
# The postinst made the system user; the daemon runs as it, not as root.
uid=$(cx getent passwd colatrl | cut -d: -f3)
[ -n "$uid" ] && [ "$uid" != 0 ] || topo_fail "no system user colatrl after install"
run_uid=$(cx sh -c 'sed -n "s/^Uid:[[:space:]]*\([0-9]*\).*/\1/p" /proc/$(systemctl show -P MainPID colatrld)/status')
[ "$run_uid" = "$uid" ] || topo_fail "colatrld runs as uid '$run_uid', not colatrl ($uid)"
echo "ok: colatrld runs as the system user colatrl (uid $uid)"
daemon_wait_up "$UPLINK" "$PREF64" 20
export LAST_CLAT6=$(dp_field "$UPLINK" clat6)
assert_installed_once "$UPLINK"
echo "ok: CLAT on $UPLINK: $(dp_config "$UPLINK")"

# The state change in the journal, one line, with the interface as a field.
# journald writes on its own time.
on_line_logged() { cx journalctl -u colatrld.service INTERFACE="$UPLINK" -o cat | grep -q 'CLAT on'; }
topo_wait 20 on_line_logged || true
on_line=$(cx journalctl -u colatrld.service INTERFACE="$UPLINK" -o cat | grep -m1 'CLAT on')
[ -n "$on_line" ] || topo_fail "no 'CLAT on' line with INTERFACE=$UPLINK in the journal: $(cx journalctl -u colatrld -o cat | tr '\n' '|')"
echo "ok: journal (INTERFACE=$UPLINK): $on_line"
# ... and its structured fields (ids: lib/base/message_id.hpp, docs/journal.md).
msgid() { sed -n "s/.* $1 = \"\([0-9a-f]\{32\}\)\".*/\1/p" "$SRC/lib/base/message_id.hpp"; }
MSGID_ON=$(msgid clat_on)
[ -n "$MSGID_ON" ] || topo_fail "no clat_on id in lib/base/message_id.hpp"
cx journalctl -u colatrld.service MESSAGE_ID="$MSGID_ON" -o verbose >"$NSPAWN_DIR/verbose.txt" 2>&1
for want in "MESSAGE_ID=$MSGID_ON" "INTERFACE=$UPLINK" COLATRL_STATE=active "COLATRL_PREF64=$PREF64" \
    COLATRL_PREF64_SOURCE=ra "COLATRL_CLAT_IPV6=$LAST_CLAT6" "MESSAGE=$UPLINK: CLAT on:"; do
    grep -q "^ *$want" "$NSPAWN_DIR/verbose.txt" ||
        topo_fail "journalctl -u colatrld -o verbose lacks $want: $(head -c 2000 "$NSPAWN_DIR/verbose.txt")"
done
echo "ok: journal fields: $(grep -o 'COLATRL_[A-Z0-9_]*=[^ ]*' "$NSPAWN_DIR/verbose.txt" | sort -u | paste -sd' ')"

cx ping -4 -n -c 3 -i 0.2 -W 2 "$TOPO_SERVER4" >"$NSPAWN_DIR/ping3.out" 2>&1 ||
    { cat "$NSPAWN_DIR/ping3.out" >&2; topo_fail "IPv4 ping from the container to $TOPO_SERVER4"; }
echo "ok: IPv4 ping from the container to $TOPO_SERVER4 through the CLAT"

# The bus API as installed: the service user owns org.colatrl under the
# packaged policy; colatrlctl reads it there.
cx sh -c 'test -e /run/dbus/system_bus_socket' || topo_fail "no system bus in the container"
# The name may come a little after the start: the bus reloads its policy at
# the end of the installation.
topo_wait 20 cx colatrlctl status "$UPLINK" ||
    topo_fail "colatrlctl status in the container: $(cx colatrlctl status "$UPLINK" 2>&1); journal: $(cx journalctl -u colatrld -o cat | grep -i bus | tr '\n' '|')"
out=$(cx colatrlctl status "$UPLINK" 2>&1)
echo "$out" | grep -q "State: active" || topo_fail "colatrlctl status in the container: $out"
echo "ok: colatrlctl status over the container's system bus (name owned by user colatrl)"
phase_end "install and first checks"

# Restart and upgrade lose no packet: on SIGTERM colatrld learns from systemd
# that a restart job stops it and leaves the CLAT translating; the new run
# gets the BPF maps back from the fd store and adopts it all without a DAD.
measure_loss "systemctl restart colatrld" cx systemctl restart colatrld.service
assert_running
[ "$LOST" -eq 0 ] || topo_fail "$LOST pings lost across systemctl restart (want 0); journal: $(cx journalctl -u colatrld -n 30 -o cat | tr '\n' '|')"
this_run() { cx journalctl -u colatrld.service _SYSTEMD_INVOCATION_ID="$(unit_prop InvocationID)" -o cat; }
this_run | grep -q 'reusing the BPF maps of the previous run' ||
    topo_fail "the restarted run did not get the maps from the fd store: $(this_run | tr '\n' '|')"
this_run | grep -q 'adopting what an earlier run left: route address tc filters' ||
    topo_fail "the restarted run did not adopt the CLAT: $(this_run | tr '\n' '|')"
this_run | grep -q 'DAD for' && topo_fail "the restarted run ran a DAD"
echo "ok: systemctl restart lost no ping; the new run reused the maps and adopted the CLAT"
measure_loss "reinstall of the same package (upgrade path)" \
    cx env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "/root/$(basename "$DEB")"
assert_running
[ "$LOST" -eq 0 ] || topo_fail "$LOST pings lost across a reinstall of the package (want 0)"
echo "ok: the reinstall (upgrade path) lost no ping"
assert_installed_once "$UPLINK"
export LAST_CLAT6=$(dp_field "$UPLINK" clat6)

# Stop removes everything.
cx systemctl stop colatrld.service || topo_fail "systemctl stop colatrld"
assert_clat_removed "systemctl stop"
cx systemctl start colatrld.service || topo_fail "start after stop"
assert_running
daemon_wait_up "$UPLINK" "$PREF64" 20
export LAST_CLAT6=$(dp_field "$UPLINK" clat6)

# A restart into a bad configuration: the old run leaves the CLAT for its
# successor, which fails with the file's error in the journal, exit 78 ends
# it (RestartPreventExitStatus=, no restart loop), and it removes what it
# would have adopted (nobody would follow the network for it).
cx cp /etc/colatrl/colatrld.conf /root/colatrld.conf.good
printf '[CLAT]\nMode=sometimes\n' | cx tee /etc/colatrl/colatrld.conf >/dev/null
if cx systemctl restart colatrld.service 2>/dev/null; then
    topo_fail "systemctl restart succeeded with a bad configuration"
fi
sleep 5 # more than RestartSec=2s twice: a restart loop would show now
[ "$(unit_prop ActiveState)" = failed ] || topo_fail "with a bad configuration colatrld.service is $(unit_prop ActiveState), not failed"
[ "$(unit_prop ExecMainStatus)" = 78 ] || topo_fail "exit status $(unit_prop ExecMainStatus), not 78"
[ "$(unit_prop NRestarts)" = 0 ] || topo_fail "restarted $(unit_prop NRestarts) times with a bad configuration"
err=$(this_run | grep -m1 '/etc/colatrl/colatrld.conf:2: ')
[ -n "$err" ] || topo_fail "the configuration error is not in the journal: $(cx journalctl -u colatrld -n 10 -o cat | tr '\n' '|')"
assert_clat_removed "a restart into a bad configuration"
echo "ok: bad configuration: restart failed (status 78, no restart); journal: $err"
cx cp /root/colatrld.conf.good /etc/colatrl/colatrld.conf
cx systemctl start colatrld.service || topo_fail "start after restoring the configuration"
assert_running
daemon_wait_up "$UPLINK" "$PREF64" 20
export LAST_CLAT6=$(dp_field "$UPLINK" clat6)

# Purge (while running): nothing of the package left, on disk or in the kernel.
cx env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q colatrl >"$NSPAWN_DIR/purge.log" 2>&1 ||
    { cat "$NSPAWN_DIR/purge.log" >&2; topo_fail "apt-get purge colatrl"; }
assert_clat_removed "apt-get purge"
status=$(cx dpkg-query -W -f='${db:Status-Status}' colatrl 2>/dev/null)
[ -z "$status" ] || [ "$status" = not-installed ] || topo_fail "colatrl is '$status' after purge"
left=$(cx sh -c 'for p in /etc/colatrl /var/lib/colatrl /usr/sbin/colatrld /usr/bin/colatrlctl \
        /lib/systemd/system/colatrld.service /usr/lib/systemd/system/colatrld.service \
        /etc/systemd/system/multi-user.target.wants/colatrld.service \
        /etc/iproute2/rt_protos.d/colatrl.conf /usr/share/doc/colatrl; do
        [ -e "$p" ] || [ -L "$p" ] && echo "$p"; done')
[ -z "$left" ] || topo_fail "left after purge: $left"
[ "$(cx systemctl show -P LoadState colatrld.service)" = not-found ] ||
    topo_fail "colatrld.service still known to systemd after purge ($(cx systemctl show -P LoadState colatrld.service))"
echo "ok: apt-get purge left no file, state, unit or kernel state"
echo PASS

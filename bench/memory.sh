#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Where colatrld's resident memory goes, idle with one uplink and the CLAT up
# (docs/memory.md): the integration-test topology (tests/integration/lib), a
# fresh daemon, one IPv4 ping through the CLAT, then after --settle seconds
# the per-mapping table of /proc/PID/smaps (bench/lib/smaps.py: Rss, Pss,
# Private = USS, Anonymous) and, with --heap, glibc's malloc_stats() of the
# daemon (gdb attaches for a moment; the figures land in the daemon's stderr).
# bench/control.sh measures the same totals after its reaction rounds; this one
# is the quick look at the details.
#
# Usage: bench/memory.sh [--settle S] [--heap]
# Env:   COLATRL_BUILD_DIR (default ./build); BENCH_COLATRLD: another colatrld
#        binary to measure (e.g. a build of an earlier commit).
# Needs root; exits 77 with SKIP otherwise.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
SETTLE=10
HEAP=0
while [ $# -gt 0 ]; do
    case $1 in
    --settle) SETTLE=$2; shift 2 ;;
    --heap) HEAP=1; shift ;;
    *) echo "usage: $0 [--settle S] [--heap]" >&2; exit 2 ;;
    esac
done
export COLATRL_BUILD_DIR=${COLATRL_BUILD_DIR:-$PWD/build}
. tests/integration/lib/topology.sh
. tests/integration/lib/daemon.sh
[ -n "${BENCH_COLATRLD:-}" ] && COLATRLD=$BENCH_COLATRLD
daemon_require ping
[ "$HEAP" -eq 0 ] || command -v gdb >/dev/null || topo_skip "--heap needs gdb"
topo_init
TOPO_QUIET_LOGS=1
topo_standard
daemon_config "Pref64Discovery=ra"
daemon_start
daemon_wait_up wan1 2001:db8:6461::/96 30
# As bench/control.sh's idle phase: RAs every 300 s, nothing changing.
topo_ra_update 1 --prefix 2001:db8:1::/64 --pref64 2001:db8:6461::/96 --interval 300
hx ping -4 -c 1 -W 3 "$TOPO_SERVER4" >/dev/null || topo_fail "no IPv4 ping through the CLAT"
sleep "$SETTLE"

echo
echo "colatrld idle, one uplink, CLAT up ($(uname -r); daemon: $COLATRLD, $(stat -c %s "$COLATRLD") bytes)"
"$TOPO_PYTHON" bench/lib/smaps.py "$COLATRLD_PID"
echo "fds: $(ls /proc/"$COLATRLD_PID"/fd | wc -l), threads: $(ls /proc/"$COLATRLD_PID"/task | wc -l)"
if [ "$HEAP" -eq 1 ]; then
    mark=$(wc -l <"$TOPO_DIR/colatrld.log")
    # gdb's exit status reflects harmless warnings on detach; the output counts.
    gdb -p "$COLATRLD_PID" -batch -ex 'call (void) malloc_stats()' >/dev/null 2>&1
    tail -n +"$((mark + 1))" "$TOPO_DIR/colatrld.log" | grep -q 'in use bytes' ||
        topo_fail "gdb could not call malloc_stats() in colatrld"
    echo "malloc_stats() (bytes; 'system' = taken from the kernel, 'in use' = live allocations):"
    tail -n +"$((mark + 1))" "$TOPO_DIR/colatrld.log" | grep -E 'Arena|system bytes|in use bytes|Total|max mmap'
fi
daemon_stop

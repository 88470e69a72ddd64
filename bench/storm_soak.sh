#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The netlink storm soak (tests/integration/daemon_storm_soak.sh) at bench scale:
# 10,000 changes by default, with the gcc build and then, if it exists (scripts/build
# san), the ASan+UBSan build. Prints a table: changes, storm seconds, open fds and VmRSS
# of colatrld before and after, and the test's verdict.
#
# Usage: bench/storm_soak.sh [CHANGES]    (as root)
# Env:   COLATRL_BUILD_DIR (default ./build), COLATRL_SAN_BUILDDIR (default ./build-san)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
changes=${1:-10000}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
builds=("${COLATRL_BUILD_DIR:-$PWD/build}")
san=${COLATRL_SAN_BUILDDIR:-$PWD/build-san}
[ -x "$san/daemon/colatrld" ] && builds+=("$san")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1}

rows=()
status=0
for b in "${builds[@]}"; do
    echo "== $b: $changes changes" >&2
    out=$(COLATRL_BUILD_DIR=$b COLATRL_STORM_CHANGES=$changes \
        tests/integration/daemon_storm_soak.sh 2>&1)
    rc=$?
    line=$(grep '^storm: ' <<<"$out" | tail -n 1)
    [ $rc -eq 0 ] || { printf '%s\n' "$out" | tail -n 60; status=1; }
    # "storm: N changes in S s (...); fds A -> B; VmRSS X -> Y kB (G kB)"
    read -r n s fa fb ra rb g < <(sed -E 's/^storm: ([0-9]+) changes in ([0-9]+) s.*fds ([0-9]+) -> ([0-9]+); VmRSS ([0-9]+) -> ([0-9]+) kB \((-?[0-9]+) kB\).*/\1 \2 \3 \4 \5 \6 \7/' <<<"$line")
    verdict=$([ $rc -eq 0 ] && echo PASS || echo "FAIL($rc)")
    rows+=("$(printf '%-10s %8s %8s %6s %6s %10s %10s %9s %s' "$(basename "$b")" "${n:-?}" "${s:-?}" \
        "${fa:-?}" "${fb:-?}" "${ra:-?}" "${rb:-?}" "${g:-?}" "$verdict")")
done
echo
printf '%-10s %8s %8s %6s %6s %10s %10s %9s %s\n' build changes storm_s fds0 fds1 rss0_kB rss1_kB growth verdict
printf '%s\n' "${rows[@]}"
exit $status

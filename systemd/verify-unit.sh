#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd-analyze verify of colatrld.service, with ExecStart pointing at the
# freshly built daemon (the install path does not exist before installing)
# and the unit's Documentation= man pages looked up among the built ones;
# then the sandbox's exposure rating must stay at or below MAX_EXPOSURE.
# Usage: verify-unit.sh UNIT.in COLATRLD MAX_EXPOSURE MANPAGE...
set -eu
command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: systemd-analyze not installed" >&2; exit 77; }
unit_in=$1 daemon=$2 max=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
daemon_dir=$(dirname "$(readlink -f "$daemon")")
sed "s|@sbindir@|$daemon_dir|; s|@sysconfdir@|/etc|" "$unit_in" >"$dir/colatrld.service"
grep -q "^ExecStart=$daemon_dir/colatrld " "$dir/colatrld.service"

man_opt=--man=no
if command -v man >/dev/null 2>&1; then
    for page in "$@"; do
        section=${page##*.}
        mkdir -p "$dir/man/man$section"
        ln -s "$(readlink -f "$page")" "$dir/man/man$section/"
    done
    man_opt=--man=yes
fi
MANPATH="$dir/man" systemd-analyze verify "$man_opt" "$dir/colatrld.service"

# systemd rates 0 (tight) to 10 (no sandbox) and prints one decimal.
level=$(systemd-analyze security --offline=yes "$dir/colatrld.service" 2>/dev/null |
    sed -n 's/.*Overall exposure level for colatrld.service: \([0-9.]*\).*/\1/p')
echo "exposure level: ${level:-?} (at most $max)"
[ -n "$level" ] || { echo "FAIL: no exposure level from systemd-analyze security" >&2; exit 1; }
if ! awk -v l="$level" -v m="$max" 'BEGIN { exit !(l <= m) }'; then
    echo "FAIL: exposure $level above $max; what is exposed:" >&2
    systemd-analyze security --offline=yes "$dir/colatrld.service" 2>/dev/null | grep '✗' >&2
    exit 1
fi

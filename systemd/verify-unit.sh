#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd-analyze verify of colatrld.service, with ExecStart pointing at the
# freshly built daemon (the install path does not exist before installing).
# Usage: verify-unit.sh UNIT.in COLATRLD
set -eu
command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: systemd-analyze not installed" >&2; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
daemon_dir=$(dirname "$(readlink -f "$2")")
sed "s|@sbindir@|$daemon_dir|; s|@sysconfdir@|/etc|" "$1" >"$dir/colatrld.service"
grep -q "^ExecStart=$daemon_dir/colatrld " "$dir/colatrld.service"
systemd-analyze verify "$dir/colatrld.service"
# Exposure must stay low (systemd rates 0-10; "OK" is below 5).
level=$(systemd-analyze security --offline=yes "$dir/colatrld.service" 2>/dev/null |
    sed -n 's/.*Overall exposure level for colatrld.service: \([0-9.]*\).*/\1/p')
echo "exposure level: ${level:-?}"
[ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l < 5.0) }'

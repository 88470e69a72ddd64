#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The installed default configuration (data/colatrld.conf) is accepted by the
# daemon, sets nothing, and shows every key of colatrld.conf(5) commented out
# with the default the page gives. The route protocol named for iproute2
# (data/colatrl-rt_protos.conf) is the one the daemon uses.
# Usage: default_conf.sh SOURCE_ROOT COLATRLD
set -eu
src=$1 colatrld=$2
conf="$src/data/colatrld.conf"
fail=0

out=$("$colatrld" --check-config --config "$conf" 2>&1) || {
    echo "FAIL: colatrld --check-config refuses $conf: $out" >&2
    exit 1
}
echo "ok: $out"

# Nothing active: only comments, blank lines and the section header.
active=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' -e '^\[CLAT\]$' "$conf" || true)
if [ -n "$active" ]; then
    echo "FAIL: the default file sets keys: $active" >&2
    fail=1
fi

# Keys of the man page: ".BI Key= ..." lines of the OPTIONS section.
keys=$(sed -n 's/^\.BI \([A-Za-z0-9]*\)= .*/\1/p' "$src/docs/colatrld.conf.5")
[ -n "$keys" ] || { echo "FAIL: no keys found in docs/colatrld.conf.5" >&2; exit 1; }
for key in $keys; do
    line=$(grep "^#$key=" "$conf" || true)
    if [ -z "$line" ]; then
        echo "FAIL: $key= is not in $conf" >&2
        fail=1
        continue
    fi
    value=${line#*=}
    # The page states each default as "Empty (the default)", "VALUE (the
    # default)" or "Default: VALUE", within the key's own paragraph.
    para=$(sed -n "/^\.BI $key=/,/^\.TP/p" "$src/docs/colatrld.conf.5" | tr '\n' ' ')
    if [ -z "$value" ]; then
        pattern='Empty (the default)'
    else
        v="\\(\"$value\"\\|$value\\)"
        pattern="\\.B[IR]* $v *(the default)\\|Default: *\\.B[IR]* $v *[.,]"
    fi
    if ! printf '%s\n' "$para" | grep -q -e "$pattern"; then
        echo "FAIL: $key=$value: colatrld.conf(5) gives another default" >&2
        fail=1
        continue
    fi
    echo "ok: #$key=$value"
done

# rt_protos: "157 colatrl" with 157 = kRouteProtocol.
proto=$(sed -n 's/.*kRouteProtocol = \([0-9]*\);.*/\1/p' "$src/lib/clat/markers.hpp")
named=$(awk '!/^#/ && NF == 2 { print $1 " " $2 }' "$src/data/colatrl-rt_protos.conf")
if [ -z "$proto" ] || [ "$named" != "$proto colatrl" ]; then
    echo "FAIL: rt_protos names '$named', the daemon uses protocol '$proto'" >&2
    fail=1
else
    echo "ok: route protocol $named"
fi
exit $fail

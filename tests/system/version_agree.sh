#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The version has one source, debian/changelog: meson's project version, the
# programs' --version and the built man pages must all say the same.
# Usage: version_agree.sh MESON_VERSION SOURCE_ROOT COLATRLD COLATRLCTL MANPAGE...
set -eu
meson_version=$1 src=$2 colatrld=$3 colatrlctl=$4
shift 4
fail=0
check() { # what expected actual
    if [ "$2" = "$3" ]; then
        echo "ok: $1: $3"
    else
        echo "FAIL: $1: expected '$2', got '$3'" >&2
        fail=1
    fi
}

# Read the changelog independently of scripts/version where dpkg can.
if command -v dpkg-parsechangelog >/dev/null 2>&1; then
    deb=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
else
    deb=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$src/debian/changelog")
fi
upstream=${deb#*:}
upstream=${upstream%-*}
[ -n "$upstream" ] || { echo "FAIL: no version in debian/changelog" >&2; exit 1; }
check "meson project version vs debian/changelog ($deb)" "$upstream" "$meson_version"
check "colatrld --version" "colatrld $upstream" "$("$colatrld" --version)"
check "colatrlctl --version" "colatrlctl $upstream" "$("$colatrlctl" --version)"
for page in "$@"; do
    th=$(sed -n '/^[.]TH /{p;q}' "$page")
    case $th in
    *"\"colatrl $upstream\""*) echo "ok: $(basename "$page"): $th" ;;
    *) echo "FAIL: $(basename "$page"): .TH line '$th' lacks \"colatrl $upstream\"" >&2; fail=1 ;;
    esac
done
exit $fail

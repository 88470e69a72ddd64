#!/usr/bin/env bash
# The core library links no libbpf, libnl or libsystemd (lib/meson.build):
# fail if a core source, or a header it reaches, includes one of them or an
# adapter's header.
set -euo pipefail
cd "$(dirname "$0")/.."
core=$(sed -n "/^colatrl_core_sources = files(/,/^)/p" lib/meson.build | grep -o "'[^']*'" | tr -d "'")
[ -n "$core" ] || { echo "FAIL: no colatrl_core_sources in lib/meson.build"; exit 1; }
adapters=$(sed -n "/^colatrl_adapter_sources = files(/,/^)/p" lib/meson.build | grep -o "'[^']*'" | tr -d "'")
adapter_headers=" $(for f in $adapters; do echo "${f%.cpp}.hpp"; done | tr '\n' ' ') "
bad=0
check() { # file
    local f=$1 inc
    if grep -nE '#include <(bpf/|netlink/|systemd/)' "$f"; then
        echo "FAIL: $f (core) includes an adapter dependency"; bad=1
    fi
    for inc in $(grep -oE '#include "[a-z0-9_]+/[a-z0-9_]+\.hpp"' "$f" | cut -d'"' -f2); do
        case " $seen " in *" $inc "*) continue ;; esac
        seen="$seen $inc"
        case "$adapter_headers" in *" $inc "*)
            echo "FAIL: $f (core) includes the adapter header $inc"; bad=1 ;;
        esac
        [ -f "lib/$inc" ] && check "lib/$inc"
    done
}
seen=""
n=0
for f in $core; do
    check "lib/$f"
    n=$((n + 1))
done
[ "$bad" -eq 0 ] || exit 1
echo "ok: $n core sources and the headers they reach include no libbpf, libnl or libsystemd"

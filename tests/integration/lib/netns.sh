# SPDX-License-Identifier: GPL-2.0-or-later
# Small helpers for scripts that build their own namespaces (sourced).

skip() {
    echo "SKIP: $*" >&2
    exit 77
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# End every process still inside each namespace, then delete it. A server
# started from a backgrounded shell function has the subshell as its $!, so
# killing recorded PIDs alone can leave it running in a namespace nobody sees.
netns_remove() {
    local ns
    for ns in "$@"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    return 0
}

# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A Debian 12 system booted with systemd-nspawn for the package tests:
#
#  - nspawn_rootfs PKG...: a minbase root file system with these packages,
#    made once with debootstrap from the machine's configured Debian mirror
#    and cached under $COLATRL_TEST_CACHE (default /var/cache/colatrl-tests),
#    keyed by the package list; every run boots a throw-away overlay of it.
#    tests/system/prepare_rootfs.sh makes it ahead of the test.
#  - nspawn_boot NETNS: boots it (systemd as PID 1) in an existing network
#    namespace, so a test topology's namespace becomes the container's network.
#  - cx CMD...: runs CMD inside the booted container (all its namespaces).
#  - nspawn_cleanup: powers the container off (kills it if it hangs), removes
#    the cgroups nspawn leaves behind, the overlay and the temp files.
#
# Source after tests/integration/lib/topology.sh (topo_log/topo_skip/
# topo_fail/topo_wait). NSPAWN_DIR must be set to an empty temp directory of
# the caller's before nspawn_rootfs.

: "${COLATRL_TEST_CACHE:=/var/cache/colatrl-tests}"
NSPAWN_SUITE=bookworm
# Part of the cache key: change it when the way the root is made changes.
NSPAWN_RECIPE=1
NSPAWN_ROOTFS=""
NSPAWN_MACHINE=""
NSPAWN_PID=""
NSPAWN_LEADER=""
NSPAWN_MERGED=""
NSPAWN_BG_PID="" # set by cx_bg
# The package's run-time dependencies on Debian 12 (its Depends after
# dpkg-shlibdeps). The cached root holds them, so that it can be made before
# the package is built: scripts/test debootstraps while it compiles. A package
# that depends on more gets a root of its own (a second debootstrap, same result).
NSPAWN_PACKAGE_DEPS=(libbpf1 libc6 libelf1 libgcc-s1 libinih1 libnl-3-200 libstdc++6 libsystemd0 zlib1g)

# Skips unless nspawn, debootstrap and overlayfs can be used here.
nspawn_require() {
    local t
    for t in systemd-nspawn debootstrap nsenter python3; do
        command -v "$t" >/dev/null 2>&1 || topo_skip "$t not installed (scripts/deps test installs it)"
    done
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
        topo_skip "overlayfs not available"
    [ -d /sys/fs/cgroup ] || topo_skip "no cgroup file system"
}

# The Debian mirror for $NSPAWN_SUITE from the machine's apt sources
# (one-line .list and deb822 .sources), or $COLATRL_TEST_MIRROR.
nspawn_mirror() {
    if [ -n "${COLATRL_TEST_MIRROR:-}" ]; then
        echo "$COLATRL_TEST_MIRROR"
        return
    fi
    python3 - "$NSPAWN_SUITE" <<'EOF'
import glob, sys
suite = sys.argv[1]
entries = []  # (types, uris, suites, components)
files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
for f in files:
    try:
        lines = open(f).read().splitlines()
    except OSError:
        continue
    for line in lines:
        words = line.split("#", 1)[0].split()
        if words[:1] != ["deb"]:
            continue
        if len(words) > 1 and words[1].startswith("["):  # deb [ options ] uri ...
            end = next((i for i, w in enumerate(words) if w.endswith("]")), len(words))
            words = ["deb"] + words[end + 1:]
        if len(words) >= 4:
            entries.append((["deb"], [words[1]], [words[2]], words[3:]))
for f in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    try:
        text = open(f).read()
    except OSError:
        continue
    for stanza in text.split("\n\n"):
        fields = {}
        key = None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and key:
                fields[key] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        entries.append((fields.get("types", "").split(), fields.get("uris", "").split(),
                        fields.get("suites", "").split(), fields.get("components", "").split()))
for types, uris, suites, comps in entries:
    if "deb" in types and suite in suites and "main" in comps and uris:
        print(uris[0].rstrip("/"))
        sys.exit(0)
sys.exit(1)
EOF
}

# Makes (once) and returns in NSPAWN_ROOTFS the cached root file system with
# systemd, dbus, iproute2, ping and the given packages.
nspawn_rootfs() {
    local pkgs mirror key dir
    pkgs=$(printf '%s\n' systemd systemd-sysv dbus iproute2 iputils-ping "$@" | sort -u | paste -sd, -)
    mirror=$(nspawn_mirror) || topo_skip "no apt source for Debian $NSPAWN_SUITE main in /etc/apt (set COLATRL_TEST_MIRROR)"
    key=$(printf '%s\n' "$NSPAWN_RECIPE" "$NSPAWN_SUITE" "$mirror" "$pkgs" | sha256sum | cut -c1-16)
    dir="$COLATRL_TEST_CACHE/rootfs-$NSPAWN_SUITE-$key"
    mkdir -p "$COLATRL_TEST_CACHE" || topo_fail "cannot create $COLATRL_TEST_CACHE"
    # One creator at a time; the others wait and then use its result.
    exec {lock_fd}>"$COLATRL_TEST_CACHE/.lock"
    flock "$lock_fd"
    # What an interrupted debootstrap left (holding the lock, no creator runs).
    local stale m
    for stale in "$COLATRL_TEST_CACHE"/rootfs-*.tmp.*; do
        [ -d "$stale" ] || continue
        findmnt -rn -o TARGET | grep -F "$stale/" | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf --one-file-system "$stale"
    done
    if [ ! -f "$dir/.complete" ]; then
        python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=20).read(1)' \
            "$mirror/dists/$NSPAWN_SUITE/InRelease" 2>/dev/null ||
            { exec {lock_fd}>&-; topo_skip "cannot reach $mirror (the first run downloads a Debian root file system)"; }
        topo_log "debootstrap $NSPAWN_SUITE from $mirror with $pkgs (cached as $dir)"
        local t0=$SECONDS tmp="$dir.tmp.$$"
        rm -rf "$tmp"
        if ! debootstrap --variant=minbase --include="$pkgs" "$NSPAWN_SUITE" "$tmp" "$mirror" \
            >"$NSPAWN_DIR/debootstrap.log" 2>&1; then
            tail -n 20 "$NSPAWN_DIR/debootstrap.log" >&2
            rm -rf "$tmp"
            exec {lock_fd}>&-
            topo_fail "debootstrap failed (log above)"
        fi
        rm -f "$tmp"/var/cache/apt/archives/*.deb
        echo "$pkgs" >"$tmp/.complete"
        rm -rf "$dir"
        mv "$tmp" "$dir"
        echo "time: debootstrap $((SECONDS - t0)) s (first run; cached now)"
    fi
    touch "$dir/.complete"
    # Roots of other package lists unused for 30 days go.
    find "$COLATRL_TEST_CACHE" -maxdepth 2 -name .complete -mtime +30 -printf '%h\n' 2>/dev/null |
        while read -r old; do [ "$old" = "$dir" ] || rm -rf "$old"; done
    exec {lock_fd}>&-
    NSPAWN_ROOTFS=$dir
}

# Runs the rest of this process's life in a cgroup of its own below the
# current one, in every hierarchy nspawn uses (cgroup v2, or v1 name=systemd
# plus the unified one): nspawn puts its "payload" and "supervisor" cgroups
# there, and nspawn_cleanup removes the whole subtree.
nspawn_enter_cgroup() {
    local line path base cg
    while IFS= read -r line; do
        path=${line#*:*:}
        case $line in
        0::*)
            if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
                base=/sys/fs/cgroup
            elif [ -d /sys/fs/cgroup/unified ]; then
                base=/sys/fs/cgroup/unified
            else
                continue
            fi
            ;;
        *:name=systemd:*) base=/sys/fs/cgroup/systemd ;;
        *) continue ;;
        esac
        cg="$base${path%/}/$NSPAWN_MACHINE"
        mkdir -p "$cg" && echo "$cg" >>"$NSPAWN_DIR/cgroups" && echo "$BASHPID" >"$cg/cgroup.procs"
    done </proc/self/cgroup
}

# Boots the cached root (an overlay of it) with NETNS (a name under
# /run/netns) as its network. Copies FILES... into the container's /root.
# Sets NSPAWN_LEADER (the container's PID 1 as seen from here).
nspawn_boot() {
    local netns=$1
    shift
    NSPAWN_MACHINE="colatrl-test-$$"
    mkdir -p "$NSPAWN_DIR/upper" "$NSPAWN_DIR/work" "$NSPAWN_DIR/merged"
    mount -t overlay overlay \
        -o "lowerdir=$NSPAWN_ROOTFS,upperdir=$NSPAWN_DIR/upper,workdir=$NSPAWN_DIR/work" \
        "$NSPAWN_DIR/merged" || topo_fail "cannot mount the overlay of $NSPAWN_ROOTFS"
    NSPAWN_MERGED="$NSPAWN_DIR/merged"
    if [ $# -gt 0 ]; then
        cp "$@" "$NSPAWN_MERGED/root/"
    fi
    # CAP_BPF/CAP_PERFMON and bpf() are not in nspawn's defaults; CAP_NET_ADMIN
    # is, with a network namespace of its own.
    (
        nspawn_enter_cgroup
        exec systemd-nspawn --quiet -D "$NSPAWN_MERGED" --machine="$NSPAWN_MACHINE" \
            --boot --register=no --keep-unit --console=read-only \
            --network-namespace-path="/run/netns/$netns" \
            --capability=CAP_BPF,CAP_PERFMON,CAP_NET_ADMIN --system-call-filter=bpf
    ) >"$NSPAWN_DIR/console.log" 2>&1 &
    NSPAWN_PID=$!
    local _
    for _ in $(seq 1 100); do
        NSPAWN_LEADER=$(pgrep -P "$NSPAWN_PID" -x systemd | head -n1)
        [ -n "$NSPAWN_LEADER" ] && break
        kill -0 "$NSPAWN_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$NSPAWN_LEADER" ] || {
        tail -n 20 "$NSPAWN_DIR/console.log" >&2
        topo_fail "systemd-nspawn did not start the container's systemd"
    }
    # systemctl answers once the container's systemd listens on its private
    # socket; "starting" until the boot is done. Before that socket exists it
    # says "offline" (no manager to ask): keep waiting then too.
    local state="" deadline=$((SECONDS + 120))
    while [ "$SECONDS" -lt "$deadline" ]; do
        state=$(cx systemctl is-system-running 2>/dev/null)
        case $state in
        running | degraded | maintenance | stopping) break ;;
        esac
        kill -0 "$NSPAWN_PID" 2>/dev/null || break
        sleep 0.5
    done
    case $state in
    running) ;;
    degraded) topo_log "container degraded; failed units: $(cx systemctl --failed --plain --no-legend | tr '\n' ' ')" ;;
    *)
        tail -n 30 "$NSPAWN_DIR/console.log" >&2
        topo_fail "container did not finish booting (state '$state')"
        ;;
    esac
}

# Runs a command in the container: all its namespaces, its root, its PATH.
cx() {
    nsenter -t "$NSPAWN_LEADER" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

# Starts a command in the container's network and mount namespaces only, in
# the background, so that its pid (NSPAWN_BG_PID) is the command's own and
# signals reach it (nsenter does not fork without a pid namespace).
cx_bg() {
    local out=$1
    shift
    nsenter -t "$NSPAWN_LEADER" -n -m "$@" >"$out" 2>&1 &
    NSPAWN_BG_PID=$!
}

nspawn_cleanup() {
    if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        # SIGTERM makes nspawn ask the container's systemd to power off.
        kill -TERM "$NSPAWN_PID" 2>/dev/null
        local _
        for _ in $(seq 1 300); do
            kill -0 "$NSPAWN_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$NSPAWN_PID" 2>/dev/null
        wait "$NSPAWN_PID" 2>/dev/null
    fi
    local cg _
    # Whatever still runs in the machine's cgroups, then the cgroups themselves
    # (deepest first).
    local cgroups=()
    [ -f "$NSPAWN_DIR/cgroups" ] && mapfile -t cgroups <"$NSPAWN_DIR/cgroups"
    for cg in "${cgroups[@]}"; do
        find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null # pids
    done
    for cg in "${cgroups[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
            [ -d "$cg" ] || break
            sleep 0.2
        done
        [ -d "$cg" ] && echo "warning: cgroup $cg could not be removed" >&2
    done
    if [ -n "$NSPAWN_MERGED" ] && mountpoint -q "$NSPAWN_MERGED"; then
        umount "$NSPAWN_MERGED" 2>/dev/null || umount -l "$NSPAWN_MERGED"
    fi
    if [ -n "$NSPAWN_MACHINE" ]; then
        rm -rf "/run/systemd/nspawn/propagate/$NSPAWN_MACHINE" \
            "/run/systemd/nspawn/unix-export/$NSPAWN_MACHINE"
    fi
}

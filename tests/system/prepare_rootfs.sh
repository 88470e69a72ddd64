#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Makes the cached Debian 12 root file system of package_nspawn.sh ahead of
# the test. scripts/test runs it in the background while it compiles: the
# first debootstrap (1-7 min) mostly waits for the network, so it costs the
# test command no time. Idempotent; the test waits for a run in progress
# (tests/system/lib/nspawn.sh holds a lock) and makes the root itself if this
# one failed. Exit 77 where the package test would skip.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib/topology.sh"
. "$here/lib/nspawn.sh"

[ "$(id -u)" -eq 0 ] || topo_skip "needs root (debootstrap)"
nspawn_require
NSPAWN_DIR=$(mktemp -d /var/tmp/colatrl-rootfs.XXXXXX)
trap 'rm -rf "$NSPAWN_DIR"' EXIT
nspawn_rootfs "${NSPAWN_PACKAGE_DEPS[@]}"
echo "root file system ready: $NSPAWN_ROOTFS"

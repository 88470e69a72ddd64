#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Reaction-time probe for the benchmarks: reads colatrl's config map directly
# with the bpf(2) syscall every 1 ms (spawning colatrlctl under `ip netns exec`
# costs ~100-400 ms here). It takes the start time itself, then sends SIGHUP
# to the RA sender (whose options file is already rewritten, so it sends the
# new RA at once), and prints the ms until the map value for the uplink's
# ifindex satisfies the condition ("timeout" or "map-error" otherwise).
#
# Usage: map_poll.py MAP_ID IFINDEX RA_PID COND WANT LIMIT_MS
#   COND pref64: the PREF64 in the map is WANT (P/N)
#        clat6in: the CLAT IPv6 address lies in WANT (P/N)
#        absent: no config for the link
import ctypes
import ipaddress
import os
import signal
import struct
import sys
import time

map_id, ifindex, ra_pid, cond, want, limit_ms = sys.argv[1:7]
libc = ctypes.CDLL(None, use_errno=True)
NR_BPF, MAP_LOOKUP, MAP_GET_FD_BY_ID = 321, 1, 14


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    return libc.syscall(NR_BPF, cmd, buf, 128)


fd = bpf(MAP_GET_FD_BY_ID, struct.pack("<III", int(map_id), 0, 0))
if fd < 0:
    print("map-error")
    sys.exit(0)
key = ctypes.create_string_buffer(struct.pack("<I", int(ifindex)), 4)
val = ctypes.create_string_buffer(48)
attr = struct.pack("<I4xQQQ", fd, ctypes.addressof(key), ctypes.addressof(val), 0)


def ok():
    found = bpf(MAP_LOOKUP, attr) == 0
    if cond == "absent":
        return not found
    if not found:
        return False
    v = val.raw
    if cond == "pref64":
        net = ipaddress.IPv6Network(want)
        return v[16:32] == net.network_address.packed and v[42] == net.prefixlen
    return ipaddress.IPv6Address(v[0:16]) in ipaddress.IPv6Network(want)  # clat6in


t0 = time.monotonic()
os.kill(int(ra_pid), signal.SIGHUP)
while True:
    if ok():
        print("%.0f" % ((time.monotonic() - t0) * 1000))
        break
    if (time.monotonic() - t0) * 1000 > float(limit_ms):
        print("timeout")
        break
    time.sleep(0.001)

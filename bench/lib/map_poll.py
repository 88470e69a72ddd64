#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Reaction-time probe for the benchmarks: reads colatrl's config map directly
# with the bpf(2) syscall every 1 ms (spawning colatrlctl under `ip netns exec`
# costs ~100-400 ms here). It takes the start time itself, then sends SIGHUP
# to the RA sender (whose options file is already rewritten, so it sends the
# new RA at once), and prints the ms until the map value for the uplink's
# ifindex satisfies the condition ("timeout" or "map-error" otherwise).
# With IFNAME (run it in the namespace of that link; COND pref64 only) it also
# prints the ms from the arrival of the first RA carrying WANT on IFNAME (the
# kernel's receive timestamp) to the map: colatrld's own share, without the
# RA sender's reaction to SIGHUP.
#
# Usage: map_poll.py MAP_ID IFINDEX RA_PID COND WANT LIMIT_MS [IFNAME]
#   COND pref64: the PREF64 in the map is WANT (P/N)
#        clat6in: the CLAT IPv6 address lies in WANT (P/N)
#        absent: no config for the link
# Prints "MS" or, with IFNAME, "MS RA_MS".
import ctypes
import ipaddress
import os
import select
import signal
import socket
import struct
import sys
import time

map_id, ifindex, ra_pid, cond, want, limit_ms = sys.argv[1:7]
ifname = sys.argv[7] if len(sys.argv) > 7 else None
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


SO_TIMESTAMPNS = 35
ND_OPT_PREF64 = 38
PLC = {96: 0, 64: 1, 56: 2, 48: 3, 40: 4, 32: 5}


def ra_socket(name):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, name.encode())
    # ICMP6_FILTER (1): block all but type 134 (bit set = blocked).
    words = [0xFFFFFFFF] * 8
    words[134 >> 5] &= ~(1 << (134 & 31))
    s.setsockopt(socket.IPPROTO_ICMPV6, 1, struct.pack("<8I", *words))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.setblocking(False)
    return s


def carries_want(ra):
    net = ipaddress.IPv6Network(want)
    opts = ra[16:]
    while len(opts) >= 8 and opts[1] != 0:
        n = opts[1] * 8
        if opts[0] == ND_OPT_PREF64 and n == 16:
            word = struct.unpack("!H", opts[2:4])[0]
            if word >> 3 != 0 and (word & 7) == PLC.get(net.prefixlen) and \
                    opts[4:16] == net.network_address.packed[:12]:
                return True
        opts = opts[n:]
    return False


def ra_arrival(s):
    """Kernel receive time (CLOCK_REALTIME) of a queued RA carrying WANT, or None."""
    while True:
        try:
            data, anc, _, _ = s.recvmsg(2048, 64)
        except BlockingIOError:
            return None
        for level, kind, value in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and carries_want(data):
                sec, nsec = struct.unpack("qq", value[:16])
                return sec + nsec / 1e9


sock = ra_socket(ifname) if ifname and cond == "pref64" else None
t_ra = None
t0 = time.monotonic()
os.kill(int(ra_pid), signal.SIGHUP)
while True:
    if sock is not None and t_ra is None:
        t_ra = ra_arrival(sock)
    if ok():
        done_real = time.time()
        out = "%.0f" % ((time.monotonic() - t0) * 1000)
        if sock is not None:
            if t_ra is None:
                select.select([sock], [], [], 0.05)
                t_ra = ra_arrival(sock)
            out += " " + ("%.1f" % ((done_real - t_ra) * 1000) if t_ra else "-")
        print(out)
        break
    if (time.monotonic() - t0) * 1000 > float(limit_ms):
        print("timeout")
        break
    time.sleep(0.001)

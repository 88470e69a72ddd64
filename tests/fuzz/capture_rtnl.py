#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Records real rtnetlink traffic as seeds of fuzz_rtnl (tests/fuzz/fuzz_rtnl.cpp).

Two network namespaces made here and removed at the end: "host" with uplink wan0, and
"router" sending RAs with a /64 and a PREF64 (tools/colatrl-test-ra). In the host, a
NETLINK_ROUTE socket joined to the groups colatrld listens to records the full dump
(links, addresses, routes) and the events of a series of changes like the ones colatrld
makes and meets: a CLAT /32 with a label, a default route via inet6 with src and MTU in
protocol 157, a multipath route, another table, MTU changes, a link flap, a dummy link
added and removed, addresses removed, and RAs with PREF64 (RTM_NEWNDUSEROPT). Each seed
is the dump answered in the harness's step format, then one change's events; a few more
are the same bytes broken (truncated, a failed dump, an overrun in the middle).

Usage (root): tests/fuzz/capture_rtnl.py [--build DIR] [OUT_DIR]
  (default: ./build, tests/fuzz/corpus/rtnl; rewrites only files named real_*)"""
import os
import pathlib
import select
import signal
import socket
import struct
import subprocess
import sys
import time

NLMSG_DONE, NLMSG_ERROR = 3, 2
RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE = 18, 22, 26
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
GROUPS = [1, 5, 7, 9, 11, 20]  # LINK, IPV4_IFADDR, IPV4_ROUTE, IPV6_IFADDR, IPV6_ROUTE, ND_USEROPT

# Step ops of the harness (fuzz_rtnl.cpp).
OP_EVENT, OP_ANSWER, OP_SEND_FAILED, OP_RETRY, OP_OVERRUN, OP_RESYNC = 0, 1, 2, 3, 4, 5


def step(op, data=None):
    if data is None:
        return bytes([op])
    return bytes([op]) + struct.pack("<H", len(data)) + data


def run(*cmd):
    subprocess.run(cmd, check=True)


class Recorder:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        mask = 0
        for g in GROUPS:
            mask |= 1 << (g - 1)
        self.s.bind((0, mask))
        self.seq = 100

    def drain(self, secs):
        """Datagrams that arrive within the next `secs` seconds (RAs come every second,
        so there is no waiting for quiet)."""
        out = []
        end = time.monotonic() + secs
        while (left := end - time.monotonic()) > 0 and select.select([self.s], [], [], left)[0]:
            out.append(self.s.recv(65536))
        return out

    def dump(self, typ):
        """The datagrams answering one dump (both families), up to NLMSG_DONE; events
        that arrive in between are dropped."""
        self.seq += 1
        hdr_len = 16 if typ == RTM_GETLINK else (8 if typ == RTM_GETADDR else 12)
        body = bytes(hdr_len)
        self.s.send(struct.pack("=IHHII", 16 + len(body), typ, NLM_F_REQUEST | NLM_F_DUMP,
                                self.seq, 0) + body)
        out = []
        while True:
            d = self.s.recv(65536)
            if struct.unpack_from("=I", d, 8)[0] != self.seq:
                continue
            out.append(d)
            off, done = 0, False
            while off + 16 <= len(d):
                ln, t = struct.unpack_from("=IH", d, off)
                done |= t in (NLMSG_DONE, NLMSG_ERROR)
                off += (ln + 3) & ~3
            if done:
                return out


def inner(out_dir):
    rec = Recorder()
    # SLAAC and the first RAs (with their PREF64 user options) arrive first.
    time.sleep(2.5)
    ra_events = rec.drain(1.5)
    dump = []
    for t in (RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE):
        dump.extend(rec.dump(t))
    dumped = b"".join(step(OP_ANSWER, d) for d in dump)

    changes = {
        "clat_addr": [["ip", "addr", "add", "192.0.0.2/32", "dev", "wan0", "label", "wan0:clat"]],
        "clat_route": [["ip", "-4", "route", "add", "default", "via", "inet6", "fe80::1", "dev", "wan0",
                        "src", "192.0.0.2", "mtu", "1472", "proto", "157", "metric", "2048"]],
        "multipath6": [["ip", "-6", "route", "add", "default", "metric", "500",
                        "nexthop", "via", "fe80::1", "dev", "wan0",
                        "nexthop", "via", "fe80::2", "dev", "wan0"]],
        "table_route": [["ip", "-4", "route", "add", "default", "dev", "wan0", "table", "1000",
                         "proto", "157"]],
        "route_del": [["ip", "-6", "route", "del", "default", "metric", "500"]],
        "mtu": [["ip", "link", "set", "wan0", "mtu", "1400"],
                ["ip", "link", "set", "wan0", "mtu", "1500"]],
        "flap": [["ip", "link", "set", "wan0", "down"], ["ip", "link", "set", "wan0", "up"]],
        "veth": [["ip", "link", "add", "dummy0", "type", "veth", "peer", "name", "dummy1"],
                  ["ip", "link", "set", "dummy0", "up"],
                  ["ip", "addr", "add", "2001:db8:9::1/64", "dev", "dummy0"],
                  ["ip", "link", "del", "dummy0"]],
        "addr_del": [["ip", "addr", "add", "192.0.0.3/32", "dev", "wan0"],
                     ["ip", "addr", "del", "192.0.0.3/32", "dev", "wan0"]],
    }
    seeds = {"real_dump": dumped,
             "real_ra": dumped + b"".join(step(OP_EVENT, d) for d in ra_events)}
    all_events = []
    for name, cmds in changes.items():
        for c in cmds:
            run(*c)
        events = rec.drain(0.3)
        all_events.extend(events)
        seeds["real_" + name] = dumped + b"".join(step(OP_EVENT, d) for d in events)
    # A new PREF64 (renumbering): the outer process switches the RA sender's options.
    print("renumber", flush=True)
    sys.stdin.readline()
    seeds["real_ra_later"] = dumped + b"".join(step(OP_EVENT, d) for d in rec.drain(1.5))

    # Broken variants of the real bytes.
    first = dump[0]
    seeds["real_bad_truncated"] = (step(OP_ANSWER, first[: len(first) // 2]) +
                                   step(OP_ANSWER, first[:17]) + dumped)
    done_busy = struct.pack("=IHHIIi", 20, NLMSG_DONE, 2, 0, 0, -16)
    seeds["real_bad_dump_failed"] = (step(OP_ANSWER, dump[0]) + step(OP_ANSWER, done_busy) +
                                     step(OP_RETRY) + dumped)
    seeds["real_overrun_mid_dump"] = (step(OP_ANSWER, dump[0]) + step(OP_OVERRUN) +
                                      step(OP_ANSWER, dump[-1]) + dumped + step(OP_RESYNC) +
                                      step(OP_SEND_FAILED) + step(OP_RETRY) + dumped)
    for name, data in seeds.items():
        if len(data) > 16384:
            print(f"{name}: {len(data)} bytes, more than the target's -max_len", file=sys.stderr)
        (out_dir / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


def main():
    args = sys.argv[1:]
    if args and args[0] == "--inner":
        inner(pathlib.Path(args[1]))
        return
    build = pathlib.Path("build")
    if len(args) >= 2 and args[0] == "--build":
        build = pathlib.Path(args[1])
        args = args[2:]
    out_dir = pathlib.Path(args[0] if args else
                           pathlib.Path(__file__).resolve().parent / "corpus" / "rtnl").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    ra_tool = (build / "tools" / "colatrl-test-ra").resolve()
    if not ra_tool.exists():
        sys.exit(f"{ra_tool} not built")
    host, router = f"colatrl-caprt-h{os.getpid()}", f"colatrl-caprt-r{os.getpid()}"
    opts = pathlib.Path(f"/tmp/{router}.opts")
    ra = None
    try:
        run("ip", "netns", "add", host)
        run("ip", "netns", "add", router)
        run("ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0",
            "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.forwarding=1")
        run("ip", "-n", router, "link", "add", "lan0", "type", "veth", "peer", "name", "wan0",
            "netns", host)
        run("ip", "netns", "exec", host, "sysctl", "-qw", "net.ipv6.conf.wan0.accept_ra=1")
        for ns, ifc in ((host, "lo"), (host, "wan0"), (router, "lo"), (router, "lan0")):
            run("ip", "-n", ns, "link", "set", ifc, "up")
        run("ip", "-n", router, "addr", "add", "2001:db8:1::1/64", "dev", "lan0")
        opts.write_text("--prefix\n2001:db8:1::/64\n--pref64\n2001:db8:6464::/96\n"
                        "--interval\n1\n")
        ra = subprocess.Popen(["ip", "netns", "exec", router, str(ra_tool), "--interface",
                               "lan0", "--options-file", str(opts)])
        # Start the recorder; when it asks, switch the RA to a new PREF64 (SIGHUP re-reads
        # the options file).
        rec = subprocess.Popen(["ip", "netns", "exec", host, sys.executable, __file__,
                                "--inner", str(out_dir)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
        for line in rec.stdout:
            if line.strip() == "renumber":
                opts.write_text("--prefix\n2001:db8:1::/64\n--pref64\n2001:db8:1:64::/64\n"
                                "--interval\n1\n")
                ra.send_signal(signal.SIGHUP)
                rec.stdin.write("go\n")
                rec.stdin.flush()
            else:
                print(line, end="")
        if rec.wait() != 0:
            sys.exit("recording failed")
    finally:
        if ra:
            ra.terminate()
            ra.wait()
        for ns in (host, router):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        opts.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

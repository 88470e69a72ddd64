#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# CPU time per forwarded packet of one iperf3 UDP run, the same way for every
# path (native IPv6, a tc program, TAYGA on a tun device):
#
#   CPU = on-CPU time, during the run, of
#         - the iperf3 client (this script's child: getrusage(RUSAGE_CHILDREN)),
#         - every process given with --pid (the iperf3 server, TAYGA, everything
#           else living in the benchmark's namespaces; /proc/PID/task/*/schedstat,
#           the scheduler's own ns count),
#         - the ksoftirqd threads (network receive work the kernel deferred).
#   packets = datagrams the receiver got (iperf3's JSON).
#
# Why this is fair to the three kinds of path: on veth the receive side runs in
# softirq context inside the sending task (veth xmit -> backlog -> softirq on
# leaving the bh-disabled section) or in ksoftirqd; a tc program runs there too;
# TAYGA's work is its own process time plus the tun reads/writes it makes. With
# CONFIG_IRQ_TIME_ACCOUNTING off (checked and printed) softirq time is charged
# to the task it interrupted, so all of it lands in the tasks counted here,
# except softirqs that happen to interrupt an unrelated process on this shared
# machine (not counted; the same for every path) and, with IRQ time accounting
# on, softirq time, which is then added from /proc/stat instead (system-wide).
#
# Usage: cpu_run.py [--pid PID]... -- IPERF3-COMMAND...
# Prints: "PACKETS CPU_NS NS_PER_PACKET LOSS_PERCENT" (or "nan nan nan nan").
import json
import os
import resource
import subprocess
import sys


def task_ns(pid):
    total = 0
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return 0
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def ksoftirqd_pids():
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/comm" % d) as f:
                    if f.read().startswith("ksoftirqd/"):
                        out.append(int(d))
            except OSError:
                pass
    return out


def irq_time_accounting():
    try:
        with open("/boot/config-%s" % os.uname().release) as f:
            return "CONFIG_IRQ_TIME_ACCOUNTING=y" in f.read()
    except OSError:
        return False


def softirq_ns():
    # /proc/stat cpu line: user nice system idle iowait irq softirq ... (USER_HZ)
    with open("/proc/stat") as f:
        v = f.readline().split()
    return (int(v[6]) + int(v[7])) * 1e9 / os.sysconf("SC_CLK_TCK")


def main():
    args = sys.argv[1:]
    pids = []
    while args and args[0] == "--pid":
        pids.append(int(args[1]))
        args = args[2:]
    if args and args[0] == "--":
        args = args[1:]
    pids += ksoftirqd_pids()
    irq_acct = irq_time_accounting()
    before = sum(task_ns(p) for p in pids)
    s0 = softirq_ns() if irq_acct else 0
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    s1 = softirq_ns() if irq_acct else 0
    after = sum(task_ns(p) for p in pids)
    client = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1e9
    cpu = after - before + client + (s1 - s0)
    try:
        d = json.loads(out)
        # Received datagrams: the receiver's bytes over the datagram size (its
        # "packets" field is the highest sequence number seen, not a count).
        got = d["end"]["sum_received"]["bytes"] // d["start"]["test_start"]["blksize"]
        sent = d["end"]["sum_sent"]["packets"]
        loss = 100.0 * (sent - got) / sent if sent else 100.0
    except (ValueError, KeyError, TypeError, ZeroDivisionError):
        print("nan nan nan nan")
        return
    if got <= 0:
        print("nan nan nan nan")
        return
    print("%d %.0f %.1f %.2f" % (got, cpu, cpu / got, loss))


main()

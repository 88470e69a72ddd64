#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The summary of a whole `bench/run`: one row per figure of the datapath and
# daemon targets, read from the results file the benchmarks filled
# (bench/lib/results.sh: "KEY<TAB>VALUE<TAB>UNIT" lines), with the target and
# whether this run meets it. A figure whose benchmark was skipped or failed
# says so with the reason (from the status file bench/run writes:
# "NAME<TAB>STATUS<TAB>REASON"). Prints a text table and writes the same as
# markdown to MARKDOWN.
#
# Usage: summary.py RESULTS STATUS MARKDOWN "RUN NOTE"
import math
import sys

results_path, status_path, md_path, note = sys.argv[1:5]
R = {}
for line in open(results_path):
    parts = line.rstrip("\n").split("\t")
    if len(parts) >= 2:
        R[parts[0]] = parts[1]
STATUS = {}
for line in open(status_path):
    parts = line.rstrip("\n").split("\t")
    if len(parts) >= 2:
        STATUS[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")


class Missing(Exception):
    pass


def num(key):
    v = R.get(key)
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise Missing(key)
    if math.isnan(f):
        raise Missing(key)
    return f


def fmt(v, digits=1):
    return "%.*f" % (digits, v)


def ratio_row(a_key, b_key, unit, low):
    a, b = num(a_key), num(b_key)
    r = a / b
    return "%.2f (%s vs %s %s)" % (r, fmt(a, 2 if unit == "Gbit/s" else 1),
                                   fmt(b, 2 if unit == "Gbit/s" else 1), unit), r >= low


def tcp():
    up, up_ok = ratio_row("throughput.tcp_up.colatrl", "throughput.tcp_up.native", "Gbit/s", 0.97)
    dn, dn_ok = ratio_row("throughput.tcp_down.colatrl", "throughput.tcp_down.native", "Gbit/s", 0.97)
    return "up %s / down %s" % (up, dn), up_ok and dn_ok


def udp(direction):
    return lambda: ratio_row("throughput.udp64_%s.colatrl" % direction,
                             "throughput.udp64_%s.native" % direction, "kpps", 0.95)


def bpf_ratio(traffic, hook, limit):
    def f():
        p = num("real_traffic.%s.%s.colatrl" % (traffic, hook))
        n = num("real_traffic.%s.%s.noop" % (traffic, hook))
        return "%s vs %s ns (%.1fx)" % (fmt(p), fmt(n), p / n), p / n <= limit
    return f


def pass_path():
    v = num("per_packet.egress.pass_ipv4_not_from_clat.minus_noop")
    return "%s ns (%s vs %s)" % (fmt(v), fmt(num("per_packet.egress.pass_ipv4_not_from_clat.prog")),
                                 fmt(num("per_packet.egress.pass_ipv4_not_from_clat.noop"))), v <= 25


def first_ping():
    first, later = num("control.first_ping"), num("control.later_pings")
    return "%s ms (later pings %s ms)" % (fmt(first, 2), fmt(later, 2)), first - later <= 10


def pref64():
    ms, lost = num("control.pref64_ra_to_map"), num("control.pref64_lost_max")
    sent = R.get("control.pref64_sent_to_map", "-")
    return ("%s ms from the RA's arrival (%s ms from sending), lost %d" % (fmt(ms), sent, lost),
            ms <= 10 and lost == 0)


def renumber():
    ms, lost = num("control.renumber_sent_to_map"), num("control.renumber_lost_max")
    # The time is two DADs (the host's SLAAC address, then the CLAT address):
    # reported, not judged; what must hold is that nothing is lost meanwhile.
    return "%s ms, lost %d" % (fmt(ms, 0), lost), lost == 0


def withdraw():
    return "%s ms" % fmt(num("control.withdraw_sent_to_map"), 0), None


def wakeups():
    v = num("control.idle_wakeups_per_min")
    return "%s per minute over %s s" % (fmt(v), R.get("control.idle_seconds", "?")), v == 0


def rss():
    v = num("control.idle_rss")
    return "%s MiB (PSS %s, USS %s, own %s MiB), %d fds" % (
        fmt(v), R.get("control.idle_pss", "?"), R.get("control.idle_uss", "?"),
        R.get("control.idle_own_rss", "?"), num("control.idle_fds")), v <= 4


def cpu(direction):
    def f():
        vals = [num("throughput.cpu_%s.%s" % (direction, m))
                for m in ("native", "noop", "colatrl", "tayga")]
        return " / ".join("%.0f" % v for v in vals), None
    return f


def throughput_abs(test, unit):
    def f():
        vals = [num("throughput.%s.%s" % (test, m)) for m in ("native", "noop", "colatrl", "tayga")]
        return " / ".join(fmt(v, 2 if unit == "Gbit/s" else 1) for v in vals) + " " + unit, None
    return f


# (figure, benchmark, target, function returning (measured, met or None))
ROWS = [
    ("TCP up / down vs native IPv6", "throughput", ">= 0.97 each", tcp),
    ("UDP 64 B upload (IPv4 client -> server) vs native IPv6", "throughput", ">= 0.95", udp("up")),
    ("UDP 64 B download vs native IPv6", "throughput", ">= 0.95", udp("down")),
    ("egress UDP 64 B, ns/packet under traffic vs no-op", "real_traffic", "<= 2.5x",
     bpf_ratio("udp64_up", "egress", 2.5)),
    ("ingress UDP 64 B, ns/packet under traffic vs no-op", "real_traffic", "<= 2.5x",
     bpf_ratio("udp64_down", "ingress", 2.5)),
    ("egress TCP GSO super-packet, ns/packet vs no-op", "real_traffic", "<= 2x",
     bpf_ratio("tcp_up", "egress", 2.0)),
    ("pass path (IPv4 not from the CLAT), TEST_RUN minus no-op", "per_packet", "<= 25 ns",
     pass_path),
    ("first IPv4 ping after convergence", "control", "<= 10 ms above later pings", first_ping),
    ("PREF64 change -> new prefix in the map; pings lost (100/s)", "control",
     "<= 10 ms, 0 lost", pref64),
    ("new /64 -> CLAT address in the map; pings lost (100/s)", "control",
     "0 lost (time: DADs)", renumber),
    ("PREF64 withdrawn -> config removed", "control", "-", withdraw),
    ("daemon idle wakeups", "control", "0 per minute", wakeups),
    ("daemon idle RSS", "control", "<= 4 MiB", rss),
    ("CPU ns per UDP 64 B packet up: native / no-op / colatrl / TAYGA", "throughput", "-",
     cpu("up")),
    ("CPU ns per UDP 64 B packet down: native / no-op / colatrl / TAYGA", "throughput", "-",
     cpu("down")),
    ("TCP up: native / no-op / colatrl / TAYGA", "throughput", "-",
     throughput_abs("tcp_up", "Gbit/s")),
    ("UDP 64 B up: native / no-op / colatrl / TAYGA", "throughput", "-",
     throughput_abs("udp64_up", "kpps")),
    ("UDP 64 B down: native / no-op / colatrl / TAYGA", "throughput", "-",
     throughput_abs("udp64_down", "kpps")),
]

out = []
for figure, bench, target, f in ROWS:
    try:
        measured, met = f()
        verdict = "-" if met is None else ("yes" if met else "NO")
    except Missing:
        st, reason = STATUS.get(bench, ("not run", ""))
        if st == "ok":
            measured, verdict = "not measured (missing in the results of %s)" % bench, "?"
        else:
            measured = "%s: %s%s" % (bench, st, (" (" + reason + ")") if reason else "")
            verdict = "SKIP" if st == "SKIP" else "FAIL" if st.startswith("FAIL") else "-"
    out.append((figure, measured, target, verdict))

w = [max(len(r[i]) for r in out + [("figure", "measured", "target", "met")]) for i in range(4)]
print("summary (%s)" % note)
line = "%-*s  %-*s  %-*s  %s"
print(line % (w[0], "figure", w[1], "measured", w[2], "target", "met"))
for r in out:
    print(line % (w[0], r[0], w[1], r[1], w[2], r[2], r[3]))
with open(md_path, "w") as md:
    md.write("Summary of `bench/run` (%s)\n\n" % note)
    md.write("| figure | measured | target | met |\n|---|---|---|---|\n")
    for r in out:
        md.write("| %s |\n" % " | ".join(c.replace("|", "/") for c in r))

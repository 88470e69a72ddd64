#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Resident memory of one process from /proc/PID/smaps, per mapped object.

Usage: smaps.py PID            table: one row per file (all its mappings
                               summed), [heap], [stack], anonymous, ...;
                               then the program's own part and the totals
       smaps.py PID --totals   one line "RSS PSS USS OWN_RSS" in KiB

RSS counts every resident page of the process; PSS divides each page by the
number of processes mapping it (a libc page shared with 100 processes counts
1/100); USS (Private_Clean + Private_Dirty) is what only this process holds:
what it gives back when it exits. PSS and USS of a shared library depend on
which other processes run: a library no other process maps is all private.
The program's own part (its executable's mappings, [heap], [stack] and the
anonymous mappings, which also hold the libraries' .bss) does not.
"""
import os
import re
import sys

FIELDS = ("Rss", "Pss", "Private_Clean", "Private_Dirty", "Anonymous")


def read(pid):
    rows = {}
    key = None
    header = re.compile(r"^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$")
    with open("/proc/%s/smaps" % pid) as f:
        for line in f:
            m = header.match(line)
            if m:
                name = m.group(2).strip() or "[anonymous]"
                if name.startswith("/"):
                    name = os.path.basename(name)
                key = name
                rows.setdefault(key, dict.fromkeys(FIELDS, 0))
                continue
            field, _, rest = line.partition(":")
            if key is not None and field in FIELDS:
                rows[key][field] += int(rest.split()[0])
    return rows


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    rows = read(sys.argv[1])
    tot = {f: sum(r[f] for r in rows.values()) for f in FIELDS}
    uss = tot["Private_Clean"] + tot["Private_Dirty"]
    exe = os.path.basename(os.readlink("/proc/%s/exe" % sys.argv[1]))
    own_names = (exe, "[heap]", "[stack]", "[anonymous]")
    own = {f: sum(r[f] for n, r in rows.items() if n in own_names) for f in FIELDS}
    own_uss = own["Private_Clean"] + own["Private_Dirty"]
    if "--totals" in sys.argv[2:]:
        print(tot["Rss"], tot["Pss"], uss, own["Rss"])
        return
    print("%-34s %8s %8s %8s %8s" % ("mapping (KiB)", "Rss", "Pss", "Private", "Anon"))
    for name, r in sorted(rows.items(), key=lambda kv: -kv[1]["Rss"]):
        if r["Rss"] == 0:
            continue
        print("%-34s %8d %8d %8d %8d" % (name[:34], r["Rss"], r["Pss"],
                                         r["Private_Clean"] + r["Private_Dirty"],
                                         r["Anonymous"]))
    print("%-34s %8d %8d %8d %8d" % ("own (%s, heap, stack, anon)" % exe[:8], own["Rss"],
                                     own["Pss"], own_uss, own["Anonymous"]))
    print("%-34s %8d %8d %8d %8d" % ("total", tot["Rss"], tot["Pss"], uss, tot["Anonymous"]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Compare one interface of a documented introspection file (dbus/*.xml) with
the live introspection of an object (busctl introspect --xml-interface).

Usage: introspect_cmp.py DOC.xml LIVE.xml INTERFACE
Exits 0 when the interface has the same members (methods with their arguments,
properties with type, access and annotations, signals) in the same order;
otherwise prints both forms and exits 1. Comments and white space do not count.
"""
import sys
import xml.etree.ElementTree as ET


def canon(elem):
    """A nested tuple of (tag, sorted attributes, children) without text."""
    return (elem.tag, tuple(sorted(elem.attrib.items())),
            tuple(canon(c) for c in elem if isinstance(c.tag, str)))


def find_interface(path, name):
    root = ET.parse(path).getroot()
    for iface in root.iter("interface"):
        if iface.get("name") == name:
            return iface
    return None


def show(c, indent=0):
    tag, attrs, children = c
    print("  " * indent + tag + " " + " ".join(f'{k}="{v}"' for k, v in attrs))
    for ch in children:
        show(ch, indent + 1)


def main():
    doc_path, live_path, name = sys.argv[1:4]
    doc = find_interface(doc_path, name)
    live = find_interface(live_path, name)
    if doc is None or live is None:
        print(f"interface {name} missing: documented={doc is not None} live={live is not None}")
        return 1
    if canon(doc) != canon(live):
        print("documented:")
        show(canon(doc))
        print("live:")
        show(canon(live))
        return 1
    print(f"ok: {name} as documented ({len(list(doc))} members)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/TARGET/.

The seeds are the unit tests' vectors (tests/unit/test_pref64_option.cpp,
test_dns_message.cpp, test_dns64_discovery.cpp, test_config.cpp) as files, valid and
malformed, so that fuzzing starts from every branch the unit tests reach. The real
nameserver answers corpus/dns64_answer/unbound_*.bin are not made here: capture_dns64.sh
recorded them from unbound. Run this after changing a parser's vectors; it rewrites only
the files it makes (names starting with "gen_")."""
import ipaddress
import pathlib
import struct

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ("gen_" + name)).write_bytes(data if isinstance(data, bytes) else data.encode())


# ---- PREF64 RA option (RFC 8781 §4) ----
PLC = {96: 0, 64: 1, 56: 2, 48: 3, 40: 4, 32: 5}


def pref64_option(prefix, lifetime, plc=None, typ=38, length=2):
    net = ipaddress.IPv6Network(prefix)
    scaled = min((lifetime + 7) // 8, 8191)
    word = (scaled << 3) | (PLC[net.prefixlen] if plc is None else plc)
    return bytes([typ, length]) + struct.pack("!H", word) + net.network_address.packed[:12]


def pref64_seeds():
    # RFC 8781 / clat-node.md §4.2 vectors, byte for byte.
    write("pref64_option", "wkp_96_1800", bytes.fromhex("2602070800" "64ff9b" + "00" * 8))
    write("pref64_option", "nsp_40_600", bytes.fromhex("2602025c20010db801" + "00" * 7))
    write("pref64_option", "nsp_64_65528", bytes.fromhex("2602fff920010db801220344" + "00" * 4))
    for p in ("2001:db8::/32", "2001:db8:100::/40", "2001:db8:122::/48",
              "2001:db8:122:300::/56", "2001:db8:122:344::/64", "64:ff9b:1:fffe::/96"):
        net = ipaddress.IPv6Network(p)
        write("pref64_option", f"len{net.prefixlen}_3600", pref64_option(p, 3600))
    write("pref64_option", "withdraw_0", pref64_option("64:ff9b::/96", 0))
    # Bits past the prefix length (masked, not refused).
    write("pref64_option", "junk_past_32",
          bytes.fromhex("2602000d20010db8deadbeef01020304"))
    write("pref64_option", "u_octet_past_64",
          bytes.fromhex("2602000920010db800000001ff000000"))
    good = pref64_option("64:ff9b::/96", 1800)
    write("pref64_option", "bad_empty", b"")
    write("pref64_option", "bad_one_byte", good[:1])
    write("pref64_option", "bad_truncated_8", good[:8])
    write("pref64_option", "bad_truncated_15", good[:15])
    write("pref64_option", "bad_17_bytes", good + b"\0")
    write("pref64_option", "bad_type_3", bytes([3]) + good[1:])
    for length in (0, 1, 3, 255):
        write("pref64_option", f"bad_length_{length}", good[:1] + bytes([length]) + good[2:])
    for plc in (6, 7):
        write("pref64_option", f"bad_plc_{plc}", pref64_option("64:ff9b::/96", 1800, plc=plc))
    write("pref64_option", "bad_u_octet_96", good[:12] + b"\x01" + good[13:])


# ---- DNS answers to the ipv4only.arpa AAAA query (RFC 7050 §3) ----
QNAME = b"\x08ipv4only\x04arpa\x00"


def dns_response(qid, flags, answers=b"", an=0, auth=b"", ns=0, question=None):
    q = QNAME + struct.pack("!HH", 28, 1) if question is None else question
    return struct.pack("!HHHHHH", qid, flags, 1, an, ns, 0) + q + answers + auth


def rr(owner, typ, ttl, rdata, cls=1):
    return owner + struct.pack("!HHIH", typ, cls, ttl, len(rdata)) + rdata


def aaaa(addr, ttl, owner=b"\xc0\x0c"):
    return rr(owner, 28, ttl, ipaddress.IPv6Address(addr).packed)


def soa(owner, ttl, minimum, mname=b"\x01a\x00", rname=b"\x01b\x00"):
    return rr(owner, 6, ttl, mname + rname + struct.pack("!IIIII", 1, 2, 3, 4, minimum))


def dns_seeds():
    t = "dns64_answer"
    # The unit tests' answers: two AAAA (TTL 600, 300) under one prefix.
    two = aaaa("2001:db8:6464::c000:aa", 600) + aaaa("2001:db8:6464::c000:ab", 300)
    write(t, "two_aaaa_ptr", dns_response(7, 0x8180, two, 2))
    # The same without name compression (owner written out).
    full = aaaa("64:ff9b::c000:aa", 60, owner=QNAME) + aaaa("64:ff9b::c000:ab", 60, owner=QNAME)
    write(t, "two_aaaa_uncompressed", dns_response(0x1234, 0x8180, full, 2))
    # Every RFC 6052 length, 192.0.0.170 embedded (RFC 7050 §3, test_dns64_discovery.cpp).
    for addr, name in (("2001:db8:c000:aa::", "32"), ("2001:db8:1c0:0:aa::", "40"),
                       ("2001:db8:122:c000:0:aa00::", "48"), ("2001:db8:122:3c0:0:aa::", "56"),
                       ("2001:db8:122:344:c0:0:aa00:0", "64"), ("2001:db8:122:344::192.0.0.170", "96")):
        write(t, f"len{name}", dns_response(0x4242, 0x8180, aaaa(addr, 3600), 1))
    # A CNAME before the AAAA, mixed-case question name, 0x20 style.
    cname = rr(b"\xc0\x0c", 5, 300, b"\x03dns\x05nat64\x00")
    target = 12 + len(QNAME) + 4 + 12  # the CNAME's RDATA, after header, question, RR head
    write(t, "cname_then_aaaa",
          dns_response(9, 0x8180,
                       cname + aaaa("64:ff9b::c000:aa", 300, owner=bytes([0xC0, target])), 2))
    write(t, "mixed_case_question",
          dns_response(5, 0x8180, aaaa("64:ff9b::c000:aa", 30), 1,
                       question=b"\x08IPv4Only\x04ARPA\x00" + struct.pack("!HH", 28, 1)))
    # Ambiguous and junk answers (discovery skips them).
    write(t, "ambiguous_and_171",
          dns_response(3, 0x8180, aaaa("c000:aa:c000:aa::", 60) + aaaa("64:ff9b::c000:ab", 60), 2))
    write(t, "junk_aaaa", dns_response(3, 0x8180, aaaa("2001:db8::1", 60), 1))
    # Negative answers: NXDOMAIN with SOA (pointer into "arpa"), NODATA, SERVFAIL.
    write(t, "nxdomain_soa", dns_response(9, 0x8183, b"", 0, soa(b"\xc0\x15", 900, 120), 1))
    write(t, "nodata_soa_ptr",
          dns_response(9, 0x8180, b"", 0, soa(b"\xc0\x0c", 3600, 3600, mname=b"\xc0\x0c"), 1))
    write(t, "servfail", dns_response(9, 0x8182))
    # Malformed: truncated (TC), a query, cut short, a pointer loop, a record past the end.
    write(t, "bad_tc", dns_response(7, 0x8380))
    write(t, "bad_query", dns_response(7, 0x0100))
    m = dns_response(7, 0x8180, aaaa("2001:db8::c000:aa", 60), 1)
    write(t, "bad_cut_5", m[:5])
    write(t, "bad_cut_20", m[:20])
    write(t, "bad_cut_end", m[:-3])
    loop = bytearray(m)
    loop[-28] = 0xC0
    loop[-27] = len(loop) - 28
    write(t, "bad_pointer_loop", bytes(loop))
    write(t, "bad_other_question",
          dns_response(7, 0x8180, question=b"\x07example\x03org\x00" + struct.pack("!HH", 28, 1)))


# ---- colatrld.conf (colatrld.conf(5), test_config.cpp) ----
def config_seeds():
    t = "config"
    write(t, "man_example_1.conf",
          "# /etc/colatrl/colatrld.conf\n[CLAT]\n# Only the Wi-Fi and the mobile uplink.\n"
          "Interfaces=wlan0 wwan0\n# Learn the NAT64 prefix from RAs only.\n"
          "Pref64Discovery=ra\nMode=auto\nTranslateNonGlobal=no\n")
    write(t, "man_example_2.conf",
          "[CLAT]\nPref64=2001:db8:64::/96\nIPv4Address=192.0.0.4\nIPv6Address=2001:db8:1:2::c1a7\n")
    write(t, "every_key.conf",
          "# colatrld.conf\n[CLAT]\nInterfaces = wlan0 eth0\nPref64=64:ff9b::/96\n"
          "Pref64Discovery=ra dns64\nIPv4Address=192.0.0.4\nIPv6Address=2001:db8::42\n"
          "Mode=force\nTranslateNonGlobal=yes\n")
    write(t, "empty_values.conf",
          "[CLAT]\nInterfaces=\nPref64=\nPref64Discovery=\nIPv4Address=\nIPv6Address=\nMode=\n"
          "TranslateNonGlobal=\n")
    write(t, "empty.conf", "")
    write(t, "comments_only.conf", "# comment only\n; another\n\n")
    write(t, "crlf_bom.conf",
          "\ufeff[CLAT]\r\n; comment\r\n  Mode = off ; trailing comment\r\n"
          "# Interfaces=ignored\r\nInterfaces=eth1")
    write(t, "pref64_lengths.conf", "[CLAT]\nPref64=2001:db8:122:300::/56\nMode=off\n")
    write(t, "bool_variants.conf", "[CLAT]\nTranslateNonGlobal=True\nInterfaces=  eth0\t  wwan0  \n")
    for name, text in (
            ("bad_unknown_key", "[CLAT]\nMode=auto\n\nFoo=bar\n"),
            ("bad_key_case", "[CLAT]\nmode=auto\n"),
            ("bad_duplicate", "# x\n[CLAT]\nMode=auto\n# y\nMode=off\n"),
            ("bad_continuation", "[CLAT]\nInterfaces=eth0\n  wlan0\n"),
            ("bad_outside_section", "Mode=auto\n[CLAT]\n"),
            ("bad_other_section", "[CLAT]\nMode=auto\n[Other]\n"),
            ("bad_syntax", "[CLAT]\nMode=auto\nthis is not ini\n"),
            ("bad_open_section", "[CLAT\nMode=auto\n"),
            ("bad_long_line", "[CLAT]\nInterfaces=" + "a" * 300 + "\n"),
            ("bad_nul", "[CLAT]\nMode=a\0uto\n"),
            ("bad_ifname", "[CLAT]\nInterfaces=eth0 a/b abcdefghijklmnop ..\n"),
            ("bad_pref64_len", "[CLAT]\nPref64=64:ff9b::/80\n"),
            ("bad_pref64_u", "[CLAT]\nPref64=2001:db8:0:0:100::/96\n"),
            ("bad_discovery", "[CLAT]\nPref64Discovery=ra pcp\n"),
            ("bad_ipv4", "[CLAT]\nIPv4Address=192.0.0.8\n"),
            ("bad_ipv6_mapped", "[CLAT]\nIPv6Address=::ffff:192.0.0.2\n"),
            ("bad_ipv6_ll", "[CLAT]\nIPv6Address=fe80::1\n"),
            ("bad_mode", "[CLAT]\nMode=on\n"),
            ("bad_bool", "[CLAT]\nTranslateNonGlobal=maybe\n")):
        write(t, name + ".conf", text)


# ---- D-Bus arguments (lib/status/bus_args.hpp, test_status.cpp) ----
# First byte: 0 = link object path, 1 = interface name, 2 = interface index
# (4 bytes, little endian), 3 = a string for json_quote.
def bus_args_seeds():
    t = "bus_args"
    for name, path in (("path_2", "/org/colatrl/link/_32"), ("path_10", "/org/colatrl/link/_310"),
                       ("path_zero", "/org/colatrl/link/_30"),
                       ("path_lead0", "/org/colatrl/link/_3002"),
                       ("path_short", "/org/colatrl/link/_3"),
                       ("path_max", "/org/colatrl/link/_32147483647"),
                       ("path_over", "/org/colatrl/link/_32147483648"),
                       ("path_other", "/org/colatrl/linkx/_32")):
        write(t, name, b"\x00" + path.encode())
    for name, ifname in (("name_ok", b"wan1"), ("name_slash", b"a/b"), ("name_empty", b""),
                         ("name_long", b"0123456789abcdef"), ("name_dot", b".."),
                         ("name_utf8", "caf\u00e9".encode())):
        write(t, name, b"\x01" + ifname)
    for name, v in (("index_1", 1), ("index_0", 0), ("index_neg", -1), ("index_max", 2**31 - 1)):
        write(t, name, b"\x02" + struct.pack("<i", v))
    for name, text in (("json_ctrl", b"a\x01\"\\\n"), ("json_bad_utf8", b"\xff\xc3"),
                       ("json_surrogate", b"\xed\xa0\x80"), ("json_4byte", "\U0001f600".encode())):
        write(t, name, b"\x03" + text)


if __name__ == "__main__":
    for d in CORPUS.glob("*/gen_*"):
        d.unlink()
    pref64_seeds()
    dns_seeds()
    config_seeds()
    bus_args_seeds()
    for d in sorted(CORPUS.iterdir()):
        print(f"{d.name}: {len(list(d.iterdir()))} files")

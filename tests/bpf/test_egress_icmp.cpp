// SPDX-License-Identifier: GPL-2.0-or-later
// Egress ICMPv4 -> ICMPv6 (RFC 7915 §4.2, §4.3): the types dropped, the error
// type/code and Parameter Problem tables (bpf/xlat_icmp.h), Packet Too Big
// MTU, the packet inside errors and invalid inner packets.
#include "egress_checks.hpp"

#include <catch2/catch.hpp>

#include <linux/pkt_cls.h>

#include <string>
#include <utility>
#include <vector>

using namespace colatrl;
using namespace colatrl::test;
using namespace colatrl::test::addrs;
using namespace colatrl::test::egress;

TEST_CASE("egress drops the ICMP types, IGMP and fragmented ICMP the RFC drops", "[egress]") {
    Env e = setup("2001:db8:122::/48");
    SECTION("informational and single-hop types, source quench, redirect, unknown") {
        for (int t : {4, 5, 6, 9, 10, 13, 14, 15, 16, 17, 18, 42}) {
            INFO("ICMPv4 type " << t);
            expect_drop(
                ipv4(spec4(e, kProtoIcmp), icmp4(static_cast<uint8_t>(t), 0, 0, pattern(28))),
                COLATRL_CNT_EG_DROP_ICMP_TYPE);
        }
    }
    SECTION("IGMP") {
        expect_drop(ipv4(spec4(e, kProtoIgmp), Bytes{0x11, 0x64, 0xee, 0x9b, 0, 0, 0, 0}),
                    COLATRL_CNT_EG_DROP_IGMP);
    }
    SECTION("fragmented ICMP") {
        Ip4Spec s = spec4(e, kProtoIcmp);
        s.df = false;
        s.mf = true;
        expect_drop(ipv4(s, icmp4(8, 0, echo_rest(1, 1), pattern(64))),
                    COLATRL_CNT_EG_DROP_ICMP_FRAGMENTED);
        s.mf = false;
        s.frag_offset_bytes = 64;
        expect_drop(ipv4(s, pattern(32)), COLATRL_CNT_EG_DROP_ICMP_FRAGMENTED);
    }
    SECTION("ICMP shorter than its header") {
        expect_drop(ipv4(spec4(e, kProtoIcmp), Bytes{8, 0, 0, 0}), COLATRL_CNT_EG_DROP_MALFORMED);
    }
}

TEST_CASE("egress translates Destination Unreachable codes (RFC 7915 §4.2)", "[egress]") {
    for (const char* p : {"2001:db8::/32", "2001:db8:122:344::/64", kWkp}) {
        SECTION(p) {
            Env e = setup(p);
            const Inner in = inner_udp(e, 64);
            struct Row {
                uint8_t c4, t6, c6;
                uint32_t rest6;
            };
            const Row rows[] = {
                {0, 1, 0, 0},  {1, 1, 0, 0},  {2, 4, 1, 6},  {3, 1, 4, 0},  {5, 1, 0, 0},
                {6, 1, 0, 0},  {7, 1, 0, 0},  {8, 1, 0, 0},  {9, 1, 1, 0},  {10, 1, 1, 0},
                {11, 1, 0, 0}, {12, 1, 0, 0}, {13, 1, 1, 0}, {15, 1, 1, 0},
            };
            for (const Row& row : rows) {
                INFO("code " << int{row.c4});
                error_case(e, 3, row.c4, 0, in, row.t6, row.c6, row.rest6);
            }
            for (uint8_t c4 : {uint8_t{14}, uint8_t{16}, uint8_t{200}}) {
                INFO("dropped code " << int{c4});
                expect_drop(ipv4(spec4(e, kProtoIcmp), icmp4(3, c4, 0, in.v4)),
                            COLATRL_CNT_EG_DROP_ICMP_TYPE);
            }
        }
    }
}

TEST_CASE("egress turns Fragmentation Needed into Packet Too Big", "[egress]") {
    SECTION("MTU + 20, capped by the IPv6 MTU, floor 1280") {
        Env e = setup("2001:db8:100::/40", 0, false, 1500);
        const Inner in = inner_udp(e, 100);
        error_case(e, 3, 4, 1400, in, 2, 0, 1420);
        error_case(e, 3, 4, 1480, in, 2, 0, 1500);
        error_case(e, 3, 4, 1500, in, 2, 0, 1500); // min(1520, 1500)
        error_case(e, 3, 4, 576, in, 2, 0, 1280);  // floor
        error_case(e, 3, 4, 68, in, 2, 0, 1280);
    }
    SECTION("MTU 0: RFC 1191 plateau below the returned Total Length") {
        Env e = setup("2001:db8:100::/40", 0, false, 9000);
        // quote only the first 28 bytes: Total Length says how big it was
        for (auto [n, want] : {std::pair<size_t, uint32_t>{4000, 2002 + 20},
                               {1960, 1492 + 20},
                               {2000, 2002 + 20},
                               {1464, 1280},
                               {1400, 1280},
                               {9000, 8166 + 20},
                               {40000, 9000}}) {
            INFO("returned length " << n + 28);
            error_case(e, 3, 4, 0, inner_udp(e, n), 2, 0, want, 28);
        }
    }
}

TEST_CASE("egress translates Time Exceeded and Parameter Problem (RFC 7915 §4.2)", "[egress]") {
    Env e = setup("2001:db8:122:300::/56");
    const Inner in = inner_udp(e, 32);
    SECTION("Time Exceeded codes 0 and 1") {
        error_case(e, 11, 0, 0, in, 3, 0, 0);
        error_case(e, 11, 1, 0, in, 3, 1, 0);
    }
    SECTION("Parameter Problem pointer table") {
        const std::pair<uint8_t, uint32_t> ptrs[] = {
            {0, 0},  {1, 1},  {2, 4},  {3, 4},   {8, 7},   {9, 6},   {12, 8},
            {13, 8}, {14, 8}, {15, 8}, {16, 24}, {17, 24}, {18, 24}, {19, 24},
        };
        for (auto [p4, p6] : ptrs) {
            INFO("pointer " << int{p4});
            error_case(e, 12, 0, uint32_t{p4} << 24, in, 4, 0, p6);
            error_case(e, 12, 2, uint32_t{p4} << 24, in, 4, 0, p6);
        }
        for (uint32_t p4 : {4u, 5u, 6u, 7u, 10u, 11u, 20u, 40u}) {
            INFO("dropped pointer " << p4);
            expect_drop(ipv4(spec4(e, kProtoIcmp), icmp4(12, 0, p4 << 24, in.v4)),
                        COLATRL_CNT_EG_DROP_ICMP_TYPE);
        }
        // code 1 (missing option) and unknown codes are dropped
        expect_drop(ipv4(spec4(e, kProtoIcmp), icmp4(12, 1, 0, in.v4)),
                    COLATRL_CNT_EG_DROP_ICMP_TYPE);
        expect_drop(ipv4(spec4(e, kProtoIcmp), icmp4(12, 3, 0, in.v4)),
                    COLATRL_CNT_EG_DROP_ICMP_TYPE);
    }
}

TEST_CASE("egress translates the packet inside ICMP errors", "[egress]") {
    for (const auto& [p, len] : kPrefixes) {
        SECTION(std::string("non-neutral ") + p) {
            Env e = setup(p);
            error_case(e, 3, 3, 0, inner_udp(e, 40), 1, 4, 0);
            error_case(e, 3, 3, 0, inner_tcp(e, 40), 1, 4, 0);
            error_case(e, 11, 0, 0, inner_echo(e, 8, 128), 3, 0, 0);
            error_case(e, 11, 0, 0, inner_echo(e, 0, 129), 3, 0, 0);
            // usual quote: IPv4 header + 8 bytes (TCP checksum not included)
            error_case(e, 3, 1, 0, inner_udp(e, 40), 1, 0, 0, 28);
            error_case(e, 3, 1, 0, inner_tcp(e, 40), 1, 0, 0, 28);
        }
    }
    for (const char* p : {"2001:db8::/32", "2001:db8:122:344::/96"}) {
        SECTION(std::string("checksum-neutral ") + p) {
            Env e = setup(p, 0, true);
            error_case(e, 3, 3, 0, inner_udp(e, 40), 1, 4, 0);
            error_case(e, 3, 3, 0, inner_tcp(e, 40), 1, 4, 0);
            error_case(e, 11, 0, 0, inner_echo(e, 8, 128), 3, 0, 0);
        }
    }
    SECTION("inner UDP with checksum 0 keeps it") {
        Env e = setup("2001:db8:122::/48");
        Ip4Spec s{.src = e.server4, .dst = e.clat4, .proto = kProtoUdp};
        const UdpSpec us{.csum = Csum::zero};
        Ip6Spec s6{.src = e.server6, .dst = e.clat6, .next_header = kProtoUdp};
        Bytes inner6 = ipv6(s6, udp(e.server6, e.clat6, us, pattern(10)));
        put16(inner6, 46, 0);
        const Inner in{ipv4(s, udp(e.server4, e.clat4, us, pattern(10))), inner6, kProtoUdp};
        error_case(e, 3, 3, 0, in, 1, 4, 0);
    }
    SECTION("illegal or non-global inner sources are still translated") {
        for (auto [p, bad] : {std::pair<const char*, const char*>{"2001:db8:122::/48", "127.0.0.1"},
                              {"2001:db8:122::/48", "0.0.0.0"},
                              {kWkp, "10.1.2.3"}}) {
            INFO(p << " inner source " << bad);
            Env e = setup(p);
            Env ei = e;
            ei.server4 = v4(bad);
            ei.server6 = embed6052(e.pfx, ei.server4);
            error_case(e, 3, 3, 0, inner_udp(ei, 16), 1, 4, 0);
        }
    }
    SECTION("inner header with options becomes a plain IPv6 header") {
        Env e = setup("2001:db8:122::/48");
        Inner in = inner_udp(e, 20);
        Ip4Spec s{.src = e.server4, .dst = e.clat4, .proto = kProtoUdp};
        s.ttl = 50;
        s.tos = 0x10;
        s.id = 0x7777;
        s.options = {0x01, 0x01, 0x01, 0x00, 0x07, 0x03, 0x04, 0x00};
        in.v4 = ipv4(s, slice(in.v4, 20));
        error_case(e, 3, 3, 0, in, 1, 4, 0);
    }
    SECTION("options on the outer and the inner header (both dropped)") {
        Env e = setup("2001:db8:122::/48");
        const Bytes rr{0x07, 0x07, 0x04, 0, 0, 0, 0, 0x00};
        error_case(e, 3, 3, 0, inner_udp(e, 30), 1, 4, 0, SIZE_MAX, rr);
        error_case(e, 3, 3, 0, inner_udp(e, 30), 1, 4, 0, SIZE_MAX, Bytes(40, 0x01));
        Inner in = inner_udp(e, 30);
        Ip4Spec s{.src = e.server4, .dst = e.clat4, .proto = kProtoUdp};
        s.ttl = 50;
        s.tos = 0x10;
        s.id = 0x7777;
        s.options = Bytes(40, 0x01);
        in.v4 = ipv4(s, slice(in.v4, 20));
        error_case(e, 3, 3, 0, in, 1, 4, 0, SIZE_MAX, Bytes(40, 0x01)); // shrinks by 40
        // echo with options
        Ip4Spec es = spec4(e, kProtoIcmp);
        es.options = rr;
        const Bytes msg = icmp4(8, 0, echo_rest(3, 4), pattern(20));
        RunResult r = run_eg(ipv4(es, msg));
        Ip6View v = check_v6(r, e.clat6, e.server6, 0, 61, kProtoIcmpv6, msg.size());
        CHECK(v.l4 == icmp6(e.clat6, e.server6, 128, 0, echo_rest(3, 4), pattern(20)));
    }
    SECTION("inner non-first fragment: Fragment header, bytes untouched") {
        Env e = setup("2001:db8:122::/48");
        Ip4Spec s{.src = e.server4, .dst = e.clat4, .proto = kProtoUdp};
        s.frag_offset_bytes = 1480;
        s.id = 0x5555;
        const Bytes piece = pattern(64, 0x30);
        Ip6Spec s6{.src = e.server6, .dst = e.clat6, .next_header = kProtoFragment};
        const Bytes inner6 = ipv6(s6, cat({ext_fragment(kProtoUdp, 1480, false, 0x5555), piece}));
        const Bytes msg = icmp4(11, 1, 0, ipv4(s, piece));
        RunResult r = run_eg(ipv4(spec4(e, kProtoIcmp), msg));
        Ip6View v = check_v6(r, e.clat6, e.server6, 0, 61, kProtoIcmpv6, 8 + inner6.size());
        IcmpView ic = parse_icmp(v.l4);
        CHECK(ic.type == 3);
        CHECK(ic.code == 1);
        CHECK(l4_checksum_v6_ok(e.clat6, e.server6, kProtoIcmpv6, v.l4));
        CHECK(ic.body == inner6);
    }
    SECTION("inner fragment gets an inner Fragment header") {
        Env e = setup("2001:db8:122::/48");
        const Bytes dgram = udp(e.server4, e.clat4, UdpSpec{}, pattern(100));
        Ip4Spec s{.src = e.server4, .dst = e.clat4, .proto = kProtoUdp};
        s.mf = true;
        s.id = 0x4321;
        const Bytes piece = slice(dgram, 0, 48);
        Ip6Spec s6{.src = e.server6, .dst = e.clat6, .next_header = kProtoFragment};
        const Bytes dgram6 = udp(e.server6, e.clat6, UdpSpec{}, pattern(100));
        const Bytes inner6 =
            ipv6(s6, cat({ext_fragment(kProtoUdp, 0, true, 0x4321), slice(dgram6, 0, 48)}));
        const Bytes msg = icmp4(11, 1, 0, ipv4(s, piece));
        RunResult r = run_eg(ipv4(spec4(e, kProtoIcmp), msg));
        Ip6View v = check_v6(r, e.clat6, e.server6, 0, 61, kProtoIcmpv6, 8 + inner6.size());
        IcmpView ic = parse_icmp(v.l4);
        CHECK(ic.type == 3);
        CHECK(ic.code == 1);
        CHECK(l4_checksum_v6_ok(e.clat6, e.server6, kProtoIcmpv6, v.l4));
        REQUIRE(ic.body.size() == inner6.size());
        CHECK(slice(ic.body, 0, 54) == slice(inner6, 0, 54));
        CHECK(same_csum(get16(ic.body, 54), get16(inner6, 54)));
        CHECK(slice(ic.body, 56) == slice(inner6, 56));
        Ip6View iv = parse_ipv6(ic.body);
        REQUIRE(iv.frag);
        CHECK(iv.frag->id == 0x4321);
        CHECK(iv.frag->more);
    }
    SECTION("ICMPv6 error is cut to 1280 bytes (RFC 4443 2.4c)") {
        Env e = setup("2001:db8:100::/40");
        error_case(e, 3, 3, 0, inner_udp(e, 1400), 1, 4, 0);
        error_case(e, 3, 3, 0, inner_tcp(e, 1300), 1, 4, 0);
        // exactly at the limit and one byte over
        error_case(e, 3, 3, 0, inner_udp(e, 1240 - 8 - 48), 1, 4, 0);
        error_case(e, 3, 3, 0, inner_udp(e, 1240 - 8 - 48 + 1), 1, 4, 0);
    }
    SECTION("RFC 4884 extension is removed") {
        Env e = setup("2001:db8:100::/40");
        const Inner in = inner_udp(e, 300);
        const Bytes quoted = slice(in.v4, 0, 128);
        const Bytes ext{0x20, 0x00, 0x12, 0x34, 0x00, 0x08, 0x01, 0x01, 1, 2, 3, 4};
        const Bytes msg = icmp4(3, 3, 32u << 16, cat({quoted, ext}));
        RunResult r = run_eg(ipv4(spec4(e, kProtoIcmp), msg));
        Ip6View v = check_v6(r, e.clat6, e.server6, 0, 61, kProtoIcmpv6, 8 + 128 + 20);
        IcmpView ic = parse_icmp(v.l4);
        CHECK(ic.type == 1);
        CHECK(ic.code == 4);
        CHECK(ic.rest == 0);
        CHECK(l4_checksum_v6_ok(e.clat6, e.server6, kProtoIcmpv6, v.l4));
        check_inner(ic.body, in, 148);
    }
}

TEST_CASE("egress drops ICMP errors with a bad inner packet", "[egress]") {
    Env e = setup("2001:db8:122::/48");
    auto err = [&](const Bytes& inner) {
        return ipv4(spec4(e, kProtoIcmp), icmp4(3, 3, 0, inner));
    };
    SECTION("error inside an error") {
        Ip4Spec s{.src = e.server4, .dst = e.clat4, .proto = kProtoIcmp};
        expect_drop(err(ipv4(s, icmp4(3, 1, 0, inner_udp(e, 8).v4))),
                    COLATRL_CNT_EG_DROP_ICMP_INNER);
        expect_drop(err(ipv4(s, icmp4(13, 0, 0, pattern(12)))), COLATRL_CNT_EG_DROP_ICMP_INNER);
    }
    SECTION("ICMPv4 checksum wrong: dropped, not laundered by the recomputation") {
        const Bytes good = icmp4(3, 3, 0, inner_udp(e, 16).v4);
        const auto c = static_cast<uint16_t>(get16(good, 2) ^ 0x0101);
        expect_drop(ipv4(spec4(e, kProtoIcmp), icmp4(3, 3, 0, inner_udp(e, 16).v4, c)),
                    COLATRL_CNT_EG_DROP_ICMP_CSUM);
    }
    SECTION("inner packet not addressed to the CLAT") {
        Ip4Spec s{.src = e.server4, .dst = v4(kOtherClat4), .proto = kProtoUdp};
        expect_drop(err(ipv4(s, udp(s.src, s.dst, UdpSpec{}, pattern(8)))),
                    COLATRL_CNT_EG_DROP_ICMP_INNER);
    }
    SECTION("malformed inner: version, IHL, length, short") {
        Bytes in = inner_udp(e, 16).v4;
        Bytes bad = in;
        bad[0] = 0x65;
        expect_drop(err(bad), COLATRL_CNT_EG_DROP_ICMP_INNER);
        bad = in;
        bad[0] = 0x44;
        expect_drop(err(bad), COLATRL_CNT_EG_DROP_ICMP_INNER);
        bad = in;
        put16(bad, 2, 12); // total length < header
        expect_drop(err(bad), COLATRL_CNT_EG_DROP_ICMP_INNER);
        expect_drop(err(slice(in, 0, 24)), COLATRL_CNT_EG_DROP_ICMP_INNER); // < 8 L4 bytes
        expect_drop(err(slice(in, 0, 12)), COLATRL_CNT_EG_DROP_ICMP_INNER);
    }
}

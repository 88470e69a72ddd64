// SPDX-License-Identifier: GPL-2.0-or-later
// Ingress ICMPv6 -> ICMPv4 (RFC 7915 §5.2, §5.3): informational types dropped,
// the error type/code and Parameter Problem tables (bpf/xlat_icmp.h), Packet
// Too Big MTU, RFC 4884 extensions, the 576-byte cut, the packet inside errors
// and errors from routers outside PREF64.
#include "ingress_checks.hpp"

#include <catch2/catch.hpp>

#include <linux/pkt_cls.h>

#include <string>
#include <utility>
#include <vector>

using namespace colatrl;
using namespace colatrl::test;
using namespace colatrl::test::addrs;
using namespace colatrl::test::ingress;

// RFC 7915 §5.2: informational types other than echo are dropped.
TEST_CASE("ingress: ICMPv6 informational types other than echo are dropped", "[ingress]") {
    for (uint8_t t : {uint8_t{130}, uint8_t{131}, uint8_t{132}, uint8_t{133}, uint8_t{134},
                      uint8_t{135}, uint8_t{136}, uint8_t{137}, uint8_t{143}, uint8_t{200}}) {
        INFO("ICMPv6 type " << int{t});
        Env e = setup("2001:db8:122:344::/64");
        const Bytes f =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoIcmpv6},
                   icmp6(e.server6, e.clat6, t, 0, 0, pattern(16)));
        expect_drop(f, COLATRL_CNT_IN_DROP_ICMP_TYPE);
    }
    SECTION("neighbour discovery from a link-local source passes untouched") {
        Env e = setup("2001:db8:122:344::/64");
        const auto ll = v6("fe80::1");
        const Bytes f = frame6(
            Ip6Spec{.src = ll, .dst = e.clat6, .next_header = kProtoIcmpv6, .hop_limit = 255},
            icmp6(ll, e.clat6, 135, 0, 0, cat({e.clat6.bytes, Bytes{1, 1, 2, 0, 0, 0, 0, 1}})));
        expect_pass(f, COLATRL_CNT_IN_PASS_NOT_PREF64_SRC);
    }
}

// RFC 7915 §5.2-5.3: errors and their inner packets.
TEST_CASE("ingress: ICMPv6 error type/code mapping with the inner packet", "[ingress]") {
    struct Map {
        uint8_t type6, code6;
        uint32_t rest6;
        bool xlat;
        uint8_t type4, code4;
        uint32_t rest4;
    };
    const Map maps[] = {
        {1, 0, 0, true, 3, 1, 0},           {1, 1, 0, true, 3, 10, 0},
        {1, 2, 0, true, 3, 1, 0},           {1, 3, 0, true, 3, 1, 0},
        {1, 4, 0, true, 3, 3, 0},           {1, 5, 0, false, 0, 0, 0},
        {1, 6, 0, false, 0, 0, 0},          {1, 7, 0, false, 0, 0, 0},
        {1, 8, 0, false, 0, 0, 0},          {2, 0, 1400, true, 3, 4, 1380},
        {3, 0, 0, true, 11, 0, 0},          {3, 1, 0, true, 11, 1, 0},
        {4, 0, 0, true, 12, 0, 0u << 24},   {4, 0, 1, true, 12, 0, 1u << 24},
        {4, 0, 2, false, 0, 0, 0},          {4, 0, 3, false, 0, 0, 0},
        {4, 0, 4, true, 12, 0, 2u << 24},   {4, 0, 5, true, 12, 0, 2u << 24},
        {4, 0, 6, true, 12, 0, 9u << 24},   {4, 0, 7, true, 12, 0, 8u << 24},
        {4, 0, 8, true, 12, 0, 12u << 24},  {4, 0, 23, true, 12, 0, 12u << 24},
        {4, 0, 24, true, 12, 0, 16u << 24}, {4, 0, 39, true, 12, 0, 16u << 24},
        {4, 0, 40, false, 0, 0, 0},         {4, 1, 40, true, 3, 2, 0},
        {4, 2, 0, false, 0, 0, 0},          {4, 3, 0, false, 0, 0, 0},
        {5, 0, 0, false, 0, 0, 0},          {100, 0, 0, false, 0, 0, 0},
        {127, 0, 0, false, 0, 0, 0},
    };
    for (const auto& pc : kPrefixes) {
        for (const auto& m : maps) {
            INFO("prefix " << pc.text << " ICMPv6 " << int{m.type6} << "/" << int{m.code6}
                           << " rest " << m.rest6);
            Env e = setup(pc.text);
            Inner in = inner_udp(e, 30, 61, 0x10);
            const Bytes f =
                icmp6_error(e, e.server6, m.type6, m.code6, m.rest6, in.packet, SIZE_MAX, 44, 0x20);
            if (!m.xlat) {
                expect_drop(f, COLATRL_CNT_IN_DROP_ICMP_TYPE);
                continue;
            }
            auto r = run_in(f);
            const size_t msg = 8 + 20 + in.l4.size();
            auto o = check_error(r, e, e.server4, m.type4, m.code4, m.rest4, msg, 44,
                                 20 + in.l4.size(), kProtoUdp, 61, 0x20);
            CHECK(o.outer.tos == 0x20);
            CHECK(o.inner.tos == 0x10);
            CHECK(o.inner.id == 0);
            CHECK_FALSE(o.inner.df);
            CHECK_FALSE(o.inner.mf);
            CHECK(o.inner.frag_offset_bytes == 0);
            // Whole inner UDP datagram quoted: its checksum must verify as IPv4.
            CHECK(l4_checksum_v4_ok(e.clat4, e.server4, kProtoUdp, o.inner.l4));
            CHECK(slice(o.inner.l4, 8) == slice(in.l4, 8));
            expect_counters({COLATRL_CNT_IN_XLAT, COLATRL_CNT_IN_XLAT_ICMP_ERROR}, f.size());
        }
    }
}

TEST_CASE("ingress: Packet Too Big -> Fragmentation Needed MTU", "[ingress]") {
    struct Mtu {
        uint32_t mtu6;
        uint16_t uplink;
        bool inner_frag;
        uint32_t mtu4;
    };
    const Mtu cases[] = {
        {1400, 1500, false, 1380},   {1280, 1500, false, 1260}, {1400, 1300, false, 1280},
        {1400, 1500, true, 1372},    {1280, 1500, true, 1252},  {9000, 9000, false, 8980},
        {100000, 1500, false, 1480},
    };
    for (const auto& c : cases) {
        INFO("mtu6 " << c.mtu6 << " uplink " << c.uplink << " inner frag " << c.inner_frag);
        Env e = setup("2001:db8:122::/48", 0, false, c.uplink);
        Bytes inner;
        Bytes l4;
        size_t inner_total = 0;
        if (c.inner_frag) {
            l4 = udp(e.clat6, e.server6, UdpSpec{}, pattern(100));
            inner = ipv6(Ip6Spec{.src = e.clat6, .dst = e.server6, .next_header = kProtoFragment},
                         cat({ext_fragment(kProtoUdp, 0, true, 0xabcd1234), l4}));
            inner_total = 20 + l4.size();
        } else {
            Inner in = inner_udp(e, 100, 64);
            inner = in.packet;
            l4 = in.l4;
            inner_total = 20 + l4.size();
        }
        const Bytes f = icmp6_error(e, e.server6, 2, 0, c.mtu6, inner);
        auto r = run_in(f);
        auto o = check_error(r, e, e.server4, 3, 4, c.mtu4, 8 + 20 + l4.size(), 60, inner_total,
                             kProtoUdp, 64);
        CHECK(o.icmp.mtu() == c.mtu4);
        if (c.inner_frag) {
            CHECK(o.inner.id == 0x1234);
            CHECK(o.inner.mf);
            CHECK_FALSE(o.inner.df);
        }
        CHECK(l4_checksum_v4_ok(e.clat4, e.server4, kProtoUdp, o.inner.l4));
    }
}

// RFC 4884 §4.5: ICMPv6 Destination Unreachable and Time Exceeded carry the
// length of the original datagram (64-bit words) in their first byte after the
// checksum; what follows it is an extension structure, not quoted packet. RFC 7915
// §5.2: the translated message has no extension (length 0), like egress.
TEST_CASE("ingress: RFC 4884 extensions of ICMPv6 errors are not quoted", "[ingress]") {
    // RFC 4884 §7 extension header (version 2) and one 8-byte object.
    const Bytes ext = {0x20, 0x00, 0x00, 0x00, 0x00, 0x08, 0x01, 0x01, 0xde, 0xad, 0xbe, 0xef};
    struct Case {
        uint8_t type6, code6, type4, code4;
    };
    for (const Case c : {Case{1, 4, 3, 3}, Case{3, 0, 11, 0}}) {
        INFO("ICMPv6 " << int{c.type6} << "/" << int{c.code6});
        Env e = setup("2001:db8:122::/48");
        Inner in = inner_udp(e, 200, 61); // 248 bytes; 128 of them quoted (padded size)
        const Bytes quoted = slice(in.packet, 0, 128);
        const uint32_t len_words = 128 / 8;
        const Bytes f = frame6(
            Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoIcmpv6, .hop_limit = 60},
            icmp6(e.server6, e.clat6, c.type6, c.code6, len_words << 24, cat({quoted, ext})));
        auto r = run_in(f);
        const size_t msg = 8 + 20 + (128 - 40);
        auto o = check_error(r, e, e.server4, c.type4, c.code4, 0, msg, 60, 20 + in.l4.size(),
                             kProtoUdp, 61);
        CHECK(slice(o.inner.l4, 8) == slice(in.l4, 8, 128 - 48));
        expect_counters({COLATRL_CNT_IN_XLAT, COLATRL_CNT_IN_XLAT_ICMP_ERROR}, f.size());

        // A length that points past the message is no extension (RFC 4884 §5):
        // everything is quoted.
        Harness::get().reset_counters();
        const Bytes g = frame6(
            Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoIcmpv6, .hop_limit = 60},
            icmp6(e.server6, e.clat6, c.type6, c.code6, 200u << 24, quoted));
        auto r2 = run_in(g);
        check_error(r2, e, e.server4, c.type4, c.code4, 0, 8 + 20 + 88, 60, 20 + in.l4.size(),
                    kProtoUdp, 61);
    }
}

TEST_CASE("ingress: ICMPv4 errors are cut to 576 bytes", "[ingress]") {
    for (const auto& pc : kPrefixes) {
        INFO("prefix " << pc.text);
        Env e = setup(pc.text);
        Inner in = inner_udp(e, 1400); // 1448-byte IPv6 packet, 1428 as IPv4
        // An IPv6 error may quote up to 1280 - 48 bytes of it.
        const Bytes f = icmp6_error(e, e.server6, 2, 0, 1280, in.packet, 1232);
        auto r = run_in(f);
        auto o =
            check_error(r, e, e.server4, 3, 4, 1260, 556, 60, 20 + in.l4.size(), kProtoUdp, 63);
        CHECK(o.outer.total_length == 576);
        CHECK(o.inner.df); // the original 1428-byte IPv4 packet is > 1260
        CHECK(o.inner.id == 0);
        // Quoted inner UDP: header with the checksum updated for IPv4 (checked
        // against the full original segment), then the original payload prefix.
        REQUIRE(o.inner.l4.size() == 556 - 28);
        Bytes full = in.l4;
        full[6] = o.inner.l4[6];
        full[7] = o.inner.l4[7];
        CHECK(l4_checksum_v4_ok(e.clat4, e.server4, kProtoUdp, full));
        CHECK(slice(o.inner.l4, 0, 6) == slice(in.l4, 0, 6));
        CHECK(slice(o.inner.l4, 8) == slice(in.l4, 8, 556 - 28 - 8));
        expect_counters({COLATRL_CNT_IN_XLAT, COLATRL_CNT_IN_XLAT_ICMP_ERROR}, f.size());
    }
}

TEST_CASE("ingress: inner TCP, inner ICMP echo and inner extension headers", "[ingress]") {
    SECTION("inner TCP segment (neutral and not)") {
        for (bool neutral : {false, true}) {
            Env e = setup("2001:db8:122:344::/96", 0, neutral);
            const Bytes seg = tcp(e.clat6, e.server6, TcpSpec{.flags = kTcpSyn}, pattern(12));
            const Bytes inner = ipv6(
                Ip6Spec{.src = e.clat6, .dst = e.server6, .next_header = kProtoTcp, .hop_limit = 2},
                seg);
            const Bytes f = icmp6_error(e, e.server6, 1, 4, 0, inner);
            auto o = check_error(run_in(f), e, e.server4, 3, 3, 0, 8 + 20 + seg.size(), 60,
                                 20 + seg.size(), kProtoTcp, 2);
            CHECK(l4_checksum_v4_ok(e.clat4, e.server4, kProtoTcp, o.inner.l4));
        }
    }
    SECTION("inner ICMP echo request") {
        Env e = setup("2001:db8:122:344::/64");
        const Bytes echo = icmp6(e.clat6, e.server6, 128, 0, echo_rest(9, 10), pattern(56));
        const Bytes inner = ipv6(
            Ip6Spec{.src = e.clat6, .dst = e.server6, .next_header = kProtoIcmpv6, .hop_limit = 1},
            echo);
        const Bytes f = icmp6_error(e, e.server6, 3, 0, 0, inner);
        auto o = check_error(run_in(f), e, e.server4, 11, 0, 0, 8 + 20 + echo.size(), 60,
                             20 + echo.size(), kProtoIcmp, 1);
        auto ie = parse_icmp(o.inner.l4);
        REQUIRE(ie.ok);
        CHECK(ie.type == 8);
        CHECK(ie.id() == 9);
        CHECK(ie.seq() == 10);
        CHECK(rfc1071_ok(o.inner.l4));
        CHECK(ie.body == pattern(56));
    }
    SECTION("inner ICMP echo quoted only in part: checksum of the whole original") {
        Env e = setup("2001:db8:122:344::/64");
        const Bytes echo = icmp6(e.clat6, e.server6, 128, 0, echo_rest(9, 10), pattern(1200));
        const Bytes inner =
            ipv6(Ip6Spec{.src = e.clat6, .dst = e.server6, .next_header = kProtoIcmpv6}, echo);
        const Bytes f = icmp6_error(e, e.server6, 2, 0, 1280, inner, 1232);
        auto o = check_error(run_in(f), e, e.server4, 3, 4, 1260, 556, 60, 20 + echo.size(),
                             kProtoIcmp, 64);
        Bytes full = echo;
        full[0] = 8;
        full[2] = o.inner.l4[2];
        full[3] = o.inner.l4[3];
        CHECK(rfc1071_ok(full));
        CHECK(o.inner.l4[0] == 8);
    }
    SECTION("inner destination options header is removed") {
        Env e = setup("2001:db8:122:344::/64");
        const Bytes seg = udp(e.clat6, e.server6, UdpSpec{}, pattern(20));
        const Bytes inner =
            ipv6(Ip6Spec{.src = e.clat6, .dst = e.server6, .next_header = kProtoDstOpts},
                 cat({ext_dest_opts(kProtoUdp, pattern(10)), seg}));
        const Bytes f = icmp6_error(e, e.server6, 1, 0, 0, inner);
        auto o = check_error(run_in(f), e, e.server4, 3, 1, 0, 8 + 20 + seg.size(), 60,
                             20 + seg.size(), kProtoUdp, 64);
        CHECK(l4_checksum_v4_ok(e.clat4, e.server4, kProtoUdp, o.inner.l4));
    }
    SECTION("outer extension headers before the ICMPv6 error are removed") {
        Env e = setup("2001:db8:122:344::/64");
        Inner in = inner_udp(e, 20);
        const Bytes msg = icmp6(e.server6, e.clat6, 1, 4, 0, in.packet);
        const Bytes f =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoDstOpts},
                   cat({ext_dest_opts(kProtoIcmpv6), msg}));
        auto o = check_error(run_in(f), e, e.server4, 3, 3, 0, 8 + 20 + in.l4.size(), 64,
                             20 + in.l4.size(), kProtoUdp, 63);
        CHECK(l4_checksum_v4_ok(e.clat4, e.server4, kProtoUdp, o.inner.l4));
    }
}

TEST_CASE("ingress: invalid inner packets of ICMPv6 errors are dropped", "[ingress]") {
    Env e = setup("2001:db8:122:344::/64");
    auto& h = Harness::get();
    SECTION("an error inside an error") {
        Inner in = inner_udp(e, 20);
        const Bytes nested = icmp6(e.clat6, e.server6, 1, 4, 0, in.packet);
        const Bytes inner =
            ipv6(Ip6Spec{.src = e.clat6, .dst = e.server6, .next_header = kProtoIcmpv6}, nested);
        expect_drop(icmp6_error(e, e.server6, 1, 0, 0, inner), COLATRL_CNT_IN_DROP_ICMP_INNER);
    }
    SECTION("inner source is not the CLAT") {
        const Bytes seg = udp(e.server6, e.server6, UdpSpec{}, pattern(8));
        const Bytes inner =
            ipv6(Ip6Spec{.src = e.server6, .dst = e.server6, .next_header = kProtoUdp}, seg);
        expect_drop(icmp6_error(e, e.server6, 1, 0, 0, inner), COLATRL_CNT_IN_DROP_ICMP_INNER);
    }
    SECTION("inner destination outside PREF64") {
        const auto other = v6("2001:db8:9999::1");
        const Bytes seg = udp(e.clat6, other, UdpSpec{}, pattern(8));
        const Bytes inner =
            ipv6(Ip6Spec{.src = e.clat6, .dst = other, .next_header = kProtoUdp}, seg);
        expect_drop(icmp6_error(e, e.server6, 1, 0, 0, inner), COLATRL_CNT_IN_DROP_ICMP_INNER);
    }
    SECTION("inner header truncated") {
        Inner in = inner_udp(e, 20);
        expect_drop(icmp6_error(e, e.server6, 1, 0, 0, in.packet, 30),
                    COLATRL_CNT_IN_DROP_ICMP_INNER);
    }
    SECTION("inner is not IPv6") {
        Inner in = inner_udp(e, 20);
        in.packet[0] = 0x45;
        expect_drop(icmp6_error(e, e.server6, 1, 0, 0, in.packet), COLATRL_CNT_IN_DROP_ICMP_INNER);
    }
    SECTION("corrupted ICMPv6 error checksum (not laundered into a valid ICMPv4 one)") {
        Inner in = inner_udp(e, 20);
        Bytes f = icmp6_error(e, e.server6, 1, 4, 0, in.packet);
        f.back() ^= 0x01;
        expect_drop(f, COLATRL_CNT_IN_DROP_ICMP_CSUM);
        h.reset_counters();
        Bytes g = icmp6_error(e, e.server6, 1, 4, 0, in.packet);
        g[14 + 40 + 2] ^= 0x80; // the checksum field itself
        expect_drop(g, COLATRL_CNT_IN_DROP_ICMP_CSUM);
    }
    SECTION("ICMPv6 header truncated") {
        const Bytes f = frame6(
            Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoIcmpv6}, Bytes{1, 0, 0});
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    (void)h;
}

// RFC 7915 §5.2, RFC 6791 / RFC 7600 dummy source.
TEST_CASE("ingress: errors from routers outside PREF64 get source 192.0.0.8", "[ingress]") {
    for (const auto& pc : kPrefixes) {
        INFO("prefix " << pc.text);
        Env e = setup(pc.text);
        const auto router = v6("3fff::1");
        Inner in = inner_udp(e, 24, 1);
        const Bytes f = icmp6_error(e, router, 3, 0, 0, in.packet, SIZE_MAX, 250);
        auto o = check_error(run_in(f), e, Ipv4Addr::from_host(COLATRL_ICMP_DUMMY_V4), 11, 0, 0,
                             8 + 20 + in.l4.size(), 250, 20 + in.l4.size(), kProtoUdp, 1);
        CHECK(l4_checksum_v4_ok(e.clat4, e.server4, kProtoUdp, o.inner.l4));
        expect_counters({COLATRL_CNT_IN_XLAT, COLATRL_CNT_IN_XLAT_ICMP_ERROR,
                         COLATRL_CNT_IN_XLAT_ICMP_FOREIGN_SRC},
                        f.size());
    }
    SECTION("non-errors from outside PREF64 pass untouched") {
        Env e = setup("2001:db8:122:344::/64");
        const auto router = v6("3fff::1");
        const Bytes f = frame6(Ip6Spec{.src = router, .dst = e.clat6, .next_header = kProtoIcmpv6},
                               icmp6(router, e.clat6, 129, 0, echo_rest(1, 2), pattern(8)));
        expect_pass(f, COLATRL_CNT_IN_PASS_NOT_PREF64_SRC);
    }
}

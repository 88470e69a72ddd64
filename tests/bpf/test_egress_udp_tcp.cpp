// SPDX-License-Identifier: GPL-2.0-or-later
// Egress (IPv4 -> IPv6, RFC 7915 §4) of TCP, UDP and ICMP echo through
// BPF_PROG_TEST_RUN: every prefix length, RFC 6052 vectors, TOS/TTL, UDP
// checksum 0, fragments, IPv4 options, GSO. The kernel itself fragments for
// the IPv6 MTU and sends Fragmentation Needed before tc (IPv4 route MTU =
// IPv6 MTU - 28), so those rules are integration tests; the programs never
// generate ICMP; the hop limit is copied (docs/decisions.md, Datapath); the
// raw-IP variant runs on a tun device in test_tun.cpp.
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

TEST_CASE("egress translates UDP, TCP and ICMP echo for every PREF64 length", "[egress]") {
    for (const auto& [p, len] : kPrefixes) {
        SECTION(std::string("non-neutral ") + p) {
            Env e = setup(p);
            udp_case(e, 100);
            udp_case(e, 333); // odd length
            tcp_case(e, 200);
            echo_case(e, 8, 128, 56);
            echo_case(e, 0, 129, 57);
        }
    }
    for (const char* p : {"2001:db8::/32", "2001:db8:122:344::/96", kWkp}) {
        SECTION(std::string("checksum-neutral ") + p) {
            Env e = setup(p, 0, true);
            udp_case(e, 100);
            tcp_case(e, 200);
            echo_case(e, 8, 128, 56);
        }
    }
}

TEST_CASE("egress embeds the RFC 6052 Table 1 vectors", "[egress]") {
    // RFC 6052 §2.4 Table 1: 192.0.2.33 under each prefix, as printed in the RFC.
    const std::pair<const char*, const char*> table[] = {
        {"2001:db8::/32", "2001:db8:c000:221::"},
        {"2001:db8:100::/40", "2001:db8:1c0:2:21::"},
        {"2001:db8:122::/48", "2001:db8:122:c000:2:2100::"},
        {"2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"},
        {"2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"},
        {"2001:db8:122:344::/96", "2001:db8:122:344::c000:221"},
    };
    for (const auto& [p, want] : table) {
        SECTION(p) {
            Env e = setup(p, 0, false, 1500, "192.0.2.33");
            REQUIRE(e.server6.str() == v6(want).str());
            udp_case(e, 20);
        }
    }
}

TEST_CASE("egress copies TOS and TTL", "[egress]") {
    SECTION("TOS copied") {
        Env e = setup("2001:db8:122::/48");
        udp_case(e, 10, Csum::compute, 0xb9);
    }
    SECTION("TOS copied whatever the unused flag bits say") {
        Env e = setup("2001:db8:122::/48", 0xf8);
        udp_case(e, 10, Csum::compute, 0xb9);
    }
    SECTION("TTL 1 and 255 copied unchanged (host CLAT is not a router hop)") {
        Env e = setup("2001:db8:122::/48");
        for (uint8_t ttl : {uint8_t{1}, uint8_t{255}}) {
            const Bytes seg = udp(e.clat4, e.server4, UdpSpec{}, pattern(8));
            Ip4Spec s = spec4(e, kProtoUdp);
            s.ttl = ttl;
            RunResult r = run_eg(ipv4(s, seg));
            check_v6(r, e.clat6, e.server6, 0, ttl, kProtoUdp, seg.size());
        }
    }
}

TEST_CASE("egress computes a zero UDP checksum, drops fragmented ones", "[egress]") {
    SECTION("small, odd, multi-chunk and large datagrams") {
        for (const char* p : {"2001:db8::/32", "2001:db8:100::/40", kWkp}) {
            Env e = setup(p);
            // 502/503/1014/1015: a last 512-byte chunk of 510/511 bytes, whose
            // zero padding once wrapped onto the chunk's first byte.
            for (size_t n :
                 {size_t{0}, size_t{1}, size_t{13}, size_t{502}, size_t{503}, size_t{504},
                  size_t{505}, size_t{1014}, size_t{1015}, size_t{1472}, size_t{3001}}) {
                INFO("payload " << n << " prefix " << p);
                udp_case(e, n, Csum::zero);
            }
        }
    }
    SECTION("checksum-neutral config still computes it") {
        Env e = setup("2001:db8:122:344::/96", 0, true);
        udp_case(e, 77, Csum::zero);
    }
    SECTION("first fragment with checksum 0 is dropped") {
        Env e = setup("2001:db8:100::/40");
        Ip4Spec s = spec4(e, kProtoUdp);
        s.df = false;
        s.mf = true;
        expect_drop(ipv4(s, udp(e.clat4, e.server4, UdpSpec{.csum = Csum::zero}, pattern(64))),
                    COLATRL_CNT_EG_DROP_UDP_ZERO_CSUM_FRAG);
    }
}

TEST_CASE("egress maps IPv4 fragments onto the IPv6 Fragment header", "[egress]") {
    for (const char* p : {"2001:db8:122:300::/56", "2001:db8:122:344::/96"}) {
        SECTION(p) {
            Env e = setup(p);
            // One UDP datagram (checksum over all of it) cut in three pieces.
            const Bytes payload = pattern(2000, 5);
            const Bytes dgram = udp(e.clat4, e.server4, UdpSpec{.sport = 7, .dport = 9}, payload);
            const Bytes want6 = udp(e.clat6, e.server6, UdpSpec{.sport = 7, .dport = 9}, payload);
            struct Piece {
                size_t off, len;
                bool mf;
            };
            for (const Piece& pc : {Piece{0, 1480, true}, Piece{1480, 400, true},
                                    Piece{1880, dgram.size() - 1880, false}}) {
                INFO("fragment offset " << pc.off);
                Ip4Spec s = spec4(e, kProtoUdp);
                s.df = false;
                s.mf = pc.mf;
                s.id = 0xabcd;
                s.frag_offset_bytes = static_cast<uint16_t>(pc.off);
                const Bytes piece = slice(dgram, pc.off, pc.len);
                reset_counters();
                RunResult r = run_eg(ipv4(s, piece));
                Ip6View v = check_v6(r, e.clat6, e.server6, 0, 61, kProtoUdp, piece.size(),
                                     FragWant{static_cast<uint16_t>(pc.off), pc.mf, 0xabcd});
                if (pc.off == 0) {
                    // the checksum now covers the IPv6 pseudo header
                    CHECK(same_csum(get16(v.l4, 6), get16(want6, 6)));
                    CHECK(slice(v.l4, 0, 6) == slice(want6, 0, 6));
                    CHECK(slice(v.l4, 8) == slice(want6, 8, pc.len - 8));
                } else {
                    CHECK(v.l4 == piece); // payload untouched
                }
                expect_counters({COLATRL_CNT_EG_XLAT, COLATRL_CNT_EG_XLAT_FRAGMENT}, r.data.size());
            }
        }
    }
    SECTION("TCP first fragment gets its checksum updated") {
        Env e = setup("2001:db8::/32");
        const Bytes payload = pattern(600, 2);
        const Bytes seg = tcp(e.clat4, e.server4, TcpSpec{}, payload);
        const Bytes want6 = tcp(e.clat6, e.server6, TcpSpec{}, payload);
        Ip4Spec s = spec4(e, kProtoTcp);
        s.df = false;
        s.mf = true;
        s.id = 0x0102;
        const Bytes piece = slice(seg, 0, 256);
        RunResult r = run_eg(ipv4(s, piece));
        Ip6View v =
            check_v6(r, e.clat6, e.server6, 0, 61, kProtoTcp, 256, FragWant{0, true, 0x0102});
        CHECK(same_csum(get16(v.l4, 16), get16(want6, 16)));
        CHECK(slice(v.l4, 18) == slice(want6, 18, 256 - 18));
    }
    SECTION("DF=0 and DF=1 unfragmented packets get no Fragment header") {
        Env e = setup("2001:db8:122::/48");
        for (bool df : {false, true}) {
            const Bytes seg = udp(e.clat4, e.server4, UdpSpec{}, pattern(30));
            Ip4Spec s = spec4(e, kProtoUdp);
            s.df = df;
            check_v6(run_eg(ipv4(s, seg)), e.clat6, e.server6, 0, 61, kProtoUdp, seg.size());
        }
    }
    SECTION("other protocols are carried through, fragmented or not") {
        Env e = setup("2001:db8:122::/48");
        const Bytes gre = pattern(48, 0x40);
        Ip4Spec s = spec4(e, 47);
        RunResult r = run_eg(ipv4(s, gre));
        CHECK(check_v6(r, e.clat6, e.server6, 0, 61, 47, gre.size()).l4 == gre);
        s.df = false;
        s.frag_offset_bytes = 8;
        r = run_eg(ipv4(s, gre));
        CHECK(
            check_v6(r, e.clat6, e.server6, 0, 61, 47, gre.size(), FragWant{8, false, 0xbeef}).l4 ==
            gre);
    }
}

TEST_CASE("egress translates without IPv4 options, drops unexpired source routes", "[egress]") {
    Env e = setup("2001:db8:100::/40");
    const Bytes seg = udp(e.clat4, e.server4, UdpSpec{.sport = 1, .dport = 2}, pattern(40));
    auto with_opts = [&](Bytes opts) {
        Ip4Spec s = spec4(e, kProtoUdp);
        s.options = std::move(opts);
        return ipv4(s, seg);
    };
    SECTION("record route + NOP + EOL are dropped from the header, packet translated") {
        const Bytes pkt = with_opts({0x01, 0x07, 0x07, 0x04, 0, 0, 0, 0, 0x01, 0x00});
        reset_counters();
        RunResult r = run_eg(pkt);
        Ip6View v = check_v6(r, e.clat6, e.server6, 0, 61, kProtoUdp, seg.size());
        CHECK(slice(v.l4, 8) == pattern(40));
        CHECK(l4_checksum_v6_ok(e.clat6, e.server6, kProtoUdp, v.l4));
        expect_counters({COLATRL_CNT_EG_XLAT}, r.data.size());
    }
    SECTION("40 bytes of options (IHL 15)") {
        Bytes opts(40, 0x01);
        opts[39] = 0x00;
        RunResult r = run_eg(with_opts(opts));
        Ip6View v = check_v6(r, e.clat6, e.server6, 0, 61, kProtoUdp, seg.size());
        CHECK(l4_checksum_v6_ok(e.clat6, e.server6, kProtoUdp, v.l4));
    }
    SECTION("expired LSRR (pointer past the length) is translated") {
        RunResult r = run_eg(with_opts({0x83, 0x07, 0x08, 10, 0, 0, 1}));
        check_v6(r, e.clat6, e.server6, 0, 61, kProtoUdp, seg.size());
    }
    SECTION("unexpired LSRR / SSRR are dropped") {
        expect_drop(with_opts({0x83, 0x07, 0x04, 10, 0, 0, 1}), COLATRL_CNT_EG_DROP_SOURCE_ROUTE);
        expect_drop(with_opts({0x01, 0x89, 0x0b, 0x08, 10, 0, 0, 1, 10, 0, 0, 2}),
                    COLATRL_CNT_EG_DROP_SOURCE_ROUTE);
    }
    SECTION("option with a bad length is malformed") {
        expect_drop(with_opts({0x07, 0x01, 0, 0}), COLATRL_CNT_EG_DROP_MALFORMED);
        expect_drop(with_opts({0x07, 0x09, 0x04, 0}), COLATRL_CNT_EG_DROP_MALFORMED);
    }
}

TEST_CASE("egress translates TCP GSO packets once, drops other GSO", "[egress]") {
    Env e = setup("2001:db8:100::/40");
    SECTION("TCP") {
        // (BPF_PROG_TEST_RUN takes at most about a page of data)
        const Bytes payload = pattern(3000, 21);
        const Bytes seg = tcp(e.clat4, e.server4, TcpSpec{}, payload);
        reset_counters();
        RunResult r = run_eg(ipv4(spec4(e, kProtoTcp), seg), 1000);
        Ip6View v = check_v6(r, e.clat6, e.server6, 0, 61, kProtoTcp, seg.size());
        CHECK(parse_tcp(v.l4).payload == payload);
        CHECK(l4_checksum_v6_ok(e.clat6, e.server6, kProtoTcp, v.l4));
        expect_counters({COLATRL_CNT_EG_XLAT}, r.data.size());
    }
    SECTION("UDP") {
        expect_drop(ipv4(spec4(e, kProtoUdp), udp(e.clat4, e.server4, UdpSpec{}, pattern(3000))),
                    COLATRL_CNT_EG_DROP_GSO, 1400);
    }
    SECTION("IPv4 BIG TCP (Total Length 0)") {
        Ip4Spec s = spec4(e, kProtoTcp);
        s.total_length = 0;
        expect_drop(ipv4(s, tcp(e.clat4, e.server4, TcpSpec{}, pattern(3000))),
                    COLATRL_CNT_EG_DROP_GSO, 1000);
    }
}

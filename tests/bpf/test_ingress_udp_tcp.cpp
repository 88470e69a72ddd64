// SPDX-License-Identifier: GPL-2.0-or-later
// Ingress (IPv6 -> IPv4, RFC 7915 §5) of TCP, UDP and ICMP echo through
// BPF_PROG_TEST_RUN: every prefix length in both checksum modes, every IPv4
// header field, extension headers, fragments, GSO.
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

TEST_CASE("ingress: the test's RFC 6052 embedding matches the RFC examples", "[ingress]") {
    const auto a = v4(kRfc6052Example4);
    CHECK(embed6052(prefix_of("2001:db8::/32"), a) == v6("2001:db8:c000:221::"));
    CHECK(embed6052(prefix_of("2001:db8:100::/40"), a) == v6("2001:db8:1c0:2:21::"));
    CHECK(embed6052(prefix_of("2001:db8:122::/48"), a) == v6("2001:db8:122:c000:2:2100::"));
    CHECK(embed6052(prefix_of("2001:db8:122:300::/56"), a) == v6("2001:db8:122:3c0:0:221::"));
    CHECK(embed6052(prefix_of("2001:db8:122:344::/64"), a) == v6("2001:db8:122:344:c0:2:2100:0"));
    CHECK(embed6052(prefix_of("2001:db8:122:344::/96"), a) == v6("2001:db8:122:344::c000:221"));
    CHECK(embed6052(prefix_of(kWkp), a) == v6("64:ff9b::c000:221"));
    CHECK(embed6052(prefix_of("2001:db8:100::/40"), v4("198.51.100.2")) ==
          v6("2001:db8:1c6:3364:2::"));
}

// RFC 7915 §5.1, §5.5; RFC 6052 extraction at all six lengths, both checksum modes.
TEST_CASE("ingress: UDP, TCP and ICMP echo at every prefix length", "[ingress]") {
    for (const auto& pc : kPrefixes) {
        for (bool neutral : {false, true}) {
            if (neutral && pc.len != 32 && pc.len != 96) {
                continue; // neutrality exists only for /32 and /96
            }
            INFO("prefix " << pc.text << (neutral ? " neutral" : " non-neutral"));

            { // UDP
                Env e = setup(pc.text, 0, neutral);
                const Bytes data = pattern(100, 9);
                const Bytes seg =
                    udp(e.server6, e.clat6, UdpSpec{.sport = 53, .dport = 40000}, data);
                const Bytes f = frame6(Ip6Spec{.src = e.server6,
                                               .dst = e.clat6,
                                               .next_header = kProtoUdp,
                                               .tclass = 0x28,
                                               .flow_label = 0x12345,
                                               .hop_limit = 50},
                                       seg);
                auto r = run_in(f);
                auto ip = check_v4(r, Expect4{.src = e.server4,
                                              .dst = e.clat4,
                                              .proto = kProtoUdp,
                                              .tos = 0x28,
                                              .ttl = 50,
                                              .l4_len = seg.size()});
                auto u = parse_udp(ip.l4);
                REQUIRE(u.ok);
                CHECK(u.sport == 53);
                CHECK(u.dport == 40000);
                CHECK(u.length == seg.size());
                CHECK(u.payload == data);
                CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoUdp, ip.l4));
                if (neutral) {
                    CHECK(u.checksum == get16(seg, 6)); // the program left it alone
                }
                expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
            }
            { // TCP with options
                Env e = setup(pc.text, 0, neutral);
                const Bytes data = pattern(333, 1);
                TcpSpec ts{.sport = 443,
                           .dport = 50000,
                           .seq = 0x01020304,
                           .ack = 0xa0b0c0d0,
                           .flags = kTcpAck | kTcpPsh,
                           .window = 1234,
                           .urgent = 0};
                ts.options = {0x01, 0x01, 0x08, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8};
                const Bytes seg = tcp(e.server6, e.clat6, ts, data);
                const Bytes f = frame6(Ip6Spec{.src = e.server6,
                                               .dst = e.clat6,
                                               .next_header = kProtoTcp,
                                               .hop_limit = 255},
                                       seg);
                auto r = run_in(f);
                auto ip = check_v4(r, Expect4{.src = e.server4,
                                              .dst = e.clat4,
                                              .proto = kProtoTcp,
                                              .ttl = 255,
                                              .l4_len = seg.size()});
                auto t = parse_tcp(ip.l4);
                REQUIRE(t.ok);
                CHECK(t.sport == 443);
                CHECK(t.dport == 50000);
                CHECK(t.seq == 0x01020304);
                CHECK(t.ack == 0xa0b0c0d0);
                CHECK(t.flags == (kTcpAck | kTcpPsh));
                CHECK(t.window == 1234);
                CHECK(t.urgent == 0);
                CHECK(t.options == ts.options);
                CHECK(t.payload == data);
                CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoTcp, ip.l4));
                if (neutral) {
                    CHECK(t.checksum == get16(seg, 16));
                }
                expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
            }
            for (uint8_t type6 : {uint8_t{128}, uint8_t{129}}) { // echo request / reply
                Env e = setup(pc.text, 0, neutral);
                const Bytes data = pattern(57, 5); // odd length on purpose
                const Bytes msg = icmp6(e.server6, e.clat6, type6, 0, echo_rest(0x4242, 7), data);
                const Bytes f = frame6(Ip6Spec{.src = e.server6,
                                               .dst = e.clat6,
                                               .next_header = kProtoIcmpv6,
                                               .hop_limit = 1},
                                       msg);
                auto r = run_in(f);
                auto ip = check_v4(r, Expect4{.src = e.server4,
                                              .dst = e.clat4,
                                              .proto = kProtoIcmp,
                                              .ttl = 1,
                                              .l4_len = msg.size()});
                auto m = parse_icmp(ip.l4);
                REQUIRE(m.ok);
                CHECK(m.type == (type6 == 128 ? 8 : 0));
                CHECK(m.code == 0);
                CHECK(m.id() == 0x4242);
                CHECK(m.seq() == 7);
                CHECK(m.body == data);
                CHECK(rfc1071_ok(ip.l4));
                expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
            }
        }
    }
}

// RFC 7915 §5.1 header table: TOS, flow label, TTL, DF threshold, ID.
TEST_CASE("ingress: IPv4 header fields", "[ingress]") {
    SECTION("traffic class copied, whatever the unused flag bits say") {
        for (uint8_t flags : {uint8_t{0}, uint8_t{0xf8}}) {
            Env e = setup("2001:db8:122::/48", flags);
            const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(10));
            const Bytes f = frame6(
                Ip6Spec{.src = e.server6, .dst = e.clat6, .tclass = 0xb9, .hop_limit = 9}, seg);
            auto ip = check_v4(
                run_in(f),
                Expect4{
                    .src = e.server4, .dst = e.clat4, .tos = 0xb9, .ttl = 9, .l4_len = seg.size()});
            CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoUdp, ip.l4));
        }
    }
    SECTION("DF = 0 up to 1260 bytes, DF = 1 (ID 0) above") {
        for (size_t total : {size_t{1260}, size_t{1261}, size_t{1400}, size_t{48}}) {
            INFO("IPv4 total length " << total);
            Env e = setup("2001:db8:122:344::/64");
            const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(total - 28));
            const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, seg);
            Expect4 x{.src = e.server4, .dst = e.clat4, .df = total > 1260, .l4_len = seg.size()};
            if (total > 1260) {
                x.id = 0;
            }
            auto ip = check_v4(run_in(f), x);
            CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoUdp, ip.l4));
            expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
        }
    }
    SECTION("other transports are carried with their protocol number") {
        Env e = setup("2001:db8::/32");
        const Bytes body = pattern(40); // e.g. SCTP (132): bytes unchanged
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = 132}, body);
        auto ip = check_v4(
            run_in(f),
            Expect4{.src = e.server4, .dst = e.clat4, .proto = 132, .l4_len = body.size()});
        CHECK(ip.l4 == body);
        expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
    }
    SECTION("u octet and suffix bits are ignored") {
        Env e = setup("2001:db8:100::/40");
        Ipv6Addr src = e.server6;
        src.bytes[8] = 0xff;  // u
        src.bytes[15] = 0x01; // suffix
        const Bytes seg = udp(src, e.clat6, UdpSpec{}, pattern(20));
        const Bytes f = frame6(Ip6Spec{.src = src, .dst = e.clat6}, seg);
        auto ip =
            check_v4(run_in(f), Expect4{.src = e.server4, .dst = e.clat4, .l4_len = seg.size()});
        CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoUdp, ip.l4));
    }
    SECTION("u octet and suffix bits under a checksum-neutral /32 get the checksum update") {
        // Neutrality assumes the zero bits of our own embedding; these are not.
        Env e = setup("2001:db8::/32", 0, true);
        Ipv6Addr src = e.server6;
        src.bytes[8] = 0x12;
        src.bytes[13] = 0x34;
        for (uint8_t proto : {kProtoUdp, kProtoTcp}) {
            INFO("protocol " << int{proto});
            const Bytes seg = proto == kProtoUdp ? udp(src, e.clat6, UdpSpec{}, pattern(20))
                                                 : tcp(src, e.clat6, TcpSpec{}, pattern(20));
            const Bytes f = frame6(Ip6Spec{.src = src, .dst = e.clat6, .next_header = proto}, seg);
            auto ip = check_v4(
                run_in(f),
                Expect4{.src = e.server4, .dst = e.clat4, .proto = proto, .l4_len = seg.size()});
            CHECK(l4_checksum_v4_ok(e.server4, e.clat4, proto, ip.l4));
        }
    }
    SECTION("bytes after Payload Length are cut off, the rest translated") {
        Env e = setup("2001:db8:122:344::/64");
        const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(20));
        const Bytes f =
            cat({frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, seg), pattern(9, 0xa0)});
        reset_counters();
        auto ip =
            check_v4(run_in(f), Expect4{.src = e.server4, .dst = e.clat4, .l4_len = seg.size()});
        CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoUdp, ip.l4));
        expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
    }
}

// RFC 7915 §5.1 extension headers, and the bounded walk.
TEST_CASE("ingress: extension headers", "[ingress]") {
    SECTION("hop-by-hop, destination options, routing (SL 0) are removed") {
        Env e = setup("2001:db8:122:300::/56");
        const Bytes seg = tcp(e.server6, e.clat6, TcpSpec{.flags = kTcpSyn}, {});
        const Bytes exts =
            cat({ext_hop_by_hop(kProtoDstOpts, Bytes{0x1e, 0x02, 0, 0}),
                 ext_dest_opts(kProtoRouting), ext_routing(kProtoTcp, 0, 0, pattern(16))});
        const Bytes f =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoHopByHop},
                   cat({exts, seg}));
        auto ip = check_v4(
            run_in(f),
            Expect4{.src = e.server4, .dst = e.clat4, .proto = kProtoTcp, .l4_len = seg.size()});
        auto t = parse_tcp(ip.l4);
        REQUIRE(t.ok);
        CHECK(t.flags == kTcpSyn);
        CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoTcp, ip.l4));
        expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
    }
    SECTION("routing header with segments left != 0 is dropped") {
        Env e = setup("2001:db8:122:300::/56");
        const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(8));
        const Bytes f =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoRouting},
                   cat({ext_routing(kProtoUdp, 4, 1, pattern(16)), seg}));
        expect_drop(f, COLATRL_CNT_IN_DROP_ROUTING_HDR);
    }
    SECTION("more extension headers than the walk allows are dropped") {
        Env e = setup("2001:db8:122:300::/56");
        const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(8));
        Bytes exts;
        for (int i = 0; i < 5; ++i) {
            exts = cat({exts, ext_dest_opts(i == 4 ? kProtoUdp : kProtoDstOpts)});
        }
        const Bytes f =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoDstOpts},
                   cat({exts, seg}));
        expect_drop(f, COLATRL_CNT_IN_DROP_EXT_HDR);
    }
    SECTION("a truncated extension header is malformed") {
        Env e = setup("2001:db8:122:300::/56");
        Bytes ext = ext_dest_opts(kProtoUdp, pattern(20)); // 24 bytes
        const Bytes f =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoDstOpts},
                   slice(ext, 0, 6));
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    SECTION("fragment header followed by an extension header is dropped") {
        Env e = setup("2001:db8:122:300::/56");
        const Bytes f = frame6(
            Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoFragment},
            cat({ext_fragment(kProtoDstOpts, 0, true, 99), ext_dest_opts(kProtoUdp), pattern(16)}));
        expect_drop(f, COLATRL_CNT_IN_DROP_EXT_HDR);
        Harness::get().reset_counters();
        const Bytes ah =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoFragment},
                   cat({ext_fragment(51, 0, true, 99), pattern(24)}));
        expect_drop(ah, COLATRL_CNT_IN_DROP_EXT_HDR);
    }
}

// RFC 7915 §5.1.1 fragment header table; §1.2 (fragmented ICMP).
TEST_CASE("ingress: fragments", "[ingress]") {
    SECTION("first and last fragment of a UDP datagram") {
        Env e = setup("2001:db8:122:344::/96");
        const Bytes data = pattern(1500, 11);
        const Bytes seg = udp(e.server6, e.clat6, UdpSpec{.sport = 7, .dport = 9}, data);
        const Bytes part1 = slice(seg, 0, 1232), part2 = slice(seg, 1232);
        const Bytes f1 = frame6(
            Ip6Spec{
                .src = e.server6, .dst = e.clat6, .next_header = kProtoFragment, .hop_limit = 33},
            cat({ext_fragment(kProtoUdp, 0, true, 0xdeadbeef), part1}));
        const Bytes f2 = frame6(
            Ip6Spec{
                .src = e.server6, .dst = e.clat6, .next_header = kProtoFragment, .hop_limit = 33},
            cat({ext_fragment(kProtoUdp, 1232, false, 0xdeadbeef), part2}));
        auto ip1 = check_v4(run_in(f1), Expect4{.src = e.server4,
                                                .dst = e.clat4,
                                                .ttl = 33,
                                                .df = false,
                                                .mf = true,
                                                .frag_offset_bytes = 0,
                                                .id = 0xbeef,
                                                .l4_len = part1.size()});
        expect_counters({COLATRL_CNT_IN_XLAT, COLATRL_CNT_IN_XLAT_FRAGMENT}, f1.size());
        Harness::get().reset_counters();
        auto ip2 = check_v4(run_in(f2), Expect4{.src = e.server4,
                                                .dst = e.clat4,
                                                .ttl = 33,
                                                .df = false,
                                                .mf = false,
                                                .frag_offset_bytes = 1232,
                                                .id = 0xbeef,
                                                .l4_len = part2.size()});
        CHECK(ip2.l4 == part2); // non-first fragment: bytes untouched
        expect_counters({COLATRL_CNT_IN_XLAT, COLATRL_CNT_IN_XLAT_FRAGMENT}, f2.size());
        // The reassembled datagram carries a valid IPv4 UDP checksum.
        const Bytes whole = cat({ip1.l4, ip2.l4});
        CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoUdp, whole));
        CHECK(slice(whole, 8) == data);
    }
    SECTION("first fragment of TCP, non-neutral /40") {
        Env e = setup("2001:db8:100::/40");
        const Bytes seg = tcp(e.server6, e.clat6, TcpSpec{}, pattern(600));
        const Bytes f1 =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoFragment},
                   cat({ext_fragment(kProtoTcp, 0, true, 0x10002), slice(seg, 0, 304)}));
        const Bytes f2 =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoFragment},
                   cat({ext_fragment(kProtoTcp, 304, false, 0x10002), slice(seg, 304)}));
        auto ip1 = check_v4(run_in(f1), Expect4{.src = e.server4,
                                                .dst = e.clat4,
                                                .proto = kProtoTcp,
                                                .mf = true,
                                                .id = 2,
                                                .l4_len = 304});
        auto ip2 = check_v4(run_in(f2), Expect4{.src = e.server4,
                                                .dst = e.clat4,
                                                .proto = kProtoTcp,
                                                .frag_offset_bytes = 304,
                                                .id = 2,
                                                .l4_len = seg.size() - 304});
        CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoTcp, cat({ip1.l4, ip2.l4})));
    }
    SECTION("atomic fragment: translated, DF 0, ID from the header, not counted as fragment") {
        Env e = setup("2001:db8:122:344::/64");
        const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(1300));
        const Bytes f =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoFragment},
                   cat({ext_fragment(kProtoUdp, 0, false, 0x4321), seg}));
        auto ip = check_v4(
            run_in(f),
            Expect4{
                .src = e.server4, .dst = e.clat4, .df = false, .id = 0x4321, .l4_len = seg.size()});
        CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoUdp, ip.l4));
        expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
    }
    SECTION("fragment followed by ESP is translated") {
        Env e = setup("2001:db8:122:344::/64");
        const Bytes esp = pattern(64, 2);
        const Bytes f =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoFragment},
                   cat({ext_fragment(50, 8, false, 77), esp}));
        auto ip = check_v4(run_in(f), Expect4{.src = e.server4,
                                              .dst = e.clat4,
                                              .proto = 50,
                                              .frag_offset_bytes = 8,
                                              .id = 77,
                                              .l4_len = esp.size()});
        CHECK(ip.l4 == esp);
    }
    SECTION("fragmented ICMPv6 is dropped") {
        Env e = setup("2001:db8:122:344::/64");
        const Bytes msg = icmp6(e.server6, e.clat6, 128, 0, echo_rest(1, 1), pattern(100));
        const Bytes f =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoFragment},
                   cat({ext_fragment(kProtoIcmpv6, 0, true, 5), slice(msg, 0, 64)}));
        expect_drop(f, COLATRL_CNT_IN_DROP_ICMP_FRAGMENTED);
    }
}

TEST_CASE("ingress: GSO", "[ingress]") {
    SECTION("a TCP super-packet is translated once; DF from the segment size") {
        for (uint32_t gso : {1208u, 1400u}) {
            INFO("gso_size " << gso);
            Env e = setup("2001:db8:122:344::/64");
            const Bytes seg = tcp(e.server6, e.clat6, TcpSpec{}, pattern(gso * 2));
            const Bytes f =
                frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoTcp}, seg);
            // segment = 20 + 20 + gso: 1248 -> DF 0, 1440 -> DF 1
            auto ip = check_v4(run_in(f, gso), Expect4{.src = e.server4,
                                                       .dst = e.clat4,
                                                       .proto = kProtoTcp,
                                                       .df = gso > 1220,
                                                       .l4_len = seg.size()});
            CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoTcp, ip.l4));
            expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
        }
    }
    SECTION("a super-packet larger than 64 KiB (payload length 0) is dropped") {
        Env e = setup("2001:db8:122:344::/64");
        const Bytes f = frame6(
            Ip6Spec{
                .src = e.server6, .dst = e.clat6, .next_header = kProtoTcp, .payload_length = 0},
            tcp(e.server6, e.clat6, TcpSpec{}, pattern(2000)));
        expect_drop(f, COLATRL_CNT_IN_DROP_GSO, 1000);
    }
    SECTION("a UDP super-packet is dropped") {
        Env e = setup("2001:db8:122:344::/64");
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6},
                               udp(e.server6, e.clat6, UdpSpec{}, pattern(3000)));
        expect_drop(f, COLATRL_CNT_IN_DROP_GSO, 1000);
    }
}

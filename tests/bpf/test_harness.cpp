// SPDX-License-Identifier: GPL-2.0-or-later
// Self-tests of the test tools: the independent checksum against known
// values, builder/parser round trips, and that the programs load and pass a
// frame that is neither IPv4 nor IPv6.
#include "addrs.hpp"
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <linux/pkt_cls.h>

using namespace colatrl;
using namespace colatrl::test;
using namespace colatrl::test::addrs;

TEST_CASE("RFC 1071 checksum matches known examples", "[harness]") {
    // RFC 1071 §3 numerical example: the folded sum of these bytes is ddf2.
    const Bytes rfc_example{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK(rfc1071_fold(rfc1071_sum(rfc_example)) == 0xddf2);
    CHECK(rfc1071(rfc_example) == 0x220d);

    // A well-known IPv4 header (192.168.0.1 -> 192.168.0.199, UDP) whose
    // checksum is b861.
    Bytes hdr{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
              0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    CHECK(rfc1071(hdr) == 0xb861);
    CHECK_FALSE(rfc1071_ok(hdr));
    hdr[10] = 0xb8;
    hdr[11] = 0x61;
    CHECK(rfc1071_ok(hdr));

    // Odd length: the last byte is padded with zero on the right.
    CHECK(rfc1071(Bytes{0x01}) == 0xfeff);
    CHECK(rfc1071(Bytes{0x12, 0x34, 0x56}) == static_cast<uint16_t>(~(0x1234 + 0x5600)));
    // End-around carry.
    CHECK(rfc1071(Bytes{0xff, 0xff, 0x00, 0x02}) == static_cast<uint16_t>(~0x0002));
}

TEST_CASE("pseudo-header checksums agree with a hand computation", "[harness]") {
    const auto s4 = v4(kClat4), d4 = v4(kServer4);
    const Bytes seg{0x04, 0xd2, 0x16, 0x2e, 0x00, 0x0a, 0x00, 0x00, 0xab, 0xcd};
    // 192.0 + 0.1 + 198.51 + 100.7 + proto 17 + length 10 + segment words
    uint32_t sum =
        0xc000 + 0x0001 + 0xc633 + 0x6407 + 17 + 10 + 0x04d2 + 0x162e + 0x000a + 0x0000 + 0xabcd;
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    CHECK(l4_checksum_v4(s4, d4, kProtoUdp, seg) == static_cast<uint16_t>(~sum));

    const auto s6 = v6("2001:db8::1"), d6 = v6("64:ff9b::c633:6407");
    uint32_t sum6 = 0x2001 + 0x0db8 + 0x0001 + 0x0064 + 0xff9b + 0xc633 + 0x6407 + 10 + 17 +
                    0x04d2 + 0x162e + 0x000a + 0xabcd;
    while (sum6 >> 16) {
        sum6 = (sum6 & 0xffff) + (sum6 >> 16);
    }
    CHECK(l4_checksum_v6(s6, d6, kProtoUdp, seg) == static_cast<uint16_t>(~sum6));
}

TEST_CASE("IPv4 builder and parser round trip", "[harness]") {
    const auto src = v4(kClat4), dst = v4(kServer4);
    Ip4Spec s{.src = src, .dst = dst, .proto = kProtoUdp};
    s.tos = 0xb8;
    s.id = 0x1234;
    s.mf = true;
    s.frag_offset_bytes = 1480;
    s.ttl = 17;
    s.options = {0x01, 0x01, 0x07, 0x03, 0x04}; // NOP NOP RR(len 3, ptr 4); padded
    const Bytes seg = udp(src, dst, UdpSpec{.sport = 1234, .dport = 5678}, pattern(20));
    const Bytes pkt = ipv4(s, seg);
    REQUIRE(pkt.size() == 28 + 28);

    auto v = parse_ipv4(pkt);
    REQUIRE(v.ok);
    CHECK(v.version == 4);
    CHECK(v.ihl == 7);
    CHECK(v.tos == 0xb8);
    CHECK(v.total_length == 56);
    CHECK(v.id == 0x1234);
    CHECK_FALSE(v.df);
    CHECK(v.mf);
    CHECK_FALSE(v.rf);
    CHECK(v.frag_offset_bytes == 1480);
    CHECK(v.ttl == 17);
    CHECK(v.proto == kProtoUdp);
    CHECK(v.src == src);
    CHECK(v.dst == dst);
    CHECK(v.options == Bytes{0x01, 0x01, 0x07, 0x03, 0x04, 0, 0, 0});
    CHECK(v.header_checksum_ok);
    CHECK(v.l4 == seg);
    CHECK(v.trailing == 0);

    auto u = parse_udp(v.l4);
    REQUIRE(u.ok);
    CHECK(u.sport == 1234);
    CHECK(u.dport == 5678);
    CHECK(u.length == 28);
    CHECK(u.payload == pattern(20));
    CHECK(l4_checksum_v4_ok(src, dst, kProtoUdp, v.l4));

    // Overrides produce exactly the wrong values asked for.
    s.checksum = 0xbeef;
    s.total_length = 24;
    const Bytes bad = ipv4(s, seg);
    CHECK(get16(bad, 10) == 0xbeef);
    CHECK(get16(bad, 2) == 24);
    CHECK_FALSE(parse_ipv4(bad).ok); // total length shorter than the header
    CHECK_FALSE(parse_ipv4(slice(pkt, 0, 19)).ok);
}

TEST_CASE("IPv6 builder and parser round trip with extension headers", "[harness]") {
    const auto src = v6("2001:db8:1::5"), dst = v6("64:ff9b::c633:6407");
    const Bytes seg =
        tcp(src, dst,
            TcpSpec{.sport = 80, .dport = 40000, .seq = 7, .ack = 9, .flags = kTcpAck | kTcpPsh},
            pattern(33, 5));
    const Bytes exts =
        cat({ext_hop_by_hop(kProtoRouting), ext_routing(kProtoFragment, 0, 0, pattern(16)),
             ext_fragment(kProtoDstOpts, 2960, true, 0xdeadbeef),
             ext_dest_opts(kProtoTcp, Bytes{0x1e, 0x01, 0x00})});
    Ip6Spec s{.src = src, .dst = dst, .next_header = kProtoHopByHop};
    s.tclass = 0xb8;
    s.flow_label = 0x12345;
    s.hop_limit = 3;
    const Bytes pkt = ipv6(s, cat({exts, seg}));

    auto v = parse_ipv6(pkt);
    REQUIRE(v.ok);
    CHECK(v.version == 6);
    CHECK(v.tclass == 0xb8);
    CHECK(v.flow_label == 0x12345);
    CHECK(v.hop_limit == 3);
    CHECK(v.payload_length == exts.size() + seg.size());
    CHECK(v.next_header == kProtoHopByHop);
    CHECK(v.src == src);
    CHECK(v.dst == dst);
    REQUIRE(v.exts.size() == 4);
    CHECK(v.exts[0].type == kProtoHopByHop);
    CHECK(v.exts[0].raw.size() == 8);
    CHECK(v.exts[1].type == kProtoRouting);
    CHECK(v.exts[1].raw.size() == 24);
    CHECK(v.exts[2].type == kProtoFragment);
    CHECK(v.exts[3].type == kProtoDstOpts);
    CHECK(v.exts[3].raw.size() == 8);
    REQUIRE(v.routing_segments_left.has_value());
    CHECK(*v.routing_segments_left == 0);
    REQUIRE(v.frag.has_value());
    CHECK(v.frag->next == kProtoDstOpts);
    CHECK(v.frag->offset_bytes == 2960);
    CHECK(v.frag->more);
    CHECK(v.frag->id == 0xdeadbeef);
    CHECK(v.l4_proto == kProtoTcp);
    CHECK(v.l4_offset == 40 + exts.size());
    CHECK(v.l4 == seg);

    auto t = parse_tcp(v.l4);
    REQUIRE(t.ok);
    CHECK(t.sport == 80);
    CHECK(t.dport == 40000);
    CHECK(t.seq == 7);
    CHECK(t.ack == 9);
    CHECK(t.flags == (kTcpAck | kTcpPsh));
    CHECK(t.data_offset == 5);
    CHECK(t.payload == pattern(33, 5));
    CHECK(l4_checksum_v6_ok(src, dst, kProtoTcp, v.l4));
    CHECK_FALSE(l4_checksum_v6_ok(src, v6("64:ff9b::c633:6408"), kProtoTcp, v.l4));

    // A payload length beyond the buffer is reported, not read past.
    Ip6Spec longer = s;
    longer.payload_length = static_cast<uint16_t>(pkt.size());
    CHECK_FALSE(parse_ipv6(ipv6(longer, cat({exts, seg}))).ok);
}

TEST_CASE("UDP, ICMPv4 and ICMPv6 builders", "[harness]") {
    const auto s4 = v4(kClat4), d4 = v4("203.0.113.9");
    const Bytes zero = udp(s4, d4, UdpSpec{.csum = Csum::zero}, pattern(9));
    CHECK(get16(zero, 6) == 0);
    const Bytes given = udp(s4, d4, UdpSpec{.csum = Csum::given, .given = 0x1111}, pattern(9));
    CHECK(get16(given, 6) == 0x1111);
    const Bytes good = udp(s4, d4, UdpSpec{}, pattern(9));
    CHECK(get16(good, 6) != 0);
    CHECK(l4_checksum_v4_ok(s4, d4, kProtoUdp, good));

    const Bytes echo = icmp4(8, 0, echo_rest(0x4242, 7), pattern(56));
    CHECK(rfc1071_ok(echo));
    auto e = parse_icmp(echo);
    REQUIRE(e.ok);
    CHECK(e.type == 8);
    CHECK(e.code == 0);
    CHECK(e.id() == 0x4242);
    CHECK(e.seq() == 7);
    CHECK(e.body == pattern(56));

    const auto s6 = v6("64:ff9b::cb00:7109"), d6 = v6("2001:db8::464");
    const Bytes ptb = icmp6(s6, d6, 2, 0, 1280, pattern(48));
    CHECK(l4_checksum_v6_ok(s6, d6, kProtoIcmpv6, ptb));
    CHECK_FALSE(l4_checksum_v6_ok(d6, d6, kProtoIcmpv6, ptb)); // pseudo header counts
    auto p = parse_icmp(ptb);
    REQUIRE(p.ok);
    CHECK(p.type == 2);
    CHECK(p.rest == 1280);
}

TEST_CASE("make_config fills every field", "[harness]") {
    auto c = make_config(v4(kClat4), v6("2001:db8::c000:1"), kWkp, 1480,
                         COLATRL_F_TRANSLATE_NON_GLOBAL, 3);
    CHECK(c.pref64_len == 96);
    CHECK(c.ipv6_mtu == 1480);
    CHECK(c.counter_slot == 3);
    CHECK(c.flags == (COLATRL_F_TRANSLATE_NON_GLOBAL | COLATRL_F_PREF64_WKP));
    CHECK(reinterpret_cast<const uint8_t*>(&c.clat_v4)[0] == 192);
    CHECK(reinterpret_cast<const uint8_t*>(&c.clat_v4)[3] == 1);
    CHECK(c.pref64[1] == 0x64);
    CHECK(c.pref64[2] == 0xff);
    auto n = make_config(v4(kClat4), v6("2001:db8::1"), "2001:db8:6464::/48");
    CHECK(n.flags == 0);
    CHECK(n.pref64_len == 48);
    // Neutral pair: 2001:db8:6464::/96 with the CLAT IPv6 chosen so the sums match.
    CHECK_FALSE(csum_neutral(v4(kClat4), v6("2001:db8::1"), "2001:db8:6464::/96"));
    CHECK_FALSE(csum_neutral(v4(kClat4), v6("2001:db8::1"), "2001:db8::/40"));
}

TEST_CASE("programs pass a frame that is neither IPv4 nor IPv6", "[harness]") {
    auto& h = Harness::get();
    const Bytes arp = eth(kEthArp, pattern(28));

    SECTION("with a config") {
        h.set_config(1, make_config(v4(kClat4), v6("2001:db8::2"), kWkp, 1500, 0, 5));
        h.reset_counters();
        auto eg = h.run(Prog::egress_eth, arp);
        CHECK(eg.retval == TC_ACT_UNSPEC);
        CHECK(eg.data == arp);
        CHECK(h.counter(5, COLATRL_CNT_EG_PASS_NOT_IPV4).packets == 1);
        CHECK(h.counter(5, COLATRL_CNT_EG_PASS_NOT_IPV4).bytes == arp.size());
        CHECK(h.counter(5, COLATRL_CNT_EG_XLAT).packets == 0);

        auto in = h.run(Prog::ingress_eth, arp);
        CHECK(in.retval == TC_ACT_UNSPEC);
        CHECK(in.data == arp);
        CHECK(h.counter(5, COLATRL_CNT_IN_PASS_NOT_IPV6).packets == 1);
        CHECK(h.counter(5, COLATRL_CNT_IN_XLAT).packets == 0);
        h.clear_config(1);
    }
    SECTION("without a config") {
        h.clear_config(1);
        h.reset_counters();
        auto eg = h.run(Prog::egress_eth, arp);
        CHECK(eg.retval == TC_ACT_UNSPEC);
        CHECK(eg.data == arp);
        CHECK(h.counter(COLATRL_SLOT_UNCONFIGURED, COLATRL_CNT_EG_PASS_NO_CONFIG).packets == 1);
        auto in = h.run(Prog::ingress_eth, arp);
        CHECK(in.retval == TC_ACT_UNSPEC);
        CHECK(in.data == arp);
        CHECK(h.counter(COLATRL_SLOT_UNCONFIGURED, COLATRL_CNT_IN_PASS_NO_CONFIG).packets == 1);
    }
}

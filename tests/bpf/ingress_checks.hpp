// SPDX-License-Identifier: GPL-2.0-or-later
// Checks of the ingress packet tests (IPv6 -> IPv4): run a frame, check the
// verdict, the Ethernet header, every IPv4 header field, the payload and every
// checksum with the independent routine of tests/common/inet_checksum.hpp.
#pragma once

#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <linux/pkt_cls.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace colatrl::test::ingress {

inline Bytes frame6(const Ip6Spec& s, std::span<const uint8_t> payload) {
    return eth(kEthIpv6, ipv6(s, payload));
}

inline RunResult run_in(const Bytes& frame, uint32_t gso = 0) {
    return Harness::get().run(Prog::ingress_eth, frame, kIf, gso);
}

inline void expect_drop(const Bytes& frame, colatrl_counter_id why, uint32_t gso = 0) {
    reset_counters();
    auto r = run_in(frame, gso);
    CHECK(r.retval == TC_ACT_SHOT);
    expect_counters({why}, frame.size());
}

inline void expect_pass(const Bytes& frame, colatrl_counter_id why, uint32_t slot = kSlot) {
    reset_counters();
    auto r = run_in(frame);
    CHECK(r.retval == TC_ACT_UNSPEC);
    CHECK(r.data == frame); // untouched, byte for byte
    expect_counters({why}, frame.size(), slot);
}

struct Expect4 {
    Ipv4Addr src, dst;
    uint8_t proto = kProtoUdp;
    uint8_t tos = 0;
    uint8_t ttl = 64;
    bool df = false;
    bool mf = false;
    uint16_t frag_offset_bytes = 0;
    std::optional<uint16_t> id; // checked when set (random IDs are not)
    size_t l4_len = 0;
};

// Every field of the translated IPv4 header (and the Ethernet header).
inline Ip4View check_v4(const RunResult& r, const Expect4& e) {
    REQUIRE(r.retval == TC_ACT_UNSPEC);
    auto ev = parse_eth(r.data);
    REQUIRE(ev.ok);
    CHECK(ev.ethertype == kEthIpv4);
    CHECK(ev.dst == kMacB);
    CHECK(ev.src == kMacA);
    auto ip = parse_ipv4(ev.payload);
    INFO("IPv4: " << hex(ev.payload));
    REQUIRE(ip.ok);
    CHECK(ip.version == 4);
    CHECK(ip.ihl == 5);
    CHECK(ip.options.empty());
    CHECK(ip.tos == e.tos);
    CHECK(ip.total_length == 20 + e.l4_len);
    CHECK(ev.payload.size() == 20 + e.l4_len);
    CHECK(ip.trailing == 0);
    if (e.id) {
        CHECK(ip.id == *e.id);
    }
    CHECK_FALSE(ip.rf);
    CHECK(ip.df == e.df);
    CHECK(ip.mf == e.mf);
    CHECK(ip.frag_offset_bytes == e.frag_offset_bytes);
    CHECK(ip.ttl == e.ttl);
    CHECK(ip.proto == e.proto);
    CHECK(ip.src == e.src);
    CHECK(ip.dst == e.dst);
    CHECK(ip.header_checksum_ok);
    return ip;
}

// The packet in error as our egress would have sent it: CLAT -> server.
struct Inner {
    Bytes packet; // IPv6 header + payload
    Bytes l4;     // the upper-layer segment alone
    uint8_t proto = kProtoUdp;
};

inline Inner inner_udp(const Env& e, size_t payload_len, uint8_t hop = 63, uint8_t tclass = 0) {
    Inner in;
    in.l4 = udp(e.clat6, e.server6, UdpSpec{.sport = 40000, .dport = 53}, pattern(payload_len, 3));
    in.packet = ipv6(Ip6Spec{.src = e.clat6,
                             .dst = e.server6,
                             .next_header = kProtoUdp,
                             .tclass = tclass,
                             .hop_limit = hop},
                     in.l4);
    return in;
}

// An ICMPv6 error from `from` to the CLAT quoting the first `quote` bytes of
// the inner packet.
inline Bytes icmp6_error(const Env& e, const Ipv6Addr& from, uint8_t type, uint8_t code,
                         uint32_t rest, const Bytes& inner, size_t quote = SIZE_MAX,
                         uint8_t hop = 60, uint8_t tclass = 0) {
    Bytes q = slice(inner, 0, quote);
    return frame6(Ip6Spec{.src = from,
                          .dst = e.clat6,
                          .next_header = kProtoIcmpv6,
                          .tclass = tclass,
                          .hop_limit = hop},
                  icmp6(from, e.clat6, type, code, rest, q));
}

struct ErrOut {
    Ip4View outer;
    IcmpView icmp;
    Ip4View inner;
};

// Checks a translated ICMPv4 error: outer header, ICMPv4 checksum over the
// whole message, and the inner IPv4 header (CLAT -> server) in full.
inline ErrOut check_error(const RunResult& r, const Env& e, const Ipv4Addr& src4, uint8_t type4,
                          uint8_t code4, uint32_t rest4, size_t msg_len, uint8_t outer_ttl,
                          size_t inner_total, uint8_t inner_proto, uint8_t inner_ttl,
                          uint8_t outer_tos = 0) {
    ErrOut o;
    o.outer = check_v4(r, Expect4{.src = src4,
                                  .dst = e.clat4,
                                  .proto = kProtoIcmp,
                                  .tos = outer_tos,
                                  .ttl = outer_ttl,
                                  .df = false,
                                  .l4_len = msg_len});
    CHECK(o.outer.total_length <= 576);
    o.icmp = parse_icmp(o.outer.l4);
    REQUIRE(o.icmp.ok);
    CHECK(o.icmp.type == type4);
    CHECK(o.icmp.code == code4);
    CHECK(o.icmp.rest == rest4);
    CHECK(rfc1071_ok(o.outer.l4)); // ICMPv4: no pseudo header
    // The inner header parses as far as it is there; its total length is
    // the original one (not what was quoted).
    REQUIRE(o.icmp.body.size() >= 20);
    Bytes ih = slice(o.icmp.body, 0, 20);
    CHECK(ih[0] == 0x45);
    CHECK(get16(ih, 2) == inner_total);
    CHECK(ih[8] == inner_ttl);
    CHECK(ih[9] == inner_proto);
    CHECK(rfc1071_ok(ih));
    CHECK(Ipv4Addr{{ih[12], ih[13], ih[14], ih[15]}} == e.clat4);
    CHECK(Ipv4Addr{{ih[16], ih[17], ih[18], ih[19]}} == e.server4);
    o.inner.ok = true;
    o.inner.id = get16(ih, 4);
    o.inner.df = (ih[6] & 0x40) != 0;
    o.inner.mf = (ih[6] & 0x20) != 0;
    o.inner.rf = (ih[6] & 0x80) != 0;
    o.inner.frag_offset_bytes = static_cast<uint16_t>((get16(ih, 6) & 0x1fff) * 8);
    o.inner.tos = ih[1];
    o.inner.l4 = slice(o.icmp.body, 20);
    CHECK_FALSE(o.inner.rf);
    return o;
}

} // namespace colatrl::test::ingress

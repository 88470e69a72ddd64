// SPDX-License-Identifier: GPL-2.0-or-later
// Checks of the egress packet tests (IPv4 -> IPv6): run a frame, check the
// verdict, the Ethernet header, every IPv6 header field, the payload and every
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

namespace colatrl::test::egress {

// ---- running and checking -------------------------------------------------

inline RunResult run_eg(const Bytes& ip4, uint32_t gso_size = 0) {
    return Harness::get().run(Prog::egress_eth, eth(kEthIpv4, ip4), kIf, gso_size);
}

struct FragWant {
    uint16_t offset_bytes;
    bool more;
    uint32_t id;
};

// Verdict, Ethernet header and every IPv6 header field of a translated frame.
inline Ip6View check_v6(const RunResult& r, const Ipv6Addr& src, const Ipv6Addr& dst,
                        uint8_t tclass, uint8_t hop, uint8_t l4proto, size_t l4_len,
                        std::optional<FragWant> frag = std::nullopt) {
    REQUIRE(r.retval == TC_ACT_UNSPEC);
    EthView ev = parse_eth(r.data);
    REQUIRE(ev.ok);
    CHECK(ev.ethertype == kEthIpv6);
    CHECK(ev.dst == kMacB);
    CHECK(ev.src == kMacA);
    Ip6View v = parse_ipv6(ev.payload);
    INFO(hex(ev.payload));
    REQUIRE(v.ok);
    CHECK(v.version == 6);
    CHECK(v.tclass == tclass);
    CHECK(v.flow_label == 0);
    CHECK(v.hop_limit == hop);
    CHECK(v.src.str() == src.str());
    CHECK(v.dst.str() == dst.str());
    CHECK(v.trailing == 0);
    CHECK(v.payload_length == ev.payload.size() - 40);
    if (frag) {
        CHECK(v.next_header == kProtoFragment);
        REQUIRE(v.frag);
        REQUIRE(v.exts.size() == 1);
        CHECK(v.frag->next == l4proto);
        CHECK(v.frag->reserved == 0);
        CHECK(v.frag->res2 == 0);
        CHECK(v.frag->offset_bytes == frag->offset_bytes);
        CHECK(v.frag->more == frag->more);
        CHECK(v.frag->id == frag->id);
        CHECK(v.payload_length == l4_len + 8);
    } else {
        CHECK(v.next_header == l4proto);
        CHECK_FALSE(v.frag);
        CHECK(v.exts.empty());
        CHECK(v.payload_length == l4_len);
    }
    CHECK(v.l4_proto == l4proto);
    CHECK(v.l4.size() == l4_len);
    return v;
}

// A dropped or passed packet: verdict and (for pass) the frame untouched.
inline void check_untouched(const RunResult& r, const Bytes& frame) {
    CHECK(r.retval == TC_ACT_UNSPEC);
    CHECK(r.data == frame);
}

inline Ip4Spec spec4(const Env& e, uint8_t proto) {
    Ip4Spec s{.src = e.clat4, .dst = e.server4, .proto = proto};
    s.id = 0xbeef;
    s.df = true;
    s.ttl = 61;
    return s;
}

// ---- the basic cases, for any config ---------------------------------------

inline void udp_case(const Env& e, size_t n, Csum csum = Csum::compute, uint8_t tos = 0) {
    const Bytes payload = pattern(n, 3);
    const UdpSpec us{.sport = 40000, .dport = 53, .csum = csum};
    const Bytes seg = udp(e.clat4, e.server4, us, payload);
    Ip4Spec s = spec4(e, kProtoUdp);
    s.tos = tos;
    reset_counters();
    RunResult r = run_eg(ipv4(s, seg));
    Ip6View v = check_v6(r, e.clat6, e.server6, tos, 61, kProtoUdp, seg.size());
    UdpView u = parse_udp(v.l4);
    REQUIRE(u.ok);
    CHECK(u.sport == 40000);
    CHECK(u.dport == 53);
    CHECK(u.length == seg.size());
    CHECK(u.payload == payload);
    CHECK(u.checksum != 0); // IPv6 has no "no checksum"
    CHECK(l4_checksum_v6_ok(e.clat6, e.server6, kProtoUdp, v.l4));
    const UdpView want =
        parse_udp(udp(e.clat6, e.server6, UdpSpec{.sport = 40000, .dport = 53}, payload));
    CHECK(same_csum(u.checksum, want.checksum));
    if ((e.cfg.flags & COLATRL_F_CSUM_NEUTRAL) != 0 && csum == Csum::compute) {
        CHECK(u.checksum == parse_udp(seg).checksum); // untouched
    }
    expect_counters({COLATRL_CNT_EG_XLAT}, r.data.size());
}

inline void tcp_case(const Env& e, size_t n) {
    const Bytes payload = pattern(n, 9);
    TcpSpec ts{.sport = 40001, .dport = 443, .seq = 0x01020304, .ack = 0x0a0b0c0d};
    ts.flags = kTcpAck | kTcpPsh;
    ts.options = {0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2}; // NOP NOP timestamps
    const Bytes seg = tcp(e.clat4, e.server4, ts, payload);
    Ip4Spec s = spec4(e, kProtoTcp);
    s.tos = 0x28;
    reset_counters();
    RunResult r = run_eg(ipv4(s, seg));
    Ip6View v = check_v6(r, e.clat6, e.server6, 0x28, 61, kProtoTcp, seg.size());
    TcpView t = parse_tcp(v.l4);
    REQUIRE(t.ok);
    CHECK(t.sport == 40001);
    CHECK(t.dport == 443);
    CHECK(t.seq == 0x01020304);
    CHECK(t.ack == 0x0a0b0c0d);
    CHECK(t.flags == (kTcpAck | kTcpPsh));
    CHECK(t.options == ts.options);
    CHECK(t.payload == payload);
    CHECK(l4_checksum_v6_ok(e.clat6, e.server6, kProtoTcp, v.l4));
    const TcpView want = parse_tcp(tcp(e.clat6, e.server6, ts, payload));
    CHECK(same_csum(t.checksum, want.checksum));
    if ((e.cfg.flags & COLATRL_F_CSUM_NEUTRAL) != 0) {
        CHECK(t.checksum == parse_tcp(seg).checksum);
    }
    expect_counters({COLATRL_CNT_EG_XLAT}, r.data.size());
}

inline void echo_case(const Env& e, uint8_t type4, uint8_t type6, size_t n) {
    const Bytes payload = pattern(n, 1);
    const Bytes msg = icmp4(type4, 0, echo_rest(0x1234, 7), payload);
    reset_counters();
    RunResult r = run_eg(ipv4(spec4(e, kProtoIcmp), msg));
    Ip6View v = check_v6(r, e.clat6, e.server6, 0, 61, kProtoIcmpv6, msg.size());
    IcmpView ic = parse_icmp(v.l4);
    REQUIRE(ic.ok);
    CHECK(ic.type == type6);
    CHECK(ic.code == 0);
    CHECK(ic.id() == 0x1234);
    CHECK(ic.seq() == 7);
    CHECK(ic.body == payload);
    CHECK(l4_checksum_v6_ok(e.clat6, e.server6, kProtoIcmpv6, v.l4));
    const IcmpView want =
        parse_icmp(icmp6(e.clat6, e.server6, type6, 0, echo_rest(0x1234, 7), payload));
    CHECK(same_csum(ic.checksum, want.checksum));
    expect_counters({COLATRL_CNT_EG_XLAT}, r.data.size());
}

// A dropped packet: TC_ACT_SHOT and the one counter, with the input size.
inline void expect_drop(const Bytes& ip4, colatrl_counter_id id, uint32_t gso_size = 0) {
    const Bytes frame = eth(kEthIpv4, ip4);
    reset_counters();
    RunResult r = Harness::get().run(Prog::egress_eth, frame, kIf, gso_size);
    CHECK(r.retval == TC_ACT_SHOT);
    expect_counters({id}, frame.size());
}

// The packet in error: the server's packet TO the CLAT (inner src = server).
struct Inner {
    Bytes v4; // as quoted in the ICMPv4 error
    Bytes v6; // its expected translation (full, before any cut)
    uint8_t l4proto;
};

inline Inner inner_udp(const Env& e, size_t n, uint8_t ttl = 50) {
    const Bytes payload = pattern(n, 11);
    const UdpSpec us{.sport = 53, .dport = 40000};
    Ip4Spec s{.src = e.server4, .dst = e.clat4, .proto = kProtoUdp};
    s.ttl = ttl;
    s.tos = 0x10;
    s.id = 0x7777;
    Ip6Spec s6{.src = e.server6, .dst = e.clat6, .next_header = kProtoUdp};
    s6.hop_limit = ttl;
    s6.tclass = 0x10;
    return {ipv4(s, udp(e.server4, e.clat4, us, payload)),
            ipv6(s6, udp(e.server6, e.clat6, us, payload)), kProtoUdp};
}

inline Inner inner_tcp(const Env& e, size_t n) {
    const Bytes payload = pattern(n, 12);
    TcpSpec ts{.sport = 443, .dport = 40001, .seq = 99, .ack = 77};
    Ip4Spec s{.src = e.server4, .dst = e.clat4, .proto = kProtoTcp};
    Ip6Spec s6{.src = e.server6, .dst = e.clat6, .next_header = kProtoTcp};
    return {ipv4(s, tcp(e.server4, e.clat4, ts, payload)),
            ipv6(s6, tcp(e.server6, e.clat6, ts, payload)), kProtoTcp};
}

inline Inner inner_echo(const Env& e, uint8_t type4, uint8_t type6) {
    const Bytes payload = pattern(24, 13);
    Ip4Spec s{.src = e.server4, .dst = e.clat4, .proto = kProtoIcmp};
    Ip6Spec s6{.src = e.server6, .dst = e.clat6, .next_header = kProtoIcmpv6};
    return {ipv4(s, icmp4(type4, 0, echo_rest(5, 6), payload)),
            ipv6(s6, icmp6(e.server6, e.clat6, type6, 0, echo_rest(5, 6), payload)), kProtoIcmpv6};
}

// Offset of the transport checksum inside the transport header.
inline size_t csum_off(uint8_t proto) {
    return proto == kProtoTcp ? 16 : proto == kProtoUdp ? 6 : 2;
}

// Body of a translated error == expected inner (cut to `len`), checksum of the
// inner transport header equivalent to the expected one.
inline void check_inner(const Bytes& body, const Inner& in, size_t len) {
    REQUIRE(body.size() == len);
    const Bytes want = slice(in.v6, 0, len);
    const size_t c = 40 + csum_off(in.l4proto);
    CHECK(slice(body, 0, c) == slice(want, 0, c));
    if (len >= c + 2) {
        CHECK(same_csum(get16(body, c), get16(want, c)));
        CHECK(slice(body, c + 2) == slice(want, c + 2));
    }
}

// Run an ICMPv4 error about `in` and check the ICMPv6 error fully.
inline void error_case(const Env& e, uint8_t t4, uint8_t c4, uint32_t rest4, const Inner& in,
                       uint8_t t6, uint8_t c6, uint32_t rest6, size_t quote = SIZE_MAX,
                       const Bytes& outer_options = {}) {
    const Bytes quoted = slice(in.v4, 0, quote);
    const Bytes msg = icmp4(t4, c4, rest4, quoted);
    Ip4Spec outer = spec4(e, kProtoIcmp);
    outer.options = outer_options;
    reset_counters();
    RunResult r = run_eg(ipv4(outer, msg));
    const size_t ihl4 = (in.v4[0] & 0x0fu) * 4u;
    const size_t msg6 = std::min<size_t>(8 + quoted.size() - ihl4 + 40, 1240);
    Ip6View v = check_v6(r, e.clat6, e.server6, 0, 61, kProtoIcmpv6, msg6);
    IcmpView ic = parse_icmp(v.l4);
    REQUIRE(ic.ok);
    CHECK(int{ic.type} == t6);
    CHECK(int{ic.code} == c6);
    CHECK(ic.rest == rest6);
    CHECK(l4_checksum_v6_ok(e.clat6, e.server6, kProtoIcmpv6, v.l4));
    check_inner(ic.body, in, msg6 - 8);
    expect_counters({COLATRL_CNT_EG_XLAT, COLATRL_CNT_EG_XLAT_ICMP_ERROR}, r.data.size());
}

} // namespace colatrl::test::egress

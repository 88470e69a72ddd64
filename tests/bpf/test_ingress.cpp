// SPDX-License-Identifier: GPL-2.0-or-later
// Packet tests of the ingress translator (IPv6 -> IPv4, RFC 7915 §5) through
// BPF_PROG_TEST_RUN. Every translated case checks the verdict, every IPv4
// header field, the payload, every checksum with the independent routine of
// inet_checksum.hpp (L4, ICMPv4, inner headers of ICMP errors) and the
// counters. Checklist items refer to shared/spec/rfc7915-checklist.md.
// glibc's <net/if.h> before any <linux/if.h> (libbpf pulls that one in).
#include <net/if.h>

#include "harness.hpp"

#include <catch2/catch.hpp>

#include <bpf/libbpf.h>
#include <linux/errqueue.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

using namespace colatrl;
using namespace colatrl::test;

namespace {

constexpr uint32_t kIf = 1;
constexpr uint32_t kSlot = 7;

struct PrefixCase {
    const char* text;
    uint8_t len;
};

// The RFC 6052 Table 1 prefixes (one per length) plus the WKP.
constexpr PrefixCase kPrefixes[] = {
    {"2001:db8::/32", 32},         {"2001:db8:100::/40", 40},     {"2001:db8:122::/48", 48},
    {"2001:db8:122:300::/56", 56}, {"2001:db8:122:344::/64", 64}, {"2001:db8:122:344::/96", 96},
    {"64:ff9b::/96", 96},
};

// The test's own RFC 6052 §2.2 embedding (byte table of rfc6052-8215.md
// §3.2), written independently of the BPF code.
Ipv6Addr embed(const Ipv6Prefix& p, const Ipv4Addr& a) {
    static constexpr int kPos[6][4] = {
        {4, 5, 6, 7},   {5, 6, 7, 9},    {6, 7, 9, 10},
        {7, 9, 10, 11}, {9, 10, 11, 12}, {12, 13, 14, 15},
    };
    int row = 0;
    switch (p.len) {
    case 32:
        row = 0;
        break;
    case 40:
        row = 1;
        break;
    case 48:
        row = 2;
        break;
    case 56:
        row = 3;
        break;
    case 64:
        row = 4;
        break;
    default:
        row = 5;
        break;
    }
    Ipv6Addr out = p.addr;
    for (int i = 0; i < 4; ++i) {
        out.bytes[static_cast<size_t>(kPos[row][i])] = a.bytes[static_cast<size_t>(i)];
    }
    return out;
}

Ipv6Prefix prefix(const char* text) {
    auto p = Ipv6Prefix::parse(text);
    REQUIRE(p);
    return *p;
}

// A CLAT IPv6 address that makes (clat_v4, clat_v6, pref64) checksum-neutral
// (/32 and /96 only): last 16-bit word chosen so the sums match.
Ipv6Addr neutral_clat6(const Ipv4Addr& clat4, const Ipv6Prefix& p) {
    Ipv6Addr a = v6("2001:db8:aaaa:1::");
    uint64_t want = rfc1071_sum(clat4.bytes);
    uint64_t have = rfc1071_sum(a.bytes, rfc1071_sum(p.addr.bytes));
    uint16_t w = static_cast<uint16_t>(rfc1071_fold(want + (0xffff - rfc1071_fold(have))));
    a.bytes[14] = static_cast<uint8_t>(w >> 8);
    a.bytes[15] = static_cast<uint8_t>(w);
    return a;
}

struct Env {
    Ipv6Prefix pfx;
    Ipv4Addr clat4 = v4("192.0.0.1");
    Ipv6Addr clat6 = v6("2001:db8:aaaa:1::1234");
    Ipv4Addr server4;
    Ipv6Addr server6; // server4 embedded in PREF64
    colatrl_config cfg{};
    bool neutral = false;
};

Env setup(const char* pfx_text, uint8_t flags = 0, bool neutral = false, uint16_t mtu = 1500,
          const char* server = nullptr) {
    Env e;
    e.pfx = prefix(pfx_text);
    e.neutral = neutral;
    if (neutral) {
        e.clat6 = neutral_clat6(e.clat4, e.pfx);
        REQUIRE(csum_neutral(e.clat4, e.clat6, pfx_text));
        flags = static_cast<uint8_t>(flags | COLATRL_F_CSUM_NEUTRAL);
    } else {
        REQUIRE_FALSE(csum_neutral(e.clat4, e.clat6, pfx_text));
    }
    const bool wkp = std::string(pfx_text) == "64:ff9b::/96";
    e.server4 = v4(server != nullptr ? server : (wkp ? "9.9.9.9" : "198.51.100.2"));
    e.server6 = embed(e.pfx, e.server4);
    e.cfg = make_config(e.clat4, e.clat6, pfx_text, mtu, flags, kSlot);
    auto& h = Harness::get();
    h.set_config(kIf, e.cfg);
    h.reset_counters();
    return e;
}

Bytes frame6(const Ip6Spec& s, std::span<const uint8_t> payload) {
    return eth(kEthIpv6, ipv6(s, payload));
}

RunResult run_in(const Bytes& frame, uint32_t gso = 0) {
    return Harness::get().run(Prog::ingress_eth, frame, kIf, gso);
}

constexpr colatrl_counter_id kInFirst = COLATRL_CNT_IN_XLAT;
constexpr colatrl_counter_id kInLast = COLATRL_CNT_IN_DROP_ICMP_CSUM;

// Exactly the listed ingress counters went up by one packet of `bytes`.
void expect_counters(std::initializer_list<colatrl_counter_id> ids, size_t bytes,
                     uint32_t slot = kSlot) {
    auto& h = Harness::get();
    for (int i = kInFirst; i <= kInLast; ++i) {
        auto id = static_cast<colatrl_counter_id>(i);
        bool want = std::find(ids.begin(), ids.end(), id) != ids.end();
        auto c = h.counter(slot, id);
        INFO("ingress counter " << i);
        CHECK(c.packets == (want ? 1u : 0u));
        CHECK(c.bytes == (want ? bytes : 0u));
    }
}

void expect_drop(const Bytes& frame, colatrl_counter_id why, uint32_t gso = 0) {
    auto r = run_in(frame, gso);
    CHECK(r.retval == TC_ACT_SHOT);
    expect_counters({why}, frame.size());
}

void expect_pass(const Bytes& frame, colatrl_counter_id why, uint32_t slot = kSlot) {
    auto r = run_in(frame);
    CHECK(r.retval == TC_ACT_OK);
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
Ip4View check_v4(const RunResult& r, const Expect4& e) {
    REQUIRE(r.retval == TC_ACT_OK);
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

Inner inner_udp(const Env& e, size_t payload_len, uint8_t hop = 63, uint8_t tclass = 0) {
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
Bytes icmp6_error(const Env& e, const Ipv6Addr& from, uint8_t type, uint8_t code, uint32_t rest,
                  const Bytes& inner, size_t quote = SIZE_MAX, uint8_t hop = 60,
                  uint8_t tclass = 0) {
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
ErrOut check_error(const RunResult& r, const Env& e, const Ipv4Addr& src4, uint8_t type4,
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

} // namespace

TEST_CASE("ingress: the test's RFC 6052 embedding matches the RFC examples", "[ingress]") {
    const auto a = v4("192.0.2.33");
    CHECK(embed(prefix("2001:db8::/32"), a) == v6("2001:db8:c000:221::"));
    CHECK(embed(prefix("2001:db8:100::/40"), a) == v6("2001:db8:1c0:2:21::"));
    CHECK(embed(prefix("2001:db8:122::/48"), a) == v6("2001:db8:122:c000:2:2100::"));
    CHECK(embed(prefix("2001:db8:122:300::/56"), a) == v6("2001:db8:122:3c0:0:221::"));
    CHECK(embed(prefix("2001:db8:122:344::/64"), a) == v6("2001:db8:122:344:c0:2:2100:0"));
    CHECK(embed(prefix("2001:db8:122:344::/96"), a) == v6("2001:db8:122:344::c000:221"));
    CHECK(embed(prefix("64:ff9b::/96"), a) == v6("64:ff9b::c000:221"));
    CHECK(embed(prefix("2001:db8:100::/40"), v4("198.51.100.2")) == v6("2001:db8:1c6:3364:2::"));
}

// Checklist 38, 53 (+ rfc6052 extraction at all six lengths, both checksum modes).
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

// Checklist 6.2 table: TOS, flow label, TTL, DF threshold (item 37), ID.
TEST_CASE("ingress: IPv4 header fields", "[ingress]") {
    SECTION("traffic class copied, whatever the unused flag bits say") {
        for (uint8_t flags : {uint8_t{0}, uint8_t{0xf8}}) {
            Env e = setup("2001:db8:122::/48", flags);
            const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(10));
            const Bytes f = frame6(
                Ip6Spec{.src = e.server6, .dst = e.clat6, .tclass = 0xb9, .hop_limit = 9}, seg);
            auto ip = check_v4(run_in(f), Expect4{.src = e.server4,
                                                  .dst = e.clat4,
                                                  .tos = 0xb9,
                                                  .ttl = 9,
                                                  .l4_len = seg.size()});
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
}

// Checklist 38, 39, 40, 42 and the bounded walk.
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

// Checklist 6.3 table (§5.1.1), item 2 (fragmented ICMP).
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

// Checklist 7.1: informational types other than echo are dropped.
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

// Checklist 7.2-7.4, 8 (items 45, 46, 48-51): errors and their inner packets.
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

// Checklist 50 (RFC 6791 / RFC 7600 dummy source).
TEST_CASE("ingress: errors from routers outside PREF64 get source 192.0.0.8", "[ingress]") {
    for (const auto& pc : kPrefixes) {
        INFO("prefix " << pc.text);
        Env e = setup(pc.text);
        const auto router = v6("3fff::1");
        Inner in = inner_udp(e, 24, 1);
        const Bytes f = icmp6_error(e, router, 3, 0, 0, in.packet, SIZE_MAX, 250);
        auto o = check_error(run_in(f), e, v4("192.0.0.8"), 11, 0, 0, 8 + 20 + in.l4.size(), 250,
                             20 + in.l4.size(), kProtoUdp, 1);
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

TEST_CASE("ingress: packets that are not ours pass untouched", "[ingress]") {
    SECTION("not IPv6") {
        Env e = setup("2001:db8:122:344::/64");
        const Bytes v4frame = eth(kEthIpv4, ipv4(Ip4Spec{.src = e.server4, .dst = e.clat4},
                                                 udp(e.server4, e.clat4, UdpSpec{}, pattern(8))));
        expect_pass(v4frame, COLATRL_CNT_IN_PASS_NOT_IPV6);
        Harness::get().reset_counters();
        expect_pass(eth(kEthArp, pattern(28)), COLATRL_CNT_IN_PASS_NOT_IPV6);
    }
    SECTION("not to the CLAT address") {
        Env e = setup("2001:db8:122:344::/64");
        const auto other = v6("2001:db8:aaaa:1::1235");
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = other},
                               udp(e.server6, other, UdpSpec{}, pattern(8)));
        expect_pass(f, COLATRL_CNT_IN_PASS_NOT_CLAT_DST);
    }
    SECTION("no config for the interface") {
        Env e = setup("2001:db8:122:344::/64");
        Harness::get().clear_config(kIf);
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6},
                               udp(e.server6, e.clat6, UdpSpec{}, pattern(8)));
        expect_pass(f, COLATRL_CNT_IN_PASS_NO_CONFIG, COLATRL_SLOT_UNCONFIGURED);
    }
    SECTION("config with a PREF64 length RFC 6052 does not allow") {
        Env e = setup("2001:db8:122:344::/64");
        for (uint8_t len : {uint8_t{0}, uint8_t{33}, uint8_t{128}}) {
            INFO("pref64_len " << int{len});
            colatrl_config bad = e.cfg;
            bad.pref64_len = len;
            Harness::get().set_config(kIf, bad);
            Harness::get().reset_counters();
            const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6},
                                   udp(e.server6, e.clat6, UdpSpec{}, pattern(8)));
            expect_pass(f, COLATRL_CNT_IN_PASS_NO_CONFIG);
        }
    }
    SECTION("spoofed source outside PREF64 / wrong prefix at every length") {
        for (const auto& pc : kPrefixes) {
            INFO("prefix " << pc.text);
            Env e = setup(pc.text);
            // Flip one bit in the last prefix byte: same IPv4 bits, wrong prefix.
            Ipv6Addr src = e.server6;
            src.bytes[static_cast<size_t>(pc.len / 8 - 1)] ^= 0x01;
            const Bytes f = frame6(Ip6Spec{.src = src, .dst = e.clat6, .next_header = kProtoTcp},
                                   tcp(src, e.clat6, TcpSpec{}, pattern(8)));
            expect_pass(f, COLATRL_CNT_IN_PASS_NOT_PREF64_SRC);
        }
    }
}

TEST_CASE("ingress: truncated and malformed packets are dropped", "[ingress]") {
    Env e = setup("2001:db8:122:344::/64");
    auto& h = Harness::get();
    const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(40));
    SECTION("payload length beyond the end of the packet") {
        const Bytes f =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .payload_length = 100}, seg);
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    SECTION("payload length 0 (jumbogram) ") {
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .payload_length = 0}, seg);
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    SECTION("version is not 6") {
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .version = 4}, seg);
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    SECTION("TCP header truncated") {
        const Bytes t = tcp(e.server6, e.clat6, TcpSpec{}, {});
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoTcp},
                               slice(t, 0, 12));
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    SECTION("UDP header truncated") {
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, slice(seg, 0, 6));
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    SECTION("UDP checksum 0 does not exist in IPv6") {
        const Bytes z = udp(e.server6, e.clat6, UdpSpec{.csum = Csum::zero}, pattern(40));
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, z);
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    SECTION("trailing bytes after the IPv6 payload are not part of the packet") {
        // Ethernet padding: the translated IPv4 total length ignores it.
        Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, seg);
        f.insert(f.end(), 6, 0);
        auto r = run_in(f);
        REQUIRE(r.retval == TC_ACT_OK);
        auto ev = parse_eth(r.data);
        auto ip = parse_ipv4(ev.payload);
        REQUIRE(ip.ok);
        CHECK(ip.total_length == 20 + seg.size());
        CHECK(ip.header_checksum_ok);
        CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoUdp, ip.l4));
    }
    (void)h;
}

// Checklist 41 / RFC 1812 §5.3.7, rfc6052 §5 items 5-6 and 9.
TEST_CASE("ingress: illegal and non-global IPv4 sources", "[ingress]") {
    SECTION("illegal sources are dropped under any prefix") {
        for (const char* bad :
             {"0.1.2.3", "127.0.0.1", "224.0.0.1", "239.1.1.1", "255.255.255.255"}) {
            INFO("source " << bad);
            Env e = setup("2001:db8:122::/48", 0, false, 1500, bad);
            const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6},
                                   udp(e.server6, e.clat6, UdpSpec{}, pattern(8)));
            expect_drop(f, COLATRL_CNT_IN_DROP_BAD_SRC);
        }
    }
    SECTION("192.0.0.9 and 192.0.0.10 are globally reachable (IANA): translated under the WKP") {
        for (const char* g : {"192.0.0.9", "192.0.0.10"}) {
            INFO("source " << g);
            Env e = setup("64:ff9b::/96", 0, false, 1500, g);
            const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(8));
            const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, seg);
            check_v4(run_in(f), Expect4{.src = e.server4, .dst = e.clat4, .l4_len = seg.size()});
            expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
        }
    }
    SECTION("non-global sources under the WKP: dropped, or translated with the flag") {
        for (const char* ng :
             {"10.1.2.3", "100.64.0.1", "169.254.1.1", "172.16.5.5", "192.0.0.171", "192.0.2.1",
              "192.168.1.1", "198.18.0.1", "198.51.100.1", "203.0.113.1", "240.0.0.1"}) {
            INFO("source " << ng);
            {
                Env e = setup("64:ff9b::/96", 0, false, 1500, ng);
                const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6},
                                       udp(e.server6, e.clat6, UdpSpec{}, pattern(8)));
                expect_drop(f, COLATRL_CNT_IN_DROP_NON_GLOBAL);
            }
            {
                Env e = setup("64:ff9b::/96", COLATRL_F_TRANSLATE_NON_GLOBAL, false, 1500, ng);
                const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(8));
                const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, seg);
                auto ip = check_v4(run_in(f),
                                   Expect4{.src = e.server4, .dst = e.clat4, .l4_len = seg.size()});
                CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoUdp, ip.l4));
            }
            {
                Env e = setup("2001:db8:122:344::/96", 0, false, 1500, ng);
                const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(8));
                const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, seg);
                check_v4(run_in(f),
                         Expect4{.src = e.server4, .dst = e.clat4, .l4_len = seg.size()});
                expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
            }
        }
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

namespace {

// A tun device (raw IP, no packet info) in the test's private namespace with
// colatrl_ingress_rawip on its tc ingress hook. Everything goes away with
// the fd and the hook (and with the namespace, should a test abort).
class TunIngress {
public:
    TunIngress() {
        fd_ = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd_ < 0) {
            return;
        }
        ifreq ifr{};
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
        std::strncpy(ifr.ifr_name, "clt-in0", IFNAMSIZ - 1);
        if (ioctl(fd_, TUNSETIFF, &ifr) != 0) {
            return;
        }
        ifindex_ = if_nametoindex("clt-in0");
        if (ifindex_ == 0 ||
            std::system("ip link set clt-in0 up && ip addr add 192.0.0.1/32 dev clt-in0 && "
                        "ip route add default dev clt-in0") != 0) {
            return;
        }
        hook_.ifindex = static_cast<int>(ifindex_);
        hook_.attach_point = BPF_TC_INGRESS;
        int err = bpf_tc_hook_create(&hook_);
        if (err != 0 && err != -EEXIST) {
            return;
        }
        hooked_ = true;
        bpf_tc_opts opts{};
        opts.sz = sizeof opts;
        opts.prog_fd = Harness::get().prog_fd(Prog::ingress_rawip);
        opts.handle = 1;
        opts.priority = 1;
        ok_ = bpf_tc_attach(&hook_, &opts) == 0;
    }
    ~TunIngress() {
        if (hooked_) {
            bpf_tc_hook_destroy(&hook_);
        }
        if (fd_ >= 0) {
            close(fd_);
        }
    }
    TunIngress(const TunIngress&) = delete;
    TunIngress& operator=(const TunIngress&) = delete;

    bool ok() const { return ok_; }
    uint32_t ifindex() const { return ifindex_; }
    bool inject(const Bytes& ip_packet) const {
        return write(fd_, ip_packet.data(), ip_packet.size()) ==
               static_cast<ssize_t>(ip_packet.size());
    }
    // Next packet the kernel sends out through the tun (raw IP), or empty.
    Bytes read_out(int timeout_ms = 2000) const {
        pollfd p{fd_, POLLIN, 0};
        Bytes buf(2048);
        while (poll(&p, 1, timeout_ms) == 1) {
            ssize_t n = read(fd_, buf.data(), buf.size());
            if (n <= 0) {
                break;
            }
            buf.resize(static_cast<size_t>(n));
            if ((buf[0] >> 4) == 4) { // skip IPv6 chatter (MLD, RS)
                return buf;
            }
            buf.resize(2048);
        }
        return {};
    }

private:
    int fd_ = -1;
    uint32_t ifindex_ = 0;
    bpf_tc_hook hook_{.sz = sizeof(bpf_tc_hook)};
    bool hooked_ = false;
    bool ok_ = false;
};

} // namespace

// The raw-IP variant on a real tun device: the kernel's own IPv4 stack must
// accept the translated packets (it verifies every checksum itself).
TEST_CASE("ingress: raw-IP variant through a tun device", "[ingress]") {
    TunIngress tun;
    REQUIRE(tun.ok());
    Env e = setup("2001:db8:122:344::/64");
    auto& h = Harness::get();
    h.set_config(tun.ifindex(), e.cfg);
    h.clear_config(kIf);
    h.reset_counters();

    SECTION("UDP reaches an IPv4 socket with the extracted source") {
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(s >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(40000);
        std::memcpy(&a.sin_addr, e.clat4.bytes.data(), 4);
        REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        const Bytes data = pattern(77, 4);
        const Bytes pkt = ipv6(Ip6Spec{.src = e.server6, .dst = e.clat6},
                               udp(e.server6, e.clat6, UdpSpec{.sport = 53, .dport = 40000}, data));
        REQUIRE(tun.inject(pkt));
        pollfd p{s, POLLIN, 0};
        REQUIRE(poll(&p, 1, 2000) == 1);
        Bytes got(200);
        sockaddr_in from{};
        socklen_t flen = sizeof from;
        ssize_t n =
            recvfrom(s, got.data(), got.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
        close(s);
        REQUIRE(n == static_cast<ssize_t>(data.size()));
        got.resize(static_cast<size_t>(n));
        CHECK(got == data);
        CHECK(ntohs(from.sin_port) == 53);
        CHECK(std::memcmp(&from.sin_addr, e.server4.bytes.data(), 4) == 0);
        expect_counters({COLATRL_CNT_IN_XLAT}, pkt.size());
    }
    SECTION("ICMP echo request is answered by the IPv4 stack") {
        const Bytes data = pattern(32, 8);
        const Bytes pkt =
            ipv6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoIcmpv6},
                 icmp6(e.server6, e.clat6, 128, 0, echo_rest(0x77, 3), data));
        REQUIRE(tun.inject(pkt));
        const Bytes out = tun.read_out();
        auto ip = parse_ipv4(out);
        INFO("out: " << hex(out));
        REQUIRE(ip.ok);
        CHECK(ip.src == e.clat4);
        CHECK(ip.dst == e.server4);
        CHECK(ip.proto == kProtoIcmp);
        auto m = parse_icmp(ip.l4);
        REQUIRE(m.ok);
        CHECK(m.type == 0);
        CHECK(m.id() == 0x77);
        CHECK(m.seq() == 3);
        CHECK(m.body == data);
        expect_counters({COLATRL_CNT_IN_XLAT}, pkt.size());
    }
    SECTION("Packet Too Big reaches the UDP socket as Fragmentation Needed (MTU 1380)") {
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(s >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(40001);
        std::memcpy(&a.sin_addr, e.clat4.bytes.data(), 4);
        REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        sockaddr_in peer{};
        peer.sin_family = AF_INET;
        peer.sin_port = htons(53);
        std::memcpy(&peer.sin_addr, e.server4.bytes.data(), 4);
        REQUIRE(connect(s, reinterpret_cast<sockaddr*>(&peer), sizeof peer) == 0);
        int on = 1, pmtu = IP_PMTUDISC_DO;
        REQUIRE(setsockopt(s, IPPROTO_IP, IP_RECVERR, &on, sizeof on) == 0);
        REQUIRE(setsockopt(s, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu) == 0);
        // The packet in error as our egress would have sent it.
        const Bytes seg =
            udp(e.clat6, e.server6, UdpSpec{.sport = 40001, .dport = 53}, pattern(1400));
        const Bytes inner = ipv6(Ip6Spec{.src = e.clat6, .dst = e.server6}, seg);
        const Bytes ptb =
            ipv6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoIcmpv6},
                 icmp6(e.server6, e.clat6, 2, 0, 1400, slice(inner, 0, 1232)));
        REQUIRE(tun.inject(ptb));
        pollfd p{s, POLLERR, 0};
        REQUIRE(poll(&p, 1, 2000) == 1);
        alignas(cmsghdr) char control[512];
        char data[2048];
        iovec iov{data, sizeof data};
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = control;
        mh.msg_controllen = sizeof control;
        REQUIRE(recvmsg(s, &mh, MSG_ERRQUEUE) >= 0);
        bool seen = false;
        for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) {
                sock_extended_err ee{};
                std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
                CHECK(ee.ee_errno == EMSGSIZE);
                CHECK(ee.ee_origin == SO_EE_ORIGIN_ICMP);
                CHECK(ee.ee_type == 3);
                CHECK(ee.ee_code == 4);
                CHECK(ee.ee_info == 1380);
                seen = true;
            }
        }
        CHECK(seen);
        int mtu = 0;
        socklen_t ml = sizeof mtu;
        REQUIRE(getsockopt(s, IPPROTO_IP, IP_MTU, &mtu, &ml) == 0);
        CHECK(mtu == 1380);
        close(s);
        expect_counters({COLATRL_CNT_IN_XLAT, COLATRL_CNT_IN_XLAT_ICMP_ERROR}, ptb.size());
    }
    h.clear_config(tun.ifindex());
}

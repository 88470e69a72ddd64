// SPDX-License-Identifier: GPL-2.0-or-later
// Packet fuzzing through BPF_PROG_TEST_RUN: random and mutated packets (the
// shapes of the packet tests, then truncated, lengthened, re-lengthed,
// corrupted, re-typed) through all four programs, for every RFC 6052 prefix
// length and both checksum-neutral and non-neutral CLAT addresses. Every
// result is judged with the independent parser and checksum code of
// tests/common/: the verdict is pass (frame untouched), drop, or translated
// (family changed, the output parses, checksums are valid exactly when they
// were valid before, addresses and lengths are the configured/consistent
// ones). The counters of every batch sum to its packets.
//
// COLATRL_FUZZ_SEED picks the seed (printed), COLATRL_FUZZ_PACKETS the count.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <linux/pkt_cls.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace colatrl::test {
namespace {

constexpr uint64_t kDefaultSeed = 0xc01a7f22;
constexpr uint64_t kDefaultPackets = 1000000;
constexpr size_t kBatch = 2000;      // packets between counter checks
constexpr size_t kMaxFindings = 400; // reported in full; the rest only counted

uint64_t env_u64(const char* name, uint64_t dflt) {
    const char* s = std::getenv(name);
    if (s == nullptr || *s == '\0') {
        return dflt;
    }
    return std::strtoull(s, nullptr, 0);
}

// ---- randomness -------------------------------------------------------------

struct Rng {
    std::mt19937_64 g;
    uint64_t below(uint64_t n) { return n == 0 ? 0 : g() % n; }
    uint8_t below8(unsigned n) { return static_cast<uint8_t>(below(n)); }
    uint32_t below32(uint32_t n) { return static_cast<uint32_t>(below(n)); }
    bool chance(unsigned percent) { return below(100) < percent; }
    uint8_t byte() { return static_cast<uint8_t>(g()); }
    uint16_t u16() { return static_cast<uint16_t>(g()); }
    uint32_t u32() { return static_cast<uint32_t>(g()); }
    Bytes bytes(size_t n) {
        Bytes b(n);
        for (auto& x : b) {
            x = byte();
        }
        return b;
    }
    // Mostly small sizes, sometimes up to a full Ethernet MTU.
    size_t size() {
        switch (below(4)) {
        case 0:
            return below(16);
        case 1:
            return below(200);
        case 2:
            return below(600);
        default:
            return below(1460);
        }
    }
    template <typename T, size_t N> const T& pick(const std::array<T, N>& a) { return a[below(N)]; }
};

// ---- configs ------------------------------------------------------------------

struct FuzzCfg {
    std::string name;
    Ipv6Prefix pfx;
    Ipv4Addr clat4;
    Ipv6Addr clat6;
    Ipv4Addr server4; // the config's usual remote host
    colatrl_config cfg{};
};

// Every RFC 6052 length with and without a checksum-neutral CLAT address,
// the WKP with and without non-global translation, an IPv6-only uplink
// (COLATRL_F_IPV6_ONLY: what is not the CLAT's is dropped), and configs for the
// raw-IP programs: BPF_PROG_TEST_RUN derives skb->protocol from bytes 12-13
// as if they were an Ethertype, so IPv4 from 8.0.x.x and IPv6 from sources
// with 0x86dd in bytes 4-5 are the ones the raw-IP programs see as theirs.
std::vector<FuzzCfg> make_configs() {
    struct Def {
        const char* pfx;
        const char* clat4;
        bool neutral;
        uint8_t flags;
        const char* server;
    };
    const Def defs[] = {
        {"2001:db8::/32", addrs::kClat4, false, 0, addrs::kServer4},
        {"2001:db8::/32", addrs::kClat4, true, 0, addrs::kServer4},
        {"2001:db8:100::/40", addrs::kClat4, false, 0, addrs::kServer4},
        {"2001:db8:122::/48", addrs::kClat4, false, 0, addrs::kServer4},
        {"2001:db8:122:300::/56", addrs::kClat4, false, 0, addrs::kServer4},
        {"2001:db8:122:344::/64", addrs::kClat4, false, 0, addrs::kServer4},
        {"2001:db8:122:344::/96", addrs::kClat4, false, 0, addrs::kServer4},
        {"2001:db8:122:344::/96", addrs::kClat4, true, 0, addrs::kServer4},
        {addrs::kWkp, addrs::kClat4, false, 0, addrs::kServer4Global},
        {addrs::kWkp, addrs::kClat4, true, 0, addrs::kServer4Global},
        {addrs::kWkp, addrs::kClat4, false, COLATRL_F_TRANSLATE_NON_GLOBAL, addrs::kServer4},
        {"2001:db8:122::/48", addrs::kClat4, false, COLATRL_F_IPV6_ONLY, addrs::kServer4},
        // raw-IP friendly (see above)
        {"2001:db8::/32", "8.0.0.1", false, 0, "134.221.3.4"},
        {"2001:db8:8600::/40", "8.0.0.1", false, 0, "221.1.2.3"},
        {"2001:db8:86dd::/48", "8.0.0.1", false, 0, addrs::kServer4},
        {"2001:db8:86dd:344::/64", "8.0.0.1", false, 0, addrs::kServer4},
        {"2001:db8:86dd:344::/96", "8.0.0.1", true, 0, addrs::kServer4},
        {"2001:db8:86dd::/48", "8.0.0.1", false, COLATRL_F_IPV6_ONLY, addrs::kServer4},
    };
    std::vector<FuzzCfg> out;
    for (const Def& d : defs) {
        FuzzCfg c;
        c.pfx = prefix_of(d.pfx);
        c.clat4 = v4(d.clat4);
        c.clat6 = d.neutral ? neutral_clat6(c.clat4, c.pfx) : v6(addrs::kClat6);
        REQUIRE(csum_neutral(c.clat4, c.clat6, d.pfx) == d.neutral);
        c.server4 = v4(d.server);
        const uint8_t flags =
            static_cast<uint8_t>(d.flags | (d.neutral ? COLATRL_F_CSUM_NEUTRAL : 0));
        c.cfg = make_config(c.clat4, c.clat6, d.pfx, 1500, flags, kSlot);
        c.name = std::string(d.pfx) + " clat " + d.clat4 + (d.neutral ? " neutral" : "") +
                 ((d.flags & COLATRL_F_TRANSLATE_NON_GLOBAL) != 0 ? " non-global" : "") +
                 ((d.flags & COLATRL_F_IPV6_ONLY) != 0 ? " ipv6-only" : "");
        out.push_back(c);
    }
    return out;
}

// RFC 6052 §2.2 extraction, the inverse of the test's own embed6052().
Ipv4Addr extract6052(const Ipv6Prefix& p, const Ipv6Addr& a) {
    Ipv4Addr z{};
    Ipv4Addr probe = z;
    for (size_t i = 0; i < 4; ++i) {
        probe = z;
        probe.bytes[i] = 0xff;
        const Ipv6Addr m = embed6052(Ipv6Prefix{Ipv6Addr{}, p.len}, probe);
        for (size_t j = 0; j < 16; ++j) {
            if (m.bytes[j] == 0xff) {
                z.bytes[i] = a.bytes[j];
            }
        }
    }
    return z;
}

bool in_prefix(const Ipv6Prefix& p, const Ipv6Addr& a) {
    return std::equal(a.bytes.begin(), a.bytes.begin() + p.len / 8, p.addr.bytes.begin());
}

// ---- packet generators -------------------------------------------------------

Ipv4Addr pick_v4(const FuzzCfg& c, Rng& r) {
    static const std::array<const char*, 14> special = {
        "0.1.2.3",   "127.0.0.1", "224.0.0.1",   "239.1.2.3",    "255.255.255.255",
        "240.0.0.1", "10.1.2.3",  "192.168.1.1", "100.64.0.1",   "169.254.1.1",
        "192.0.0.8", "192.0.0.1", "9.9.9.9",     "198.51.100.7",
    };
    switch (r.below(8)) {
    case 0:
        return v4(r.pick(special));
    case 1:
        return Ipv4Addr{{r.byte(), r.byte(), r.byte(), r.byte()}};
    case 2:
        return Ipv4Addr{{134, 221, r.byte(), r.byte()}}; // raw-IP ingress, /32
    default: {
        Ipv4Addr a = c.server4;
        if (r.chance(30)) {
            a.bytes[3] = r.byte();
        }
        return a;
    }
    }
}

Bytes ip4_options(Rng& r) {
    switch (r.below(6)) {
    case 0:
        return {1, 1, 1, 1}; // NOPs
    case 1:
        return {7, 7, 4, 0, 0, 0, 0}; // Record Route
    case 2:
        return {131, 7, 4, 1, 2, 3, 4}; // LSRR
    case 3:
        return {137, 7, 4, 1, 2, 3, 4}; // SSRR
    case 4:
        return {68, 8, 5, 0, 0, 0, 0, 0}; // Timestamp
    default:
        return r.bytes(1 + r.below(40)); // garbage
    }
}

Bytes l4_for_v4(const Ipv4Addr& s, const Ipv4Addr& d, uint8_t proto, Rng& r) {
    const Bytes pl = r.bytes(r.size());
    if (proto == kProtoUdp) {
        UdpSpec us{.sport = r.u16(), .dport = r.u16()};
        const auto k = r.below(10);
        us.csum = k == 0 ? Csum::zero : k == 1 ? Csum::given : Csum::compute;
        us.given = r.u16();
        return udp(s, d, us, pl);
    }
    if (proto == kProtoTcp) {
        TcpSpec ts{.sport = r.u16(), .dport = r.u16(), .seq = r.u32(), .ack = r.u32()};
        ts.flags = r.byte();
        if (r.chance(30)) {
            ts.options = r.bytes(r.below(40));
        }
        return tcp(s, d, ts, pl);
    }
    return pl;
}

// The IPv4 packet quoted in an ICMPv4 error: the server's packet to the CLAT.
Bytes inner_v4(const FuzzCfg& c, Rng& r, int depth);

Bytes icmp4_msg(const FuzzCfg& c, Rng& r, int depth) {
    static const std::array<uint8_t, 9> types = {8, 0, 3, 3, 11, 12, 4, 5, 13};
    const uint8_t type = r.chance(5) ? r.byte() : r.pick(types);
    const uint8_t code = r.chance(70) ? (type == 3 ? r.below8(16) : r.below8(3)) : r.byte();
    uint32_t rest = r.u32();
    if (type == 3 && code == 4) {
        rest = r.chance(50) ? r.below32(1500) : r.u16();
    } else if (type == 3 || type == 11 || type == 12) {
        rest = r.chance(60) ? (type == 12 ? uint32_t{r.byte()} << 24 : 0) : rest;
        if (r.chance(10)) {
            rest |= uint32_t{r.byte()} << 16; // RFC 4884 length
        }
    }
    Bytes body;
    if (type == 0 || type == 8) {
        body = r.bytes(r.size());
    } else if (depth < 2) {
        body = inner_v4(c, r, depth + 1);
        if (r.chance(50)) {
            body = slice(body, 0, r.below(body.size() + 1));
        }
    } else {
        body = r.bytes(r.size());
    }
    return icmp4(type, code, rest, body,
                 r.chance(5) ? std::optional<uint16_t>(r.u16()) : std::nullopt);
}

Bytes v4_packet(const FuzzCfg& c, Rng& r, const Ipv4Addr& src, const Ipv4Addr& dst, int depth) {
    Ip4Spec s{.src = src, .dst = dst};
    static const std::array<uint8_t, 12> protos = {kProtoUdp,  kProtoUdp,  kProtoUdp,  kProtoTcp,
                                                   kProtoTcp,  kProtoTcp,  kProtoIcmp, kProtoIcmp,
                                                   kProtoIcmp, kProtoIgmp, 47,         50};
    s.proto = r.chance(5) ? r.byte() : r.pick(protos);
    s.tos = r.chance(30) ? r.byte() : 0;
    s.id = r.u16();
    s.df = r.chance(50);
    s.mf = r.chance(8);
    s.rf = r.chance(2);
    s.frag_offset_bytes = r.chance(8) ? static_cast<uint16_t>(r.below(8192) * 8) : 0;
    s.ttl = r.byte();
    if (r.chance(8)) {
        s.options = ip4_options(r);
    }
    const Bytes l4 =
        s.proto == kProtoIcmp ? icmp4_msg(c, r, depth) : l4_for_v4(src, dst, s.proto, r);
    return ipv4(s, l4);
}

Bytes inner_v4(const FuzzCfg& c, Rng& r, int depth) {
    const Ipv4Addr to = r.chance(85) ? c.clat4 : pick_v4(c, r);
    return v4_packet(c, r, pick_v4(c, r), to, depth);
}

Bytes gen_egress(const FuzzCfg& c, Rng& r) {
    const Ipv4Addr src = r.chance(90) ? c.clat4 : pick_v4(c, r);
    return v4_packet(c, r, src, pick_v4(c, r), 0);
}

Ipv6Addr pick_v6_src(const FuzzCfg& c, Rng& r) {
    if (r.chance(80)) {
        return embed6052(c.pfx, pick_v4(c, r));
    }
    if (r.chance(50)) {
        return v6("2001:db8:ffff::1"); // a router outside PREF64
    }
    Ipv6Addr a;
    for (auto& b : a.bytes) {
        b = r.byte();
    }
    return a;
}

Bytes ext_chain(Rng& r, uint8_t last, bool* has_frag) {
    // Built back to front: each header names the one after it.
    const size_t n = r.below(4);
    Bytes chain;
    uint8_t next = last;
    for (size_t i = 0; i < n; ++i) {
        Bytes h;
        uint8_t type = 0;
        switch (r.below(4)) {
        case 0:
            h = ext_hop_by_hop(next, r.chance(50) ? Bytes{} : r.bytes(r.below(12)));
            type = kProtoHopByHop;
            break;
        case 1:
            h = ext_dest_opts(next, r.chance(50) ? Bytes{} : r.bytes(r.below(12)));
            type = kProtoDstOpts;
            break;
        case 2:
            h = ext_routing(next, r.below8(5), r.chance(50) ? 0 : r.below8(4),
                            r.bytes(r.below(20)));
            type = kProtoRouting;
            break;
        default:
            h = ext_fragment(next, static_cast<uint16_t>(r.chance(50) ? 0 : r.below(8192) * 8),
                             r.chance(50), r.u32());
            type = kProtoFragment;
            *has_frag = true;
            break;
        }
        chain = cat({h, chain});
        next = type;
    }
    chain.insert(chain.begin(), next); // the first header's type, removed by the caller
    return chain;
}

Bytes inner_v6(const FuzzCfg& c, Rng& r, int depth);

Bytes v6_packet(const FuzzCfg& c, Rng& r, const Ipv6Addr& src, const Ipv6Addr& dst, int depth) {
    static const std::array<uint8_t, 10> protos = {
        kProtoUdp,    kProtoUdp,    kProtoTcp,    kProtoTcp, kProtoIcmpv6,
        kProtoIcmpv6, kProtoIcmpv6, kProtoNoNext, 47,        kProtoIcmpv6};
    const uint8_t proto = r.chance(4) ? r.byte() : r.pick(protos);
    Bytes l4;
    if (proto == kProtoUdp) {
        UdpSpec us{.sport = r.u16(), .dport = r.u16()};
        const auto k = r.below(10);
        us.csum = k == 0 ? Csum::zero : k == 1 ? Csum::given : Csum::compute;
        us.given = r.u16();
        l4 = udp(src, dst, us, r.bytes(r.size()));
    } else if (proto == kProtoTcp) {
        TcpSpec ts{.sport = r.u16(), .dport = r.u16(), .seq = r.u32(), .ack = r.u32()};
        ts.flags = r.byte();
        if (r.chance(30)) {
            ts.options = r.bytes(r.below(40));
        }
        l4 = tcp(src, dst, ts, r.bytes(r.size()));
    } else if (proto == kProtoIcmpv6) {
        static const std::array<uint8_t, 10> types = {128, 129, 1, 1, 2, 3, 4, 133, 135, 137};
        const uint8_t type = r.chance(5) ? r.byte() : r.pick(types);
        const uint8_t code = r.chance(80) ? r.below8(type == 1 ? 9 : 4) : r.byte();
        uint32_t rest = r.u32();
        if (type == 2) {
            rest = r.chance(60) ? 1280 + r.below32(8000) : r.u32();
        } else if (type == 1 || type == 3) {
            rest = r.chance(70) ? 0 : rest;
            if (r.chance(10)) {
                rest |= uint32_t{r.byte()} << 24; // RFC 4884 length
            }
        } else if (type == 4) {
            rest = r.chance(70) ? r.below32(80) : rest;
        }
        Bytes body;
        if (type < 128 && depth < 2) {
            body = inner_v6(c, r, depth + 1);
            if (r.chance(50)) {
                body = slice(body, 0, r.below(body.size() + 1));
            }
        } else {
            body = r.bytes(r.size());
        }
        l4 = icmp6(src, dst, type, code, rest, body,
                   r.chance(5) ? std::optional<uint16_t>(r.u16()) : std::nullopt);
    } else {
        l4 = r.bytes(r.size());
    }
    bool frag = false;
    Bytes chain = r.chance(20) ? ext_chain(r, proto, &frag) : Bytes{proto};
    const uint8_t first = chain[0];
    chain.erase(chain.begin());
    Ip6Spec s{.src = src, .dst = dst, .next_header = first};
    s.tclass = r.chance(30) ? r.byte() : 0;
    s.flow_label = r.chance(20) ? r.u32() & 0xfffff : 0;
    s.hop_limit = r.byte();
    return ipv6(s, cat({chain, l4}));
}

Bytes inner_v6(const FuzzCfg& c, Rng& r, int depth) {
    const Ipv6Addr from = r.chance(85) ? c.clat6 : pick_v6_src(c, r);
    return v6_packet(c, r, from, embed6052(c.pfx, pick_v4(c, r)), depth);
}

Bytes gen_ingress(const FuzzCfg& c, Rng& r) {
    const Ipv6Addr dst = r.chance(90) ? c.clat6 : v6(addrs::kOtherClat6);
    return v6_packet(c, r, pick_v6_src(c, r), dst, 0);
}

// Truncations, trailing bytes, wrong lengths, bad checksums, odd bytes.
void mutate(Bytes& p, Rng& r) {
    const size_t n = 1 + r.below(3);
    for (size_t i = 0; i < n; ++i) {
        switch (r.below(8)) {
        case 0:
            p.resize(r.below(p.size() + 1));
            break;
        case 1: {
            const Bytes extra = r.bytes(1 + r.below(64));
            p.insert(p.end(), extra.begin(), extra.end());
            break;
        }
        case 2:
        case 3:
            if (!p.empty()) {
                const size_t at =
                    r.chance(60) ? r.below(std::min<size_t>(p.size(), 80)) : r.below(p.size());
                p[at] = r.chance(50) ? r.byte() : static_cast<uint8_t>(p[at] ^ (1u << r.below(8)));
            }
            break;
        case 4: // the IP length field: random or a little off
            if (p.size() >= 6) {
                const size_t off = (p[0] >> 4) == 6 ? 4 : 2;
                const uint16_t old = get16(p, off);
                put16(p, off,
                      r.chance(50) ? r.u16() : static_cast<uint16_t>(old + r.below(17) - 8));
            }
            break;
        case 5: // a checksum somewhere in the first 64 bytes
            if (p.size() >= 2) {
                const size_t at = r.below(std::min<size_t>(p.size() - 1, 64));
                put16(p, at, static_cast<uint16_t>(get16(p, at) ^ (1u + r.below(0xffff))));
            }
            break;
        case 6: // IHL / version nibble
            if (!p.empty()) {
                p[0] = r.chance(50) ? static_cast<uint8_t>((p[0] & 0xf0) | r.below(16))
                                    : static_cast<uint8_t>((r.below(16) << 4) | (p[0] & 0x0f));
            }
            break;
        default: // the fragment field of IPv4
            if (p.size() >= 8 && (p[0] >> 4) == 4) {
                put16(p, 6, r.u16());
            }
            break;
        }
    }
}

// ---- judging ------------------------------------------------------------------

enum class Dir { egress, ingress };

struct Tally {
    uint64_t runs = 0, pass = 0, drop = 0, xlat = 0;
    uint64_t eg_frag = 0, eg_err = 0, in_frag = 0, in_err = 0, in_foreign = 0;
    uint64_t bytes = 0;
    uint64_t unjudged = 0; // translated raw-IP shapes test-run cannot reproduce
};

struct Judge {
    const FuzzCfg& c;
    std::vector<std::string> problems;
    void fail(const std::string& s) { problems.push_back(s); }
    void expect(bool ok, const char* what) {
        if (!ok) {
            fail(what);
        }
    }
};

size_t csum_field(uint8_t proto) {
    return proto == kProtoTcp ? 16 : 6;
}

// Equal apart from the 16-bit field at `skip` (when it is inside both).
bool same_except(const Bytes& a, const Bytes& b, size_t skip) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i] && i != skip && i != skip + 1) {
            return false;
        }
    }
    return true;
}

bool is_icmp4_error(uint8_t t) {
    return t == 3 || t == 11 || t == 12;
}

void judge_egress(Judge& j, const Bytes& in_ip, const Bytes& out_ip) {
    const Ip4View in = parse_ipv4(in_ip);
    if (!in.ok) {
        j.fail("translated an IPv4 packet that does not parse: " + in.error);
        return;
    }
    const Ip6View v = parse_ipv6(out_ip);
    if (!v.ok) {
        j.fail("output does not parse as IPv6: " + v.error);
        return;
    }
    j.expect(v.trailing == 0 && v.payload_length + 40u == out_ip.size(),
             "IPv6 payload length != frame length - 40");
    j.expect(v.src == j.c.clat6, "IPv6 source is not the CLAT address");
    j.expect(v.dst == embed6052(j.c.pfx, in.dst), "IPv6 destination is not PREF64 + IPv4 dst");
    j.expect(v.hop_limit == in.ttl, "hop limit != TTL");
    j.expect(v.tclass == in.tos && v.flow_label == 0, "traffic class / flow label");
    const bool is_frag = in.mf || in.frag_offset_bytes != 0;
    if (is_frag) {
        j.expect(v.frag && v.exts.size() == 1 && v.frag->offset_bytes == in.frag_offset_bytes &&
                     v.frag->more == in.mf && v.frag->id == in.id && v.frag->reserved == 0 &&
                     v.frag->res2 == 0,
                 "fragment header does not match the IPv4 fragment fields");
    } else {
        j.expect(v.exts.empty(), "extension header on an unfragmented packet");
    }
    const uint8_t want_proto = in.proto == kProtoIcmp ? kProtoIcmpv6 : in.proto;
    j.expect(v.l4_proto == want_proto, "upper-layer protocol");
    const bool first = in.frag_offset_bytes == 0;
    if (in.proto != kProtoIcmp) {
        j.expect(in.l4.size() + 40 + (is_frag ? 8 : 0) == out_ip.size(),
                 "IPv6 size != IPv4 payload + headers");
    }
    if (in.proto == kProtoTcp || in.proto == kProtoUdp) {
        const size_t cf = csum_field(in.proto);
        if (!first) {
            j.expect(v.l4 == in.l4, "non-first fragment payload changed");
            return;
        }
        j.expect(same_except(v.l4, in.l4, cf), "transport bytes other than the checksum changed");
        if (v.l4.size() < cf + 2) {
            j.fail("translated a transport header without its checksum field");
            return;
        }
        const uint16_t oc = get16(v.l4, cf);
        const bool udp_zero = in.proto == kProtoUdp && get16(in.l4, cf) == 0;
        if (in.proto == kProtoUdp) {
            j.expect(oc != 0, "UDP checksum 0 in IPv6");
            j.expect(!(udp_zero && is_frag), "zero-checksum UDP fragment translated");
        }
        if (!is_frag) {
            const bool in_ok = udp_zero || l4_checksum_v4_ok(in.src, in.dst, in.proto, in.l4);
            const bool out_ok = l4_checksum_v6_ok(v.src, v.dst, in.proto, v.l4);
            j.expect(in_ok == out_ok, in_ok ? "valid transport checksum became invalid"
                                            : "invalid transport checksum became valid");
        }
        return;
    }
    if (in.proto != kProtoIcmp) {
        j.expect(v.l4 == in.l4, "payload of another protocol changed");
        return;
    }
    const IcmpView ic4 = parse_icmp(in.l4);
    const IcmpView ic6 = parse_icmp(v.l4);
    if (!ic4.ok || !ic6.ok || is_frag) {
        j.fail("translated a fragmented or short ICMP message");
        return;
    }
    if (ic4.type == 8 || ic4.type == 0) {
        j.expect(ic6.type == (ic4.type == 8 ? 128 : 129) && ic6.code == ic4.code &&
                     ic6.rest == ic4.rest && ic6.body == ic4.body,
                 "echo fields");
        const bool in_ok = rfc1071_ok(in.l4);
        const bool out_ok = l4_checksum_v6_ok(v.src, v.dst, kProtoIcmpv6, v.l4);
        j.expect(in_ok == out_ok, in_ok ? "valid echo checksum became invalid"
                                        : "invalid echo checksum became valid");
        return;
    }
    j.expect(is_icmp4_error(ic4.type), "translated an ICMPv4 type that is not echo or error");
    j.expect(ic6.type >= 1 && ic6.type <= 4, "ICMPv6 error type");
    j.expect(rfc1071_ok(in.l4), "translated an ICMPv4 error with a bad checksum");
    j.expect(l4_checksum_v6_ok(v.src, v.dst, kProtoIcmpv6, v.l4), "ICMPv6 error checksum");
    j.expect(out_ip.size() <= 1280, "ICMPv6 error larger than 1280 bytes");
    if (ic4.body.size() < 20 || ic6.body.size() < 40) {
        j.fail("error without a whole inner header");
        return;
    }
    const Ipv4Addr isrc{{ic4.body[12], ic4.body[13], ic4.body[14], ic4.body[15]}};
    const Ipv4Addr idst{{ic4.body[16], ic4.body[17], ic4.body[18], ic4.body[19]}};
    Ipv6Addr s6, d6;
    std::copy_n(ic6.body.begin() + 8, 16, s6.bytes.begin());
    std::copy_n(ic6.body.begin() + 24, 16, d6.bytes.begin());
    j.expect((ic6.body[0] >> 4) == 6, "inner version");
    j.expect(idst == j.c.clat4 && d6 == j.c.clat6, "inner destination is not the CLAT");
    j.expect(s6 == embed6052(j.c.pfx, isrc), "inner source is not PREF64 + inner IPv4 source");
}

void judge_ingress(Judge& j, const Bytes& in_ip, const Bytes& out_ip) {
    const Ip6View in = parse_ipv6(in_ip);
    if (!in.ok) {
        j.fail("translated an IPv6 packet that does not parse: " + in.error);
        return;
    }
    const Ip4View o = parse_ipv4(out_ip);
    if (!o.ok) {
        j.fail("output does not parse as IPv4: " + o.error);
        return;
    }
    j.expect(o.ihl == 5 && o.options.empty(), "IHL 5");
    j.expect(o.header_checksum_ok, "IPv4 header checksum");
    j.expect(o.total_length == out_ip.size() && o.trailing == 0, "total length != frame length");
    j.expect(!o.rf, "reserved flag");
    j.expect(o.dst == j.c.clat4, "IPv4 destination is not the CLAT address");
    j.expect(o.ttl == in.hop_limit && o.tos == in.tclass, "TTL / TOS");
    const uint8_t want_proto = in.l4_proto == kProtoIcmpv6 ? kProtoIcmp : in.l4_proto;
    j.expect(o.proto == want_proto, "protocol");
    const bool from_pref64 = in_prefix(j.c.pfx, in.src);
    if (in.frag) {
        j.expect(!o.df && o.mf == in.frag->more && o.frag_offset_bytes == in.frag->offset_bytes &&
                     o.id == (in.frag->id & 0xffff),
                 "IPv4 fragment fields do not match the fragment header");
    } else {
        j.expect(!o.mf && o.frag_offset_bytes == 0, "fragment fields on an unfragmented packet");
    }
    j.expect(o.l4.size() == in.l4.size() || in.l4_proto == kProtoIcmpv6,
             "IPv4 payload size != IPv6 upper-layer size");
    const bool first = !in.frag || in.frag->offset_bytes == 0;
    if (in.l4_proto == kProtoTcp || in.l4_proto == kProtoUdp) {
        j.expect(from_pref64 && o.src == extract6052(j.c.pfx, in.src),
                 "IPv4 source is not the PREF64-extracted one");
        const size_t cf = csum_field(in.l4_proto);
        if (!first) {
            j.expect(o.l4 == in.l4, "non-first fragment payload changed");
            return;
        }
        j.expect(same_except(o.l4, in.l4, cf), "transport bytes other than the checksum changed");
        if (o.l4.size() < cf + 2) {
            j.fail("translated a transport header without its checksum field");
            return;
        }
        if (in.l4_proto == kProtoUdp) {
            j.expect(get16(in.l4, cf) != 0, "translated IPv6 UDP with checksum 0");
        }
        if (!in.frag) {
            const bool in_ok = l4_checksum_v6_ok(in.src, in.dst, in.l4_proto, in.l4);
            const bool out_ok = l4_checksum_v4_ok(o.src, o.dst, in.l4_proto, o.l4);
            j.expect(in_ok == out_ok, in_ok ? "valid transport checksum became invalid"
                                            : "invalid transport checksum became valid");
        }
        return;
    }
    if (in.l4_proto != kProtoIcmpv6) {
        j.expect(from_pref64 && o.src == extract6052(j.c.pfx, in.src),
                 "IPv4 source is not the PREF64-extracted one");
        j.expect(o.l4 == in.l4, "payload of another protocol changed");
        return;
    }
    const IcmpView ic6 = parse_icmp(in.l4);
    const IcmpView ic4 = parse_icmp(o.l4);
    if (!ic6.ok || !ic4.ok || in.frag) {
        j.fail("translated a fragmented or short ICMPv6 message");
        return;
    }
    if (ic6.type == 128 || ic6.type == 129) {
        j.expect(from_pref64 && o.src == extract6052(j.c.pfx, in.src),
                 "IPv4 source is not the PREF64-extracted one");
        j.expect(ic4.type == (ic6.type == 128 ? 8 : 0) && ic4.code == ic6.code &&
                     ic4.rest == ic6.rest && ic4.body == ic6.body && o.l4.size() == in.l4.size(),
                 "echo fields");
        const bool in_ok = l4_checksum_v6_ok(in.src, in.dst, kProtoIcmpv6, in.l4);
        const bool out_ok = rfc1071_ok(o.l4);
        j.expect(in_ok == out_ok, in_ok ? "valid echo checksum became invalid"
                                        : "invalid echo checksum became valid");
        return;
    }
    j.expect(ic6.type < 128, "translated an ICMPv6 type that is not echo or error");
    j.expect(is_icmp4_error(ic4.type), "ICMPv4 error type");
    // docs/decisions.md: errors from routers outside PREF64 get 192.0.0.8.
    j.expect(from_pref64 ? o.src == extract6052(j.c.pfx, in.src) : o.src == v4("192.0.0.8"),
             "ICMP error source (PREF64-extracted or 192.0.0.8)");
    j.expect(l4_checksum_v6_ok(in.src, in.dst, kProtoIcmpv6, in.l4),
             "translated an ICMPv6 error with a bad checksum");
    j.expect(rfc1071_ok(o.l4), "ICMPv4 error checksum");
    j.expect(out_ip.size() <= 576, "ICMPv4 error larger than 576 bytes");
    if (ic6.body.size() < 40 || ic4.body.size() < 20) {
        j.fail("error without a whole inner header");
        return;
    }
    const Bytes ih = slice(ic4.body, 0, 20);
    Ipv6Addr s6, d6;
    std::copy_n(ic6.body.begin() + 8, 16, s6.bytes.begin());
    std::copy_n(ic6.body.begin() + 24, 16, d6.bytes.begin());
    j.expect(ih[0] == 0x45 && rfc1071_ok(ih), "inner IPv4 header (version, IHL, checksum)");
    j.expect(s6 == j.c.clat6 && Ipv4Addr{{ih[12], ih[13], ih[14], ih[15]}} == j.c.clat4,
             "inner source is not the CLAT");
    j.expect(in_prefix(j.c.pfx, d6) &&
                 Ipv4Addr{{ih[16], ih[17], ih[18], ih[19]}} == extract6052(j.c.pfx, d6),
             "inner destination is not the PREF64-extracted one");
}

// The detail counters a translated packet moves besides the direction's
// "translated" one (bpf/colatrl_shared.h), from the input alone.
void tally_details(Dir dir, const FuzzCfg& c, const Bytes& ip, Tally& t) {
    if (dir == Dir::egress) {
        const Ip4View in = parse_ipv4(ip);
        if (in.mf || in.frag_offset_bytes != 0) {
            ++t.eg_frag;
        }
        if (in.proto == kProtoIcmp && !in.l4.empty() && is_icmp4_error(in.l4[0])) {
            ++t.eg_err;
        }
        return;
    }
    const Ip6View in = parse_ipv6(ip);
    if (in.frag && (in.frag->offset_bytes != 0 || in.frag->more)) {
        ++t.in_frag;
    }
    if (in.l4_proto == kProtoIcmpv6 && !in.frag && !in.l4.empty() && in.l4[0] < 128) {
        ++t.in_err;
        t.in_foreign += in_prefix(c.pfx, in.src) ? 0 : 1;
    }
}

// BPF_PROG_TEST_RUN gives every skb a 14-byte MAC header, so on the raw-IP
// programs the helpers that insert or remove bytes after the network header
// (IPv4 options, Fragment headers, IPv6 extension headers, ICMP errors'
// inner headers) work
// 14 bytes off; those shapes are checked on a real tun device (test_tun.cpp)
// and here only for verdict, family and counters.
bool rawip_shape_faithful(Dir dir, const Bytes& ip) {
    if (dir == Dir::egress) {
        return ip.size() > 20 && ip[0] == 0x45 && (get16(ip, 6) & 0x3fff) == 0 &&
               (ip[9] != kProtoIcmp || ip[20] == 0 || ip[20] == 8);
    }
    return ip.size() > 40 && (ip[6] == kProtoTcp || ip[6] == kProtoUdp ||
                              (ip[6] == kProtoIcmpv6 && (ip[40] == 128 || ip[40] == 129)));
}

// ---- the run ---------------------------------------------------------------------

struct Finding {
    std::string text;
};

constexpr std::array<colatrl_counter_id, 5> kDetail = {
    COLATRL_CNT_EG_XLAT_FRAGMENT, COLATRL_CNT_EG_XLAT_ICMP_ERROR, COLATRL_CNT_IN_XLAT_FRAGMENT,
    COLATRL_CNT_IN_XLAT_ICMP_ERROR, COLATRL_CNT_IN_XLAT_ICMP_FOREIGN_SRC};

bool is_detail(int id) {
    return std::find(kDetail.begin(), kDetail.end(), static_cast<colatrl_counter_id>(id)) !=
           kDetail.end();
}

bool is_drop(int id) {
    return (id >= COLATRL_CNT_EG_DROP_MALFORMED && id <= COLATRL_CNT_EG_DROP_ARP) ||
           (id >= COLATRL_CNT_IN_DROP_MALFORMED && id <= COLATRL_CNT_IN_DROP_ICMP_CSUM);
}

bool is_pass(int id) {
    return (id >= COLATRL_CNT_EG_PASS_NOT_IPV4 && id <= COLATRL_CNT_EG_PASS_NO_CONFIG) ||
           (id >= COLATRL_CNT_IN_PASS_NOT_IPV6 && id <= COLATRL_CNT_IN_PASS_NO_CONFIG);
}

// Compares the counters of kSlot with the batch's tally; returns problems.
std::string check_counters(const Tally& t) {
    auto& h = Harness::get();
    uint64_t pass = 0, drop = 0, xlat = 0, all = 0, bytes = 0;
    std::ostringstream bad;
    for (int i = 0; i < COLATRL_CNT__COUNT; ++i) {
        const auto id = static_cast<colatrl_counter_id>(i);
        const colatrl_counter cnt = h.counter(kSlot, id);
        if (h.counter(COLATRL_SLOT_UNCONFIGURED, id).packets != 0) {
            bad << "unconfigured slot counter " << i << " moved; ";
        }
        if (is_detail(i)) {
            continue;
        }
        all += cnt.packets;
        bytes += cnt.bytes;
        if (is_pass(i)) {
            pass += cnt.packets;
        } else if (is_drop(i)) {
            drop += cnt.packets;
        } else {
            xlat += cnt.packets;
        }
    }
    auto cmp = [&](const char* what, uint64_t have, uint64_t want) {
        if (have != want) {
            bad << what << " counted " << have << ", expected " << want << "; ";
        }
    };
    cmp("packets (each once)", all, t.runs);
    cmp("pass", pass, t.pass);
    cmp("drop", drop, t.drop);
    cmp("translated", xlat, t.xlat);
    cmp("bytes", bytes, t.bytes);
    cmp("egress_translated_fragment", h.counter(kSlot, COLATRL_CNT_EG_XLAT_FRAGMENT).packets,
        t.eg_frag);
    cmp("egress_translated_icmp_error", h.counter(kSlot, COLATRL_CNT_EG_XLAT_ICMP_ERROR).packets,
        t.eg_err);
    cmp("ingress_translated_fragment", h.counter(kSlot, COLATRL_CNT_IN_XLAT_FRAGMENT).packets,
        t.in_frag);
    cmp("ingress_translated_icmp_error", h.counter(kSlot, COLATRL_CNT_IN_XLAT_ICMP_ERROR).packets,
        t.in_err);
    cmp("ingress_translated_icmp_foreign_source",
        h.counter(kSlot, COLATRL_CNT_IN_XLAT_ICMP_FOREIGN_SRC).packets, t.in_foreign);
    return bad.str();
}

struct Totals {
    uint64_t runs = 0, pass = 0, drop = 0, xlat = 0, unjudged = 0;
    std::array<uint64_t, 4> per_prog{};
};

// One packet through one program, judged; returns false on a finding.
void run_one(const FuzzCfg& c, Prog prog, const Bytes& ip, uint16_t ethertype, Rng& r, Tally& t,
             std::vector<Finding>& findings, uint64_t& nfind) {
    const bool eth_prog = prog == Prog::egress_eth || prog == Prog::ingress_eth;
    const Dir dir =
        (prog == Prog::egress_eth || prog == Prog::egress_rawip) ? Dir::egress : Dir::ingress;
    const Bytes frame = eth_prog ? eth(ethertype, ip) : ip;
    // BPF_PROG_TEST_RUN refuses (EINVAL) frames shorter than an Ethernet
    // header, and (kernel 6.18) ones whose Ethertype (bytes 12-13, also on
    // raw-IP) announces IPv4/IPv6 without room for that header.
    const uint16_t l3 = frame.size() >= 14 ? get16(frame, 12) : 0;
    if (frame.size() < 14 || (l3 == kEthIpv4 && frame.size() < 14 + 20) ||
        (l3 == kEthIpv6 && frame.size() < 14 + 40)) {
        return;
    }
    const uint32_t gso =
        frame.size() > 100 && r.chance(2) ? static_cast<uint32_t>(500 + r.below(1000)) : 0;
    RunResult res;
    try {
        res = Harness::get().run(prog, frame, kIf, gso);
    } catch (...) { // a failed test-run syscall: say on which packet
        std::printf("FINDING test run of %s (gso %u) failed on: %s\n", prog_name(prog), gso,
                    hex(frame).c_str());
        std::fflush(stdout);
        throw;
    }
    ++t.runs;
    Judge j{c, {}};
    if (res.retval == TC_ACT_SHOT) {
        ++t.drop;
        t.bytes += frame.size();
    } else if (res.retval != TC_ACT_UNSPEC) {
        j.fail("verdict " + std::to_string(res.retval) + " is neither TC_ACT_UNSPEC nor SHOT");
    } else if (res.data == frame) {
        ++t.pass;
        t.bytes += frame.size();
    } else {
        ++t.xlat;
        const size_t l2 = eth_prog ? 14 : 0;
        Bytes out = slice(res.data, l2);
        const uint8_t want_ver = dir == Dir::egress ? 6 : 4;
        if (eth_prog) {
            const EthView ev = parse_eth(res.data);
            j.expect(ev.ok && ev.dst == kMacB && ev.src == kMacA, "Ethernet addresses changed");
            j.expect(ev.ethertype == (dir == Dir::egress ? kEthIpv6 : kEthIpv4),
                     "Ethertype does not match the new family");
            j.expect(ethertype == (dir == Dir::egress ? kEthIpv4 : kEthIpv6),
                     "translated a frame of the other Ethertype");
        }
        tally_details(dir, c, ip, t);
        if (out.empty() || (out[0] >> 4) != want_ver) {
            j.fail("changed, but not into the other family");
        } else if (!eth_prog && !rawip_shape_faithful(dir, ip)) {
            ++t.unjudged;
        } else if (dir == Dir::egress) {
            judge_egress(j, ip, out);
        } else {
            judge_ingress(j, ip, out);
        }
        t.bytes += dir == Dir::egress ? res.data.size() : frame.size();
    }
    if (!j.problems.empty()) {
        ++nfind;
        if (findings.size() < kMaxFindings) {
            std::ostringstream s;
            s << prog_name(prog) << " config " << c.name << (gso ? " gso" : "") << ": ";
            for (const auto& p : j.problems) {
                s << p << "; ";
            }
            s << "\n  in:  " << hex(frame) << "\n  out: " << hex(res.data);
            findings.push_back({s.str()});
        }
    }
}

} // namespace

TEST_CASE("fuzzed packets through all four programs", "[.][fuzz]") {
    const uint64_t seed = env_u64("COLATRL_FUZZ_SEED", kDefaultSeed);
    const uint64_t total = env_u64("COLATRL_FUZZ_PACKETS", kDefaultPackets);
    std::printf("bpf fuzz: seed 0x%llx (COLATRL_FUZZ_SEED), %llu packets (COLATRL_FUZZ_PACKETS)\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(total));
    std::fflush(stdout);
    Rng r{std::mt19937_64(seed)};
    const std::vector<FuzzCfg> cfgs = make_configs();
    std::vector<Finding> findings;
    uint64_t nfind = 0;
    Totals tot;
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t done = 0;
    size_t batch_no = 0;
    while (done < total) {
        const FuzzCfg& c = cfgs[batch_no % cfgs.size()];
        Harness::get().set_config(kIf, c.cfg);
        reset_counters();
        Tally t;
        const uint64_t want = std::min<uint64_t>(kBatch, total - done);
        while (t.runs < want) {
            const bool egress = r.chance(50);
            Bytes ip = egress ? gen_egress(c, r) : gen_ingress(c, r);
            uint16_t et = egress ? kEthIpv4 : kEthIpv6;
            if (r.chance(2)) {
                ip = r.bytes(r.size()); // plain noise, right Ethertype
            } else if (r.chance(45)) {
                mutate(ip, r);
            }
            if (r.chance(2)) {
                et = r.chance(50) ? (egress ? kEthIpv6 : kEthIpv4) : r.u16();
            }
            // Mostly the program of the packet's direction, sometimes the other.
            const bool to_egress = r.chance(95) ? egress : !egress;
            const bool rawip = r.chance(35);
            const Prog prog = to_egress ? (rawip ? Prog::egress_rawip : Prog::egress_eth)
                                        : (rawip ? Prog::ingress_rawip : Prog::ingress_eth);
            const uint64_t before = t.runs;
            run_one(c, prog, ip, et, r, t, findings, nfind);
            if (t.runs != before) {
                ++tot.per_prog[static_cast<size_t>(prog)];
            }
        }
        const std::string bad = check_counters(t);
        if (!bad.empty()) {
            ++nfind;
            if (findings.size() < kMaxFindings) {
                findings.push_back({"counters of batch " + std::to_string(batch_no) + " (config " +
                                    c.name + "): " + bad});
            }
        }
        tot.runs += t.runs;
        tot.pass += t.pass;
        tot.drop += t.drop;
        tot.xlat += t.xlat;
        tot.unjudged += t.unjudged;
        done += t.runs;
        ++batch_no;
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Harness::get().clear_config(kIf);
    std::printf(
        "bpf fuzz: %llu packets in %.1f s (egress_eth %llu, egress_rawip %llu, "
        "ingress_eth %llu, ingress_rawip %llu): pass %llu, drop %llu, translated %llu "
        "(%llu raw-IP ones judged by verdict and counters only); %llu findings\n",
        static_cast<unsigned long long>(tot.runs), secs,
        static_cast<unsigned long long>(tot.per_prog[0]),
        static_cast<unsigned long long>(tot.per_prog[1]),
        static_cast<unsigned long long>(tot.per_prog[2]),
        static_cast<unsigned long long>(tot.per_prog[3]), static_cast<unsigned long long>(tot.pass),
        static_cast<unsigned long long>(tot.drop), static_cast<unsigned long long>(tot.xlat),
        static_cast<unsigned long long>(tot.unjudged), static_cast<unsigned long long>(nfind));
    for (const auto& f : findings) {
        std::printf("FINDING %s\n", f.text.c_str());
    }
    std::fflush(stdout);
    CHECK(nfind == 0);
    // The generator must reach every outcome, or the fuzzing proves little.
    CHECK(tot.pass > 0);
    CHECK(tot.drop > 0);
    CHECK(tot.xlat > tot.runs / 10);
}

} // namespace colatrl::test

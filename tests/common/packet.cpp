// SPDX-License-Identifier: GPL-2.0-or-later
#include "packet.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace colatrl::test {

Bytes cat(std::initializer_list<std::span<const uint8_t>> parts) {
    Bytes out;
    for (auto p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

Bytes slice(std::span<const uint8_t> b, size_t off, size_t len) {
    if (off >= b.size()) {
        return {};
    }
    size_t n = std::min(len, b.size() - off);
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(off),
                 b.begin() + static_cast<std::ptrdiff_t>(off + n));
}

Bytes pattern(size_t n, uint8_t seed) {
    Bytes out(n);
    for (size_t i = 0; i < n; ++i) {
        out[i] = static_cast<uint8_t>(seed + i);
    }
    return out;
}

uint16_t get16(std::span<const uint8_t> b, size_t off) {
    return static_cast<uint16_t>((b[off] << 8) | b[off + 1]);
}

uint32_t get32(std::span<const uint8_t> b, size_t off) {
    return (uint32_t{b[off]} << 24) | (uint32_t{b[off + 1]} << 16) | (uint32_t{b[off + 2]} << 8) |
           uint32_t{b[off + 3]};
}

void put16(Bytes& b, size_t off, uint16_t v) {
    b[off] = static_cast<uint8_t>(v >> 8);
    b[off + 1] = static_cast<uint8_t>(v);
}

void put32(Bytes& b, size_t off, uint32_t v) {
    put16(b, off, static_cast<uint16_t>(v >> 16));
    put16(b, off + 2, static_cast<uint16_t>(v));
}

std::string hex(std::span<const uint8_t> b) {
    std::string s;
    char buf[4];
    for (size_t i = 0; i < b.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%02x", b[i]);
        if (i != 0) {
            s += (i % 16 == 0) ? '\n' : ' ';
        }
        s += buf;
    }
    return s;
}

Ipv4Addr v4(const char* text) {
    auto r = Ipv4Addr::parse(text);
    if (!r) {
        std::fprintf(stderr, "test bug: bad IPv4 literal %s\n", text);
        std::abort();
    }
    return *r;
}

Ipv6Addr v6(const char* text) {
    auto r = Ipv6Addr::parse(text);
    if (!r) {
        std::fprintf(stderr, "test bug: bad IPv6 literal %s\n", text);
        std::abort();
    }
    return *r;
}

// ---- Ethernet -----------------------------------------------------------

Bytes eth(uint16_t ethertype, std::span<const uint8_t> payload, const Mac& dst, const Mac& src) {
    Bytes out(14);
    std::copy(dst.begin(), dst.end(), out.begin());
    std::copy(src.begin(), src.end(), out.begin() + 6);
    put16(out, 12, ethertype);
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

EthView parse_eth(std::span<const uint8_t> frame) {
    EthView v;
    if (frame.size() < 14) {
        return v;
    }
    std::copy(frame.begin(), frame.begin() + 6, v.dst.begin());
    std::copy(frame.begin() + 6, frame.begin() + 12, v.src.begin());
    v.ethertype = get16(frame, 12);
    v.payload = slice(frame, 14);
    v.ok = true;
    return v;
}

// ---- IPv4 ---------------------------------------------------------------

Bytes ipv4(const Ip4Spec& s, std::span<const uint8_t> payload) {
    Bytes opts = s.options;
    while (opts.size() % 4 != 0) {
        opts.push_back(0);
    }
    size_t hlen = 20 + opts.size();
    Bytes out(hlen);
    uint8_t ihl = s.ihl.value_or(static_cast<uint8_t>(hlen / 4));
    out[0] = static_cast<uint8_t>((s.version << 4) | (ihl & 0x0f));
    out[1] = s.tos;
    put16(out, 2, s.total_length.value_or(static_cast<uint16_t>(hlen + payload.size())));
    put16(out, 4, s.id);
    uint16_t frag = static_cast<uint16_t>((s.frag_offset_bytes / 8) & 0x1fff);
    if (s.rf) {
        frag |= 0x8000;
    }
    if (s.df) {
        frag |= 0x4000;
    }
    if (s.mf) {
        frag |= 0x2000;
    }
    put16(out, 6, frag);
    out[8] = s.ttl;
    out[9] = s.proto;
    std::copy(s.src.bytes.begin(), s.src.bytes.end(), out.begin() + 12);
    std::copy(s.dst.bytes.begin(), s.dst.bytes.end(), out.begin() + 16);
    std::copy(opts.begin(), opts.end(), out.begin() + 20);
    put16(out, 10, s.checksum.value_or(rfc1071(out)));
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

Ip4View parse_ipv4(std::span<const uint8_t> p) {
    Ip4View v;
    if (p.size() < 20) {
        v.error = "shorter than an IPv4 header";
        return v;
    }
    v.version = static_cast<uint8_t>(p[0] >> 4);
    v.ihl = static_cast<uint8_t>(p[0] & 0x0f);
    v.tos = p[1];
    v.total_length = get16(p, 2);
    v.id = get16(p, 4);
    uint16_t frag = get16(p, 6);
    v.rf = (frag & 0x8000) != 0;
    v.df = (frag & 0x4000) != 0;
    v.mf = (frag & 0x2000) != 0;
    v.frag_offset_bytes = static_cast<uint16_t>((frag & 0x1fff) * 8);
    v.ttl = p[8];
    v.proto = p[9];
    v.checksum = get16(p, 10);
    std::copy(p.begin() + 12, p.begin() + 16, v.src.bytes.begin());
    std::copy(p.begin() + 16, p.begin() + 20, v.dst.bytes.begin());
    size_t hlen = size_t{v.ihl} * 4;
    if (v.version != 4) {
        v.error = "version is not 4";
        return v;
    }
    if (hlen < 20 || hlen > p.size()) {
        v.error = "bad IHL";
        return v;
    }
    if (v.total_length < hlen || v.total_length > p.size()) {
        v.error = "bad total length";
        return v;
    }
    v.options = slice(p, 20, hlen - 20);
    v.header_checksum_ok = rfc1071_ok(p.subspan(0, hlen));
    v.l4 = slice(p, hlen, v.total_length - hlen);
    v.trailing = p.size() - v.total_length;
    v.ok = true;
    return v;
}

// ---- IPv6 ---------------------------------------------------------------

Bytes ipv6(const Ip6Spec& s, std::span<const uint8_t> payload) {
    Bytes out(40);
    uint32_t w0 =
        (uint32_t{s.version} << 28) | (uint32_t{s.tclass} << 20) | (s.flow_label & 0xfffff);
    put32(out, 0, w0);
    put16(out, 4, s.payload_length.value_or(static_cast<uint16_t>(payload.size())));
    out[6] = s.next_header;
    out[7] = s.hop_limit;
    std::copy(s.src.bytes.begin(), s.src.bytes.end(), out.begin() + 8);
    std::copy(s.dst.bytes.begin(), s.dst.bytes.end(), out.begin() + 24);
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

namespace {

// Options header (hop-by-hop / destination options), padded to 8 bytes.
Bytes options_header(uint8_t next, std::span<const uint8_t> options) {
    Bytes out{next, 0};
    out.insert(out.end(), options.begin(), options.end());
    size_t pad = (8 - out.size() % 8) % 8;
    if (pad == 1) {
        out.push_back(0); // Pad1
    } else if (pad >= 2) {
        out.push_back(1); // PadN
        out.push_back(static_cast<uint8_t>(pad - 2));
        out.insert(out.end(), pad - 2, 0);
    }
    out[1] = static_cast<uint8_t>(out.size() / 8 - 1);
    return out;
}

} // namespace

Bytes ext_hop_by_hop(uint8_t next, std::span<const uint8_t> options) {
    return options_header(next, options);
}

Bytes ext_dest_opts(uint8_t next, std::span<const uint8_t> options) {
    return options_header(next, options);
}

Bytes ext_routing(uint8_t next, uint8_t routing_type, uint8_t segments_left,
                  std::span<const uint8_t> data) {
    Bytes out{next, 0, routing_type, segments_left};
    out.insert(out.end(), data.begin(), data.end());
    while (out.size() < 8 || out.size() % 8 != 0) {
        out.push_back(0);
    }
    out[1] = static_cast<uint8_t>(out.size() / 8 - 1);
    return out;
}

Bytes ext_fragment(uint8_t next, uint16_t offset_bytes, bool more, uint32_t id, uint8_t reserved,
                   uint8_t res2) {
    Bytes out(8);
    out[0] = next;
    out[1] = reserved;
    uint16_t w = static_cast<uint16_t>((offset_bytes / 8) << 3);
    w = static_cast<uint16_t>(w | ((res2 & 0x3) << 1) | (more ? 1 : 0));
    put16(out, 2, w);
    put32(out, 4, id);
    return out;
}

Ip6View parse_ipv6(std::span<const uint8_t> p) {
    Ip6View v;
    if (p.size() < 40) {
        v.error = "shorter than an IPv6 header";
        return v;
    }
    uint32_t w0 = get32(p, 0);
    v.version = static_cast<uint8_t>(w0 >> 28);
    v.tclass = static_cast<uint8_t>(w0 >> 20);
    v.flow_label = w0 & 0xfffff;
    v.payload_length = get16(p, 4);
    v.next_header = p[6];
    v.hop_limit = p[7];
    std::copy(p.begin() + 8, p.begin() + 24, v.src.bytes.begin());
    std::copy(p.begin() + 24, p.begin() + 40, v.dst.bytes.begin());
    if (v.version != 6) {
        v.error = "version is not 6";
        return v;
    }
    size_t end = 40 + size_t{v.payload_length};
    if (end > p.size()) {
        v.error = "payload length beyond the buffer";
        return v;
    }
    uint8_t nh = v.next_header;
    size_t off = 40;
    for (;;) {
        if (nh != kProtoHopByHop && nh != kProtoRouting && nh != kProtoFragment &&
            nh != kProtoDstOpts) {
            break;
        }
        if (off + 8 > end) {
            v.error = "truncated extension header";
            return v;
        }
        size_t len = nh == kProtoFragment ? 8 : (size_t{p[off + 1]} + 1) * 8;
        if (off + len > end) {
            v.error = "extension header beyond the payload";
            return v;
        }
        Ext6 e{nh, p[off], off, slice(p, off, len)};
        if (nh == kProtoFragment) {
            uint16_t w = get16(p, off + 2);
            v.frag = Frag6{p[off],
                           p[off + 1],
                           static_cast<uint8_t>((w >> 1) & 0x3),
                           static_cast<uint16_t>((w >> 3) * 8),
                           (w & 1) != 0,
                           get32(p, off + 4)};
        } else if (nh == kProtoRouting) {
            v.routing_segments_left = p[off + 3];
        }
        v.exts.push_back(std::move(e));
        nh = p[off];
        off += len;
    }
    v.l4_proto = nh;
    v.l4_offset = off;
    v.l4 = slice(p, off, end - off);
    v.trailing = p.size() - end;
    v.ok = true;
    return v;
}

// ---- UDP / TCP / ICMP ---------------------------------------------------

namespace {

Bytes udp_header(const UdpSpec& s, std::span<const uint8_t> payload) {
    Bytes out(8);
    put16(out, 0, s.sport);
    put16(out, 2, s.dport);
    put16(out, 4, s.length.value_or(static_cast<uint16_t>(8 + payload.size())));
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

void udp_finish(Bytes& seg, const UdpSpec& s, uint16_t computed) {
    uint16_t c = 0;
    switch (s.csum) {
    case Csum::compute:
        c = computed == 0 ? 0xffff : computed; // RFC 768: zero is sent as all ones
        break;
    case Csum::zero:
        c = 0;
        break;
    case Csum::given:
        c = s.given;
        break;
    }
    put16(seg, 6, c);
}

Bytes tcp_header(const TcpSpec& s, std::span<const uint8_t> payload) {
    Bytes opts = s.options;
    while (opts.size() % 4 != 0) {
        opts.push_back(0);
    }
    Bytes out(20);
    put16(out, 0, s.sport);
    put16(out, 2, s.dport);
    put32(out, 4, s.seq);
    put32(out, 8, s.ack);
    out[12] = static_cast<uint8_t>(((20 + opts.size()) / 4) << 4);
    out[13] = s.flags;
    put16(out, 14, s.window);
    put16(out, 18, s.urgent);
    out.insert(out.end(), opts.begin(), opts.end());
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

} // namespace

Bytes udp(const Ipv4Addr& src, const Ipv4Addr& dst, const UdpSpec& s,
          std::span<const uint8_t> payload) {
    Bytes seg = udp_header(s, payload);
    udp_finish(seg, s, l4_checksum_v4(src, dst, kProtoUdp, seg));
    return seg;
}

Bytes udp(const Ipv6Addr& src, const Ipv6Addr& dst, const UdpSpec& s,
          std::span<const uint8_t> payload) {
    Bytes seg = udp_header(s, payload);
    udp_finish(seg, s, l4_checksum_v6(src, dst, kProtoUdp, seg));
    return seg;
}

Bytes tcp(const Ipv4Addr& src, const Ipv4Addr& dst, const TcpSpec& s,
          std::span<const uint8_t> payload) {
    Bytes seg = tcp_header(s, payload);
    put16(seg, 16, s.checksum.value_or(l4_checksum_v4(src, dst, kProtoTcp, seg)));
    return seg;
}

Bytes tcp(const Ipv6Addr& src, const Ipv6Addr& dst, const TcpSpec& s,
          std::span<const uint8_t> payload) {
    Bytes seg = tcp_header(s, payload);
    put16(seg, 16, s.checksum.value_or(l4_checksum_v6(src, dst, kProtoTcp, seg)));
    return seg;
}

Bytes icmp4(uint8_t type, uint8_t code, uint32_t rest, std::span<const uint8_t> payload,
            std::optional<uint16_t> checksum) {
    Bytes out(8);
    out[0] = type;
    out[1] = code;
    put32(out, 4, rest);
    out.insert(out.end(), payload.begin(), payload.end());
    put16(out, 2, checksum.value_or(rfc1071(out)));
    return out;
}

Bytes icmp6(const Ipv6Addr& src, const Ipv6Addr& dst, uint8_t type, uint8_t code, uint32_t rest,
            std::span<const uint8_t> payload, std::optional<uint16_t> checksum) {
    Bytes out(8);
    out[0] = type;
    out[1] = code;
    put32(out, 4, rest);
    out.insert(out.end(), payload.begin(), payload.end());
    put16(out, 2, checksum.value_or(l4_checksum_v6(src, dst, kProtoIcmpv6, out)));
    return out;
}

UdpView parse_udp(std::span<const uint8_t> s) {
    UdpView v;
    if (s.size() < 8) {
        return v;
    }
    v.sport = get16(s, 0);
    v.dport = get16(s, 2);
    v.length = get16(s, 4);
    v.checksum = get16(s, 6);
    size_t n = v.length >= 8 ? std::min<size_t>(v.length, s.size()) : s.size();
    v.payload = slice(s, 8, n - 8);
    v.ok = true;
    return v;
}

TcpView parse_tcp(std::span<const uint8_t> s) {
    TcpView v;
    if (s.size() < 20) {
        return v;
    }
    v.sport = get16(s, 0);
    v.dport = get16(s, 2);
    v.seq = get32(s, 4);
    v.ack = get32(s, 8);
    v.data_offset = static_cast<uint8_t>(s[12] >> 4);
    v.flags = s[13];
    v.window = get16(s, 14);
    v.checksum = get16(s, 16);
    v.urgent = get16(s, 18);
    size_t hlen = size_t{v.data_offset} * 4;
    if (hlen < 20 || hlen > s.size()) {
        return v;
    }
    v.options = slice(s, 20, hlen - 20);
    v.payload = slice(s, hlen);
    v.ok = true;
    return v;
}

IcmpView parse_icmp(std::span<const uint8_t> m) {
    IcmpView v;
    if (m.size() < 8) {
        return v;
    }
    v.type = m[0];
    v.code = m[1];
    v.checksum = get16(m, 2);
    v.rest = get32(m, 4);
    v.body = slice(m, 8);
    v.ok = true;
    return v;
}

} // namespace colatrl::test

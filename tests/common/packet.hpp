// SPDX-License-Identifier: GPL-2.0-or-later
// Packet builders and parsers for tests. Builders produce exact wire bytes
// with every header field settable (including wrong values, for negative
// tests); parsers expose every field so a test can check all of them.
// Checksums come from inet_checksum.hpp, never from the code under test.
#pragma once

#include "inet/ip.hpp"
#include "inet_checksum.hpp"

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace colatrl::test {

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;

inline constexpr uint16_t kEthIpv4 = 0x0800;
inline constexpr uint16_t kEthIpv6 = 0x86dd;
inline constexpr uint16_t kEthArp = 0x0806;

inline constexpr uint8_t kProtoHopByHop = 0;
inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoIgmp = 2;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoRouting = 43;
inline constexpr uint8_t kProtoFragment = 44;
inline constexpr uint8_t kProtoIcmpv6 = 58;
inline constexpr uint8_t kProtoNoNext = 59;
inline constexpr uint8_t kProtoDstOpts = 60;

inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08,
                         kTcpAck = 0x10, kTcpUrg = 0x20;

// ---- small byte helpers -------------------------------------------------

// Concatenation: cat({a, b, c}).
Bytes cat(std::initializer_list<std::span<const uint8_t>> parts);
// bytes[off, off+len) (clamped to the end).
Bytes slice(std::span<const uint8_t> b, size_t off, size_t len = SIZE_MAX);
// n bytes 0, 1, 2, ... (mod 256) starting at `seed`: recognisable payloads.
Bytes pattern(size_t n, uint8_t seed = 0);
uint16_t get16(std::span<const uint8_t> b, size_t off);
uint32_t get32(std::span<const uint8_t> b, size_t off);
void put16(Bytes& b, size_t off, uint16_t v);
void put32(Bytes& b, size_t off, uint32_t v);
std::string hex(std::span<const uint8_t> b); // "45 00 00 1c ..." for failure messages

Ipv4Addr v4(const char* text); // aborts the test process on bad text (test input)
Ipv6Addr v6(const char* text);

// ---- Ethernet -----------------------------------------------------------

inline constexpr Mac kMacA{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
inline constexpr Mac kMacB{0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};

Bytes eth(uint16_t ethertype, std::span<const uint8_t> payload, const Mac& dst = kMacB,
          const Mac& src = kMacA);

struct EthView {
    bool ok = false;
    Mac dst{}, src{};
    uint16_t ethertype = 0;
    Bytes payload;
};
EthView parse_eth(std::span<const uint8_t> frame);

// ---- IPv4 ---------------------------------------------------------------

struct Ip4Spec {
    Ipv4Addr src, dst;
    uint8_t proto = kProtoUdp;
    uint8_t tos = 0;
    uint16_t id = 0;
    bool rf = false; // reserved ("evil") bit
    bool df = false;
    bool mf = false;
    uint16_t frag_offset_bytes = 0; // in bytes; must be a multiple of 8
    uint8_t ttl = 64;
    Bytes options;                        // raw option bytes; padded to 4 with EOL (0)
    std::optional<uint16_t> checksum;     // header checksum override (else computed)
    std::optional<uint16_t> total_length; // override (else header + payload)
    std::optional<uint8_t> ihl;           // override (else from options)
    uint8_t version = 4;
};
Bytes ipv4(const Ip4Spec& s, std::span<const uint8_t> payload);

struct Ip4View {
    bool ok = false;
    std::string error;
    uint8_t version = 0, ihl = 0, tos = 0, ttl = 0, proto = 0;
    uint16_t total_length = 0, id = 0, checksum = 0, frag_offset_bytes = 0;
    bool rf = false, df = false, mf = false;
    Ipv4Addr src, dst;
    Bytes options;
    bool header_checksum_ok = false; // by the independent routine
    Bytes l4;                        // payload up to total_length
    size_t trailing = 0;             // bytes in the buffer past total_length
};
Ip4View parse_ipv4(std::span<const uint8_t> packet);

// ---- IPv6 ---------------------------------------------------------------

struct Ip6Spec {
    Ipv6Addr src, dst;
    uint8_t next_header = kProtoUdp; // of the first header in the payload
    uint8_t tclass = 0;
    uint32_t flow_label = 0;
    uint8_t hop_limit = 64;
    std::optional<uint16_t> payload_length; // override
    uint8_t version = 6;
};
// payload = extension headers (if any) + upper-layer segment.
Bytes ipv6(const Ip6Spec& s, std::span<const uint8_t> payload);

// Extension headers; `next` is the Next Header of the header that follows.
// Options are padded with PadN (or Pad1) to a multiple of 8 bytes.
Bytes ext_hop_by_hop(uint8_t next, std::span<const uint8_t> options = {});
Bytes ext_dest_opts(uint8_t next, std::span<const uint8_t> options = {});
// Routing header: type, segments left, then `data` (type-specific, after the
// first 4 bytes; padded with zeros to a multiple of 8 bytes overall).
Bytes ext_routing(uint8_t next, uint8_t routing_type, uint8_t segments_left,
                  std::span<const uint8_t> data = {});
Bytes ext_fragment(uint8_t next, uint16_t offset_bytes, bool more, uint32_t id,
                   uint8_t reserved = 0, uint8_t res2 = 0);

struct Ext6 {
    uint8_t type = 0; // the protocol number this header was announced with
    uint8_t next = 0;
    size_t offset = 0; // from the start of the IPv6 header
    Bytes raw;         // the whole extension header
};
struct Frag6 {
    uint8_t next = 0;
    uint8_t reserved = 0; // 8-bit reserved field
    uint8_t res2 = 0;     // 2-bit reserved field
    uint16_t offset_bytes = 0;
    bool more = false;
    uint32_t id = 0;
};
struct Ip6View {
    bool ok = false;
    std::string error;
    uint8_t version = 0, tclass = 0, next_header = 0, hop_limit = 0;
    uint32_t flow_label = 0;
    uint16_t payload_length = 0;
    Ipv6Addr src, dst;
    std::vector<Ext6> exts;    // hop-by-hop, routing, fragment, dest opts, in order
    std::optional<Frag6> frag; // the fragment header, if present
    std::optional<uint8_t> routing_segments_left;
    uint8_t l4_proto = 0; // next header after the extension headers
    size_t l4_offset = 0; // from the start of the IPv6 header
    Bytes l4;             // bytes from l4_offset to the end of the payload
    size_t trailing = 0;
};
Ip6View parse_ipv6(std::span<const uint8_t> packet);

// ---- UDP / TCP / ICMP ---------------------------------------------------

enum class Csum { compute, zero, given };

struct UdpSpec {
    uint16_t sport = 1000, dport = 2000;
    Csum csum = Csum::compute;
    uint16_t given = 0;             // used when csum == Csum::given
    std::optional<uint16_t> length; // override
};
Bytes udp(const Ipv4Addr& src, const Ipv4Addr& dst, const UdpSpec& s,
          std::span<const uint8_t> payload);
Bytes udp(const Ipv6Addr& src, const Ipv6Addr& dst, const UdpSpec& s,
          std::span<const uint8_t> payload);

struct TcpSpec {
    uint16_t sport = 1000, dport = 2000;
    uint32_t seq = 1, ack = 0;
    uint8_t flags = kTcpAck;
    uint16_t window = 65535, urgent = 0;
    Bytes options; // padded with zeros (EOL) to a multiple of 4
    std::optional<uint16_t> checksum;
};
Bytes tcp(const Ipv4Addr& src, const Ipv4Addr& dst, const TcpSpec& s,
          std::span<const uint8_t> payload);
Bytes tcp(const Ipv6Addr& src, const Ipv6Addr& dst, const TcpSpec& s,
          std::span<const uint8_t> payload);

// ICMPv4: checksum over the message only. `rest` = the 32-bit word after the
// checksum (id/seq, unused/pointer, unused/next-hop MTU).
Bytes icmp4(uint8_t type, uint8_t code, uint32_t rest, std::span<const uint8_t> payload,
            std::optional<uint16_t> checksum = std::nullopt);
// ICMPv6: checksum includes the IPv6 pseudo header.
Bytes icmp6(const Ipv6Addr& src, const Ipv6Addr& dst, uint8_t type, uint8_t code, uint32_t rest,
            std::span<const uint8_t> payload, std::optional<uint16_t> checksum = std::nullopt);
inline uint32_t echo_rest(uint16_t id, uint16_t seq) {
    return (uint32_t{id} << 16) | seq;
}

struct UdpView {
    bool ok = false;
    uint16_t sport = 0, dport = 0, length = 0, checksum = 0;
    Bytes payload; // up to `length` (or the end of the buffer if shorter)
};
UdpView parse_udp(std::span<const uint8_t> segment);

struct TcpView {
    bool ok = false;
    uint16_t sport = 0, dport = 0, window = 0, checksum = 0, urgent = 0;
    uint32_t seq = 0, ack = 0;
    uint8_t data_offset = 0; // in 32-bit words
    uint8_t flags = 0;
    Bytes options, payload;
};
TcpView parse_tcp(std::span<const uint8_t> segment);

struct IcmpView {
    bool ok = false;
    uint8_t type = 0, code = 0;
    uint16_t checksum = 0;
    uint32_t rest = 0;
    Bytes body; // after the 8-byte header (the inner packet of errors)
    uint16_t id() const { return static_cast<uint16_t>(rest >> 16); }
    uint16_t seq() const { return static_cast<uint16_t>(rest & 0xffff); }
    uint16_t mtu() const { return static_cast<uint16_t>(rest & 0xffff); }
    uint8_t pointer4() const { return static_cast<uint8_t>(rest >> 24); } // ICMPv4 param prob
};
IcmpView parse_icmp(std::span<const uint8_t> message); // same layout for v4 and v6

} // namespace colatrl::test

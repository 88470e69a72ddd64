// SPDX-License-Identifier: GPL-2.0-or-later
#include "inet/rfc6052.hpp"

#include <cassert>
#include <cstddef>
#include <string>

namespace colatrl {

namespace {

constexpr std::size_t kUOctet = 8; // byte index of bits 64-71

// Byte index of IPv4 octet i (0..3) for a prefix of len bits: the octets follow the
// prefix and hop over the u octet (RFC 6052 §2.2 figure).
std::size_t v4_octet_index(uint8_t len, std::size_t i) {
    std::size_t pos = len / 8u + i;
    if (len / 8u <= kUOctet && pos >= kUOctet) {
        ++pos;
    }
    return pos;
}

bool prefix_bits_match(const Ipv6Prefix& p, const Ipv6Addr& a) {
    return p.contains(a);
}

} // namespace

bool is_pref64_length(unsigned len) {
    switch (len) {
    case 32:
    case 40:
    case 48:
    case 56:
    case 64:
    case 96:
        return true;
    default:
        return false;
    }
}

Ipv6Prefix well_known_prefix() {
    Ipv6Addr a;
    a.bytes[1] = 0x64;
    a.bytes[2] = 0xff;
    a.bytes[3] = 0x9b;
    return Ipv6Prefix{a, 96};
}

Status validate_pref64(const Ipv6Prefix& pref64) {
    if (!is_pref64_length(pref64.len)) {
        return make_error(Errc::invalid_argument,
                          "PREF64 " + pref64.str() + ": length /" + std::to_string(pref64.len) +
                              " is not one of 32, 40, 48, 56, 64, 96 (RFC 6052 section 2.2)");
    }
    if (Ipv6Prefix::make(pref64.addr, pref64.len) != pref64) {
        return make_error(Errc::invalid_argument,
                          "PREF64 " + pref64.str() + ": bits past the prefix length are set");
    }
    if (pref64.len > 64 && pref64.addr.bytes[kUOctet] != 0) {
        return make_error(Errc::invalid_argument,
                          "PREF64 " + pref64.str() +
                              ": bits 64-71 (the u octet) must be zero (RFC 6052 section 2.2)");
    }
    return {};
}

Ipv6Addr embed_ipv4(const Ipv6Prefix& pref64, Ipv4Addr v4) {
    assert(validate_pref64(pref64).ok());
    Ipv6Addr out = Ipv6Prefix::make(pref64.addr, pref64.len).addr;
    const uint8_t len = is_pref64_length(pref64.len) ? pref64.len : uint8_t{96};
    for (std::size_t i = 0; i < 4; ++i) {
        out.bytes[v4_octet_index(len, i)] = v4.bytes[i];
    }
    return out;
}

Result<Ipv4Addr> extract_ipv4(const Ipv6Prefix& pref64, const Ipv6Addr& addr) {
    if (!is_pref64_length(pref64.len)) {
        return make_error(Errc::invalid_argument,
                          "PREF64 " + pref64.str() + ": invalid length for RFC 6052");
    }
    if (!prefix_bits_match(pref64, addr)) {
        return make_error(Errc::invalid_argument,
                          addr.str() + " is not inside PREF64 " + pref64.str());
    }
    Ipv4Addr v4;
    for (std::size_t i = 0; i < 4; ++i) {
        v4.bytes[i] = addr.bytes[v4_octet_index(pref64.len, i)];
    }
    return v4;
}

bool is_well_known_prefix(const Ipv6Prefix& pref64) {
    return pref64 == well_known_prefix();
}

bool is_local_use_prefix(const Ipv6Prefix& pref64) {
    Ipv6Addr base;
    base.bytes[1] = 0x64;
    base.bytes[2] = 0xff;
    base.bytes[3] = 0x9b;
    base.bytes[5] = 0x01;
    const Ipv6Prefix local{base, 48};
    return pref64.len >= 48 && local.contains(pref64.addr);
}

bool ipv4_is_global(Ipv4Addr v4) {
    struct Block {
        uint32_t net;
        uint8_t len;
    };
    // IANA IPv4 Special-Purpose Address Registry, "Globally Reachable" = False.
    static constexpr Block kNonGlobal[] = {
        {0x00000000, 8},  // 0.0.0.0/8 "this network"
        {0x0a000000, 8},  // 10.0.0.0/8 private
        {0x64400000, 10}, // 100.64.0.0/10 shared address space (RFC 6598)
        {0x7f000000, 8},  // 127.0.0.0/8 loopback
        {0xa9fe0000, 16}, // 169.254.0.0/16 link local
        {0xac100000, 12}, // 172.16.0.0/12 private
        {0xc0000000, 24}, // 192.0.0.0/24 IETF protocol assignments (exceptions below)
        {0xc0000200, 24}, // 192.0.2.0/24 TEST-NET-1
        {0xc0a80000, 16}, // 192.168.0.0/16 private
        {0xc6120000, 15}, // 198.18.0.0/15 benchmarking
        {0xc6336400, 24}, // 198.51.100.0/24 TEST-NET-2
        {0xcb007100, 24}, // 203.0.113.0/24 TEST-NET-3
        {0xe0000000, 4},  // 224.0.0.0/4 multicast (RFC 5735 list)
        {0xf0000000, 4},  // 240.0.0.0/4 reserved, includes 255.255.255.255
    };
    const uint32_t a = v4.to_host();
    // More specific registry entries inside 192.0.0.0/24 that are globally reachable:
    // 192.0.0.9 (PCP anycast, RFC 7723) and 192.0.0.10 (TURN anycast, RFC 8155).
    if (a == 0xc0000009 || a == 0xc000000a) {
        return true;
    }
    for (const Block& b : kNonGlobal) {
        const uint32_t mask = ~uint32_t{0} << (32u - b.len);
        if ((a & mask) == b.net) {
            return false;
        }
    }
    return true;
}

bool may_translate(const Ipv6Prefix& pref64, Ipv4Addr v4, bool translate_non_global) {
    if (translate_non_global || !is_well_known_prefix(pref64)) {
        return true;
    }
    return ipv4_is_global(v4);
}

} // namespace colatrl

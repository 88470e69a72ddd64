// SPDX-License-Identifier: GPL-2.0-or-later
// Independent Internet checksum for tests (RFC 1071): plain byte-pair
// summation into a 64-bit accumulator, folded at the end. Deliberately the
// simplest possible form and unrelated to the code under test, so a test that
// compares against it can catch a wrong incremental update in the datapath.
#pragma once

#include "inet/ip.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace colatrl::test {

// One's-complement sum of 16-bit big-endian words; an odd trailing byte is
// padded with a zero byte (RFC 1071 §4.1).
inline uint64_t rfc1071_sum(std::span<const uint8_t> data, uint64_t acc = 0) {
    size_t i = 0;
    for (; i + 1 < data.size(); i += 2) {
        acc += (uint64_t{data[i]} << 8) | uint64_t{data[i + 1]};
    }
    if (i < data.size()) {
        acc += uint64_t{data[i]} << 8;
    }
    return acc;
}

inline uint16_t rfc1071_fold(uint64_t acc) {
    while ((acc >> 16) != 0) {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    return static_cast<uint16_t>(acc);
}

// The value to store in a checksum field (host order) when the field itself
// is zero within `data`.
inline uint16_t rfc1071(std::span<const uint8_t> data) {
    return static_cast<uint16_t>(~rfc1071_fold(rfc1071_sum(data)) & 0xffff);
}

// True when data (including its checksum field) sums to 0xffff.
inline bool rfc1071_ok(std::span<const uint8_t> data) {
    return rfc1071_fold(rfc1071_sum(data)) == 0xffff;
}

inline uint64_t pseudo_sum_v4(const Ipv4Addr& src, const Ipv4Addr& dst, uint8_t proto,
                              size_t length) {
    uint64_t acc = rfc1071_sum(src.bytes);
    acc = rfc1071_sum(dst.bytes, acc);
    acc += proto;
    acc += length; // 16-bit length for IPv4 (RFC 768/793)
    return acc;
}

inline uint64_t pseudo_sum_v6(const Ipv6Addr& src, const Ipv6Addr& dst, uint8_t next_header,
                              size_t length) {
    uint64_t acc = rfc1071_sum(src.bytes);
    acc = rfc1071_sum(dst.bytes, acc);
    acc += (length >> 16) & 0xffff; // 32-bit upper-layer length (RFC 8200 §8.1)
    acc += length & 0xffff;
    acc += next_header;
    return acc;
}

// Checksum of a TCP/UDP/... segment (its checksum field zero) with the IPv4
// pseudo header.
inline uint16_t l4_checksum_v4(const Ipv4Addr& src, const Ipv4Addr& dst, uint8_t proto,
                               std::span<const uint8_t> segment) {
    uint64_t acc = rfc1071_sum(segment, pseudo_sum_v4(src, dst, proto, segment.size()));
    return static_cast<uint16_t>(~rfc1071_fold(acc) & 0xffff);
}

inline uint16_t l4_checksum_v6(const Ipv6Addr& src, const Ipv6Addr& dst, uint8_t next_header,
                               std::span<const uint8_t> segment) {
    uint64_t acc = rfc1071_sum(segment, pseudo_sum_v6(src, dst, next_header, segment.size()));
    return static_cast<uint16_t>(~rfc1071_fold(acc) & 0xffff);
}

// Verification of a segment that carries its checksum. Note: for UDP a
// transmitted 0xffff and a computed 0x0000 are the same value in one's
// complement; this check accepts both.
inline bool l4_checksum_v4_ok(const Ipv4Addr& src, const Ipv4Addr& dst, uint8_t proto,
                              std::span<const uint8_t> segment) {
    return rfc1071_fold(rfc1071_sum(segment, pseudo_sum_v4(src, dst, proto, segment.size()))) ==
           0xffff;
}

inline bool l4_checksum_v6_ok(const Ipv6Addr& src, const Ipv6Addr& dst, uint8_t next_header,
                              std::span<const uint8_t> segment) {
    return rfc1071_fold(rfc1071_sum(
               segment, pseudo_sum_v6(src, dst, next_header, segment.size()))) == 0xffff;
}

} // namespace colatrl::test

// SPDX-License-Identifier: GPL-2.0-or-later
// IPv4/IPv6 address and prefix value types with text parsing and formatting.
#pragma once

#include "base/result.hpp"

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace colatrl {

struct Ipv4Addr {
    std::array<uint8_t, 4> bytes{}; // network byte order

    static Result<Ipv4Addr> parse(std::string_view text);
    static constexpr Ipv4Addr from_host(uint32_t v) {
        return Ipv4Addr{{static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                         static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}};
    }
    constexpr uint32_t to_host() const {
        return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
               uint32_t{bytes[3]};
    }
    std::string str() const;
    auto operator<=>(const Ipv4Addr&) const = default;
};

struct Ipv6Addr {
    std::array<uint8_t, 16> bytes{};

    static Result<Ipv6Addr> parse(std::string_view text);
    std::string str() const; // RFC 5952 canonical form
    // 16-bit word i (0..7) in host order.
    constexpr uint16_t word(int i) const {
        return static_cast<uint16_t>((bytes[2 * i] << 8) | bytes[2 * i + 1]);
    }
    auto operator<=>(const Ipv6Addr&) const = default;
};

struct Ipv4Prefix {
    Ipv4Addr addr; // host bits zero
    uint8_t len = 0;

    static Result<Ipv4Prefix> parse(std::string_view text); // "a.b.c.d/n"
    bool contains(const Ipv4Addr& a) const;
    std::string str() const;
    auto operator<=>(const Ipv4Prefix&) const = default;
};

struct Ipv6Prefix {
    Ipv6Addr addr; // bits past len are zero
    uint8_t len = 0;

    // "addr/len"; bits past len must be zero unless allow_host_bits (then masked).
    static Result<Ipv6Prefix> parse(std::string_view text, bool allow_host_bits = false);
    static Ipv6Prefix make(const Ipv6Addr& a, uint8_t len); // masks host bits
    bool contains(const Ipv6Addr& a) const;
    std::string str() const;
    auto operator<=>(const Ipv6Prefix&) const = default;
};

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// IPv4/IPv6 address and prefix value types with text parsing and formatting:
// one type per family where the family is the point (RFC 6052 math, the BPF
// config), and IpAddr / IpPrefix, which carry their family, where the code is
// the same for both (rtnetlink messages, the network model).
#pragma once

#include "base/result.hpp"

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
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

enum class Family : uint8_t { v4, v6 };

// An address of either family, tagged with it.
struct IpAddr {
    Family family = Family::v4;
    std::array<uint8_t, 16> bytes{}; // network byte order; IPv4 uses the first 4

    constexpr IpAddr() = default;
    // Implicit: an Ipv4Addr / Ipv6Addr is an IpAddr of its family.
    constexpr IpAddr(const Ipv4Addr& a) // NOLINT(google-explicit-constructor)
        : bytes{a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3]} {}
    constexpr IpAddr(const Ipv6Addr& a) // NOLINT(google-explicit-constructor)
        : family(Family::v6), bytes(a.bytes) {}
    // Exactly size(f) bytes in network order, else nullopt.
    static std::optional<IpAddr> from_bytes(Family f, std::span<const uint8_t> b);

    static constexpr size_t size(Family f) { return f == Family::v4 ? 4 : 16; }
    static constexpr uint8_t max_len(Family f) { return f == Family::v4 ? 32 : 128; }
    constexpr size_t size() const { return size(family); }
    std::span<const uint8_t> span() const { return {bytes.data(), size()}; }
    std::optional<Ipv4Addr> as_v4() const; // nullopt for an IPv6 address
    std::optional<Ipv6Addr> as_v6() const; // nullopt for an IPv4 address
    std::string str() const;
    auto operator<=>(const IpAddr&) const = default;
};

// A prefix of either family (the family is its address's).
struct IpPrefix {
    IpAddr addr; // bits past len are zero
    uint8_t len = 0;

    constexpr IpPrefix() = default;
    // Implicit, like IpAddr's: the same prefix, tagged with its family.
    constexpr IpPrefix(const Ipv4Prefix& p) // NOLINT(google-explicit-constructor)
        : addr(p.addr), len(p.len) {}
    constexpr IpPrefix(const Ipv6Prefix& p) // NOLINT(google-explicit-constructor)
        : addr(p.addr), len(p.len) {}
    // Clamps len to the family's maximum and clears the host bits.
    static IpPrefix make(const IpAddr& a, uint8_t len);

    Family family() const { return addr.family; }
    bool contains(const IpAddr& a) const; // false for the other family
    std::optional<Ipv4Prefix> as_v4() const;
    std::optional<Ipv6Prefix> as_v6() const;
    std::string str() const;
    auto operator<=>(const IpPrefix&) const = default;
};

} // namespace colatrl

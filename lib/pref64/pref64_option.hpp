// SPDX-License-Identifier: GPL-2.0-or-later
// The RFC 8781 PREF64 Router Advertisement option (type 38).
#pragma once

#include "base/result.hpp"
#include "inet/ip.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <span>

namespace colatrl {

inline constexpr uint8_t kNdOptPref64 = 38;
inline constexpr std::chrono::seconds kPref64MaxLifetime{65528}; // 8191 * 8

struct Pref64Option {
    Ipv6Prefix prefix;
    std::chrono::seconds lifetime{0}; // 0 = withdraw (RFC 8781 §4.1)
    bool operator==(const Pref64Option&) const = default;
};

// option = the whole option from its Type byte (exactly 16 bytes). Every rejection is an
// Errc::parse error saying why; RFC 8781 says a receiver ignores such an option.
Result<Pref64Option> parse_pref64_option(std::span<const uint8_t> option);

// For the RA sender test tool. The lifetime is rounded up to a multiple of 8 and capped at
// 65528 s. Precondition: the prefix length is 32/40/48/56/64/96.
std::array<uint8_t, 16> build_pref64_option(const Ipv6Prefix& prefix,
                                            std::chrono::seconds lifetime);

} // namespace colatrl

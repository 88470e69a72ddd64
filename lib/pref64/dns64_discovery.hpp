// SPDX-License-Identifier: GPL-2.0-or-later
// RFC 7050 §3: learning the PREF64 from the AAAA answers for ipv4only.arpa. Pure logic;
// the resolver query lives elsewhere.
#pragma once

#include "base/result.hpp"
#include "inet/ip.hpp"

#include <span>
#include <vector>

namespace colatrl {

inline constexpr Ipv4Addr kWellKnownIpv4Primary{{192, 0, 0, 170}};
inline constexpr Ipv4Addr kWellKnownIpv4Secondary{{192, 0, 0, 171}};

// For each answer: look for 192.0.0.170 at the six RFC 6052 positions; exactly one must
// match, else look for 192.0.0.171 the same way; answers where neither gives exactly one
// match (or whose prefix fails validate_pref64) are skipped. Returns the distinct prefixes
// in the order received; none -> Errc::not_found with the reason.
Result<std::vector<Ipv6Prefix>> discover_pref64(std::span<const Ipv6Addr> aaaa);

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// The CLAT's dedicated IPv6 address on the uplink (RFC 6877 §6.3): an RFC 7217-style
// stable, opaque interface identifier, made checksum-neutral when the PREF64 allows it.
#pragma once

#include "base/result.hpp"
#include "inet/ip.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace colatrl {

inline constexpr std::size_t kClatSecretSize = 16; // SipHash key

// RFC 5453 / IANA "Reserved IPv6 Interface Identifiers": all zero (subnet-router anycast),
// 0200:5eff:fe00:0000-0200:5eff:feff:ffff (IANA EUI-64 block incl. Proxy Mobile IPv6),
// fdff:ffff:ffff:ff80-fdff:ffff:ffff:ffff (reserved subnet anycast, RFC 2526).
bool is_reserved_iid(std::span<const uint8_t, 8> iid);

// True when ones_sum(clat6) + ones_sum(pref64) == ones_sum(clat4) in one's complement and
// the PREF64 is /32 or /96. For other lengths the destination's IPv4 octets straddle
// 16-bit word boundaries differently from IPv4, so no source address can be neutral for
// every destination; those return false.
bool is_checksum_neutral(const Ipv6Addr& clat6, const Ipv6Prefix& pref64, Ipv4Addr clat4);

// One candidate from a 64-bit hash: uplink /64 + hash as IID, with the last IID word
// adjusted for neutrality when the PREF64 is /32 or /96. nullopt when the IID is reserved.
// Exposed for tests; derive_clat_ipv6() is the normal entry point.
std::optional<Ipv6Addr> clat_ipv6_candidate(const Ipv6Prefix& uplink_prefix,
                                            const Ipv6Prefix& pref64, Ipv4Addr clat_v4,
                                            uint64_t hash);

// IID = SipHash-2-4(secret; uplink prefix, PREF64, CLAT IPv4, dad_counter, attempt).
// Same inputs give the same address; bump dad_counter after a DAD failure. A reserved IID
// is skipped by hashing again with the next internal attempt number. Errors: the uplink
// prefix is not a /64, the PREF64 is invalid, or the secret is not 16 bytes.
Result<Ipv6Addr> derive_clat_ipv6(const Ipv6Prefix& uplink_prefix, const Ipv6Prefix& pref64,
                                  Ipv4Addr clat_v4, std::span<const uint8_t> secret,
                                  uint32_t dad_counter);

} // namespace colatrl

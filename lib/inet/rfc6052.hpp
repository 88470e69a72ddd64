// SPDX-License-Identifier: GPL-2.0-or-later
// IPv4-embedded IPv6 addresses (RFC 6052) and the RFC 8215 local-use prefix.
// Pure functions; no side effects.
#pragma once

#include "base/result.hpp"
#include "inet/ip.hpp"

namespace colatrl {

// 64:ff9b::/96, the RFC 6052 Well-Known Prefix.
Ipv6Prefix well_known_prefix();

// RFC 6052 §2.2: the six prefix lengths an IPv4-embedded address may use.
bool is_pref64_length(unsigned len);

// A PREF64 is usable when its length is 32/40/48/56/64/96, the u octet (bits 64-71) is zero
// where it lies inside the prefix, and no bit past the length is set. The error message
// says which rule failed.
Status validate_pref64(const Ipv6Prefix& pref64);

// RFC 6052 §2.3 composition: prefix, IPv4 address (skipping the u octet), zero suffix.
// Precondition: validate_pref64(pref64) succeeded.
Ipv6Addr embed_ipv4(const Ipv6Prefix& pref64, Ipv4Addr v4);

// Inverse of embed_ipv4. The prefix bits of addr must match pref64 (else Errc::invalid_argument);
// the u octet and suffix are ignored, as RFC 6052 §2.2 asks of a receiver.
Result<Ipv4Addr> extract_ipv4(const Ipv6Prefix& pref64, const Ipv6Addr& addr);

// Exactly 64:ff9b::/96.
bool is_well_known_prefix(const Ipv6Prefix& pref64);

// Inside 64:ff9b:1::/48 (RFC 8215); the /48 itself counts.
bool is_local_use_prefix(const Ipv6Prefix& pref64);

// False for the blocks whose "Globally Reachable" is False in the IANA IPv4 special-purpose
// registry (RFC 6890 and its updates), plus multicast 224.0.0.0/4, which the RFC 5735 §3
// list cited by RFC 6052 §3.1 includes.
bool ipv4_is_global(Ipv4Addr v4);

// RFC 6052 §3.1: the Well-Known Prefix must not carry non-global IPv4 addresses, and a
// translator drops such packets. translate_non_global lifts the rule (what
// draft-ietf-v6ops-nat64-wkp-1918 asks of unmanaged CLATs). Other prefixes: always true.
bool may_translate(const Ipv6Prefix& pref64, Ipv4Addr v4, bool translate_non_global);

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// The address literals of the BPF packet tests, in one place and one
// convention (text, parsed by v4()/v6()/Ipv6Prefix::parse). Documentation
// ranges only: RFC 5737 IPv4, RFC 3849 IPv6, RFC 6052 examples.
#pragma once

#include <cstdint>

namespace colatrl::test::addrs {

// The CLAT's own addresses (192.0.0.0/29 is the RFC 7335 CLAT range).
inline constexpr const char* kClat4 = "192.0.0.1";
// Not checksum-neutral with any of kPrefixes (setup() checks that).
inline constexpr const char* kClat6 = "2001:db8:aaaa:1::77";
// Base of a checksum-neutral CLAT IPv6 address (last word computed).
inline constexpr const char* kClat6NeutralBase = "2001:db8:aaaa:1::";
// Another CLAT-side address (not ours).
inline constexpr const char* kOtherClat4 = "192.0.0.2";
inline constexpr const char* kOtherClat6 = "2001:db8:aaaa:1::78";

// The remote IPv4 host: TEST-NET-2 under a network-specific prefix, a global
// address under the WKP, where RFC 6052 §3.1 refuses non-global ones.
inline constexpr const char* kServer4 = "198.51.100.7";
inline constexpr const char* kServer4Global = "9.9.9.9";

// The RFC 6052 §2.4 Table 1 example address and prefixes.
inline constexpr const char* kRfc6052Example4 = "192.0.2.33";

struct PrefixCase {
    const char* text;
    uint8_t len;
};
inline constexpr const char* kWkp = "64:ff9b::/96";
// One prefix per RFC 6052 length (Table 1), plus the WKP.
inline constexpr PrefixCase kPrefixes[] = {
    {"2001:db8::/32", 32},
    {"2001:db8:100::/40", 40},
    {"2001:db8:122::/48", 48},
    {"2001:db8:122:300::/56", 56},
    {"2001:db8:122:344::/64", 64},
    {"2001:db8:122:344::/96", 96},
    {kWkp, 96},
};

} // namespace colatrl::test::addrs

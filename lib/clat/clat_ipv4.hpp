// SPDX-License-Identifier: GPL-2.0-or-later
// The CLAT's IPv4 address from 192.0.0.0/29 (RFC 7335).
#pragma once

#include "base/result.hpp"
#include "inet/ip.hpp"

#include <optional>
#include <span>

namespace colatrl {

// 192.0.0.0/29, the IPv4 Service Continuity Prefix.
Ipv4Prefix service_continuity_prefix();

// configured (if set) must lie in 192.0.0.0/29 and be free (else Errc::invalid_argument /
// Errc::conflict). Otherwise the first of 192.0.0.2 .. 192.0.0.7 not in in_use; .0 is the
// network address and .1 is the DS-Lite AFTR side (RFC 6333 §10). None free ->
// Errc::conflict.
Result<Ipv4Addr> select_clat_ipv4(std::span<const Ipv4Addr> in_use,
                                  std::optional<Ipv4Addr> configured);

} // namespace colatrl

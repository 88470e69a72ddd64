// SPDX-License-Identifier: GPL-2.0-or-later
#include "clat/clat_ipv4.hpp"

#include "clat/markers.hpp"

#include <algorithm>

namespace colatrl {

namespace {

bool in_use(std::span<const Ipv4Addr> used, Ipv4Addr a) {
    return std::find(used.begin(), used.end(), a) != used.end();
}

} // namespace

Ipv4Prefix service_continuity_prefix() {
    return kClatIpv4Range;
}

Result<Ipv4Addr> select_clat_ipv4(std::span<const Ipv4Addr> used,
                                  std::optional<Ipv4Addr> configured) {
    const Ipv4Prefix pfx = service_continuity_prefix();
    if (configured) {
        if (!pfx.contains(*configured)) {
            return make_error(Errc::invalid_argument, "configured CLAT IPv4 address " +
                                                          configured->str() + " is not inside " +
                                                          pfx.str() + " (RFC 7335)");
        }
        if (in_use(used, *configured)) {
            return make_error(Errc::conflict, "configured CLAT IPv4 address " + configured->str() +
                                                  " is already in use");
        }
        return *configured;
    }
    const uint32_t base = pfx.addr.to_host();
    for (uint32_t host = 2; host <= 7; ++host) {
        const Ipv4Addr a = Ipv4Addr::from_host(base + host);
        if (!in_use(used, a)) {
            return a;
        }
    }
    return make_error(Errc::conflict, "192.0.0.2 - 192.0.0.7 are all in use");
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
#include "clat/markers.hpp"

#include "colatrl_shared.h"

#include <net/if.h>

#include <algorithm>

namespace colatrl {

namespace {
constexpr std::string_view kLabelSuffix = ":clat";
constexpr std::size_t kMaxLabel = IFNAMSIZ - 1;
} // namespace

std::string clat_addr_label(std::string_view ifname) {
    std::string label(ifname.substr(0, kMaxLabel));
    const std::size_t room = kMaxLabel - label.size();
    // A bare ":" would say nothing; keep at least ":c" or nothing.
    if (room >= 2) {
        label += kLabelSuffix.substr(0, std::min(room, kLabelSuffix.size()));
    }
    return label;
}

bool is_clat_addr_label(std::string_view label, std::string_view ifname) {
    if (label.size() <= ifname.size() + 1 || label.substr(0, ifname.size()) != ifname) {
        return false;
    }
    const auto rest = label.substr(ifname.size());
    return kLabelSuffix.substr(0, rest.size()) == rest;
}

uint32_t clat_route4_metric(uint32_t ipv6_metric, uint32_t slot) {
    static_assert(kRouteMetricBase + (uint64_t{kRouteMetricIpv6Cap} + 1) * COLATRL_MAX_UPLINKS -
                          1 ==
                      0xffffffffu,
                  "the metric range ends at 0xffffffff");
    return kRouteMetricBase + std::min(ipv6_metric, kRouteMetricIpv6Cap) * COLATRL_MAX_UPLINKS +
           std::min<uint32_t>(slot, COLATRL_MAX_UPLINKS - 1);
}

bool is_clat_route4_metric(uint32_t metric) {
    return metric >= kRouteMetricBase;
}

} // namespace colatrl

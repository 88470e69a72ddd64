// SPDX-License-Identifier: GPL-2.0-or-later
// What marks kernel state as colatrl's own. Everything the daemon installs
// carries one of these markers, so a later run (after a crash or a restart)
// recognises it, adopts it, and never touches what belongs to someone else.
// Defined here once; the netlink requests, the leftover scan, the derivation
// and the configuration check all read them from this file.
#pragma once

#include "inet/ip.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace colatrl {

// Route protocol (rtm_protocol) of every route colatrld installs. 157 is not
// in the kernel's RTPROT_* list nor in iproute2's rt_protos (routing daemons
// cluster at 8..42, 99 and 186..192), so no other software should use it.
// The package names it for `ip route` in /etc/iproute2/rt_protos.d.
inline constexpr uint8_t kRouteProtocol = 157;

// Metric of our IPv4 default route. Lower wins, so any native IPv4 default
// route (DHCP clients use 0..~1100, NetworkManager 100/600, networkd 1024)
// beats ours, with a little room left for someone who deliberately wants to
// lose to us.
inline constexpr uint32_t kRouteMetric = 0xffffff00u;

// The routing table our route goes to (RT_TABLE_MAIN).
inline constexpr uint32_t kMainTable = 254;

// RFC 7335 IPv4 service continuity prefix: the CLAT IPv4 address comes from
// here, and a /32 inside it with our label or IFA_PROTO is ours.
inline constexpr Ipv4Prefix kClatIpv4Range{Ipv4Addr{{192, 0, 0, 0}}, 29};

// Bytes of the secret that makes the CLAT IPv6 interface identifier stable.
inline constexpr std::size_t kSecretSize = 16;

// IFA_LABEL of our address on `ifname`: "<ifname>:clat", the suffix shortened
// so the label fits IFNAMSIZ-1 (15) characters; a 15-character ifname leaves
// the label equal to the ifname (IFA_PROTO kRouteProtocol still marks it).
std::string clat_addr_label(std::string_view ifname);
bool is_clat_addr_label(std::string_view label, std::string_view ifname);

} // namespace colatrl

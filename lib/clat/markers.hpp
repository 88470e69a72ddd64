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

// Metrics of our IPv4 default routes, one per uplink, all in
// [kRouteMetricBase, 0xffffffff]. Lower wins, so any native IPv4 default
// route (DHCP clients use 0..~1100, NetworkManager 100..800, networkd 1024;
// anything below 0xff000000) beats every one of ours.
inline constexpr uint32_t kRouteMetricBase = 0xff000000u;
// IPv6 default-route metrics above this rank alike (they are ordered by
// counter slot among themselves).
inline constexpr uint32_t kRouteMetricIpv6Cap = 0x3ffffu;

// The metric of our IPv4 default route on an uplink whose IPv6 default route
// has `ipv6_metric` and whose CLAT uses counter `slot` (< COLATRL_MAX_UPLINKS).
// Ordered like the IPv6 default routes, so IPv4 takes the link IPv6 prefers;
// the slot makes it unique per uplink, which the kernel needs: an IPv4 route
// replace matches destination, TOS and metric only, not the device, so two
// uplinks with one metric would overwrite each other's route. It depends on
// nothing but its own link, so another uplink coming or going never moves it.
uint32_t clat_route4_metric(uint32_t ipv6_metric, uint32_t slot);
// True for a metric clat_route4_metric can return (or an earlier release's).
bool is_clat_route4_metric(uint32_t metric);

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

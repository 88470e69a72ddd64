// SPDX-License-Identifier: GPL-2.0-or-later
// rtnetlink (NETLINK_ROUTE) messages <-> the network model's values, both
// directions, for both address families with one code path: parsers for
// links, addresses, routes, RA options and tc filters, and builders for the
// requests colatrl sends. Pure (bytes in, bytes out): the monitor, KernelOps,
// the datapath's filter query, the CLI and the tests share it.
#pragma once

#include "model/netmodel.hpp"
#include "rtnl/nlmsg.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace colatrl {

// AF_INET / AF_INET6 of a family, and back (nullopt for any other).
uint8_t af_of(Family f);
std::optional<Family> family_of_af(unsigned af);

enum class RouteFilter {
    defaults_and_ours, // dst /0 unicast routes, plus every kRouteProtocol route
    ours_only,         // kRouteProtocol routes only
};

// RTM_NEWLINK / RTM_DELLINK. Bridge port messages (AF_BRIDGE) are skipped.
ParseStatus parse_link(const NlMsg& msg, Link& out);
// RTM_NEWADDR / RTM_DELADDR of either family.
ParseStatus parse_addr(const NlMsg& msg, Addr& out);
// RTM_NEWROUTE / RTM_DELROUTE of either family; appends one Route per next
// hop of a multipath route. Routes using nexthop objects (RTA_NH_ID) are read
// from the legacy attributes the kernel adds while
// net.ipv4.nexthop_compat_mode is 1 (the default); with it off they arrive
// with ifindex 0. Route cache clones are never routes.
ParseStatus parse_route(const NlMsg& msg, RouteFilter filter, std::vector<Route>& out);

// RTM_NEWNDUSEROPT: the RA options (each a span into msg.payload, exactly as
// on the wire) and the router that sent them.
struct NdUserOpts {
    int ifindex = 0;
    Ipv6Addr router;
    std::vector<std::span<const uint8_t>> options;
};
ParseStatus parse_nd_useropt(const NlMsg& msg, NdUserOpts& out);

// The link whose IPv6 settings may have changed: RTM_NEWLINK of family
// AF_INET6 (RTNLGRP_IPV6_IFINFO: sent when an RA changes the RA MTU, the
// M/O flags or ND timers) and RTM_NEWPREFIX (RTNLGRP_IPV6_PREFIX: an RA's
// prefix option was processed). An RA MTU option moves
// net.ipv6.conf.IF.mtu without a notification of its own whenever the RA
// MTU itself stays the same, so these two are the signals to read it again.
// Any other message: skip.
ParseStatus parse_ipv6_settings_hint(const NlMsg& msg, int& ifindex);

// RTM_NEWTFILTER: the filter's handle; 0 for the entry that only announces a
// filter kind at a priority of the hook.
ParseStatus parse_tc_filter(const NlMsg& msg, uint32_t& handle);

// --- Requests. Flags beyond NLM_F_REQUEST are set as each says.

// A dump (NLM_F_DUMP) of RTM_GETLINK, RTM_GETADDR or RTM_GETROUTE; nullopt
// family = both.
NlRequest dump_request(uint16_t type, std::optional<Family> family = std::nullopt);
// RTM_GETLINK of the link called `name` (NLM_F_ACK).
NlRequest get_link_request(std::string_view name);
// A dump of the tc filters under `parent` (e.g. a clsact hook) of ifindex.
NlRequest tc_filter_dump_request(int ifindex, uint32_t parent);

enum class Op {
    replace, // NEW* with NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK
    remove,  // DEL* with NLM_F_ACK
};
// Replace writes every field that is set (label and proto only when
// non-empty); remove writes the key: address, prefix length, link.
NlRequest addr_request(Op op, const Addr& a);
// Replace writes every field that is set; a gateway of the other family
// goes in RTA_VIA. Remove writes the kernel's key (dst, table, protocol,
// metric, link) and matches any scope and type.
NlRequest route_request(Op op, const Route& r);

} // namespace colatrl

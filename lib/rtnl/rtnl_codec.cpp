// SPDX-License-Identifier: GPL-2.0-or-later
#include "rtnl/rtnl_codec.hpp"

#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <sys/socket.h>

#include <algorithm>

namespace colatrl {

namespace {

// IFF_LOWER_UP (carrier) lives in <linux/if.h>, which clashes with <net/if.h>.
constexpr uint32_t kIffLowerUp = 1u << 16;

using RouteAttrs = NlAttrs<RTA_MAX>;

bool route_wanted(const rtmsg& rtm, RouteFilter filter) {
    if (rtm.rtm_flags & RTM_F_CLONED) {
        return false; // route cache entries (PMTU exceptions), not routes
    }
    if (rtm.rtm_protocol == kRouteProtocol) {
        return true;
    }
    return filter == RouteFilter::defaults_and_ours && rtm.rtm_dst_len == 0 &&
           rtm.rtm_src_len == 0 && rtm.rtm_type == RTN_UNICAST;
}

// An optional address attribute of family f; false when present but broken.
bool opt_addr(const RouteAttrs& at, size_t type, Family f, std::optional<IpAddr>& out) {
    if (!at.has(type)) {
        return true;
    }
    out = IpAddr::from_bytes(f, at.get(type));
    return out.has_value();
}

// RTA_VIA: struct rtvia, a u16 address family, then the address.
bool parse_via(std::span<const uint8_t> via, std::optional<IpAddr>& out) {
    uint16_t af = 0;
    if (!read_struct(via, af)) {
        return false;
    }
    const auto f = family_of_af(af);
    out = f ? IpAddr::from_bytes(*f, via.subspan(sizeof af)) : std::nullopt;
    return out.has_value();
}

// Calls fn(oif, attrs) for the one next hop of the top-level attributes, or
// for each rtnexthop of RTA_MULTIPATH.
template <typename Fn> ParseStatus for_each_nexthop(const RouteAttrs& at, int oif, Fn&& fn) {
    if (!at.has(RTA_MULTIPATH)) {
        return fn(oif, at);
    }
    auto mp = at.get(RTA_MULTIPATH);
    while (!mp.empty()) {
        rtnexthop nh{};
        if (!read_struct(mp, nh) || nh.rtnh_len < sizeof(rtnexthop) || nh.rtnh_len > mp.size()) {
            return ParseStatus::malformed;
        }
        RouteAttrs nat;
        if (!nat.parse(after_header<rtnexthop>(mp.first(nh.rtnh_len)))) {
            return ParseStatus::malformed;
        }
        if (auto st = fn(nh.rtnh_ifindex, nat); st != ParseStatus::ok) {
            return st;
        }
        mp = mp.subspan(std::min(nl_align(nh.rtnh_len), mp.size()));
    }
    return ParseStatus::ok;
}

// NEW* or DEL*, always acknowledged.
NlRequest change_request(Op op, uint16_t new_type, uint16_t del_type) {
    if (op == Op::replace) {
        return NlRequest(new_type, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
    }
    return NlRequest(del_type, NLM_F_ACK);
}

// Table in rtm_table when it fits, and always in RTA_TABLE.
uint8_t rtm_table_of(uint32_t table) {
    return table < 256 ? static_cast<uint8_t>(table) : static_cast<uint8_t>(RT_TABLE_UNSPEC);
}

} // namespace

uint8_t af_of(Family f) {
    return f == Family::v4 ? AF_INET : AF_INET6;
}

std::optional<Family> family_of_af(unsigned af) {
    switch (af) {
    case AF_INET:
        return Family::v4;
    case AF_INET6:
        return Family::v6;
    default:
        return std::nullopt;
    }
}

ParseStatus parse_link(const NlMsg& msg, Link& out) {
    ifinfomsg ifi{};
    if (!read_struct(msg.payload, ifi)) {
        return ParseStatus::malformed;
    }
    // AF_BRIDGE messages describe bridge ports, not links (a DELLINK there
    // only means "left the bridge").
    if (ifi.ifi_family != AF_UNSPEC) {
        return ParseStatus::skip;
    }
    NlAttrs<IFLA_MAX> at;
    if (!at.parse(after_header<ifinfomsg>(msg.payload)) || ifi.ifi_index <= 0) {
        return ParseStatus::malformed;
    }
    out = Link{};
    out.ifindex = ifi.ifi_index;
    out.flags = ifi.ifi_flags;
    out.type = ifi.ifi_type;
    out.oper_up = (ifi.ifi_flags & IFF_UP) && (ifi.ifi_flags & kIffLowerUp);
    out.name = at.str(IFLA_IFNAME);
    if (!at.u32(IFLA_MTU, out.mtu) || (msg.type == RTM_NEWLINK && out.name.empty())) {
        return ParseStatus::malformed;
    }
    return ParseStatus::ok;
}

ParseStatus parse_ipv6_settings_hint(const NlMsg& msg, int& ifindex) {
    int index = 0;
    if (msg.type == RTM_NEWLINK) {
        ifinfomsg ifi{};
        if (!read_struct(msg.payload, ifi)) {
            return ParseStatus::malformed;
        }
        if (ifi.ifi_family != AF_INET6) {
            return ParseStatus::skip;
        }
        index = ifi.ifi_index;
    } else if (msg.type == RTM_NEWPREFIX) {
        prefixmsg pm{};
        if (!read_struct(msg.payload, pm)) {
            return ParseStatus::malformed;
        }
        if (pm.prefix_family != AF_INET6) {
            return ParseStatus::skip;
        }
        index = pm.prefix_ifindex;
    } else {
        return ParseStatus::skip;
    }
    if (index <= 0) {
        return ParseStatus::malformed;
    }
    ifindex = index;
    return ParseStatus::ok;
}

ParseStatus parse_addr(const NlMsg& msg, Addr& out) {
    ifaddrmsg ifa{};
    if (!read_struct(msg.payload, ifa)) {
        return ParseStatus::malformed;
    }
    const auto family = family_of_af(ifa.ifa_family);
    if (!family) {
        return ParseStatus::skip;
    }
    NlAttrs<IFA_MAX> at;
    if (!at.parse(after_header<ifaddrmsg>(msg.payload))) {
        return ParseStatus::malformed;
    }
    // IFA_LOCAL is the local address when present (peer setups put the peer
    // in IFA_ADDRESS); otherwise IFA_ADDRESS is.
    const auto local =
        IpAddr::from_bytes(*family, at.get(at.has(IFA_LOCAL) ? IFA_LOCAL : IFA_ADDRESS));
    if (!local || ifa.ifa_index == 0 || ifa.ifa_prefixlen > IpAddr::max_len(*family)) {
        return ParseStatus::malformed;
    }
    out = Addr{};
    out.ifindex = static_cast<int>(ifa.ifa_index);
    out.addr = *local;
    out.prefixlen = ifa.ifa_prefixlen;
    out.scope = ifa.ifa_scope;
    out.flags = ifa.ifa_flags;
    out.label = at.str(IFA_LABEL);
    if (!at.u32(IFA_FLAGS, out.flags) || !at.u8(IFA_PROTO, out.proto)) {
        return ParseStatus::malformed;
    }
    if (at.has(IFA_CACHEINFO)) {
        ifa_cacheinfo ci{};
        if (!read_struct(at.get(IFA_CACHEINFO), ci)) {
            return ParseStatus::malformed;
        }
        out.preferred_lft = ci.ifa_prefered;
        out.valid_lft = ci.ifa_valid;
    }
    return ParseStatus::ok;
}

ParseStatus parse_route(const NlMsg& msg, RouteFilter filter, std::vector<Route>& out) {
    rtmsg rtm{};
    if (!read_struct(msg.payload, rtm)) {
        return ParseStatus::malformed;
    }
    const auto family = family_of_af(rtm.rtm_family);
    if (!family) {
        return ParseStatus::skip;
    }
    RouteAttrs at;
    if (!at.parse(after_header<rtmsg>(msg.payload))) {
        return ParseStatus::malformed;
    }
    if (!route_wanted(rtm, filter)) {
        return ParseStatus::skip;
    }
    Route base;
    base.protocol = rtm.rtm_protocol;
    base.table = rtm.rtm_table;
    IpAddr dst;
    dst.family = *family;
    uint32_t oif = 0;
    if (rtm.rtm_dst_len > IpAddr::max_len(*family) || (rtm.rtm_dst_len > 0 && !at.has(RTA_DST)) ||
        !at.addr(RTA_DST, *family, dst) || !at.u32(RTA_TABLE, base.table) ||
        !at.u32(RTA_PRIORITY, base.metric) || !at.u32(RTA_OIF, oif) ||
        !opt_addr(at, RTA_PREFSRC, *family, base.prefsrc)) {
        return ParseStatus::malformed;
    }
    base.dst = IpPrefix::make(dst, rtm.rtm_dst_len);
    if (at.has(RTA_METRICS)) {
        NlAttrs<RTAX_MAX> mx;
        if (!mx.parse(at.get(RTA_METRICS)) || !mx.u32(RTAX_MTU, base.mtu)) {
            return ParseStatus::malformed;
        }
    }
    std::vector<Route> found;
    auto st = for_each_nexthop(at, static_cast<int>(oif), [&](int nh_oif, const RouteAttrs& nh) {
        Route r = base;
        r.ifindex = nh_oif;
        if (!opt_addr(nh, RTA_GATEWAY, *family, r.gateway) ||
            (nh.has(RTA_VIA) && !parse_via(nh.get(RTA_VIA), r.gateway))) {
            return ParseStatus::malformed;
        }
        found.push_back(std::move(r));
        return ParseStatus::ok;
    });
    if (st != ParseStatus::ok) {
        return st;
    }
    out.insert(out.end(), found.begin(), found.end());
    return ParseStatus::ok;
}

ParseStatus parse_nd_useropt(const NlMsg& msg, NdUserOpts& out) {
    nduseroptmsg m{};
    if (!read_struct(msg.payload, m)) {
        return ParseStatus::malformed;
    }
    if (m.nduseropt_family != AF_INET6 || m.nduseropt_icmp_type != ND_ROUTER_ADVERT) {
        return ParseStatus::skip;
    }
    const size_t opts_end = sizeof(nduseroptmsg) + m.nduseropt_opts_len;
    if (opts_end > msg.payload.size()) {
        return ParseStatus::malformed;
    }
    auto opts = msg.payload.subspan(sizeof(nduseroptmsg), m.nduseropt_opts_len);
    NlAttrs<NDUSEROPT_MAX> at;
    IpAddr router;
    if (!at.parse(msg.payload.subspan(std::min(nl_align(opts_end), msg.payload.size()))) ||
        !at.has(NDUSEROPT_SRCADDR) || !at.addr(NDUSEROPT_SRCADDR, Family::v6, router)) {
        return ParseStatus::malformed;
    }
    NdUserOpts found;
    found.ifindex = m.nduseropt_ifindex;
    found.router = *router.as_v6();
    while (!opts.empty()) {
        // ND option: type, length in units of 8 octets (0 is invalid), body.
        if (opts.size() < 2 || opts[1] == 0 || size_t{opts[1]} * 8u > opts.size()) {
            return ParseStatus::malformed;
        }
        const size_t len = size_t{opts[1]} * 8u;
        found.options.push_back(opts.first(len));
        opts = opts.subspan(len);
    }
    out = std::move(found);
    return ParseStatus::ok;
}

ParseStatus parse_tc_filter(const NlMsg& msg, uint32_t& handle) {
    tcmsg tcm{};
    if (msg.type != RTM_NEWTFILTER) {
        return ParseStatus::skip;
    }
    if (!read_struct(msg.payload, tcm)) {
        return ParseStatus::malformed;
    }
    handle = tcm.tcm_handle;
    return ParseStatus::ok;
}

// ---------------------------------------------------------------------------
// Requests

NlRequest dump_request(uint16_t type, std::optional<Family> family) {
    const uint8_t af = family ? af_of(*family) : AF_UNSPEC;
    NlRequest req(type, NLM_F_DUMP);
    if (type == RTM_GETLINK) {
        ifinfomsg ifi{};
        ifi.ifi_family = af;
        req.header(ifi);
    } else if (type == RTM_GETADDR) {
        ifaddrmsg ifa{};
        ifa.ifa_family = af;
        req.header(ifa);
    } else {
        rtmsg rtm{};
        rtm.rtm_family = af;
        req.header(rtm);
    }
    return req;
}

NlRequest get_link_request(std::string_view name) {
    NlRequest req(RTM_GETLINK, NLM_F_ACK);
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    req.header(ifi).str(IFLA_IFNAME, name);
    return req;
}

NlRequest tc_filter_dump_request(int ifindex, uint32_t parent) {
    NlRequest req(RTM_GETTFILTER, NLM_F_DUMP);
    tcmsg tcm{};
    tcm.tcm_family = AF_UNSPEC;
    tcm.tcm_ifindex = ifindex;
    tcm.tcm_parent = parent;
    req.header(tcm);
    return req;
}

NlRequest addr_request(Op op, const Addr& a) {
    NlRequest req = change_request(op, RTM_NEWADDR, RTM_DELADDR);
    ifaddrmsg ifa{};
    ifa.ifa_family = af_of(a.family());
    ifa.ifa_prefixlen = a.prefixlen;
    ifa.ifa_index = static_cast<uint32_t>(a.ifindex);
    ifa.ifa_scope = op == Op::replace ? a.scope : uint8_t{0};
    req.header(ifa).addr(IFA_LOCAL, a.addr);
    if (op == Op::replace) {
        req.addr(IFA_ADDRESS, a.addr);
        req.u32_unless_0(IFA_FLAGS, a.flags).u8_unless_0(IFA_PROTO, a.proto);
        if (!a.label.empty()) {
            req.str(IFA_LABEL, a.label);
        }
    }
    return req;
}

NlRequest route_request(Op op, const Route& r) {
    NlRequest req = change_request(op, RTM_NEWROUTE, RTM_DELROUTE);
    const bool add = op == Op::replace;
    rtmsg rtm{};
    rtm.rtm_family = af_of(r.family());
    rtm.rtm_dst_len = r.dst.len;
    rtm.rtm_table = rtm_table_of(r.table);
    rtm.rtm_protocol = r.protocol;
    // A route without a next hop reaches its destinations on the link itself
    // (what `ip route add ... dev IF` does); a removal matches any scope.
    rtm.rtm_scope = !add ? RT_SCOPE_NOWHERE : r.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    rtm.rtm_type = add ? RTN_UNICAST : RTN_UNSPEC;
    req.header(rtm).u32(RTA_TABLE, r.table).u32(RTA_PRIORITY, r.metric);
    if (r.dst.len > 0) {
        req.addr(RTA_DST, r.dst.addr);
    }
    req.u32_unless_0(RTA_OIF, static_cast<uint32_t>(std::max(r.ifindex, 0)));
    if (!add) {
        return req;
    }
    if (r.gateway && r.gateway->family != r.family()) {
        // struct rtvia: the gateway's family, then its address.
        const uint16_t af = af_of(r.gateway->family);
        std::vector<uint8_t> via(sizeof af);
        std::memcpy(via.data(), &af, sizeof af);
        via.insert(via.end(), r.gateway->span().begin(), r.gateway->span().end());
        req.attr(RTA_VIA, via);
    } else if (r.gateway) {
        req.addr(RTA_GATEWAY, *r.gateway);
    }
    if (r.prefsrc) {
        req.addr(RTA_PREFSRC, *r.prefsrc);
    }
    if (r.mtu != 0) {
        const size_t mx = req.begin_nest(RTA_METRICS);
        req.u32(RTAX_MTU, r.mtu).end_nest(mx);
    }
    return req;
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
#include "rtnl/kernel_ops.hpp"

#include "rtnl/rtnl_codec.hpp"

#include <cerrno>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

namespace colatrl {

namespace {

// "ifname" for messages; falls back to the index when the name is unknown.
std::string if_text(int ifindex, std::string_view ifname) {
    if (!ifname.empty()) {
        return std::string(ifname);
    }
    return "ifindex " + std::to_string(ifindex);
}

std::string name_of(int ifindex) {
    char buf[IF_NAMESIZE] = {};
    if (if_indextoname(static_cast<unsigned>(ifindex), buf) == nullptr) {
        return {};
    }
    return buf;
}

// Our CLAT address: /32, scope global, no prefix route, marked as ours.
Addr clat_addr4(int ifindex, std::string_view ifname, const Ipv4Addr& addr) {
    Addr a;
    a.ifindex = ifindex;
    a.addr = addr;
    a.prefixlen = 32;
    a.scope = RT_SCOPE_UNIVERSE;
    a.flags = IFA_F_NOPREFIXROUTE;
    a.label = clat_addr_label(ifname.empty() ? name_of(ifindex) : std::string(ifname));
    a.proto = kRouteProtocol;
    return a;
}

// Our default route's key (what a removal matches).
Route clat_route4_key(int ifindex, uint32_t metric, uint32_t table) {
    Route r;
    r.ifindex = ifindex;
    r.dst = Ipv4Prefix{};
    r.protocol = kRouteProtocol;
    r.table = table;
    r.metric = metric;
    return r;
}

} // namespace

Result<KernelOps> KernelOps::open() {
    auto s = NlSocket::open_for_requests();
    if (!s) {
        return std::move(s).error();
    }
    return KernelOps(std::move(s.value()));
}

Status KernelOps::remove(NlRequest req, const std::string& what) {
    auto st = sock_.request(std::move(req), what);
    if (!st && st.error().code == Errc::not_found) {
        return {}; // already gone: what we wanted
    }
    return st;
}

Status KernelOps::add_clat_addr4(int ifindex, std::string_view ifname, const Ipv4Addr& addr) {
    return sock_.request(addr_request(Op::replace, clat_addr4(ifindex, ifname, addr)),
                         "adding " + addr.str() + "/32 to " + if_text(ifindex, ifname));
}

Status KernelOps::del_clat_addr4(int ifindex, std::string_view ifname, const Ipv4Addr& addr) {
    return remove(addr_request(Op::remove, clat_addr4(ifindex, ifname, addr)),
                  "removing " + addr.str() + "/32 from " + if_text(ifindex, ifname));
}

Status KernelOps::replace_clat_route4(const ClatRoute4& r) {
    Route route = clat_route4_key(r.ifindex, r.metric, r.table);
    if (r.gateway) {
        route.gateway = *r.gateway;
    }
    route.prefsrc = r.src;
    route.mtu = r.mtu;
    return sock_.request(route_request(Op::replace, route),
                         "installing IPv4 default route" +
                             (r.gateway ? " via inet6 " + r.gateway->str() : std::string()) +
                             " dev " + if_text(r.ifindex, r.ifname) + " src " + r.src.str() +
                             " mtu " + std::to_string(r.mtu) + " metric " +
                             std::to_string(r.metric));
}

Status KernelOps::del_clat_route4(int ifindex, std::string_view ifname, uint32_t metric,
                                  uint32_t table) {
    return remove(route_request(Op::remove, clat_route4_key(ifindex, metric, table)),
                  "removing our IPv4 default route from " + if_text(ifindex, ifname));
}

Status KernelOps::del_route(const Route& r) {
    return remove(route_request(Op::remove, r),
                  "removing route " + r.dst.str() + " proto " + std::to_string(r.protocol) +
                      " metric " + std::to_string(r.metric) + " table " + std::to_string(r.table) +
                      " from " + if_text(r.ifindex, name_of(r.ifindex)));
}

Result<OurLeftovers> KernelOps::list_ours() {
    OurLeftovers out;
    bool malformed = false;
    auto st = sock_.request(dump_request(RTM_GETADDR), "listing addresses", [&](const NlMsg& m) {
        Addr a;
        const auto ps = parse_addr(m, a);
        malformed |= ps == ParseStatus::malformed;
        const auto v4 = a.addr.as_v4();
        if (ps == ParseStatus::ok && v4 && a.prefixlen == 32 && kClatIpv4Range.contains(*v4) &&
            (a.proto == kRouteProtocol || is_clat_addr_label(a.label, name_of(a.ifindex)))) {
            out.addrs.push_back(std::move(a));
        }
    });
    if (!st) {
        return std::move(st).error();
    }
    st = sock_.request(dump_request(RTM_GETROUTE), "listing routes", [&](const NlMsg& m) {
        malformed |= parse_route(m, RouteFilter::ours_only, out.routes) == ParseStatus::malformed;
    });
    if (!st) {
        return std::move(st).error();
    }
    if (malformed) {
        return make_error(Errc::parse, "listing our leftovers: malformed answer from the kernel");
    }
    return out;
}

} // namespace colatrl

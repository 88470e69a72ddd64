// SPDX-License-Identifier: GPL-2.0-or-later
// Synchronous rtnetlink requests that install and remove what colatrld owns:
// the CLAT IPv4 address (/32 on the uplink) and the IPv4 default route through
// the CLAT. Every request waits for the kernel's ACK; errors name the
// interface. Everything installed is recognisable as ours (see below) so a
// restart after a crash can find it with list_ours().
#pragma once

#include "base/result.hpp"
#include "clat/markers.hpp"
#include "inet/ip.hpp"
#include "model/netmodel.hpp"
#include "rtnl/nl_socket.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace colatrl {

// Our IPv4 default route: `default [via inet6 GW] dev IFINDEX src SRC mtu MTU
// proto kRouteProtocol metric METRIC` in `table`; without GW (raw-IP links)
// it has scope link, as `ip route add default dev IF` would.
struct ClatRoute4 {
    int ifindex = 0;
    std::string ifname; // for messages only
    std::optional<Ipv6Addr> gateway;
    Ipv4Addr src;
    uint32_t mtu = 0; // 0 = no RTAX_MTU
    uint32_t table = kMainTable;
    uint32_t metric = kRouteMetricBase; // clat_route4_metric
};

struct OurLeftovers {
    std::vector<Route> routes; // routes with kRouteProtocol, both families, any table
    std::vector<Addr> addrs;   // /32s in 192.0.0.0/29 with our label or IFA_PROTO
};

class KernelOps {
public:
    // Opens its own blocking NETLINK_ROUTE socket (independent of the monitor).
    static Result<KernelOps> open();

    // Adds `addr`/32 to the uplink: IFA_F_NOPREFIXROUTE, scope global, label
    // clat_addr_label(ifname), IFA_PROTO kRouteProtocol (kernels >= 6.3 keep
    // it; older ones ignore it). Already present = success (NLM_F_REPLACE).
    Status add_clat_addr4(int ifindex, std::string_view ifname, const Ipv4Addr& addr);
    // Removes it; already gone = success.
    Status del_clat_addr4(int ifindex, std::string_view ifname, const Ipv4Addr& addr);

    // Creates or replaces our default route (NLM_F_CREATE|NLM_F_REPLACE; the
    // kernel matches dst/tos/metric, and each uplink's metric is its own). The
    // src address must already be local (add_clat_addr4 first).
    Status replace_clat_route4(const ClatRoute4& route);
    // Removes our default route with `metric` from `table` on `ifindex`;
    // already gone = success.
    Status del_clat_route4(int ifindex, std::string_view ifname, uint32_t metric,
                           uint32_t table = kMainTable);
    // Removes any route (as listed by list_ours), of either family: crash
    // recovery. Already gone = success.
    [[nodiscard]] Status del_route(const Route& route);

    // Everything of ours the kernel holds now (left by an earlier run).
    Result<OurLeftovers> list_ours();

private:
    explicit KernelOps(NlSocket sock) : sock_(std::move(sock)) {}
    // A removal for which "already gone" is what we wanted.
    Status remove(NlRequest req, const std::string& what);
    NlSocket sock_;
};

} // namespace colatrl

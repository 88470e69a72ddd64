// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/adopt.hpp"

#include "clat/markers.hpp"
#include "datapath/datapath_config.hpp"

namespace colatrl {

namespace {

// The one IPv4 route we install (KernelOps::replace_clat_route4): default,
// main table, kRouteMetric, via an IPv6 gateway, with a source address.
bool our_route_shape(const Route4& r) {
    return r.table == kMainTable && r.dst.len == 0 && r.gw6 && r.prefsrc &&
           r.metric == kRouteMetric;
}

} // namespace

AdoptionPlan plan_adoption(const Leftovers& left, const std::map<int, Link>& links) {
    AdoptionPlan out;
    auto known = [&links](int ifindex) {
        return links.count(ifindex) != 0;
    };
    for (const auto& r : left.routes4) {
        if (!our_route_shape(r)) {
            out.remove4.push_back({r, "not the default route colatrld installs"});
            continue;
        }
        if (!known(r.ifindex)) {
            continue;
        }
        const std::string& name = links.at(r.ifindex).name;
        out.adopt[r.ifindex].route4 = Route4Spec{r.ifindex, name, r.gw6, *r.prefsrc, r.mtu};
    }
    for (const auto& r : left.routes6) {
        out.remove6.push_back({r, "colatrld installs no IPv6 route"});
    }
    for (const auto& a : left.addrs4) {
        if (!known(a.ifindex)) {
            continue;
        }
        out.adopt[a.ifindex].addrs4.push_back(a.addr);
        out.clat4.try_emplace(a.ifindex, a.addr);
    }
    for (const auto& [ifindex, dp] : left.datapath) {
        if (!known(ifindex)) {
            continue;
        }
        auto& l = out.adopt[ifindex];
        l.stale_filters = true;
        if (dp.config) {
            l.adopted_clat6 = config_clat6(*dp.config);
            out.counter_slots.try_emplace(ifindex, dp.config->counter_slot);
        }
    }
    for (auto& [ifindex, l] : out.adopt) {
        l.name = links.at(ifindex).name;
        std::string what;
        if (l.route4) {
            what += " route";
        }
        if (!l.addrs4.empty()) {
            what += " address";
        }
        if (l.stale_filters) {
            what += " tc filters";
        }
        out.log.push_back({log::notice, l.name, "adopting what an earlier run left:" + what, {}});
    }
    return out;
}

} // namespace colatrl

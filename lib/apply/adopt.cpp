// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/adopt.hpp"

#include "base/message_id.hpp"
#include "clat/markers.hpp"
#include "datapath/datapath_config.hpp"

#include <optional>
#include <string>

namespace colatrl {

namespace {

// The one route we install per link (KernelOps::replace_clat_route4): IPv4
// default, main table, a metric of ours, via an IPv6 gateway or none (raw-IP
// links), with an IPv4 source address.
// Returns why not, or nothing when it is.
std::optional<std::string> not_our_route(const Route& r) {
    if (r.family() != Family::v4) {
        return "colatrld installs no IPv6 route";
    }
    if (r.table != kMainTable || r.dst.len != 0 || (r.gateway && !r.gateway->as_v6()) ||
        !r.prefsrc || !r.prefsrc->as_v4() || !is_clat_route4_metric(r.metric)) {
        return "not the default route colatrld installs";
    }
    return std::nullopt;
}

} // namespace

AdoptionPlan plan_adoption(const Leftovers& left, const std::map<int, Link>& links) {
    AdoptionPlan out;
    auto known = [&links](int ifindex) {
        return links.count(ifindex) != 0;
    };
    for (const auto& r : left.routes) {
        if (auto why = not_our_route(r)) {
            out.remove.push_back({r, *why});
            continue;
        }
        if (!known(r.ifindex)) {
            continue;
        }
        if (out.adopt[r.ifindex].route4) {
            // A run that stopped between adding the route at a new metric and
            // removing the old one: keep one.
            out.remove.push_back({r, "a second default route of ours on the link"});
            continue;
        }
        const std::string& name = links.at(r.ifindex).name;
        Route4Spec spec{r.ifindex, name, std::nullopt, *r.prefsrc->as_v4(), r.mtu, r.metric};
        if (r.gateway) {
            spec.gateway = r.gateway->as_v6();
        }
        out.adopt[r.ifindex].route4 = spec;
    }
    for (const auto& a : left.addrs) {
        const auto a4 = a.addr.as_v4();
        if (!a4 || !known(a.ifindex)) {
            continue;
        }
        out.adopt[a.ifindex].addrs4.push_back(*a4);
        out.clat4.try_emplace(a.ifindex, *a4);
    }
    for (const auto& [ifindex, dp] : left.datapath) {
        if (!known(ifindex)) {
            continue;
        }
        auto& l = out.adopt[ifindex];
        l.stale_filters = true;
        if (dp.config) {
            l.adopted_clat6 = config_clat6(*dp.config);
            if (dp.in_own_maps) {
                l.config = dp.config; // shared maps: keep it (and the counters) as it is
            }
            out.counter_slots.try_emplace(ifindex, dp.config->counter_slot);
            out.clat6.try_emplace(
                ifindex, Clat6Choice{Ipv6Prefix::make(*l.adopted_clat6, 64), 0, *l.adopted_clat6});
            out.pref64.try_emplace(ifindex, config_pref64(*dp.config));
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
        out.log.push_back({log::notice,
                           l.name,
                           "adopting what an earlier run left:" + what,
                           {{std::string(logfield::message_id), std::string(msgid::adopted)}}});
    }
    return out;
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// The adapter half of lib/apply/adopt.hpp: facts from the kernel in, stale
// routes out, the rest to the applier.
#include "apply/adopt.hpp"
#include "datapath/datapath.hpp"
#include "rtnl/kernel_ops.hpp"

namespace colatrl {

namespace {

Result<Leftovers> gather(KernelOps& kernel, const std::map<int, Link>& links) {
    auto ours = kernel.list_ours();
    if (!ours) {
        return std::move(ours).error();
    }
    Leftovers left;
    left.routes = std::move(ours->routes);
    left.addrs = std::move(ours->addrs);
    for (const auto& [ifindex, link] : links) {
        auto q = query_attachment(ifindex);
        if (!q || (q->ingress_prog_id == 0 && q->egress_prog_id == 0)) {
            continue;
        }
        LeftoverDatapath dp;
        if (auto maps = DatapathMaps::from_attached(ifindex); maps) {
            if (auto c = maps->config(ifindex); c && *c) {
                dp.config = **c;
            }
        }
        left.datapath.emplace(ifindex, dp);
    }
    return left;
}

} // namespace

Result<AdoptionPlan> adopt_leftovers(KernelOps& kernel, Applier& applier,
                                     const std::map<int, Link>& links) {
    auto left = gather(kernel, links);
    if (!left) {
        return Error{left.error().code, "cannot list leftovers: " + left.error().message,
                     left.error().sys_errno};
    }
    AdoptionPlan plan = plan_adoption(*left, links);
    auto name_of = [&links](int ifindex) {
        auto it = links.find(ifindex);
        return it == links.end() ? std::to_string(ifindex) : it->second.name;
    };
    for (const auto& r : plan.remove) {
        if (auto s = kernel.del_route(r.route); !s) {
            plan.log.push_back({log::warning,
                                name_of(r.route.ifindex),
                                "stale route (" + r.reason + "): " + s.error().message,
                                {}});
        }
    }
    for (const auto& [ifindex, l] : plan.adopt) {
        applier.adopt(ifindex, l);
    }
    return plan;
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// The adapter half of lib/apply/adopt.hpp: facts from the kernel in, stale
// routes out, the rest to the applier.
#include "apply/adopt.hpp"
#include "datapath/datapath.hpp"
#include "rtnl/kernel_ops.hpp"

#include <net/if.h>

#include <memory>

namespace colatrl {

namespace {

// The config the programs attached to ifindex read: from our own maps when
// they are the earlier run's (handed over by the service manager, no
// privilege needed), else from the maps of the attached program (needs
// CAP_SYS_ADMIN to open a program by id).
// (The attached programs are taken to be the earlier run's when our maps
// hold a config for the link: only `colatrlctl datapath attach` by hand in
// between would make that wrong, and then the CLAT IPv6 address skips a DAD
// it already passed once.)
LeftoverDatapath attached_config(int ifindex, const DatapathMaps* reused) {
    if (reused != nullptr) {
        if (auto c = reused->config(ifindex); c && *c) {
            return {**c, true};
        }
    }
    if (auto maps = DatapathMaps::from_attached(ifindex); maps) {
        if (auto c = maps->config(ifindex); c && *c) {
            return {**c, false};
        }
    }
    return {};
}

Result<Leftovers> gather(KernelOps& kernel, const std::map<int, Link>& links,
                         const DatapathMaps* reused) {
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
        left.datapath.emplace(ifindex, attached_config(ifindex, reused));
    }
    return left;
}

} // namespace

Result<AdoptionPlan> adopt_leftovers(KernelOps& kernel, Applier& applier,
                                     const std::map<int, Link>& links, const DatapathMaps* reused) {
    auto left = gather(kernel, links, reused);
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

std::vector<log::Entry> remove_leftovers(KernelOps& kernel) {
    std::vector<log::Entry> out;
    auto name_of = [](int ifindex) {
        char buf[IF_NAMESIZE] = {};
        return if_indextoname(static_cast<unsigned>(ifindex), buf) != nullptr
                   ? std::string(buf)
                   : std::to_string(ifindex);
    };
    auto report = [&out](const Status& s, const std::string& ifname, const std::string& what) {
        if (s) {
            out.push_back({log::info, ifname, what + " removed", {}});
        } else {
            out.push_back({log::warning, ifname, s.error().message, {}});
        }
    };
    if (auto ours = kernel.list_ours(); ours) {
        for (const auto& r : ours->routes) {
            report(kernel.del_route(r), name_of(r.ifindex), "route of an earlier run");
        }
        for (const auto& a : ours->addrs) {
            if (auto a4 = a.addr.as_v4()) {
                const std::string ifname = name_of(a.ifindex);
                report(kernel.del_clat_addr4(a.ifindex, ifname, *a4), ifname,
                       "address " + a4->str() + "/32 of an earlier run");
            }
        }
    } else {
        out.push_back({log::warning, {}, "cannot list leftovers: " + ours.error().message, {}});
    }
    struct FreeNameIndex {
        void operator()(struct if_nameindex* p) const noexcept { if_freenameindex(p); }
    };
    std::unique_ptr<struct if_nameindex, FreeNameIndex> ifs(if_nameindex());
    for (auto* i = ifs.get(); i != nullptr && i->if_index != 0; ++i) {
        const int ifindex = static_cast<int>(i->if_index);
        auto q = query_attachment(ifindex);
        if (q && (q->ingress_prog_id != 0 || q->egress_prog_id != 0)) {
            report(detach_filters(ifindex), i->if_name, "tc filters of an earlier run");
            // Its clsact qdisc too, unless someone else's filters are on it.
            (void)tc_remove_clsact_if_empty(ifindex);
        }
    }
    return out;
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// ND half of RealApplyOps: DAD probes, anycast claims, telling the router.
#include "apply/applier_ops.hpp"

#include "nd/announce.hpp"
#include "nd/nd.hpp"

#include <net/if.h>

#include <map>
#include <utility>
#include <vector>

namespace colatrl {

struct RealApplyOps::Nd {
    std::map<int, std::unique_ptr<DadProbe>> running;
    std::vector<std::unique_ptr<DadProbe>> finished;
    std::map<std::pair<int, Ipv6Addr>, AnycastClaim> claims;
};

RealApplyOps::RealApplyOps(sd_event* event, Datapath& datapath, KernelOps& kernel, DadResult on_dad)
    : event_(event), datapath_(datapath), kernel_(kernel), on_dad_(std::move(on_dad)),
      nd_(std::make_unique<Nd>()) {}

RealApplyOps::~RealApplyOps() = default;

Status RealApplyOps::start_dad(int ifindex, const Ipv6Addr& addr) {
    cancel_dad(ifindex);
    // The interface's own DupAddrDetectTransmits and RetransTimer, as the
    // kernel uses them for its addresses there (RFC 4862 §5.1).
    char name[IF_NAMESIZE] = {};
    const DadOptions options = ::if_indextoname(static_cast<unsigned>(ifindex), name)
                                   ? dad_options_for(name)
                                   : DadOptions{};
    auto probe = std::make_unique<DadProbe>(ifindex, addr, options);
    DadProbe* raw = probe.get();
    auto s = raw->start(event_, [this, ifindex, addr](Result<DadOutcome> r) {
        // Runs inside the probe's own callback: park it, free it later.
        auto it = nd_->running.find(ifindex);
        if (it != nd_->running.end() && it->second->candidate() == addr) {
            nd_->finished.push_back(std::move(it->second));
            nd_->running.erase(it);
        }
        if (!r) {
            on_dad_(ifindex, addr, DadStatus::failed, r.error().message);
        } else if (*r == DadOutcome::duplicate) {
            on_dad_(ifindex, addr, DadStatus::duplicate, "address in use by another node");
        } else {
            on_dad_(ifindex, addr, DadStatus::unique, {});
        }
    });
    if (!s) {
        return s;
    }
    nd_->running[ifindex] = std::move(probe);
    return {};
}

void RealApplyOps::cancel_dad(int ifindex) {
    nd_->running.erase(ifindex);
}

Status RealApplyOps::claim_anycast(int ifindex, const Ipv6Addr& addr) {
    auto key = std::pair{ifindex, addr};
    if (nd_->claims.count(key) != 0) {
        return {};
    }
    auto c = AnycastClaim::join(ifindex, addr);
    if (!c) {
        return std::move(c).error();
    }
    nd_->claims.emplace(key, std::move(*c));
    return {};
}

void RealApplyOps::release_anycast(int ifindex, const Ipv6Addr& addr) {
    nd_->claims.erase(std::pair{ifindex, addr});
}

Status RealApplyOps::announce(int ifindex, const Ipv6Addr& clat6, const Ipv6Addr& router) {
    return announce_to_router(ifindex, clat6, router);
}

void RealApplyOps::collect_garbage() {
    nd_->finished.clear();
}

} // namespace colatrl

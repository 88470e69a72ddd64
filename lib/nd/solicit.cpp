// SPDX-License-Identifier: GPL-2.0-or-later
#include "nd/solicit.hpp"

#include <linux/if_addr.h>

namespace colatrl {

std::optional<Ipv6Addr> rs_source(const NetworkModel& model, int ifindex) {
    constexpr uint32_t bad = IFA_F_TENTATIVE | IFA_F_DADFAILED;
    for (const auto& a : model.addrs) {
        if (a.ifindex == ifindex && a.family() == Family::v6 && a.addr.bytes[0] == 0xfe &&
            (a.addr.bytes[1] & 0xc0) == 0x80 && (a.flags & bad) == 0) {
            return a.addr.as_v6();
        }
    }
    return std::nullopt;
}

void RsPlanner::link_changed(int ifindex, bool was_up, bool up) {
    if (up && !was_up) {
        wanted_.insert(ifindex);
    } else if (!up) {
        wanted_.erase(ifindex);
    }
}

void RsPlanner::link_removed(int ifindex) {
    wanted_.erase(ifindex);
    last_.erase(ifindex);
}

std::vector<RsPlanner::Solicit> RsPlanner::due(const DesiredState& state, const NetworkModel& model,
                                               bool discover_ra, Clock::time_point now) {
    std::vector<Solicit> out;
    for (auto it = wanted_.begin(); it != wanted_.end();) {
        const int ifindex = *it;
        auto p = state.links.find(ifindex);
        if (!discover_ra || p == state.links.end() || p->second.off == OffReason::not_selected ||
            p->second.off == OffReason::unsupported_link || p->second.off == OffReason::link_down) {
            it = wanted_.erase(it);
            continue;
        }
        const auto source = rs_source(model, ifindex);
        if (!source) {
            ++it; // DAD of the link-local address after link-up: keep the wish
            continue;
        }
        it = wanted_.erase(it);
        if (auto last = last_.find(ifindex);
            last != last_.end() && now - last->second < kRsInterval) {
            continue; // one went out recently; its answer is on the way
        }
        last_[ifindex] = now;
        out.push_back({ifindex, p->second.name, *source});
    }
    return out;
}

} // namespace colatrl

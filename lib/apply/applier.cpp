// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/applier.hpp"

#include "datapath/datapath_config.hpp"

#include <algorithm>
#include <iterator>

namespace colatrl {

namespace {

bool contains(const std::vector<Ipv6Addr>& v, const Ipv6Addr& a) {
    return std::find(v.begin(), v.end(), a) != v.end();
}
bool contains(const std::vector<Ipv4Addr>& v, const Ipv4Addr& a) {
    return std::find(v.begin(), v.end(), a) != v.end();
}

std::string route_text(const Route4Spec& r) {
    std::string s = "default";
    if (r.gateway) {
        s += " via inet6 " + r.gateway->str();
    }
    s += " dev " + r.ifname + " src " + r.src.str() + " mtu " + std::to_string(r.mtu) + " metric " +
         std::to_string(r.metric);
    return s;
}

bool same_pref64(const colatrl_config& a, const colatrl_config& b) {
    return a.pref64_len == b.pref64_len &&
           std::equal(std::begin(a.pref64), std::end(a.pref64), std::begin(b.pref64));
}

// The same CLAT: only then is the previous config's translation the one the
// packets in flight were sent with.
bool same_clat(const colatrl_config& a, const colatrl_config& b) {
    return a.clat_v4 == b.clat_v4 && a.counter_slot == b.counter_slot &&
           std::equal(std::begin(a.clat_v6), std::end(a.clat_v6), std::begin(b.clat_v6));
}

} // namespace

std::optional<colatrl_config> previous_config_after(const std::optional<colatrl_config>& installed,
                                                    const std::optional<colatrl_config>& previous,
                                                    const colatrl_config& next) {
    if (installed && same_clat(*installed, next) && !same_pref64(*installed, next)) {
        return installed;
    }
    if (previous && same_clat(*previous, next) && !same_pref64(*previous, next)) {
        return previous;
    }
    return std::nullopt;
}

void Applier::note(ApplyResult& out, int ifindex, const std::string& ifname, log::Level level,
                   std::string text) {
    out.events.push_back({ifindex, log::Entry{level, ifname, std::move(text), {}}});
}

bool Applier::check(const Status& s, const LinkPlan& plan, const std::string& what,
                    ApplyResult& out) {
    if (s) {
        note(out, plan.ifindex, plan.name, log::debug, what);
        return true;
    }
    note(out, plan.ifindex, plan.name, log::err, what + " failed: " + s.error().message);
    out.retry = true;
    return false;
}

ApplyResult Applier::apply(const DesiredState& desired) {
    ApplyResult out;
    // Links to take down first: frees CLAT IPv4 addresses and slots that a
    // new uplink may be about to use.
    std::vector<int> gone;
    for (const auto& [ifindex, link] : installed_) {
        auto it = desired.links.find(ifindex);
        if (it == desired.links.end() || !it->second.active()) {
            gone.push_back(ifindex);
        }
    }
    for (int ifindex : gone) {
        teardown(ifindex, installed_.at(ifindex), out);
        installed_.erase(ifindex);
    }
    // DAD runs for links that no longer want a CLAT are pointless.
    for (auto it = dad_.begin(); it != dad_.end();) {
        auto d = desired.links.find(it->first);
        if (d == desired.links.end() || !d->second.active()) {
            if (it->second.status == DadStatus::running) {
                ops_.cancel_dad(it->first);
            }
            it = dad_.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& [ifindex, plan] : desired.links) {
        if (plan.active()) {
            converge(plan, out);
        }
    }
    return out;
}

void Applier::converge(const LinkPlan& plan, ApplyResult& out) {
    std::optional<InstalledLink> before;
    if (auto it = installed_.find(plan.ifindex); it != installed_.end()) {
        before = it->second;
    }
    if (!install(plan, out)) {
        roll_back(plan, before, out);
    }
}

bool Applier::install(const LinkPlan& plan, ApplyResult& out) {
    const int ifindex = plan.ifindex;
    auto inst_it = installed_.find(ifindex);
    const bool have = inst_it != installed_.end();
    const bool claimed = have && (contains(inst_it->second.anycasts, plan.clat6) ||
                                  inst_it->second.adopted_clat6 == plan.clat6);

    // 1. The CLAT IPv6 address must pass DAD before anything uses it. Until
    //    then whatever is installed keeps working unchanged. Links without
    //    ND (IFF_NOARP) have no DAD (LinkPlan::needs_dad).
    if (!claimed && plan.needs_dad) {
        auto d = dad_.find(ifindex);
        if (d == dad_.end() || d->second.addr != plan.clat6 ||
            d->second.status == DadStatus::failed) {
            if (d != dad_.end() && d->second.status == DadStatus::running) {
                ops_.cancel_dad(ifindex);
            }
            dad_.erase(ifindex);
            if (!check(ops_.start_dad(ifindex, plan.clat6), plan,
                       "DAD for " + plan.clat6.str() + " started", out)) {
                return false;
            }
            dad_[ifindex] = Dad{plan.clat6, DadStatus::running};
            out.dad_pending = true;
            return true;
        }
        if (d->second.status == DadStatus::running) {
            out.dad_pending = true;
            return true;
        }
        if (d->second.status == DadStatus::duplicate) {
            // The daemon moves to the next candidate; nothing to do here.
            return true;
        }
    }

    InstalledLink& inst = installed_[ifindex];
    inst.name = plan.name;

    // 2. Claim the (new) address: the kernel now answers ND for it.
    if (!contains(inst.anycasts, plan.clat6)) {
        if (inst.adopted_clat6 == plan.clat6 || dad_.count(ifindex) != 0 || !plan.needs_dad) {
            if (!check(ops_.claim_anycast(ifindex, plan.clat6), plan,
                       "anycast claim of " + plan.clat6.str(), out)) {
                return false;
            }
            inst.anycasts.push_back(plan.clat6);
            inst.adopted_clat6.reset();
            dad_.erase(ifindex);
        }
    }

    // 2b. The router learns where the claimed address lives before the map
    //     below makes traffic use it: once per address and router. Only an
    //     optimisation (without it the router resolves the address itself,
    //     late), so a failure is reported, not retried.
    if (plan.gateway && contains(inst.anycasts, plan.clat6)) {
        const std::pair want{plan.clat6, *plan.gateway};
        if (inst.announced != want) {
            auto s = ops_.announce(ifindex, plan.clat6, *plan.gateway);
            note(out, ifindex, plan.name, s ? log::debug : log::warning,
                 s ? "router " + plan.gateway->str() + " told about " + plan.clat6.str()
                   : "telling the router about " + plan.clat6.str() +
                         " failed (its first packets wait for address resolution): " +
                         s.error().message);
            inst.announced = want;
        }
    }

    // 3. One map update switches the programs atomically. Written before
    //    attaching, so a program that replaces a stale one never runs
    //    without its config.
    if (!inst.config || !same_config(*inst.config, plan.dp)) {
        if (!inst.config || inst.config->counter_slot != plan.dp.counter_slot) {
            // A reused slot starts from zero; failure only skews statistics.
            auto s = ops_.reset_counters(plan.dp.counter_slot);
            if (!s) {
                note(out, ifindex, plan.name, log::warning,
                     "resetting counters failed: " + s.error().message);
            }
        }
        // 3a. After a PREF64 change the old config stays beside the new one
        //     for replies already on their way (written first: no moment
        //     without either). Only an optimisation, so a failure warns.
        const auto prev = previous_config_after(inst.config, inst.previous, plan.dp);
        if (prev && !(inst.previous && same_config(*prev, *inst.previous))) {
            auto s = ops_.set_previous_config(ifindex, *prev);
            note(out, ifindex, plan.name, s ? log::debug : log::warning,
                 s ? "previous datapath config " + describe_config(*prev) + " kept"
                   : "keeping the previous datapath config failed (replies in flight to "
                     "the old PREF64 are lost): " +
                         s.error().message);
            if (s) {
                inst.previous = prev;
                out.previous_written.push_back(ifindex);
            }
        }
        if (!check(ops_.set_config(ifindex, plan.dp), plan,
                   "datapath config " + describe_config(plan.dp), out)) {
            return false;
        }
        inst.config = plan.dp;
        // 3b. A previous config that no longer belongs to this CLAT goes.
        if (!prev && inst.previous) {
            if (!check(ops_.remove_previous_config(ifindex), plan,
                       "previous datapath config removed", out)) {
                return false;
            }
            inst.previous.reset();
        }
    }

    // 4. Programs on the link.
    if (!inst.attached || inst.arphrd != plan.arphrd) {
        if (!check(ops_.attach(ifindex, plan.arphrd), plan, "datapath attached", out)) {
            return false;
        }
        inst.attached = true;
        inst.arphrd = plan.arphrd;
        inst.stale_filters = false;
    }

    // 5. The CLAT IPv4 address before the route that uses it as src.
    if (!contains(inst.addrs4, plan.clat4)) {
        if (!check(ops_.add_addr4(ifindex, plan.name, plan.clat4), plan,
                   "address " + plan.clat4.str() + "/32 added", out)) {
            return false;
        }
        inst.addrs4.push_back(plan.clat4);
    }

    // 6. The route is replaced in place (same metric/table: the kernel swaps
    //    it); a new metric adds a route beside the old one, removed in 7.
    Route4Spec want{ifindex,    plan.name,       plan.gateway,
                    plan.clat4, plan.route4_mtu, plan.route4_metric};
    std::optional<Route4Spec> old_route;
    if (inst.route4 != want) {
        if (!check(ops_.replace_route4(want), plan, "route " + route_text(want), out)) {
            return false;
        }
        if (inst.route4 && inst.route4->metric != want.metric) {
            old_route = inst.route4;
        }
        inst.route4 = want;
    }

    // 7. Break what the new state no longer uses. The new state works
    //    already: a failure here is retried, not rolled back.
    if (old_route) {
        check(ops_.del_route4(ifindex, plan.name, old_route->metric), plan,
              "old route " + route_text(*old_route) + " removed", out);
    }
    for (auto it = inst.addrs4.begin(); it != inst.addrs4.end();) {
        if (*it == plan.clat4) {
            ++it;
            continue;
        }
        if (!check(ops_.del_addr4(ifindex, plan.name, *it), plan,
                   "old address " + it->str() + " removed", out)) {
            break;
        }
        it = inst.addrs4.erase(it);
    }
    for (auto it = inst.anycasts.begin(); it != inst.anycasts.end();) {
        if (*it == plan.clat6) {
            ++it;
            continue;
        }
        ops_.release_anycast(ifindex, *it);
        note(out, ifindex, plan.name, log::debug, "anycast claim of " + it->str() + " released");
        it = inst.anycasts.erase(it);
    }
    return true;
}

void Applier::teardown(int ifindex, InstalledLink& link, ApplyResult& out) {
    // Reverse order of installation. Errors are reported but do not stop the
    // rest: the link may be gone already, which removes most of it anyway.
    auto done = [&](const Status& s, const std::string& what) {
        if (s) {
            note(out, ifindex, link.name, log::debug, what);
        } else {
            note(out, ifindex, link.name, log::warning, what + " failed: " + s.error().message);
        }
    };
    if (link.route4) {
        done(ops_.del_route4(ifindex, link.name, link.route4->metric), "route removed");
    }
    for (const auto& a : link.addrs4) {
        done(ops_.del_addr4(ifindex, link.name, a), "address " + a.str() + "/32 removed");
    }
    if (link.previous) {
        done(ops_.remove_previous_config(ifindex), "previous datapath config removed");
    }
    if (link.config) {
        done(ops_.remove_config(ifindex), "datapath config removed");
    }
    if (link.attached || link.stale_filters) {
        done(ops_.detach(ifindex), "datapath detached");
    }
    for (const auto& a : link.anycasts) {
        ops_.release_anycast(ifindex, a);
        note(out, ifindex, link.name, log::debug, "anycast claim of " + a.str() + " released");
    }
    auto d = dad_.find(ifindex);
    if (d != dad_.end()) {
        if (d->second.status == DadStatus::running) {
            ops_.cancel_dad(ifindex);
        }
        dad_.erase(d);
    }
}

namespace {
// A CLAT that carried traffic: programs on the link and our route.
bool working(const InstalledLink& l) {
    return l.route4.has_value() && (l.attached || l.stale_filters);
}
} // namespace

void Applier::roll_back(const LinkPlan& plan, const std::optional<InstalledLink>& before,
                        ApplyResult& out) {
    const int ifindex = plan.ifindex;
    auto it = installed_.find(ifindex);
    if (it == installed_.end()) {
        return; // the failed step was the first: nothing was installed
    }
    if (before && working(*before) && restore(plan, *before, it->second, out)) {
        it->second = *before;
        note(out, ifindex, plan.name, log::notice, "change failed; previous CLAT state kept");
        return;
    }
    teardown(ifindex, it->second, out);
    installed_.erase(it);
    note(out, ifindex, plan.name, log::notice, "setup failed part-way; removed what it installed");
}

bool Applier::restore(const LinkPlan& plan, const InstalledLink& before, InstalledLink& now,
                      ApplyResult& out) {
    const int ifindex = plan.ifindex;
    // Programs of a crashed run replaced by ours cannot be brought back.
    if (before.stale_filters && now.attached) {
        return false;
    }
    if (now.attached && !before.attached && !before.stale_filters) {
        return false;
    }
    if (now.attached && before.attached && now.arphrd != before.arphrd &&
        !check(ops_.attach(ifindex, before.arphrd), plan, "previous datapath attached", out)) {
        return false;
    }
    if (now.route4 != before.route4 &&
        !check(ops_.replace_route4(*before.route4), plan,
               "previous route " + route_text(*before.route4), out)) {
        return false;
    }
    if (now.config && !(before.config && same_config(*now.config, *before.config))) {
        const Status s =
            before.config ? ops_.set_config(ifindex, *before.config) : ops_.remove_config(ifindex);
        if (!check(s, plan, "previous datapath config", out)) {
            return false;
        }
    }
    if (now.previous.has_value() != before.previous.has_value() ||
        (now.previous && !same_config(*now.previous, *before.previous))) {
        const Status s = before.previous ? ops_.set_previous_config(ifindex, *before.previous)
                                         : ops_.remove_previous_config(ifindex);
        if (!check(s, plan, "previous datapath config restored", out)) {
            return false;
        }
    }
    for (const auto& a : now.addrs4) {
        if (!contains(before.addrs4, a) && !check(ops_.del_addr4(ifindex, plan.name, a), plan,
                                                  "new address " + a.str() + "/32 removed", out)) {
            return false;
        }
    }
    for (const auto& a : now.anycasts) {
        if (!contains(before.anycasts, a)) {
            ops_.release_anycast(ifindex, a);
            note(out, ifindex, plan.name, log::debug, "anycast claim of " + a.str() + " released");
        }
    }
    return true;
}

ApplyResult Applier::remove_all() {
    ApplyResult out;
    for (auto& [ifindex, link] : installed_) {
        teardown(ifindex, link, out);
    }
    installed_.clear();
    for (const auto& [ifindex, d] : dad_) {
        if (d.status == DadStatus::running) {
            ops_.cancel_dad(ifindex);
        }
    }
    dad_.clear();
    return out;
}

ApplyResult Applier::drop_previous(int ifindex) {
    ApplyResult out;
    auto it = installed_.find(ifindex);
    if (it == installed_.end() || !it->second.previous) {
        return out;
    }
    InstalledLink& link = it->second;
    auto s = ops_.remove_previous_config(ifindex);
    if (s) {
        note(out, ifindex, link.name, log::debug, "previous datapath config removed");
        link.previous.reset();
    } else {
        note(out, ifindex, link.name, log::err,
             "removing the previous datapath config failed: " + s.error().message);
        out.retry = true;
    }
    return out;
}

bool Applier::dad_done(int ifindex, const Ipv6Addr& addr, DadStatus status) {
    auto d = dad_.find(ifindex);
    if (d == dad_.end() || d->second.addr != addr || d->second.status != DadStatus::running) {
        return false;
    }
    d->second.status = status;
    return true;
}

} // namespace colatrl

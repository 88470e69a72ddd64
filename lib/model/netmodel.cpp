// SPDX-License-Identifier: GPL-2.0-or-later
#include "model/netmodel.hpp"

#include <algorithm>
#include <utility>

namespace colatrl {

namespace {
template <class... F> struct Overloaded : F... { using F::operator()...; };
} // namespace

bool same_entry(const Addr& a, const Addr& b) {
    return a.ifindex == b.ifindex && a.addr == b.addr && a.prefixlen == b.prefixlen;
}

bool same_entry(const Route& a, const Route& b) {
    // The kernel's key: an IPv4 route is one per dst/table/metric (a
    // replace changes its next hop in place, without a removal message),
    // while IPv6 default routes from several routers share dst/metric and
    // stay separate entries, told apart by their gateway.
    return a.ifindex == b.ifindex && a.dst == b.dst && a.table == b.table && a.metric == b.metric &&
           a.protocol == b.protocol && (a.family() == Family::v4 || a.gateway == b.gateway);
}

bool NetworkModel::apply(const NetEvent& e) {
    return std::visit(
        Overloaded{
            [this](const Change<Link>& c) {
                return c.removed ? erase_link(c.value.ifindex) : upsert(c.value);
            },
            [this](const auto& c) -> bool { return c.removed ? erase(c.value) : upsert(c.value); },
            [this](const DumpStarted&) {
                const bool changed = !links.empty() || !addrs.empty() || !routes.empty() || synced;
                links.clear();
                addrs.clear();
                routes.clear();
                synced = false;
                return changed;
            },
            [this](const DumpComplete&) { return !std::exchange(synced, true); },
        },
        e);
}

bool NetworkModel::upsert(const Link& l) {
    auto [it, inserted] = links.try_emplace(l.ifindex, l);
    if (inserted) {
        return true;
    }
    if (it->second == l) {
        return false;
    }
    it->second = l;
    return true;
}

bool NetworkModel::erase_link(int ifindex) {
    bool changed = links.erase(ifindex) > 0;
    auto on_link = [ifindex](const auto& x) {
        return x.ifindex == ifindex;
    };
    changed |= std::erase_if(addrs, on_link) > 0;
    changed |= std::erase_if(routes, on_link) > 0;
    changed |= std::erase_if(ra_pref64, on_link) > 0;
    std::erase_if(ra_superseded, on_link);
    return changed;
}

bool NetworkModel::upsert(const Addr& a) {
    return upsert_entry(addrs, a);
}
bool NetworkModel::erase(const Addr& a) {
    return erase_entry(addrs, a);
}
bool NetworkModel::upsert(const Route& r) {
    return upsert_entry(routes, r);
}
bool NetworkModel::erase(const Route& r) {
    return erase_entry(routes, r);
}

bool NetworkModel::update_ra_pref64(int ifindex, const Ipv6Addr& router, const Ipv6Prefix& prefix,
                                    std::chrono::seconds lifetime, Clock::time_point now) {
    // Identity is (link, router, prefix): one router may announce several
    // prefixes while renumbering, several routers may announce the same one.
    auto same = [&](const RaPref64& x) {
        return x.ifindex == ifindex && x.router == router && x.prefix == prefix;
    };
    // Superseded entries only matter to the RA that superseded them (their
    // last_seen is set to the moment they were superseded).
    std::erase_if(ra_superseded, [now](const RaPref64& x) { return x.last_seen + kRaBurst < now; });
    if (lifetime.count() <= 0) {
        std::erase_if(ra_superseded, same);
        return std::erase_if(ra_pref64, same) > 0;
    }
    RaPref64 entry{ifindex, router, prefix, now + lifetime, now, now};
    auto it = std::find_if(ra_pref64.begin(), ra_pref64.end(), same);
    if (it != ra_pref64.end()) {
        // A refresh only moves the expiry; still report it, since "newest
        // wins" ordering in the derivation depends on it.
        entry.first_seen = it->first_seen;
        const bool changed = !(*it == entry);
        *it = entry;
        return changed;
    }
    if (auto s = std::find_if(ra_superseded.begin(), ra_superseded.end(), same);
        s != ra_superseded.end()) {
        // Superseded by a new prefix of this same RA: part of the set again.
        entry.first_seen = s->first_seen;
        ra_superseded.erase(s);
        ra_pref64.push_back(entry);
        return true;
    }
    // New: first announced with this RA, so it dates from the RA's first
    // option, as every other prefix that is new in the same RA.
    auto this_ra = [&](const RaPref64& x) {
        return x.ifindex == ifindex && x.router == router && x.last_seen + kRaBurst >= now;
    };
    for (const auto* list : {&ra_pref64, &ra_superseded}) {
        for (const auto& x : *list) {
            if (this_ra(x) && x.last_seen < entry.first_seen) {
                entry.first_seen = x.last_seen;
            }
        }
    }
    for (auto old = ra_pref64.begin(); old != ra_pref64.end();) {
        if (old->ifindex != ifindex || old->router != router || this_ra(*old)) {
            ++old;
            continue;
        }
        if (old->expires > now) { // an expired one is gone, not superseded
            RaPref64 gone = *old;
            gone.last_seen = now;
            ra_superseded.push_back(gone);
        }
        old = ra_pref64.erase(old);
    }
    ra_pref64.push_back(entry);
    return true;
}

bool NetworkModel::expire(Clock::time_point now) {
    bool changed =
        std::erase_if(ra_pref64, [now](const RaPref64& p) { return p.expires <= now; }) > 0;
    if (dns64 && dns64->expires <= now) {
        dns64.reset();
        changed = true;
    }
    return changed;
}

std::optional<Clock::time_point> NetworkModel::next_expiry() const {
    std::optional<Clock::time_point> next;
    auto consider = [&next](Clock::time_point t) {
        if (!next || t < *next) {
            next = t;
        }
    };
    for (const auto& p : ra_pref64) {
        consider(p.expires);
    }
    if (dns64) {
        consider(dns64->expires);
    }
    return next;
}

} // namespace colatrl

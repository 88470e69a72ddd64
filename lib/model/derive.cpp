// SPDX-License-Identifier: GPL-2.0-or-later
#include "model/derive.hpp"

#include "clat/clat_addr.hpp"
#include "clat/clat_ipv4.hpp"
#include "clat/markers.hpp"
#include "datapath/datapath_config.hpp"
#include "inet/rfc6052.hpp"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace colatrl {

std::string_view to_string(Pref64Source s) {
    switch (s) {
    case Pref64Source::none:
        return "none";
    case Pref64Source::config:
        return "config";
    case Pref64Source::ra:
        return "ra";
    case Pref64Source::dns64:
        return "dns64";
    case Pref64Source::adopted:
        return "adopted";
    }
    return "?";
}

std::string_view to_string(OffReason r) {
    switch (r) {
    case OffReason::none:
        return "on";
    case OffReason::not_selected:
        return "not in Interfaces=";
    case OffReason::link_down:
        return "link down";
    case OffReason::no_ipv6_route:
        return "no IPv6 default route";
    case OffReason::no_ipv6_gateway:
        return "no IPv6 gateway";
    case OffReason::no_ipv6_prefix:
        return "no usable global /64";
    case OffReason::native_ipv4:
        return "native IPv4 present";
    case OffReason::other_clat:
        return "another CLAT is active";
    case OffReason::mode_off:
        return "Mode=off";
    case OffReason::no_pref64:
        return "no PREF64";
    case OffReason::no_clat_ipv4:
        return "no free CLAT IPv4 address";
    case OffReason::no_counter_slot:
        return "too many uplinks";
    case OffReason::unsupported_link:
        return "unsupported link type";
    case OffReason::invalid_config:
        return "invalid datapath config";
    }
    return "?";
}

std::string_view off_reason_word(OffReason r) {
    switch (r) {
    case OffReason::none:
        return "";
    case OffReason::not_selected:
        return "not-selected";
    case OffReason::link_down:
        return "link-down";
    case OffReason::no_ipv6_route:
        return "no-ipv6-route";
    case OffReason::no_ipv6_gateway:
        return "no-ipv6-gateway";
    case OffReason::no_ipv6_prefix:
        return "no-ipv6-prefix";
    case OffReason::native_ipv4:
        return "native-ipv4";
    case OffReason::other_clat:
        return "other-clat";
    case OffReason::mode_off:
        return "mode-off";
    case OffReason::no_pref64:
        return "no-pref64";
    case OffReason::no_clat_ipv4:
        return "no-clat-ipv4";
    case OffReason::no_counter_slot:
        return "too-many-uplinks";
    case OffReason::unsupported_link:
        return "unsupported-link";
    case OffReason::invalid_config:
        return "invalid-config";
    }
    return "unknown";
}

bool same_config(const colatrl_config& a, const colatrl_config& b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

bool LinkPlan::operator==(const LinkPlan& o) const {
    return ifindex == o.ifindex && name == o.name && arphrd == o.arphrd && off == o.off &&
           detail == o.detail && prefix64 == o.prefix64 && pref64 == o.pref64 &&
           pref64_source == o.pref64_source && gateway == o.gateway && ipv6_mtu == o.ipv6_mtu &&
           ipv6_metric == o.ipv6_metric && needs_dad == o.needs_dad && clat4 == o.clat4 &&
           clat6 == o.clat6 && clat6_counter == o.clat6_counter && counter_slot == o.counter_slot &&
           route4_mtu == o.route4_mtu && route4_metric == o.route4_metric && same_config(dp, o.dp);
}

std::string LinkPlan::describe() const {
    if (!active()) {
        std::string s = "CLAT off: " + std::string(to_string(off));
        if (!detail.empty()) {
            s += " (" + detail + ")";
        }
        return s;
    }
    std::string s = "CLAT on: " + clat4.str() + " <-> " + clat6.str() + ", PREF64 " +
                    (pref64 ? pref64->str() : "?") + " from " +
                    std::string(to_string(pref64_source));
    s += gateway ? ", via " + gateway->str() : ", no next hop";
    s += ", mtu " + std::to_string(route4_mtu) + ", metric " + std::to_string(route4_metric);
    return s;
}

bool LinkPlan::connected() const noexcept {
    switch (off) {
    case OffReason::not_selected:
    case OffReason::link_down:
    case OffReason::no_ipv6_route:
    case OffReason::no_ipv6_prefix:
    case OffReason::unsupported_link:
        return false;
    default:
        return prefix64.has_value();
    }
}

size_t DesiredState::active_count() const {
    return static_cast<size_t>(std::count_if(links.begin(), links.end(),
                                             [](const auto& kv) { return kv.second.active(); }));
}

namespace {

bool is_loopback(const Link& l) {
    return (l.flags & IFF_LOOPBACK) != 0 || l.type == ARPHRD_LOOPBACK;
}

// Links without a link-layer header (raw IP: WWAN modems, PPP, tun) send
// to the one peer there is; an IPv4 route without a next hop on any other
// link would resolve every IPv4 destination with ARP, which nobody answers.
bool resolves_neighbours(const Link& l) {
    auto v = variant_for_arphrd(l.type);
    return !v || *v != LinkVariant::raw_ip;
}

bool is_ula(const Ipv6Prefix& p) {
    return (p.addr.bytes[0] & 0xfe) == 0xfc;
}

// The lowest-metric IPv6 default route in the main table on this link.
const Route* best_default6(const NetworkModel& m, int ifindex) {
    const Route* best = nullptr;
    for (const auto& r : m.routes) {
        if (r.family() != Family::v6 || r.ifindex != ifindex || r.dst.len != 0 ||
            r.table != RT_TABLE_MAIN || r.protocol == kRouteProtocol) {
            continue;
        }
        if (!best || r.metric < best->metric ||
            (r.metric == best->metric && r.gateway && best->gateway &&
             *r.gateway < *best->gateway)) {
            best = &r;
        }
    }
    return best;
}

// An IPv4 route whose next hop is an IPv6 address (RTA_VIA) is what a CLAT
// installs, not native IPv4.
bool via_inet6(const Route& r) {
    return r.gateway && r.gateway->family == Family::v6;
}

bool has_native_ipv4(const NetworkModel& m, int ifindex) {
    return std::any_of(m.routes.begin(), m.routes.end(), [ifindex](const Route& r) {
        return r.family() == Family::v4 && r.ifindex == ifindex && r.dst.len == 0 &&
               r.table == RT_TABLE_MAIN && r.protocol != kRouteProtocol && !via_inet6(r);
    });
}

// IPv4 on the link besides the CLAT's own: a native IPv4 default route (which
// Mode=force runs beside) or any IPv4 address outside 192.0.0.0/29 (a LAN
// subnet, IPv4 link-local, a lease without a router). A 192.0.0.0/29 address
// is ours or keeps the CLAT off (other_clat_evidence). Without any, the link
// is IPv6-only and the programs drop IPv4 that is not the CLAT's
// (COLATRL_F_IPV6_ONLY). Other IPv4 routes do not count: they do not make the
// link carry IPv4 (some distributions add 169.254.0.0/16 to every link).
bool carries_other_ipv4(const NetworkModel& m, int ifindex) {
    if (has_native_ipv4(m, ifindex)) {
        return true;
    }
    return std::any_of(m.addrs.begin(), m.addrs.end(), [ifindex](const Addr& a) {
        const auto a4 = a.addr.as_v4();
        return a.ifindex == ifindex && a4 && !kClatIpv4Range.contains(*a4);
    });
}

// Another translator on this link (NetworkManager's CLAT, clatd, a manual
// setup): an IPv4 default route via inet6 that is not ours, or a
// 192.0.0.0/29 address (RFC 7335) without our markers. Returns what shows it;
// empty when there is none. Two CLATs on one link would fight over the route
// and translate each other's packets, so we stay off there whatever the Mode.
std::string other_clat_evidence(const NetworkModel& m, const DeriveInputs& inputs,
                                const Link& link) {
    const auto own = inputs.own4.find(link.ifindex);
    auto installed_by_us = [&](const Ipv4Addr& a) {
        return own != inputs.own4.end() &&
               std::find(own->second.begin(), own->second.end(), a) != own->second.end();
    };
    for (const auto& r : m.routes) {
        if (r.family() == Family::v4 && r.ifindex == link.ifindex && r.dst.len == 0 &&
            r.protocol != kRouteProtocol && via_inet6(r)) {
            return "IPv4 default route via inet6 " + r.gateway->str() + " (protocol " +
                   std::to_string(r.protocol) + ", table " + std::to_string(r.table) +
                   ") is not ours";
        }
    }
    for (const auto& a : m.addrs) {
        const auto a4 = a.addr.as_v4();
        if (a.ifindex == link.ifindex && a4 && kClatIpv4Range.contains(*a4) &&
            a.proto != kRouteProtocol && !is_clat_addr_label(a.label, link.name) &&
            !installed_by_us(*a4)) {
            return "address " + a4->str() + " from 192.0.0.0/29 is not ours";
        }
    }
    return {};
}

bool usable_global(const Addr& a) {
    constexpr uint32_t bad = IFA_F_TENTATIVE | IFA_F_DEPRECATED | IFA_F_DADFAILED;
    return a.family() == Family::v6 && a.prefixlen == 64 && a.scope == RT_SCOPE_UNIVERSE &&
           (a.flags & bad) == 0 && a.preferred_lft != 0;
}

// Deprecated (preferred lifetime over) but valid: usable for what runs.
bool valid_global(const Addr& a) {
    constexpr uint32_t bad = IFA_F_TENTATIVE | IFA_F_DADFAILED;
    return a.family() == Family::v6 && a.prefixlen == 64 && a.scope == RT_SCOPE_UNIVERSE &&
           (a.flags & bad) == 0 && a.valid_lft != 0;
}

std::optional<Ipv6Prefix> choose_prefix64(const NetworkModel& m, int ifindex,
                                          const std::optional<Ipv6Prefix>& sticky,
                                          const std::optional<Ipv6Addr>& configured6) {
    std::set<Ipv6Prefix> candidates;
    for (const auto& a : m.addrs) {
        if (a.ifindex == ifindex && usable_global(a)) {
            candidates.insert(Ipv6Prefix::make(*a.addr.as_v6(), 64));
        }
    }
    if (candidates.empty()) {
        // Make-before-break while renumbering: a deprecated but still valid
        // /64 keeps carrying the CLAT until the new one is usable (its SLAAC
        // address may still be tentative).
        for (const auto& a : m.addrs) {
            if (a.ifindex == ifindex && valid_global(a)) {
                candidates.insert(Ipv6Prefix::make(*a.addr.as_v6(), 64));
            }
        }
        if (sticky && candidates.count(*sticky) != 0) {
            return sticky;
        }
    }
    if (candidates.empty()) {
        return std::nullopt;
    }
    if (configured6) {
        for (const auto& p : candidates) {
            if (p.contains(*configured6)) {
                return p;
            }
        }
    }
    if (sticky && candidates.count(*sticky) != 0) {
        return sticky;
    }
    for (const auto& p : candidates) { // ordered: lowest first
        if (!is_ula(p)) {
            return p;
        }
    }
    return *candidates.begin();
}

struct Pref64Choice {
    std::optional<Ipv6Prefix> prefix;
    Pref64Source source = Pref64Source::none;
};

Pref64Choice choose_pref64(const NetworkModel& m, const Config& c, int ifindex,
                           Clock::time_point now) {
    if (c.pref64) {
        return {c.pref64, Pref64Source::config};
    }
    if (c.discover_ra) {
        // Newest announced wins (RFC 9872 / renumbering); ties (first
        // announced in the same RA): the longer lifetime as announced, then
        // the lowest prefix, so the order of an RA's options does not matter.
        const RaPref64* best = nullptr;
        auto lifetime = [](const RaPref64& p) {
            return p.expires - p.last_seen;
        };
        for (const auto& p : m.ra_pref64) {
            if (p.ifindex != ifindex || p.expires <= now || !validate_pref64(p.prefix)) {
                continue;
            }
            if (!best || p.first_seen > best->first_seen ||
                (p.first_seen == best->first_seen &&
                 (lifetime(p) > lifetime(*best) ||
                  (lifetime(p) == lifetime(*best) && p.prefix < best->prefix)))) {
                best = &p;
            }
        }
        if (best) {
            return {best->prefix, Pref64Source::ra};
        }
    }
    if (c.discover_dns64 && m.dns64 && m.dns64->expires > now && validate_pref64(m.dns64->prefix)) {
        return {m.dns64->prefix, Pref64Source::dns64};
    }
    return {};
}

template <typename K, typename V> std::optional<V> lookup(const std::map<K, V>& m, const K& k) {
    auto it = m.find(k);
    if (it == m.end()) {
        return std::nullopt;
    }
    return it->second;
}

} // namespace

DesiredState derive(const NetworkModel& model, const Config& config, const DeriveInputs& inputs,
                    Clock::time_point now) {
    DesiredState out;

    // Pass 1: everything that depends on one link only.
    for (const auto& [ifindex, link] : model.links) {
        if (is_loopback(link)) {
            continue;
        }
        LinkPlan p;
        p.ifindex = ifindex;
        p.name = link.name;
        p.arphrd = link.type;
        // The kernel does no DAD on such links either (RFC 4862 §5.1:
        // DupAddrDetectTransmits 0); docs/decisions.md.
        p.needs_dad = (link.flags & IFF_NOARP) == 0;
        // The first reason found is the one reported, with its own detail.
        auto set_off = [&p](OffReason r, std::string detail = {}) {
            if (p.active()) {
                p.off = r;
                p.detail = std::move(detail);
            }
        };

        if (!config.interfaces.empty() &&
            std::find(config.interfaces.begin(), config.interfaces.end(), link.name) ==
                config.interfaces.end()) {
            p.off = OffReason::not_selected;
            out.links.emplace(ifindex, std::move(p));
            continue;
        }
        if (config.mode == ClatMode::off) {
            set_off(OffReason::mode_off);
        }
        if (!link.oper_up) {
            set_off(OffReason::link_down);
        }
        if (auto other = other_clat_evidence(model, inputs, link); !other.empty()) {
            set_off(OffReason::other_clat, std::move(other));
        }
        if (auto v = variant_for_arphrd(link.type); !v) {
            set_off(OffReason::unsupported_link, v.error().message);
        }
        const Route* r6 = best_default6(model, ifindex);
        if (!r6) {
            set_off(OffReason::no_ipv6_route);
        } else {
            p.gateway = r6->gateway ? r6->gateway->as_v6() : std::nullopt;
            p.ipv6_metric = r6->metric;
            if (!p.gateway && resolves_neighbours(link)) {
                set_off(OffReason::no_ipv6_gateway,
                        "device route only, on a link that resolves neighbours");
            }
            // Device IPv6 MTU (RA MTU) if known, else the link MTU; a route
            // MTU only ever lowers it.
            p.ipv6_mtu = link.mtu;
            if (auto m6 = lookup(inputs.ipv6_mtu, ifindex); m6 && *m6 != 0) {
                p.ipv6_mtu = *m6;
            }
            if (r6->mtu != 0) {
                p.ipv6_mtu = std::min(p.ipv6_mtu, r6->mtu);
            }
        }
        p.prefix64 =
            choose_prefix64(model, ifindex, lookup(inputs.prefix64, ifindex), config.ipv6_address);
        if (!p.prefix64) {
            set_off(OffReason::no_ipv6_prefix);
        }
        if (config.mode == ClatMode::automatic && has_native_ipv4(model, ifindex)) {
            set_off(OffReason::native_ipv4);
        }
        auto pc = choose_pref64(model, config, ifindex, now);
        if (!pc.prefix) {
            auto a = inputs.adopted_pref64.find(ifindex);
            if (a != inputs.adopted_pref64.end() && a->second.until > now) {
                pc = {a->second.prefix, Pref64Source::adopted};
            }
        }
        p.pref64 = pc.prefix;
        p.pref64_source = pc.source;
        if (!p.pref64) {
            set_off(OffReason::no_pref64);
        }
        out.links.emplace(ifindex, std::move(p));
    }

    // Pass 2: shared resources (CLAT IPv4, counter slots). Links that hold
    // one keep it; the rest pick in ifindex order.
    std::vector<Ipv4Addr> in_use;
    for (const auto& a : model.addrs) {
        const auto a4 = a.addr.as_v4();
        if (!a4) {
            continue;
        }
        auto own = inputs.own4.find(a.ifindex);
        const bool ours =
            own != inputs.own4.end() &&
            std::find(own->second.begin(), own->second.end(), *a4) != own->second.end();
        if (!ours) {
            in_use.push_back(*a4);
        }
    }
    std::set<uint32_t> slots_used;
    auto active_links = [&out] {
        std::vector<LinkPlan*> v;
        for (auto& [i, p] : out.links) {
            if (p.active()) {
                v.push_back(&p);
            }
        }
        return v;
    };
    std::set<int> have4;
    std::set<int> have_slot;
    auto active = active_links();
    // IPv4Address= goes to the first uplink; further uplinks get free
    // addresses of the range.
    if (config.ipv4_address && !active.empty()) {
        LinkPlan* p = active.front();
        auto a = select_clat_ipv4(in_use, config.ipv4_address);
        if (!a) {
            p->off = OffReason::no_clat_ipv4;
            p->detail = a.error().message;
        } else {
            p->clat4 = *a;
            in_use.push_back(*a);
            have4.insert(p->ifindex);
        }
    }
    for (LinkPlan* p : active_links()) {
        if (auto a = lookup(inputs.clat4, p->ifindex);
            a && have4.count(p->ifindex) == 0 &&
            std::find(in_use.begin(), in_use.end(), *a) == in_use.end() &&
            service_continuity_prefix().contains(*a)) {
            p->clat4 = *a;
            in_use.push_back(*a);
            have4.insert(p->ifindex);
        }
        if (auto s = lookup(inputs.counter_slots, p->ifindex);
            s && *s < COLATRL_MAX_UPLINKS && slots_used.count(*s) == 0) {
            p->counter_slot = *s;
            slots_used.insert(*s);
            have_slot.insert(p->ifindex);
        }
    }
    for (LinkPlan* p : active_links()) {
        if (have4.count(p->ifindex) == 0) {
            auto a = select_clat_ipv4(in_use, std::nullopt);
            if (!a) {
                p->off = OffReason::no_clat_ipv4;
                p->detail = a.error().message;
                continue;
            }
            p->clat4 = *a;
            in_use.push_back(*a);
        }
        if (have_slot.count(p->ifindex) == 0) {
            uint32_t s = 0;
            while (s < COLATRL_MAX_UPLINKS && slots_used.count(s) != 0) {
                ++s;
            }
            if (s == COLATRL_MAX_UPLINKS) {
                p->off = OffReason::no_counter_slot;
                continue;
            }
            p->counter_slot = s;
            slots_used.insert(s);
        }
    }

    // Pass 3: CLAT IPv6 address and the datapath config.
    for (LinkPlan* p : active_links()) {
        if (config.ipv6_address && p->prefix64->contains(*config.ipv6_address)) {
            p->clat6 = *config.ipv6_address;
        } else {
            uint32_t counter = 0;
            if (auto c = lookup(inputs.dad_counter, std::pair{p->ifindex, *p->prefix64})) {
                counter = *c;
            }
            p->clat6_counter = counter;
            if (auto kept = lookup(inputs.clat6, p->ifindex);
                kept && kept->prefix64 == *p->prefix64 && kept->dad_counter == counter &&
                !p->pref64->contains(kept->addr)) {
                p->clat6 = kept->addr;
            } else {
                auto a =
                    derive_clat_ipv6(*p->prefix64, *p->pref64, p->clat4, inputs.secret, counter);
                if (!a) {
                    p->off = OffReason::invalid_config;
                    p->detail = a.error().message;
                    continue;
                }
                p->clat6 = *a;
            }
        }
        p->route4_mtu = p->ipv6_mtu > 28 ? p->ipv6_mtu - 28 : 0;
        p->route4_metric = clat_route4_metric(p->ipv6_metric, p->counter_slot);
        auto dp = make_datapath_config(p->clat4, p->clat6, *p->pref64, p->ipv6_mtu,
                                       config.translate_non_global, p->counter_slot,
                                       !carries_other_ipv4(model, p->ifindex));
        if (!dp) {
            p->off = OffReason::invalid_config;
            p->detail = dp.error().message;
            continue;
        }
        p->dp = *dp;
    }
    return out;
}

void remember_choices(DeriveInputs& inputs, const DesiredState& next) {
    std::map<int, uint32_t> slots;
    std::map<int, Ipv4Addr> clat4;
    std::map<int, Ipv6Prefix> prefixes;
    std::map<int, Clat6Choice> clat6;
    for (const auto& [ifindex, p] : next.links) {
        if (p.active()) {
            slots[ifindex] = p.counter_slot;
            clat4[ifindex] = p.clat4;
            if (p.clat6_counter) {
                clat6[ifindex] = Clat6Choice{*p.prefix64, *p.clat6_counter, p.clat6};
            }
        }
        if (p.prefix64) {
            prefixes[ifindex] = *p.prefix64;
        }
    }
    // A stand-in PREF64 goes once a real source spoke or its link left.
    std::erase_if(inputs.adopted_pref64, [&](const auto& kv) {
        auto it = next.links.find(kv.first);
        return it == next.links.end() || (it->second.pref64_source != Pref64Source::adopted &&
                                          it->second.pref64_source != Pref64Source::none);
    });
    inputs.counter_slots = std::move(slots);
    inputs.clat4 = std::move(clat4);
    inputs.prefix64 = std::move(prefixes);
    inputs.clat6 = std::move(clat6);
    std::erase_if(inputs.dad_counter, [&](const auto& kv) {
        auto it = inputs.prefix64.find(kv.first.first);
        return it == inputs.prefix64.end() || it->second != kv.first.second;
    });
}

} // namespace colatrl

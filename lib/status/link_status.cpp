// SPDX-License-Identifier: GPL-2.0-or-later
#include "status/link_status.hpp"

#include "base/json.hpp"
#include "datapath/datapath_config.hpp"

#include <algorithm>
#include <chrono>

namespace colatrl {

std::string_view to_word(ManagerState s) {
    switch (s) {
    case ManagerState::starting:
        return "starting";
    case ManagerState::running:
        return "running";
    case ManagerState::degraded:
        return "degraded";
    case ManagerState::stopping:
        return "stopping";
    }
    return "unknown";
}

std::string_view pref64_source_word(Pref64Source s) {
    return s == Pref64Source::none ? std::string_view{} : to_string(s);
}

namespace {

uint64_t boot_usec(Clock::time_point t) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
    return us.count() > 0 ? static_cast<uint64_t>(us.count()) : 0;
}

// When `prefix` expires: the latest expiry among the RAs on this link
// announcing it (any of them keeps it alive), the DNS64 answer's TTL; 0 for a
// configured prefix or none.
uint64_t pref64_expiry(int ifindex, const Ipv6Prefix& prefix, Pref64Source source,
                       const NetworkModel& model) {
    switch (source) {
    case Pref64Source::ra: {
        uint64_t latest = 0;
        for (const auto& ra : model.ra_pref64) {
            if (ra.ifindex == ifindex && ra.prefix == prefix) {
                latest = std::max(latest, boot_usec(ra.expires));
            }
        }
        return latest;
    }
    case Pref64Source::dns64:
        return model.dns64 && model.dns64->prefix == prefix ? boot_usec(model.dns64->expires) : 0;
    case Pref64Source::adopted: // stands in for seconds after a restart, no lifetime of its own
    case Pref64Source::config:
    case Pref64Source::none:
        break;
    }
    return 0;
}

} // namespace

LinkStatus link_status(const LinkPlan& plan, const NetworkModel& model,
                       const std::optional<InstalledClat>& installed, bool retrying) {
    LinkStatus s;
    s.ifindex = plan.ifindex;
    s.name = plan.name;
    if (plan.pref64) {
        s.pref64 = plan.pref64->str();
        s.pref64_source = pref64_source_word(plan.pref64_source);
        s.pref64_expires_usec =
            pref64_expiry(plan.ifindex, *plan.pref64, plan.pref64_source, model);
    }
    if (!plan.active()) {
        s.off_reason = off_reason_word(plan.off);
        s.off_detail = plan.detail;
        return s;
    }
    if (installed) {
        s.active = true;
        s.pref64 = installed->pref64.str();
        s.pref64_expires_usec =
            pref64_expiry(plan.ifindex, installed->pref64, plan.pref64_source, model);
        s.clat4 = installed->clat4.str();
        s.clat6 = installed->clat6.str();
        s.gateway = installed->gateway ? installed->gateway->str() : std::string{};
        s.mtu = installed->mtu;
        s.counter_slot = installed->counter_slot;
    } else if (retrying) {
        s.off_reason = kOffInstallFailed;
        s.off_detail = "installing the CLAT failed (the log says why); retrying";
    } else {
        s.off_reason = kOffPending;
        s.off_detail = "duplicate address detection of " + plan.clat6.str() + " is running";
    }
    return s;
}

ManagerState manager_state(bool ready, bool stopping, const std::map<int, LinkStatus>& links) {
    if (stopping) {
        return ManagerState::stopping;
    }
    if (!ready) {
        return ManagerState::starting;
    }
    const bool failed = std::any_of(links.begin(), links.end(), [](const auto& kv) {
        return kv.second.off_reason == kOffInstallFailed;
    });
    return failed ? ManagerState::degraded : ManagerState::running;
}

std::vector<std::string> changed_properties(const LinkStatus& a, const LinkStatus& b) {
    std::vector<std::string> out;
    const auto check = [&](bool differs, const char* name) {
        if (differs) {
            out.emplace_back(name);
        }
    };
    check(a.name != b.name, "InterfaceName");
    check(a.active != b.active, "State");
    check(a.off_reason != b.off_reason, "OffReason");
    check(a.off_detail != b.off_detail, "OffDetail");
    check(a.pref64 != b.pref64, "Pref64");
    check(a.pref64_source != b.pref64_source, "Pref64Source");
    check(a.clat4 != b.clat4, "ClatIPv4Address");
    check(a.clat6 != b.clat6, "ClatIPv6Address");
    check(a.gateway != b.gateway, "Gateway");
    check(a.mtu != b.mtu, "MTU");
    check(a.since_usec != b.since_usec, "Since");
    return out;
}

StatusDiff StatusBoard::update(std::map<int, LinkStatus> next, uint64_t now_realtime_usec) {
    StatusDiff diff;
    for (const auto& [ifindex, old] : links_) {
        if (!next.count(ifindex)) {
            diff.removed.push_back(ifindex);
        }
    }
    for (auto& [ifindex, s] : next) {
        auto it = links_.find(ifindex);
        if (it == links_.end()) {
            s.since_usec = now_realtime_usec;
            diff.added.push_back(ifindex);
            continue;
        }
        const LinkStatus& old = it->second;
        const bool moved = old.active != s.active || old.off_reason != s.off_reason;
        s.since_usec = moved ? now_realtime_usec : old.since_usec;
        auto names = changed_properties(old, s);
        if (!names.empty()) {
            diff.changed.emplace(ifindex, std::move(names));
        }
    }
    links_ = std::move(next);
    return diff;
}

const LinkStatus* StatusBoard::find(int ifindex) const {
    auto it = links_.find(ifindex);
    return it == links_.end() ? nullptr : &it->second;
}

const LinkStatus* StatusBoard::find(std::string_view name) const {
    for (const auto& [ifindex, s] : links_) {
        if (s.name == name) {
            return &s;
        }
    }
    return nullptr;
}

TrafficTotals traffic_totals(const std::vector<colatrl_counter>& block) {
    TrafficTotals t;
    if (block.size() > COLATRL_CNT_IN_XLAT) {
        t.packets4to6 = block[COLATRL_CNT_EG_XLAT].packets;
        t.bytes4to6 = block[COLATRL_CNT_EG_XLAT].bytes;
        t.packets6to4 = block[COLATRL_CNT_IN_XLAT].packets;
        t.bytes6to4 = block[COLATRL_CNT_IN_XLAT].bytes;
    }
    return t;
}

namespace {

void write_config(JsonWriter& j, const Config& c) {
    j.begin_object();
    j.key("interfaces").begin_array();
    for (const auto& i : c.interfaces) {
        j.value(i);
    }
    j.end_array();
    j.key("pref64").value(c.pref64 ? c.pref64->str() : std::string{});
    j.key("pref64_discovery_ra").value(c.discover_ra);
    j.key("pref64_discovery_dns64").value(c.discover_dns64);
    j.key("ipv4_address").value(c.ipv4_address ? c.ipv4_address->str() : std::string{});
    j.key("ipv6_address").value(c.ipv6_address ? c.ipv6_address->str() : std::string{});
    j.key("mode").value(to_string(c.mode));
    j.key("translate_non_global").value(c.translate_non_global);
    j.end_object();
}

void write_link(JsonWriter& j, const LinkStatus& s, const std::vector<colatrl_counter>* block) {
    j.begin_object();
    write_link_properties(j, s);
    const TrafficTotals t = block ? traffic_totals(*block) : TrafficTotals{};
    j.key("Packets4to6").value(t.packets4to6);
    j.key("Packets6to4").value(t.packets6to4);
    j.key("Bytes4to6").value(t.bytes4to6);
    j.key("Bytes6to4").value(t.bytes6to4);
    j.key("Statistics").begin_object();
    if (block) {
        for (size_t id = 0; id < block->size() && id < COLATRL_CNT__COUNT; ++id) {
            j.key(counter_name(static_cast<uint32_t>(id))).begin_object();
            j.key("packets").value((*block)[id].packets);
            j.key("bytes").value((*block)[id].bytes);
            j.end_object();
        }
    }
    j.end_object();
    j.end_object();
}

} // namespace

void write_link_properties(JsonWriter& j, const LinkStatus& s) {
    j.key("InterfaceName").value(s.name);
    j.key("InterfaceIndex").value(s.ifindex);
    j.key("State").value(s.state());
    j.key("OffReason").value(s.off_reason);
    j.key("OffDetail").value(s.off_detail);
    j.key("Pref64").value(s.pref64);
    j.key("Pref64Source").value(s.pref64_source);
    j.key("Pref64ExpiresUSec").value(s.pref64_expires_usec);
    j.key("ClatIPv4Address").value(s.clat4);
    j.key("ClatIPv6Address").value(s.clat6);
    j.key("Gateway").value(s.gateway);
    j.key("MTU").value(s.mtu);
    j.key("Since").value(s.since_usec);
}

std::string describe_json(const ManagerInfo& info, const Config& config,
                          const std::map<int, LinkStatus>& links,
                          const std::map<int, std::vector<colatrl_counter>>& counters) {
    JsonWriter j;
    j.begin_object();
    j.key("Version").value(info.version);
    j.key("State").value(to_word(info.state));
    j.key("ConfigFile").value(info.config_file);
    j.key("Config");
    write_config(j, config);
    j.key("Links").begin_array();
    for (const auto& [ifindex, s] : links) {
        auto it = counters.find(ifindex);
        write_link(j, s, it == counters.end() ? nullptr : &it->second);
    }
    j.end_array();
    j.end_object();
    return j.str();
}

} // namespace colatrl

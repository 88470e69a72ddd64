// SPDX-License-Identifier: GPL-2.0-or-later
#include "model/report.hpp"

#include "base/message_id.hpp"

namespace colatrl {

namespace {

log::Field field(std::string_view name, std::string value) {
    return {std::string(name), std::move(value)};
}

} // namespace

std::vector<log::Field> plan_fields(const LinkPlan& p) {
    std::vector<log::Field> f;
    f.push_back(
        field(logfield::message_id, std::string(p.active() ? msgid::clat_on : msgid::clat_off)));
    f.push_back(field(logfield::state, p.active() ? "active" : "off"));
    if (!p.active()) {
        f.push_back(field(logfield::off_reason, std::string(off_reason_word(p.off))));
    }
    if (p.pref64) {
        f.push_back(field(logfield::pref64, p.pref64->str()));
        f.push_back(field(logfield::pref64_source, std::string(to_string(p.pref64_source))));
    }
    if (p.active()) {
        f.push_back(field(logfield::clat_ipv4, p.clat4.str()));
        f.push_back(field(logfield::clat_ipv6, p.clat6.str()));
    }
    return f;
}

bool noteworthy(OffReason r) {
    switch (r) {
    case OffReason::native_ipv4:
    case OffReason::other_clat:
    case OffReason::no_pref64:
    case OffReason::no_clat_ipv4:
    case OffReason::no_counter_slot:
    case OffReason::invalid_config:
    case OffReason::mode_off:
    case OffReason::no_ipv6_gateway:
        return true;
    default:
        return false;
    }
}

std::vector<log::Entry> describe_changes(const DesiredState& before, const DesiredState& after) {
    std::vector<log::Entry> out;
    for (const auto& [ifindex, p] : after.links) {
        auto old = before.links.find(ifindex);
        const bool was = old != before.links.end();
        std::string text = p.describe();
        if (was && old->second.describe() == text) {
            continue;
        }
        const bool loud = p.active() || (was && old->second.active()) || noteworthy(p.off);
        out.push_back({loud ? log::info : log::debug, p.name, std::move(text), plan_fields(p)});
    }
    for (const auto& [ifindex, p] : before.links) {
        if (after.links.count(ifindex) == 0 && p.active()) {
            out.push_back(
                {log::info,
                 p.name,
                 "CLAT off: link gone",
                 {field(logfield::message_id, std::string(msgid::clat_off)),
                  field(logfield::state, "off"), field(logfield::off_reason, "link-gone")}});
        }
    }
    return out;
}

std::string status_line(const DesiredState& state) {
    std::vector<std::string> on;
    for (const auto& [ifindex, p] : state.links) {
        if (p.active()) {
            on.push_back(p.name + " " + p.clat4.str() + " via " + p.pref64->str() + " (" +
                         std::string(to_string(p.pref64_source)) + ")");
        }
    }
    if (!on.empty()) {
        std::string s = "CLAT on ";
        for (size_t i = 0; i < on.size(); ++i) {
            s += (i ? ", " : "") + on[i];
        }
        return s;
    }
    std::string s = "CLAT off";
    bool first = true;
    for (const auto& [ifindex, p] : state.links) {
        if (p.connected() || noteworthy(p.off)) {
            s += (first ? ": " : ", ") + p.name + " " + std::string(to_string(p.off));
            first = false;
        }
    }
    if (first) {
        s += ": no IPv6 uplink";
    }
    return s;
}

std::optional<std::string> dns64_wanted(const DesiredState& state, const Config& config) {
    if (!config.discover_dns64 || config.pref64) {
        return std::nullopt;
    }
    std::string signature;
    bool any = false;
    for (const auto& [ifindex, p] : state.links) {
        if (!p.connected()) {
            continue;
        }
        signature += std::to_string(ifindex) + "=" + p.prefix64->str() + ";";
        if (p.pref64_source != Pref64Source::ra) {
            any = true;
        }
    }
    if (!any) {
        return std::nullopt;
    }
    return signature;
}

} // namespace colatrl

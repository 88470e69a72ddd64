// SPDX-License-Identifier: GPL-2.0-or-later
// What the daemon says about a derived state: log lines, STATUS=, DNS64 need.
#include "base/message_id.hpp"
#include "model/report.hpp"
#include "plans.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <string_view>
#include <vector>

using namespace colatrl;
using colatrl::test::state;

namespace {

LinkPlan on(int ifindex, const char* name) {
    LinkPlan p;
    p.ifindex = ifindex;
    p.name = name;
    p.prefix64 = *Ipv6Prefix::parse("2001:db8:1::/64");
    p.pref64 = *Ipv6Prefix::parse("64:ff9b::/96");
    p.pref64_source = Pref64Source::ra;
    p.clat4 = *Ipv4Addr::parse("192.0.0.2");
    p.clat6 = *Ipv6Addr::parse("2001:db8:1::c1");
    p.route4_mtu = 1472;
    return p;
}

LinkPlan off(int ifindex, const char* name, OffReason r) {
    LinkPlan p = on(ifindex, name);
    p.off = r;
    return p;
}

} // namespace

TEST_CASE("change lines: info for the CLAT and noteworthy reasons, else debug", "[report]") {
    auto lines = describe_changes({}, state({on(2, "eth0"), off(3, "eth1", OffReason::link_down),
                                             off(4, "eth2", OffReason::no_pref64)}));
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].level == log::info);
    CHECK(lines[0].ifname == "eth0");
    CHECK(lines[0].message.find("CLAT on: 192.0.0.2") == 0);
    CHECK(lines[1].level == log::debug); // a link that is down is no news
    CHECK(lines[2].level == log::info);
    CHECK(lines[2].message == "CLAT off: no PREF64");
    // Unchanged: nothing. A CLAT going off is loud whatever the reason.
    const auto before = state({on(2, "eth0")});
    CHECK(describe_changes(before, before).empty());
    lines = describe_changes(before, state({off(2, "eth0", OffReason::link_down)}));
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].level == log::info);
    lines = describe_changes(before, {});
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].message == "CLAT off: link gone");
}

TEST_CASE("STATUS= line", "[report]") {
    CHECK(status_line(state({on(2, "eth0")})) == "CLAT on eth0 192.0.0.2 via 64:ff9b::/96 (ra)");
    CHECK(status_line(state({off(2, "eth0", OffReason::no_pref64),
                             off(3, "eth1", OffReason::link_down)})) == "CLAT off: eth0 no PREF64");
    CHECK(status_line({}) == "CLAT off: no IPv6 uplink");
    CHECK(status_line(state({off(2, "wwan0", OffReason::no_ipv6_gateway)})) ==
          "CLAT off: wwan0 no IPv6 gateway");
}

TEST_CASE("DNS64 discovery only where no RA PREF64 serves a connected link", "[report]") {
    Config c;
    auto dns = on(2, "eth0");
    dns.pref64_source = Pref64Source::dns64;
    CHECK(dns64_wanted(state({on(2, "eth0")}), c) == std::nullopt);
    const auto w = dns64_wanted(state({dns}), c);
    REQUIRE(w);
    CHECK(*w == "2=2001:db8:1::/64;");
    // A new /64 changes the signature (ask again on a new network).
    auto moved = dns;
    moved.prefix64 = *Ipv6Prefix::parse("2001:db8:2::/64");
    CHECK(dns64_wanted(state({moved}), c) != w);
    // Not connected: nothing to ask for.
    CHECK(dns64_wanted(state({off(2, "eth0", OffReason::no_ipv6_route)}), c) == std::nullopt);
    c.pref64 = *Ipv6Prefix::parse("64:ff9b::/96");
    CHECK(dns64_wanted(state({dns}), c) == std::nullopt);
    c.pref64.reset();
    c.discover_dns64 = false;
    CHECK(dns64_wanted(state({dns}), c) == std::nullopt);
}

namespace {

std::string field_of(const log::Entry& e, const std::string& name) {
    for (const auto& f : e.fields) {
        if (f.name == name) {
            return f.value;
        }
    }
    return "<none>";
}

} // namespace

TEST_CASE("change lines carry the state as journal fields", "[report]") {
    auto lines = describe_changes({}, state({on(2, "eth0"), off(4, "eth2", OffReason::no_pref64)}));
    REQUIRE(lines.size() == 2);
    CHECK(field_of(lines[0], "MESSAGE_ID") == msgid::clat_on);
    CHECK(field_of(lines[0], "COLATRL_STATE") == "active");
    CHECK(field_of(lines[0], "COLATRL_PREF64") == "64:ff9b::/96");
    CHECK(field_of(lines[0], "COLATRL_PREF64_SOURCE") == "ra");
    CHECK(field_of(lines[0], "COLATRL_CLAT_IPV4") == "192.0.0.2");
    CHECK(field_of(lines[0], "COLATRL_CLAT_IPV6") == "2001:db8:1::c1");
    CHECK(field_of(lines[0], "COLATRL_OFF_REASON") == "<none>");
    CHECK(field_of(lines[1], "MESSAGE_ID") == msgid::clat_off);
    CHECK(field_of(lines[1], "COLATRL_STATE") == "off");
    CHECK(field_of(lines[1], "COLATRL_OFF_REASON") == "no-pref64");
    CHECK(field_of(lines[1], "COLATRL_CLAT_IPV4") == "<none>");
    lines = describe_changes(state({on(2, "eth0")}), {});
    REQUIRE(lines.size() == 1);
    CHECK(field_of(lines[0], "COLATRL_OFF_REASON") == "link-gone");
    CHECK(field_of(lines[0], "MESSAGE_ID") == msgid::clat_off);
}

TEST_CASE("off reasons have distinct machine names", "[report]") {
    std::set<std::string_view> seen;
    for (int r = 1; r <= static_cast<int>(OffReason::invalid_config); ++r) {
        const auto id = off_reason_word(static_cast<OffReason>(r));
        CHECK(id != "unknown");
        CHECK_FALSE(id.empty());
        CHECK(id.find(' ') == std::string_view::npos);
        CHECK(seen.insert(id).second);
    }
}

TEST_CASE("MESSAGE_IDs are 128-bit lower-case hex and distinct", "[report]") {
    const std::vector<std::string_view> ids{
        msgid::clat_on, msgid::clat_off, msgid::started,      msgid::stopped,
        msgid::kept,    msgid::adopted,  msgid::config_error, msgid::leftovers_removed};
    std::set<std::string_view> seen;
    for (auto id : ids) {
        CHECK(id.size() == 32);
        CHECK(id.find_first_not_of("0123456789abcdef") == std::string_view::npos);
        CHECK(seen.insert(id).second);
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
// The bus API's pure parts: the JSON writer, link status records and their
// words, which properties change (PropertiesChanged), Since, Describe(), the
// argument checks and link object paths, and colatrlctl's output.
#include "../../tools/ctl_format.hpp"
#include "base/json.hpp"
#include "status/bus_args.hpp"
#include "status/link_status.hpp"

#include <catch2/catch.hpp>

using namespace colatrl;

namespace {

LinkPlan on(int ifindex, const char* name) {
    LinkPlan p;
    p.ifindex = ifindex;
    p.name = name;
    p.pref64 = *Ipv6Prefix::parse("2001:db8:6461::/96");
    p.pref64_source = Pref64Source::ra;
    p.gateway = *Ipv6Addr::parse("fe80::1");
    p.clat4 = *Ipv4Addr::parse("192.0.0.2");
    p.clat6 = *Ipv6Addr::parse("2001:db8:1::c1");
    p.route4_mtu = 1472;
    p.counter_slot = 3;
    return p;
}

// What the applier installs for on(): the same values.
std::optional<InstalledClat> installed(const LinkPlan& p) {
    return InstalledClat{p.clat4, p.clat6, *p.pref64, p.gateway, p.route4_mtu, p.counter_slot};
}

std::vector<colatrl_counter> block() {
    std::vector<colatrl_counter> b(COLATRL_CNT__COUNT);
    b[COLATRL_CNT_EG_XLAT] = {10, 1000};
    b[COLATRL_CNT_IN_XLAT] = {9, 900};
    b[COLATRL_CNT_IN_DROP_ICMP_FRAGMENTED] = {2, 3000};
    return b;
}

} // namespace

TEST_CASE("JSON writer: nesting, commas, escapes, invalid UTF-8", "[status]") {
    JsonWriter j;
    j.begin_object().key("a").value(1).key("b").begin_array().value("x").value(true).null();
    j.end_array().key("c").begin_object().end_object().end_object();
    CHECK(j.str() == R"({"a":1,"b":["x",true,null],"c":{}})");
    CHECK(json_quote("q\"\\\n\t\x01") == R"("q\"\\\n\t\u0001")");
    CHECK(json_quote("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
    CHECK(json_quote("bad\xff\xc3") == "\"bad\xef\xbf\xbd\xef\xbf\xbd\"");
    CHECK(json_quote("\xed\xa0\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); // surrogate
    JsonWriter n;
    n.begin_array().value(uint64_t{18446744073709551615u}).value(int64_t{-5}).end_array();
    CHECK(n.str() == "[18446744073709551615,-5]");
}

TEST_CASE("off reason words are lowercase and hyphenated", "[status]") {
    CHECK(off_reason_word(OffReason::none).empty());
    CHECK(off_reason_word(OffReason::native_ipv4) == "native-ipv4");
    CHECK(off_reason_word(OffReason::no_pref64) == "no-pref64");
    CHECK(off_reason_word(OffReason::link_down) == "link-down");
    CHECK(off_reason_word(OffReason::no_counter_slot) == "too-many-uplinks");
    CHECK(off_reason_word(OffReason::other_clat) == "other-clat");
    for (auto r : {OffReason::not_selected, OffReason::no_ipv6_route, OffReason::no_ipv6_gateway,
                   OffReason::no_ipv6_prefix, OffReason::mode_off, OffReason::no_clat_ipv4,
                   OffReason::unsupported_link, OffReason::invalid_config}) {
        const std::string w(off_reason_word(r));
        CHECK(!w.empty());
        CHECK(w.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos);
    }
    CHECK(pref64_source_word(Pref64Source::dns64) == "dns64");
    CHECK(to_word(ManagerState::degraded) == "degraded");
}

TEST_CASE("link status: active, off, pending, failed; PREF64 expiry from the model", "[status]") {
    const auto ok = [](const LinkPlan& p) {
        return installed(p);
    };
    NetworkModel model;
    const auto now = Clock::time_point(std::chrono::seconds(1000));
    const auto router = *Ipv6Addr::parse("fe80::1");
    const auto pref = *Ipv6Prefix::parse("2001:db8:6461::/96");
    model.update_ra_pref64(2, router, pref, std::chrono::seconds(600), now);

    const LinkStatus a = link_status(on(2, "wan1"), model, ok(on(2, "wan1")), false);
    CHECK(a.active);
    CHECK(a.state() == "active");
    CHECK(a.off_reason.empty());
    CHECK(a.pref64 == "2001:db8:6461::/96");
    CHECK(a.pref64_source == "ra");
    CHECK(a.pref64_expires_usec == 1600u * 1000000u);
    CHECK(a.clat4 == "192.0.0.2");
    CHECK(a.clat6 == "2001:db8:1::c1");
    CHECK(a.gateway == "fe80::1");
    CHECK(a.mtu == 1472);
    CHECK(a.counter_slot == 3u);

    LinkPlan native = on(2, "wan1");
    native.off = OffReason::native_ipv4;
    native.detail = "IPv4 default route via 10.1.1.1";
    const LinkStatus o = link_status(native, model, std::nullopt, false);
    CHECK_FALSE(o.active);
    CHECK(o.state() == "off");
    CHECK(o.off_reason == "native-ipv4");
    CHECK(o.off_detail == "IPv4 default route via 10.1.1.1");
    CHECK(o.clat4.empty());
    CHECK(o.mtu == 0);
    CHECK_FALSE(o.counter_slot);
    CHECK(o.pref64 == "2001:db8:6461::/96"); // found, even though not in use

    LinkPlan none = on(3, "wan2");
    none.off = OffReason::no_pref64;
    none.pref64.reset();
    none.pref64_source = Pref64Source::none;
    const LinkStatus n = link_status(none, model, std::nullopt, true);
    CHECK(n.off_reason == "no-pref64");
    CHECK(n.pref64.empty());
    CHECK(n.pref64_source.empty());
    CHECK(n.pref64_expires_usec == 0);

    CHECK(link_status(on(2, "wan1"), model, std::nullopt, false).off_reason == "pending");
    const LinkStatus f = link_status(on(2, "wan1"), model, std::nullopt, true);
    CHECK(f.off_reason == "install-failed");
    CHECK(manager_state(true, false, {{2, f}}) == ManagerState::degraded);
    CHECK(manager_state(true, false, {{2, a}}) == ManagerState::running);
    CHECK(manager_state(false, false, {{2, a}}) == ManagerState::starting);
    CHECK(manager_state(true, true, {{2, f}}) == ManagerState::stopping);

    LinkPlan configured = on(2, "wan1");
    configured.pref64_source = Pref64Source::config;
    CHECK(link_status(configured, model, ok(configured), false).pref64_expires_usec == 0);

    // Make-before-break: the plan has a new PREF64 and CLAT IPv6 (in DAD), the
    // old ones still run: active, with the values in use.
    LinkPlan next = on(2, "wan1");
    next.pref64 = *Ipv6Prefix::parse("2001:db8:6469::/96");
    next.clat6 = *Ipv6Addr::parse("2001:db8:1::c2");
    const LinkStatus m = link_status(next, model, ok(on(2, "wan1")), false);
    CHECK(m.active);
    CHECK(m.pref64 == "2001:db8:6461::/96");
    CHECK(m.clat6 == "2001:db8:1::c1");
    CHECK(m.pref64_expires_usec == 1600u * 1000000u);
}

TEST_CASE("status board: added, removed, changed properties, Since", "[status]") {
    NetworkModel model;
    StatusBoard board;
    const LinkStatus a = link_status(on(2, "wan1"), model, installed(on(2, "wan1")), false);
    auto d = board.update({{2, a}}, 100);
    CHECK(d.added == std::vector<int>{2});
    CHECK(d.removed.empty());
    CHECK(board.find(2)->since_usec == 100);
    CHECK(board.find("wan1") == board.find(2));
    CHECK(board.find("nope") == nullptr);

    // Same again: nothing changes, Since stays.
    d = board.update({{2, a}}, 200);
    CHECK(d.empty());
    CHECK(board.find(2)->since_usec == 100);

    // PREF64 renumbered: Pref64 changes, not State, so Since stays.
    LinkPlan p = on(2, "wan1");
    p.pref64 = *Ipv6Prefix::parse("2001:db8:6469::/96");
    d = board.update({{2, link_status(p, model, installed(p), false)}}, 300);
    REQUIRE(d.changed.count(2));
    CHECK(d.changed[2] == std::vector<std::string>{"Pref64"});
    CHECK(board.find(2)->since_usec == 100);

    // Off: State, OffReason, addresses, MTU and Since change.
    p.off = OffReason::native_ipv4;
    d = board.update({{2, link_status(p, model, std::nullopt, false)}}, 400);
    CHECK(d.changed[2] == std::vector<std::string>{"State", "OffReason", "ClatIPv4Address",
                                                   "ClatIPv6Address", "Gateway", "MTU", "Since"});
    CHECK(board.find(2)->since_usec == 400);

    d = board.update({}, 500);
    CHECK(d.removed == std::vector<int>{2});
    CHECK(board.links().empty());
}

TEST_CASE("traffic totals and Describe() JSON", "[status]") {
    const TrafficTotals t = traffic_totals(block());
    CHECK(t.packets4to6 == 10);
    CHECK(t.bytes4to6 == 1000);
    CHECK(t.packets6to4 == 9);
    CHECK(t.bytes6to4 == 900);
    CHECK(traffic_totals({}).packets4to6 == 0);

    NetworkModel model;
    LinkStatus a = link_status(on(2, "wan1"), model, installed(on(2, "wan1")), false);
    a.since_usec = 42;
    Config cfg;
    cfg.interfaces = {"wan1"};
    const std::string j = describe_json({"1.2.3", ManagerState::running, "/etc/c.conf"}, cfg,
                                        {{2, a}}, {{2, block()}});
    CHECK(
        j.find(
            R"({"Version":"1.2.3","State":"running","ConfigFile":"/etc/c.conf","Config":{"interfaces":["wan1"],"pref64":"",)") ==
        0);
    CHECK(j.find(R"("mode":"auto")") != std::string::npos);
    CHECK(j.find(R"("InterfaceName":"wan1","InterfaceIndex":2,"State":"active","OffReason":"")") !=
          std::string::npos);
    CHECK(
        j.find(R"("Since":42,"Packets4to6":10,"Packets6to4":9,"Bytes4to6":1000,"Bytes6to4":900)") !=
        std::string::npos);
    CHECK(j.find(R"("ingress_drop_icmp_fragmented":{"packets":2,"bytes":3000})") !=
          std::string::npos);
    CHECK(j.find(R"("egress_drop_igmp":{"packets":0,"bytes":0})") != std::string::npos);
    // A link without counters: empty statistics.
    const std::string k = describe_json({"1", ManagerState::starting, ""}, cfg, {{2, a}}, {});
    CHECK(k.find(R"("Statistics":{})") != std::string::npos);
}

TEST_CASE("bus arguments and link object paths", "[status]") {
    CHECK(check_ifindex_arg(1));
    CHECK_FALSE(check_ifindex_arg(0));
    CHECK_FALSE(check_ifindex_arg(-3));
    CHECK(check_ifname_arg("wan1"));
    CHECK_FALSE(check_ifname_arg(""));
    CHECK_FALSE(check_ifname_arg("a/b"));
    CHECK_FALSE(check_ifname_arg("0123456789abcdef"));
    CHECK_FALSE(check_ifname_arg(std::string_view("wa\0n1", 5)));

    // As sd_bus_path_encode writes them (networkd's link paths look the same).
    CHECK(link_object_path(2) == "/org/colatrl/link/_32");
    CHECK(link_object_path(10) == "/org/colatrl/link/_310");
    CHECK(link_object_path(2147483647) == "/org/colatrl/link/_32147483647");
    CHECK(link_path_ifindex("/org/colatrl/link/_32") == 2);
    CHECK(link_path_ifindex("/org/colatrl/link/_310") == 10);
    CHECK_FALSE(link_path_ifindex("/org/colatrl/link/_30"));          // 0
    CHECK_FALSE(link_path_ifindex("/org/colatrl/link/_3002"));        // leading zero
    CHECK_FALSE(link_path_ifindex("/org/colatrl/link/2"));            // unescaped first digit
    CHECK_FALSE(link_path_ifindex("/org/colatrl/link/_3"));           // short escape
    CHECK_FALSE(link_path_ifindex("/org/colatrl/link/_2d1"));         // "-1"
    CHECK_FALSE(link_path_ifindex("/org/colatrl/link/_32147483648")); // > INT_MAX
    CHECK_FALSE(link_path_ifindex("/org/colatrl/link"));
    CHECK_FALSE(link_path_ifindex("/org/colatrl/link/"));
    CHECK_FALSE(link_path_ifindex("/org/colatrl/linkx/_32"));
    CHECK_FALSE(link_path_ifindex("/org/colatrl/link/_32/x"));
}

TEST_CASE("colatrlctl output: status, list, statistics, metrics, JSON", "[status]") {
    using namespace colatrl::ctl;
    NetworkModel model;
    LinkView v;
    v.status = link_status(on(2, "wan1"), model, installed(on(2, "wan1")), false);
    v.status.since_usec = 1000000ull * 1700000000ull;
    v.status.pref64_expires_usec = 700u * 1000000u;
    v.packets4to6 = 10;
    v.bytes4to6 = 1000;
    v.packets6to4 = 9;
    v.bytes6to4 = 2048;
    v.counters = {{"egress_translated", {10, 1000}},
                  {"egress_drop_igmp", {0, 0}},
                  {"ingress_drop_icmp_fragmented", {2, 3000}}};
    const Clocks now{1000000ull * 1700000065ull, 100u * 1000000u};
    const std::string s = format_status(v, now, false);
    CHECK(s.find("\u25cf 2: wan1\n") == 0);
    CHECK(s.find("           State: active since Tue 2023-11-14 22:13:20 UTC; 1min 5s ago\n") !=
          std::string::npos);
    CHECK(s.find("          PREF64: 2001:db8:6461::/96 from ra (expires in 10min)\n") !=
          std::string::npos);
    CHECK(s.find("       CLAT IPv4: 192.0.0.2\n") != std::string::npos);
    CHECK(s.find("         Gateway: fe80::1\n") != std::string::npos);
    CHECK(s.find("             MTU: 1472\n") != std::string::npos);
    CHECK(s.find("    IPv4 -> IPv6: 10 packets, 1000 B\n") != std::string::npos);
    CHECK(s.find("    IPv6 -> IPv4: 9 packets, 2.0 KiB\n") != std::string::npos);
    CHECK(s.find("           Drops: ingress_drop_icmp_fragmented 2\n") != std::string::npos);
    CHECK(s.find("\x1b[") == std::string::npos);
    CHECK(format_status(v, now, true).find("\x1b[0;32m") != std::string::npos);

    LinkView off = v;
    off.status.active = false;
    off.status.off_reason = "native-ipv4";
    off.status.off_detail = "IPv4 default route via 10.1.1.1";
    const std::string o = format_status(off, now, false);
    CHECK(o.find("State: off (native-ipv4) since") != std::string::npos);
    CHECK(o.find("          Detail: IPv4 default route via 10.1.1.1\n") != std::string::npos);
    CHECK(o.find("CLAT IPv4") == std::string::npos);

    const std::string l = format_list({v, off});
    CHECK(l.find("    2 wan1            active") != std::string::npos);
    CHECK(l.find("off    native-ipv4") != std::string::npos);
    CHECK(l.find("2 links listed.") != std::string::npos);

    const std::string st = format_statistics(v, false);
    CHECK(st.find("egress_translated") != std::string::npos);
    CHECK(st.find("egress_drop_igmp") == std::string::npos);
    CHECK(format_statistics(v, true).find("egress_drop_igmp") != std::string::npos);
    LinkView bare;
    bare.status.name = "eth9";
    CHECK(format_statistics(bare, false) == "eth9:\n  (no datapath)\n");

    const std::string m = format_metrics({v});
    CHECK(m.find("# TYPE colatrl_packets_total counter\n") != std::string::npos);
    CHECK(m.find("colatrl_packets_total{interface=\"wan1\",counter=\"egress_translated\"} 10\n") !=
          std::string::npos);
    CHECK(m.find("colatrl_bytes_total{interface=\"wan1\",counter=\"ingress_drop_icmp_fragmented\"} "
                 "3000\n") != std::string::npos);
    CHECK(m.find("colatrl_link_active{interface=\"wan1\"} 1\n") != std::string::npos);

    const std::string js = json_links({v}, true);
    CHECK(js.find(R"([{"InterfaceName":"wan1","InterfaceIndex":2,"State":"active")") == 0);
    CHECK(js.find(R"("Statistics":{"egress_translated":{"packets":10,"bytes":1000})") !=
          std::string::npos);
    CHECK(json_links({v}, false).find("Statistics") == std::string::npos);

    CHECK(format_span(0) == "0s");
    CHECK(format_span(3723u * 1000000u) == "1h 2min 3s");
    CHECK(format_span(90000u * 1000000ull) == "1d 1h");
    CHECK(format_bytes(1536) == "1.5 KiB");
}

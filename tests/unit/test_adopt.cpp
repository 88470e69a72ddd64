// SPDX-License-Identifier: GPL-2.0-or-later
// What a crashed run left -> what the applier takes over, what goes.
#include "apply/adopt.hpp"
#include "clat/markers.hpp"
#include "datapath/datapath_config.hpp"
#include "literals.hpp"

#include <catch2/catch.hpp>

using namespace colatrl;

namespace {

using test::A4;
using test::A6;

std::map<int, Link> links() {
    return {{2, Link{2, "eth0", 0, true, 1500, 1}}, {3, Link{3, "wlan0", 0, true, 1500, 1}}};
}

// The route KernelOps::replace_clat_route4 installs.
Route our_route(int ifindex, const char* src) {
    Route r;
    r.ifindex = ifindex;
    r.dst = *Ipv4Prefix::parse("0.0.0.0/0");
    r.gateway = A6("fe80::1");
    r.prefsrc = A4(src);
    r.protocol = kRouteProtocol;
    r.table = kMainTable;
    r.metric = clat_route4_metric(1024, 0);
    r.mtu = 1472;
    return r;
}

} // namespace

TEST_CASE("a crashed run's CLAT is adopted whole, without a new DAD", "[adopt]") {
    Leftovers left;
    left.routes = {our_route(2, "192.0.0.2")};
    left.addrs = {Addr{2, A4("192.0.0.2"), 32}};
    auto cfg = make_datapath_config(A4("192.0.0.2"), A6("2001:db8:1::c1"), test::P("64:ff9b::/96"),
                                    1500, false, 5);
    REQUIRE(cfg);
    left.datapath[2] = LeftoverDatapath{*cfg};
    const auto plan = plan_adoption(left, links());
    REQUIRE(plan.adopt.size() == 1);
    const InstalledLink& l = plan.adopt.at(2);
    CHECK(l.name == "eth0");
    REQUIRE(l.route4);
    CHECK(*l.route4 ==
          Route4Spec{2, "eth0", A6("fe80::1"), A4("192.0.0.2"), 1472, clat_route4_metric(1024, 0)});
    CHECK(l.addrs4 == std::vector<Ipv4Addr>{A4("192.0.0.2")});
    CHECK(l.stale_filters);
    CHECK(l.adopted_clat6 == A6("2001:db8:1::c1"));
    CHECK(plan.clat4.at(2) == A4("192.0.0.2"));
    CHECK(plan.counter_slots.at(2) == 5);
    CHECK(plan.remove.empty());
    REQUIRE(plan.log.size() == 1);
    CHECK(plan.log[0].level == log::notice);
    CHECK(plan.log[0].ifname == "eth0");
    CHECK(plan.log[0].message == "adopting what an earlier run left: route address tc filters");
}

TEST_CASE("in maps shared with the earlier run the config stays as it is", "[adopt]") {
    Leftovers left;
    left.routes = {our_route(2, "192.0.0.2")};
    left.addrs = {Addr{2, A4("192.0.0.2"), 32}};
    auto cfg = make_datapath_config(A4("192.0.0.2"), A6("2001:db8:1::c1"), test::P("64:ff9b::/96"),
                                    1500, false, 5);
    REQUIRE(cfg);
    // Read from another run's maps: our maps are empty, the config must be written.
    left.datapath[2] = LeftoverDatapath{*cfg, false};
    CHECK_FALSE(plan_adoption(left, links()).adopt.at(2).config);
    // Read from the maps this run reuses: installed already (no rewrite, no
    // counter reset), still no DAD.
    left.datapath[2] = LeftoverDatapath{*cfg, true};
    const auto plan = plan_adoption(left, links());
    const InstalledLink& l = plan.adopt.at(2);
    REQUIRE(l.config);
    CHECK(same_config(*l.config, *cfg));
    CHECK(l.adopted_clat6 == A6("2001:db8:1::c1"));
    CHECK(plan.log.at(0).fields.at(0).name == "MESSAGE_ID");
}

TEST_CASE("leftovers that are not what we install are removed, with a reason", "[adopt]") {
    Leftovers left;
    auto other_table = our_route(2, "192.0.0.2");
    other_table.table = 100;
    auto other_metric = our_route(3, "192.0.0.3");
    other_metric.metric = 7;
    auto no_src = our_route(3, "192.0.0.3");
    no_src.prefsrc.reset();
    Route r6;
    r6.ifindex = 2;
    r6.dst = Ipv6Prefix{};
    r6.protocol = kRouteProtocol;
    left.routes = {other_table, other_metric, no_src, r6};
    const auto plan = plan_adoption(left, links());
    CHECK(plan.adopt.empty());
    REQUIRE(plan.remove.size() == 4);
    for (const auto& r : plan.remove) {
        CHECK_FALSE(r.reason.empty());
    }
    CHECK(plan.remove[3].route == r6);
    CHECK(plan.remove[3].reason == "colatrld installs no IPv6 route");
    CHECK(plan.log.empty());
}

TEST_CASE("nothing is adopted on a link the dump did not show", "[adopt]") {
    Leftovers left;
    left.routes = {our_route(9, "192.0.0.4")};
    left.addrs = {Addr{9, A4("192.0.0.4"), 32}};
    left.datapath[9] = LeftoverDatapath{};
    const auto plan = plan_adoption(left, links());
    CHECK(plan.adopt.empty());
    CHECK(plan.remove.empty());
    CHECK(plan.clat4.empty());
    // Programs without a readable config: adopted as stale filters only.
    left = Leftovers{};
    left.datapath[3] = LeftoverDatapath{};
    const auto p3 = plan_adoption(left, links());
    REQUIRE(p3.adopt.count(3) == 1);
    CHECK(p3.adopt.at(3).stale_filters);
    CHECK_FALSE(p3.adopt.at(3).adopted_clat6);
    CHECK(p3.counter_slots.empty());
}

TEST_CASE("a raw-IP link's route without next hop is adopted; a second one of ours goes",
          "[adopt]") {
    Leftovers left;
    auto dev_route = our_route(2, "192.0.0.2");
    dev_route.gateway.reset();
    auto older = our_route(2, "192.0.0.2");
    older.metric = 0xffffff00u; // the metric an earlier release used
    left.routes = {dev_route, older};
    const auto plan = plan_adoption(left, links());
    REQUIRE(plan.adopt.count(2) == 1);
    REQUIRE(plan.adopt.at(2).route4);
    CHECK_FALSE(plan.adopt.at(2).route4->gateway.has_value());
    CHECK(plan.adopt.at(2).route4->metric == clat_route4_metric(1024, 0));
    REQUIRE(plan.remove.size() == 1);
    CHECK(plan.remove[0].route.metric == 0xffffff00u);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// When Router Solicitations go out (RFC 4861 §6.3.7).
#include "nd/solicit.hpp"

#include <linux/if_addr.h>

#include <catch2/catch.hpp>

using namespace colatrl;
using namespace std::chrono_literals;

namespace {

DesiredState plans(OffReason r = OffReason::no_pref64) {
    DesiredState d;
    LinkPlan p;
    p.ifindex = 2;
    p.name = "eth0";
    p.off = r;
    d.links[2] = p;
    return d;
}

} // namespace

TEST_CASE("a link coming up solicits once its link-local address is usable", "[solicit]") {
    const auto t0 = Clock::time_point{} + 100s;
    NetworkModel m;
    RsPlanner rs;
    rs.link_changed(2, false, true);
    // Tentative link-local: wait.
    m.upsert(Addr{2, *Ipv6Addr::parse("fe80::aa"), 64, 253, IFA_F_TENTATIVE, 0, 0});
    CHECK(rs.due(plans(), m, true, t0).empty());
    m.upsert(Addr{2, *Ipv6Addr::parse("fe80::aa"), 64, 253, 0, 0, 0});
    auto due = rs.due(plans(), m, true, t0 + 1s);
    REQUIRE(due.size() == 1);
    CHECK(due[0].ifindex == 2);
    CHECK(due[0].ifname == "eth0");
    CHECK(due[0].source == *Ipv6Addr::parse("fe80::aa"));
    CHECK(rs.due(plans(), m, true, t0 + 2s).empty()); // the wish is spent
    // Down and up again within kRsInterval: no second one yet.
    rs.link_changed(2, true, false);
    rs.link_changed(2, false, true);
    CHECK(rs.due(plans(), m, true, t0 + 2s).empty());
    rs.link_changed(2, false, true);
    CHECK(rs.due(plans(), m, true, t0 + 1s + kRsInterval).size() == 1);
}

TEST_CASE("no solicitation where RAs cannot help", "[solicit]") {
    const auto t0 = Clock::time_point{} + 100s;
    NetworkModel m;
    m.upsert(Addr{2, *Ipv6Addr::parse("fe80::aa"), 64, 253, 0, 0, 0});
    for (auto r : {OffReason::not_selected, OffReason::unsupported_link, OffReason::link_down}) {
        RsPlanner rs;
        rs.link_changed(2, false, true);
        CHECK(rs.due(plans(r), m, true, t0).empty());
        CHECK(rs.due(plans(), m, true, t0).empty()); // the wish was dropped
    }
    RsPlanner rs;
    rs.link_changed(2, false, true);
    CHECK(rs.due(plans(), m, false, t0).empty()); // RA discovery off
}

// SPDX-License-Identifier: GPL-2.0-or-later
#include "model/netmodel.hpp"

#include <catch2/catch.hpp>

using namespace colatrl;
using namespace std::chrono_literals;

namespace {

Ipv6Addr v6(const char* s) {
    return *Ipv6Addr::parse(s);
}
Ipv4Addr v4(const char* s) {
    return *Ipv4Addr::parse(s);
}
Ipv6Prefix p6(const char* s) {
    return *Ipv6Prefix::parse(s);
}

} // namespace

TEST_CASE("upserts report change only when something changed", "[netmodel]") {
    NetworkModel m;
    Link l{2, "eth0", 0, true, 1500, 1};
    CHECK(m.upsert(l));
    CHECK_FALSE(m.upsert(l));
    l.mtu = 1400;
    CHECK(m.upsert(l));
    CHECK(m.links.at(2).mtu == 1400);

    Addr a{2, v6("2001:db8:1::10"), 64, 0, 0, 3600, 7200};
    CHECK(m.upsert(a));
    CHECK_FALSE(m.upsert(a));
    a.preferred_lft = 0; // deprecation updates in place
    CHECK(m.upsert(a));
    REQUIRE(m.addrs.size() == 1);
    CHECK(m.addrs[0].preferred_lft == 0);
    Addr other = a;
    other.prefixlen = 128; // different identity
    CHECK(m.upsert(other));
    CHECK(m.addrs.size() == 2);
    CHECK(m.erase(a));
    CHECK_FALSE(m.erase(a));
    CHECK(m.addrs.size() == 1);
    // The same bytes in the other family are another address.
    Addr a4{2, v4("192.0.0.2"), 32};
    CHECK(m.upsert(a4));
    CHECK(m.addrs.size() == 2);
    CHECK(m.addrs.back().family() == Family::v4);
}

TEST_CASE("route identity: IPv6 gateways are separate entries, an IPv4 gateway is replaced",
          "[netmodel]") {
    NetworkModel m;
    Route r1{2, p6("::/0"), v6("fe80::1"), {}, 9, 254, 1024, 0};
    Route r2 = r1;
    r2.gateway = v6("fe80::2");
    CHECK(m.upsert(r1));
    CHECK(m.upsert(r2));
    CHECK(m.routes.size() == 2);
    r1.mtu = 1280;
    CHECK(m.upsert(r1));
    CHECK(m.routes.size() == 2);
    CHECK(m.erase(r2));
    REQUIRE(m.routes.size() == 1);
    CHECK(m.routes[0].mtu == 1280);

    Route d{2, *Ipv4Prefix::parse("0.0.0.0/0"), v4("192.0.2.1"), {}, 4, 254, 100, 0};
    CHECK(m.upsert(d));
    CHECK_FALSE(m.upsert(d));
    // `ip route replace` changes the next hop in place without a removal.
    Route moved = d;
    moved.gateway = v4("192.0.2.9");
    CHECK(m.upsert(moved));
    CHECK(m.routes.size() == 2);
    CHECK(same_entry(d, moved));
    CHECK_FALSE(same_entry(r1, r2));
    CHECK(m.erase(d));
    CHECK(m.routes.size() == 1);
    CHECK(m.routes[0].family() == Family::v6);
}

TEST_CASE("erasing a link drops everything on it and nothing else", "[netmodel]") {
    NetworkModel m;
    auto now = Clock::now();
    m.upsert(Link{2, "eth0", 0, true, 1500, 1});
    m.upsert(Link{3, "wlan0", 0, true, 1500, 1});
    m.upsert(Addr{2, v6("2001:db8:1::10"), 64, 0, 0, 1, 1});
    m.upsert(Addr{3, v6("2001:db8:2::10"), 64, 0, 0, 1, 1});
    m.upsert(Addr{2, v4("192.0.0.2"), 32});
    m.upsert(Route{2, p6("::/0"), v6("fe80::1"), {}, 9, 254, 1024, 0});
    m.update_ra_pref64(2, v6("fe80::1"), p6("64:ff9b::/96"), 600s, now);
    m.update_ra_pref64(3, v6("fe80::1"), p6("64:ff9b::/96"), 600s, now);
    CHECK(m.erase_link(2));
    CHECK(m.links.count(2) == 0);
    CHECK(m.links.count(3) == 1);
    REQUIRE(m.addrs.size() == 1);
    CHECK(m.addrs[0].ifindex == 3);
    CHECK(m.routes.empty());
    REQUIRE(m.ra_pref64.size() == 1);
    CHECK(m.ra_pref64[0].ifindex == 3);
    CHECK_FALSE(m.erase_link(2));
}

TEST_CASE("events: applied like upserts/erases; synced only between a complete dump and the "
          "next start",
          "[netmodel]") {
    NetworkModel m;
    CHECK_FALSE(m.synced);
    const Link eth0{2, "eth0", 0, true, 1500, 1};
    const Addr a{2, v6("2001:db8:1::10"), 64};
    const Route r{2, p6("::/0"), v6("fe80::1"), {}, 9, 254, 1024, 0};
    CHECK_FALSE(m.apply(DumpStarted{}));
    CHECK(m.apply(Change<Link>{eth0}));
    CHECK(m.apply(Change<Addr>{a}));
    CHECK(m.apply(Change<Route>{r}));
    CHECK_FALSE(m.apply(Change<Route>{r}));
    CHECK_FALSE(m.synced);
    CHECK(m.apply(DumpComplete{}));
    CHECK(m.synced);
    CHECK_FALSE(m.apply(DumpComplete{}));
    CHECK(m.apply(Change<Addr>{a, true}));
    CHECK(m.addrs.empty());
    m.update_ra_pref64(2, v6("fe80::1"), p6("64:ff9b::/96"), 600s, Clock::now());
    m.dns64 = Dns64Pref64{p6("64:ff9b::/96"), Clock::now() + 60s};

    // Messages lost: the kernel's state is forgotten and the model says it
    // is incomplete; what no dump can restore stays.
    CHECK(m.apply(DumpStarted{}));
    CHECK_FALSE(m.synced);
    CHECK(m.links.empty());
    CHECK(m.routes.empty());
    CHECK(m.ra_pref64.size() == 1);
    CHECK(m.dns64.has_value());
    CHECK(m.apply(Change<Link>{eth0}));
    CHECK_FALSE(m.synced); // part of a dump is not a picture
    CHECK(m.apply(DumpComplete{}));
    CHECK(m.synced);
    CHECK(m.apply(Change<Link>{Link{2}, true}));
    CHECK(m.links.empty());
    CHECK(m.ra_pref64.empty()); // erase_link drops the link's RA PREF64s
}

TEST_CASE("RA PREF64: lifetime refresh, withdrawal with 0, expiry", "[netmodel]") {
    NetworkModel m;
    auto t0 = Clock::time_point{} + 1000s;
    auto r = v6("fe80::1");
    auto p = p6("2001:db8:6464::/96");
    CHECK(m.update_ra_pref64(2, r, p, 600s, t0));
    REQUIRE(m.next_expiry());
    CHECK(*m.next_expiry() == t0 + 600s);
    CHECK(m.ra_pref64[0].first_seen == t0);
    CHECK(m.update_ra_pref64(2, r, p, 600s, t0 + 100s)); // refresh moves expiry
    CHECK(m.ra_pref64[0].first_seen == t0);              // ...but not first_seen
    CHECK(*m.next_expiry() == t0 + 700s);
    CHECK_FALSE(m.update_ra_pref64(2, r, p, 600s, t0 + 100s));
    // second prefix in the same RA as a refresh of the first: both kept
    CHECK(m.update_ra_pref64(2, r, p6("64:ff9b::/96"), 60s, t0 + 100s));
    CHECK(m.ra_pref64.size() == 2);
    CHECK(*m.next_expiry() == t0 + 160s);
    CHECK_FALSE(m.expire(t0 + 159s));
    CHECK(m.expire(t0 + 160s)); // expiry is inclusive
    CHECK(m.ra_pref64.size() == 1);
    // withdrawal
    CHECK(m.update_ra_pref64(2, r, p, 0s, t0 + 200s));
    CHECK(m.ra_pref64.empty());
    CHECK_FALSE(m.update_ra_pref64(2, r, p, 0s, t0 + 200s));
    CHECK_FALSE(m.next_expiry());
}

TEST_CASE("a new prefix from a router supersedes what it no longer announces", "[netmodel]") {
    NetworkModel m;
    auto t0 = Clock::time_point{} + 1000s;
    auto r = v6("fe80::1");
    m.update_ra_pref64(2, r, p6("2001:db8:1::/96"), 600s, t0);
    m.update_ra_pref64(3, r, p6("2001:db8:1::/96"), 600s, t0);             // other link
    m.update_ra_pref64(2, v6("fe80::2"), p6("2001:db8:2::/96"), 600s, t0); // other router
    m.update_ra_pref64(2, r, p6("2001:db8:1::/96"), 600s, t0 + 10s);       // refresh
    // Next RA: only a new prefix.
    CHECK(m.update_ra_pref64(2, r, p6("2001:db8:3::/96"), 16s, t0 + 20s));
    REQUIRE(m.ra_pref64.size() == 3);
    for (const auto& p : m.ra_pref64) {
        CHECK((p.prefix != p6("2001:db8:1::/96") || p.ifindex == 3));
    }
    CHECK(m.ra_pref64.back().last_seen == t0 + 20s);
}

TEST_CASE("DNS64 result expires with its TTL", "[netmodel]") {
    NetworkModel m;
    auto t0 = Clock::time_point{} + 50s;
    m.dns64 = Dns64Pref64{p6("64:ff9b::/96"), t0 + 30s};
    m.update_ra_pref64(2, v6("fe80::1"), p6("2001:db8::/96"), 600s, t0);
    CHECK(*m.next_expiry() == t0 + 30s);
    CHECK_FALSE(m.expire(t0 + 29s));
    CHECK(m.dns64);
    CHECK(m.expire(t0 + 30s));
    CHECK_FALSE(m.dns64);
    CHECK(*m.next_expiry() == t0 + 600s);
}

TEST_CASE("the prefixes of one RA are one set, whatever the order of its options", "[netmodel]") {
    auto t0 = Clock::time_point{} + 1000s;
    auto r = v6("fe80::1");
    const auto old_p = p6("2001:db8:1::/96");
    const auto new_p = p6("2001:db8:2::/96");
    auto first_seen = [](const NetworkModel& m, const Ipv6Prefix& p) {
        for (const auto& e : m.ra_pref64) {
            if (e.prefix == p) {
                return e.first_seen;
            }
        }
        FAIL("prefix " << p.str() << " missing");
        return Clock::time_point{};
    };
    for (bool new_first : {true, false}) {
        CAPTURE(new_first);
        NetworkModel m;
        m.update_ra_pref64(2, r, old_p, 600s, t0); // earlier RA: OLD only
        // Next RA carries both; its options arrive 1 ms apart.
        const auto t1 = t0 + 60s;
        const auto t2 = t1 + 1ms;
        if (new_first) {
            CHECK(m.update_ra_pref64(2, r, new_p, 600s, t1));
            CHECK(m.update_ra_pref64(2, r, old_p, 600s, t2));
        } else {
            CHECK(m.update_ra_pref64(2, r, old_p, 600s, t1));
            CHECK(m.update_ra_pref64(2, r, new_p, 600s, t2));
        }
        REQUIRE(m.ra_pref64.size() == 2);
        // OLD keeps the time it was first announced; NEW is the newest.
        CHECK(first_seen(m, old_p) == t0);
        CHECK(first_seen(m, new_p) > t0);
    }
}

TEST_CASE("a superseded prefix announced again by a later RA is new again", "[netmodel]") {
    NetworkModel m;
    auto t0 = Clock::time_point{} + 1000s;
    auto r = v6("fe80::1");
    m.update_ra_pref64(2, r, p6("2001:db8:1::/96"), 600s, t0);
    m.update_ra_pref64(2, r, p6("2001:db8:2::/96"), 600s, t0 + 60s); // supersedes /1
    REQUIRE(m.ra_pref64.size() == 1);
    // Seconds later (another RA), the old one is announced again: new now.
    CHECK(m.update_ra_pref64(2, r, p6("2001:db8:1::/96"), 600s, t0 + 70s));
    REQUIRE(m.ra_pref64.size() == 1);
    CHECK(m.ra_pref64[0].prefix == p6("2001:db8:1::/96"));
    CHECK(m.ra_pref64[0].first_seen == t0 + 70s);
    // ...and it supersedes the one that had replaced it.
    REQUIRE(m.ra_superseded.size() == 1);
    CHECK(m.ra_superseded[0].prefix == p6("2001:db8:2::/96"));
}

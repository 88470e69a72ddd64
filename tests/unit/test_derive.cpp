// SPDX-License-Identifier: GPL-2.0-or-later
// Scripted network states through the pure derivation.
#include "model/derive.hpp"

#include "clat/markers.hpp"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>

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

const Clock::time_point t0 = Clock::time_point{} + 10000s;

// One IPv6-only uplink: link, SLAAC /64, default route from an RA, RA PREF64.
void add_uplink(NetworkModel& m, int ifindex, const char* name, const char* addr,
                const char* router = "fe80::1", const char* pref64 = "2001:db8:6464::/96") {
    m.upsert(Link{ifindex, name, 0x1043, true, 1500, ARPHRD_ETHER});
    m.upsert(Addr{ifindex, v6(addr), 64, 0, IFA_F_MANAGETEMPADDR, 3600, 7200});
    m.upsert(Addr{ifindex, v6("fe80::aa"), 64, 253, IFA_F_PERMANENT, 0xffffffff, 0xffffffff});
    m.upsert(Route{ifindex, p6("::/0"), v6(router), {}, 9, 254, 1024, 0});
    if (pref64) {
        m.update_ra_pref64(ifindex, v6(router), p6(pref64), 1800s, t0 - 10s);
    }
}

DeriveInputs inputs() {
    DeriveInputs in;
    in.secret.assign(16, 0x5a);
    return in;
}

// A copy: callers pass derive()'s temporary result, which is gone after the statement.
LinkPlan plan(const DesiredState& d, int ifindex) {
    REQUIRE(d.links.count(ifindex) == 1);
    return d.links.at(ifindex);
}

} // namespace

TEST_CASE("an IPv6-only uplink with RA PREF64 gets a complete CLAT plan", "[derive]") {
    NetworkModel m;
    m.upsert(Link{1, "lo", 0x49, true, 65536, ARPHRD_LOOPBACK});
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    auto d = derive(m, Config{}, inputs(), t0);
    CHECK(d.links.count(1) == 0); // loopback never appears
    const auto& p = plan(d, 2);
    REQUIRE(p.active());
    CHECK(p.name == "eth0");
    CHECK(p.prefix64 == p6("2001:db8:1::/64"));
    CHECK(p6("2001:db8:1::/64").contains(p.clat6));
    CHECK(p.clat6 != v6("2001:db8:1::10"));
    CHECK(p.pref64 == p6("2001:db8:6464::/96"));
    CHECK(p.pref64_source == Pref64Source::ra);
    CHECK(p.clat4 == v4("192.0.0.2"));
    CHECK(p.gateway == v6("fe80::1"));
    CHECK(p.ipv6_mtu == 1500);
    CHECK(p.route4_mtu == 1472);
    CHECK(p.counter_slot == 0);
    CHECK(p.dp.pref64_len == 96);
    CHECK(p.dp.ipv6_mtu == 1500);
    CHECK((p.dp.flags & COLATRL_F_CSUM_NEUTRAL) != 0);
    CHECK(d.active_count() == 1);
    CHECK(p.describe().find("CLAT on: 192.0.0.2") == 0);
    // Pure: same inputs, same answer.
    CHECK(derive(m, Config{}, inputs(), t0) == d);
}

TEST_CASE("PREF64 source priority: config > RA > DNS64", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    m.dns64 = Dns64Pref64{p6("64:ff9b::/96"), t0 + 300s};
    Config c;
    SECTION("RA beats DNS64") {
        const auto& p = plan(derive(m, c, inputs(), t0), 2);
        CHECK(p.pref64_source == Pref64Source::ra);
        CHECK(p.pref64 == p6("2001:db8:6464::/96"));
    }
    SECTION("config beats RA") {
        c.pref64 = p6("2001:db8:cafe::/96");
        const auto& p = plan(derive(m, c, inputs(), t0), 2);
        CHECK(p.pref64_source == Pref64Source::config);
        CHECK(p.pref64 == p6("2001:db8:cafe::/96"));
    }
    SECTION("RA discovery disabled: DNS64") {
        c.discover_ra = false;
        const auto& p = plan(derive(m, c, inputs(), t0), 2);
        CHECK(p.pref64_source == Pref64Source::dns64);
        CHECK(p.pref64 == p6("64:ff9b::/96"));
        CHECK((p.dp.flags & COLATRL_F_PREF64_WKP) != 0);
    }
    SECTION("both disabled: off, no PREF64") {
        c.discover_ra = false;
        c.discover_dns64 = false;
        const auto& p = plan(derive(m, c, inputs(), t0), 2);
        CHECK(p.off == OffReason::no_pref64);
        CHECK(p.describe() == "CLAT off: no PREF64");
    }
    SECTION("RA PREF64 on another link does not count") {
        m.update_ra_pref64(2, v6("fe80::1"), p6("2001:db8:6464::/96"), 0s, t0);
        m.update_ra_pref64(7, v6("fe80::1"), p6("2001:db8:7777::/96"), 600s, t0);
        const auto& p = plan(derive(m, c, inputs(), t0), 2);
        CHECK(p.pref64_source == Pref64Source::dns64);
    }
}

TEST_CASE("PREF64 expiry withdraws it", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10"); // RA PREF64 expires at t0 - 10s + 1800s
    const auto expiry = t0 - 10s + 1800s;
    CHECK(plan(derive(m, Config{}, inputs(), expiry - 1s), 2).active());
    // Even before the model's expire() ran, an expired entry is not used.
    auto late = plan(derive(m, Config{}, inputs(), expiry), 2);
    CHECK(late.off == OffReason::no_pref64);
    // With a DNS64 answer the CLAT falls back to it...
    m.dns64 = Dns64Pref64{p6("64:ff9b::/96"), expiry + 60s};
    CHECK(plan(derive(m, Config{}, inputs(), expiry), 2).pref64_source == Pref64Source::dns64);
    // ...until that expires too.
    CHECK(plan(derive(m, Config{}, inputs(), expiry + 60s), 2).off == OffReason::no_pref64);
}

TEST_CASE("an adopted PREF64 stands in until a source speaks or it runs out", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10", "fe80::1", nullptr); // restarted: no RA yet
    auto in = inputs();
    CHECK(plan(derive(m, Config{}, in, t0), 2).off == OffReason::no_pref64);
    in.adopted_pref64[2] = AdoptedPref64{p6("2001:db8:6464::/96"), t0 + 10s};
    const auto adopted = plan(derive(m, Config{}, in, t0), 2);
    REQUIRE(adopted.active());
    CHECK(adopted.pref64_source == Pref64Source::adopted);
    CHECK(adopted.pref64 == p6("2001:db8:6464::/96"));
    // The same PREF64 from the RA later: the same CLAT addresses (no new DAD).
    m.update_ra_pref64(2, v6("fe80::1"), p6("2001:db8:6464::/96"), 1800s, t0);
    auto with_ra = derive(m, Config{}, in, t0 + 1s);
    CHECK(plan(with_ra, 2).pref64_source == Pref64Source::ra);
    CHECK(plan(with_ra, 2).clat6 == adopted.clat6);
    CHECK(same_config(plan(with_ra, 2).dp, adopted.dp));
    remember_choices(in, with_ra);
    CHECK(in.adopted_pref64.empty());
    // Without any source it runs out.
    NetworkModel bare;
    add_uplink(bare, 2, "eth0", "2001:db8:1::10", "fe80::1", nullptr);
    in.adopted_pref64[2] = AdoptedPref64{p6("2001:db8:6464::/96"), t0 + 10s};
    CHECK(plan(derive(bare, Config{}, in, t0 + 10s), 2).off == OffReason::no_pref64);
    // A configured Pref64= is never overridden.
    Config c;
    c.pref64 = p6("2001:db8:cafe::/96");
    CHECK(plan(derive(bare, c, in, t0), 2).pref64_source == Pref64Source::config);
}

TEST_CASE("newest announced RA PREF64 wins and refreshes do not flap", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10"); // old prefix first seen at t0 - 10s
    m.update_ra_pref64(2, v6("fe80::2"), p6("2001:db8:beef::/96"), 600s, t0);
    CHECK(plan(derive(m, Config{}, inputs(), t0), 2).pref64 == p6("2001:db8:beef::/96"));
    // The old one is refreshed later: still the new one.
    m.update_ra_pref64(2, v6("fe80::1"), p6("2001:db8:6464::/96"), 1800s, t0 + 5s);
    CHECK(plan(derive(m, Config{}, inputs(), t0 + 5s), 2).pref64 == p6("2001:db8:beef::/96"));
    // The new one withdrawn (lifetime 0): back to the old one.
    m.update_ra_pref64(2, v6("fe80::2"), p6("2001:db8:beef::/96"), 0s, t0 + 6s);
    CHECK(plan(derive(m, Config{}, inputs(), t0 + 6s), 2).pref64 == p6("2001:db8:6464::/96"));
}

TEST_CASE("a router's latest RA defines its PREF64 set", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10"); // 6464 from fe80::1 at t0 - 10s, 1800 s
    // The router switches to another prefix with a short lifetime...
    m.update_ra_pref64(2, v6("fe80::1"), p6("2001:db8:6469::/96"), 16s, t0);
    CHECK(plan(derive(m, Config{}, inputs(), t0), 2).pref64 == p6("2001:db8:6469::/96"));
    // ...and then stops announcing PREF64: when it expires, the old prefix
    // (left out of the router's later RAs) does not come back.
    CHECK(plan(derive(m, Config{}, inputs(), t0 + 16s), 2).off == OffReason::no_pref64);
    // Two prefixes in every RA (options a few ms apart) are both current;
    // both new in the same RA with the same lifetime: the lower one, in
    // whichever order the options come.
    m.update_ra_pref64(2, v6("fe80::1"), p6("2001:db8:6469::/96"), 1800s, t0 + 20s);
    m.update_ra_pref64(2, v6("fe80::1"), p6("2001:db8:6464::/96"), 1800s, t0 + 20s + 2ms);
    CHECK(plan(derive(m, Config{}, inputs(), t0 + 21s), 2).pref64 == p6("2001:db8:6464::/96"));
    m.update_ra_pref64(2, v6("fe80::1"), p6("2001:db8:6464::/96"), 0s, t0 + 22s);
    CHECK(plan(derive(m, Config{}, inputs(), t0 + 22s), 2).pref64 == p6("2001:db8:6469::/96"));
    m.update_ra_pref64(2, v6("fe80::1"), p6("2001:db8:6464::/96"), 1800s, t0 + 22s + 1ms);
    // Another router's prefix is not affected by this router's RAs.
    m.update_ra_pref64(2, v6("fe80::2"), p6("2001:db8:7777::/96"), 600s, t0 - 100s);
    CHECK(plan(derive(m, Config{}, inputs(), t0 + 22s), 2).pref64 == p6("2001:db8:6464::/96"));
    m.update_ra_pref64(2, v6("fe80::1"), p6("2001:db8:6464::/96"), 0s, t0 + 23s);
    CHECK(plan(derive(m, Config{}, inputs(), t0 + 23s), 2).pref64 == p6("2001:db8:7777::/96"));
}

TEST_CASE("PREF64 change keeps the CLAT IPv6 address in use; only the map changes", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    auto in = inputs();
    auto first = derive(m, Config{}, in, t0);
    auto a = plan(first, 2);
    REQUIRE(a.active());
    CHECK(a.clat6_counter == 0u);
    CHECK((a.dp.flags & COLATRL_F_CSUM_NEUTRAL) != 0);
    remember_choices(in, first);
    REQUIRE(in.clat6.count(2) == 1);
    CHECK(in.clat6.at(2) == Clat6Choice{p6("2001:db8:1::/64"), 0, a.clat6});

    m.update_ra_pref64(2, v6("fe80::1"), p6("2001:db8:6464::/96"), 0s, t0);
    m.update_ra_pref64(2, v6("fe80::1"), p6("2001:db8:9999::/96"), 600s, t0);
    // Nothing remembered (a fresh start): the address neutral for the new PREF64.
    auto fresh = plan(derive(m, Config{}, inputs(), t0), 2);
    CHECK(fresh.clat6 != a.clat6);
    CHECK((fresh.dp.flags & COLATRL_F_CSUM_NEUTRAL) != 0);
    // While running: the same address, so no DAD; the programs now update
    // the checksums (the pair is not neutral).
    auto second = derive(m, Config{}, in, t0);
    auto b = plan(second, 2);
    REQUIRE(b.active());
    CHECK(b.pref64 == p6("2001:db8:9999::/96"));
    CHECK(b.clat6 == a.clat6);
    CHECK((b.dp.flags & COLATRL_F_CSUM_NEUTRAL) == 0);
    CHECK_FALSE(same_config(a.dp, b.dp));
    remember_choices(in, second);
    CHECK(in.clat6.at(2).addr == a.clat6);
    // Back to the first PREF64: neutral again with the very same address.
    m.update_ra_pref64(2, v6("fe80::2"), p6("2001:db8:6464::/96"), 600s, t0 + 1s);
    auto c = plan(derive(m, Config{}, in, t0 + 1s), 2);
    CHECK(c.clat6 == a.clat6);
    CHECK((c.dp.flags & COLATRL_F_CSUM_NEUTRAL) != 0);
}

TEST_CASE("the kept CLAT IPv6 address moves on a DAD conflict, a new /64 or a PREF64 around it",
          "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    auto in = inputs();
    auto first = derive(m, Config{}, in, t0);
    const auto a = plan(first, 2);
    remember_choices(in, first);
    SECTION("DAD conflict: the counter moves on, so does the address") {
        in.dad_counter[{2, p6("2001:db8:1::/64")}] = 1;
        auto b = plan(derive(m, Config{}, in, t0), 2);
        CHECK(b.clat6 != a.clat6);
        CHECK(b.clat6_counter == 1u);
    }
    SECTION("renumbering to another /64: a new address there (it needs a DAD)") {
        m.upsert(Addr{2, v6("2001:db8:7::10"), 64, 0, 0, 3600, 7200});
        m.upsert(Addr{2, v6("2001:db8:1::10"), 64, 0, IFA_F_DEPRECATED, 0, 600});
        auto b = plan(derive(m, Config{}, in, t0), 2);
        REQUIRE(b.active());
        CHECK(b.prefix64 == p6("2001:db8:7::/64"));
        CHECK(p6("2001:db8:7::/64").contains(b.clat6));
    }
    SECTION("a PREF64 that would contain it is never paired with it") {
        m.update_ra_pref64(2, v6("fe80::1"), p6("2001:db8:1::/64"), 600s, t0 + 1s);
        auto b = plan(derive(m, Config{}, in, t0 + 1s), 2);
        if (b.active()) {
            CHECK(b.clat6 != a.clat6);
        }
    }
    SECTION("IPv6Address= wins and is not remembered as derived") {
        Config c;
        c.ipv6_address = v6("2001:db8:1::64");
        auto d = derive(m, c, in, t0);
        CHECK(plan(d, 2).clat6 == v6("2001:db8:1::64"));
        CHECK_FALSE(plan(d, 2).clat6_counter.has_value());
        remember_choices(in, d);
        CHECK(in.clat6.count(2) == 0);
        CHECK(plan(derive(m, Config{}, in, t0), 2).clat6 == a.clat6); // derived again
    }
    SECTION("the CLAT going off forgets it") {
        Config c;
        c.mode = ClatMode::off;
        auto off = derive(m, c, in, t0);
        remember_choices(in, off);
        CHECK(in.clat6.empty());
    }
}

TEST_CASE("renumbering: the /64 in use stays while usable, then the new one", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:2::10");
    auto in = inputs();
    auto a = plan(derive(m, Config{}, in, t0), 2);
    REQUIRE(a.prefix64 == p6("2001:db8:2::/64"));
    in.prefix64[2] = *a.prefix64;
    // A second (lower) prefix appears: no churn.
    m.upsert(Addr{2, v6("2001:db8:1::10"), 64, 0, 0, 3600, 7200});
    auto b = plan(derive(m, Config{}, in, t0), 2);
    CHECK(b.prefix64 == p6("2001:db8:2::/64"));
    CHECK(b.clat6 == a.clat6);
    // The old one is deprecated: move.
    m.upsert(Addr{2, v6("2001:db8:2::10"), 64, 0, IFA_F_DEPRECATED, 0, 600});
    auto c = plan(derive(m, Config{}, in, t0), 2);
    REQUIRE(c.active());
    CHECK(c.prefix64 == p6("2001:db8:1::/64"));
    CHECK(p6("2001:db8:1::/64").contains(c.clat6));
    // Make-before-break: the new /64's address still tentative, the old one
    // deprecated: the old one keeps carrying the CLAT.
    m.upsert(Addr{2, v6("2001:db8:1::10"), 64, 0, IFA_F_TENTATIVE, 3600, 7200});
    auto d = plan(derive(m, Config{}, in, t0), 2);
    REQUIRE(d.active());
    CHECK(d.prefix64 == p6("2001:db8:2::/64"));
    CHECK(d.clat6 == a.clat6);
    // Old one gone too: nothing usable.
    m.erase(Addr{2, v6("2001:db8:2::10"), 64, 0, 0, 0, 0});
    CHECK(plan(derive(m, Config{}, in, t0), 2).off == OffReason::no_ipv6_prefix);
}

TEST_CASE("global unicast /64 is preferred over a ULA", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "fd00:1::10");
    m.upsert(Addr{2, v6("2001:db8:5::10"), 64, 0, 0, 3600, 7200});
    CHECK(plan(derive(m, Config{}, inputs(), t0), 2).prefix64 == p6("2001:db8:5::/64"));
}

TEST_CASE("native IPv4 keeps Mode=auto off; force and off modes", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    Config c;
    Route ours{2,
               *Ipv4Prefix::parse("0.0.0.0/0"),
               v6("fe80::1"),
               v4("192.0.0.2"),
               kRouteProtocol,
               254,
               0xffffff00u,
               1472};
    m.upsert(ours);
    CHECK(plan(derive(m, c, inputs(), t0), 2).active()); // our own route is not native
    Route native{2, *Ipv4Prefix::parse("0.0.0.0/0"), v4("198.51.100.1"), {}, 16, 254, 100, 0};
    m.upsert(native);
    auto p = plan(derive(m, c, inputs(), t0), 2);
    CHECK(p.off == OffReason::native_ipv4);
    CHECK(p.describe() == "CLAT off: native IPv4 present");
    c.mode = ClatMode::force;
    CHECK(plan(derive(m, c, inputs(), t0), 2).active());
    c.mode = ClatMode::off;
    CHECK(plan(derive(m, c, inputs(), t0), 2).off == OffReason::mode_off);
    // A native default route in another table (policy routing) does not count.
    c.mode = ClatMode::automatic;
    m.erase(native);
    native.table = 100;
    m.upsert(native);
    CHECK(plan(derive(m, c, inputs(), t0), 2).active());
}

TEST_CASE("the IPv6-only flag: set unless the uplink carries IPv4 besides the CLAT's", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    add_uplink(m, 3, "wlan0", "2001:db8:2::10");
    Config c;
    auto ipv6_only = [&](int ifindex) {
        const auto p = plan(derive(m, c, inputs(), t0), ifindex);
        REQUIRE(p.active());
        return (p.dp.flags & COLATRL_F_IPV6_ONLY) != 0;
    };
    CHECK(ipv6_only(2));
    // Our own /32 and route (and 192.0.0.0/29 at all) are the CLAT's IPv4.
    m.upsert(Addr{2, v4("192.0.0.2"), 32, 0, IFA_F_PERMANENT, Addr::kForever, Addr::kForever,
                  clat_addr_label("eth0"), 0});
    m.upsert(Route{2, *Ipv4Prefix::parse("0.0.0.0/0"), v6("fe80::1"), v4("192.0.0.2"),
                   kRouteProtocol, 254, 0xffffff00u, 1472});
    CHECK(ipv6_only(2));
    // Routes without an address or a native default do not make the link carry IPv4.
    m.upsert(Route{2, *Ipv4Prefix::parse("169.254.0.0/16"), {}, {}, 3, 254, 1000, 0});
    CHECK(ipv6_only(2));

    SECTION("an IPv4 address on the link, also without a default route or link-local") {
        for (const char* a : {"10.1.1.2", "169.254.7.7", "198.51.100.9"}) {
            INFO(a);
            const Addr addr{2, v4(a), 24, 0, 0};
            m.upsert(addr);
            CHECK_FALSE(ipv6_only(2)); // Mode=auto: on (no default route), flag clear
            CHECK(ipv6_only(3));       // another link's IPv4 does not count
            m.erase(addr);
            CHECK(ipv6_only(2));
        }
    }
    SECTION("Mode=force beside a native IPv4 default route") {
        c.mode = ClatMode::force;
        CHECK(ipv6_only(2));
        Route native{2, *Ipv4Prefix::parse("0.0.0.0/0"), v4("10.1.1.1"), {}, 16, 254, 100, 0};
        m.upsert(native);
        CHECK_FALSE(ipv6_only(2));
        CHECK(ipv6_only(3));
        // A native default route in another table: not native IPv4 (as for Mode=auto).
        m.erase(native);
        native.table = 100;
        m.upsert(native);
        CHECK(ipv6_only(2));
    }
}

TEST_CASE("another CLAT on the link keeps us off in every Mode; ours and elsewhere do not",
          "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    add_uplink(m, 3, "wlan0", "2001:db8:2::10");
    Config c;
    c.mode = ClatMode::force;
    // NetworkManager-style: IPv4 default via inet6, another protocol and metric.
    Route theirs{2,   *Ipv4Prefix::parse("0.0.0.0/0"), v6("fe80::1"), v4("192.0.0.5"), 4, 254, 100,
                 1472};
    m.upsert(theirs);
    auto d = derive(m, c, inputs(), t0);
    auto p = plan(d, 2);
    CHECK(p.off == OffReason::other_clat);
    CHECK(p.detail == "IPv4 default route via inet6 fe80::1 (protocol 4, table 254) is not ours");
    CHECK(p.describe() == "CLAT off: another CLAT is active (IPv4 default route via inet6 "
                          "fe80::1 (protocol 4, table 254) is not ours)");
    CHECK(plan(d, 3).active()); // the other uplink is not affected
    // Such a route is not native IPv4: Mode=auto reports the other CLAT too.
    c.mode = ClatMode::automatic;
    CHECK(plan(derive(m, c, inputs(), t0), 2).off == OffReason::other_clat);
    m.erase(theirs);
    REQUIRE(plan(derive(m, c, inputs(), t0), 2).active());

    // A 192.0.0.0/29 address without our label or protocol (clatd's, a manual one).
    Addr a{2, v4("192.0.0.4"), 32, 0, IFA_F_PERMANENT, Addr::kForever, Addr::kForever, "eth0", 0};
    m.upsert(a);
    p = plan(derive(m, c, inputs(), t0), 2);
    CHECK(p.off == OffReason::other_clat);
    CHECK(p.detail == "address 192.0.0.4 from 192.0.0.0/29 is not ours");
    // Ours, by label (kernels without IFA_PROTO) or by protocol: not another CLAT.
    m.erase(a);
    a.label = clat_addr_label("eth0");
    m.upsert(a);
    CHECK(plan(derive(m, c, inputs(), t0), 2).active());
    m.erase(a);
    a.label = "eth0";
    a.proto = static_cast<uint8_t>(kRouteProtocol);
    m.upsert(a);
    CHECK(plan(derive(m, c, inputs(), t0), 2).active());
    // Another link's 192.0.0.0/29 address only takes that address out of our choice.
    m.erase(a);
    a.ifindex = 3;
    a.label = "wlan0";
    a.proto = 0;
    m.upsert(a);
    d = derive(m, c, inputs(), t0);
    CHECK(plan(d, 2).active());
    CHECK(plan(d, 2).clat4 != v4("192.0.0.4"));
    CHECK(plan(d, 3).off == OffReason::other_clat);
}

TEST_CASE("Interfaces= restricts uplinks to the named links", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    add_uplink(m, 3, "wlan0", "2001:db8:2::10");
    Config c;
    c.interfaces = {"wlan0", "wwan0"};
    auto d = derive(m, c, inputs(), t0);
    CHECK(plan(d, 2).off == OffReason::not_selected);
    CHECK(plan(d, 3).active());
    CHECK(plan(d, 3).clat4 == v4("192.0.0.2"));
    // A named link still needs an IPv6 default route.
    m.erase(Route{3, p6("::/0"), v6("fe80::1"), {}, 9, 254, 1024, 0});
    CHECK(plan(derive(m, c, inputs(), t0), 3).off == OffReason::no_ipv6_route);
}

TEST_CASE("several uplinks get distinct IPv4 addresses and counter slots, sticky", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    add_uplink(m, 3, "wlan0", "2001:db8:2::10", "fe80::9", "2001:db8:6465::/96");
    auto in = inputs();
    auto d = derive(m, Config{}, in, t0);
    CHECK(plan(d, 2).clat4 == v4("192.0.0.2"));
    CHECK(plan(d, 3).clat4 == v4("192.0.0.3"));
    CHECK(plan(d, 2).counter_slot == 0);
    CHECK(plan(d, 3).counter_slot == 1);
    CHECK(plan(d, 3).pref64 == p6("2001:db8:6465::/96")); // per-link PREF64
    CHECK(d.active_count() == 2);
    // wlan0 came first in an earlier run: it keeps its address and slot.
    in.clat4[3] = v4("192.0.0.2");
    in.counter_slots[3] = 0;
    auto e = derive(m, Config{}, in, t0);
    CHECK(plan(e, 3).clat4 == v4("192.0.0.2"));
    CHECK(plan(e, 3).counter_slot == 0);
    CHECK(plan(e, 2).clat4 == v4("192.0.0.3"));
    CHECK(plan(e, 2).counter_slot == 1);
}

TEST_CASE("addresses in use on the host are skipped, our own are not", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    m.upsert(Addr{5, v4("192.0.0.2"), 32, 0, 0}); // someone else (e.g. DS-Lite)
    m.upsert(Addr{2, v4("192.0.0.3"), 32, 0, 0}); // ours from the last apply
    auto in = inputs();
    in.own4[2] = {v4("192.0.0.3")};
    in.clat4[2] = v4("192.0.0.3");
    CHECK(plan(derive(m, Config{}, in, t0), 2).clat4 == v4("192.0.0.3"));
    // The same address on another link is someone else's.
    m.erase(Addr{2, v4("192.0.0.3"), 32, 0, 0});
    m.upsert(Addr{6, v4("192.0.0.3"), 32, 0, 0});
    in.own4.clear();
    in.clat4.clear();
    CHECK(plan(derive(m, Config{}, in, t0), 2).clat4 == v4("192.0.0.4"));
    // IPv4Address= that is taken: off with the reason.
    Config c;
    c.ipv4_address = v4("192.0.0.2");
    auto p = plan(derive(m, c, in, t0), 2);
    CHECK(p.off == OffReason::no_clat_ipv4);
    CHECK_FALSE(p.detail.empty());
    c.ipv4_address = v4("192.0.0.6");
    CHECK(plan(derive(m, c, in, t0), 2).clat4 == v4("192.0.0.6"));
}

TEST_CASE("gateway and MTU come from the lowest-metric IPv6 default route", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    m.upsert(Route{2, p6("::/0"), v6("fe80::2"), {}, 9, 254, 512, 1400});
    auto p = plan(derive(m, Config{}, inputs(), t0), 2);
    CHECK(p.gateway == v6("fe80::2"));
    CHECK(p.ipv6_mtu == 1400);
    CHECK(p.route4_mtu == 1372);
    // Link MTU when the route has none.
    m.erase(Route{2, p6("::/0"), v6("fe80::2"), {}, 9, 254, 512, 1400});
    m.upsert(Link{2, "eth0", 0x1043, true, 1280 + 100, ARPHRD_ETHER});
    p = plan(derive(m, Config{}, inputs(), t0), 2);
    CHECK(p.gateway == v6("fe80::1"));
    CHECK(p.route4_mtu == 1352);
    // An RA MTU option (device IPv6 MTU) lowers it.
    auto in = inputs();
    in.ipv6_mtu[2] = 1300;
    CHECK(plan(derive(m, Config{}, in, t0), 2).route4_mtu == 1272);
    // Below the IPv6 minimum: refused with the datapath's reason.
    m.upsert(Link{2, "eth0", 0x1043, true, 1000, ARPHRD_ETHER});
    p = plan(derive(m, Config{}, inputs(), t0), 2);
    CHECK(p.off == OffReason::invalid_config);
    CHECK_FALSE(p.detail.empty());
}

TEST_CASE("link down, unsupported type, DAD counter, static IPv6Address=", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    auto in = inputs();
    auto a = plan(derive(m, Config{}, in, t0), 2);
    in.dad_counter[{2, p6("2001:db8:1::/64")}] = 1;
    auto b = plan(derive(m, Config{}, in, t0), 2);
    CHECK(b.clat6 != a.clat6);
    CHECK(p6("2001:db8:1::/64").contains(b.clat6));

    Config c;
    c.ipv6_address = v6("2001:db8:1::64");
    CHECK(plan(derive(m, c, in, t0), 2).clat6 == v6("2001:db8:1::64"));

    m.upsert(Link{2, "eth0", 0x1003, false, 1500, ARPHRD_ETHER});
    CHECK(plan(derive(m, Config{}, in, t0), 2).off == OffReason::link_down);
    m.upsert(Link{2, "eth0", 0x1043, true, 1500, 32 /* infiniband */});
    CHECK(plan(derive(m, Config{}, in, t0), 2).off == OffReason::unsupported_link);
    m.upsert(Link{2, "wwan0", 0x1043, true, 1500, ARPHRD_NONE});
    CHECK(plan(derive(m, Config{}, in, t0), 2).active());
}

TEST_CASE("an uplink that disappears leaves the plan; another takes over", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    auto in = inputs();
    auto d = derive(m, Config{}, in, t0);
    in.clat4[2] = plan(d, 2).clat4;
    in.own4[2] = {plan(d, 2).clat4};
    m.erase_link(2);
    add_uplink(m, 4, "wlan0", "2001:db8:4::10");
    auto e = derive(m, Config{}, in, t0);
    CHECK(e.links.count(2) == 0);
    CHECK(plan(e, 4).active());
    CHECK(plan(e, 4).clat4 == v4("192.0.0.2"));
}

TEST_CASE("an Ethernet uplink without an IPv6 gateway stays off with its own reason", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "eth0", "2001:db8:1::10");
    m.erase(Route{2, p6("::/0"), v6("fe80::1"), {}, 9, 254, 1024, 0});
    m.upsert(Route{2, p6("::/0"), std::nullopt, {}, 9, 254, 1024, 0}); // device route only
    const auto p = plan(derive(m, Config{}, inputs(), t0), 2);
    CHECK(p.off == OffReason::no_ipv6_gateway);
    CHECK(p.describe().find("CLAT off: no IPv6 gateway (") == 0);
    // A router appears: on.
    m.upsert(Route{2, p6("::/0"), v6("fe80::1"), {}, 9, 254, 512, 0});
    CHECK(plan(derive(m, Config{}, inputs(), t0), 2).active());
}

TEST_CASE("the reported off reason comes with its own detail", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "ib0", "2001:db8:1::10");
    // Down and of a type without a datapath variant: "link down" is reported,
    // without the unsupported type's explanation.
    m.upsert(Link{2, "ib0", 0x1003, false, 1500, 32 /* infiniband */});
    auto p = plan(derive(m, Config{}, inputs(), t0), 2);
    CHECK(p.off == OffReason::link_down);
    CHECK(p.detail.empty());
    CHECK(p.describe() == "CLAT off: link down");
    m.upsert(Link{2, "ib0", 0x1043, true, 1500, 32});
    p = plan(derive(m, Config{}, inputs(), t0), 2);
    CHECK(p.off == OffReason::unsupported_link);
    CHECK_FALSE(p.detail.empty());
}

TEST_CASE("an RA with the new and the old PREF64, in either order: the new one wins", "[derive]") {
    for (bool new_first : {true, false}) {
        CAPTURE(new_first);
        NetworkModel m;
        add_uplink(m, 2, "eth0", "2001:db8:1::10"); // 6464 from fe80::1 at t0 - 10s
        const auto r = v6("fe80::1");
        const auto old_p = p6("2001:db8:6464::/96");
        const auto new_p = p6("2001:db8:6469::/96");
        m.update_ra_pref64(2, r, new_first ? new_p : old_p, 1800s, t0);
        m.update_ra_pref64(2, r, new_first ? old_p : new_p, 1800s, t0 + 1ms);
        CHECK(plan(derive(m, Config{}, inputs(), t0 + 1s), 2).pref64 == new_p);
        // The next RA, same set in the same order: no flapping.
        m.update_ra_pref64(2, r, new_first ? new_p : old_p, 1800s, t0 + 200s);
        m.update_ra_pref64(2, r, new_first ? old_p : new_p, 1800s, t0 + 200s + 1ms);
        CHECK(plan(derive(m, Config{}, inputs(), t0 + 201s), 2).pref64 == new_p);
    }
}

namespace {
// A raw-IP point-to-point uplink (tun, WWAN in raw-IP mode): ARPHRD_NONE,
// IFF_POINTOPOINT|IFF_NOARP, its IPv6 default route a device route.
void add_rawip_uplink(NetworkModel& m, int ifindex, const char* name, const char* addr,
                      uint32_t metric = 1024) {
    add_uplink(m, ifindex, name, addr);
    m.upsert(Link{ifindex, name, IFF_UP | IFF_POINTOPOINT | IFF_NOARP | IFF_RUNNING, true, 1500,
                  ARPHRD_NONE});
    m.erase(Route{ifindex, p6("::/0"), v6("fe80::1"), {}, 9, 254, 1024, 0});
    m.upsert(Route{ifindex, p6("::/0"), std::nullopt, {}, 3, 254, metric, 0});
}
} // namespace

TEST_CASE("a raw-IP uplink with a device-only IPv6 default route gets a CLAT without next hop",
          "[derive]") {
    NetworkModel m;
    add_rawip_uplink(m, 2, "wwan0", "2001:db8:1::10");
    auto p = plan(derive(m, Config{}, inputs(), t0), 2);
    REQUIRE(p.active());
    CHECK_FALSE(p.gateway.has_value());
    CHECK(p.arphrd == ARPHRD_NONE);
    CHECK_FALSE(p.needs_dad); // IFF_NOARP: no ND, no DAD
    CHECK(p.route4_mtu == 1472);
    CHECK(p.describe().find(", no next hop,") != std::string::npos);
    // A link-local next hop on the same link is kept.
    m.upsert(Route{2, p6("::/0"), v6("fe80::1"), {}, 9, 254, 512, 0});
    p = plan(derive(m, Config{}, inputs(), t0), 2);
    REQUIRE(p.active());
    CHECK(p.gateway == v6("fe80::1"));
    // PPP and ARPHRD_RAWIP (519) links too.
    for (uint16_t type : {uint16_t{ARPHRD_PPP}, uint16_t{519}}) {
        m.erase(Route{2, p6("::/0"), v6("fe80::1"), {}, 9, 254, 512, 0});
        m.upsert(
            Link{2, "wwan0", IFF_UP | IFF_POINTOPOINT | IFF_NOARP | IFF_RUNNING, true, 1500, type});
        CHECK(plan(derive(m, Config{}, inputs(), t0), 2).active());
    }
    // An Ethernet link keeps DAD; a raw-IP one with ARP turned on does DAD too
    // (what the kernel does for its own addresses).
    m.upsert(Link{2, "wwan0", IFF_UP | IFF_POINTOPOINT | IFF_RUNNING, true, 1500, ARPHRD_NONE});
    CHECK(plan(derive(m, Config{}, inputs(), t0), 2).needs_dad);
    NetworkModel e;
    add_uplink(e, 3, "eth0", "2001:db8:2::10");
    CHECK(plan(derive(e, Config{}, inputs(), t0), 3).needs_dad);
}

TEST_CASE("several uplinks: IPv4 route metrics ordered like the IPv6 default routes", "[derive]") {
    NetworkModel m;
    add_uplink(m, 2, "wlan0", "2001:db8:1::10");
    m.erase(Route{2, p6("::/0"), v6("fe80::1"), {}, 9, 254, 1024, 0});
    m.upsert(Route{2, p6("::/0"), v6("fe80::1"), {}, 9, 254, 600, 0});
    add_rawip_uplink(m, 3, "wwan0", "2001:db8:2::10", 700);
    auto in = inputs();
    auto d = derive(m, Config{}, in, t0);
    auto wlan = plan(d, 2);
    auto wwan = plan(d, 3);
    REQUIRE(wlan.active());
    REQUIRE(wwan.active());
    CHECK(wlan.clat4 != wwan.clat4);
    CHECK(wlan.ipv6_metric == 600);
    CHECK(wwan.ipv6_metric == 700);
    CHECK(wlan.route4_metric == clat_route4_metric(600, wlan.counter_slot));
    CHECK(wlan.route4_metric < wwan.route4_metric);
    CHECK(wlan.route4_metric >= kRouteMetricBase);
    // The IPv6 preference flips: so does IPv4's.
    m.upsert(Route{3, p6("::/0"), std::nullopt, {}, 3, 254, 500, 0});
    remember_choices(in, d);
    auto e = derive(m, Config{}, in, t0);
    CHECK(plan(e, 3).route4_metric < plan(e, 2).route4_metric);
    CHECK(plan(e, 2).route4_metric == wlan.route4_metric); // wlan0's own route does not move
    // Equal IPv6 metrics: distinct IPv4 metrics all the same (by counter slot).
    m.erase(Route{3, p6("::/0"), std::nullopt, {}, 3, 254, 500, 0});
    m.upsert(Route{3, p6("::/0"), std::nullopt, {}, 3, 254, 600, 0});
    auto f = derive(m, Config{}, in, t0);
    CHECK(plan(f, 2).route4_metric != plan(f, 3).route4_metric);
}

TEST_CASE("route metrics: ordered, unique per slot, within our range", "[markers]") {
    CHECK(clat_route4_metric(0, 0) == kRouteMetricBase);
    CHECK(clat_route4_metric(1024, 0) < clat_route4_metric(1025, 0));
    CHECK(clat_route4_metric(1024, 0) < clat_route4_metric(1024, 1));
    CHECK(clat_route4_metric(1024, 63) < clat_route4_metric(1025, 0));
    CHECK(clat_route4_metric(0xffffffffu, COLATRL_MAX_UPLINKS - 1) == 0xffffffffu);
    CHECK(clat_route4_metric(0xffffffffu, 0) > clat_route4_metric(kRouteMetricIpv6Cap - 1, 63));
    CHECK(is_clat_route4_metric(clat_route4_metric(100, 5)));
    CHECK(is_clat_route4_metric(0xffffff00u)); // an earlier release's single metric
    CHECK_FALSE(is_clat_route4_metric(1024));
    CHECK_FALSE(is_clat_route4_metric(kRouteMetricBase - 1));
}

TEST_CASE("a raw-IP uplink gets the IPv6-only flag by the same rule", "[derive]") {
    NetworkModel m;
    add_rawip_uplink(m, 4, "wwan0", "2001:db8:4::10");
    auto p = plan(derive(m, Config{}, inputs(), t0), 4);
    REQUIRE(p.active());
    CHECK((p.dp.flags & COLATRL_F_IPV6_ONLY) != 0);
    m.upsert(Addr{4, v4("100.64.1.1"), 32, 0, 0}); // a carrier-grade NAT address
    p = plan(derive(m, Config{}, inputs(), t0), 4);
    REQUIRE(p.active());
    CHECK((p.dp.flags & COLATRL_F_IPV6_ONLY) == 0);
}

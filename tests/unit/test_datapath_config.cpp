// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/datapath.hpp"
#include "datapath/datapath_config.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <linux/if_arp.h>

using namespace colatrl;

namespace {

Ipv4Addr v4(const char* s) {
    return *Ipv4Addr::parse(s);
}
Ipv6Addr v6(const char* s) {
    return *Ipv6Addr::parse(s);
}
Ipv6Prefix p6(const char* s) {
    return *Ipv6Prefix::parse(s);
}

} // namespace

TEST_CASE("config carries the addresses in network byte order", "[datapath_config]") {
    auto cfg = make_datapath_config(v4("192.0.0.2"), v6("2001:db8:1:2::9246"),
                                    p6("2001:db8:6464::/96"), 1500, false, 3);
    REQUIRE(cfg);
    const uint8_t clat4[4] = {192, 0, 0, 2};
    CHECK(std::memcmp(&cfg->clat_v4, clat4, 4) == 0);
    const uint8_t clat6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0x92, 0x46};
    CHECK(std::memcmp(cfg->clat_v6, clat6, 16) == 0);
    const uint8_t pref[16] = {0x20, 0x01, 0x0d, 0xb8, 0x64, 0x64};
    CHECK(std::memcmp(cfg->pref64, pref, 16) == 0);
    CHECK(cfg->pref64_len == 96);
    CHECK(cfg->ipv6_mtu == 1500);
    CHECK(cfg->counter_slot == 3);
    CHECK(cfg->reserved == 0);
    CHECK((cfg->flags & COLATRL_F_PREF64_WKP) == 0);
    CHECK((cfg->flags & COLATRL_F_TRANSLATE_NON_GLOBAL) == 0);
    CHECK((cfg->flags & COLATRL_F_IPV6_ONLY) == 0);
    // Round trip through the typed accessors.
    CHECK(config_clat4(*cfg) == v4("192.0.0.2"));
    CHECK(config_clat6(*cfg) == v6("2001:db8:1:2::9246"));
    CHECK(config_pref64(*cfg) == p6("2001:db8:6464::/96"));
}

TEST_CASE("checksum neutrality flag", "[datapath_config]") {
    // 0x2001+0x0db8+0x1+0x2+0x9246 = 0xc002 = 192.0.0.2; 64:ff9b sums to 0xffff (zero).
    auto wkp = make_datapath_config(v4("192.0.0.2"), v6("2001:db8:1:2::9246"), p6("64:ff9b::/96"),
                                    1500, false, 0);
    REQUIRE(wkp);
    CHECK(wkp->flags & COLATRL_F_CSUM_NEUTRAL);
    CHECK(wkp->flags & COLATRL_F_PREF64_WKP);

    // Same address, one IID bit different: not neutral.
    auto off = make_datapath_config(v4("192.0.0.2"), v6("2001:db8:1:2::9247"), p6("64:ff9b::/96"),
                                    1500, false, 0);
    REQUIRE(off);
    CHECK_FALSE(off->flags & COLATRL_F_CSUM_NEUTRAL);
    // ... but neutral for the next CLAT IPv4 address.
    auto next = make_datapath_config(v4("192.0.0.3"), v6("2001:db8:1:2::9247"), p6("64:ff9b::/96"),
                                     1500, false, 0);
    REQUIRE(next);
    CHECK(next->flags & COLATRL_F_CSUM_NEUTRAL);

    // /32 NSP: prefix words count too. 0x2001+0xdb9+0xaaaa+1+0xb9e2 + (0x2001+0xdb8) = 0xc001.
    auto nsp32 = make_datapath_config(v4("192.0.0.1"), v6("2001:db9:aaaa:1::b9e2"),
                                      p6("2001:db8::/32"), 1500, false, 0);
    REQUIRE(nsp32);
    CHECK(nsp32->flags & COLATRL_F_CSUM_NEUTRAL);
    CHECK_FALSE(nsp32->flags & COLATRL_F_PREF64_WKP);

    // One's complement has two zeros: a sum of 0xffff equals 0x0000.
    // 192.0.0.2 -> 0xc002; clat6 words 0xc002 + 0xffff folded is still 0xc002.
    auto twozero = make_datapath_config(v4("192.0.0.2"), v6("2001:db8:1:2::ffff:9246"),
                                        p6("64:ff9b::/96"), 1500, false, 0);
    REQUIRE(twozero);
    CHECK(twozero->flags & COLATRL_F_CSUM_NEUTRAL);

    // /40../64 place the IPv4 address on odd byte offsets: never neutral, whatever the IID.
    for (const char* p : {"2001:db8:100::/40", "2001:db8:122::/48", "2001:db8:122:300::/56",
                          "2001:db8:122:344::/64"}) {
        for (const char* c : {"2001:db8:1:2::9246", "2001:db8:1:2::b9e3", "2001:db8:1:2::1"}) {
            auto cfg = make_datapath_config(v4("192.0.0.2"), v6(c), p6(p), 1500, false, 0);
            REQUIRE(cfg);
            CHECK_FALSE(cfg->flags & COLATRL_F_CSUM_NEUTRAL);
        }
    }
}

TEST_CASE("ipv6_only sets its flag and nothing else", "[datapath_config]") {
    auto plain = make_datapath_config(v4("192.0.0.2"), v6("2001:db8::2"), p6("64:ff9b::/96"), 1500,
                                      false, 1);
    auto only = make_datapath_config(v4("192.0.0.2"), v6("2001:db8::2"), p6("64:ff9b::/96"), 1500,
                                     false, 1, true);
    REQUIRE(plain);
    REQUIRE(only);
    CHECK((plain->flags & COLATRL_F_IPV6_ONLY) == 0);
    CHECK(only->flags == (plain->flags | COLATRL_F_IPV6_ONLY));
    colatrl_config same = *only;
    same.flags = plain->flags;
    CHECK(std::memcmp(&same, &*plain, sizeof same) == 0);
    CHECK(describe_config(*only).find("ipv6_only") != std::string::npos);
    CHECK(describe_config(*plain).find("ipv6_only") == std::string::npos);
}

TEST_CASE("translate_non_global sets its flag", "[datapath_config]") {
    auto cfg = make_datapath_config(v4("192.0.0.2"), v6("2001:db8::2"), p6("64:ff9b::/96"), 1280,
                                    true, COLATRL_MAX_UPLINKS - 1);
    REQUIRE(cfg);
    CHECK(cfg->flags & COLATRL_F_TRANSLATE_NON_GLOBAL);
    CHECK(cfg->counter_slot == COLATRL_MAX_UPLINKS - 1);
    CHECK(describe_config(*cfg).find("translate_non_global") != std::string::npos);
}

TEST_CASE("invalid configs are refused with a reason", "[datapath_config]") {
    auto expect_bad = [](Result<colatrl_config> r, const char* needle) {
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::invalid_argument);
        INFO(r.error().message);
        CHECK(r.error().message.find(needle) != std::string::npos);
    };
    const auto c4 = v4("192.0.0.2");
    const auto c6 = v6("2001:db8::2");
    expect_bad(make_datapath_config(c4, c6, p6("2001:db8:6464::/80"), 1500, false, 0), "length");
    expect_bad(make_datapath_config(c4, c6, p6("2001:db8:6464:0:ff00::/96"), 1500, false, 0),
               "u octet");
    expect_bad(make_datapath_config(c4, c6, Ipv6Prefix{v6("2001:db8:6464::1"), 96}, 1500, false, 0),
               "past the prefix");
    expect_bad(make_datapath_config(c4, c6, p6("64:ff9b::/96"), 1279, false, 0), "MTU");
    expect_bad(make_datapath_config(c4, c6, p6("64:ff9b::/96"), 65536, false, 0), "MTU");
    expect_bad(make_datapath_config(c4, c6, p6("64:ff9b::/96"), 1500, false, COLATRL_MAX_UPLINKS),
               "slot");
    expect_bad(make_datapath_config(v4("0.0.0.0"), c6, p6("64:ff9b::/96"), 1500, false, 0),
               "0.0.0.0");
    expect_bad(make_datapath_config(c4, v6("64:ff9b::c000:2"), p6("64:ff9b::/96"), 1500, false, 0),
               "inside PREF64");
}

TEST_CASE("link types map to program variants", "[datapath_config]") {
    CHECK(*variant_for_arphrd(ARPHRD_ETHER) == LinkVariant::ethernet);
    CHECK(*variant_for_arphrd(ARPHRD_NONE) == LinkVariant::raw_ip);
    CHECK(*variant_for_arphrd(519) == LinkVariant::raw_ip); // ARPHRD_RAWIP
    CHECK(*variant_for_arphrd(ARPHRD_PPP) == LinkVariant::raw_ip);
    auto lo = variant_for_arphrd(ARPHRD_LOOPBACK);
    REQUIRE_FALSE(lo);
    CHECK(lo.error().code == Errc::unsupported);
    CHECK(lo.error().message.find("772") != std::string::npos);
    CHECK_FALSE(variant_for_arphrd(ARPHRD_IEEE80211));
}

TEST_CASE("counter names come from the shared X-macro", "[datapath_config]") {
    CHECK(counter_name(COLATRL_CNT_EG_XLAT) == "egress_translated");
    CHECK(counter_name(COLATRL_CNT_IN_DROP_HELPER) == "ingress_drop_helper_failed");
    CHECK(counter_name(COLATRL_CNT_EG_DROP_NOT_CLAT_SRC) == "egress_drop_not_clat_source");
    CHECK(counter_name(COLATRL_CNT_EG_DROP_ARP) == "egress_drop_arp");
    CHECK(counter_name(COLATRL_CNT__COUNT).empty());
    CHECK(counter_id("ingress_translated") == uint32_t{COLATRL_CNT_IN_XLAT});
    CHECK_FALSE(counter_id("no_such_counter"));
    // Names are unique and lower_snake_case.
    for (uint32_t i = 0; i < COLATRL_CNT__COUNT; ++i) {
        auto n = counter_name(i);
        REQUIRE_FALSE(n.empty());
        CHECK(counter_id(n) == i);
        for (char ch : n) {
            CHECK(((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'));
        }
    }
}

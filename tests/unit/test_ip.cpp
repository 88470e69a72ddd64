// SPDX-License-Identifier: GPL-2.0-or-later
#include "inet/ip.hpp"

#include <catch2/catch.hpp>

using namespace colatrl;

TEST_CASE("IPv6 addresses print in RFC 5952 form", "[ip]") {
    CHECK(Ipv6Addr::parse("2001:db8:122:344::192.0.2.33")->str() == "2001:db8:122:344::c000:221");
    CHECK(Ipv6Addr::parse("64:ff9b::192.0.2.33")->str() == "64:ff9b::c000:221");
    CHECK(Ipv6Addr::parse("2001:db8:122:344:c0:2:2100::")->str() == "2001:db8:122:344:c0:2:2100:0");
    CHECK(Ipv6Addr::parse("::ffff:1.2.3.4")->str() == "::ffff:102:304");
    CHECK(Ipv6Addr::parse("::")->str() == "::");
    CHECK(Ipv6Addr::parse("1:0:0:2:0:0:0:3")->str() == "1:0:0:2::3");
}

TEST_CASE("bad addresses and prefixes are rejected with a reason", "[ip]") {
    CHECK_FALSE(Ipv4Addr::parse("192.0.2"));
    CHECK_FALSE(Ipv4Addr::parse("192.0.2.256"));
    CHECK_FALSE(Ipv6Addr::parse("2001:db8::g"));
    auto p = Ipv6Prefix::parse("64:ff9b::1/96");
    REQUIRE_FALSE(p);
    CHECK(p.error().code == Errc::parse);
    CHECK(p.error().message.find("host bits") != std::string::npos);
    CHECK_FALSE(Ipv6Prefix::parse("64:ff9b::/129"));
    CHECK_FALSE(Ipv6Prefix::parse("64:ff9b::"));
    CHECK_FALSE(Ipv6Prefix::parse("64:ff9b::/"));
    CHECK_FALSE(Ipv4Prefix::parse("192.0.0.1/29"));
}

TEST_CASE("prefix containment", "[ip]") {
    auto p = *Ipv6Prefix::parse("2001:db8:100::/40");
    CHECK(p.contains(*Ipv6Addr::parse("2001:db8:1c0:2:21::")));
    CHECK_FALSE(p.contains(*Ipv6Addr::parse("2001:db8:200::1")));
    auto q = *Ipv4Prefix::parse("192.0.0.0/29");
    CHECK(q.contains(*Ipv4Addr::parse("192.0.0.7")));
    CHECK_FALSE(q.contains(*Ipv4Addr::parse("192.0.0.8")));
    CHECK(Ipv6Prefix::make(*Ipv6Addr::parse("2001:db8::1"), 64).str() == "2001:db8::/64");
}

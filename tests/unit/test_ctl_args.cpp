// SPDX-License-Identifier: GPL-2.0-or-later
// colatrlctl's argument scanner (tools/ctl_args.cpp).
#include "../../tools/ctl_args.hpp"

#include <catch2/catch.hpp>

using namespace colatrl;
using namespace colatrl::ctl;

TEST_CASE("options with values, flags and positionals", "[ctl_args]") {
    auto a = parse_args({"eth0", "--pref64", "64:ff9b::/96", "--mtu=1400", "--translate-non-global",
                         "--", "--literal"},
                        {"pref64", "mtu"}, {"translate-non-global"});
    REQUIRE(a);
    REQUIRE(a->positional.size() == 2);
    CHECK(a->positional[0] == "eth0");
    CHECK(a->positional[1] == "--literal");
    CHECK(a->option("pref64") == std::optional<std::string>("64:ff9b::/96"));
    CHECK(a->option("mtu") == std::optional<std::string>("1400"));
    CHECK_FALSE(a->option("slot"));
    CHECK(a->flag("translate-non-global"));
    CHECK_FALSE(a->flag("all"));
}

TEST_CASE("bad command lines name the problem", "[ctl_args]") {
    auto unknown = parse_args({"--bogus"}, {"mtu"}, {});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message.find("--bogus") != std::string::npos);
    auto novalue = parse_args({"eth0", "--mtu"}, {"mtu"}, {});
    REQUIRE_FALSE(novalue);
    CHECK(novalue.error().message.find("needs a value") != std::string::npos);
    auto flagvalue = parse_args({"--all=yes"}, {}, {"all"});
    REQUIRE_FALSE(flagvalue);
    CHECK(flagvalue.error().message.find("takes no value") != std::string::npos);
}

TEST_CASE("numbers are range-checked", "[ctl_args]") {
    CHECK(*parse_uint("1280", 1280, 65535, "--mtu") == 1280u);
    CHECK(*parse_uint("65535", 1280, 65535, "--mtu") == 65535u);
    CHECK_FALSE(parse_uint("1279", 1280, 65535, "--mtu"));
    CHECK_FALSE(parse_uint("65536", 1280, 65535, "--mtu"));
    CHECK_FALSE(parse_uint("", 0, 10, "--slot"));
    CHECK_FALSE(parse_uint("1x", 0, 10, "--slot"));
    CHECK_FALSE(parse_uint("-1", 0, 10, "--slot"));
    auto e = parse_uint("99", 0, 63, "--slot");
    REQUIRE_FALSE(e);
    CHECK(e.error().message.find("--slot must be a number in 0..63") != std::string::npos);
}

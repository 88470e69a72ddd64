// SPDX-License-Identifier: GPL-2.0-or-later
#include "clat/clat_ipv4.hpp"
#include "literals.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace colatrl;
using namespace colatrl::test;

TEST_CASE("first free address from 192.0.0.2 upwards", "[clat_ipv4]") {
    std::vector<Ipv4Addr> used;
    auto a = select_clat_ipv4(used, std::nullopt);
    REQUIRE(a);
    CHECK(a->str() == "192.0.0.2");

    used = {A4("192.0.0.2"), A4("10.0.0.1"), A4("192.0.0.1")};
    a = select_clat_ipv4(used, std::nullopt);
    REQUIRE(a);
    CHECK(a->str() == "192.0.0.3");

    used = {A4("192.0.0.2"), A4("192.0.0.3"), A4("192.0.0.4"), A4("192.0.0.6")};
    a = select_clat_ipv4(used, std::nullopt);
    REQUIRE(a);
    CHECK(a->str() == "192.0.0.5");

    used = {A4("192.0.0.2"), A4("192.0.0.3"), A4("192.0.0.4"), A4("192.0.0.5"), A4("192.0.0.6")};
    a = select_clat_ipv4(used, std::nullopt);
    REQUIRE(a);
    CHECK(a->str() == "192.0.0.7");
}

TEST_CASE(".0 and .1 are never picked; all taken is an error", "[clat_ipv4]") {
    std::vector<Ipv4Addr> used = {A4("192.0.0.2"), A4("192.0.0.3"), A4("192.0.0.4"),
                                  A4("192.0.0.5"), A4("192.0.0.6"), A4("192.0.0.7")};
    auto a = select_clat_ipv4(used, std::nullopt);
    REQUIRE_FALSE(a);
    CHECK(a.error().code == Errc::conflict);
    CHECK(a.error().message.find("192.0.0.2 - 192.0.0.7 are all in use") != std::string::npos);
}

TEST_CASE("configured address is used when free and inside the /29", "[clat_ipv4]") {
    std::vector<Ipv4Addr> used = {A4("192.0.0.2")};
    auto a = select_clat_ipv4(used, A4("192.0.0.6"));
    REQUIRE(a);
    CHECK(a->str() == "192.0.0.6");
    a = select_clat_ipv4(used, A4("192.0.0.1")); // allowed when asked for explicitly
    REQUIRE(a);
    CHECK(a->str() == "192.0.0.1");

    auto busy = select_clat_ipv4(used, A4("192.0.0.2"));
    REQUIRE_FALSE(busy);
    CHECK(busy.error().code == Errc::conflict);
    CHECK(busy.error().message.find("in use") != std::string::npos);

    auto outside = select_clat_ipv4(used, A4("192.0.0.8"));
    REQUIRE_FALSE(outside);
    CHECK(outside.error().code == Errc::invalid_argument);
    CHECK(outside.error().message.find("192.0.0.0/29") != std::string::npos);
    CHECK_FALSE(select_clat_ipv4(used, A4("10.0.0.2")));
    CHECK(service_continuity_prefix().str() == "192.0.0.0/29");
}

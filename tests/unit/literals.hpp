// SPDX-License-Identifier: GPL-2.0-or-later
// Address literals for unit tests: parse or fail the test case on the spot.
#pragma once

#include "inet/ip.hpp"

#include <catch2/catch.hpp>

namespace colatrl::test {

inline Ipv4Addr A4(const char* s) {
    auto r = Ipv4Addr::parse(s);
    REQUIRE(r);
    return *r;
}

inline Ipv6Addr A6(const char* s) {
    auto r = Ipv6Addr::parse(s);
    REQUIRE(r);
    return *r;
}

inline Ipv6Prefix P(const char* s) {
    auto r = Ipv6Prefix::parse(s);
    REQUIRE(r);
    return *r;
}

} // namespace colatrl::test

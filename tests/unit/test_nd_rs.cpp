// SPDX-License-Identifier: GPL-2.0-or-later
// Router Solicitation builder (RFC 4861 §4.1, §6.3.7).
#include "nd/nd.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

using colatrl::Ipv6Addr;

namespace {

Ipv6Addr addr(const char* text) {
    auto a = Ipv6Addr::parse(text);
    REQUIRE(a);
    return *a;
}

// Independent RFC 1071 / RFC 8200 §8.1 checksum check: summing the pseudo-
// header and the message including its checksum field must give 0xffff.
uint32_t verify_sum(const Ipv6Addr& src, const Ipv6Addr& dst, const std::vector<uint8_t>& msg) {
    std::vector<uint8_t> all;
    all.insert(all.end(), src.bytes.begin(), src.bytes.end());
    all.insert(all.end(), dst.bytes.begin(), dst.bytes.end());
    const auto len = static_cast<uint32_t>(msg.size());
    for (int shift : {24, 16, 8, 0}) {
        all.push_back(static_cast<uint8_t>(len >> shift));
    }
    all.insert(all.end(), {0, 0, 0, 58});
    all.insert(all.end(), msg.begin(), msg.end());
    if (all.size() % 2) {
        all.push_back(0);
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < all.size(); i += 2) {
        sum += (uint64_t{all[i]} << 8) | all[i + 1];
    }
    while (sum > 0xffff) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<uint32_t>(sum);
}

} // namespace

TEST_CASE("all-routers address is ff02::2") {
    CHECK(colatrl::all_routers() == addr("ff02::2"));
}

TEST_CASE("router solicitation with source link-layer address option") {
    const Ipv6Addr src = addr("fe80::1:2ff:fe03:405");
    const std::array<uint8_t, 6> mac{0x00, 0x01, 0x02, 0x03, 0x04, 0x05};
    const auto p = colatrl::build_router_solicit(src, mac);
    REQUIRE(p.size() == 16);
    CHECK(p[0] == 133);
    CHECK(p[1] == 0);
    CHECK((p[2] | p[3]) != 0);
    CHECK(std::vector<uint8_t>(p.begin() + 4, p.begin() + 8) == std::vector<uint8_t>{0, 0, 0, 0});
    CHECK(std::vector<uint8_t>(p.begin() + 8, p.end()) ==
          std::vector<uint8_t>{1, 1, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05});
    CHECK(verify_sum(src, addr("ff02::2"), p) == 0xffff);
    // A different source gives a different checksum (the pseudo-header counts).
    const auto q = colatrl::build_router_solicit(addr("fe80::2"), mac);
    CHECK(verify_sum(addr("fe80::2"), addr("ff02::2"), q) == 0xffff);
    CHECK((p[2] != q[2] || p[3] != q[3]));
}

TEST_CASE("router solicitation checksum, known value") {
    // Computed by hand: fe80::1 -> ff02::2, RS without options.
    // Sum of 16-bit words: fe80 + 0001 + ff02 + 0002 + 0008 (length) + 003a
    // (next header) + 8500 (type 133, code 0) = 0x2 82c7 -> folded 0x82c9,
    // complement 0x7d36.
    const auto p = colatrl::build_router_solicit(addr("fe80::1"), std::nullopt);
    REQUIRE(p.size() == 8);
    CHECK(p == std::vector<uint8_t>{133, 0, 0x7d, 0x36, 0, 0, 0, 0});
}

TEST_CASE("router solicitation from :: carries no link-layer option") {
    const std::array<uint8_t, 6> mac{0x02, 0, 0, 0, 0, 1};
    const auto p = colatrl::build_router_solicit(Ipv6Addr{}, mac);
    REQUIRE(p.size() == 8);
    CHECK(p[0] == 133);
    CHECK(verify_sum(Ipv6Addr{}, addr("ff02::2"), p) == 0xffff);
}

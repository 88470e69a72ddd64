// SPDX-License-Identifier: GPL-2.0-or-later
// Router Solicitation builder (RFC 4861 §4.1, §6.3.7), the DAD helpers
// (solicited-node address, NS bytes, verdicts on what comes back) and the
// solicitation that tells the router about the CLAT address (announce.hpp).
#include "inet_checksum.hpp"
#include "nd/announce.hpp"
#include "nd/nd.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include <netinet/icmp6.h>

using namespace colatrl;

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

TEST_CASE("ND helpers: solicited-node address, DAD NS bytes, DAD verdicts", "[nd]") {
    CHECK(solicited_node(addr("2001:db8::1:2:3456")) == addr("ff02::1:ff02:3456"));
    CHECK(solicited_node(addr("fe80::aabb:ccdd:eeff")) == addr("ff02::1:ffdd:eeff"));

    const auto target = addr("2001:db8:1::55");
    const std::array<uint8_t, 6> nonce{1, 2, 3, 4, 5, 6};
    const auto ns = build_dad_ns(target, nonce);
    REQUIRE(ns.size() == 32);
    CHECK(ns[0] == ND_NEIGHBOR_SOLICIT);
    CHECK(ns[1] == 0);
    CHECK(std::equal(target.bytes.begin(), target.bytes.end(), ns.begin() + 8));
    CHECK(ns[24] == 14); // nonce option, no source link-layer option
    CHECK(ns[25] == 1);
    // Independent checksum check: pseudo-header (:: , solicited-node, len,
    // next header 58) plus the message sums to 0xffff.
    uint64_t sum = 0;
    const auto dst = solicited_node(target);
    for (size_t i = 0; i < 16; i += 2) {
        sum += (uint64_t{dst.bytes[i]} << 8) | dst.bytes[i + 1];
    }
    sum += ns.size() + 58;
    for (size_t i = 0; i < ns.size(); i += 2) {
        sum += (uint64_t{ns[i]} << 8) | ns[i + 1];
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    CHECK(sum == 0xffff);

    const Ipv6Addr any{};
    const std::array<uint8_t, 6> other{9, 9, 9, 9, 9, 9};
    // Our own NS looped back: same nonce.
    CHECK(classify_for_dad(ns, any, 255, target, nonce) == DadVerdict::ignore);
    // Someone else's DAD probe for the same target.
    CHECK(classify_for_dad(build_dad_ns(target, other), any, 255, target, nonce) ==
          DadVerdict::duplicate);
    // Address resolution from a unicast source: not a conflict.
    CHECK(classify_for_dad(build_dad_ns(target, other), addr("fe80::9"), 255, target, nonce) ==
          DadVerdict::ignore);
    // NA for the target: conflict; for another target or off-link: ignored.
    auto na = build_dad_ns(target, other);
    na[0] = ND_NEIGHBOR_ADVERT;
    CHECK(classify_for_dad(na, addr("fe80::9"), 255, target, nonce) == DadVerdict::duplicate);
    CHECK(classify_for_dad(na, addr("fe80::9"), 64, target, nonce) == DadVerdict::ignore);
    CHECK(classify_for_dad(na, addr("fe80::9"), 255, addr("2001:db8:1::56"), nonce) ==
          DadVerdict::ignore);
    na[1] = 1; // code must be 0
    CHECK(classify_for_dad(na, addr("fe80::9"), 255, target, nonce) == DadVerdict::ignore);
    CHECK(classify_for_dad(std::span<const uint8_t>(ns).first(20), any, 255, target, nonce) ==
          DadVerdict::ignore);
}

TEST_CASE("the router-facing Neighbor Solicitation: every field and the checksum", "[nd]") {
    const Ipv6Addr src = addr("2001:db8:1::56");
    const Ipv6Addr router = addr("fe80::1");
    const std::array<uint8_t, 6> mac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    const Ipv6Addr dst = solicited_node(router);
    CHECK(dst == addr("ff02::1:ff00:1"));
    const auto p = build_neighbor_solicit(src, dst, router, mac);
    REQUIRE(p.size() == 32);
    CHECK(p[0] == ND_NEIGHBOR_SOLICIT);
    CHECK(p[1] == 0);
    CHECK(std::vector<uint8_t>(p.begin() + 4, p.begin() + 8) == std::vector<uint8_t>{0, 0, 0, 0});
    CHECK(std::equal(router.bytes.begin(), router.bytes.end(), p.begin() + 8));
    // RFC 4861 §4.6.1 Source Link-Layer Address: type 1, length 1 (8 octets).
    CHECK(std::vector<uint8_t>(p.begin() + 24, p.end()) ==
          std::vector<uint8_t>{1, 1, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55});
    CHECK(colatrl::test::l4_checksum_v6_ok(src, dst, 58, p));
    CHECK(verify_sum(src, dst, p) == 0xffff);
    // The source is in the pseudo-header: another one, another checksum.
    const auto q = build_neighbor_solicit(addr("2001:db8:1::57"), dst, router, mac);
    CHECK((p[2] != q[2] || p[3] != q[3]));
}

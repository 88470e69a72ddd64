// SPDX-License-Identifier: GPL-2.0-or-later
#include "clat/clat_addr.hpp"
#include "clat/siphash.hpp"
#include "inet/checksum.hpp"
#include "inet/rfc6052.hpp"
#include "literals.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

using namespace colatrl;
using namespace colatrl::test;

namespace {

// Independent RFC 1071 checksum for the test: 32-bit big-endian chunks into a 64-bit
// accumulator, folded at the end (lib/checksum works 16 bits at a time).
struct IndependentSum {
    uint64_t acc = 0;
    std::vector<uint8_t> pending;

    void add(const uint8_t* p, std::size_t n) { pending.insert(pending.end(), p, p + n); }
    void add_u16(uint16_t v) {
        const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
        add(b, 2);
    }
    void add_u32(uint32_t v) {
        const uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                              static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
        add(b, 4);
    }
    uint16_t checksum() {
        while (pending.size() % 4 != 0) {
            pending.push_back(0);
        }
        for (std::size_t i = 0; i < pending.size(); i += 4) {
            acc += (uint64_t{pending[i]} << 24) | (uint64_t{pending[i + 1]} << 16) |
                   (uint64_t{pending[i + 2]} << 8) | pending[i + 3];
        }
        while (acc >> 16) {
            acc = (acc & 0xffff) + (acc >> 16);
        }
        uint16_t c = static_cast<uint16_t>(~acc);
        return c == 0 ? uint16_t{0xffff} : c; // UDP transmits zero as all ones
    }
};

// UDP checksum of header+payload (checksum field zero) under an IPv4 or IPv6 pseudo-header.
uint16_t udp4_checksum(Ipv4Addr src, Ipv4Addr dst, const std::vector<uint8_t>& udp) {
    IndependentSum s;
    s.add(src.bytes.data(), 4);
    s.add(dst.bytes.data(), 4);
    s.add_u16(17);
    s.add_u16(static_cast<uint16_t>(udp.size()));
    s.add(udp.data(), udp.size());
    return s.checksum();
}
uint16_t udp6_checksum(const Ipv6Addr& src, const Ipv6Addr& dst, const std::vector<uint8_t>& udp) {
    IndependentSum s;
    s.add(src.bytes.data(), 16);
    s.add(dst.bytes.data(), 16);
    s.add_u32(static_cast<uint32_t>(udp.size()));
    s.add_u32(17);
    s.add(udp.data(), udp.size());
    return s.checksum();
}

std::vector<uint8_t> random_secret(std::mt19937& rng) {
    std::vector<uint8_t> s(16);
    for (auto& b : s) {
        b = static_cast<uint8_t>(rng());
    }
    return s;
}

Ipv6Addr random_addr(std::mt19937& rng) {
    Ipv6Addr a;
    for (auto& b : a.bytes) {
        b = static_cast<uint8_t>(rng());
    }
    return a;
}

} // namespace

TEST_CASE("SipHash-2-4 matches the reference vectors", "[siphash]") {
    SipKey key{};
    for (std::size_t i = 0; i < 16; ++i) {
        key[i] = static_cast<uint8_t>(i);
    }
    // Key 00..0f, message 00 01 .. (n-1): the authors' vectors.h, little-endian tags.
    const uint64_t expected[] = {
        0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
        0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
        0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL,
    };
    std::vector<uint8_t> msg;
    for (uint64_t e : expected) {
        INFO("length " << msg.size());
        CHECK(siphash24(key, msg) == e);
        msg.push_back(static_cast<uint8_t>(msg.size()));
    }
    // The paper's Appendix A example: 15-byte message 00..0e.
    std::vector<uint8_t> m15;
    for (uint8_t i = 0; i < 15; ++i) {
        m15.push_back(i);
    }
    CHECK(siphash24(key, m15) == 0xa129ca6149be45e5ULL);
    key[0] ^= 1;
    CHECK(siphash24(key, m15) != 0xa129ca6149be45e5ULL);
}

TEST_CASE("derived address is checksum-neutral: UDP checksum survives translation", "[clat_addr]") {
    std::mt19937 rng(20261127);
    int checked = 0;
    for (int i = 0; i < 10000; ++i) {
        const uint8_t len = (i % 2) ? 96 : 32;
        Ipv6Addr base = random_addr(rng);
        base.bytes[8] = 0; // u octet
        const Ipv6Prefix pref64 = i % 7 == 0 ? well_known_prefix() : Ipv6Prefix::make(base, len);
        REQUIRE(validate_pref64(pref64));
        const Ipv6Prefix uplink = Ipv6Prefix::make(random_addr(rng), 64);
        const Ipv4Addr clat4 =
            i % 3 == 0 ? Ipv4Addr::from_host(static_cast<uint32_t>(rng()))
                       : Ipv4Addr::from_host(0xc0000002u + static_cast<uint32_t>(rng() % 6));
        const auto secret = random_secret(rng);
        auto clat6 = derive_clat_ipv6(uplink, pref64, clat4, secret, rng() % 4);
        REQUIRE(clat6);
        REQUIRE(uplink.contains(*clat6));
        REQUIRE(is_checksum_neutral(*clat6, pref64, clat4));

        const Ipv4Addr dst4 = Ipv4Addr::from_host(static_cast<uint32_t>(rng()));
        std::vector<uint8_t> udp(8 + rng() % 64);
        for (auto& b : udp) {
            b = static_cast<uint8_t>(rng());
        }
        udp[4] = static_cast<uint8_t>(udp.size() >> 8);
        udp[5] = static_cast<uint8_t>(udp.size());
        udp[6] = udp[7] = 0;
        const uint16_t c4 = udp4_checksum(clat4, dst4, udp);
        const uint16_t c6 = udp6_checksum(*clat6, embed_ipv4(pref64, dst4), udp);
        INFO("pref64 " << pref64.str() << " clat6 " << clat6->str() << " clat4 " << clat4.str());
        REQUIRE(c4 == c6);
        ++checked;
    }
    CHECK(checked == 10000);
}

TEST_CASE("other PREF64 lengths derive an address but cannot be neutral", "[clat_addr]") {
    std::mt19937 rng(7);
    const auto secret = random_secret(rng);
    const Ipv6Prefix uplink = P("2001:db8:1:2::/64");
    for (const char* p : {"2001:db8:100::/40", "2001:db8:122::/48", "2001:db8:122:300::/56",
                          "2001:db8:122:344::/64"}) {
        INFO(p);
        auto a = derive_clat_ipv6(uplink, P(p), A4("192.0.0.2"), secret, 0);
        REQUIRE(a);
        CHECK(uplink.contains(*a));
        CHECK_FALSE(is_checksum_neutral(*a, P(p), A4("192.0.0.2")));
    }
    // A /96 address checked against the wrong IPv4 is not neutral.
    auto a = derive_clat_ipv6(uplink, P("64:ff9b::/96"), A4("192.0.0.2"), secret, 0);
    REQUIRE(a);
    CHECK(is_checksum_neutral(*a, P("64:ff9b::/96"), A4("192.0.0.2")));
    CHECK_FALSE(is_checksum_neutral(*a, P("64:ff9b::/96"), A4("192.0.0.3")));
}

TEST_CASE("derived address is stable and depends on every input", "[clat_addr]") {
    std::mt19937 rng(99);
    const auto secret = random_secret(rng);
    auto other_secret = secret;
    other_secret[15] ^= 0x01;
    const Ipv6Prefix uplink = P("2001:db8:aa:bb::/64");
    const Ipv6Prefix pref64 = P("64:ff9b::/96");
    const Ipv4Addr v4 = A4("192.0.0.2");

    auto base = derive_clat_ipv6(uplink, pref64, v4, secret, 0);
    REQUIRE(base);
    auto again = derive_clat_ipv6(uplink, pref64, v4, secret, 0);
    REQUIRE(again);
    CHECK(*base == *again);

    std::set<Ipv6Addr> seen{*base};
    const Result<Ipv6Addr> variants[] = {
        derive_clat_ipv6(uplink, pref64, v4, other_secret, 0),
        derive_clat_ipv6(uplink, pref64, v4, secret, 1),
        derive_clat_ipv6(uplink, pref64, v4, secret, 2),
        derive_clat_ipv6(P("2001:db8:aa:bc::/64"), pref64, v4, secret, 0),
        derive_clat_ipv6(uplink, P("2001:db8:64::/96"), v4, secret, 0),
        derive_clat_ipv6(uplink, P("2001:db9::/32"), v4, secret, 0),
        derive_clat_ipv6(uplink, pref64, A4("192.0.0.3"), secret, 0),
    };
    for (const auto& v : variants) {
        REQUIRE(v);
        CHECK(seen.insert(*v).second);
    }
    // The IID is not derived from the address bits alone: a different prefix changes the
    // interface identifier too (RFC 7217 §5: not stable across networks).
    CHECK(std::equal(base->bytes.begin() + 8, base->bytes.end(), variants[3]->bytes.begin() + 8) ==
          false);
}

TEST_CASE("bad inputs are rejected", "[clat_addr]") {
    std::vector<uint8_t> secret(16, 0x42);
    auto r1 = derive_clat_ipv6(P("2001:db8::/48"), P("64:ff9b::/96"), A4("192.0.0.2"), secret, 0);
    REQUIRE_FALSE(r1);
    CHECK(r1.error().message.find("/64") != std::string::npos);
    auto r2 = derive_clat_ipv6(P("2001:db8::/64"), P("64:ff9b::/80"), A4("192.0.0.2"), secret, 0);
    REQUIRE_FALSE(r2);
    CHECK(r2.error().code == Errc::invalid_argument);
    std::vector<uint8_t> short_secret(8, 1);
    auto r3 =
        derive_clat_ipv6(P("2001:db8::/64"), P("64:ff9b::/96"), A4("192.0.0.2"), short_secret, 0);
    REQUIRE_FALSE(r3);
    CHECK(r3.error().message.find("16 bytes") != std::string::npos);
}

TEST_CASE("reserved interface identifiers are never produced", "[clat_addr]") {
    using Iid = std::array<uint8_t, 8>;
    CHECK(is_reserved_iid(Iid{0, 0, 0, 0, 0, 0, 0, 0}));
    CHECK(is_reserved_iid(Iid{0x02, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x52, 0x13}));
    CHECK(is_reserved_iid(Iid{0x02, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x00, 0x00}));
    CHECK(is_reserved_iid(Iid{0x02, 0x00, 0x5e, 0xff, 0xfe, 0xff, 0xff, 0xff}));
    CHECK(is_reserved_iid(Iid{0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80}));
    CHECK(is_reserved_iid(Iid{0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
    CHECK_FALSE(is_reserved_iid(Iid{0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}));
    CHECK_FALSE(is_reserved_iid(Iid{0x02, 0x00, 0x5e, 0xff, 0xfd, 0xff, 0xff, 0xff}));
    CHECK_FALSE(is_reserved_iid(Iid{0, 0, 0, 0, 0, 0, 0, 1}));

    const Ipv6Prefix uplink = P("2001:db8:1:2::/64");
    const Ipv6Prefix nsp40 = P("2001:db8:100::/40"); // not adjusted: the hash is the IID
    const Ipv4Addr v4 = A4("192.0.0.2");
    CHECK_FALSE(clat_ipv6_candidate(uplink, nsp40, v4, 0));
    CHECK_FALSE(clat_ipv6_candidate(uplink, nsp40, v4, 0x02005efffe005213ULL));
    CHECK_FALSE(clat_ipv6_candidate(uplink, nsp40, v4, 0xfdffffffffffff80ULL));
    auto ok = clat_ipv6_candidate(uplink, nsp40, v4, 0xfdffffffffffff7fULL);
    REQUIRE(ok);
    CHECK(ok->str() == "2001:db8:1:2:fdff:ffff:ffff:ff7f");

    // Neutral adjustment of the last word must not land on a reserved IID either.
    const Ipv6Prefix wkp = well_known_prefix();
    // Prefix words sum to the IPv4 sum (0xc002), so a zero hash needs a zero last word;
    // one's complement offers 0xffff instead, which is not reserved.
    const Ipv6Prefix tricky = P("2001:db8:9249::/64");
    auto z = clat_ipv6_candidate(tricky, wkp, v4, 0);
    REQUIRE(z);
    CHECK(z->str() == "2001:db8:9249::ffff");
    CHECK(is_checksum_neutral(*z, wkp, v4));
    // Upper words of the reserved anycast range: the adjusted word decides.
    for (uint64_t low = 0; low < 0x10000; low += 0x111) {
        auto c = clat_ipv6_candidate(uplink, wkp, v4, 0xfdffffffffff0000ULL | low);
        if (c) {
            CHECK_FALSE(is_reserved_iid(std::span<const uint8_t, 8>(c->bytes.data() + 8, 8)));
            CHECK(is_checksum_neutral(*c, wkp, v4));
        }
    }

    std::mt19937 rng(5);
    const auto secret = random_secret(rng);
    for (uint32_t counter = 0; counter < 2000; ++counter) {
        auto a = derive_clat_ipv6(uplink, wkp, v4, secret, counter);
        REQUIRE(a);
        CHECK_FALSE(is_reserved_iid(std::span<const uint8_t, 8>(a->bytes.data() + 8, 8)));
    }
}

TEST_CASE("one's-complement helpers", "[checksum]") {
    // RFC 1071 §3 numerical example.
    const std::array<uint8_t, 8> ex = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK(ones_sum(ex) == 0xddf2);
    CHECK(ones_accumulate(ex) == 0x2ddf0);
    // An odd trailing byte is the high byte of a zero-padded word.
    const std::array<uint8_t, 3> odd = {0x12, 0x34, 0x56};
    CHECK(ones_sum(odd) == 0x1234 + 0x5600);
    CHECK(ones_sum(std::span<const uint8_t>()) == 0);
    CHECK(ones_add(0xffff, 0x0001) == 0x0001);
    CHECK(ones_add(0x8000, 0x8000) == 0x0001);
    CHECK(ones_sub(0x0001, 0x0001) == 0xffff); // -0 in one's complement
    CHECK(ones_equal(0xffff, 0x0000));
    CHECK(ones_equal(0x1234, 0x1234));
    CHECK_FALSE(ones_equal(0x1234, 0x1235));
    // The well-known prefix is checksum-neutral (RFC 6052 §4.2): 0x0064 + 0xff9b = 0xffff.
    CHECK(ones_equal(ones_sum(well_known_prefix().addr.bytes), 0));
    // RFC 8215 §6 neutral /96 examples.
    for (const char* p : {"64:ff9b:1:fffe::/96", "64:ff9b:1:fffd:1::/96", "64:ff9b:1:fffc:2::/96",
                          "64:ff9b:1:abcd:0:5431::/96"}) {
        INFO(p);
        CHECK(ones_equal(ones_sum(P(p).addr.bytes), 0));
    }
    // Random data: the 16-bit routine agrees with the independent 32-bit one in this file.
    std::mt19937 rng(3);
    for (int i = 0; i < 1000; ++i) {
        std::vector<uint8_t> d(rng() % 200);
        for (auto& b : d) {
            b = static_cast<uint8_t>(rng());
        }
        IndependentSum s;
        s.add(d.data(), d.size());
        uint16_t theirs = s.checksum(); // ~sum, with 0 sent as 0xffff
        uint16_t ours = static_cast<uint16_t>(~ones_sum(d));
        CHECK(ones_equal(theirs, ours));
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
#include "inet/rfc6052.hpp"
#include "literals.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace colatrl;
using namespace colatrl::test;

namespace {

struct Vector {
    const char* prefix;
    const char* v4;
    const char* v6; // any valid text form
    const char* canonical;
};

// RFC 6052 §2.4 Tables 1 and 2 (as printed there, plus RFC 5952 form), RFC 6052 §3.3,
// RFC 7915 App. A, RFC 6877 App. A, RFC 7050 App. A, and the computed WKA table.
const Vector kVectors[] = {
    {"2001:db8::/32", "192.0.2.33", "2001:db8:c000:221::", "2001:db8:c000:221::"},
    {"2001:db8:100::/40", "192.0.2.33", "2001:db8:1c0:2:21::", "2001:db8:1c0:2:21::"},
    {"2001:db8:122::/48", "192.0.2.33", "2001:db8:122:c000:2:2100::", "2001:db8:122:c000:2:2100::"},
    {"2001:db8:122:300::/56", "192.0.2.33", "2001:db8:122:3c0:0:221::", "2001:db8:122:3c0:0:221::"},
    {"2001:db8:122:344::/64", "192.0.2.33",
     "2001:db8:122:344:c0:2:2100::", "2001:db8:122:344:c0:2:2100:0"},
    {"2001:db8:122:344::/96", "192.0.2.33", "2001:db8:122:344::192.0.2.33",
     "2001:db8:122:344::c000:221"},
    {"64:ff9b::/96", "192.0.2.33", "64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
    {"2001:db8:100::/40", "198.51.100.2", "2001:db8:1c6:3364:2::", "2001:db8:1c6:3364:2::"},
    {"2001:db8:aaaa::/96", "192.168.1.2", "2001:db8:aaaa::192.168.1.2", "2001:db8:aaaa::c0a8:102"},
    {"2001:db8:1234::/96", "198.51.100.1", "2001:db8:1234::198.51.100.1",
     "2001:db8:1234::c633:6401"},
    {"2001:db8:42::/96", "192.0.0.170", "2001:db8:42::192.0.0.170", "2001:db8:42::c000:aa"},
    {"2001:db8::/96", "192.0.0.170", "2001:db8::c000:aa", "2001:db8::c000:aa"},
    {"2001:db8::/96", "192.0.0.171", "2001:db8::c000:ab", "2001:db8::c000:ab"},
    {"2001:db8::/32", "192.0.0.170", "2001:db8:c000:aa::", "2001:db8:c000:aa::"},
    {"2001:db8::/32", "192.0.0.171", "2001:db8:c000:ab::", "2001:db8:c000:ab::"},
    {"2001:db8:100::/40", "192.0.0.170", "2001:db8:1c0:0:aa::", "2001:db8:1c0:0:aa::"},
    {"2001:db8:100::/40", "192.0.0.171", "2001:db8:1c0:0:ab::", "2001:db8:1c0:0:ab::"},
    {"2001:db8:122::/48", "192.0.0.170",
     "2001:db8:122:c000:0:aa00::", "2001:db8:122:c000:0:aa00::"},
    {"2001:db8:122::/48", "192.0.0.171",
     "2001:db8:122:c000:0:ab00::", "2001:db8:122:c000:0:ab00::"},
    {"2001:db8:122:300::/56", "192.0.0.170", "2001:db8:122:3c0:0:aa::", "2001:db8:122:3c0:0:aa::"},
    {"2001:db8:122:300::/56", "192.0.0.171", "2001:db8:122:3c0:0:ab::", "2001:db8:122:3c0:0:ab::"},
    {"2001:db8:122:344::/64", "192.0.0.170", "2001:db8:122:344:c0:0:aa00:0",
     "2001:db8:122:344:c0:0:aa00:0"},
    {"2001:db8:122:344::/64", "192.0.0.171", "2001:db8:122:344:c0:0:ab00:0",
     "2001:db8:122:344:c0:0:ab00:0"},
    {"2001:db8:122:344::/96", "192.0.0.170", "2001:db8:122:344::c000:aa",
     "2001:db8:122:344::c000:aa"},
    {"64:ff9b::/96", "192.0.0.171", "64:ff9b::c000:ab", "64:ff9b::c000:ab"},
    {"64:ff9b:1::/48", "192.0.0.170", "64:ff9b:1:c000:0:aa00::", "64:ff9b:1:c000:0:aa00::"},
    {"64:ff9b:1::/48", "192.0.0.171", "64:ff9b:1:c000:0:ab00::", "64:ff9b:1:c000:0:ab00::"},
};

} // namespace

TEST_CASE("RFC 6052 vectors embed and extract both ways", "[rfc6052]") {
    for (const Vector& v : kVectors) {
        INFO(v.prefix << " + " << v.v4);
        const Ipv6Prefix p = P(v.prefix);
        REQUIRE(validate_pref64(p));
        const Ipv6Addr got = embed_ipv4(p, A4(v.v4));
        CHECK(got == A6(v.v6));
        CHECK(got.str() == v.canonical);
        auto back = extract_ipv4(p, A6(v.v6));
        REQUIRE(back);
        CHECK(back->str() == v.v4);
    }
}

TEST_CASE("RFC 6052 §3.3: a /24 maps to a /96 block inside a /64 NSP", "[rfc6052]") {
    const Ipv6Prefix p = P("2001:db8:122:344::/64");
    const Ipv6Prefix block = P("2001:db8:122:344:c0:2::/96");
    for (uint32_t host = 0; host < 256; ++host) {
        const Ipv4Addr a = Ipv4Addr::from_host(0xc0000200u | host);
        CHECK(block.contains(embed_ipv4(p, a)));
    }
    CHECK(P("2001:db8:122:344:c0:2:2100::/104").contains(embed_ipv4(p, A4("192.0.2.33"))));
}

TEST_CASE("all six lengths round-trip and keep the u octet and suffix zero", "[rfc6052]") {
    const uint8_t lens[] = {32, 40, 48, 56, 64, 96};
    const Ipv6Addr base = A6("2001:db8:1122:3344:0:5566:7788:99aa");
    uint32_t seed = 12345;
    for (uint8_t len : lens) {
        const Ipv6Prefix p = Ipv6Prefix::make(base, len);
        REQUIRE(validate_pref64(p));
        for (int i = 0; i < 500; ++i) {
            seed = seed * 1103515245u + 12345u;
            const Ipv4Addr v4 = Ipv4Addr::from_host(seed ^ (seed >> 7));
            const Ipv6Addr e = embed_ipv4(p, v4);
            CHECK(p.contains(e));
            CHECK(e.bytes[8] == 0);
            // Everything after the last IPv4 octet is zero.
            const std::size_t end = len == 96 ? 16 : (len == 64 ? 13 : len / 8u + 5u);
            for (std::size_t b = end; b < 16; ++b) {
                CHECK(e.bytes[b] == 0);
            }
            auto back = extract_ipv4(p, e);
            REQUIRE(back);
            CHECK(*back == v4);
        }
    }
}

TEST_CASE("extraction ignores u octet and suffix, but checks the prefix", "[rfc6052]") {
    const Ipv6Prefix p40 = P("2001:db8:100::/40");
    auto r = extract_ipv4(p40, A6("2001:db8:1c0:2:ff21:ffff:ffff:ffff"));
    REQUIRE(r);
    CHECK(r->str() == "192.0.2.33");
    auto bad = extract_ipv4(p40, A6("2001:db8:200:c000:2:2100::"));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::invalid_argument);
    CHECK(bad.error().message.find("not inside") != std::string::npos);
    CHECK_FALSE(extract_ipv4(Ipv6Prefix{A6("2001:db8::"), 33}, A6("2001:db8::")));
}

TEST_CASE("invalid PREF64s are rejected with a reason", "[rfc6052]") {
    for (int len : {0, 8, 16, 24, 31, 33, 72, 80, 88, 95, 97, 104, 112, 120, 128}) {
        INFO(len);
        const Ipv6Prefix p = Ipv6Prefix::make(A6("2001:db8::"), static_cast<uint8_t>(len));
        auto s = validate_pref64(p);
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Errc::invalid_argument);
        CHECK(s.error().message.find("length") != std::string::npos);
    }
    auto u = validate_pref64(P("2001:db8:0:0:100::/96"));
    REQUIRE_FALSE(u);
    CHECK(u.error().message.find("u octet") != std::string::npos);
    CHECK(validate_pref64(P("2001:db8:0:0:ff::/96")));
    // Host bits set behind the struct's back (not via parse()).
    Ipv6Prefix hb = P("2001:db8::/32");
    hb.addr.bytes[10] = 1;
    auto h = validate_pref64(hb);
    REQUIRE_FALSE(h);
    CHECK(h.error().message.find("past the prefix length") != std::string::npos);
}

TEST_CASE("well-known and local-use prefixes are recognised", "[rfc6052]") {
    CHECK(is_well_known_prefix(P("64:ff9b::/96")));
    CHECK(well_known_prefix() == P("64:ff9b::/96"));
    CHECK_FALSE(is_well_known_prefix(P("64:ff9b::/64")));
    CHECK_FALSE(is_well_known_prefix(P("64:ff9b:1::/96")));
    CHECK_FALSE(is_well_known_prefix(P("2001:db8::/96")));
    CHECK(is_local_use_prefix(P("64:ff9b:1::/48")));
    CHECK(is_local_use_prefix(P("64:ff9b:1:fffe::/96")));
    CHECK(is_local_use_prefix(P("64:ff9b:1:abcd:0:5431::/96")));
    CHECK(is_local_use_prefix(P("64:ff9b:1:ffff::/64")));
    CHECK_FALSE(is_local_use_prefix(P("64:ff9b::/96")));
    CHECK_FALSE(is_local_use_prefix(P("64:ff9b:2::/48")));
    CHECK_FALSE(is_local_use_prefix(P("64:ff9b::/32")));
    CHECK_FALSE(is_local_use_prefix(P("64:ff9b::/47")));
}

TEST_CASE("globally reachable IPv4 follows the special-purpose registry", "[rfc6052]") {
    for (const char* a :
         {"0.0.0.0",        "0.1.2.3",        "10.1.2.3",    "100.64.0.1",     "100.127.255.255",
          "127.0.0.1",      "169.254.1.1",    "172.16.0.1",  "172.31.255.255", "192.0.0.1",
          "192.0.0.170",    "192.0.0.8",      "192.0.2.33",  "192.168.1.2",    "198.18.0.1",
          "198.19.255.255", "198.51.100.1",   "203.0.113.9", "224.0.0.1",      "239.255.255.255",
          "240.0.0.1",      "255.255.255.255"}) {
        INFO(a);
        CHECK_FALSE(ipv4_is_global(A4(a)));
    }
    for (const char* a :
         {"1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
          "192.0.0.9", "192.0.0.10", "192.0.1.1", "192.88.99.1", "192.167.255.255", "192.169.0.0",
          "198.17.255.255", "198.20.0.0", "223.255.255.255"}) {
        INFO(a);
        CHECK(ipv4_is_global(A4(a)));
    }
}

TEST_CASE("RFC 6052 §3.1: no non-global IPv4 behind the well-known prefix", "[rfc6052]") {
    const Ipv6Prefix wkp = P("64:ff9b::/96");
    const Ipv6Prefix nsp = P("2001:db8:64::/96");
    const Ipv6Prefix local = P("64:ff9b:1::/48");
    CHECK(may_translate(wkp, A4("8.8.8.8"), false));
    CHECK_FALSE(may_translate(wkp, A4("192.168.1.2"), false));
    CHECK_FALSE(may_translate(wkp, A4("10.0.0.1"), false));
    CHECK(may_translate(wkp, A4("192.168.1.2"), true));
    CHECK(may_translate(nsp, A4("192.168.1.2"), false));
    CHECK(may_translate(local, A4("10.0.0.1"), false)); // RFC 8215 §5
}

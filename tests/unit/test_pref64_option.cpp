// SPDX-License-Identifier: GPL-2.0-or-later
#include "literals.hpp"
#include "pref64/pref64_option.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace colatrl;
using namespace colatrl::test;
using std::chrono::seconds;

namespace {
using Bytes = std::vector<uint8_t>;

std::string reason(const Bytes& b) {
    auto r = parse_pref64_option(b);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::parse);
    return r.error().message;
}
bool has(const std::string& s, const char* what) {
    return s.find(what) != std::string::npos;
}
} // namespace

TEST_CASE("clat-node.md §4.2 vectors parse and build", "[pref64]") {
    struct V {
        const char* prefix;
        long secs;
        Bytes bytes;
    };
    const V vectors[] = {
        {"64:ff9b::/96",
         1800,
         {0x26, 0x02, 0x07, 0x08, 0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}},
        {"2001:db8:100::/40",
         600,
         {0x26, 0x02, 0x02, 0x5c, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0, 0, 0, 0, 0, 0, 0}},
        {"2001:db8:122:344::/64",
         65528,
         {0x26, 0x02, 0xff, 0xf9, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0x44, 0, 0, 0, 0}},
    };
    for (const V& v : vectors) {
        INFO(v.prefix);
        auto r = parse_pref64_option(v.bytes);
        REQUIRE(r);
        CHECK(r->prefix == P(v.prefix));
        CHECK(r->lifetime == seconds{v.secs});
        const auto built = build_pref64_option(P(v.prefix), seconds{v.secs});
        CHECK(Bytes(built.begin(), built.end()) == v.bytes);
    }
}

TEST_CASE("every prefix length code round-trips", "[pref64]") {
    for (const char* p :
         {"2001:db8::/32", "2001:db8:100::/40", "2001:db8:122::/48", "2001:db8:122:300::/56",
          "2001:db8:122:344::/64", "2001:db8:122:344::/96", "64:ff9b:1:fffe::/96"}) {
        INFO(p);
        const auto b = build_pref64_option(P(p), seconds{3600});
        auto r = parse_pref64_option(b);
        REQUIRE(r);
        CHECK(r->prefix == P(p));
        CHECK(r->lifetime == seconds{3600});
    }
}

TEST_CASE("lifetime is scaled by 8, rounded up and capped", "[pref64]") {
    const Ipv6Prefix wkp = P("64:ff9b::/96");
    const auto lt = [&](long s) {
        return parse_pref64_option(build_pref64_option(wkp, seconds{s}))->lifetime.count();
    };
    CHECK(lt(0) == 0);
    CHECK(lt(1) == 8);
    CHECK(lt(8) == 8);
    CHECK(lt(9) == 16);
    CHECK(lt(65527) == 65528);
    CHECK(lt(65528) == 65528);
    CHECK(lt(1000000) == 65528);
    CHECK(lt(-5) == 0);
    Bytes zero = {0x26, 0x02, 0x00, 0x00, 0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    auto r = parse_pref64_option(zero);
    REQUIRE(r);
    CHECK(r->lifetime == seconds{0}); // withdrawal is still a valid option
}

TEST_CASE("bits past the prefix length are masked", "[pref64]") {
    // PLC 5 (/32) with junk in the rest of the 96-bit field.
    Bytes b = {0x26, 0x02, 0x00, 0x0d, 0x20, 0x01, 0x0d, 0xb8, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4};
    auto r = parse_pref64_option(b);
    REQUIRE(r);
    CHECK(r->prefix == P("2001:db8::/32"));
    CHECK(r->lifetime == seconds{8});
    // PLC 1 (/64): the u octet lies past the prefix, so it is masked, not rejected.
    Bytes c = {0x26, 0x02, 0x00, 0x09, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0xff, 0, 0, 0};
    auto rc = parse_pref64_option(c);
    REQUIRE(rc);
    CHECK(rc->prefix == P("2001:db8:0:1::/64"));
}

TEST_CASE("malformed options are rejected with a reason", "[pref64]") {
    const Bytes good = {0x26, 0x02, 0x07, 0x08, 0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    REQUIRE(parse_pref64_option(good));

    CHECK(has(reason({}), "truncated"));
    CHECK(has(reason({0x26}), "truncated"));
    CHECK(has(reason(Bytes(good.begin(), good.begin() + 8)), "truncated"));
    CHECK(has(reason(Bytes(good.begin(), good.end() - 1)), "truncated"));

    Bytes longer = good;
    longer.push_back(0);
    CHECK(has(reason(longer), "Length says 16"));

    Bytes type = good;
    type[0] = 3;
    CHECK(has(reason(type), "type 3"));

    for (int l : {0, 1, 3, 255}) {
        Bytes b = good;
        b[1] = static_cast<uint8_t>(l);
        INFO(l);
        CHECK(has(reason(b), "must be 2"));
    }
    Bytes len1 = {0x26, 0x01, 0x07, 0x08, 0, 0, 0, 0};
    CHECK(has(reason(len1), "must be 2"));

    for (int plc : {6, 7}) {
        Bytes b = good;
        b[3] = static_cast<uint8_t>((b[3] & 0xf8) | plc);
        INFO(plc);
        CHECK(has(reason(b), "prefix length code"));
    }

    // /96 with a non-zero u octet (bits 64-71): not an RFC 6052 prefix.
    Bytes u = good;
    u[12] = 0x01;
    CHECK(has(reason(u), "u octet"));
}

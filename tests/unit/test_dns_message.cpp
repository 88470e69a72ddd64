// SPDX-License-Identifier: GPL-2.0-or-later
// The DNS messages of RFC 7050 discovery: the AAAA query and the parser of its answer.
#include "dns64/dns_message.hpp"

#include <catch2/catch.hpp>

using namespace colatrl;

namespace {

void put16(std::vector<uint8_t>& v, uint16_t x) {
    v.push_back(static_cast<uint8_t>(x >> 8));
    v.push_back(static_cast<uint8_t>(x));
}
void put32(std::vector<uint8_t>& v, uint32_t x) {
    put16(v, static_cast<uint16_t>(x >> 16));
    put16(v, static_cast<uint16_t>(x));
}

// A response: the query's question, then answer / authority records.
std::vector<uint8_t> response(uint16_t id, uint16_t flags, std::vector<uint8_t> answers,
                              uint16_t an, std::vector<uint8_t> auth, uint16_t ns) {
    auto q = build_aaaa_query(id, "ipv4only.arpa");
    std::vector<uint8_t> m(q.begin(), q.begin() + 2);
    put16(m, flags);
    put16(m, 1);
    put16(m, an);
    put16(m, ns);
    put16(m, 0);
    m.insert(m.end(), q.begin() + 12, q.end());
    m.insert(m.end(), answers.begin(), answers.end());
    m.insert(m.end(), auth.begin(), auth.end());
    return m;
}

std::vector<uint8_t> aaaa_rr(const char* addr, uint32_t ttl) {
    std::vector<uint8_t> r{0xc0, 12}; // pointer to the question name
    put16(r, 28);
    put16(r, 1);
    put32(r, ttl);
    put16(r, 16);
    auto a = *Ipv6Addr::parse(addr);
    r.insert(r.end(), a.bytes.begin(), a.bytes.end());
    return r;
}

} // namespace

TEST_CASE("AAAA query for ipv4only.arpa: RD set, CD clear, one question", "[dns64]") {
    auto q = build_aaaa_query(0x1234, "ipv4only.arpa");
    const std::vector<uint8_t> want{0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0,   0,   0,
                                    0,    8,    'i',  'p',  'v', '4', 'o', 'n', 'l', 'y', 4,
                                    'a',  'r',  'p',  'a',  0,   0,   28,  0,   1};
    CHECK(q == want);
}

TEST_CASE("positive answer: all AAAA in order, smallest TTL", "[dns64]") {
    auto ans = aaaa_rr("2001:db8:6464::c000:aa", 600);
    auto second = aaaa_rr("2001:db8:6464::c000:ab", 300);
    ans.insert(ans.end(), second.begin(), second.end());
    auto m = response(7, 0x8180, ans, 2, {}, 0);
    auto r = parse_aaaa_response(m, 7, "ipv4only.arpa");
    REQUIRE(r);
    CHECK(r->rcode == 0);
    REQUIRE(r->aaaa.size() == 2);
    CHECK(r->aaaa[0] == *Ipv6Addr::parse("2001:db8:6464::c000:aa"));
    CHECK(r->ttl == 300);
    CHECK_FALSE(r->negative_ttl);
    // Case and trailing dot of the name do not matter.
    CHECK(parse_aaaa_response(m, 7, "IPv4only.ARPA."));
}

TEST_CASE("negative answer: SOA minimum gives the negative TTL", "[dns64]") {
    std::vector<uint8_t> soa{0xc0, 21}; // "arpa" inside the question name
    put16(soa, 6);
    put16(soa, 1);
    put32(soa, 900);
    std::vector<uint8_t> rdata{1, 'a', 0, 1, 'b', 0};
    for (uint32_t v : {1u, 2u, 3u, 4u, 120u}) {
        put32(rdata, v);
    }
    put16(soa, static_cast<uint16_t>(rdata.size()));
    soa.insert(soa.end(), rdata.begin(), rdata.end());
    auto m = response(9, 0x8183, {}, 0, soa, 1);
    auto r = parse_aaaa_response(m, 9, "ipv4only.arpa");
    REQUIRE(r);
    CHECK(r->rcode == 3);
    CHECK(r->aaaa.empty());
    REQUIRE(r->negative_ttl);
    CHECK(*r->negative_ttl == 120);
}

TEST_CASE("responses that are not ours or malformed are refused", "[dns64]") {
    auto m = response(7, 0x8180, aaaa_rr("2001:db8::c000:aa", 60), 1, {}, 0);
    CHECK_FALSE(parse_aaaa_response(m, 8, "ipv4only.arpa")); // other id
    CHECK_FALSE(parse_aaaa_response(m, 7, "example.org"));   // other question
    auto query = build_aaaa_query(7, "ipv4only.arpa");       // not a response
    CHECK_FALSE(parse_aaaa_response(query, 7, "ipv4only.arpa"));
    auto tc = response(7, 0x8380, {}, 0, {}, 0); // truncated
    CHECK_FALSE(parse_aaaa_response(tc, 7, "ipv4only.arpa"));
    for (size_t cut : {size_t{5}, size_t{20}, m.size() - 3}) {
        std::vector<uint8_t> shorter(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(cut));
        CHECK_FALSE(parse_aaaa_response(shorter, 7, "ipv4only.arpa"));
    }
    // A compression pointer loop does not hang.
    auto loop = m;
    loop[loop.size() - 28] = 0xc0;
    loop[loop.size() - 27] = static_cast<uint8_t>(loop.size() - 28);
    (void)parse_aaaa_response(loop, 7, "ipv4only.arpa");
    SUCCEED("no hang");
}

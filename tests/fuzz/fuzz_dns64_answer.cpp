// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: a UDP answer to the RFC 7050 query for ipv4only.arpa AAAA, through
// the DNS parser (lib/dns64/dns_message.hpp) and PREF64 discovery
// (lib/pref64/dns64_discovery.hpp), as Dns64Resolver handles what a nameserver sends.
#include "dns64/dns_message.hpp"
#include "fuzz_check.hpp"
#include "inet/rfc6052.hpp"
#include "pref64/dns64_discovery.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

using namespace colatrl;
using colatrl::fuzz::require;

namespace {

constexpr std::string_view kName = "ipv4only.arpa";
// Smallest AAAA record: a 2-byte compression pointer as owner, type, class, TTL,
// RDLENGTH (10 bytes), 16 bytes of address.
constexpr std::size_t kMinAaaaRecord = 2 + 10 + 16;

bool embeds_wka(const Ipv6Prefix& p, const Ipv6Addr& a) {
    auto v4 = extract_ipv4(p, a);
    return v4 && (*v4 == kWellKnownIpv4Primary || *v4 == kWellKnownIpv4Secondary);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const uint8_t> msg(data, size);
    // The message's own ID stands for the one we sent, so every input reaches past the
    // ID check (answers with another ID are refused first thing; the unit test covers it).
    const uint16_t id = size >= 2 ? static_cast<uint16_t>((data[0] << 8) | data[1]) : 0;
    auto ans = parse_aaaa_response(msg, id, kName);
    if (!ans) {
        require(ans.error().code == Errc::parse, "a refused answer is Errc::parse");
        return 0;
    }
    require(ans->rcode <= 15, "RCODE is 4 bits");
    require(ans->aaaa.size() * kMinAaaaRecord <= size, "every AAAA came from its own bytes");
    require(!ans->aaaa.empty() || ans->ttl == 0, "no TTL without an AAAA record");

    auto prefixes = discover_pref64(ans->aaaa);
    if (!prefixes) {
        require(prefixes.error().code == Errc::not_found, "no PREF64 is Errc::not_found");
        return 0;
    }
    require(!prefixes->empty(), "success means at least one prefix");
    for (std::size_t i = 0; i < prefixes->size(); ++i) {
        const Ipv6Prefix& p = (*prefixes)[i];
        require(validate_pref64(p).ok(), "a discovered prefix is a valid RFC 6052 PREF64");
        require(std::any_of(ans->aaaa.begin(), ans->aaaa.end(),
                            [&](const Ipv6Addr& a) { return embeds_wka(p, a); }),
                "a discovered prefix embeds 192.0.0.170 or .171 in one of the answers");
        require(std::find(prefixes->begin() + static_cast<std::ptrdiff_t>(i) + 1, prefixes->end(),
                          p) == prefixes->end(),
                "discovered prefixes are distinct");
    }
    return 0;
}

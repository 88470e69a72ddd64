// SPDX-License-Identifier: GPL-2.0-or-later
#include "pref64/dns64_discovery.hpp"

#include "inet/rfc6052.hpp"

#include <algorithm>
#include <optional>
#include <string>

namespace colatrl {

namespace {

constexpr uint8_t kLengths[] = {32, 40, 48, 56, 64, 96};

// The prefix under which addr embeds wka at exactly one RFC 6052 position; nullopt when it
// appears nowhere or at more than one position (RFC 7050 §3 asks for a unique match).
std::optional<Ipv6Prefix> unique_match(const Ipv6Addr& addr, Ipv4Addr wka) {
    std::optional<Ipv6Prefix> found;
    int matches = 0;
    for (uint8_t len : kLengths) {
        const Ipv6Prefix p = Ipv6Prefix::make(addr, len);
        auto v4 = extract_ipv4(p, addr);
        if (v4 && *v4 == wka) {
            ++matches;
            found = p;
        }
    }
    if (matches != 1) {
        return std::nullopt;
    }
    return found;
}

} // namespace

Result<std::vector<Ipv6Prefix>> discover_pref64(std::span<const Ipv6Addr> aaaa) {
    if (aaaa.empty()) {
        return make_error(Errc::not_found, "DNS64 discovery: no AAAA records for ipv4only.arpa");
    }
    std::vector<Ipv6Prefix> out;
    for (const Ipv6Addr& a : aaaa) {
        auto p = unique_match(a, kWellKnownIpv4Primary);
        if (!p) {
            p = unique_match(a, kWellKnownIpv4Secondary);
        }
        if (!p || !validate_pref64(*p)) {
            continue; // not a synthesized answer (or a non-standard one): skip it
        }
        if (std::find(out.begin(), out.end(), *p) == out.end()) {
            out.push_back(*p);
        }
    }
    if (out.empty()) {
        return make_error(Errc::not_found,
                          "DNS64 discovery: none of the " + std::to_string(aaaa.size()) +
                              " AAAA records embeds 192.0.0.170 or 192.0.0.171 at exactly one "
                              "RFC 6052 position");
    }
    return out;
}

} // namespace colatrl

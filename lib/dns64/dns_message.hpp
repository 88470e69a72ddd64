// SPDX-License-Identifier: GPL-2.0-or-later
// The DNS messages of RFC 7050 discovery: the AAAA query for ipv4only.arpa and
// the parser of its answer (untrusted input from the network). Pure logic; the
// event-loop client that sends and receives them is dns64/dns64_resolver.hpp.
#pragma once

#include "base/result.hpp"
#include "inet/ip.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace colatrl {

// A DNS query message for `name` (dotted, no trailing dot needed), type AAAA,
// class IN, RD set, CD clear.
std::vector<uint8_t> build_aaaa_query(uint16_t id, std::string_view name);

struct DnsAaaaAnswer {
    uint8_t rcode = 0;                    // 0 NOERROR, 3 NXDOMAIN, ...
    std::vector<Ipv6Addr> aaaa;           // in the order received
    uint32_t ttl = 0;                     // smallest TTL of the AAAA records
    std::optional<uint32_t> negative_ttl; // min(SOA TTL, SOA MINIMUM) when given
};

// Parses a response to build_aaaa_query(id, name). Errc::parse for anything
// malformed, for another id, or for a question that is not ours.
Result<DnsAaaaAnswer> parse_aaaa_response(std::span<const uint8_t> msg, uint16_t id,
                                          std::string_view name);

} // namespace colatrl

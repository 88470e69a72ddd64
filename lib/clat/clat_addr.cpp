// SPDX-License-Identifier: GPL-2.0-or-later
#include "clat/clat_addr.hpp"

#include "clat/siphash.hpp"
#include "inet/checksum.hpp"
#include "inet/rfc6052.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace colatrl {

namespace {

bool neutral_length(uint8_t len) {
    return len == 32 || len == 96;
}

uint16_t ones_sum_of(const Ipv6Addr& a) {
    return ones_sum(a.bytes);
}

// Message for the keyed hash. Every field has a fixed size, so distinct inputs can never
// produce the same byte string.
std::vector<uint8_t> hash_input(const Ipv6Prefix& uplink, const Ipv6Prefix& pref64, Ipv4Addr v4,
                                uint32_t dad_counter, uint32_t attempt) {
    std::vector<uint8_t> m;
    m.reserve(8 + 16 + 1 + 4 + 4 + 4);
    m.insert(m.end(), uplink.addr.bytes.begin(), uplink.addr.bytes.begin() + 8);
    m.insert(m.end(), pref64.addr.bytes.begin(), pref64.addr.bytes.end());
    m.push_back(pref64.len);
    m.insert(m.end(), v4.bytes.begin(), v4.bytes.end());
    for (uint32_t v : {dad_counter, attempt}) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            m.push_back(static_cast<uint8_t>(v >> shift));
        }
    }
    return m;
}

} // namespace

bool is_reserved_iid(std::span<const uint8_t, 8> iid) {
    if (std::all_of(iid.begin(), iid.end(), [](uint8_t b) { return b == 0; })) {
        return true; // subnet-router anycast (RFC 4291 §2.6.1)
    }
    // 0200:5eff:fe00:0000 - 0200:5eff:feff:ffff
    if (iid[0] == 0x02 && iid[1] == 0x00 && iid[2] == 0x5e && iid[3] == 0xff && iid[4] == 0xfe) {
        return true;
    }
    // fdff:ffff:ffff:ff80 - fdff:ffff:ffff:ffff
    return iid[0] == 0xfd &&
           std::all_of(iid.begin() + 1, iid.begin() + 7, [](uint8_t b) { return b == 0xff; }) &&
           iid[7] >= 0x80;
}

bool is_checksum_neutral(const Ipv6Addr& clat6, const Ipv6Prefix& pref64, Ipv4Addr clat4) {
    if (!neutral_length(pref64.len)) {
        return false;
    }
    const uint16_t lhs = ones_add(ones_sum_of(clat6), ones_sum_of(pref64.addr));
    return ones_equal(lhs, ones_sum(clat4.bytes));
}

std::optional<Ipv6Addr> clat_ipv6_candidate(const Ipv6Prefix& uplink_prefix,
                                            const Ipv6Prefix& pref64, Ipv4Addr clat_v4,
                                            uint64_t hash) {
    Ipv6Addr a = uplink_prefix.addr;
    for (int i = 0; i < 8; ++i) {
        a.bytes[8 + i] = static_cast<uint8_t>(hash >> (56 - 8 * i));
    }
    if (neutral_length(pref64.len)) {
        // Choose the last word w so that sum(words 0..6) + w + sum(PREF64) == sum(IPv4):
        // then the pseudo-header sums before and after translation agree for every
        // destination, since the destination's IPv4 words land on 16-bit boundaries.
        a.bytes[14] = 0;
        a.bytes[15] = 0;
        const uint16_t rest = ones_add(ones_sum_of(a), ones_sum_of(pref64.addr));
        const uint16_t w = ones_sub(ones_sum(clat_v4.bytes), rest);
        a.bytes[14] = static_cast<uint8_t>(w >> 8);
        a.bytes[15] = static_cast<uint8_t>(w);
    }
    if (is_reserved_iid(std::span<const uint8_t, 8>(a.bytes.data() + 8, 8))) {
        return std::nullopt;
    }
    return a;
}

Result<Ipv6Addr> derive_clat_ipv6(const Ipv6Prefix& uplink_prefix, const Ipv6Prefix& pref64,
                                  Ipv4Addr clat_v4, std::span<const uint8_t> secret,
                                  uint32_t dad_counter) {
    if (uplink_prefix.len != 64) {
        return make_error(Errc::invalid_argument,
                          "uplink prefix " + uplink_prefix.str() +
                              " is not a /64; cannot form an interface identifier");
    }
    if (auto v = validate_pref64(pref64); !v) {
        return std::move(v).error();
    }
    if (secret.size() != kClatSecretSize) {
        return make_error(Errc::invalid_argument,
                          "CLAT address secret must be " + std::to_string(kClatSecretSize) +
                              " bytes, got " + std::to_string(secret.size()));
    }
    SipKey key{};
    std::copy(secret.begin(), secret.end(), key.begin());
    const Ipv6Prefix uplink = Ipv6Prefix::make(uplink_prefix.addr, 64);
    // A reserved IID has probability about 2^-40 per attempt; 16 attempts are plenty.
    for (uint32_t attempt = 0; attempt < 16; ++attempt) {
        const uint64_t h =
            siphash24(key, hash_input(uplink, pref64, clat_v4, dad_counter, attempt));
        if (auto a = clat_ipv6_candidate(uplink, pref64, clat_v4, h)) {
            return *a;
        }
    }
    return make_error(Errc::conflict, "no usable interface identifier found");
}

} // namespace colatrl

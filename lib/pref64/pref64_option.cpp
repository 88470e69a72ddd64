// SPDX-License-Identifier: GPL-2.0-or-later
#include "pref64/pref64_option.hpp"

#include "inet/rfc6052.hpp"

#include <cassert>
#include <string>

namespace colatrl {

namespace {

constexpr std::size_t kOptionSize = 16; // Length 2 * 8 octets

// RFC 8781 §4 Prefix Length Code -> prefix length; 0 for the invalid codes 6 and 7.
constexpr uint8_t kPlcToLength[8] = {96, 64, 56, 48, 40, 32, 0, 0};

Error reject(const std::string& why) {
    return make_error(Errc::parse, "PREF64 option: " + why);
}

} // namespace

Result<Pref64Option> parse_pref64_option(std::span<const uint8_t> option) {
    if (option.size() < 2) {
        return reject("truncated: " + std::to_string(option.size()) + " bytes");
    }
    if (option[0] != kNdOptPref64) {
        return reject("type " + std::to_string(option[0]) + ", expected 38");
    }
    if (option[1] != 2) {
        return reject("length " + std::to_string(option[1]) + " (units of 8 octets), must be 2");
    }
    if (option.size() < kOptionSize) {
        return reject("truncated: " + std::to_string(option.size()) + " of 16 bytes");
    }
    if (option.size() > kOptionSize) {
        return reject(std::to_string(option.size()) + " bytes given, but Length says 16");
    }
    const auto word = static_cast<uint16_t>((option[2] << 8) | option[3]);
    const unsigned plc = word & 7u;
    const uint8_t len = kPlcToLength[plc];
    if (len == 0) {
        return reject("prefix length code " + std::to_string(plc) + " is invalid");
    }
    Ipv6Addr addr;
    for (std::size_t i = 0; i < 12; ++i) {
        addr.bytes[i] = option[4 + i];
    }
    // Bits past the prefix length carry no meaning (RFC 8781 leaves them undefined).
    const Ipv6Prefix prefix = Ipv6Prefix::make(addr, len);
    if (auto v = validate_pref64(prefix); !v) {
        return reject(v.error().message);
    }
    return Pref64Option{prefix, std::chrono::seconds{(word >> 3) * 8}};
}

std::array<uint8_t, 16> build_pref64_option(const Ipv6Prefix& prefix,
                                            std::chrono::seconds lifetime) {
    uint16_t plc = 0;
    switch (prefix.len) {
    case 96:
        plc = 0;
        break;
    case 64:
        plc = 1;
        break;
    case 56:
        plc = 2;
        break;
    case 48:
        plc = 3;
        break;
    case 40:
        plc = 4;
        break;
    case 32:
        plc = 5;
        break;
    default:
        assert(false && "build_pref64_option: invalid prefix length");
        break;
    }
    long long secs = lifetime.count();
    if (secs < 0) {
        secs = 0;
    }
    if (secs > kPref64MaxLifetime.count()) {
        secs = kPref64MaxLifetime.count();
    }
    const auto scaled = static_cast<uint16_t>((secs + 7) / 8); // round up (RFC 8781 §4.1)
    const auto word = static_cast<uint16_t>((scaled << 3) | plc);
    const Ipv6Prefix masked = Ipv6Prefix::make(prefix.addr, prefix.len);
    std::array<uint8_t, 16> out{};
    out[0] = kNdOptPref64;
    out[1] = 2;
    out[2] = static_cast<uint8_t>(word >> 8);
    out[3] = static_cast<uint8_t>(word);
    for (std::size_t i = 0; i < 12; ++i) {
        out[4 + i] = masked.addr.bytes[i];
    }
    return out;
}

} // namespace colatrl

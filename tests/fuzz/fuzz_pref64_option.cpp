// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the RFC 8781 PREF64 RA option (lib/pref64/pref64_option.hpp), the
// bytes of one option from its Type byte as they arrive in RTM_NEWNDUSEROPT.
#include "fuzz_check.hpp"
#include "inet/rfc6052.hpp"
#include "pref64/pref64_option.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

using namespace colatrl;
using colatrl::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const uint8_t> in(data, size);
    auto opt = parse_pref64_option(in);
    if (!opt) {
        require(opt.error().code == Errc::parse, "a rejection is Errc::parse");
        require(!opt.error().message.empty(), "a rejection says why");
        return 0;
    }
    require(size == 16, "only a 16-byte option is accepted");
    require(validate_pref64(opt->prefix).ok(), "an accepted prefix is a valid RFC 6052 PREF64");
    require(opt->lifetime.count() % 8 == 0 && opt->lifetime <= kPref64MaxLifetime,
            "lifetime is a multiple of 8 s, at most 65528 s");

    // Re-encoding gives the input back, except the bits past the prefix length, which carry
    // no meaning and are sent as zero.
    std::array<uint8_t, 16> want{};
    for (std::size_t i = 0; i < want.size(); ++i) {
        want[i] = data[i];
    }
    for (unsigned bit = opt->prefix.len; bit < 96; ++bit) {
        want[4 + bit / 8] = static_cast<uint8_t>(want[4 + bit / 8] & ~(0x80u >> (bit % 8)));
    }
    const auto built = build_pref64_option(opt->prefix, opt->lifetime);
    require(built == want, "build(parse(x)) == x with the bits past the prefix cleared");
    auto again = parse_pref64_option(built);
    require(again.ok() && *again == *opt, "parse(build(parse(x))) == parse(x)");
    return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
#include "clat/siphash.hpp"

#include <bit>
#include <cstddef>

namespace colatrl {

namespace {

uint64_t load_le64(std::span<const uint8_t> p) {
    uint64_t v = 0;
    for (std::size_t i = 0; i < p.size() && i < 8; ++i) {
        v |= uint64_t{p[i]} << (8 * i);
    }
    return v;
}

struct SipState {
    uint64_t v0, v1, v2, v3;

    void round() {
        v0 += v1;
        v1 = std::rotl(v1, 13);
        v1 ^= v0;
        v0 = std::rotl(v0, 32);
        v2 += v3;
        v3 = std::rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = std::rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = std::rotl(v1, 17);
        v1 ^= v2;
        v2 = std::rotl(v2, 32);
    }

    // c = 2 compression rounds per message word.
    void absorb(uint64_t m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

} // namespace

uint64_t siphash24(const SipKey& key, std::span<const uint8_t> message) {
    const uint64_t k0 = load_le64(std::span(key).first(8));
    const uint64_t k1 = load_le64(std::span(key).subspan(8));
    // Initialisation constants from the paper ("somepseudorandomlygeneratedbytes").
    SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
               k1 ^ 0x7465646279746573ULL};

    const std::size_t full = message.size() / 8 * 8;
    for (std::size_t i = 0; i < full; i += 8) {
        s.absorb(load_le64(message.subspan(i, 8)));
    }
    // Last word: remaining bytes, and the message length mod 256 in the top byte.
    uint64_t last = load_le64(message.subspan(full));
    last |= uint64_t{static_cast<uint8_t>(message.size())} << 56;
    s.absorb(last);

    // d = 4 finalisation rounds.
    s.v2 ^= 0xff;
    for (int i = 0; i < 4; ++i) {
        s.round();
    }
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

} // namespace colatrl

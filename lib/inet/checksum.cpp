// SPDX-License-Identifier: GPL-2.0-or-later
#include "inet/checksum.hpp"

#include <cstddef>

namespace colatrl {

uint32_t ones_accumulate(std::span<const uint8_t> data, uint32_t acc) {
    std::size_t i = 0;
    for (; i + 1 < data.size(); i += 2) {
        acc += (uint32_t{data[i]} << 8) | uint32_t{data[i + 1]};
    }
    if (i < data.size()) {
        acc += uint32_t{data[i]} << 8;
    }
    return acc;
}

uint16_t ones_fold(uint32_t acc) {
    while (acc > 0xffff) {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    return static_cast<uint16_t>(acc);
}

uint16_t ones_sum(std::span<const uint8_t> data) {
    return ones_fold(ones_accumulate(data));
}

uint16_t ones_add(uint16_t a, uint16_t b) {
    return ones_fold(uint32_t{a} + uint32_t{b});
}

uint16_t ones_sub(uint16_t a, uint16_t b) {
    return ones_add(a, static_cast<uint16_t>(~b));
}

bool ones_equal(uint16_t a, uint16_t b) {
    const auto norm = [](uint16_t v) {
        return v == 0xffff ? uint16_t{0} : v;
    };
    return norm(a) == norm(b);
}

} // namespace colatrl

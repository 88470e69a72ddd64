// SPDX-License-Identifier: GPL-2.0-or-later
// One's-complement (RFC 1071) sum helpers for library code: precomputing address sums for
// the datapath config and checking checksum neutrality. All values are in host order.
#pragma once

#include <cstdint>
#include <span>

namespace colatrl {

// Sum of the big-endian 16-bit words of data (an odd trailing byte is padded with zero),
// added to acc without folding. Safe for inputs up to 64 KiB per call.
uint32_t ones_accumulate(std::span<const uint8_t> data, uint32_t acc = 0);

// Fold carries back in until the value fits 16 bits.
uint16_t ones_fold(uint32_t acc);

// Folded one's-complement sum of data.
uint16_t ones_sum(std::span<const uint8_t> data);

uint16_t ones_add(uint16_t a, uint16_t b);
uint16_t ones_sub(uint16_t a, uint16_t b); // a + (~b)

// In one's complement 0x0000 and 0xffff are both zero; compare values modulo 0xffff.
bool ones_equal(uint16_t a, uint16_t b);

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012), written
// from the paper: a keyed 64-bit PRF, used for RFC 7217-style interface identifiers.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace colatrl {

using SipKey = std::array<uint8_t, 16>;

// The 64-bit output; the paper's byte order is little-endian (out[0] = low byte).
uint64_t siphash24(const SipKey& key, std::span<const uint8_t> message);

} // namespace colatrl

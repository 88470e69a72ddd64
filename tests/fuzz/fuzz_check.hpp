// SPDX-License-Identifier: GPL-2.0-or-later
// Invariants of the fuzz targets beyond "no crash": a broken one aborts, so libFuzzer
// saves the input as a crash artifact like any sanitizer finding.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace colatrl::fuzz {

inline void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
        std::abort();
    }
}

} // namespace colatrl::fuzz

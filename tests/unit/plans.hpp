// SPDX-License-Identifier: GPL-2.0-or-later
// Desired states for unit tests, from link plans.
#pragma once

#include "model/derive.hpp"

#include <initializer_list>

namespace colatrl::test {

inline DesiredState state(std::initializer_list<LinkPlan> plans) {
    DesiredState d;
    for (const auto& p : plans) {
        d.links[p.ifindex] = p;
    }
    return d;
}

} // namespace colatrl::test

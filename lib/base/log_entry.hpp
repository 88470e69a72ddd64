// SPDX-License-Identifier: GPL-2.0-or-later
// What a log line is, for the pure logic that produces them (the applier's
// events, the derivation's change lines) and for lib/sys/log.hpp that writes
// them: a typed level (the syslog priorities sd-daemon(3) and journald use),
// the interface it concerns and extra journal fields.
#pragma once

#include <string>
#include <vector>

namespace colatrl::log {

enum class Level : int { err = 3, warning = 4, notice = 5, info = 6, debug = 7 };
inline constexpr Level err = Level::err;
inline constexpr Level warning = Level::warning;
inline constexpr Level notice = Level::notice;
inline constexpr Level info = Level::info;
inline constexpr Level debug = Level::debug;

constexpr int priority(Level l) noexcept {
    return static_cast<int>(l);
}

// One extra journal field NAME=value; NAME is upper case letters, digits and
// '_' and does not start with '_' (journald's rule for fields of clients).
struct Field {
    std::string name;
    std::string value;
    bool operator==(const Field&) const = default;
};

struct Entry {
    Level level = Level::debug;
    std::string ifname; // INTERFACE= and the "IF: " prefix; empty = none
    std::string message;
    std::vector<Field> fields;
    bool operator==(const Entry&) const = default;
};

} // namespace colatrl::log

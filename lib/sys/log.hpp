// SPDX-License-Identifier: GPL-2.0-or-later
// colatrld's log: one readable line per event. Under journald (JOURNAL_STREAM
// names our stderr) lines go through sd_journal_send with PRIORITY= and, for
// per-link events, INTERFACE=; otherwise to stderr with the "<N>" level
// prefix that sd-daemon(3) and journald understand.
#pragma once

#include <string>
#include <string_view>

namespace colatrl::log {

enum Priority : int { err = 3, warning = 4, notice = 5, info = 6, debug = 7 };

// Reads JOURNAL_STREAM once; max_priority filters (debug shows everything).
void init(int max_priority);
bool enabled(int priority);
// ifname may be empty (no INTERFACE= field, no "IF: " prefix).
void write(int priority, std::string_view ifname, std::string_view message);

// "<N>text" as written to stderr (exposed for tests).
std::string stderr_line(int priority, std::string_view ifname, std::string_view message);

} // namespace colatrl::log

// SPDX-License-Identifier: GPL-2.0-or-later
// colatrld's log: one readable line per event. Under journald (JOURNAL_STREAM
// names our stderr) lines go through sd_journal_sendv with PRIORITY=, for
// per-link events INTERFACE=, and any extra fields of the entry; otherwise to
// stderr with the "<N>" level prefix that sd-daemon(3) and journald
// understand (extra fields are then not shown).
#pragma once

#include "base/log_entry.hpp"

#include <span>
#include <string>
#include <string_view>

namespace colatrl::log {

// Reads JOURNAL_STREAM once; `max` filters (debug shows everything).
void init(Level max);
bool enabled(Level level);
// ifname may be empty (no INTERFACE= field, no "IF: " prefix).
void write(Level level, std::string_view ifname, std::string_view message,
           std::span<const Field> fields = {});
void write(const Entry& entry);

// "<N>IF: text\n" as written to stderr (exposed for tests).
std::string stderr_line(Level level, std::string_view ifname, std::string_view message);

} // namespace colatrl::log

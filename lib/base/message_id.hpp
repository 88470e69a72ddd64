// SPDX-License-Identifier: GPL-2.0-or-later
// The MESSAGE_ID= of each kind of event colatrld logs, and the names of its
// own structured journal fields. The ids are fixed random 128-bit values (as
// journald expects); docs/journal.md lists them with their meaning, so
// `journalctl MESSAGE_ID=...` finds one kind of event across versions. Never
// change or reuse an id; a new kind of event gets a new one.
#pragma once

#include <string_view>

namespace colatrl::msgid {

// The CLAT came on, or its addresses, PREF64, gateway or MTU changed.
inline constexpr std::string_view clat_on = "3b8fa69e81e448a0b70e7a84c4386636";
// The CLAT is off on a link (COLATRL_OFF_REASON= says why).
inline constexpr std::string_view clat_off = "5d7d32cad6dd424eb7e1f09a79a18263";
// The daemon started (after the configuration was read).
inline constexpr std::string_view started = "278faa34ebbc465fa3c0883f2a26c1ab";
// The daemon stopped and removed everything it installed.
inline constexpr std::string_view stopped = "3fd4ba7445104d45a825bb7ff4542e06";
// The daemon exited for a successor and left the CLAT in place.
inline constexpr std::string_view kept = "fa00096f074148ec80d1551ce641d96d";
// What an earlier run left was taken over.
inline constexpr std::string_view adopted = "1d6a64710da64d7e9d0510e81a479df8";
// The configuration was refused (at start or reload).
inline constexpr std::string_view config_error = "65ac86f285334aac890c44684af04de5";
// What an earlier run left was removed (a start that cannot go on).
inline constexpr std::string_view leftovers_removed = "5db166bd7ab14adcafa755b09b1f7e25";

} // namespace colatrl::msgid

namespace colatrl::logfield {

// journald's own fields this daemon sets.
inline constexpr std::string_view message_id = "MESSAGE_ID";
// colatrld's fields (docs/journal.md).
inline constexpr std::string_view state = "COLATRL_STATE";           // active | off
inline constexpr std::string_view off_reason = "COLATRL_OFF_REASON"; // off_reason_word()
inline constexpr std::string_view pref64 = "COLATRL_PREF64";         // 64:ff9b::/96
// config | ra | dns64 | adopted
inline constexpr std::string_view pref64_source = "COLATRL_PREF64_SOURCE";
inline constexpr std::string_view clat_ipv4 = "COLATRL_CLAT_IPV4";
inline constexpr std::string_view clat_ipv6 = "COLATRL_CLAT_IPV6";

} // namespace colatrl::logfield

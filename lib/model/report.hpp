// SPDX-License-Identifier: GPL-2.0-or-later
// What the daemon tells about a derived state: the log lines of a change,
// the one-line STATUS= for sd_notify(3), and whether RFC 7050 discovery is
// needed. Pure, so the wording and the choice of levels are unit-tested.
#pragma once

#include "base/log_entry.hpp"
#include "config/config.hpp"
#include "model/derive.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace colatrl {

// Off reasons worth an info line even for a link that never had a CLAT.
bool noteworthy(OffReason r);

// The journal fields of a link's state (docs/journal.md): MESSAGE_ID= of
// "CLAT on"/"CLAT off", COLATRL_STATE=, COLATRL_OFF_REASON= when off,
// COLATRL_PREF64= (+ _SOURCE) when known, the CLAT addresses when on.
std::vector<log::Field> plan_fields(const LinkPlan& p);

// One entry per link whose plan changed from `before` to `after` (info when
// the CLAT is or was on there, or the reason is noteworthy; else debug), and
// one per active link that disappeared.
std::vector<log::Entry> describe_changes(const DesiredState& before, const DesiredState& after);

// "CLAT on eth0 192.0.0.2 via 64:ff9b::/96 (ra)" or "CLAT off: eth0 no PREF64".
std::string status_line(const DesiredState& state);

// RFC 7050 discovery is wanted when no Pref64= is set, DNS64 discovery is
// allowed and a connected link has no RA PREF64 (RFC 8781 comes first). The
// result names the connected links and their /64s, so a change of network
// (which calls for asking again) changes it; nullopt = not wanted.
std::optional<std::string> dns64_wanted(const DesiredState& state, const Config& config);

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// colatrlctl command groups. Each group gets the words after its name and
// returns the process exit code (ctl_args.hpp). To add a group (e.g. the
// D-Bus status commands), declare its runner here and list it in
// kCommandGroups in colatrlctl.cpp.
#pragma once

#include "ctl_args.hpp"

#include <string>
#include <vector>

namespace colatrl::ctl {

// `colatrlctl datapath attach|detach|show ...` (ctl_datapath.cpp)
int run_datapath(const std::vector<std::string>& words);

// `colatrlctl status|list|statistics|describe|metrics|monitor|reload|reset-statistics`
// over D-Bus (ctl_bus.cpp); `command` is the first word.
int run_bus(const std::string& command, const std::vector<std::string>& words);

} // namespace colatrl::ctl

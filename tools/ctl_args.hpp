// SPDX-License-Identifier: GPL-2.0-or-later
// Small command-line argument scanner for colatrlctl: positional words plus
// "--name value", "--name=value" and "--flag". Pure, so new subcommands (the
// D-Bus status commands to come) reuse it.
#pragma once

#include "base/result.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace colatrl::ctl {

// Exit codes of colatrlctl.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;    // the operation failed
inline constexpr int kExitUsage = 2;      // bad command line
inline constexpr int kExitNoDaemon = 3;   // colatrld (or the bus) is not running
inline constexpr int kExitDenied = 4;     // the caller may not do this
inline constexpr int kExitNoSuchLink = 5; // no such link (name or index)

struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> options; // "--mtu 1400" -> {"mtu", "1400"}
    std::set<std::string> flags;                // "--translate-non-global"

    std::optional<std::string> option(const std::string& name) const {
        auto it = options.find(name);
        if (it == options.end()) {
            return std::nullopt;
        }
        return it->second;
    }
    bool flag(const std::string& name) const { return flags.count(name) != 0; }
};

// value_options take a value, flag_options do not; anything else starting
// with "--" is an error naming it. "--" ends option parsing.
Result<Args> parse_args(const std::vector<std::string>& words,
                        const std::set<std::string>& value_options,
                        const std::set<std::string>& flag_options);

// Unsigned decimal in [min, max]; the error names what.
Result<uint32_t> parse_uint(std::string_view text, uint32_t min, uint32_t max,
                            std::string_view what);

} // namespace colatrl::ctl

// SPDX-License-Identifier: GPL-2.0-or-later
// /etc/colatrl/colatrld.conf: INI file, section [CLAT]; see colatrld.conf(5).
#pragma once

#include "base/result.hpp"
#include "inet/ip.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace colatrl {

// EX_CONFIG from sysexits.h: the daemon's exit status for a bad configuration.
inline constexpr int kExitConfig = 78;

enum class ClatMode {
    automatic, // only on uplinks without native IPv4
    force,     // also where native IPv4 exists
    off,
};

struct Config {
    std::vector<std::string> interfaces; // empty = every suitable uplink
    std::optional<Ipv6Prefix> pref64;    // static PREF64; empty = discover
    bool discover_ra = true;
    bool discover_dns64 = true;
    std::optional<Ipv4Addr> ipv4_address; // empty = first free in 192.0.0.0/29
    std::optional<Ipv6Addr> ipv6_address; // empty = derive
    ClatMode mode = ClatMode::automatic;
    bool translate_non_global = false;
    bool operator==(const Config&) const = default;
};

// Errors are Errc::parse with the message "FILE:LINE: what is wrong".
Result<Config> parse_config(std::string_view text, std::string_view filename);

// Missing file -> Errc::not_found (callers may then use the defaults); unreadable ->
// Errc::system; otherwise as parse_config.
Result<Config> load_config_file(const std::string& path);

std::string_view to_string(ClatMode mode);

} // namespace colatrl

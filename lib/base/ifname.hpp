// SPDX-License-Identifier: GPL-2.0-or-later
// The one check of an interface name, as the kernel's dev_valid_name() does
// it: 1..15 characters, not "." or "..", no '/', ':' or white space. Every
// name that becomes part of a path (/proc/sys/net/ipv6/conf/NAME/...) or of
// the configuration passes through it.
#pragma once

#include "base/result.hpp"

#include <string_view>

namespace colatrl {

inline constexpr std::size_t kIfNameMax = 15; // IFNAMSIZ - 1

// Errc::invalid_argument with a message naming the problem.
Status check_ifname(std::string_view name);

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// Checks of what callers send over D-Bus, and the link object paths
// (/org/colatrl/link/_<ifindex>, escaped as sd_bus_path_encode does: every
// byte but ASCII letters, and digits after the first, becomes "_xx"). Pure,
// so the libFuzzer target tests/fuzz/fuzz_bus_args.cpp drives it.
#pragma once

#include "base/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace colatrl {

inline constexpr std::string_view kBusName = "org.colatrl";
inline constexpr std::string_view kManagerPath = "/org/colatrl";
inline constexpr std::string_view kLinkPathPrefix = "/org/colatrl/link";
inline constexpr std::string_view kManagerInterface = "org.colatrl.Manager1";
inline constexpr std::string_view kLinkInterface = "org.colatrl.Link1";
inline constexpr std::string_view kErrorNoSuchLink = "org.colatrl.Error.NoSuchLink";

// Errc::invalid_argument unless 1 <= ifindex (the kernel never uses 0 or less).
Status check_ifindex_arg(int32_t ifindex);
// Errc::invalid_argument for a name the kernel would refuse (base/ifname.hpp).
Status check_ifname_arg(std::string_view name);

// "/org/colatrl/link/_32" for ifindex 2.
std::string link_object_path(int ifindex);
// The ifindex of a link object path, nullopt for anything else (other
// prefixes, bad escapes, non-decimal, out of range, non-canonical forms).
std::optional<int> link_path_ifindex(std::string_view path);

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/ifname.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace colatrl {

Status check_ifname(std::string_view name) {
    const std::string n(name);
    if (name.empty() || name == "." || name == "..") {
        return make_error(Errc::invalid_argument, "'" + n + "' is not a valid interface name");
    }
    if (name.size() > kIfNameMax) {
        return make_error(Errc::invalid_argument,
                          "interface name '" + n + "' is longer than 15 characters");
    }
    if (name.find_first_of("/:") != std::string_view::npos) {
        return make_error(Errc::invalid_argument, "interface name '" + n + "' contains '/' or ':'");
    }
    if (std::any_of(name.begin(), name.end(),
                    [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; })) {
        return make_error(Errc::invalid_argument,
                          "interface name '" + n + "' contains white space");
    }
    return {};
}

} // namespace colatrl

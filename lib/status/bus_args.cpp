// SPDX-License-Identifier: GPL-2.0-or-later
#include "status/bus_args.hpp"

#include "base/ifname.hpp"

#include <charconv>
#include <climits>

namespace colatrl {

Status check_ifindex_arg(int32_t ifindex) {
    if (ifindex <= 0) {
        return make_error(Errc::invalid_argument,
                          "interface index " + std::to_string(ifindex) + " is not positive");
    }
    return {};
}

Status check_ifname_arg(std::string_view name) {
    // D-Bus strings carry no NUL, but the check must not depend on that: the
    // kernel would see a name cut at the first one.
    if (name.find('\0') != std::string_view::npos) {
        return make_error(Errc::invalid_argument, "interface name with a NUL byte");
    }
    return check_ifname(name);
}

namespace {

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

int hex_value(char c) {
    if (is_digit(c)) {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1; // sd-bus writes lower-case hex only
}

// The escaping of object path labels that sd_bus_path_encode applies.
std::string escape_label(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (is_alpha(c) || (i > 0 && is_digit(c))) {
            out += c;
        } else {
            const auto b = static_cast<unsigned char>(c);
            out += '_';
            out += kHex[b >> 4];
            out += kHex[b & 0xf];
        }
    }
    return out;
}

std::optional<std::string> unescape_label(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '_') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) {
            return std::nullopt;
        }
        const int hi = hex_value(s[i + 1]);
        const int lo = hex_value(s[i + 2]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

} // namespace

std::string link_object_path(int ifindex) {
    return std::string(kLinkPathPrefix) + "/" + escape_label(std::to_string(ifindex));
}

std::optional<int> link_path_ifindex(std::string_view path) {
    if (path.size() <= kLinkPathPrefix.size() + 1 ||
        path.substr(0, kLinkPathPrefix.size()) != kLinkPathPrefix ||
        path[kLinkPathPrefix.size()] != '/') {
        return std::nullopt;
    }
    const std::string_view label = path.substr(kLinkPathPrefix.size() + 1);
    const auto text = unescape_label(label);
    if (!text || text->empty() || text->size() > 10) {
        return std::nullopt;
    }
    for (char c : *text) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
    }
    long long v = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc{} || end != text->data() + text->size() || v <= 0 || v > INT_MAX) {
        return std::nullopt;
    }
    const int ifindex = static_cast<int>(v);
    // One path per link: "_3002" (leading zero) is not the path of ifindex 2.
    if (link_object_path(ifindex) != path) {
        return std::nullopt;
    }
    return ifindex;
}

} // namespace colatrl

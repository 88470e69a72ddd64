// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl_args.hpp"

#include <charconv>

namespace colatrl::ctl {

Result<Args> parse_args(const std::vector<std::string>& words,
                        const std::set<std::string>& value_options,
                        const std::set<std::string>& flag_options) {
    Args out;
    bool options_done = false;
    for (size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (options_done || w.size() < 3 || w.compare(0, 2, "--") != 0) {
            if (w == "--") {
                options_done = true;
                continue;
            }
            out.positional.push_back(w);
            continue;
        }
        std::string name = w.substr(2);
        std::optional<std::string> inline_value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name.resize(eq);
        }
        if (flag_options.count(name) != 0) {
            if (inline_value) {
                return make_error(Errc::invalid_argument, "option --" + name + " takes no value");
            }
            out.flags.insert(name);
        } else if (value_options.count(name) != 0) {
            if (inline_value) {
                out.options[name] = *inline_value;
            } else if (i + 1 < words.size()) {
                out.options[name] = words[++i];
            } else {
                return make_error(Errc::invalid_argument, "option --" + name + " needs a value");
            }
        } else {
            return make_error(Errc::invalid_argument, "unknown option --" + name);
        }
    }
    return out;
}

Result<uint32_t> parse_uint(std::string_view text, uint32_t min, uint32_t max,
                            std::string_view what) {
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min ||
        v > max) {
        return make_error(Errc::invalid_argument,
                          std::string(what) + " must be a number in " + std::to_string(min) + ".." +
                              std::to_string(max) + ", not '" + std::string(text) + "'");
    }
    return v;
}

} // namespace colatrl::ctl

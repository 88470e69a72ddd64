// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the colatrld.conf parser (lib/config/config.hpp) on arbitrary text.
#include "config/config.hpp"
#include "fuzz_check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

using namespace colatrl;
using colatrl::fuzz::require;

namespace {

constexpr std::string_view kFile = "fuzz.conf";

// The config as colatrld.conf text, one line per key, every key written.
std::string to_text(const Config& c) {
    std::string t = "[CLAT]\nInterfaces=";
    for (std::size_t i = 0; i < c.interfaces.size(); ++i) {
        t += (i ? " " : "") + c.interfaces[i];
    }
    t += "\nPref64=" + (c.pref64 ? c.pref64->str() : "");
    t += "\nPref64Discovery=";
    t += c.discover_ra ? "ra " : "";
    t += c.discover_dns64 ? "dns64" : "";
    t += "\nIPv4Address=" + (c.ipv4_address ? c.ipv4_address->str() : "");
    t += "\nIPv6Address=" + (c.ipv6_address ? c.ipv6_address->str() : "");
    t += "\nMode=" + std::string(to_string(c.mode));
    t += "\nTranslateNonGlobal=";
    t += c.translate_non_global ? "yes" : "no";
    return t + "\n";
}

// "fuzz.conf:LINE: what", LINE within the text (or one past its last line).
bool names_a_line(const std::string& msg, std::string_view text) {
    const std::string head = std::string(kFile) + ":";
    if (msg.rfind(head, 0) != 0) {
        return false;
    }
    std::size_t pos = head.size();
    long line = 0;
    while (pos < msg.size() && msg[pos] >= '0' && msg[pos] <= '9' && line < 1000000000) {
        line = line * 10 + (msg[pos++] - '0');
    }
    const auto lines = static_cast<long>(std::count(text.begin(), text.end(), '\n')) + 1;
    return line >= 1 && line <= lines && msg.compare(pos, 2, ": ") == 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto cfg = parse_config(text, kFile);
    if (!cfg) {
        require(cfg.error().code == Errc::parse, "a refused config is Errc::parse");
        require(names_a_line(cfg.error().message, text),
                "the error says fuzz.conf:LINE: with a line of the text");
        return 0;
    }
    // An accepted config re-validates: written out and parsed again, it is the same.
    const std::string again_text = to_text(*cfg);
    auto again = parse_config(again_text, kFile);
    if (!again) {
        std::fprintf(stderr, "re-parse failed: %s\n--- text ---\n%s", again.error().message.c_str(),
                     again_text.c_str());
    }
    require(again.ok(), "an accepted config, written out, parses again");
    require(*again == *cfg, "an accepted config, written out and parsed again, is the same");
    return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
#include "config/config.hpp"

#include "base/file_io.hpp"
#include "base/ifname.hpp"
#include "base/unique_fd.hpp"
#include "clat/markers.hpp"
#include "inet/rfc6052.hpp"

#include <ini.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace colatrl {

namespace {

constexpr std::string_view kSection = "CLAT";

std::vector<std::string> split_words(std::string_view v) {
    std::vector<std::string> out;
    std::istringstream in{std::string(v)};
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return s;
}

// Each key's value parser: fills cfg or returns the message (without "FILE:LINE: ").
using KeyParser = std::string (*)(Config& cfg, std::string_view value);

std::string parse_interfaces(Config& cfg, std::string_view value) {
    cfg.interfaces.clear();
    for (const std::string& name : split_words(value)) {
        if (auto s = check_ifname(name); !s) {
            return "Interfaces=: " + s.error().message;
        }
        if (std::find(cfg.interfaces.begin(), cfg.interfaces.end(), name) != cfg.interfaces.end()) {
            return "Interfaces=: interface '" + name + "' is listed twice";
        }
        cfg.interfaces.push_back(name);
    }
    return {};
}

std::string parse_pref64(Config& cfg, std::string_view value) {
    cfg.pref64.reset();
    if (value.empty()) {
        return {};
    }
    auto p = Ipv6Prefix::parse(value);
    if (!p) {
        return "Pref64=: " + p.error().message;
    }
    if (auto v = validate_pref64(*p); !v) {
        return "Pref64=: " + v.error().message;
    }
    cfg.pref64 = *p;
    return {};
}

std::string parse_discovery(Config& cfg, std::string_view value) {
    cfg.discover_ra = false;
    cfg.discover_dns64 = false;
    for (const std::string& w : split_words(value)) {
        if (w == "ra") {
            cfg.discover_ra = true;
        } else if (w == "dns64") {
            cfg.discover_dns64 = true;
        } else {
            return "Pref64Discovery=: unknown method '" + w + "' (expected 'ra' and/or 'dns64')";
        }
    }
    return {};
}

std::string parse_ipv4(Config& cfg, std::string_view value) {
    cfg.ipv4_address.reset();
    if (value.empty()) {
        return {};
    }
    auto a = Ipv4Addr::parse(value);
    if (!a) {
        return "IPv4Address=: " + a.error().message;
    }
    if (!kClatIpv4Range.contains(*a)) {
        return "IPv4Address=: " + a->str() + " is not inside " + kClatIpv4Range.str() +
               " (RFC 7335)";
    }
    cfg.ipv4_address = *a;
    return {};
}

std::string parse_ipv6(Config& cfg, std::string_view value) {
    cfg.ipv6_address.reset();
    if (value.empty()) {
        return {};
    }
    auto a = Ipv6Addr::parse(value);
    if (!a) {
        return "IPv6Address=: " + a.error().message;
    }
    const auto& b = a->bytes;
    const bool zero10 = std::all_of(b.begin(), b.begin() + 10, [](uint8_t x) { return x == 0; });
    if (b[0] == 0xff) {
        return "IPv6Address=: " + a->str() + " is a multicast address";
    }
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) {
        return "IPv6Address=: " + a->str() + " is link-local; a global address is needed";
    }
    if (zero10 && b[10] == 0 && b[11] == 0 && b[12] == 0 && b[13] == 0 && b[14] == 0 &&
        b[15] <= 1) {
        return "IPv6Address=: " + a->str() + " is the unspecified or loopback address";
    }
    if (zero10 && b[10] == 0xff && b[11] == 0xff) {
        return "IPv6Address=: " + a->str() + " is an IPv4-mapped address";
    }
    cfg.ipv6_address = *a;
    return {};
}

std::string parse_mode(Config& cfg, std::string_view value) {
    if (value.empty() || value == "auto") {
        cfg.mode = ClatMode::automatic;
    } else if (value == "force") {
        cfg.mode = ClatMode::force;
    } else if (value == "off") {
        cfg.mode = ClatMode::off;
    } else {
        return "Mode=: '" + std::string(value) + "' is not one of auto, force, off";
    }
    return {};
}

std::string parse_non_global(Config& cfg, std::string_view value) {
    const std::string v = lower(value);
    if (v.empty() || v == "no" || v == "false" || v == "off" || v == "0") {
        cfg.translate_non_global = false;
    } else if (v == "yes" || v == "true" || v == "on" || v == "1") {
        cfg.translate_non_global = true;
    } else {
        return "TranslateNonGlobal=: '" + std::string(value) +
               "' is not a boolean (yes/no, true/false, on/off, 1/0)";
    }
    return {};
}

const std::map<std::string, KeyParser, std::less<>>& key_parsers() {
    static const std::map<std::string, KeyParser, std::less<>> m = {
        {"Interfaces", parse_interfaces},
        {"Pref64", parse_pref64},
        {"Pref64Discovery", parse_discovery},
        {"IPv4Address", parse_ipv4},
        {"IPv6Address", parse_ipv6},
        {"Mode", parse_mode},
        {"TranslateNonGlobal", parse_non_global},
    };
    return m;
}

// State shared by the line reader and the key handler. inih reads one line, then calls
// the handler for it, so `line` is the number of the line being handled.
struct ParseState {
    std::string_view text;
    std::size_t pos = 0;
    int line = 0;
    std::string_view raw; // current line as read, without the newline
    Config cfg;
    std::map<std::string, int, std::less<>> seen; // key -> line
    int err_line = 0;
    std::string err;

    void fail(const std::string& msg) {
        if (err_line == 0) {
            err_line = line;
            err = msg;
        }
    }
};

// Section headers are checked here, because inih only reports sections with keys in them.
void check_section_header(ParseState& st, std::string_view raw) {
    if (st.line == 1 && raw.substr(0, 3) == "\xEF\xBB\xBF") {
        raw.remove_prefix(3);
    }
    raw = trim(raw);
    if (raw.empty() || raw.front() != '[') {
        return;
    }
    const auto close = raw.find(']');
    if (close == std::string_view::npos) {
        return; // inih reports the syntax error
    }
    const std::string_view name = trim(raw.substr(1, close - 1));
    if (name != kSection) {
        st.fail("unknown section [" + std::string(name) + "] (only [CLAT] is known)");
    }
}

char* read_line(char* str, int num, void* stream) {
    auto& st = *static_cast<ParseState*>(stream);
    if (st.pos >= st.text.size()) {
        return nullptr;
    }
    const std::size_t nl = st.text.find('\n', st.pos);
    const std::size_t end = nl == std::string_view::npos ? st.text.size() : nl + 1;
    std::string_view line = st.text.substr(st.pos, end - st.pos);
    st.pos = end;
    ++st.line;
    st.raw = line.substr(0, line.size() - (line.ends_with('\n') ? 1 : 0));
    const auto room = static_cast<std::size_t>(num > 1 ? num - 1 : 0);
    if (line.find('\0') != std::string_view::npos) {
        st.fail("NUL byte in line");
        line = "\n";
    } else if (line.size() > room) {
        st.fail("line too long (more than " + std::to_string(room > 2 ? room - 2 : 0) +
                " characters)");
        line = "\n";
    } else {
        check_section_header(st, st.raw);
    }
    std::memcpy(str, line.data(), line.size());
    str[line.size()] = '\0';
    return str;
}

int handle_key(void* user, const char* section, const char* name_c, const char* value_c) {
    auto& st = *static_cast<ParseState*>(user);
    const std::string_view name = name_c;
    const std::string_view value = value_c ? value_c : "";
    if (std::string_view(section) != kSection) {
        if (*section == '\0') {
            st.fail("key " + std::string(name) + "= outside a [CLAT] section");
        }
        return 1; // an unknown section was reported when its header was read
    }
    if (auto it = st.seen.find(name); it != st.seen.end()) {
        const std::string_view raw = trim(st.raw);
        if (raw.find('=') == std::string_view::npos && raw.find(':') == std::string_view::npos) {
            st.fail("continuation lines are not supported; put " + std::string(name) +
                    "= on one line");
        } else {
            st.fail("duplicate key " + std::string(name) + "= (first set on line " +
                    std::to_string(it->second) + ")");
        }
        return 1;
    }
    const auto& parsers = key_parsers();
    const auto p = parsers.find(name);
    if (p == parsers.end()) {
        std::string msg = "unknown key " + std::string(name) + "=";
        for (const auto& [known, fn] : parsers) {
            (void)fn;
            if (lower(known) == lower(name)) {
                msg += " (did you mean " + known + "=?)";
            }
        }
        st.fail(msg);
        return 1;
    }
    st.seen.emplace(std::string(name), st.line);
    if (std::string msg = p->second(st.cfg, value); !msg.empty()) {
        st.fail(msg);
    }
    return 1;
}

} // namespace

std::string_view to_string(ClatMode mode) {
    switch (mode) {
    case ClatMode::automatic:
        return "auto";
    case ClatMode::force:
        return "force";
    case ClatMode::off:
        return "off";
    }
    return "?";
}

Result<Config> parse_config(std::string_view text, std::string_view filename) {
    ParseState st;
    st.text = text;
    const int syntax_line = ini_parse_stream(read_line, &st, handle_key, &st);
    const std::string where = std::string(filename) + ":";
    // Report whichever problem comes first in the file.
    if (syntax_line > 0 && (st.err_line == 0 || syntax_line < st.err_line)) {
        return make_error(Errc::parse, where + std::to_string(syntax_line) +
                                           ": syntax error (expected [CLAT], Key=Value or a "
                                           "comment starting with # or ;)");
    }
    if (st.err_line != 0) {
        return make_error(Errc::parse, where + std::to_string(st.err_line) + ": " + st.err);
    }
    if (syntax_line < 0) {
        return make_error(Errc::system,
                          where + " inih failed (" + std::to_string(syntax_line) + ")");
    }
    return st.cfg;
}

Result<Config> load_config_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        if (errno == ENOENT) {
            return make_error(Errc::not_found, path + ": no such file");
        }
        return sys_error(errno, "open " + path);
    }
    constexpr std::size_t kMaxConfig = 1u << 20;
    auto bytes = read_up_to(fd.get(), kMaxConfig + 1, path);
    if (!bytes) {
        return std::move(bytes).error();
    }
    if (bytes->size() > kMaxConfig) {
        return make_error(Errc::parse, path + ": larger than 1 MiB; not a config file");
    }
    const std::string text(bytes->begin(), bytes->end());
    return parse_config(text, path);
}

} // namespace colatrl

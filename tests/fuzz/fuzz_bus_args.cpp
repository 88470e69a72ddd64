// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: what D-Bus callers send colatrld (lib/status/bus_args.hpp) and the
// JSON quoting of Describe() (lib/base/json.hpp). The first byte picks the check:
// 0 = a link object path, 1 = an interface name, 2 = an interface index, 3 = a
// string for json_quote.
#include "base/json.hpp"
#include "fuzz_check.hpp"
#include "status/bus_args.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

using namespace colatrl;
using colatrl::fuzz::require;

namespace {

void check_path(std::string_view in) {
    const auto ifindex = link_path_ifindex(in);
    if (!ifindex) {
        return;
    }
    require(*ifindex > 0, "a link path decodes to a positive ifindex");
    require(link_object_path(*ifindex) == in, "only the canonical path of an ifindex decodes");
}

void check_name(std::string_view in) {
    const Status st = check_ifname_arg(in);
    if (!st) {
        require(st.error().code == Errc::invalid_argument, "a refused name is invalid_argument");
        return;
    }
    require(!in.empty() && in.size() <= 15, "an accepted name has 1..15 bytes");
    require(in != "." && in != "..", "'.' and '..' are refused");
    for (char c : in) {
        require(c != '/' && c != ':' && c != ' ' && c != '\t' && c != '\n' && c != '\0',
                "an accepted name has no '/', ':', white space or NUL");
    }
}

void check_index(std::string_view in) {
    int32_t v = 0;
    std::memcpy(&v, in.data(), std::min(in.size(), sizeof v));
    const Status st = check_ifindex_arg(v);
    require(st.ok() == (v > 0), "exactly the positive indexes are accepted");
    if (v > 0) {
        require(link_path_ifindex(link_object_path(v)) == v, "paths round-trip");
    }
}

// What json_quote makes is one JSON string: quoted, no raw control character,
// valid UTF-8 (checked by decoding it byte by byte).
void check_json(std::string_view in) {
    const std::string q = json_quote(in);
    require(q.size() >= 2 && q.front() == '"' && q.back() == '"', "quoted");
    for (size_t i = 1; i + 1 < q.size(); ++i) {
        const auto c = static_cast<unsigned char>(q[i]);
        require(c >= 0x20 && c != 0x7f, "no raw control characters");
        if (c == '\\') {
            ++i; // the escaped character
            continue;
        }
        require(c != '"', "inner quotes are escaped");
        if (c < 0x80) {
            continue;
        }
        size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        require(c >= 0xc2 && c <= 0xf4, "a valid UTF-8 lead byte");
        require(i + n < q.size(), "a complete UTF-8 sequence");
        for (size_t k = 1; k < n; ++k) {
            const auto b = static_cast<unsigned char>(q[i + k]);
            require(b >= 0x80 && b <= 0xbf, "UTF-8 continuation bytes");
        }
        i += n - 1;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
    case 0:
        check_path(in);
        break;
    case 1:
        check_name(in);
        break;
    case 2:
        check_index(in);
        break;
    default:
        check_json(in);
        break;
    }
    return 0;
}

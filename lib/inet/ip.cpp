// SPDX-License-Identifier: GPL-2.0-or-later
#include "inet/ip.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace colatrl {

namespace {

Result<uint8_t> parse_prefix_len(std::string_view text, unsigned max, std::string_view whole) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v > max) {
        return make_error(Errc::parse, "invalid prefix length in '" + std::string(whole) + "'");
    }
    return static_cast<uint8_t>(v);
}

template <size_t N> void mask_bits(std::array<uint8_t, N>& b, unsigned len) {
    for (size_t i = 0; i < N; ++i) {
        const unsigned bit = static_cast<unsigned>(i) * 8;
        if (bit >= len) {
            b[i] = 0;
        } else if (bit + 8 > len) {
            b[i] = static_cast<uint8_t>(b[i] & (0xff << (8 - (len - bit))));
        }
    }
}

template <size_t N>
bool prefix_match(const std::array<uint8_t, N>& p, const std::array<uint8_t, N>& a, unsigned len) {
    auto m = a;
    mask_bits(m, len);
    return m == p;
}

} // namespace

Result<Ipv4Addr> Ipv4Addr::parse(std::string_view text) {
    // inet_pton accepts only the strict dotted quad, which is what we want.
    const std::string s(text);
    Ipv4Addr a;
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) != 1) {
        return make_error(Errc::parse, "invalid IPv4 address '" + s + "'");
    }
    return a;
}

std::string Ipv4Addr::str() const {
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, bytes.data(), buf, sizeof(buf));
    return buf;
}

Result<Ipv6Addr> Ipv6Addr::parse(std::string_view text) {
    const std::string s(text);
    Ipv6Addr a;
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) {
        return make_error(Errc::parse, "invalid IPv6 address '" + s + "'");
    }
    return a;
}

std::string Ipv6Addr::str() const {
    // glibc's inet_ntop follows RFC 5952 except that it prints ::ffff:0:0/96
    // and ::/96 style addresses with a dotted quad; we always want hex words.
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf));
    std::string out(buf);
    if (out.find('.') == std::string::npos) {
        return out;
    }
    // Rebuild with hex words: find the longest run (>1) of zero words.
    int best = -1;
    int best_len = 0;
    for (int i = 0; i < 8;) {
        if (word(i) != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < 8 && word(j) == 0) {
            ++j;
        }
        if (j - i > best_len && j - i > 1) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    out.clear();
    char w[8];
    for (int i = 0; i < 8; ++i) {
        if (i == best) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') {
            out += ':';
        }
        std::to_chars_result r = std::to_chars(w, w + sizeof(w), word(i), 16);
        out.append(w, r.ptr);
    }
    return out;
}

Result<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return make_error(Errc::parse, "missing '/length' in '" + std::string(text) + "'");
    }
    auto a = Ipv4Addr::parse(text.substr(0, slash));
    if (!a) {
        return std::move(a).error();
    }
    auto len = parse_prefix_len(text.substr(slash + 1), 32, text);
    if (!len) {
        return std::move(len).error();
    }
    Ipv4Prefix p{*a, *len};
    mask_bits(p.addr.bytes, p.len);
    if (p.addr != *a) {
        return make_error(Errc::parse, "host bits set in prefix '" + std::string(text) + "'");
    }
    return p;
}

bool Ipv4Prefix::contains(const Ipv4Addr& a) const {
    return prefix_match(addr.bytes, a.bytes, len);
}

std::string Ipv4Prefix::str() const {
    return addr.str() + "/" + std::to_string(len);
}

Result<Ipv6Prefix> Ipv6Prefix::parse(std::string_view text, bool allow_host_bits) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return make_error(Errc::parse, "missing '/length' in '" + std::string(text) + "'");
    }
    auto a = Ipv6Addr::parse(text.substr(0, slash));
    if (!a) {
        return std::move(a).error();
    }
    auto len = parse_prefix_len(text.substr(slash + 1), 128, text);
    if (!len) {
        return std::move(len).error();
    }
    Ipv6Prefix p = make(*a, *len);
    if (!allow_host_bits && p.addr != *a) {
        return make_error(Errc::parse, "host bits set in prefix '" + std::string(text) + "'");
    }
    return p;
}

Ipv6Prefix Ipv6Prefix::make(const Ipv6Addr& a, uint8_t len) {
    Ipv6Prefix p{a, len > 128 ? uint8_t{128} : len};
    mask_bits(p.addr.bytes, p.len);
    return p;
}

bool Ipv6Prefix::contains(const Ipv6Addr& a) const {
    return prefix_match(addr.bytes, a.bytes, len);
}

std::string Ipv6Prefix::str() const {
    return addr.str() + "/" + std::to_string(len);
}

std::optional<IpAddr> IpAddr::from_bytes(Family f, std::span<const uint8_t> b) {
    if (b.size() != size(f)) {
        return std::nullopt;
    }
    IpAddr a;
    a.family = f;
    std::copy(b.begin(), b.end(), a.bytes.begin());
    return a;
}

std::optional<Ipv4Addr> IpAddr::as_v4() const {
    if (family != Family::v4) {
        return std::nullopt;
    }
    return Ipv4Addr{{bytes[0], bytes[1], bytes[2], bytes[3]}};
}

std::optional<Ipv6Addr> IpAddr::as_v6() const {
    if (family != Family::v6) {
        return std::nullopt;
    }
    return Ipv6Addr{bytes};
}

std::string IpAddr::str() const {
    return family == Family::v4 ? as_v4()->str() : as_v6()->str();
}

IpPrefix IpPrefix::make(const IpAddr& a, uint8_t len) {
    IpPrefix p;
    p.addr = a;
    p.len = std::min(len, IpAddr::max_len(a.family));
    mask_bits(p.addr.bytes, p.len);
    return p;
}

bool IpPrefix::contains(const IpAddr& a) const {
    return a.family == addr.family && prefix_match(addr.bytes, a.bytes, len);
}

std::optional<Ipv4Prefix> IpPrefix::as_v4() const {
    if (auto a = addr.as_v4()) {
        return Ipv4Prefix{*a, len};
    }
    return std::nullopt;
}

std::optional<Ipv6Prefix> IpPrefix::as_v6() const {
    if (auto a = addr.as_v6()) {
        return Ipv6Prefix{*a, len};
    }
    return std::nullopt;
}

std::string IpPrefix::str() const {
    return addr.str() + "/" + std::to_string(len);
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// Netlink messages as bytes, with no socket: splitting a datagram into
// messages, walking a level of attributes, building a request, and reading
// the final answer of a request (ACK, error with the kernel's extended-ACK
// text, or the end of a dump). Pure: the socket side (nl_socket.hpp) and the
// rtnetlink codec (rtnl_codec.hpp) build on it, and tests feed it raw bytes.
// Every reader checks lengths and never reads past its input.
#pragma once

#include "base/result.hpp"
#include "inet/ip.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace colatrl {

struct NlMsg {
    uint16_t type = 0;
    uint16_t flags = 0;
    uint32_t seq = 0;
    uint32_t pid = 0;
    std::span<const uint8_t> payload; // after the 16-byte nlmsghdr
};

// Splits a datagram into messages; sets `malformed` if a header is broken
// (the messages before it are still returned).
std::vector<NlMsg> split_datagram(std::span<const uint8_t> datagram, bool& malformed);
// The messages point into the datagram: a temporary buffer would leave them dangling.
std::vector<NlMsg> split_datagram(std::vector<uint8_t>&& datagram, bool& malformed) = delete;

enum class ParseStatus {
    ok,        // `out` filled
    skip,      // well-formed but not for us (other family, filtered route, ...)
    malformed, // truncated or inconsistent
};

constexpr size_t nl_align(size_t n) {
    return (n + 3u) & ~size_t{3};
}

// Copies a fixed-size header (ifinfomsg, rtmsg, ...) from the start of `in`.
template <typename T> bool read_struct(std::span<const uint8_t> in, T& out) {
    if (in.size() < sizeof(T)) {
        return false;
    }
    std::memcpy(&out, in.data(), sizeof(T));
    return true;
}

// The bytes after a fixed-size header of type T (padded to 4), or empty.
template <typename T> std::span<const uint8_t> after_header(std::span<const uint8_t> in) {
    return in.subspan(std::min(nl_align(sizeof(T)), in.size()));
}

// One level of attributes (TLVs: u16 length, u16 type, value, padded to 4),
// indexed by type; types above Max are ignored. The optional readers leave
// `v` alone when the attribute is absent and fail only when it is present
// but too short for its type.
class NlAttrsBase {
protected:
    static bool walk(std::span<const uint8_t> in, std::span<std::span<const uint8_t>> slots,
                     std::span<bool> present);
};

template <size_t Max> class NlAttrs : NlAttrsBase {
public:
    bool parse(std::span<const uint8_t> in) { return walk(in, a_, present_); }
    bool has(size_t t) const { return t <= Max && present_[t]; }
    std::span<const uint8_t> get(size_t t) const {
        return has(t) ? a_[t] : std::span<const uint8_t>{};
    }
    bool u32(size_t t, uint32_t& v) const { return fixed(t, &v, 4); }
    bool u8(size_t t, uint8_t& v) const { return fixed(t, &v, 1); }
    // An address of family f (exactly its size).
    bool addr(size_t t, Family f, IpAddr& v) const {
        if (!has(t)) {
            return true;
        }
        auto a = IpAddr::from_bytes(f, a_[t]);
        if (a) {
            v = *a;
        }
        return a.has_value();
    }
    // NUL-terminated string (terminator optional); empty when absent.
    std::string str(size_t t) const {
        auto s = get(t);
        return std::string(s.begin(), std::find(s.begin(), s.end(), uint8_t{0}));
    }

private:
    bool fixed(size_t t, void* v, size_t n) const {
        if (!has(t)) {
            return true;
        }
        if (a_[t].size() < n) {
            return false;
        }
        std::memcpy(v, a_[t].data(), n);
        return true;
    }
    std::array<std::span<const uint8_t>, Max + 1> a_{};
    std::array<bool, Max + 1> present_{};
};

// A request as the kernel wants it: nlmsghdr, a fixed header, attributes.
// NLM_F_REQUEST is always set; nlmsg_len is kept up to date.
class NlRequest {
public:
    NlRequest(uint16_t type, uint16_t flags);

    template <typename T> NlRequest& header(const T& h) { return raw(&h, sizeof h); }
    NlRequest& attr(uint16_t type, std::span<const uint8_t> value);
    NlRequest& u32(uint16_t type, uint32_t v) { return attr(type, as_bytes(&v, 4)); }
    NlRequest& u8(uint16_t type, uint8_t v) { return attr(type, as_bytes(&v, 1)); }
    // Optional fields: 0 means "not set", nothing is written.
    NlRequest& u32_unless_0(uint16_t type, uint32_t v) { return v != 0 ? u32(type, v) : *this; }
    NlRequest& u8_unless_0(uint16_t type, uint8_t v) { return v != 0 ? u8(type, v) : *this; }
    NlRequest& addr(uint16_t type, const IpAddr& a) { return attr(type, a.span()); }
    NlRequest& str(uint16_t type, std::string_view s); // with its NUL
    // A nested attribute: begin_nest, the inner attributes, end_nest(offset).
    size_t begin_nest(uint16_t type);
    NlRequest& end_nest(size_t offset);

    void set_seq(uint32_t seq);
    uint32_t seq() const;
    uint16_t type() const;
    std::span<const uint8_t> bytes() const { return b_; }

private:
    static std::span<const uint8_t> as_bytes(const void* p, size_t n) {
        return {static_cast<const uint8_t*>(p), n};
    }
    NlRequest& raw(const void* p, size_t n);
    void set_len();
    std::vector<uint8_t> b_;
};

// The end of a request's answer: NLMSG_ERROR (error 0 = ACK) or NLMSG_DONE
// (a dump that failed midway carries a negative errno there too).
struct NlFinal {
    int error = 0;       // 0 or -errno
    std::string ext_ack; // the kernel's explanation (NLMSGERR_ATTR_MSG), if any
};
// ok for NLMSG_ERROR and NLMSG_DONE, skip for any other message.
ParseStatus parse_final(const NlMsg& m, NlFinal& out);
// "what: strerror (kernel: ext_ack)"; Errc::conflict for EEXIST/EADDRINUSE,
// Errc::not_found when the object is already gone.
Error final_error(const NlFinal& f, const std::string& what);

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// Netlink messages built byte by byte as the kernel lays them out, for tests
// that feed hand-made (also broken) datagrams to the parsers and the
// monitor's logic. Written apart from lib/rtnl so the tests do not check the
// code with itself.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <linux/netlink.h>

namespace colatrl::test {

class NlBytes {
public:
    explicit NlBytes(uint16_t type, uint16_t flags = 0, uint32_t seq = 0) : b_(16, 0) {
        std::memcpy(&b_[4], &type, 2);
        std::memcpy(&b_[6], &flags, 2);
        std::memcpy(&b_[8], &seq, 4);
    }
    template <typename T> NlBytes& hdr(const T& t) { return raw(&t, sizeof t); }
    NlBytes& raw(const void* p, size_t n) {
        raw_nopad(p, n);
        while (b_.size() % 4 != 0) {
            b_.push_back(0);
        }
        return *this;
    }
    NlBytes& attr(uint16_t type, const void* p, size_t n) {
        const auto len = static_cast<uint16_t>(4 + n);
        raw_nopad(&len, 2);
        raw_nopad(&type, 2);
        return raw(p, n);
    }
    NlBytes& u32(uint16_t type, uint32_t v) { return attr(type, &v, 4); }
    NlBytes& u8(uint16_t type, uint8_t v) { return attr(type, &v, 1); }
    NlBytes& str(uint16_t type, const std::string& s) {
        return attr(type, s.c_str(), s.size() + 1);
    }
    template <size_t N> NlBytes& bytes(uint16_t type, const std::array<uint8_t, N>& a) {
        return attr(type, a.data(), N);
    }
    // A nested attribute whose content was built by another NlBytes' body().
    NlBytes& nest(uint16_t type, const std::vector<uint8_t>& inner) {
        return attr(type, inner.data(), inner.size());
    }
    // Bytes after the netlink header (for building nested content).
    std::vector<uint8_t> body() const { return std::vector<uint8_t>(b_.begin() + 16, b_.end()); }
    // The message with its length set.
    std::vector<uint8_t> done() const {
        const auto len = static_cast<uint32_t>(b_.size());
        std::array<uint8_t, 4> le{};
        std::memcpy(le.data(), &len, 4);
        std::vector<uint8_t> out(le.begin(), le.end());
        out.insert(out.end(), b_.begin() + 4, b_.end());
        return out;
    }

private:
    void raw_nopad(const void* p, size_t n) {
        const auto* c = static_cast<const uint8_t*>(p);
        b_.insert(b_.end(), c, c + n);
    }
    std::vector<uint8_t> b_;
};

// NLMSG_DONE of a dump (error 0 = complete).
inline std::vector<uint8_t> nl_done(uint32_t seq, int error = 0) {
    return NlBytes(NLMSG_DONE, NLM_F_MULTI, seq).hdr(error).done();
}

// NLMSG_ERROR answering the request with `seq` (error 0 = ACK).
inline std::vector<uint8_t> nl_error(uint32_t seq, int error) {
    nlmsgerr e{};
    e.error = error;
    e.msg.nlmsg_len = sizeof(nlmsghdr);
    e.msg.nlmsg_seq = seq;
    return NlBytes(NLMSG_ERROR, 0, seq).hdr(e).done();
}

// Header fields of a message (e.g. a request built by the code under test).
struct NlHeader {
    uint32_t len = 0;
    uint16_t type = 0;
    uint16_t flags = 0;
    uint32_t seq = 0;
    uint8_t family = 0; // first byte after the header
};
inline NlHeader nl_header(std::span<const uint8_t> m) {
    NlHeader h;
    if (m.size() >= 17) {
        std::memcpy(&h.len, &m[0], 4);
        std::memcpy(&h.type, &m[4], 2);
        std::memcpy(&h.flags, &m[6], 2);
        std::memcpy(&h.seq, &m[8], 4);
        h.family = m[16];
    }
    return h;
}

// The value of the first attribute of `type` in `attrs` (a TLV list), walked
// independently of the code under test.
inline std::optional<std::vector<uint8_t>> nl_find_attr(std::span<const uint8_t> attrs,
                                                        uint16_t type) {
    while (attrs.size() >= 4) {
        uint16_t len = 0;
        uint16_t t = 0;
        std::memcpy(&len, &attrs[0], 2);
        std::memcpy(&t, &attrs[2], 2);
        if (len < 4 || len > attrs.size()) {
            return std::nullopt;
        }
        if ((t & NLA_TYPE_MASK) == type) {
            return std::vector<uint8_t>(attrs.begin() + 4, attrs.begin() + len);
        }
        attrs = attrs.subspan(std::min<size_t>((len + 3u) & ~3u, attrs.size()));
    }
    return std::nullopt;
}

} // namespace colatrl::test

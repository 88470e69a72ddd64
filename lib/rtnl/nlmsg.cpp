// SPDX-License-Identifier: GPL-2.0-or-later
#include "rtnl/nlmsg.hpp"

#include <linux/netlink.h>

#include <cerrno>
#include <cstddef>

namespace colatrl {

std::vector<NlMsg> split_datagram(std::span<const uint8_t> datagram, bool& malformed) {
    std::vector<NlMsg> out;
    malformed = false;
    while (datagram.size() >= sizeof(nlmsghdr)) {
        nlmsghdr h{};
        read_struct(datagram, h);
        if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > datagram.size()) {
            malformed = true;
            return out;
        }
        out.push_back(NlMsg{h.nlmsg_type, h.nlmsg_flags, h.nlmsg_seq, h.nlmsg_pid,
                            datagram.subspan(sizeof(nlmsghdr), h.nlmsg_len - sizeof(nlmsghdr))});
        datagram = datagram.subspan(std::min(nl_align(h.nlmsg_len), datagram.size()));
    }
    return out;
}

bool NlAttrsBase::walk(std::span<const uint8_t> in, std::span<std::span<const uint8_t>> slots,
                       std::span<bool> present) {
    while (in.size() >= sizeof(nlattr)) {
        nlattr h{};
        read_struct(in, h);
        if (h.nla_len < sizeof(nlattr) || h.nla_len > in.size()) {
            return false;
        }
        const size_t type = h.nla_type & NLA_TYPE_MASK;
        if (type < slots.size()) {
            slots[type] = in.subspan(sizeof(nlattr), h.nla_len - sizeof(nlattr));
            present[type] = true;
        }
        in = in.subspan(std::min(nl_align(h.nla_len), in.size()));
    }
    return true; // fewer than 4 bytes left: padding
}

NlRequest::NlRequest(uint16_t type, uint16_t flags) : b_(sizeof(nlmsghdr), 0) {
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = static_cast<uint16_t>(flags | NLM_F_REQUEST);
    std::memcpy(b_.data(), &h, sizeof h);
    set_len();
}

NlRequest& NlRequest::raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b_.insert(b_.end(), c, c + n);
    b_.resize(nl_align(b_.size()), 0);
    set_len();
    return *this;
}

NlRequest& NlRequest::attr(uint16_t type, std::span<const uint8_t> value) {
    nlattr h{};
    h.nla_len = static_cast<uint16_t>(sizeof h + value.size());
    h.nla_type = type;
    b_.insert(b_.end(), reinterpret_cast<const uint8_t*>(&h),
              reinterpret_cast<const uint8_t*>(&h) + sizeof h);
    return raw(value.data(), value.size());
}

NlRequest& NlRequest::str(uint16_t type, std::string_view s) {
    std::vector<uint8_t> v(s.begin(), s.end());
    v.push_back(0);
    return attr(type, v);
}

size_t NlRequest::begin_nest(uint16_t type) {
    const size_t at = b_.size();
    attr(type, {});
    return at;
}

NlRequest& NlRequest::end_nest(size_t offset) {
    const auto len = static_cast<uint16_t>(b_.size() - offset);
    std::memcpy(&b_[offset], &len, sizeof len);
    return *this;
}

void NlRequest::set_len() {
    const auto len = static_cast<uint32_t>(b_.size());
    std::memcpy(b_.data() + offsetof(nlmsghdr, nlmsg_len), &len, sizeof len);
}

void NlRequest::set_seq(uint32_t seq) {
    std::memcpy(b_.data() + offsetof(nlmsghdr, nlmsg_seq), &seq, sizeof seq);
}

uint32_t NlRequest::seq() const {
    nlmsghdr h{};
    read_struct(std::span<const uint8_t>(b_), h);
    return h.nlmsg_seq;
}

uint16_t NlRequest::type() const {
    nlmsghdr h{};
    read_struct(std::span<const uint8_t>(b_), h);
    return h.nlmsg_type;
}

// The kernel reports 0 or a negative errno (at most MAX_ERRNO, 4095); any
// other value is a broken (or forged) message, which must not reach the error
// text code (-INT_MIN does not exist).
static bool plausible_errno(int e) {
    return e <= 0 && e >= -4095;
}

ParseStatus parse_final(const NlMsg& m, NlFinal& out) {
    out = NlFinal{};
    if (m.type == NLMSG_DONE) {
        // A complete dump may carry no payload at all; a failed one an errno.
        if (m.payload.size() >= sizeof(int)) {
            std::memcpy(&out.error, m.payload.data(), sizeof(int));
        }
        return plausible_errno(out.error) ? ParseStatus::ok : ParseStatus::malformed;
    }
    if (m.type != NLMSG_ERROR) {
        return ParseStatus::skip;
    }
    nlmsgerr e{};
    if (!read_struct(m.payload, e) || !plausible_errno(e.error)) {
        return ParseStatus::malformed;
    }
    out.error = e.error;
    if (!(m.flags & NLM_F_ACK_TLVS)) {
        return ParseStatus::ok;
    }
    // With NETLINK_CAP_ACK (NLM_F_CAPPED) only the request's header is
    // echoed; otherwise the whole request. The TLVs follow it.
    const size_t echoed = (m.flags & NLM_F_CAPPED) ? sizeof(nlmsghdr) : e.msg.nlmsg_len;
    const size_t off = nl_align(sizeof(int) + echoed);
    NlAttrs<NLMSGERR_ATTR_MAX> at;
    if (off <= m.payload.size() && at.parse(m.payload.subspan(off))) {
        out.ext_ack = at.str(NLMSGERR_ATTR_MSG);
    }
    return ParseStatus::ok;
}

Error final_error(const NlFinal& f, const std::string& what) {
    Error err = sys_error(f.error, what);
    if (!f.ext_ack.empty()) {
        err.message += " (kernel: " + f.ext_ack + ")";
    }
    switch (err.sys_errno) {
    case EEXIST:
    case EADDRINUSE:
        err.code = Errc::conflict;
        break;
    case ESRCH:
    case ENOENT:
    case EADDRNOTAVAIL:
    case ENODEV:
        err.code = Errc::not_found;
        break;
    default:
        break;
    }
    return err;
}

} // namespace colatrl

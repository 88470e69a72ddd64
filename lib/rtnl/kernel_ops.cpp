// SPDX-License-Identifier: GPL-2.0-or-later
#include "rtnl/kernel_ops.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>
#include <sys/time.h>

namespace colatrl {

namespace {

struct MsgDeleter {
    void operator()(nl_msg* m) const noexcept { nlmsg_free(m); }
};
using MsgPtr = std::unique_ptr<nl_msg, MsgDeleter>;

Error alloc_error(const std::string& what) {
    return sys_error(ENOMEM, what);
}

// "ifname" for messages; falls back to the index when the name is unknown.
std::string if_text(int ifindex, std::string_view ifname) {
    if (!ifname.empty()) {
        return std::string(ifname);
    }
    return "ifindex " + std::to_string(ifindex);
}

std::string name_of(int ifindex) {
    char buf[IF_NAMESIZE] = {};
    if (if_indextoname(static_cast<unsigned>(ifindex), buf) == nullptr) {
        return {};
    }
    return buf;
}

bool put_u32(nl_msg* m, int type, uint32_t v) {
    return nla_put_u32(m, type, v) == 0;
}

template <size_t N> bool put_bytes(nl_msg* m, int type, const std::array<uint8_t, N>& b) {
    return nla_put(m, type, static_cast<int>(N), b.data()) == 0;
}

bool put_via6(nl_msg* m, const Ipv6Addr& gw) {
    // struct rtvia: u16 family + address.
    std::array<uint8_t, 18> via{};
    const uint16_t fam = AF_INET6;
    std::memcpy(via.data(), &fam, 2);
    std::copy(gw.bytes.begin(), gw.bytes.end(), via.begin() + 2);
    return put_bytes(m, RTA_VIA, via);
}

// Table in rtm_table when it fits, and always in RTA_TABLE.
uint8_t rtm_table_of(uint32_t table) {
    return table < 256 ? static_cast<uint8_t>(table) : static_cast<uint8_t>(RT_TABLE_UNSPEC);
}

std::string ext_ack_text(const NlMsg& m, const nlmsgerr& e) {
    // With NETLINK_CAP_ACK the request is not echoed; the TLVs follow the
    // header copy. Without it they follow the whole echoed request.
    size_t off = sizeof(nlmsgerr);
    if (!(m.flags & NLM_F_CAPPED)) {
        off = sizeof(int) + e.msg.nlmsg_len;
    }
    if (!(m.flags & NLM_F_ACK_TLVS)) {
        return {};
    }
    off = (off + 3u) & ~size_t{3};
    auto rest = m.payload.subspan(std::min(off, m.payload.size()));
    while (rest.size() >= 4) {
        uint16_t len = 0;
        uint16_t type = 0;
        std::memcpy(&len, rest.data(), 2);
        std::memcpy(&type, rest.data() + 2, 2);
        if (len < 4 || len > rest.size()) {
            break;
        }
        if ((type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
            auto s = rest.subspan(4, len - 4u);
            auto end = std::find(s.begin(), s.end(), uint8_t{0});
            return std::string(s.begin(), end);
        }
        rest = rest.subspan(std::min<size_t>((len + 3u) & ~3u, rest.size()));
    }
    return {};
}

bool is_gone(int err) {
    return err == ESRCH || err == ENOENT || err == EADDRNOTAVAIL || err == ENODEV;
}

} // namespace

Result<KernelOps> KernelOps::open() {
    auto s = NlSocket::open_route();
    if (!s) {
        return std::move(s).error();
    }
    const int fd = s->fd();
    const int one = 1;
    // Extended ACK: the kernel explains refusals ("Invalid prefsrc address").
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    // Never hang the daemon on a lost answer.
    timeval tv{5, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return KernelOps(std::move(s.value()));
}

Status KernelOps::request(nl_msg* raw, const std::string& what,
                          const std::function<void(const NlMsg&)>& on_reply) {
    MsgPtr msg(raw);
    if (int err = nl_send_auto(sock_.get(), msg.get()); err < 0) {
        return make_error(Errc::system, what + ": sending request: " + nl_geterror(err));
    }
    const uint32_t seq = nlmsg_hdr(msg.get())->nlmsg_seq;
    std::vector<uint8_t> buf(64 * 1024);
    for (;;) {
        const ssize_t n = recv(sock_.fd(), buf.data(), buf.size(), 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return Error{Errc::timeout, what + ": no answer from the kernel", ETIMEDOUT};
            }
            return sys_error(errno, what + ": receiving answer");
        }
        bool bad = false;
        const auto msgs =
            split_datagram(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)), bad);
        for (const auto& m : msgs) {
            if (m.seq != seq) {
                continue; // a late answer to an earlier, timed-out request
            }
            if (m.type == NLMSG_DONE) {
                // A dump that failed midway ends with a negative error here.
                int derr = 0;
                if (m.payload.size() >= sizeof derr) {
                    std::memcpy(&derr, m.payload.data(), sizeof derr);
                }
                if (derr < 0) {
                    return sys_error(derr, what);
                }
                return {};
            }
            if (m.type == NLMSG_ERROR) {
                nlmsgerr e{};
                if (m.payload.size() < sizeof(int)) {
                    return make_error(Errc::parse, what + ": short error message from kernel");
                }
                std::memcpy(&e, m.payload.data(), std::min(sizeof e, m.payload.size()));
                if (e.error == 0) {
                    return {};
                }
                Error err = sys_error(e.error, what);
                if (auto ext = ext_ack_text(m, e); !ext.empty()) {
                    err.message += " (kernel: " + ext + ")";
                }
                if (err.sys_errno == EEXIST || err.sys_errno == EADDRINUSE) {
                    err.code = Errc::conflict;
                } else if (is_gone(err.sys_errno)) {
                    err.code = Errc::not_found;
                }
                return err;
            }
            if (on_reply) {
                on_reply(m);
            }
        }
        if (bad) {
            return make_error(Errc::parse, what + ": malformed netlink answer");
        }
    }
}

Status KernelOps::add_clat_addr4(int ifindex, std::string_view ifname, const Ipv4Addr& addr) {
    const std::string what = "adding " + addr.str() + "/32 to " + if_text(ifindex, ifname);
    MsgPtr m(
        nlmsg_alloc_simple(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE));
    if (!m) {
        return alloc_error(what);
    }
    ifaddrmsg ifa{};
    ifa.ifa_family = AF_INET;
    ifa.ifa_prefixlen = 32;
    ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    ifa.ifa_index = static_cast<uint32_t>(ifindex);
    const std::string name = ifname.empty() ? name_of(ifindex) : std::string(ifname);
    const std::string label = clat_addr_label(name);
    if (nlmsg_append(m.get(), &ifa, sizeof ifa, NLMSG_ALIGNTO) < 0 ||
        !put_bytes(m.get(), IFA_LOCAL, addr.bytes) ||
        !put_bytes(m.get(), IFA_ADDRESS, addr.bytes) ||
        !put_u32(m.get(), IFA_FLAGS, IFA_F_NOPREFIXROUTE) ||
        (!label.empty() && nla_put_string(m.get(), IFA_LABEL, label.c_str()) < 0) ||
        nla_put_u8(m.get(), IFA_PROTO, kRouteProtocol) < 0) {
        return alloc_error(what);
    }
    return request(m.release(), what);
}

Status KernelOps::del_clat_addr4(int ifindex, std::string_view ifname, const Ipv4Addr& addr) {
    const std::string what = "removing " + addr.str() + "/32 from " + if_text(ifindex, ifname);
    MsgPtr m(nlmsg_alloc_simple(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK));
    if (!m) {
        return alloc_error(what);
    }
    ifaddrmsg ifa{};
    ifa.ifa_family = AF_INET;
    ifa.ifa_prefixlen = 32;
    ifa.ifa_index = static_cast<uint32_t>(ifindex);
    if (nlmsg_append(m.get(), &ifa, sizeof ifa, NLMSG_ALIGNTO) < 0 ||
        !put_bytes(m.get(), IFA_LOCAL, addr.bytes)) {
        return alloc_error(what);
    }
    auto st = request(m.release(), what);
    if (!st && st.error().code == Errc::not_found) {
        return {}; // already gone: what we wanted
    }
    return st;
}

Status KernelOps::replace_clat_route4(const ClatRoute4& r) {
    const std::string what = "installing IPv4 default route via inet6 " + r.gateway.str() +
                             " dev " + if_text(r.ifindex, r.ifname) + " src " + r.src.str() +
                             " mtu " + std::to_string(r.mtu);
    MsgPtr m(
        nlmsg_alloc_simple(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE));
    if (!m) {
        return alloc_error(what);
    }
    rtmsg rtm{};
    rtm.rtm_family = AF_INET;
    rtm.rtm_table = rtm_table_of(r.table);
    rtm.rtm_protocol = kRouteProtocol;
    rtm.rtm_scope = RT_SCOPE_UNIVERSE;
    rtm.rtm_type = RTN_UNICAST;
    bool ok = nlmsg_append(m.get(), &rtm, sizeof rtm, NLMSG_ALIGNTO) == 0 &&
              put_u32(m.get(), RTA_TABLE, r.table) &&
              put_u32(m.get(), RTA_OIF, static_cast<uint32_t>(r.ifindex)) &&
              put_via6(m.get(), r.gateway) && put_bytes(m.get(), RTA_PREFSRC, r.src.bytes) &&
              put_u32(m.get(), RTA_PRIORITY, kRouteMetric);
    if (ok && r.mtu != 0) {
        nlattr* mx = nla_nest_start(m.get(), RTA_METRICS);
        ok = mx != nullptr && put_u32(m.get(), RTAX_MTU, r.mtu) && nla_nest_end(m.get(), mx) == 0;
    }
    if (!ok) {
        return alloc_error(what);
    }
    return request(m.release(), what);
}

namespace {
// DELROUTE matching exactly one route: family, dst, table, protocol, metric, oif.
MsgPtr del_route_msg(uint8_t family, uint8_t dst_len, std::span<const uint8_t> dst, uint32_t table,
                     uint8_t protocol, uint32_t metric, int oif) {
    MsgPtr m(nlmsg_alloc_simple(RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK));
    if (!m) {
        return m;
    }
    rtmsg rtm{};
    rtm.rtm_family = family;
    rtm.rtm_dst_len = dst_len;
    rtm.rtm_table = rtm_table_of(table);
    rtm.rtm_protocol = protocol;
    rtm.rtm_scope = RT_SCOPE_NOWHERE;
    bool ok = nlmsg_append(m.get(), &rtm, sizeof rtm, NLMSG_ALIGNTO) == 0 &&
              put_u32(m.get(), RTA_TABLE, table) && put_u32(m.get(), RTA_PRIORITY, metric);
    if (ok && dst_len > 0) {
        ok = nla_put(m.get(), RTA_DST, static_cast<int>(dst.size()), dst.data()) == 0;
    }
    if (ok && oif > 0) {
        ok = put_u32(m.get(), RTA_OIF, static_cast<uint32_t>(oif));
    }
    if (!ok) {
        m.reset();
    }
    return m;
}
} // namespace

Status KernelOps::del_clat_route4(int ifindex, std::string_view ifname, uint32_t table) {
    const std::string what = "removing our IPv4 default route from " + if_text(ifindex, ifname);
    MsgPtr m = del_route_msg(AF_INET, 0, {}, table, kRouteProtocol, kRouteMetric, ifindex);
    if (!m) {
        return alloc_error(what);
    }
    auto st = request(m.release(), what);
    if (!st && st.error().code == Errc::not_found) {
        return {};
    }
    return st;
}

Status KernelOps::del_route4(const Route4& r) {
    const std::string what = "removing IPv4 route " + r.dst.str() + " proto " +
                             std::to_string(r.protocol) + " metric " + std::to_string(r.metric) +
                             " table " + std::to_string(r.table) + " from " +
                             if_text(r.ifindex, name_of(r.ifindex));
    MsgPtr m = del_route_msg(AF_INET, r.dst.len, r.dst.addr.bytes, r.table, r.protocol, r.metric,
                             r.ifindex);
    if (!m) {
        return alloc_error(what);
    }
    auto st = request(m.release(), what);
    if (!st && st.error().code == Errc::not_found) {
        return {};
    }
    return st;
}

Status KernelOps::del_route6(const Route6& r) {
    const std::string what = "removing IPv6 route " + r.dst.str() + " proto " +
                             std::to_string(r.protocol) + " from " +
                             if_text(r.ifindex, name_of(r.ifindex));
    MsgPtr m = del_route_msg(AF_INET6, r.dst.len, r.dst.addr.bytes, r.table, r.protocol, r.metric,
                             r.ifindex);
    if (!m) {
        return alloc_error(what);
    }
    auto st = request(m.release(), what);
    if (!st && st.error().code == Errc::not_found) {
        return {};
    }
    return st;
}

Result<OurLeftovers> KernelOps::list_ours() {
    OurLeftovers out;
    bool malformed = false;
    auto dump = [&](int type, uint8_t family, const std::string& what,
                    const std::function<void(const NlMsg&)>& fn) -> Status {
        MsgPtr m(nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_DUMP));
        if (!m) {
            return alloc_error(what);
        }
        // Both ifaddrmsg and rtmsg start with the family byte; send the larger.
        rtmsg hdr{};
        hdr.rtm_family = family;
        const size_t len = type == RTM_GETADDR ? sizeof(ifaddrmsg) : sizeof(rtmsg);
        if (nlmsg_append(m.get(), &hdr, len, NLMSG_ALIGNTO) < 0) {
            return alloc_error(what);
        }
        return request(m.release(), what, fn);
    };

    auto st = dump(RTM_GETADDR, AF_INET, "listing IPv4 addresses", [&](const NlMsg& m) {
        Addr4 a;
        std::string label;
        uint8_t proto = 0;
        const auto ps = parse_addr4(m, a, &label, &proto);
        if (ps == ParseStatus::malformed) {
            malformed = true;
        }
        if (ps != ParseStatus::ok || a.prefixlen != 32 || !kClatIpv4Range.contains(a.addr)) {
            return;
        }
        if (proto == kRouteProtocol || is_clat_addr_label(label, name_of(a.ifindex))) {
            out.addrs4.push_back(a);
        }
    });
    if (!st) {
        return std::move(st).error();
    }
    st = dump(RTM_GETROUTE, AF_INET, "listing IPv4 routes", [&](const NlMsg& m) {
        if (parse_route4(m, RouteFilter::ours_only, out.routes4) == ParseStatus::malformed) {
            malformed = true;
        }
    });
    if (!st) {
        return std::move(st).error();
    }
    st = dump(RTM_GETROUTE, AF_INET6, "listing IPv6 routes", [&](const NlMsg& m) {
        if (parse_route6(m, RouteFilter::ours_only, out.routes6) == ParseStatus::malformed) {
            malformed = true;
        }
    });
    if (!st) {
        return std::move(st).error();
    }
    if (malformed) {
        return make_error(Errc::parse, "listing our leftovers: malformed answer from the kernel");
    }
    return out;
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
#include "rtnl/netlink.hpp"

#include "sys/log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

namespace colatrl {

// ---------------------------------------------------------------------------
// Byte helpers: everything is read with memcpy from length-checked spans, so a
// malformed message can make a parse fail but never read out of bounds.
namespace {

// IFF_LOWER_UP (carrier) lives in <linux/if.h>, which clashes with <net/if.h>.
constexpr uint32_t kIffLowerUp = 1u << 16;

constexpr size_t align4(size_t n) {
    return (n + 3u) & ~size_t{3};
}

template <typename T> bool read_struct(std::span<const uint8_t> in, T& out) {
    if (in.size() < sizeof(T)) {
        return false;
    }
    std::memcpy(&out, in.data(), sizeof(T));
    return true;
}

// Attributes of one level, indexed by type (types above Max are ignored).
template <size_t Max> struct Attrs {
    std::array<std::span<const uint8_t>, Max + 1> a{};
    std::array<bool, Max + 1> present{};

    bool parse(std::span<const uint8_t> in) {
        while (in.size() >= 4) {
            uint16_t len = 0;
            uint16_t type = 0;
            std::memcpy(&len, in.data(), 2);
            std::memcpy(&type, in.data() + 2, 2);
            if (len < 4 || len > in.size()) {
                return false;
            }
            type = static_cast<uint16_t>(type & NLA_TYPE_MASK);
            if (type <= Max) {
                a[type] = in.subspan(4, len - 4u);
                present[type] = true;
            }
            const size_t step = std::min(align4(len), in.size());
            in = in.subspan(step);
        }
        return true; // trailing bytes < 4 are padding
    }
    bool has(size_t t) const { return present[t]; }
    std::span<const uint8_t> get(size_t t) const { return a[t]; }
    bool u32(size_t t, uint32_t& v) const {
        if (!present[t] || a[t].size() < 4) {
            return false;
        }
        std::memcpy(&v, a[t].data(), 4);
        return true;
    }
    bool u8(size_t t, uint8_t& v) const {
        if (!present[t] || a[t].empty()) {
            return false;
        }
        v = a[t][0];
        return true;
    }
    // NUL-terminated string attribute (terminator optional, length capped).
    std::string str(size_t t) const {
        if (!present[t]) {
            return {};
        }
        auto s = a[t];
        const auto end = std::find(s.begin(), s.end(), uint8_t{0});
        return std::string(s.begin(), end);
    }
};

bool to_v4(std::span<const uint8_t> s, Ipv4Addr& out) {
    if (s.size() != 4) {
        return false;
    }
    std::copy(s.begin(), s.end(), out.bytes.begin());
    return true;
}

bool to_v6(std::span<const uint8_t> s, Ipv6Addr& out) {
    if (s.size() != 16) {
        return false;
    }
    std::copy(s.begin(), s.end(), out.bytes.begin());
    return true;
}

Ipv4Prefix make_prefix4(const Ipv4Addr& a, uint8_t len) {
    const uint32_t mask = len == 0 ? 0u : (len >= 32 ? ~0u : ~((1u << (32 - len)) - 1u));
    return Ipv4Prefix{Ipv4Addr::from_host(a.to_host() & mask), len};
}

bool route_wanted(const rtmsg& rtm, RouteFilter filter) {
    if (rtm.rtm_flags & RTM_F_CLONED) {
        return false; // route cache entries (PMTU exceptions), not routes
    }
    if (rtm.rtm_protocol == kRouteProtocol) {
        return true;
    }
    return filter == RouteFilter::defaults_and_ours && rtm.rtm_dst_len == 0 &&
           rtm.rtm_src_len == 0 && rtm.rtm_type == RTN_UNICAST;
}

// Fields every route message shares, whatever the family.
struct RouteCommon {
    rtmsg rtm{};
    uint32_t table = 0;
    uint32_t metric = 0;
    uint32_t mtu = 0;
    int oif = 0;
};

using RouteAttrs = Attrs<RTA_MAX>;

ParseStatus parse_route_common(const NlMsg& msg, uint8_t family, RouteFilter filter, RouteCommon& c,
                               RouteAttrs& at) {
    if (!read_struct(msg.payload, c.rtm)) {
        return ParseStatus::malformed;
    }
    if (c.rtm.rtm_family != family) {
        return ParseStatus::skip;
    }
    if (!at.parse(msg.payload.subspan(align4(sizeof(rtmsg))))) {
        return ParseStatus::malformed;
    }
    if (!route_wanted(c.rtm, filter)) {
        return ParseStatus::skip;
    }
    c.table = c.rtm.rtm_table;
    if (at.has(RTA_TABLE) && !at.u32(RTA_TABLE, c.table)) {
        return ParseStatus::malformed;
    }
    if (at.has(RTA_PRIORITY) && !at.u32(RTA_PRIORITY, c.metric)) {
        return ParseStatus::malformed;
    }
    uint32_t oif = 0;
    if (at.has(RTA_OIF) && !at.u32(RTA_OIF, oif)) {
        return ParseStatus::malformed;
    }
    c.oif = static_cast<int>(oif);
    if (at.has(RTA_METRICS)) {
        Attrs<RTAX_MAX> mx;
        if (!mx.parse(at.get(RTA_METRICS)) || (mx.has(RTAX_MTU) && !mx.u32(RTAX_MTU, c.mtu))) {
            return ParseStatus::malformed;
        }
    }
    return ParseStatus::ok;
}

// One next hop: either the top-level attributes or one rtnexthop of
// RTA_MULTIPATH. Sets gw4/gw6 as the family allows.
template <typename Fn> ParseStatus for_each_nexthop(const RouteAttrs& at, int oif, Fn&& fn) {
    if (!at.has(RTA_MULTIPATH)) {
        return fn(oif, at);
    }
    auto mp = at.get(RTA_MULTIPATH);
    while (!mp.empty()) {
        rtnexthop nh{};
        if (!read_struct(mp, nh) || nh.rtnh_len < sizeof(rtnexthop) || nh.rtnh_len > mp.size()) {
            return ParseStatus::malformed;
        }
        RouteAttrs nat;
        if (!nat.parse(
                mp.subspan(align4(sizeof(rtnexthop)), nh.rtnh_len - align4(sizeof(rtnexthop))))) {
            return ParseStatus::malformed;
        }
        if (auto st = fn(nh.rtnh_ifindex, nat); st != ParseStatus::ok) {
            return st;
        }
        mp = mp.subspan(std::min(align4(nh.rtnh_len), mp.size()));
    }
    return ParseStatus::ok;
}

bool same_route4(const Route4& a, const Route4& b) {
    return a.ifindex == b.ifindex && a.dst == b.dst && a.table == b.table && a.metric == b.metric &&
           a.protocol == b.protocol;
}

void log_line(int level, const std::string& text) {
    log::write(static_cast<log::Level>(level), {}, "netlink: " + text);
}

} // namespace

// ---------------------------------------------------------------------------
// Parsers

std::vector<NlMsg> split_datagram(std::span<const uint8_t> datagram, bool& malformed) {
    std::vector<NlMsg> out;
    malformed = false;
    while (datagram.size() >= sizeof(nlmsghdr)) {
        nlmsghdr h{};
        std::memcpy(&h, datagram.data(), sizeof h);
        if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > datagram.size()) {
            malformed = true;
            return out;
        }
        out.push_back(NlMsg{h.nlmsg_type, h.nlmsg_flags, h.nlmsg_seq, h.nlmsg_pid,
                            datagram.subspan(sizeof(nlmsghdr), h.nlmsg_len - sizeof(nlmsghdr))});
        datagram = datagram.subspan(std::min(align4(h.nlmsg_len), datagram.size()));
    }
    if (!datagram.empty()) {
        malformed = true;
    }
    return out;
}

ParseStatus parse_link(const NlMsg& msg, Link& out) {
    ifinfomsg ifi{};
    if (!read_struct(msg.payload, ifi)) {
        return ParseStatus::malformed;
    }
    // AF_BRIDGE messages describe bridge ports, not links (a DELLINK there
    // only means "left the bridge").
    if (ifi.ifi_family != AF_UNSPEC) {
        return ParseStatus::skip;
    }
    Attrs<IFLA_MAX> at;
    if (!at.parse(msg.payload.subspan(std::min(align4(sizeof ifi), msg.payload.size()))) ||
        ifi.ifi_index <= 0) {
        return ParseStatus::malformed;
    }
    out = Link{};
    out.ifindex = ifi.ifi_index;
    out.flags = ifi.ifi_flags;
    out.type = ifi.ifi_type;
    out.oper_up = (ifi.ifi_flags & IFF_UP) && (ifi.ifi_flags & kIffLowerUp);
    out.name = at.str(IFLA_IFNAME);
    if (at.has(IFLA_MTU) && !at.u32(IFLA_MTU, out.mtu)) {
        return ParseStatus::malformed;
    }
    if (msg.type == RTM_NEWLINK && out.name.empty()) {
        return ParseStatus::malformed;
    }
    return ParseStatus::ok;
}

namespace {
template <size_t N>
ParseStatus parse_addr_common(const NlMsg& msg, uint8_t family, ifaddrmsg& ifa, Attrs<IFA_MAX>& at,
                              std::span<const uint8_t>& local, uint32_t& flags) {
    if (!read_struct(msg.payload, ifa)) {
        return ParseStatus::malformed;
    }
    if (ifa.ifa_family != family) {
        return ParseStatus::skip;
    }
    if (!at.parse(msg.payload.subspan(std::min(align4(sizeof ifa), msg.payload.size())))) {
        return ParseStatus::malformed;
    }
    // IFA_LOCAL is the local address when present (peer setups put the peer
    // in IFA_ADDRESS); otherwise IFA_ADDRESS is.
    local = at.has(IFA_LOCAL) ? at.get(IFA_LOCAL) : at.get(IFA_ADDRESS);
    if (local.size() != N || ifa.ifa_index == 0) {
        return ParseStatus::malformed;
    }
    flags = ifa.ifa_flags;
    if (at.has(IFA_FLAGS) && !at.u32(IFA_FLAGS, flags)) {
        return ParseStatus::malformed;
    }
    return ParseStatus::ok;
}
} // namespace

ParseStatus parse_addr4(const NlMsg& msg, Addr4& out, std::string* label, uint8_t* proto) {
    ifaddrmsg ifa{};
    Attrs<IFA_MAX> at;
    std::span<const uint8_t> local;
    uint32_t flags = 0;
    if (auto st = parse_addr_common<4>(msg, AF_INET, ifa, at, local, flags);
        st != ParseStatus::ok) {
        return st;
    }
    out = Addr4{};
    out.ifindex = static_cast<int>(ifa.ifa_index);
    to_v4(local, out.addr);
    out.prefixlen = ifa.ifa_prefixlen;
    out.scope = ifa.ifa_scope;
    out.flags = flags;
    if (label != nullptr) {
        *label = at.str(IFA_LABEL);
    }
    if (proto != nullptr) {
        *proto = 0;
        at.u8(IFA_PROTO, *proto);
    }
    return ParseStatus::ok;
}

ParseStatus parse_addr6(const NlMsg& msg, Addr6& out) {
    ifaddrmsg ifa{};
    Attrs<IFA_MAX> at;
    std::span<const uint8_t> local;
    uint32_t flags = 0;
    if (auto st = parse_addr_common<16>(msg, AF_INET6, ifa, at, local, flags);
        st != ParseStatus::ok) {
        return st;
    }
    out = Addr6{};
    out.ifindex = static_cast<int>(ifa.ifa_index);
    to_v6(local, out.addr);
    out.prefixlen = ifa.ifa_prefixlen;
    out.scope = ifa.ifa_scope;
    out.flags = flags;
    out.preferred_lft = 0xffffffffu;
    out.valid_lft = 0xffffffffu;
    if (at.has(IFA_CACHEINFO)) {
        ifa_cacheinfo ci{};
        if (!read_struct(at.get(IFA_CACHEINFO), ci)) {
            return ParseStatus::malformed;
        }
        out.preferred_lft = ci.ifa_prefered;
        out.valid_lft = ci.ifa_valid;
    }
    return ParseStatus::ok;
}

ParseStatus parse_route4(const NlMsg& msg, RouteFilter filter, std::vector<Route4>& out) {
    RouteCommon c;
    RouteAttrs at;
    if (auto st = parse_route_common(msg, AF_INET, filter, c, at); st != ParseStatus::ok) {
        return st;
    }
    Route4 base;
    base.protocol = c.rtm.rtm_protocol;
    base.table = c.table;
    base.metric = c.metric;
    base.mtu = c.mtu;
    Ipv4Addr dst;
    if (c.rtm.rtm_dst_len > 32 || (c.rtm.rtm_dst_len > 0 && !to_v4(at.get(RTA_DST), dst))) {
        return ParseStatus::malformed;
    }
    base.dst = make_prefix4(dst, c.rtm.rtm_dst_len);
    if (at.has(RTA_PREFSRC)) {
        Ipv4Addr src;
        if (!to_v4(at.get(RTA_PREFSRC), src)) {
            return ParseStatus::malformed;
        }
        base.prefsrc = src;
    }
    std::vector<Route4> found;
    auto st = for_each_nexthop(at, c.oif, [&](int oif, const RouteAttrs& nh) {
        Route4 r = base;
        r.ifindex = oif;
        if (nh.has(RTA_GATEWAY)) {
            Ipv4Addr gw;
            if (!to_v4(nh.get(RTA_GATEWAY), gw)) {
                return ParseStatus::malformed;
            }
            r.gw4 = gw;
        }
        if (nh.has(RTA_VIA)) {
            // struct rtvia: u16 family, then the address.
            auto via = nh.get(RTA_VIA);
            uint16_t fam = 0;
            if (via.size() < 2) {
                return ParseStatus::malformed;
            }
            std::memcpy(&fam, via.data(), 2);
            Ipv6Addr gw6;
            Ipv4Addr gw4;
            if (fam == AF_INET6 && to_v6(via.subspan(2), gw6)) {
                r.gw6 = gw6;
            } else if (fam == AF_INET && to_v4(via.subspan(2), gw4)) {
                r.gw4 = gw4;
            } else {
                return ParseStatus::malformed;
            }
        }
        found.push_back(r);
        return ParseStatus::ok;
    });
    if (st != ParseStatus::ok) {
        return st;
    }
    out.insert(out.end(), found.begin(), found.end());
    return ParseStatus::ok;
}

ParseStatus parse_route6(const NlMsg& msg, RouteFilter filter, std::vector<Route6>& out) {
    RouteCommon c;
    RouteAttrs at;
    if (auto st = parse_route_common(msg, AF_INET6, filter, c, at); st != ParseStatus::ok) {
        return st;
    }
    Route6 base;
    base.protocol = c.rtm.rtm_protocol;
    base.table = c.table;
    base.metric = c.metric;
    base.mtu = c.mtu;
    Ipv6Addr dst;
    if (c.rtm.rtm_dst_len > 128 || (c.rtm.rtm_dst_len > 0 && !to_v6(at.get(RTA_DST), dst))) {
        return ParseStatus::malformed;
    }
    base.dst = Ipv6Prefix::make(dst, c.rtm.rtm_dst_len);
    std::vector<Route6> found;
    auto st = for_each_nexthop(at, c.oif, [&](int oif, const RouteAttrs& nh) {
        Route6 r = base;
        r.ifindex = oif;
        if (nh.has(RTA_GATEWAY)) {
            Ipv6Addr gw;
            if (!to_v6(nh.get(RTA_GATEWAY), gw)) {
                return ParseStatus::malformed;
            }
            r.gw = gw;
        }
        found.push_back(r);
        return ParseStatus::ok;
    });
    if (st != ParseStatus::ok) {
        return st;
    }
    out.insert(out.end(), found.begin(), found.end());
    return ParseStatus::ok;
}

ParseStatus parse_nd_useropt(const NlMsg& msg, int& ifindex, Ipv6Addr& router,
                             std::vector<std::span<const uint8_t>>& options) {
    nduseroptmsg m{};
    if (!read_struct(msg.payload, m)) {
        return ParseStatus::malformed;
    }
    if (m.nduseropt_family != AF_INET6 || m.nduseropt_icmp_type != ND_ROUTER_ADVERT) {
        return ParseStatus::skip;
    }
    const size_t opts_end = sizeof(nduseroptmsg) + m.nduseropt_opts_len;
    if (opts_end > msg.payload.size()) {
        return ParseStatus::malformed;
    }
    auto opts = msg.payload.subspan(sizeof(nduseroptmsg), m.nduseropt_opts_len);
    Attrs<NDUSEROPT_MAX> at;
    if (!at.parse(msg.payload.subspan(std::min(align4(opts_end), msg.payload.size()))) ||
        !to_v6(at.get(NDUSEROPT_SRCADDR), router)) {
        return ParseStatus::malformed;
    }
    ifindex = m.nduseropt_ifindex;
    std::vector<std::span<const uint8_t>> found;
    while (!opts.empty()) {
        // ND option: type, length in units of 8 octets (0 is invalid), body.
        if (opts.size() < 2 || opts[1] == 0 || size_t{opts[1]} * 8u > opts.size()) {
            return ParseStatus::malformed;
        }
        const size_t len = size_t{opts[1]} * 8u;
        found.push_back(opts.first(len));
        opts = opts.subspan(len);
    }
    options.insert(options.end(), found.begin(), found.end());
    return ParseStatus::ok;
}

// ---------------------------------------------------------------------------
// NlSocket

void NlSocket::Deleter::operator()(nl_sock* s) const noexcept {
    nl_socket_free(s);
}

Result<NlSocket> NlSocket::open_route() {
    NlSocket s;
    s.sock_.reset(nl_socket_alloc());
    if (!s.sock_) {
        return sys_error(ENOMEM, "netlink: nl_socket_alloc");
    }
    nl_socket_disable_seq_check(s.get());
    nl_socket_disable_auto_ack(s.get());
    if (int err = nl_connect(s.get(), NETLINK_ROUTE); err < 0) {
        return make_error(Errc::system,
                          std::string("netlink: connecting NETLINK_ROUTE: ") + nl_geterror(err));
    }
    return s;
}

int NlSocket::fd() const {
    return sock_ ? nl_socket_get_fd(sock_.get()) : -1;
}

Status NlSocket::set_nonblocking() {
    if (int err = nl_socket_set_nonblocking(sock_.get()); err < 0) {
        return make_error(Errc::system,
                          std::string("netlink: set non-blocking: ") + nl_geterror(err));
    }
    return {};
}

Status NlSocket::set_rcvbuf(int bytes) {
    if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) == 0) {
        return {};
    }
    if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) != 0) {
        return sys_error(errno, "netlink: SO_RCVBUF");
    }
    return {};
}

// ---------------------------------------------------------------------------
// NetlinkMonitor

NetlinkMonitor::NetlinkMonitor(NetlinkSink& sink) : sink_(sink), buf_(64 * 1024) {}

NetlinkMonitor::~NetlinkMonitor() {
    detach();
}

void NetlinkMonitor::detach() {
    io_ = sd_event_source_disable_unref(io_);
    sock_ = NlSocket{};
    step_ = DumpStep::idle;
}

Status NetlinkMonitor::attach(sd_event* event, int rcvbuf_bytes) {
    detach();
    auto s = NlSocket::open_route();
    if (!s) {
        return std::move(s).error();
    }
    sock_ = std::move(s.value());
    if (auto st = sock_.set_nonblocking(); !st) {
        return st;
    }
    // A dump of a busy host plus a burst of events must fit; overruns still
    // recover (re-dump), they are just expensive.
    if (auto st = sock_.set_rcvbuf(rcvbuf_bytes); !st) {
        log_line(4, st.error().message);
    }
    // Subscribe before dumping, so no change can fall between the two.
    if (int err = nl_socket_add_memberships(sock_.get(), RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
                                            RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE,
                                            RTNLGRP_IPV6_ROUTE, RTNLGRP_ND_USEROPT, 0);
        err < 0) {
        return make_error(Errc::system,
                          std::string("netlink: joining rtnetlink groups: ") + nl_geterror(err));
    }
    if (int r = sd_event_add_io(event, &io_, sock_.fd(), EPOLLIN, &NetlinkMonitor::on_io, this);
        r < 0) {
        return sys_error(r, "netlink: sd_event_add_io");
    }
    (void)sd_event_source_set_description(io_, "netlink-monitor");
    known4_.clear();
    full_dump_ = true;
    send_dump(DumpStep::links);
    return {};
}

void NetlinkMonitor::request_resync() {
    sink_.on_resync_needed();
    known4_.clear();
    sweeping4_ = false;
    if (step_ != DumpStep::idle) {
        full_dump_pending_ = true; // one dump at a time per socket
        return;
    }
    full_dump_ = true;
    send_dump(DumpStep::links);
}

void NetlinkMonitor::send_dump(DumpStep step) {
    int type = 0;
    const void* hdr = nullptr;
    size_t len = 0;
    ifinfomsg ifi{};
    ifaddrmsg ifa{};
    rtmsg rtm{};
    switch (step) {
    case DumpStep::links:
        type = RTM_GETLINK;
        ifi.ifi_family = AF_UNSPEC;
        hdr = &ifi;
        len = sizeof ifi;
        break;
    case DumpStep::addrs4:
    case DumpStep::addrs6:
        type = RTM_GETADDR;
        ifa.ifa_family = step == DumpStep::addrs4 ? AF_INET : AF_INET6;
        hdr = &ifa;
        len = sizeof ifa;
        break;
    case DumpStep::routes4:
    case DumpStep::routes6:
        type = RTM_GETROUTE;
        rtm.rtm_family = step == DumpStep::routes4 ? AF_INET : AF_INET6;
        hdr = &rtm;
        len = sizeof rtm;
        break;
    case DumpStep::idle:
        return;
    }
    if (!sock_) {
        return;
    }
    step_ = step;
    dump_intr_ = false;
    // nl_send_simple copies `hdr`, so locals are fine.
    if (int err = nl_send_simple(sock_.get(), type, NLM_F_DUMP, const_cast<void*>(hdr), len);
        err < 0) {
        // Nothing will answer: give up on this sequence; the next overrun or
        // request_resync() starts a new one.
        log_line(3, std::string("sending dump request failed: ") + nl_geterror(err));
        step_ = DumpStep::idle;
        full_dump_ = false;
        sweeping4_ = false;
    }
}

void NetlinkMonitor::start_route4_sweep() {
    if (!sock_) {
        return; // fed by hand (tests), nothing to ask
    }
    if (step_ != DumpStep::idle) {
        route4_sweep_pending_ = true;
        return;
    }
    sweeping4_ = true;
    seen4_.clear();
    send_dump(DumpStep::routes4);
}

int NetlinkMonitor::on_io(sd_event_source*, int, uint32_t, void* userdata) {
    static_cast<NetlinkMonitor*>(userdata)->read_all();
    return 0;
}

void NetlinkMonitor::read_all() {
    // Bounded so a flood of events cannot starve the rest of the loop; epoll
    // is level-triggered and calls again.
    for (int i = 0; i < 256 && sock_; ++i) {
        sockaddr_nl from{};
        iovec iov{buf_.data(), buf_.size()};
        msghdr mh{};
        mh.msg_name = &from;
        mh.msg_namelen = sizeof from;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        const ssize_t n = recvmsg(sock_.fd(), &mh, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            }
            if (errno == ENOBUFS) {
                ++stats_.overruns;
                log_line(4, "receive buffer overrun, events lost: dumping everything again");
                request_resync();
                continue;
            }
            log_line(3, std::string("recvmsg: ") + std::strerror(errno));
            return;
        }
        if (mh.msg_flags & MSG_TRUNC) {
            malformed("truncated datagram");
            request_resync();
            continue;
        }
        if (from.nl_pid != 0) {
            continue; // only the kernel speaks to us
        }
        feed(std::span<const uint8_t>(buf_.data(), static_cast<size_t>(n)));
    }
}

void NetlinkMonitor::feed(std::span<const uint8_t> datagram) {
    bool bad = false;
    const auto msgs = split_datagram(datagram, bad);
    for (const auto& m : msgs) {
        ++stats_.messages;
        handle(m);
    }
    if (bad) {
        malformed("broken netlink header");
    }
}

void NetlinkMonitor::malformed(const char* what) {
    ++stats_.malformed;
    // Log the first few and then rarely: a misbehaving kernel or a bug must
    // not flood the journal.
    if (stats_.malformed <= 10 || stats_.malformed % 1000 == 0) {
        log_line(4, std::string("malformed message dropped (") + what + "), " +
                        std::to_string(stats_.malformed) + " so far");
    }
}

void NetlinkMonitor::handle(const NlMsg& m) {
    if (m.flags & NLM_F_DUMP_INTR) {
        dump_intr_ = true;
    }
    switch (m.type) {
    case NLMSG_DONE:
        dump_done(m);
        return;
    case NLMSG_ERROR: {
        nlmsgerr e{};
        if (!read_struct(m.payload, e)) {
            malformed("short NLMSG_ERROR");
            return;
        }
        if (e.error != 0 && step_ != DumpStep::idle) {
            // Our dump request was refused (e.g. EBUSY): ask again a few
            // times, then skip this part rather than stall the sequence.
            log_line(4, std::string("dump request refused: ") + std::strerror(-e.error));
            if (++dump_retries_ <= 3) {
                send_dump(step_);
            } else {
                dump_done(m);
            }
        }
        return;
    }
    case NLMSG_NOOP:
    case NLMSG_OVERRUN:
        return;
    case RTM_NEWLINK:
    case RTM_DELLINK:
        handle_link(m);
        return;
    case RTM_NEWADDR:
    case RTM_DELADDR:
        handle_addr(m);
        return;
    case RTM_NEWROUTE:
    case RTM_DELROUTE:
        handle_route(m);
        return;
    case RTM_NEWNDUSEROPT:
        handle_useropt(m);
        return;
    default:
        return;
    }
}

void NetlinkMonitor::handle_link(const NlMsg& m) {
    Link l;
    switch (parse_link(m, l)) {
    case ParseStatus::malformed:
        malformed("link");
        return;
    case ParseStatus::skip:
        return;
    case ParseStatus::ok:
        break;
    }
    if (m.type == RTM_DELLINK) {
        link_flags_.erase(l.ifindex);
        sink_.on_link_removed(l.ifindex);
        // The kernel drops the link's IPv4 routes without RTM_DELROUTE.
        start_route4_sweep();
        return;
    }
    auto it = link_flags_.find(l.ifindex);
    const bool was_up = it != link_flags_.end() && (it->second & IFF_UP);
    link_flags_[l.ifindex] = l.flags;
    sink_.on_link(l);
    if (was_up && !(l.flags & IFF_UP)) {
        start_route4_sweep(); // admin down flushes IPv4 routes silently
    }
}

void NetlinkMonitor::handle_addr(const NlMsg& m) {
    const bool removed = m.type == RTM_DELADDR;
    Addr4 a4;
    switch (parse_addr4(m, a4)) {
    case ParseStatus::malformed:
        malformed("IPv4 address");
        return;
    case ParseStatus::ok:
        sink_.on_addr4(a4, removed);
        if (removed) {
            start_route4_sweep(); // routes using it go away without a message
        }
        return;
    case ParseStatus::skip:
        break;
    }
    Addr6 a6;
    switch (parse_addr6(m, a6)) {
    case ParseStatus::malformed:
        malformed("IPv6 address");
        return;
    case ParseStatus::ok:
        sink_.on_addr6(a6, removed);
        return;
    case ParseStatus::skip:
        return;
    }
}

void NetlinkMonitor::report_route4(const Route4& r, bool removed) {
    auto it = std::find_if(known4_.begin(), known4_.end(),
                           [&](const Route4& k) { return same_route4(k, r); });
    if (removed) {
        if (it != known4_.end()) {
            known4_.erase(it);
        }
    } else if (it != known4_.end()) {
        *it = r;
    } else {
        known4_.push_back(r);
    }
    if (sweeping4_) {
        auto s = std::find_if(seen4_.begin(), seen4_.end(),
                              [&](const Route4& k) { return same_route4(k, r); });
        if (removed && s != seen4_.end()) {
            seen4_.erase(s);
        } else if (!removed && s == seen4_.end()) {
            seen4_.push_back(r);
        }
    }
    sink_.on_route4(r, removed);
}

void NetlinkMonitor::handle_route(const NlMsg& m) {
    const bool removed = m.type == RTM_DELROUTE;
    std::vector<Route4> r4;
    switch (parse_route4(m, RouteFilter::defaults_and_ours, r4)) {
    case ParseStatus::malformed:
        malformed("IPv4 route");
        return;
    case ParseStatus::ok:
        for (const auto& r : r4) {
            report_route4(r, removed);
        }
        return;
    case ParseStatus::skip:
        break;
    }
    std::vector<Route6> r6;
    switch (parse_route6(m, RouteFilter::defaults_and_ours, r6)) {
    case ParseStatus::malformed:
        malformed("IPv6 route");
        return;
    case ParseStatus::ok:
        for (const auto& r : r6) {
            sink_.on_route6(r, removed);
        }
        return;
    case ParseStatus::skip:
        return;
    }
}

void NetlinkMonitor::handle_useropt(const NlMsg& m) {
    int ifindex = 0;
    Ipv6Addr router;
    std::vector<std::span<const uint8_t>> opts;
    switch (parse_nd_useropt(m, ifindex, router, opts)) {
    case ParseStatus::malformed:
        malformed("ND user option");
        return;
    case ParseStatus::skip:
        return;
    case ParseStatus::ok:
        break;
    }
    for (auto o : opts) {
        sink_.on_nd_useropt(ifindex, router, o);
    }
}

void NetlinkMonitor::dump_done(const NlMsg& m) {
    (void)m;
    if (step_ == DumpStep::idle) {
        return; // stray DONE
    }
    const DumpStep finished = step_;
    step_ = DumpStep::idle;
    dump_retries_ = 0;
    if (dump_intr_) {
        // The kernel says the dump may be inconsistent (changed while
        // dumping): start over from a clean slate.
        log_line(5, "dump interrupted by changes, dumping again");
        request_resync();
        return;
    }
    if (finished == DumpStep::routes4 && sweeping4_) {
        sweeping4_ = false;
        std::vector<Route4> gone;
        for (const auto& k : known4_) {
            if (std::none_of(seen4_.begin(), seen4_.end(),
                             [&](const Route4& s) { return same_route4(s, k); })) {
                gone.push_back(k);
            }
        }
        for (const auto& g : gone) {
            report_route4(g, true);
        }
        seen4_.clear();
    }
    if (full_dump_pending_) {
        full_dump_pending_ = false;
        full_dump_ = true;
        send_dump(DumpStep::links);
        return;
    }
    if (full_dump_) {
        if (finished != DumpStep::routes6) {
            send_dump(static_cast<DumpStep>(static_cast<uint8_t>(finished) + 1));
            return;
        }
        full_dump_ = false;
        ++stats_.dumps;
        sink_.on_dump_complete();
    }
    if (route4_sweep_pending_) {
        route4_sweep_pending_ = false;
        start_route4_sweep();
    }
}

} // namespace colatrl

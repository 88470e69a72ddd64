// SPDX-License-Identifier: GPL-2.0-or-later
#include "nd/nd.hpp"

#include "sys/procsys.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

namespace colatrl {

namespace {

constexpr uint8_t kNdOptNonce = 14; // RFC 7527
constexpr size_t kNsLen = 24;       // type, code, checksum, reserved, target
constexpr int kNdHopLimit = 255;    // RFC 4861: ND messages must carry 255
constexpr size_t kRsLen = 8;        // type, code, checksum, reserved
constexpr uint8_t kNdOptSourceLl = 1;

// One's-complement sum over `data`, continuing from `sum`.
uint32_t csum_add(uint32_t sum, std::span<const uint8_t> data) {
    size_t i = 0;
    for (; i + 1 < data.size(); i += 2) {
        sum += static_cast<uint32_t>((data[i] << 8) | data[i + 1]);
    }
    if (i < data.size()) {
        sum += static_cast<uint32_t>(data[i] << 8);
    }
    return sum;
}

uint16_t csum_fold(uint32_t sum) {
    while (sum >> 16) {
        sum = (sum & 0xffffu) + (sum >> 16);
    }
    return static_cast<uint16_t>(~sum & 0xffffu);
}

} // namespace

uint16_t icmp6_checksum(const Ipv6Addr& src, const Ipv6Addr& dst, std::span<const uint8_t> body) {
    uint32_t sum = csum_add(0, src.bytes);
    sum = csum_add(sum, dst.bytes);
    sum += static_cast<uint32_t>(body.size() >> 16);
    sum += static_cast<uint32_t>(body.size() & 0xffffu);
    sum += IPPROTO_ICMPV6;
    return csum_fold(csum_add(sum, body));
}

namespace {

Status set_int(int fd, int level, int opt, int v, const char* what) {
    if (setsockopt(fd, level, opt, &v, sizeof v) != 0) {
        return sys_error(errno, what);
    }
    return {};
}

std::string if_label(int ifindex) {
    char buf[IF_NAMESIZE] = {};
    if (if_indextoname(static_cast<unsigned>(ifindex), buf) != nullptr) {
        return buf;
    }
    return "ifindex " + std::to_string(ifindex);
}

} // namespace

Ipv6Addr solicited_node(const Ipv6Addr& a) {
    Ipv6Addr s{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0, 0, 0}};
    s.bytes[13] = a.bytes[13];
    s.bytes[14] = a.bytes[14];
    s.bytes[15] = a.bytes[15];
    return s;
}

std::vector<uint8_t> build_dad_ns(const Ipv6Addr& target, const std::array<uint8_t, 6>& nonce) {
    std::vector<uint8_t> p(kNsLen + 8, 0);
    p[0] = ND_NEIGHBOR_SOLICIT;
    std::copy(target.bytes.begin(), target.bytes.end(), p.begin() + 8);
    p[kNsLen] = kNdOptNonce;
    p[kNsLen + 1] = 1; // 8 octets
    std::copy(nonce.begin(), nonce.end(), p.begin() + kNsLen + 2);
    const uint16_t c = icmp6_checksum(Ipv6Addr{}, solicited_node(target), p);
    p[2] = static_cast<uint8_t>(c >> 8);
    p[3] = static_cast<uint8_t>(c);
    return p;
}

DadVerdict classify_for_dad(std::span<const uint8_t> icmp6, const Ipv6Addr& src, int hop_limit,
                            const Ipv6Addr& target, const std::array<uint8_t, 6>& our_nonce) {
    // RFC 4861 §7.1.1/§7.1.2 validity: hop limit 255 (not from off-link),
    // code 0, long enough for the target.
    if (icmp6.size() < kNsLen || hop_limit != kNdHopLimit || icmp6[1] != 0) {
        return DadVerdict::ignore;
    }
    if (!std::equal(target.bytes.begin(), target.bytes.end(), icmp6.begin() + 8)) {
        return DadVerdict::ignore;
    }
    if (icmp6[0] == ND_NEIGHBOR_ADVERT) {
        return DadVerdict::duplicate; // someone holds it (RFC 4862 §5.4.4)
    }
    if (icmp6[0] != ND_NEIGHBOR_SOLICIT || src != Ipv6Addr{}) {
        // An NS from a unicast source is address resolution for an address
        // that is not ours yet: RFC 4862 §5.4.3 says ignore it.
        return DadVerdict::ignore;
    }
    // Another node's DAD probe for the same address, unless it is our own
    // looped back (recognised by the nonce, RFC 7527).
    auto opts = icmp6.subspan(kNsLen);
    while (opts.size() >= 8 && opts[1] != 0 && size_t{opts[1]} * 8u <= opts.size()) {
        if (opts[0] == kNdOptNonce && opts[1] == 1 &&
            std::equal(our_nonce.begin(), our_nonce.end(), opts.begin() + 2)) {
            return DadVerdict::ignore;
        }
        opts = opts.subspan(size_t{opts[1]} * 8u);
    }
    return DadVerdict::duplicate;
}

Ipv6Addr all_routers() {
    return Ipv6Addr{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}};
}

std::vector<uint8_t> build_router_solicit(const Ipv6Addr& src,
                                          const std::optional<std::array<uint8_t, 6>>& mac) {
    std::vector<uint8_t> p(kRsLen, 0);
    p[0] = ND_ROUTER_SOLICIT;
    if (mac && src != Ipv6Addr{}) {
        p.resize(kRsLen + 8, 0);
        p[kRsLen] = kNdOptSourceLl;
        p[kRsLen + 1] = 1; // 8 octets
        std::copy(mac->begin(), mac->end(), p.begin() + kRsLen + 2);
    }
    const uint16_t c = icmp6_checksum(src, all_routers(), p);
    p[2] = static_cast<uint8_t>(c >> 8);
    p[3] = static_cast<uint8_t>(c);
    return p;
}

std::optional<std::array<uint8_t, 6>> device_mac(int fd, int ifindex) {
    ifreq ifr{};
    if (if_indextoname(static_cast<unsigned>(ifindex), ifr.ifr_name) == nullptr ||
        ioctl(fd, SIOCGIFHWADDR, &ifr) != 0 || ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
        return std::nullopt;
    }
    std::array<uint8_t, 6> mac{};
    std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, mac.size());
    if (mac == std::array<uint8_t, 6>{}) {
        return std::nullopt;
    }
    return mac;
}

Status send_router_solicit(int ifindex, const Ipv6Addr& link_local) {
    const std::string where = "Router Solicitation on " + if_label(ifindex);
    UniqueFd fd(socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6));
    if (!fd.valid()) {
        return sys_error(errno, where + ": raw ICMPv6 socket");
    }
    const int s = fd.get();
    // Nothing is read from this socket.
    icmp6_filter filter{};
    ICMP6_FILTER_SETBLOCKALL(&filter);
    if (setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) != 0) {
        return sys_error(errno, where + ": ICMP6_FILTER");
    }
    if (setsockopt(s, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex, sizeof ifindex) != 0) {
        return sys_error(errno, where + ": binding to the device");
    }
    for (auto st :
         {set_int(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex, "IPV6_MULTICAST_IF"),
          set_int(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, kNdHopLimit, "IPV6_MULTICAST_HOPS"),
          set_int(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP")}) {
        if (!st) {
            return Error{st.error().code, where + ": " + st.error().message, st.error().sys_errno};
        }
    }
    // The source must be the link-local address the option's MAC belongs to.
    sockaddr_in6 local{};
    local.sin6_family = AF_INET6;
    std::memcpy(&local.sin6_addr, link_local.bytes.data(), 16);
    local.sin6_scope_id = static_cast<uint32_t>(ifindex);
    if (bind(s, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
        return sys_error(errno, where + ": bind to " + link_local.str());
    }
    // The kernel fills the ICMPv6 checksum of raw ICMPv6 sockets itself; the
    // builder's value is the same (it matters for the unit tests).
    const std::vector<uint8_t> pkt = build_router_solicit(link_local, device_mac(s, ifindex));
    sockaddr_in6 dst{};
    dst.sin6_family = AF_INET6;
    const Ipv6Addr routers = all_routers();
    std::memcpy(&dst.sin6_addr, routers.bytes.data(), 16);
    dst.sin6_scope_id = static_cast<uint32_t>(ifindex);
    const ssize_t n =
        sendto(s, pkt.data(), pkt.size(), 0, reinterpret_cast<const sockaddr*>(&dst), sizeof dst);
    if (n < 0) {
        return sys_error(errno, where + ": send");
    }
    if (static_cast<size_t>(n) != pkt.size()) {
        return make_error(Errc::system, where + ": short send");
    }
    return {};
}

DadOptions dad_options_for(std::string_view ifname, DadOptions fallback) {
    DadOptions o = fallback;
    const ProcSys sys;
    if (auto t = sys.ipv6_conf(ifname, "dad_transmits"); t && *t >= 0) {
        o.transmits = static_cast<unsigned>(*t);
    }
    if (auto r = sys.ipv6_neigh(ifname, "retrans_time_ms"); r && *r > 0) {
        o.retrans = std::chrono::milliseconds(*r);
    }
    return o;
}

// ---------------------------------------------------------------------------
// DadProbe

DadProbe::DadProbe(int ifindex, const Ipv6Addr& candidate, DadOptions options)
    : ifindex_(ifindex), candidate_(candidate), options_(options) {}

DadProbe::~DadProbe() {
    stop();
}

void DadProbe::stop() {
    io_.reset();
    timer_.reset();
    fd_ = UniqueFd{};
}

Status DadProbe::start(sd_event* event, Callback done) {
    stop();
    const std::string where = candidate_.str() + " on " + if_label(ifindex_);
    UniqueFd fd(socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6));
    if (!fd.valid()) {
        return sys_error(errno, "DAD of " + where + ": raw ICMPv6 socket");
    }
    const int s = fd.get();
    // Only NS/NA from this link matter.
    icmp6_filter filter{};
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ND_NEIGHBOR_SOLICIT, &filter);
    ICMP6_FILTER_SETPASS(ND_NEIGHBOR_ADVERT, &filter);
    if (setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) != 0) {
        return sys_error(errno, "DAD of " + where + ": ICMP6_FILTER");
    }
    if (setsockopt(s, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex_, sizeof ifindex_) != 0) {
        return sys_error(errno, "DAD of " + where + ": binding to the device");
    }
    for (auto st :
         {set_int(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT"),
          set_int(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex_, "IPV6_MULTICAST_IF"),
          set_int(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, kNdHopLimit, "IPV6_MULTICAST_HOPS"),
          // Our own probe must not come back as "someone else's".
          set_int(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP"),
          // We write the IPv6 header: the source must be :: (RFC
          // 4862 §5.4.2), which the stack would never choose itself.
          set_int(s, IPPROTO_IPV6, IPV6_HDRINCL, 1, "IPV6_HDRINCL")}) {
        if (!st) {
            return Error{st.error().code, "DAD of " + where + ": " + st.error().message,
                         st.error().sys_errno};
        }
    }
    ipv6_mreq mreq{};
    const Ipv6Addr group = solicited_node(candidate_);
    std::memcpy(&mreq.ipv6mr_multiaddr, group.bytes.data(), 16);
    mreq.ipv6mr_interface = static_cast<unsigned>(ifindex_);
    if (setsockopt(s, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq) != 0) {
        return sys_error(errno, "DAD of " + where + ": joining " + group.str());
    }
    if (getrandom(nonce_.data(), nonce_.size(), 0) != static_cast<ssize_t>(nonce_.size())) {
        return sys_error(errno, "DAD of " + where + ": getrandom");
    }
    fd_ = std::move(fd);
    auto io = add_io(event, fd_.get(), EPOLLIN, &DadProbe::on_io, this, "dad-probe-io");
    if (!io) {
        stop();
        return Error{io.error().code, "DAD of " + where + ": " + io.error().message,
                     io.error().sys_errno};
    }
    io_ = std::move(*io);
    sent_ = 0;
    if (options_.transmits > 0) {
        if (auto st = send_ns(); !st) {
            stop();
            return st;
        }
    }
    const auto after =
        options_.transmits == 0
            ? std::chrono::microseconds{0}
            : std::chrono::duration_cast<std::chrono::microseconds>(options_.retrans);
    auto timer = timer_after(event, after, &DadProbe::on_timer, this, "dad-probe-timer",
                             std::chrono::milliseconds{1});
    if (!timer) {
        stop();
        return Error{timer.error().code, "DAD of " + where + ": " + timer.error().message,
                     timer.error().sys_errno};
    }
    timer_ = std::move(*timer);
    done_ = std::move(done);
    return {};
}

Status DadProbe::send_ns() {
    const Ipv6Addr dst = solicited_node(candidate_);
    const auto body = build_dad_ns(candidate_, nonce_);
    std::vector<uint8_t> pkt(sizeof(ip6_hdr) + body.size(), 0);
    ip6_hdr h{};
    h.ip6_flow = htonl(6u << 28);
    h.ip6_plen = htons(static_cast<uint16_t>(body.size()));
    h.ip6_nxt = IPPROTO_ICMPV6;
    h.ip6_hlim = kNdHopLimit;
    // ip6_src stays :: (unspecified).
    std::memcpy(&h.ip6_dst, dst.bytes.data(), 16);
    std::memcpy(pkt.data(), &h, sizeof h);
    std::copy(body.begin(), body.end(), pkt.begin() + sizeof h);

    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    std::memcpy(&to.sin6_addr, dst.bytes.data(), 16);
    to.sin6_scope_id = static_cast<uint32_t>(ifindex_);
    if (sendto(fd_.get(), pkt.data(), pkt.size(), 0, reinterpret_cast<const sockaddr*>(&to),
               sizeof to) < 0) {
        const int err = errno;
        Error e = sys_error(err, "DAD of " + candidate_.str() + " on " + if_label(ifindex_) +
                                     ": sending Neighbor Solicitation");
        if (err == ENETUNREACH || err == ENETDOWN) {
            // No multicast route yet: IPv6 on the link is not up (no
            // carrier seen yet, or IPv6 disabled). Retry on the next link event.
            e.message += " (link not ready for IPv6 yet)";
        }
        return e;
    }
    ++sent_;
    return {};
}

int DadProbe::on_io(sd_event_source*, int, uint32_t, void* userdata) {
    auto* self = static_cast<DadProbe*>(userdata);
    std::array<uint8_t, 1500> buf{};
    alignas(cmsghdr) std::array<uint8_t, CMSG_SPACE(sizeof(int)) * 2> control{};
    for (;;) {
        sockaddr_in6 from{};
        iovec iov{buf.data(), buf.size()};
        msghdr mh{};
        mh.msg_name = &from;
        mh.msg_namelen = sizeof from;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = control.data();
        mh.msg_controllen = control.size();
        const ssize_t n = recvmsg(self->fd_.get(), &mh, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                self->finish(sys_error(errno, "DAD of " + self->candidate_.str() + ": receiving"));
            }
            return 0;
        }
        int hop_limit = -1;
        for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT &&
                c->cmsg_len >= CMSG_LEN(sizeof(int))) {
                std::memcpy(&hop_limit, CMSG_DATA(c), sizeof hop_limit);
            }
        }
        Ipv6Addr src;
        std::memcpy(src.bytes.data(), &from.sin6_addr, 16);
        const auto verdict =
            classify_for_dad(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)), src,
                             hop_limit, self->candidate_, self->nonce_);
        if (verdict == DadVerdict::duplicate) {
            self->finish(DadOutcome::duplicate);
            return 0; // `self` may be gone now
        }
    }
}

int DadProbe::on_timer(sd_event_source*, uint64_t, void* userdata) {
    auto* self = static_cast<DadProbe*>(userdata);
    if (self->sent_ < self->options_.transmits) {
        if (auto st = self->send_ns(); !st) {
            self->finish(std::move(st).error());
            return 0;
        }
        if (auto st = rearm_after(
                self->timer_.get(),
                std::chrono::duration_cast<std::chrono::microseconds>(self->options_.retrans));
            !st) {
            self->finish(std::move(st).error());
        }
        return 0;
    }
    self->finish(DadOutcome::unique);
    return 0;
}

void DadProbe::finish(Result<DadOutcome> r) {
    stop();
    // The callback may destroy this object: touch nothing after it.
    Callback cb = std::move(done_);
    done_ = nullptr;
    if (cb) {
        cb(std::move(r));
    }
}

// ---------------------------------------------------------------------------
// AnycastClaim

Result<AnycastClaim> AnycastClaim::join(int ifindex, const Ipv6Addr& addr) {
    const std::string where = addr.str() + " on " + if_label(ifindex);
    UniqueFd fd(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        return sys_error(errno, "anycast claim of " + where + ": socket");
    }
    ipv6_mreq mreq{};
    std::memcpy(&mreq.ipv6mr_multiaddr, addr.bytes.data(), 16);
    mreq.ipv6mr_interface = static_cast<unsigned>(ifindex);
    if (setsockopt(fd.get(), IPPROTO_IPV6, IPV6_JOIN_ANYCAST, &mreq, sizeof mreq) != 0) {
        const int err = errno;
        Error e = sys_error(err, "anycast claim of " + where);
        // What net/ipv6/anycast.c means by each refusal.
        switch (err) {
        case EADDRNOTAVAIL:
            e.code = Errc::conflict;
            e.message += " (a host may only join an anycast address inside a prefix of an "
                         "address on that device, e.g. its SLAAC /64)";
            break;
        case EINVAL:
            e.code = Errc::conflict;
            e.message += " (multicast, or already a unicast address of this host)";
            break;
        case EPERM:
            e.message += " (needs CAP_NET_ADMIN)";
            break;
        case ENODEV:
            e.code = Errc::not_found;
            break;
        default:
            break;
        }
        return e;
    }
    return AnycastClaim(std::move(fd), ifindex, addr);
}

} // namespace colatrl

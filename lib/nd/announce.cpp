// SPDX-License-Identifier: GPL-2.0-or-later
#include "nd/announce.hpp"

#include "base/unique_fd.hpp"
#include "nd/nd.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace colatrl {

namespace {

constexpr size_t kNsLen = 24; // type, code, checksum, reserved, target
constexpr uint8_t kNdOptSourceLl = 1;
constexpr int kNdHopLimit = 255; // RFC 4861 §7.1.1: routers drop anything else

std::string where_of(int ifindex, const Ipv6Addr& clat6) {
    char buf[IF_NAMESIZE] = {};
    std::string dev = if_indextoname(static_cast<unsigned>(ifindex), buf) != nullptr
                          ? std::string(buf)
                          : "ifindex " + std::to_string(ifindex);
    return "Neighbor Solicitation from " + clat6.str() + " on " + dev;
}

} // namespace

std::vector<uint8_t> build_neighbor_solicit(const Ipv6Addr& src, const Ipv6Addr& dst,
                                            const Ipv6Addr& target,
                                            const std::array<uint8_t, 6>& mac) {
    std::vector<uint8_t> p(kNsLen + 8, 0);
    p[0] = ND_NEIGHBOR_SOLICIT;
    std::copy(target.bytes.begin(), target.bytes.end(), p.begin() + 8);
    p[kNsLen] = kNdOptSourceLl;
    p[kNsLen + 1] = 1; // 8 octets
    std::copy(mac.begin(), mac.end(), p.begin() + kNsLen + 2);
    const uint16_t c = icmp6_checksum(src, dst, p);
    p[2] = static_cast<uint8_t>(c >> 8);
    p[3] = static_cast<uint8_t>(c);
    return p;
}

Status announce_to_router(int ifindex, const Ipv6Addr& clat6, const Ipv6Addr& router) {
    const std::string where = where_of(ifindex, clat6);
    UniqueFd fd(socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6));
    if (!fd.valid()) {
        return sys_error(errno, where + ": raw ICMPv6 socket");
    }
    const int s = fd.get();
    const auto mac = device_mac(s, ifindex);
    if (!mac) {
        return {}; // raw IP link: no neighbour resolution at all
    }
    icmp6_filter filter{}; // nothing is read from this socket
    ICMP6_FILTER_SETBLOCKALL(&filter);
    const int hops = kNdHopLimit;
    const int loop = 0;
    if (setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) != 0 ||
        setsockopt(s, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex, sizeof ifindex) != 0 ||
        setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof ifindex) != 0 ||
        setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0 ||
        setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof loop) != 0) {
        return sys_error(errno, where + ": socket options");
    }
    const Ipv6Addr dst = solicited_node(router);
    // The kernel fills the checksum of raw ICMPv6 sockets; the builder's is the same.
    const std::vector<uint8_t> pkt = build_neighbor_solicit(clat6, dst, router, *mac);

    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    std::memcpy(&to.sin6_addr, dst.bytes.data(), 16);
    to.sin6_scope_id = static_cast<uint32_t>(ifindex);
    iovec iov{const_cast<uint8_t*>(pkt.data()), pkt.size()};
    alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
    msghdr msg{};
    msg.msg_name = &to;
    msg.msg_namelen = sizeof to;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = IPPROTO_IPV6;
    cm->cmsg_type = IPV6_PKTINFO;
    cm->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo info{};
    std::memcpy(&info.ipi6_addr, clat6.bytes.data(), 16);
    info.ipi6_ifindex = static_cast<unsigned>(ifindex);
    std::memcpy(CMSG_DATA(cm), &info, sizeof info);

    const ssize_t n = sendmsg(s, &msg, 0);
    if (n < 0) {
        return sys_error(errno, where + ": send");
    }
    if (static_cast<size_t>(n) != pkt.size()) {
        return make_error(Errc::system, where + ": short send");
    }
    return {};
}

} // namespace colatrl

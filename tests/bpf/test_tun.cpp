// SPDX-License-Identifier: GPL-2.0-or-later
// The raw-IP program variants on a real tun device (IFF_TUN|IFF_NO_PI,
// ARPHRD_NONE) in the test's private network namespace: IPv4 UDP sent from a
// socket bound to the CLAT IPv4 leaves the tun as IPv6; IPv6 written into the
// tun arrives at an IPv4 socket. The kernel's own UDP checksum verification
// on receive is a second, independent checksum check.
#include "fixture.hpp"
#include "ingress_checks.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/errqueue.h>
#include <linux/if_tun.h>

#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>

using namespace colatrl;
using namespace colatrl::test;
using namespace colatrl::test::ingress;

namespace {

constexpr uint16_t kPeerPort = 5000;

constexpr uint16_t kClatPort = 4242;

// Closes an fd on scope exit.
class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd& operator=(Fd&&) = delete;
    ~Fd() {
        if (fd_ >= 0) {
            close(fd_);
        }
    }
    int get() const { return fd_; }

private:
    int fd_;
};

Fd udp_socket_bound(const Ipv4Addr& addr, uint16_t port) {
    Fd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    REQUIRE(s.get() >= 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    std::memcpy(&sin.sin_addr, addr.bytes.data(), 4);
    int rc = bind(s.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin);
    INFO("bind: " << std::strerror(errno));
    REQUIRE(rc == 0);
    return s;
}

} // namespace

TEST_CASE("raw-IP programs translate on a real tun device", "[tun]") {
    const char* prefix_text = GENERATE("2001:db8:6464::/96", "2001:db8:6464::/64");
    CAPTURE(prefix_text);
    auto pref = Ipv6Prefix::parse(prefix_text);
    REQUIRE(pref.ok());

    auto& h = Harness::get();
    const Ipv4Addr clat_v4 = v4(addrs::kClat4);
    const Ipv4Addr peer_v4 = v4(addrs::kServer4);
    const Ipv6Addr clat_v6 = v6(addrs::kClat6);
    TunDevice tun("clattun0", clat_v4, peer_v4);
    h.set_config(tun.ifindex(), make_config(clat_v4, clat_v6, prefix_text, 1500, 0, kSlot));
    reset_counters();
    const Ipv6Addr peer_v6 = embed6052(*pref, peer_v4);
    CAPTURE(peer_v6.str());

    SECTION("egress: IPv4 UDP from the CLAT address leaves the tun as IPv6") {
        Fd s = udp_socket_bound(clat_v4, kClatPort);
        int tos = 0x28, ttl = 33;
        REQUIRE(setsockopt(s.get(), IPPROTO_IP, IP_TOS, &tos, sizeof tos) == 0);
        REQUIRE(setsockopt(s.get(), IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) == 0);
        const Bytes payload = pattern(100, 3);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(kPeerPort);
        std::memcpy(&to.sin_addr, peer_v4.bytes.data(), 4);
        INFO("sendto: " << std::strerror(errno));
        REQUIRE(sendto(s.get(), payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       sizeof to) == static_cast<ssize_t>(payload.size()));

        // Skip the kernel's own IPv6 chatter (router solicitations, MLD).
        Bytes pkt = tun.read_until(
            [&](const Bytes& p) {
                if (p.empty() || (p[0] >> 4) == 4) {
                    return true; // an untranslated IPv4 packet is a failure to show
                }
                auto v = parse_ipv6(p);
                return v.ok && v.l4_proto == kProtoUdp;
            },
            std::chrono::seconds(3));
        INFO("packet read from the tun:\n" << hex(pkt));
        REQUIRE_FALSE(pkt.empty());
        auto ip = parse_ipv6(pkt);
        INFO("parse: " << ip.error);
        REQUIRE(ip.ok);
        CHECK(ip.tclass == 0x28);
        CHECK(ip.flow_label == 0);
        CHECK(ip.hop_limit == 33);
        CHECK(ip.src == clat_v6);
        CHECK(ip.dst == peer_v6);
        CHECK(ip.exts.empty()); // DF set: no (atomic) fragment header
        CHECK(ip.next_header == kProtoUdp);
        CHECK(ip.payload_length == 8 + payload.size());
        CHECK(ip.trailing == 0);
        auto u = parse_udp(ip.l4);
        REQUIRE(u.ok);
        CHECK(u.sport == kClatPort);
        CHECK(u.dport == kPeerPort);
        CHECK(u.length == 8 + payload.size());
        CHECK(u.payload == payload);
        CHECK(u.checksum != 0);
        CHECK(l4_checksum_v6_ok(ip.src, ip.dst, kProtoUdp, ip.l4));
        CHECK(h.counter(kSlot, COLATRL_CNT_EG_XLAT).packets == 1);
    }

    SECTION("ingress: IPv6 UDP written into the tun reaches an IPv4 socket") {
        Fd s = udp_socket_bound(clat_v4, kClatPort);
        int on = 1;
        REQUIRE(setsockopt(s.get(), IPPROTO_IP, IP_RECVTTL, &on, sizeof on) == 0);
        REQUIRE(setsockopt(s.get(), IPPROTO_IP, IP_RECVTOS, &on, sizeof on) == 0);
        timeval tv{3, 0};
        REQUIRE(setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);

        const Bytes payload = pattern(200, 9);
        Ip6Spec spec{.src = peer_v6, .dst = clat_v6, .next_header = kProtoUdp};
        spec.tclass = 0x48;
        spec.hop_limit = 41;
        spec.flow_label = 0xabcde;
        const Bytes seg =
            udp(peer_v6, clat_v6, UdpSpec{.sport = kPeerPort, .dport = kClatPort}, payload);
        tun.write_packet(ipv6(spec, seg));

        Bytes buf(2048);
        sockaddr_in from{};
        socklen_t fromlen = sizeof from;
        alignas(cmsghdr) char cbuf[256];
        iovec iov{buf.data(), buf.size()};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = fromlen;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf;
        msg.msg_controllen = sizeof cbuf;
        ssize_t n = recvmsg(s.get(), &msg, 0);
        INFO("recvmsg: " << (n < 0 ? std::strerror(errno) : "ok")
                         << " (timeout = not delivered: untranslated, or a bad checksum)");
        REQUIRE(n == static_cast<ssize_t>(payload.size()));
        buf.resize(static_cast<size_t>(n));
        CHECK(buf == payload);
        Ipv4Addr src;
        std::memcpy(src.bytes.data(), &from.sin_addr, 4);
        CHECK(src == peer_v4);
        CHECK(ntohs(from.sin_port) == kPeerPort);
        int got_ttl = -1, got_tos = -1;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
                std::memcpy(&got_ttl, CMSG_DATA(c), sizeof got_ttl);
            } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
                got_tos = *CMSG_DATA(c);
            }
        }
        CHECK(got_ttl == 41); // hop limit copied, not decremented
        CHECK(got_tos == 0x48);
        CHECK(h.counter(kSlot, COLATRL_CNT_IN_XLAT).packets == 1);
    }
}

// The raw-IP variant on a real tun device: the kernel's own IPv4 stack must
// accept the translated packets (it verifies every checksum itself).
TEST_CASE("raw-IP ingress variant through a tun device", "[tun]") {
    Env e = setup("2001:db8:122:344::/64");
    TunDevice tun("clt-in0", e.clat4, e.server4, false); // answers leave as IPv4
    auto& h = Harness::get();
    h.set_config(tun.ifindex(), e.cfg);
    h.clear_config(kIf);
    reset_counters();
    const auto is_ipv4 = [](const Bytes& p) {
        return (p[0] >> 4) == 4;
    }; // not MLD/RS

    SECTION("UDP reaches an IPv4 socket with the extracted source") {
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(s >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(40000);
        std::memcpy(&a.sin_addr, e.clat4.bytes.data(), 4);
        REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        const Bytes data = pattern(77, 4);
        const Bytes pkt = ipv6(Ip6Spec{.src = e.server6, .dst = e.clat6},
                               udp(e.server6, e.clat6, UdpSpec{.sport = 53, .dport = 40000}, data));
        tun.write_packet(pkt);
        pollfd p{s, POLLIN, 0};
        REQUIRE(poll(&p, 1, 2000) == 1);
        Bytes got(200);
        sockaddr_in from{};
        socklen_t flen = sizeof from;
        ssize_t n =
            recvfrom(s, got.data(), got.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
        close(s);
        REQUIRE(n == static_cast<ssize_t>(data.size()));
        got.resize(static_cast<size_t>(n));
        CHECK(got == data);
        CHECK(ntohs(from.sin_port) == 53);
        CHECK(std::memcmp(&from.sin_addr, e.server4.bytes.data(), 4) == 0);
        expect_counters({COLATRL_CNT_IN_XLAT}, pkt.size());
    }
    SECTION("ICMP echo request is answered by the IPv4 stack") {
        const Bytes data = pattern(32, 8);
        const Bytes pkt =
            ipv6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoIcmpv6},
                 icmp6(e.server6, e.clat6, 128, 0, echo_rest(0x77, 3), data));
        tun.write_packet(pkt);
        const Bytes out = tun.read_until(is_ipv4, std::chrono::seconds(2));
        auto ip = parse_ipv4(out);
        INFO("out: " << hex(out));
        REQUIRE(ip.ok);
        CHECK(ip.src == e.clat4);
        CHECK(ip.dst == e.server4);
        CHECK(ip.proto == kProtoIcmp);
        auto m = parse_icmp(ip.l4);
        REQUIRE(m.ok);
        CHECK(m.type == 0);
        CHECK(m.id() == 0x77);
        CHECK(m.seq() == 3);
        CHECK(m.body == data);
        expect_counters({COLATRL_CNT_IN_XLAT}, pkt.size());
    }
    SECTION("Packet Too Big reaches the UDP socket as Fragmentation Needed (MTU 1380)") {
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(s >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(40001);
        std::memcpy(&a.sin_addr, e.clat4.bytes.data(), 4);
        REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        sockaddr_in peer{};
        peer.sin_family = AF_INET;
        peer.sin_port = htons(53);
        std::memcpy(&peer.sin_addr, e.server4.bytes.data(), 4);
        REQUIRE(connect(s, reinterpret_cast<sockaddr*>(&peer), sizeof peer) == 0);
        int on = 1, pmtu = IP_PMTUDISC_DO;
        REQUIRE(setsockopt(s, IPPROTO_IP, IP_RECVERR, &on, sizeof on) == 0);
        REQUIRE(setsockopt(s, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu) == 0);
        // The packet in error as our egress would have sent it.
        const Bytes seg =
            udp(e.clat6, e.server6, UdpSpec{.sport = 40001, .dport = 53}, pattern(1400));
        const Bytes inner = ipv6(Ip6Spec{.src = e.clat6, .dst = e.server6}, seg);
        const Bytes ptb =
            ipv6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoIcmpv6},
                 icmp6(e.server6, e.clat6, 2, 0, 1400, slice(inner, 0, 1232)));
        tun.write_packet(ptb);
        pollfd p{s, POLLERR, 0};
        REQUIRE(poll(&p, 1, 2000) == 1);
        alignas(cmsghdr) char control[512];
        char data[2048];
        iovec iov{data, sizeof data};
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = control;
        mh.msg_controllen = sizeof control;
        REQUIRE(recvmsg(s, &mh, MSG_ERRQUEUE) >= 0);
        bool seen = false;
        for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) {
                sock_extended_err ee{};
                std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
                CHECK(ee.ee_errno == EMSGSIZE);
                CHECK(ee.ee_origin == SO_EE_ORIGIN_ICMP);
                CHECK(ee.ee_type == 3);
                CHECK(ee.ee_code == 4);
                CHECK(ee.ee_info == 1380);
                seen = true;
            }
        }
        CHECK(seen);
        int mtu = 0;
        socklen_t ml = sizeof mtu;
        REQUIRE(getsockopt(s, IPPROTO_IP, IP_MTU, &mtu, &ml) == 0);
        CHECK(mtu == 1380);
        close(s);
        expect_counters({COLATRL_CNT_IN_XLAT, COLATRL_CNT_IN_XLAT_ICMP_ERROR}, ptb.size());
    }
    h.clear_config(tun.ifindex());
}

// COLATRL_F_IPV6_ONLY on the raw-IP variant, through the kernel's real output
// path: IPv4 from another source (a raw socket writes its own header, as a
// forwarded packet would arrive) is sent first, then the CLAT's own UDP. The
// tun delivers in order, so everything that left before the translated packet
// is what the program let through.
TEST_CASE("raw-IP egress on an IPv6-only link: IPv4 not from the CLAT does not leave", "[tun]") {
    const bool ipv6_only = GENERATE(true, false);
    CAPTURE(ipv6_only);
    auto& h = Harness::get();
    const Ipv4Addr clat_v4 = v4(addrs::kClat4);
    const Ipv4Addr peer_v4 = v4(addrs::kServer4);
    const Ipv6Addr clat_v6 = v6(addrs::kClat6);
    const char* prefix_text = "2001:db8:6464::/96";
    TunDevice tun("clt-v6only0", clat_v4, peer_v4);
    h.set_config(tun.ifindex(), make_config(clat_v4, clat_v6, prefix_text, 1500,
                                            ipv6_only ? COLATRL_F_IPV6_ONLY : 0, kSlot));
    reset_counters();

    Fd raw(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW)); // IP_HDRINCL
    REQUIRE(raw.get() >= 0);
    Ip4Spec s{.src = v4("10.9.9.9"), .dst = peer_v4, .proto = kProtoUdp};
    s.id = 0x4242;
    s.df = true;
    const Bytes foreign_payload = pattern(40, 6);
    const Bytes foreign =
        ipv4(s, udp(s.src, s.dst, UdpSpec{.sport = 7, .dport = kPeerPort}, foreign_payload));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    std::memcpy(&to.sin_addr, peer_v4.bytes.data(), 4);
    // Dropped by tc, the kernel reports ENOBUFS to the sender; passed, it is sent.
    const ssize_t sent = sendto(raw.get(), foreign.data(), foreign.size(), 0,
                                reinterpret_cast<sockaddr*>(&to), sizeof to);
    INFO("raw sendto: " << (sent < 0 ? std::strerror(errno) : "ok"));
    CHECK((sent == static_cast<ssize_t>(foreign.size()) || (ipv6_only && errno == ENOBUFS)));

    Fd u = udp_socket_bound(clat_v4, kClatPort);
    const Bytes payload = pattern(60, 2);
    to.sin_port = htons(kPeerPort);
    REQUIRE(sendto(u.get(), payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
                   sizeof to) == static_cast<ssize_t>(payload.size()));

    std::vector<Bytes> ipv4_seen;
    const Bytes xlated = tun.read_until(
        [&](const Bytes& p) {
            if ((p[0] >> 4) == 4) {
                ipv4_seen.push_back(p);
                return false;
            }
            auto v = parse_ipv6(p);
            return v.ok && v.l4_proto == kProtoUdp;
        },
        std::chrono::seconds(3));
    REQUIRE_FALSE(xlated.empty());
    auto ip6 = parse_ipv6(xlated);
    REQUIRE(ip6.ok);
    CHECK(ip6.src == clat_v6);
    CHECK(ip6.dst == embed6052(prefix_of(prefix_text), peer_v4));
    CHECK(parse_udp(ip6.l4).payload == payload);
    CHECK(h.counter(kSlot, COLATRL_CNT_EG_XLAT).packets == 1);
    if (ipv6_only) {
        CHECK(ipv4_seen.empty());
        CHECK(h.counter(kSlot, COLATRL_CNT_EG_DROP_NOT_CLAT_SRC).packets == 1);
        CHECK(h.counter(kSlot, COLATRL_CNT_EG_DROP_NOT_CLAT_SRC).bytes == foreign.size());
        CHECK(h.counter(kSlot, COLATRL_CNT_EG_PASS_NOT_CLAT_SRC).packets == 0);
    } else {
        REQUIRE(ipv4_seen.size() == 1);
        auto v = parse_ipv4(ipv4_seen[0]);
        REQUIRE(v.ok);
        CHECK(v.src == s.src);
        CHECK(v.dst == peer_v4);
        CHECK(v.id == 0x4242);
        CHECK(parse_udp(v.l4).payload == foreign_payload);
        CHECK(h.counter(kSlot, COLATRL_CNT_EG_PASS_NOT_CLAT_SRC).packets == 1);
        CHECK(h.counter(kSlot, COLATRL_CNT_EG_DROP_NOT_CLAT_SRC).packets == 0);
    }
    h.clear_config(tun.ifindex());
}

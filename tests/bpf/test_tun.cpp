// SPDX-License-Identifier: GPL-2.0-or-later
// The raw-IP program variants on a real tun device (IFF_TUN|IFF_NO_PI,
// ARPHRD_NONE) in the test's private network namespace: IPv4 UDP sent from a
// socket bound to the CLAT IPv4 leaves the tun as IPv6; IPv6 written into the
// tun arrives at an IPv4 socket. The kernel's own UDP checksum verification
// on receive is a second, independent checksum check.
#include "harness.hpp"

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

namespace {

constexpr uint32_t kSlot = 9;
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

// RFC 6052 §2.2 embedding, written out independently of the datapath: IPv4
// bytes fill the prefix's following octets, skipping octet 8 ("u", zero).
Ipv6Addr embed(const Ipv6Prefix& pref, const Ipv4Addr& a) {
    Ipv6Addr out = pref.addr;
    size_t pos = pref.len / 8;
    for (uint8_t b : a.bytes) {
        if (pos == 8) {
            pos = 9;
        }
        out.bytes[pos++] = b;
    }
    return out;
}

// A tun device with the two raw-IP programs attached on clsact; removed (fd
// closed, hook destroyed) when the test ends, also on failure.
class TunFixture {
public:
    TunFixture() {
        int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
        REQUIRE(fd >= 0);
        tun_ = std::make_unique<Fd>(fd);
        ifreq ifr{};
        std::strncpy(ifr.ifr_name, "clattun0", IFNAMSIZ - 1);
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
        int rc = ioctl(fd, TUNSETIFF, &ifr);
        INFO("TUNSETIFF: " << std::strerror(errno));
        REQUIRE(rc == 0);
        name_ = ifr.ifr_name;
        ifindex_ = if_nametoindex(name_.c_str());
        REQUIRE(ifindex_ > 0);

        ctl_ = std::make_unique<Fd>(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        REQUIRE(ctl_->get() >= 0);
        // CLAT IPv4 on the tun, then up, then a route to the IPv4 peer range.
        ifreq a{};
        std::strncpy(a.ifr_name, name_.c_str(), IFNAMSIZ - 1);
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        std::memcpy(&sin.sin_addr, clat_v4.bytes.data(), 4);
        std::memcpy(&a.ifr_addr, &sin, sizeof sin);
        rc = ioctl(ctl_->get(), SIOCSIFADDR, &a);
        INFO("SIOCSIFADDR: " << std::strerror(errno));
        REQUIRE(rc == 0);
        ifreq f{};
        std::strncpy(f.ifr_name, name_.c_str(), IFNAMSIZ - 1);
        REQUIRE(ioctl(ctl_->get(), SIOCGIFFLAGS, &f) == 0);
        f.ifr_flags = static_cast<short>(f.ifr_flags | IFF_UP);
        REQUIRE(ioctl(ctl_->get(), SIOCSIFFLAGS, &f) == 0);

        rtentry rt{};
        sockaddr_in dst{}, mask{};
        dst.sin_family = AF_INET;
        std::memcpy(&dst.sin_addr, peer_v4.bytes.data(), 3); // 198.51.100.0/24
        mask.sin_family = AF_INET;
        mask.sin_addr.s_addr = htonl(0xffffff00u);
        std::memcpy(&rt.rt_dst, &dst, sizeof dst);
        std::memcpy(&rt.rt_genmask, &mask, sizeof mask);
        rt.rt_flags = RTF_UP;
        rt.rt_dev = name_.data();
        rc = ioctl(ctl_->get(), SIOCADDRT, &rt);
        INFO("SIOCADDRT: " << std::strerror(errno));
        REQUIRE(rc == 0);

        hook_.sz = sizeof hook_;
        hook_.ifindex = static_cast<int>(ifindex_);
        hook_.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
        int err = bpf_tc_hook_create(&hook_);
        INFO("bpf_tc_hook_create: " << std::strerror(-err));
        REQUIRE(err == 0);
        hook_created_ = true;
        attach(BPF_TC_EGRESS, Prog::egress_rawip);
        attach(BPF_TC_INGRESS, Prog::ingress_rawip);
    }

    ~TunFixture() {
        Harness::get().clear_config(ifindex_);
        if (hook_created_) {
            bpf_tc_hook_destroy(&hook_); // removes clsact and both filters
        }
        // The tun device disappears with its (non-persistent) fd.
    }

    TunFixture(const TunFixture&) = delete;
    TunFixture& operator=(const TunFixture&) = delete;

    void attach(bpf_tc_attach_point where, Prog prog) {
        bpf_tc_hook h = hook_;
        h.attach_point = where;
        bpf_tc_opts o{};
        o.sz = sizeof o;
        o.prog_fd = Harness::get().prog_fd(prog);
        o.handle = COLATRL_TC_HANDLE;
        o.priority = COLATRL_TC_PRIORITY;
        int err = bpf_tc_attach(&h, &o);
        INFO("bpf_tc_attach " << prog_name(prog) << ": " << std::strerror(-err));
        REQUIRE(err == 0);
    }

    // Reads packets from the tun until `want` accepts one or the timeout ends.
    template <typename Pred> Bytes read_until(Pred want, std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        Bytes buf(65536);
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{tun_->get(), POLLIN, 0};
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 1))) <= 0) {
                continue;
            }
            ssize_t n = read(tun_->get(), buf.data(), buf.size());
            if (n <= 0) {
                continue;
            }
            Bytes pkt(buf.begin(), buf.begin() + n);
            if (want(pkt)) {
                return pkt;
            }
            ++ignored_;
        }
        return {};
    }

    void write_packet(const Bytes& pkt) {
        ssize_t n = write(tun_->get(), pkt.data(), pkt.size());
        INFO("write to tun: " << std::strerror(errno));
        REQUIRE(n == static_cast<ssize_t>(pkt.size()));
    }

    uint32_t ifindex() const { return ifindex_; }
    int ignored() const { return ignored_; }

    const Ipv4Addr clat_v4 = v4("192.0.0.1");
    const Ipv4Addr peer_v4 = v4("198.51.100.7");
    const Ipv6Addr clat_v6 = v6("2001:db8:aaaa::1");

private:
    std::unique_ptr<Fd> tun_, ctl_;
    std::string name_;
    uint32_t ifindex_ = 0;
    bpf_tc_hook hook_{};
    bool hook_created_ = false;
    int ignored_ = 0;
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
    TunFixture tun;
    h.set_config(tun.ifindex(), make_config(tun.clat_v4, tun.clat_v6, prefix_text, 1500, 0, kSlot));
    h.reset_counters();
    const Ipv6Addr peer_v6 = embed(*pref, tun.peer_v4);
    CAPTURE(peer_v6.str());

    SECTION("egress: IPv4 UDP from the CLAT address leaves the tun as IPv6") {
        Fd s = udp_socket_bound(tun.clat_v4, kClatPort);
        int tos = 0x28, ttl = 33;
        REQUIRE(setsockopt(s.get(), IPPROTO_IP, IP_TOS, &tos, sizeof tos) == 0);
        REQUIRE(setsockopt(s.get(), IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) == 0);
        const Bytes payload = pattern(100, 3);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(kPeerPort);
        std::memcpy(&to.sin_addr, tun.peer_v4.bytes.data(), 4);
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
        CHECK(ip.src == tun.clat_v6);
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
        Fd s = udp_socket_bound(tun.clat_v4, kClatPort);
        int on = 1;
        REQUIRE(setsockopt(s.get(), IPPROTO_IP, IP_RECVTTL, &on, sizeof on) == 0);
        REQUIRE(setsockopt(s.get(), IPPROTO_IP, IP_RECVTOS, &on, sizeof on) == 0);
        timeval tv{3, 0};
        REQUIRE(setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);

        const Bytes payload = pattern(200, 9);
        Ip6Spec spec{.src = peer_v6, .dst = tun.clat_v6, .next_header = kProtoUdp};
        spec.tclass = 0x48;
        spec.hop_limit = 41;
        spec.flow_label = 0xabcde;
        const Bytes seg =
            udp(peer_v6, tun.clat_v6, UdpSpec{.sport = kPeerPort, .dport = kClatPort}, payload);
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
        CHECK(src == tun.peer_v4);
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

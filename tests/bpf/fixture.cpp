// SPDX-License-Identifier: GPL-2.0-or-later
// glibc's <net/if.h> before any <linux/if.h> (libbpf pulls that one in).
#include <net/if.h>

#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace colatrl::test {

Ipv6Prefix prefix_of(const char* text) {
    auto p = Ipv6Prefix::parse(text);
    REQUIRE(p);
    return *p;
}

Ipv6Addr embed6052(const Ipv6Prefix& p, const Ipv4Addr& a) {
    // Octet positions of IPv4 octets a.b.c.d per prefix length; octet 8 (u)
    // is always skipped.
    std::array<size_t, 4> pos{};
    switch (p.len) {
    case 32:
        pos = {4, 5, 6, 7};
        break;
    case 40:
        pos = {5, 6, 7, 9};
        break;
    case 48:
        pos = {6, 7, 9, 10};
        break;
    case 56:
        pos = {7, 9, 10, 11};
        break;
    case 64:
        pos = {9, 10, 11, 12};
        break;
    default:
        pos = {12, 13, 14, 15};
        break;
    }
    Ipv6Addr out = p.addr;
    for (size_t i = 0; i < 4; ++i) {
        out.bytes[pos[i]] = a.bytes[i];
    }
    return out;
}

Ipv6Addr neutral_clat6(const Ipv4Addr& clat4, const Ipv6Prefix& p) {
    Ipv6Addr a = v6(addrs::kClat6NeutralBase);
    uint64_t want = rfc1071_sum(clat4.bytes);
    uint64_t have = rfc1071_sum(a.bytes, rfc1071_sum(p.addr.bytes));
    auto w = static_cast<uint16_t>(rfc1071_fold(want + (0xffff - rfc1071_fold(have))));
    a.bytes[14] = static_cast<uint8_t>(w >> 8);
    a.bytes[15] = static_cast<uint8_t>(w);
    return a;
}

Env setup(const char* pfx_text, uint8_t flags, bool neutral, uint16_t mtu, const char* server) {
    Env e;
    e.pfx_text = pfx_text;
    e.pfx = prefix_of(pfx_text);
    e.clat4 = v4(addrs::kClat4);
    e.clat6 = v6(addrs::kClat6);
    e.neutral = neutral;
    if (neutral) {
        e.clat6 = neutral_clat6(e.clat4, e.pfx);
        REQUIRE(csum_neutral(e.clat4, e.clat6, pfx_text));
        flags = static_cast<uint8_t>(flags | COLATRL_F_CSUM_NEUTRAL);
    } else {
        REQUIRE_FALSE(csum_neutral(e.clat4, e.clat6, pfx_text));
    }
    const bool wkp = e.pfx_text == addrs::kWkp;
    e.server4 = v4(server != nullptr ? server : (wkp ? addrs::kServer4Global : addrs::kServer4));
    e.server6 = embed6052(e.pfx, e.server4);
    e.cfg = make_config(e.clat4, e.clat6, pfx_text, mtu, flags, kSlot);
    Harness::get().set_config(kIf, e.cfg);
    reset_counters();
    return e;
}

bool same_csum(uint16_t a, uint16_t b) {
    return a == b || (a == 0 && b == 0xffff) || (a == 0xffff && b == 0);
}

void reset_counters() {
    auto& h = Harness::get();
    int ncpu = libbpf_num_possible_cpus();
    REQUIRE(ncpu > 0);
    std::vector<colatrl_counter> zero(static_cast<size_t>(ncpu));
    for (uint32_t slot : {kSlot, uint32_t{COLATRL_SLOT_UNCONFIGURED}}) {
        for (uint32_t id = 0; id < COLATRL_CNT__COUNT; ++id) {
            uint32_t key = slot * COLATRL_CNT__COUNT + id;
            REQUIRE(bpf_map_update_elem(h.counters_map_fd(), &key, zero.data(), BPF_ANY) == 0);
        }
    }
}

void expect_counters(std::initializer_list<colatrl_counter_id> ids, uint64_t bytes, uint32_t slot) {
    auto& h = Harness::get();
    for (int i = 0; i < COLATRL_CNT__COUNT; ++i) {
        auto id = static_cast<colatrl_counter_id>(i);
        const bool want = std::find(ids.begin(), ids.end(), id) != ids.end();
        const colatrl_counter c = h.counter(slot, id);
        INFO("counter " << i << " of slot " << slot);
        CHECK(c.packets == (want ? 1u : 0u));
        CHECK(c.bytes == (want ? bytes : 0u));
    }
}

namespace {

void set_ipv4(int sock, const char* name, unsigned long req, const Ipv4Addr& a) {
    ifreq r{};
    std::strncpy(r.ifr_name, name, IFNAMSIZ - 1);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    std::memcpy(&sin.sin_addr, a.bytes.data(), 4);
    std::memcpy(&r.ifr_addr, &sin, sizeof sin);
    INFO("ioctl " << req << " on " << name);
    REQUIRE(ioctl(sock, req, &r) == 0);
}

} // namespace

TunDevice::TunDevice(const char* name, const Ipv4Addr& clat4, const Ipv4Addr& route4,
                     bool with_egress) {
    fd_ = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    INFO("open /dev/net/tun: " << std::strerror(errno));
    REQUIRE(fd_ >= 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    INFO("TUNSETIFF: " << std::strerror(errno));
    REQUIRE(ioctl(fd_, TUNSETIFF, &ifr) == 0);
    ifindex_ = if_nametoindex(name);
    REQUIRE(ifindex_ > 0);

    const int ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(ctl >= 0);
    set_ipv4(ctl, name, SIOCSIFADDR, clat4);
    ifreq f{};
    std::strncpy(f.ifr_name, name, IFNAMSIZ - 1);
    bool up = ioctl(ctl, SIOCGIFFLAGS, &f) == 0;
    f.ifr_flags = static_cast<short>(f.ifr_flags | IFF_UP);
    up = up && ioctl(ctl, SIOCSIFFLAGS, &f) == 0;
    rtentry rt{};
    sockaddr_in dst{}, mask{};
    dst.sin_family = AF_INET;
    std::memcpy(&dst.sin_addr, route4.bytes.data(), 3); // route4's /24
    mask.sin_family = AF_INET;
    mask.sin_addr.s_addr = htonl(0xffffff00u);
    std::memcpy(&rt.rt_dst, &dst, sizeof dst);
    std::memcpy(&rt.rt_genmask, &mask, sizeof mask);
    rt.rt_flags = RTF_UP;
    std::string dev = name;
    rt.rt_dev = dev.data();
    const bool routed = up && ioctl(ctl, SIOCADDRT, &rt) == 0;
    INFO("bring up / route: " << std::strerror(errno));
    close(ctl);
    REQUIRE(routed);

    hook_.sz = sizeof hook_;
    hook_.ifindex = static_cast<int>(ifindex_);
    hook_.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
    int err = bpf_tc_hook_create(&hook_);
    INFO("bpf_tc_hook_create: " << std::strerror(-err));
    REQUIRE(err == 0);
    hooked_ = true;
    for (auto [where, prog] : {std::pair{BPF_TC_EGRESS, Prog::egress_rawip},
                               std::pair{BPF_TC_INGRESS, Prog::ingress_rawip}}) {
        if (where == BPF_TC_EGRESS && !with_egress) {
            continue;
        }
        bpf_tc_hook h = hook_;
        h.attach_point = where;
        bpf_tc_opts o{};
        o.sz = sizeof o;
        o.prog_fd = Harness::get().prog_fd(prog);
        o.handle = COLATRL_TC_HANDLE;
        o.priority = COLATRL_TC_PRIORITY;
        err = bpf_tc_attach(&h, &o);
        INFO("bpf_tc_attach " << prog_name(prog) << ": " << std::strerror(-err));
        REQUIRE(err == 0);
    }
}

TunDevice::~TunDevice() {
    Harness::get().clear_config(ifindex_);
    if (hooked_) {
        bpf_tc_hook_destroy(&hook_); // removes clsact and both filters
    }
    if (fd_ >= 0) {
        close(fd_); // the (non-persistent) tun device goes with its fd
    }
}

void TunDevice::write_packet(const Bytes& ip_packet) {
    ssize_t n = write(fd_, ip_packet.data(), ip_packet.size());
    INFO("write to tun: " << std::strerror(errno));
    REQUIRE(n == static_cast<ssize_t>(ip_packet.size()));
}

Bytes TunDevice::read_one(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 1))) <= 0) {
        return {};
    }
    Bytes buf(65536);
    ssize_t n = read(fd_, buf.data(), buf.size());
    if (n <= 0) {
        return {};
    }
    buf.resize(static_cast<size_t>(n));
    return buf;
}

} // namespace colatrl::test

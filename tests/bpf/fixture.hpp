// SPDX-License-Identifier: GPL-2.0-or-later
// The one fixture of the BPF packet tests: a config on the test namespace's
// loopback (Env/setup), the test's own RFC 6052 embedding, counter checks,
// and a tun device with the raw-IP programs attached. Direction-specific
// checks live in egress_checks.hpp and ingress_checks.hpp.
#pragma once

#include "addrs.hpp"
#include "harness.hpp"

#include <bpf/libbpf.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace colatrl::test {

constexpr uint32_t kIf = 1;   // loopback of the test's private namespace
constexpr uint32_t kSlot = 5; // counter slot of every test config

Ipv6Prefix prefix_of(const char* text);

// RFC 6052 §2.2 embedding written for the tests from the byte table of RFC
// 6052 §2.2 Figure 1, independent of the BPF code and of lib/inet/rfc6052.
Ipv6Addr embed6052(const Ipv6Prefix& p, const Ipv4Addr& a);

// A CLAT IPv6 address that makes (clat4, it, p) checksum-neutral (/32, /96):
// its last 16-bit word is chosen so the sums match.
Ipv6Addr neutral_clat6(const Ipv4Addr& clat4, const Ipv6Prefix& p);

struct Env {
    std::string pfx_text;
    Ipv6Prefix pfx;
    Ipv4Addr clat4;
    Ipv6Addr clat6;
    Ipv4Addr server4;
    Ipv6Addr server6; // server4 embedded in PREF64
    colatrl_config cfg{};
    bool neutral = false;
};

// Config for interface kIf, slot kSlot; counters reset. neutral picks a
// checksum-neutral CLAT IPv6 address and sets COLATRL_F_CSUM_NEUTRAL; else the
// address is checked not to be neutral by chance. server defaults to
// addrs::kServer4 (addrs::kServer4Global under the WKP).
Env setup(const char* pfx_text, uint8_t flags = 0, bool neutral = false, uint16_t mtu = 1500,
          const char* server = nullptr);

// 0x0000 and 0xffff are the same one's-complement value.
bool same_csum(uint16_t a, uint16_t b);

// Zero the counters of kSlot and COLATRL_SLOT_UNCONFIGURED.
void reset_counters();
// Exactly the listed counters (of either direction) moved since the last
// reset, by one packet of `bytes` bytes each.
void expect_counters(std::initializer_list<colatrl_counter_id> ids, uint64_t bytes,
                     uint32_t slot = kSlot);

// A tun device (IFF_TUN | IFF_NO_PI) in the test's namespace, up, with the
// CLAT IPv4 address, a route to `route4`/24 and the raw-IP programs on its tc
// hooks (our handle and priority; egress only when with_egress, so what the
// kernel answers can leave as IPv4). Everything goes away with the object.
class TunDevice {
public:
    TunDevice(const char* name, const Ipv4Addr& clat4, const Ipv4Addr& route4,
              bool with_egress = true);
    ~TunDevice();
    TunDevice(const TunDevice&) = delete;
    TunDevice& operator=(const TunDevice&) = delete;

    uint32_t ifindex() const { return ifindex_; }
    void write_packet(const Bytes& ip_packet);
    // Reads packets until `want` accepts one or the timeout ends ({} then).
    template <typename Pred> Bytes read_until(Pred want, std::chrono::milliseconds timeout);

private:
    Bytes read_one(std::chrono::steady_clock::time_point deadline);
    int fd_ = -1;
    uint32_t ifindex_ = 0;
    bpf_tc_hook hook_{};
    bool hooked_ = false;
};

template <typename Pred> Bytes TunDevice::read_until(Pred want, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        Bytes pkt = read_one(deadline);
        if (!pkt.empty() && want(pkt)) {
            return pkt;
        }
    }
    return {};
}

} // namespace colatrl::test

// SPDX-License-Identifier: GPL-2.0-or-later
// Neighbour Discovery pieces for the CLAT IPv6 address, which is never
// assigned to the uplink as a unicast address:
//  - DadProbe: Duplicate Address Detection (RFC 4862 §5.4) done by hand on a
//    raw ICMPv6 socket, asynchronous on sd-event;
//  - AnycastClaim: an IPV6_JOIN_ANYCAST membership that makes the kernel answer
//    Neighbor Solicitations for the address (and defend it against other
//    nodes' DAD) while the claim lives. No sysctl is touched.
//  - Router Solicitation (RFC 4861 §6.3.7), so that a restarted daemon learns
//    the RA options (PREF64) without waiting for the next unsolicited RA.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "inet/ip.hpp"
#include "sys/event.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace colatrl {

struct DadOptions {
    // DupAddrDetectTransmits; 0 = DAD disabled (the probe then reports
    // `unique` at once, from the event loop, without sending anything).
    unsigned transmits = 1;
    std::chrono::milliseconds retrans{1000}; // RetransTimer
};

// The interface's own settings, as the kernel would use them for its DAD:
// net.ipv6.conf.IF.dad_transmits and net.ipv6.neigh.IF.retrans_time_ms (which
// follows the RAs' RetransTimer). Read only; `fallback` for what cannot be read.
DadOptions dad_options_for(std::string_view ifname, DadOptions fallback = {});

enum class DadOutcome {
    unique,    // nobody answered: the address may be used
    duplicate, // a Neighbor Advertisement for it, or someone else's DAD probe
};

// The ICMPv6 checksum of `body` (checksum field zero) from `src` to `dst`,
// with the RFC 8200 §8.1 pseudo-header.
uint16_t icmp6_checksum(const Ipv6Addr& src, const Ipv6Addr& dst, std::span<const uint8_t> body);

// The 6-byte hardware address of `ifindex` (asked through socket `fd`), if it
// has one: not for tun, PPP or raw IP devices.
std::optional<std::array<uint8_t, 6>> device_mac(int fd, int ifindex);

// Solicited-node multicast address ff02::1:ffXX:XXXX of `a` (RFC 4291 §2.7.1).
Ipv6Addr solicited_node(const Ipv6Addr& a);

// Builds the ICMPv6 Neighbor Solicitation body for DAD (type 135, checksum
// filled for src :: and dst solicited_node(target)) with an RFC 7527 Nonce
// option, which lets us recognise our own probe if it is looped back.
std::vector<uint8_t> build_dad_ns(const Ipv6Addr& target, const std::array<uint8_t, 6>& nonce);

// What a received ICMPv6 message (body, as read from a raw ICMPv6 socket)
// means for DAD of `target`. Pure, for unit tests.
enum class DadVerdict { ignore, duplicate };
DadVerdict classify_for_dad(std::span<const uint8_t> icmp6, const Ipv6Addr& src, int hop_limit,
                            const Ipv6Addr& target, const std::array<uint8_t, 6>& our_nonce);

// One DAD run for `candidate` on `ifindex`. Destroying it cancels the run
// (the callback is then never called).
class DadProbe {
public:
    using Callback = std::function<void(Result<DadOutcome>)>;

    DadProbe(int ifindex, const Ipv6Addr& candidate, DadOptions options = {});
    ~DadProbe();
    DadProbe(const DadProbe&) = delete;
    DadProbe& operator=(const DadProbe&) = delete;

    // Opens the socket (raw ICMPv6 bound to the device, hop limit 255, joined
    // to the solicited-node group), sends the first NS and arms the timer.
    // Errors here are returned; later errors arrive through `done`, which is
    // called exactly once, from the event loop.
    Status start(sd_event* event, Callback done);

    const Ipv6Addr& candidate() const noexcept { return candidate_; }

private:
    static int on_io(sd_event_source* s, int fd, uint32_t revents, void* userdata);
    static int on_timer(sd_event_source* s, uint64_t usec, void* userdata);
    Status send_ns();
    void finish(Result<DadOutcome> r);
    void stop();

    int ifindex_;
    Ipv6Addr candidate_;
    DadOptions options_;
    std::array<uint8_t, 6> nonce_{};
    UniqueFd fd_;
    EventSource io_;
    EventSource timer_;
    unsigned sent_ = 0;
    Callback done_;
};

// All-routers multicast address ff02::2, where Router Solicitations go.
Ipv6Addr all_routers();

// Builds the ICMPv6 Router Solicitation body (type 133, code 0, checksum
// filled for `src` -> ff02::2). A Source Link-Layer Address option carries
// `mac` when given, except from the unspecified source (RFC 4861 §4.1).
std::vector<uint8_t> build_router_solicit(const Ipv6Addr& src,
                                          const std::optional<std::array<uint8_t, 6>>& mac);

// Sends one Router Solicitation on `ifindex` from its link-local address
// `link_local` (raw ICMPv6 socket bound to the device, hop limit 255). The
// source link-layer address is the device's MAC when it has a 6-byte one.
Status send_router_solicit(int ifindex, const Ipv6Addr& link_local);

// Keeps `addr` joined as an anycast address on `ifindex` for its lifetime. The
// kernel then answers NS for it (also defending it against other nodes'
// DAD) and accepts packets to it. For a host (forwarding off) the kernel
// requires an address on that device whose prefix covers `addr`; it refuses
// an address the host already holds as unicast.
class AnycastClaim {
public:
    static Result<AnycastClaim> join(int ifindex, const Ipv6Addr& addr);
    AnycastClaim(AnycastClaim&&) noexcept = default;
    AnycastClaim& operator=(AnycastClaim&&) noexcept = default;
    ~AnycastClaim() = default; // closing the socket leaves the group

    int ifindex() const noexcept { return ifindex_; }
    const Ipv6Addr& addr() const noexcept { return addr_; }

private:
    AnycastClaim(UniqueFd fd, int ifindex, const Ipv6Addr& addr)
        : fd_(std::move(fd)), ifindex_(ifindex), addr_(addr) {}
    UniqueFd fd_;
    int ifindex_ = 0;
    Ipv6Addr addr_;
};

} // namespace colatrl

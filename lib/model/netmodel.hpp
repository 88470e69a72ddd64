// SPDX-License-Identifier: GPL-2.0-or-later
// The network as colatrld sees it: plain data, filled by the netlink adapter
// (dump replies and multicast events go through the same upsert/erase calls)
// and read by the pure desired-state derivation. No side effects here.
#pragma once

#include "base/boot_clock.hpp"
#include "clat/markers.hpp"
#include "inet/ip.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace colatrl {

// Lifetimes run on CLOCK_BOOTTIME: they go on expiring during a suspend.
using Clock = BootClock;

struct Link {
    int ifindex = 0;
    std::string name;
    uint32_t flags = 0;   // IFF_* from ifinfomsg
    bool oper_up = false; // IFF_UP and IFF_LOWER_UP (carrier)
    uint32_t mtu = 0;     // IFLA_MTU
    uint16_t type = 0;    // ARPHRD_* (ETHER, NONE, RAWIP, PPP, LOOPBACK, ...)
    bool operator==(const Link&) const = default;
};

struct Addr6 {
    int ifindex = 0;
    Ipv6Addr addr;
    uint8_t prefixlen = 0;
    uint8_t scope = 0;          // RT_SCOPE_*
    uint32_t flags = 0;         // IFA_F_* (from IFA_FLAGS when present)
    uint32_t preferred_lft = 0; // seconds, 0xffffffff = forever
    uint32_t valid_lft = 0;
    bool operator==(const Addr6&) const = default;
};

struct Addr4 {
    int ifindex = 0;
    Ipv4Addr addr;
    uint8_t prefixlen = 0;
    uint8_t scope = 0;
    uint32_t flags = 0;
    bool operator==(const Addr4&) const = default;
};

// Only default routes (and routes with our protocol number) are kept.
struct Route4 {
    int ifindex = 0;
    Ipv4Prefix dst;              // 0.0.0.0/0 for a default route
    std::optional<Ipv4Addr> gw4; // RTA_GATEWAY
    std::optional<Ipv6Addr> gw6; // RTA_VIA (IPv4 via inet6)
    std::optional<Ipv4Addr> prefsrc;
    uint8_t protocol = 0; // RTPROT_*
    uint32_t table = kMainTable;
    uint32_t metric = 0;
    uint32_t mtu = 0; // RTAX_MTU, 0 = none
    bool operator==(const Route4&) const = default;
};

struct Route6 {
    int ifindex = 0;
    Ipv6Prefix dst; // ::/0 for a default route
    std::optional<Ipv6Addr> gw;
    uint8_t protocol = 0;
    uint32_t table = kMainTable;
    uint32_t metric = 0;
    uint32_t mtu = 0;
    bool operator==(const Route6&) const = default;
};

// A PREF64 learned from an RA option (RFC 8781) on one link from one router.
struct RaPref64 {
    int ifindex = 0;
    Ipv6Addr router; // RA source (link-local)
    Ipv6Prefix prefix;
    Clock::time_point expires;
    // When this (link, router, prefix) was first announced; refreshes keep it.
    // "Newest wins" (RFC 9872 renumbering) compares this, so periodic RAs of
    // two routers do not make the choice flap.
    Clock::time_point first_seen{};
    // Last RA that carried it (see update_ra_pref64).
    Clock::time_point last_seen{};
    bool operator==(const RaPref64&) const = default;
};

// Result of RFC 7050 discovery through the system resolver.
struct Dns64Pref64 {
    Ipv6Prefix prefix;
    Clock::time_point expires; // TTL of the answer
    bool operator==(const Dns64Pref64&) const = default;
};

// The options of one RA arrive as separate RTM_NEWNDUSEROPT messages within
// milliseconds: updates from one router closer together than this belong to
// the same RA.
inline constexpr std::chrono::milliseconds kRaBurst{500};

struct NetworkModel {
    std::map<int, Link> links;
    std::vector<Addr6> addrs6;
    std::vector<Addr4> addrs4;
    std::vector<Route4> routes4;
    std::vector<Route6> routes6;
    std::vector<RaPref64> ra_pref64;
    // RA PREF64s a newer RA of their router superseded less than kRaBurst
    // ago: when the same RA announces one of them after the new prefix, it
    // comes back as it was (first_seen kept), not as a newly announced one.
    std::vector<RaPref64> ra_superseded;
    std::optional<Dns64Pref64> dns64;

    // Each returns true when the model changed, so callers can skip work.
    bool upsert_link(const Link& l);
    bool erase_link(int ifindex);      // also drops its addresses, routes and RA PREF64s
    bool upsert_addr6(const Addr6& a); // identity: ifindex + addr + prefixlen
    bool erase_addr6(const Addr6& a);
    bool upsert_addr4(const Addr4& a);
    bool erase_addr4(const Addr4& a);
    bool upsert_route4(const Route4& r); // identity: ifindex + dst + table + metric + protocol
    bool erase_route4(const Route4& r);
    bool upsert_route6(const Route6& r);
    bool erase_route6(const Route6& r);
    // Lifetime 0 withdraws (RFC 8781 §4.1); otherwise refreshes the expiry.
    // A router's latest RA defines its current PREF64 set: when it announces
    // a prefix new to us, its prefixes that were not in the same RA (kRaBurst)
    // are superseded and dropped even while their lifetime runs, so an old
    // prefix does not come back when the new one expires. The prefixes of one
    // RA are one set whatever the order of its options: a superseded prefix
    // that the same RA announces after the new one keeps its first_seen, so
    // the new one stays the newest.
    bool update_ra_pref64(int ifindex, const Ipv6Addr& router, const Ipv6Prefix& prefix,
                          std::chrono::seconds lifetime, Clock::time_point now);
    bool expire(Clock::time_point now); // drop expired RA PREF64s / DNS64 result
    std::optional<Clock::time_point> next_expiry() const;
};

} // namespace colatrl

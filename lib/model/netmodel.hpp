// SPDX-License-Identifier: GPL-2.0-or-later
// The network as colatrld sees it: plain data, filled from the events of the
// netlink monitor (NetworkModel::apply; dump replies and multicast events
// look alike) and read by the pure desired-state derivation. No side effects
// here.
#pragma once

#include "base/boot_clock.hpp"
#include "clat/markers.hpp"
#include "inet/ip.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace colatrl {

// Lifetimes run on CLOCK_BOOTTIME: they go on expiring during a suspend.
using Clock = BootClock;

struct Link {
    int ifindex = 0;
    std::string name{};
    uint32_t flags = 0;   // IFF_* from ifinfomsg
    bool oper_up = false; // IFF_UP and IFF_LOWER_UP (carrier)
    uint32_t mtu = 0;     // IFLA_MTU
    uint16_t type = 0;    // ARPHRD_* (ETHER, NONE, RAWIP, PPP, LOOPBACK, ...)
    bool operator==(const Link&) const = default;
};

// One address of either family (IFA_LOCAL, else IFA_ADDRESS).
struct Addr {
    static constexpr uint32_t kForever = 0xffffffffu;
    int ifindex = 0;
    IpAddr addr;
    uint8_t prefixlen = 0;
    uint8_t scope = 0;                 // RT_SCOPE_*
    uint32_t flags = 0;                // IFA_F_* (from IFA_FLAGS when present)
    uint32_t preferred_lft = kForever; // seconds left (IFA_CACHEINFO)
    uint32_t valid_lft = kForever;
    std::string label{}; // IFA_LABEL (IPv4 only)
    uint8_t proto = 0;   // IFA_PROTO, 0 = none (kernels before 6.3 drop it)

    Family family() const { return addr.family; }
    bool operator==(const Addr&) const = default;
};

// One route (one next hop of a multipath route) of either family. The model
// keeps only default routes and routes with our protocol number.
struct Route {
    int ifindex = 0;
    IpPrefix dst;                    // the route's family; /0 for a default route
    std::optional<IpAddr> gateway{}; // RTA_GATEWAY, or RTA_VIA (IPv4 via inet6)
    std::optional<IpAddr> prefsrc{};
    uint8_t protocol = 0; // RTPROT_*
    uint32_t table = kMainTable;
    uint32_t metric = 0;
    uint32_t mtu = 0; // RTAX_MTU, 0 = none

    Family family() const { return dst.family(); }
    bool operator==(const Route&) const = default;
};

// Identity: which fields make two entries the same one, so that an update
// replaces it and a removal finds it. Used by the model and by the netlink
// monitor's sweep of silently flushed IPv4 routes.
bool same_entry(const Addr& a, const Addr& b);
bool same_entry(const Route& a, const Route& b);

// Insert-or-replace by identity; true when the list changed.
template <typename T> bool upsert_entry(std::vector<T>& v, const T& item) {
    for (auto& x : v) {
        if (same_entry(x, item)) {
            if (x == item) {
                return false;
            }
            x = item;
            return true;
        }
    }
    v.push_back(item);
    return true;
}
template <typename T> bool erase_entry(std::vector<T>& v, const T& item) {
    return std::erase_if(v, [&](const T& x) { return same_entry(x, item); }) > 0;
}

// What the netlink monitor reports, applied by NetworkModel::apply. Dump
// replies and multicast events look alike.
template <typename T> struct Change {
    T value;
    bool removed = false; // for a Link only value.ifindex counts
};
// A full dump starts (the first one, or after messages were lost): what was
// learned from the kernel so far is void, the model is not synced until
// DumpComplete.
struct DumpStarted {};
// A full dump completed: the model now holds a complete picture.
struct DumpComplete {};
using NetEvent = std::variant<Change<Link>, Change<Addr>, Change<Route>, DumpStarted, DumpComplete>;

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
    std::vector<Addr> addrs;   // both families
    std::vector<Route> routes; // both families
    std::vector<RaPref64> ra_pref64;
    // RA PREF64s a newer RA of their router superseded less than kRaBurst
    // ago: when the same RA announces one of them after the new prefix, it
    // comes back as it was (first_seen kept), not as a newly announced one.
    std::vector<RaPref64> ra_superseded;
    std::optional<Dns64Pref64> dns64;
    // The links, addresses and routes are a complete picture of the kernel:
    // false until the first full dump completed and from a resync until the
    // dump after it did. Nothing may act on the model while it is false (a
    // half-filled model looks like a network without uplinks).
    bool synced = false;

    // Each returns true when the model changed, so callers can skip work.
    // DumpStarted forgets links, addresses and routes (RA PREF64s and the
    // DNS64 answer are not part of a dump and stay).
    bool apply(const NetEvent& e);
    bool upsert(const Link& l);
    bool erase_link(int ifindex); // also drops its addresses, routes and RA PREF64s
    bool upsert(const Addr& a);   // identity: same_entry
    bool erase(const Addr& a);
    bool upsert(const Route& r);
    bool erase(const Route& r);
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

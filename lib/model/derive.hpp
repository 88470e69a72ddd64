// SPDX-License-Identifier: GPL-2.0-or-later
// The pure heart of colatrld: network model + config -> the CLAT state every
// link should have. No side effects, no clock reads (the caller passes `now`),
// so unit tests drive it with scripted network states.
//
// Decisions documented here (see also docs/decisions.md):
//  - Uplink: oper-up, not loopback, an IPv6 default route in the main table
//    and a usable global /64 (scope global, not tentative/deprecated/
//    dad-failed, preferred lifetime > 0). Interfaces= restricts candidates to
//    the named links; those still need the route and the /64 to be usable.
//    The IPv6 default route needs a next hop on a link with a link-layer
//    header (Ethernet): our IPv4 route goes "via inet6 GW" there, and one
//    without a next hop would ARP for every IPv4 destination. Raw-IP links
//    (WWAN, PPP, tun) resolve no neighbours: a device-only route
//    ("default dev wwan0") gives "default dev wwan0 src 192.0.0.x".
//  - Several uplinks: each has its own CLAT; their IPv4 default routes are
//    ordered like their IPv6 default routes (clat_route4_metric,
//    lib/clat/markers.hpp).
//  - DAD of the CLAT IPv6 address is skipped where the kernel skips it for
//    its own addresses: links with IFF_NOARP (raw-IP and point-to-point
//    links, where the /64 belongs to this host alone; docs/decisions.md).
//  - Native IPv4 (Mode=auto keeps the CLAT off): an IPv4 default route on
//    that link in the main table whose protocol is not ours. A global IPv4
//    address without a default route does not count: it gives no path to the
//    IPv4 Internet, which is what the CLAT provides.
//  - IPv6-only uplink (COLATRL_F_IPV6_ONLY: the programs drop IPv4 that is
//    not the CLAT's, and ARP, instead of letting it leave untranslated): no
//    native IPv4 default route and no IPv4 address outside 192.0.0.0/29 on
//    that link. An address does count here: it means the link is meant to
//    carry IPv4 to its own subnet, even without a path to the Internet.
//  - PREF64: Pref64= (the administrator's explicit choice) > RA PREF64 on that
//    link (newest announced wins, expired ones are gone) > DNS64. RA and DNS64
//    are used only when Pref64Discovery allows them.
//  - /64 choice on a link with several: the one in use stays while usable
//    (no churn); otherwise global unicast before ULA, then the lowest.
//  - Counter slots and CLAT IPv4 addresses stay with a link once assigned.
//  - The CLAT IPv6 address stays while its /64 and DAD counter do: a new
//    PREF64 (or CLAT IPv4) only changes the map, which takes effect at once,
//    instead of a new address that must pass DAD first. Where the address is
//    then not checksum-neutral for the new PREF64, the programs update the
//    TCP/UDP checksums (COLATRL_F_CSUM_NEUTRAL clear).
#pragma once

#include "colatrl_shared.h"
#include "config/config.hpp"
#include "inet/ip.hpp"
#include "model/netmodel.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace colatrl {

// adopted: the PREF64 an earlier run's datapath uses, standing in for a short
// while after a restart until RA or DNS64 speak (daemon/daemon.cpp).
enum class Pref64Source { none, config, ra, dns64, adopted };
std::string_view to_string(Pref64Source s);

// Why the CLAT is off on a link (none = it is on).
enum class OffReason {
    none,
    not_selected,     // not in Interfaces=
    link_down,        // not oper-up
    no_ipv6_route,    // no IPv6 default route
    no_ipv6_gateway,  // no next hop, on a link that resolves neighbours (Ethernet)
    no_ipv6_prefix,   // no usable global /64
    native_ipv4,      // Mode=auto and an IPv4 default route that is not ours
    other_clat,       // another CLAT's IPv4 route via inet6 or 192.0.0.0/29 address (any Mode)
    mode_off,         // Mode=off
    no_pref64,        // no PREF64 from any allowed source
    no_clat_ipv4,     // 192.0.0.0/29 exhausted
    no_counter_slot,  // more than COLATRL_MAX_UPLINKS uplinks
    unsupported_link, // link type the datapath has no variant for
    invalid_config,   // make_datapath_config refused (reason in `detail`)
};
std::string_view to_string(OffReason r);
// The stable machine word of a reason, one vocabulary for the bus
// (Link1.OffReason) and the journal (COLATRL_OFF_REASON=): "native-ipv4",
// "no-pref64", ...; "" for none. to_string() is the wording, which may change.
std::string_view off_reason_word(OffReason r);

// What one link should look like.
struct LinkPlan {
    int ifindex = 0;
    std::string name;
    uint16_t arphrd = 0;
    OffReason off = OffReason::none;
    std::string detail; // human-readable addition to `off`

    // Filled as far as derivation got (useful for status even when off).
    std::optional<Ipv6Prefix> prefix64; // the /64 the CLAT IPv6 comes from
    std::optional<Ipv6Prefix> pref64;
    Pref64Source pref64_source = Pref64Source::none;
    std::optional<Ipv6Addr> gateway; // IPv6 next hop (none on point-to-point)
    uint32_t ipv6_mtu = 0;
    uint32_t ipv6_metric = 0; // of the IPv6 default route in use
    bool needs_dad = true;    // false on IFF_NOARP links (no ND there)
    // Valid only when active():
    Ipv4Addr clat4;
    Ipv6Addr clat6;
    // The DAD counter `clat6` was derived with; none when it is IPv6Address=.
    std::optional<uint32_t> clat6_counter;
    uint32_t counter_slot = 0;
    uint32_t route4_mtu = 0;    // ipv6_mtu - 28 (IPv6 header growth + fragment header)
    uint32_t route4_metric = 0; // clat_route4_metric(ipv6_metric, counter_slot)
    colatrl_config dp{};

    bool active() const noexcept { return off == OffReason::none; }
    // The link has IPv6 connectivity (so PREF64 discovery makes sense there).
    bool connected() const noexcept;
    bool operator==(const LinkPlan& o) const; // field-wise, dp byte-wise
    // One line for logs and STATUS=.
    std::string describe() const;
};

struct DesiredState {
    // Every link that is not loopback, keyed by ifindex.
    std::map<int, LinkPlan> links;
    size_t active_count() const;
    bool operator==(const DesiredState&) const = default;
};

// A derived CLAT IPv6 address in use and what it belongs to: it is kept for
// as long as the link's /64 and DAD counter stay the same.
struct Clat6Choice {
    Ipv6Prefix prefix64;
    uint32_t dad_counter = 0;
    Ipv6Addr addr;
    bool operator==(const Clat6Choice&) const = default;
};

// Inputs the derivation needs besides model and config: things the daemon
// remembers between runs so results stay stable.
// A PREF64 taken over with an earlier run's datapath, valid until `until`.
struct AdoptedPref64 {
    Ipv6Prefix prefix;
    Clock::time_point until;
    bool operator==(const AdoptedPref64&) const = default;
};

struct DeriveInputs {
    std::vector<uint8_t> secret;                                // for derive_clat_ipv6
    std::map<std::pair<int, Ipv6Prefix>, uint32_t> dad_counter; // bumped on DAD conflict
    std::map<int, uint32_t> counter_slots;                      // ifindex -> slot (sticky)
    std::map<int, Ipv4Addr> clat4;             // ifindex -> address in use (sticky)
    std::map<int, Ipv6Prefix> prefix64;        // ifindex -> /64 in use (sticky)
    std::map<int, Clat6Choice> clat6;          // ifindex -> derived CLAT IPv6 (sticky)
    std::map<int, std::vector<Ipv4Addr>> own4; // our /32s on each link (not "in use" by others)
    // The kernel's per-link IPv6 MTU (net.ipv6.conf.IF.mtu, where an RA MTU
    // option lands; the daemon reads it on netlink events). Absent = use the
    // link MTU.
    std::map<int, uint32_t> ipv6_mtu;
    // After a restart the kernel holds no RA PREF64 to read back, and the RS
    // answer or DNS64 reply comes only later: until then (or `until`) the
    // adopted datapath's PREF64 keeps the CLAT on instead of tearing down.
    // Used only when no allowed source has one; dropped once one has.
    std::map<int, AdoptedPref64> adopted_pref64;
};

DesiredState derive(const NetworkModel& model, const Config& config, const DeriveInputs& inputs,
                    Clock::time_point now);

// After a run: the sticky choices (slot, CLAT IPv4, /64, CLAT IPv6) follow what `next`
// wants; links that left give theirs up, and DAD counters of /64s no longer
// on their link are dropped. `own4` is left to the caller (what is installed).
void remember_choices(DeriveInputs& inputs, const DesiredState& next);

// Byte-wise equality of the C struct shared with the programs.
bool same_config(const colatrl_config& a, const colatrl_config& b);

} // namespace colatrl

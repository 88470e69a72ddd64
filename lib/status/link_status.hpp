// SPDX-License-Identifier: GPL-2.0-or-later
// What colatrld tells about itself on the bus (dbus/org.colatrl.Link1.xml,
// dbus/org.colatrl.Manager1.xml): one status record per link derived from the
// plan, the model and what the applier achieved, the lowercase words of the
// API, which properties changed between two snapshots (for PropertiesChanged)
// and the JSON of Describe(). Pure, so every word and every change rule is
// unit-tested; lib/bus puts it on the bus.
#pragma once

#include "colatrl_shared.h"
#include "config/config.hpp"
#include "model/derive.hpp"
#include "model/netmodel.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace colatrl {

// Manager1.State.
enum class ManagerState { starting, running, degraded, stopping };
std::string_view to_word(ManagerState s);

// Link1.OffReason is off_reason_word() (model/derive.hpp).
// Link1.Pref64Source: "config", "ra", "dns64", "adopted", "" for none.
std::string_view pref64_source_word(Pref64Source s);

// Words for a link whose plan is active but on which nothing is installed.
inline constexpr std::string_view kOffInstallFailed = "install-failed";
inline constexpr std::string_view kOffPending = "pending";

// What the applier has installed on a link, as the status shows it: while a
// change is made before the old state is broken (a new CLAT IPv6 address in
// DAD, say), the CLAT still runs with these values, not yet the plan's.
struct InstalledClat {
    Ipv4Addr clat4;
    Ipv6Addr clat6;
    Ipv6Prefix pref64;
    std::optional<Ipv6Addr> gateway;
    uint32_t mtu = 0; // of the IPv4 route
    uint32_t counter_slot = 0;
};

// One Link1 object's properties except the counters.
struct LinkStatus {
    int ifindex = 0;
    std::string name;
    bool active = false;
    std::string off_reason; // "" when active
    std::string off_detail;
    std::string pref64; // "prefix/len" or ""
    std::string pref64_source;
    uint64_t pref64_expires_usec = 0; // CLOCK_BOOTTIME usec, 0 = never / none
    std::string clat4;
    std::string clat6;
    std::string gateway;
    uint32_t mtu = 0;
    uint64_t since_usec = 0; // CLOCK_REALTIME usec of the last State/OffReason change
    // Where the datapath counts this link (not a property): set while active.
    std::optional<uint32_t> counter_slot;

    std::string_view state() const noexcept { return active ? "active" : "off"; }
    bool operator==(const LinkStatus&) const = default;
};

// The status of one link: off with the plan's reason when the plan is off;
// active with the installed values when something is installed; otherwise
// "install-failed" while the daemon retries, or "pending" (waiting for DAD).
// `since_usec` is left 0 (StatusBoard keeps it).
LinkStatus link_status(const LinkPlan& plan, const NetworkModel& model,
                       const std::optional<InstalledClat>& installed, bool retrying);

// Manager1.State from the daemon's phase and the links.
ManagerState manager_state(bool ready, bool stopping, const std::map<int, LinkStatus>& links);

// The Link1 property names whose values differ between a and b, in
// introspection order; never those without a change signal: the const
// InterfaceIndex, the counters and Pref64ExpiresUSec (every RA that refreshes
// the prefix moves it).
std::vector<std::string> changed_properties(const LinkStatus& a, const LinkStatus& b);

// What changed from one snapshot to the next: links added and removed (for the
// ObjectManager signals) and the changed properties of the others.
struct StatusDiff {
    std::vector<int> added;
    std::vector<int> removed;
    std::map<int, std::vector<std::string>> changed;
    bool empty() const noexcept { return added.empty() && removed.empty() && changed.empty(); }
};

// The current snapshot of every link, with Since kept across updates: it moves
// to `now_realtime_usec` when a link appears or its State or OffReason changes.
class StatusBoard {
public:
    StatusDiff update(std::map<int, LinkStatus> next, uint64_t now_realtime_usec);
    const std::map<int, LinkStatus>& links() const noexcept { return links_; }
    const LinkStatus* find(int ifindex) const;
    const LinkStatus* find(std::string_view name) const;

private:
    std::map<int, LinkStatus> links_;
};

// Link1.Packets*/Bytes* from one slot's counters (indexed by colatrl_counter_id):
// the *_translated counters, which count every translated packet (fragments
// and ICMP errors have their own counters besides).
struct TrafficTotals {
    uint64_t packets4to6 = 0;
    uint64_t bytes4to6 = 0;
    uint64_t packets6to4 = 0;
    uint64_t bytes6to4 = 0;
};
TrafficTotals traffic_totals(const std::vector<colatrl_counter>& block);

// Describe(): {"version","state","config_file","config":{...},"links":[{every
// Link1 property, "statistics":{name:{"packets","bytes"}}}]}. A link without an
// entry in `counters` gets an empty statistics object and zero totals.
struct ManagerInfo {
    std::string version;
    ManagerState state = ManagerState::starting;
    std::string config_file;
};
// The Link1 state properties as keys of the current JSON object (Describe()
// and colatrlctl --json write the same names).
class JsonWriter;
void write_link_properties(JsonWriter& j, const LinkStatus& s);

std::string describe_json(const ManagerInfo& info, const Config& config,
                          const std::map<int, LinkStatus>& links,
                          const std::map<int, std::vector<colatrl_counter>>& counters);

} // namespace colatrl

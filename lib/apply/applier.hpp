// SPDX-License-Identifier: GPL-2.0-or-later
// The applier: compares the desired state (derive.hpp) with what is installed
// and changes only what differs, make-before-break:
//   new CLAT IPv6 -> DAD first -> anycast claim -> the router told where it
//   lives (also for every new router) -> one atomic config-map
//   update -> release of the old claim; the IPv4 route is replaced in place,
//   never deleted and re-added; a new CLAT IPv4 is added before the route
//   switches to it and removed after.
// A step that fails leaves nothing half-installed: a link that had a working
// CLAT gets its previous state back, any other link is cleared, and the
// result asks for a retry.
// The side effects sit behind ApplyOps so the diff logic is unit-testable
// with a recording fake; RealApplyOps (applier_ops.hpp) is the kernel one.
#pragma once

#include "base/log_entry.hpp"
#include "base/result.hpp"
#include "colatrl_shared.h"
#include "inet/ip.hpp"
#include "model/derive.hpp"
#include "model/netmodel.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace colatrl {

// Our IPv4 default route as the applier sees it.
struct Route4Spec {
    int ifindex = 0;
    std::string ifname;
    std::optional<Ipv6Addr> gateway; // none on raw-IP links
    Ipv4Addr src;
    uint32_t mtu = 0;
    uint32_t metric = 0; // clat_route4_metric (lib/clat/markers.hpp)
    bool operator==(const Route4Spec&) const = default;
};

// Every side effect the applier may cause. Calls happen outside netlink
// callbacks (from a deferred event source), one at a time.
class ApplyOps {
public:
    virtual ~ApplyOps() = default;
    virtual Status start_dad(int ifindex, const Ipv6Addr& addr) = 0; // result via Applier::dad_done
    virtual void cancel_dad(int ifindex) = 0;
    virtual Status claim_anycast(int ifindex, const Ipv6Addr& addr) = 0;
    virtual void release_anycast(int ifindex, const Ipv6Addr& addr) = 0;
    // Makes `router` learn the link-layer address of the claimed `clat6`
    // (lib/nd/announce.hpp), so its first packet to the CLAT does not wait.
    virtual Status announce(int ifindex, const Ipv6Addr& clat6, const Ipv6Addr& router) = 0;
    virtual Status set_config(int ifindex, const colatrl_config& cfg) = 0;
    virtual Status remove_config(int ifindex) = 0;
    // The previous config beside the current one (COLATRL_PREV_CONFIG_KEY_BIT
    // in bpf/colatrl_shared.h); removing one that is not there succeeds.
    virtual Status set_previous_config(int ifindex, const colatrl_config& cfg) = 0;
    virtual Status remove_previous_config(int ifindex) = 0;
    virtual Status reset_counters(uint32_t slot) = 0;
    virtual Status attach(int ifindex, uint16_t arphrd) = 0;
    virtual Status detach(int ifindex) = 0;
    virtual Status add_addr4(int ifindex, const std::string& ifname, const Ipv4Addr& a) = 0;
    virtual Status del_addr4(int ifindex, const std::string& ifname, const Ipv4Addr& a) = 0;
    virtual Status replace_route4(const Route4Spec& r) = 0;
    virtual Status del_route4(int ifindex, const std::string& ifname, uint32_t metric) = 0;
};

// What the applier believes is installed on one link. Lists, not single
// values, because make-before-break briefly holds old and new together (and a
// failed step may leave both until the next run).
struct InstalledLink {
    std::string name;
    uint16_t arphrd = 0;
    bool attached = false;
    std::optional<colatrl_config> config; // in our (current) maps
    // The config before a PREF64 change, kept for replies in flight across
    // it until Applier::drop_previous (previous_config_after).
    std::optional<colatrl_config> previous;
    std::vector<Ipv4Addr> addrs4;
    std::optional<Route4Spec> route4;
    std::vector<Ipv6Addr> anycasts; // claimed
    // (CLAT IPv6, router) the router was last told about by announce().
    std::optional<std::pair<Ipv6Addr, Ipv6Addr>> announced;
    std::optional<Ipv6Addr> adopted_clat6; // owned by a crashed run: no new DAD
    bool stale_filters = false;            // a crashed run's programs are attached
};

// One readable line per change, for the log (INTERFACE= field = ifname).
struct ApplyEvent {
    int ifindex = 0;
    log::Entry log;
};

struct ApplyResult {
    std::vector<ApplyEvent> events;
    // Links whose previous config was written by this run: their grace
    // period starts now (the caller times it, Applier::drop_previous ends it).
    std::vector<int> previous_written;
    bool dad_pending = false; // waiting for DAD; dad_done() will want another run
    bool retry = false;       // something failed; run again after a back-off
};

enum class DadStatus { running, unique, duplicate, failed };

// How long a previous config stays after a PREF64 change: longer than any
// round trip a packet sent before the change can still be on (RTTs are well
// under a second; TCP's initial RTO is 1 s, RFC 6298 section 2.1) and than a
// NAT64's own reaction to a change, short enough that a prefix the network
// withdrew stops being translated soon (docs/decisions.md).
inline constexpr std::chrono::seconds kPreviousPref64Grace{10};

// What the previous-config entry of a link should hold when its config goes
// from `installed` to `next`, given the `previous` one there now. A PREF64
// change that keeps the CLAT addresses and counter slot makes the installed
// config the previous one: a reply the old NAT64 sent before the switch still
// finds its translation. A previous entry stays while it still belongs to
// the CLAT (same addresses and slot) and differs from the new PREF64; any
// other change (new CLAT IPv6 or IPv4 address, the PREF64 back to the
// previous one) leaves none. Pure.
std::optional<colatrl_config> previous_config_after(const std::optional<colatrl_config>& installed,
                                                    const std::optional<colatrl_config>& previous,
                                                    const colatrl_config& next);

class Applier {
public:
    explicit Applier(ApplyOps& ops) : ops_(ops) {}

    // What a crashed run left behind and we keep using (filled by the daemon
    // from KernelOps::list_ours and the attached programs' config maps).
    void adopt(int ifindex, InstalledLink link) { installed_[ifindex] = std::move(link); }

    ApplyResult apply(const DesiredState& desired);
    // Removes everything installed (SIGTERM).
    ApplyResult remove_all();

    // DAD finished for `addr` on `ifindex`. Returns true when it matters (the
    // caller should derive+apply again); a stale answer returns false.
    bool dad_done(int ifindex, const Ipv6Addr& addr, DadStatus status);

    // The grace period of ifindex's previous config is over: remove it. A
    // failure is logged in the result and asks for a retry.
    ApplyResult drop_previous(int ifindex);

    const std::map<int, InstalledLink>& installed() const noexcept { return installed_; }

private:
    struct Dad {
        Ipv6Addr addr;
        DadStatus status = DadStatus::running;
    };
    void converge(const LinkPlan& plan, ApplyResult& out);
    // The steps of converge(); false when one failed.
    bool install(const LinkPlan& plan, ApplyResult& out);
    // After a failed step: back to `before` when it was a working CLAT, else
    // (or when restoring fails too) nothing on the link.
    void roll_back(const LinkPlan& plan, const std::optional<InstalledLink>& before,
                   ApplyResult& out);
    bool restore(const LinkPlan& plan, const InstalledLink& before, InstalledLink& now,
                 ApplyResult& out);
    void teardown(int ifindex, InstalledLink& link, ApplyResult& out);
    bool check(const Status& s, const LinkPlan& plan, const std::string& what, ApplyResult& out);
    static void note(ApplyResult& out, int ifindex, const std::string& ifname, log::Level level,
                     std::string text);

    ApplyOps& ops_;
    std::map<int, InstalledLink> installed_;
    std::map<int, Dad> dad_;
};

} // namespace colatrl

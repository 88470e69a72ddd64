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
    bool dad_pending = false; // waiting for DAD; dad_done() will want another run
    bool retry = false;       // something failed; run again after a back-off
};

enum class DadStatus { running, unique, duplicate, failed };

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

// SPDX-License-Identifier: GPL-2.0-or-later
// Taking over what a crashed (or killed) earlier run left in the kernel, so a
// restart neither breaks a working CLAT nor leaves stale state behind.
//
// plan_adoption() is the pure part: from the leftovers (everything that
// carries our markers, lib/clat/markers.hpp) it decides which links the
// applier takes over as installed (no new DAD for a CLAT IPv6 address the
// programs already use), which routes go, and why. adopt_leftovers() is
// the adapter: it gathers the facts from the kernel (KernelOps::list_ours,
// the attached programs and their config map), removes what is not adopted
// and hands the rest to the applier.
#pragma once

#include "apply/applier.hpp"
#include "base/log_entry.hpp"
#include "colatrl_shared.h"
#include "model/netmodel.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace colatrl {

// Our programs found attached to a link, with their config when it could be
// read from the maps they use.
struct LeftoverDatapath {
    std::optional<colatrl_config> config;
    // The config was read from the maps this run's programs use (reused from
    // the earlier run): it is installed already, nothing to write.
    bool in_own_maps = false;
};

struct Leftovers {
    std::vector<Route> routes;                // with kRouteProtocol, both families, any table
    std::vector<Addr> addrs;                  // /32s in kClatIpv4Range with our label or IFA_PROTO
    std::map<int, LeftoverDatapath> datapath; // ifindex -> our programs attached there
};

struct StaleRoute {
    Route route;
    std::string reason;
};

struct AdoptionPlan {
    std::map<int, InstalledLink> adopt; // handed to Applier::adopt
    std::vector<StaleRoute> remove;
    // Choices the derivation keeps (DeriveInputs), so the adopted CLAT goes
    // on with the same IPv4 address and counter slot.
    std::map<int, Ipv4Addr> clat4;
    std::map<int, uint32_t> counter_slots;
    // The CLAT IPv6 address the programs use, so a PREF64 that changed while
    // no daemon ran does not move it (counted as DAD counter 0 of its /64).
    std::map<int, Clat6Choice> clat6;
    // The PREF64 the adopted datapath uses (DeriveInputs::adopted_pref64).
    std::map<int, Ipv6Prefix> pref64;
    std::vector<log::Entry> log;
};

// `links`: the links of the first complete dump. Nothing is adopted on a link
// not in it; routes of ours that are not adoptable go wherever they are.
AdoptionPlan plan_adoption(const Leftovers& left, const std::map<int, Link>& links);

class KernelOps;
class DatapathMaps;

// Gathers, removes the stale routes, adopts the rest into `applier`. The
// plan's log gains a line for each removal that failed. `reused`: the maps
// of the earlier run when the datapath was loaded with them (the service
// manager's fd store); the attached programs' config is read there first.
Result<AdoptionPlan> adopt_leftovers(KernelOps& kernel, Applier& applier,
                                     const std::map<int, Link>& links,
                                     const DatapathMaps* reused = nullptr);

// Removes everything of ours in the kernel (routes, CLAT IPv4 addresses, tc
// filters on any link) for a start that cannot go on (bad configuration),
// so no unmaintained CLAT stays behind. One line per removal or failure.
std::vector<log::Entry> remove_leftovers(KernelOps& kernel);

} // namespace colatrl

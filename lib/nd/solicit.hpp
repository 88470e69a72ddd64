// SPDX-License-Identifier: GPL-2.0-or-later
// When to send a Router Solicitation (RFC 4861 §6.3.7). RA options are not
// kept by the kernel where we could read them back: after a start or a link
// coming up, a solicitation makes the routers repeat them (PREF64, RFC 8781)
// now instead of at their next unsolicited RA. Pure; the daemon sends what
// due() returns with send_router_solicit (lib/nd/nd.hpp).
#pragma once

#include "inet/ip.hpp"
#include "model/derive.hpp"
#include "model/netmodel.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace colatrl {

// At most one solicitation per link this often (RTR_SOLICITATION_INTERVAL).
inline constexpr std::chrono::seconds kRsInterval{4};

// A link-local address of `ifindex` usable as the source (not tentative, not
// DAD-failed); nullopt until there is one.
std::optional<Ipv6Addr> rs_source(const NetworkModel& model, int ifindex);

class RsPlanner {
public:
    // A link's operational state as the model had it and has it now: a link
    // that comes (back) up wants a solicitation.
    void link_changed(int ifindex, bool was_up, bool up);
    void link_removed(int ifindex);

    struct Solicit {
        int ifindex = 0;
        std::string ifname;
        Ipv6Addr source;
    };
    // The solicitations to send now. A wish ends when sent, when one went out
    // less than kRsInterval ago, or when the link is no candidate (RA
    // discovery off, not selected, unsupported, down); it waits while the
    // link has no usable link-local address yet.
    std::vector<Solicit> due(const DesiredState& state, const NetworkModel& model, bool discover_ra,
                             Clock::time_point now);

private:
    std::set<int> wanted_;
    std::map<int, Clock::time_point> last_;
};

} // namespace colatrl

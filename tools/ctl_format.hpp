// SPDX-License-Identifier: GPL-2.0-or-later
// What colatrlctl prints for the bus commands, from values already read off
// the bus: `status` blocks (in the manner of networkctl status), the `list`
// table, `statistics`, the Prometheus text of `metrics` and the --json forms.
// Pure (times are passed in), so the wording is unit-tested.
#pragma once

#include "status/link_status.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace colatrl::ctl {

// One link as read from its Link1 object.
struct LinkView {
    LinkStatus status;
    // Statistics, in the order the daemon sent them: name -> (packets, bytes).
    std::vector<std::pair<std::string, colatrl_counter>> counters;
    uint64_t packets4to6 = 0, packets6to4 = 0, bytes4to6 = 0, bytes6to4 = 0;
};

struct Clocks {
    uint64_t realtime_usec = 0; // now, CLOCK_REALTIME
    uint64_t boottime_usec = 0; // now, CLOCK_BOOTTIME
};

// "1h 2min 3s", "45s", "0s".
std::string format_span(uint64_t usec);
// "12.3 KiB" style (1024-based), "512 B" below 1 KiB.
std::string format_bytes(uint64_t bytes);

// The header of `status`: "colatrld 0.3.0: running (config /etc/...)".
std::string format_manager(const std::string& version, const std::string& state,
                           const std::string& config_file, bool color);
std::string format_status(const LinkView& link, const Clocks& now, bool color);
std::string format_list(const std::vector<LinkView>& links);
// Non-zero counters unless `all`; "(no datapath)" for a link without counters.
std::string format_statistics(const LinkView& link, bool all);
// Prometheus text exposition format 0.0.4 (node_exporter's textfile collector).
std::string format_metrics(const std::vector<LinkView>& links);

// --json: one object per link with every Link1 property (the names Describe uses).
std::string json_links(const std::vector<LinkView>& links, bool with_counters);

} // namespace colatrl::ctl

// SPDX-License-Identifier: GPL-2.0-or-later
// The datapath's two maps (bpf/colatrl_shared.h): the per-uplink config, one
// HASH element per ifindex whose update swaps the whole value atomically, and
// the per-CPU counters, summed here.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "colatrl_shared.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace colatrl {

// All counters of one slot, indexed by enum colatrl_counter_id, summed over CPUs.
using CounterBlock = std::vector<colatrl_counter>;

// The two maps of one loaded datapath (config_map, counters), owned through
// their own fds. Obtained from a Datapath, or from the programs already
// attached to an interface by another process (no bpffs pinning needed, so it
// also works inside `ip netns exec`).
class DatapathMaps {
public:
    // Find the maps of the colatrl program attached at our handle/priority on
    // ifindex (ingress hook first, then egress). Errc::not_found when no
    // colatrl filter is attached there.
    static Result<DatapathMaps> from_attached(int ifindex);
    // Duplicates the given fds (the caller keeps its own).
    static Result<DatapathMaps> from_fds(int config_map_fd, int counters_fd);

    Status set_config(int ifindex, const colatrl_config& cfg) const;
    // Errc::not_found when ifindex has no config.
    Status remove_config(int ifindex) const;
    // nullopt when ifindex has no config.
    Result<std::optional<colatrl_config>> config(int ifindex) const;
    // The previous config kept for a grace period after a PREF64 change
    // (COLATRL_PREV_CONFIG_KEY_BIT in colatrl_shared.h). Removing one that is
    // not there succeeds.
    Status set_previous_config(int ifindex, const colatrl_config& cfg) const;
    Status remove_previous_config(int ifindex) const;
    Result<std::optional<colatrl_config>> previous_config(int ifindex) const;
    // Removes every previous config (a start that reuses the maps of an
    // earlier run, whose grace periods nobody times any more). Returns how
    // many went.
    Result<size_t> remove_all_previous_configs() const;
    // slot 0..COLATRL_MAX_UPLINKS-1, or COLATRL_SLOT_UNCONFIGURED.
    Result<CounterBlock> counters(uint32_t slot) const;
    // Zero every counter of one slot (so a reused slot starts from zero).
    Status reset_counters(uint32_t slot) const;

    int config_map_fd() const noexcept { return config_.get(); }
    int counters_fd() const noexcept { return counters_.get(); }

private:
    DatapathMaps(UniqueFd config, UniqueFd counters)
        : config_(std::move(config)), counters_(std::move(counters)) {}
    UniqueFd config_;
    UniqueFd counters_;
};

} // namespace colatrl

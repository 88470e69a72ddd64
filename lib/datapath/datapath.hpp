// SPDX-License-Identifier: GPL-2.0-or-later
// Datapath control: loads the colatrl tc programs, attaches them to an uplink
// with tc clsact at our own handle/priority, writes the per-uplink config and
// reads the per-CPU counters. Side effects only; the config values themselves
// are computed by the pure make_datapath_config() (datapath_config.hpp).
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "colatrl_shared.h"
#include "datapath/datapath_config.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

struct colatrl_bpf; // generated skeleton (colatrl.skel.h), kept out of this header

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

// Where our filter sits on a link (what `detach` removes, what `attached` finds).
struct TcAttachment {
    uint32_t ingress_prog_id = 0; // 0 = none at our handle/priority
    uint32_t egress_prog_id = 0;
};

// Query our handle/priority on both hooks of ifindex; ids are 0 where nothing
// is attached (also when the link has no clsact qdisc). Works without a
// Datapath object (CLI, tests, restart checks).
Result<TcAttachment> query_attachment(int ifindex);

// Remove only our filters (COLATRL_TC_HANDLE / COLATRL_TC_PRIORITY) from both
// hooks of ifindex; filters of others and the clsact qdisc stay. Succeeds when
// nothing was attached. Works without a Datapath object.
Status detach_filters(int ifindex);

// One loaded instance of the colatrl programs. Several uplinks share it: the
// config map is keyed by ifindex, counters by config.counter_slot.
// Destroying the object does NOT detach: attached filters keep the programs
// and maps alive in the kernel, so a daemon restart (or a CLI that exits)
// leaves traffic flowing; the next attach replaces (adopts) those filters.
class Datapath {
public:
    // Load and verify the skeleton. Errors: Errc::unsupported (kernel lacks BPF /
    // a helper / BTF), Errc::system with sys_errno EPERM (needs root or
    // CAP_BPF+CAP_NET_ADMIN); a load failure message ends with the tail of the
    // verifier log.
    static Result<std::unique_ptr<Datapath>> open();
    ~Datapath();
    Datapath(const Datapath&) = delete;
    Datapath& operator=(const Datapath&) = delete;

    // Attach the variant for arphrd_type on ingress and egress of ifindex,
    // creating the clsact qdisc if missing. BPF_TC_F_REPLACE at our
    // handle/priority: a stale filter of an earlier run is replaced.
    Status attach(int ifindex, uint16_t arphrd_type);
    // Remove our filters from ifindex (see detach_filters). If this object
    // created the clsact qdisc and no filter is left on it, the qdisc goes too.
    Status detach(int ifindex);

    // One map update: the programs switch from the old to the new config
    // atomically.
    Status set_config(int ifindex, const colatrl_config& cfg) {
        return maps_.set_config(ifindex, cfg);
    }
    Status remove_config(int ifindex) { return maps_.remove_config(ifindex); }
    Result<std::optional<colatrl_config>> config(int ifindex) const {
        return maps_.config(ifindex);
    }
    Result<CounterBlock> counters(uint32_t slot) const { return maps_.counters(slot); }
    Status reset_counters(uint32_t slot) const { return maps_.reset_counters(slot); }

    const DatapathMaps& maps() const noexcept { return maps_; }
    // Program fd of a direction/variant (for tests and benchmarks).
    int prog_fd(bool egress, LinkVariant variant) const;

private:
    struct SkelDeleter {
        void operator()(colatrl_bpf* skel) const noexcept;
    };
    Datapath(std::unique_ptr<colatrl_bpf, SkelDeleter> skel, DatapathMaps maps);
    std::unique_ptr<colatrl_bpf, SkelDeleter> skel_;
    DatapathMaps maps_;
    std::vector<int> created_clsact_; // ifindexes where we created the qdisc
};

} // namespace colatrl

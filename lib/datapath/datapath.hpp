// SPDX-License-Identifier: GPL-2.0-or-later
// Datapath control: loads the colatrl tc programs and attaches them to an
// uplink (tc.hpp), and writes the per-uplink config and reads the counters
// through their maps (maps.hpp). Side effects only; the config values
// themselves are computed by the pure make_datapath_config()
// (datapath_config.hpp).
#pragma once

#include "base/result.hpp"
#include "colatrl_shared.h"
#include "datapath/datapath_config.hpp"
#include "datapath/maps.hpp"
#include "datapath/tc.hpp"

#include "base/unique_fd.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace colatrl {

// Maps of an earlier run to load the programs with (the fds stay the
// caller's; -1 = none): the new programs share them, so the config the
// running programs read stays valid while the new ones take over, and the
// counters go on. Used only when their type and sizes match this build's.
struct ReuseMaps {
    int config_map_fd = -1;
    int counters_fd = -1;
};

// One loaded instance of the colatrl programs. Several uplinks share it: the
// config map is keyed by ifindex, counters by config.counter_slot. Only the
// program and map fds are kept: the libbpf object (its ELF and BTF copies,
// about 270 kB of heap) is freed once loaded.
// Destroying the object does NOT detach: attached filters keep the programs
// and maps alive in the kernel, so a daemon restart (or a CLI that exits)
// leaves traffic flowing; the next attach replaces (adopts) those filters.
class Datapath {
public:
    // Load and verify the skeleton. Errors: Errc::unsupported (kernel lacks BPF /
    // a helper / BTF), Errc::system with sys_errno EPERM (needs root or
    // CAP_BPF+CAP_NET_ADMIN); a load failure message ends with the tail of the
    // verifier log.
    static Result<std::unique_ptr<Datapath>> open(ReuseMaps reuse = {});
    // Empty when open() reused the maps it was given (or was given none);
    // else why they could not be reused.
    const std::string& reuse_refused() const noexcept { return reuse_refused_; }
    bool reused_maps() const noexcept { return reused_; }
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
    Status set_previous_config(int ifindex, const colatrl_config& cfg) {
        return maps_.set_previous_config(ifindex, cfg);
    }
    Status remove_previous_config(int ifindex) { return maps_.remove_previous_config(ifindex); }
    Result<CounterBlock> counters(uint32_t slot) const { return maps_.counters(slot); }
    Status reset_counters(uint32_t slot) const { return maps_.reset_counters(slot); }

    const DatapathMaps& maps() const noexcept { return maps_; }
    // Program fd of a direction/variant (for tests and benchmarks).
    int prog_fd(bool egress, LinkVariant variant) const;

private:
    // egress_eth, egress_rawip, ingress_eth, ingress_rawip
    using ProgFds = std::array<UniqueFd, 4>;
    Datapath(ProgFds progs, DatapathMaps maps);
    ProgFds progs_;
    DatapathMaps maps_;
    std::vector<int>
        created_clsact_; // ifindexes where we (or a run we took over) created the qdisc
    bool reused_ = false;
    std::string reuse_refused_;
};

} // namespace colatrl

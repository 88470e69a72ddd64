// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/maps.hpp"

#include "datapath/bpf_call.hpp"
#include "datapath/datapath_config.hpp"
#include "datapath/tc.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <string_view>

namespace colatrl {

namespace {

// Names of the maps in bpf/xlat_common.h, how an attached program's maps are found.
constexpr const char* kConfigMapName = "config_map";
constexpr const char* kCountersMapName = "counters";

Result<bpf_map_info> map_info(int fd) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
        return sys_error(errno, "read BPF map info");
    }
    return info;
}

} // namespace

Result<DatapathMaps> DatapathMaps::from_fds(int config_map_fd, int counters_fd) {
    auto c = dup_bpf_fd(config_map_fd, "BPF map");
    if (!c) {
        return std::move(c).error();
    }
    auto n = dup_bpf_fd(counters_fd, "BPF map");
    if (!n) {
        return std::move(n).error();
    }
    return DatapathMaps(std::move(*c), std::move(*n));
}

Result<DatapathMaps> DatapathMaps::from_attached(int ifindex) {
    uint32_t prog_id = 0;
    for (auto hook : {TcHook::ingress, TcHook::egress}) {
        auto id = tc_query(ifindex, hook);
        if (!id) {
            return std::move(id).error();
        }
        if (*id != 0) {
            prog_id = *id;
            break;
        }
    }
    if (prog_id == 0) {
        return make_error(Errc::not_found, "no colatrl datapath attached to " + ifname_of(ifindex));
    }
    UniqueFd prog(bpf_prog_get_fd_by_id(prog_id));
    if (!prog.valid()) {
        return bpf_error(errno, "open BPF program id " + std::to_string(prog_id));
    }
    // Two passes: first learn how many maps the program uses, then fetch their ids.
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(prog.get(), &info, &len) < 0) {
        return sys_error(errno, "read BPF program info");
    }
    std::vector<uint32_t> ids(info.nr_map_ids);
    info = bpf_prog_info{};
    info.nr_map_ids = static_cast<uint32_t>(ids.size());
    info.map_ids = reinterpret_cast<uintptr_t>(ids.data());
    len = sizeof(info);
    if (bpf_obj_get_info_by_fd(prog.get(), &info, &len) < 0) {
        return sys_error(errno, "read BPF program map ids");
    }
    ids.resize(std::min<size_t>(ids.size(), info.nr_map_ids));

    UniqueFd config, counters;
    for (uint32_t id : ids) {
        UniqueFd fd(bpf_map_get_fd_by_id(id));
        if (!fd.valid()) {
            return bpf_error(errno, "open BPF map id " + std::to_string(id));
        }
        auto mi = map_info(fd.get());
        if (!mi) {
            return std::move(mi).error();
        }
        const std::string_view name(mi->name);
        if (name == kConfigMapName) {
            if (mi->type != BPF_MAP_TYPE_HASH || mi->key_size != 4 ||
                mi->value_size != sizeof(colatrl_config)) {
                return make_error(Errc::conflict, "attached colatrl program has a config map of "
                                                  "another layout (different colatrl version?)");
            }
            config = std::move(fd);
        } else if (name == kCountersMapName) {
            if (mi->type != BPF_MAP_TYPE_PERCPU_ARRAY || mi->key_size != 4 ||
                mi->value_size != sizeof(colatrl_counter) ||
                mi->max_entries != COLATRL_COUNTER_ENTRIES) {
                return make_error(Errc::conflict, "attached colatrl program has a counters map of "
                                                  "another layout (different colatrl version?)");
            }
            counters = std::move(fd);
        }
    }
    if (!config.valid() || !counters.valid()) {
        return make_error(Errc::not_found, "the program attached to " + ifname_of(ifindex) +
                                               " at the colatrl handle has no colatrl maps");
    }
    return DatapathMaps(std::move(config), std::move(counters));
}

namespace {
uint32_t previous_key(int ifindex) {
    return static_cast<uint32_t>(ifindex) | COLATRL_PREV_CONFIG_KEY_BIT;
}

// The config under `key`, nothing when there is none; `what` names it in errors.
Result<std::optional<colatrl_config>> read_config(int map_fd, uint32_t key,
                                                  const std::string& what) {
    colatrl_config cfg{};
    if (bpf_map_lookup_elem(map_fd, &key, &cfg) < 0) {
        if (errno == ENOENT) {
            return std::optional<colatrl_config>{};
        }
        return bpf_error(errno, "read " + what);
    }
    return std::optional<colatrl_config>{cfg};
}
} // namespace

Status DatapathMaps::set_config(int ifindex, const colatrl_config& cfg) const {
    const uint32_t key = static_cast<uint32_t>(ifindex);
    if (bpf_map_update_elem(config_.get(), &key, &cfg, BPF_ANY) < 0) {
        return bpf_error(errno, "set datapath config of " + ifname_of(ifindex));
    }
    return {};
}

Status DatapathMaps::set_previous_config(int ifindex, const colatrl_config& cfg) const {
    const uint32_t key = previous_key(ifindex);
    if (bpf_map_update_elem(config_.get(), &key, &cfg, BPF_ANY) < 0) {
        return bpf_error(errno, "set previous datapath config of " + ifname_of(ifindex));
    }
    return {};
}

Status DatapathMaps::remove_previous_config(int ifindex) const {
    const uint32_t key = previous_key(ifindex);
    if (bpf_map_delete_elem(config_.get(), &key) < 0 && errno != ENOENT) {
        return bpf_error(errno, "remove previous datapath config of " + ifname_of(ifindex));
    }
    return {};
}

Result<std::optional<colatrl_config>> DatapathMaps::previous_config(int ifindex) const {
    return read_config(config_.get(), previous_key(ifindex),
                       "previous datapath config of " + ifname_of(ifindex));
}

Result<size_t> DatapathMaps::remove_all_previous_configs() const {
    // Keys first, deletes after: deleting while walking may restart the walk.
    std::vector<uint32_t> keys;
    uint32_t key = 0;
    const uint32_t* prev = nullptr;
    while (bpf_map_get_next_key(config_.get(), prev, &key) == 0) {
        if ((key & COLATRL_PREV_CONFIG_KEY_BIT) != 0) {
            keys.push_back(key);
        }
        prev = &key;
    }
    if (errno != ENOENT) {
        return bpf_error(errno, "list datapath configs");
    }
    for (uint32_t k : keys) {
        if (bpf_map_delete_elem(config_.get(), &k) < 0 && errno != ENOENT) {
            return bpf_error(errno, "remove a previous datapath config");
        }
    }
    return keys.size();
}

Status DatapathMaps::remove_config(int ifindex) const {
    const uint32_t key = static_cast<uint32_t>(ifindex);
    if (bpf_map_delete_elem(config_.get(), &key) < 0) {
        if (errno == ENOENT) {
            return make_error(Errc::not_found, "no datapath config for " + ifname_of(ifindex));
        }
        return bpf_error(errno, "remove datapath config of " + ifname_of(ifindex));
    }
    return {};
}

Result<std::optional<colatrl_config>> DatapathMaps::config(int ifindex) const {
    return read_config(config_.get(), static_cast<uint32_t>(ifindex),
                       "datapath config of " + ifname_of(ifindex));
}

namespace {

Result<size_t> possible_cpus() {
    const int n = libbpf_num_possible_cpus();
    if (n <= 0) {
        return sys_error(n, "count possible CPUs");
    }
    return static_cast<size_t>(n);
}

Status check_slot(uint32_t slot) {
    if (slot > COLATRL_SLOT_UNCONFIGURED) {
        return make_error(Errc::invalid_argument, "counter slot " + std::to_string(slot) +
                                                      " out of range 0.." +
                                                      std::to_string(COLATRL_SLOT_UNCONFIGURED));
    }
    return {};
}

} // namespace

Result<CounterBlock> DatapathMaps::counters(uint32_t slot) const {
    if (auto s = check_slot(slot); !s) {
        return std::move(s).error();
    }
    auto ncpu = possible_cpus();
    if (!ncpu) {
        return std::move(ncpu).error();
    }
    // A per-CPU lookup returns one value per possible CPU, each 8-byte aligned
    // (struct colatrl_counter is 16 bytes, so no padding).
    std::vector<colatrl_counter> percpu(*ncpu);
    CounterBlock out(COLATRL_CNT__COUNT);
    for (uint32_t id = 0; id < COLATRL_CNT__COUNT; ++id) {
        const uint32_t key = slot * COLATRL_CNT__COUNT + id;
        if (bpf_map_lookup_elem(counters_.get(), &key, percpu.data()) < 0) {
            return bpf_error(errno, "read counter " + std::string(counter_name(id)));
        }
        for (const auto& c : percpu) {
            out[id].packets += c.packets;
            out[id].bytes += c.bytes;
        }
    }
    return out;
}

Status DatapathMaps::reset_counters(uint32_t slot) const {
    if (auto s = check_slot(slot); !s) {
        return s;
    }
    auto ncpu = possible_cpus();
    if (!ncpu) {
        return std::move(ncpu).error();
    }
    const std::vector<colatrl_counter> zero(*ncpu);
    for (uint32_t id = 0; id < COLATRL_CNT__COUNT; ++id) {
        const uint32_t key = slot * COLATRL_CNT__COUNT + id;
        if (bpf_map_update_elem(counters_.get(), &key, zero.data(), BPF_ANY) < 0) {
            return bpf_error(errno, "reset counter " + std::string(counter_name(id)));
        }
    }
    return {};
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/datapath.hpp"

#include "datapath/bpf_call.hpp"

// The generated skeleton is C written for C and C++ alike.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Woverlength-strings" // the embedded BPF object (clang)
#include "colatrl.skel.h"
#pragma GCC diagnostic pop

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>

namespace colatrl {

namespace {
struct SkelDeleter {
    void operator()(colatrl_bpf* skel) const noexcept { colatrl_bpf__destroy(skel); }
};

size_t prog_index(bool egress, LinkVariant variant) {
    return (egress ? 0u : 2u) + (variant == LinkVariant::ethernet ? 0u : 1u);
}
} // namespace

Datapath::Datapath(ProgFds progs, DatapathMaps maps)
    : progs_(std::move(progs)), maps_(std::move(maps)) {}

Datapath::~Datapath() = default;

namespace {

// Why a map of an earlier run cannot stand in for `map` of this build, or "".
std::string reuse_mismatch(const bpf_map* map, int fd) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
        return sys_error(errno, "read BPF map info").message;
    }
    const std::string name = bpf_map__name(map);
    if (name.compare(0, sizeof(info.name) - 1, info.name) != 0 ||
        info.type != static_cast<uint32_t>(bpf_map__type(map)) ||
        info.key_size != bpf_map__key_size(map) || info.value_size != bpf_map__value_size(map) ||
        info.max_entries != bpf_map__max_entries(map)) {
        return "map " + name + " has another layout (an older version of colatrl?)";
    }
    return {};
}

// The skeleton's copy of the BPF object lies in our read-only data and is read
// once, by the load; its pages would stay resident for the daemon's lifetime
// (docs/memory.md). MADV_DONTNEED on a private file mapping only drops them
// from this process: a later read (another open) maps them again from the
// file, so nothing can go wrong but the time of a page fault.
void unmap_embedded_object() {
    size_t size = 0;
    const auto begin = reinterpret_cast<uintptr_t>(colatrl_bpf__elf_bytes(&size));
    const long page_size = sysconf(_SC_PAGESIZE);
    if (page_size <= 0) {
        return;
    }
    const auto page = static_cast<uintptr_t>(page_size);
    // Whole pages inside the object only: its neighbours stay untouched.
    const uintptr_t first = (begin + page - 1) & ~(page - 1);
    const uintptr_t last = (begin + size) & ~(page - 1);
    if (last > first) {
        (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
    }
}

} // namespace

Result<std::unique_ptr<Datapath>> Datapath::open(ReuseMaps reuse) {
    std::string log;
    LogCapture capture(&log);

    std::unique_ptr<colatrl_bpf, SkelDeleter> skel(colatrl_bpf__open());
    if (!skel) {
        Error e = bpf_error(errno, "open colatrl BPF object");
        if (!log.empty()) {
            e.message += "\n" + log_tail(log, 20);
        }
        return e;
    }
    bool reused = false;
    std::string refused;
    if (reuse.config_map_fd >= 0 && reuse.counters_fd >= 0) {
        refused = reuse_mismatch(skel->maps.config_map, reuse.config_map_fd);
        if (refused.empty()) {
            refused = reuse_mismatch(skel->maps.counters, reuse.counters_fd);
        }
        if (refused.empty()) {
            // Both or none: a config map shared with old programs but fresh
            // counters would be harmless, the other way round confusing.
            if (int r = bpf_map__reuse_fd(skel->maps.config_map, reuse.config_map_fd); r < 0) {
                return bpf_error(r, "reuse the config map of the earlier run");
            }
            if (int r = bpf_map__reuse_fd(skel->maps.counters, reuse.counters_fd); r < 0) {
                return bpf_error(r, "reuse the counters map of the earlier run");
            }
            reused = true;
        }
    }
    int err = colatrl_bpf__load(skel.get());
    if (err == -EPERM) {
        // The log only repeats libbpf's generic probing advice here.
        return bpf_error(err, "load colatrl BPF programs");
    }
    if (err < 0) {
        // EACCES/EINVAL/E2BIG from a program load are verifier rejections,
        // not missing privileges: the log tail says which instruction.
        Error e = sys_error(err, "load colatrl BPF programs");
        if (err == -ENOSYS || err == -EOPNOTSUPP || err == -kEnotsupp) {
            e.code = Errc::unsupported;
        } else if (err == -EINVAL || err == -E2BIG || err == -EACCES) {
            e.message += " (rejected by the kernel verifier?)";
        }
        if (!log.empty()) {
            e.message += "; libbpf/verifier log tail:\n" + log_tail(log, 30);
        }
        return e;
    }
    auto maps = DatapathMaps::from_fds(bpf_map__fd(skel->maps.config_map),
                                       bpf_map__fd(skel->maps.counters));
    if (!maps) {
        return std::move(maps).error();
    }
    // The fds keep programs and maps alive; the skeleton goes when this returns.
    ProgFds progs;
    const bpf_program* by_index[] = {
        skel->progs.colatrl_egress_eth, skel->progs.colatrl_egress_rawip,
        skel->progs.colatrl_ingress_eth, skel->progs.colatrl_ingress_rawip};
    for (size_t i = 0; i < progs.size(); ++i) {
        auto fd = dup_bpf_fd(bpf_program__fd(by_index[i]), "BPF program");
        if (!fd) {
            return std::move(fd).error();
        }
        progs[i] = std::move(*fd);
    }
    unmap_embedded_object();
    std::unique_ptr<Datapath> dp(new Datapath(std::move(progs), std::move(*maps)));
    dp->reused_ = reused;
    dp->reuse_refused_ = std::move(refused);
    return dp;
}

int Datapath::prog_fd(bool egress, LinkVariant variant) const {
    return progs_[prog_index(egress, variant)].get();
}

Status Datapath::attach(int ifindex, uint16_t arphrd_type) {
    auto variant = variant_for_arphrd(arphrd_type);
    if (!variant) {
        return make_error(variant.error().code,
                          ifname_of(ifindex) + ": " + variant.error().message);
    }
    auto before = query_attachment(ifindex);
    if (!before) {
        return std::move(before).error();
    }
    auto created = tc_create_clsact(ifindex);
    if (!created) {
        return std::move(created).error();
    }
    // Our filters there already: an earlier run of ours (adopted after a
    // restart) made the qdisc, so it goes with our last filter too.
    const bool ours = *created || before->ingress_prog_id != 0 || before->egress_prog_id != 0;
    if (ours && std::find(created_clsact_.begin(), created_clsact_.end(), ifindex) ==
                    created_clsact_.end()) {
        created_clsact_.push_back(ifindex);
    }
    // Ingress first: replies are translated back before the first translated
    // request leaves.
    for (auto hook : {TcHook::ingress, TcHook::egress}) {
        if (auto s = tc_attach(ifindex, hook, prog_fd(hook == TcHook::egress, *variant)); !s) {
            // Leave nothing half-attached that was not there before.
            if (before->ingress_prog_id == 0 && before->egress_prog_id == 0) {
                (void)detach_filters(ifindex);
            }
            return s;
        }
    }
    return {};
}

Status Datapath::detach(int ifindex) {
    if (auto s = detach_filters(ifindex); !s) {
        return s;
    }
    auto it = std::find(created_clsact_.begin(), created_clsact_.end(), ifindex);
    if (it == created_clsact_.end()) {
        return {};
    }
    created_clsact_.erase(it);
    // Our qdisc: removed only when nobody else put a filter on it meanwhile.
    return tc_remove_clsact_if_empty(ifindex);
}

} // namespace colatrl

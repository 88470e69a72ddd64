// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/datapath.hpp"

#include "rtnl/nl_socket.hpp"

// glibc's <net/if.h> must come before any <linux/if.h> user (if_arp.h).
#include <net/if.h>

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
#include <fcntl.h>
#include <linux/if_arp.h>
#include <linux/pkt_sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdarg>
#include <cstdio>
#include <string>

namespace colatrl {

// ---------------------------------------------------------------- helpers

namespace {

// Kernel-internal ENOTSUPP; bpf() lets it escape for unsupported features.
constexpr int kEnotsupp = 524;

constexpr const char* kConfigMapName = "config_map";
constexpr const char* kCountersMapName = "counters";

std::string ifname_of(int ifindex) {
    char buf[IF_NAMESIZE] = {};
    if (if_indextoname(static_cast<unsigned>(ifindex), buf) == nullptr) {
        return "ifindex " + std::to_string(ifindex);
    }
    return buf;
}

// Errors from bpf()/tc netlink with the hint a user needs for the common causes.
Error bpf_error(int err, const std::string& what) {
    if (err < 0) {
        err = -err;
    }
    Error e = sys_error(err, what);
    if (err == EPERM || err == EACCES) {
        e.message += " (needs root, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON)";
    } else if (err == ENOSYS) {
        e.code = Errc::unsupported;
        e.message += " (kernel built without BPF support)";
    } else if (err == EOPNOTSUPP || err == kEnotsupp) {
        e.code = Errc::unsupported;
    }
    return e;
}

// libbpf logs: collected while loading so a verifier rejection can be shown.
thread_local std::string* g_libbpf_log = nullptr;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
int collect_libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (g_libbpf_log == nullptr || level == LIBBPF_DEBUG) {
        return 0;
    }
    char buf[4096];
    int n = std::vsnprintf(buf, sizeof buf, fmt, args);
    if (n > 0) {
        g_libbpf_log->append(buf, std::min(static_cast<size_t>(n), sizeof buf - 1));
    }
    return n;
}
#pragma GCC diagnostic pop

// Last max_lines lines of text (the end of a verifier log says why).
std::string log_tail(const std::string& text, int max_lines) {
    size_t pos = text.size();
    while (pos > 0 && text[pos - 1] == '\n') {
        --pos;
    }
    const size_t end = pos;
    int lines = 0;
    while (pos > 0 && lines < max_lines) {
        pos = text.rfind('\n', pos - 1);
        if (pos == std::string::npos) {
            pos = 0;
            break;
        }
        ++lines;
    }
    return text.substr(pos == 0 ? 0 : pos + 1, end - (pos == 0 ? 0 : pos + 1));
}

class LogCapture {
public:
    explicit LogCapture(std::string* sink)
        : prev_(libbpf_set_print(collect_libbpf_log)), prev_sink_(g_libbpf_log) {
        g_libbpf_log = sink;
    }
    ~LogCapture() {
        g_libbpf_log = prev_sink_;
        libbpf_set_print(prev_);
    }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

private:
    libbpf_print_fn_t prev_;
    std::string* prev_sink_;
};

// A tc call through libbpf: its warnings are kept (not printed) and the
// kernel's extack text is added to the error when the call fails.
class TcCall {
public:
    TcCall() : capture_(&log_) {}
    Error error(int err, const std::string& what) const {
        Error e = bpf_error(err, what);
        const std::string tag = "Kernel error message: ";
        if (auto pos = log_.rfind(tag); pos != std::string::npos) {
            auto text = log_.substr(pos + tag.size());
            while (!text.empty() && text.back() == '\n') {
                text.pop_back();
            }
            e.message += " (kernel: " + text + ")";
        }
        return e;
    }

private:
    std::string log_;
    LogCapture capture_;
};

bpf_tc_hook make_hook(int ifindex, bpf_tc_attach_point point) {
    bpf_tc_hook hook{};
    hook.sz = sizeof(hook);
    hook.ifindex = ifindex;
    hook.attach_point = point;
    return hook;
}

bpf_tc_opts make_opts(int prog_fd, uint32_t flags) {
    bpf_tc_opts opts{};
    opts.sz = sizeof(opts);
    opts.prog_fd = prog_fd;
    opts.flags = flags;
    opts.prog_id = 0;
    opts.handle = COLATRL_TC_HANDLE;
    opts.priority = COLATRL_TC_PRIORITY;
    return opts;
}

const char* point_name(bpf_tc_attach_point point) {
    return point == BPF_TC_INGRESS ? "ingress" : "egress";
}

// Program id at our handle/priority on one hook; 0 when none. The kernel
// answers ENOENT for a missing filter and EINVAL when the link has no clsact
// qdisc at all: both mean "nothing of ours there".
Result<uint32_t> query_one(int ifindex, bpf_tc_attach_point point) {
    auto hook = make_hook(ifindex, point);
    auto opts = make_opts(0, 0);
    TcCall call;
    int err = bpf_tc_query(&hook, &opts);
    if (err == -ENOENT || err == -EINVAL) {
        std::array<char, IF_NAMESIZE> name{};
        if (err == -EINVAL &&
            if_indextoname(static_cast<unsigned>(ifindex), name.data()) == nullptr) {
            return make_error(Errc::not_found,
                              "no interface with index " + std::to_string(ifindex));
        }
        return uint32_t{0};
    }
    if (err == -ENODEV) {
        return make_error(Errc::not_found, "no interface with index " + std::to_string(ifindex));
    }
    if (err < 0) {
        return call.error(err, "query tc " + std::string(point_name(point)) + " filter on " +
                                   ifname_of(ifindex));
    }
    return opts.prog_id;
}

// Number of tc filters on one clsact hook (any owner).
Result<size_t> count_filters(int ifindex, bpf_tc_attach_point point) {
    return count_tc_filters(
        ifindex,
        TC_H_MAKE(TC_H_CLSACT, point == BPF_TC_INGRESS ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS));
}

Result<bpf_map_info> map_info(int fd) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
        return sys_error(errno, "read BPF map info");
    }
    return info;
}

Result<UniqueFd> dup_fd(int fd) {
    int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (d < 0) {
        return sys_error(errno, "dup BPF map fd");
    }
    return UniqueFd(d);
}

} // namespace

// ---------------------------------------------------------------- DatapathMaps

Result<DatapathMaps> DatapathMaps::from_fds(int config_map_fd, int counters_fd) {
    auto c = dup_fd(config_map_fd);
    if (!c) {
        return std::move(c).error();
    }
    auto n = dup_fd(counters_fd);
    if (!n) {
        return std::move(n).error();
    }
    return DatapathMaps(std::move(*c), std::move(*n));
}

Result<DatapathMaps> DatapathMaps::from_attached(int ifindex) {
    uint32_t prog_id = 0;
    for (auto point : {BPF_TC_INGRESS, BPF_TC_EGRESS}) {
        auto id = query_one(ifindex, point);
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

Status DatapathMaps::set_config(int ifindex, const colatrl_config& cfg) const {
    const uint32_t key = static_cast<uint32_t>(ifindex);
    if (bpf_map_update_elem(config_.get(), &key, &cfg, BPF_ANY) < 0) {
        return bpf_error(errno, "set datapath config of " + ifname_of(ifindex));
    }
    return {};
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
    const uint32_t key = static_cast<uint32_t>(ifindex);
    colatrl_config cfg{};
    if (bpf_map_lookup_elem(config_.get(), &key, &cfg) < 0) {
        if (errno == ENOENT) {
            return std::optional<colatrl_config>{};
        }
        return bpf_error(errno, "read datapath config of " + ifname_of(ifindex));
    }
    return std::optional<colatrl_config>{cfg};
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

// ---------------------------------------------------------------- free tc functions

Result<TcAttachment> query_attachment(int ifindex) {
    TcAttachment a;
    auto in = query_one(ifindex, BPF_TC_INGRESS);
    if (!in) {
        return std::move(in).error();
    }
    auto eg = query_one(ifindex, BPF_TC_EGRESS);
    if (!eg) {
        return std::move(eg).error();
    }
    a.ingress_prog_id = *in;
    a.egress_prog_id = *eg;
    return a;
}

Status detach_filters(int ifindex) {
    for (auto point : {BPF_TC_EGRESS, BPF_TC_INGRESS}) {
        // Query first: detaching a missing filter or from a link without
        // clsact gives errors that are not failures for us.
        auto id = query_one(ifindex, point);
        if (!id) {
            return std::move(id).error();
        }
        if (*id == 0) {
            continue;
        }
        auto hook = make_hook(ifindex, point);
        auto opts = make_opts(0, 0);
        TcCall call;
        int err = bpf_tc_detach(&hook, &opts);
        if (err < 0 && err != -ENOENT) {
            return call.error(err, std::string("detach tc ") + point_name(point) + " filter from " +
                                       ifname_of(ifindex));
        }
    }
    return {};
}

// ---------------------------------------------------------------- Datapath

void Datapath::SkelDeleter::operator()(colatrl_bpf* skel) const noexcept {
    colatrl_bpf__destroy(skel);
}

Datapath::Datapath(std::unique_ptr<colatrl_bpf, SkelDeleter> skel, DatapathMaps maps)
    : skel_(std::move(skel)), maps_(std::move(maps)) {}

Datapath::~Datapath() = default;

Result<std::unique_ptr<Datapath>> Datapath::open() {
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
    return std::unique_ptr<Datapath>(new Datapath(std::move(skel), std::move(*maps)));
}

int Datapath::prog_fd(bool egress, LinkVariant variant) const {
    const bool eth = variant == LinkVariant::ethernet;
    bpf_program* p =
        egress ? (eth ? skel_->progs.colatrl_egress_eth : skel_->progs.colatrl_egress_rawip)
               : (eth ? skel_->progs.colatrl_ingress_eth : skel_->progs.colatrl_ingress_rawip);
    return bpf_program__fd(p);
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

    // clsact holds both hooks; EEXIST means someone (maybe us, earlier) made it.
    auto both =
        make_hook(ifindex, static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
    TcCall create_call;
    int err = bpf_tc_hook_create(&both);
    if (err == 0) {
        if (std::find(created_clsact_.begin(), created_clsact_.end(), ifindex) ==
            created_clsact_.end()) {
            created_clsact_.push_back(ifindex);
        }
    } else if (err != -EEXIST) {
        Error e = create_call.error(err, "create clsact qdisc on " + ifname_of(ifindex));
        if (err == -EOPNOTSUPP || err == -ENOENT) {
            e.code = Errc::unsupported;
            e.message += " (kernel without sch_clsact / NET_SCH_INGRESS?)";
        }
        return e;
    }

    // Ingress first: replies are translated back before the first translated
    // request leaves.
    for (auto point : {BPF_TC_INGRESS, BPF_TC_EGRESS}) {
        auto hook = make_hook(ifindex, point);
        auto opts = make_opts(prog_fd(point == BPF_TC_EGRESS, *variant), BPF_TC_F_REPLACE);
        TcCall call;
        err = bpf_tc_attach(&hook, &opts);
        if (err < 0) {
            Error e = call.error(err, std::string("attach tc ") + point_name(point) +
                                          " program to " + ifname_of(ifindex));
            // Leave nothing half-attached that was not there before.
            if (before->ingress_prog_id == 0 && before->egress_prog_id == 0) {
                (void)detach_filters(ifindex);
            }
            return e;
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
    // Our qdisc: remove it only when nobody else put a filter on it meanwhile.
    auto in = count_filters(ifindex, BPF_TC_INGRESS);
    auto eg = count_filters(ifindex, BPF_TC_EGRESS);
    if (in && eg && *in == 0 && *eg == 0) {
        auto both =
            make_hook(ifindex, static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
        TcCall call;
        int err = bpf_tc_hook_destroy(&both);
        if (err < 0 && err != -ENOENT && err != -EINVAL) {
            return call.error(err, "remove clsact qdisc from " + ifname_of(ifindex));
        }
    }
    return {};
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

// The generated skeleton is C; silence the C-isms our C++ warnings reject.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wpedantic"
#include "colatrl.skel.h"
#pragma GCC diagnostic pop

namespace colatrl::test {

namespace {

std::unique_ptr<Harness>& instance() {
    static std::unique_ptr<Harness> h;
    return h;
}

// Room for the largest growth a translation can cause (IPv6 header + fragment
// header + a grown inner header of an ICMP error), with a wide margin.
constexpr size_t kOutSlack = 1024;

} // namespace

const char* prog_name(Prog prog) {
    switch (prog) {
    case Prog::egress_eth:
        return "colatrl_egress_eth";
    case Prog::egress_rawip:
        return "colatrl_egress_rawip";
    case Prog::ingress_eth:
        return "colatrl_ingress_eth";
    case Prog::ingress_rawip:
        return "colatrl_ingress_rawip";
    }
    return "?";
}

colatrl_config make_config(const Ipv4Addr& clat_v4, const Ipv6Addr& clat_v6,
                           std::string_view pref64, uint16_t ipv6_mtu, uint8_t flags,
                           uint32_t slot) {
    auto p = Ipv6Prefix::parse(pref64);
    if (!p) {
        FAIL("make_config: bad PREF64 " << std::string(pref64) << ": " << p.error().message);
    }
    colatrl_config c{};
    std::memcpy(c.clat_v6, clat_v6.bytes.data(), 16);
    std::memcpy(c.pref64, p->addr.bytes.data(), 16);
    std::memcpy(&c.clat_v4, clat_v4.bytes.data(), 4); // already network order
    c.counter_slot = slot;
    c.ipv6_mtu = ipv6_mtu;
    c.pref64_len = p->len;
    c.flags = flags;
    if (p->len == 96 && p->addr == v6("64:ff9b::")) {
        c.flags = static_cast<uint8_t>(c.flags | COLATRL_F_PREF64_WKP);
    }
    return c;
}

bool csum_neutral(const Ipv4Addr& clat_v4, const Ipv6Addr& clat_v6, std::string_view pref64) {
    auto p = Ipv6Prefix::parse(pref64);
    if (!p || (p->len != 32 && p->len != 96)) {
        return false;
    }
    // With /32 and /96 the IPv4 address lands on 16-bit boundaries, so the
    // embedded destination adds exactly sum(prefix) + sum(IPv4 destination).
    uint64_t v6sum = rfc1071_sum(clat_v6.bytes, rfc1071_sum(p->addr.bytes));
    uint64_t v4sum = rfc1071_sum(clat_v4.bytes);
    // Compare as one's-complement values (0 and 0xffff are equal).
    uint16_t a = rfc1071_fold(v6sum), b = rfc1071_fold(v4sum);
    return a == b || (a == 0xffff && b == 0) || (a == 0 && b == 0xffff);
}

Status Harness::init() {
    if (instance()) {
        return {};
    }
    colatrl_bpf* skel = colatrl_bpf__open();
    if (skel == nullptr) {
        return sys_error(errno, "open BPF skeleton");
    }
    int err = colatrl_bpf__load(skel);
    if (err != 0) {
        colatrl_bpf__destroy(skel);
        if (err == -EPERM || err == -EACCES) {
            // Without privileges the kernel refuses before verification.
            Error e = sys_error(err, "load BPF programs (needs root / CAP_BPF + CAP_NET_ADMIN)");
            e.code = Errc::unsupported;
            return e;
        }
        return sys_error(err, "load BPF programs (see the verifier log above)");
    }
    instance().reset(new Harness(skel));
    return {};
}

Harness& Harness::get() {
    return *instance();
}

Harness::~Harness() {
    colatrl_bpf__destroy(skel_);
}

int Harness::prog_fd(Prog prog) const {
    switch (prog) {
    case Prog::egress_eth:
        return bpf_program__fd(skel_->progs.colatrl_egress_eth);
    case Prog::egress_rawip:
        return bpf_program__fd(skel_->progs.colatrl_egress_rawip);
    case Prog::ingress_eth:
        return bpf_program__fd(skel_->progs.colatrl_ingress_eth);
    case Prog::ingress_rawip:
        return bpf_program__fd(skel_->progs.colatrl_ingress_rawip);
    }
    return -1;
}

int Harness::config_map_fd() const {
    return bpf_map__fd(skel_->maps.config_map);
}

int Harness::counters_map_fd() const {
    return bpf_map__fd(skel_->maps.counters);
}

RunResult Harness::run(Prog prog, const Bytes& frame, uint32_t ifindex, uint32_t gso_size) {
    RunResult r;
    r.data.resize(frame.size() + kOutSlack);
    __sk_buff ctx{};
    ctx.ifindex = ifindex;
    if (gso_size > 0) {
        ctx.gso_size = gso_size;
        ctx.gso_segs = static_cast<uint32_t>((frame.size() + gso_size - 1) / gso_size);
    }
    bpf_test_run_opts opts{};
    opts.sz = sizeof opts;
    opts.data_in = frame.data();
    opts.data_size_in = static_cast<uint32_t>(frame.size());
    opts.data_out = r.data.data();
    opts.data_size_out = static_cast<uint32_t>(r.data.size());
    opts.ctx_in = &ctx;
    opts.ctx_size_in = sizeof ctx;
    opts.repeat = 1;
    int err = bpf_prog_test_run_opts(prog_fd(prog), &opts);
    if (err != 0) {
        FAIL("BPF_PROG_TEST_RUN of " << prog_name(prog) << " failed: " << std::strerror(-err)
                                     << " (frame of " << frame.size() << " bytes)");
    }
    r.retval = static_cast<int>(opts.retval);
    r.data.resize(opts.data_size_out);
    r.duration_ns = opts.duration;
    return r;
}

void Harness::set_config(uint32_t ifindex, const colatrl_config& cfg) {
    int err = bpf_map_update_elem(config_map_fd(), &ifindex, &cfg, BPF_ANY);
    if (err != 0) {
        FAIL("config_map update for ifindex " << ifindex << ": " << std::strerror(-err));
    }
}

void Harness::clear_config(uint32_t ifindex) {
    int err = bpf_map_delete_elem(config_map_fd(), &ifindex);
    if (err != 0 && err != -ENOENT) {
        FAIL("config_map delete for ifindex " << ifindex << ": " << std::strerror(-err));
    }
}

colatrl_counter Harness::counter(uint32_t slot, colatrl_counter_id id) {
    int ncpu = libbpf_num_possible_cpus();
    REQUIRE(ncpu > 0);
    std::vector<colatrl_counter> per_cpu(static_cast<size_t>(ncpu));
    uint32_t key = slot * COLATRL_CNT__COUNT + static_cast<uint32_t>(id);
    int err = bpf_map_lookup_elem(counters_map_fd(), &key, per_cpu.data());
    if (err != 0) {
        FAIL("counters lookup slot " << slot << " id " << id << ": " << std::strerror(-err));
    }
    colatrl_counter sum{};
    for (const auto& c : per_cpu) {
        sum.packets += c.packets;
        sum.bytes += c.bytes;
    }
    return sum;
}

void Harness::reset_counters() {
    int ncpu = libbpf_num_possible_cpus();
    REQUIRE(ncpu > 0);
    std::vector<colatrl_counter> zero(static_cast<size_t>(ncpu));
    for (uint32_t key = 0; key < COLATRL_COUNTER_ENTRIES; ++key) {
        int err = bpf_map_update_elem(counters_map_fd(), &key, zero.data(), BPF_ANY);
        if (err != 0) {
            FAIL("counters reset key " << key << ": " << std::strerror(-err));
        }
    }
}

} // namespace colatrl::test

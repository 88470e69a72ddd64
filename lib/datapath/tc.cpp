// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/tc.hpp"

#include "colatrl_shared.h"
#include "datapath/bpf_call.hpp"
#include "rtnl/nl_socket.hpp"

#include <net/if.h>

#include <bpf/libbpf.h>
#include <linux/pkt_sched.h>

#include <array>
#include <cerrno>
#include <string>

namespace colatrl {

namespace {

bpf_tc_attach_point point_of(TcHook hook) {
    return hook == TcHook::ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

const char* hook_name(TcHook hook) {
    return hook == TcHook::ingress ? "ingress" : "egress";
}

bpf_tc_hook make_hook(int ifindex, bpf_tc_attach_point point) {
    bpf_tc_hook hook{};
    hook.sz = sizeof(hook);
    hook.ifindex = ifindex;
    hook.attach_point = point;
    return hook;
}

// The clsact qdisc itself: both hooks at once.
bpf_tc_hook clsact_hook(int ifindex) {
    return make_hook(ifindex, static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
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

// Number of tc filters on one clsact hook (any owner).
Result<size_t> count_filters(int ifindex, TcHook hook) {
    return count_tc_filters(
        ifindex,
        TC_H_MAKE(TC_H_CLSACT, hook == TcHook::ingress ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS));
}

} // namespace

// The kernel answers ENOENT for a missing filter and EINVAL when the link has
// no clsact qdisc at all: both mean "nothing of ours there".
Result<uint32_t> tc_query(int ifindex, TcHook which) {
    auto hook = make_hook(ifindex, point_of(which));
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
        return call.error(err, "query tc " + std::string(hook_name(which)) + " filter on " +
                                   ifname_of(ifindex));
    }
    return opts.prog_id;
}

Result<TcAttachment> query_attachment(int ifindex) {
    TcAttachment a;
    auto in = tc_query(ifindex, TcHook::ingress);
    if (!in) {
        return std::move(in).error();
    }
    auto eg = tc_query(ifindex, TcHook::egress);
    if (!eg) {
        return std::move(eg).error();
    }
    a.ingress_prog_id = *in;
    a.egress_prog_id = *eg;
    return a;
}

Status detach_filters(int ifindex) {
    for (auto which : {TcHook::egress, TcHook::ingress}) {
        // Query first: detaching a missing filter or from a link without
        // clsact gives errors that are not failures for us.
        auto id = tc_query(ifindex, which);
        if (!id) {
            return std::move(id).error();
        }
        if (*id == 0) {
            continue;
        }
        auto hook = make_hook(ifindex, point_of(which));
        auto opts = make_opts(0, 0);
        TcCall call;
        int err = bpf_tc_detach(&hook, &opts);
        if (err < 0 && err != -ENOENT) {
            return call.error(err, std::string("detach tc ") + hook_name(which) + " filter from " +
                                       ifname_of(ifindex));
        }
    }
    return {};
}

Result<bool> tc_create_clsact(int ifindex) {
    auto both = clsact_hook(ifindex);
    TcCall call;
    int err = bpf_tc_hook_create(&both);
    if (err == 0) {
        return true;
    }
    if (err == -EEXIST) {
        return false;
    }
    Error e = call.error(err, "create clsact qdisc on " + ifname_of(ifindex));
    if (err == -EOPNOTSUPP || err == -ENOENT) {
        e.code = Errc::unsupported;
        e.message += " (kernel without sch_clsact / NET_SCH_INGRESS?)";
    }
    return e;
}

Status tc_remove_clsact_if_empty(int ifindex) {
    auto in = count_filters(ifindex, TcHook::ingress);
    auto eg = count_filters(ifindex, TcHook::egress);
    if (!in || !eg || *in != 0 || *eg != 0) {
        return {}; // someone's filter is there, or we cannot tell: leave it
    }
    auto both = clsact_hook(ifindex);
    TcCall call;
    int err = bpf_tc_hook_destroy(&both);
    if (err < 0 && err != -ENOENT && err != -EINVAL) {
        return call.error(err, "remove clsact qdisc from " + ifname_of(ifindex));
    }
    return {};
}

Status tc_attach(int ifindex, TcHook which, int prog_fd) {
    auto hook = make_hook(ifindex, point_of(which));
    auto opts = make_opts(prog_fd, BPF_TC_F_REPLACE);
    TcCall call;
    int err = bpf_tc_attach(&hook, &opts);
    if (err < 0) {
        return call.error(err, std::string("attach tc ") + hook_name(which) + " program to " +
                                   ifname_of(ifindex));
    }
    return {};
}

} // namespace colatrl

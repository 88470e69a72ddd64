// SPDX-License-Identifier: GPL-2.0-or-later
// A NetlinkSink that records every callback, for tests of the netlink adapter
// (unit tests with hand-built messages and namespace tests with the kernel).
#pragma once

#include "rtnl/netlink.hpp"

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace colatrl::test {

struct NetlinkRecorder : NetlinkSink {
    std::vector<Link> links;
    std::vector<int> removed_links;
    std::vector<std::pair<Addr4, bool>> a4;
    std::vector<std::pair<Addr6, bool>> a6;
    std::vector<std::pair<Route4, bool>> r4;
    std::vector<std::pair<Route6, bool>> r6;
    struct Opt {
        int ifindex;
        Ipv6Addr router;
        std::vector<uint8_t> bytes;
    };
    std::vector<Opt> opts;
    int resyncs = 0;
    int dumps = 0;

    void on_link(const Link& l) override { links.push_back(l); }
    void on_link_removed(int i) override { removed_links.push_back(i); }
    void on_addr4(const Addr4& a, bool r) override { a4.emplace_back(a, r); }
    void on_addr6(const Addr6& a, bool r) override { a6.emplace_back(a, r); }
    void on_route4(const Route4& r, bool rm) override { r4.emplace_back(r, rm); }
    void on_route6(const Route6& r, bool rm) override { r6.emplace_back(r, rm); }
    void on_nd_useropt(int i, const Ipv6Addr& rt, std::span<const uint8_t> o) override {
        opts.push_back(Opt{i, rt, std::vector<uint8_t>(o.begin(), o.end())});
    }
    void on_resync_needed() override { ++resyncs; }
    void on_dump_complete() override { ++dumps; }

    size_t total() const {
        return links.size() + removed_links.size() + a4.size() + a6.size() + r4.size() + r6.size() +
               opts.size();
    }
    bool has_route4(int ifindex, bool removed, uint8_t proto) const {
        return std::any_of(r4.begin(), r4.end(), [&](const auto& p) {
            return p.first.ifindex == ifindex && p.second == removed && p.first.protocol == proto;
        });
    }
};

} // namespace colatrl::test

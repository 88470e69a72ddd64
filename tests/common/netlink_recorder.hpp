// SPDX-License-Identifier: GPL-2.0-or-later
// Records everything the netlink monitor (or its RtnlTracker) reports, for
// tests of the parsers and the dump logic with hand-built messages and for
// namespace tests with the kernel.
#pragma once

#include "rtnl/rtnl_tracker.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <span>
#include <utility>
#include <variant>
#include <vector>

namespace colatrl::test {

struct NetlinkRecorder {
    std::vector<Link> links; // present (new or changed)
    std::vector<int> removed_links;
    std::vector<std::pair<Addr, bool>> addrs; // (address, removed)
    std::vector<std::pair<Route, bool>> routes;
    struct Opt {
        int ifindex;
        Ipv6Addr router;
        std::vector<uint8_t> bytes;
    };
    std::vector<Opt> opts;
    int starts = 0; // DumpStarted
    int dumps = 0;  // DumpComplete

    NetlinkHandlers handlers() {
        return NetlinkHandlers{
            [this](const NetEvent& e) { record(e); },
            [this](int i, const Ipv6Addr& rt, std::span<const uint8_t> o) {
                opts.push_back(Opt{i, rt, std::vector<uint8_t>(o.begin(), o.end())});
            },
            {},
            {}};
    }

    void record(const NetEvent& e) {
        if (const auto* l = std::get_if<Change<Link>>(&e)) {
            if (l->removed) {
                removed_links.push_back(l->value.ifindex);
            } else {
                links.push_back(l->value);
            }
        } else if (const auto* a = std::get_if<Change<Addr>>(&e)) {
            addrs.emplace_back(a->value, a->removed);
        } else if (const auto* r = std::get_if<Change<Route>>(&e)) {
            routes.emplace_back(r->value, r->removed);
        } else if (std::holds_alternative<DumpStarted>(e)) {
            ++starts;
        } else {
            ++dumps;
        }
    }

    // Reported addresses / routes of one family.
    std::vector<std::pair<Addr, bool>> addrs_of(Family f) const { return of(addrs, f); }
    std::vector<std::pair<Route, bool>> routes_of(Family f) const { return of(routes, f); }

    size_t total() const {
        return links.size() + removed_links.size() + addrs.size() + routes.size() + opts.size();
    }
    bool has_route4(int ifindex, bool removed, uint8_t proto) const {
        return std::any_of(routes.begin(), routes.end(), [&](const auto& p) {
            return p.first.family() == Family::v4 && p.first.ifindex == ifindex &&
                   p.second == removed && p.first.protocol == proto;
        });
    }

private:
    template <typename T>
    static std::vector<std::pair<T, bool>> of(const std::vector<std::pair<T, bool>>& v, Family f) {
        std::vector<std::pair<T, bool>> out;
        std::copy_if(v.begin(), v.end(), std::back_inserter(out),
                     [f](const auto& p) { return p.first.family() == f; });
        return out;
    }
};

} // namespace colatrl::test

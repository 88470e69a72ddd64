// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the rtnetlink side of colatrld as the kernel drives it. Arbitrary
// datagrams go through split_datagram (lib/rtnl/nlmsg.hpp), the codec's parsers
// (lib/rtnl/rtnl_codec.hpp) inside RtnlTracker (lib/rtnl/rtnl_tracker.hpp), whose events
// NetworkModel::apply (lib/model/netmodel.hpp) takes, and whose RA options go through the
// PREF64 parser into the model as daemon/daemon_pref64.cpp does it; the tracker's IO
// calls (send, failures, retries, overruns) and the passing of time are driven too.
//
// The input is a list of steps; each is one op byte, and for the datagram ops a 16-bit
// little-endian length and that many bytes:
//   op % 8 == 0  the datagram as a multicast event
//          == 1  the datagram as the answer to the running dump (each message's seq set
//                to the request's, so that dumps can complete)
//          == 2  sending the last request failed
//          == 3  the retry timer fired
//          == 4  the socket overran
//          == 5  a resync
//          == 6  time passes (op >> 3 seconds, times 64) and the model expires
//          == 7  the tracker stops and starts again
// After each step the harness sends what next_request() returns, as the monitor does.
//
// Invariants beyond "no crash": every event is reflected in the model right after
// NetworkModel::apply; addresses, routes and RA PREF64s stay unique by identity; the
// model is synced exactly when the tracker is; a parsed address or route comes back
// unchanged through its replace request; requests are dumps with a fresh non-zero seq;
// the retry back-off stays within its bounds; the counters add up.
#include "fuzz_check.hpp"
#include "model/netmodel.hpp"
#include "pref64/pref64_option.hpp"
#include "rtnl/nlmsg.hpp"
#include "rtnl/rtnl_codec.hpp"
#include "rtnl/rtnl_tracker.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

using namespace colatrl;
using colatrl::fuzz::require;

namespace {

// The input, read front to back; reads past its end give zeros / empty.
class Steps {
public:
    explicit Steps(std::span<const uint8_t> in) : in_(in) {}
    bool done() const { return in_.empty(); }
    uint8_t byte() {
        if (in_.empty()) {
            return 0;
        }
        const uint8_t b = in_[0];
        in_ = in_.subspan(1);
        return b;
    }
    std::span<const uint8_t> chunk() {
        const size_t len = byte() | (size_t{byte()} << 8);
        auto c = in_.first(std::min(len, in_.size()));
        in_ = in_.subspan(c.size());
        return c;
    }

private:
    std::span<const uint8_t> in_;
};

// Sets the seq of every message whose header lies inside the datagram, walking the
// headers independently of split_datagram.
void set_seqs(std::vector<uint8_t>& d, uint32_t seq) {
    size_t off = 0;
    while (off + 16 <= d.size()) {
        std::memcpy(&d[off + 8], &seq, 4);
        uint32_t len = 0;
        std::memcpy(&len, &d[off], 4);
        if (len < 16) {
            return;
        }
        off += (size_t{len} + 3u) & ~size_t{3};
    }
}

template <typename T, typename Same> void require_unique(const std::vector<T>& v, Same same,
                                                         const char* what) {
    for (size_t i = 0; i < v.size(); ++i) {
        for (size_t j = i + 1; j < v.size(); ++j) {
            require(!same(v[i], v[j]), what);
        }
    }
}

// The one message of a request's bytes.
NlMsg only_message(const NlRequest& req) {
    bool bad = false;
    auto msgs = split_datagram(req.bytes(), bad);
    require(!bad && msgs.size() == 1, "a built request is one well-formed message");
    return msgs[0];
}

// A parsed address or route survives its replace request (what colatrld sends to
// install it) unchanged; lifetimes are not part of that request.
void check_round_trip(const NlMsg& m) {
    if (m.type == RTM_NEWADDR || m.type == RTM_DELADDR) {
        Addr a;
        if (parse_addr(m, a) != ParseStatus::ok) {
            return;
        }
        const auto req = addr_request(Op::replace, a);
        Addr back;
        require(parse_addr(only_message(req), back) == ParseStatus::ok,
                "an address request parses");
        a.preferred_lft = a.valid_lft = Addr::kForever;
        require(back == a, "parse(addr_request(parse(x))) == parse(x)");
    } else if (m.type == RTM_NEWROUTE || m.type == RTM_DELROUTE) {
        std::vector<Route> routes;
        if (parse_route(m, RouteFilter::defaults_and_ours, routes) != ParseStatus::ok) {
            return;
        }
        for (const auto& r : routes) {
            if (r.ifindex < 0) {
                continue; // never sent: route_request writes no negative link
            }
            std::vector<Route> back;
            require(parse_route(only_message(route_request(Op::replace, r)),
                                RouteFilter::defaults_and_ours, back) == ParseStatus::ok,
                    "a route request parses");
            require(back.size() == 1 && back[0] == r,
                    "parse(route_request(parse(x))) == parse(x)");
        }
    }
}

void check_applied(const NetworkModel& model, const NetEvent& e) {
    if (const auto* l = std::get_if<Change<Link>>(&e)) {
        const int ix = l->value.ifindex;
        if (l->removed) {
            require(!model.links.contains(ix), "a removed link is gone");
            auto on_link = [ix](const auto& x) { return x.ifindex == ix; };
            require(std::none_of(model.addrs.begin(), model.addrs.end(), on_link) &&
                        std::none_of(model.routes.begin(), model.routes.end(), on_link) &&
                        std::none_of(model.ra_pref64.begin(), model.ra_pref64.end(), on_link),
                    "a removed link takes its addresses, routes and RA PREF64s along");
        } else {
            auto it = model.links.find(ix);
            require(it != model.links.end() && it->second == l->value, "a link update is kept");
        }
    } else if (const auto* a = std::get_if<Change<Addr>>(&e)) {
        auto same = [&](const Addr& x) { return same_entry(x, a->value); };
        auto it = std::find_if(model.addrs.begin(), model.addrs.end(), same);
        require(a->removed ? it == model.addrs.end() : it != model.addrs.end() && *it == a->value,
                "an address change is kept");
    } else if (const auto* r = std::get_if<Change<Route>>(&e)) {
        auto same = [&](const Route& x) { return same_entry(x, r->value); };
        auto it = std::find_if(model.routes.begin(), model.routes.end(), same);
        require(r->removed ? it == model.routes.end()
                           : it != model.routes.end() && *it == r->value,
                "a route change is kept");
    } else if (std::holds_alternative<DumpStarted>(e)) {
        require(model.links.empty() && model.addrs.empty() && model.routes.empty() &&
                    !model.synced,
                "a dump starts from nothing");
    } else {
        require(model.synced, "a completed dump syncs the model");
    }
}

void check_model(const NetworkModel& model, const RtnlTracker& tracker, Clock::time_point now) {
    require(model.synced == tracker.synced(), "the model is synced exactly when the tracker is");
    require_unique(model.addrs, [](const Addr& a, const Addr& b) { return same_entry(a, b); },
                   "addresses are unique");
    require_unique(model.routes, [](const Route& a, const Route& b) { return same_entry(a, b); },
                   "routes are unique");
    require_unique(
        model.ra_pref64,
        [](const RaPref64& a, const RaPref64& b) {
            return a.ifindex == b.ifindex && a.router == b.router && a.prefix == b.prefix;
        },
        "RA PREF64s are unique");
    for (const auto& p : model.ra_pref64) {
        require(p.first_seen <= p.last_seen && p.last_seen <= now && p.expires > p.last_seen,
                "an RA PREF64's times are ordered");
    }
    for (const auto& [ix, l] : model.links) {
        require(ix == l.ifindex && ix > 0, "links are keyed by their positive ifindex");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    NetworkModel model;
    // A fixed start: the model's clock only orders entries and expires them.
    Clock::time_point now{std::chrono::hours(1)};
    NetlinkHandlers h;
    h.on_event = [&](const NetEvent& e) {
        model.apply(e);
        check_applied(model, e);
    };
    h.on_ra_option = [&](int ifindex, const Ipv6Addr& router, std::span<const uint8_t> option) {
        require(option.size() >= 8 && option.size() % 8 == 0 && option[1] * 8u == option.size(),
                "an RA option is whole");
        if (option[0] != kNdOptPref64) {
            return;
        }
        if (auto p = parse_pref64_option(option)) {
            model.update_ra_pref64(ifindex, router, p->prefix, p->lifetime, now);
        }
    };
    h.on_log = [](log::Level, const std::string&) {};
    RtnlTracker tracker(h);

    std::optional<uint32_t> pending; // seq of the dump request sent last
    uint32_t last_seq = 0;
    uint64_t datagrams = 0;
    auto send = [&] {
        auto req = tracker.next_request();
        if (!req) {
            return;
        }
        require(req->seq() != 0 && req->seq() != last_seq, "each request has a fresh seq");
        require(req->type() == RTM_GETLINK || req->type() == RTM_GETADDR ||
                    req->type() == RTM_GETROUTE,
                "the tracker only asks for dumps");
        require(!tracker.next_request(), "one request at a time");
        last_seq = req->seq();
        pending = req->seq();
    };

    tracker.start();
    send();
    Steps steps({data, size});
    while (!steps.done()) {
        const uint8_t op = steps.byte();
        switch (op % 8) {
        case 0:
        case 1: {
            auto c = steps.chunk();
            std::vector<uint8_t> d(c.begin(), c.end());
            if (op % 8 == 1 && pending) {
                set_seqs(d, *pending);
            }
            bool bad = false;
            for (const auto& m : split_datagram(d, bad)) {
                require(m.payload.data() >= d.data() &&
                            m.payload.data() + m.payload.size() <= d.data() + d.size(),
                        "a message lies inside its datagram");
                check_round_trip(m);
            }
            ++datagrams;
            tracker.feed(d);
            break;
        }
        case 2:
            tracker.send_failed("fuzz");
            break;
        case 3:
            tracker.retry_due();
            break;
        case 4:
            tracker.overrun();
            break;
        case 5:
            tracker.resync();
            break;
        case 6:
            now += std::chrono::seconds(64 * (op >> 3));
            model.expire(now);
            if (auto next = model.next_expiry()) {
                require(*next > now, "nothing expired is left");
            }
            break;
        case 7:
            tracker.stop();
            require(!tracker.next_request() && !tracker.retry_delay(), "a stopped tracker is idle");
            tracker.start();
            break;
        }
        if (auto d = tracker.retry_delay()) {
            require(*d >= RtnlTracker::kFirstRetry && *d <= RtnlTracker::kMaxRetry,
                    "the retry back-off stays within its bounds");
        }
        send();
        check_model(model, tracker, now);
    }
    const auto& st = tracker.stats();
    require(st.malformed <= st.messages + datagrams, "at most one drop per message or datagram");
    require(st.dumps <= st.messages, "a dump completes on a message");
    return 0;
}

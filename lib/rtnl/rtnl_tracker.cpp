// SPDX-License-Identifier: GPL-2.0-or-later
#include "rtnl/rtnl_tracker.hpp"

#include "rtnl/rtnl_codec.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <algorithm>

namespace colatrl {

RtnlTracker::RtnlTracker(NetlinkHandlers handlers) : handlers_(std::move(handlers)) {}

void RtnlTracker::start() {
    s_ = State{};
    begin_full();
}

void RtnlTracker::stop() {
    s_ = State{};
}

void RtnlTracker::resync() {
    begin_full();
}

void RtnlTracker::overrun() {
    ++stats_.overruns;
    log(log::warning, "receive buffer overrun, events lost: dumping everything again");
    begin_full();
}

void RtnlTracker::begin_full() {
    s_.synced = false;
    s_.known4.clear();
    s_.seen4.clear();
    s_.sweeping = false;
    s_.sweep_pending = false;
    s_.link_flags.clear();
    emit(DumpStarted{});
    switch (s_.phase) {
    case Phase::sent:
        s_.full_pending = true; // one dump at a time per socket
        return;
    case Phase::waiting:
        s_.full = true; // the retry, when due, starts the full dump
        s_.full_pending = false;
        s_.step = Step::links;
        return;
    case Phase::idle:
    case Phase::due:
        s_.full = true;
        want(Step::links);
        return;
    }
}

void RtnlTracker::want(Step step) {
    s_.step = step;
    s_.phase = Phase::due;
}

std::optional<NlRequest> RtnlTracker::next_request() {
    if (s_.phase != Phase::due) {
        return std::nullopt;
    }
    static constexpr uint16_t kTypes[] = {RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE};
    const auto type = kTypes[static_cast<size_t>(s_.step)];
    // A sweep only needs the IPv4 routes; a full dump takes both families.
    NlRequest req = dump_request(type, s_.sweeping ? std::optional(Family::v4) : std::nullopt);
    s_.seq = next_seq_++;
    if (next_seq_ == 0) {
        next_seq_ = 1; // 0 is what multicast events carry
    }
    req.set_seq(s_.seq);
    s_.phase = Phase::sent;
    s_.interrupted = false;
    if (s_.sweeping) {
        s_.seen4.clear(); // also when a failed sweep is sent again
    }
    return req;
}

void RtnlTracker::send_failed(const std::string& why) {
    if (s_.phase == Phase::sent) {
        fail("sending a dump request failed: " + why);
    }
}

void RtnlTracker::fail(const std::string& why) {
    ++stats_.failed;
    ++s_.failures;
    s_.phase = Phase::waiting;
    log(s_.failures == 1 ? log::warning : log::debug,
        why + "; asking again in " + std::to_string(retry_delay()->count()) + " ms");
}

std::optional<std::chrono::milliseconds> RtnlTracker::retry_delay() const {
    if (s_.phase != Phase::waiting) {
        return std::nullopt;
    }
    auto d = kFirstRetry;
    for (unsigned i = 1; i < s_.failures && d < kMaxRetry; ++i) {
        d *= 2;
    }
    return std::min(d, kMaxRetry);
}

void RtnlTracker::retry_due() {
    if (s_.phase != Phase::waiting) {
        return;
    }
    if (s_.full_pending) {
        s_.full_pending = false;
        s_.full = true;
        s_.step = Step::links;
    }
    s_.phase = Phase::due;
}

void RtnlTracker::feed(std::span<const uint8_t> datagram) {
    bool bad = false;
    for (const auto& m : split_datagram(datagram, bad)) {
        ++stats_.messages;
        handle(m);
    }
    if (bad) {
        malformed("broken netlink header");
    }
}

void RtnlTracker::handle(const NlMsg& m) {
    const bool ours = s_.phase == Phase::sent && m.seq == s_.seq;
    if (ours && (m.flags & NLM_F_DUMP_INTR)) {
        s_.interrupted = true;
    }
    switch (m.type) {
    case NLMSG_DONE:
    case NLMSG_ERROR:
        if (ours) {
            handle_final(m);
        }
        return;
    case RTM_NEWLINK:
    case RTM_DELLINK:
        if (!handle_ipv6_settings(m)) {
            handle_link(m);
        }
        return;
    case RTM_NEWPREFIX:
        (void)handle_ipv6_settings(m);
        return;
    case RTM_NEWADDR:
    case RTM_DELADDR:
        handle_addr(m);
        return;
    case RTM_NEWROUTE:
    case RTM_DELROUTE:
        handle_route(m);
        return;
    case RTM_NEWNDUSEROPT:
        handle_useropt(m);
        return;
    default:
        return;
    }
}

void RtnlTracker::handle_final(const NlMsg& m) {
    NlFinal f;
    if (parse_final(m, f) == ParseStatus::malformed) {
        malformed("end of dump");
        fail("unreadable answer to a dump request");
        return;
    }
    if (f.error != 0) {
        // Refused (e.g. EBUSY, ENOMEM) or failed midway: this part is not
        // complete, so neither is anything built on it. Ask again.
        fail(final_error(f, m.type == NLMSG_DONE ? "dump failed" : "dump request refused").message);
        return;
    }
    if (m.type == NLMSG_DONE) {
        dump_done();
    }
}

void RtnlTracker::dump_done() {
    const Step finished = s_.step;
    s_.phase = Phase::idle;
    s_.failures = 0;
    if (s_.interrupted) {
        // The kernel says the dump may be inconsistent (changed while
        // dumping): start over from a clean slate.
        log(log::notice, "dump interrupted by changes, dumping again");
        s_.full_pending = false;
        begin_full();
        return;
    }
    if (finished == Step::routes && s_.sweeping) {
        finish_sweep();
    }
    if (s_.full_pending) {
        s_.full_pending = false;
        s_.full = true;
        want(Step::links);
        return;
    }
    if (s_.full) {
        if (finished != Step::routes) {
            want(static_cast<Step>(static_cast<uint8_t>(finished) + 1));
            return;
        }
        s_.full = false;
        s_.synced = true;
        ++stats_.dumps;
        emit(DumpComplete{});
    }
    if (s_.sweep_pending) {
        s_.sweep_pending = false;
        start_sweep();
    }
}

// The kernel drops IPv4 routes without RTM_DELROUTE when their link goes
// down or away or their source address goes: dump the IPv4 routes and report
// what vanished.
void RtnlTracker::start_sweep() {
    if (s_.phase != Phase::idle) {
        s_.sweep_pending = true;
        return;
    }
    s_.sweeping = true;
    want(Step::routes);
}

void RtnlTracker::finish_sweep() {
    s_.sweeping = false;
    std::vector<Route> gone;
    for (const auto& k : s_.known4) {
        if (std::none_of(s_.seen4.begin(), s_.seen4.end(),
                         [&](const Route& s) { return same_entry(s, k); })) {
            gone.push_back(k);
        }
    }
    for (const auto& g : gone) {
        report_route(g, true);
    }
    s_.seen4.clear();
}

void RtnlTracker::handle_link(const NlMsg& m) {
    Link l;
    if (!parsed(parse_link(m, l), "link")) {
        return;
    }
    if (m.type == RTM_DELLINK) {
        s_.link_flags.erase(l.ifindex);
        emit(Change<Link>{l, true});
        start_sweep();
        return;
    }
    auto it = s_.link_flags.find(l.ifindex);
    const bool was_up = it != s_.link_flags.end() && (it->second & IFF_UP);
    s_.link_flags[l.ifindex] = l.flags;
    emit(Change<Link>{l, false});
    if (was_up && !(l.flags & IFF_UP)) {
        start_sweep(); // admin down flushes IPv4 routes silently
    }
}

void RtnlTracker::handle_addr(const NlMsg& m) {
    Addr a;
    if (!parsed(parse_addr(m, a), "address")) {
        return;
    }
    const bool removed = m.type == RTM_DELADDR;
    emit(Change<Addr>{a, removed});
    if (removed && a.family() == Family::v4) {
        start_sweep(); // routes using it go away without a message
    }
}

void RtnlTracker::handle_route(const NlMsg& m) {
    std::vector<Route> routes;
    if (!parsed(parse_route(m, RouteFilter::defaults_and_ours, routes), "route")) {
        return;
    }
    for (const auto& r : routes) {
        report_route(r, m.type == RTM_DELROUTE);
    }
}

void RtnlTracker::report_route(const Route& r, bool removed) {
    if (r.family() == Family::v4) {
        if (removed) {
            erase_entry(s_.known4, r);
        } else {
            upsert_entry(s_.known4, r);
        }
        if (s_.sweeping) {
            if (removed) {
                erase_entry(s_.seen4, r);
            } else {
                upsert_entry(s_.seen4, r);
            }
        }
    }
    emit(Change<Route>{r, removed});
}

void RtnlTracker::handle_useropt(const NlMsg& m) {
    NdUserOpts u;
    if (!parsed(parse_nd_useropt(m, u), "ND user option")) {
        return;
    }
    if (handlers_.on_ra_option) {
        for (auto o : u.options) {
            handlers_.on_ra_option(u.ifindex, u.router, o);
        }
    }
}

bool RtnlTracker::handle_ipv6_settings(const NlMsg& m) {
    int ifindex = 0;
    const ParseStatus st = parse_ipv6_settings_hint(m, ifindex);
    if (parsed(st, "IPv6 link settings") && handlers_.on_ipv6_settings) {
        handlers_.on_ipv6_settings(ifindex);
    }
    return st != ParseStatus::skip;
}

void RtnlTracker::emit(const NetEvent& e) {
    if (handlers_.on_event) {
        handlers_.on_event(e);
    }
}

void RtnlTracker::log(log::Level level, const std::string& text) {
    if (handlers_.on_log) {
        handlers_.on_log(level, text);
    }
}

bool RtnlTracker::parsed(ParseStatus st, const char* what) {
    if (st == ParseStatus::malformed) {
        malformed(what);
    }
    return st == ParseStatus::ok;
}

void RtnlTracker::malformed(const char* what) {
    ++stats_.malformed;
    // The first few and then rarely: a misbehaving kernel or a bug must not
    // flood the journal.
    if (stats_.malformed <= 10 || stats_.malformed % 1000 == 0) {
        log(log::warning, std::string("malformed message dropped (") + what + "), " +
                              std::to_string(stats_.malformed) + " so far");
    }
}

} // namespace colatrl

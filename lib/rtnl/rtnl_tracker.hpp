// SPDX-License-Identifier: GPL-2.0-or-later
// What the netlink monitor knows and decides, without its socket: which dump
// runs, when a full picture is complete, what a resync forgets, how a failed
// dump is retried, and which IPv4 routes the kernel flushed without telling.
// Pure: NetlinkMonitor (monitor.hpp) feeds it datagrams and sends the
// requests it asks for; tests feed hand-made bytes and read the requests.
//
// A full dump is links, then addresses, then routes (both families each).
// It runs at start and after any loss (socket overrun, interrupted dump);
// DumpStarted opens it, DumpComplete closes it, and only a dump whose every
// part ended with NLMSG_DONE and no error is complete. One dump runs at a
// time; a refused or unsent one is retried after a back-off.
#pragma once

#include "base/log_entry.hpp"
#include "model/netmodel.hpp"
#include "rtnl/nlmsg.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace colatrl {

// Where the monitor reports. Called while a datagram is being handled: record
// and schedule, never run side effects (installs) in there.
struct NetlinkHandlers {
    // Links, addresses, routes, DumpStarted / DumpComplete (NetworkModel::apply).
    // Only default routes (dst /0, type unicast, any table) and routes with
    // kRouteProtocol are reported, one Route per next hop.
    std::function<void(const NetEvent&)> on_event;
    // One RA option (type, length, body; exactly as on the wire) received in a
    // Router Advertisement from `router` on `ifindex` (RTM_NEWNDUSEROPT). Only
    // arrives while the interface accepts RAs (see accept_ra_warning).
    std::function<void(int ifindex, const Ipv6Addr& router, std::span<const uint8_t> option)>
        on_ra_option;
    // A line worth logging; may be empty.
    std::function<void(log::Level level, const std::string& text)> on_log;
    // The IPv6 settings of `ifindex` may have changed (parse_ipv6_settings_hint,
    // rtnl_codec.hpp): an RA was processed there or its RA MTU changed.
    std::function<void(int ifindex)> on_ipv6_settings;
};

class RtnlTracker {
public:
    struct Stats {
        uint64_t messages = 0;  // netlink messages handled
        uint64_t malformed = 0; // messages dropped as unparsable
        uint64_t overruns = 0;  // socket overruns reported
        uint64_t dumps = 0;     // full dumps completed
        uint64_t failed = 0;    // dump requests refused, failed or not sent
    };
    // Back-off of a failed dump request: doubling from the first, capped.
    static constexpr std::chrono::milliseconds kFirstRetry{100};
    static constexpr std::chrono::milliseconds kMaxRetry{30'000};

    explicit RtnlTracker(NetlinkHandlers handlers);

    // Forgets everything (also pending dumps and retries; not the stats) and
    // starts a full dump.
    void start();
    // Forgets everything, as start() does, and stays idle.
    void stop();
    // Forgets every link, address and route reported so far and dumps
    // everything again (after the dump running now, if any, has ended).
    void resync();
    // The socket lost messages (ENOBUFS): counted, then resync().
    void overrun();
    // Every message of one datagram.
    void feed(std::span<const uint8_t> datagram);

    // The IO side, after each call above: send what next_request() returns
    // (and report send_failed() when that fails); keep one timer armed for
    // retry_delay() while it has a value and call retry_due() when it fires.
    std::optional<NlRequest> next_request();
    void send_failed(const std::string& why);
    std::optional<std::chrono::milliseconds> retry_delay() const;
    void retry_due();

    // The last full dump completed and nothing was lost since.
    bool synced() const noexcept { return s_.synced; }
    const Stats& stats() const noexcept { return stats_; }

private:
    enum class Step : uint8_t { links, addrs, routes };
    enum class Phase : uint8_t {
        idle,    // no dump
        due,     // step_ is to be sent
        sent,    // step_ is running (answers carry seq)
        waiting, // step_ failed; retry_due() sends it again
    };
    struct State {
        Step step = Step::links;
        Phase phase = Phase::idle;
        uint32_t seq = 0;
        unsigned failures = 0;     // consecutive failures of this step
        bool full = false;         // the running dump is part of a full dump
        bool full_pending = false; // a full dump starts when the running one ends
        bool sweep_pending = false;
        bool sweeping = false; // the running routes dump is an IPv4 sweep
        bool interrupted = false;
        bool synced = false;
        std::vector<Route> known4; // IPv4 routes reported present
        std::vector<Route> seen4;  // seen by the running sweep
        std::map<int, uint32_t> link_flags;
    };

    void begin_full();
    void want(Step step);
    void fail(const std::string& why);
    void handle(const NlMsg& m);
    void handle_final(const NlMsg& m);
    void handle_link(const NlMsg& m);
    void handle_addr(const NlMsg& m);
    void handle_route(const NlMsg& m);
    void handle_useropt(const NlMsg& m);
    // False when `m` is no IPv6 settings message (an ordinary link message).
    bool handle_ipv6_settings(const NlMsg& m);
    void dump_done();
    void start_sweep();
    void finish_sweep();
    void report_route(const Route& r, bool removed);
    void emit(const NetEvent& e);
    void log(log::Level level, const std::string& text);
    // ok: go on; malformed: counted (and logged); skip: not for us.
    bool parsed(ParseStatus st, const char* what);
    void malformed(const char* what);

    NetlinkHandlers handlers_;
    State s_;
    Stats stats_;
    uint32_t next_seq_ = 1;
};

} // namespace colatrl

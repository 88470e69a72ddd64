// SPDX-License-Identifier: GPL-2.0-or-later
// The netlink monitor: one non-blocking NETLINK_ROUTE socket in an sd-event
// loop, driving the RtnlTracker (rtnl_tracker.hpp), which turns dumps and
// multicast events into NetEvents and RA options.
//
// Order matters: the monitor joins the multicast groups FIRST and dumps
// afterwards, so nothing that changes between the dump and the subscription
// can be missed. Nothing here blocks.
#pragma once

#include "base/result.hpp"
#include "rtnl/nl_socket.hpp"
#include "rtnl/rtnl_tracker.hpp"
#include "sys/event.hpp"

#include <cstdint>
#include <vector>

namespace colatrl {

class NetlinkMonitor {
public:
    using Stats = RtnlTracker::Stats;

    explicit NetlinkMonitor(NetlinkHandlers handlers);
    ~NetlinkMonitor();
    NetlinkMonitor(const NetlinkMonitor&) = delete;
    NetlinkMonitor& operator=(const NetlinkMonitor&) = delete;

    // Opens the socket, joins the groups, registers the fd with `event` and
    // starts the first full dump. `rcvbuf_bytes` sizes the socket's receive
    // buffer (tests use a tiny one to provoke overruns).
    static constexpr int kDefaultRcvbuf = 8 * 1024 * 1024;
    Status attach(sd_event* event, int rcvbuf_bytes = kDefaultRcvbuf);
    // Stops receiving and forgets all state, pending dumps and retries
    // included (also done by the destructor). Stats stay.
    void detach();

    // Forgets what was reported (DumpStarted) and dumps everything again.
    void request_resync();

    bool synced() const noexcept { return tracker_.synced(); }
    const Stats& stats() const noexcept { return tracker_.stats(); }

private:
    static int on_io(sd_event_source* s, int fd, uint32_t revents, void* userdata);
    static int on_retry(sd_event_source* s, uint64_t usec, void* userdata);
    void read_all();
    void pump();

    RtnlTracker tracker_;
    NlSocket sock_;
    sd_event* event_ = nullptr;
    EventSource io_;
    EventSource retry_;
    std::vector<uint8_t> buf_;
};

} // namespace colatrl

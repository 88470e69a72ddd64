// SPDX-License-Identifier: GPL-2.0-or-later
// Netlink (NETLINK_ROUTE) adapter: an RAII libnl-3 socket and the monitor that
// turns rtnetlink dumps and multicast events into lib/netmodel.hpp values.
//
// Order matters: the monitor joins the multicast groups FIRST and dumps
// afterwards, so nothing that changes between the dump and the subscription
// can be missed. Dump replies and events go through the same handlers, so the
// sink cannot tell them apart (and does not need to).
#pragma once

#include "base/result.hpp"
#include "clat/markers.hpp"
#include "model/netmodel.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct nl_sock;
struct nlmsghdr;
struct sd_event;
struct sd_event_source;

namespace colatrl {

// Owns one libnl-3 socket. Movable, not copyable.
class NlSocket {
public:
    NlSocket() = default;
    // Allocates and connects a NETLINK_ROUTE socket. Sequence checks and auto
    // ACKs are left to the caller (see NetlinkMonitor / KernelOps).
    static Result<NlSocket> open_route();

    nl_sock* get() const noexcept { return sock_.get(); }
    int fd() const;
    explicit operator bool() const noexcept { return sock_ != nullptr; }

    Status set_nonblocking();
    // Receive buffer of `bytes`; tries SO_RCVBUFFORCE (root) before SO_RCVBUF,
    // which net.core.rmem_max caps.
    Status set_rcvbuf(int bytes);

private:
    struct Deleter {
        void operator()(nl_sock* s) const noexcept;
    };
    std::unique_ptr<nl_sock, Deleter> sock_;
};

// --- Pure rtnetlink parsing (no socket), shared by the monitor, KernelOps and
// tests. Every function checks lengths and never reads past the input.
struct NlMsg {
    uint16_t type = 0;
    uint16_t flags = 0;
    uint32_t seq = 0;
    uint32_t pid = 0;
    std::span<const uint8_t> payload; // after the 16-byte nlmsghdr
};
// Splits a datagram into messages; sets `malformed` if a header is broken
// (the messages before it are still returned).
std::vector<NlMsg> split_datagram(std::span<const uint8_t> datagram, bool& malformed);

enum class ParseStatus {
    ok,        // `out` filled
    skip,      // well-formed but not for us (other family, filtered route, ...)
    malformed, // truncated or inconsistent
};
enum class RouteFilter {
    defaults_and_ours, // dst /0 unicast routes, plus every kRouteProtocol route
    ours_only,         // kRouteProtocol routes only
};

ParseStatus parse_link(const NlMsg& msg, Link& out);
// `label`/`proto` (may be null) receive IFA_LABEL and IFA_PROTO (0 if absent).
ParseStatus parse_addr4(const NlMsg& msg, Addr4& out, std::string* label = nullptr,
                        uint8_t* proto = nullptr);
ParseStatus parse_addr6(const NlMsg& msg, Addr6& out);
// A multipath route yields one entry per next hop.
ParseStatus parse_route4(const NlMsg& msg, RouteFilter filter, std::vector<Route4>& out);
ParseStatus parse_route6(const NlMsg& msg, RouteFilter filter, std::vector<Route6>& out);
// RTM_NEWNDUSEROPT: the RA options (each a span into msg.payload) and the router.
ParseStatus parse_nd_useropt(const NlMsg& msg, int& ifindex, Ipv6Addr& router,
                             std::vector<std::span<const uint8_t>>& options);

// Receives what the monitor learns. Called from the sd-event IO callback: an
// implementation records the change (e.g. NetworkModel upsert/erase) and
// schedules work; it must not run side effects (installs) in here.
struct NetlinkSink {
    virtual ~NetlinkSink() = default;

    virtual void on_link(const Link& link) = 0; // new or changed
    virtual void on_link_removed(int ifindex) = 0;
    virtual void on_addr4(const Addr4& addr, bool removed) = 0;
    virtual void on_addr6(const Addr6& addr, bool removed) = 0;
    // Only default routes (dst /0, type unicast, any table) and routes with
    // kRouteProtocol are reported. A multipath route is reported as one Route
    // per next hop. Routes using nexthop objects (RTA_NH_ID) are read from
    // the legacy attributes the kernel adds while net.ipv4.nexthop_compat_mode
    // is 1 (the default); with it off such routes arrive with ifindex 0.
    // IPv4 routes the kernel flushes without telling (link set down, last
    // address gone) are reported as removed by the monitor itself: it
    // re-dumps IPv4 routes after such events and sweeps what vanished.
    virtual void on_route4(const Route4& route, bool removed) = 0;
    virtual void on_route6(const Route6& route, bool removed) = 0;
    // One RA option (type, length, body; exactly as on the wire, length*8 bytes)
    // received in a Router Advertisement from `router` on `ifindex`. PREF64
    // (type 38) is parsed by lib/pref64_option.hpp. Only arrives while the
    // interface accepts RAs (see KernelOps::accept_ra_warning).
    virtual void on_nd_useropt(int ifindex, const Ipv6Addr& router,
                               std::span<const uint8_t> option) = 0;
    // Messages were lost (socket overrun, interrupted dump): forget everything
    // learned so far; a full dump follows through the normal callbacks.
    virtual void on_resync_needed() = 0;
    // A full dump (initial one or after a resync) has been fed completely: the
    // sink now holds a consistent picture (e.g. time to signal READY).
    virtual void on_dump_complete() {}
};

class NetlinkMonitor {
public:
    struct Stats {
        uint64_t messages = 0;  // netlink messages handled
        uint64_t malformed = 0; // messages dropped as unparsable
        uint64_t overruns = 0;  // ENOBUFS seen
        uint64_t dumps = 0;     // full dumps completed
    };

    explicit NetlinkMonitor(NetlinkSink& sink);
    ~NetlinkMonitor();
    NetlinkMonitor(const NetlinkMonitor&) = delete;
    NetlinkMonitor& operator=(const NetlinkMonitor&) = delete;

    // Opens the socket, joins the groups, registers the fd with `event` and
    // sends the first dump request. Everything else happens in the IO
    // callback; nothing here or there blocks.
    // `rcvbuf_bytes` sizes the socket's receive buffer (tests use a tiny one
    // to provoke overruns).
    static constexpr int kDefaultRcvbuf = 8 * 1024 * 1024;
    Status attach(sd_event* event, int rcvbuf_bytes = kDefaultRcvbuf);
    // Stops receiving (also done by the destructor).
    void detach();

    // Drops what the sink knows (on_resync_needed) and dumps everything again.
    void request_resync();

    const Stats& stats() const noexcept { return stats_; }

    // Parses and dispatches every message in one netlink datagram. Public so
    // tests can feed hand-made (also malformed) bytes without a socket.
    void feed(std::span<const uint8_t> datagram);

private:
    enum class DumpStep : uint8_t { links, addrs4, addrs6, routes4, routes6, idle };

    static int on_io(sd_event_source* s, int fd, uint32_t revents, void* userdata);
    void read_all();
    void handle(const NlMsg& msg);
    void handle_link(const NlMsg& msg);
    void handle_addr(const NlMsg& msg);
    void handle_route(const NlMsg& msg);
    void handle_useropt(const NlMsg& msg);
    void dump_done(const NlMsg& msg);
    void send_dump(DumpStep step);
    void start_route4_sweep();
    void malformed(const char* what);
    void report_route4(const Route4& r, bool removed);

    NetlinkSink& sink_;
    NlSocket sock_;
    sd_event_source* io_ = nullptr;
    Stats stats_;
    DumpStep step_ = DumpStep::idle; // dump in flight, idle = none
    bool full_dump_ = false;         // the running dump sequence is a full one
    bool full_dump_pending_ = false; // start a full dump when the current one ends
    bool route4_sweep_pending_ = false;
    bool sweeping4_ = false; // the running routes4 dump is a sweep
    bool dump_intr_ = false; // NLM_F_DUMP_INTR seen in the running dump
    int dump_retries_ = 0;
    std::vector<Route4> known4_; // IPv4 routes reported as present
    std::vector<Route4> seen4_;  // seen during the current sweep
    std::map<int, uint32_t> link_flags_;
    std::vector<uint8_t> buf_;
};

} // namespace colatrl

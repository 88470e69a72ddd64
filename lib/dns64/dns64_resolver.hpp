// SPDX-License-Identifier: GPL-2.0-or-later
// RFC 7050 PREF64 discovery inside the sd-event loop, never blocking: an AAAA
// query for ipv4only.arpa (RD=1, CD=0) over UDP to the nameservers of
// /etc/resolv.conf, one after the other, each with a timeout. The answer's
// TTL is honoured (re-query 10 s before it runs out, RFC 7050 §3), a negative
// answer's TTL (SOA minimum) too; timeouts retry with exponential back-off.
// The result goes through discover_pref64 (lib/dns64_discovery.hpp).
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "dns64/dns_message.hpp"
#include "inet/ip.hpp"
#include "model/netmodel.hpp"
#include "sys/event.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace colatrl {

// --- pure pieces (unit-tested; the DNS messages are in dns64/dns_message.hpp) ---

struct Nameserver {
    sockaddr_storage addr{};
    socklen_t len = 0;
    std::string text;
};
// "nameserver X" lines of resolv.conf text (IPv4, IPv6, IPv6%ifname), at most 3
// like the libc resolver.
std::vector<Nameserver> parse_resolv_conf(std::string_view text);

// --- the event-loop client ---

class Dns64Resolver {
public:
    // result: the discovered PREF64 (nullopt = none / negative answer); `why`
    // says what happened in one line for the log. Called from the event loop.
    using Callback = std::function<void(std::optional<Dns64Pref64> result, std::string why)>;

    Dns64Resolver(sd_event* event, Callback cb, std::string resolv_conf = "/etc/resolv.conf");
    ~Dns64Resolver();
    Dns64Resolver(const Dns64Resolver&) = delete;
    Dns64Resolver& operator=(const Dns64Resolver&) = delete;

    // Discover now (start, or network changed): re-reads resolv.conf.
    void restart();
    // Discovery not needed any more: cancels queries and timers.
    void stop();
    // False after stop(), and when discovery had to stop by itself (an event
    // source could not be added; the callback said why): restart() again.
    bool active() const noexcept { return active_; }

    std::chrono::seconds query_timeout{2};
    std::chrono::seconds max_backoff{300};

private:
    static int on_io(sd_event_source* s, int fd, uint32_t revents, void* userdata);
    static int on_timer(sd_event_source* s, uint64_t usec, void* userdata);
    void run(); // one discovery run (keeps the back-off)
    void send_to_current();
    void next_server();
    void finish_query();
    void schedule(std::chrono::milliseconds after); // next discovery run
    void arm_timeout();                             // for the query in flight
    void arm(Result<EventSource> timer);            // as timer_, or broken()
    void broken(const Error& e);                    // cannot go on: stop, report
    void handle(const DnsAaaaAnswer& a);
    void failed(const std::string& why);

    sd_event* event_;
    Callback cb_;
    std::string resolv_conf_;
    bool active_ = false;
    std::vector<Nameserver> servers_;
    size_t server_ = 0;
    uint16_t id_ = 0;
    UniqueFd fd_;
    EventSource io_;
    EventSource timer_; // query timeout (CLOCK_MONOTONIC) or next run (CLOCK_BOOTTIME)
    bool waiting_reply_ = false;
    std::chrono::seconds backoff_{0};
};

} // namespace colatrl

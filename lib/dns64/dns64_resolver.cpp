// SPDX-License-Identifier: GPL-2.0-or-later
#include "dns64/dns64_resolver.hpp"

#include "pref64/dns64_discovery.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/random.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

namespace colatrl {

namespace {

constexpr const char* kWkn = "ipv4only.arpa";
constexpr std::chrono::milliseconds kTimerSlack{100};

} // namespace

std::vector<Nameserver> parse_resolv_conf(std::string_view text) {
    std::vector<Nameserver> out;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line) && out.size() < 3) {
        std::istringstream ls(line);
        std::string key;
        std::string value;
        if (!(ls >> key >> value) || key != "nameserver") {
            continue;
        }
        Nameserver n;
        n.text = value;
        std::string host = value;
        unsigned scope = 0;
        if (auto pct = host.find('%'); pct != std::string::npos) {
            scope = if_nametoindex(host.substr(pct + 1).c_str());
            host.resize(pct);
        }
        sockaddr_in6 s6{};
        sockaddr_in s4{};
        if (inet_pton(AF_INET6, host.c_str(), &s6.sin6_addr) == 1) {
            s6.sin6_family = AF_INET6;
            s6.sin6_port = htons(53);
            s6.sin6_scope_id = scope;
            std::memcpy(&n.addr, &s6, sizeof s6);
            n.len = sizeof s6;
        } else if (inet_pton(AF_INET, host.c_str(), &s4.sin_addr) == 1) {
            s4.sin_family = AF_INET;
            s4.sin_port = htons(53);
            std::memcpy(&n.addr, &s4, sizeof s4);
            n.len = sizeof s4;
        } else {
            continue;
        }
        out.push_back(n);
    }
    return out;
}

// ---------------------------------------------------------------------------

Dns64Resolver::Dns64Resolver(sd_event* event, Callback cb, std::string resolv_conf)
    : event_(event), cb_(std::move(cb)), resolv_conf_(std::move(resolv_conf)) {}

Dns64Resolver::~Dns64Resolver() {
    stop();
}

void Dns64Resolver::finish_query() {
    io_.reset();
    fd_ = UniqueFd{};
    waiting_reply_ = false;
}

void Dns64Resolver::stop() {
    finish_query();
    timer_.reset();
    active_ = false;
    backoff_ = std::chrono::seconds{0};
}

void Dns64Resolver::restart() {
    backoff_ = std::chrono::seconds{0};
    run();
}

void Dns64Resolver::run() {
    finish_query();
    timer_.reset();
    active_ = true;
    std::ifstream f(resolv_conf_);
    std::stringstream ss;
    ss << f.rdbuf();
    servers_ = parse_resolv_conf(ss.str());
    server_ = 0;
    if (servers_.empty()) {
        failed("no nameserver in " + resolv_conf_);
        return;
    }
    send_to_current();
}

void Dns64Resolver::broken(const Error& e) {
    stop();
    cb_(std::nullopt, "DNS64 discovery stopped: " + e.message);
}

void Dns64Resolver::schedule(std::chrono::milliseconds after) {
    // A point in time on CLOCK_BOOTTIME: a TTL that ran out during a suspend
    // is asked again at resume.
    arm(timer_at(event_, Clock::now() + after, on_timer, this, "dns64-next-run", kTimerSlack));
}

void Dns64Resolver::arm_timeout() {
    arm(timer_after(event_, query_timeout, on_timer, this, "dns64-query-timeout", kTimerSlack));
}

void Dns64Resolver::arm(Result<EventSource> timer) {
    if (!timer) {
        broken(timer.error());
        return;
    }
    timer_ = std::move(*timer);
}

void Dns64Resolver::send_to_current() {
    finish_query();
    const Nameserver& ns = servers_[server_];
    UniqueFd fd(socket(ns.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        next_server();
        return;
    }
    // connect() so only the server's replies reach this socket.
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&ns.addr), ns.len) != 0) {
        next_server();
        return;
    }
    if (getrandom(&id_, sizeof id_, GRND_NONBLOCK) != sizeof id_) {
        id_ = static_cast<uint16_t>(id_ * 31 + 7);
    }
    auto q = build_aaaa_query(id_, kWkn);
    if (send(fd.get(), q.data(), q.size(), 0) < 0) {
        next_server();
        return;
    }
    auto io = add_io(event_, fd.get(), EPOLLIN, on_io, this, "dns64-query");
    if (!io) {
        broken(io.error());
        return;
    }
    fd_ = std::move(fd);
    io_ = std::move(*io);
    waiting_reply_ = true;
    arm_timeout();
}

void Dns64Resolver::next_server() {
    finish_query();
    if (++server_ < servers_.size()) {
        send_to_current();
        return;
    }
    failed("no answer for ipv4only.arpa AAAA from the nameservers of " + resolv_conf_);
}

void Dns64Resolver::failed(const std::string& why) {
    // Timeouts: retry like any DNS query, backing off; a cached result stays
    // valid until its own TTL runs out.
    backoff_ =
        backoff_.count() == 0 ? std::chrono::seconds{2} : std::min(backoff_ * 2, max_backoff);
    cb_(std::nullopt, why + "; retry in " + std::to_string(backoff_.count()) + " s");
    schedule(backoff_);
    server_ = 0;
}

void Dns64Resolver::handle(const DnsAaaaAnswer& a) {
    backoff_ = std::chrono::seconds{0};
    server_ = 0;
    if (a.rcode == 0 && !a.aaaa.empty()) {
        auto prefixes = discover_pref64(a.aaaa);
        if (prefixes && !prefixes->empty()) {
            // RFC 7050 §3: re-run discovery 10 s before the answer expires.
            const std::chrono::seconds ttl{std::max<uint32_t>(a.ttl, 1)};
            Dns64Pref64 r{prefixes->front(), Clock::now() + ttl};
            auto again = ttl > std::chrono::seconds{20} ? ttl - std::chrono::seconds{10}
                                                        : ttl / 2 + std::chrono::seconds{1};
            cb_(r, "DNS64 PREF64 " + r.prefix.str() + " (TTL " + std::to_string(a.ttl) + " s)");
            schedule(again);
            return;
        }
        const std::string why = prefixes ? "no usable prefix" : prefixes.error().message;
        cb_(std::nullopt, "ipv4only.arpa AAAA gives no PREF64: " + why);
        schedule(std::chrono::seconds{std::max<uint32_t>(a.ttl, 60)});
        return;
    }
    // NXDOMAIN / NODATA: no DNS64 here. The negative TTL must pass before the
    // next question (RFC 7050 §3); without an SOA, wait 5 minutes.
    const uint32_t neg = a.negative_ttl.value_or(300);
    cb_(std::nullopt,
        "no DNS64 (ipv4only.arpa AAAA: " + std::string(a.rcode == 3 ? "NXDOMAIN" : "no data") +
            ", asking again in " + std::to_string(std::max<uint32_t>(neg, 10)) + " s)");
    schedule(std::chrono::seconds{std::max<uint32_t>(neg, 10)});
}

int Dns64Resolver::on_io(sd_event_source*, int fd, uint32_t, void* userdata) {
    auto* self = static_cast<Dns64Resolver*>(userdata);
    uint8_t buf[4096];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) {
            return 0;
        }
        self->next_server(); // e.g. ECONNREFUSED from an ICMP port unreachable
        return 0;
    }
    auto a =
        parse_aaaa_response(std::span<const uint8_t>(buf, static_cast<size_t>(n)), self->id_, kWkn);
    if (!a) {
        return 0; // not ours or garbage: keep waiting until the timeout
    }
    self->finish_query();
    self->timer_.reset();
    if (a->rcode != 0 && a->rcode != 3) {
        // SERVFAIL, REFUSED...: try the next server.
        self->next_server();
        return 0;
    }
    self->handle(*a);
    return 0;
}

int Dns64Resolver::on_timer(sd_event_source*, uint64_t, void* userdata) {
    auto* self = static_cast<Dns64Resolver*>(userdata);
    self->timer_.reset();
    if (self->waiting_reply_) {
        self->next_server();
    } else {
        self->run(); // periodic re-discovery or retry
    }
    return 0;
}

} // namespace colatrl

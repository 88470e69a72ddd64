// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon.hpp"

#include "apply/applier_ops.hpp"
#include "clat/secret.hpp"
#include "datapath/datapath.hpp"
#include "datapath/datapath_config.hpp"
#include "dns64/dns64_resolver.hpp"
#include "nd/nd.hpp"
#include "pref64/pref64_option.hpp"
#include "rtnl/kernel_ops.hpp"
#include "sys/log.hpp"

#include "colatrl_build_config.h"

#include <linux/if_addr.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace colatrl {

namespace {

constexpr uint64_t kMtuPoll = 2'000'000; // usec
// At most one Router Solicitation per link this often (RFC 4861
// RTR_SOLICITATION_INTERVAL).
constexpr std::chrono::seconds kRsInterval{4};

uint64_t to_usec(Clock::time_point t) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

// Off reasons worth an info line even for a link that never had a CLAT.
bool noteworthy(OffReason r) {
    switch (r) {
    case OffReason::native_ipv4:
    case OffReason::no_pref64:
    case OffReason::no_clat_ipv4:
    case OffReason::no_counter_slot:
    case OffReason::invalid_config:
    case OffReason::mode_off:
        return true;
    default:
        return false;
    }
}

// The link has IPv6 connectivity (so PREF64 discovery makes sense there).
bool connected(const LinkPlan& p) {
    switch (p.off) {
    case OffReason::not_selected:
    case OffReason::link_down:
    case OffReason::no_ipv6_route:
    case OffReason::no_ipv6_prefix:
    case OffReason::unsupported_link:
        return false;
    default:
        return p.prefix64.has_value();
    }
}

} // namespace

Daemon::Daemon(DaemonOptions options, Config config)
    : options_(std::move(options)), config_(std::move(config)) {}

Daemon::~Daemon() {
    // Order: sources that call back into members go first.
    monitor_.reset();
    resolver_.reset();
    applier_.reset();
    ops_.reset();
    sd_event_source_disable_unref(defer_);
    sd_event_source_disable_unref(expiry_timer_);
    sd_event_source_disable_unref(retry_timer_);
    sd_event_source_disable_unref(mtu_timer_);
    for (auto* s : signal_sources_) {
        sd_event_source_disable_unref(s);
    }
    sd_event_unref(event_);
}

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonOptions options, Config config) {
    std::unique_ptr<Daemon> d(new Daemon(std::move(options), std::move(config)));
    if (auto s = d->setup(); !s) {
        return std::move(s).error();
    }
    return d;
}

Status Daemon::setup() {
    int r = sd_event_new(&event_);
    if (r < 0) {
        return sys_error(r, "sd_event_new");
    }
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
        sigaddset(&mask, sig);
    }
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
        sd_event_source* s = nullptr;
        r = sd_event_add_signal(event_, &s, sig, on_signal, this);
        if (r < 0) {
            return sys_error(r, "sd_event_add_signal");
        }
        signal_sources_.push_back(s);
    }
    // WATCHDOG=1 pings at half of WATCHDOG_USEC when the service asks for it.
    sd_event_set_watchdog(event_, 1);

    auto secret = load_or_create_secret(options_.state_dir + "/secret");
    if (!secret) {
        return std::move(secret).error();
    }
    inputs_.secret = std::move(*secret);

    auto dp = Datapath::open();
    if (!dp) {
        return std::move(dp).error();
    }
    datapath_ = std::move(*dp);
    auto k = KernelOps::open();
    if (!k) {
        return std::move(k).error();
    }
    kernel_ = std::make_unique<KernelOps>(std::move(*k));
    ops_ = std::make_unique<RealApplyOps>(
        event_, *datapath_, *kernel_,
        [this](int ifindex, const Ipv6Addr& addr, DadStatus st, const std::string& detail) {
            on_dad(ifindex, addr, st, detail);
        });
    applier_ = std::make_unique<Applier>(*ops_);
    resolver_ = std::make_unique<Dns64Resolver>(
        event_, [this](std::optional<Dns64Pref64> res, const std::string& why) {
            on_dns64(std::move(res), why);
        });

    r = sd_event_add_defer(event_, &defer_, on_defer, this);
    if (r < 0) {
        return sys_error(r, "sd_event_add_defer");
    }
    sd_event_source_set_enabled(defer_, SD_EVENT_OFF);
    // Apply after netlink events of the same loop iteration have been read.
    sd_event_source_set_priority(defer_, SD_EVENT_PRIORITY_IDLE);

    // An RA MTU option changes net.ipv6.conf.IF.mtu without any netlink
    // event: look every few seconds (a file read per link).
    r = sd_event_add_time_relative(event_, &mtu_timer_, CLOCK_MONOTONIC, kMtuPoll, 0, on_mtu_timer,
                                   this);
    if (r < 0) {
        return sys_error(r, "sd_event_add_time_relative");
    }
    sd_event_source_set_enabled(mtu_timer_, SD_EVENT_ON);

    monitor_ = std::make_unique<NetlinkMonitor>(*this);
    if (auto s = monitor_->attach(event_); !s) {
        return s;
    }
    return {};
}

int Daemon::run() {
    log::write(log::info, {}, "colatrld " COLATRL_VERSION " started");
    sd_notify(0, "STATUS=Reading the network state");
    const int r = sd_event_loop(event_);
    if (r < 0) {
        log::write(log::err, {}, std::string("event loop failed: ") + std::strerror(-r));
        return 1;
    }
    return r;
}

// --- NetlinkSink: record only, never act here ---

void Daemon::on_link(const Link& link) {
    auto old = model_.links.find(link.ifindex);
    const bool was_up = old != model_.links.end() && old->second.oper_up;
    if (link.oper_up && !was_up) {
        rs_wanted_.insert(link.ifindex); // (back) up: ask the routers at once
    } else if (!link.oper_up) {
        rs_wanted_.erase(link.ifindex);
    }
    mark_dirty(model_.upsert_link(link));
}
void Daemon::on_link_removed(int ifindex) {
    rs_wanted_.erase(ifindex);
    rs_last_.erase(ifindex);
    mark_dirty(model_.erase_link(ifindex));
}
void Daemon::on_addr4(const Addr4& a, bool removed) {
    mark_dirty(removed ? model_.erase_addr4(a) : model_.upsert_addr4(a));
}
void Daemon::on_addr6(const Addr6& a, bool removed) {
    mark_dirty(removed ? model_.erase_addr6(a) : model_.upsert_addr6(a));
}
void Daemon::on_route4(const Route4& r, bool removed) {
    mark_dirty(removed ? model_.erase_route4(r) : model_.upsert_route4(r));
}
void Daemon::on_route6(const Route6& r, bool removed) {
    mark_dirty(removed ? model_.erase_route6(r) : model_.upsert_route6(r));
}

void Daemon::on_nd_useropt(int ifindex, const Ipv6Addr& router, std::span<const uint8_t> option) {
    if (option.empty() || option[0] != kNdOptPref64) {
        return;
    }
    auto p = parse_pref64_option(option);
    std::string ifname;
    if (auto it = model_.links.find(ifindex); it != model_.links.end()) {
        ifname = it->second.name;
    }
    if (!p) {
        log::write(log::debug, ifname,
                   "ignoring PREF64 option from " + router.str() + ": " + p.error().message);
        return;
    }
    const bool changed =
        model_.update_ra_pref64(ifindex, router, p->prefix, p->lifetime, Clock::now());
    if (changed && log::enabled(log::debug)) {
        log::write(log::debug, ifname,
                   "RA PREF64 " + p->prefix.str() + " lifetime " +
                       std::to_string(p->lifetime.count()) + " s from " + router.str());
    }
    mark_dirty(changed);
}

void Daemon::on_resync_needed() {
    // RA PREF64s and the DNS64 answer are not part of a dump: keep them.
    NetworkModel fresh;
    fresh.ra_pref64 = std::move(model_.ra_pref64);
    fresh.dns64 = model_.dns64;
    model_ = std::move(fresh);
}

void Daemon::on_dump_complete() {
    if (!dumped_) {
        dumped_ = true;
        adopt_leftovers();
    }
    mark_dirty();
}

void Daemon::mark_dirty(bool changed) {
    if (changed && defer_ != nullptr && !stopping_) {
        sd_event_source_set_enabled(defer_, SD_EVENT_ONESHOT);
    }
}

// --- the work ---

void Daemon::adopt_leftovers() {
    auto left = kernel_->list_ours();
    if (!left) {
        log::write(log::warning, {}, "cannot list leftovers: " + left.error().message);
        return;
    }
    std::map<int, InstalledLink> adopt;
    auto name_of = [this](int ifindex) {
        auto it = model_.links.find(ifindex);
        return it == model_.links.end() ? std::to_string(ifindex) : it->second.name;
    };
    for (const auto& r : left->routes4) {
        if (r.table == kMainTable && r.dst.len == 0 && r.gw6 && r.prefsrc &&
            r.metric == kRouteMetric) {
            auto& l = adopt[r.ifindex];
            l.route4 = Route4Spec{r.ifindex, name_of(r.ifindex), r.gw6, *r.prefsrc, r.mtu};
        } else if (auto s = kernel_->del_route4(r); !s) {
            log::write(log::warning, name_of(r.ifindex), "stale route: " + s.error().message);
        }
    }
    for (const auto& r : left->routes6) {
        (void)kernel_->del_route6(r);
    }
    for (const auto& a : left->addrs4) {
        adopt[a.ifindex].addrs4.push_back(a.addr);
        inputs_.clat4.try_emplace(a.ifindex, a.addr);
    }
    for (const auto& [ifindex, link] : model_.links) {
        auto q = query_attachment(ifindex);
        if (!q || (q->ingress_prog_id == 0 && q->egress_prog_id == 0)) {
            continue;
        }
        auto& l = adopt[ifindex];
        l.stale_filters = true;
        if (auto maps = DatapathMaps::from_attached(ifindex); maps) {
            if (auto c = maps->config(ifindex); c && *c) {
                l.adopted_clat6 = config_clat6(**c);
                inputs_.counter_slots.try_emplace(ifindex, (*c)->counter_slot);
            }
        }
    }
    for (auto& [ifindex, l] : adopt) {
        if (model_.links.count(ifindex) == 0) {
            continue;
        }
        l.name = name_of(ifindex);
        std::string what;
        if (l.route4) {
            what += " route";
        }
        if (!l.addrs4.empty()) {
            what += " address";
        }
        if (l.stale_filters) {
            what += " tc filters";
        }
        log::write(log::notice, l.name, "adopting what an earlier run left:" + what);
        applier_->adopt(ifindex, std::move(l));
    }
}

bool Daemon::refresh_ipv6_mtus() {
    std::map<int, uint32_t> now;
    for (const auto& [ifindex, link] : model_.links) {
        if (link.name.empty() || link.name.find('/') != std::string::npos) {
            continue;
        }
        std::ifstream f("/proc/sys/net/ipv6/conf/" + link.name + "/mtu");
        uint32_t mtu = 0;
        if (f >> mtu && mtu != 0) {
            now[ifindex] = mtu;
        }
    }
    const bool changed = now != inputs_.ipv6_mtu;
    inputs_.ipv6_mtu = std::move(now);
    return changed;
}

int Daemon::on_mtu_timer(sd_event_source* s, uint64_t, void* userdata) {
    auto* self = static_cast<Daemon*>(userdata);
    if (self->dumped_ && self->refresh_ipv6_mtus()) {
        self->mark_dirty();
    }
    uint64_t now = 0;
    sd_event_now(self->event_, CLOCK_MONOTONIC, &now);
    sd_event_source_set_time(s, now + kMtuPoll);
    sd_event_source_set_enabled(s, SD_EVENT_ON);
    return 0;
}

void Daemon::converge() {
    ops_->collect_garbage();
    const auto now = Clock::now();
    model_.expire(now);
    refresh_ipv6_mtus();
    DesiredState next = derive(model_, config_, inputs_, now);
    log_changes(next);
    ApplyResult res = applier_->apply(next);
    for (const auto& e : res.events) {
        log::write(e.priority, e.ifname, e.text);
    }
    update_inputs(next);
    update_resolver(next);
    solicit_routers(next);
    notify_status(next);
    last_ = std::move(next);
    schedule_timers(res.retry);
    if (!ready_ && !res.dad_pending) {
        ready_ = true;
        sd_notify(0, "READY=1");
        log::write(log::info, {}, "ready: " + last_status_);
    }
}

void Daemon::log_changes(const DesiredState& next) {
    for (const auto& [ifindex, p] : next.links) {
        auto old = last_.links.find(ifindex);
        const bool was = old != last_.links.end();
        const std::string text = p.describe();
        if (was && old->second.describe() == text) {
            continue;
        }
        const bool loud = p.active() || (was && old->second.active()) || noteworthy(p.off);
        log::write(loud ? log::info : log::debug, p.name, text);
        if (p.off == OffReason::no_pref64 && config_.discover_ra) {
            if (auto w = accept_ra_warning(p.name)) {
                log::write(log::warning, p.name, *w);
            }
        }
    }
    for (const auto& [ifindex, p] : last_.links) {
        if (next.links.count(ifindex) == 0 && p.active()) {
            log::write(log::info, p.name, "CLAT off: link gone");
        }
    }
}

void Daemon::update_inputs(const DesiredState& next) {
    // Sticky choices follow what is wanted now; links that left give theirs up.
    std::map<int, uint32_t> slots;
    std::map<int, Ipv4Addr> clat4;
    std::map<int, Ipv6Prefix> prefixes;
    for (const auto& [ifindex, p] : next.links) {
        if (p.active()) {
            slots[ifindex] = p.counter_slot;
            clat4[ifindex] = p.clat4;
        }
        if (p.prefix64) {
            prefixes[ifindex] = *p.prefix64;
        }
    }
    inputs_.counter_slots = std::move(slots);
    inputs_.clat4 = std::move(clat4);
    inputs_.prefix64 = std::move(prefixes);
    inputs_.own4.clear();
    for (const auto& [ifindex, l] : applier_->installed()) {
        inputs_.own4[ifindex] = l.addrs4;
    }
    // DAD counters of prefixes no longer on their link are useless.
    std::erase_if(inputs_.dad_counter, [&](const auto& kv) {
        auto it = inputs_.prefix64.find(kv.first.first);
        return it == inputs_.prefix64.end() || it->second != kv.first.second;
    });
}

void Daemon::update_resolver(const DesiredState& next) {
    // RFC 7050 only where needed: no static PREF64, allowed, and a connected
    // link without an RA PREF64 (RFC 9872 prefers the RA).
    bool need = config_.discover_dns64 && !config_.pref64;
    std::string signature;
    bool any = false;
    for (const auto& [ifindex, p] : next.links) {
        if (!connected(p)) {
            continue;
        }
        signature += std::to_string(ifindex) + "=" + p.prefix64->str() + ";";
        if (p.pref64_source != Pref64Source::ra) {
            any = true;
        }
    }
    need = need && any;
    if (!need) {
        if (resolver_->active()) {
            resolver_->stop();
        }
        resolver_signature_.clear();
        return;
    }
    if (!resolver_->active() || signature != resolver_signature_) {
        resolver_signature_ = signature;
        resolver_->restart(); // new network: ask again
    }
}

void Daemon::schedule_timers(bool retry) {
    expiry_timer_ = sd_event_source_disable_unref(expiry_timer_);
    if (auto t = model_.next_expiry()) {
        sd_event_add_time(event_, &expiry_timer_, CLOCK_MONOTONIC, to_usec(*t), 0, on_timer, this);
    }
    if (!retry) {
        retry_backoff_ = std::chrono::seconds{0};
        retry_timer_ = sd_event_source_disable_unref(retry_timer_);
        return;
    }
    if (retry_timer_ != nullptr) {
        return; // one pending retry is enough
    }
    retry_backoff_ = retry_backoff_.count() == 0
                         ? std::chrono::seconds{1}
                         : std::min(retry_backoff_ * 2, std::chrono::seconds{30});
    uint64_t now = 0;
    sd_event_now(event_, CLOCK_MONOTONIC, &now);
    sd_event_add_time(event_, &retry_timer_, CLOCK_MONOTONIC,
                      now + static_cast<uint64_t>(retry_backoff_.count()) * 1000000, 0, on_timer,
                      this);
}

void Daemon::solicit_routers(const DesiredState& next) {
    // RA options are not kept by the kernel where we could read them back:
    // after a start or a link coming up, a Router Solicitation makes the
    // routers repeat them now instead of at their next unsolicited RA.
    const auto now = Clock::now();
    for (auto it = rs_wanted_.begin(); it != rs_wanted_.end();) {
        const int ifindex = *it;
        auto p = next.links.find(ifindex);
        if (!config_.discover_ra || p == next.links.end() ||
            p->second.off == OffReason::not_selected ||
            p->second.off == OffReason::unsupported_link || p->second.off == OffReason::link_down) {
            it = rs_wanted_.erase(it);
            continue;
        }
        // The source must be a usable link-local address; until there is
        // one (DAD after link-up) keep the wish.
        const Addr6* ll = nullptr;
        for (const auto& a : model_.addrs6) {
            constexpr uint32_t bad = IFA_F_TENTATIVE | IFA_F_DADFAILED;
            if (a.ifindex == ifindex && a.addr.bytes[0] == 0xfe &&
                (a.addr.bytes[1] & 0xc0) == 0x80 && (a.flags & bad) == 0) {
                ll = &a;
                break;
            }
        }
        if (ll == nullptr) {
            ++it;
            continue;
        }
        it = rs_wanted_.erase(it);
        if (auto last = rs_last_.find(ifindex);
            last != rs_last_.end() && now - last->second < kRsInterval) {
            continue; // one went out recently; its answer is on the way
        }
        rs_last_[ifindex] = now;
        if (auto s = send_router_solicit(ifindex, ll->addr); !s) {
            log::write(log::warning, p->second.name, s.error().message);
        } else {
            log::write(log::debug, p->second.name, "Router Solicitation sent");
        }
    }
}

void Daemon::notify_status(const DesiredState& next) {
    std::string s;
    std::vector<std::string> on;
    for (const auto& [ifindex, p] : next.links) {
        if (p.active()) {
            on.push_back(p.name + " " + p.clat4.str() + " via " + p.pref64->str() + " (" +
                         std::string(to_string(p.pref64_source)) + ")");
        }
    }
    if (on.empty()) {
        s = "CLAT off";
        for (const auto& [ifindex, p] : next.links) {
            if (connected(p) || noteworthy(p.off)) {
                s += (s == "CLAT off" ? ": " : ", ") + p.name + " " + std::string(to_string(p.off));
            }
        }
        if (s == "CLAT off") {
            s += ": no IPv6 uplink";
        }
    } else {
        s = "CLAT on ";
        for (size_t i = 0; i < on.size(); ++i) {
            s += (i ? ", " : "") + on[i];
        }
    }
    if (s != last_status_) {
        last_status_ = s;
        sd_notify(0, ("STATUS=" + s).c_str());
    }
}

void Daemon::on_dad(int ifindex, const Ipv6Addr& addr, DadStatus status,
                    const std::string& detail) {
    if (!applier_->dad_done(ifindex, addr, status)) {
        return;
    }
    std::string ifname;
    if (auto it = last_.links.find(ifindex); it != last_.links.end()) {
        ifname = it->second.name;
        if (status == DadStatus::duplicate && it->second.prefix64) {
            ++inputs_.dad_counter[{ifindex, *it->second.prefix64}];
        }
    }
    switch (status) {
    case DadStatus::unique:
        log::write(log::debug, ifname, "DAD: " + addr.str() + " is unique");
        break;
    case DadStatus::duplicate:
        log::write(log::warning, ifname,
                   "DAD: " + addr.str() + " " + detail + ", trying the next candidate");
        break;
    case DadStatus::failed:
        // Try again after the retry back-off, not at once (no busy loop).
        log::write(log::err, ifname, "DAD of " + addr.str() + " failed: " + detail);
        schedule_timers(true);
        return;
    case DadStatus::running:
        break;
    }
    mark_dirty();
}

void Daemon::on_dns64(std::optional<Dns64Pref64> result, const std::string& why) {
    if (why != last_dns64_why_) {
        log::write(result ? log::info : log::notice, {}, why);
        last_dns64_why_ = why;
    }
    if (result) {
        // A negative answer or a timeout leaves a cached prefix to its TTL.
        const bool changed = !model_.dns64 || !(*model_.dns64 == *result);
        model_.dns64 = result;
        mark_dirty(changed);
    }
}

void Daemon::reload() {
    auto c = load_config_file(options_.config_path);
    if (!c && c.error().code == Errc::not_found && !options_.config_explicit) {
        c = Config{};
    }
    if (!c) {
        log::write(log::err, {},
                   "reload refused, keeping the old configuration: " + c.error().message);
        return;
    }
    if (*c == config_) {
        log::write(log::info, {}, "configuration reloaded: unchanged");
        return;
    }
    config_ = std::move(*c);
    log::write(log::info, {}, "configuration reloaded");
    resolver_signature_.clear();
    mark_dirty();
}

void Daemon::stop() {
    stopping_ = true;
    sd_notify(0, "STOPPING=1\nSTATUS=Removing the CLAT");
    sd_event_source_set_enabled(defer_, SD_EVENT_OFF);
    resolver_->stop();
    ApplyResult res = applier_->remove_all();
    for (const auto& e : res.events) {
        log::write(e.priority, e.ifname, e.text);
    }
    for (const auto& [ifindex, p] : last_.links) {
        if (p.active()) {
            log::write(log::info, p.name, "CLAT off: stopping");
        }
    }
    monitor_->detach();
    log::write(log::info, {}, "stopped");
    sd_event_exit(event_, 0);
}

int Daemon::on_signal(sd_event_source*, const signalfd_siginfo* si, void* userdata) {
    auto* self = static_cast<Daemon*>(userdata);
    if (si->ssi_signo == SIGHUP) {
        self->reload();
    } else if (!self->stopping_) {
        self->stop();
    }
    return 0;
}

int Daemon::on_defer(sd_event_source*, void* userdata) {
    auto* self = static_cast<Daemon*>(userdata);
    if (self->dumped_ && !self->stopping_) {
        self->converge();
    }
    return 0;
}

int Daemon::on_timer(sd_event_source* s, uint64_t, void* userdata) {
    auto* self = static_cast<Daemon*>(userdata);
    if (s == self->retry_timer_) {
        self->retry_timer_ = sd_event_source_disable_unref(self->retry_timer_);
    } else if (s == self->expiry_timer_) {
        self->expiry_timer_ = sd_event_source_disable_unref(self->expiry_timer_);
    }
    self->mark_dirty();
    return 0;
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon.hpp"

#include "apply/adopt.hpp"
#include "apply/applier_ops.hpp"
#include "base/message_id.hpp"
#include "clat/secret.hpp"
#include "datapath/datapath.hpp"
#include "dns64/dns64_resolver.hpp"
#include "model/report.hpp"
#include "nd/nd.hpp"
#include "rtnl/kernel_ops.hpp"
#include "sys/log.hpp"
#include "sys/procsys.hpp"
#include "sys/service_manager.hpp"

#include "colatrl_build_config.h"

#include <malloc.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cerrno>

namespace colatrl {

namespace {

constexpr std::chrono::seconds kRetryMax{30};
// How long an adopted datapath's PREF64 stands in for the RA/DNS64 answer
// after a restart (RFC 4861 section 6.3.7: up to 3 Router Solicitations, 4 s
// apart, the first after up to 1 s).
constexpr std::chrono::seconds kAdoptedPref64Grace{10};
// How long a SIGTERM waits for systemd to say which job stops us.
constexpr std::chrono::milliseconds kJobQueryTimeout{1500};

log::Field message_id(std::string_view id) {
    return {std::string(logfield::message_id), std::string(id)};
}

} // namespace

Daemon::Daemon(DaemonOptions options, Config config)
    : options_(std::move(options)), config_(std::move(config)) {}

Daemon::~Daemon() {
    // Order: what calls back into members goes first; the loop goes last
    // (event_ is the first member).
    bus_.reset();
    monitor_.reset();
    resolver_.reset();
    applier_.reset();
    ops_.reset();
}

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonOptions options, Config config) {
    std::unique_ptr<Daemon> d(new Daemon(std::move(options), std::move(config)));
    if (auto s = d->setup(); !s) {
        return std::move(s).error();
    }
    return d;
}

Status Daemon::setup() {
    auto loop = new_event_loop();
    if (!loop) {
        return std::move(loop).error();
    }
    event_ = std::move(*loop);
    sd_event* e = event_.get();
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR2}) {
        sigaddset(&mask, sig);
    }
    if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) {
        return sys_error(errno, "blocking SIGTERM, SIGINT, SIGHUP, SIGUSR2");
    }
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR2}) {
        auto s = add_signal(e, sig, on_signal, this, "signal");
        if (!s) {
            return std::move(s).error();
        }
        signal_sources_.push_back(std::move(*s));
    }
    // WATCHDOG=1 pings at half of WATCHDOG_USEC when the service asks for it.
    if (int r = sd_event_set_watchdog(e, 1); r < 0) {
        return sys_error(r, "sd_event_set_watchdog");
    }

    auto secret = obtain_secret(options_.state_dir + "/secret");
    if (!secret) {
        return std::move(secret).error();
    }
    if (!secret->warning.empty()) {
        log::write(log::warning, {}, secret->warning);
    }
    inputs_.secret = std::move(secret->bytes);

    // The maps of the previous run of the service, if it left them in the fd
    // store: the new programs share them, so the adoption needs no privilege
    // to read the running config and nothing is rewritten.
    ReuseMaps reuse;
    std::vector<NamedFd> passed = take_passed_fds();
    for (const auto& f : passed) {
        if (f.name == kFdConfigMap) {
            reuse.config_map_fd = f.fd.get();
        } else if (f.name == kFdCounters) {
            reuse.counters_fd = f.fd.get();
        } else {
            log::write(log::warning, {}, "ignoring an unknown fd passed by systemd: " + f.name);
        }
    }
    auto dp = Datapath::open(reuse);
    if (!dp) {
        return std::move(dp).error();
    }
    datapath_ = std::move(*dp);
    passed.clear(); // the datapath holds its own dups
    use_fd_store();
    auto k = KernelOps::open();
    if (!k) {
        return std::move(k).error();
    }
    kernel_ = std::make_unique<KernelOps>(std::move(*k));
    ops_ = std::make_unique<RealApplyOps>(
        e, *datapath_, *kernel_,
        [this](int ifindex, const Ipv6Addr& addr, DadStatus st, const std::string& detail) {
            on_dad(ifindex, addr, st, detail);
        });
    applier_ = std::make_unique<Applier>(*ops_);
    resolver_ = std::make_unique<Dns64Resolver>(
        e, [this](std::optional<Dns64Pref64> res, const std::string& why) {
            on_dns64(std::move(res), why);
        });

    auto defer = add_defer(e, on_defer, this, "converge");
    if (!defer) {
        return std::move(defer).error();
    }
    defer_ = std::move(*defer);
    if (auto s = set_enabled(defer_.get(), SD_EVENT_OFF); !s) {
        return s;
    }
    // Apply after netlink events of the same loop iteration have been read.
    if (int r = sd_event_source_set_priority(defer_.get(), SD_EVENT_PRIORITY_IDLE); r < 0) {
        return sys_error(r, "converge: sd_event_source_set_priority");
    }

    monitor_ = std::make_unique<NetlinkMonitor>(NetlinkHandlers{
        [this](const NetEvent& ev) { on_net_event(ev); },
        [this](int ifindex, const Ipv6Addr& router, std::span<const uint8_t> option) {
            on_nd_useropt(ifindex, router, option);
        },
        {},
        [this](int ifindex) {
            on_ipv6_settings(ifindex);
        }});
    if (auto s = monitor_->attach(e); !s) {
        return s;
    }
    if (auto s = setup_bus(); !s) {
        return s;
    }
    return {};
}

int Daemon::run() {
    const log::Field id = message_id(msgid::started);
    log::write(log::info, {}, "colatrld " COLATRL_VERSION " started", {&id, 1});
    sd_notify(0, "STATUS=Reading the network state");
    const int r = sd_event_loop(event_.get());
    if (r < 0) {
        log::write(log::err, {}, sys_error(r, "event loop failed").message);
        return 1;
    }
    return r;
}

std::string Daemon::name_of(int ifindex) const {
    auto it = model_.links.find(ifindex);
    return it == model_.links.end() ? std::string{} : it->second.name;
}

// --- from the netlink monitor: record only, never act here ---

void Daemon::on_net_event(const NetEvent& e) {
    if (const auto* c = std::get_if<Change<Link>>(&e)) {
        const int ifindex = c->value.ifindex;
        auto old = model_.links.find(ifindex);
        const bool was_up = old != model_.links.end() && old->second.oper_up;
        if (c->removed) {
            rs_.link_removed(ifindex);
        } else {
            rs_.link_changed(ifindex, was_up, c->value.oper_up);
        }
    }
    // on_defer converges only on a synced model: never between a resync
    // (DumpStarted) and the end of the dump that follows it.
    mark_dirty(model_.apply(e));
    if (std::holds_alternative<DumpComplete>(e) && !dumped_) {
        dumped_ = true;
        adopt_leftovers();
    }
}

void Daemon::mark_dirty(bool changed) {
    if (!changed || !defer_ || stopping_) {
        return;
    }
    if (auto s = set_enabled(defer_.get(), SD_EVENT_ONESHOT); !s) {
        // Nothing converges until the next retry: make sure there is one.
        log::write(log::err, {}, s.error().message);
        arm_retry();
    }
}

// --- the work ---

void Daemon::use_fd_store() {
    if (datapath_->reused_maps()) {
        log::write(log::info, {}, "reusing the BPF maps of the previous run");
        // Their previous configs' grace periods were timed by the previous
        // run: removed at once rather than left with nobody to end them.
        if (auto n = datapath_->maps().remove_all_previous_configs(); !n) {
            log::write(log::warning, {}, n.error().message);
        } else if (*n != 0) {
            log::write(log::info, {},
                       std::to_string(*n) + " previous datapath config(s) of the previous run "
                                            "removed");
        }
        return; // they are in the store already
    }
    if (!datapath_->reuse_refused().empty()) {
        log::write(log::notice, {},
                   "not reusing the BPF maps of the previous run: " + datapath_->reuse_refused());
    }
    if (!under_service_manager()) {
        return;
    }
    remove_stored_fds(kFdConfigMap);
    remove_stored_fds(kFdCounters);
    for (auto [name, fd] : {std::pair{kFdConfigMap, datapath_->maps().config_map_fd()},
                            std::pair{kFdCounters, datapath_->maps().counters_fd()}}) {
        if (auto st = store_fd(name, fd); !st) {
            // Only a restart loses: it adopts without the maps (with a DAD).
            log::write(log::warning, {}, st.error().message);
        }
    }
}

void Daemon::adopt_leftovers() {
    auto plan = colatrl::adopt_leftovers(*kernel_, *applier_, model_.links,
                                         datapath_->reused_maps() ? &datapath_->maps() : nullptr);
    if (!plan) {
        log::write(log::warning, {}, plan.error().message);
        return;
    }
    for (const auto& entry : plan->log) {
        log::write(entry);
    }
    for (const auto& [ifindex, a] : plan->clat4) {
        inputs_.clat4.try_emplace(ifindex, a);
    }
    for (const auto& [ifindex, slot] : plan->counter_slots) {
        inputs_.counter_slots.try_emplace(ifindex, slot);
    }
    for (const auto& [ifindex, c] : plan->clat6) {
        inputs_.clat6.try_emplace(ifindex, c);
    }
    // The adopted /32s are ours, not addresses someone else uses.
    for (const auto& [ifindex, l] : applier_->installed()) {
        inputs_.own4[ifindex] = l.addrs4;
    }
    const auto until = Clock::now() + kAdoptedPref64Grace;
    for (const auto& [ifindex, prefix] : plan->pref64) {
        inputs_.adopted_pref64.insert_or_assign(ifindex, AdoptedPref64{prefix, until});
    }
}

// Every link at each converge; one link when the kernel hints that its IPv6
// settings moved (no timer: an idle daemon sleeps until the network changes).
bool Daemon::refresh_ipv6_mtus() {
    const ProcSys sys;
    std::map<int, uint32_t> now;
    for (const auto& [ifindex, link] : model_.links) {
        if (auto mtu = sys.ipv6_mtu(link.name); mtu) {
            now[ifindex] = *mtu;
        }
    }
    const bool changed = now != inputs_.ipv6_mtu;
    inputs_.ipv6_mtu = std::move(now);
    return changed;
}

bool Daemon::refresh_ipv6_mtu(int ifindex) {
    auto link = model_.links.find(ifindex);
    if (link == model_.links.end()) {
        return false;
    }
    auto mtu = ProcSys{}.ipv6_mtu(link->second.name);
    if (!mtu) {
        return inputs_.ipv6_mtu.erase(ifindex) != 0;
    }
    auto [it, added] = inputs_.ipv6_mtu.try_emplace(ifindex, *mtu);
    if (!added && it->second == *mtu) {
        return false;
    }
    it->second = *mtu;
    return true;
}

void Daemon::on_ipv6_settings(int ifindex) {
    mark_dirty(refresh_ipv6_mtu(ifindex));
}

void Daemon::converge() {
    ops_->collect_garbage();
    const auto now = Clock::now();
    model_.expire(now);
    std::erase_if(inputs_.adopted_pref64, [now](const auto& kv) { return kv.second.until <= now; });
    refresh_ipv6_mtus();
    bool drop_failed = false;
    for (auto& [ifindex, until] : previous_until_) {
        if (until <= now) {
            ApplyResult dropped = applier_->drop_previous(ifindex);
            for (const auto& e : dropped.events) {
                log::write(e.log);
            }
            drop_failed = drop_failed || dropped.retry;
        }
    }
    DesiredState next = derive(model_, config_, inputs_, now);
    log_changes(next);
    ApplyResult res = applier_->apply(next);
    for (const auto& e : res.events) {
        log::write(e.log);
    }
    for (int ifindex : res.previous_written) {
        previous_until_.insert_or_assign(ifindex, now + kPreviousPref64Grace);
    }
    // Dropped, torn down or no longer fitting: nothing left to time. One that
    // could not be removed is tried again after the retry back-off.
    std::erase_if(previous_until_, [this](const auto& kv) {
        auto it = applier_->installed().find(kv.first);
        return it == applier_->installed().end() || !it->second.previous;
    });
    res.retry = res.retry || drop_failed;
    remember_choices(inputs_, next);
    inputs_.own4.clear();
    for (const auto& [ifindex, l] : applier_->installed()) {
        inputs_.own4[ifindex] = l.addrs4;
    }
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
    publish_status(res.retry);
    // Loading the programs (before the first converge), dumps and applying
    // free their heap in small pieces below live blocks, which glibc keeps;
    // hand those pages back (docs/memory.md: 188 -> 120 KiB idle). Converges
    // are coalesced events, so this costs little.
    malloc_trim(0);
}

void Daemon::log_changes(const DesiredState& next) {
    for (const auto& entry : describe_changes(last_, next)) {
        log::write(entry);
    }
    if (!config_.discover_ra) {
        return;
    }
    const ProcSys sys;
    for (const auto& [ifindex, p] : next.links) {
        auto old = last_.links.find(ifindex);
        if (p.off != OffReason::no_pref64 ||
            (old != last_.links.end() && old->second.describe() == p.describe())) {
            continue;
        }
        if (auto ra = sys.ra_acceptance(p.name); ra) {
            if (auto w = accept_ra_warning(p.name, *ra)) {
                log::write(log::warning, p.name, *w);
            }
        }
    }
}

void Daemon::schedule_timers(bool retry) {
    expiry_timer_.reset();
    auto t = model_.next_expiry();
    for (const auto& [ifindex, a] : inputs_.adopted_pref64) {
        if (!t || a.until < *t) {
            t = a.until;
        }
    }
    for (const auto& [ifindex, until] : previous_until_) {
        // One whose removal failed is past due: the retry handles it.
        if (until > Clock::now() && (!t || until < *t)) {
            t = until;
        }
    }
    if (t) {
        auto timer = timer_at(event_.get(), *t, on_timer, this, "pref64-expiry");
        if (timer) {
            expiry_timer_ = std::move(*timer);
        } else {
            // The retry timer converges again, which expires what is due and
            // tries to arm this one anew.
            log::write(log::err, {}, timer.error().message);
            retry = true;
        }
    }
    if (!retry) {
        retry_backoff_ = std::chrono::seconds{0};
        retry_timer_.reset();
        return;
    }
    arm_retry();
}

void Daemon::arm_retry() {
    if (retry_timer_) {
        return; // one pending retry is enough
    }
    retry_backoff_ = retry_backoff_.count() == 0 ? std::chrono::seconds{1}
                                                 : std::min(retry_backoff_ * 2, kRetryMax);
    auto timer = timer_after(event_.get(), retry_backoff_, on_timer, this, "retry");
    if (!timer) {
        log::write(log::err, {}, timer.error().message + "; next attempt on the next event");
        return;
    }
    retry_timer_ = std::move(*timer);
}

void Daemon::solicit_routers(const DesiredState& next) {
    for (const auto& rs : rs_.due(next, model_, config_.discover_ra, Clock::now())) {
        if (auto s = send_router_solicit(rs.ifindex, rs.source); !s) {
            log::write(log::warning, rs.ifname, s.error().message);
        } else {
            log::write(log::debug, rs.ifname, "Router Solicitation sent");
        }
    }
}

void Daemon::notify_status(const DesiredState& next) {
    std::string s = status_line(next);
    if (s != last_status_) {
        last_status_ = std::move(s);
        sd_notify(0, ("STATUS=" + last_status_).c_str());
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
        arm_retry();
        return;
    case DadStatus::running:
        break;
    }
    mark_dirty();
}

Status Daemon::reload() {
    auto c = load_config_file(options_.config_path);
    if (!c && c.error().code == Errc::not_found && !options_.config_explicit) {
        c = Config{};
    }
    if (!c) {
        const log::Field id = message_id(msgid::config_error);
        log::write(log::err, {},
                   "reload refused, keeping the old configuration: " + c.error().message, {&id, 1});
        return std::move(c).error();
    }
    if (*c == config_) {
        log::write(log::info, {}, "configuration reloaded: unchanged");
        return {};
    }
    config_ = std::move(*c);
    log::write(log::info, {}, "configuration reloaded");
    resolver_signature_.clear();
    mark_dirty();
    return {};
}

ExitAction Daemon::decide_exit(ExitSignal sig) {
    std::optional<std::string> job;
    if (sig == ExitSignal::terminate && under_service_manager()) {
        auto j = own_unit_job_type(kJobQueryTimeout);
        if (j) {
            job = std::move(*j);
            log::write(log::debug, {},
                       "systemd job on our unit: " + (job->empty() ? "none" : *job));
        } else {
            log::write(log::warning, {},
                       "cannot ask systemd whether this is a restart, removing the CLAT: " +
                           j.error().message);
        }
    }
    return exit_action(sig, job ? std::optional<std::string_view>(*job) : std::nullopt);
}

void Daemon::stop(ExitSignal sig) {
    stopping_ = true;
    const ExitAction action = decide_exit(sig);
    const bool keep = action == ExitAction::keep;
    sd_notify(0, keep ? "STOPPING=1\nSTATUS=Exiting, the CLAT stays for the next run"
                      : "STOPPING=1\nSTATUS=Removing the CLAT");
    publish_status(false);
    if (auto s = set_enabled(defer_.get(), SD_EVENT_OFF); !s) {
        log::write(log::warning, {}, s.error().message); // stopping_ keeps it idle anyway
    }
    resolver_->stop();
    if (keep) {
        // Programs, maps (held by the filters and the fd store), the CLAT
        // IPv4 address and the route stay and keep translating; the next run
        // adopts them. Only the anycast join ends with its socket, and the
        // next run makes it again at once (no DAD: the address is adopted).
        for (const auto& [ifindex, p] : last_.links) {
            if (p.active()) {
                std::vector<log::Field> f = plan_fields(p);
                f.front() = message_id(msgid::kept);
                log::write(log::info, p.name, "CLAT left in place for the next run", f);
            }
        }
    } else {
        ApplyResult res = applier_->remove_all();
        for (const auto& e : res.events) {
            log::write(e.log);
        }
        for (const auto& [ifindex, p] : last_.links) {
            if (p.active()) {
                const std::vector<log::Field> f{message_id(msgid::clat_off),
                                                {std::string(logfield::state), "off"},
                                                {std::string(logfield::off_reason), "stopping"}};
                log::write(log::info, p.name, "CLAT off: stopping", f);
            }
        }
        if (under_service_manager()) {
            remove_stored_fds(kFdConfigMap);
            remove_stored_fds(kFdCounters);
        }
    }
    monitor_->detach();
    const log::Field id = message_id(keep ? msgid::kept : msgid::stopped);
    log::write(log::info, {}, keep ? "exiting, the CLAT stays for the next run" : "stopped",
               {&id, 1});
    if (int r = sd_event_exit(event_.get(), 0); r < 0) {
        log::write(log::err, {}, sys_error(r, "sd_event_exit").message);
    }
}

int Daemon::on_signal(sd_event_source*, const signalfd_siginfo* si, void* userdata) {
    auto* self = static_cast<Daemon*>(userdata);
    if (si->ssi_signo == SIGHUP) {
        (void)self->reload(); // logged; the old configuration stays
    } else if (!self->stopping_) {
        self->stop(si->ssi_signo == SIGUSR2 ? ExitSignal::handover : ExitSignal::terminate);
    }
    return 0;
}

int Daemon::on_defer(sd_event_source*, void* userdata) {
    auto* self = static_cast<Daemon*>(userdata);
    if (self->model_.synced && !self->stopping_) {
        self->converge();
    }
    return 0;
}

int Daemon::on_timer(sd_event_source* s, uint64_t, void* userdata) {
    auto* self = static_cast<Daemon*>(userdata);
    if (s == self->retry_timer_.get()) {
        self->retry_timer_.reset();
    } else if (s == self->expiry_timer_.get()) {
        self->expiry_timer_.reset();
    }
    self->mark_dirty();
    return 0;
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// colatrld's event loop: netlink events fill the network model, a deferred
// event source derives the desired state and applies it (never inside a
// netlink callback), timers handle PREF64 expiry and retries, signals stop
// (SIGTERM/SIGINT: remove everything, unless systemd is restarting the unit;
// SIGUSR2: exit leaving the CLAT for the next run, lib/apply/exit_policy.hpp)
// and reload (SIGHUP). Wiring only: what
// the state should be, what is ours and how it is installed live in lib/.
//
//   daemon.cpp         setup, loop, signals, converge, timers, sd_notify
//   daemon_pref64.cpp  RA PREF64 options and DNS64 discovery into the model
//   daemon_bus.cpp     the status the bus API (lib/bus) shows, its methods
#pragma once

#include "apply/applier.hpp"
#include "apply/exit_policy.hpp"
#include "bus/bus_service.hpp"
#include "config/config.hpp"
#include "model/derive.hpp"
#include "model/netmodel.hpp"
#include "nd/solicit.hpp"
#include "rtnl/monitor.hpp"
#include "sys/event.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct signalfd_siginfo;

namespace colatrl {

class Datapath;
class KernelOps;
class RealApplyOps;
class Dns64Resolver;

// Names of the BPF maps in the service's fd store (FileDescriptorStoreMax=
// in systemd/colatrld.service.in).
inline constexpr std::string_view kFdConfigMap = "colatrl-config-map";
inline constexpr std::string_view kFdCounters = "colatrl-counters";

struct DaemonOptions {
    std::string config_path;
    bool config_explicit = false; // --config given: a missing file is an error
    std::string state_dir;
    BusKind bus = BusKind::system;
};

class Daemon final {
public:
    // Sets up everything (BPF load, netlink, signals); errors name what failed.
    static Result<std::unique_ptr<Daemon>> create(DaemonOptions options, Config config);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Runs the loop until SIGTERM/SIGINT/SIGUSR2; returns the exit status.
    int run();

private:
    explicit Daemon(DaemonOptions options, Config config);
    Status setup();

    static int on_signal(sd_event_source* s, const signalfd_siginfo* si, void* userdata);
    static int on_defer(sd_event_source* s, void* userdata);
    static int on_timer(sd_event_source* s, uint64_t usec, void* userdata);

    // From the netlink monitor: record only, never act here.
    void on_net_event(const NetEvent& e);
    void on_nd_useropt(int ifindex, const Ipv6Addr& router, std::span<const uint8_t> option);
    void mark_dirty(bool changed = true);
    void converge();
    void adopt_leftovers();
    bool refresh_ipv6_mtus();
    bool refresh_ipv6_mtu(int ifindex);
    void on_ipv6_settings(int ifindex);
    void log_changes(const DesiredState& next);
    void update_resolver(const DesiredState& next);
    void schedule_timers(bool retry);
    void arm_retry();
    void notify_status(const DesiredState& next);
    void solicit_routers(const DesiredState& next);
    Status reload();
    Status setup_bus();
    void publish_status(bool retry);
    Status reset_statistics();
    std::string describe(const std::map<int, LinkStatus>& links) const;
    void stop(ExitSignal sig);
    ExitAction decide_exit(ExitSignal sig);
    void use_fd_store();
    void on_dad(int ifindex, const Ipv6Addr& addr, DadStatus status, const std::string& detail);
    void on_dns64(std::optional<Dns64Pref64> result, const std::string& why);
    std::string name_of(int ifindex) const;

    DaemonOptions options_;
    Config config_;
    // Declared first, so destroyed last: everything below may refer to it.
    EventLoopPtr event_;
    std::vector<EventSource> signal_sources_;
    EventSource defer_;
    EventSource expiry_timer_; // next RA PREF64 / DNS64 expiry, CLOCK_BOOTTIME
    EventSource retry_timer_;  // after a failed apply, with back-off

    NetworkModel model_;
    DeriveInputs inputs_;
    DesiredState last_;
    std::unique_ptr<Datapath> datapath_;
    std::unique_ptr<KernelOps> kernel_;
    std::unique_ptr<RealApplyOps> ops_;
    std::unique_ptr<Applier> applier_;
    std::unique_ptr<Dns64Resolver> resolver_;
    std::unique_ptr<NetlinkMonitor> monitor_;
    RsPlanner rs_;
    std::unique_ptr<BusService> bus_;
    // When each link's previous datapath config (after a PREF64 change) goes.
    std::map<int, Clock::time_point> previous_until_;

    bool dumped_ = false; // the first full dump completed, leftovers adopted
    bool ready_ = false;
    bool stopping_ = false;
    std::chrono::seconds retry_backoff_{0};
    std::string last_status_;
    std::string last_dns64_why_;
    std::string resolver_signature_;
};

} // namespace colatrl

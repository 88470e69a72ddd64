// SPDX-License-Identifier: GPL-2.0-or-later
// org.colatrl on D-Bus (dbus/org.colatrl.Manager1.xml, dbus/org.colatrl.Link1.xml):
// the Manager1 object with the ObjectManager, one Link1 object per link of the
// status board, PropertiesChanged and InterfacesAdded/Removed as the board
// changes, counters read on demand through a callback.
//
// The bus is optional for the CLAT: when it is absent at start or goes away
// (dbus restarted), this logs once and reconnects on a timer with back-off;
// the daemon's translating never waits for it. Method calls that change state
// (Reload, ResetStatistics) are refused with AccessDenied unless the caller's
// uid is 0, whatever the bus policy lets through.
#pragma once

#include "base/result.hpp"
#include "colatrl_shared.h"
#include "status/link_status.hpp"
#include "sys/event.hpp"

#include <systemd/sd-bus.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace colatrl {

enum class BusKind { system, session, none };
// "system", "session", "none" -> BusKind; Errc::invalid_argument otherwise.
Result<BusKind> parse_bus_kind(std::string_view word);

struct BusHandlers {
    // Describe(): the JSON of the whole state for these links.
    std::function<std::string(const std::map<int, LinkStatus>&)> describe;
    // Reload(): an error becomes org.freedesktop.DBus.Error.Failed with its message.
    std::function<Status()> reload;
    std::function<Status()> reset_statistics;
    // Every counter of a counter slot (indexed by colatrl_counter_id).
    std::function<Result<std::vector<colatrl_counter>>(uint32_t slot)> counters;
};

class BusService {
public:
    // Starts connecting (never fails for a missing bus: it retries).
    // `version` and `config_file` are the const Manager1 properties.
    static Result<std::unique_ptr<BusService>> create(sd_event* event, BusKind kind,
                                                      std::string version, std::string config_file,
                                                      BusHandlers handlers);
    ~BusService();
    BusService(const BusService&) = delete;
    BusService& operator=(const BusService&) = delete;

    // A new snapshot of every link and the manager's state: emits
    // InterfacesRemoved, InterfacesAdded and PropertiesChanged for what differs.
    void update(std::map<int, LinkStatus> links, ManagerState state);

    bool connected() const noexcept { return bus_ != nullptr; }

private:
    BusService(sd_event* event, BusKind kind, std::string version, std::string config_file,
               BusHandlers handlers);
    struct BusUnref {
        void operator()(sd_bus* b) const noexcept { sd_bus_flush_close_unref(b); }
    };

    void connect();
    Status open_and_register();
    void connection_lost(const std::string& why);
    void arm_reconnect();
    static int on_reconnect(sd_event_source* s, uint64_t usec, void* userdata);
    static int on_filter(sd_bus_message* m, void* userdata, sd_bus_error* error);
    static int on_name(sd_bus_message* m, void* userdata, sd_bus_error* error);

    friend struct BusCallbacks;

    sd_event* event_;
    BusKind kind_;
    std::string version_;
    std::string config_file_;
    BusHandlers handlers_;
    StatusBoard board_;
    ManagerState state_ = ManagerState::starting;

    std::unique_ptr<sd_bus, BusUnref> bus_;
    EventSource reconnect_timer_;
    std::chrono::seconds backoff_{0};
    bool lost_logged_ = false; // "bus unavailable" said once until connected again
};

} // namespace colatrl

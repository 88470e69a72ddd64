// SPDX-License-Identifier: GPL-2.0-or-later
// The bus API's view of the daemon (lib/bus/bus_service.hpp): after each
// converge, the status of every link (lib/status) goes to the bus service,
// which signals what changed; its methods call back here.
#include "daemon.hpp"

#include "datapath/datapath.hpp"
#include "datapath/datapath_config.hpp"
#include "status/link_status.hpp"
#include "sys/log.hpp"

#include "colatrl_build_config.h"

#include <unistd.h>

namespace colatrl {

Status Daemon::setup_bus() {
    // ConfigFile is "" when the built-in defaults are in effect.
    const std::string config_file =
        access(options_.config_path.c_str(), F_OK) == 0 ? options_.config_path : std::string{};
    BusHandlers h;
    h.describe = [this](const std::map<int, LinkStatus>& links) {
        return describe(links);
    };
    h.reload = [this] {
        return reload();
    };
    h.reset_statistics = [this] {
        return reset_statistics();
    };
    h.counters = [this](uint32_t slot) -> Result<std::vector<colatrl_counter>> {
        return datapath_->counters(slot);
    };
    auto bus =
        BusService::create(event_.get(), options_.bus, COLATRL_VERSION, config_file, std::move(h));
    if (!bus) {
        return std::move(bus).error();
    }
    bus_ = std::move(*bus);
    return {};
}

void Daemon::publish_status(bool retry) {
    if (!bus_) {
        return;
    }
    std::map<int, LinkStatus> links;
    const auto& installed = applier_->installed();
    for (const auto& [ifindex, plan] : last_.links) {
        std::optional<InstalledClat> now;
        if (auto it = installed.find(ifindex); it != installed.end() && it->second.config) {
            const colatrl_config& c = *it->second.config;
            InstalledClat i{config_clat4(c), config_clat6(c), config_pref64(c), {}, 0,
                            c.counter_slot};
            if (const auto& r = it->second.route4) {
                i.gateway = r->gateway;
                i.mtu = r->mtu;
            }
            now = i;
        }
        links.emplace(ifindex, link_status(plan, model_, now, retry));
    }
    const ManagerState state = manager_state(ready_, stopping_, links);
    bus_->update(std::move(links), state);
}

Status Daemon::reset_statistics() {
    // Every slot, the one of packets on interfaces without config too.
    for (uint32_t slot = 0; slot < COLATRL_MAX_UPLINKS; ++slot) {
        if (auto s = datapath_->reset_counters(slot); !s) {
            return s;
        }
    }
    if (auto s = datapath_->reset_counters(COLATRL_SLOT_UNCONFIGURED); !s) {
        return s;
    }
    log::write(log::info, {}, "statistics reset");
    return {};
}

std::string Daemon::describe(const std::map<int, LinkStatus>& links) const {
    std::map<int, std::vector<colatrl_counter>> counters;
    for (const auto& [ifindex, l] : links) {
        if (!l.counter_slot) {
            continue;
        }
        if (auto c = datapath_->counters(*l.counter_slot); c) {
            counters.emplace(ifindex, std::move(*c));
        }
    }
    ManagerInfo info{COLATRL_VERSION, manager_state(ready_, stopping_, links),
                     access(options_.config_path.c_str(), F_OK) == 0 ? options_.config_path
                                                                     : std::string{}};
    return describe_json(info, config_, links, counters);
}

} // namespace colatrl

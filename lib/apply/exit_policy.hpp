// SPDX-License-Identifier: GPL-2.0-or-later
// What colatrld does with the CLAT when it exits: remove everything (a stop)
// or leave it working for the daemon that starts next (a restart), so a
// restart or a package upgrade loses no packet. Pure; the facts come from
// daemon/daemon.cpp: the signal, and under systemd the type of the job
// pending on our own unit (lib/sys/service_manager.hpp). docs/decisions.md
// says why it is decided this way.
#pragma once

#include <optional>
#include <string_view>

namespace colatrl {

enum class ExitAction { remove, keep };

enum class ExitSignal {
    terminate, // SIGTERM, SIGINT: stop, unless the service manager restarts us
    handover,  // SIGUSR2: exit for a successor without systemd (tests, other supervisors)
};

// systemd job types that start the unit again right after stopping it
// (`systemctl restart`, `try-restart`, `reload-or-restart` on a unit without
// reload become "restart" when they run).
bool job_restarts(std::string_view job_type);

// own_job: the JobType of the job pending on our unit ("" when none),
// nullopt when it could not be learnt (not under systemd, no bus, timeout):
// then a SIGTERM removes everything, the safe default for a stop.
ExitAction exit_action(ExitSignal sig, const std::optional<std::string_view>& own_job);

} // namespace colatrl

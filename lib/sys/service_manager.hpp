// SPDX-License-Identifier: GPL-2.0-or-later
// What colatrld asks of and hands to systemd beyond sd_notify(3) READY/STATUS:
//  - the type of the job pending on its own unit, read over D-Bus from
//    org.freedesktop.systemd1 at exit (a "restart" keeps the CLAT in place,
//    lib/apply/exit_policy.hpp);
//  - the service's file descriptor store (FileDescriptorStoreMax= in the
//    unit): the BPF maps are stored there, so the next run of the service
//    gets them back and adopts the datapath without CAP_SYS_ADMIN.
// Outside systemd every call is a no-op or reports "unknown".
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace colatrl {

// True when systemd started this process as (part of) a unit.
bool under_service_manager();

// JobType ("restart", "stop", ...) of the job pending on the unit this
// process belongs to; "" when there is none. Asks over the system bus with
// `timeout` for the whole exchange.
Result<std::string> own_unit_job_type(std::chrono::milliseconds timeout);

struct NamedFd {
    std::string name;
    UniqueFd fd;
};

// The fds systemd passed at start (sd_listen_fds_with_names: the fd store
// and sockets), taken over once; the environment variables are cleared.
std::vector<NamedFd> take_passed_fds();

// Stores a dup of fd under `name` in the fd store (FDPOLL=0: BPF map fds
// report EPOLLERR to poll, which would make systemd drop them at once).
// Ok and a no-op without NOTIFY_SOCKET.
Status store_fd(std::string_view name, int fd);
// Drops every stored fd named `name` (best effort).
void remove_stored_fds(std::string_view name);

} // namespace colatrl

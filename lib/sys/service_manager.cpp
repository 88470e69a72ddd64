// SPDX-License-Identifier: GPL-2.0-or-later
#include "sys/service_manager.hpp"

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

namespace colatrl {

namespace {

constexpr const char* kSystemd = "org.freedesktop.systemd1";
constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";

struct BusUnref {
    void operator()(sd_bus* b) const noexcept { sd_bus_flush_close_unref(b); }
};
struct MessageUnref {
    void operator()(sd_bus_message* m) const noexcept { sd_bus_message_unref(m); }
};
using BusPtr = std::unique_ptr<sd_bus, BusUnref>;
using MessagePtr = std::unique_ptr<sd_bus_message, MessageUnref>;

class BusError {
public:
    BusError() = default;
    ~BusError() { sd_bus_error_free(&e_); }
    BusError(const BusError&) = delete;
    BusError& operator=(const BusError&) = delete;
    sd_bus_error* get() noexcept { return &e_; }
    std::string text(int r, const std::string& what) const {
        std::string s = what + ": ";
        s += e_.message != nullptr ? e_.message : sys_error(r, "").message;
        return s;
    }

private:
    sd_bus_error e_{}; // = SD_BUS_ERROR_NULL (a C compound literal)
};

} // namespace

bool under_service_manager() {
    return std::getenv("INVOCATION_ID") != nullptr;
}

Result<std::string> own_unit_job_type(std::chrono::milliseconds timeout) {
    sd_bus* raw = nullptr;
    if (int r = sd_bus_open_system(&raw); r < 0) {
        return sys_error(r, "connect to the system bus");
    }
    BusPtr bus(raw);
    const auto usec = static_cast<uint64_t>(timeout.count()) * 1000;
    if (int r = sd_bus_set_method_call_timeout(bus.get(), usec); r < 0) {
        return sys_error(r, "sd_bus_set_method_call_timeout");
    }
    // Our unit, by our pid: no need to know the unit's name.
    BusError err;
    sd_bus_message* reply = nullptr;
    int r = sd_bus_call_method(bus.get(), kSystemd, kManagerPath, kManager, "GetUnitByPID",
                               err.get(), &reply, "u", static_cast<uint32_t>(getpid()));
    if (r < 0) {
        return make_error(Errc::system, err.text(r, "GetUnitByPID"));
    }
    MessagePtr unit_reply(reply);
    const char* unit_path = nullptr;
    if (r = sd_bus_message_read(unit_reply.get(), "o", &unit_path); r < 0) {
        return sys_error(r, "GetUnitByPID reply");
    }
    // Unit.Job is (u id, o path); id 0 = no job.
    reply = nullptr;
    r = sd_bus_get_property(bus.get(), kSystemd, unit_path, "org.freedesktop.systemd1.Unit", "Job",
                            err.get(), &reply, "(uo)");
    if (r < 0) {
        return make_error(Errc::system, err.text(r, "unit property Job"));
    }
    MessagePtr job_reply(reply);
    uint32_t job_id = 0;
    const char* job_path = nullptr;
    if (r = sd_bus_message_read(job_reply.get(), "(uo)", &job_id, &job_path); r < 0) {
        return sys_error(r, "unit property Job");
    }
    if (job_id == 0) {
        return std::string{};
    }
    char* type = nullptr;
    r = sd_bus_get_property_string(bus.get(), kSystemd, job_path, "org.freedesktop.systemd1.Job",
                                   "JobType", err.get(), &type);
    if (r < 0) {
        return make_error(Errc::system, err.text(r, "job property JobType"));
    }
    std::string out = type;
    std::free(type);
    return out;
}

std::vector<NamedFd> take_passed_fds() {
    std::vector<NamedFd> out;
    char** names = nullptr;
    const int n = sd_listen_fds_with_names(1, &names);
    for (int i = 0; i < n; ++i) {
        const char* name = names != nullptr && names[i] != nullptr ? names[i] : "";
        out.push_back({name, UniqueFd(SD_LISTEN_FDS_START + i)});
    }
    if (names != nullptr) {
        for (char** p = names; *p != nullptr; ++p) {
            std::free(*p);
        }
        std::free(names);
    }
    return out;
}

Status store_fd(std::string_view name, int fd) {
    const std::string msg = "FDSTORE=1\nFDPOLL=0\nFDNAME=" + std::string(name);
    const int r = sd_pid_notify_with_fds(0, 0, msg.c_str(), &fd, 1);
    if (r < 0) {
        return sys_error(r, "store fd '" + std::string(name) + "' with the service manager");
    }
    return {};
}

void remove_stored_fds(std::string_view name) {
    const std::string msg = "FDSTOREREMOVE=1\nFDNAME=" + std::string(name);
    (void)sd_notify(0, msg.c_str());
}

} // namespace colatrl

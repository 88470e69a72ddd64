// SPDX-License-Identifier: GPL-2.0-or-later
// colatrld: command line, configuration, then the event loop (daemon.hpp).
#include "apply/adopt.hpp"
#include "base/message_id.hpp"
#include "colatrl_build_config.h"
#include "config/config.hpp"
#include "daemon.hpp"
#include "rtnl/kernel_ops.hpp"
#include "sys/log.hpp"
#include "sys/service_manager.hpp"

#include <getopt.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

constexpr const char* kDefaultConfig = COLATRL_SYSCONFDIR "/colatrl/colatrld.conf";

void usage(FILE* out) {
    std::fprintf(out,
                 "Usage: colatrld [OPTIONS]\n"
                 "464XLAT CLAT daemon: translates IPv4 to IPv6 on IPv6-only uplinks.\n\n"
                 "  -c, --config FILE     configuration file (default %s;\n"
                 "                        a missing default file means built-in defaults)\n"
                 "  -s, --state-dir DIR   state directory (default $STATE_DIRECTORY or %s)\n"
                 "      --bus BUS         where to offer the org.colatrl API: system (default),\n"
                 "                        session or none\n"
                 "      --check-config    check the configuration and exit\n"
                 "  -d, --debug           log debug messages too\n"
                 "  -h, --help            show this help\n"
                 "  -V, --version         show the version\n",
                 kDefaultConfig, COLATRL_STATEDIR);
}

// A start that ends on a bad configuration: what an earlier run left in the
// kernel (kept for a restart, or a crash's remains) would go on translating
// with nobody following the network, so it goes, and with it the maps that
// systemd keeps for us.
void remove_what_an_earlier_run_left() {
    using namespace colatrl;
    for (auto& f : take_passed_fds()) {
        (void)f; // closed here
    }
    if (under_service_manager()) {
        remove_stored_fds(kFdConfigMap);
        remove_stored_fds(kFdCounters);
    }
    auto k = KernelOps::open();
    if (!k) {
        log::write(log::debug, {}, "cannot look for leftovers: " + k.error().message);
        return;
    }
    const auto lines = remove_leftovers(*k);
    for (const auto& e : lines) {
        log::write(e);
    }
    if (!lines.empty()) {
        const log::Field id{std::string(logfield::message_id),
                            std::string(msgid::leftovers_removed)};
        log::write(log::notice, {}, "removed what an earlier run left, as this one cannot start",
                   {&id, 1});
    }
}

// Exit statuses that colatrld.service does not restart on (RestartPreventExitStatus):
// missing privileges (EX_NOPERM) or a kernel without what it needs (EX_UNAVAILABLE)
// stay so, and a restart loop would only fill the journal.
constexpr int kExitNoPerm = 77;
constexpr int kExitUnavailable = 69;

int start_failure_status(const colatrl::Error& e) {
    if (e.sys_errno == EPERM) {
        return kExitNoPerm;
    }
    return e.code == colatrl::Errc::unsupported ? kExitUnavailable : 1;
}

} // namespace

int main(int argc, char** argv) {
    using namespace colatrl;
    DaemonOptions opt;
    opt.config_path = kDefaultConfig;
    bool check_only = false;
    bool debug = false;
    enum { kCheckConfig = 1000, kBus };
    static const option longopts[] = {
        {"config", required_argument, nullptr, 'c'},
        {"state-dir", required_argument, nullptr, 's'},
        {"check-config", no_argument, nullptr, kCheckConfig},
        {"bus", required_argument, nullptr, kBus},
        {"debug", no_argument, nullptr, 'd'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, 'V'},
        {nullptr, 0, nullptr, 0},
    };
    int c = 0;
    while ((c = getopt_long(argc, argv, "c:s:dhV", longopts, nullptr)) != -1) {
        switch (c) {
        case 'c':
            opt.config_path = optarg;
            opt.config_explicit = true;
            break;
        case 's':
            opt.state_dir = optarg;
            break;
        case kBus: {
            auto kind = parse_bus_kind(optarg);
            if (!kind) {
                std::fprintf(stderr, "colatrld: --bus: %s\n", kind.error().message.c_str());
                return 2;
            }
            opt.bus = *kind;
            break;
        }
        case kCheckConfig:
            check_only = true;
            break;
        case 'd':
            debug = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            std::printf("colatrld %s\n", COLATRL_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        std::fprintf(stderr, "colatrld: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (opt.state_dir.empty()) {
        // systemd's StateDirectory= may list several; the first is ours.
        const char* sd = std::getenv("STATE_DIRECTORY");
        std::string s = sd != nullptr ? sd : "";
        s = s.substr(0, s.find(':'));
        opt.state_dir = s.empty() ? COLATRL_STATEDIR : s;
    }
    log::init(debug ? log::debug : log::info);

    auto cfg = load_config_file(opt.config_path);
    if (!cfg && cfg.error().code == Errc::not_found && !opt.config_explicit) {
        cfg = Config{};
    }
    if (!cfg) {
        const log::Field id{std::string(logfield::message_id), std::string(msgid::config_error)};
        log::write(log::err, {}, cfg.error().message, {&id, 1});
        if (!check_only) {
            remove_what_an_earlier_run_left();
        }
        return kExitConfig;
    }
    if (check_only) {
        std::printf("%s: OK\n", opt.config_path.c_str());
        return 0;
    }

    auto d = Daemon::create(opt, *cfg);
    if (!d) {
        log::write(log::err, {}, "cannot start: " + d.error().message);
        return start_failure_status(d.error());
    }
    return (*d)->run();
}

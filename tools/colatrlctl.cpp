// SPDX-License-Identifier: GPL-2.0-or-later
// colatrlctl: command-line client of colatrl. Dispatches the first word to a
// command group (ctl_commands.hpp).
#include "colatrl_build_config.h"
#include "ctl_commands.hpp"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using colatrl::ctl::kExitOk;
using colatrl::ctl::kExitUsage;

struct CommandGroup {
    const char* name;
    const char* summary;
    int (*run)(const std::string& name, const std::vector<std::string>& words);
};

int datapath(const std::string&, const std::vector<std::string>& words) {
    return colatrl::ctl::run_datapath(words);
}

constexpr CommandGroup kCommandGroups[] = {
    {"status", "state, PREF64, addresses, traffic and drops per link", colatrl::ctl::run_bus},
    {"list", "the links colatrld considers, one line each", colatrl::ctl::run_bus},
    {"statistics", "the datapath counters per link", colatrl::ctl::run_bus},
    {"describe", "the daemon's whole state as JSON", colatrl::ctl::run_bus},
    {"metrics", "the counters in the Prometheus text format", colatrl::ctl::run_bus},
    {"monitor", "print the daemon's change signals as they come", colatrl::ctl::run_bus},
    {"reload", "re-read the configuration (root)", colatrl::ctl::run_bus},
    {"reset-statistics", "set every counter to zero (root)", colatrl::ctl::run_bus},
    {"datapath", "attach/detach/show the tc translator directly (debugging, no daemon)", datapath},
};

void print_help(FILE* out) {
    std::fprintf(out, "Usage: colatrlctl COMMAND [ARGS...]\n\nCommands:\n");
    for (const auto& g : kCommandGroups) {
        std::fprintf(out, "  %-17s %s\n", g.name, g.summary);
    }
    std::fprintf(out, "\n'colatrlctl COMMAND --help' shows the arguments of a command.\n"
                      "Options: --help, --version\n"
                      "Exit status: 0 success, 1 failure, 2 usage error, 3 colatrld not running,\n"
                      "4 permission denied, 5 no such link.\n");
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> words(argv + 1, argv + argc);
    if (words.empty()) {
        print_help(stderr);
        return kExitUsage;
    }
    if (words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
        print_help(stdout);
        return kExitOk;
    }
    if (words[0] == "--version") {
        std::printf("colatrlctl %s\n", COLATRL_VERSION);
        return kExitOk;
    }
    for (const auto& g : kCommandGroups) {
        if (words[0] == g.name) {
            return g.run(words[0], std::vector<std::string>(words.begin() + 1, words.end()));
        }
    }
    std::fprintf(stderr, "colatrlctl: unknown command '%s'\nTry 'colatrlctl --help'.\n",
                 words[0].c_str());
    return kExitUsage;
}

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
    int (*run)(const std::vector<std::string>& words);
};

constexpr CommandGroup kCommandGroups[] = {
    {"datapath", "attach/detach/show the tc translator directly (debugging, no daemon)",
     colatrl::ctl::run_datapath},
};

void print_help(FILE* out) {
    std::fprintf(out, "Usage: colatrlctl COMMAND [ARGS...]\n\nCommands:\n");
    for (const auto& g : kCommandGroups) {
        std::fprintf(out, "  %-10s %s\n", g.name, g.summary);
    }
    std::fprintf(out, "\n'colatrlctl COMMAND --help' shows the arguments of a command.\n"
                      "Options: --help, --version\n");
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
            return g.run(std::vector<std::string>(words.begin() + 1, words.end()));
        }
    }
    std::fprintf(stderr, "colatrlctl: unknown command '%s'\nTry 'colatrlctl --help'.\n",
                 words[0].c_str());
    return kExitUsage;
}

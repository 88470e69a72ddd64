// SPDX-License-Identifier: GPL-2.0-or-later
#include "sys/log.hpp"

#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace colatrl::log {

namespace {

int g_max = info;
bool g_journal = false;

// JOURNAL_STREAM is "DEV:INODE" of the stream journald gave us; it only
// counts when stderr still is that stream (not redirected by a wrapper).
bool stderr_is_journal() {
    const char* js = std::getenv("JOURNAL_STREAM");
    if (js == nullptr) {
        return false;
    }
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) {
        return false;
    }
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0) {
        return false;
    }
    return st.st_dev == dev && st.st_ino == ino;
}

} // namespace

void init(int max_priority) {
    g_max = max_priority;
    g_journal = stderr_is_journal();
}

bool enabled(int priority) {
    return priority <= g_max;
}

std::string stderr_line(int priority, std::string_view ifname, std::string_view message) {
    std::string line = "<" + std::to_string(priority) + ">";
    if (!ifname.empty()) {
        line.append(ifname);
        line += ": ";
    }
    line.append(message);
    line += '\n';
    return line;
}

void write(int priority, std::string_view ifname, std::string_view message) {
    if (!enabled(priority)) {
        return;
    }
    if (g_journal) {
        const std::string msg = ifname.empty() ? std::string(message)
                                               : std::string(ifname) + ": " + std::string(message);
        const std::string ifn(ifname);
        int r = 0;
        if (ifname.empty()) {
            r = sd_journal_send("MESSAGE=%s", msg.c_str(), "PRIORITY=%i", priority,
                                "SYSLOG_IDENTIFIER=colatrld", nullptr);
        } else {
            r = sd_journal_send("MESSAGE=%s", msg.c_str(), "PRIORITY=%i", priority, "INTERFACE=%s",
                                ifn.c_str(), "SYSLOG_IDENTIFIER=colatrld", nullptr);
        }
        if (r >= 0) {
            return;
        }
    }
    const std::string line = stderr_line(priority, ifname, message);
    ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
}

} // namespace colatrl::log

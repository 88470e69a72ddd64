// SPDX-License-Identifier: GPL-2.0-or-later
#include "sys/log.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace colatrl::log {

namespace {

Level g_max = Level::info;
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

bool send_journal(Level level, std::string_view ifname, std::string_view message,
                  std::span<const Field> fields) {
    std::vector<std::string> items;
    items.reserve(4 + fields.size());
    std::string msg = "MESSAGE=";
    if (!ifname.empty()) {
        msg.append(ifname);
        msg += ": ";
    }
    msg.append(message);
    items.push_back(std::move(msg));
    items.push_back("PRIORITY=" + std::to_string(priority(level)));
    items.emplace_back("SYSLOG_IDENTIFIER=colatrld");
    if (!ifname.empty()) {
        items.push_back("INTERFACE=" + std::string(ifname));
    }
    for (const auto& f : fields) {
        items.push_back(f.name + "=" + f.value);
    }
    std::vector<iovec> iov;
    iov.reserve(items.size());
    for (auto& s : items) {
        iov.push_back({s.data(), s.size()});
    }
    return sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0;
}

} // namespace

void init(Level max) {
    g_max = max;
    g_journal = stderr_is_journal();
}

bool enabled(Level level) {
    return level <= g_max;
}

std::string stderr_line(Level level, std::string_view ifname, std::string_view message) {
    std::string line = "<" + std::to_string(priority(level)) + ">";
    if (!ifname.empty()) {
        line.append(ifname);
        line += ": ";
    }
    line.append(message);
    line += '\n';
    return line;
}

void write(Level level, std::string_view ifname, std::string_view message,
           std::span<const Field> fields) {
    if (!enabled(level)) {
        return;
    }
    if (g_journal && send_journal(level, ifname, message, fields)) {
        return;
    }
    const std::string line = stderr_line(level, ifname, message);
    ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
}

void write(const Entry& entry) {
    write(entry.level, entry.ifname, entry.message, entry.fields);
}

} // namespace colatrl::log

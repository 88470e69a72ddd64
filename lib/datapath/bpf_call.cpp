// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/bpf_call.hpp"

#include <fcntl.h>
#include <net/if.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>

namespace colatrl {

namespace {

// libbpf logs: collected while loading so a verifier rejection can be shown.
thread_local std::string* g_libbpf_log = nullptr;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
int collect_libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (g_libbpf_log == nullptr || level == LIBBPF_DEBUG) {
        return 0;
    }
    char buf[4096];
    int n = std::vsnprintf(buf, sizeof buf, fmt, args);
    if (n > 0) {
        g_libbpf_log->append(buf, std::min(static_cast<size_t>(n), sizeof buf - 1));
    }
    return n;
}
#pragma GCC diagnostic pop

} // namespace

std::string ifname_of(int ifindex) {
    char buf[IF_NAMESIZE] = {};
    if (if_indextoname(static_cast<unsigned>(ifindex), buf) == nullptr) {
        return "ifindex " + std::to_string(ifindex);
    }
    return buf;
}

Error bpf_error(int err, const std::string& what) {
    if (err < 0) {
        err = -err;
    }
    Error e = sys_error(err, what);
    if (err == EPERM || err == EACCES) {
        e.message += " (needs root, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON)";
    } else if (err == ENOSYS) {
        e.code = Errc::unsupported;
        e.message += " (kernel built without BPF support)";
    } else if (err == EOPNOTSUPP || err == kEnotsupp) {
        e.code = Errc::unsupported;
    }
    return e;
}

Result<UniqueFd> dup_bpf_fd(int fd, const char* what) {
    const int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (d < 0) {
        return sys_error(errno, std::string("dup ") + what + " fd");
    }
    return UniqueFd(d);
}

std::string log_tail(const std::string& text, int max_lines) {
    size_t pos = text.size();
    while (pos > 0 && text[pos - 1] == '\n') {
        --pos;
    }
    const size_t end = pos;
    int lines = 0;
    while (pos > 0 && lines < max_lines) {
        pos = text.rfind('\n', pos - 1);
        if (pos == std::string::npos) {
            pos = 0;
            break;
        }
        ++lines;
    }
    return text.substr(pos == 0 ? 0 : pos + 1, end - (pos == 0 ? 0 : pos + 1));
}

LogCapture::LogCapture(std::string* sink)
    : prev_(libbpf_set_print(collect_libbpf_log)), prev_sink_(g_libbpf_log) {
    g_libbpf_log = sink;
}

LogCapture::~LogCapture() {
    g_libbpf_log = prev_sink_;
    libbpf_set_print(prev_);
}

Error TcCall::error(int err, const std::string& what) const {
    Error e = bpf_error(err, what);
    const std::string tag = "Kernel error message: ";
    if (auto pos = log_.rfind(tag); pos != std::string::npos) {
        auto text = log_.substr(pos + tag.size());
        while (!text.empty() && text.back() == '\n') {
            text.pop_back();
        }
        e.message += " (kernel: " + text + ")";
    }
    return e;
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/file_io.hpp"

#include <algorithm>
#include <cerrno>
#include <unistd.h>

namespace colatrl {

Result<std::vector<uint8_t>> read_up_to(int fd, std::size_t limit, const std::string& path) {
    // Grown as the file turns out longer: a limit far above the usual size
    // (the configuration's 1 MiB) must not cost a zero-filled block of that
    // size, whose free would also raise glibc's mmap and trim thresholds for
    // the rest of the daemon's life (docs/memory.md).
    std::vector<uint8_t> out(std::min<std::size_t>(limit, 4096));
    std::size_t got = 0;
    while (got < limit) {
        if (got == out.size()) {
            out.resize(std::min(limit, 2 * out.size()));
        }
        const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return sys_error(errno, "read " + path);
        }
        if (n == 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    return out;
}

Status write_all(int fd, std::span<const uint8_t> data, const std::string& path) {
    std::size_t put = 0;
    while (put < data.size()) {
        const ssize_t n = ::write(fd, data.data() + put, data.size() - put);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return sys_error(errno, "write " + path);
        }
        put += static_cast<std::size_t>(n);
    }
    return {};
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/file_io.hpp"

#include <cerrno>
#include <unistd.h>

namespace colatrl {

Result<std::vector<uint8_t>> read_up_to(int fd, std::size_t limit, const std::string& path) {
    std::vector<uint8_t> out(limit);
    std::size_t got = 0;
    while (got < limit) {
        const ssize_t n = ::read(fd, out.data() + got, limit - got);
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

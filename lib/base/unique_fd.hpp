// SPDX-License-Identifier: GPL-2.0-or-later
// RAII owner of a file descriptor, shared by the modules that open sockets or
// BPF objects.
#pragma once

#include <unistd.h>

namespace colatrl {

// An fd that is closed when it goes out of scope.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = o.release();
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    bool valid() const noexcept { return fd_ >= 0; }
    // Closes now and returns close()'s result, for writes whose durability
    // depends on it (errno is set on failure).
    int close_checked() noexcept {
        const int r = ::close(fd_);
        fd_ = -1;
        return r;
    }
    int release() noexcept {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    void reset() noexcept {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    int fd_ = -1;
};

} // namespace colatrl

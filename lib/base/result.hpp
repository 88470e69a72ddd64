// SPDX-License-Identifier: GPL-2.0-or-later
// The one error style of colatrl: functions that can fail return Result<T>,
// which holds either a value or an Error (a category plus a message that reads
// well in a log line). No exceptions cross module boundaries.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace colatrl {

enum class Errc {
    invalid_argument, // caller passed something unusable
    parse,            // malformed text or bytes
    not_found,        // looked-up object does not exist
    unsupported,      // kernel/feature not available
    conflict,         // state clash (address in use, DAD failure, ...)
    system,           // a syscall or library call failed; see sys_errno
    timeout,
};

struct Error {
    Errc code = Errc::system;
    std::string message;
    int sys_errno = 0;
};

inline Error make_error(Errc code, std::string message) {
    return Error{code, std::move(message), 0};
}

// errno-carrying error: "what: strerror(err)". err may be negative (libbpf style).
inline Error sys_error(int err, const std::string& what) {
    if (err < 0) {
        err = -err;
    }
    return Error{Errc::system, what + ": " + std::strerror(err), err};
}

template <typename T> class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {} // NOLINT: implicit by design
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {} // NOLINT

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : err_(std::move(error)), failed_(true) {} // NOLINT

    bool ok() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return ok(); }
    const Error& error() const& { return err_; }
    Error&& error() && { return std::move(err_); }

private:
    Error err_;
    bool failed_ = false;
};

using Status = Result<void>;

} // namespace colatrl

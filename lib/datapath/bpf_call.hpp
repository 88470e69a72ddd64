// SPDX-License-Identifier: GPL-2.0-or-later
// libbpf calls as the datapath's files make them: errors that carry the hint a
// user needs (privileges, kernel support), libbpf's log captured instead of
// printed (a verifier rejection shows its tail), and tc calls that add the
// kernel's extended-ACK text to their error. Internal to lib/datapath/.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"

#include <bpf/libbpf.h>

#include <string>

namespace colatrl {

// Kernel-internal ENOTSUPP; bpf() lets it escape for unsupported features.
inline constexpr int kEnotsupp = 524;

// "eth0", or "ifindex N" for an index without a name.
std::string ifname_of(int ifindex);

// Errors from bpf()/tc netlink with the hint a user needs for the common causes.
Error bpf_error(int err, const std::string& what);

// A close-on-exec duplicate of a BPF map or program fd; `what` names it in errors.
Result<UniqueFd> dup_bpf_fd(int fd, const char* what);

// Last max_lines lines of text (the end of a verifier log says why).
std::string log_tail(const std::string& text, int max_lines);

// Collects libbpf's messages into *sink while it lives.
class LogCapture {
public:
    explicit LogCapture(std::string* sink);
    ~LogCapture();
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

private:
    libbpf_print_fn_t prev_;
    std::string* prev_sink_;
};

// A tc call through libbpf: its warnings are kept (not printed) and the
// kernel's extack text is added to the error when the call fails.
class TcCall {
public:
    TcCall() : capture_(&log_) {}
    Error error(int err, const std::string& what) const;

private:
    std::string log_;
    LogCapture capture_;
};

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// The one NETLINK_ROUTE socket type (libnl-3 owns the socket: allocation,
// port id, connect, group membership) and the one request path: send a
// request built with nlmsg.hpp / rtnl_codec.hpp and read to its final answer
// (ACK, error with the kernel's extended-ACK text, or the end of a dump).
// Used by the monitor, KernelOps, the datapath's filter query and the CLI.
#pragma once

#include "base/result.hpp"
#include "model/netmodel.hpp"
#include "rtnl/nlmsg.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct nl_sock;

namespace colatrl {

// Owns one libnl-3 socket. Movable, not copyable.
class NlSocket {
public:
    NlSocket() = default;
    // A connected NETLINK_ROUTE socket; sequence checks and auto ACKs are ours.
    static Result<NlSocket> open();
    // open() for synchronous requests: blocking, extended ACKs on, and a
    // receive timeout so a lost answer cannot hang the caller.
    static Result<NlSocket> open_for_requests();

    int fd() const;
    explicit operator bool() const noexcept { return sock_ != nullptr; }

    Status set_nonblocking();
    // Receive buffer of `bytes`; tries SO_RCVBUFFORCE (root) before SO_RCVBUF,
    // which net.core.rmem_max caps.
    Status set_rcvbuf(int bytes);
    Status join_groups(std::initializer_list<int> groups);

    // Sends a request as it is (its sequence number included).
    Status send(const NlRequest& req);
    // One datagram from the kernel into `buf`; empty when it came from
    // elsewhere. Errors: Errc::timeout when nothing is there (non-blocking) or
    // the receive timeout passed; sys_errno ENOBUFS when the socket overran
    // and messages were lost; Errc::parse for a truncated datagram.
    Result<std::span<const uint8_t>> receive(std::span<uint8_t> buf);

    // Numbers and sends `req`, then reads until its final answer; every other
    // message answering it (a dump's entries, a GET's reply) goes to
    // `on_reply`. Errors carry `what` and the kernel's explanation.
    Status request(NlRequest req, const std::string& what,
                   const std::function<void(const NlMsg&)>& on_reply = {});

private:
    struct Deleter {
        void operator()(nl_sock* s) const noexcept;
    };
    std::unique_ptr<nl_sock, Deleter> sock_;
};

// The link called `name` in the caller's network namespace (ifindex, type,
// MTU, flags); Errc::not_found when there is none.
Result<Link> query_link(std::string_view name);
// tc filters under `parent` (e.g. a clsact hook) of ifindex, of any owner.
Result<size_t> count_tc_filters(int ifindex, uint32_t parent);

} // namespace colatrl

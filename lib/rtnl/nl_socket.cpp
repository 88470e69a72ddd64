// SPDX-License-Identifier: GPL-2.0-or-later
#include "rtnl/nl_socket.hpp"

#include "rtnl/rtnl_codec.hpp"

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <vector>

namespace colatrl {

namespace {

Error nl_error(int err, const std::string& what) {
    return make_error(Errc::system, what + ": " + nl_geterror(err));
}

// The same error, its message prefixed with what the caller was doing.
Error in(const std::string& what, Error e) {
    e.message = what + ": " + e.message;
    return e;
}

} // namespace

void NlSocket::Deleter::operator()(nl_sock* s) const noexcept {
    nl_socket_free(s);
}

Result<NlSocket> NlSocket::open() {
    NlSocket s;
    s.sock_.reset(nl_socket_alloc());
    if (!s.sock_) {
        return sys_error(ENOMEM, "netlink: nl_socket_alloc");
    }
    nl_socket_disable_seq_check(s.sock_.get());
    nl_socket_disable_auto_ack(s.sock_.get());
    if (int err = nl_connect(s.sock_.get(), NETLINK_ROUTE); err < 0) {
        return nl_error(err, "netlink: connecting NETLINK_ROUTE");
    }
    return s;
}

Result<NlSocket> NlSocket::open_for_requests() {
    auto s = open();
    if (!s) {
        return s;
    }
    const int fd = s->fd();
    const int one = 1;
    // Extended ACK: the kernel explains refusals ("Invalid prefsrc address").
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    timeval tv{5, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return s;
}

int NlSocket::fd() const {
    return sock_ ? nl_socket_get_fd(sock_.get()) : -1;
}

Status NlSocket::set_nonblocking() {
    if (int err = nl_socket_set_nonblocking(sock_.get()); err < 0) {
        return nl_error(err, "netlink: set non-blocking");
    }
    return {};
}

Status NlSocket::set_rcvbuf(int bytes) {
    if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) == 0) {
        return {};
    }
    if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) != 0) {
        return sys_error(errno, "netlink: SO_RCVBUF");
    }
    return {};
}

Status NlSocket::join_groups(std::initializer_list<int> groups) {
    for (int g : groups) {
        if (int err = nl_socket_add_membership(sock_.get(), g); err < 0) {
            return nl_error(err, "netlink: joining rtnetlink group " + std::to_string(g));
        }
    }
    return {};
}

Status NlSocket::send(const NlRequest& req) {
    if (!sock_) {
        return make_error(Errc::invalid_argument, "netlink: socket not open");
    }
    auto b = req.bytes();
    if (int err = nl_sendto(sock_.get(), const_cast<uint8_t*>(b.data()), b.size()); err < 0) {
        return nl_error(err, "netlink: sending request");
    }
    return {};
}

Result<std::span<const uint8_t>> NlSocket::receive(std::span<uint8_t> buf) {
    for (;;) {
        sockaddr_nl from{};
        socklen_t from_len = sizeof from;
        // MSG_TRUNC: the datagram's real length, so a cut one shows.
        const ssize_t n = recvfrom(fd(), buf.data(), buf.size(), MSG_TRUNC,
                                   reinterpret_cast<sockaddr*>(&from), &from_len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return Error{Errc::timeout, "netlink: nothing received", ETIMEDOUT};
        }
        if (n < 0) {
            return sys_error(errno, "netlink: receiving");
        }
        if (static_cast<size_t>(n) > buf.size()) {
            return make_error(Errc::parse, "netlink: truncated datagram");
        }
        if (from.nl_pid != 0) {
            return std::span<const uint8_t>{}; // only the kernel speaks to us
        }
        return std::span<const uint8_t>(buf.data(), static_cast<size_t>(n));
    }
}

Status NlSocket::request(NlRequest req, const std::string& what,
                         const std::function<void(const NlMsg&)>& on_reply) {
    req.set_seq(nl_socket_use_seq(sock_.get()));
    if (auto st = send(req); !st) {
        return in(what, std::move(st).error());
    }
    std::vector<uint8_t> buf(64 * 1024);
    for (;;) {
        auto got = receive(buf);
        if (!got && got.error().code == Errc::timeout) {
            return Error{Errc::timeout, what + ": no answer from the kernel", ETIMEDOUT};
        }
        if (!got) {
            return in(what, std::move(got).error());
        }
        bool bad = false;
        for (const auto& m : split_datagram(*got, bad)) {
            if (m.seq != req.seq()) {
                continue; // a late answer to an earlier, timed-out request
            }
            NlFinal f;
            switch (parse_final(m, f)) {
            case ParseStatus::malformed:
                return make_error(Errc::parse, what + ": malformed answer from the kernel");
            case ParseStatus::ok:
                if (f.error != 0) {
                    return final_error(f, what);
                }
                return {};
            case ParseStatus::skip:
                if (on_reply) {
                    on_reply(m);
                }
                break;
            }
        }
        if (bad) {
            return make_error(Errc::parse, what + ": malformed netlink answer");
        }
    }
}

Result<Link> query_link(std::string_view name) {
    auto sock = NlSocket::open_for_requests();
    if (!sock) {
        return std::move(sock).error();
    }
    std::optional<Link> found;
    const std::string what = "interface " + std::string(name);
    auto st = sock->request(get_link_request(name), what, [&](const NlMsg& m) {
        Link l;
        if (parse_link(m, l) == ParseStatus::ok) {
            found = std::move(l);
        }
    });
    if (!st) {
        return std::move(st).error();
    }
    if (!found) {
        return make_error(Errc::not_found, what + ": not in the kernel's answer");
    }
    return *found;
}

Result<size_t> count_tc_filters(int ifindex, uint32_t parent) {
    auto sock = NlSocket::open_for_requests();
    if (!sock) {
        return std::move(sock).error();
    }
    size_t n = 0;
    auto st = sock->request(tc_filter_dump_request(ifindex, parent),
                            "listing tc filters of ifindex " + std::to_string(ifindex),
                            [&](const NlMsg& m) {
                                uint32_t handle = 0;
                                if (parse_tc_filter(m, handle) == ParseStatus::ok && handle != 0) {
                                    ++n;
                                }
                            });
    if (!st) {
        return std::move(st).error();
    }
    return n;
}

} // namespace colatrl

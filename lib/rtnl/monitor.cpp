// SPDX-License-Identifier: GPL-2.0-or-later
#include "rtnl/monitor.hpp"

#include "sys/log.hpp"

#include <linux/rtnetlink.h>
#include <sys/epoll.h>

#include <cerrno>

namespace colatrl {

namespace {

NetlinkHandlers with_log(NetlinkHandlers h) {
    if (!h.on_log) {
        h.on_log = [](log::Level level, const std::string& text) {
            log::write(level, {}, "netlink: " + text);
        };
    }
    return h;
}

} // namespace

NetlinkMonitor::NetlinkMonitor(NetlinkHandlers handlers)
    : tracker_(with_log(std::move(handlers))), buf_(64 * 1024) {}

NetlinkMonitor::~NetlinkMonitor() {
    detach();
}

void NetlinkMonitor::detach() {
    io_.reset();
    retry_.reset();
    sock_ = NlSocket{};
    event_ = nullptr;
    tracker_.stop();
}

Status NetlinkMonitor::attach(sd_event* event, int rcvbuf_bytes) {
    detach();
    auto s = NlSocket::open();
    if (!s) {
        return std::move(s).error();
    }
    sock_ = std::move(s.value());
    if (auto st = sock_.set_nonblocking(); !st) {
        return st;
    }
    // A dump of a busy host plus a burst of events must fit; overruns still
    // recover (re-dump), they are just expensive.
    if (auto st = sock_.set_rcvbuf(rcvbuf_bytes); !st) {
        log::write(log::warning, {}, st.error().message);
    }
    // Subscribe before dumping, so no change can fall between the two.
    if (auto st = sock_.join_groups({RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
                                     RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_ND_USEROPT,
                                     RTNLGRP_IPV6_IFINFO, RTNLGRP_IPV6_PREFIX});
        !st) {
        return st;
    }
    auto io = add_io(event, sock_.fd(), EPOLLIN, &NetlinkMonitor::on_io, this, "netlink-monitor");
    if (!io) {
        return std::move(io).error();
    }
    io_ = std::move(*io);
    event_ = event;
    tracker_.start();
    pump();
    return {};
}

void NetlinkMonitor::request_resync() {
    tracker_.resync();
    pump();
}

int NetlinkMonitor::on_io(sd_event_source*, int, uint32_t, void* userdata) {
    auto* self = static_cast<NetlinkMonitor*>(userdata);
    self->read_all();
    self->pump();
    return 0;
}

int NetlinkMonitor::on_retry(sd_event_source*, uint64_t, void* userdata) {
    auto* self = static_cast<NetlinkMonitor*>(userdata);
    self->retry_.reset();
    self->tracker_.retry_due();
    self->pump();
    return 0;
}

void NetlinkMonitor::read_all() {
    // Bounded so a flood of events cannot starve the rest of the loop; epoll
    // is level-triggered and calls again.
    for (int i = 0; i < 256 && sock_; ++i) {
        auto got = sock_.receive(buf_);
        if (got) {
            tracker_.feed(*got);
            continue;
        }
        const Error& e = got.error();
        if (e.code == Errc::timeout) {
            return; // drained
        }
        if (e.sys_errno == ENOBUFS) {
            tracker_.overrun();
        } else if (e.code == Errc::parse) {
            log::write(log::warning, {}, e.message + ", dumping everything again");
            tracker_.resync();
        } else {
            log::write(log::err, {}, e.message);
            return;
        }
    }
}

// Sends what the tracker asks for and keeps its retry timer armed while it
// waits for one.
void NetlinkMonitor::pump() {
    if (!sock_) {
        return;
    }
    while (auto req = tracker_.next_request()) {
        if (auto st = sock_.send(*req); !st) {
            tracker_.send_failed(st.error().message);
        }
    }
    const auto delay = tracker_.retry_delay();
    if (!delay) {
        retry_.reset();
        return;
    }
    if (retry_) {
        return; // armed already
    }
    auto t = timer_after(event_, *delay, &NetlinkMonitor::on_retry, this, "netlink-dump-retry");
    if (!t) {
        log::write(log::err, {}, t.error().message);
        return;
    }
    retry_ = std::move(*t);
}

} // namespace colatrl

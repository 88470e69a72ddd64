// SPDX-License-Identifier: GPL-2.0-or-later
// colatrl-test-tunrelay: a raw-IP point-to-point link between two network
// namespaces for test topologies, the shape of a WWAN modem's link
// (ARPHRD_NONE, IFF_POINTOPOINT|IFF_NOARP, no link-layer header).
//
// Usage: colatrl-test-tunrelay NS_A:IF_A NS_B:IF_B
// NS is a name under /run/netns (as `ip netns add` makes them). In each
// namespace the tool attaches to tun device IF (created there if it does not
// exist, e.g. beforehand with `ip tuntap add mode tun name IF`) and then
// copies every packet read from one device to the other. While it runs both
// devices have carrier; when it exits (SIGTERM/SIGINT: exit 0) they lose it.
// Test tool only: not installed.
#include "base/unique_fd.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace colatrl {
namespace {

struct End {
    std::string ns;
    std::string ifname;
};

bool parse_end(std::string_view arg, End& out) {
    const auto colon = arg.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == arg.size() ||
        arg.size() - colon - 1 >= IFNAMSIZ) {
        return false;
    }
    out.ns = std::string(arg.substr(0, colon));
    out.ifname = std::string(arg.substr(colon + 1));
    return out.ns.find('/') == std::string::npos;
}

void fail(const std::string& what) {
    std::fprintf(stderr, "colatrl-test-tunrelay: %s: %s\n", what.c_str(), std::strerror(errno));
}

// Opens tun device `end.ifname` inside namespace `end.ns`: the device belongs
// to the namespace the process is in at TUNSETIFF, the fd works from anywhere.
UniqueFd open_tun(const End& end, int home_ns) {
    const std::string path = "/run/netns/" + end.ns;
    UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) {
        fail("opening " + path);
        return {};
    }
    if (::setns(ns.get(), CLONE_NEWNET) != 0) {
        fail("entering " + path);
        return {};
    }
    UniqueFd tun(::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, end.ifname.c_str(), IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI; // raw IP, no packet-info header
    if (!tun.valid()) {
        fail("opening /dev/net/tun");
    } else if (::ioctl(tun.get(), TUNSETIFF, &ifr) != 0) {
        fail("attaching to " + end.ifname + " in " + end.ns);
        tun = UniqueFd();
    }
    if (::setns(home_ns, CLONE_NEWNET) != 0) {
        fail("returning to the first namespace");
        return {};
    }
    return tun;
}

// Copies what is queued on `from` to `to`. A packet the other side cannot take
// now (its queue is full, or it is down) is dropped, as on a real link.
bool relay(int from, int to) {
    std::array<unsigned char, 65536> buf;
    for (;;) {
        const ssize_t n = ::read(from, buf.data(), buf.size());
        if (n < 0) {
            return errno == EAGAIN || errno == EINTR;
        }
        if (n > 0 && ::write(to, buf.data(), static_cast<size_t>(n)) < 0 && errno != EAGAIN &&
            errno != EIO && errno != ENOBUFS && errno != EINVAL) {
            fail("writing");
            return false;
        }
    }
}

int run(const End& a, const End& b) {
    UniqueFd home(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!home.valid()) {
        fail("opening /proc/self/ns/net");
        return 1;
    }
    UniqueFd ta = open_tun(a, home.get());
    UniqueFd tb = ta.valid() ? open_tun(b, home.get()) : UniqueFd();
    if (!ta.valid() || !tb.valid()) {
        return 1;
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    if (::sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) {
        fail("blocking signals");
        return 1;
    }
    UniqueFd sig(::signalfd(-1, &mask, SFD_CLOEXEC));
    if (!sig.valid()) {
        fail("signalfd");
        return 1;
    }
    std::printf("relaying %s:%s <-> %s:%s\n", a.ns.c_str(), a.ifname.c_str(), b.ns.c_str(),
                b.ifname.c_str());
    std::fflush(stdout);
    std::array<pollfd, 3> fds{
        {{ta.get(), POLLIN, 0}, {tb.get(), POLLIN, 0}, {sig.get(), POLLIN, 0}}};
    for (;;) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("poll");
            return 1;
        }
        if (fds[2].revents != 0) {
            return 0;
        }
        if ((fds[0].revents | fds[1].revents) & (POLLERR | POLLHUP | POLLNVAL)) {
            std::fprintf(stderr, "colatrl-test-tunrelay: a device went away\n");
            return 1;
        }
        if ((fds[0].revents & POLLIN) != 0 && !relay(ta.get(), tb.get())) {
            return 1;
        }
        if ((fds[1].revents & POLLIN) != 0 && !relay(tb.get(), ta.get())) {
            return 1;
        }
    }
}

} // namespace
} // namespace colatrl

int main(int argc, char** argv) {
    colatrl::End a;
    colatrl::End b;
    if (argc != 3 || !colatrl::parse_end(argv[1], a) || !colatrl::parse_end(argv[2], b)) {
        std::fputs("usage: colatrl-test-tunrelay NS_A:IF_A NS_B:IF_B\n", stderr);
        return 2;
    }
    return colatrl::run(a, b);
}

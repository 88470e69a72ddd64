// SPDX-License-Identifier: GPL-2.0-or-later
// Entry point of bpf_packet_tests: enter a private network namespace, load
// the programs, then run the Catch2 tests (selected by tag on the command line).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

// glibc's <net/if.h> must come before <linux/if.h> (pulled in by libbpf).
#include <net/if.h>

#include "harness.hpp"

#include <bpf/libbpf.h>

#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace {

constexpr int kSkip = 77;

// Verifier logs and load errors are wanted on stderr; libbpf's debug chatter is not.
__attribute__((format(printf, 2, 0))) int libbpf_print(enum libbpf_print_level level,
                                                       const char* fmt, va_list args) {
    if (level == LIBBPF_DEBUG) {
        return 0;
    }
    return std::vfprintf(stderr, fmt, args);
}

bool loopback_up() {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    bool ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
    if (ok) {
        ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
        ok = ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
    }
    close(fd);
    return ok;
}

} // namespace

int main(int argc, char* argv[]) {
    // A private namespace: ifindex 1 is our own loopback, and anything a test
    // creates (tun devices, routes) disappears with the process.
    if (unshare(CLONE_NEWNET) != 0) {
        std::fprintf(stderr, "SKIP: cannot create a network namespace (%s); run as root\n",
                     std::strerror(errno));
        return kSkip;
    }
    if (!loopback_up()) {
        std::fprintf(stderr, "bring up lo in the test namespace failed: %s\n",
                     std::strerror(errno));
        return 1;
    }
    // The [tun] tests need /dev/net/tun; without it they cannot say anything.
    for (int i = 1; i < argc; ++i) {
        if (std::strstr(argv[i], "[tun]") != nullptr && access("/dev/net/tun", R_OK | W_OK) != 0) {
            std::fprintf(stderr, "SKIP: /dev/net/tun not available (%s)\n", std::strerror(errno));
            return kSkip;
        }
    }
    libbpf_set_print(libbpf_print);
    auto st = colatrl::test::Harness::init();
    if (!st) {
        if (st.error().code == colatrl::Errc::unsupported) {
            std::fprintf(stderr, "SKIP: %s\n", st.error().message.c_str());
            return kSkip;
        }
        std::fprintf(stderr, "FAIL: %s\n", st.error().message.c_str());
        return 1;
    }
    return Catch::Session().run(argc, argv);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Namespace fixture for Catch2 tests that need a real kernel: the test
// process moves itself into a private network namespace (so nothing it does
// can touch the machine's interfaces), and a "peer" namespace is held by a
// child process that dies with the test (PR_SET_PDEATHSIG), so both vanish on
// any exit, also a crash. Without root the test prints SKIP and exits 77.
#pragma once

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <systemd/sd-event.h>
#include <unistd.h>

namespace colatrl::test {

[[noreturn]] inline void skip(const std::string& why) {
    std::fprintf(stderr, "SKIP: %s\n", why.c_str());
    std::fflush(stderr);
    std::_Exit(77);
}

// Runs a shell command in the test's namespace; returns its exit status.
inline int sh(const std::string& cmd) {
    const int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Runs a command and returns its stdout.
inline std::string out(const std::string& cmd) {
    std::string text;
    FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
    if (p == nullptr) {
        return text;
    }
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) {
        text.append(buf.data(), n);
    }
    ::pclose(p);
    return text;
}

// Moves this process into a fresh network namespace, once.
inline void enter_private_netns() {
    static bool done = false;
    if (done) {
        return;
    }
    if (::geteuid() != 0) {
        skip("needs root (network namespaces)");
    }
    if (::unshare(CLONE_NEWNET) != 0) {
        skip("cannot create a network namespace");
    }
    if (sh("ip link set lo up") != 0) {
        skip("iproute2 'ip' not usable");
    }
    // New interfaces here skip DAD, so link-locals are usable at once.
    sh("sysctl -qw net.ipv6.conf.default.accept_dad=0");
    done = true;
}

// A second namespace held by a child; commands run there through nsenter.
class PeerNs {
public:
    PeerNs() {
        int p[2];
        if (::pipe(p) != 0) {
            skip("pipe failed");
        }
        pid_ = ::fork();
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            char ok = ::unshare(CLONE_NEWNET) == 0 ? 1 : 0;
            (void)!::write(p[1], &ok, 1);
            for (;;) {
                ::pause();
            }
        }
        ::close(p[1]);
        char ok = 0;
        if (::read(p[0], &ok, 1) != 1 || ok != 1) {
            skip("cannot create the peer namespace");
        }
        ::close(p[0]);
        path_ = "/proc/" + std::to_string(pid_) + "/ns/net";
        run("ip link set lo up");
        run("sysctl -qw net.ipv6.conf.default.accept_dad=0");
    }
    ~PeerNs() {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    PeerNs(const PeerNs&) = delete;
    PeerNs& operator=(const PeerNs&) = delete;

    const std::string& path() const { return path_; }
    std::string prefix() const { return "nsenter --net=" + path_ + " "; }
    int run(const std::string& cmd) const { return sh(prefix() + cmd); }
    std::string output(const std::string& cmd) const { return out(prefix() + cmd); }

    // Runs `fn` in the peer namespace (in a forked child); returns its exit code.
    int in_ns(const std::function<int()>& fn) const {
        const pid_t c = ::fork();
        if (c == 0) {
            const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
                std::_Exit(125);
            }
            std::_Exit(fn());
        }
        int status = 0;
        ::waitpid(c, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

private:
    pid_t pid_ = -1;
    std::string path_;
};

// A veth pair: `ours` in the test namespace, `theirs` in the peer namespace.
class Veth {
public:
    Veth(const PeerNs& peer, std::string ours, std::string theirs)
        : ours_(std::move(ours)), theirs_(std::move(theirs)) {
        if (sh("ip link add " + ours_ + " type veth peer name " + theirs_ + " netns " +
               peer.path()) != 0) {
            skip("cannot create a veth pair");
        }
    }
    ~Veth() { sh("ip link del " + ours_); }
    Veth(const Veth&) = delete;
    Veth& operator=(const Veth&) = delete;

private:
    std::string ours_;
    std::string theirs_;
};

// Runs the loop until `done()` or the timeout; returns done().
inline bool run_until(sd_event* e, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) {
            return false;
        }
        sd_event_run(e, 20000);
    }
    return true;
}

struct EventLoop {
    sd_event* e = nullptr;
    EventLoop() {
        if (sd_event_new(&e) < 0) {
            skip("sd_event_new failed");
        }
    }
    ~EventLoop() { sd_event_unref(e); }
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;
};

} // namespace colatrl::test

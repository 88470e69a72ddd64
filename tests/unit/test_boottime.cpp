// SPDX-License-Identifier: GPL-2.0-or-later
// Lifetimes run on CLOCK_BOOTTIME, which goes on during a suspend while
// CLOCK_MONOTONIC (std::chrono::steady_clock) stops. A time namespace whose
// CLOCK_BOOTTIME is 10 days ahead of CLOCK_MONOTONIC is what a machine looks
// like after 10 days of suspend: there the model's Clock must read the boot
// time, and a timer armed for a model time point (lib/sys/event.hpp
// timer_at) must fire at that point, neither at once nor 10 days late.
// Needs CAP_SYS_ADMIN for the namespace: otherwise SKIP (exit 77).
#include "model/netmodel.hpp"
#include "sys/event.hpp"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>

using namespace colatrl;
using namespace std::chrono_literals;

namespace {

constexpr auto kSuspended = std::chrono::hours(24 * 10);

int fail(const char* what) {
    std::fprintf(stderr, "FAIL: %s\n", what);
    return 1;
}

std::chrono::nanoseconds read(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

struct TimerRun {
    Clock::time_point deadline;
    Clock::time_point fired_at{};
    bool fired = false;
    bool guard = false;
};

int on_deadline(sd_event_source* s, uint64_t, void* userdata) {
    auto* run = static_cast<TimerRun*>(userdata);
    run->fired = true;
    run->fired_at = Clock::now();
    return sd_event_exit(sd_event_source_get_event(s), 0);
}

int on_guard(sd_event_source* s, uint64_t, void* userdata) {
    static_cast<TimerRun*>(userdata)->guard = true;
    return sd_event_exit(sd_event_source_get_event(s), 0);
}

// Runs inside the namespace.
int check() {
    const auto gap = read(CLOCK_BOOTTIME) - read(CLOCK_MONOTONIC);
    if (gap < kSuspended - 1h) {
        return fail("the time namespace has no boot time offset");
    }
    // The model's clock is the boot time, not the monotonic time.
    const auto model = Clock::now().time_since_epoch();
    const auto boot = read(CLOCK_BOOTTIME);
    if (model < boot - 1s || model > boot + 1s) {
        return fail("Clock::now() is not CLOCK_BOOTTIME");
    }
    const auto steady = std::chrono::steady_clock::now().time_since_epoch();
    if (model - steady < kSuspended - 1h) {
        return fail("Clock::now() follows CLOCK_MONOTONIC");
    }
    // Model time <-> sd-event time round trip (microsecond resolution).
    const auto t = Clock::now();
    const auto back = from_event_usec(to_event_usec(t));
    if (back > t || t - back >= 1us) {
        return fail("to_event_usec/from_event_usec do not round-trip");
    }
    // A lifetime timer 200 ms ahead in model time fires then.
    auto loop = new_event_loop();
    if (!loop) {
        return fail(loop.error().message.c_str());
    }
    TimerRun run;
    run.deadline = Clock::now() + 200ms;
    auto timer = timer_at(loop->get(), run.deadline, on_deadline, &run, "test-deadline");
    auto guard = timer_after(loop->get(), 10s, on_guard, &run, "test-guard");
    if (!timer || !guard) {
        return fail("cannot arm the timers");
    }
    if (sd_event_loop(loop->get()) < 0) {
        return fail("sd_event_loop");
    }
    if (!run.fired || run.guard) {
        return fail("the lifetime timer did not fire within 10 s");
    }
    if (run.fired_at < run.deadline) {
        return fail("the lifetime timer fired before its model time");
    }
    std::printf("ok: Clock is CLOCK_BOOTTIME; timer_at fired %lld ms after its deadline\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           run.fired_at - run.deadline)
                                           .count()));
    return 0;
}

} // namespace

int main() {
    const pid_t child = fork();
    if (child < 0) {
        return fail("fork");
    }
    if (child == 0) {
        // The offsets apply to processes that enter the namespace: the
        // grandchild.
        if (unshare(CLONE_NEWTIME) != 0) {
            std::fprintf(stderr, "SKIP: no time namespace (%s)\n", std::strerror(errno));
            _exit(77);
        }
        {
            std::ofstream off("/proc/self/timens_offsets");
            off << "boottime " << std::chrono::seconds(kSuspended).count() << " 0\n";
            off.flush();
            if (!off) {
                std::fprintf(stderr, "SKIP: cannot set time namespace offsets\n");
                _exit(77);
            }
        }
        const pid_t inner = fork();
        if (inner < 0) {
            _exit(fail("fork"));
        }
        if (inner == 0) {
            const int rc = check();
            std::fflush(stdout);
            std::fflush(stderr);
            _exit(rc);
        }
        int st = 0;
        waitpid(inner, &st, 0);
        _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
    }
    int st = 0;
    waitpid(child, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

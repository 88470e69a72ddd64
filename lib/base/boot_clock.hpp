// SPDX-License-Identifier: GPL-2.0-or-later
// The clock of every lifetime colatrld keeps (RA PREF64, RFC 8781 §4; the
// DNS64 answer's TTL, RFC 7050 §3): CLOCK_BOOTTIME, which, unlike
// CLOCK_MONOTONIC (std::chrono::steady_clock), keeps counting while the
// machine is suspended, so a lifetime that ran out during a suspend is over
// at resume. Its time points are nanoseconds since boot; lib/sys/event.hpp
// turns them into sd-event timers on the same clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>

namespace colatrl {

struct BootClock {
    using duration = std::chrono::nanoseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<BootClock>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept {
        timespec ts{};
        // Cannot fail for a valid clock id and pointer.
        (void)clock_gettime(CLOCK_BOOTTIME, &ts);
        return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
    }
};

} // namespace colatrl

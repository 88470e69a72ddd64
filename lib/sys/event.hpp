// SPDX-License-Identifier: GPL-2.0-or-later
// sd-event glue shared by every module with event sources: RAII owners for
// the loop and its sources, checked constructors that name the source (its
// sd-event description) in their errors, and the one conversion between
// model time (BootClock, lib/base/boot_clock.hpp) and sd-event time.
//
// Two kinds of timers:
//  - timer_at(): a point in model time, on CLOCK_BOOTTIME. Lifetimes (RA
//    PREF64, DNS64 TTL) and what follows from them, so a suspend counts.
//  - timer_after(): an interval of activity on CLOCK_MONOTONIC (DAD
//    retransmissions, query timeouts, retry back-off, polling), which a
//    suspend must not shorten.
#pragma once

#include "base/boot_clock.hpp"
#include "base/result.hpp"

#include <systemd/sd-event.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace colatrl {

struct EventLoopUnref {
    void operator()(sd_event* e) const noexcept { sd_event_unref(e); }
};
using EventLoopPtr = std::unique_ptr<sd_event, EventLoopUnref>;

// Disables the source before dropping it, so a source still referenced
// elsewhere (sd-event keeps one while dispatching) never fires again.
struct EventSourceUnref {
    void operator()(sd_event_source* s) const noexcept { sd_event_source_disable_unref(s); }
};
using EventSource = std::unique_ptr<sd_event_source, EventSourceUnref>;

inline constexpr clockid_t kLifetimeClock = CLOCK_BOOTTIME;
inline constexpr clockid_t kIntervalClock = CLOCK_MONOTONIC;

// Model time <-> sd-event usec on kLifetimeClock (both count from boot).
uint64_t to_event_usec(BootClock::time_point t);
BootClock::time_point from_event_usec(uint64_t usec);

Result<EventLoopPtr> new_event_loop();

// Each returns the enabled source, or an error "WHAT: sd_event_add_...".
Result<EventSource> timer_at(sd_event* e, BootClock::time_point when, sd_event_time_handler_t cb,
                             void* userdata, const char* what,
                             std::chrono::microseconds accuracy = std::chrono::microseconds{0});
Result<EventSource> timer_after(sd_event* e, std::chrono::microseconds after,
                                sd_event_time_handler_t cb, void* userdata, const char* what,
                                std::chrono::microseconds accuracy = std::chrono::microseconds{0});
Result<EventSource> add_io(sd_event* e, int fd, uint32_t events, sd_event_io_handler_t cb,
                           void* userdata, const char* what);
Result<EventSource> add_defer(sd_event* e, sd_event_handler_t cb, void* userdata, const char* what);
Result<EventSource> add_signal(sd_event* e, int sig, sd_event_signal_handler_t cb, void* userdata,
                               const char* what);

// Re-arms a timer source `after` from now on its own clock and enables it once.
Status rearm_after(sd_event_source* s, std::chrono::microseconds after);
// sd_event_source_set_enabled with the source's description in the error.
Status set_enabled(sd_event_source* s, int enabled);

} // namespace colatrl

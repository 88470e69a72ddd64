// SPDX-License-Identifier: GPL-2.0-or-later
#include "sys/event.hpp"

namespace colatrl {

namespace {

std::string name_of(sd_event_source* s) {
    const char* d = nullptr;
    if (s != nullptr && sd_event_source_get_description(s, &d) >= 0 && d != nullptr) {
        return d;
    }
    return "event source";
}

// Names the new source (for errors and debugging) and hands it over.
Result<EventSource> adopt(int r, sd_event_source* s, const char* what, const char* call) {
    if (r < 0) {
        return sys_error(r, std::string(what) + ": " + call);
    }
    EventSource src(s);
    (void)sd_event_source_set_description(s, what); // a name only; cannot matter
    return src;
}

uint64_t usec(std::chrono::microseconds d) {
    return d.count() < 0 ? 0 : static_cast<uint64_t>(d.count());
}

} // namespace

uint64_t to_event_usec(BootClock::time_point t) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
    return usec(us);
}

BootClock::time_point from_event_usec(uint64_t u) {
    return BootClock::time_point(std::chrono::microseconds(u));
}

Result<EventLoopPtr> new_event_loop() {
    sd_event* e = nullptr;
    if (int r = sd_event_new(&e); r < 0) {
        return sys_error(r, "sd_event_new");
    }
    return EventLoopPtr(e);
}

Result<EventSource> timer_at(sd_event* e, BootClock::time_point when, sd_event_time_handler_t cb,
                             void* userdata, const char* what, std::chrono::microseconds accuracy) {
    sd_event_source* s = nullptr;
    const int r =
        sd_event_add_time(e, &s, kLifetimeClock, to_event_usec(when), usec(accuracy), cb, userdata);
    return adopt(r, s, what, "sd_event_add_time");
}

Result<EventSource> timer_after(sd_event* e, std::chrono::microseconds after,
                                sd_event_time_handler_t cb, void* userdata, const char* what,
                                std::chrono::microseconds accuracy) {
    sd_event_source* s = nullptr;
    const int r = sd_event_add_time_relative(e, &s, kIntervalClock, usec(after), usec(accuracy), cb,
                                             userdata);
    return adopt(r, s, what, "sd_event_add_time_relative");
}

Result<EventSource> add_io(sd_event* e, int fd, uint32_t events, sd_event_io_handler_t cb,
                           void* userdata, const char* what) {
    sd_event_source* s = nullptr;
    const int r = sd_event_add_io(e, &s, fd, events, cb, userdata);
    return adopt(r, s, what, "sd_event_add_io");
}

Result<EventSource> add_defer(sd_event* e, sd_event_handler_t cb, void* userdata,
                              const char* what) {
    sd_event_source* s = nullptr;
    const int r = sd_event_add_defer(e, &s, cb, userdata);
    return adopt(r, s, what, "sd_event_add_defer");
}

Result<EventSource> add_signal(sd_event* e, int sig, sd_event_signal_handler_t cb, void* userdata,
                               const char* what) {
    sd_event_source* s = nullptr;
    const int r = sd_event_add_signal(e, &s, sig, cb, userdata);
    return adopt(r, s, what, "sd_event_add_signal");
}

Status rearm_after(sd_event_source* s, std::chrono::microseconds after) {
    if (int r = sd_event_source_set_time_relative(s, usec(after)); r < 0) {
        return sys_error(r, name_of(s) + ": sd_event_source_set_time_relative");
    }
    return set_enabled(s, SD_EVENT_ONESHOT);
}

Status set_enabled(sd_event_source* s, int enabled) {
    if (int r = sd_event_source_set_enabled(s, enabled); r < 0) {
        return sys_error(r, name_of(s) + ": sd_event_source_set_enabled");
    }
    return {};
}

} // namespace colatrl

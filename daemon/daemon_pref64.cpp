// SPDX-License-Identifier: GPL-2.0-or-later
// PREF64 sources into the model: RA PREF64 options (RFC 8781) from the
// netlink monitor, and RFC 7050 discovery, run only while lib/model/report
// says it is wanted.
#include "daemon.hpp"

#include "dns64/dns64_resolver.hpp"
#include "model/report.hpp"
#include "pref64/pref64_option.hpp"
#include "sys/log.hpp"

namespace colatrl {

void Daemon::on_nd_useropt(int ifindex, const Ipv6Addr& router, std::span<const uint8_t> option) {
    // The RA carrying it may also have moved the link's IPv6 MTU (its MTU
    // option is handled by the kernel before the options reach us).
    mark_dirty(refresh_ipv6_mtu(ifindex));
    if (option.empty() || option[0] != kNdOptPref64) {
        return;
    }
    auto p = parse_pref64_option(option);
    if (!p) {
        log::write(log::debug, name_of(ifindex),
                   "ignoring PREF64 option from " + router.str() + ": " + p.error().message);
        return;
    }
    const bool changed =
        model_.update_ra_pref64(ifindex, router, p->prefix, p->lifetime, Clock::now());
    if (changed && log::enabled(log::debug)) {
        log::write(log::debug, name_of(ifindex),
                   "RA PREF64 " + p->prefix.str() + " lifetime " +
                       std::to_string(p->lifetime.count()) + " s from " + router.str());
    }
    mark_dirty(changed);
}

void Daemon::update_resolver(const DesiredState& next) {
    const auto wanted = dns64_wanted(next, config_);
    if (!wanted) {
        if (resolver_->active()) {
            resolver_->stop();
        }
        resolver_signature_.clear();
        return;
    }
    if (!resolver_->active() || *wanted != resolver_signature_) {
        resolver_signature_ = *wanted;
        resolver_->restart(); // new network: ask again
    }
}

void Daemon::on_dns64(std::optional<Dns64Pref64> result, const std::string& why) {
    if (why != last_dns64_why_) {
        log::write(result ? log::info : log::notice, {}, why);
        last_dns64_why_ = why;
    }
    if (!resolver_->active()) {
        // Discovery stopped by itself (an event source failed): the next
        // converge restarts it, after the back-off.
        arm_retry();
        return;
    }
    if (result) {
        // A negative answer or a timeout leaves a cached prefix to its TTL.
        const bool changed = !model_.dns64 || !(*model_.dns64 == *result);
        model_.dns64 = result;
        mark_dirty(changed);
    }
}

} // namespace colatrl

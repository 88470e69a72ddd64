// SPDX-License-Identifier: GPL-2.0-or-later
// The one reader of /proc/sys (never a writer): the per-interface IPv6
// settings colatrld and colatrlctl follow. Interface names are checked with
// check_ifname (lib/base/ifname.hpp) before they become part of a path.
#pragma once

#include "base/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace colatrl {

// How the kernel treats RAs on a link: net.ipv6.conf.IF.{accept_ra,forwarding}.
struct RaAcceptance {
    long accept_ra = 0;
    long forwarding = 0;
    bool accepts() const { return accept_ra == 2 || (accept_ra == 1 && forwarding == 0); }
};

// A one-line warning when RAs (and so RA PREF64 options, RFC 8781) are not
// processed on `ifname`; nullopt when they are.
std::optional<std::string> accept_ra_warning(std::string_view ifname, const RaAcceptance& ra);

class ProcSys {
public:
    // `root` is /proc/sys; tests point it at a directory of their own.
    explicit ProcSys(std::string root = "/proc/sys") : root_(std::move(root)) {}

    // net.ipv6.conf.IF.KEY and net.ipv6.neigh.IF.KEY as integers.
    Result<long> ipv6_conf(std::string_view ifname, std::string_view key) const;
    Result<long> ipv6_neigh(std::string_view ifname, std::string_view key) const;

    // net.ipv6.conf.IF.mtu: the IPv6 MTU of the link, which an RA MTU option
    // (RFC 4861 §4.6.4) lowers without any netlink event.
    Result<uint32_t> ipv6_mtu(std::string_view ifname) const;
    Result<RaAcceptance> ra_acceptance(std::string_view ifname) const;

private:
    Result<long> read_long(std::string_view dir, std::string_view ifname,
                           std::string_view key) const;
    std::string root_;
};

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
#include "sys/procsys.hpp"

#include "base/ifname.hpp"

#include <cerrno>
#include <fstream>
#include <limits>

namespace colatrl {

Result<long> ProcSys::read_long(std::string_view dir, std::string_view ifname,
                                std::string_view key) const {
    if (auto s = check_ifname(ifname); !s) {
        return std::move(s).error();
    }
    const std::string path =
        root_ + "/" + std::string(dir) + "/" + std::string(ifname) + "/" + std::string(key);
    std::ifstream f(path);
    if (!f) {
        return sys_error(errno != 0 ? errno : ENOENT, "reading " + path);
    }
    long v = 0;
    if (!(f >> v)) {
        return make_error(Errc::parse, "reading " + path + ": not a number");
    }
    return v;
}

Result<long> ProcSys::ipv6_conf(std::string_view ifname, std::string_view key) const {
    return read_long("net/ipv6/conf", ifname, key);
}

Result<long> ProcSys::ipv6_neigh(std::string_view ifname, std::string_view key) const {
    return read_long("net/ipv6/neigh", ifname, key);
}

Result<uint32_t> ProcSys::ipv6_mtu(std::string_view ifname) const {
    auto v = ipv6_conf(ifname, "mtu");
    if (!v) {
        return std::move(v).error();
    }
    if (*v <= 0 || *v > std::numeric_limits<uint32_t>::max()) {
        return make_error(Errc::parse, "net.ipv6.conf." + std::string(ifname) +
                                           ".mtu out of range: " + std::to_string(*v));
    }
    return static_cast<uint32_t>(*v);
}

Result<RaAcceptance> ProcSys::ra_acceptance(std::string_view ifname) const {
    auto ra = ipv6_conf(ifname, "accept_ra");
    if (!ra) {
        return std::move(ra).error();
    }
    auto fwd = ipv6_conf(ifname, "forwarding");
    if (!fwd) {
        return std::move(fwd).error();
    }
    return RaAcceptance{*ra, *fwd};
}

std::optional<std::string> accept_ra_warning(std::string_view ifname, const RaAcceptance& r) {
    if (r.accepts()) {
        return std::nullopt;
    }
    const std::string n(ifname);
    return n + " does not process Router Advertisements (accept_ra=" + std::to_string(r.accept_ra) +
           ", forwarding=" + std::to_string(r.forwarding) +
           "): PREF64 from RAs will not be seen there; net.ipv6.conf." + n +
           ".accept_ra=" + (r.forwarding != 0 ? "2" : "1") + " would enable it";
}

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// Datapath and rtnetlink half of RealApplyOps (the ND half is in
// applier_ops_nd.cpp).
#include "apply/applier_ops.hpp"

#include "datapath/datapath.hpp"
#include "rtnl/kernel_ops.hpp"

#include <cerrno>

namespace colatrl {

namespace {
// The link vanished: what we had on it went with it.
bool gone(const Status& s) {
    return !s && (s.error().sys_errno == ENODEV || s.error().code == Errc::not_found);
}
} // namespace

Status RealApplyOps::set_config(int ifindex, const colatrl_config& cfg) {
    return datapath_.set_config(ifindex, cfg);
}

Status RealApplyOps::remove_config(int ifindex) {
    auto s = datapath_.remove_config(ifindex);
    if (!s && s.error().code == Errc::not_found) {
        return {};
    }
    return s;
}

Status RealApplyOps::set_previous_config(int ifindex, const colatrl_config& cfg) {
    return datapath_.set_previous_config(ifindex, cfg);
}

Status RealApplyOps::remove_previous_config(int ifindex) {
    return datapath_.remove_previous_config(ifindex);
}

Status RealApplyOps::reset_counters(uint32_t slot) {
    return datapath_.reset_counters(slot);
}

Status RealApplyOps::attach(int ifindex, uint16_t arphrd) {
    return datapath_.attach(ifindex, arphrd);
}

Status RealApplyOps::detach(int ifindex) {
    auto s = datapath_.detach(ifindex);
    return gone(s) ? Status{} : s;
}

Status RealApplyOps::add_addr4(int ifindex, const std::string& ifname, const Ipv4Addr& a) {
    return kernel_.add_clat_addr4(ifindex, ifname, a);
}

Status RealApplyOps::del_addr4(int ifindex, const std::string& ifname, const Ipv4Addr& a) {
    auto s = kernel_.del_clat_addr4(ifindex, ifname, a);
    return gone(s) ? Status{} : s;
}

Status RealApplyOps::replace_route4(const Route4Spec& r) {
    ClatRoute4 route;
    route.ifindex = r.ifindex;
    route.ifname = r.ifname;
    route.gateway = r.gateway;
    route.src = r.src;
    route.mtu = r.mtu;
    route.metric = r.metric;
    return kernel_.replace_clat_route4(route);
}

Status RealApplyOps::del_route4(int ifindex, const std::string& ifname, uint32_t metric) {
    auto s = kernel_.del_clat_route4(ifindex, ifname, metric);
    return gone(s) ? Status{} : s;
}

} // namespace colatrl

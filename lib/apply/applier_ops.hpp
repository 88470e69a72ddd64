// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel side of ApplyOps: datapath maps and tc attachment (Datapath),
// the CLAT /32 and the IPv4 route (KernelOps), DAD probes and anycast claims
// (nd.hpp). DAD results come back through a callback from the event loop.
#pragma once

#include "apply/applier.hpp"

#include <functional>
#include <memory>

struct sd_event;

namespace colatrl {

class Datapath;
class KernelOps;

class RealApplyOps final : public ApplyOps {
public:
    using DadResult = std::function<void(int ifindex, const Ipv6Addr& addr, DadStatus status,
                                         const std::string& detail)>;

    RealApplyOps(sd_event* event, Datapath& datapath, KernelOps& kernel, DadResult on_dad);
    ~RealApplyOps() override;
    RealApplyOps(const RealApplyOps&) = delete;
    RealApplyOps& operator=(const RealApplyOps&) = delete;

    Status start_dad(int ifindex, const Ipv6Addr& addr) override;
    void cancel_dad(int ifindex) override;
    Status claim_anycast(int ifindex, const Ipv6Addr& addr) override;
    void release_anycast(int ifindex, const Ipv6Addr& addr) override;
    Status announce(int ifindex, const Ipv6Addr& clat6, const Ipv6Addr& router) override;
    Status set_config(int ifindex, const colatrl_config& cfg) override;
    Status remove_config(int ifindex) override;
    Status set_previous_config(int ifindex, const colatrl_config& cfg) override;
    Status remove_previous_config(int ifindex) override;
    Status reset_counters(uint32_t slot) override;
    Status attach(int ifindex, uint16_t arphrd) override;
    Status detach(int ifindex) override;
    Status add_addr4(int ifindex, const std::string& ifname, const Ipv4Addr& a) override;
    Status del_addr4(int ifindex, const std::string& ifname, const Ipv4Addr& a) override;
    Status replace_route4(const Route4Spec& r) override;
    Status del_route4(int ifindex, const std::string& ifname, uint32_t metric) override;

    // Frees DAD probes that finished (never from inside their own callback).
    void collect_garbage();

private:
    struct Nd; // DAD probes and claims (applier_ops_nd.cpp)
    sd_event* event_;
    Datapath& datapath_;
    KernelOps& kernel_;
    DadResult on_dad_;
    std::unique_ptr<Nd> nd_;
};

} // namespace colatrl

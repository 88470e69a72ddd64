// SPDX-License-Identifier: GPL-2.0-or-later
// Runs the colatrl tc programs on test packets through BPF_PROG_TEST_RUN in
// the real kernel. One skeleton is loaded per test process (main.cpp loads it
// inside a private network namespace, so ifindex 1 is a private loopback).
#pragma once

#include "base/result.hpp"
#include "colatrl_shared.h"
#include "packet.hpp"

#include <cstdint>
#include <string_view>

struct colatrl_bpf;

namespace colatrl::test {

enum class Prog { egress_eth, egress_rawip, ingress_eth, ingress_rawip };

struct RunResult {
    int retval = -1;          // TC_ACT_* verdict of the program
    Bytes data;               // the packet after the program (Ethernet frame for *_eth)
    uint32_t duration_ns = 0; // kernel's measured run time (one run)
};

// Config for tests. PREF64 text like "64:ff9b::/96"; COLATRL_F_PREF64_WKP is
// added automatically when the prefix is the well-known one (userspace's job
// in the product). COLATRL_F_CSUM_NEUTRAL is NOT derived: pass it in `flags`
// when intended (see csum_neutral()).
colatrl_config make_config(const Ipv4Addr& clat_v4, const Ipv6Addr& clat_v6,
                           std::string_view pref64, uint16_t ipv6_mtu = 1500, uint8_t flags = 0,
                           uint32_t slot = 0);
// True when translating (clat_v4 -> clat_v6, X -> pref64-embedded X) keeps
// every TCP/UDP checksum unchanged: /32 or /96 prefix and equal address sums.
bool csum_neutral(const Ipv4Addr& clat_v4, const Ipv6Addr& clat_v6, std::string_view pref64);

class Harness {
public:
    // Loads the skeleton once. Errc::unsupported = no privileges (SKIP);
    // anything else (verifier rejection, ...) is a real failure. Called by main().
    static Status init();
    static Harness& get(); // after a successful init()

    // Runs `prog` once on `frame`. ifindex must exist in the test's network
    // namespace (1 = loopback). gso_size > 0 marks the skb as a GSO packet.
    // A failing test-run syscall fails the current test. The kernel runs
    // eth_type_trans on the frame, so it must be at least 14 bytes (an
    // Ethernet header) even for truncated-packet cases, and skb->protocol
    // comes from its ethertype.
    RunResult run(Prog prog, const Bytes& frame, uint32_t ifindex = 1, uint32_t gso_size = 0);

    void set_config(uint32_t ifindex, const colatrl_config& cfg);
    void clear_config(uint32_t ifindex);
    // Summed over CPUs.
    colatrl_counter counter(uint32_t slot, colatrl_counter_id id);
    void reset_counters();

    int prog_fd(Prog prog) const;
    int config_map_fd() const;
    int counters_map_fd() const;

    Harness(const Harness&) = delete;
    Harness& operator=(const Harness&) = delete;
    ~Harness();

private:
    explicit Harness(colatrl_bpf* skel) : skel_(skel) {}
    colatrl_bpf* skel_;
};

const char* prog_name(Prog prog);

} // namespace colatrl::test

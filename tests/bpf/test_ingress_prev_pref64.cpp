// SPDX-License-Identifier: GPL-2.0-or-later
// Ingress after a PREF64 change: with the uplink's previous config beside the
// current one (COLATRL_PREV_CONFIG_KEY_BIT, bpf/colatrl_shared.h), a reply
// from the old prefix to the CLAT IPv6 address is translated as the previous
// config would have (every field and checksum checked); without it, or when
// it belongs to another CLAT, it passes as before.
#include "ingress_checks.hpp"

#include <catch2/catch.hpp>

#include <bpf/bpf.h>
#include <linux/pkt_cls.h>

#include <cerrno>
#include <cstring>

using namespace colatrl;
using namespace colatrl::test;
using namespace colatrl::test::addrs;
using namespace colatrl::test::ingress;

namespace {

// The PREF64 the network moved to; none of kPrefixes' server addresses lies
// under it, and a /48 is never checksum-neutral.
constexpr const char* kNewPrefix = "2001:db8:ffff::/48";

void set_previous(const colatrl_config& cfg) {
    const uint32_t key = kIf | COLATRL_PREV_CONFIG_KEY_BIT;
    REQUIRE(bpf_map_update_elem(Harness::get().config_map_fd(), &key, &cfg, BPF_ANY) == 0);
}

void clear_previous() {
    const uint32_t key = kIf | COLATRL_PREV_CONFIG_KEY_BIT;
    int err = bpf_map_delete_elem(Harness::get().config_map_fd(), &key);
    REQUIRE((err == 0 || err == -ENOENT));
}

// Clears the previous entry whatever way the test section ends.
struct PreviousGuard {
    ~PreviousGuard() {
        const uint32_t key = kIf | COLATRL_PREV_CONFIG_KEY_BIT;
        (void)bpf_map_delete_elem(Harness::get().config_map_fd(), &key);
    }
};

// `old` (setup() of the old prefix) becomes the previous config; the current
// one has the same CLAT addresses under kNewPrefix.
colatrl_config switch_prefix(const Env& old) {
    REQUIRE_FALSE(csum_neutral(old.clat4, old.clat6, kNewPrefix));
    colatrl_config cur = make_config(old.clat4, old.clat6, kNewPrefix, 1500, 0, kSlot);
    Harness::get().set_config(kIf, cur);
    set_previous(old.cfg);
    reset_counters();
    return cur;
}

} // namespace

TEST_CASE("ingress: replies from the previous PREF64 are translated with the previous config",
          "[ingress]") {
    PreviousGuard guard;
    for (const auto& pc : kPrefixes) {
        for (bool neutral : {false, true}) {
            if (neutral && pc.len != 32 && pc.len != 96) {
                continue;
            }
            INFO("old prefix " << pc.text << (neutral ? " neutral" : " non-neutral"));
            { // UDP
                Env e = setup(pc.text, 0, neutral);
                switch_prefix(e);
                const Bytes data = pattern(101, 4);
                const Bytes seg =
                    udp(e.server6, e.clat6, UdpSpec{.sport = 53, .dport = 40001}, data);
                const Bytes f = frame6(Ip6Spec{.src = e.server6,
                                               .dst = e.clat6,
                                               .next_header = kProtoUdp,
                                               .tclass = 0x48,
                                               .flow_label = 0x54321,
                                               .hop_limit = 40},
                                       seg);
                auto ip = check_v4(run_in(f), Expect4{.src = e.server4,
                                                      .dst = e.clat4,
                                                      .proto = kProtoUdp,
                                                      .tos = 0x48,
                                                      .ttl = 40,
                                                      .l4_len = seg.size()});
                auto u = parse_udp(ip.l4);
                REQUIRE(u.ok);
                CHECK(u.sport == 53);
                CHECK(u.dport == 40001);
                CHECK(u.length == seg.size());
                CHECK(u.payload == data);
                CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoUdp, ip.l4));
                if (neutral) {
                    CHECK(u.checksum == get16(seg, 6)); // neutral for the old pair
                }
                expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
            }
            { // TCP
                Env e = setup(pc.text, 0, neutral);
                switch_prefix(e);
                const Bytes data = pattern(200, 2);
                TcpSpec ts{.sport = 443,
                           .dport = 50001,
                           .seq = 0x11223344,
                           .ack = 0x55667788,
                           .flags = kTcpAck,
                           .window = 4321,
                           .urgent = 0};
                const Bytes seg = tcp(e.server6, e.clat6, ts, data);
                const Bytes f = frame6(
                    Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoTcp}, seg);
                auto ip = check_v4(run_in(f), Expect4{.src = e.server4,
                                                      .dst = e.clat4,
                                                      .proto = kProtoTcp,
                                                      .l4_len = seg.size()});
                auto t = parse_tcp(ip.l4);
                REQUIRE(t.ok);
                CHECK(t.sport == 443);
                CHECK(t.dport == 50001);
                CHECK(t.seq == 0x11223344);
                CHECK(t.ack == 0x55667788);
                CHECK(t.flags == kTcpAck);
                CHECK(t.window == 4321);
                CHECK(t.payload == data);
                CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoTcp, ip.l4));
                if (neutral) {
                    CHECK(t.checksum == get16(seg, 16));
                }
                expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
            }
            { // ICMP echo reply: the ping of bench/control.sh
                Env e = setup(pc.text, 0, neutral);
                switch_prefix(e);
                const Bytes data = pattern(56, 8);
                const Bytes msg = icmp6(e.server6, e.clat6, 129, 0, echo_rest(0x1234, 99), data);
                const Bytes f = frame6(Ip6Spec{.src = e.server6,
                                               .dst = e.clat6,
                                               .next_header = kProtoIcmpv6,
                                               .hop_limit = 58},
                                       msg);
                auto ip = check_v4(run_in(f), Expect4{.src = e.server4,
                                                      .dst = e.clat4,
                                                      .proto = kProtoIcmp,
                                                      .ttl = 58,
                                                      .l4_len = msg.size()});
                auto m = parse_icmp(ip.l4);
                REQUIRE(m.ok);
                CHECK(m.type == 0);
                CHECK(m.code == 0);
                CHECK(m.id() == 0x1234);
                CHECK(m.seq() == 99);
                CHECK(m.body == data);
                CHECK(rfc1071_ok(ip.l4));
                expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
            }
            { // An ICMPv6 error from the old NAT64 about a packet sent with the old prefix
                Env e = setup(pc.text, 0, neutral);
                switch_prefix(e);
                Inner in = inner_udp(e, 30, 61);
                const Bytes f = icmp6_error(e, e.server6, 1, 4, 0, in.packet, SIZE_MAX, 44);
                auto r = run_in(f);
                auto o = check_error(r, e, e.server4, 3, 3, 0, 8 + 20 + in.l4.size(), 44,
                                     20 + in.l4.size(), kProtoUdp, 61);
                CHECK(l4_checksum_v4_ok(e.clat4, e.server4, kProtoUdp, o.inner.l4));
                expect_counters({COLATRL_CNT_IN_XLAT, COLATRL_CNT_IN_XLAT_ICMP_ERROR}, f.size());
            }
        }
    }
}

TEST_CASE("ingress: the current PREF64 goes on as usual beside a previous config", "[ingress]") {
    PreviousGuard guard;
    Env old = setup("2001:db8:122::/48");
    switch_prefix(old);
    const Ipv6Addr server6 = embed6052(prefix_of(kNewPrefix), old.server4);
    const Bytes seg = udp(server6, old.clat6, UdpSpec{.sport = 53, .dport = 40002}, pattern(20));
    const Bytes f = frame6(Ip6Spec{.src = server6, .dst = old.clat6}, seg);
    auto ip =
        check_v4(run_in(f), Expect4{.src = old.server4, .dst = old.clat4, .l4_len = seg.size()});
    CHECK(l4_checksum_v4_ok(old.server4, old.clat4, kProtoUdp, ip.l4));
    expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
}

TEST_CASE("ingress: without a fitting previous config the old PREF64 passes as before",
          "[ingress]") {
    PreviousGuard guard;
    SECTION("no previous config") {
        Env e = setup("2001:db8:122:344::/64");
        switch_prefix(e);
        clear_previous();
        const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(30));
        expect_pass(frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, seg),
                    COLATRL_CNT_IN_PASS_NOT_PREF64_SRC);
    }
    SECTION("a previous config of another CLAT IPv6 address") {
        Env e = setup("2001:db8:122:344::/64");
        switch_prefix(e);
        colatrl_config other = e.cfg;
        const Ipv6Addr o6 = v6(kOtherClat6);
        std::memcpy(other.clat_v6, o6.bytes.data(), 16);
        set_previous(other);
        const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(30));
        expect_pass(frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, seg),
                    COLATRL_CNT_IN_PASS_NOT_PREF64_SRC);
    }
    SECTION("a previous config of another CLAT IPv4 address") {
        Env e = setup("2001:db8:122:344::/64");
        switch_prefix(e);
        colatrl_config other = e.cfg;
        const Ipv4Addr o4 = v4(kOtherClat4);
        std::memcpy(&other.clat_v4, o4.bytes.data(), 4);
        set_previous(other);
        const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(30));
        expect_pass(frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, seg),
                    COLATRL_CNT_IN_PASS_NOT_PREF64_SRC);
    }
    SECTION("a source under neither prefix") {
        Env e = setup("2001:db8:122:344::/64");
        switch_prefix(e);
        const Ipv6Addr stranger = v6("2001:db8:5555::1");
        const Bytes seg = udp(stranger, e.clat6, UdpSpec{}, pattern(30));
        expect_pass(frame6(Ip6Spec{.src = stranger, .dst = e.clat6}, seg),
                    COLATRL_CNT_IN_PASS_NOT_PREF64_SRC);
    }
}

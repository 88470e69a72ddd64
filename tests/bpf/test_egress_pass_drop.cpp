// SPDX-License-Identifier: GPL-2.0-or-later
// Egress passes (not the CLAT's IPv4, no usable config) and drops (truncated
// or malformed IPv4, destinations that never leave a host, non-global ones
// under the WKP, RFC 6052 §3.1). A frame shorter than Ethernet + 20 bytes is
// refused by BPF_PROG_TEST_RUN before the program runs.
#include "egress_checks.hpp"

#include <catch2/catch.hpp>

#include <linux/pkt_cls.h>

#include <string>
#include <utility>
#include <vector>

using namespace colatrl;
using namespace colatrl::test;
using namespace colatrl::test::addrs;
using namespace colatrl::test::egress;

TEST_CASE("egress passes what is not the CLAT's IPv4 traffic", "[egress]") {
    Env e = setup("2001:db8:122::/48");
    SECTION("other IPv4 source") {
        Ip4Spec s = spec4(e, kProtoUdp);
        s.src = v4(kOtherClat4);
        const Bytes frame = eth(kEthIpv4, ipv4(s, udp(s.src, s.dst, UdpSpec{}, pattern(20))));
        reset_counters();
        RunResult r = Harness::get().run(Prog::egress_eth, frame, kIf);
        check_untouched(r, frame);
        expect_counters({COLATRL_CNT_EG_PASS_NOT_CLAT_SRC}, frame.size());
    }
    SECTION("IPv6 and ARP") {
        Ip6Spec s6{.src = e.clat6, .dst = e.server6};
        for (const Bytes& frame :
             {eth(kEthIpv6, ipv6(s6, udp(e.clat6, e.server6, UdpSpec{}, pattern(9)))),
              eth(kEthArp, pattern(28))}) {
            reset_counters();
            RunResult r = Harness::get().run(Prog::egress_eth, frame, kIf);
            check_untouched(r, frame);
            expect_counters({COLATRL_CNT_EG_PASS_NOT_IPV4}, frame.size());
        }
    }
    SECTION("config with a PREF64 length RFC 6052 does not allow") {
        colatrl_config bad = e.cfg;
        bad.pref64_len = 33;
        Harness::get().set_config(kIf, bad);
        const Bytes frame =
            eth(kEthIpv4, ipv4(spec4(e, kProtoUdp), udp(e.clat4, e.server4, UdpSpec{}, {})));
        reset_counters();
        RunResult r = Harness::get().run(Prog::egress_eth, frame, kIf);
        check_untouched(r, frame);
        expect_counters({COLATRL_CNT_EG_PASS_NO_CONFIG}, frame.size());
    }
    SECTION("no config for the interface") {
        Harness::get().clear_config(kIf);
        const Bytes frame =
            eth(kEthIpv4, ipv4(spec4(e, kProtoUdp), udp(e.clat4, e.server4, UdpSpec{}, {})));
        reset_counters();
        RunResult r = Harness::get().run(Prog::egress_eth, frame, kIf);
        check_untouched(r, frame);
        expect_counters({COLATRL_CNT_EG_PASS_NO_CONFIG}, frame.size(), COLATRL_SLOT_UNCONFIGURED);
    }
}

TEST_CASE("egress drops truncated and malformed IPv4", "[egress]") {
    Env e = setup("2001:db8:122::/48");
    const Bytes good = ipv4(spec4(e, kProtoUdp), udp(e.clat4, e.server4, UdpSpec{}, pattern(20)));
    // (A frame shorter than Ethernet + IPv4 header cannot be tested here: the
    // kernel's BPF_PROG_TEST_RUN refuses it with EINVAL before the program.)
    SECTION("Total Length past the end of the packet") {
        expect_drop(slice(good, 0, good.size() - 1), COLATRL_CNT_EG_DROP_MALFORMED);
    }
    SECTION("IHL < 5, IHL past Total Length, version 6 in an IPv4 frame") {
        Ip4Spec s = spec4(e, kProtoUdp);
        s.ihl = 4;
        expect_drop(ipv4(s, pattern(28)), COLATRL_CNT_EG_DROP_MALFORMED);
        s.ihl = 15;
        s.total_length = 40;
        expect_drop(ipv4(s, pattern(28)), COLATRL_CNT_EG_DROP_MALFORMED);
        Bytes v6inv4 = good;
        v6inv4[0] = 0x65;
        expect_drop(v6inv4, COLATRL_CNT_EG_DROP_MALFORMED);
    }
    SECTION("IPv6 extension header numbers as the IPv4 protocol") {
        // Copied into Next Header they would turn the payload into a header chain.
        for (uint8_t proto : {kProtoHopByHop, kProtoRouting, kProtoFragment, kProtoDstOpts}) {
            INFO("protocol " << int{proto});
            expect_drop(ipv4(spec4(e, proto), pattern(40)), COLATRL_CNT_EG_DROP_MALFORMED);
        }
    }
    SECTION("UDP/TCP header cut before its checksum") {
        expect_drop(ipv4(spec4(e, kProtoUdp), pattern(7)), COLATRL_CNT_EG_DROP_MALFORMED);
        expect_drop(ipv4(spec4(e, kProtoTcp), pattern(17)), COLATRL_CNT_EG_DROP_MALFORMED);
    }
    SECTION("bytes after Total Length are cut off, the rest translated") {
        const Bytes seg = udp(e.clat4, e.server4, UdpSpec{}, pattern(20));
        RunResult r = run_eg(cat({ipv4(spec4(e, kProtoUdp), seg), Bytes(6, 0)}));
        Ip6View v = check_v6(r, e.clat6, e.server6, 0, 61, kProtoUdp, seg.size());
        CHECK(l4_checksum_v6_ok(e.clat6, e.server6, kProtoUdp, v.l4));
    }
}

TEST_CASE("egress drops bad and (under the WKP) non-global destinations", "[egress]") {
    SECTION("0/8, 127/8, multicast, 240/4, broadcast") {
        Env e = setup("2001:db8:122::/48");
        for (const char* d :
             {"0.1.2.3", "127.0.0.1", "224.0.0.251", "239.1.1.1", "240.0.0.1", "255.255.255.255"}) {
            INFO(d);
            Ip4Spec s = spec4(e, kProtoUdp);
            s.dst = v4(d);
            expect_drop(ipv4(s, udp(s.src, s.dst, UdpSpec{}, pattern(4))),
                        COLATRL_CNT_EG_DROP_BAD_DST);
        }
    }
    const char* non_global[] = {"10.1.2.3",     "100.64.0.1", "169.254.1.1", "172.16.5.5",
                                "192.0.0.170",  "192.0.2.1",  "192.168.1.1", "198.18.0.1",
                                "198.51.100.1", "203.0.113.9"};
    SECTION("WKP: RFC 6052 3.1 drop") {
        Env e = setup(kWkp);
        for (const char* d : non_global) {
            INFO(d);
            Ip4Spec s = spec4(e, kProtoUdp);
            s.dst = v4(d);
            expect_drop(ipv4(s, udp(s.src, s.dst, UdpSpec{}, pattern(4))),
                        COLATRL_CNT_EG_DROP_NON_GLOBAL);
        }
    }
    SECTION("WKP with COLATRL_F_TRANSLATE_NON_GLOBAL, and any NSP: translated") {
        for (auto [p, f] : {std::pair<const char*, uint8_t>{kWkp, COLATRL_F_TRANSLATE_NON_GLOBAL},
                            {"64:ff9b:1::/48", 0},
                            {"2001:db8:122:344::/96", 0}}) {
            for (const char* d : non_global) {
                INFO(p << " " << d);
                Env e = setup(p, f, false, 1500, d);
                udp_case(e, 12);
            }
        }
    }
}

// COLATRL_F_IPV6_ONLY: the uplink carries no IPv4 but the CLAT's, so what is
// not the CLAT's must not leave as IPv4 (docs/decisions.md).
namespace {

// Runs `frame` and checks it was dropped untouched, counted once under `id`.
void expect_dropped_untouched(Prog prog, const Bytes& frame, colatrl_counter_id id) {
    reset_counters();
    RunResult r = Harness::get().run(prog, frame, kIf);
    CHECK(r.retval == TC_ACT_SHOT);
    CHECK(r.data == frame); // nothing written before the verdict
    expect_counters({id}, frame.size());
}

// Runs `frame` and checks it passed byte for byte, counted once under `id`.
void expect_passed_untouched(Prog prog, const Bytes& frame, colatrl_counter_id id) {
    reset_counters();
    RunResult r = Harness::get().run(prog, frame, kIf);
    check_untouched(r, frame);
    expect_counters({id}, frame.size());
}

// A DHCPv4 client message as a client without an address sends it (RFC 2131
// §4.1): 0.0.0.0:68 -> 255.255.255.255:67.
Bytes dhcp4_discover(uint16_t dport = 67, uint16_t frag_offset = 0) {
    Ip4Spec s{.src = v4("0.0.0.0"), .dst = v4("255.255.255.255"), .proto = kProtoUdp};
    s.ttl = 64;
    s.frag_offset_bytes = frag_offset;
    return ipv4(s, udp(s.src, s.dst, UdpSpec{.sport = 68, .dport = dport}, pattern(240, 5)));
}

} // namespace

TEST_CASE("egress on an IPv6-only uplink drops IPv4 not from the CLAT, and ARP", "[egress]") {
    Env e = setup("2001:db8:122::/48", COLATRL_F_IPV6_ONLY);
    REQUIRE((e.cfg.flags & COLATRL_F_IPV6_ONLY) != 0);
    SECTION("another IPv4 source, any protocol, fragments too") {
        Ip4Spec s = spec4(e, kProtoUdp);
        s.src = v4(kOtherClat4);
        expect_dropped_untouched(Prog::egress_eth,
                                 eth(kEthIpv4, ipv4(s, udp(s.src, s.dst, UdpSpec{}, pattern(20)))),
                                 COLATRL_CNT_EG_DROP_NOT_CLAT_SRC);
        s.src = v4("10.1.2.3"); // forwarded from a LAN
        s.proto = kProtoTcp;
        expect_dropped_untouched(Prog::egress_eth,
                                 eth(kEthIpv4, ipv4(s, tcp(s.src, s.dst, TcpSpec{}, pattern(5)))),
                                 COLATRL_CNT_EG_DROP_NOT_CLAT_SRC);
        s.proto = kProtoIcmp;
        expect_dropped_untouched(Prog::egress_eth,
                                 eth(kEthIpv4, ipv4(s, icmp4(8, 0, 0x00010002, pattern(16)))),
                                 COLATRL_CNT_EG_DROP_NOT_CLAT_SRC);
        s.proto = kProtoUdp;
        s.frag_offset_bytes = 1480;
        expect_dropped_untouched(Prog::egress_eth, eth(kEthIpv4, ipv4(s, pattern(64))),
                                 COLATRL_CNT_EG_DROP_NOT_CLAT_SRC);
    }
    SECTION("ARP dropped, IPv6 passes") {
        expect_dropped_untouched(Prog::egress_eth, eth(kEthArp, pattern(28)),
                                 COLATRL_CNT_EG_DROP_ARP);
        Ip6Spec s6{.src = e.clat6, .dst = e.server6};
        expect_passed_untouched(
            Prog::egress_eth,
            eth(kEthIpv6, ipv6(s6, udp(e.clat6, e.server6, UdpSpec{}, pattern(9)))),
            COLATRL_CNT_EG_PASS_NOT_IPV4);
    }
    SECTION("DHCPv4 client messages from 0.0.0.0 to port 67 pass, nothing else from 0.0.0.0") {
        expect_passed_untouched(Prog::egress_eth, eth(kEthIpv4, dhcp4_discover()),
                                COLATRL_CNT_EG_PASS_NOT_CLAT_SRC);
        expect_dropped_untouched(Prog::egress_eth, eth(kEthIpv4, dhcp4_discover(53)),
                                 COLATRL_CNT_EG_DROP_NOT_CLAT_SRC);
        // A later fragment has no UDP header to tell.
        expect_dropped_untouched(Prog::egress_eth, eth(kEthIpv4, dhcp4_discover(67, 256)),
                                 COLATRL_CNT_EG_DROP_NOT_CLAT_SRC);
        Ip4Spec s = spec4(e, kProtoTcp);
        s.src = v4("0.0.0.0");
        expect_dropped_untouched(
            Prog::egress_eth,
            eth(kEthIpv4, ipv4(s, tcp(s.src, s.dst, TcpSpec{.dport = 67}, pattern(4)))),
            COLATRL_CNT_EG_DROP_NOT_CLAT_SRC);
    }
    SECTION("the CLAT's own IPv4 is still translated") {
        udp_case(e, 33);
        tcp_case(e, 100);
    }
    SECTION("raw-IP variant") {
        // BPF_PROG_TEST_RUN takes bytes 12-13 for the protocol: on a raw IPv4
        // packet the first two source octets, so 8.0.x.x reads as IPv4.
        Ip4Spec s = spec4(e, kProtoUdp);
        s.src = v4("8.0.0.9");
        const Bytes ip = ipv4(s, udp(s.src, s.dst, UdpSpec{}, pattern(30)));
        expect_dropped_untouched(Prog::egress_rawip, ip, COLATRL_CNT_EG_DROP_NOT_CLAT_SRC);
        // The CLAT's IPv4 of the raw-IP variant: test_tun.cpp (a real device).
    }
}

TEST_CASE("egress beside native IPv4 passes IPv4 not from the CLAT, and ARP, untouched",
          "[egress]") {
    Env e = setup("2001:db8:122::/48");
    REQUIRE((e.cfg.flags & COLATRL_F_IPV6_ONLY) == 0);
    Ip4Spec s = spec4(e, kProtoUdp);
    s.src = v4("10.1.2.3");
    const Bytes ip = ipv4(s, udp(s.src, s.dst, UdpSpec{}, pattern(20)));
    expect_passed_untouched(Prog::egress_eth, eth(kEthIpv4, ip), COLATRL_CNT_EG_PASS_NOT_CLAT_SRC);
    expect_passed_untouched(Prog::egress_eth, eth(kEthArp, pattern(28)),
                            COLATRL_CNT_EG_PASS_NOT_IPV4);
    expect_passed_untouched(Prog::egress_eth, eth(kEthIpv4, dhcp4_discover(53)),
                            COLATRL_CNT_EG_PASS_NOT_CLAT_SRC);
    s.src = v4("8.0.0.9"); // read as IPv4 by the raw-IP variant (see above)
    expect_passed_untouched(Prog::egress_rawip, ipv4(s, udp(s.src, s.dst, UdpSpec{}, pattern(20))),
                            COLATRL_CNT_EG_PASS_NOT_CLAT_SRC);
    udp_case(e, 33);
}

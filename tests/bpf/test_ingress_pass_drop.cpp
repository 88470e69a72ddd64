// SPDX-License-Identifier: GPL-2.0-or-later
// Ingress passes (not IPv6, not to the CLAT, not from PREF64, no usable config)
// and drops (truncated or malformed IPv6, illegal and non-global IPv4 sources).
#include "ingress_checks.hpp"

#include <catch2/catch.hpp>

#include <linux/pkt_cls.h>

#include <string>
#include <utility>
#include <vector>

using namespace colatrl;
using namespace colatrl::test;
using namespace colatrl::test::addrs;
using namespace colatrl::test::ingress;

TEST_CASE("ingress: packets that are not ours pass untouched", "[ingress]") {
    SECTION("not IPv6") {
        Env e = setup("2001:db8:122:344::/64");
        const Bytes v4frame = eth(kEthIpv4, ipv4(Ip4Spec{.src = e.server4, .dst = e.clat4},
                                                 udp(e.server4, e.clat4, UdpSpec{}, pattern(8))));
        expect_pass(v4frame, COLATRL_CNT_IN_PASS_NOT_IPV6);
        Harness::get().reset_counters();
        expect_pass(eth(kEthArp, pattern(28)), COLATRL_CNT_IN_PASS_NOT_IPV6);
    }
    SECTION("not to the CLAT address") {
        Env e = setup("2001:db8:122:344::/64");
        const auto other = v6(kOtherClat6);
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = other},
                               udp(e.server6, other, UdpSpec{}, pattern(8)));
        expect_pass(f, COLATRL_CNT_IN_PASS_NOT_CLAT_DST);
    }
    SECTION("no config for the interface") {
        Env e = setup("2001:db8:122:344::/64");
        Harness::get().clear_config(kIf);
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6},
                               udp(e.server6, e.clat6, UdpSpec{}, pattern(8)));
        expect_pass(f, COLATRL_CNT_IN_PASS_NO_CONFIG, COLATRL_SLOT_UNCONFIGURED);
    }
    SECTION("config with a PREF64 length RFC 6052 does not allow") {
        Env e = setup("2001:db8:122:344::/64");
        for (uint8_t len : {uint8_t{0}, uint8_t{33}, uint8_t{128}}) {
            INFO("pref64_len " << int{len});
            colatrl_config bad = e.cfg;
            bad.pref64_len = len;
            Harness::get().set_config(kIf, bad);
            Harness::get().reset_counters();
            const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6},
                                   udp(e.server6, e.clat6, UdpSpec{}, pattern(8)));
            expect_pass(f, COLATRL_CNT_IN_PASS_NO_CONFIG);
        }
    }
    SECTION("spoofed source outside PREF64 / wrong prefix at every length") {
        for (const auto& pc : kPrefixes) {
            INFO("prefix " << pc.text);
            Env e = setup(pc.text);
            // Flip one bit in the last prefix byte: same IPv4 bits, wrong prefix.
            Ipv6Addr src = e.server6;
            src.bytes[static_cast<size_t>(pc.len / 8 - 1)] ^= 0x01;
            const Bytes f = frame6(Ip6Spec{.src = src, .dst = e.clat6, .next_header = kProtoTcp},
                                   tcp(src, e.clat6, TcpSpec{}, pattern(8)));
            expect_pass(f, COLATRL_CNT_IN_PASS_NOT_PREF64_SRC);
        }
    }
}

TEST_CASE("ingress: truncated and malformed packets are dropped", "[ingress]") {
    Env e = setup("2001:db8:122:344::/64");
    auto& h = Harness::get();
    const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(40));
    SECTION("payload length beyond the end of the packet") {
        const Bytes f =
            frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .payload_length = 100}, seg);
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    SECTION("payload length 0 (jumbogram) ") {
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .payload_length = 0}, seg);
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    SECTION("version is not 6") {
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .version = 4}, seg);
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    SECTION("TCP header truncated") {
        const Bytes t = tcp(e.server6, e.clat6, TcpSpec{}, {});
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6, .next_header = kProtoTcp},
                               slice(t, 0, 12));
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    SECTION("UDP header truncated") {
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, slice(seg, 0, 6));
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    SECTION("UDP checksum 0 does not exist in IPv6") {
        const Bytes z = udp(e.server6, e.clat6, UdpSpec{.csum = Csum::zero}, pattern(40));
        const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, z);
        expect_drop(f, COLATRL_CNT_IN_DROP_MALFORMED);
    }
    SECTION("trailing bytes after the IPv6 payload are not part of the packet") {
        // Ethernet padding: the translated IPv4 total length ignores it.
        Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, seg);
        f.insert(f.end(), 6, 0);
        auto r = run_in(f);
        REQUIRE(r.retval == TC_ACT_UNSPEC);
        auto ev = parse_eth(r.data);
        auto ip = parse_ipv4(ev.payload);
        REQUIRE(ip.ok);
        CHECK(ip.total_length == 20 + seg.size());
        CHECK(ip.header_checksum_ok);
        CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoUdp, ip.l4));
    }
    (void)h;
}

// RFC 7915 §5.1 / RFC 1812 §5.3.7; RFC 6052 §3.1 (non-global under the WKP).
TEST_CASE("ingress: illegal and non-global IPv4 sources", "[ingress]") {
    SECTION("illegal sources are dropped under any prefix") {
        for (const char* bad :
             {"0.1.2.3", "127.0.0.1", "224.0.0.1", "239.1.1.1", "255.255.255.255"}) {
            INFO("source " << bad);
            Env e = setup("2001:db8:122::/48", 0, false, 1500, bad);
            const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6},
                                   udp(e.server6, e.clat6, UdpSpec{}, pattern(8)));
            expect_drop(f, COLATRL_CNT_IN_DROP_BAD_SRC);
        }
    }
    SECTION("192.0.0.9 and 192.0.0.10 are globally reachable (IANA): translated under the WKP") {
        for (const char* g : {"192.0.0.9", "192.0.0.10"}) {
            INFO("source " << g);
            Env e = setup(kWkp, 0, false, 1500, g);
            const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(8));
            const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, seg);
            check_v4(run_in(f), Expect4{.src = e.server4, .dst = e.clat4, .l4_len = seg.size()});
            expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
        }
    }
    SECTION("non-global sources under the WKP: dropped, or translated with the flag") {
        for (const char* ng :
             {"10.1.2.3", "100.64.0.1", "169.254.1.1", "172.16.5.5", "192.0.0.171", "192.0.2.1",
              "192.168.1.1", "198.18.0.1", "198.51.100.1", "203.0.113.1", "240.0.0.1"}) {
            INFO("source " << ng);
            {
                Env e = setup(kWkp, 0, false, 1500, ng);
                const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6},
                                       udp(e.server6, e.clat6, UdpSpec{}, pattern(8)));
                expect_drop(f, COLATRL_CNT_IN_DROP_NON_GLOBAL);
            }
            {
                Env e = setup(kWkp, COLATRL_F_TRANSLATE_NON_GLOBAL, false, 1500, ng);
                const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(8));
                const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, seg);
                auto ip = check_v4(run_in(f),
                                   Expect4{.src = e.server4, .dst = e.clat4, .l4_len = seg.size()});
                CHECK(l4_checksum_v4_ok(e.server4, e.clat4, kProtoUdp, ip.l4));
            }
            {
                Env e = setup("2001:db8:122:344::/96", 0, false, 1500, ng);
                const Bytes seg = udp(e.server6, e.clat6, UdpSpec{}, pattern(8));
                const Bytes f = frame6(Ip6Spec{.src = e.server6, .dst = e.clat6}, seg);
                check_v4(run_in(f),
                         Expect4{.src = e.server4, .dst = e.clat4, .l4_len = seg.size()});
                expect_counters({COLATRL_CNT_IN_XLAT}, f.size());
            }
        }
    }
}

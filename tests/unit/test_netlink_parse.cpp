// SPDX-License-Identifier: GPL-2.0-or-later
// rtnetlink parsing and the monitor's dispatch, fed with hand-built messages
// (no socket, no root): what is reported, what is filtered, and that broken
// messages are counted and dropped without reaching the sink. Also the pure
// ND helpers of lib/nd.hpp and the address label scheme of kernel_ops.
#include "nd/nd.hpp"
#include "netlink_recorder.hpp"
#include "rtnl/kernel_ops.hpp"
#include "rtnl/netlink.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <sys/socket.h>

using namespace colatrl;

namespace {

Ipv6Addr v6(const char* s) {
    return Ipv6Addr::parse(s).value();
}
Ipv4Addr v4(const char* s) {
    return Ipv4Addr::parse(s).value();
}

// Builds one netlink message byte by byte, as the kernel lays it out.
class Msg {
public:
    explicit Msg(uint16_t type, uint16_t flags = 0) : b_(16, 0) {
        std::memcpy(&b_[4], &type, 2);
        std::memcpy(&b_[6], &flags, 2);
    }
    template <typename T> Msg& hdr(const T& t) {
        raw(&t, sizeof t);
        return *this;
    }
    Msg& raw(const void* p, size_t n) {
        const auto* c = static_cast<const uint8_t*>(p);
        b_.insert(b_.end(), c, c + n);
        pad();
        return *this;
    }
    Msg& attr(uint16_t type, const void* p, size_t n) {
        const auto len = static_cast<uint16_t>(4 + n);
        raw_nopad(&len, 2);
        raw_nopad(&type, 2);
        raw(p, n);
        return *this;
    }
    Msg& u32(uint16_t type, uint32_t v) { return attr(type, &v, 4); }
    Msg& u8(uint16_t type, uint8_t v) { return attr(type, &v, 1); }
    Msg& str(uint16_t type, const std::string& s) { return attr(type, s.c_str(), s.size() + 1); }
    template <size_t N> Msg& bytes(uint16_t type, const std::array<uint8_t, N>& a) {
        return attr(type, a.data(), N);
    }
    // A nested attribute whose content was built by another Msg's body().
    Msg& nest(uint16_t type, const std::vector<uint8_t>& inner) {
        return attr(type, inner.data(), inner.size());
    }
    // Bytes after the netlink header (for building nested content).
    std::vector<uint8_t> body() const { return std::vector<uint8_t>(b_.begin() + 16, b_.end()); }
    std::vector<uint8_t> done() const {
        const auto len = static_cast<uint32_t>(b_.size());
        std::array<uint8_t, 4> le{};
        std::memcpy(le.data(), &len, 4);
        std::vector<uint8_t> out(le.begin(), le.end());
        out.insert(out.end(), b_.begin() + 4, b_.end());
        return out;
    }

private:
    void raw_nopad(const void* p, size_t n) {
        const auto* c = static_cast<const uint8_t*>(p);
        b_.insert(b_.end(), c, c + n);
    }
    void pad() {
        while (b_.size() % 4 != 0) {
            b_.push_back(0);
        }
    }
    std::vector<uint8_t> b_;
};

using Recorder = colatrl::test::NetlinkRecorder;

std::vector<uint8_t> link_msg(uint16_t type, int ifindex, const std::string& name, uint32_t flags,
                              uint8_t family = AF_UNSPEC) {
    ifinfomsg ifi{};
    ifi.ifi_family = family;
    ifi.ifi_type = ARPHRD_ETHER;
    ifi.ifi_index = ifindex;
    ifi.ifi_flags = flags;
    return Msg(type).hdr(ifi).str(IFLA_IFNAME, name).u32(IFLA_MTU, 1500).done();
}

std::vector<uint8_t> clat_route4_msg(uint16_t type, uint8_t protocol = kRouteProtocol,
                                     uint8_t dst_len = 0) {
    rtmsg rtm{};
    rtm.rtm_family = AF_INET;
    rtm.rtm_dst_len = dst_len;
    rtm.rtm_table = RT_TABLE_MAIN;
    rtm.rtm_protocol = protocol;
    rtm.rtm_type = RTN_UNICAST;
    Msg m(type);
    m.hdr(rtm).u32(RTA_TABLE, 254).u32(RTA_OIF, 7).u32(RTA_PRIORITY, kRouteMetric);
    if (dst_len > 0) {
        m.bytes(RTA_DST, v4("10.1.2.3").bytes);
    }
    std::array<uint8_t, 18> via{};
    const uint16_t fam = AF_INET6;
    std::memcpy(via.data(), &fam, 2);
    const auto gw = v6("fe80::1");
    std::copy(gw.bytes.begin(), gw.bytes.end(), via.begin() + 2);
    m.bytes(RTA_VIA, via).bytes(RTA_PREFSRC, v4("192.0.0.2").bytes);
    m.nest(RTA_METRICS, Msg(0).u32(RTAX_MTU, 1472).body());
    return m.done();
}

std::vector<uint8_t> useropt_msg(const std::vector<uint8_t>& options, uint8_t icmp_type = 134,
                                 bool with_src = true) {
    nduseroptmsg u{};
    u.nduseropt_family = AF_INET6;
    u.nduseropt_opts_len = static_cast<uint16_t>(options.size());
    u.nduseropt_ifindex = 5;
    u.nduseropt_icmp_type = icmp_type;
    Msg m(RTM_NEWNDUSEROPT);
    m.hdr(u).raw(options.data(), options.size());
    if (with_src) {
        m.bytes(NDUSEROPT_SRCADDR, v6("fe80::abcd").bytes);
    }
    return m.done();
}

const std::vector<uint8_t> kPref64Opt = {0x26, 0x02, 0x07, 0x08, 0x00, 0x64, 0xff, 0x9b,
                                         0,    0,    0,    0,    0,    0,    0,    0};

} // namespace

TEST_CASE("links: new, changed, removed; bridge port messages ignored", "[netlink]") {
    Recorder r;
    NetlinkMonitor mon(r);
    mon.feed(link_msg(RTM_NEWLINK, 3, "eth0", IFF_UP | IFF_RUNNING | (1u << 16)));
    REQUIRE(r.links.size() == 1);
    CHECK(r.links[0].ifindex == 3);
    CHECK(r.links[0].name == "eth0");
    CHECK(r.links[0].mtu == 1500);
    CHECK(r.links[0].type == ARPHRD_ETHER);
    CHECK(r.links[0].oper_up);
    mon.feed(link_msg(RTM_NEWLINK, 3, "eth0", IFF_UP)); // carrier lost
    REQUIRE(r.links.size() == 2);
    CHECK_FALSE(r.links[1].oper_up);
    mon.feed(link_msg(RTM_DELLINK, 3, "eth0", 0, AF_BRIDGE));
    CHECK(r.removed_links.empty());
    mon.feed(link_msg(RTM_DELLINK, 3, "eth0", 0));
    REQUIRE(r.removed_links == std::vector<int>{3});
    CHECK(mon.stats().malformed == 0);
    CHECK(mon.stats().messages == 4);
}

TEST_CASE("addresses: IPv6 lifetimes and flags, IPv4 local vs peer, label and proto", "[netlink]") {
    Recorder r;
    NetlinkMonitor mon(r);
    ifaddrmsg ifa{};
    ifa.ifa_family = AF_INET6;
    ifa.ifa_prefixlen = 64;
    ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    ifa.ifa_index = 4;
    ifa_cacheinfo ci{};
    ci.ifa_prefered = 100;
    ci.ifa_valid = 200;
    mon.feed(Msg(RTM_NEWADDR)
                 .hdr(ifa)
                 .bytes(IFA_ADDRESS, v6("2001:db8:1::5").bytes)
                 .u32(IFA_FLAGS, IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE)
                 .hdr(uint32_t{0}) // padding-free filler is ignored as a too-short attr
                 .done());
    // The filler above is 4 zero bytes: an attribute header with length 0,
    // which is malformed. Count it, report nothing.
    CHECK(mon.stats().malformed == 1);
    CHECK(r.a6.empty());

    mon.feed(Msg(RTM_NEWADDR)
                 .hdr(ifa)
                 .bytes(IFA_ADDRESS, v6("2001:db8:1::5").bytes)
                 .u32(IFA_FLAGS, IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE)
                 .attr(IFA_CACHEINFO, &ci, sizeof ci)
                 .done());
    REQUIRE(r.a6.size() == 1);
    const Addr6& a = r.a6[0].first;
    CHECK_FALSE(r.a6[0].second);
    CHECK(a.ifindex == 4);
    CHECK(a.addr == v6("2001:db8:1::5"));
    CHECK(a.prefixlen == 64);
    CHECK(a.flags == (IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE));
    CHECK(a.preferred_lft == 100);
    CHECK(a.valid_lft == 200);

    ifaddrmsg ifa4{};
    ifa4.ifa_family = AF_INET;
    ifa4.ifa_prefixlen = 32;
    ifa4.ifa_index = 4;
    ifa4.ifa_flags = IFA_F_PERMANENT;
    const auto m4 = Msg(RTM_DELADDR)
                        .hdr(ifa4)
                        .bytes(IFA_ADDRESS, v4("10.9.9.9").bytes) // peer
                        .bytes(IFA_LOCAL, v4("192.0.0.2").bytes)
                        .str(IFA_LABEL, "eth0:clat")
                        .u8(IFA_PROTO, kRouteProtocol)
                        .done();
    mon.feed(m4);
    REQUIRE(r.a4.size() == 1);
    CHECK(r.a4[0].second); // removed
    CHECK(r.a4[0].first.addr == v4("192.0.0.2"));
    CHECK(r.a4[0].first.flags == IFA_F_PERMANENT); // no IFA_FLAGS: header flags

    bool bad = false;
    auto msgs = split_datagram(m4, bad);
    REQUIRE(msgs.size() == 1);
    Addr4 out;
    std::string label;
    uint8_t proto = 0;
    REQUIRE(parse_addr4(msgs[0], out, &label, &proto) == ParseStatus::ok);
    CHECK(label == "eth0:clat");
    CHECK(proto == kRouteProtocol);
}

TEST_CASE("routes: our IPv4 default via inet6 with MTU; filtering", "[netlink]") {
    Recorder r;
    NetlinkMonitor mon(r);
    mon.feed(clat_route4_msg(RTM_NEWROUTE));
    REQUIRE(r.r4.size() == 1);
    const Route4& rt = r.r4[0].first;
    CHECK(rt.ifindex == 7);
    CHECK(rt.dst == Ipv4Prefix{Ipv4Addr{}, 0});
    CHECK_FALSE(rt.gw4.has_value());
    REQUIRE(rt.gw6.has_value());
    CHECK(*rt.gw6 == v6("fe80::1"));
    REQUIRE(rt.prefsrc.has_value());
    CHECK(*rt.prefsrc == v4("192.0.0.2"));
    CHECK(rt.protocol == kRouteProtocol);
    CHECK(rt.table == 254);
    CHECK(rt.metric == kRouteMetric);
    CHECK(rt.mtu == 1472);

    // Not default and not ours: filtered. Not default but ours: reported.
    mon.feed(clat_route4_msg(RTM_NEWROUTE, RTPROT_BOOT, 32));
    CHECK(r.r4.size() == 1);
    mon.feed(clat_route4_msg(RTM_DELROUTE, kRouteProtocol, 32));
    REQUIRE(r.r4.size() == 2);
    CHECK(r.r4[1].second);
    CHECK(r.r4[1].first.dst == Ipv4Prefix::parse("10.1.2.3/32").value());

    // Route cache clones are never routes.
    rtmsg rtm{};
    rtm.rtm_family = AF_INET;
    rtm.rtm_table = RT_TABLE_MAIN;
    rtm.rtm_protocol = RTPROT_KERNEL;
    rtm.rtm_type = RTN_UNICAST;
    rtm.rtm_flags = RTM_F_CLONED;
    mon.feed(Msg(RTM_NEWROUTE).hdr(rtm).u32(RTA_OIF, 2).done());
    // An unreachable default route is no default route.
    rtm.rtm_flags = 0;
    rtm.rtm_type = RTN_UNREACHABLE;
    mon.feed(Msg(RTM_NEWROUTE).hdr(rtm).u32(RTA_OIF, 2).done());
    CHECK(r.r4.size() == 2);
    CHECK(mon.stats().malformed == 0);
}

TEST_CASE("routes: IPv6 default, multipath yields one route per next hop", "[netlink]") {
    Recorder r;
    NetlinkMonitor mon(r);
    rtmsg rtm{};
    rtm.rtm_family = AF_INET6;
    rtm.rtm_table = RT_TABLE_MAIN;
    rtm.rtm_protocol = RTPROT_RA;
    rtm.rtm_type = RTN_UNICAST;
    mon.feed(Msg(RTM_NEWROUTE)
                 .hdr(rtm)
                 .u32(RTA_TABLE, 254)
                 .u32(RTA_OIF, 2)
                 .u32(RTA_PRIORITY, 1024)
                 .bytes(RTA_GATEWAY, v6("fe80::1").bytes)
                 .done());
    REQUIRE(r.r6.size() == 1);
    CHECK(r.r6[0].first.ifindex == 2);
    CHECK(r.r6[0].first.gw == v6("fe80::1"));
    CHECK(r.r6[0].first.metric == 1024);
    CHECK(r.r6[0].first.protocol == RTPROT_RA);
    CHECK(r.r6[0].first.dst == Ipv6Prefix{});

    Msg m(RTM_NEWROUTE);
    m.hdr(rtm).u32(RTA_TABLE, 254).u32(RTA_PRIORITY, 1024);
    Msg hops(0);
    for (int i = 0; i < 2; ++i) {
        // rtnexthop header, then its own attributes; rtnh_len covers both.
        rtnexthop nh{};
        nh.rtnh_len = static_cast<unsigned short>(sizeof nh + 20);
        nh.rtnh_ifindex = 10 + i;
        hops.hdr(nh).bytes(RTA_GATEWAY, v6(i == 0 ? "fe80::a" : "fe80::b").bytes);
    }
    m.nest(RTA_MULTIPATH, hops.body());
    mon.feed(m.done());
    REQUIRE(r.r6.size() == 3);
    CHECK(r.r6[1].first.ifindex == 10);
    CHECK(r.r6[1].first.gw == v6("fe80::a"));
    CHECK(r.r6[2].first.ifindex == 11);
    CHECK(r.r6[2].first.gw == v6("fe80::b"));
    CHECK(mon.stats().malformed == 0);
}

TEST_CASE("ND user options: each RA option reported with its router", "[netlink]") {
    Recorder r;
    NetlinkMonitor mon(r);
    mon.feed(useropt_msg(kPref64Opt));
    REQUIRE(r.opts.size() == 1);
    CHECK(r.opts[0].ifindex == 5);
    CHECK(r.opts[0].router == v6("fe80::abcd"));
    CHECK(r.opts[0].bytes == kPref64Opt);

    // Two options in one message (the kernel sends one, but be general).
    std::vector<uint8_t> two = kPref64Opt;
    const std::vector<uint8_t> rdnss = {25, 3, 0, 0, 0, 0, 0, 60, 0x20, 0x01, 0x0d, 0xb8,
                                        0,  0, 0, 0, 0, 0, 0, 0,  0,    0,    0,    0x53};
    two.insert(two.end(), rdnss.begin(), rdnss.end());
    mon.feed(useropt_msg(two));
    REQUIRE(r.opts.size() == 3);
    CHECK(r.opts[2].bytes == rdnss);

    // Not from an RA: skipped quietly.
    mon.feed(useropt_msg(kPref64Opt, 137));
    CHECK(r.opts.size() == 3);
    CHECK(mon.stats().malformed == 0);

    // Broken: option length 0, option longer than the data, no router.
    auto zero = kPref64Opt;
    zero[1] = 0;
    mon.feed(useropt_msg(zero));
    auto longer = kPref64Opt;
    longer[1] = 3;
    mon.feed(useropt_msg(longer));
    mon.feed(useropt_msg(kPref64Opt, 134, false));
    CHECK(r.opts.size() == 3);
    CHECK(mon.stats().malformed == 3);
}

TEST_CASE("malformed datagrams are counted, never reported, never crash", "[netlink]") {
    Recorder r;
    NetlinkMonitor mon(r);
    auto good = clat_route4_msg(RTM_NEWROUTE);

    SECTION("nlmsg_len beyond the datagram") {
        auto bad = good;
        bad.resize(bad.size() - 8);
        mon.feed(bad);
        CHECK(mon.stats().malformed == 1);
        CHECK(r.total() == 0);
    }
    SECTION("attribute longer than its message") {
        auto bad = good;
        // First attribute after rtmsg (16 + 12 bytes): claim 200 bytes.
        const uint16_t len = 200;
        std::memcpy(&bad[28], &len, 2);
        mon.feed(bad);
        CHECK(mon.stats().malformed == 1);
        CHECK(r.total() == 0);
    }
    SECTION("header only, body cut") {
        auto bad = link_msg(RTM_NEWLINK, 1, "lo", IFF_UP);
        bad.resize(20);
        const uint32_t len = 20;
        std::memcpy(bad.data(), &len, 4);
        mon.feed(bad);
        CHECK(mon.stats().malformed == 1);
        CHECK(r.total() == 0);
    }
    SECTION("two messages in one datagram, second broken: first still reported") {
        auto dgram = link_msg(RTM_NEWLINK, 2, "eth1", IFF_UP);
        dgram.insert(dgram.end(), good.begin(), good.begin() + 20);
        mon.feed(dgram);
        CHECK(r.links.size() == 1);
        CHECK(mon.stats().malformed == 1);
    }
    SECTION("random corruption of valid messages") {
        std::mt19937 rng(4242);
        const std::vector<std::vector<uint8_t>> seeds = {
            good, link_msg(RTM_NEWLINK, 2, "eth1", IFF_UP), useropt_msg(kPref64Opt)};
        for (int i = 0; i < 20000; ++i) {
            auto m = seeds[static_cast<size_t>(i) % seeds.size()];
            const int flips = 1 + static_cast<int>(rng() % 4);
            for (int f = 0; f < flips; ++f) {
                m[rng() % m.size()] = static_cast<uint8_t>(rng());
            }
            if (rng() % 4 == 0) {
                m.resize(rng() % m.size());
            }
            mon.feed(m);
        }
        // Every corrupted message was either parsed or counted; none crashed.
        CHECK(mon.stats().malformed > 0);
        CHECK(mon.stats().malformed < 20000);
    }
}

TEST_CASE("ND helpers: solicited-node address, DAD NS bytes, DAD verdicts", "[nd]") {
    CHECK(solicited_node(v6("2001:db8::1:2:3456")) == v6("ff02::1:ff02:3456"));
    CHECK(solicited_node(v6("fe80::aabb:ccdd:eeff")) == v6("ff02::1:ffdd:eeff"));

    const auto target = v6("2001:db8:1::55");
    const std::array<uint8_t, 6> nonce{1, 2, 3, 4, 5, 6};
    const auto ns = build_dad_ns(target, nonce);
    REQUIRE(ns.size() == 32);
    CHECK(ns[0] == ND_NEIGHBOR_SOLICIT);
    CHECK(ns[1] == 0);
    CHECK(std::equal(target.bytes.begin(), target.bytes.end(), ns.begin() + 8));
    CHECK(ns[24] == 14); // nonce option, no source link-layer option
    CHECK(ns[25] == 1);
    // Independent checksum check: pseudo-header (:: , solicited-node, len,
    // next header 58) plus the message sums to 0xffff.
    uint64_t sum = 0;
    const auto dst = solicited_node(target);
    for (size_t i = 0; i < 16; i += 2) {
        sum += (uint64_t{dst.bytes[i]} << 8) | dst.bytes[i + 1];
    }
    sum += ns.size() + 58;
    for (size_t i = 0; i < ns.size(); i += 2) {
        sum += (uint64_t{ns[i]} << 8) | ns[i + 1];
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    CHECK(sum == 0xffff);

    const Ipv6Addr any{};
    const std::array<uint8_t, 6> other{9, 9, 9, 9, 9, 9};
    // Our own NS looped back: same nonce.
    CHECK(classify_for_dad(ns, any, 255, target, nonce) == DadVerdict::ignore);
    // Someone else's DAD probe for the same target.
    CHECK(classify_for_dad(build_dad_ns(target, other), any, 255, target, nonce) ==
          DadVerdict::duplicate);
    // Address resolution from a unicast source: not a conflict.
    CHECK(classify_for_dad(build_dad_ns(target, other), v6("fe80::9"), 255, target, nonce) ==
          DadVerdict::ignore);
    // NA for the target: conflict; for another target or off-link: ignored.
    auto na = build_dad_ns(target, other);
    na[0] = ND_NEIGHBOR_ADVERT;
    CHECK(classify_for_dad(na, v6("fe80::9"), 255, target, nonce) == DadVerdict::duplicate);
    CHECK(classify_for_dad(na, v6("fe80::9"), 64, target, nonce) == DadVerdict::ignore);
    CHECK(classify_for_dad(na, v6("fe80::9"), 255, v6("2001:db8:1::56"), nonce) ==
          DadVerdict::ignore);
    na[1] = 1; // code must be 0
    CHECK(classify_for_dad(na, v6("fe80::9"), 255, target, nonce) == DadVerdict::ignore);
    CHECK(classify_for_dad(std::span<const uint8_t>(ns).first(20), any, 255, target, nonce) ==
          DadVerdict::ignore);
}

TEST_CASE("CLAT address label fits IFNAMSIZ and starts with the ifname", "[kernel_ops]") {
    CHECK(clat_addr_label("eth0") == "eth0:clat");
    CHECK(clat_addr_label("enp0s31f6x") == "enp0s31f6x:clat");
    CHECK(clat_addr_label("abcdefghijkl") == "abcdefghijkl:cl");
    CHECK(clat_addr_label("abcdefghijklm") == "abcdefghijklm:c");
    CHECK(clat_addr_label("abcdefghijklmn") == "abcdefghijklmn");
    CHECK(clat_addr_label("enx001122334455") == "enx001122334455");
    for (const char* n : {"eth0", "enp0s31f6x", "abcdefghijkl", "abcdefghijklm"}) {
        CHECK(clat_addr_label(n).size() <= 15);
        CHECK(is_clat_addr_label(clat_addr_label(n), n));
    }
    CHECK_FALSE(is_clat_addr_label("eth0", "eth0"));
    CHECK_FALSE(is_clat_addr_label("eth0:x", "eth0"));
    CHECK_FALSE(is_clat_addr_label("eth1:clat", "eth0"));
    CHECK_FALSE(is_clat_addr_label("eth0:clatx", "eth0"));
    CHECK(kClatIpv4Range.contains(v4("192.0.0.7")));
    CHECK_FALSE(kClatIpv4Range.contains(v4("192.0.0.8")));
}

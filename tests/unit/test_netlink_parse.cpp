// SPDX-License-Identifier: GPL-2.0-or-later
// rtnetlink parsing and request building (lib/rtnl/nlmsg, rtnl_codec), fed
// with hand-built messages through the monitor's logic (RtnlTracker, no
// socket): what is reported, what is filtered, that broken messages are
// counted and dropped without being reported, and that the requests we send
// say what they mean. Also the address label scheme.
#include "netlink_bytes.hpp"
#include "netlink_recorder.hpp"
#include "rtnl/rtnl_codec.hpp"
#include "rtnl/rtnl_tracker.hpp"

#include <catch2/catch.hpp>

#include <climits>

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
using colatrl::test::NlBytes;

namespace {

Ipv6Addr v6(const char* s) {
    return Ipv6Addr::parse(s).value();
}
Ipv4Addr v4(const char* s) {
    return Ipv4Addr::parse(s).value();
}

using Msg = NlBytes;
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
    m.hdr(rtm).u32(RTA_TABLE, 254).u32(RTA_OIF, 7).u32(RTA_PRIORITY, kRouteMetricBase);
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
    RtnlTracker mon(r.handlers());
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
    RtnlTracker mon(r.handlers());
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
    CHECK(r.addrs.empty());

    mon.feed(Msg(RTM_NEWADDR)
                 .hdr(ifa)
                 .bytes(IFA_ADDRESS, v6("2001:db8:1::5").bytes)
                 .u32(IFA_FLAGS, IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE)
                 .attr(IFA_CACHEINFO, &ci, sizeof ci)
                 .done());
    REQUIRE(r.addrs.size() == 1);
    const Addr& a = r.addrs[0].first;
    CHECK_FALSE(r.addrs[0].second);
    CHECK(a.family() == Family::v6);
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
    REQUIRE(r.addrs.size() == 2);
    const Addr& b = r.addrs[1].first;
    CHECK(r.addrs[1].second); // removed
    CHECK(b.addr == v4("192.0.0.2"));
    CHECK(b.family() == Family::v4);
    CHECK(b.flags == IFA_F_PERMANENT); // no IFA_FLAGS: header flags
    CHECK(b.label == "eth0:clat");
    CHECK(b.proto == kRouteProtocol);
    CHECK(b.valid_lft == Addr::kForever); // no IFA_CACHEINFO
}

TEST_CASE("routes: our IPv4 default via inet6 with MTU; filtering", "[netlink]") {
    Recorder r;
    RtnlTracker mon(r.handlers());
    mon.feed(clat_route4_msg(RTM_NEWROUTE));
    REQUIRE(r.routes.size() == 1);
    const Route& rt = r.routes[0].first;
    CHECK(rt.family() == Family::v4);
    CHECK(rt.ifindex == 7);
    CHECK(rt.dst == IpPrefix(Ipv4Prefix{Ipv4Addr{}, 0}));
    REQUIRE(rt.gateway.has_value());
    CHECK(*rt.gateway == IpAddr(v6("fe80::1"))); // RTA_VIA: the other family
    REQUIRE(rt.prefsrc.has_value());
    CHECK(*rt.prefsrc == v4("192.0.0.2"));
    CHECK(rt.protocol == kRouteProtocol);
    CHECK(rt.table == 254);
    CHECK(rt.metric == kRouteMetricBase);
    CHECK(rt.mtu == 1472);

    // Not default and not ours: filtered. Not default but ours: reported.
    mon.feed(clat_route4_msg(RTM_NEWROUTE, RTPROT_BOOT, 32));
    CHECK(r.routes.size() == 1);
    mon.feed(clat_route4_msg(RTM_DELROUTE, kRouteProtocol, 32));
    REQUIRE(r.routes.size() == 2);
    CHECK(r.routes[1].second);
    CHECK(r.routes[1].first.dst == IpPrefix(Ipv4Prefix::parse("10.1.2.3/32").value()));

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
    CHECK(r.routes.size() == 2);
    CHECK(mon.stats().malformed == 0);
}

TEST_CASE("routes: IPv6 default, multipath yields one route per next hop", "[netlink]") {
    Recorder r;
    RtnlTracker mon(r.handlers());
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
    REQUIRE(r.routes.size() == 1);
    const Route& rt = r.routes[0].first;
    CHECK(rt.family() == Family::v6);
    CHECK(rt.ifindex == 2);
    CHECK(rt.gateway == IpAddr(v6("fe80::1")));
    CHECK(rt.metric == 1024);
    CHECK(rt.protocol == RTPROT_RA);
    CHECK(rt.dst == IpPrefix(Ipv6Prefix{}));

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
    REQUIRE(r.routes.size() == 3);
    CHECK(r.routes[1].first.ifindex == 10);
    CHECK(r.routes[1].first.gateway == IpAddr(v6("fe80::a")));
    CHECK(r.routes[2].first.ifindex == 11);
    CHECK(r.routes[2].first.gateway == IpAddr(v6("fe80::b")));
    CHECK(mon.stats().malformed == 0);
}

TEST_CASE("ND user options: each RA option reported with its router", "[netlink]") {
    Recorder r;
    RtnlTracker mon(r.handlers());
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
    RtnlTracker mon(r.handlers());
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

namespace {
// The one message of a request, as the parsers see a kernel message.
NlMsg as_msg(const NlRequest& req) {
    bool bad = false;
    auto msgs = split_datagram(req.bytes(), bad);
    REQUIRE_FALSE(bad);
    REQUIRE(msgs.size() == 1);
    return msgs[0];
}
// Attributes after a fixed header of `hdr_len` bytes.
std::span<const uint8_t> attrs_of(const NlRequest& req, size_t hdr_len) {
    return req.bytes().subspan(16 + hdr_len);
}
} // namespace

TEST_CASE("route requests: one builder for both families, read back by the parser", "[netlink]") {
    Route ours{7,    Ipv4Prefix{},     v6("fe80::1"), v4("192.0.0.2"), kRouteProtocol,
               1000, kRouteMetricBase, 1472};
    const auto add = route_request(Op::replace, ours);
    const auto h = test::nl_header(add.bytes());
    CHECK(h.type == RTM_NEWROUTE);
    CHECK(h.flags == (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE));
    CHECK(h.len == add.bytes().size());
    CHECK(h.family == AF_INET);
    rtmsg rtm{};
    std::memcpy(&rtm, add.bytes().data() + 16, sizeof rtm);
    CHECK(rtm.rtm_table == RT_TABLE_UNSPEC); // 1000 does not fit: RTA_TABLE only
    CHECK(rtm.rtm_type == RTN_UNICAST);
    CHECK(rtm.rtm_scope == RT_SCOPE_UNIVERSE);
    // The IPv6 gateway of an IPv4 route is a struct rtvia.
    const auto via = test::nl_find_attr(attrs_of(add, sizeof rtm), RTA_VIA);
    REQUIRE(via);
    REQUIRE(via->size() == 18);
    uint16_t af = 0;
    std::memcpy(&af, via->data(), 2);
    CHECK(af == AF_INET6);
    CHECK(std::equal(via->begin() + 2, via->end(), v6("fe80::1").bytes.begin()));
    CHECK_FALSE(test::nl_find_attr(attrs_of(add, sizeof rtm), RTA_GATEWAY));
    const auto table = test::nl_find_attr(attrs_of(add, sizeof rtm), RTA_TABLE);
    REQUIRE(table);
    CHECK(table->size() == 4);
    std::vector<Route> back;
    REQUIRE(parse_route(as_msg(add), RouteFilter::ours_only, back) == ParseStatus::ok);
    REQUIRE(back.size() == 1);
    CHECK(back[0] == ours);

    // IPv6, same code path: the gateway of the same family is RTA_GATEWAY.
    Route r6{
        3, Ipv6Prefix::parse("2001:db8::/32").value(), v6("fe80::2"), {}, kRouteProtocol, 254, 1024,
        0};
    const auto add6 = route_request(Op::replace, r6);
    CHECK(test::nl_header(add6.bytes()).family == AF_INET6);
    CHECK(test::nl_find_attr(attrs_of(add6, sizeof rtm), RTA_GATEWAY));
    CHECK_FALSE(test::nl_find_attr(attrs_of(add6, sizeof rtm), RTA_METRICS)); // no MTU
    back.clear();
    REQUIRE(parse_route(as_msg(add6), RouteFilter::ours_only, back) == ParseStatus::ok);
    REQUIRE(back.size() == 1);
    CHECK(back[0] == r6);

    // A removal carries the key only and matches any scope and type.
    const auto del = route_request(Op::remove, ours);
    CHECK(test::nl_header(del.bytes()).type == RTM_DELROUTE);
    CHECK(test::nl_header(del.bytes()).flags == (NLM_F_REQUEST | NLM_F_ACK));
    std::memcpy(&rtm, del.bytes().data() + 16, sizeof rtm);
    CHECK(rtm.rtm_scope == RT_SCOPE_NOWHERE);
    CHECK(rtm.rtm_protocol == kRouteProtocol);
    for (uint16_t t : {RTA_VIA, RTA_GATEWAY, RTA_PREFSRC, RTA_METRICS}) {
        CHECK_FALSE(test::nl_find_attr(attrs_of(del, sizeof rtm), t));
    }
    for (uint16_t t : {RTA_TABLE, RTA_PRIORITY, RTA_OIF}) {
        CHECK(test::nl_find_attr(attrs_of(del, sizeof rtm), t));
    }
}

TEST_CASE("address requests and dump requests", "[netlink]") {
    Addr a{4, v4("192.0.0.2"), 32, RT_SCOPE_UNIVERSE, IFA_F_NOPREFIXROUTE};
    a.label = "eth0:clat";
    a.proto = kRouteProtocol;
    const auto add = addr_request(Op::replace, a);
    CHECK(test::nl_header(add.bytes()).type == RTM_NEWADDR);
    CHECK(test::nl_header(add.bytes()).family == AF_INET);
    Addr back;
    REQUIRE(parse_addr(as_msg(add), back) == ParseStatus::ok);
    CHECK(back == a);
    const auto del = addr_request(Op::remove, a);
    CHECK(test::nl_header(del.bytes()).type == RTM_DELADDR);
    CHECK_FALSE(test::nl_find_attr(attrs_of(del, sizeof(ifaddrmsg)), IFA_LABEL));
    CHECK(test::nl_find_attr(attrs_of(del, sizeof(ifaddrmsg)), IFA_LOCAL) ==
          std::vector<uint8_t>{192, 0, 0, 2});

    const auto d = dump_request(RTM_GETROUTE);
    CHECK(test::nl_header(d.bytes()).flags == (NLM_F_REQUEST | NLM_F_DUMP));
    CHECK(test::nl_header(d.bytes()).family == AF_UNSPEC);
    CHECK(test::nl_header(dump_request(RTM_GETROUTE, Family::v4).bytes()).family == AF_INET);
    CHECK(test::nl_header(d.bytes()).len == 16 + sizeof(rtmsg));
    CHECK(test::nl_header(dump_request(RTM_GETLINK).bytes()).len == 16 + sizeof(ifinfomsg));

    auto link = get_link_request("eth0");
    link.set_seq(77);
    CHECK(link.seq() == 77);
    CHECK(test::nl_header(link.bytes()).seq == 77);
    const auto name = test::nl_find_attr(attrs_of(link, sizeof(ifinfomsg)), IFLA_IFNAME);
    REQUIRE(name);
    CHECK(std::string(name->begin(), name->end()) == std::string("eth0", 5));
}

TEST_CASE("final answers: ACK, refusal with the kernel's text, end of a (failed) dump",
          "[netlink]") {
    bool bad = false;
    NlFinal f;
    const auto ack_bytes = test::nl_error(5, 0);
    auto ack = split_datagram(ack_bytes, bad);
    REQUIRE(ack.size() == 1);
    REQUIRE(parse_final(ack[0], f) == ParseStatus::ok);
    CHECK(f.error == 0);

    // Extended ACK, capped (NETLINK_CAP_ACK): the request's header, then TLVs.
    nlmsgerr e{};
    e.error = -EINVAL;
    e.msg.nlmsg_len = 60; // the request was longer; only its header is echoed
    const auto refused = NlBytes(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 6)
                             .hdr(e)
                             .str(NLMSGERR_ATTR_MSG, "Invalid prefsrc address")
                             .done();
    auto msgs = split_datagram(refused, bad);
    REQUIRE(parse_final(msgs.at(0), f) == ParseStatus::ok);
    CHECK(f.error == -EINVAL);
    CHECK(f.ext_ack == "Invalid prefsrc address");
    const Error err = final_error(f, "installing x");
    CHECK(err.message == "installing x: Invalid argument (kernel: Invalid prefsrc address)");
    CHECK(err.code == Errc::system);
    CHECK(final_error(NlFinal{-EEXIST, {}}, "x").code == Errc::conflict);
    CHECK(final_error(NlFinal{-ESRCH, {}}, "x").code == Errc::not_found);

    const auto done_failed = test::nl_done(7, -EINTR);
    msgs = split_datagram(done_failed, bad);
    REQUIRE(parse_final(msgs.at(0), f) == ParseStatus::ok);
    CHECK(f.error == -EINTR);
    const auto done_ok = test::nl_done(7);
    msgs = split_datagram(done_ok, bad);
    REQUIRE(parse_final(msgs.at(0), f) == ParseStatus::ok);
    CHECK(f.error == 0);
    // Cut short: not a readable answer.
    const auto cut = NlBytes(NLMSG_ERROR, 0, 8).hdr(int{-1}).done();
    msgs = split_datagram(cut, bad);
    CHECK(parse_final(msgs.at(0), f) == ParseStatus::malformed);
    // An errno the kernel never sends (found by fuzz_rtnl: INT_MIN has no
    // positive counterpart) is a broken message, not an error to describe.
    const auto forged = NlBytes(NLMSG_ERROR, 0, 8).hdr(nlmsgerr{INT_MIN, {}}).done();
    msgs = split_datagram(forged, bad);
    CHECK(parse_final(msgs.at(0), f) == ParseStatus::malformed);
    const auto forged_done = test::nl_done(7, -5000);
    msgs = split_datagram(forged_done, bad);
    CHECK(parse_final(msgs.at(0), f) == ParseStatus::malformed);
    const auto other = NlBytes(RTM_NEWLINK).done();
    msgs = split_datagram(other, bad);
    CHECK(parse_final(msgs.at(0), f) == ParseStatus::skip);
}

TEST_CASE("tc filter entries and the family vocabulary", "[netlink]") {
    tcmsg tcm{};
    tcm.tcm_handle = 0x434c;
    bool bad = false;
    const auto filter = NlBytes(RTM_NEWTFILTER).hdr(tcm).done();
    auto msgs = split_datagram(filter, bad);
    uint32_t handle = 0;
    REQUIRE(parse_tc_filter(msgs.at(0), handle) == ParseStatus::ok);
    CHECK(handle == 0x434c);
    const auto short_filter = NlBytes(RTM_NEWTFILTER).raw("ab", 2).done();
    msgs = split_datagram(short_filter, bad);
    CHECK(parse_tc_filter(msgs.at(0), handle) == ParseStatus::malformed);
    const auto req = tc_filter_dump_request(9, 0xfffffff2u);
    tcmsg sent{};
    std::memcpy(&sent, req.bytes().data() + 16, sizeof sent);
    CHECK(sent.tcm_ifindex == 9);
    CHECK(sent.tcm_parent == 0xfffffff2u);

    CHECK(af_of(Family::v4) == AF_INET);
    CHECK(family_of_af(AF_INET6) == Family::v6);
    CHECK_FALSE(family_of_af(AF_BRIDGE));
    const IpAddr a = v4("192.0.2.1");
    CHECK(a.size() == 4);
    CHECK(a.str() == "192.0.2.1");
    CHECK(a != IpAddr(v6("::c000:201"))); // same bytes, other family
    CHECK(IpPrefix::make(v6("2001:db8::1"), 200).str() == "2001:db8::1/128");
    CHECK(IpPrefix::make(v4("192.0.2.77"), 24).str() == "192.0.2.0/24");
    CHECK(IpPrefix(Ipv4Prefix::parse("192.0.2.0/24").value()).contains(v4("192.0.2.5")));
    CHECK_FALSE(IpPrefix(Ipv6Prefix{}).contains(v4("192.0.2.5")));
    CHECK_FALSE(IpAddr::from_bytes(Family::v6, a.span()));
}

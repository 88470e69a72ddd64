// SPDX-License-Identifier: GPL-2.0-or-later
// The netlink monitor's logic (RtnlTracker) without a socket, with the model
// it feeds: the test plays the kernel, reading the dump requests the tracker
// asks to send and answering with hand-made datagrams. What must hold: the
// model is synced only after a full dump every part of which completed; a
// resync empties it and it stays unsynced until the dump after it
// completed; a refused, failed or unsent dump request is asked again after a
// back-off and is never taken for complete; stop() forgets everything.
#include "model/netmodel.hpp"
#include "netlink_bytes.hpp"
#include "netlink_recorder.hpp"
#include "rtnl/rtnl_tracker.hpp"

#include <catch2/catch.hpp>

#include <cerrno>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/socket.h>

using namespace colatrl;
using namespace std::chrono_literals;
using colatrl::test::NlBytes;
using colatrl::test::NlHeader;

namespace {

Ipv6Addr v6(const char* s) {
    return Ipv6Addr::parse(s).value();
}
Ipv4Addr v4(const char* s) {
    return Ipv4Addr::parse(s).value();
}

constexpr uint32_t kUp = IFF_UP | IFF_RUNNING | (1u << 16);

std::vector<uint8_t> link_msg(uint16_t type, int ifindex, uint32_t flags, uint32_t seq = 0) {
    ifinfomsg ifi{};
    ifi.ifi_type = ARPHRD_ETHER;
    ifi.ifi_index = ifindex;
    ifi.ifi_flags = flags;
    return NlBytes(type, NLM_F_MULTI, seq).hdr(ifi).str(IFLA_IFNAME, "eth0").done();
}

std::vector<uint8_t> addr_msg(uint16_t type, int ifindex, const IpAddr& a, uint8_t len) {
    ifaddrmsg ifa{};
    ifa.ifa_family = a.family == Family::v4 ? AF_INET : AF_INET6;
    ifa.ifa_prefixlen = len;
    ifa.ifa_index = static_cast<uint32_t>(ifindex);
    return NlBytes(type).hdr(ifa).attr(IFA_ADDRESS, a.bytes.data(), a.size()).done();
}

std::vector<uint8_t> default_route_msg(uint16_t type, int ifindex, const IpAddr& gw,
                                       uint16_t flags = 0, uint32_t seq = 0) {
    rtmsg rtm{};
    rtm.rtm_family = gw.family == Family::v4 ? AF_INET : AF_INET6;
    rtm.rtm_table = RT_TABLE_MAIN;
    rtm.rtm_protocol = RTPROT_STATIC;
    rtm.rtm_type = RTN_UNICAST;
    return NlBytes(type, flags, seq)
        .hdr(rtm)
        .u32(RTA_OIF, static_cast<uint32_t>(ifindex))
        .attr(RTA_GATEWAY, gw.bytes.data(), gw.size())
        .done();
}

// The model the daemon keeps, fed by the tracker, plus a record of events.
struct Harness {
    NetworkModel model;
    test::NetlinkRecorder rec;
    RtnlTracker t{NetlinkHandlers{[this](const NetEvent& e) {
                                      model.apply(e);
                                      rec.record(e);
                                  },
                                  {},
                                  {},
                                  {}}};

    // The one request the tracker wants sent now.
    NlHeader sent() {
        auto r = t.next_request();
        REQUIRE(r.has_value());
        CHECK_FALSE(t.next_request()); // one dump at a time
        return test::nl_header(r->bytes());
    }
    // Plays the kernel's answer to a dump: the entries, then DONE.
    void answer(const NlHeader& h, const std::vector<std::vector<uint8_t>>& entries = {},
                int error = 0) {
        for (const auto& e : entries) {
            t.feed(e);
        }
        t.feed(test::nl_done(h.seq, error));
    }
    // A whole full dump of one up link with an IPv6 address and default route.
    void full_dump() {
        auto h = sent();
        REQUIRE(h.type == RTM_GETLINK);
        answer(h, {link_msg(RTM_NEWLINK, 2, kUp, h.seq)});
        h = sent();
        REQUIRE(h.type == RTM_GETADDR);
        CHECK(h.family == AF_UNSPEC); // both families in one dump
        answer(h, {addr_msg(RTM_NEWADDR, 2, v6("2001:db8:1::10"), 64)});
        h = sent();
        REQUIRE(h.type == RTM_GETROUTE);
        CHECK(h.family == AF_UNSPEC);
        answer(h, {default_route_msg(RTM_NEWROUTE, 2, v6("fe80::1"))});
    }
    bool complete_picture() const {
        return model.links.count(2) == 1 && model.addrs.size() == 1 && model.routes.size() == 1;
    }
};

} // namespace

TEST_CASE("a full dump is links, addresses, routes; synced after the last part only",
          "[netlink_tracker]") {
    Harness h;
    h.t.start();
    CHECK(h.rec.starts == 1);
    auto links = h.sent();
    CHECK(links.type == RTM_GETLINK);
    CHECK(links.flags == (NLM_F_REQUEST | NLM_F_DUMP));
    h.answer(links, {link_msg(RTM_NEWLINK, 2, kUp, links.seq)});
    CHECK_FALSE(h.model.synced);
    // An answer to something else (other sequence number) ends nothing.
    auto addrs = h.sent();
    h.t.feed(test::nl_done(addrs.seq + 100));
    h.t.feed(test::nl_error(addrs.seq + 100, -EBUSY));
    CHECK_FALSE(h.t.next_request());
    CHECK_FALSE(h.t.retry_delay());
    h.answer(addrs);
    auto routes = h.sent();
    CHECK_FALSE(h.model.synced);
    h.answer(routes, {default_route_msg(RTM_NEWROUTE, 2, v6("fe80::1"))});
    CHECK(h.model.synced);
    CHECK(h.t.synced());
    CHECK(h.rec.dumps == 1);
    CHECK(h.t.stats().dumps == 1);
    CHECK_FALSE(h.t.next_request());
    CHECK(h.model.links.count(2) == 1);
    CHECK(h.model.routes.size() == 1);
}

TEST_CASE("a refused dump request is asked again after a back-off, never taken for complete",
          "[netlink_tracker]") {
    Harness h;
    h.t.start();
    auto links = h.sent();
    h.answer(links, {link_msg(RTM_NEWLINK, 2, kUp)});
    // The addresses dump is refused again and again (e.g. EBUSY).
    std::vector<std::chrono::milliseconds> delays;
    for (int i = 0; i < 12; ++i) {
        auto addrs = h.sent();
        REQUIRE(addrs.type == RTM_GETADDR);
        h.t.feed(test::nl_error(addrs.seq, -EBUSY));
        CHECK_FALSE(h.t.next_request()); // nothing until the timer fires
        REQUIRE(h.t.retry_delay());
        delays.push_back(*h.t.retry_delay());
        CHECK_FALSE(h.model.synced);
        h.t.retry_due();
    }
    CHECK(h.rec.dumps == 0);
    CHECK(h.t.stats().failed == 12);
    CHECK(delays[0] == RtnlTracker::kFirstRetry);
    CHECK(delays[1] == 2 * RtnlTracker::kFirstRetry);
    CHECK(delays[4] == 16 * RtnlTracker::kFirstRetry);
    CHECK(delays.back() == RtnlTracker::kMaxRetry);
    // Accepted at last: the sequence goes on where it was.
    auto addrs = h.sent();
    CHECK(addrs.type == RTM_GETADDR);
    h.answer(addrs, {addr_msg(RTM_NEWADDR, 2, v6("2001:db8:1::10"), 64)});
    auto routes = h.sent();
    CHECK_FALSE(h.t.retry_delay()); // success resets the back-off
    h.answer(routes, {default_route_msg(RTM_NEWROUTE, 2, v6("fe80::1"))});
    CHECK(h.model.synced);
    CHECK(h.complete_picture());
}

TEST_CASE("a part of the dump the kernel keeps refusing is never reported complete",
          "[netlink_tracker]") {
    Harness h;
    h.t.start();
    // Answer whatever is asked, for as long as anything is asked, refusing
    // every addresses dump; fire the retry timer whenever one is armed.
    int refused = 0;
    for (int round = 0; round < 50; ++round) {
        if (auto req = h.t.next_request()) {
            const auto hdr = test::nl_header(req->bytes());
            if (hdr.type == RTM_GETADDR) {
                h.t.feed(test::nl_error(hdr.seq, -EBUSY));
                ++refused;
            } else {
                h.answer(hdr, {link_msg(RTM_NEWLINK, 2, kUp)});
            }
        } else if (h.t.retry_delay()) {
            h.t.retry_due();
        }
    }
    CHECK(refused >= 4);
    CHECK(h.rec.dumps == 0);
    CHECK_FALSE(h.model.synced);
    CHECK_FALSE(h.t.synced());
}

TEST_CASE("a dump that fails midway, or cannot be sent, is asked again", "[netlink_tracker]") {
    Harness h;
    h.t.start();
    SECTION("NLMSG_DONE with an error") {
        auto links = h.sent();
        h.answer(links, {link_msg(RTM_NEWLINK, 2, kUp)}, -EINTR);
        CHECK_FALSE(h.t.next_request());
        CHECK(h.t.retry_delay() == RtnlTracker::kFirstRetry);
    }
    SECTION("the request could not be sent") {
        REQUIRE(h.t.next_request());
        h.t.send_failed("No buffer space available");
        CHECK_FALSE(h.t.next_request());
        CHECK(h.t.retry_delay() == RtnlTracker::kFirstRetry);
    }
    SECTION("an unreadable answer") {
        auto links = h.sent();
        h.t.feed(NlBytes(NLMSG_ERROR, 0, links.seq).hdr(int{-1}).done());
        CHECK(h.t.retry_delay() == RtnlTracker::kFirstRetry);
        CHECK(h.t.stats().malformed == 1);
    }
    CHECK_FALSE(h.model.synced);
    h.t.retry_due();
    CHECK_FALSE(h.t.retry_delay());
    h.full_dump();
    CHECK(h.model.synced);
    CHECK(h.complete_picture());
}

TEST_CASE("an overrun empties the model, which stays unsynced until a whole new dump completed",
          "[netlink_tracker]") {
    Harness h;
    h.t.start();
    h.full_dump();
    REQUIRE(h.model.synced);
    REQUIRE(h.complete_picture());

    SECTION("while idle") {
        h.t.overrun();
        CHECK(h.t.stats().overruns == 1);
        CHECK_FALSE(h.model.synced);
        CHECK(h.model.links.empty());
        CHECK(h.model.routes.empty());
        h.full_dump();
    }
    SECTION("while a sweep dump runs: that one ends first, then everything again") {
        h.t.feed(addr_msg(RTM_DELADDR, 2, v4("192.0.2.5"), 24)); // starts an IPv4 sweep
        auto sweep = h.sent();
        CHECK(sweep.type == RTM_GETROUTE);
        CHECK(sweep.family == AF_INET);
        h.t.overrun();
        CHECK_FALSE(h.model.synced);
        CHECK_FALSE(h.t.next_request()); // one dump at a time per socket
        h.answer(sweep);
        CHECK_FALSE(h.model.synced);
        h.full_dump();
    }
    SECTION("while waiting to retry a refused part of the dump after it") {
        h.t.resync();
        auto links = h.sent();
        h.answer(links, {link_msg(RTM_NEWLINK, 2, kUp)});
        auto addrs = h.sent();
        h.t.feed(test::nl_error(addrs.seq, -ENOBUFS));
        REQUIRE(h.t.retry_delay());
        h.t.overrun(); // the retry, when due, starts from the links
        CHECK(h.t.retry_delay());
        CHECK_FALSE(h.t.next_request());
        h.t.retry_due();
        h.full_dump();
    }
    SECTION("a dump the kernel flags as interrupted starts over") {
        h.t.resync();
        auto links = h.sent();
        h.t.feed(link_msg(RTM_NEWLINK, 2, kUp));
        h.t.feed(NlBytes(RTM_NEWLINK, NLM_F_MULTI | NLM_F_DUMP_INTR, links.seq).done());
        h.t.feed(test::nl_done(links.seq));
        CHECK(h.rec.starts == 3);
        CHECK_FALSE(h.model.synced);
        h.full_dump();
    }
    CHECK(h.model.synced);
    CHECK(h.complete_picture());
    CHECK(h.rec.dumps == 2);
}

TEST_CASE("IPv4 routes flushed silently are swept: link down, link gone, address gone",
          "[netlink_tracker]") {
    Harness h;
    h.t.start();
    h.full_dump();
    const IpAddr gw4 = v4("192.0.2.1");
    h.t.feed(default_route_msg(RTM_NEWROUTE, 2, gw4));
    REQUIRE(h.model.routes.size() == 2);

    SECTION("admin down") {
        h.t.feed(link_msg(RTM_NEWLINK, 2, 0));
    }
    SECTION("IPv4 address removed") {
        h.t.feed(addr_msg(RTM_DELADDR, 2, v4("192.0.2.5"), 24));
    }
    SECTION("link removed") {
        h.t.feed(link_msg(RTM_DELLINK, 2, 0));
    }
    auto sweep = h.sent();
    CHECK(sweep.type == RTM_GETROUTE);
    CHECK(sweep.family == AF_INET);
    // A second trigger while it runs waits for it.
    h.t.feed(link_msg(RTM_NEWLINK, 3, kUp));
    h.t.feed(link_msg(RTM_DELLINK, 3, 0));
    CHECK_FALSE(h.t.next_request());
    h.answer(sweep); // the kernel no longer has the IPv4 route
    REQUIRE_FALSE(h.rec.routes.empty());
    CHECK(h.rec.routes.back().second);
    CHECK(h.rec.routes.back().first.gateway == gw4);
    CHECK(std::none_of(h.model.routes.begin(), h.model.routes.end(),
                       [](const Route& r) { return r.family() == Family::v4; }));
    CHECK(h.model.synced); // a sweep is not a resync
    auto again = h.sent();
    CHECK(again.family == AF_INET);
    h.answer(again);
    CHECK_FALSE(h.t.next_request());
}

TEST_CASE("stop() forgets pending dumps and retries", "[netlink_tracker]") {
    Harness h;
    h.t.start();
    auto links = h.sent();
    h.t.feed(test::nl_error(links.seq, -EBUSY));
    REQUIRE(h.t.retry_delay());
    h.t.stop();
    CHECK_FALSE(h.t.retry_delay());
    CHECK_FALSE(h.t.next_request());
    CHECK_FALSE(h.t.synced());
    h.t.retry_due(); // a timer that fired late changes nothing
    CHECK_FALSE(h.t.next_request());
    h.t.start();
    h.full_dump();
    CHECK(h.model.synced);
}

TEST_CASE("IPv6 link-info and prefix notifications name the link whose IPv6 settings moved",
          "[netlink_tracker]") {
    std::vector<int> hints;
    std::vector<int> links;
    NetlinkHandlers handlers;
    handlers.on_event = [&](const NetEvent& e) {
        if (const auto* c = std::get_if<Change<Link>>(&e)) {
            links.push_back(c->value.ifindex);
        }
    };
    handlers.on_ipv6_settings = [&](int ifindex) {
        hints.push_back(ifindex);
    };
    RtnlTracker t{handlers};

    // RTNLGRP_IPV6_IFINFO: an AF_INET6 link message (e.g. a new RA MTU); it
    // is no link change of its own.
    ifinfomsg ifi6{};
    ifi6.ifi_family = AF_INET6;
    ifi6.ifi_index = 3;
    ifi6.ifi_flags = kUp;
    t.feed(NlBytes(RTM_NEWLINK).hdr(ifi6).str(IFLA_IFNAME, "eth1").u32(IFLA_MTU, 1500).done());
    CHECK(hints == std::vector<int>{3});
    CHECK(links.empty());
    // RTNLGRP_IPV6_PREFIX: an RA's prefix option was processed on link 4.
    prefixmsg pm{};
    pm.prefix_family = AF_INET6;
    pm.prefix_ifindex = 4;
    t.feed(NlBytes(RTM_NEWPREFIX).hdr(pm).done());
    CHECK(hints == std::vector<int>{3, 4});
    // An ordinary link message is a link change and no hint.
    t.feed(link_msg(RTM_NEWLINK, 2, kUp));
    CHECK(links == std::vector<int>{2});
    CHECK(hints.size() == 2);
    // Other families are not ours; broken ones are counted, never reported.
    pm.prefix_family = AF_INET;
    t.feed(NlBytes(RTM_NEWPREFIX).hdr(pm).done());
    ifi6.ifi_index = 0;
    t.feed(NlBytes(RTM_NEWLINK).hdr(ifi6).done());
    const uint8_t half[4] = {AF_INET6, 0, 0, 0};
    t.feed(NlBytes(RTM_NEWLINK).raw(half, sizeof half).done());
    CHECK(hints.size() == 2);
    CHECK(links.size() == 1);
    CHECK(t.stats().malformed == 2);
}

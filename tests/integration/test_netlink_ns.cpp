// SPDX-License-Identifier: GPL-2.0-or-later
// KernelOps and NetlinkMonitor against the real kernel, inside namespaces the
// test creates (ns_fixture.hpp): installs are checked with iproute2, events
// with the monitor, and an RA with a PREF64 option sent from the peer
// namespace must arrive as an ND user option.
#include "netlink_recorder.hpp"
#include "ns_fixture.hpp"
#include "rtnl/kernel_ops.hpp"
#include "rtnl/monitor.hpp"
#include "rtnl/nl_socket.hpp"
#include "sys/procsys.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace colatrl;
using namespace colatrl::test;
using namespace std::chrono_literals;

namespace {

Ipv6Addr v6(const char* s) {
    return Ipv6Addr::parse(s).value();
}
Ipv4Addr v4(const char* s) {
    return Ipv4Addr::parse(s).value();
}

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

int count_lines(const std::string& s) {
    int n = 0;
    for (char c : s) {
        n += c == '\n' ? 1 : 0;
    }
    return n;
}

// Our side: nl0 with 2001:db8:1::2/64; peer side: nl1 with fe80::1 and
// 2001:db8:1::1/64.
struct Topology {
    PeerNs peer;
    Veth veth{peer, "nl0", "nl1"};
    int ifindex = 0;
    Topology() {
        // Only fe80::1 on the peer, so it is the RA source.
        REQUIRE(peer.run("ip link set nl1 addrgenmode none") == 0);
        REQUIRE(peer.run("ip -6 addr add fe80::1/64 dev nl1") == 0);
        REQUIRE(peer.run("ip -6 addr add 2001:db8:1::1/64 dev nl1") == 0);
        REQUIRE(peer.run("ip link set nl1 up") == 0);
        REQUIRE(sh("ip -6 addr add 2001:db8:1::2/64 dev nl0") == 0);
        REQUIRE(sh("ip link set nl0 up") == 0);
        ifindex = static_cast<int>(if_nametoindex("nl0"));
        REQUIRE(ifindex > 0);
    }
};

using Recorder = colatrl::test::NetlinkRecorder;

const std::vector<uint8_t> kPref64Opt = {0x26, 0x02, 0x07, 0x08, 0x20, 0x01, 0x0d, 0xb8,
                                         0x00, 0x64, 0,    0,    0,    0,    0,    0};

// Sends one RA with a PREF64 option out of `ifname` (run inside the peer).
int send_ra(const char* ifname) {
    const int fd = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
    if (fd < 0) {
        return 2;
    }
    const int hops = 255;
    const int ifindex = static_cast<int>(if_nametoindex(ifname));
    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof ifindex);
    std::vector<uint8_t> ra(16, 0);
    ra[0] = ND_ROUTER_ADVERT;
    ra[4] = 64; // cur hop limit; router lifetime 0: not a default router
    ra.insert(ra.end(), kPref64Opt.begin(), kPref64Opt.end());
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
    to.sin6_scope_id = static_cast<uint32_t>(ifindex);
    // The kernel fills the ICMPv6 checksum of raw ICMPv6 sockets.
    const auto n = sendto(fd, ra.data(), ra.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    close(fd);
    return n == static_cast<ssize_t>(ra.size()) ? 0 : 3;
}

} // namespace

TEST_CASE("KernelOps installs, lists and removes the CLAT address and route", "[kernel_ops]") {
    enter_private_netns();
    Topology t;
    auto ops_r = KernelOps::open();
    REQUIRE(ops_r.ok());
    KernelOps& ops = ops_r.value();

    REQUIRE(ops.add_clat_addr4(t.ifindex, "nl0", v4("192.0.0.2")).ok());
    REQUIRE(ops.add_clat_addr4(t.ifindex, "nl0", v4("192.0.0.2")).ok()); // idempotent
    const auto addrs = out("ip -4 addr show dev nl0");
    CHECK(contains(addrs, "192.0.0.2/32"));
    CHECK(contains(addrs, "nl0:clat"));
    CHECK(count_lines(out("ip -4 -o addr show dev nl0")) == 1);

    ClatRoute4 r{t.ifindex, "nl0", v6("fe80::1"), v4("192.0.0.2"), 1472, 254};
    auto st = ops.replace_clat_route4(r);
    INFO((st.ok() ? std::string() : st.error().message));
    REQUIRE(st.ok());
    auto routes = out("ip -4 route show default");
    INFO(routes);
    CHECK(contains(routes, "via inet6 fe80::1 dev nl0"));
    CHECK(contains(routes, "proto 157"));
    CHECK(contains(routes, "src 192.0.0.2"));
    CHECK(contains(routes, "metric " + std::to_string(kRouteMetricBase)));
    CHECK(contains(routes, "mtu 1472"));

    // Replacing changes the one route in place (no second route).
    r.mtu = 1400;
    REQUIRE(ops.replace_clat_route4(r).ok());
    routes = out("ip -4 route show default");
    CHECK(count_lines(routes) == 1);
    CHECK(contains(routes, "mtu 1400"));

    // A native default route wins over ours.
    REQUIRE(sh("ip -4 addr add 10.0.0.2/24 dev nl0") == 0);
    REQUIRE(sh("ip -4 route add default via 10.0.0.1 dev nl0 metric 1100") == 0);
    CHECK(contains(out("ip -4 route get 198.51.100.1"), "via 10.0.0.1"));
    REQUIRE(sh("ip -4 route del default via 10.0.0.1 dev nl0 metric 1100") == 0);
    REQUIRE(sh("ip -4 addr del 10.0.0.2/24 dev nl0") == 0);
    CHECK(contains(out("ip -4 route get 198.51.100.1"), "via inet6 fe80::1"));

    // Someone else's address in the same range is not ours.
    REQUIRE(sh("ip -4 addr add 192.0.0.3/32 dev nl0") == 0);

    auto left = ops.list_ours();
    REQUIRE(left.ok());
    REQUIRE(left->addrs.size() == 1);
    CHECK(left->addrs[0].addr == IpAddr(v4("192.0.0.2")));
    CHECK(left->addrs[0].ifindex == t.ifindex);
    CHECK(left->addrs[0].label == "nl0:clat");
    REQUIRE(left->routes.size() == 1);
    const Route& lr = left->routes[0];
    CHECK(lr.family() == Family::v4);
    CHECK(lr.ifindex == t.ifindex);
    CHECK(lr.gateway == IpAddr(v6("fe80::1")));
    CHECK(lr.prefsrc == IpAddr(v4("192.0.0.2")));
    CHECK(lr.mtu == 1400);
    CHECK(lr.metric == kRouteMetricBase);
    CHECK(lr.protocol == kRouteProtocol);

    // A source that is not local: refused, and the message says where.
    ClatRoute4 bad = r;
    bad.src = v4("192.0.0.5");
    auto e = ops.replace_clat_route4(bad);
    REQUIRE_FALSE(e.ok());
    INFO(e.error().message);
    CHECK(contains(e.error().message, "nl0"));
    CHECK(contains(e.error().message, "192.0.0.5"));

    // Without a next hop (raw-IP links): scope link, beside the other at its own metric.
    ClatRoute4 dev = r;
    dev.gateway.reset();
    dev.metric = kRouteMetricBase + 1;
    st = ops.replace_clat_route4(dev);
    INFO((st.ok() ? std::string() : st.error().message));
    REQUIRE(st.ok());
    routes = out("ip -4 route show default");
    INFO(routes);
    CHECK(count_lines(routes) == 2);
    CHECK(contains(routes, "default dev nl0 proto 157 scope link src 192.0.0.2 metric " +
                               std::to_string(kRouteMetricBase + 1)));
    REQUIRE(ops.del_clat_route4(t.ifindex, "nl0", kRouteMetricBase + 1).ok());
    CHECK(count_lines(out("ip -4 route show default")) == 1);

    REQUIRE(ops.del_clat_route4(t.ifindex, "nl0", kRouteMetricBase).ok());
    REQUIRE(ops.del_clat_route4(t.ifindex, "nl0", kRouteMetricBase).ok()); // already gone: fine
    REQUIRE(ops.del_clat_addr4(t.ifindex, "nl0", v4("192.0.0.2")).ok());
    REQUIRE(ops.del_clat_addr4(t.ifindex, "nl0", v4("192.0.0.2")).ok());
    CHECK(out("ip -4 route show default").empty());
    CHECK_FALSE(contains(out("ip -4 addr show dev nl0"), "192.0.0.2/"));
    CHECK(contains(out("ip -4 addr show dev nl0"), "192.0.0.3/32")); // not touched
    left = ops.list_ours();
    REQUIRE(left.ok());
    CHECK(left->addrs.empty());
    CHECK(left->routes.empty());

    // Crash recovery path: delete what list_ours found, whatever it is, of
    // either family.
    REQUIRE(sh("ip -4 route add 203.0.113.0/24 dev nl0 proto 157 metric 7") == 0);
    REQUIRE(sh("ip -6 route add 2001:db8:77::/48 dev nl0 proto 157 metric 9") == 0);
    left = ops.list_ours();
    REQUIRE(left.ok());
    REQUIRE(left->routes.size() == 2);
    for (const auto& leftover : left->routes) {
        REQUIRE(ops.del_route(leftover).ok());
        REQUIRE(ops.del_route(leftover).ok()); // already gone: fine
    }
    CHECK(out("ip -4 route show proto 157").empty());
    CHECK(out("ip -6 route show proto 157").empty());
}

TEST_CASE("accept_ra state is read, never written", "[kernel_ops]") {
    enter_private_netns();
    Topology t;
    const ProcSys sys;
    auto ra = sys.ra_acceptance("nl0");
    REQUIRE(ra.ok());
    CHECK(ra->accept_ra == 1);
    CHECK(ra->forwarding == 0);
    CHECK(ra->accepts());
    CHECK_FALSE(accept_ra_warning("nl0", *ra).has_value());
    REQUIRE(sh("sysctl -qw net.ipv6.conf.nl0.accept_ra=0") == 0);
    ra = sys.ra_acceptance("nl0");
    REQUIRE(ra.ok());
    auto w = accept_ra_warning("nl0", *ra);
    REQUIRE(w.has_value());
    CHECK(contains(*w, "nl0"));
    CHECK(contains(*w, "accept_ra=0"));
    CHECK_FALSE(sys.ra_acceptance("../x").ok());
    CHECK_FALSE(sys.ra_acceptance("nosuchif0").ok());
}

TEST_CASE("NetlinkMonitor: dump, then events through the same handlers", "[netlink]") {
    enter_private_netns();
    Topology t;
    REQUIRE(sh("ip -6 route add default via fe80::1 dev nl0 metric 512") == 0);
    EventLoop loop;
    Recorder rec;
    NetlinkMonitor mon(rec.handlers());
    REQUIRE(mon.attach(loop.e).ok());
    REQUIRE(run_until(loop.e, [&] { return rec.dumps == 1; }));

    auto link = std::find_if(rec.links.begin(), rec.links.end(),
                             [&](const Link& l) { return l.ifindex == t.ifindex; });
    REQUIRE(link != rec.links.end());
    CHECK(link->name == "nl0");
    CHECK(link->mtu == 1500);
    CHECK((link->flags & IFF_UP) != 0);
    CHECK(std::any_of(rec.addrs.begin(), rec.addrs.end(), [&](const auto& p) {
        return p.first.addr == IpAddr(v6("2001:db8:1::2")) && p.first.prefixlen == 64 &&
               p.first.ifindex == t.ifindex && !p.second;
    }));
    CHECK(std::any_of(rec.routes.begin(), rec.routes.end(), [&](const auto& p) {
        return p.first.ifindex == t.ifindex && p.first.gateway == IpAddr(v6("fe80::1")) &&
               p.first.metric == 512 && p.first.dst.len == 0 && !p.second;
    }));
    // Only default routes: the /64 prefix route is not reported.
    CHECK(std::none_of(rec.routes.begin(), rec.routes.end(),
                       [](const auto& p) { return p.first.dst.len != 0; }));
    CHECK(mon.synced());

    // Our installs arrive as events.
    auto ops_r = KernelOps::open();
    REQUIRE(ops_r.ok());
    REQUIRE(ops_r->add_clat_addr4(t.ifindex, "nl0", v4("192.0.0.2")).ok());
    REQUIRE(ops_r
                ->replace_clat_route4(
                    ClatRoute4{t.ifindex, "nl0", v6("fe80::1"), v4("192.0.0.2"), 1472, 254})
                .ok());
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(run_until(loop.e, [&] { return rec.has_route4(t.ifindex, false, kRouteProtocol); }));
    const auto lag = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - t0);
    std::fprintf(stderr, "MEASURED: route event reached the sink %lld us after the ACK\n",
                 static_cast<long long>(lag.count()));
    CHECK(lag < 1000ms);
    CHECK(std::any_of(rec.addrs.begin(), rec.addrs.end(), [&](const auto& p) {
        return p.first.addr == IpAddr(v4("192.0.0.2")) && p.first.prefixlen == 32 &&
               p.first.proto == kRouteProtocol && !p.second;
    }));
    const auto ours = std::find_if(rec.routes.begin(), rec.routes.end(), [&](const auto& p) {
        return p.first.protocol == kRouteProtocol;
    });
    REQUIRE(ours != rec.routes.end());
    CHECK(ours->first.gateway == IpAddr(v6("fe80::1")));
    CHECK(ours->first.mtu == 1472);
    CHECK(ours->first.metric == kRouteMetricBase);

    // Link down: the kernel flushes IPv4 routes without telling anyone; the
    // monitor's sweep reports the removal anyway.
    REQUIRE(sh("ip link set nl0 down") == 0);
    REQUIRE(run_until(loop.e, [&] { return rec.has_route4(t.ifindex, true, kRouteProtocol); }));
    CHECK(out("ip -4 route show proto 157").empty());
    CHECK((rec.links.back().flags & IFF_UP) == 0);

    // A resync clears and dumps again.
    const auto links_before = rec.links.size();
    mon.request_resync();
    CHECK(rec.starts == 2);
    CHECK_FALSE(mon.synced());
    REQUIRE(run_until(loop.e, [&] { return rec.dumps == 2; }));
    CHECK(mon.synced());
    CHECK(rec.links.size() > links_before);
    CHECK(mon.stats().dumps == 2);
    CHECK(mon.stats().malformed == 0);

    // The link going away.
    REQUIRE(sh("ip link del nl0") == 0);
    REQUIRE(run_until(loop.e, [&] {
        return std::find(rec.removed_links.begin(), rec.removed_links.end(), t.ifindex) !=
               rec.removed_links.end();
    }));
}

TEST_CASE("NetlinkMonitor: a PREF64 option in an RA arrives as an ND user option", "[netlink]") {
    enter_private_netns();
    Topology t;
    EventLoop loop;
    Recorder rec;
    NetlinkMonitor mon(rec.handlers());
    REQUIRE(mon.attach(loop.e).ok());
    REQUIRE(run_until(loop.e, [&] { return rec.dumps == 1; }));
    REQUIRE(t.peer.in_ns([] { return send_ra("nl1"); }) == 0);
    REQUIRE(run_until(loop.e, [&] { return !rec.opts.empty(); }));
    CHECK(rec.opts[0].ifindex == t.ifindex);
    CHECK(rec.opts[0].router == v6("fe80::1"));
    CHECK(rec.opts[0].bytes == kPref64Opt);
}

TEST_CASE("NetlinkMonitor: removing the CLAT address flushes our route; the sweep reports it",
          "[netlink]") {
    enter_private_netns();
    Topology t;
    EventLoop loop;
    Recorder rec;
    NetlinkMonitor mon(rec.handlers());
    REQUIRE(mon.attach(loop.e).ok());
    REQUIRE(run_until(loop.e, [&] { return rec.dumps == 1; }));
    auto ops = KernelOps::open();
    REQUIRE(ops.ok());
    REQUIRE(ops->add_clat_addr4(t.ifindex, "nl0", v4("192.0.0.2")).ok());
    REQUIRE(ops->replace_clat_route4(
                   ClatRoute4{t.ifindex, "nl0", v6("fe80::1"), v4("192.0.0.2"), 1472, 254})
                .ok());
    REQUIRE(run_until(loop.e, [&] { return rec.has_route4(t.ifindex, false, kRouteProtocol); }));
    REQUIRE(sh("ip -4 addr del 192.0.0.2/32 dev nl0") == 0);
    REQUIRE(run_until(loop.e, [&] { return rec.has_route4(t.ifindex, true, kRouteProtocol); }));
    CHECK(out("ip -4 route show proto 157").empty());
}

TEST_CASE("NetlinkMonitor: after a receive buffer overrun the model is unsynced until a full, "
          "correct re-dump completed",
          "[netlink]") {
    enter_private_netns();
    Topology t;
    EventLoop loop;
    // The daemon's wiring: every event goes into the model. Whenever the
    // model says it is synced, it must hold what was there all along.
    NetworkModel model;
    int starts = 0;
    int completes = 0;
    int partial_but_synced = 0;
    NetlinkMonitor mon(NetlinkHandlers{
        [&](const NetEvent& e) {
            model.apply(e);
            starts += std::holds_alternative<DumpStarted>(e);
            completes += std::holds_alternative<DumpComplete>(e);
            const bool whole =
                model.links.count(t.ifindex) == 1 &&
                std::any_of(model.addrs.begin(), model.addrs.end(),
                            [](const Addr& a) { return a.addr == IpAddr(v6("2001:db8:1::2")); });
            partial_but_synced += model.synced && !whole;
        },
        {},
        {},
        {}});
    // Tiny buffer: a burst of events overflows it while the loop is not reading.
    REQUIRE(mon.attach(loop.e, 4096).ok());
    REQUIRE(run_until(loop.e, [&] { return completes == 1; }));
    REQUIRE(model.synced);

    const std::string batch = "/tmp/colatrl-nl-batch-" + std::to_string(getpid());
    {
        std::ofstream f(batch);
        for (int i = 1; i <= 400; ++i) {
            f << "addr add 2001:db8:5::" << i << "/128 dev nl0 nodad\n";
        }
        REQUIRE(f.good());
    }
    const int rc = sh("ip -batch " + batch);
    std::remove(batch.c_str());
    REQUIRE(rc == 0);
    REQUIRE(std::stoi(out("ip -6 -o addr show dev nl0 | grep -c 2001:db8:5::")) == 400);

    // Drain until the overrun was seen and a full dump completed after it,
    // and no more events are pending.
    CHECK(run_until(
        loop.e, [&] { return mon.stats().overruns > 0 && completes >= 2 && model.synced; },
        10000ms));
    run_until(
        loop.e, [] { return false; }, 300ms);
    CHECK(starts >= 2);
    CHECK(model.synced);
    CHECK(mon.synced());
    CHECK(partial_but_synced == 0);
    int found = 0;
    for (int i = 1; i <= 400; ++i) {
        const IpAddr want = v6(("2001:db8:5::" + std::to_string(i)).c_str());
        found += static_cast<int>(std::count_if(model.addrs.begin(), model.addrs.end(),
                                                [&](const Addr& a) { return a.addr == want; }));
    }
    CHECK(found == 400);
    CHECK(mon.stats().malformed == 0);
}

TEST_CASE("one-shot queries: a link by name, tc filters of a hook", "[netlink]") {
    enter_private_netns();
    Topology t;
    auto l = query_link("nl0");
    REQUIRE(l.ok());
    CHECK(l->ifindex == t.ifindex);
    CHECK(l->mtu == 1500);
    CHECK(l->type == 1); // ARPHRD_ETHER
    auto missing = query_link("nosuchif0");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == Errc::not_found);
    CHECK(contains(missing.error().message, "nosuchif0"));

    const uint32_t ingress = 0xfffffff2u; // TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
    auto none = count_tc_filters(t.ifindex, ingress);
    REQUIRE(none.ok());
    CHECK(*none == 0);
    REQUIRE(sh("tc qdisc add dev nl0 clsact") == 0);
    // Classic BPF "accept nothing": cls_bpf is the classifier this kernel has.
    // The dump lists each priority once without a handle, then its filters.
    REQUIRE(sh("tc filter add dev nl0 ingress pref 7 bpf bytecode '1,6 0 0 0,'") == 0);
    REQUIRE(sh("tc filter add dev nl0 ingress pref 8 bpf bytecode '1,6 0 0 0,'") == 0);
    auto two = count_tc_filters(t.ifindex, ingress);
    REQUIRE(two.ok());
    CHECK(*two == 2);
    auto egress = count_tc_filters(t.ifindex, 0xfffffff3u);
    REQUIRE(egress.ok());
    CHECK(*egress == 0);
}

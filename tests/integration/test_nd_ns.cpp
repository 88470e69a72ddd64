// SPDX-License-Identifier: GPL-2.0-or-later
// DAD, the anycast claim and telling the router against the real kernel, over a veth pair between
// the test's private namespace and a peer namespace (ns_fixture.hpp).
#include "nd/announce.hpp"
#include "nd/nd.hpp"
#include "ns_fixture.hpp"

#include <catch2/catch.hpp>

#include <optional>

#include <net/if.h>
#include <unistd.h>

using namespace colatrl;
using namespace colatrl::test;
using namespace std::chrono_literals;

namespace {

Ipv6Addr v6(const char* s) {
    return Ipv6Addr::parse(s).value();
}

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

// Ours: nd0 with 2001:db8:1::2/64. Peer: nd1 with 2001:db8:1::1/64 and
// 2001:db8:1::99/64 (the "taken" address).
struct Topology {
    PeerNs peer;
    Veth veth{peer, "nd0", "nd1"};
    int ifindex = 0;
    Topology() {
        REQUIRE(peer.run("ip -6 addr add 2001:db8:1::1/64 dev nd1") == 0);
        REQUIRE(peer.run("ip -6 addr add 2001:db8:1::99/64 dev nd1") == 0);
        REQUIRE(peer.run("ip link set nd1 up") == 0);
        REQUIRE(sh("ip -6 addr add 2001:db8:1::2/64 dev nd0") == 0);
        REQUIRE(sh("ip link set nd0 up") == 0);
        ifindex = static_cast<int>(if_nametoindex("nd0"));
        REQUIRE(ifindex > 0);
        // Until the carrier is seen (linkwatch may take up to a second) the
        // device has no multicast route and sending ND fails.
        bool ready = false;
        for (int i = 0; i < 60 && !ready; ++i) {
            ready = contains(out("ip -6 route show table local dev nd0"), "ff00::/8");
            if (!ready) {
                usleep(50000);
            }
        }
        REQUIRE(ready);
    }
};

struct DadRun {
    std::optional<Result<DadOutcome>> result;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::chrono::milliseconds took{0};
};

DadRun run_dad(sd_event* e, int ifindex, const Ipv6Addr& addr, DadOptions opts) {
    DadRun run;
    DadProbe probe(ifindex, addr, opts);
    auto st = probe.start(e, [&](Result<DadOutcome> r) {
        run.took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - run.started);
        run.result = std::move(r);
    });
    INFO((st.ok() ? std::string() : st.error().message));
    REQUIRE(st.ok());
    REQUIRE(run_until(
        e, [&] { return run.result.has_value(); }, 5000ms));
    return run;
}

} // namespace

TEST_CASE("DAD: a free address is unique after RetransTimer, a taken one is duplicate", "[nd]") {
    enter_private_netns();
    Topology t;
    EventLoop loop;

    auto free_run = run_dad(loop.e, t.ifindex, v6("2001:db8:1::55"), {1, 300ms});
    REQUIRE(free_run.result->ok());
    CHECK(free_run.result->value() == DadOutcome::unique);
    CHECK(free_run.took >= 290ms);
    std::fprintf(stderr, "MEASURED: DAD (1 x 300 ms) unique after %lld ms\n",
                 static_cast<long long>(free_run.took.count()));

    auto taken = run_dad(loop.e, t.ifindex, v6("2001:db8:1::99"), {1, 1000ms});
    REQUIRE(taken.result->ok());
    CHECK(taken.result->value() == DadOutcome::duplicate);
    CHECK(taken.took < 1000ms); // the NA ends it early
    std::fprintf(stderr, "MEASURED: DAD conflict detected after %lld ms\n",
                 static_cast<long long>(taken.took.count()));

    // Several transmissions: unique only after all of them.
    auto three = run_dad(loop.e, t.ifindex, v6("2001:db8:1::56"), {3, 200ms});
    REQUIRE(three.result->ok());
    CHECK(three.result->value() == DadOutcome::unique);
    CHECK(three.took >= 590ms);

    // DAD disabled (0 transmits): unique at once, nothing sent.
    auto none = run_dad(loop.e, t.ifindex, v6("2001:db8:1::99"), {0, 1000ms});
    REQUIRE(none.result->ok());
    CHECK(none.result->value() == DadOutcome::unique);
    CHECK(none.took < 100ms);

    // Destroying a running probe cancels it: no callback afterwards.
    bool called = false;
    {
        DadProbe p(t.ifindex, v6("2001:db8:1::57"), {1, 100ms});
        REQUIRE(p.start(loop.e, [&](Result<DadOutcome>) { called = true; }).ok());
    }
    run_until(
        loop.e, [] { return false; }, 300ms);
    CHECK_FALSE(called);
}

TEST_CASE("AnycastClaim: the kernel answers ND for the claimed address and defends it", "[nd]") {
    enter_private_netns();
    Topology t;
    EventLoop loop;
    const auto addr = v6("2001:db8:1::55");
    // (/sys shows the namespace it was mounted in; ask ip for the MAC.)
    const std::string link = out("ip -o link show nd0");
    const auto at = link.find("link/ether ");
    REQUIRE(at != std::string::npos);
    const std::string mac = link.substr(at + 11, 17);

    // Before the claim nobody answers for it.
    t.peer.run("ping -6 -c 1 -W 1 2001:db8:1::55");
    CHECK_FALSE(contains(t.peer.output("ip -6 neigh show 2001:db8:1::55 dev nd1"), mac));

    {
        auto claim = AnycastClaim::join(t.ifindex, addr);
        INFO((claim.ok() ? std::string() : claim.error().message));
        REQUIRE(claim.ok());
        CHECK(claim->addr() == addr);
        // Not a unicast address of the host: nothing in `ip addr`.
        CHECK_FALSE(contains(out("ip -6 addr show dev nd0"), "2001:db8:1::55"));

        REQUIRE(t.peer.run("ip -6 neigh flush dev nd1") == 0);
        // Anycast answers may be delayed up to proxy_delay (0.8 s); ping
        // retries the resolution meanwhile.
        const int ping = t.peer.run("ping -6 -c 3 -i 0.5 -W 2 2001:db8:1::55");
        const auto neigh = t.peer.output("ip -6 neigh show 2001:db8:1::55 dev nd1");
        INFO("peer neighbour entry: " << neigh << " ping exit " << ping);
        CHECK(contains(neigh, "lladdr " + mac));
        // The stack also delivers to the anycast address and answers echo
        // requests from it (icmp echo_ignore_anycast defaults to 0).
        CHECK(ping == 0);

        // Another node's DAD for it fails: the kernel defends the address.
        int peer_ifindex = 0;
        const auto pl = t.peer.output("ip -o link show nd1");
        peer_ifindex = std::atoi(pl.c_str());
        REQUIRE(peer_ifindex > 0);
        const int rc = t.peer.in_ns([&] {
            sd_event* e = nullptr;
            if (sd_event_new(&e) < 0) {
                return 10;
            }
            std::optional<Result<DadOutcome>> res;
            DadProbe p(peer_ifindex, addr, {1, 1500ms});
            if (!p.start(e, [&](Result<DadOutcome> r) { res = std::move(r); }).ok()) {
                return 11;
            }
            run_until(
                e, [&] { return res.has_value(); }, 4000ms);
            if (!res || !res->ok()) {
                return 12;
            }
            return res->value() == DadOutcome::duplicate ? 0 : 13;
        });
        CHECK(rc == 0);
    }

    // Claim released: the address no longer resolves.
    REQUIRE(t.peer.run("ip -6 neigh flush dev nd1") == 0);
    t.peer.run("ping -6 -c 1 -W 2 2001:db8:1::55");
    CHECK_FALSE(contains(t.peer.output("ip -6 neigh show 2001:db8:1::55 dev nd1"), mac));
}

TEST_CASE("AnycastClaim: refusals come with the kernel's reason", "[nd]") {
    enter_private_netns();
    Topology t;
    // Outside every on-link prefix of the device: a host may not join it.
    auto outside = AnycastClaim::join(t.ifindex, v6("2001:db8:2::55"));
    REQUIRE_FALSE(outside.ok());
    CHECK(outside.error().code == Errc::conflict);
    CHECK(contains(outside.error().message, "prefix"));
    CHECK(contains(outside.error().message, "nd0"));
    // Already a unicast address of this host.
    auto own = AnycastClaim::join(t.ifindex, v6("2001:db8:1::2"));
    REQUIRE_FALSE(own.ok());
    CHECK(own.error().code == Errc::conflict);
    // Multicast.
    CHECK_FALSE(AnycastClaim::join(t.ifindex, v6("ff02::1")).ok());
}

TEST_CASE("DAD options follow the interface's sysctls", "[nd]") {
    enter_private_netns();
    Topology t;
    auto d = dad_options_for("nd0");
    CHECK(d.transmits == 1);
    CHECK(d.retrans == 1000ms);
    REQUIRE(sh("sysctl -qw net.ipv6.conf.nd0.dad_transmits=3") == 0);
    REQUIRE(sh("sysctl -qw net.ipv6.neigh.nd0.retrans_time_ms=250") == 0);
    d = dad_options_for("nd0");
    CHECK(d.transmits == 3);
    // Stored in jiffies: read back within one tick.
    CHECK(d.retrans >= 246ms);
    CHECK(d.retrans <= 254ms);
    const DadOptions fb{2, 700ms};
    d = dad_options_for("nosuchif0", fb);
    CHECK(d.transmits == 2);
    CHECK(d.retrans == 700ms);
    CHECK(dad_options_for("../../x", fb).transmits == 2);
}

TEST_CASE("announce_to_router: the router gets an entry for the claimed address, no traffic needed",
          "[nd]") {
    enter_private_netns();
    Topology t;
    const auto addr = v6("2001:db8:1::56");
    const std::string link = out("ip -o link show nd0");
    const auto at = link.find("link/ether ");
    REQUIRE(at != std::string::npos);
    const std::string mac = link.substr(at + 11, 17);
    auto neigh = [&] {
        return t.peer.output("ip -6 neigh show 2001:db8:1::56 dev nd1");
    };

    // Not claimed: the kernel refuses it as a source.
    auto refused = announce_to_router(t.ifindex, addr, v6("2001:db8:1::1"));
    CHECK_FALSE(refused.ok());
    CHECK_FALSE(contains(neigh(), mac));

    auto claim = AnycastClaim::join(t.ifindex, addr);
    REQUIRE(claim.ok());
    REQUIRE(t.peer.run("ip -6 neigh flush dev nd1") == 0);
    auto sent = announce_to_router(t.ifindex, addr, v6("2001:db8:1::1"));
    INFO((sent.ok() ? std::string() : sent.error().message));
    REQUIRE(sent.ok());
    bool known = false;
    for (int i = 0; i < 40 && !known; ++i) {
        known = contains(neigh(), "lladdr " + mac);
        if (!known) {
            usleep(50000);
        }
    }
    INFO("peer neighbour entry: " << neigh());
    CHECK(known);

    // A router known only by its link-local address works the same way.
    REQUIRE(t.peer.run("ip -6 neigh flush dev nd1") == 0);
    const std::string ll = t.peer.output("ip -6 -o addr show dev nd1 scope link");
    const auto a = ll.find("inet6 ");
    REQUIRE(a != std::string::npos);
    const std::string router_ll = ll.substr(a + 6, ll.find('/', a) - a - 6);
    REQUIRE(announce_to_router(t.ifindex, addr, v6(router_ll.c_str())).ok());
    known = false;
    for (int i = 0; i < 40 && !known; ++i) {
        known = contains(neigh(), "lladdr " + mac);
        if (!known) {
            usleep(50000);
        }
    }
    INFO("peer neighbour entry: " << neigh());
    CHECK(known);
}

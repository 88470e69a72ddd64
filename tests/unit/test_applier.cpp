// SPDX-License-Identifier: GPL-2.0-or-later
// The applier's diff logic against a fake that records every side effect.
#include "apply/applier.hpp"
#include "plans.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>
#include <set>
#include <string>
#include <vector>

using namespace colatrl;
using colatrl::test::state;

namespace {

Ipv6Addr v6(const char* s) {
    return *Ipv6Addr::parse(s);
}
Ipv4Addr v4(const char* s) {
    return *Ipv4Addr::parse(s);
}

Ipv6Addr clat6_of(const colatrl_config& c) {
    Ipv6Addr a;
    std::copy(std::begin(c.clat_v6), std::end(c.clat_v6), a.bytes.begin());
    return a;
}

struct FakeOps : ApplyOps {
    std::vector<std::string> calls;
    std::set<std::string> fail; // call names that fail

    Status rec(const std::string& name, const std::string& args) {
        calls.push_back(name + " " + args);
        if (fail.count(name) != 0) {
            return make_error(Errc::system, name + " broke");
        }
        return {};
    }
    Status start_dad(int i, const Ipv6Addr& a) override {
        return rec("start_dad", std::to_string(i) + " " + a.str());
    }
    void cancel_dad(int i) override { calls.push_back("cancel_dad " + std::to_string(i)); }
    Status claim_anycast(int i, const Ipv6Addr& a) override {
        return rec("claim", std::to_string(i) + " " + a.str());
    }
    void release_anycast(int i, const Ipv6Addr& a) override {
        calls.push_back("release " + std::to_string(i) + " " + a.str());
    }
    // Kept apart from `calls`: the order tests above do not care about it.
    // Each with "@N": how many `calls` came before it.
    std::vector<std::string> announces;
    Status announce(int i, const Ipv6Addr& a, const Ipv6Addr& router) override {
        announces.push_back(std::to_string(i) + " " + a.str() + " " + router.str() + " @" +
                            std::to_string(calls.size()));
        if (fail.count("announce") != 0) {
            return make_error(Errc::system, "announce broke");
        }
        return {};
    }
    Status set_config(int i, const colatrl_config& c) override {
        return rec("set_config", std::to_string(i) + " " + clat6_of(c).str());
    }
    Status remove_config(int i) override { return rec("remove_config", std::to_string(i)); }
    Status set_previous_config(int i, const colatrl_config& c) override {
        return rec("set_previous", std::to_string(i) + " " + clat6_of(c).str() + " /" +
                                       std::to_string(c.pref64_len));
    }
    Status remove_previous_config(int i) override {
        return rec("remove_previous", std::to_string(i));
    }
    Status reset_counters(uint32_t slot) override {
        return rec("reset_counters", std::to_string(slot));
    }
    Status attach(int i, uint16_t t) override {
        return rec("attach", std::to_string(i) + " " + std::to_string(t));
    }
    Status detach(int i) override { return rec("detach", std::to_string(i)); }
    Status add_addr4(int i, const std::string&, const Ipv4Addr& a) override {
        return rec("add_addr4", std::to_string(i) + " " + a.str());
    }
    Status del_addr4(int i, const std::string&, const Ipv4Addr& a) override {
        return rec("del_addr4", std::to_string(i) + " " + a.str());
    }
    Status replace_route4(const Route4Spec& r) override {
        return rec("replace_route4", std::to_string(r.ifindex) + " " +
                                         (r.gateway ? r.gateway->str() : "-") + " " + r.src.str() +
                                         " " + std::to_string(r.mtu) + metric_text(r.metric));
    }
    Status del_route4(int i, const std::string&, uint32_t metric) override {
        return rec("del_route4", std::to_string(i) + metric_text(metric));
    }
    // Plans of the older cases leave the metric 0: not shown.
    static std::string metric_text(uint32_t m) { return m ? " m" + std::to_string(m) : ""; }
    std::vector<std::string> take() { return std::exchange(calls, {}); }
    std::vector<std::string> take_announces() { return std::exchange(announces, {}); }
};

colatrl_config cfg(const Ipv6Addr& clat6, const Ipv4Addr& clat4, uint32_t slot) {
    colatrl_config c{};
    std::copy(clat6.bytes.begin(), clat6.bytes.end(), c.clat_v6);
    c.clat_v4 = clat4.to_host(); // any stable encoding is fine for the diff
    c.counter_slot = slot;
    c.pref64_len = 96;
    c.ipv6_mtu = 1500;
    return c;
}

LinkPlan active_plan(int ifindex, const char* clat6, const char* clat4 = "192.0.0.2",
                     const char* gw = "fe80::1", uint32_t mtu = 1472) {
    LinkPlan p;
    p.ifindex = ifindex;
    p.name = "eth" + std::to_string(ifindex);
    p.arphrd = 1;
    p.clat6 = v6(clat6);
    p.clat4 = v4(clat4);
    p.gateway = v6(gw);
    p.route4_mtu = mtu;
    p.dp = cfg(p.clat6, p.clat4, 0);
    return p;
}

using Calls = std::vector<std::string>;

} // namespace

TEST_CASE("a new uplink: DAD first, then claim, config, attach, address, route", "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    auto d = state({active_plan(2, "2001:db8:1::c1")});
    auto r = ap.apply(d);
    CHECK(r.dad_pending);
    CHECK(ops.take() == Calls{"start_dad 2 2001:db8:1::c1"});
    CHECK(ap.installed().empty()); // nothing before DAD
    // Applying again while DAD runs does nothing.
    r = ap.apply(d);
    CHECK(r.dad_pending);
    CHECK(ops.take().empty());
    // A stale DAD answer is ignored.
    CHECK_FALSE(ap.dad_done(2, v6("2001:db8:1::99"), DadStatus::unique));
    CHECK(ap.dad_done(2, v6("2001:db8:1::c1"), DadStatus::unique));
    r = ap.apply(d);
    CHECK_FALSE(r.dad_pending);
    CHECK_FALSE(r.retry);
    CHECK(ops.take() == Calls{"claim 2 2001:db8:1::c1", "reset_counters 0",
                              "set_config 2 2001:db8:1::c1", "attach 2 1", "add_addr4 2 192.0.0.2",
                              "replace_route4 2 fe80::1 192.0.0.2 1472"});
    // Converged: nothing more to do.
    r = ap.apply(d);
    CHECK(ops.take().empty());
    CHECK(r.events.empty());
}

namespace {
// Starts DAD for `p` and lets it pass, forgetting the calls.
void pass_dad(Applier& ap, FakeOps& ops, const LinkPlan& p) {
    (void)ap.apply(state({p}));
    ap.dad_done(p.ifindex, p.clat6, DadStatus::unique);
    ops.take();
}
// Brings link 2 to the converged state for `p`.
void converge(Applier& ap, FakeOps& ops, const LinkPlan& p) {
    auto d = state({p});
    (void)ap.apply(d);
    ap.dad_done(p.ifindex, p.clat6, DadStatus::unique);
    (void)ap.apply(d);
    ops.take();
}
} // namespace

TEST_CASE("new CLAT IPv6: make-before-break with one config update", "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    converge(ap, ops, active_plan(2, "2001:db8:1::c1"));
    auto next = active_plan(2, "2001:db8:2::c2"); // renumbered
    auto r = ap.apply(state({next}));
    CHECK(r.dad_pending);
    CHECK(ops.take() == Calls{"start_dad 2 2001:db8:2::c2"}); // old state untouched
    ap.dad_done(2, next.clat6, DadStatus::unique);
    r = ap.apply(state({next}));
    CHECK(ops.take() == Calls{"claim 2 2001:db8:2::c2", "set_config 2 2001:db8:2::c2",
                              "release 2 2001:db8:1::c1"});
    CHECK(ap.installed().at(2).anycasts == std::vector<Ipv6Addr>{next.clat6});
}

TEST_CASE("gateway or MTU change replaces the route only", "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    converge(ap, ops, active_plan(2, "2001:db8:1::c1"));
    (void)ap.apply(state({active_plan(2, "2001:db8:1::c1", "192.0.0.2", "fe80::2", 1472)}));
    CHECK(ops.take() == Calls{"replace_route4 2 fe80::2 192.0.0.2 1472"});
    auto p = active_plan(2, "2001:db8:1::c1", "192.0.0.2", "fe80::2", 1372);
    p.dp.ipv6_mtu = 1400;
    (void)ap.apply(state({p}));
    CHECK(ops.take() ==
          Calls{"set_config 2 2001:db8:1::c1", "replace_route4 2 fe80::2 192.0.0.2 1372"});
}

TEST_CASE("new CLAT IPv4: added before the route moves, removed after", "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    converge(ap, ops, active_plan(2, "2001:db8:1::c1"));
    auto p = active_plan(2, "2001:db8:1::c1", "192.0.0.3");
    (void)ap.apply(state({p}));
    CHECK(ops.take() == Calls{"set_config 2 2001:db8:1::c1", "add_addr4 2 192.0.0.3",
                              "replace_route4 2 fe80::1 192.0.0.3 1472", "del_addr4 2 192.0.0.2"});
}

TEST_CASE("an uplink going off is torn down in reverse order; stop removes all", "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    converge(ap, ops, active_plan(2, "2001:db8:1::c1"));
    auto off = active_plan(2, "2001:db8:1::c1");
    off.off = OffReason::no_pref64;
    auto r = ap.apply(state({off}));
    CHECK(ops.take() == Calls{"del_route4 2", "del_addr4 2 192.0.0.2", "remove_config 2",
                              "detach 2", "release 2 2001:db8:1::c1"});
    CHECK(ap.installed().empty());
    CHECK_FALSE(r.events.empty());

    converge(ap, ops, active_plan(3, "2001:db8:3::c3"));
    // Link vanished from the model entirely: errors are reported, not fatal.
    ops.fail = {"del_route4", "del_addr4"};
    r = ap.apply(DesiredState{});
    CHECK(ops.take().size() == 5);
    CHECK(ap.installed().empty());
    CHECK(std::any_of(r.events.begin(), r.events.end(),
                      [](const ApplyEvent& e) { return e.log.level <= log::warning; }));

    ops.fail.clear();
    converge(ap, ops, active_plan(4, "2001:db8:4::c4"));
    // A DAD in flight on another link is cancelled on stop.
    (void)ap.apply(state({active_plan(4, "2001:db8:4::c4"), active_plan(5, "2001:db8:5::c5")}));
    ops.take();
    (void)ap.remove_all();
    CHECK(ops.take() == Calls{"del_route4 4", "del_addr4 4 192.0.0.2", "remove_config 4",
                              "detach 4", "release 4 2001:db8:4::c4", "cancel_dad 5"});
}

TEST_CASE("DAD conflict: nothing installed until a unique candidate", "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    auto a = active_plan(2, "2001:db8:1::c1");
    (void)ap.apply(state({a}));
    CHECK(ap.dad_done(2, a.clat6, DadStatus::duplicate));
    auto r = ap.apply(state({a})); // the daemon has not moved on yet
    CHECK(ops.take() == Calls{"start_dad 2 2001:db8:1::c1"});
    CHECK(ap.installed().empty());
    auto b = active_plan(2, "2001:db8:1::c2");
    (void)ap.apply(state({b}));
    CHECK(ops.take() == Calls{"start_dad 2 2001:db8:1::c2"});
    ap.dad_done(2, b.clat6, DadStatus::unique);
    (void)ap.apply(state({b}));
    CHECK(ops.take().front() == "claim 2 2001:db8:1::c2");
    (void)r;
}

TEST_CASE("a failing step removes what the new uplink got and asks for a retry", "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    auto p = active_plan(2, "2001:db8:1::c1");
    pass_dad(ap, ops, p);
    ops.fail = {"attach"};
    auto r = ap.apply(state({p}));
    CHECK(r.retry);
    CHECK(ops.take() == Calls{"claim 2 2001:db8:1::c1", "reset_counters 0",
                              "set_config 2 2001:db8:1::c1", "attach 2 1", "remove_config 2",
                              "release 2 2001:db8:1::c1"});
    CHECK(ap.installed().empty());
    REQUIRE_FALSE(r.events.empty());
    CHECK(std::any_of(r.events.begin(), r.events.end(), [](const ApplyEvent& e) {
        return e.log.level == log::err && e.log.message.find("attach broke") != std::string::npos;
    }));
    ops.fail.clear();
    // The retry starts over, DAD included: nothing of the failed run is kept.
    r = ap.apply(state({p}));
    CHECK_FALSE(r.retry);
    CHECK(ops.take() == Calls{"start_dad 2 2001:db8:1::c1"});
    ap.dad_done(2, p.clat6, DadStatus::unique);
    r = ap.apply(state({p}));
    CHECK(ops.take() == Calls{"claim 2 2001:db8:1::c1", "reset_counters 0",
                              "set_config 2 2001:db8:1::c1", "attach 2 1", "add_addr4 2 192.0.0.2",
                              "replace_route4 2 fe80::1 192.0.0.2 1472"});
    // DAD itself failing (socket error) is retried with a new run.
    auto q = active_plan(3, "2001:db8:3::c3");
    (void)ap.apply(state({p, q}));
    ap.dad_done(3, q.clat6, DadStatus::failed);
    ops.take();
    (void)ap.apply(state({p, q}));
    CHECK(ops.take() == Calls{"start_dad 3 2001:db8:3::c3"});
}

TEST_CASE("a route that cannot be installed leaves no half-installed CLAT", "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    auto p = active_plan(2, "2001:db8:1::c1");
    pass_dad(ap, ops, p);
    ops.fail = {"replace_route4"};
    auto r = ap.apply(state({p}));
    CHECK(r.retry);
    CHECK(ops.take() == Calls{"claim 2 2001:db8:1::c1", "reset_counters 0",
                              "set_config 2 2001:db8:1::c1", "attach 2 1", "add_addr4 2 192.0.0.2",
                              "replace_route4 2 fe80::1 192.0.0.2 1472", "del_addr4 2 192.0.0.2",
                              "remove_config 2", "detach 2", "release 2 2001:db8:1::c1"});
    CHECK(ap.installed().empty());
}

TEST_CASE("a change that fails part-way gives the working CLAT back", "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    const auto old_plan = active_plan(2, "2001:db8:1::c1");
    converge(ap, ops, old_plan);
    const InstalledLink working = ap.installed().at(2);
    // New CLAT IPv4: config and the new /32 go in, then the route refuses.
    ops.fail = {"replace_route4"};
    auto r = ap.apply(state({active_plan(2, "2001:db8:1::c1", "192.0.0.3")}));
    CHECK(r.retry);
    CHECK(ops.take() == Calls{"set_config 2 2001:db8:1::c1", "add_addr4 2 192.0.0.3",
                              "replace_route4 2 fe80::1 192.0.0.3 1472",
                              "set_config 2 2001:db8:1::c1", "del_addr4 2 192.0.0.3"});
    const InstalledLink& now = ap.installed().at(2);
    CHECK(now.addrs4 == working.addrs4);
    CHECK(now.route4 == working.route4);
    REQUIRE(now.config);
    CHECK(same_config(*now.config, old_plan.dp));
    // Restoring fails as well: then nothing is left.
    ops.fail = {"replace_route4", "del_addr4"};
    r = ap.apply(state({active_plan(2, "2001:db8:1::c1", "192.0.0.3")}));
    CHECK(r.retry);
    CHECK(ap.installed().empty());
    const auto calls = ops.take();
    CHECK(calls.back() == "release 2 2001:db8:1::c1");
    CHECK(std::find(calls.begin(), calls.end(), "detach 2") != calls.end());
}

TEST_CASE("leftovers of a crashed run are adopted without a new DAD", "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    InstalledLink left;
    left.name = "eth2";
    left.addrs4 = {v4("192.0.0.2")};
    left.route4 = Route4Spec{2, "eth2", v6("fe80::1"), v4("192.0.0.2"), 1472};
    left.adopted_clat6 = v6("2001:db8:1::c1");
    ap.adopt(2, left);
    (void)ap.apply(state({active_plan(2, "2001:db8:1::c1")}));
    // Address and route already right: only claim, config and the program.
    CHECK(ops.take() == Calls{"claim 2 2001:db8:1::c1", "reset_counters 0",
                              "set_config 2 2001:db8:1::c1", "attach 2 1"});
    // Leftovers on a link that should be off are removed.
    InstalledLink stale;
    stale.name = "eth7";
    stale.addrs4 = {v4("192.0.0.3")};
    stale.route4 = Route4Spec{7, "eth7", v6("fe80::1"), v4("192.0.0.3"), 1472};
    stale.stale_filters = true;
    ap.adopt(7, stale);
    (void)ap.apply(state({active_plan(2, "2001:db8:1::c1")}));
    CHECK(ops.take() == Calls{"del_route4 7", "del_addr4 7 192.0.0.3", "detach 7"});
}

TEST_CASE("the router is told about the CLAT IPv6 address after its claim, before the map",
          "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    auto p = active_plan(2, "2001:db8:1::c1");
    (void)ap.apply(state({p}));
    CHECK(ops.take_announces().empty()); // not during DAD
    ops.take();
    ap.dad_done(2, p.clat6, DadStatus::unique);
    (void)ap.apply(state({p}));
    // Right after "claim" (call 1), before reset_counters and set_config.
    CHECK(ops.take_announces() == Calls{"2 2001:db8:1::c1 fe80::1 @1"});
    CHECK(ops.take().at(0) == "claim 2 2001:db8:1::c1");
    // Converged, or only the PREF64 (map) changed: nothing to tell.
    (void)ap.apply(state({p}));
    auto q = p;
    q.dp.pref64_len = 64;
    (void)ap.apply(state({q}));
    CHECK(ops.take() == Calls{"set_previous 2 2001:db8:1::c1 /96", "set_config 2 2001:db8:1::c1"});
    CHECK(ops.take_announces().empty());
    // A new router: told again, once.
    auto r = active_plan(2, "2001:db8:1::c1", "192.0.0.2", "fe80::2");
    (void)ap.apply(state({r}));
    (void)ap.apply(state({r}));
    CHECK(ops.take_announces() == Calls{"2 2001:db8:1::c1 fe80::2 @0"});
    ops.take();
    // A new address (renumbering): after its DAD and claim.
    auto n = active_plan(2, "2001:db8:2::c2", "192.0.0.2", "fe80::2");
    (void)ap.apply(state({n}));
    CHECK(ops.take_announces().empty());
    ap.dad_done(2, n.clat6, DadStatus::unique);
    (void)ap.apply(state({n}));
    CHECK(ops.take_announces() == Calls{"2 2001:db8:2::c2 fe80::2 @2"});
}

TEST_CASE("telling the router is best effort: a failure warns, asks no retry", "[applier]") {
    FakeOps ops;
    ops.fail.insert("announce");
    Applier ap(ops);
    auto p = active_plan(2, "2001:db8:1::c1");
    (void)ap.apply(state({p}));
    ap.dad_done(2, p.clat6, DadStatus::unique);
    auto r = ap.apply(state({p}));
    CHECK_FALSE(r.retry);
    CHECK(ap.installed().at(2).route4.has_value());
    CHECK(std::any_of(r.events.begin(), r.events.end(), [](const ApplyEvent& e) {
        return e.log.level == log::warning &&
               e.log.message.find("telling the router") != std::string::npos;
    }));
    // Not tried again on every run.
    ops.take_announces();
    (void)ap.apply(state({p}));
    CHECK(ops.take_announces().empty());
}

TEST_CASE("a raw-IP uplink: no DAD, a route without next hop", "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    auto p = active_plan(3, "2001:db8:3::c1");
    p.arphrd = 65534; // ARPHRD_NONE
    p.gateway.reset();
    p.needs_dad = false;
    auto r = ap.apply(state({p}));
    CHECK_FALSE(r.dad_pending);
    CHECK_FALSE(r.retry);
    CHECK(ops.take() == Calls{"claim 3 2001:db8:3::c1", "reset_counters 0",
                              "set_config 3 2001:db8:3::c1", "attach 3 65534",
                              "add_addr4 3 192.0.0.2", "replace_route4 3 - 192.0.0.2 1472"});
    // A link-local next hop appears: the route is replaced in place.
    p.gateway = v6("fe80::1");
    ap.apply(state({p}));
    CHECK(ops.take() == Calls{"replace_route4 3 fe80::1 192.0.0.2 1472"});
}

TEST_CASE("a new route metric: the new route first, then the old one goes", "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    auto p = active_plan(2, "2001:db8:1::c1");
    p.route4_metric = 100;
    ap.apply(state({p}));
    REQUIRE(ap.dad_done(2, p.clat6, DadStatus::unique));
    ap.apply(state({p}));
    ops.take();
    p.route4_metric = 200;
    auto r = ap.apply(state({p}));
    CHECK_FALSE(r.retry);
    CHECK(ops.take() == Calls{"replace_route4 2 fe80::1 192.0.0.2 1472 m200", "del_route4 2 m100"});
    // Teardown removes the route at the metric it has now.
    ap.apply(state({}));
    CHECK(ops.take().front() == "del_route4 2 m200");
}

namespace {
// `base` with another PREF64 (a /64, so a different prefix and length).
colatrl_config with_pref64(colatrl_config c, uint8_t first_byte, uint8_t len) {
    std::fill(std::begin(c.pref64), std::end(c.pref64), uint8_t{0});
    c.pref64[0] = first_byte;
    c.pref64_len = len;
    return c;
}
} // namespace

TEST_CASE("previous config: kept across a PREF64 change of the same CLAT only", "[applier]") {
    const auto a = cfg(v6("2001:db8:1::c1"), v4("192.0.0.2"), 0);
    const auto b = with_pref64(a, 0x20, 64);
    const auto c = with_pref64(a, 0x30, 96);
    auto same = [](const std::optional<colatrl_config>& x, const colatrl_config& y) {
        return x && same_config(*x, y);
    };
    // A PREF64 change: the installed config becomes the previous one.
    CHECK(same(previous_config_after(a, std::nullopt, b), a));
    // ... also replacing an older previous one.
    CHECK(same(previous_config_after(b, a, c), b));
    // Nothing installed before, or nothing but other fields changed.
    CHECK_FALSE(previous_config_after(std::nullopt, std::nullopt, a));
    auto mtu = a;
    mtu.ipv6_mtu = 1400;
    CHECK_FALSE(previous_config_after(a, std::nullopt, mtu));
    // A later change of another field keeps the previous one.
    auto b_mtu = b;
    b_mtu.ipv6_mtu = 1400;
    CHECK(same(previous_config_after(b, a, b_mtu), a));
    // Back to the previous PREF64: the entry swaps roles.
    CHECK(same(previous_config_after(b, a, a), b));
    // Another CLAT IPv6 (renumbering), IPv4 or counter slot: none.
    CHECK_FALSE(
        previous_config_after(a, std::nullopt, cfg(v6("2001:db8:2::c2"), v4("192.0.0.2"), 0)));
    CHECK_FALSE(previous_config_after(
        b, a, with_pref64(cfg(v6("2001:db8:2::c2"), v4("192.0.0.2"), 0), 0x30, 96)));
    CHECK_FALSE(previous_config_after(
        a, std::nullopt, with_pref64(cfg(v6("2001:db8:1::c1"), v4("192.0.0.3"), 0), 0x20, 64)));
    CHECK_FALSE(previous_config_after(
        a, std::nullopt, with_pref64(cfg(v6("2001:db8:1::c1"), v4("192.0.0.2"), 1), 0x20, 64)));
    // A PREF64 change of the previous one only (the prefix moved back while
    // the previous is stale): the previous is the installed one now.
    CHECK_FALSE(previous_config_after(a, a, mtu));
}

TEST_CASE("a PREF64 change writes the previous config first; it goes on drop, renumbering, "
          "teardown",
          "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    auto p = active_plan(2, "2001:db8:1::c1");
    converge(ap, ops, p);
    auto q = p;
    q.dp = with_pref64(p.dp, 0x20, 64);
    auto r = ap.apply(state({q}));
    CHECK(ops.take() == Calls{"set_previous 2 2001:db8:1::c1 /96", "set_config 2 2001:db8:1::c1"});
    CHECK(r.previous_written == std::vector<int>{2});
    REQUIRE(ap.installed().at(2).previous);
    CHECK(same_config(*ap.installed().at(2).previous, p.dp));
    // Nothing changes: nothing written, the grace period goes on.
    r = ap.apply(state({q}));
    CHECK(ops.take().empty());
    CHECK(r.previous_written.empty());

    // The grace period ends.
    r = ap.drop_previous(2);
    CHECK(ops.take() == Calls{"remove_previous 2"});
    CHECK_FALSE(ap.installed().at(2).previous);
    CHECK_FALSE(r.retry);
    r = ap.drop_previous(2); // twice: nothing to do
    CHECK(ops.take().empty());

    // A failing removal keeps it known and asks for a retry.
    (void)ap.apply(state({p}));
    ops.take();
    ops.fail = {"remove_previous"};
    r = ap.drop_previous(2);
    CHECK(r.retry);
    CHECK(ap.installed().at(2).previous);
    ops.fail.clear();

    // Renumbering: the previous config belongs to the old address; removed
    // after the switch.
    auto n = active_plan(2, "2001:db8:2::c2");
    (void)ap.apply(state({n}));
    ap.dad_done(2, n.clat6, DadStatus::unique);
    ops.take();
    (void)ap.apply(state({n}));
    CHECK(ops.take() == Calls{"claim 2 2001:db8:2::c2", "set_config 2 2001:db8:2::c2",
                              "remove_previous 2", "release 2 2001:db8:1::c1"});
    CHECK_FALSE(ap.installed().at(2).previous);

    // Off with a previous config: it goes before the current one.
    auto n2 = n;
    n2.dp = with_pref64(n.dp, 0x20, 64);
    (void)ap.apply(state({n2}));
    ops.take();
    auto off = n2;
    off.off = OffReason::no_pref64;
    (void)ap.apply(state({off}));
    CHECK(ops.take() == Calls{"del_route4 2", "del_addr4 2 192.0.0.2", "remove_previous 2",
                              "remove_config 2", "detach 2", "release 2 2001:db8:2::c2"});
}

TEST_CASE("a failing previous-config write only warns; the switch goes on", "[applier]") {
    FakeOps ops;
    Applier ap(ops);
    auto p = active_plan(2, "2001:db8:1::c1");
    converge(ap, ops, p);
    auto q = p;
    q.dp = with_pref64(p.dp, 0x20, 64);
    ops.fail = {"set_previous"};
    auto r = ap.apply(state({q}));
    CHECK(ops.take() == Calls{"set_previous 2 2001:db8:1::c1 /96", "set_config 2 2001:db8:1::c1"});
    CHECK_FALSE(r.retry);
    CHECK(r.previous_written.empty());
    CHECK_FALSE(ap.installed().at(2).previous);
    CHECK(std::any_of(r.events.begin(), r.events.end(),
                      [](const ApplyEvent& e) { return e.log.level == log::warning; }));
}

// SPDX-License-Identifier: GPL-2.0-or-later
// `colatrlctl datapath ...`: attach the tc programs with a static config, show
// what is attached, detach. A debugging entry point that works before (and
// beside) the daemon: it talks to the kernel directly, not over D-Bus.
#include "ctl_commands.hpp"

#include "datapath/datapath.hpp"
#include "datapath/datapath_config.hpp"
#include "inet/ip.hpp"
#include "rtnl/nl_socket.hpp"
#include "sys/procsys.hpp"

#include <net/if.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <memory>

namespace colatrl::ctl {

namespace {

// The IPv6 MTU of the link (may be below the link MTU), else the link MTU.
uint32_t ipv6_mtu_of(const std::string& name, uint32_t link_mtu) {
    auto m = ProcSys{}.ipv6_mtu(name);
    const uint32_t v = m && *m >= 1280 ? *m : link_mtu;
    return std::min<uint32_t>(v, 65535); // loopback says 65536
}

int fail(const Error& e) {
    std::fprintf(stderr, "colatrlctl: %s\n", e.message.c_str());
    return kExitFailure;
}

int usage_error(const std::string& msg) {
    std::fprintf(stderr, "colatrlctl: %s\nTry 'colatrlctl datapath --help'.\n", msg.c_str());
    return kExitUsage;
}

constexpr const char* kDatapathHelp =
    "Usage:\n"
    "  colatrlctl datapath attach IFACE --clat-ipv4 ADDR --clat-ipv6 ADDR --pref64 PREFIX\n"
    "                     [--mtu N] [--slot N] [--translate-non-global] [--ipv6-only]\n"
    "      Load the translator, set a static config and attach it to IFACE (tc clsact,\n"
    "      ingress + egress). Replaces an earlier colatrl attachment on IFACE (also one\n"
    "      made by colatrld, which then no longer controls it: for debugging only).\n"
    "      --mtu: IPv6 MTU of the uplink (default: the interface's IPv6 MTU)\n"
    "      --slot: counter slot 0..63 (default 0)\n"
    "      --translate-non-global: translate private IPv4 under 64:ff9b::/96 too\n"
    "      --ipv6-only: the link carries no other IPv4: drop IPv4 not from\n"
    "                   --clat-ipv4 (and ARP) instead of passing it\n"
    "  colatrlctl datapath detach IFACE\n"
    "      Remove the colatrl filters from IFACE; other filters stay.\n"
    "  colatrlctl datapath show IFACE [--all]\n"
    "      Attached programs, config and non-zero counters (--all: every counter).\n";

int cmd_attach(const Args& a) {
    if (a.positional.size() != 1) {
        return usage_error("datapath attach needs exactly one interface");
    }
    const std::string& ifname = a.positional[0];
    for (const char* req : {"clat-ipv4", "clat-ipv6", "pref64"}) {
        if (!a.option(req)) {
            return usage_error(std::string("datapath attach needs --") + req);
        }
    }
    auto clat4 = Ipv4Addr::parse(*a.option("clat-ipv4"));
    if (!clat4) {
        return usage_error("--clat-ipv4: " + clat4.error().message);
    }
    auto clat6 = Ipv6Addr::parse(*a.option("clat-ipv6"));
    if (!clat6) {
        return usage_error("--clat-ipv6: " + clat6.error().message);
    }
    auto pref64 = Ipv6Prefix::parse(*a.option("pref64"));
    if (!pref64) {
        return usage_error("--pref64: " + pref64.error().message);
    }
    uint32_t slot = 0;
    if (auto s = a.option("slot")) {
        auto v = parse_uint(*s, 0, COLATRL_MAX_UPLINKS - 1, "--slot");
        if (!v) {
            return usage_error(v.error().message);
        }
        slot = *v;
    }
    auto link = query_link(ifname);
    if (!link) {
        return fail(link.error());
    }
    if (auto v = variant_for_arphrd(link->type); !v) {
        return fail(Error{v.error().code, ifname + ": " + v.error().message, 0});
    }
    uint32_t mtu = ipv6_mtu_of(ifname, link->mtu);
    if (auto m = a.option("mtu")) {
        auto v = parse_uint(*m, 1280, 65535, "--mtu");
        if (!v) {
            return usage_error(v.error().message);
        }
        mtu = *v;
    }
    auto cfg = make_datapath_config(*clat4, *clat6, *pref64, mtu, a.flag("translate-non-global"),
                                    slot, a.flag("ipv6-only"));
    if (!cfg) {
        return usage_error(cfg.error().message);
    }
    auto dp = Datapath::open();
    if (!dp) {
        return fail(dp.error());
    }
    // Config first: the programs see it from their first packet.
    if (auto s = (*dp)->set_config(link->ifindex, *cfg); !s) {
        return fail(s.error());
    }
    if (auto s = (*dp)->attach(link->ifindex, link->type); !s) {
        return fail(s.error());
    }
    std::printf("attached to %s: %s\n", ifname.c_str(), describe_config(*cfg).c_str());
    return kExitOk;
}

int cmd_detach(const Args& a) {
    if (a.positional.size() != 1) {
        return usage_error("datapath detach needs exactly one interface");
    }
    const std::string& ifname = a.positional[0];
    auto link = query_link(ifname);
    if (!link) {
        return fail(link.error());
    }
    auto before = query_attachment(link->ifindex);
    if (!before) {
        return fail(before.error());
    }
    if (auto s = detach_filters(link->ifindex); !s) {
        return fail(s.error());
    }
    if (before->ingress_prog_id == 0 && before->egress_prog_id == 0) {
        std::printf("nothing attached to %s\n", ifname.c_str());
    } else {
        std::printf("detached from %s\n", ifname.c_str());
    }
    return kExitOk;
}

void print_counters(const CounterBlock& block, bool all) {
    for (uint32_t id = 0; id < block.size(); ++id) {
        const auto& c = block[id];
        if (!all && c.packets == 0 && c.bytes == 0) {
            continue;
        }
        const auto name = counter_name(id);
        std::printf("  %-42.*s %12" PRIu64 " packets %14" PRIu64 " bytes\n",
                    static_cast<int>(name.size()), name.data(), static_cast<uint64_t>(c.packets),
                    static_cast<uint64_t>(c.bytes));
    }
}

int cmd_show(const Args& a) {
    if (a.positional.size() != 1) {
        return usage_error("datapath show needs exactly one interface");
    }
    const std::string& ifname = a.positional[0];
    auto link = query_link(ifname);
    if (!link) {
        return fail(link.error());
    }
    auto att = query_attachment(link->ifindex);
    if (!att) {
        return fail(att.error());
    }
    if (att->ingress_prog_id == 0 && att->egress_prog_id == 0) {
        std::fprintf(stderr, "colatrlctl: no colatrl datapath attached to %s\n", ifname.c_str());
        return kExitFailure;
    }
    std::printf("interface %s (ifindex %d)\n", ifname.c_str(), link->ifindex);
    std::printf("  ingress program id %u, egress program id %u\n", att->ingress_prog_id,
                att->egress_prog_id);
    auto maps = DatapathMaps::from_attached(link->ifindex);
    if (!maps) {
        return fail(maps.error());
    }
    auto cfg = maps->config(link->ifindex);
    if (!cfg) {
        return fail(cfg.error());
    }
    const bool all = a.flag("all");
    if (!*cfg) {
        std::printf("  config: none (packets pass untouched)\n");
    } else {
        std::printf("  config: %s\n", describe_config(**cfg).c_str());
        // Only for a few seconds after a PREF64 change (docs/decisions.md).
        auto prev = maps->previous_config(link->ifindex);
        if (!prev) {
            return fail(prev.error());
        }
        if (*prev) {
            std::printf("  previous config: %s\n", describe_config(**prev).c_str());
        }
        auto block = maps->counters((*cfg)->counter_slot);
        if (!block) {
            return fail(block.error());
        }
        std::printf("counters (slot %u):\n", (*cfg)->counter_slot);
        print_counters(*block, all);
    }
    auto unconf = maps->counters(COLATRL_SLOT_UNCONFIGURED);
    if (!unconf) {
        return fail(unconf.error());
    }
    std::printf("counters (interfaces without config):\n");
    print_counters(*unconf, all);
    return kExitOk;
}

} // namespace

int run_datapath(const std::vector<std::string>& words) {
    if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
        std::fputs(kDatapathHelp, words.empty() ? stderr : stdout);
        return words.empty() ? kExitUsage : kExitOk;
    }
    const std::string sub = words[0];
    const std::vector<std::string> rest(words.begin() + 1, words.end());
    for (const auto& w : rest) {
        if (w == "--help" || w == "-h") {
            std::fputs(kDatapathHelp, stdout);
            return kExitOk;
        }
    }
    if (sub == "attach") {
        auto a = parse_args(rest, {"clat-ipv4", "clat-ipv6", "pref64", "mtu", "slot"},
                            {"translate-non-global", "ipv6-only"});
        return a ? cmd_attach(*a) : usage_error(a.error().message);
    }
    if (sub == "detach") {
        auto a = parse_args(rest, {}, {});
        return a ? cmd_detach(*a) : usage_error(a.error().message);
    }
    if (sub == "show") {
        auto a = parse_args(rest, {}, {"all"});
        return a ? cmd_show(*a) : usage_error(a.error().message);
    }
    return usage_error("unknown datapath command '" + sub + "'");
}

} // namespace colatrl::ctl

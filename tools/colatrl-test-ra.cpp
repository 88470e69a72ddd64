// SPDX-License-Identifier: GPL-2.0-or-later
// colatrl-test-ra: a small Router Advertisement sender for test topologies.
//
// radvd 2.19 (Debian 12) cannot send the RFC 8781 PREF64 option, so the
// integration tests, the demo and the benchmark use this tool instead. It
// sends periodic RAs on one interface (router lifetime, PIO with the A flag,
// MTU, PREF64, optional RDNSS and source link-layer address), answers Router
// Solicitations, re-reads an options file on SIGHUP (renumbering or a new
// PREF64 without a restart) and, on SIGTERM/SIGINT, sends a last RA with
// every lifetime set to zero. Test tool only: not installed.
#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "inet/ip.hpp"
#include "inet/rfc6052.hpp"
#include "pref64/pref64_option.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace colatrl {
namespace {

constexpr uint8_t kOptSourceLinkAddr = 1;
constexpr uint8_t kOptPrefixInfo = 3;
constexpr uint8_t kOptMtu = 5;
constexpr uint8_t kOptRdnss = 25;
constexpr uint8_t kPioOnLink = 0x80;
constexpr uint8_t kPioAutonomous = 0x40;

struct PrefixInfo {
    Ipv6Prefix prefix;
    uint32_t valid = 86400;
    uint32_t preferred = 14400;
};

struct Pref64Info {
    Ipv6Prefix prefix;
    std::optional<uint32_t> lifetime; // empty = Options::pref64_lifetime; 0 = withdraw
};

struct Options {
    std::string interface;
    std::string options_file;
    std::vector<PrefixInfo> prefixes;
    std::vector<Pref64Info> pref64s;
    std::vector<Ipv6Addr> rdnss;
    uint32_t pref64_lifetime = 600;
    uint32_t rdnss_lifetime = 600;
    uint32_t router_lifetime = 1800;
    uint32_t mtu = 0; // 0 = no MTU option
    double interval = 3.0;
    bool once = false;
    bool verbose = false;
};

void print_usage(FILE* out) {
    std::fputs("usage: colatrl-test-ra --interface IF [options]\n"
               "Sends Router Advertisements with PREF64 (RFC 8781) on IF; test tool.\n"
               "  --interface IF            interface to advertise on (required)\n"
               "  --prefix P/64[,VALID[,PREF]]  PIO with L+A flags (repeatable; default\n"
               "                            lifetimes 86400,14400; PREF 0 deprecates)\n"
               "  --pref64 P/N[,LIFETIME]   PREF64 option (repeatable), N in 32,40,48,56,64,96;\n"
               "                            LIFETIME 0 withdraws the prefix\n"
               "  --pref64-lifetime S       default PREF64 lifetime (600)\n"
               "  --rdnss ADDR              RDNSS option address (repeatable)\n"
               "  --rdnss-lifetime S        RDNSS lifetime (600)\n"
               "  --router-lifetime S       router lifetime (1800; 0 = not a default router)\n"
               "  --mtu N                   MTU option\n"
               "  --interval S              seconds between RAs (3; fractions allowed)\n"
               "  --once                    send one RA and exit\n"
               "  --options-file F          more options, read at start and on SIGHUP; list\n"
               "                            options given there replace the command line's\n"
               "  --verbose                 log every RA sent\n"
               "SIGHUP: re-read the options file. SIGTERM/SIGINT: send a final RA with all\n"
               "lifetimes zero and exit.\n",
               out);
}

Result<uint32_t> parse_u32(std::string_view s, std::string_view what) {
    if (s.empty()) {
        return make_error(Errc::parse, std::string(what) + ": empty number");
    }
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return make_error(Errc::parse, std::string(what) + ": not a number: " + std::string(s));
        }
        v = v * 10 + static_cast<uint64_t>(c - '0');
        if (v > UINT32_MAX) {
            return make_error(Errc::parse, std::string(what) + ": too large: " + std::string(s));
        }
    }
    return static_cast<uint32_t>(v);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t start = 0;
    while (true) {
        size_t pos = s.find(sep, start);
        out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
        if (pos == std::string_view::npos) {
            return out;
        }
        start = pos + 1;
    }
}

Result<PrefixInfo> parse_prefix_arg(std::string_view arg) {
    auto parts = split(arg, ',');
    if (parts.size() > 3) {
        return make_error(Errc::parse, "--prefix: too many fields: " + std::string(arg));
    }
    auto p = Ipv6Prefix::parse(parts[0]);
    if (!p) {
        return make_error(Errc::parse, "--prefix: " + p.error().message);
    }
    PrefixInfo info{*p};
    if (parts.size() >= 2) {
        auto v = parse_u32(parts[1], "--prefix valid lifetime");
        if (!v) {
            return std::move(v).error();
        }
        info.valid = *v;
        info.preferred = std::min(info.preferred, info.valid);
    }
    if (parts.size() == 3) {
        auto v = parse_u32(parts[2], "--prefix preferred lifetime");
        if (!v) {
            return std::move(v).error();
        }
        info.preferred = *v;
    }
    if (info.preferred > info.valid) {
        return make_error(Errc::invalid_argument,
                          "--prefix: preferred lifetime exceeds valid lifetime");
    }
    return info;
}

Result<Pref64Info> parse_pref64_arg(std::string_view arg) {
    auto parts = split(arg, ',');
    if (parts.size() > 2) {
        return make_error(Errc::parse, "--pref64: too many fields: " + std::string(arg));
    }
    auto p = Ipv6Prefix::parse(parts[0]);
    if (!p) {
        return make_error(Errc::parse, "--pref64: " + p.error().message);
    }
    if (!is_pref64_length(p->len)) {
        return make_error(Errc::invalid_argument,
                          "--pref64: length must be 32, 40, 48, 56, 64 or 96");
    }
    Pref64Info info{*p, std::nullopt};
    if (parts.size() == 2) {
        auto v = parse_u32(parts[1], "--pref64 lifetime");
        if (!v) {
            return std::move(v).error();
        }
        info.lifetime = *v;
    }
    return info;
}

// Parses option tokens into opts. When from_file, a list option seen for the
// first time clears what the command line put in that list.
Status parse_tokens(const std::vector<std::string>& args, Options& opts, bool from_file) {
    std::set<std::string> cleared;
    auto clear_once = [&](const std::string& name, auto& list) {
        if (from_file && cleared.insert(name).second) {
            list.clear();
        }
    };
    for (size_t i = 0; i < args.size(); ++i) {
        std::string key = args[i];
        std::optional<std::string> inline_val;
        if (auto eq = key.find('='); eq != std::string::npos) {
            inline_val = key.substr(eq + 1);
            key.resize(eq);
        }
        auto value = [&]() -> Result<std::string> {
            if (inline_val) {
                return *inline_val;
            }
            if (i + 1 >= args.size()) {
                return make_error(Errc::invalid_argument, key + ": missing value");
            }
            return args[++i];
        };
        auto number = [&](uint32_t& dst) -> Status {
            auto v = value();
            if (!v) {
                return std::move(v).error();
            }
            auto n = parse_u32(*v, key);
            if (!n) {
                return std::move(n).error();
            }
            dst = *n;
            return {};
        };
        Status st;
        if (key == "--help" || key == "-h") {
            print_usage(stdout);
            std::exit(0);
        } else if (key == "--once") {
            opts.once = true;
        } else if (key == "--verbose") {
            opts.verbose = true;
        } else if (key == "--interface" || key == "-i") {
            auto v = value();
            if (!v) {
                return std::move(v).error();
            }
            opts.interface = *v;
        } else if (key == "--options-file") {
            auto v = value();
            if (!v) {
                return std::move(v).error();
            }
            if (from_file) {
                return make_error(Errc::invalid_argument, "--options-file inside options file");
            }
            opts.options_file = *v;
        } else if (key == "--prefix") {
            auto v = value();
            if (!v) {
                return std::move(v).error();
            }
            auto p = parse_prefix_arg(*v);
            if (!p) {
                return std::move(p).error();
            }
            clear_once(key, opts.prefixes);
            opts.prefixes.push_back(*p);
        } else if (key == "--pref64") {
            auto v = value();
            if (!v) {
                return std::move(v).error();
            }
            auto p = parse_pref64_arg(*v);
            if (!p) {
                return std::move(p).error();
            }
            clear_once(key, opts.pref64s);
            opts.pref64s.push_back(*p);
        } else if (key == "--rdnss") {
            auto v = value();
            if (!v) {
                return std::move(v).error();
            }
            auto a = Ipv6Addr::parse(*v);
            if (!a) {
                return make_error(Errc::parse, "--rdnss: " + a.error().message);
            }
            clear_once(key, opts.rdnss);
            opts.rdnss.push_back(*a);
        } else if (key == "--no-prefix") { // file-only use: advertise no PIO at all
            clear_once("--prefix", opts.prefixes);
        } else if (key == "--no-pref64") {
            clear_once("--pref64", opts.pref64s);
        } else if (key == "--pref64-lifetime") {
            st = number(opts.pref64_lifetime);
        } else if (key == "--rdnss-lifetime") {
            st = number(opts.rdnss_lifetime);
        } else if (key == "--router-lifetime") {
            st = number(opts.router_lifetime);
        } else if (key == "--mtu") {
            st = number(opts.mtu);
        } else if (key == "--interval") {
            auto v = value();
            if (!v) {
                return std::move(v).error();
            }
            char* end = nullptr;
            double d = std::strtod(v->c_str(), &end);
            if (end == v->c_str() || *end != '\0' || !(d >= 0.05) || d > 3600) {
                return make_error(Errc::parse, "--interval: want 0.05..3600 seconds");
            }
            opts.interval = d;
        } else {
            return make_error(Errc::invalid_argument, "unknown option: " + key);
        }
        if (!st) {
            return st;
        }
    }
    if (opts.router_lifetime > 9000) {
        return make_error(Errc::invalid_argument, "--router-lifetime: at most 9000 (RFC 4861)");
    }
    return {};
}

Result<std::vector<std::string>> read_option_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return sys_error(errno, "cannot read " + path);
    }
    std::vector<std::string> tokens;
    std::string line;
    while (std::getline(in, line)) {
        if (auto hash = line.find('#'); hash != std::string::npos) {
            line.resize(hash);
        }
        std::istringstream words(line);
        std::string w;
        while (words >> w) {
            tokens.push_back(w);
        }
    }
    return tokens;
}

// Effective options: command line, then the options file if any.
Result<Options> load_options(const std::vector<std::string>& argv_tokens) {
    Options opts;
    if (auto st = parse_tokens(argv_tokens, opts, false); !st) {
        return std::move(st).error();
    }
    if (!opts.options_file.empty()) {
        auto tokens = read_option_file(opts.options_file);
        if (!tokens) {
            return std::move(tokens).error();
        }
        if (auto st = parse_tokens(*tokens, opts, true); !st) {
            return make_error(st.error().code, opts.options_file + ": " + st.error().message);
        }
    }
    if (opts.interface.empty()) {
        return make_error(Errc::invalid_argument, "--interface is required");
    }
    return opts;
}

// --- RA building (pure) ---

void put16(std::vector<uint8_t>& b, uint32_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& b, uint32_t v) {
    put16(b, v >> 16);
    put16(b, v & 0xffff);
}

// The ICMPv6 message (checksum left zero: the kernel fills it in for raw
// ICMPv6 sockets). final_ra zeroes every lifetime.
std::vector<uint8_t> build_ra(const Options& o, const std::optional<std::array<uint8_t, 6>>& mac,
                              bool final_ra) {
    std::vector<uint8_t> b;
    b.push_back(ND_ROUTER_ADVERT);
    b.push_back(0);                             // code
    put16(b, 0);                                // checksum
    b.push_back(64);                            // cur hop limit
    b.push_back(0);                             // M=0 O=0
    put16(b, final_ra ? 0 : o.router_lifetime); // router lifetime
    put32(b, 0);                                // reachable time
    put32(b, 0);                                // retrans timer
    if (mac) {
        b.push_back(kOptSourceLinkAddr);
        b.push_back(1);
        b.insert(b.end(), mac->begin(), mac->end());
    }
    if (o.mtu != 0) {
        b.push_back(kOptMtu);
        b.push_back(1);
        put16(b, 0);
        put32(b, o.mtu);
    }
    for (const auto& p : o.prefixes) {
        b.push_back(kOptPrefixInfo);
        b.push_back(4);
        b.push_back(p.prefix.len);
        b.push_back(kPioOnLink | kPioAutonomous);
        put32(b, final_ra ? 0 : p.valid);
        put32(b, final_ra ? 0 : p.preferred);
        put32(b, 0);
        b.insert(b.end(), p.prefix.addr.bytes.begin(), p.prefix.addr.bytes.end());
    }
    if (!o.rdnss.empty()) {
        b.push_back(kOptRdnss);
        b.push_back(static_cast<uint8_t>(1 + 2 * o.rdnss.size()));
        put16(b, 0);
        put32(b, final_ra ? 0 : o.rdnss_lifetime);
        for (const auto& a : o.rdnss) {
            b.insert(b.end(), a.bytes.begin(), a.bytes.end());
        }
    }
    for (const auto& p : o.pref64s) {
        uint32_t lt = p.lifetime.value_or(o.pref64_lifetime);
        auto opt = build_pref64_option(p.prefix, std::chrono::seconds(final_ra ? 0 : lt));
        b.insert(b.end(), opt.begin(), opt.end());
    }
    return b;
}

std::string describe(const Options& o) {
    std::string s = "router-lifetime=" + std::to_string(o.router_lifetime);
    for (const auto& p : o.prefixes) {
        s += " prefix=" + p.prefix.str() + "," + std::to_string(p.valid) + "," +
             std::to_string(p.preferred);
    }
    for (const auto& p : o.pref64s) {
        s += " pref64=" + p.prefix.str() + "," +
             std::to_string(p.lifetime.value_or(o.pref64_lifetime));
    }
    for (const auto& a : o.rdnss) {
        s += " rdnss=" + a.str();
    }
    if (o.mtu != 0) {
        s += " mtu=" + std::to_string(o.mtu);
    }
    return s;
}

// --- socket side ---

struct Sender {
    UniqueFd sock;
    unsigned ifindex = 0;
    std::optional<std::array<uint8_t, 6>> mac;
};

std::optional<std::array<uint8_t, 6>> interface_mac(int sock, const std::string& ifname) {
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname.c_str());
    if (::ioctl(sock, SIOCGIFHWADDR, &ifr) != 0 || ifr.ifr_hwaddr.sa_family != 1 /* ETHER */) {
        return std::nullopt; // raw-IP links have no link-layer address
    }
    std::array<uint8_t, 6> mac{};
    std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, mac.size());
    return mac;
}

Result<Sender> open_sender(const std::string& ifname) {
    Sender s;
    s.ifindex = ::if_nametoindex(ifname.c_str());
    if (s.ifindex == 0) {
        return sys_error(errno, "interface " + ifname);
    }
    s.sock = UniqueFd(::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6));
    if (s.sock.get() < 0) {
        return sys_error(errno, "raw ICMPv6 socket (needs CAP_NET_RAW)");
    }
    int fd = s.sock.get();
    if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
                     static_cast<socklen_t>(ifname.size())) != 0) {
        return sys_error(errno, "SO_BINDTODEVICE " + ifname);
    }
    int hops = 255; // RFC 4861: receivers drop ND messages with another hop limit
    int ifidx = static_cast<int>(s.ifindex);
    int off = 0;
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0 ||
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops) != 0 ||
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifidx, sizeof ifidx) != 0 ||
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof off) != 0) {
        return sys_error(errno, "ICMPv6 socket options");
    }
    icmp6_filter filter{};
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &filter);
    if (::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) != 0) {
        return sys_error(errno, "ICMP6_FILTER");
    }
    ipv6_mreq mreq{};
    inet_pton(AF_INET6, "ff02::2", &mreq.ipv6mr_multiaddr);
    mreq.ipv6mr_interface = s.ifindex;
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq) != 0) {
        return sys_error(errno, "join ff02::2");
    }
    s.mac = interface_mac(fd, ifname);
    return s;
}

Status send_ra(const Sender& s, const std::vector<uint8_t>& ra, const in6_addr& dst) {
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    to.sin6_addr = dst;
    to.sin6_scope_id = s.ifindex;
    ssize_t n = ::sendto(s.sock.get(), ra.data(), ra.size(), 0, reinterpret_cast<sockaddr*>(&to),
                         sizeof to);
    if (n < 0) {
        return sys_error(errno, "sendto");
    }
    return {};
}

Result<UniqueFd> open_signalfd() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) {
        return sys_error(errno, "sigprocmask");
    }
    UniqueFd fd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    if (fd.get() < 0) {
        return sys_error(errno, "signalfd");
    }
    return fd;
}

int run(const std::vector<std::string>& argv_tokens) {
    auto opts = load_options(argv_tokens);
    if (!opts) {
        std::fprintf(stderr, "colatrl-test-ra: %s\n", opts.error().message.c_str());
        return 2;
    }
    auto sender = open_sender(opts->interface);
    if (!sender) {
        std::fprintf(stderr, "colatrl-test-ra: %s\n", sender.error().message.c_str());
        return 1;
    }
    auto sigfd = open_signalfd();
    if (!sigfd) {
        std::fprintf(stderr, "colatrl-test-ra: %s\n", sigfd.error().message.c_str());
        return 1;
    }
    in6_addr all_nodes{};
    inet_pton(AF_INET6, "ff02::1", &all_nodes);
    std::fprintf(stderr, "colatrl-test-ra: %s: %s\n", opts->interface.c_str(),
                 describe(*opts).c_str());

    auto send_logged = [&](const in6_addr& dst, bool final_ra) {
        auto st = send_ra(*sender, build_ra(*opts, sender->mac, final_ra), dst);
        if (!st) {
            // Not fatal: the link-local address may still be tentative.
            std::fprintf(stderr, "colatrl-test-ra: send RA: %s\n", st.error().message.c_str());
        } else if (opts->verbose) {
            std::fprintf(stderr, "colatrl-test-ra: sent RA%s\n", final_ra ? " (final)" : "");
        }
        return st.ok();
    };

    if (opts->once) {
        return send_logged(all_nodes, false) ? 0 : 1;
    }

    using Clock = std::chrono::steady_clock;
    auto period = [&] {
        return std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(opts->interval));
    };
    auto next = Clock::now();
    while (true) {
        auto now = Clock::now();
        if (now >= next) {
            send_logged(all_nodes, false);
            next = now + period();
        }
        auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
        std::array<pollfd, 2> pfd{{{sender->sock.get(), POLLIN, 0}, {sigfd->get(), POLLIN, 0}}};
        int r = ::poll(pfd.data(), pfd.size(), static_cast<int>(std::max<long long>(wait_ms, 1)));
        if (r < 0 && errno != EINTR) {
            std::perror("colatrl-test-ra: poll");
            return 1;
        }
        if (r <= 0) {
            continue;
        }
        if (pfd[1].revents & POLLIN) {
            signalfd_siginfo si{};
            if (::read(sigfd->get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
                if (si.ssi_signo == SIGHUP) {
                    auto fresh = load_options(argv_tokens);
                    if (!fresh) {
                        std::fprintf(stderr, "colatrl-test-ra: reload failed, keeping old: %s\n",
                                     fresh.error().message.c_str());
                    } else {
                        opts = std::move(fresh);
                        std::fprintf(stderr, "colatrl-test-ra: reloaded: %s\n",
                                     describe(*opts).c_str());
                        next = Clock::now(); // announce the change at once
                    }
                } else {
                    send_logged(all_nodes, true);
                    std::fprintf(stderr, "colatrl-test-ra: final RA sent, exiting\n");
                    return 0;
                }
            }
        }
        if (pfd[0].revents & POLLIN) {
            std::array<uint8_t, 1500> buf{};
            sockaddr_in6 from{};
            socklen_t fromlen = sizeof from;
            ssize_t n = ::recvfrom(sender->sock.get(), buf.data(), buf.size(), 0,
                                   reinterpret_cast<sockaddr*>(&from), &fromlen);
            if (n >= 8 && buf[0] == ND_ROUTER_SOLICIT) {
                // Unicast answer to a solicitor with an address, else multicast.
                bool unspecified = IN6_IS_ADDR_UNSPECIFIED(&from.sin6_addr);
                send_logged(unspecified ? all_nodes : from.sin6_addr, false);
            }
        }
    }
}

} // namespace
} // namespace colatrl

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return colatrl::run(args);
}

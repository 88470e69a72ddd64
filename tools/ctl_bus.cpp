// SPDX-License-Identifier: GPL-2.0-or-later
// The colatrlctl commands that talk to colatrld over D-Bus (org.colatrl on
// the system bus, dbus/org.colatrl.Manager1.xml): list, status, statistics,
// describe, metrics, monitor, reload, reset-statistics. Reading and calling
// here; the wording is in ctl_format.cpp.
#include "ctl_commands.hpp"
#include "ctl_format.hpp"

#include "status/bus_args.hpp"

#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace colatrl::ctl {

namespace {

const std::string kDest(kBusName);
const std::string kManager(kManagerPath);
const std::string kManagerIface(kManagerInterface);
const std::string kLinkIface(kLinkInterface);

struct BusDeleter {
    void operator()(sd_bus* b) const noexcept { sd_bus_flush_close_unref(b); }
};
using BusPtr = std::unique_ptr<sd_bus, BusDeleter>;
struct MsgDeleter {
    void operator()(sd_bus_message* m) const noexcept { sd_bus_message_unref(m); }
};
using MsgPtr = std::unique_ptr<sd_bus_message, MsgDeleter>;

// A failure with its exit code and one-line message.
struct Failure {
    int code = kExitFailure;
    std::string message;
};

int report(const Failure& f) {
    std::fprintf(stderr, "colatrlctl: %s\n", f.message.c_str());
    return f.code;
}

Failure from_bus_error(const sd_bus_error& e, int r, const std::string& what) {
    const std::string name = e.name ? e.name : "";
    const std::string msg = e.message ? e.message : std::strerror(r < 0 ? -r : r);
    if (name == SD_BUS_ERROR_SERVICE_UNKNOWN || name == SD_BUS_ERROR_NAME_HAS_NO_OWNER ||
        name == SD_BUS_ERROR_NO_REPLY || name == "org.freedesktop.DBus.Error.Disconnected") {
        return {kExitNoDaemon, "colatrld is not running (no org.colatrl on the system bus)"};
    }
    if (name == SD_BUS_ERROR_ACCESS_DENIED) {
        // The bus daemon's refusal is a long rule dump; one line says it.
        return {kExitDenied, what + ": permission denied (only root may do this)"};
    }
    if (name == kErrorNoSuchLink) {
        return {kExitNoSuchLink, msg};
    }
    return {kExitFailure, what + ": " + msg};
}

class Client {
public:
    static std::variant<Client, Failure> open() {
        sd_bus* raw = nullptr;
        if (int r = sd_bus_open_system(&raw); r < 0) {
            return Failure{kExitNoDaemon, std::string("cannot connect to the system bus: ") +
                                              std::strerror(-r) + " (is dbus running?)"};
        }
        return Client(BusPtr(raw));
    }

    // Calls a method; on success `reply` holds the answer.
    std::optional<Failure> call(const std::string& path, const std::string& iface,
                                const char* member, MsgPtr& reply, const char* types = nullptr,
                                const char* s_arg = nullptr, int32_t i_arg = 0) {
        sd_bus_error e{}; // SD_BUS_ERROR_NULL is a C compound literal
        sd_bus_message* m = nullptr;
        int r = 0;
        if (types == nullptr) {
            r = sd_bus_call_method(bus_.get(), kDest.c_str(), path.c_str(), iface.c_str(), member,
                                   &e, &m, "");
        } else if (std::strcmp(types, "s") == 0) {
            r = sd_bus_call_method(bus_.get(), kDest.c_str(), path.c_str(), iface.c_str(), member,
                                   &e, &m, "s", s_arg);
        } else {
            r = sd_bus_call_method(bus_.get(), kDest.c_str(), path.c_str(), iface.c_str(), member,
                                   &e, &m, "i", i_arg);
        }
        std::optional<Failure> f;
        if (r < 0) {
            f = from_bus_error(e, r, member);
        }
        sd_bus_error_free(&e);
        reply.reset(m);
        return f;
    }

    sd_bus* get() const noexcept { return bus_.get(); }

private:
    explicit Client(BusPtr b) : bus_(std::move(b)) {}
    BusPtr bus_;
};

Failure parse_failure(int r) {
    return {kExitFailure, std::string("unexpected answer from colatrld: ") + std::strerror(-r)};
}

// Reads one variant value into the field the property name selects.
int read_link_property(sd_bus_message* m, const std::string& name, LinkView& v) {
    char type = 0;
    const char* contents = nullptr;
    int r = sd_bus_message_peek_type(m, &type, &contents);
    if (r < 0) {
        return r;
    }
    if ((r = sd_bus_message_enter_container(m, 'v', contents)) < 0) {
        return r;
    }
    const std::string sig = contents;
    LinkStatus& s = v.status;
    if (sig == "s") {
        const char* str = nullptr;
        if ((r = sd_bus_message_read(m, "s", &str)) < 0) {
            return r;
        }
        const std::string val = str;
        if (name == "InterfaceName") {
            s.name = val;
        } else if (name == "State") {
            s.active = val == "active";
        } else if (name == "OffReason") {
            s.off_reason = val;
        } else if (name == "OffDetail") {
            s.off_detail = val;
        } else if (name == "Pref64") {
            s.pref64 = val;
        } else if (name == "Pref64Source") {
            s.pref64_source = val;
        } else if (name == "ClatIPv4Address") {
            s.clat4 = val;
        } else if (name == "ClatIPv6Address") {
            s.clat6 = val;
        } else if (name == "Gateway") {
            s.gateway = val;
        }
    } else if (sig == "t") {
        uint64_t t = 0;
        if ((r = sd_bus_message_read(m, "t", &t)) < 0) {
            return r;
        }
        if (name == "Pref64ExpiresUSec") {
            s.pref64_expires_usec = t;
        } else if (name == "Since") {
            s.since_usec = t;
        } else if (name == "Packets4to6") {
            v.packets4to6 = t;
        } else if (name == "Packets6to4") {
            v.packets6to4 = t;
        } else if (name == "Bytes4to6") {
            v.bytes4to6 = t;
        } else if (name == "Bytes6to4") {
            v.bytes6to4 = t;
        }
    } else if (sig == "u") {
        uint32_t u = 0;
        if ((r = sd_bus_message_read(m, "u", &u)) < 0) {
            return r;
        }
        if (name == "MTU") {
            s.mtu = u;
        }
    } else if (sig == "i") {
        int32_t i = 0;
        if ((r = sd_bus_message_read(m, "i", &i)) < 0) {
            return r;
        }
        if (name == "InterfaceIndex") {
            s.ifindex = i;
        }
    } else if (sig == "a{s(tt)}") {
        if ((r = sd_bus_message_enter_container(m, 'a', "{s(tt)}")) < 0) {
            return r;
        }
        const char* cname = nullptr;
        uint64_t p = 0;
        uint64_t b = 0;
        while ((r = sd_bus_message_read(m, "{s(tt)}", &cname, &p, &b)) > 0) {
            v.counters.emplace_back(cname, colatrl_counter{p, b});
        }
        if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0) {
            return r;
        }
    } else if ((r = sd_bus_message_skip(m, contents)) < 0) {
        return r;
    }
    return sd_bus_message_exit_container(m);
}

std::variant<LinkView, Failure> read_link(Client& c, const std::string& path) {
    MsgPtr reply;
    sd_bus_error e{}; // SD_BUS_ERROR_NULL is a C compound literal
    sd_bus_message* m = nullptr;
    int r =
        sd_bus_call_method(c.get(), kDest.c_str(), path.c_str(), "org.freedesktop.DBus.Properties",
                           "GetAll", &e, &m, "s", kLinkIface.c_str());
    if (r < 0) {
        Failure f = from_bus_error(e, r, "reading " + path);
        sd_bus_error_free(&e);
        return f;
    }
    reply.reset(m);
    LinkView v;
    if ((r = sd_bus_message_enter_container(m, 'a', "{sv}")) < 0) {
        return parse_failure(r);
    }
    while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        const char* name = nullptr;
        if ((r = sd_bus_message_read(m, "s", &name)) < 0 ||
            (r = read_link_property(m, name, v)) < 0 ||
            (r = sd_bus_message_exit_container(m)) < 0) {
            return parse_failure(r);
        }
    }
    if (r < 0) {
        return parse_failure(r);
    }
    return v;
}

// Object paths of every link (ListLinks), or of the one LINK names.
std::variant<std::vector<std::string>, Failure> link_paths(Client& c, const std::string* which) {
    MsgPtr reply;
    std::vector<std::string> paths;
    if (which) {
        const bool numeric =
            !which->empty() && which->find_first_not_of("0123456789") == std::string::npos;
        std::optional<Failure> f;
        if (numeric) {
            f = c.call(kManager, kManagerIface, "GetLinkByIndex", reply, "i", nullptr,
                       std::atoi(which->c_str()));
        } else {
            f = c.call(kManager, kManagerIface, "GetLinkByName", reply, "s", which->c_str());
        }
        if (f) {
            return *f;
        }
        const char* path = nullptr;
        int r = numeric ? sd_bus_message_read(reply.get(), "so", nullptr, &path)
                        : sd_bus_message_read(reply.get(), "io", nullptr, &path);
        if (r < 0) {
            return parse_failure(r);
        }
        paths.emplace_back(path);
        return paths;
    }
    if (auto f = c.call(kManager, kManagerIface, "ListLinks", reply)) {
        return *f;
    }
    int r = sd_bus_message_enter_container(reply.get(), 'a', "(iso)");
    const char* name = nullptr;
    const char* path = nullptr;
    int32_t ifindex = 0;
    while (r >= 0 && (r = sd_bus_message_read(reply.get(), "(iso)", &ifindex, &name, &path)) > 0) {
        paths.emplace_back(path);
    }
    if (r < 0) {
        return parse_failure(r);
    }
    return paths;
}

std::variant<std::vector<LinkView>, Failure> read_links(Client& c, const std::string* which) {
    auto paths = link_paths(c, which);
    if (auto* f = std::get_if<Failure>(&paths)) {
        return *f;
    }
    std::vector<LinkView> out;
    for (const auto& p : std::get<std::vector<std::string>>(paths)) {
        auto v = read_link(c, p);
        if (auto* f = std::get_if<Failure>(&v)) {
            // A link that went away between ListLinks and GetAll is skipped.
            if (f->code == kExitNoSuchLink || which) {
                if (which) {
                    return *f;
                }
                continue;
            }
            return *f;
        }
        out.push_back(std::move(std::get<LinkView>(v)));
    }
    return out;
}

std::optional<Failure> read_manager(Client& c, std::string& version, std::string& state,
                                    std::string& config_file) {
    for (auto [prop, out] : {std::pair<const char*, std::string*>{"Version", &version},
                             {"State", &state},
                             {"ConfigFile", &config_file}}) {
        sd_bus_error e{}; // SD_BUS_ERROR_NULL is a C compound literal
        char* v = nullptr;
        int r = sd_bus_get_property_string(c.get(), kDest.c_str(), kManager.c_str(),
                                           kManagerIface.c_str(), prop, &e, &v);
        if (r < 0) {
            Failure f = from_bus_error(e, r, std::string("reading ") + prop);
            sd_bus_error_free(&e);
            return f;
        }
        *out = v;
        std::free(v);
    }
    return std::nullopt;
}

bool use_colour() {
    const char* term = std::getenv("TERM");
    return isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr &&
           !(term && std::strcmp(term, "dumb") == 0);
}

uint64_t now_usec(clockid_t id) {
    timespec ts{};
    (void)clock_gettime(id, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

int usage_error(const std::string& cmd, const std::string& msg) {
    std::fprintf(stderr, "colatrlctl: %s\nTry 'colatrlctl %s --help'.\n", msg.c_str(), cmd.c_str());
    return kExitUsage;
}

volatile std::sig_atomic_t g_stop = 0;
void on_stop_signal(int) {
    g_stop = 1;
}

// Prints one signal of the daemon as a line (monitor).
int on_monitor_signal(sd_bus_message* m, void*, sd_bus_error*) {
    const char* member = sd_bus_message_get_member(m);
    const char* path = sd_bus_message_get_path(m);
    std::string line = std::string(member ? member : "?") + " " + (path ? path : "?");
    if (member && std::strncmp(member, "Interfaces", 10) == 0) {
        // ObjectManager signals come from /org/colatrl; the object is the first argument.
        const char* object = nullptr;
        if (sd_bus_message_read(m, "o", &object) >= 0) {
            line = std::string(member) + " " + object;
        }
    } else if (member && std::strcmp(member, "PropertiesChanged") == 0) {
        const char* iface = nullptr;
        if (sd_bus_message_read(m, "s", &iface) >= 0 &&
            sd_bus_message_enter_container(m, 'a', "{sv}") >= 0) {
            while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                const char* name = nullptr;
                if (sd_bus_message_read(m, "s", &name) < 0) {
                    break;
                }
                char type = 0;
                const char* contents = nullptr;
                (void)sd_bus_message_peek_type(m, &type, &contents);
                std::string val;
                if (contents && (std::strcmp(contents, "s") == 0)) {
                    const char* s = nullptr;
                    (void)sd_bus_message_enter_container(m, 'v', "s");
                    (void)sd_bus_message_read(m, "s", &s);
                    val = std::string("\"") + (s ? s : "") + "\"";
                    (void)sd_bus_message_exit_container(m);
                } else if (contents && (std::strcmp(contents, "t") == 0)) {
                    uint64_t t = 0;
                    (void)sd_bus_message_enter_container(m, 'v', "t");
                    (void)sd_bus_message_read(m, "t", &t);
                    val = std::to_string(t);
                    (void)sd_bus_message_exit_container(m);
                } else if (contents && (std::strcmp(contents, "u") == 0)) {
                    uint32_t u = 0;
                    (void)sd_bus_message_enter_container(m, 'v', "u");
                    (void)sd_bus_message_read(m, "u", &u);
                    val = std::to_string(u);
                    (void)sd_bus_message_exit_container(m);
                } else {
                    (void)sd_bus_message_skip(m, "v");
                    val = "...";
                }
                (void)sd_bus_message_exit_container(m);
                line += std::string(" ") + name + "=" + val;
            }
        }
    }
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    return 0;
}

int cmd_monitor(Client& c) {
    for (const char* member : {"PropertiesChanged", "InterfacesAdded", "InterfacesRemoved"}) {
        const char* iface = std::strcmp(member, "PropertiesChanged") == 0
                                ? "org.freedesktop.DBus.Properties"
                                : "org.freedesktop.DBus.ObjectManager";
        int r = sd_bus_match_signal(c.get(), nullptr, kDest.c_str(), nullptr, iface, member,
                                    on_monitor_signal, nullptr);
        if (r < 0) {
            return report(
                {kExitFailure, std::string("cannot watch signals: ") + std::strerror(-r)});
        }
    }
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    std::printf("Watching org.colatrl (Ctrl-C ends)\n");
    std::fflush(stdout);
    while (!g_stop) {
        int r = sd_bus_process(c.get(), nullptr);
        if (r < 0) {
            return report(
                {kExitNoDaemon, std::string("bus connection lost: ") + std::strerror(-r)});
        }
        if (r > 0) {
            continue;
        }
        r = sd_bus_wait(c.get(), 500000);
        if (r < 0 && r != -EINTR) {
            return report({kExitFailure, std::string("sd_bus_wait: ") + std::strerror(-r)});
        }
    }
    return kExitOk;
}

constexpr const char* kHelp =
    "Usage (these commands ask colatrld over D-Bus):\n"
    "  colatrlctl status [LINK] [--json]\n"
    "      State, reason, PREF64 and its source and time left, CLAT addresses, gateway,\n"
    "      MTU, traffic each way and drops by reason, per link.\n"
    "  colatrlctl list [--json]\n"
    "      One line per link the daemon considers.\n"
    "  colatrlctl statistics [LINK] [--all] [--json]\n"
    "      The datapath counters per link (non-zero ones unless --all).\n"
    "  colatrlctl describe\n"
    "      The daemon's whole state as JSON.\n"
    "  colatrlctl metrics\n"
    "      Every counter in the Prometheus text format (node_exporter textfile collector).\n"
    "  colatrlctl monitor\n"
    "      Print the daemon's change signals as they come, until interrupted.\n"
    "  colatrlctl reload\n"
    "      Re-read the configuration file (root only).\n"
    "  colatrlctl reset-statistics\n"
    "      Set every counter to zero (root only).\n"
    "LINK is an interface name or index.\n";

} // namespace

int run_bus(const std::string& cmd, const std::vector<std::string>& words) {
    auto args = parse_args(words, {}, {"json", "all", "help"});
    if (!args) {
        return usage_error(cmd, args.error().message);
    }
    if (args->flag("help")) {
        std::fputs(kHelp, stdout);
        return kExitOk;
    }
    const bool json = args->flag("json");
    const bool all = args->flag("all");
    const auto& pos = args->positional;
    const bool takes_link = cmd == "status" || cmd == "statistics";
    if (pos.size() > (takes_link ? 1u : 0u)) {
        return usage_error(cmd, "too many arguments for " + cmd);
    }
    if (json && !(cmd == "status" || cmd == "list" || cmd == "statistics")) {
        return usage_error(cmd, "--json is for status, list and statistics (describe is JSON)");
    }
    if (all && cmd != "statistics") {
        return usage_error(cmd, "--all is for statistics");
    }
    const std::string* which = pos.empty() ? nullptr : &pos[0];

    auto opened = Client::open();
    if (auto* f = std::get_if<Failure>(&opened)) {
        return report(*f);
    }
    Client& c = std::get<Client>(opened);

    if (cmd == "reload" || cmd == "reset-statistics") {
        MsgPtr reply;
        if (auto f = c.call(kManager, kManagerIface, cmd == "reload" ? "Reload" : "ResetStatistics",
                            reply)) {
            return report(*f);
        }
        return kExitOk;
    }
    if (cmd == "describe") {
        MsgPtr reply;
        if (auto f = c.call(kManager, kManagerIface, "Describe", reply)) {
            return report(*f);
        }
        const char* text = nullptr;
        if (int r = sd_bus_message_read(reply.get(), "s", &text); r < 0) {
            return report(parse_failure(r));
        }
        std::printf("%s\n", text);
        return kExitOk;
    }
    if (cmd == "monitor") {
        return cmd_monitor(c);
    }

    auto links = read_links(c, which);
    if (auto* f = std::get_if<Failure>(&links)) {
        return report(*f);
    }
    const auto& views = std::get<std::vector<LinkView>>(links);
    if (cmd == "list") {
        std::fputs(json ? (json_links(views, false) + "\n").c_str() : format_list(views).c_str(),
                   stdout);
    } else if (cmd == "metrics") {
        std::fputs(format_metrics(views).c_str(), stdout);
    } else if (cmd == "statistics") {
        if (json) {
            std::fputs((json_links(views, true) + "\n").c_str(), stdout);
        } else {
            for (const auto& v : views) {
                std::fputs(format_statistics(v, all).c_str(), stdout);
            }
        }
    } else { // status
        if (json) {
            std::fputs((json_links(views, true) + "\n").c_str(), stdout);
            return kExitOk;
        }
        const bool colour = use_colour();
        std::string version, state, config_file;
        if (auto f = read_manager(c, version, state, config_file)) {
            return report(*f);
        }
        std::string out = format_manager(version, state, config_file, colour);
        const Clocks now{now_usec(CLOCK_REALTIME), now_usec(CLOCK_BOOTTIME)};
        for (const auto& v : views) {
            out += "\n" + format_status(v, now, colour);
        }
        std::fputs(out.c_str(), stdout);
    }
    return kExitOk;
}

} // namespace colatrl::ctl

// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl_format.hpp"

#include "base/json.hpp"

#include <cinttypes>
#include <cstdio>
#include <ctime>

namespace colatrl::ctl {

namespace {

const char* kGreen = "\x1b[0;32m";
const char* kRed = "\x1b[0;31m";
const char* kYellow = "\x1b[0;33m";
const char* kBold = "\x1b[1m";
const char* kReset = "\x1b[0m";

std::string paint(const std::string& s, const char* colour, bool on) {
    return on ? colour + s + kReset : s;
}

std::string realtime_text(uint64_t usec) {
    const auto t = static_cast<time_t>(usec / 1000000u);
    tm tmv{};
    gmtime_r(&t, &tmv);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a %Y-%m-%d %H:%M:%S UTC", &tmv);
    return buf;
}

// One aligned "   Label: value" line of a status block.
std::string field(const char* label, const std::string& value) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%16s: ", label);
    return buf + value + "\n";
}

std::string u64(uint64_t v) {
    return std::to_string(v);
}

bool is_drop(const std::string& name) {
    return name.find("_drop_") != std::string::npos;
}

std::string prom_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace

std::string format_span(uint64_t usec) {
    uint64_t s = usec / 1000000u;
    const uint64_t d = s / 86400;
    s %= 86400;
    const uint64_t h = s / 3600;
    s %= 3600;
    const uint64_t m = s / 60;
    s %= 60;
    std::string out;
    const auto part = [&](uint64_t v, const char* unit) {
        if (v != 0) {
            out += (out.empty() ? "" : " ") + u64(v) + unit;
        }
    };
    part(d, "d");
    part(h, "h");
    part(m, "min");
    if (s != 0 || out.empty()) {
        out += (out.empty() ? "" : " ") + u64(s) + "s";
    }
    return out;
}

std::string format_bytes(uint64_t bytes) {
    if (bytes < 1024) {
        return u64(bytes) + " B";
    }
    const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    auto v = static_cast<double>(bytes) / 1024.0;
    size_t i = 0;
    while (v >= 1024.0 && i + 1 < std::size(units)) {
        v /= 1024.0;
        ++i;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[i]);
    return buf;
}

std::string format_manager(const std::string& version, const std::string& state,
                           const std::string& config_file, bool color) {
    const char* c = state == "running" ? kGreen : state == "degraded" ? kRed : kYellow;
    return "colatrld " + version + ": " + paint(state, c, color) + " (configuration " +
           (config_file.empty() ? std::string("built-in defaults") : config_file) + ")\n";
}

std::string format_status(const LinkView& link, const Clocks& now, bool color) {
    const LinkStatus& s = link.status;
    std::string out;
    out += paint("\u25cf", s.active ? kGreen : kReset, color && s.active) + " " +
           std::to_string(s.ifindex) + ": " + paint(s.name, kBold, color) + "\n";
    std::string state = paint(std::string(s.state()), s.active ? kGreen : kYellow, color);
    if (!s.active) {
        state += " (" + s.off_reason + ")";
    }
    if (s.since_usec != 0) {
        state += " since " + realtime_text(s.since_usec);
        if (now.realtime_usec >= s.since_usec) {
            state += "; " + format_span(now.realtime_usec - s.since_usec) + " ago";
        }
    }
    out += field("State", state);
    if (!s.off_detail.empty()) {
        out += field("Detail", s.off_detail);
    }
    if (!s.pref64.empty()) {
        std::string p = s.pref64 + " from " + (s.pref64_source.empty() ? "?" : s.pref64_source);
        if (s.pref64_expires_usec == 0) {
            p += " (no expiry)";
        } else if (s.pref64_expires_usec > now.boottime_usec) {
            p += " (expires in " + format_span(s.pref64_expires_usec - now.boottime_usec) + ")";
        } else {
            p += " (expired)";
        }
        out += field("PREF64", p);
    }
    if (!s.active) {
        return out;
    }
    out += field("CLAT IPv4", s.clat4);
    out += field("CLAT IPv6", s.clat6);
    out += field("Gateway", s.gateway.empty() ? std::string("(point-to-point)") : s.gateway);
    out += field("MTU", std::to_string(s.mtu));
    out +=
        field("IPv4 -> IPv6", u64(link.packets4to6) + " packets, " + format_bytes(link.bytes4to6));
    out +=
        field("IPv6 -> IPv4", u64(link.packets6to4) + " packets, " + format_bytes(link.bytes6to4));
    std::string drops;
    for (const auto& [name, c] : link.counters) {
        if (is_drop(name) && c.packets != 0) {
            drops += (drops.empty() ? "" : ", ") + name + " " + u64(c.packets);
        }
    }
    out += field("Drops", drops.empty() ? std::string("none") : paint(drops, kRed, color));
    return out;
}

std::string format_list(const std::vector<LinkView>& links) {
    std::string out;
    char buf[256];
    std::snprintf(buf, sizeof buf, "%5s %-15s %-6s %-16s %-24s %s\n", "IDX", "LINK", "STATE",
                  "REASON", "PREF64", "CLAT IPV4");
    out += buf;
    for (const auto& l : links) {
        const LinkStatus& s = l.status;
        std::snprintf(buf, sizeof buf, "%5d %-15s %-6s %-16s %-24s %s\n", s.ifindex, s.name.c_str(),
                      std::string(s.state()).c_str(), s.off_reason.c_str(), s.pref64.c_str(),
                      s.clat4.c_str());
        out += buf;
    }
    out += "\n" + std::to_string(links.size()) + (links.size() == 1 ? " link" : " links") +
           " listed.\n";
    return out;
}

std::string format_statistics(const LinkView& link, bool all) {
    std::string out = link.status.name + ":\n";
    if (link.counters.empty()) {
        return out + "  (no datapath)\n";
    }
    bool any = false;
    char buf[160];
    for (const auto& [name, c] : link.counters) {
        if (!all && c.packets == 0 && c.bytes == 0) {
            continue;
        }
        any = true;
        std::snprintf(buf, sizeof buf, "  %-42s %12" PRIu64 " packets %14" PRIu64 " bytes\n",
                      name.c_str(), static_cast<uint64_t>(c.packets),
                      static_cast<uint64_t>(c.bytes));
        out += buf;
    }
    if (!any) {
        out += "  (all counters zero)\n";
    }
    return out;
}

std::string format_metrics(const std::vector<LinkView>& links) {
    std::string out;
    const auto family = [&](const char* name, const char* type, const char* help,
                            const auto& sample) {
        out += std::string("# HELP ") + name + " " + help + "\n";
        out += std::string("# TYPE ") + name + " " + type + "\n";
        for (const auto& l : links) {
            sample(name, l);
        }
    };
    family("colatrl_link_active", "gauge", "1 while the CLAT translates on the interface.",
           [&](const char* name, const LinkView& l) {
               out += std::string(name) + "{interface=\"" + prom_escape(l.status.name) + "\"} " +
                      (l.status.active ? "1" : "0") + "\n";
           });
    const auto counters = [&](bool packets) {
        return [&, packets](const char* name, const LinkView& l) {
            for (const auto& [cname, c] : l.counters) {
                out += std::string(name) + "{interface=\"" + prom_escape(l.status.name) +
                       "\",counter=\"" + prom_escape(cname) + "\"} " +
                       u64(packets ? c.packets : c.bytes) + "\n";
            }
        };
    };
    family("colatrl_packets_total", "counter",
           "Packets the CLAT datapath counted, by counter (egress: IPv4 to IPv6, ingress: IPv6 "
           "to IPv4).",
           counters(true));
    family("colatrl_bytes_total", "counter", "Bytes of the packets in colatrl_packets_total.",
           counters(false));
    return out;
}

std::string json_links(const std::vector<LinkView>& links, bool with_counters) {
    JsonWriter j;
    j.begin_array();
    for (const auto& l : links) {
        j.begin_object();
        write_link_properties(j, l.status);
        if (with_counters) {
            j.key("Packets4to6").value(l.packets4to6);
            j.key("Packets6to4").value(l.packets6to4);
            j.key("Bytes4to6").value(l.bytes4to6);
            j.key("Bytes6to4").value(l.bytes6to4);
            j.key("Statistics").begin_object();
            for (const auto& [name, c] : l.counters) {
                j.key(name).begin_object();
                j.key("packets").value(static_cast<uint64_t>(c.packets));
                j.key("bytes").value(static_cast<uint64_t>(c.bytes));
                j.end_object();
            }
            j.end_object();
        }
        j.end_object();
    }
    j.end_array();
    return j.str();
}

} // namespace colatrl::ctl

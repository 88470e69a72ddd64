// SPDX-License-Identifier: GPL-2.0-or-later
#include "bus/bus_service.hpp"

#include "datapath/datapath_config.hpp"
#include "status/bus_args.hpp"
#include "sys/log.hpp"

#include "colatrl_build_config.h"

#include <systemd/sd-bus-vtable.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace colatrl {

namespace {

constexpr std::chrono::seconds kReconnectMax{8};
constexpr const char* kErrNoSuchLink = "org.colatrl.Error.NoSuchLink";

const std::string kManagerPathS(kManagerPath);
const std::string kLinkPrefixS(kLinkPathPrefix);
const std::string kManagerIfaceS(kManagerInterface);
const std::string kLinkIfaceS(kLinkInterface);

uint64_t realtime_usec() {
    timespec ts{};
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

const char* bus_kind_name(BusKind k) {
    return k == BusKind::session ? "session" : "system";
}

// Only root may change the daemon's state. The uid is what the bus daemon
// tells about the sender's connection (not read from /proc, which could be
// stale or racy).
bool caller_is_root(sd_bus_message* m) {
    sd_bus_creds* creds = nullptr;
    if (sd_bus_query_sender_creds(m, SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID, &creds) < 0) {
        return false;
    }
    uid_t uid = 1;
    bool root = false;
    if (sd_bus_creds_get_euid(creds, &uid) >= 0) {
        root = uid == 0;
    } else if (sd_bus_creds_get_uid(creds, &uid) >= 0) {
        root = uid == 0;
    }
    sd_bus_creds_unref(creds);
    return root;
}

} // namespace

Result<BusKind> parse_bus_kind(std::string_view word) {
    if (word == "system") {
        return BusKind::system;
    }
    if (word == "session") {
        return BusKind::session;
    }
    if (word == "none") {
        return BusKind::none;
    }
    return make_error(Errc::invalid_argument,
                      "unknown bus '" + std::string(word) + "' (system, session or none)");
}

// The vtable callbacks (C signatures sd-bus calls with the service as userdata).
struct BusCallbacks {
    static BusService& self(void* userdata) { return *static_cast<BusService*>(userdata); }

    static const LinkStatus* link_at(BusService& s, const char* path) {
        auto ifindex = link_path_ifindex(path);
        return ifindex ? s.board_.find(*ifindex) : nullptr;
    }

    // --- Manager1 ---
    static int prop_version(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                            void* userdata, sd_bus_error*) {
        return sd_bus_message_append(reply, "s", self(userdata).version_.c_str());
    }
    static int prop_state(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                          void* userdata, sd_bus_error*) {
        return sd_bus_message_append(reply, "s",
                                     std::string(to_word(self(userdata).state_)).c_str());
    }
    static int prop_config_file(sd_bus*, const char*, const char*, const char*,
                                sd_bus_message* reply, void* userdata, sd_bus_error*) {
        return sd_bus_message_append(reply, "s", self(userdata).config_file_.c_str());
    }

    static int list_links(sd_bus_message* m, void* userdata, sd_bus_error*) {
        BusService& s = self(userdata);
        sd_bus_message* reply = nullptr;
        int r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0) {
            return r;
        }
        r = sd_bus_message_open_container(reply, 'a', "(iso)");
        for (const auto& [ifindex, l] : s.board_.links()) {
            if (r < 0) {
                break;
            }
            r = sd_bus_message_append(reply, "(iso)", ifindex, l.name.c_str(),
                                      link_object_path(ifindex).c_str());
        }
        if (r >= 0) {
            r = sd_bus_message_close_container(reply);
        }
        if (r >= 0) {
            r = sd_bus_send(nullptr, reply, nullptr);
        }
        sd_bus_message_unref(reply);
        return r;
    }

    static int get_link_by_name(sd_bus_message* m, void* userdata, sd_bus_error* error) {
        const char* name = nullptr;
        if (int r = sd_bus_message_read(m, "s", &name); r < 0) {
            return r;
        }
        if (auto st = check_ifname_arg(name); !st) {
            return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, st.error().message.c_str());
        }
        const LinkStatus* l = self(userdata).board_.find(std::string_view(name));
        if (!l) {
            return sd_bus_error_setf(error, kErrNoSuchLink, "no link named '%s'", name);
        }
        return sd_bus_reply_method_return(m, "io", l->ifindex,
                                          link_object_path(l->ifindex).c_str());
    }

    static int get_link_by_index(sd_bus_message* m, void* userdata, sd_bus_error* error) {
        int32_t ifindex = 0;
        if (int r = sd_bus_message_read(m, "i", &ifindex); r < 0) {
            return r;
        }
        if (auto st = check_ifindex_arg(ifindex); !st) {
            return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, st.error().message.c_str());
        }
        const LinkStatus* l = self(userdata).board_.find(static_cast<int>(ifindex));
        if (!l) {
            return sd_bus_error_setf(error, kErrNoSuchLink, "no link with index %d", ifindex);
        }
        return sd_bus_reply_method_return(m, "so", l->name.c_str(),
                                          link_object_path(l->ifindex).c_str());
    }

    static int describe(sd_bus_message* m, void* userdata, sd_bus_error*) {
        BusService& s = self(userdata);
        const std::string json = s.handlers_.describe(s.board_.links());
        return sd_bus_reply_method_return(m, "s", json.c_str());
    }

    static int privileged(sd_bus_message* m, void* userdata, sd_bus_error* error,
                          const std::function<Status()>& action, const char* what) {
        if (!caller_is_root(m)) {
            return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "%s: only root may do this",
                                     what);
        }
        (void)userdata;
        if (auto st = action(); !st) {
            return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, st.error().message.c_str());
        }
        return sd_bus_reply_method_return(m, "");
    }
    static int reload(sd_bus_message* m, void* userdata, sd_bus_error* error) {
        return privileged(m, userdata, error, self(userdata).handlers_.reload, "Reload");
    }
    static int reset_statistics(sd_bus_message* m, void* userdata, sd_bus_error* error) {
        return privileged(m, userdata, error, self(userdata).handlers_.reset_statistics,
                          "ResetStatistics");
    }

    // --- Link1 (fallback vtable under /org/colatrl/link) ---
    static int find_link(sd_bus*, const char* path, const char*, void* userdata, void** found,
                         sd_bus_error*) {
        if (!link_at(self(userdata), path)) {
            return 0;
        }
        *found = userdata;
        return 1;
    }
    static int enumerate_links(sd_bus*, const char*, void* userdata, char*** nodes, sd_bus_error*) {
        const auto& links = self(userdata).board_.links();
        auto** v = static_cast<char**>(calloc(links.size() + 1, sizeof(char*)));
        if (!v) {
            return -ENOMEM;
        }
        size_t i = 0;
        for (const auto& [ifindex, l] : links) {
            v[i] = strdup(link_object_path(ifindex).c_str());
            if (!v[i]) {
                for (size_t k = 0; k < i; ++k) {
                    free(v[k]);
                }
                free(v);
                return -ENOMEM;
            }
            ++i;
        }
        *nodes = v;
        return 1;
    }

    static int link_prop(sd_bus*, const char* path, const char*, const char* property,
                         sd_bus_message* reply, void* userdata, sd_bus_error* error) {
        const LinkStatus* l = link_at(self(userdata), path);
        if (!l) {
            return sd_bus_error_setf(error, kErrNoSuchLink, "no link at %s", path);
        }
        const std::string_view p = property;
        const auto str = [&](const std::string& v) {
            return sd_bus_message_append(reply, "s", v.c_str());
        };
        if (p == "InterfaceName") {
            return str(l->name);
        }
        if (p == "InterfaceIndex") {
            return sd_bus_message_append(reply, "i", l->ifindex);
        }
        if (p == "State") {
            return str(std::string(l->state()));
        }
        if (p == "OffReason") {
            return str(l->off_reason);
        }
        if (p == "OffDetail") {
            return str(l->off_detail);
        }
        if (p == "Pref64") {
            return str(l->pref64);
        }
        if (p == "Pref64Source") {
            return str(l->pref64_source);
        }
        if (p == "Pref64ExpiresUSec") {
            return sd_bus_message_append(reply, "t", l->pref64_expires_usec);
        }
        if (p == "ClatIPv4Address") {
            return str(l->clat4);
        }
        if (p == "ClatIPv6Address") {
            return str(l->clat6);
        }
        if (p == "Gateway") {
            return str(l->gateway);
        }
        if (p == "MTU") {
            return sd_bus_message_append(reply, "u", l->mtu);
        }
        if (p == "Since") {
            return sd_bus_message_append(reply, "t", l->since_usec);
        }
        return -ENOENT;
    }

    // The counters of a link's slot; empty while it has no datapath.
    static Result<std::vector<colatrl_counter>> counters_of(BusService& s, const LinkStatus& l) {
        if (!l.counter_slot) {
            return std::vector<colatrl_counter>{};
        }
        return s.handlers_.counters(*l.counter_slot);
    }

    static int link_counter_prop(sd_bus*, const char* path, const char*, const char* property,
                                 sd_bus_message* reply, void* userdata, sd_bus_error* error) {
        BusService& s = self(userdata);
        const LinkStatus* l = link_at(s, path);
        if (!l) {
            return sd_bus_error_setf(error, kErrNoSuchLink, "no link at %s", path);
        }
        auto block = counters_of(s, *l);
        if (!block) {
            return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, block.error().message.c_str());
        }
        const std::string_view p = property;
        if (p == "Statistics") {
            int r = sd_bus_message_open_container(reply, 'a', "{s(tt)}");
            for (size_t id = 0; r >= 0 && id < block->size() && id < COLATRL_CNT__COUNT; ++id) {
                const std::string name(counter_name(static_cast<uint32_t>(id)));
                r = sd_bus_message_append(reply, "{s(tt)}", name.c_str(),
                                          static_cast<uint64_t>((*block)[id].packets),
                                          static_cast<uint64_t>((*block)[id].bytes));
            }
            return r < 0 ? r : sd_bus_message_close_container(reply);
        }
        const TrafficTotals t = traffic_totals(*block);
        uint64_t v = 0;
        if (p == "Packets4to6") {
            v = t.packets4to6;
        } else if (p == "Packets6to4") {
            v = t.packets6to4;
        } else if (p == "Bytes4to6") {
            v = t.bytes4to6;
        } else if (p == "Bytes6to4") {
            v = t.bytes6to4;
        } else {
            return -ENOENT;
        }
        return sd_bus_message_append(reply, "t", v);
    }
};

namespace {

// The order and comments of the members are those of dbus/*.xml, which a test
// compares with this live introspection.
const sd_bus_vtable kManagerVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Version", "s", BusCallbacks::prop_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("State", "s", BusCallbacks::prop_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("ConfigFile", "s", BusCallbacks::prop_config_file, 0,
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_METHOD_WITH_NAMES("ListLinks", "", "", "a(iso)", SD_BUS_PARAM(links),
                             BusCallbacks::list_links, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("GetLinkByName", "s", SD_BUS_PARAM(name), "io",
                             SD_BUS_PARAM(ifindex) SD_BUS_PARAM(path),
                             BusCallbacks::get_link_by_name, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("GetLinkByIndex", "i", SD_BUS_PARAM(ifindex), "so",
                             SD_BUS_PARAM(name) SD_BUS_PARAM(path), BusCallbacks::get_link_by_index,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("Describe", "", "", "s", SD_BUS_PARAM(json), BusCallbacks::describe,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    // Unprivileged for sd-bus (whose own check would want CAP_SYS_ADMIN or
    // our uid); the handler itself admits root only.
    SD_BUS_METHOD("Reload", "", "", BusCallbacks::reload, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("ResetStatistics", "", "", BusCallbacks::reset_statistics,
                  SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

#define LINK_PROP(name, sig, flags) SD_BUS_PROPERTY(name, sig, BusCallbacks::link_prop, 0, flags)
#define COUNTER_PROP(name, sig) SD_BUS_PROPERTY(name, sig, BusCallbacks::link_counter_prop, 0, 0)
const sd_bus_vtable kLinkVtable[] = {
    SD_BUS_VTABLE_START(0),
    LINK_PROP("InterfaceName", "s", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    LINK_PROP("InterfaceIndex", "i", SD_BUS_VTABLE_PROPERTY_CONST),
    LINK_PROP("State", "s", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    LINK_PROP("OffReason", "s", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    LINK_PROP("OffDetail", "s", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    LINK_PROP("Pref64", "s", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    LINK_PROP("Pref64Source", "s", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    LINK_PROP("Pref64ExpiresUSec", "t", 0), // moves with every RA: read on demand
    LINK_PROP("ClatIPv4Address", "s", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    LINK_PROP("ClatIPv6Address", "s", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    LINK_PROP("Gateway", "s", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    LINK_PROP("MTU", "u", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    LINK_PROP("Since", "t", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    COUNTER_PROP("Statistics", "a{s(tt)}"),
    COUNTER_PROP("Packets4to6", "t"),
    COUNTER_PROP("Packets6to4", "t"),
    COUNTER_PROP("Bytes4to6", "t"),
    COUNTER_PROP("Bytes6to4", "t"),
    SD_BUS_VTABLE_END,
};
#undef LINK_PROP
#undef COUNTER_PROP

} // namespace

BusService::BusService(sd_event* event, BusKind kind, std::string version, std::string config_file,
                       BusHandlers handlers)
    : event_(event), kind_(kind), version_(std::move(version)),
      config_file_(std::move(config_file)), handlers_(std::move(handlers)) {}

BusService::~BusService() = default;

Result<std::unique_ptr<BusService>> BusService::create(sd_event* event, BusKind kind,
                                                       std::string version, std::string config_file,
                                                       BusHandlers handlers) {
    std::unique_ptr<BusService> s(new BusService(event, kind, std::move(version),
                                                 std::move(config_file), std::move(handlers)));
    if (kind != BusKind::none) {
        s->connect();
    }
    return s;
}

Status BusService::open_and_register() {
    sd_bus* raw = nullptr;
    int r = kind_ == BusKind::session ? sd_bus_open_user(&raw) : sd_bus_open_system(&raw);
    if (r < 0) {
        return sys_error(r, std::string("connecting to the ") + bus_kind_name(kind_) + " bus");
    }
    std::unique_ptr<sd_bus, BusUnref> bus(raw);
    const auto step = [&](int rc, const char* what) -> Status {
        if (rc < 0) {
            return sys_error(rc, std::string("D-Bus: ") + what);
        }
        return {};
    };
    Status st = step(sd_bus_add_filter(bus.get(), nullptr, on_filter, this), "sd_bus_add_filter");
    if (st) {
        st = step(sd_bus_add_object_vtable(bus.get(), nullptr, kManagerPathS.c_str(),
                                           kManagerIfaceS.c_str(), kManagerVtable, this),
                  "registering the Manager1 object");
    }
    if (st) {
        st = step(sd_bus_add_fallback_vtable(bus.get(), nullptr, kLinkPrefixS.c_str(),
                                             kLinkIfaceS.c_str(), kLinkVtable,
                                             BusCallbacks::find_link, this),
                  "registering the Link1 objects");
    }
    if (st) {
        st = step(sd_bus_add_node_enumerator(bus.get(), nullptr, kLinkPrefixS.c_str(),
                                             BusCallbacks::enumerate_links, this),
                  "sd_bus_add_node_enumerator");
    }
    if (st) {
        st = step(sd_bus_add_object_manager(bus.get(), nullptr, kManagerPathS.c_str()),
                  "sd_bus_add_object_manager");
    }
    if (st) {
        st = step(sd_bus_request_name_async(bus.get(), nullptr, std::string(kBusName).c_str(), 0,
                                            on_name, this),
                  "requesting the name org.colatrl");
    }
    if (st) {
        st = step(sd_bus_attach_event(bus.get(), event_, SD_EVENT_PRIORITY_NORMAL),
                  "sd_bus_attach_event");
    }
    if (!st) {
        return st;
    }
    bus_ = std::move(bus);
    return {};
}

void BusService::connect() {
    if (auto st = open_and_register(); !st) {
        connection_lost(st.error().message);
    }
    // The back-off starts again once the name is ours (on_name).
}

void BusService::connection_lost(const std::string& why) {
    if (!lost_logged_) {
        log::write(log::warning, {},
                   why + "; the CLAT goes on without the bus API, reconnecting in the background");
        lost_logged_ = true;
    } else {
        log::write(log::debug, {}, why);
    }
    arm_reconnect();
}

void BusService::arm_reconnect() {
    if (reconnect_timer_) {
        return;
    }
    backoff_ =
        backoff_.count() == 0 ? std::chrono::seconds{1} : std::min(backoff_ * 2, kReconnectMax);
    auto t = timer_after(event_, backoff_, on_reconnect, this, "bus-reconnect");
    if (!t) {
        log::write(log::err, {}, t.error().message + "; the bus API stays unavailable");
        return;
    }
    reconnect_timer_ = std::move(*t);
}

int BusService::on_reconnect(sd_event_source*, uint64_t, void* userdata) {
    auto* self = static_cast<BusService*>(userdata);
    // Destroying the source from its own callback is safe: sd-event holds a
    // reference while dispatching, and EventSourceUnref disables it first.
    self->reconnect_timer_.reset();
    self->bus_.reset(); // a closed connection, if any
    self->connect();
    return 0;
}

int BusService::on_filter(sd_bus_message* m, void* userdata, sd_bus_error*) {
    if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected") > 0) {
        auto* self = static_cast<BusService*>(userdata);
        // The connection is dropped in the timer callback, not inside its own dispatch.
        self->connection_lost("D-Bus connection lost");
    }
    return 0;
}

int BusService::on_name(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* self = static_cast<BusService*>(userdata);
    const sd_bus_error* e = sd_bus_message_get_error(m);
    if (e) {
        // E.g. the policy file was installed but the bus has not reloaded it yet
        // (dbus reloads at the end of the package installation): try again.
        self->connection_lost(std::string("cannot own the bus name org.colatrl: ") +
                              (e->message ? e->message : e->name) +
                              " (is dbus/org.colatrl.conf installed?)");
        return 0;
    }
    log::write(log::info, {},
               std::string("bus API org.colatrl on the ") + bus_kind_name(self->kind_) + " bus");
    self->lost_logged_ = false;
    self->backoff_ = std::chrono::seconds{0};
    return 0;
}

void BusService::update(std::map<int, LinkStatus> links, ManagerState state) {
    sd_bus* bus = bus_.get();
    // InterfacesRemoved while the objects are still there to enumerate.
    if (bus) {
        for (const auto& [ifindex, l] : board_.links()) {
            if (!links.count(ifindex)) {
                (void)sd_bus_emit_object_removed(bus, link_object_path(ifindex).c_str());
            }
        }
    }
    const StatusDiff diff = board_.update(std::move(links), realtime_usec());
    const bool state_changed = state != state_;
    state_ = state;
    if (!bus) {
        return;
    }
    // Emission fails only when the connection is gone (the filter sees that).
    for (int ifindex : diff.added) {
        (void)sd_bus_emit_object_added(bus, link_object_path(ifindex).c_str());
    }
    for (const auto& [ifindex, names] : diff.changed) {
        std::vector<char*> v;
        for (const auto& n : names) {
            v.push_back(const_cast<char*>(n.c_str()));
        }
        v.push_back(nullptr);
        (void)sd_bus_emit_properties_changed_strv(bus, link_object_path(ifindex).c_str(),
                                                  kLinkIfaceS.c_str(), v.data());
    }
    if (state_changed) {
        (void)sd_bus_emit_properties_changed(bus, kManagerPathS.c_str(), kManagerIfaceS.c_str(),
                                             "State", nullptr);
    }
}

} // namespace colatrl

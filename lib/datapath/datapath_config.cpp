// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/datapath_config.hpp"

#include "clat/clat_addr.hpp"
#include "inet/rfc6052.hpp"

#include <linux/if_arp.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace colatrl {

Result<colatrl_config> make_datapath_config(Ipv4Addr clat4, Ipv6Addr clat6, Ipv6Prefix pref64,
                                            uint32_t ipv6_mtu, bool translate_non_global,
                                            uint32_t counter_slot, bool ipv6_only) {
    if (auto valid = validate_pref64(pref64); !valid) {
        return std::move(valid).error();
    }
    if (ipv6_mtu < 1280 || ipv6_mtu > 65535) {
        return make_error(Errc::invalid_argument,
                          "IPv6 MTU " + std::to_string(ipv6_mtu) + " outside 1280..65535");
    }
    if (counter_slot >= COLATRL_MAX_UPLINKS) {
        return make_error(Errc::invalid_argument, "counter slot " + std::to_string(counter_slot) +
                                                      " >= " + std::to_string(COLATRL_MAX_UPLINKS));
    }
    if (clat4.to_host() == 0) {
        return make_error(Errc::invalid_argument, "CLAT IPv4 address 0.0.0.0");
    }
    if (pref64.contains(clat6)) {
        return make_error(Errc::invalid_argument, "CLAT IPv6 address " + clat6.str() +
                                                      " lies inside PREF64 " + pref64.str());
    }

    colatrl_config cfg{};
    std::memcpy(cfg.clat_v6, clat6.bytes.data(), sizeof cfg.clat_v6);
    std::memcpy(cfg.pref64, pref64.addr.bytes.data(), sizeof cfg.pref64);
    std::memcpy(&cfg.clat_v4, clat4.bytes.data(), sizeof cfg.clat_v4);
    cfg.counter_slot = counter_slot;
    cfg.ipv6_mtu = static_cast<uint16_t>(ipv6_mtu);
    cfg.pref64_len = pref64.len;
    uint32_t flags = 0;
    if (is_checksum_neutral(clat6, pref64, clat4)) {
        flags |= COLATRL_F_CSUM_NEUTRAL;
    }
    if (translate_non_global) {
        flags |= COLATRL_F_TRANSLATE_NON_GLOBAL;
    }
    if (is_well_known_prefix(pref64)) {
        flags |= COLATRL_F_PREF64_WKP;
    }
    if (ipv6_only) {
        flags |= COLATRL_F_IPV6_ONLY;
    }
    cfg.flags = static_cast<uint8_t>(flags);
    cfg.reserved = 0;
    return cfg;
}

Ipv4Addr config_clat4(const colatrl_config& cfg) {
    Ipv4Addr a;
    std::memcpy(a.bytes.data(), &cfg.clat_v4, 4);
    return a;
}

Ipv6Addr config_clat6(const colatrl_config& cfg) {
    Ipv6Addr a;
    std::memcpy(a.bytes.data(), cfg.clat_v6, 16);
    return a;
}

Ipv6Prefix config_pref64(const colatrl_config& cfg) {
    Ipv6Addr a;
    std::memcpy(a.bytes.data(), cfg.pref64, 16);
    return Ipv6Prefix::make(a, cfg.pref64_len > 128 ? 128 : cfg.pref64_len);
}

std::string describe_config(const colatrl_config& cfg) {
    std::string flags;
    auto add = [&flags](uint32_t bit, uint32_t have, const char* name) {
        if (have & bit) {
            flags += flags.empty() ? "" : ",";
            flags += name;
        }
    };
    add(COLATRL_F_CSUM_NEUTRAL, cfg.flags, "csum_neutral");
    add(COLATRL_F_TRANSLATE_NON_GLOBAL, cfg.flags, "translate_non_global");
    add(COLATRL_F_PREF64_WKP, cfg.flags, "wkp");
    add(COLATRL_F_IPV6_ONLY, cfg.flags, "ipv6_only");
    return "clat4=" + config_clat4(cfg).str() + " clat6=" + config_clat6(cfg).str() +
           " pref64=" + Ipv6Prefix{config_pref64(cfg)}.str() +
           " mtu=" + std::to_string(cfg.ipv6_mtu) + " slot=" + std::to_string(cfg.counter_slot) +
           " flags=" + (flags.empty() ? "none" : flags);
}

Result<LinkVariant> variant_for_arphrd(uint16_t arphrd_type) {
    constexpr uint16_t kArphrdRawip = 519; // ARPHRD_RAWIP, missing from older headers
    switch (arphrd_type) {
    case ARPHRD_ETHER:
        return LinkVariant::ethernet;
    case ARPHRD_NONE:
    case kArphrdRawip:
    case ARPHRD_PPP:
        return LinkVariant::raw_ip;
    default:
        return make_error(Errc::unsupported,
                          "link type ARPHRD " + std::to_string(arphrd_type) +
                              " is not supported (Ethernet, raw IP/NONE and PPP are)");
    }
}

namespace {

#define COLATRL_COUNTER_NAME_ENTRY(suffix, name) name,
constexpr std::array<std::string_view, COLATRL_CNT__COUNT> kCounterNames{
    COLATRL_COUNTERS(COLATRL_COUNTER_NAME_ENTRY)};
#undef COLATRL_COUNTER_NAME_ENTRY

} // namespace

std::string_view counter_name(uint32_t id) {
    return id < kCounterNames.size() ? kCounterNames[id] : std::string_view{};
}

std::optional<uint32_t> counter_id(std::string_view name) {
    auto it = std::find(kCounterNames.begin(), kCounterNames.end(), name);
    if (it == kCounterNames.end()) {
        return std::nullopt;
    }
    return static_cast<uint32_t>(it - kCounterNames.begin());
}

} // namespace colatrl

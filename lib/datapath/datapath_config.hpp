// SPDX-License-Identifier: GPL-2.0-or-later
// Pure construction of the per-uplink datapath config (struct colatrl_config
// of bpf/colatrl_shared.h) from typed addresses: validation and the flags the
// programs rely on (checksum neutrality, well-known prefix).
#pragma once

#include "base/result.hpp"
#include "colatrl_shared.h"
#include "inet/ip.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace colatrl {

// Errc::invalid_argument when: pref64 length is not 32/40/48/56/64/96, the
// u octet (byte 8) of pref64 is not zero, ipv6_mtu is outside 1280..65535,
// counter_slot >= COLATRL_MAX_UPLINKS, clat4 is 0.0.0.0, or clat6 lies inside
// pref64. Flags: COLATRL_F_CSUM_NEUTRAL when TCP/UDP checksums survive
// translation unchanged for every destination, COLATRL_F_PREF64_WKP for
// 64:ff9b::/96, COLATRL_F_TRANSLATE_NON_GLOBAL and COLATRL_F_IPV6_ONLY when
// asked (whether the uplink carries other IPv4 is the derivation's call,
// lib/model/derive.hpp).
Result<colatrl_config> make_datapath_config(Ipv4Addr clat4, Ipv6Addr clat6, Ipv6Prefix pref64,
                                            uint32_t ipv6_mtu, bool translate_non_global,
                                            uint32_t counter_slot, bool ipv6_only = false);

// Typed view back from the raw struct (for CLI output, logs, tests).
Ipv4Addr config_clat4(const colatrl_config& cfg);
Ipv6Addr config_clat6(const colatrl_config& cfg);
Ipv6Prefix config_pref64(const colatrl_config& cfg);
// One line: "clat4=192.0.0.2 clat6=... pref64=.../96 mtu=1500 slot=0 flags=csum_neutral,wkp"
// (flag names: csum_neutral, translate_non_global, wkp, ipv6_only)
std::string describe_config(const colatrl_config& cfg);

// Which program variant fits a link: Ethernet (14-byte L2 header) or raw IP
// (no L2 header: WWAN modems, PPP, tun).
enum class LinkVariant { ethernet, raw_ip };

// ARPHRD_ETHER -> ethernet; ARPHRD_NONE, ARPHRD_RAWIP (519), ARPHRD_PPP -> raw_ip;
// anything else -> Errc::unsupported naming the type. Pure.
Result<LinkVariant> variant_for_arphrd(uint16_t arphrd_type);

// Stable name of a counter ("egress_translated", ...) from the X-macro in
// colatrl_shared.h; empty for an id out of range. Pure.
std::string_view counter_name(uint32_t id);
// Reverse lookup; nullopt for an unknown name. Pure.
std::optional<uint32_t> counter_id(std::string_view name);

} // namespace colatrl

// SPDX-License-Identifier: GPL-2.0-or-later
// Pure construction of the per-uplink datapath config (struct colatrl_config
// of bpf/colatrl_shared.h) from typed addresses: validation and the flags the
// programs rely on (checksum neutrality, well-known prefix).
#pragma once

#include "colatrl_shared.h"
#include "ip.hpp"
#include "result.hpp"

#include <cstdint>
#include <string>

namespace colatrl {

// Errc::invalid_argument when: pref64 length is not 32/40/48/56/64/96, the
// u octet (byte 8) of pref64 is not zero, ipv6_mtu is outside 1280..65535,
// counter_slot >= COLATRL_MAX_UPLINKS, clat4 is 0.0.0.0, or clat6 lies inside
// pref64. Flags: COLATRL_F_CSUM_NEUTRAL when TCP/UDP checksums survive
// translation unchanged for every destination, COLATRL_F_PREF64_WKP for
// 64:ff9b::/96, COLATRL_F_TRANSLATE_NON_GLOBAL when asked.
Result<colatrl_config> make_datapath_config(Ipv4Addr clat4, Ipv6Addr clat6, Ipv6Prefix pref64,
                                            uint32_t ipv6_mtu, bool translate_non_global,
                                            uint32_t counter_slot);

// Typed view back from the raw struct (for CLI output, logs, tests).
Ipv4Addr config_clat4(const colatrl_config& cfg);
Ipv6Addr config_clat6(const colatrl_config& cfg);
Ipv6Prefix config_pref64(const colatrl_config& cfg);
// One line: "clat4=192.0.0.2 clat6=... pref64=.../96 mtu=1500 slot=0 flags=csum_neutral,wkp"
std::string describe_config(const colatrl_config& cfg);

} // namespace colatrl

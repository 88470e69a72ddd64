// SPDX-License-Identifier: GPL-2.0-or-later
// Making the router know the CLAT IPv6 address before traffic needs it.
//
// The address is never a unicast address of the uplink: the kernel answers
// Neighbor Solicitations for it through an anycast join (nd.hpp), and it
// delays such answers to multicast solicitations by up to
// net.ipv6.neigh.IF.proxy_delay (0.8 s) as RFC 4861 §7.2.7 asks for anycast
// targets. So the router's first packet to the CLAT would wait that long.
// A Neighbor Solicitation sent FROM the CLAT address with our Source
// Link-Layer Address option makes the router create (or refresh) its entry
// for the address at once (RFC 4861 §7.2.3); the solicitation's target is
// the router's own address, so only the router processes it.
#pragma once

#include "base/result.hpp"
#include "inet/ip.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace colatrl {

// ICMPv6 Neighbor Solicitation body (type 135, code 0) for `target` from
// `src` to `dst`, with a Source Link-Layer Address option carrying `mac`,
// checksum filled. Pure.
std::vector<uint8_t> build_neighbor_solicit(const Ipv6Addr& src, const Ipv6Addr& dst,
                                            const Ipv6Addr& target,
                                            const std::array<uint8_t, 6>& mac);

// Sends one such solicitation on `ifindex` from `clat6` (which must be
// claimed there already: the kernel accepts an anycast address as source of
// a datagram with IPV6_PKTINFO) for `router`, to the router's solicited-node
// multicast address (no address resolution of our own needed), hop limit
// 255. A link without a 6-byte hardware address has no link-layer address
// to announce: nothing is sent and the result is ok.
Status announce_to_router(int ifindex, const Ipv6Addr& clat6, const Ipv6Addr& router);

} // namespace colatrl

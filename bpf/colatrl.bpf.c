/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * colatrl tc programs: stateless RFC 7915 CLAT translation on the uplink.
 * Egress: IPv4 from the CLAT IPv4 address -> IPv6. Ingress: IPv6 from PREF64
 * to the CLAT IPv6 address -> IPv4. Each in an Ethernet and a raw-IP variant;
 * the variant only fixes the L2 header length at compile time.
 */
#include "xlat_common.h"
#include "xlat_egress.h"
#include "xlat_ingress.h"

/* One program per direction and link-layer header length (Ethernet, raw IP). */
#define COLATRL_PROGRAM(name, direction, l2_len)                                    \
    SEC("tc") int name(struct __sk_buff *skb)                                      \
    {                                                                              \
        return direction(skb, l2_len);                                             \
    }

COLATRL_PROGRAM(colatrl_egress_eth, xlat_egress, ETH_HLEN)
COLATRL_PROGRAM(colatrl_egress_rawip, xlat_egress, 0)
COLATRL_PROGRAM(colatrl_ingress_eth, xlat_ingress, ETH_HLEN)
COLATRL_PROGRAM(colatrl_ingress_rawip, xlat_ingress, 0)

char LICENSE[] SEC("license") = "GPL";

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

SEC("tc")
int colatrl_egress_eth(struct __sk_buff *skb)
{
    return xlat_egress(skb, ETH_HLEN);
}

SEC("tc")
int colatrl_egress_rawip(struct __sk_buff *skb)
{
    return xlat_egress(skb, 0);
}

SEC("tc")
int colatrl_ingress_eth(struct __sk_buff *skb)
{
    return xlat_ingress(skb, ETH_HLEN);
}

SEC("tc")
int colatrl_ingress_rawip(struct __sk_buff *skb)
{
    return xlat_ingress(skb, 0);
}

char LICENSE[] SEC("license") = "GPL";

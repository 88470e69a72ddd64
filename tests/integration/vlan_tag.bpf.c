/* SPDX-License-Identifier: GPL-2.0-or-later */
/* For tests/integration/daemon_ipv6_only.sh: tags the IPv4 frames from
 * 10.97.0.2 with VLAN 7 the way a VLAN device on a NIC with transmit VLAN
 * offload does (the tag beside the frame, skb->vlan_present), then hands them
 * on to the next filter, colatrl's. Stands in for a VLAN device, which kernels
 * without CONFIG_VLAN_8021Q cannot create. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define VLAN_TAG_SOURCE 0x0a610002 /* 10.97.0.2 */
#define VLAN_TAG_ID 7

SEC("tc")
int vlan_tag(struct __sk_buff *skb)
{
    __be32 saddr;

    if (skb->protocol != bpf_htons(ETH_P_IP) || skb->vlan_present)
        return TC_ACT_UNSPEC;
    if (bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, saddr), &saddr,
                           sizeof(saddr)) ||
        saddr != bpf_htonl(VLAN_TAG_SOURCE))
        return TC_ACT_UNSPEC;
    bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), VLAN_TAG_ID);
    return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";

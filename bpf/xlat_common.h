/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Maps and small helpers shared by the egress and ingress translators. */
#ifndef COLATRL_XLAT_COMMON_H
#define COLATRL_XLAT_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "colatrl_shared.h"

/* <linux/icmp.h> drags in libc socket headers that do not build for
 * -target bpf, so the few ICMPv4 definitions we need live here. */
struct xlat_icmp4hdr {
    __u8 type;
    __u8 code;
    __sum16 checksum;
    __be32 rest; /* id/seq, unused/pointer, or unused/next-hop MTU */
};
#define XLAT_ICMP_ECHOREPLY 0
#define XLAT_ICMP_DEST_UNREACH 3
#define XLAT_ICMP_SOURCE_QUENCH 4
#define XLAT_ICMP_REDIRECT 5
#define XLAT_ICMP_ECHO 8
#define XLAT_ICMP_TIME_EXCEEDED 11
#define XLAT_ICMP_PARAMETERPROB 12

#ifdef COLATRL_BPF_TRACE
#define xlat_trace(fmt, ...) bpf_printk(fmt, ##__VA_ARGS__)
#else
/* Production builds never print on the packet path. */
#define xlat_trace(fmt, ...) do { } while (0)
#endif

/* Per-uplink config, keyed by ifindex; one update swaps a whole value. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, COLATRL_MAX_UPLINKS);
    __type(key, __u32);
    __type(value, struct colatrl_config);
} config_map SEC(".maps");

/* Per-CPU counters, one block of COLATRL_CNT__COUNT per uplink slot. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, COLATRL_COUNTER_ENTRIES);
    __type(key, __u32);
    __type(value, struct colatrl_counter);
} counters SEC(".maps");

static __always_inline void xlat_count(__u32 slot, enum colatrl_counter_id id, __u32 bytes)
{
    if (slot > COLATRL_SLOT_UNCONFIGURED)
        slot = COLATRL_SLOT_UNCONFIGURED;
    __u32 key = slot * COLATRL_CNT__COUNT + (__u32)id;
    struct colatrl_counter *c = bpf_map_lookup_elem(&counters, &key);
    if (c) {
        c->packets += 1;
        c->bytes += bytes;
    }
}

static __always_inline const struct colatrl_config *xlat_config(struct __sk_buff *skb)
{
    __u32 ifindex = skb->ifindex;
    return bpf_map_lookup_elem(&config_map, &ifindex);
}

/* Fold a 32-bit one's-complement accumulator to 16 bits. */
static __always_inline __u16 xlat_csum_fold(__u32 sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (__u16)~sum;
}

#endif /* COLATRL_XLAT_COMMON_H */

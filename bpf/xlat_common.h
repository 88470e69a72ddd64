/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Maps and small helpers shared by the egress and ingress translators. */
#ifndef COLATRL_XLAT_COMMON_H
#define COLATRL_XLAT_COMMON_H

#include <stdbool.h>
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

/* 32-bit one's-complement add (end-around carry), for incremental sums. */
static __always_inline __u32 xlat_csum_add(__u32 a, __u32 b)
{
    __u32 r = a + b;
    return r + (r < a);
}

/* True when the first pref64_len bits of addr equal cfg->pref64. Lengths are
 * whole bytes (RFC 6052: 32/40/48/56/64/96). */
static __always_inline bool xlat_pref64_match(const __u8 *addr, const struct colatrl_config *cfg)
{
    __u32 nbytes = cfg->pref64_len / 8;
    __u32 diff = 0;
#pragma unroll
    for (__u32 i = 0; i < 12; i++)
        diff |= (i < nbytes) ? (__u32)(addr[i] ^ cfg->pref64[i]) : 0;
    return diff == 0;
}

/* RFC 6052 §2.2 byte positions of IPv4 octets a,b,c,d (skipping u = byte 8).
 * Returns the IPv4 address in network byte order; 0 for an unsupported length. */
static __always_inline __be32 xlat_pref64_extract(const __u8 *a6, __u8 plen)
{
    __u8 b[4];
    switch (plen) {
    case 32: b[0] = a6[4]; b[1] = a6[5]; b[2] = a6[6]; b[3] = a6[7]; break;
    case 40: b[0] = a6[5]; b[1] = a6[6]; b[2] = a6[7]; b[3] = a6[9]; break;
    case 48: b[0] = a6[6]; b[1] = a6[7]; b[2] = a6[9]; b[3] = a6[10]; break;
    case 56: b[0] = a6[7]; b[1] = a6[9]; b[2] = a6[10]; b[3] = a6[11]; break;
    case 64: b[0] = a6[9]; b[1] = a6[10]; b[2] = a6[11]; b[3] = a6[12]; break;
    case 96: b[0] = a6[12]; b[1] = a6[13]; b[2] = a6[14]; b[3] = a6[15]; break;
    default: return 0;
    }
    __be32 v;
    __builtin_memcpy(&v, b, 4);
    return v;
}

/* Inverse of xlat_pref64_extract: prefix (bits past the length are zero in
 * the config, so u octet and suffix come out zero) + IPv4 at its positions. */
static __always_inline void xlat_pref64_embed(__u8 *a6, const struct colatrl_config *cfg,
                                              __be32 v4)
{
    __u8 b[4];
    __builtin_memcpy(b, &v4, 4);
    __builtin_memcpy(a6, cfg->pref64, 16);
    switch (cfg->pref64_len) {
    case 32: a6[4] = b[0]; a6[5] = b[1]; a6[6] = b[2]; a6[7] = b[3]; break;
    case 40: a6[5] = b[0]; a6[6] = b[1]; a6[7] = b[2]; a6[9] = b[3]; break;
    case 48: a6[6] = b[0]; a6[7] = b[1]; a6[9] = b[2]; a6[10] = b[3]; break;
    case 56: a6[7] = b[0]; a6[9] = b[1]; a6[10] = b[2]; a6[11] = b[3]; break;
    case 64: a6[9] = b[0]; a6[10] = b[1]; a6[11] = b[2]; a6[12] = b[3]; break;
    default: a6[12] = b[0]; a6[13] = b[1]; a6[14] = b[2]; a6[15] = b[3]; break;
    }
}

/* RFC 6890 blocks that are not globally reachable (RFC 6052 §3.1 forbids
 * them under the WKP). Argument in host byte order. */
static __always_inline bool xlat_v4_non_global(__u32 a)
{
    __u32 o1 = a >> 24;
    return o1 == 0 || o1 == 10 || o1 == 127 || o1 >= 224 ||     /* 0/8 10/8 127/8 224/3 */
           (a & 0xffc00000u) == 0x64400000u ||                  /* 100.64/10 */
           (a & 0xffff0000u) == 0xa9fe0000u ||                  /* 169.254/16 */
           (a & 0xfff00000u) == 0xac100000u ||                  /* 172.16/12 */
           ((a & 0xffffff00u) == 0xc0000000u &&                 /* 192.0.0/24 but */
            a != 0xc0000009u && a != 0xc000000au) ||            /* .9/.10 (IANA: global) */
           (a & 0xffffff00u) == 0xc0000200u ||                  /* 192.0.2/24 */
           (a & 0xffff0000u) == 0xc0a80000u ||                  /* 192.168/16 */
           (a & 0xfffe0000u) == 0xc6120000u ||                  /* 198.18/15 */
           (a & 0xffffff00u) == 0xc6336400u ||                  /* 198.51.100/24 */
           (a & 0xffffff00u) == 0xcb007100u;                    /* 203.0.113/24 */
}

/* Scratch space for summing packet bytes (too big for the 512-byte stack). */
#define XLAT_SCRATCH_LEN 512
struct xlat_scratch {
    __u8 buf[XLAT_SCRATCH_LEN];
};
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct xlat_scratch);
} xlat_scratch_map SEC(".maps");

/*
 * One's-complement 32-bit partial sum (as bpf_csum_diff returns) of packet
 * bytes [off, off+len) added to seed; any len up to 65535, an odd tail padded
 * with zero as RFC 1071 says. Returns the sum (0..2^32-1), or -1 if the bytes
 * are not there. A global (separately verified) function: its loop is checked
 * once instead of at every call site.
 */
__noinline __s64 xlat_csum_skb_sum(struct __sk_buff *skb, __u32 off, __u32 len, __u32 seed)
{
    __u32 zero = 0;
    struct xlat_scratch *s = bpf_map_lookup_elem(&xlat_scratch_map, &zero);
    if (!s || !skb)
        return -1;
    __u32 acc = seed;
    /* 64-bit counters: clang's 32-bit zero-extension copies would hide the
     * bound checks from the verifier. */
    __u64 pos = off, left = len;
    for (int i = 0; i < 65536 / XLAT_SCRATCH_LEN; i++) {
        if (left == 0)
            break;
        __u64 n = left > XLAT_SCRATCH_LEN ? XLAT_SCRATCH_LEN : left;
        /* keep the compiler from dropping the bound check the verifier needs */
        asm volatile("" : "+r"(n));
        if (n == 0 || n > XLAT_SCRATCH_LEN)
            return -1;
        if (bpf_skb_load_bytes(skb, (__u32)pos, s->buf, (__u32)n))
            return -1;
        /* bpf_csum_diff wants whole 32-bit words: zero-pad the tail. Only
         * the last chunk can be short, and chunks are even, so pairs keep
         * their alignment. */
        __u64 n4 = (n + 3) & ~3ull;
        if (n < XLAT_SCRATCH_LEN) {
            s->buf[n & (XLAT_SCRATCH_LEN - 1)] = 0;
            s->buf[(n + 1) & (XLAT_SCRATCH_LEN - 1)] = 0;
            s->buf[(n + 2) & (XLAT_SCRATCH_LEN - 1)] = 0;
        }
        asm volatile("" : "+r"(n4));
        if (n4 > XLAT_SCRATCH_LEN)
            return -1;
        long r = bpf_csum_diff(0, 0, (__be32 *)s->buf, (__u32)n4, acc);
        if (r < 0)
            return -1;
        acc = (__u32)r;
        pos += n;
        left -= n;
    }
    if (left)
        return -1;
    return acc;
}

/* Add the sum of packet bytes [off, off+len) to *sum; 0, or -1 on failure. */
static __always_inline int xlat_csum_skb(struct __sk_buff *skb, __u32 off, __u32 len, __u32 *sum)
{
    __s64 r = xlat_csum_skb_sum(skb, off, len, *sum);
    if (r < 0)
        return -1;
    *sum = (__u32)r;
    return 0;
}

#endif /* COLATRL_XLAT_COMMON_H */

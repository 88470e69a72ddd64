/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vocabulary both translators (xlat_egress.h, xlat_ingress.h) speak: the
 * maps, the verdict and its one counting exit, config lookup, checksum
 * arithmetic, RFC 6052 addresses, and the packet-resizing step.
 *
 * Verdict convention: a step returns XLAT_CONTINUE (0) to go on, or a verdict
 * built with XLAT_PASS / XLAT_DROP / XLAT_DONE* naming the counter(s) of the
 * decision. The program returns xlat_exit(verdict), the only place that counts
 * and the only place that picks the tc action.
 */
#ifndef COLATRL_XLAT_COMMON_H
#define COLATRL_XLAT_COMMON_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
/* <linux/icmp.h> includes <linux/if.h> for IFNAMSIZ alone, and that one
 * includes libc's <sys/socket.h>, which does not build for -target bpf. */
#define _LINUX_IF_H
#define IFNAMSIZ 16
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "colatrl_shared.h"

/* Next Header values the kernel headers do not name (IANA protocol numbers). */
#define XLAT_IPPROTO_HIP 139   /* RFC 7401 Host Identity Protocol */
#define XLAT_IPPROTO_SHIM6 140 /* RFC 5533 Shim6 */
#define XLAT_IPPROTO_EXP1 253  /* RFC 3692 experimentation */
#define XLAT_IPPROTO_EXP2 254

/* IPv4 Flags/Fragment Offset field (RFC 791 §3.1); kernel-internal names. */
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

#define XLAT_IPV4_HLEN ((__u32)sizeof(struct iphdr))
#define XLAT_IPV6_HLEN ((__u32)sizeof(struct ipv6hdr))
#define XLAT_ICMP_HLEN ((__u32)sizeof(struct icmphdr)) /* = sizeof(struct icmp6hdr) */

/* IPv6 Fragment header (RFC 8200 §4.5); no uapi struct for it. */
struct xlat_frag6 {
    __u8 nexthdr;
    __u8 reserved;
    __be16 frag_off; /* offset in 8-byte units << 3 | M */
    __be32 id;
};
#define XLAT_FRAG_HLEN ((__u32)sizeof(struct xlat_frag6))

#ifdef COLATRL_BPF_TRACE
#define xlat_trace(fmt, ...) bpf_printk(fmt, ##__VA_ARGS__)
#else
/* Production builds never print on the packet path (meson -Dbpf_trace). */
#define xlat_trace(fmt, ...) do { } while (0)
#endif

/* ---- maps ---------------------------------------------------------------- */

/* Per-uplink config, keyed by ifindex; one update swaps a whole value. The
 * previous config after a PREF64 change sits beside it (colatrl_shared.h). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, COLATRL_CONFIG_ENTRIES);
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

/* ---- verdicts and the one exit -------------------------------------------- */

/* Up to three counter ids (each stored + 1, so 0 = none) and the tc action. */
#define XLAT_CONTINUE 0u
#define XLAT_V_ID(id) ((__u32)(id) + 1u)
#define XLAT_V_SHOT (1u << 24) /* TC_ACT_SHOT, else TC_ACT_OK */
#define XLAT_V_DONE (1u << 25) /* the packet was translated */
#define XLAT_PASS(id) XLAT_V_ID(id)
#define XLAT_DROP(id) (XLAT_V_ID(id) | XLAT_V_SHOT)
#define XLAT_DONE(id) (XLAT_V_ID(id) | XLAT_V_DONE)
#define XLAT_DONE2(id, d) (XLAT_DONE(id) | (XLAT_V_ID(d) << 8))
#define XLAT_DONE3(id, d, e) (XLAT_DONE2(id, d) | (XLAT_V_ID(e) << 16))
_Static_assert(COLATRL_CNT__COUNT < 255, "counter ids fit a verdict byte");

static __always_inline void xlat_count(__u32 slot, __u32 id1, __u32 bytes)
{
    if (!id1)
        return;
    __u32 key = slot * COLATRL_CNT__COUNT + id1 - 1;
    struct colatrl_counter *c = bpf_map_lookup_elem(&counters, &key);
    if (c) {
        c->packets += 1;
        c->bytes += bytes;
    }
}

/*
 * The one exit of both programs: bumps the verdict's counters and returns the
 * tc action. Bytes as colatrl_shared.h defines them: a translated packet
 * counts its IPv6 frame (skb->len after egress, entry_len on ingress, where
 * the IPv6 form is the one that arrived); anything else the frame as it
 * arrived. What is not dropped goes on as TC_ACT_UNSPEC ("next filter"):
 * clsact lets it through when no filter follows, and someone else's filter at
 * a later priority on the uplink still sees every packet (TC_ACT_OK would end
 * classification at ours).
 */
static __always_inline int xlat_exit(struct __sk_buff *skb, __u32 slot, __u32 v, __u32 entry_len)
{
    __u32 bytes = (v & XLAT_V_DONE) && skb->protocol == bpf_htons(ETH_P_IPV6) ? skb->len
                                                                               : entry_len;
    xlat_count(slot, v & 0xff, bytes);
    xlat_count(slot, (v >> 8) & 0xff, bytes);
    xlat_count(slot, (v >> 16) & 0xff, bytes);
    xlat_trace("colatrl slot %u counter %u verdict %x", slot, (v & 0xff) - 1, v);
    return (v & XLAT_V_SHOT) ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

/* ---- config -------------------------------------------------------------- */

/* RFC 6052 §2.2 prefix lengths. */
static __always_inline bool xlat_pref64_len_ok(__u8 l)
{
    return l == 32 || l == 40 || l == 48 || l == 56 || l == 64 || l == 96;
}

/*
 * The interface's config, or NULL when there is none or it cannot be used
 * (PREF64 length RFC 6052 does not allow, counter slot out of range). *slot is
 * where the packet is counted: the config's slot when it is in range, else
 * COLATRL_SLOT_UNCONFIGURED.
 */
static __always_inline const struct colatrl_config *xlat_config(struct __sk_buff *skb, __u32 *slot)
{
    __u32 ifindex = skb->ifindex;
    const struct colatrl_config *cfg = bpf_map_lookup_elem(&config_map, &ifindex);
    *slot = COLATRL_SLOT_UNCONFIGURED;
    if (!cfg || cfg->counter_slot >= COLATRL_MAX_UPLINKS)
        return NULL;
    *slot = cfg->counter_slot;
    return xlat_pref64_len_ok(cfg->pref64_len) ? cfg : NULL;
}

/* ---- checksums ------------------------------------------------------------ */

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

/* A stored checksum after a change whose partial sum is diff (RFC 1624). */
static __always_inline __u16 xlat_csum_update(__u16 old, __u32 diff)
{
    return xlat_csum_fold(xlat_csum_add((__u32)(__u16)~old, diff));
}

/* One's-complement sum of ip6's two addresses as 32-bit words, in memory
 * byte order like every sum here. */
static __always_inline __u32 xlat_addr6_sum(const struct ipv6hdr *ip6)
{
    __u32 w[8];
    __u32 sum = 0;
    __builtin_memcpy(w, &ip6->saddr, 32);
#pragma unroll
    for (int i = 0; i < 8; i++)
        sum = xlat_csum_add(sum, w[i]);
    return sum;
}

/* One's-complement sum of the IPv6 pseudo header (RFC 8200 §8.1) of ip6's
 * addresses. */
static __always_inline __u32 xlat_pseudo6_sum(const struct ipv6hdr *ip6, __u32 len, __u8 nexthdr)
{
    __u32 sum = xlat_csum_add(xlat_addr6_sum(ip6), bpf_htonl(len));
    return xlat_csum_add(sum, bpf_htonl(nexthdr));
}

/*
 * Partial-sum difference of the pseudo-header address change between the
 * IPv4 pair (src4, dst4) and ip6's pair: to_v4 = IPv6 -> IPv4 (ingress), else
 * IPv4 -> IPv6 (egress). Length and protocol are the same on both sides, so
 * only the addresses matter. Ten additions in the program: cheaper than a
 * bpf_csum_diff call (docs/datapath-cost.md).
 */
static __always_inline __u32 xlat_addr_diff(const struct ipv6hdr *ip6, __be32 src4, __be32 dst4,
                                            bool to_v4)
{
    __u32 s6 = xlat_addr6_sum(ip6);
    __u32 s4 = xlat_csum_add(src4, dst4);
    return to_v4 ? xlat_csum_add(s4, ~s6) : xlat_csum_add(s6, ~s4);
}

/* Difference for an ICMP echo changing family: its first word (type, code)
 * changes, and the IPv6 pseudo header ICMPv4 has not is added (to_v6) or
 * taken away. Words in memory byte order. */
static __always_inline __u32 xlat_echo_diff(__u16 old_word, __u16 new_word, __u32 pseudo,
                                            bool to_v6)
{
    __u32 d = xlat_csum_add((__u16)~old_word, new_word);
    return xlat_csum_add(d, to_v6 ? pseudo : ~pseudo);
}

/*
 * Copy n bytes (n a multiple of 4) at offset off straight out of the linear
 * packet data: no helper call, which is most of what a read costs
 * (docs/datapath-cost.md). off and n must be compile-time constants. Returns
 * false when the bytes are not all in the linear part; the caller then falls
 * back to bpf_skb_load_bytes. Only reads: a direct write would make the
 * verifier add an unclone prologue that every passed packet pays.
 */
static __always_inline bool xlat_peek(const struct __sk_buff *skb, const __u32 off, void *to,
                                      const __u32 n)
{
    const __u8 *data = (const __u8 *)(long)skb->data;
    const __u8 *data_end = (const __u8 *)(long)skb->data_end;
    if (data + off + n > data_end)
        return false;
    const __u32 *from = (const __u32 *)(data + off);
    __u32 *dst = (__u32 *)to;
#pragma unroll
    for (__u32 i = 0; i < n / 4; i++)
        dst[i] = from[i];
    return true;
}

/* Scratch space for summing packet bytes (too big for the 512-byte stack). */
#define XLAT_SCRATCH_LEN 512
struct xlat_scratch {
    __u8 buf[XLAT_SCRATCH_LEN + 4]; /* + room for a short chunk's zero padding */
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
        /* bpf_csum_diff wants whole 32-bit words: zero-pad the tail. The
         * buffer has 4 spare bytes, so the pad never wraps onto the chunk's
         * first bytes (it once did for n = 510 and 511). Only the last chunk
         * can be short, and chunks are even, so pairs keep their alignment. */
        __u64 n4 = (n + 3) & ~3ull;
        if (n < XLAT_SCRATCH_LEN) {
            s->buf[n] = 0;
            s->buf[n + 1] = 0;
            s->buf[n + 2] = 0;
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

/* ---- IPv6 header fields -------------------------------------------------- */

static __always_inline __u8 xlat_ip6_tclass(const struct ipv6hdr *ip6)
{
    return (__u8)((ip6->priority << 4) | (ip6->flow_lbl[0] >> 4));
}

/* Version 6, the given Traffic Class, Flow Label 0 (RFC 7915 §4.1). */
static __always_inline void xlat_ip6_set_vtc(struct ipv6hdr *ip6, __u8 tclass)
{
    ip6->version = 6;
    ip6->priority = tclass >> 4;
    ip6->flow_lbl[0] = (__u8)(tclass << 4);
    ip6->flow_lbl[1] = 0;
    ip6->flow_lbl[2] = 0;
}

static __always_inline bool xlat_addr6_eq(const struct in6_addr *a, const __u8 *b)
{
    __u64 a0, a1, b0, b1;
    __builtin_memcpy(&a0, a, 8);
    __builtin_memcpy(&a1, (const __u8 *)a + 8, 8);
    __builtin_memcpy(&b0, b, 8);
    __builtin_memcpy(&b1, b + 8, 8);
    return a0 == b0 && a1 == b1;
}

/* ---- RFC 6052 addresses ---------------------------------------------------- */

/* True when the first pref64_len bits of addr equal cfg->pref64. Lengths are
 * whole bytes (RFC 6052: 32/40/48/56/64/96): three masked 32-bit compares,
 * the masks in memory byte order. */
static __always_inline bool xlat_pref64_match(const struct in6_addr *addr,
                                              const struct colatrl_config *cfg)
{
    const __u32 *a = (const __u32 *)addr;
    const __u32 *p = (const __u32 *)cfg->pref64; /* offset 16 of the value: aligned */
    __u32 len = cfg->pref64_len;
    /* bytes 4-7 inside the prefix: none for /32, some for /40../56, all from /64 */
    __u32 m1 = len >= 64 ? 0xffffffffu : len <= 32 ? 0 : bpf_htonl(0xffffffffu << (64 - len));
    __u32 m2 = len >= 96 ? 0xffffffffu : 0; /* bytes 8-11: only /96 */
    return ((a[0] ^ p[0]) | ((a[1] ^ p[1]) & m1) | ((a[2] ^ p[2]) & m2)) == 0;
}

/* COLATRL_F_CSUM_NEUTRAL holds for an address in PREF64 only when the bits
 * after the embedded IPv4 address (u octet and suffix, RFC 6052 §2.2) are
 * zero, as our own embedding writes them; a /96 has none. An address from
 * the wire may carry anything there, and then the checksum needs its update. */
static __always_inline bool xlat_csum_neutral_for(const struct colatrl_config *cfg,
                                                  const struct in6_addr *addr)
{
    if (!(cfg->flags & COLATRL_F_CSUM_NEUTRAL))
        return false;
    if (cfg->pref64_len == 96)
        return true;
    const __u32 *w = (const __u32 *)addr;
    return (w[2] | w[3]) == 0; /* /32: bytes 8-15 */
}

/* RFC 6052 §2.2 byte positions of IPv4 octets a,b,c,d (skipping u = byte 8).
 * Returns the IPv4 address in network byte order; 0 for an unsupported length. */
static __always_inline __be32 xlat_pref64_extract(const struct in6_addr *addr, __u8 plen)
{
    const __u8 *a6 = (const __u8 *)addr;
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
static __always_inline void xlat_pref64_embed(struct in6_addr *addr,
                                              const struct colatrl_config *cfg, __be32 v4)
{
    __u8 *a6 = (__u8 *)addr;
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
 * them under the WKP). Argument in host byte order. The same list as
 * ipv4_is_global() in lib/inet/rfc6052.cpp; tests/bpf/test_rfc_crosscheck.cpp
 * holds the two against each other. */
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

/* RFC 6052 §3.1: a non-global IPv4 address may not cross under the WKP,
 * unless the config lifts the rule. Argument in host byte order. */
static __always_inline bool xlat_non_global_forbidden(const struct colatrl_config *cfg, __u32 a)
{
    return (cfg->flags & (COLATRL_F_PREF64_WKP | COLATRL_F_TRANSLATE_NON_GLOBAL)) ==
               COLATRL_F_PREF64_WKP &&
           xlat_v4_non_global(a);
}

/* ---- reshaping the packet -------------------------------------------------- */

/* Ethernet h_proto follows the new L3 protocol (Ethernet variant only). No
 * csum recompute: CHECKSUM_COMPLETE does not cover the MAC header. */
static __always_inline int xlat_set_ethertype(struct __sk_buff *skb, const __u32 l2_len,
                                              __u16 proto)
{
    if (!l2_len)
        return 0;
    __be16 p = bpf_htons(proto);
    return (int)bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &p, sizeof(p), 0);
}

/*
 * New L3 headers with the EtherType in front of them, so that one
 * bpf_skb_store_bytes writes both (a helper call is most of what a store
 * costs, docs/datapath-cost.md). The pad keeps h 4-byte aligned; proto and h
 * are adjacent. Egress only: it stores without BPF_F_RECOMPUTE_CSUM, which
 * ingress needs and which must not cover the MAC header.
 */
#define XLAT_WITH_ETHERTYPE(type)                                                  \
    struct {                                                                       \
        __u16 pad;                                                                 \
        __be16 proto;                                                              \
        type h;                                                                    \
    }

/* Store len bytes of x.h right after L2 and, on Ethernet, x.proto before. */
#define xlat_store_l3_front(skb, l2_len, x, len)                                   \
    ((l2_len) ? bpf_skb_store_bytes(skb, (l2_len) - 2, &(x).proto, (len) + 2, 0)    \
              : bpf_skb_store_bytes(skb, 0, &(x).h, len, 0))

/*
 * Resize the region right after the old base header by delta (adj_flags as
 * bpf_skb_adjust_room takes them), then swap the base header's room for the
 * new family's (bpf_skb_change_proto: +-20 bytes right after L2). A GSO packet
 * the kernel cannot convert is dropped with gso_id, any other failure with
 * helper_id; never left half-changed.
 */
static __always_inline __u32 xlat_reshape(struct __sk_buff *skb, __s32 delta, __u64 adj_flags,
                                          __u16 new_proto, enum colatrl_counter_id gso_id,
                                          enum colatrl_counter_id helper_id)
{
    if ((delta && bpf_skb_adjust_room(skb, delta, BPF_ADJ_ROOM_NET, adj_flags)) ||
        bpf_skb_change_proto(skb, bpf_htons(new_proto), 0))
        return XLAT_DROP(skb->gso_size ? gso_id : helper_id);
    return XLAT_CONTINUE;
}

#endif /* COLATRL_XLAT_COMMON_H */

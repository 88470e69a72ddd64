/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Egress translator IPv4 -> IPv6 (RFC 7915 §4), rewriting the packet in place.
 *
 * Shape of every translation: read what we need from the IPv4 packet into the
 * stack, decide (pass / drop / translate) before touching the packet, then
 *   1. bpf_skb_adjust_room(NET) right after the 20-byte IPv4 base header:
 *      drops IPv4 options, makes room for a Fragment header, and for ICMP
 *      errors resizes the region that will hold ICMPv6 + inner IPv6 headers;
 *   2. bpf_skb_change_proto(IPv6): 20 more bytes after L2;
 *   3. one bpf_skb_store_bytes of all new headers; L4 checksums last.
 * Nothing is written before the last check that can drop, so a dropped or
 * passed packet is never half-translated.
 */
#ifndef COLATRL_XLAT_EGRESS_H
#define COLATRL_XLAT_EGRESS_H

#include "xlat_common.h"

#define EG_IPV6_HLEN 40
#define EG_FRAG_HLEN 8
#define EG_IPV4_HLEN 20
#define EG_ICMP_HLEN 8
/* RFC 4443 §2.4(c): an ICMPv6 error must fit the IPv6 minimum MTU. */
#define EG_ICMP6_ERR_MAX_PAYLOAD (1280 - EG_IPV6_HLEN)

#define EG_IPOPT_EOL 0
#define EG_IPOPT_NOP 1
#define EG_IPOPT_LSRR 131
#define EG_IPOPT_SSRR 137

#define EG_IP_MF 0x2000
#define EG_IP_OFFMASK 0x1fff

#define EG_ICMP6_DEST_UNREACH 1
#define EG_ICMP6_PKT_TOOBIG 2
#define EG_ICMP6_TIME_EXCEED 3
#define EG_ICMP6_PARAMPROB 4
#define EG_ICMP6_ECHO_REQUEST 128
#define EG_ICMP6_ECHO_REPLY 129

/* 16 bytes of an IPv6 address, addressable as bytes or 32-bit words. */
union eg_in6 {
    __u8 b[16];
    __u32 w[4];
};

/* IPv6 header as raw fields (struct ipv6hdr has bitfields we do not want). */
struct eg_ip6 {
    __be32 vtf; /* version 6, traffic class, flow label 0 */
    __be16 payload_len;
    __u8 nexthdr;
    __u8 hop_limit;
    union eg_in6 saddr;
    union eg_in6 daddr;
};

struct eg_frag6 {
    __u8 nexthdr;
    __u8 reserved;
    __be16 frag_off; /* offset in 8-byte units << 3 | M */
    __be32 id;
};

/* IPv6 header plus an optional Fragment header, stored in one go. */
struct eg_ip6_frag {
    struct eg_ip6 ip6;
    struct eg_frag6 fh;
};

/* Outer IPv6 + ICMPv6 header + inner IPv6 (+ Fragment) of a translated error. */
struct eg_icmp_err_hdrs {
    struct eg_ip6 ip6;
    struct xlat_icmp4hdr icmp6; /* same layout: type, code, checksum, 32-bit word */
    struct eg_ip6_frag inner;
};

/* Facts about one IPv4 header (outer or embedded), host byte order. */
struct eg_v4 {
    __be32 saddr;
    __be32 daddr;
    __u16 hlen;     /* IHL * 4 */
    __u16 tot_len;
    __u16 id;
    __u16 frag_off; /* offset in bytes */
    __u8 mf;
    __u8 is_frag;   /* MF set or offset != 0 */
    __u8 tos;
    __u8 ttl;
    __u8 proto;
};

/* IPv6 pseudo header for checksums (RFC 8200 §8.1). */
struct eg_pseudo6 {
    union eg_in6 saddr;
    union eg_in6 daddr;
    __be32 len;
    __be32 nexthdr;
};

static __always_inline int eg_drop(struct __sk_buff *skb, __u32 slot, enum colatrl_counter_id id)
{
    xlat_count(slot, id, skb->len);
    return TC_ACT_SHOT;
}

static __always_inline int eg_pass(struct __sk_buff *skb, __u32 slot, enum colatrl_counter_id id)
{
    xlat_count(slot, id, skb->len);
    return TC_ACT_OK;
}

/* Parse a 20-byte IPv4 base header already on the stack. -1 if not IPv4. */
static __always_inline int eg_parse_v4(const __u8 *h, struct eg_v4 *v)
{
    if ((h[0] >> 4) != 4)
        return -1;
    v->hlen = (__u16)((h[0] & 0x0f) * 4);
    v->tos = h[1];
    v->tot_len = (__u16)((h[2] << 8) | h[3]);
    v->id = (__u16)((h[4] << 8) | h[5]);
    __u16 fo = (__u16)((h[6] << 8) | h[7]);
    v->mf = (fo & EG_IP_MF) ? 1 : 0;
    v->frag_off = (__u16)((fo & EG_IP_OFFMASK) * 8);
    v->is_frag = v->mf || v->frag_off;
    v->ttl = h[8];
    v->proto = h[9];
    __builtin_memcpy(&v->saddr, h + 12, 4);
    __builtin_memcpy(&v->daddr, h + 16, 4);
    if (v->hlen < EG_IPV4_HLEN)
        return -1;
    return 0;
}

/*
 * RFC 7915 §4.1 header translation of one IPv4 header into an IPv6 header
 * without Fragment header. Addresses are set by the caller. payload_len is
 * the IPv4 payload length (Total Length - IHL*4).
 */
static __always_inline void eg_fill_ip6(const struct colatrl_config *cfg, const struct eg_v4 *v,
                                        __u16 payload_len, struct eg_ip6 *ip6)
{
    __u8 tclass = (cfg->flags & COLATRL_F_ZERO_TOS) ? 0 : v->tos;
    ip6->vtf = bpf_htonl(0x60000000u | ((__u32)tclass << 20));
    ip6->payload_len = bpf_htons(payload_len);
    ip6->nexthdr = v->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : v->proto;
    /* Hop limit copied: a host CLAT translating its own traffic is not a
     * router hop (see bpf_notes; decided for checklist item 16). */
    ip6->hop_limit = v->ttl;
}

/*
 * Same, plus a Fragment header when the IPv4 packet is a fragment (RFC 7915
 * §4.1; no atomic fragments otherwise, §4). Returns the size of the headers
 * written (40 or 48).
 */
static __always_inline __u32 eg_build_ip6(const struct colatrl_config *cfg, const struct eg_v4 *v,
                                          __u16 payload_len, struct eg_ip6_frag *out)
{
    eg_fill_ip6(cfg, v, payload_len, &out->ip6);
    if (!v->is_frag)
        return EG_IPV6_HLEN;
    out->fh.nexthdr = out->ip6.nexthdr;
    out->fh.reserved = 0;
    out->fh.frag_off = bpf_htons((__u16)(v->frag_off | v->mf));
    out->fh.id = bpf_htonl(v->id); /* low 16 bits = IPv4 ID, high 16 zero */
    out->ip6.nexthdr = IPPROTO_FRAGMENT;
    out->ip6.payload_len = bpf_htons((__u16)(payload_len + EG_FRAG_HLEN));
    return EG_IPV6_HLEN + EG_FRAG_HLEN;
}

/* One's-complement sum of the IPv6 pseudo header. */
static __always_inline __u32 eg_pseudo_sum(const union eg_in6 *src, const union eg_in6 *dst,
                                           __u32 len, __u8 nexthdr)
{
    struct eg_pseudo6 ph;
    __builtin_memcpy(&ph.saddr, src, 16);
    __builtin_memcpy(&ph.daddr, dst, 16);
    ph.len = bpf_htonl(len);
    ph.nexthdr = bpf_htonl(nexthdr);
    long r = bpf_csum_diff(0, 0, (__be32 *)&ph, sizeof(ph), 0);
    return r < 0 ? 0 : (__u32)r;
}

/* Pseudo-header change IPv4 (src4,dst4) -> IPv6 (src6,dst6); length and
 * protocol are the same on both sides, so only the addresses matter. */
static __always_inline __u32 eg_addr_diff(__be32 src4, __be32 dst4, const union eg_in6 *src6,
                                          const union eg_in6 *dst6)
{
    __be32 from[2] = {src4, dst4};
    __be32 to[8];
    __builtin_memcpy(&to[0], src6, 16);
    __builtin_memcpy(&to[4], dst6, 16);
    long r = bpf_csum_diff(from, sizeof(from), to, sizeof(to), 0);
    return r < 0 ? 0 : (__u32)r;
}

/* Apply a 32-bit partial-sum difference to a stored checksum value. */
static __always_inline __u16 eg_csum_apply(__u16 old, __u32 diff)
{
    return xlat_csum_fold(xlat_csum_add((__u32)(__u16)~old, diff));
}

/* IPv4 options of one header (at most 40 bytes), zero-padded. */
struct eg_ip4_opts {
    __u8 b[40];
};

/*
 * Unexpired LSRR/SSRR anywhere in the options? 1 = yes, 0 = no, -1 = the
 * option list is malformed. A global (separately verified) function: the
 * data-dependent walk would otherwise multiply the verifier's states of
 * everything after it.
 */
__noinline int eg_has_source_route(const struct eg_ip4_opts *o, __u32 len)
{
    if (!o)
        return -1;
    /* 64-bit indexes so the verifier sees the same register we bound-check */
    __u64 optlen = len, i = 0;
    for (int n = 0; n < 40; n++) {
        asm volatile("" : "+r"(i));
        if (i >= optlen || i >= 40)
            break;
        __u8 t = o->b[i];
        if (t == EG_IPOPT_EOL)
            break;
        if (t == EG_IPOPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= optlen || i + 1 >= 40)
            return -1;
        __u64 l = o->b[i + 1];
        if (l < 2 || i + l > optlen)
            return -1;
        if (t == EG_IPOPT_LSRR || t == EG_IPOPT_SSRR) {
            if (l < 3 || i + 2 >= 40)
                return -1;
            /* RFC 791: the route is used up once pointer > length. */
            if (o->b[i + 2] <= l)
                return 1;
        }
        i += l;
    }
    return 0;
}

/* Ethernet h_proto follows the new L3 protocol (eth variant only). */
static __always_inline int eg_set_eth_proto(struct __sk_buff *skb, const __u32 l2_len)
{
    if (!l2_len)
        return 0;
    __be16 p = bpf_htons(ETH_P_IPV6);
    return (int)bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &p, sizeof(p), 0);
}

/*
 * Resize the region after the IPv4 base header by delta, then turn the IPv4
 * base header into room for the IPv6 one. GSO packets the kernel cannot
 * convert are dropped (counted), never mangled.
 */
static __always_inline int eg_reshape(struct __sk_buff *skb, __s32 delta, __u32 slot)
{
    if (delta) {
        if (bpf_skb_adjust_room(skb, delta, BPF_ADJ_ROOM_NET, 0))
            return eg_drop(skb, slot,
                           skb->gso_size ? COLATRL_CNT_EG_DROP_GSO : COLATRL_CNT_EG_DROP_HELPER);
    }
    if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0))
        return eg_drop(skb, slot,
                       skb->gso_size ? COLATRL_CNT_EG_DROP_GSO : COLATRL_CNT_EG_DROP_HELPER);
    return 0;
}

/* TCP, UDP and everything else that is not ICMP. */
static __always_inline int eg_xlat_plain(struct __sk_buff *skb, const __u32 l2_len,
                                         const struct colatrl_config *cfg, const struct eg_v4 *v)
{
    const __u32 slot = cfg->counter_slot;
    const __u32 l4_old = l2_len + v->hlen;
    const __u16 l4_len = (__u16)(v->tot_len - v->hlen);
    int udp_full = 0;
    __u32 csum_field = 0; /* offset of the TCP/UDP checksum in the L4 header, 0 = none */

    /* Only TCP has GSO types the kernel converts (TCPV4 -> TCPV6). */
    if (skb->gso_size && v->proto != IPPROTO_TCP)
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_GSO);

    if (v->frag_off == 0 && (v->proto == IPPROTO_TCP || v->proto == IPPROTO_UDP)) {
        csum_field = v->proto == IPPROTO_TCP ? offsetof(struct tcphdr, check)
                                             : offsetof(struct udphdr, check);
        /* The checksum field must be inside this packet (RFC 1858 tiny
         * first fragments included). */
        if (l4_len < csum_field + 2)
            return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_MALFORMED);
        if (v->proto == IPPROTO_UDP) {
            __u16 check;
            if (bpf_skb_load_bytes(skb, l4_old + csum_field, &check, 2))
                return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_MALFORMED);
            if (check == 0) {
                /* RFC 7915 §4.5: a stateless translator cannot checksum a
                 * datagram it only sees part of. */
                if (v->is_frag)
                    return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_UDP_ZERO_CSUM_FRAG);
                udp_full = 1;
            }
        }
    }

    struct eg_ip6_frag h = {};
    __u32 hlen = eg_build_ip6(cfg, v, l4_len, &h);
    __builtin_memcpy(&h.ip6.saddr, cfg->clat_v6, 16);
    xlat_pref64_embed(h.ip6.daddr.b, cfg, v->daddr);

    __s32 delta = (__s32)(hlen - EG_IPV6_HLEN) - (__s32)(v->hlen - EG_IPV4_HLEN);
    int ret = eg_reshape(skb, delta, slot);
    if (ret)
        return ret;
    if (bpf_skb_store_bytes(skb, l2_len, &h, hlen == EG_IPV6_HLEN ? EG_IPV6_HLEN : sizeof(h), 0) ||
        eg_set_eth_proto(skb, l2_len))
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);

    const __u32 l4 = l2_len + hlen;
    if (udp_full) {
        /* IPv6 forbids UDP checksum 0 (RFC 8200 §8.1): compute the real one
         * (RFC 7915 §4.5 option b); the field is zero, so it adds nothing. */
        __u32 sum = eg_pseudo_sum(&h.ip6.saddr, &h.ip6.daddr, l4_len, IPPROTO_UDP);
        if (xlat_csum_skb(skb, l4, l4_len, &sum))
            return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);
        __u16 c = xlat_csum_fold(sum);
        if (c == 0)
            c = 0xffff;
        if (bpf_skb_store_bytes(skb, l4 + csum_field, &c, 2, 0))
            return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);
    } else if (csum_field && !(cfg->flags & COLATRL_F_CSUM_NEUTRAL)) {
        __u32 diff = eg_addr_diff(v->saddr, v->daddr, &h.ip6.saddr, &h.ip6.daddr);
        __u64 flags = BPF_F_PSEUDO_HDR;
        if (v->proto == IPPROTO_UDP)
            flags |= BPF_F_MARK_MANGLED_0;
        if (bpf_l4_csum_replace(skb, l4 + csum_field, 0, diff, flags))
            return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);
    }

    xlat_count(slot, COLATRL_CNT_EG_XLAT, skb->len);
    if (v->is_frag)
        xlat_count(slot, COLATRL_CNT_EG_XLAT_FRAGMENT, skb->len);
    return TC_ACT_OK;
}

/* ICMPv4 Echo Request/Reply -> ICMPv6 128/129 (RFC 7915 §4.2). */
static __always_inline int eg_xlat_echo(struct __sk_buff *skb, const __u32 l2_len,
                                        const struct colatrl_config *cfg, const struct eg_v4 *v,
                                        const struct xlat_icmp4hdr *ic)
{
    const __u32 slot = cfg->counter_slot;
    const __u16 l4_len = (__u16)(v->tot_len - v->hlen);
    struct eg_ip6_frag h = {};
    eg_fill_ip6(cfg, v, l4_len, &h.ip6); /* never a fragment here */
    __builtin_memcpy(&h.ip6.saddr, cfg->clat_v6, 16);
    xlat_pref64_embed(h.ip6.daddr.b, cfg, v->daddr);

    int ret = eg_reshape(skb, -(__s32)(v->hlen - EG_IPV4_HLEN), slot);
    if (ret)
        return ret;
    __u8 type6 = ic->type == XLAT_ICMP_ECHO ? EG_ICMP6_ECHO_REQUEST : EG_ICMP6_ECHO_REPLY;
    /* Type change and the pseudo header ICMPv4 does not have, applied to the
     * sender's checksum incrementally. */
    __u8 from[4] = {ic->type, ic->code, 0, 0};
    __u8 to[4] = {type6, ic->code, 0, 0};
    __u32 diff = eg_pseudo_sum(&h.ip6.saddr, &h.ip6.daddr, l4_len, IPPROTO_ICMPV6);
    long r = bpf_csum_diff((__be32 *)from, 4, (__be32 *)to, 4, diff);
    if (r < 0)
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);
    const __u32 l4 = l2_len + EG_IPV6_HLEN;
    if (bpf_skb_store_bytes(skb, l2_len, &h.ip6, EG_IPV6_HLEN, 0) ||
        eg_set_eth_proto(skb, l2_len) || bpf_skb_store_bytes(skb, l4, &type6, 1, 0) ||
        bpf_l4_csum_replace(skb, l4 + offsetof(struct xlat_icmp4hdr, checksum), 0, (__u32)r,
                            BPF_F_PSEUDO_HDR))
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);
    xlat_count(slot, COLATRL_CNT_EG_XLAT, skb->len);
    return TC_ACT_OK;
}

/* RFC 1191 plateau estimate for a Fragmentation Needed without MTU (RFC 7915
 * §4.2): the largest plateau below the returned packet's length that is
 * >= 1280. None qualifies at or below 1492: then 1260, which the +20 of the
 * caller turns into the IPv6 floor 1280 (checklist item 20). */
static __always_inline __u32 eg_plateau_mtu(__u16 tot_len)
{
    if (tot_len > 32000)
        return 32000;
    if (tot_len > 17914)
        return 17914;
    if (tot_len > 8166)
        return 8166;
    if (tot_len > 4352)
        return 4352;
    if (tot_len > 2002)
        return 2002;
    if (tot_len > 1492)
        return 1492;
    return 1280 - 20;
}

/* RFC 7915 §4.2 Parameter Problem pointer table; -1 = no IPv6 equivalent. */
static __always_inline int eg_param_ptr(__u8 p4)
{
    switch (p4) {
    case 0:
        return 0;
    case 1:
        return 1;
    case 2:
    case 3:
        return 4;
    case 8:
        return 7;
    case 9:
        return 6;
    case 12 ... 15:
        return 8;
    case 16 ... 19:
        return 24;
    default:
        return -1;
    }
}

/*
 * ICMPv4 error type/code -> ICMPv6 type/code/word (RFC 7915 §4.2 tables).
 * Returns -1 for messages the RFC silently drops. inner_tot_len feeds the
 * RFC 1191 plateau rule.
 */
static __always_inline int eg_map_icmp_error(const struct colatrl_config *cfg,
                                             const struct xlat_icmp4hdr *ic, __u16 inner_tot_len,
                                             struct xlat_icmp4hdr *out)
{
    __u32 word = 0;
    __u8 type = 0, code = 0;
    if (ic->type == XLAT_ICMP_DEST_UNREACH) {
        type = EG_ICMP6_DEST_UNREACH;
        switch (ic->code) {
        case 0: case 1: case 5: case 6: case 7: case 8: case 11: case 12:
            code = 0; /* no route */
            break;
        case 3:
            code = 4; /* port unreachable */
            break;
        case 9: case 10: case 13: case 15:
            code = 1; /* administratively prohibited */
            break;
        case 2: /* protocol unreachable -> unrecognised Next Header */
            type = EG_ICMP6_PARAMPROB;
            code = 1;
            word = 6; /* offset of Next Header in the IPv6 header */
            break;
        case 4: { /* fragmentation needed -> Packet Too Big */
            type = EG_ICMP6_PKT_TOOBIG;
            __u32 mtu4 = bpf_ntohl(ic->rest) & 0xffff;
            if (mtu4 == 0)
                mtu4 = eg_plateau_mtu(inner_tot_len);
            __u32 mtu6 = mtu4 + 20; /* the IPv6 header is 20 bytes bigger */
            if (cfg->ipv6_mtu && mtu6 > cfg->ipv6_mtu)
                mtu6 = cfg->ipv6_mtu;
            if (mtu6 < 1280)
                mtu6 = 1280;
            word = mtu6;
            break;
        }
        default: /* 14 host precedence violation, > 15 unknown */
            return -1;
        }
    } else if (ic->type == XLAT_ICMP_TIME_EXCEEDED) {
        type = EG_ICMP6_TIME_EXCEED;
        code = ic->code;
    } else if (ic->type == XLAT_ICMP_PARAMETERPROB) {
        if (ic->code != 0 && ic->code != 2)
            return -1;
        int p6 = eg_param_ptr((__u8)(bpf_ntohl(ic->rest) >> 24));
        if (p6 < 0)
            return -1;
        type = EG_ICMP6_PARAMPROB;
        code = 0;
        word = (__u32)p6;
    } else {
        return -1;
    }
    out->type = type;
    out->code = code;
    out->checksum = 0;
    out->rest = bpf_htonl(word);
    return 0;
}

/*
 * ICMPv4 error -> ICMPv6 error with its embedded packet translated too
 * (RFC 7915 §4.3). The embedded packet came TO us: its source is a remote
 * IPv4 host (PREF64-embedded) and its destination our CLAT IPv4 address.
 */
static __always_inline int eg_xlat_icmp_error(struct __sk_buff *skb, const __u32 l2_len,
                                              const struct colatrl_config *cfg,
                                              const struct eg_v4 *v,
                                              const struct xlat_icmp4hdr *ic)
{
    const __u32 slot = cfg->counter_slot;
    const __u32 icmp_old = l2_len + v->hlen;
    __u32 msg4 = (__u32)(v->tot_len - v->hlen); /* ICMPv4 message length */
    const __u32 inner_old = icmp_old + EG_ICMP_HLEN;

    /* The ICMPv6 checksum is computed afresh over the new message: check the
     * old one first, so a corrupted error is not passed on as a valid one. */
    __u32 sum4 = 0;
    if (xlat_csum_skb(skb, icmp_old, msg4, &sum4))
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);
    if (xlat_csum_fold(sum4) != 0)
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_ICMP_CSUM);

    __u8 ih[EG_IPV4_HLEN];
    struct eg_v4 in = {};
    if (msg4 < EG_ICMP_HLEN + EG_IPV4_HLEN ||
        bpf_skb_load_bytes(skb, inner_old, ih, sizeof(ih)) || eg_parse_v4(ih, &in))
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_ICMP_INNER);
    /* RFC 4884: a non-zero length (32-bit words) delimits the original
     * datagram from extensions, which we drop (checklist item 22). */
    __u32 ext_words = (bpf_ntohl(ic->rest) >> 16) & 0xff;
    if (ext_words && ext_words * 4 + EG_ICMP_HLEN < msg4)
        msg4 = ext_words * 4 + EG_ICMP_HLEN;
    const __u32 inner_avail = msg4 - EG_ICMP_HLEN; /* bytes of the embedded packet */
    if (in.hlen > inner_avail || in.tot_len < in.hlen || in.daddr != cfg->clat_v4)
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_ICMP_INNER);
    const __u32 inner_l4_avail = inner_avail - in.hlen;
    /* RFC 792: the first 8 bytes of the embedded transport header are there. */
    if (in.frag_off == 0 && inner_l4_avail < 8)
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_ICMP_INNER);

    struct xlat_icmp4hdr inner_icmp = {};
    if (in.frag_off == 0 && in.proto == IPPROTO_ICMP) {
        if (bpf_skb_load_bytes(skb, inner_old + in.hlen, &inner_icmp, sizeof(inner_icmp)))
            return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_ICMP_INNER);
        /* RFC 7915 §4.3: one level only; an error about an error is dropped. */
        if (inner_icmp.type != XLAT_ICMP_ECHO && inner_icmp.type != XLAT_ICMP_ECHOREPLY)
            return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_ICMP_INNER);
    }

    struct eg_icmp_err_hdrs h = {};
    if (eg_map_icmp_error(cfg, ic, in.tot_len, &h.icmp6))
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_ICMP_TYPE);

    /* Inner header: addresses reversed with respect to the outer packet. */
    __u32 inner_hlen = eg_build_ip6(cfg, &in, (__u16)(in.tot_len - in.hlen), &h.inner);
    xlat_pref64_embed(h.inner.ip6.saddr.b, cfg, in.saddr);
    __builtin_memcpy(&h.inner.ip6.daddr, cfg->clat_v6, 16);

    /* New message: ICMPv6 header + inner IPv6 header(s) + the rest as is,
     * cut to fit 1280 bytes. */
    __u32 msg6_full = msg4 - in.hlen + inner_hlen;
    __u32 msg6 = msg6_full > EG_ICMP6_ERR_MAX_PAYLOAD ? EG_ICMP6_ERR_MAX_PAYLOAD : msg6_full;
    eg_fill_ip6(cfg, v, (__u16)msg6, &h.ip6); /* never a fragment here */
    __builtin_memcpy(&h.ip6.saddr, cfg->clat_v6, 16);
    xlat_pref64_embed(h.ip6.daddr.b, cfg, v->daddr);

    /* Region after the IPv4 base header: options + ICMPv4 header + inner IPv4
     * header become ICMPv6 header + inner IPv6 header(s). */
    __s32 delta = (__s32)inner_hlen - (__s32)in.hlen - (__s32)(v->hlen - EG_IPV4_HLEN);
    int ret = eg_reshape(skb, delta, slot);
    if (ret)
        return ret;
    const __u32 icmp6 = l2_len + EG_IPV6_HLEN;
    if (bpf_skb_store_bytes(skb, l2_len, &h,
                            inner_hlen == EG_IPV6_HLEN ? sizeof(h) - EG_FRAG_HLEN : sizeof(h), 0) ||
        eg_set_eth_proto(skb, l2_len))
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);

    /* Embedded transport header: checksums follow the inner addresses
     * (incrementally: the embedded packet is usually cut short). */
    const __u32 inner_l4 = icmp6 + EG_ICMP_HLEN + inner_hlen;
    if (in.frag_off == 0) {
        if (in.proto == IPPROTO_ICMP) {
            __u8 t6 = inner_icmp.type == XLAT_ICMP_ECHO ? EG_ICMP6_ECHO_REQUEST
                                                        : EG_ICMP6_ECHO_REPLY;
            __u8 from[4] = {inner_icmp.type, inner_icmp.code, 0, 0};
            __u8 to[4] = {t6, inner_icmp.code, 0, 0};
            __u32 seed = eg_pseudo_sum(&h.inner.ip6.saddr, &h.inner.ip6.daddr,
                                       (__u32)(in.tot_len - in.hlen), IPPROTO_ICMPV6);
            long r = bpf_csum_diff((__be32 *)from, 4, (__be32 *)to, 4, seed);
            if (r < 0)
                return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);
            __u16 c = eg_csum_apply(inner_icmp.checksum, (__u32)r);
            if (bpf_skb_store_bytes(skb, inner_l4, &t6, 1, 0) ||
                bpf_skb_store_bytes(skb, inner_l4 + 2, &c, 2, 0))
                return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);
        } else if ((in.proto == IPPROTO_TCP || in.proto == IPPROTO_UDP) &&
                   !(cfg->flags & COLATRL_F_CSUM_NEUTRAL)) {
            __u32 off = in.proto == IPPROTO_TCP ? offsetof(struct tcphdr, check)
                                                : offsetof(struct udphdr, check);
            __u16 c;
            /* a TCP checksum past the quoted bytes cannot be fixed: leave it */
            if (off + 2 <= inner_l4_avail && !bpf_skb_load_bytes(skb, inner_l4 + off, &c, 2) &&
                !(in.proto == IPPROTO_UDP && c == 0)) {
                __u32 diff =
                    eg_addr_diff(in.saddr, in.daddr, &h.inner.ip6.saddr, &h.inner.ip6.daddr);
                c = eg_csum_apply(c, diff);
                if (in.proto == IPPROTO_UDP && c == 0)
                    c = 0xffff;
                if (bpf_skb_store_bytes(skb, inner_l4 + off, &c, 2, 0))
                    return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);
            }
        }
    }

    /* Cut RFC 4884 extensions / anything past 1280 bytes. */
    const __u32 want = icmp6 + msg6;
    if (skb->len > want && bpf_skb_change_tail(skb, want, 0))
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);

    /* ICMPv6 checksum over the whole new message + pseudo header (checksum
     * field is zero from the header store above). */
    __u32 sum = eg_pseudo_sum(&h.ip6.saddr, &h.ip6.daddr, msg6, IPPROTO_ICMPV6);
    if (xlat_csum_skb(skb, icmp6, msg6, &sum))
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);
    __u16 c = xlat_csum_fold(sum);
    if (bpf_skb_store_bytes(skb, icmp6 + 2, &c, 2, 0))
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_HELPER);

    xlat_count(slot, COLATRL_CNT_EG_XLAT, skb->len);
    xlat_count(slot, COLATRL_CNT_EG_XLAT_ICMP_ERROR, skb->len);
    return TC_ACT_OK;
}

static __always_inline int eg_xlat_icmp(struct __sk_buff *skb, const __u32 l2_len,
                                        const struct colatrl_config *cfg, const struct eg_v4 *v)
{
    const __u32 slot = cfg->counter_slot;
    /* RFC 7915 §1.2: fragmented ICMP is not translated (no whole-message
     * checksum possible). */
    if (v->is_frag)
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_ICMP_FRAGMENTED);
    if (skb->gso_size)
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_GSO);
    struct xlat_icmp4hdr ic;
    if (v->tot_len - v->hlen < EG_ICMP_HLEN ||
        bpf_skb_load_bytes(skb, l2_len + v->hlen, &ic, sizeof(ic)))
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_MALFORMED);
    switch (ic.type) {
    case XLAT_ICMP_ECHO:
    case XLAT_ICMP_ECHOREPLY:
        return eg_xlat_echo(skb, l2_len, cfg, v, &ic);
    case XLAT_ICMP_DEST_UNREACH:
    case XLAT_ICMP_TIME_EXCEEDED:
    case XLAT_ICMP_PARAMETERPROB:
        return eg_xlat_icmp_error(skb, l2_len, cfg, v, &ic);
    default:
        /* timestamp, information, address mask, router adv/sol, source
         * quench, redirect, alternate host, unknown: RFC 7915 §4.2 drops */
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_ICMP_TYPE);
    }
}

static __always_inline int eg_pref64_len_ok(__u8 l)
{
    return l == 32 || l == 40 || l == 48 || l == 56 || l == 64 || l == 96;
}

/* l2_len: ETH_HLEN for Ethernet uplinks, 0 for raw-IP ones. */
static __always_inline int xlat_egress(struct __sk_buff *skb, const __u32 l2_len)
{
    const struct colatrl_config *cfg = xlat_config(skb);
    if (!cfg || !eg_pref64_len_ok(cfg->pref64_len))
        return eg_pass(skb, cfg ? cfg->counter_slot : COLATRL_SLOT_UNCONFIGURED,
                       COLATRL_CNT_EG_PASS_NO_CONFIG);
    const __u32 slot = cfg->counter_slot;
    if (skb->protocol != bpf_htons(ETH_P_IP))
        return eg_pass(skb, slot, COLATRL_CNT_EG_PASS_NOT_IPV4);

    __u8 h[EG_IPV4_HLEN];
    struct eg_v4 v = {};
    if (bpf_skb_load_bytes(skb, l2_len, h, sizeof(h)) || (h[0] >> 4) != 4)
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_MALFORMED);
    __be32 saddr;
    __builtin_memcpy(&saddr, h + 12, 4);
    if (saddr != cfg->clat_v4)
        return eg_pass(skb, slot, COLATRL_CNT_EG_PASS_NOT_CLAT_SRC);
    /* IPv4 BIG TCP (Total Length 0, size from the skb) has no IPv6 form
     * without a jumbo payload option. */
    if (skb->gso_size && h[2] == 0 && h[3] == 0)
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_GSO);
    if (eg_parse_v4(h, &v) || v.tot_len < v.hlen || l2_len + v.tot_len > skb->len)
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_MALFORMED);

    /* Destinations that never leave a host (RFC 1812 §5.3.7 / RFC 7915 §4.1). */
    __u32 dst = bpf_ntohl(v.daddr);
    __u32 o1 = dst >> 24;
    if (o1 == 0 || o1 == 127 || o1 >= 224)
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_BAD_DST);
    /* RFC 6052 §3.1: no non-global IPv4 under the well-known prefix. */
    if ((cfg->flags & (COLATRL_F_PREF64_WKP | COLATRL_F_TRANSLATE_NON_GLOBAL)) ==
            COLATRL_F_PREF64_WKP &&
        xlat_v4_non_global(dst))
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_NON_GLOBAL);

    if (v.hlen > EG_IPV4_HLEN) {
        struct eg_ip4_opts opt = {};
        __u32 optlen = v.hlen - EG_IPV4_HLEN;
        if (optlen > sizeof(opt.b) ||
            bpf_skb_load_bytes(skb, l2_len + EG_IPV4_HLEN, opt.b, optlen))
            return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_MALFORMED);
        int sr = eg_has_source_route(&opt, optlen);
        if (sr < 0)
            return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_MALFORMED);
        if (sr > 0)
            return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_SOURCE_ROUTE);
    }

    /* Bytes past Total Length (padding) would end up inside the IPv6
     * payload: cut them first. */
    if (skb->len > l2_len + v.tot_len) {
        if (skb->gso_size || bpf_skb_change_tail(skb, l2_len + v.tot_len, 0))
            return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_MALFORMED);
    }

    switch (v.proto) {
    case IPPROTO_IGMP:
        /* RFC 7915 §4.2: single-hop, SHOULD be dropped */
        return eg_drop(skb, slot, COLATRL_CNT_EG_DROP_IGMP);
    case IPPROTO_ICMP:
        return eg_xlat_icmp(skb, l2_len, cfg, &v);
    default:
        return eg_xlat_plain(skb, l2_len, cfg, &v);
    }
}

#endif /* COLATRL_XLAT_EGRESS_H */

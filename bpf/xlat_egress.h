/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Egress translator IPv4 -> IPv6 (RFC 7915 §4), rewriting the packet in place.
 *
 * Shape of every translation: read what we need from the IPv4 packet into the
 * stack, decide (pass / drop / translate) before touching the packet, then
 *   1. xlat_reshape: bpf_skb_adjust_room(NET) right after the 20-byte IPv4
 *      base header drops IPv4 options, makes room for a Fragment header, and
 *      for ICMP errors resizes the region that will hold ICMPv6 + inner IPv6
 *      headers; bpf_skb_change_proto(IPv6) adds 20 more bytes after L2;
 *   2. one bpf_skb_store_bytes of all new headers; L4 checksums last.
 * Nothing is written before the last check that can drop, so a dropped or
 * passed packet is never half-translated. Every step returns a verdict
 * (xlat_common.h); xlat_egress hands it to xlat_exit.
 */
#ifndef COLATRL_XLAT_EGRESS_H
#define COLATRL_XLAT_EGRESS_H

#include "xlat_common.h"
#include "xlat_icmp.h"

/* RFC 4443 §2.4(c): an ICMPv6 error must fit the IPv6 minimum MTU. */
#define EG_ICMP6_ERR_MAX_PAYLOAD (1280 - XLAT_IPV6_HLEN)

/* IPv6 header plus an optional Fragment header, stored in one go. */
struct eg_ip6_frag {
    struct ipv6hdr ip6;
    struct xlat_frag6 fh;
};

/* Outer IPv6 + ICMPv6 header + inner IPv6 (+ Fragment) of a translated error. */
struct eg_icmp_err_hdrs {
    struct ipv6hdr ip6;
    struct icmp6hdr icmp6;
    struct eg_ip6_frag inner;
};

/* The IPv4 base header and the first 8 bytes after it, read in one go. */
struct eg_front {
    struct iphdr ip;
    __u8 l4[8];
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

/* Parse an IPv4 base header already on the stack. -1 if not IPv4. */
static __always_inline int eg_parse_v4(const struct iphdr *h, struct eg_v4 *v)
{
    if (h->version != 4 || h->ihl < 5)
        return -1;
    v->hlen = (__u16)(h->ihl * 4);
    v->tos = h->tos;
    v->tot_len = bpf_ntohs(h->tot_len);
    v->id = bpf_ntohs(h->id);
    __u16 fo = bpf_ntohs(h->frag_off);
    v->mf = (fo & IP_MF) ? 1 : 0;
    v->frag_off = (__u16)((fo & IP_OFFSET) * 8);
    v->is_frag = v->mf || v->frag_off;
    v->ttl = h->ttl;
    v->proto = h->protocol;
    v->saddr = h->saddr;
    v->daddr = h->daddr;
    return 0;
}

/*
 * RFC 7915 §4.1 header translation of one IPv4 header into an IPv6 header
 * without Fragment header. Addresses are set by the caller. payload_len is
 * the IPv4 payload length (Total Length - IHL*4). Traffic Class is the TOS
 * copied, the §4.1 default.
 */
static __always_inline void eg_fill_ip6(const struct eg_v4 *v, __u16 payload_len,
                                        struct ipv6hdr *ip6)
{
    xlat_ip6_set_vtc(ip6, v->tos);
    ip6->payload_len = bpf_htons(payload_len);
    ip6->nexthdr = v->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : v->proto;
    /* Hop limit copied: a host CLAT translating its own traffic is not a
     * router hop (docs/decisions.md, Datapath). */
    ip6->hop_limit = v->ttl;
}

/*
 * Same, plus a Fragment header when the IPv4 packet is a fragment (RFC 7915
 * §4.1; no atomic fragments otherwise, §4). Returns the size of the headers
 * written (40 or 48).
 */
static __always_inline __u32 eg_build_ip6(const struct eg_v4 *v, __u16 payload_len,
                                          struct eg_ip6_frag *out)
{
    eg_fill_ip6(v, payload_len, &out->ip6);
    if (!v->is_frag)
        return XLAT_IPV6_HLEN;
    out->fh.nexthdr = out->ip6.nexthdr;
    out->fh.reserved = 0;
    out->fh.frag_off = bpf_htons((__u16)(v->frag_off | v->mf));
    out->fh.id = bpf_htonl(v->id); /* low 16 bits = IPv4 ID, high 16 zero */
    out->ip6.nexthdr = IPPROTO_FRAGMENT;
    out->ip6.payload_len = bpf_htons((__u16)(payload_len + XLAT_FRAG_HLEN));
    return XLAT_IPV6_HLEN + XLAT_FRAG_HLEN;
}

/* Outer addresses: CLAT IPv6 -> PREF64 + IPv4 destination. */
static __always_inline void eg_outer_addrs(struct ipv6hdr *ip6, const struct colatrl_config *cfg,
                                           __be32 daddr)
{
    __builtin_memcpy(&ip6->saddr, cfg->clat_v6, 16);
    xlat_pref64_embed(&ip6->daddr, cfg, daddr);
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
        if (t == IPOPT_END)
            break;
        if (t == IPOPT_NOOP) {
            i++;
            continue;
        }
        if (i + 1 >= optlen || i + 1 >= 40)
            return -1;
        __u64 l = o->b[i + 1];
        if (l < 2 || i + l > optlen)
            return -1;
        if (t == IPOPT_LSRR || t == IPOPT_SSRR) {
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

static __always_inline __u32 eg_reshape(struct __sk_buff *skb, __s32 delta)
{
    return xlat_reshape(skb, delta, 0, ETH_P_IPV6, COLATRL_CNT_EG_DROP_GSO,
                        COLATRL_CNT_EG_DROP_HELPER);
}

/* TCP, UDP and everything else that is not ICMP. */
/* l4: the first 8 bytes of the transport header when eg_decide read them
 * along with the IPv4 header (no options), else NULL. */
static __always_inline __u32 eg_xlat_plain(struct __sk_buff *skb, const __u32 l2_len,
                                           const struct colatrl_config *cfg,
                                           const struct eg_v4 *v, const __u8 *l4_hdr)
{
    const __u32 l4_old = l2_len + v->hlen;
    const __u16 l4_len = (__u16)(v->tot_len - v->hlen);
    int udp_full = 0;
    __u32 csum_field = 0; /* offset of the TCP/UDP checksum in the L4 header, 0 = none */

    /* Only TCP has GSO types the kernel converts (TCPV4 -> TCPV6). */
    if (skb->gso_size && v->proto != IPPROTO_TCP)
        return XLAT_DROP(COLATRL_CNT_EG_DROP_GSO);

    if (v->frag_off == 0 && (v->proto == IPPROTO_TCP || v->proto == IPPROTO_UDP)) {
        csum_field = v->proto == IPPROTO_TCP ? offsetof(struct tcphdr, check)
                                             : offsetof(struct udphdr, check);
        /* The checksum field must be inside this packet (RFC 1858 tiny
         * first fragments included). */
        if (l4_len < csum_field + 2)
            return XLAT_DROP(COLATRL_CNT_EG_DROP_MALFORMED);
        if (v->proto == IPPROTO_UDP) {
            __u16 check;
            if (l4_hdr)
                __builtin_memcpy(&check, l4_hdr + offsetof(struct udphdr, check), 2);
            else if (bpf_skb_load_bytes(skb, l4_old + csum_field, &check, 2))
                return XLAT_DROP(COLATRL_CNT_EG_DROP_MALFORMED);
            if (check == 0) {
                /* RFC 7915 §4.5: a stateless translator cannot checksum a
                 * datagram it only sees part of. */
                if (v->is_frag)
                    return XLAT_DROP(COLATRL_CNT_EG_DROP_UDP_ZERO_CSUM_FRAG);
                udp_full = 1;
            }
        }
    }

    XLAT_WITH_ETHERTYPE(struct eg_ip6_frag) x = {.proto = bpf_htons(ETH_P_IPV6)};
    __u32 hlen = eg_build_ip6(v, l4_len, &x.h);
    eg_outer_addrs(&x.h.ip6, cfg, v->daddr);

    __s32 delta = (__s32)(hlen - XLAT_IPV6_HLEN) - (__s32)(v->hlen - XLAT_IPV4_HLEN);
    __u32 r = eg_reshape(skb, delta);
    if (r)
        return r;
    if (xlat_store_l3_front(skb, l2_len, x,
                            hlen == XLAT_IPV6_HLEN ? XLAT_IPV6_HLEN : sizeof(x.h)))
        return XLAT_DROP(COLATRL_CNT_EG_DROP_HELPER);

    const __u32 l4 = l2_len + hlen;
    if (udp_full) {
        /* IPv6 forbids UDP checksum 0 (RFC 8200 §8.1): compute the real one
         * (RFC 7915 §4.5 option b); the field is zero, so it adds nothing. */
        __s64 sum = xlat_csum_skb_sum(skb, l4, l4_len, xlat_pseudo6_sum(&x.h.ip6, l4_len,
                                                                         IPPROTO_UDP));
        if (sum < 0)
            return XLAT_DROP(COLATRL_CNT_EG_DROP_HELPER);
        __u16 c = xlat_csum_fold((__u32)sum);
        if (c == 0)
            c = 0xffff;
        if (bpf_skb_store_bytes(skb, l4 + csum_field, &c, 2, 0))
            return XLAT_DROP(COLATRL_CNT_EG_DROP_HELPER);
    } else if (csum_field && !(cfg->flags & COLATRL_F_CSUM_NEUTRAL)) {
        __u32 diff = xlat_addr_diff(&x.h.ip6, v->saddr, v->daddr, false);
        __u64 flags = BPF_F_PSEUDO_HDR;
        if (v->proto == IPPROTO_UDP)
            flags |= BPF_F_MARK_MANGLED_0;
        if (bpf_l4_csum_replace(skb, l4 + csum_field, 0, diff, flags))
            return XLAT_DROP(COLATRL_CNT_EG_DROP_HELPER);
    }

    if (v->is_frag)
        return XLAT_DONE2(COLATRL_CNT_EG_XLAT, COLATRL_CNT_EG_XLAT_FRAGMENT);
    return XLAT_DONE(COLATRL_CNT_EG_XLAT);
}

/* ICMPv4 Echo Request/Reply -> ICMPv6 128/129 (RFC 7915 §4.2). */
static __always_inline __u32 eg_xlat_echo(struct __sk_buff *skb, const __u32 l2_len,
                                          const struct colatrl_config *cfg,
                                          const struct eg_v4 *v, const struct icmphdr *ic)
{
    const __u16 l4_len = (__u16)(v->tot_len - v->hlen);
    XLAT_WITH_ETHERTYPE(struct ipv6hdr) x = {.proto = bpf_htons(ETH_P_IPV6)};
    struct ipv6hdr *ip6 = &x.h;
    eg_fill_ip6(v, l4_len, ip6); /* never a fragment here */
    eg_outer_addrs(ip6, cfg, v->daddr);

    __u32 r = eg_reshape(skb, -(__s32)(v->hlen - XLAT_IPV4_HLEN));
    if (r)
        return r;
    __u8 word[2] = {xlat_echo_4to6(ic->type), ic->code};
    __u16 old_word, new_word;
    __builtin_memcpy(&old_word, ic, 2);
    __builtin_memcpy(&new_word, word, 2);
    __u32 diff =
        xlat_echo_diff(old_word, new_word, xlat_pseudo6_sum(ip6, l4_len, IPPROTO_ICMPV6), true);
    const __u32 l4 = l2_len + XLAT_IPV6_HLEN;
    if (xlat_store_l3_front(skb, l2_len, x, XLAT_IPV6_HLEN) ||
        bpf_skb_store_bytes(skb, l4, word, 1, 0) ||
        bpf_l4_csum_replace(skb, l4 + offsetof(struct icmp6hdr, icmp6_cksum), 0, diff,
                            BPF_F_PSEUDO_HDR))
        return XLAT_DROP(COLATRL_CNT_EG_DROP_HELPER);
    return XLAT_DONE(COLATRL_CNT_EG_XLAT);
}

/* The checksum of the embedded transport header of an ICMP error follows the
 * inner addresses (incrementally: the embedded packet is usually cut short). */
static __always_inline __u32 eg_fix_inner_l4(struct __sk_buff *skb,
                                             const struct colatrl_config *cfg,
                                             const struct eg_v4 *in,
                                             const struct ipv6hdr *in6,
                                             const struct icmphdr *inner_icmp, __u32 at,
                                             __u32 avail)
{
    if (in->frag_off != 0)
        return XLAT_CONTINUE;
    if (in->proto == IPPROTO_ICMP) {
        __u8 word[2] = {xlat_echo_4to6(inner_icmp->type), inner_icmp->code};
        __u16 old_word, new_word;
        __builtin_memcpy(&old_word, inner_icmp, 2);
        __builtin_memcpy(&new_word, word, 2);
        __u32 pseudo = xlat_pseudo6_sum(in6, (__u32)(in->tot_len - in->hlen), IPPROTO_ICMPV6);
        __u16 c = xlat_csum_update(inner_icmp->checksum,
                                   xlat_echo_diff(old_word, new_word, pseudo, true));
        if (bpf_skb_store_bytes(skb, at, word, 1, 0) ||
            bpf_skb_store_bytes(skb, at + offsetof(struct icmp6hdr, icmp6_cksum), &c, 2, 0))
            return XLAT_DROP(COLATRL_CNT_EG_DROP_HELPER);
    } else if ((in->proto == IPPROTO_TCP || in->proto == IPPROTO_UDP) &&
               !(cfg->flags & COLATRL_F_CSUM_NEUTRAL)) {
        __u32 off = in->proto == IPPROTO_TCP ? offsetof(struct tcphdr, check)
                                             : offsetof(struct udphdr, check);
        __u16 c;
        /* a TCP checksum past the quoted bytes cannot be fixed: leave it */
        if (off + 2 <= avail && !bpf_skb_load_bytes(skb, at + off, &c, 2) &&
            !(in->proto == IPPROTO_UDP && c == 0)) {
            c = xlat_csum_update(c, xlat_addr_diff(in6, in->saddr, in->daddr, false));
            if (in->proto == IPPROTO_UDP && c == 0)
                c = 0xffff;
            if (bpf_skb_store_bytes(skb, at + off, &c, 2, 0))
                return XLAT_DROP(COLATRL_CNT_EG_DROP_HELPER);
        }
    }
    return XLAT_CONTINUE;
}

/*
 * ICMPv4 error -> ICMPv6 error with its embedded packet translated too
 * (RFC 7915 §4.3). The embedded packet came TO us: its source is a remote
 * IPv4 host (PREF64-embedded) and its destination our CLAT IPv4 address.
 */
static __always_inline __u32 eg_xlat_icmp_error(struct __sk_buff *skb, const __u32 l2_len,
                                                const struct colatrl_config *cfg,
                                                const struct eg_v4 *v,
                                                const struct icmphdr *ic)
{
    const __u32 icmp_old = l2_len + v->hlen;
    __u32 msg4 = (__u32)(v->tot_len - v->hlen); /* ICMPv4 message length */
    const __u32 inner_old = icmp_old + XLAT_ICMP_HLEN;
    const __u32 rest4 = bpf_ntohl(ic->un.gateway);

    /* The ICMPv6 checksum is computed afresh over the new message: check the
     * old one first, so a corrupted error is not passed on as a valid one. */
    __s64 sum4 = xlat_csum_skb_sum(skb, icmp_old, msg4, 0);
    if (sum4 < 0)
        return XLAT_DROP(COLATRL_CNT_EG_DROP_HELPER);
    if (xlat_csum_fold((__u32)sum4) != 0)
        return XLAT_DROP(COLATRL_CNT_EG_DROP_ICMP_CSUM);

    struct iphdr ih;
    struct eg_v4 in = {};
    if (msg4 < XLAT_ICMP_HLEN + XLAT_IPV4_HLEN ||
        bpf_skb_load_bytes(skb, inner_old, &ih, sizeof(ih)) || eg_parse_v4(&ih, &in))
        return XLAT_DROP(COLATRL_CNT_EG_DROP_ICMP_INNER);
    /* RFC 4884 §4.1: the length (32-bit words) is the second octet of the
     * unused word. Extensions are not translated. */
    msg4 = XLAT_ICMP_HLEN + xlat_icmp_quoted_len(msg4, (rest4 >> 16) & 0xff, 4);
    const __u32 inner_avail = msg4 - XLAT_ICMP_HLEN; /* bytes of the embedded packet */
    if (in.hlen > inner_avail || in.tot_len < in.hlen || in.daddr != cfg->clat_v4)
        return XLAT_DROP(COLATRL_CNT_EG_DROP_ICMP_INNER);
    const __u32 inner_l4_avail = inner_avail - in.hlen;
    /* RFC 792: the first 8 bytes of the embedded transport header are there. */
    if (in.frag_off == 0 && inner_l4_avail < 8)
        return XLAT_DROP(COLATRL_CNT_EG_DROP_ICMP_INNER);

    struct icmphdr inner_icmp = {};
    if (in.frag_off == 0 && in.proto == IPPROTO_ICMP) {
        if (bpf_skb_load_bytes(skb, inner_old + in.hlen, &inner_icmp, sizeof(inner_icmp)))
            return XLAT_DROP(COLATRL_CNT_EG_DROP_ICMP_INNER);
        /* RFC 7915 §4.3: one level only; an error about an error is dropped. */
        if (inner_icmp.type != ICMP_ECHO && inner_icmp.type != ICMP_ECHOREPLY)
            return XLAT_DROP(COLATRL_CNT_EG_DROP_ICMP_INNER);
    }

    XLAT_WITH_ETHERTYPE(struct eg_icmp_err_hdrs) x = {.proto = bpf_htons(ETH_P_IPV6)};
    __u32 word6;
    if (xlat_icmp_err_4to6(ic->type, ic->code, rest4, in.tot_len, cfg->ipv6_mtu,
                           &x.h.icmp6.icmp6_type, &x.h.icmp6.icmp6_code, &word6))
        return XLAT_DROP(COLATRL_CNT_EG_DROP_ICMP_TYPE);
    x.h.icmp6.icmp6_dataun.un_data32[0] = bpf_htonl(word6);

    /* Inner header: addresses reversed with respect to the outer packet. */
    __u32 inner_hlen = eg_build_ip6(&in, (__u16)(in.tot_len - in.hlen), &x.h.inner);
    xlat_pref64_embed(&x.h.inner.ip6.saddr, cfg, in.saddr);
    __builtin_memcpy(&x.h.inner.ip6.daddr, cfg->clat_v6, 16);

    /* New message: ICMPv6 header + inner IPv6 header(s) + the rest as is,
     * cut to fit 1280 bytes. */
    __u32 msg6_full = msg4 - in.hlen + inner_hlen;
    __u32 msg6 = msg6_full > EG_ICMP6_ERR_MAX_PAYLOAD ? EG_ICMP6_ERR_MAX_PAYLOAD : msg6_full;
    eg_fill_ip6(v, (__u16)msg6, &x.h.ip6); /* never a fragment here */
    eg_outer_addrs(&x.h.ip6, cfg, v->daddr);

    /* Region after the IPv4 base header: options + ICMPv4 header + inner IPv4
     * header become ICMPv6 header + inner IPv6 header(s). */
    __s32 delta = (__s32)inner_hlen - (__s32)in.hlen - (__s32)(v->hlen - XLAT_IPV4_HLEN);
    __u32 r = eg_reshape(skb, delta);
    if (r)
        return r;
    const __u32 icmp6 = l2_len + XLAT_IPV6_HLEN;
    if (xlat_store_l3_front(skb, l2_len, x,
                            inner_hlen == XLAT_IPV6_HLEN ? sizeof(x.h) - XLAT_FRAG_HLEN
                                                         : sizeof(x.h)))
        return XLAT_DROP(COLATRL_CNT_EG_DROP_HELPER);

    r = eg_fix_inner_l4(skb, cfg, &in, &x.h.inner.ip6, &inner_icmp,
                        icmp6 + XLAT_ICMP_HLEN + inner_hlen, inner_l4_avail);
    if (r)
        return r;

    /* Cut RFC 4884 extensions / anything past 1280 bytes. */
    const __u32 want = icmp6 + msg6;
    if (skb->len > want && bpf_skb_change_tail(skb, want, 0))
        return XLAT_DROP(COLATRL_CNT_EG_DROP_HELPER);

    /* ICMPv6 checksum over the whole new message + pseudo header (checksum
     * field is zero from the header store above). */
    __s64 sum = xlat_csum_skb_sum(skb, icmp6, msg6, xlat_pseudo6_sum(&x.h.ip6, msg6,
                                                                      IPPROTO_ICMPV6));
    if (sum < 0)
        return XLAT_DROP(COLATRL_CNT_EG_DROP_HELPER);
    __u16 c = xlat_csum_fold((__u32)sum);
    if (bpf_skb_store_bytes(skb, icmp6 + offsetof(struct icmp6hdr, icmp6_cksum), &c, 2, 0))
        return XLAT_DROP(COLATRL_CNT_EG_DROP_HELPER);

    return XLAT_DONE2(COLATRL_CNT_EG_XLAT, COLATRL_CNT_EG_XLAT_ICMP_ERROR);
}

static __always_inline __u32 eg_xlat_icmp(struct __sk_buff *skb, const __u32 l2_len,
                                          const struct colatrl_config *cfg, const struct eg_v4 *v,
                                          const __u8 *l4_hdr)
{
    /* RFC 7915 §1.2: fragmented ICMP is not translated (no whole-message
     * checksum possible). */
    if (v->is_frag)
        return XLAT_DROP(COLATRL_CNT_EG_DROP_ICMP_FRAGMENTED);
    if (skb->gso_size)
        return XLAT_DROP(COLATRL_CNT_EG_DROP_GSO);
    struct icmphdr ic;
    if (v->tot_len - v->hlen < XLAT_ICMP_HLEN)
        return XLAT_DROP(COLATRL_CNT_EG_DROP_MALFORMED);
    if (l4_hdr)
        __builtin_memcpy(&ic, l4_hdr, sizeof(ic));
    else if (bpf_skb_load_bytes(skb, l2_len + v->hlen, &ic, sizeof(ic)))
        return XLAT_DROP(COLATRL_CNT_EG_DROP_MALFORMED);
    switch (ic.type) {
    case ICMP_ECHO:
    case ICMP_ECHOREPLY:
        return eg_xlat_echo(skb, l2_len, cfg, v, &ic);
    case ICMP_DEST_UNREACH:
    case ICMP_TIME_EXCEEDED:
    case ICMP_PARAMETERPROB:
        return eg_xlat_icmp_error(skb, l2_len, cfg, v, &ic);
    default:
        /* timestamp, information, address mask, router adv/sol, source
         * quench, redirect, alternate host, unknown: RFC 7915 §4.2 drops */
        return XLAT_DROP(COLATRL_CNT_EG_DROP_ICMP_TYPE);
    }
}

/* Destinations that never leave a host (RFC 1812 §5.3.7 / RFC 7915 §4.1):
 * 0/8, 127/8, multicast and above. Host byte order. */
static __always_inline bool eg_bad_dst(__u32 dst)
{
    __u32 o1 = dst >> 24;
    return o1 == 0 || o1 == 127 || o1 >= 224;
}

/*
 * IPv4 not from the CLAT, or ARP (h NULL), on an uplink that carries no other
 * IPv4 (COLATRL_F_IPV6_ONLY): true = drop it rather than let it leave.
 * Kept: frames of a VLAN on top of the uplink (tag still in the skb: another
 * link with its own IPv4), and DHCPv4 client messages, which have source
 * 0.0.0.0 until the client holds an address (RFC 2131 §4.1): a DHCP server
 * appearing on the link must still be able to hand out native IPv4 (or say
 * "IPv6-only preferred", RFC 8925). Only called on the not-translated path.
 */
static __always_inline bool eg_ipv6_only_drop(struct __sk_buff *skb, const __u32 l2_len,
                                              const struct colatrl_config *cfg,
                                              const struct iphdr *h)
{
    if (!(cfg->flags & COLATRL_F_IPV6_ONLY) || skb->vlan_present)
        return false;
    if (h && h->saddr == 0 && h->protocol == IPPROTO_UDP &&
        !(h->frag_off & bpf_htons(IP_OFFSET))) {
        __be16 dport;
        if (!bpf_skb_load_bytes(skb, l2_len + h->ihl * 4u + offsetof(struct udphdr, dest),
                                &dport, sizeof(dport)) &&
            dport == bpf_htons(67))
            return false;
    }
    return true;
}

static __always_inline __u32 eg_decide(struct __sk_buff *skb, const __u32 l2_len,
                                       const struct colatrl_config *cfg)
{
    if (!cfg)
        return XLAT_PASS(COLATRL_CNT_EG_PASS_NO_CONFIG);
    if (skb->protocol != bpf_htons(ETH_P_IP)) {
        /* Raw-IP links resolve no neighbours: only Ethernet has ARP. */
        if (l2_len && skb->protocol == bpf_htons(ETH_P_ARP) &&
            eg_ipv6_only_drop(skb, l2_len, cfg, NULL))
            return XLAT_DROP(COLATRL_CNT_EG_DROP_ARP);
        return XLAT_PASS(COLATRL_CNT_EG_PASS_NOT_IPV4);
    }

    /* Straight from the linear data when it is there (one helper call
     * less, docs/datapath-cost.md); IPv4 header and transport header start. */
    struct eg_front f;
    bool have_l4 = xlat_peek(skb, l2_len, &f, sizeof(f));
    struct eg_v4 v = {};
    if ((!have_l4 && bpf_skb_load_bytes(skb, l2_len, &f.ip, sizeof(f.ip))) || f.ip.version != 4)
        return XLAT_DROP(COLATRL_CNT_EG_DROP_MALFORMED);
    if (f.ip.saddr != cfg->clat_v4) {
        if (eg_ipv6_only_drop(skb, l2_len, cfg, &f.ip))
            return XLAT_DROP(COLATRL_CNT_EG_DROP_NOT_CLAT_SRC);
        return XLAT_PASS(COLATRL_CNT_EG_PASS_NOT_CLAT_SRC);
    }
    /* IPv4 BIG TCP (Total Length 0, size from the skb) has no IPv6 form
     * without a jumbo payload option. */
    if (skb->gso_size && f.ip.tot_len == 0)
        return XLAT_DROP(COLATRL_CNT_EG_DROP_GSO);
    if (eg_parse_v4(&f.ip, &v) || v.tot_len < v.hlen || l2_len + v.tot_len > skb->len)
        return XLAT_DROP(COLATRL_CNT_EG_DROP_MALFORMED);

    __u32 dst = bpf_ntohl(v.daddr);
    if (eg_bad_dst(dst))
        return XLAT_DROP(COLATRL_CNT_EG_DROP_BAD_DST);
    if (xlat_non_global_forbidden(cfg, dst))
        return XLAT_DROP(COLATRL_CNT_EG_DROP_NON_GLOBAL);

    if (v.hlen > XLAT_IPV4_HLEN) {
        struct eg_ip4_opts opt = {};
        /* 64-bit and kept in one register: the verifier must see the bound
         * on the very register passed as the length */
        __u64 optlen = v.hlen - XLAT_IPV4_HLEN;
        asm volatile("" : "+r"(optlen));
        if (optlen == 0 || optlen > sizeof(opt.b) ||
            bpf_skb_load_bytes(skb, l2_len + XLAT_IPV4_HLEN, opt.b, optlen))
            return XLAT_DROP(COLATRL_CNT_EG_DROP_MALFORMED);
        int sr = eg_has_source_route(&opt, (__u32)optlen);
        if (sr < 0)
            return XLAT_DROP(COLATRL_CNT_EG_DROP_MALFORMED);
        if (sr > 0)
            return XLAT_DROP(COLATRL_CNT_EG_DROP_SOURCE_ROUTE);
    }

    /* Bytes past Total Length (padding) would end up inside the IPv6
     * payload: cut them first. */
    if (skb->len > l2_len + v.tot_len) {
        if (skb->gso_size || bpf_skb_change_tail(skb, l2_len + v.tot_len, 0))
            return XLAT_DROP(COLATRL_CNT_EG_DROP_MALFORMED);
    }

    /* The 8 bytes read with the header are the transport header's only when
     * no options sit between. */
    const __u8 *l4_hdr = have_l4 && v.hlen == XLAT_IPV4_HLEN ? f.l4 : NULL;
    switch (v.proto) {
    case IPPROTO_IGMP:
        /* RFC 7915 §4.2: single-hop, SHOULD be dropped */
        return XLAT_DROP(COLATRL_CNT_EG_DROP_IGMP);
    case IPPROTO_ICMP:
        return eg_xlat_icmp(skb, l2_len, cfg, &v, l4_hdr);
    case IPPROTO_HOPOPTS:
    case IPPROTO_ROUTING:
    case IPPROTO_FRAGMENT:
    case IPPROTO_DSTOPTS:
        /* Copied into Next Header (RFC 7915 §4.1) these would make IPv6
         * receivers parse the IPv4 payload as an extension header chain. */
        return XLAT_DROP(COLATRL_CNT_EG_DROP_MALFORMED);
    default:
        return eg_xlat_plain(skb, l2_len, cfg, &v, l4_hdr);
    }
}

/* l2_len: ETH_HLEN for Ethernet uplinks, 0 for raw-IP ones. */
static __always_inline int xlat_egress(struct __sk_buff *skb, const __u32 l2_len)
{
    const __u32 entry_len = skb->len;
    __u32 slot;
    const struct colatrl_config *cfg = xlat_config(skb, &slot);
    return xlat_exit(skb, slot, eg_decide(skb, l2_len, cfg), entry_len);
}

#endif /* COLATRL_XLAT_EGRESS_H */

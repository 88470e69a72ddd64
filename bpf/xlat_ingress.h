/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ingress translator IPv6 -> IPv4 (RFC 7915 §5), rewriting the packet in
 * place. Headers are read with bpf_skb_load_bytes into stack copies and
 * written back with bpf_skb_store_bytes, so no packet pointer has to survive
 * the helpers that resize the packet.
 *
 * Shape of the rewrite:
 *   plain:      [L2][IPv6 40][ext E][L4 ...]              -> [L2][IPv4 20][L4 ...]
 *   ICMP error: [L2][IPv6][E][ICMPv6 8][IPv6 40][ext IE][L4 ...]
 *            -> [L2][IPv4][ICMPv4 8][IPv4 20][L4 ...] (cut to 576 bytes)
 * bpf_skb_adjust_room(NET) removes bytes right after the 40-byte base header,
 * bpf_skb_change_proto removes 20 more right after L2; then the new headers
 * are stored at the front.
 */
#ifndef COLATRL_XLAT_INGRESS_H
#define COLATRL_XLAT_INGRESS_H

#include "xlat_common.h"

#define IN_MAX_EXT_HDRS 4          /* extension headers walked before giving up */
#define IN_DF_LIMIT 1260           /* RFC 7915 §5.1: <= 1260 bytes -> DF = 0 */
#define IN_ICMP4_ERR_MAX 576       /* RFC 1812 §4.3.2.3 size of an ICMPv4 error */

#define IN_IP6_HOPOPTS 0
#define IN_IP6_ROUTING 43
#define IN_IP6_FRAGMENT 44
#define IN_IP6_ESP 50
#define IN_IP6_AH 51
#define IN_IP6_ICMP 58
#define IN_IP6_DSTOPTS 60

#define IN_ICMP6_DEST_UNREACH 1
#define IN_ICMP6_PKT_TOOBIG 2
#define IN_ICMP6_TIME_EXCEED 3
#define IN_ICMP6_PARAMPROB 4
#define IN_ICMP6_ECHO_REQUEST 128
#define IN_ICMP6_ECHO_REPLY 129

/* The IPv6 fixed header as bytes (no bitfields: layout is explicit). */
struct in_ip6 {
    __u8 vtc;      /* version(4) | traffic class high nibble */
    __u8 tcfl;     /* traffic class low nibble | flow label */
    __be16 flow;
    __be16 plen;
    __u8 nexthdr;
    __u8 hop_limit;
    __u8 saddr[16];
    __u8 daddr[16];
};

struct in_ip4 {
    __u8 vihl;
    __u8 tos;
    __be16 tot_len;
    __be16 id;
    __be16 frag_off;
    __u8 ttl;
    __u8 protocol;
    __u16 check;
    __be32 saddr;
    __be32 daddr;
};

/* Outer IPv4 + ICMPv4 header + inner IPv4: the front of a translated error. */
struct in_err4 {
    struct in_ip4 ip;
    struct xlat_icmp4hdr icmp;
    struct in_ip4 inner;
};

/* Result of walking the IPv6 extension headers. */
struct in_walk {
    __u32 l4_off;    /* absolute offset of the upper-layer header */
    __u32 ext_len;   /* bytes of extension headers (incl. a fragment header) */
    __u16 frag_off;  /* fragment offset in 8-byte units */
    __u16 frag_id;   /* low 16 bits of the fragment Identification */
    __u8 proto;      /* upper-layer protocol */
    __u8 has_frag;
    __u8 frag_more;
    __u8 rt_pending; /* a routing header with Segments Left != 0 was seen */
};

#define IN_OK (-1)

static __always_inline bool in_addr6_eq(const __u8 *a, const __u8 *b)
{
    __u64 a0, a1, b0, b1;
    __builtin_memcpy(&a0, a, 8);
    __builtin_memcpy(&a1, a + 8, 8);
    __builtin_memcpy(&b0, b, 8);
    __builtin_memcpy(&b1, b + 8, 8);
    return a0 == b0 && a1 == b1;
}

/* Extension headers that may not follow a fragment header (RFC 7915 §5.1.1:
 * anything but ESP, AH included). */
static __always_inline bool in_is_ext_hdr(__u8 nh)
{
    return nh == IN_IP6_HOPOPTS || nh == IN_IP6_ROUTING || nh == IN_IP6_FRAGMENT ||
           nh == IN_IP6_AH || nh == IN_IP6_DSTOPTS || nh == 135 || nh == 139 || nh == 140 ||
           nh == 253 || nh == 254;
}

/*
 * Walk extension headers from `off` (right after a 40-byte IPv6 header) up to
 * `end`. Returns IN_OK or the counter id of the reason to drop.
 */
static __always_inline int in_walk_ext(struct __sk_buff *skb, __u32 off, __u32 end, __u8 nh,
                                       struct in_walk *w)
{
    __builtin_memset(w, 0, sizeof(*w));
#pragma unroll
    for (int i = 0; i < IN_MAX_EXT_HDRS + 1; i++) {
        if (nh == IN_IP6_HOPOPTS || nh == IN_IP6_DSTOPTS || nh == IN_IP6_ROUTING) {
            if (w->has_frag)
                return COLATRL_CNT_IN_DROP_EXT_HDR;
            __u8 h[4];
            if (off + 8 > end || bpf_skb_load_bytes(skb, off, h, 4))
                return COLATRL_CNT_IN_DROP_MALFORMED;
            __u32 len = ((__u32)h[1] + 1) * 8;
            if (nh == IN_IP6_ROUTING && h[3] != 0)
                w->rt_pending = 1;
            nh = h[0];
            off += len;
            w->ext_len += len;
        } else if (nh == IN_IP6_FRAGMENT) {
            if (w->has_frag)
                return COLATRL_CNT_IN_DROP_EXT_HDR;
            __u8 f[8];
            if (off + 8 > end || bpf_skb_load_bytes(skb, off, f, 8))
                return COLATRL_CNT_IN_DROP_MALFORMED;
            w->has_frag = 1;
            w->frag_off = (__u16)(((__u16)f[2] << 5) | (f[3] >> 3));
            w->frag_more = f[3] & 1;
            w->frag_id = (__u16)(((__u16)f[6] << 8) | f[7]);
            nh = f[0];
            off += 8;
            w->ext_len += 8;
            if (in_is_ext_hdr(nh))
                return COLATRL_CNT_IN_DROP_EXT_HDR;
        } else {
            if (off > end)
                return COLATRL_CNT_IN_DROP_MALFORMED;
            w->proto = nh;
            w->l4_off = off;
            return IN_OK;
        }
    }
    return COLATRL_CNT_IN_DROP_EXT_HDR; /* chain longer than we walk */
}

static __always_inline __u8 in_tos(const struct in_ip6 *ip6, const struct colatrl_config *cfg)
{
    if (cfg->flags & COLATRL_F_ZERO_TOS)
        return 0;
    return (__u8)((ip6->vtc << 4) | (ip6->tcfl >> 4));
}

static __always_inline void in_ip4_csum(struct in_ip4 *ip)
{
    __u16 w[10];
    __u32 sum = 0;
    ip->check = 0;
    __builtin_memcpy(w, ip, 20);
#pragma unroll
    for (int i = 0; i < 10; i++)
        sum += w[i];
    ip->check = xlat_csum_fold(sum);
}

/* One's-complement sum of the IPv6 pseudo header (RFC 8200 §8.1), in
 * memory byte order like every sum here. */
static __always_inline __u32 in_pseudo6_sum(const struct in_ip6 *ip6, __u32 len, __u8 nh)
{
    __u32 w[8];
    __u32 sum = 0;
    __builtin_memcpy(w, ip6->saddr, 32);
#pragma unroll
    for (int i = 0; i < 8; i++)
        sum = xlat_csum_add(sum, w[i]);
    sum = xlat_csum_add(sum, bpf_htonl(len));
    return xlat_csum_add(sum, bpf_htonl(nh));
}

/* ICMPv6 echo -> ICMPv4 echo checksum: drop the pseudo header, swap the
 * type word. old/new type words and csum in memory byte order. */
static __always_inline __u16 in_icmp_echo_csum(__u16 old_csum, __u32 pseudo, __u16 old_word,
                                               __u16 new_word)
{
    __u32 acc = (__u16)~old_csum;
    acc = xlat_csum_add(acc, ~pseudo);
    acc = xlat_csum_add(acc, (__u16)~old_word);
    acc = xlat_csum_add(acc, new_word);
    return xlat_csum_fold(acc);
}

/* Sum of the address pair change IPv6 (src,dst) -> IPv4 (src,dst), as the
 * difference used for incremental TCP/UDP checksum updates. */
static __always_inline __s64 in_addr_diff(const struct in_ip6 *ip6, __be32 src4, __be32 dst4)
{
    __be32 to[2] = {src4, dst4};
    return bpf_csum_diff((__be32 *)ip6->saddr, 32, to, 8, 0);
}

static __always_inline int in_drop(__u32 slot, int id, __u32 bytes)
{
    xlat_count(slot, (enum colatrl_counter_id)id, bytes);
    return TC_ACT_SHOT;
}

/* Remove the extension headers and turn the 40-byte IPv6 header into room for
 * 20 bytes of IPv4. `extra` = bytes to remove right after the base header. */
static __always_inline int in_shrink(struct __sk_buff *skb, __u32 extra, bool gso)
{
    if (extra) {
        if (bpf_skb_adjust_room(skb, -(__s32)extra, BPF_ADJ_ROOM_NET,
                                BPF_F_ADJ_ROOM_FIXED_GSO))
            return gso ? COLATRL_CNT_IN_DROP_GSO : COLATRL_CNT_IN_DROP_HELPER;
    }
    if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0))
        return gso ? COLATRL_CNT_IN_DROP_GSO : COLATRL_CNT_IN_DROP_HELPER;
    return IN_OK;
}

static __always_inline int in_set_ethertype(struct __sk_buff *skb, __u32 l2_len)
{
    if (l2_len != ETH_HLEN)
        return 0;
    __be16 proto = bpf_htons(ETH_P_IP);
    /* No csum recompute: CHECKSUM_COMPLETE does not cover the MAC header. */
    return bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, 2, 0);
}

/* Fill an IPv4 header for a translated (non-error or inner) packet. */
static __always_inline void in_build_ip4(struct in_ip4 *ip, const struct in_ip6 *ip6,
                                         const struct in_walk *w,
                                         const struct colatrl_config *cfg, __u32 tot_len,
                                         __u32 df_len, __be32 src4, __be32 dst4, bool random_id)
{
    __u16 frag = 0;
    __u16 id = 0;
    if (w->has_frag) {
        /* §5.1.1: DF 0, MF and offset from the fragment header, ID low 16 bits. */
        frag = (__u16)(w->frag_off & 0x1fff);
        if (w->frag_more)
            frag |= 0x2000;
        id = w->frag_id;
    } else if (df_len > IN_DF_LIMIT) {
        frag = 0x4000;
    } else if (random_id) {
        id = (__u16)bpf_get_prandom_u32();
    }
    ip->vihl = 0x45;
    ip->tos = in_tos(ip6, cfg);
    ip->tot_len = bpf_htons((__u16)tot_len);
    ip->id = bpf_htons(id);
    ip->frag_off = bpf_htons(frag);
    ip->ttl = ip6->hop_limit;
    ip->protocol = w->proto == IN_IP6_ICMP ? IPPROTO_ICMP : w->proto;
    ip->saddr = src4;
    ip->daddr = dst4;
    in_ip4_csum(ip);
}

/*
 * TCP, UDP, other transports and ICMP echo: fix the L4 checksum in place,
 * then swap the network header.
 */
static __always_inline int in_xlat_plain(struct __sk_buff *skb, const __u32 l2_len,
                                         const struct colatrl_config *cfg,
                                         const struct in_ip6 *ip6, const struct in_walk *w,
                                         __u32 end, __be32 src4, __u32 skb_len)
{
    __u32 slot = cfg->counter_slot;
    bool gso = skb->gso_size != 0;
    __u32 plen = bpf_ntohs(ip6->plen);
    __u32 tot_len = 20 + plen - w->ext_len;
    __u32 df_len = tot_len;
    bool has_l4 = !w->has_frag || w->frag_off == 0;

    if (tot_len > 0xffff)
        return in_drop(slot, gso ? COLATRL_CNT_IN_DROP_GSO : COLATRL_CNT_IN_DROP_MALFORMED,
                       skb_len);

    if (has_l4 && w->proto == IPPROTO_UDP) {
        __u16 csum;
        if (w->l4_off + 8 > end || bpf_skb_load_bytes(skb, w->l4_off + 6, &csum, 2))
            return in_drop(slot, COLATRL_CNT_IN_DROP_MALFORMED, skb_len);
        /* IPv6 has no "no checksum" UDP (RFC 8200 §8.1). */
        if (csum == 0)
            return in_drop(slot, COLATRL_CNT_IN_DROP_MALFORMED, skb_len);
        if (!(cfg->flags & COLATRL_F_CSUM_NEUTRAL)) {
            __s64 diff = in_addr_diff(ip6, src4, cfg->clat_v4);
            if (bpf_l4_csum_replace(skb, w->l4_off + 6, 0, (__u32)diff,
                                    BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0))
                return in_drop(slot, COLATRL_CNT_IN_DROP_HELPER, skb_len);
        }
    } else if (has_l4 && w->proto == IPPROTO_TCP) {
        __u8 doff;
        if (w->l4_off + 20 > end || bpf_skb_load_bytes(skb, w->l4_off + 12, &doff, 1))
            return in_drop(slot, COLATRL_CNT_IN_DROP_MALFORMED, skb_len);
        if (gso) /* DF by the size of each segment, not of the super-packet */
            df_len = 20 + (__u32)(doff >> 4) * 4 + skb->gso_size;
        if (!(cfg->flags & COLATRL_F_CSUM_NEUTRAL)) {
            __s64 diff = in_addr_diff(ip6, src4, cfg->clat_v4);
            if (bpf_l4_csum_replace(skb, w->l4_off + 16, 0, (__u32)diff, BPF_F_PSEUDO_HDR))
                return in_drop(slot, COLATRL_CNT_IN_DROP_HELPER, skb_len);
        }
    } else if (w->proto == IN_IP6_ICMP) {
        /* Echo only (the caller filtered); ICMP is never fragmented here. */
        __u8 h[4];
        if (w->l4_off + 8 > end || bpf_skb_load_bytes(skb, w->l4_off, h, 4))
            return in_drop(slot, COLATRL_CNT_IN_DROP_MALFORMED, skb_len);
        __u16 old_word, old_csum;
        __builtin_memcpy(&old_word, h, 2);
        __builtin_memcpy(&old_csum, h + 2, 2);
        h[0] = h[0] == IN_ICMP6_ECHO_REQUEST ? XLAT_ICMP_ECHO : XLAT_ICMP_ECHOREPLY;
        __u16 new_word;
        __builtin_memcpy(&new_word, h, 2);
        __u32 pseudo = in_pseudo6_sum(ip6, plen - w->ext_len, IN_IP6_ICMP);
        __u16 c = in_icmp_echo_csum(old_csum, pseudo, old_word, new_word);
        __builtin_memcpy(h + 2, &c, 2);
        if (bpf_skb_store_bytes(skb, w->l4_off, h, 4, BPF_F_RECOMPUTE_CSUM))
            return in_drop(slot, COLATRL_CNT_IN_DROP_HELPER, skb_len);
    }

    struct in_ip4 ip;
    in_build_ip4(&ip, ip6, w, cfg, tot_len, df_len, src4, cfg->clat_v4, true);

    int r = in_shrink(skb, w->ext_len, gso);
    if (r != IN_OK)
        return in_drop(slot, r, skb_len);
    if (bpf_skb_store_bytes(skb, l2_len, &ip, sizeof(ip), BPF_F_RECOMPUTE_CSUM) ||
        in_set_ethertype(skb, l2_len))
        return in_drop(slot, COLATRL_CNT_IN_DROP_HELPER, skb_len);

    xlat_count(slot, COLATRL_CNT_IN_XLAT, skb_len);
    if (w->has_frag && (w->frag_off || w->frag_more))
        xlat_count(slot, COLATRL_CNT_IN_XLAT_FRAGMENT, skb_len);
    return TC_ACT_OK;
}

/* RFC 7915 §5.2 type/code/rest mapping of an ICMPv6 error. Returns false when
 * the message is to be dropped. PTB's MTU is filled in later (it depends on
 * the inner packet). */
static __always_inline bool in_map_icmp_error(__u8 type6, __u8 code6, __u32 rest6,
                                              struct xlat_icmp4hdr *h)
{
    h->rest = 0;
    switch (type6) {
    case IN_ICMP6_DEST_UNREACH:
        h->type = XLAT_ICMP_DEST_UNREACH;
        switch (code6) {
        case 0: case 2: case 3: h->code = 1; break;  /* host unreachable */
        case 1: h->code = 10; break;                 /* host admin prohibited */
        case 4: h->code = 3; break;                  /* port unreachable */
        default: return false;
        }
        return true;
    case IN_ICMP6_PKT_TOOBIG:
        h->type = XLAT_ICMP_DEST_UNREACH;
        h->code = 4;
        return true;
    case IN_ICMP6_TIME_EXCEED:
        if (code6 > 1)
            return false;
        h->type = XLAT_ICMP_TIME_EXCEEDED;
        h->code = code6;
        return true;
    case IN_ICMP6_PARAMPROB:
        if (code6 == 1) { /* unrecognized Next Header -> protocol unreachable */
            h->type = XLAT_ICMP_DEST_UNREACH;
            h->code = 2;
            return true;
        }
        if (code6 != 0)
            return false;
        h->type = XLAT_ICMP_PARAMETERPROB;
        h->code = 0;
        __u32 p4;
        if (rest6 == 0 || rest6 == 1)
            p4 = rest6;
        else if (rest6 == 4 || rest6 == 5)
            p4 = 2;
        else if (rest6 == 6)
            p4 = 9;
        else if (rest6 == 7)
            p4 = 8;
        else if (rest6 >= 8 && rest6 <= 23)
            p4 = 12;
        else if (rest6 >= 24 && rest6 <= 39)
            p4 = 16;
        else
            return false;
        h->rest = bpf_htonl(p4 << 24);
        return true;
    default:
        return false;
    }
}

/* Inner transport header of an ICMP error: checksum field update. Returns
 * IN_OK or a drop reason. Fields that were cut off are left alone. */
static __always_inline int in_fix_inner_l4(struct __sk_buff *skb, const struct colatrl_config *cfg,
                                           const struct in_ip6 *in6, const struct in_walk *iw,
                                           __u32 at, __u32 avail, __be32 dst4)
{
    if (iw->has_frag && iw->frag_off != 0)
        return IN_OK; /* no transport header in a non-first fragment */
    if (iw->proto == IPPROTO_TCP || iw->proto == IPPROTO_UDP) {
        __u32 coff = iw->proto == IPPROTO_TCP ? 16 : 6;
        if (avail < coff + 2 || (cfg->flags & COLATRL_F_CSUM_NEUTRAL))
            return IN_OK;
        __u16 c;
        if (bpf_skb_load_bytes(skb, at + coff, &c, 2))
            return COLATRL_CNT_IN_DROP_HELPER;
        if (iw->proto == IPPROTO_UDP && c == 0)
            return IN_OK;
        __s64 diff = in_addr_diff(in6, cfg->clat_v4, dst4);
        __u32 acc = xlat_csum_add((__u16)~c, (__u32)diff);
        c = xlat_csum_fold(acc);
        if (iw->proto == IPPROTO_UDP && c == 0)
            c = 0xffff;
        if (bpf_skb_store_bytes(skb, at + coff, &c, 2, BPF_F_RECOMPUTE_CSUM))
            return COLATRL_CNT_IN_DROP_HELPER;
        return IN_OK;
    }
    if (iw->proto == IN_IP6_ICMP) {
        __u8 h[4];
        if (avail < 1 || bpf_skb_load_bytes(skb, at, h, avail < 4 ? 1 : 4))
            return COLATRL_CNT_IN_DROP_ICMP_INNER;
        /* Only echo can have left through the CLAT; an error inside an error
         * is forbidden (RFC 7915 §5.3). */
        if (h[0] != IN_ICMP6_ECHO_REQUEST && h[0] != IN_ICMP6_ECHO_REPLY)
            return COLATRL_CNT_IN_DROP_ICMP_INNER;
        __u8 t4 = h[0] == IN_ICMP6_ECHO_REQUEST ? XLAT_ICMP_ECHO : XLAT_ICMP_ECHOREPLY;
        if (avail < 4)
            return bpf_skb_store_bytes(skb, at, &t4, 1, BPF_F_RECOMPUTE_CSUM)
                       ? COLATRL_CNT_IN_DROP_HELPER
                       : IN_OK;
        __u16 old_word, old_csum;
        __builtin_memcpy(&old_word, h, 2);
        __builtin_memcpy(&old_csum, h + 2, 2);
        h[0] = t4;
        __u16 new_word;
        __builtin_memcpy(&new_word, h, 2);
        /* The checksum covered the whole original message: its length is
         * in the inner header, not in what was quoted. */
        __u32 mlen = bpf_ntohs(in6->plen) - iw->ext_len;
        __u16 c = in_icmp_echo_csum(old_csum, in_pseudo6_sum(in6, mlen, IN_IP6_ICMP), old_word,
                                    new_word);
        __builtin_memcpy(h + 2, &c, 2);
        if (bpf_skb_store_bytes(skb, at, h, 4, BPF_F_RECOMPUTE_CSUM))
            return COLATRL_CNT_IN_DROP_HELPER;
    }
    return IN_OK;
}

/* ICMPv6 error -> ICMPv4 error with its inner packet translated (§5.2, §5.3). */
static __always_inline int in_xlat_icmp_error(struct __sk_buff *skb, const __u32 l2_len,
                                              const struct colatrl_config *cfg,
                                              const struct in_ip6 *ip6,
                                              const struct in_walk *w, __u32 end, __be32 src4,
                                              bool foreign, __u32 skb_len)
{
    __u32 slot = cfg->counter_slot;
    __u8 h6[8];
    if (w->l4_off + 8 > end || bpf_skb_load_bytes(skb, w->l4_off, h6, 8))
        return in_drop(slot, COLATRL_CNT_IN_DROP_MALFORMED, skb_len);
    __be32 rest6_be;
    __builtin_memcpy(&rest6_be, h6 + 4, 4);
    __u32 rest6 = bpf_ntohl(rest6_be);

    /* The ICMPv4 checksum is computed afresh below, which would launder a
     * corrupted message: verify the ICMPv6 one first (RFC 7915 §5). */
    __u32 msg6 = end - w->l4_off;
    __s64 sum6 = xlat_csum_skb_sum(skb, w->l4_off, msg6, in_pseudo6_sum(ip6, msg6, IN_IP6_ICMP));
    if (sum6 < 0)
        return in_drop(slot, COLATRL_CNT_IN_DROP_MALFORMED, skb_len);
    if (xlat_csum_fold((__u32)sum6) != 0)
        return in_drop(slot, COLATRL_CNT_IN_DROP_ICMP_CSUM, skb_len);

    struct in_err4 e;
    __builtin_memset(&e, 0, sizeof(e));
    if (!in_map_icmp_error(h6[0], h6[1], rest6, &e.icmp))
        return in_drop(slot, COLATRL_CNT_IN_DROP_ICMP_TYPE, skb_len);

    /* The packet in error: it left through us, so it goes CLAT IPv6 ->
     * PREF64 + IPv4. Anything else is not ours to translate. */
    __u32 inner_off = w->l4_off + 8;
    struct in_ip6 in6;
    if (inner_off + 40 > end || bpf_skb_load_bytes(skb, inner_off, &in6, sizeof(in6)))
        return in_drop(slot, COLATRL_CNT_IN_DROP_ICMP_INNER, skb_len);
    if ((in6.vtc >> 4) != 6 || !in_addr6_eq(in6.saddr, cfg->clat_v6) ||
        !xlat_pref64_match(in6.daddr, cfg))
        return in_drop(slot, COLATRL_CNT_IN_DROP_ICMP_INNER, skb_len);
    __be32 idst4 = xlat_pref64_extract(in6.daddr, cfg->pref64_len);

    struct in_walk iw;
    if (in_walk_ext(skb, inner_off + 40, end, in6.nexthdr, &iw) != IN_OK)
        return in_drop(slot, COLATRL_CNT_IN_DROP_ICMP_INNER, skb_len);
    __u32 iplen = bpf_ntohs(in6.plen);
    if (iplen < iw.ext_len || iplen - iw.ext_len + 20 > 0xffff)
        return in_drop(slot, COLATRL_CNT_IN_DROP_ICMP_INNER, skb_len);

    /* Sizes: the ICMPv6 message shrinks by the 20-byte header difference and
     * the inner extension headers, then is cut to fit 576 bytes. */
    __u32 inner_hdrs = 40 + iw.ext_len;
    __u32 msg4 = msg6 - inner_hdrs + 20;
    if (msg4 > IN_ICMP4_ERR_MAX - 20)
        msg4 = IN_ICMP4_ERR_MAX - 20;

    if (h6[0] == IN_ICMP6_PKT_TOOBIG) {
        /* §5.2: MTU - 20 (28 when the packet in error had a fragment
         * header), capped by our own uplink. */
        __u32 sub = iw.has_frag ? 28 : 20;
        __u32 mtu = rest6 > sub ? rest6 - sub : 0;
        if (cfg->ipv6_mtu > 20 && mtu > (__u32)cfg->ipv6_mtu - 20)
            mtu = (__u32)cfg->ipv6_mtu - 20;
        if (mtu > 0xffff)
            mtu = 0xffff;
        e.icmp.rest = bpf_htonl(mtu);
    }

    __u32 itot = iplen - iw.ext_len + 20;
    in_build_ip4(&e.inner, &in6, &iw, cfg, itot, itot, cfg->clat_v4, idst4, false);
    struct in_walk ow = *w;
    ow.proto = IN_IP6_ICMP;
    ow.has_frag = 0;
    in_build_ip4(&e.ip, ip6, &ow, cfg, 20 + msg4, 20 + msg4, src4, cfg->clat_v4, true);

    /* Cut the old headers: E + ICMPv6 8 + 40 + IE after the base header,
     * leaving 20 + 8 for ICMPv4 + inner IPv4, then 20 more from the base. */
    int r = in_shrink(skb, w->ext_len + 20 + iw.ext_len, false);
    if (r != IN_OK)
        return in_drop(slot, r, skb_len);
    __u32 new_len = l2_len + 20 + msg4;
    if (skb->len != new_len && bpf_skb_change_tail(skb, new_len, 0))
        return in_drop(slot, COLATRL_CNT_IN_DROP_HELPER, skb_len);
    if (bpf_skb_store_bytes(skb, l2_len, &e, sizeof(e), BPF_F_RECOMPUTE_CSUM))
        return in_drop(slot, COLATRL_CNT_IN_DROP_HELPER, skb_len);
    r = in_fix_inner_l4(skb, cfg, &in6, &iw, l2_len + sizeof(e), msg4 - 28, idst4);
    if (r != IN_OK)
        return in_drop(slot, r, skb_len);
    __s64 sum = xlat_csum_skb_sum(skb, l2_len + 20, msg4, 0);
    __u16 c = xlat_csum_fold((__u32)sum);
    if (sum < 0 ||
        bpf_skb_store_bytes(skb, l2_len + 20 + offsetof(struct xlat_icmp4hdr, checksum), &c, 2,
                            BPF_F_RECOMPUTE_CSUM) ||
        in_set_ethertype(skb, l2_len))
        return in_drop(slot, COLATRL_CNT_IN_DROP_HELPER, skb_len);

    xlat_count(slot, COLATRL_CNT_IN_XLAT, skb_len);
    xlat_count(slot, COLATRL_CNT_IN_XLAT_ICMP_ERROR, skb_len);
    if (foreign)
        xlat_count(slot, COLATRL_CNT_IN_XLAT_ICMP_FOREIGN_SRC, skb_len);
    return TC_ACT_OK;
}

/* l2_len: ETH_HLEN for Ethernet uplinks, 0 for raw-IP ones. */
static __always_inline int xlat_ingress(struct __sk_buff *skb, const __u32 l2_len)
{
    const struct colatrl_config *cfg = xlat_config(skb);
    __u32 skb_len = skb->len;
    if (!cfg) {
        xlat_count(COLATRL_SLOT_UNCONFIGURED, COLATRL_CNT_IN_PASS_NO_CONFIG, skb_len);
        return TC_ACT_OK;
    }
    __u32 slot = cfg->counter_slot;
    if (skb->protocol != bpf_htons(ETH_P_IPV6)) {
        xlat_count(slot, COLATRL_CNT_IN_PASS_NOT_IPV6, skb_len);
        return TC_ACT_OK;
    }
    struct in_ip6 ip6;
    if (bpf_skb_load_bytes(skb, l2_len, &ip6, sizeof(ip6)))
        return in_drop(slot, COLATRL_CNT_IN_DROP_MALFORMED, skb_len);
    if (!in_addr6_eq(ip6.daddr, cfg->clat_v6)) {
        xlat_count(slot, COLATRL_CNT_IN_PASS_NOT_CLAT_DST, skb_len);
        return TC_ACT_OK;
    }
    /* Addressed to the CLAT: from here on it is ours to judge. */
    __u32 plen = bpf_ntohs(ip6.plen);
    __u32 end = l2_len + 40 + plen;
    if (plen == 0 && skb->gso_size) /* BIG TCP super-packet: no IPv4 form */
        return in_drop(slot, COLATRL_CNT_IN_DROP_GSO, skb_len);
    if ((ip6.vtc >> 4) != 6 || plen == 0 || end > skb_len)
        return in_drop(slot, COLATRL_CNT_IN_DROP_MALFORMED, skb_len);

    struct in_walk w;
    int r = in_walk_ext(skb, l2_len + 40, end, ip6.nexthdr, &w);
    if (r != IN_OK)
        return in_drop(slot, r, skb_len);

    bool from_pref64 = xlat_pref64_match(ip6.saddr, cfg);
    bool icmp_error = false;
    __u8 icmp_type = 0;
    if (w.proto == IN_IP6_ICMP && !w.has_frag) {
        if (w.l4_off + 8 > end || bpf_skb_load_bytes(skb, w.l4_off, &icmp_type, 1))
            return in_drop(slot, COLATRL_CNT_IN_DROP_MALFORMED, skb_len);
        icmp_error = icmp_type < 128;
    }

    __be32 src4;
    if (from_pref64) {
        src4 = xlat_pref64_extract(ip6.saddr, cfg->pref64_len);
        __u32 h = bpf_ntohl(src4);
        __u32 o1 = h >> 24;
        /* RFC 1812 §5.3.7 / RFC 7915 §5.1: sources no host may have. */
        if (o1 == 0 || o1 == 127 || (o1 >= 224 && o1 < 240) || h == 0xffffffffu)
            return in_drop(slot, COLATRL_CNT_IN_DROP_BAD_SRC, skb_len);
        if ((cfg->flags & COLATRL_F_PREF64_WKP) &&
            !(cfg->flags & COLATRL_F_TRANSLATE_NON_GLOBAL) && xlat_v4_non_global(h))
            return in_drop(slot, COLATRL_CNT_IN_DROP_NON_GLOBAL, skb_len);
    } else if (icmp_error) {
        /* A router on the IPv6 path (RFC 6791 / RFC 7600 dummy source). */
        src4 = bpf_htonl(COLATRL_ICMP_DUMMY_V4);
    } else {
        xlat_count(slot, COLATRL_CNT_IN_PASS_NOT_PREF64_SRC, skb_len);
        return TC_ACT_OK;
    }

    if (w.rt_pending)
        return in_drop(slot, COLATRL_CNT_IN_DROP_ROUTING_HDR, skb_len);
    if (skb->gso_size && w.proto != IPPROTO_TCP)
        return in_drop(slot, COLATRL_CNT_IN_DROP_GSO, skb_len);

    if (w.proto == IN_IP6_ICMP) {
        if (w.has_frag)
            return in_drop(slot, COLATRL_CNT_IN_DROP_ICMP_FRAGMENTED, skb_len);
        if (icmp_error)
            return in_xlat_icmp_error(skb, l2_len, cfg, &ip6, &w, end, src4, !from_pref64,
                                      skb_len);
        if (icmp_type != IN_ICMP6_ECHO_REQUEST && icmp_type != IN_ICMP6_ECHO_REPLY)
            return in_drop(slot, COLATRL_CNT_IN_DROP_ICMP_TYPE, skb_len);
    }
    return in_xlat_plain(skb, l2_len, cfg, &ip6, &w, end, src4, skb_len);
}

#endif /* COLATRL_XLAT_INGRESS_H */

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
 * xlat_reshape removes bytes right after the 40-byte base header, then 20
 * more right after L2; then the new headers are stored at the front. Every
 * step returns a verdict (xlat_common.h); xlat_ingress hands it to xlat_exit.
 */
#ifndef COLATRL_XLAT_INGRESS_H
#define COLATRL_XLAT_INGRESS_H

#include "xlat_common.h"
#include "xlat_icmp.h"

#define IN_MAX_EXT_HDRS 4          /* extension headers walked before giving up */
#define IN_DF_LIMIT 1260           /* RFC 7915 §5.1: <= 1260 bytes -> DF = 0 */
#define IN_ICMP4_ERR_MAX 576       /* RFC 1812 §4.3.2.3 size of an ICMPv4 error */

/* Outer IPv4 + ICMPv4 header + inner IPv4: the front of a translated error. */
struct in_err4 {
    struct iphdr ip;
    struct icmphdr icmp;
    struct iphdr inner;
};

/* The IPv6 base header and the first 16 bytes after it (TCP data offset is
 * byte 12), read in one go. */
struct in_front {
    struct ipv6hdr ip6;
    __u8 l4[16];
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

/* Extension headers that may not follow a fragment header (RFC 7915 §5.1.1:
 * anything but ESP, AH included; RFC 8200 §4 and the IANA list). */
static __always_inline bool in_is_ext_hdr(__u8 nh)
{
    return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT ||
           nh == IPPROTO_AH || nh == IPPROTO_DSTOPTS || nh == IPPROTO_MH ||
           nh == XLAT_IPPROTO_HIP || nh == XLAT_IPPROTO_SHIM6 || nh == XLAT_IPPROTO_EXP1 ||
           nh == XLAT_IPPROTO_EXP2;
}

/*
 * Walk extension headers from `off` (right after a 40-byte IPv6 header) up to
 * `end`. Returns XLAT_CONTINUE or the drop verdict.
 */
static __always_inline __u32 in_walk_ext(struct __sk_buff *skb, __u32 off, __u32 end, __u8 nh,
                                         struct in_walk *w)
{
    __builtin_memset(w, 0, sizeof(*w));
#pragma unroll
    for (int i = 0; i < IN_MAX_EXT_HDRS + 1; i++) {
        if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_DSTOPTS || nh == IPPROTO_ROUTING) {
            if (w->has_frag)
                return XLAT_DROP(COLATRL_CNT_IN_DROP_EXT_HDR);
            struct ipv6_rt_hdr h; /* the first 4 bytes of every such header */
            if (off + 8 > end || bpf_skb_load_bytes(skb, off, &h, sizeof(h)))
                return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
            __u32 len = ((__u32)h.hdrlen + 1) * 8;
            if (nh == IPPROTO_ROUTING && h.segments_left != 0)
                w->rt_pending = 1;
            nh = h.nexthdr;
            off += len;
            w->ext_len += len;
        } else if (nh == IPPROTO_FRAGMENT) {
            if (w->has_frag)
                return XLAT_DROP(COLATRL_CNT_IN_DROP_EXT_HDR);
            struct xlat_frag6 f;
            if (off + XLAT_FRAG_HLEN > end || bpf_skb_load_bytes(skb, off, &f, sizeof(f)))
                return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
            __u16 fo = bpf_ntohs(f.frag_off);
            w->has_frag = 1;
            w->frag_off = fo >> 3;
            w->frag_more = fo & 1;
            w->frag_id = (__u16)bpf_ntohl(f.id);
            nh = f.nexthdr;
            off += XLAT_FRAG_HLEN;
            w->ext_len += XLAT_FRAG_HLEN;
            if (in_is_ext_hdr(nh))
                return XLAT_DROP(COLATRL_CNT_IN_DROP_EXT_HDR);
        } else {
            if (off > end)
                return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
            w->proto = nh;
            w->l4_off = off;
            return XLAT_CONTINUE;
        }
    }
    return XLAT_DROP(COLATRL_CNT_IN_DROP_EXT_HDR); /* chain longer than we walk */
}

static __always_inline __u32 in_reshape(struct __sk_buff *skb, __u32 extra)
{
    return xlat_reshape(skb, -(__s32)extra, BPF_F_ADJ_ROOM_FIXED_GSO, ETH_P_IP,
                        COLATRL_CNT_IN_DROP_GSO, COLATRL_CNT_IN_DROP_HELPER);
}

/* RFC 7915 §5.1 IPv4 header for a translated (non-error or inner) packet;
 * TOS is the Traffic Class copied, the §5.1 default. */
static __always_inline void in_build_ip4(struct iphdr *ip, const struct ipv6hdr *ip6,
                                         const struct in_walk *w, __u32 tot_len, __u32 df_len,
                                         __be32 src4, __be32 dst4, bool random_id)
{
    __u16 frag = 0;
    __u16 id = 0;
    if (w->has_frag) {
        /* §5.1.1: DF 0, MF and offset from the fragment header, ID low 16 bits. */
        frag = (__u16)(w->frag_off & IP_OFFSET);
        if (w->frag_more)
            frag |= IP_MF;
        id = w->frag_id;
    } else if (df_len > IN_DF_LIMIT) {
        frag = IP_DF;
    } else if (random_id) {
        id = (__u16)bpf_get_prandom_u32();
    }
    __u8 tos = xlat_ip6_tclass(ip6);
    __u8 proto = w->proto == IPPROTO_ICMPV6 ? IPPROTO_ICMP : w->proto;
    ip->version = 4;
    ip->ihl = 5;
    ip->tos = tos;
    ip->tot_len = bpf_htons((__u16)tot_len);
    ip->id = bpf_htons(id);
    ip->frag_off = bpf_htons(frag);
    ip->ttl = ip6->hop_limit;
    ip->protocol = proto;
    ip->saddr = src4;
    ip->daddr = dst4;
    /* Header checksum (RFC 791) over the 16-bit words in host order, from the
     * values at hand: reading back the fields just stored byte by byte stalls
     * on store forwarding (docs/datapath-cost.md). */
    __u32 s4 = bpf_ntohl(src4), d4 = bpf_ntohl(dst4);
    __u32 sum = 0x4500u + tos + (__u16)tot_len + id + frag +
                ((__u32)ip6->hop_limit << 8 | proto) + (s4 >> 16) + (s4 & 0xffff) + (d4 >> 16) +
                (d4 & 0xffff);
    ip->check = bpf_htons(xlat_csum_fold(sum));
}

/* The first word (type, code) and checksum of an ICMPv6 echo turned into an
 * ICMPv4 echo; mlen is the whole message's length (pseudo header). */
static __always_inline void in_echo_6to4(struct icmp6hdr *h, const struct ipv6hdr *ip6,
                                         __u32 mlen)
{
    __u16 old_word, new_word;
    __builtin_memcpy(&old_word, h, 2);
    h->icmp6_type = xlat_echo_6to4(h->icmp6_type);
    __builtin_memcpy(&new_word, h, 2);
    h->icmp6_cksum = xlat_csum_update(
        h->icmp6_cksum,
        xlat_echo_diff(old_word, new_word, xlat_pseudo6_sum(ip6, mlen, IPPROTO_ICMPV6), false));
}

/*
 * TCP, UDP, other transports and ICMP echo: fix the L4 checksum in place,
 * then swap the network header.
 */
static __always_inline __u32 in_xlat_plain(struct __sk_buff *skb, const __u32 l2_len,
                                           const struct colatrl_config *cfg,
                                           const struct ipv6hdr *ip6, const struct in_walk *w,
                                           __u32 end, __be32 src4, const __u8 *l4_hdr)
{
    bool gso = skb->gso_size != 0;
    __u32 plen = bpf_ntohs(ip6->payload_len);
    __u32 tot_len = XLAT_IPV4_HLEN + plen - w->ext_len;
    __u32 df_len = tot_len;
    bool has_l4 = !w->has_frag || w->frag_off == 0;

    if (tot_len > 0xffff)
        return XLAT_DROP(gso ? COLATRL_CNT_IN_DROP_GSO : COLATRL_CNT_IN_DROP_MALFORMED);

    if (has_l4 && w->proto == IPPROTO_UDP) {
        __u16 csum;
        if (w->l4_off + sizeof(struct udphdr) > end)
            return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
        if (l4_hdr)
            __builtin_memcpy(&csum, l4_hdr + offsetof(struct udphdr, check), 2);
        else if (bpf_skb_load_bytes(skb, w->l4_off + offsetof(struct udphdr, check), &csum, 2))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
        /* IPv6 has no "no checksum" UDP (RFC 8200 §8.1). */
        if (csum == 0)
            return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
        if (!xlat_csum_neutral_for(cfg, &ip6->saddr) &&
            bpf_l4_csum_replace(skb, w->l4_off + offsetof(struct udphdr, check), 0,
                                xlat_addr_diff(ip6, src4, cfg->clat_v4, true),
                                BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_HELPER);
    } else if (has_l4 && w->proto == IPPROTO_TCP) {
        __u8 doff; /* data offset << 4 */
        if (w->l4_off + sizeof(struct tcphdr) > end)
            return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
        if (l4_hdr)
            doff = l4_hdr[12];
        else if (bpf_skb_load_bytes(skb, w->l4_off + 12, &doff, 1))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
        if (gso) /* DF by the size of each segment, not of the super-packet */
            df_len = XLAT_IPV4_HLEN + (__u32)(doff >> 4) * 4 + skb->gso_size;
        if (!xlat_csum_neutral_for(cfg, &ip6->saddr) &&
            bpf_l4_csum_replace(skb, w->l4_off + offsetof(struct tcphdr, check), 0,
                                xlat_addr_diff(ip6, src4, cfg->clat_v4, true), BPF_F_PSEUDO_HDR))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_HELPER);
    } else if (w->proto == IPPROTO_ICMPV6) {
        /* Echo only (the caller filtered); ICMP is never fragmented here. */
        struct icmp6hdr h;
        if (w->l4_off + XLAT_ICMP_HLEN > end)
            return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
        if (l4_hdr)
            __builtin_memcpy(&h, l4_hdr, 4);
        else if (bpf_skb_load_bytes(skb, w->l4_off, &h, 4))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
        in_echo_6to4(&h, ip6, plen - w->ext_len);
        if (bpf_skb_store_bytes(skb, w->l4_off, &h, 4, BPF_F_RECOMPUTE_CSUM))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_HELPER);
    }

    struct iphdr ip;
    in_build_ip4(&ip, ip6, w, tot_len, df_len, src4, cfg->clat_v4, true);

    __u32 r = in_reshape(skb, w->ext_len);
    if (r)
        return r;
    if (bpf_skb_store_bytes(skb, l2_len, &ip, sizeof(ip), BPF_F_RECOMPUTE_CSUM) ||
        xlat_set_ethertype(skb, l2_len, ETH_P_IP))
        return XLAT_DROP(COLATRL_CNT_IN_DROP_HELPER);

    if (w->has_frag && (w->frag_off || w->frag_more))
        return XLAT_DONE2(COLATRL_CNT_IN_XLAT, COLATRL_CNT_IN_XLAT_FRAGMENT);
    return XLAT_DONE(COLATRL_CNT_IN_XLAT);
}

/* Inner transport header of an ICMP error: checksum field update. Fields
 * that were cut off are left alone. */
static __always_inline __u32 in_fix_inner_l4(struct __sk_buff *skb,
                                             const struct colatrl_config *cfg,
                                             const struct ipv6hdr *in6, const struct in_walk *iw,
                                             __u32 at, __u32 avail, __be32 dst4)
{
    if (iw->has_frag && iw->frag_off != 0)
        return XLAT_CONTINUE; /* no transport header in a non-first fragment */
    if (iw->proto == IPPROTO_TCP || iw->proto == IPPROTO_UDP) {
        __u32 coff = iw->proto == IPPROTO_TCP ? offsetof(struct tcphdr, check)
                                              : offsetof(struct udphdr, check);
        if (avail < coff + 2 || xlat_csum_neutral_for(cfg, &in6->daddr))
            return XLAT_CONTINUE;
        __u16 c;
        if (bpf_skb_load_bytes(skb, at + coff, &c, 2))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_HELPER);
        if (iw->proto == IPPROTO_UDP && c == 0)
            return XLAT_CONTINUE;
        c = xlat_csum_update(c, xlat_addr_diff(in6, cfg->clat_v4, dst4, true));
        if (iw->proto == IPPROTO_UDP && c == 0)
            c = 0xffff;
        if (bpf_skb_store_bytes(skb, at + coff, &c, 2, BPF_F_RECOMPUTE_CSUM))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_HELPER);
        return XLAT_CONTINUE;
    }
    if (iw->proto == IPPROTO_ICMPV6) {
        struct icmp6hdr h;
        if (avail < 1 || bpf_skb_load_bytes(skb, at, &h, avail < 4 ? 1 : 4))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_ICMP_INNER);
        /* Only echo can have left through the CLAT; an error inside an error
         * is forbidden (RFC 7915 §5.3). */
        if (h.icmp6_type != ICMPV6_ECHO_REQUEST && h.icmp6_type != ICMPV6_ECHO_REPLY)
            return XLAT_DROP(COLATRL_CNT_IN_DROP_ICMP_INNER);
        if (avail < 4) {
            __u8 t4 = xlat_echo_6to4(h.icmp6_type);
            return bpf_skb_store_bytes(skb, at, &t4, 1, BPF_F_RECOMPUTE_CSUM)
                       ? XLAT_DROP(COLATRL_CNT_IN_DROP_HELPER)
                       : XLAT_CONTINUE;
        }
        /* The checksum covered the whole original message: its length is
         * in the inner header, not in what was quoted. */
        in_echo_6to4(&h, in6, bpf_ntohs(in6->payload_len) - iw->ext_len);
        if (bpf_skb_store_bytes(skb, at, &h, 4, BPF_F_RECOMPUTE_CSUM))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_HELPER);
    }
    return XLAT_CONTINUE;
}

/* ICMPv6 error -> ICMPv4 error with its inner packet translated (§5.2, §5.3). */
static __always_inline __u32 in_xlat_icmp_error(struct __sk_buff *skb, const __u32 l2_len,
                                                const struct colatrl_config *cfg,
                                                const struct ipv6hdr *ip6,
                                                const struct in_walk *w, __u32 end, __be32 src4,
                                                bool foreign)
{
    struct icmp6hdr h6;
    if (w->l4_off + XLAT_ICMP_HLEN > end || bpf_skb_load_bytes(skb, w->l4_off, &h6, sizeof(h6)))
        return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
    __u32 rest6 = bpf_ntohl(h6.icmp6_dataun.un_data32[0]);

    /* The ICMPv4 checksum is computed afresh below, which would launder a
     * corrupted message: verify the ICMPv6 one first (RFC 7915 §5). */
    __u32 msg6 = end - w->l4_off;
    __s64 sum6 = xlat_csum_skb_sum(skb, w->l4_off, msg6,
                                   xlat_pseudo6_sum(ip6, msg6, IPPROTO_ICMPV6));
    if (sum6 < 0)
        return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
    if (xlat_csum_fold((__u32)sum6) != 0)
        return XLAT_DROP(COLATRL_CNT_IN_DROP_ICMP_CSUM);

    struct in_err4 e;
    __builtin_memset(&e, 0, sizeof(e));
    __u32 word4;
    if (xlat_icmp_err_6to4(h6.icmp6_type, h6.icmp6_code, rest6, &e.icmp.type, &e.icmp.code,
                           &word4))
        return XLAT_DROP(COLATRL_CNT_IN_DROP_ICMP_TYPE);

    /* RFC 4884 §4.5: Destination Unreachable and Time Exceeded carry the
     * length of the original datagram (64-bit words) in their first octet
     * after the checksum; the extension after it is not translated. */
    if (h6.icmp6_type == ICMPV6_DEST_UNREACH || h6.icmp6_type == ICMPV6_TIME_EXCEED)
        msg6 = XLAT_ICMP_HLEN + xlat_icmp_quoted_len(msg6, rest6 >> 24, 8);

    /* The packet in error: it left through us, so it goes CLAT IPv6 ->
     * PREF64 + IPv4. Anything else is not ours to translate. */
    __u32 inner_off = w->l4_off + XLAT_ICMP_HLEN;
    __u32 inner_end = w->l4_off + msg6;
    struct ipv6hdr in6;
    if (inner_off + XLAT_IPV6_HLEN > inner_end ||
        bpf_skb_load_bytes(skb, inner_off, &in6, sizeof(in6)))
        return XLAT_DROP(COLATRL_CNT_IN_DROP_ICMP_INNER);
    if (in6.version != 6 || !xlat_addr6_eq(&in6.saddr, cfg->clat_v6) ||
        !xlat_pref64_match(&in6.daddr, cfg))
        return XLAT_DROP(COLATRL_CNT_IN_DROP_ICMP_INNER);
    __be32 idst4 = xlat_pref64_extract(&in6.daddr, cfg->pref64_len);

    struct in_walk iw;
    if (in_walk_ext(skb, inner_off + XLAT_IPV6_HLEN, inner_end, in6.nexthdr, &iw))
        return XLAT_DROP(COLATRL_CNT_IN_DROP_ICMP_INNER);
    __u32 iplen = bpf_ntohs(in6.payload_len);
    if (iplen < iw.ext_len || iplen - iw.ext_len + XLAT_IPV4_HLEN > 0xffff)
        return XLAT_DROP(COLATRL_CNT_IN_DROP_ICMP_INNER);

    /* Sizes: the ICMPv6 message shrinks by the 20-byte header difference and
     * the inner extension headers, then is cut to fit 576 bytes. */
    __u32 inner_hdrs = XLAT_IPV6_HLEN + iw.ext_len;
    __u32 msg4 = msg6 - inner_hdrs + XLAT_IPV4_HLEN;
    if (msg4 > IN_ICMP4_ERR_MAX - XLAT_IPV4_HLEN)
        msg4 = IN_ICMP4_ERR_MAX - XLAT_IPV4_HLEN;

    if (h6.icmp6_type == ICMPV6_PKT_TOOBIG) {
        /* §5.2: MTU - 20 (28 when the packet in error had a fragment
         * header), capped by our own uplink. */
        __u32 sub = iw.has_frag ? 28 : 20;
        __u32 mtu = rest6 > sub ? rest6 - sub : 0;
        if (cfg->ipv6_mtu > 20 && mtu > (__u32)cfg->ipv6_mtu - 20)
            mtu = (__u32)cfg->ipv6_mtu - 20;
        if (mtu > 0xffff)
            mtu = 0xffff;
        word4 = mtu;
    }
    e.icmp.un.gateway = bpf_htonl(word4);

    __u32 itot = iplen - iw.ext_len + XLAT_IPV4_HLEN;
    in_build_ip4(&e.inner, &in6, &iw, itot, itot, cfg->clat_v4, idst4, false);
    struct in_walk ow = *w;
    ow.proto = IPPROTO_ICMPV6;
    ow.has_frag = 0;
    in_build_ip4(&e.ip, ip6, &ow, XLAT_IPV4_HLEN + msg4, XLAT_IPV4_HLEN + msg4, src4,
                 cfg->clat_v4, true);

    /* Cut the old headers: E + ICMPv6 8 + 40 + IE after the base header,
     * leaving 20 + 8 for ICMPv4 + inner IPv4, then 20 more from the base. */
    __u32 r = in_reshape(skb, w->ext_len + 20 + iw.ext_len);
    if (r)
        return r;
    __u32 new_len = l2_len + XLAT_IPV4_HLEN + msg4;
    if (skb->len != new_len && bpf_skb_change_tail(skb, new_len, 0))
        return XLAT_DROP(COLATRL_CNT_IN_DROP_HELPER);
    if (bpf_skb_store_bytes(skb, l2_len, &e, sizeof(e), BPF_F_RECOMPUTE_CSUM))
        return XLAT_DROP(COLATRL_CNT_IN_DROP_HELPER);
    r = in_fix_inner_l4(skb, cfg, &in6, &iw, l2_len + sizeof(e),
                        msg4 - XLAT_ICMP_HLEN - XLAT_IPV4_HLEN, idst4);
    if (r)
        return r;
    __s64 sum = xlat_csum_skb_sum(skb, l2_len + XLAT_IPV4_HLEN, msg4, 0);
    __u16 c = xlat_csum_fold((__u32)sum);
    if (sum < 0 ||
        bpf_skb_store_bytes(skb, l2_len + XLAT_IPV4_HLEN + offsetof(struct icmphdr, checksum),
                            &c, 2, BPF_F_RECOMPUTE_CSUM) ||
        xlat_set_ethertype(skb, l2_len, ETH_P_IP))
        return XLAT_DROP(COLATRL_CNT_IN_DROP_HELPER);

    if (foreign)
        return XLAT_DONE3(COLATRL_CNT_IN_XLAT, COLATRL_CNT_IN_XLAT_ICMP_ERROR,
                          COLATRL_CNT_IN_XLAT_ICMP_FOREIGN_SRC);
    return XLAT_DONE2(COLATRL_CNT_IN_XLAT, COLATRL_CNT_IN_XLAT_ICMP_ERROR);
}

/* Sources no host may have (RFC 1812 §5.3.7 / RFC 7915 §5.1): 0/8, 127/8,
 * multicast, limited broadcast. Host byte order. */
static __always_inline bool in_bad_src(__u32 a)
{
    __u32 o1 = a >> 24;
    return o1 == 0 || o1 == 127 || (o1 >= 224 && o1 < 240) || a == 0xffffffffu;
}

/*
 * The uplink's previous config (COLATRL_PREV_CONFIG_KEY_BIT) when `src` lies
 * under its PREF64 and it is a previous of `cfg` (same CLAT addresses, so
 * the packet addressed to cfg->clat_v6 was translated with it), else NULL.
 * Only packets whose source is outside the current PREF64 get here: the
 * usual path pays nothing.
 */
static __always_inline const struct colatrl_config *
in_prev_config(struct __sk_buff *skb, const struct colatrl_config *cfg, const struct in6_addr *src)
{
    __u32 key = skb->ifindex | COLATRL_PREV_CONFIG_KEY_BIT;
    const struct colatrl_config *prev = bpf_map_lookup_elem(&config_map, &key);
    if (!prev || !xlat_pref64_len_ok(prev->pref64_len) || prev->clat_v4 != cfg->clat_v4 ||
        !xlat_addr6_eq((const struct in6_addr *)cfg->clat_v6, prev->clat_v6) ||
        !xlat_pref64_match(src, prev))
        return NULL;
    return prev;
}

static __always_inline __u32 in_decide(struct __sk_buff *skb, const __u32 l2_len,
                                       const struct colatrl_config *cfg)
{
    if (!cfg)
        return XLAT_PASS(COLATRL_CNT_IN_PASS_NO_CONFIG);
    if (skb->protocol != bpf_htons(ETH_P_IPV6))
        return XLAT_PASS(COLATRL_CNT_IN_PASS_NOT_IPV6);
    /* Straight from the linear data when it is there (one helper call
     * less, docs/datapath-cost.md); IPv6 header and transport header start. */
    struct in_front f;
    bool have_l4 = xlat_peek(skb, l2_len, &f, sizeof(f));
    if (!have_l4 && bpf_skb_load_bytes(skb, l2_len, &f.ip6, sizeof(f.ip6)))
        return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
    const struct ipv6hdr *ip6 = &f.ip6;
    if (!xlat_addr6_eq(&ip6->daddr, cfg->clat_v6))
        return XLAT_PASS(COLATRL_CNT_IN_PASS_NOT_CLAT_DST);
    /* Addressed to the CLAT: from here on it is ours to judge. */
    __u32 plen = bpf_ntohs(ip6->payload_len);
    __u32 end = l2_len + XLAT_IPV6_HLEN + plen;
    if (plen == 0 && skb->gso_size) /* BIG TCP super-packet: no IPv4 form */
        return XLAT_DROP(COLATRL_CNT_IN_DROP_GSO);
    if (ip6->version != 6 || plen == 0 || end > skb->len)
        return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);

    struct in_walk w;
    __u32 r = in_walk_ext(skb, l2_len + XLAT_IPV6_HLEN, end, ip6->nexthdr, &w);
    if (r)
        return r;
    /* The bytes read with the header are the transport header's only when no
     * extension header sits between. */
    const __u8 *l4_hdr = have_l4 && w.ext_len == 0 ? f.l4 : NULL;

    bool from_pref64 = xlat_pref64_match(&ip6->saddr, cfg);
    if (!from_pref64) {
        /* From the PREF64 used before a change (in flight across it, the
         * reply of the old NAT64 or its ICMP error): translated as the
         * previous config would have, counted as usual. */
        const struct colatrl_config *prev = in_prev_config(skb, cfg, &ip6->saddr);
        if (prev) {
            cfg = prev;
            from_pref64 = true;
        }
    }
    bool icmp_error = false;
    __u8 icmp_type = 0;
    if (w.proto == IPPROTO_ICMPV6 && !w.has_frag) {
        if (w.l4_off + XLAT_ICMP_HLEN > end)
            return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
        if (l4_hdr)
            icmp_type = l4_hdr[0];
        else if (bpf_skb_load_bytes(skb, w.l4_off, &icmp_type, 1))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
        icmp_error = !(icmp_type & ICMPV6_INFOMSG_MASK);
    }

    __be32 src4;
    if (from_pref64) {
        src4 = xlat_pref64_extract(&ip6->saddr, cfg->pref64_len);
        __u32 h = bpf_ntohl(src4);
        if (in_bad_src(h))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_BAD_SRC);
        if (xlat_non_global_forbidden(cfg, h))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_NON_GLOBAL);
    } else if (icmp_error) {
        /* A router on the IPv6 path (RFC 6791 / RFC 7600 dummy source). */
        src4 = bpf_htonl(COLATRL_ICMP_DUMMY_V4);
    } else {
        return XLAT_PASS(COLATRL_CNT_IN_PASS_NOT_PREF64_SRC);
    }

    if (w.rt_pending)
        return XLAT_DROP(COLATRL_CNT_IN_DROP_ROUTING_HDR);
    /* Bytes past Payload Length would stay behind the IPv4 packet, past its
     * Total Length: cut them first, as egress does. */
    if (skb->len > end) {
        if (skb->gso_size || bpf_skb_change_tail(skb, end, 0))
            return XLAT_DROP(COLATRL_CNT_IN_DROP_MALFORMED);
    }
    if (skb->gso_size && w.proto != IPPROTO_TCP)
        return XLAT_DROP(COLATRL_CNT_IN_DROP_GSO);

    if (w.proto == IPPROTO_ICMPV6) {
        if (w.has_frag)
            return XLAT_DROP(COLATRL_CNT_IN_DROP_ICMP_FRAGMENTED);
        if (icmp_error)
            return in_xlat_icmp_error(skb, l2_len, cfg, ip6, &w, end, src4, !from_pref64);
        if (icmp_type != ICMPV6_ECHO_REQUEST && icmp_type != ICMPV6_ECHO_REPLY)
            return XLAT_DROP(COLATRL_CNT_IN_DROP_ICMP_TYPE);
    }
    return in_xlat_plain(skb, l2_len, cfg, ip6, &w, end, src4, l4_hdr);
}

/* l2_len: ETH_HLEN for Ethernet uplinks, 0 for raw-IP ones. */
static __always_inline int xlat_ingress(struct __sk_buff *skb, const __u32 l2_len)
{
    const __u32 entry_len = skb->len;
    __u32 slot;
    const struct colatrl_config *cfg = xlat_config(skb, &slot);
    return xlat_exit(skb, slot, in_decide(skb, l2_len, cfg), entry_len);
}

#endif /* COLATRL_XLAT_INGRESS_H */

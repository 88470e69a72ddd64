/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 7915 ICMP mapping tables, both directions side by side: echo types,
 * error type/code (§4.2 for 4 -> 6, §5.2 for 6 -> 4), Parameter Problem
 * pointers (§4.2 Figure 3, §5.2 Figure 6) and the RFC 4884 length of the
 * quoted datagram. Pure functions of header fields; the translators
 * (xlat_egress.h, xlat_ingress.h) do the packet work.
 */
#ifndef COLATRL_XLAT_ICMP_H
#define COLATRL_XLAT_ICMP_H

#include "xlat_common.h"

/* ---- echo (§4.2 / §5.2) ------------------------------------------------------ */

static __always_inline __u8 xlat_echo_4to6(__u8 type4)
{
    return type4 == ICMP_ECHO ? ICMPV6_ECHO_REQUEST : ICMPV6_ECHO_REPLY;
}

static __always_inline __u8 xlat_echo_6to4(__u8 type6)
{
    return type6 == ICMPV6_ECHO_REQUEST ? ICMP_ECHO : ICMP_ECHOREPLY;
}

/* ---- Parameter Problem pointers --------------------------------------------- */

/* §4.2 Figure 3: IPv4 header octet -> IPv6 header octet; -1 = no equivalent. */
static __always_inline int xlat_param_ptr_4to6(__u8 p4)
{
    switch (p4) {
    case 0: return 0;          /* Version/IHL -> Version/Traffic Class */
    case 1: return 1;          /* Type Of Service -> Traffic Class/Flow Label */
    case 2: case 3: return 4;  /* Total Length -> Payload Length */
    case 8: return 7;          /* Time to Live -> Hop Limit */
    case 9: return 6;          /* Protocol -> Next Header */
    case 12 ... 15: return 8;  /* Source Address */
    case 16 ... 19: return 24; /* Destination Address */
    default: return -1;        /* ID, flags/offset, checksum, options */
    }
}

/* §5.2 Figure 6: IPv6 header octet -> IPv4 header octet; -1 = no equivalent. */
static __always_inline int xlat_param_ptr_6to4(__u32 p6)
{
    switch (p6) {
    case 0: return 0;          /* Version/Traffic Class -> Version/IHL */
    case 1: return 1;          /* Traffic Class/Flow Label -> Type Of Service */
    case 4: case 5: return 2;  /* Payload Length -> Total Length */
    case 6: return 9;          /* Next Header -> Protocol */
    case 7: return 8;          /* Hop Limit -> Time to Live */
    case 8 ... 23: return 12;  /* Source Address */
    case 24 ... 39: return 16; /* Destination Address */
    default: return -1;        /* Flow Label octets 2-3, beyond the header */
    }
}

/* ---- error type/code ------------------------------------------------------------ */

/* RFC 1191 plateau estimate for a Fragmentation Needed without MTU (§4.2):
 * the largest plateau below the returned packet's length that is >= 1280.
 * None qualifies at or below 1492: then 1260, which +20 turns into the IPv6
 * minimum MTU 1280. */
static __always_inline __u32 xlat_plateau_mtu(__u16 tot_len)
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

/*
 * §4.2: ICMPv4 error -> ICMPv6 type/code/32-bit word (host order in *word).
 * ipv6_mtu caps a Packet Too Big MTU (0 = no cap); inner_tot_len feeds the
 * plateau rule. Returns -1 for messages the RFC silently drops.
 */
static __always_inline int xlat_icmp_err_4to6(__u8 type4, __u8 code4, __u32 rest4,
                                              __u16 inner_tot_len, __u16 ipv6_mtu, __u8 *type6,
                                              __u8 *code6, __u32 *word)
{
    *word = 0;
    if (type4 == ICMP_DEST_UNREACH) {
        *type6 = ICMPV6_DEST_UNREACH;
        switch (code4) {
        case ICMP_NET_UNREACH: case ICMP_HOST_UNREACH: case ICMP_SR_FAILED:
        case ICMP_NET_UNKNOWN: case ICMP_HOST_UNKNOWN: case ICMP_HOST_ISOLATED:
        case ICMP_NET_UNR_TOS: case ICMP_HOST_UNR_TOS:
            *code6 = ICMPV6_NOROUTE;
            return 0;
        case ICMP_PORT_UNREACH:
            *code6 = ICMPV6_PORT_UNREACH;
            return 0;
        case ICMP_NET_ANO: case ICMP_HOST_ANO: case ICMP_PKT_FILTERED: case ICMP_PREC_CUTOFF:
            *code6 = ICMPV6_ADM_PROHIBITED;
            return 0;
        case ICMP_PROT_UNREACH: /* -> unrecognised Next Header, pointing at it */
            *type6 = ICMPV6_PARAMPROB;
            *code6 = ICMPV6_UNK_NEXTHDR;
            *word = offsetof(struct ipv6hdr, nexthdr);
            return 0;
        case ICMP_FRAG_NEEDED: { /* -> Packet Too Big */
            *type6 = ICMPV6_PKT_TOOBIG;
            *code6 = 0;
            __u32 mtu4 = rest4 & 0xffff;
            if (mtu4 == 0)
                mtu4 = xlat_plateau_mtu(inner_tot_len);
            __u32 mtu6 = mtu4 + 20; /* the IPv6 header is 20 bytes bigger */
            if (ipv6_mtu && mtu6 > ipv6_mtu)
                mtu6 = ipv6_mtu;
            if (mtu6 < 1280)
                mtu6 = 1280;
            *word = mtu6;
            return 0;
        }
        default: /* precedence violation, unknown codes */
            return -1;
        }
    }
    if (type4 == ICMP_TIME_EXCEEDED) {
        *type6 = ICMPV6_TIME_EXCEED;
        *code6 = code4;
        return 0;
    }
    if (type4 == ICMP_PARAMETERPROB) {
        /* code 0 (pointer) and 2 (bad length); 1 (missing option) drops */
        if (code4 != 0 && code4 != 2)
            return -1;
        int p6 = xlat_param_ptr_4to6((__u8)(rest4 >> 24));
        if (p6 < 0)
            return -1;
        *type6 = ICMPV6_PARAMPROB;
        *code6 = ICMPV6_HDR_FIELD;
        *word = (__u32)p6;
        return 0;
    }
    return -1;
}

/*
 * §5.2: ICMPv6 error -> ICMPv4 type/code/32-bit word (host order in *word).
 * Packet Too Big's MTU depends on the inner packet: the caller fills it in.
 * Returns -1 for messages the RFC silently drops.
 */
static __always_inline int xlat_icmp_err_6to4(__u8 type6, __u8 code6, __u32 rest6, __u8 *type4,
                                              __u8 *code4, __u32 *word)
{
    *word = 0;
    switch (type6) {
    case ICMPV6_DEST_UNREACH:
        *type4 = ICMP_DEST_UNREACH;
        switch (code6) {
        case ICMPV6_NOROUTE: case ICMPV6_NOT_NEIGHBOUR: case ICMPV6_ADDR_UNREACH:
            *code4 = ICMP_HOST_UNREACH;
            return 0;
        case ICMPV6_ADM_PROHIBITED:
            *code4 = ICMP_HOST_ANO;
            return 0;
        case ICMPV6_PORT_UNREACH:
            *code4 = ICMP_PORT_UNREACH;
            return 0;
        default:
            return -1;
        }
    case ICMPV6_PKT_TOOBIG:
        *type4 = ICMP_DEST_UNREACH;
        *code4 = ICMP_FRAG_NEEDED;
        return 0;
    case ICMPV6_TIME_EXCEED:
        if (code6 > ICMPV6_EXC_FRAGTIME)
            return -1;
        *type4 = ICMP_TIME_EXCEEDED;
        *code4 = code6;
        return 0;
    case ICMPV6_PARAMPROB:
        if (code6 == ICMPV6_UNK_NEXTHDR) {
            *type4 = ICMP_DEST_UNREACH;
            *code4 = ICMP_PROT_UNREACH;
            return 0;
        }
        if (code6 != ICMPV6_HDR_FIELD)
            return -1;
        int p4 = xlat_param_ptr_6to4(rest6);
        if (p4 < 0)
            return -1;
        *type4 = ICMP_PARAMETERPROB;
        *code4 = 0;
        *word = (__u32)p4 << 24; /* the pointer is the word's first octet */
        return 0;
    default:
        return -1;
    }
}

/* ---- RFC 4884 -------------------------------------------------------------------- */

/*
 * Bytes of the original datagram in an ICMP error message of msg_len bytes
 * (8-byte header included) whose RFC 4884 length attribute is len_units
 * (32-bit words in ICMPv4, 64-bit words in ICMPv6: unit 4 or 8). 0 or a length
 * that leaves no room for an extension means there is none (RFC 4884 §5):
 * everything after the header is the datagram. Extensions are dropped by both
 * translators, and the translated message says length 0 (RFC 7915 §4.2,
 * §5.2 allow that; the units differ between the families).
 */
static __always_inline __u32 xlat_icmp_quoted_len(__u32 msg_len, __u32 len_units, __u32 unit)
{
    __u32 q = len_units * unit;
    if (q && q + XLAT_ICMP_HLEN < msg_len)
        return q;
    return msg_len - XLAT_ICMP_HLEN;
}

#endif /* COLATRL_XLAT_ICMP_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one header shared by the tc programs and userspace (C++). Every struct
 * that crosses the kernel/user boundary lives here, with its size asserted,
 * so both sides agree on the layout byte for byte.
 */
#ifndef COLATRL_SHARED_H
#define COLATRL_SHARED_H

#include <linux/types.h>

#ifdef __cplusplus
#define COLATRL_STATIC_ASSERT static_assert
#else
#define COLATRL_STATIC_ASSERT _Static_assert
#endif

/* Upper bound of uplinks handled at once; sizes the maps. */
#define COLATRL_MAX_UPLINKS 64

/* Key of an uplink's PREVIOUS config in the config map: ifindex with this
 * bit set (an ifindex is a positive int, so it never has it). Present only
 * for a grace period after a PREF64 change that kept the CLAT addresses
 * (docs/decisions.md): a reply the old NAT64 sent before the switch comes
 * from the old prefix, and ingress translates it with this entry when its
 * source is not under the current PREF64. Same clat_v6, clat_v4 and
 * counter_slot as the current entry. */
#define COLATRL_PREV_CONFIG_KEY_BIT (1u << 31)
/* config_map entries: the current and the previous config of every uplink. */
#define COLATRL_CONFIG_ENTRIES (2 * COLATRL_MAX_UPLINKS)

/* Counter slot used when a packet arrives on an interface that has no usable
 * config (none, a PREF64 length RFC 6052 does not allow, or a counter_slot
 * >= COLATRL_MAX_UPLINKS). */
#define COLATRL_SLOT_UNCONFIGURED COLATRL_MAX_UPLINKS

/* struct colatrl_config.flags */
/* CLAT IPv6 + PREF64 have the same one's-complement sum as the CLAT IPv4
 * address (derived address, /32 or /96 PREF64): TCP/UDP checksums survive
 * translation unchanged and the programs skip the update. */
#define COLATRL_F_CSUM_NEUTRAL (1u << 0)
/* Translate non-global IPv4 addresses under 64:ff9b::/96 (RFC 6052 §3.1
 * forbids it; draft-ietf-v6ops-nat64-wkp-1918 allows it). */
#define COLATRL_F_TRANSLATE_NON_GLOBAL (1u << 1)
/* PREF64 is the well-known prefix 64:ff9b::/96 (userspace precomputes it so
 * the programs test one bit instead of 12 bytes). */
#define COLATRL_F_PREF64_WKP (1u << 2)
/* The uplink carries no IPv4 but the CLAT's (no native IPv4 default route, no
 * IPv4 address besides the CLAT's; docs/decisions.md): egress drops IPv4 that
 * is not from the CLAT IPv4 address, and ARP, instead of letting it leave
 * untranslated. Clear (IPv4 on the link: an address, or Mode=force beside a
 * native IPv4 default route): such packets pass. */
#define COLATRL_F_IPV6_ONLY (1u << 3)

/* IPv4 source of translated ICMPv6 errors whose IPv6 source is outside
 * PREF64 (RFC 7600 dummy address 192.0.0.8, host byte order). */
#define COLATRL_ICMP_DUMMY_V4 0xc0000008u

/*
 * Per-uplink datapath config, value of the HASH map keyed by ifindex (and
 * ifindex | COLATRL_PREV_CONFIG_KEY_BIT for the previous one). One
 * map update replaces the whole value atomically, so the programs never see
 * a half-written config. All addresses are in network byte order.
 */
struct colatrl_config {
    __u8 clat_v6[16];    /* CLAT IPv6 address (translated source) */
    __u8 pref64[16];     /* NAT64 prefix; bits past pref64_len are zero */
    __u32 clat_v4;       /* CLAT IPv4 address, network byte order */
    __u32 counter_slot;  /* 0..COLATRL_MAX_UPLINKS-1: which counter block */
    __u16 ipv6_mtu;      /* uplink IPv6 MTU, for PTB / Frag Needed MTU math */
    __u8 pref64_len;     /* 32, 40, 48, 56, 64 or 96 */
    __u8 flags;          /* COLATRL_F_* */
    __u32 reserved;      /* zero */
};
COLATRL_STATIC_ASSERT(sizeof(struct colatrl_config) == 48, "colatrl_config layout");

/* One counter: per-CPU in the kernel, summed by userspace. */
struct colatrl_counter {
    __u64 packets;
    __u64 bytes;
};
COLATRL_STATIC_ASSERT(sizeof(struct colatrl_counter) == 16, "colatrl_counter layout");

/*
 * Every pass/drop decision of the programs has its own counter; each packet
 * moves exactly one pass or drop counter, or the direction's "translated"
 * counter plus the detail counters that apply (fragment, ICMP error, foreign
 * ICMP source). What the numbers mean:
 *   packets  one per packet the tc program ran on (a GSO super-packet is one).
 *   bytes    skb length with the L2 header (14 bytes on Ethernet uplinks, none
 *            on raw-IP ones). Translated packets count their IPv6 form: on
 *            egress the frame after translation, on ingress the frame as it
 *            arrived. Passed and dropped packets count the frame as it
 *            arrived: IPv4 on egress, IPv6 (or whatever came) on ingress.
 * The X-macro
 * gives the BPF side the enum and userspace the same enum plus stable names
 * (used on D-Bus and in the CLI). Append new reasons at the end of their
 * direction's block; names are lower_snake_case and never reused.
 *   X(ENUM_SUFFIX, "name")
 */
#define COLATRL_COUNTERS(X)                                                     \
    /* egress: IPv4 -> IPv6 */                                                  \
    X(EG_XLAT, "egress_translated")                                             \
    X(EG_XLAT_FRAGMENT, "egress_translated_fragment")                           \
    X(EG_XLAT_ICMP_ERROR, "egress_translated_icmp_error")                       \
    X(EG_PASS_NOT_IPV4, "egress_pass_not_ipv4")                                 \
    X(EG_PASS_NOT_CLAT_SRC, "egress_pass_not_clat_source")                      \
    X(EG_PASS_NO_CONFIG, "egress_pass_no_config")                               \
    X(EG_DROP_MALFORMED, "egress_drop_malformed")                               \
    X(EG_DROP_BAD_DST, "egress_drop_bad_destination")                           \
    X(EG_DROP_NON_GLOBAL, "egress_drop_non_global")                             \
    X(EG_DROP_SOURCE_ROUTE, "egress_drop_source_route")                         \
    X(EG_DROP_IGMP, "egress_drop_igmp")                                         \
    X(EG_DROP_ICMP_TYPE, "egress_drop_icmp_type")                               \
    X(EG_DROP_ICMP_FRAGMENTED, "egress_drop_icmp_fragmented")                   \
    X(EG_DROP_ICMP_INNER, "egress_drop_icmp_inner_invalid")                     \
    X(EG_DROP_UDP_ZERO_CSUM_FRAG, "egress_drop_udp_zero_checksum_fragment")     \
    X(EG_DROP_GSO, "egress_drop_gso_unsupported")                               \
    X(EG_DROP_HELPER, "egress_drop_helper_failed")                              \
    X(EG_DROP_ICMP_CSUM, "egress_drop_icmp_bad_checksum")                       \
    /* COLATRL_F_IPV6_ONLY: IPv4 not from the CLAT, ARP */                      \
    X(EG_DROP_NOT_CLAT_SRC, "egress_drop_not_clat_source")                      \
    X(EG_DROP_ARP, "egress_drop_arp")                                           \
    /* ingress: IPv6 -> IPv4 */                                                 \
    X(IN_XLAT, "ingress_translated")                                            \
    X(IN_XLAT_FRAGMENT, "ingress_translated_fragment")                          \
    X(IN_XLAT_ICMP_ERROR, "ingress_translated_icmp_error")                      \
    X(IN_XLAT_ICMP_FOREIGN_SRC, "ingress_translated_icmp_foreign_source")       \
    X(IN_PASS_NOT_IPV6, "ingress_pass_not_ipv6")                                \
    X(IN_PASS_NOT_CLAT_DST, "ingress_pass_not_clat_destination")                \
    X(IN_PASS_NOT_PREF64_SRC, "ingress_pass_not_pref64_source")                 \
    X(IN_PASS_NO_CONFIG, "ingress_pass_no_config")                              \
    X(IN_DROP_MALFORMED, "ingress_drop_malformed")                              \
    X(IN_DROP_BAD_SRC, "ingress_drop_bad_source")                               \
    X(IN_DROP_NON_GLOBAL, "ingress_drop_non_global")                            \
    X(IN_DROP_ROUTING_HDR, "ingress_drop_routing_header")                       \
    X(IN_DROP_EXT_HDR, "ingress_drop_extension_header")                         \
    X(IN_DROP_ICMP_TYPE, "ingress_drop_icmp_type")                              \
    X(IN_DROP_ICMP_FRAGMENTED, "ingress_drop_icmp_fragmented")                  \
    X(IN_DROP_ICMP_INNER, "ingress_drop_icmp_inner_invalid")                    \
    X(IN_DROP_GSO, "ingress_drop_gso_unsupported")                              \
    X(IN_DROP_HELPER, "ingress_drop_helper_failed")                             \
    X(IN_DROP_ICMP_CSUM, "ingress_drop_icmp_bad_checksum")

#define COLATRL_COUNTER_ENUM_ENTRY(suffix, name) COLATRL_CNT_##suffix,
enum colatrl_counter_id { COLATRL_COUNTERS(COLATRL_COUNTER_ENUM_ENTRY) COLATRL_CNT__COUNT };
#undef COLATRL_COUNTER_ENUM_ENTRY

/* Counters map: PERCPU_ARRAY of (COLATRL_MAX_UPLINKS + 1) blocks of
 * COLATRL_CNT__COUNT entries; block COLATRL_SLOT_UNCONFIGURED counts packets
 * on interfaces without config. Index = slot * COLATRL_CNT__COUNT + id. */
#define COLATRL_COUNTER_ENTRIES ((COLATRL_MAX_UPLINKS + 1) * COLATRL_CNT__COUNT)

/* tc attachment identity: handle and priority that mark our filters, so we
 * only ever replace or remove what we attached ourselves ("CL" = 0x434c). */
#define COLATRL_TC_HANDLE 0x434cu
#define COLATRL_TC_PRIORITY 0x434cu

#endif /* COLATRL_SHARED_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Ingress translator IPv6 -> IPv4 (RFC 7915 §5). */
#ifndef COLATRL_XLAT_INGRESS_H
#define COLATRL_XLAT_INGRESS_H

#include "xlat_common.h"

/* l2_len: ETH_HLEN for Ethernet uplinks, 0 for raw-IP ones. */
static __always_inline int xlat_ingress(struct __sk_buff *skb, const __u32 l2_len)
{
    const struct colatrl_config *cfg = xlat_config(skb);
    if (!cfg) {
        xlat_count(COLATRL_SLOT_UNCONFIGURED, COLATRL_CNT_IN_PASS_NO_CONFIG, skb->len);
        return TC_ACT_OK;
    }
    /* Translation lands with issue 3; until then everything passes, counted. */
    xlat_count(cfg->counter_slot, COLATRL_CNT_IN_PASS_NOT_IPV6, skb->len);
    return TC_ACT_OK;
}

#endif /* COLATRL_XLAT_INGRESS_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Baseline for benchmarks: the cheapest possible tc program. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int colatrl_noop(struct __sk_buff *skb)
{
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";

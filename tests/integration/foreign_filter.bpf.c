/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Someone else's tc filter for tests/integration/daemon_other_clat.sh: counts
 * the packets it sees and hands each one on to the next filter
 * (TC_ACT_UNSPEC), as a monitoring or accounting program would. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} foreign_seen SEC(".maps");

SEC("tc")
int foreign_count(struct __sk_buff *skb)
{
    __u32 key = 0;
    __u64 *n = bpf_map_lookup_elem(&foreign_seen, &key);

    if (n)
        __sync_fetch_and_add(n, 1);
    return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";

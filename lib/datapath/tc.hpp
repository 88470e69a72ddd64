// SPDX-License-Identifier: GPL-2.0-or-later
// tc clsact attachment at colatrl's own handle and priority (COLATRL_TC_HANDLE,
// COLATRL_TC_PRIORITY in bpf/colatrl_shared.h): query, attach with replace,
// detach. Only ever touches what sits at our handle/priority; filters of
// others and their clsact qdisc stay. Works without a loaded Datapath (CLI,
// adoption after a restart, tests).
#pragma once

#include "base/result.hpp"

#include <cstddef>
#include <cstdint>

namespace colatrl {

enum class TcHook { ingress, egress };

// Where our filter sits on a link (what `detach` removes, what `attached` finds).
struct TcAttachment {
    uint32_t ingress_prog_id = 0; // 0 = none at our handle/priority
    uint32_t egress_prog_id = 0;
};

// Query our handle/priority on both hooks of ifindex; ids are 0 where nothing
// is attached (also when the link has no clsact qdisc).
Result<TcAttachment> query_attachment(int ifindex);

// Remove only our filters from both hooks of ifindex. Succeeds when nothing
// was attached.
Status detach_filters(int ifindex);

// The program id at our handle/priority on one hook; 0 when none.
Result<uint32_t> tc_query(int ifindex, TcHook hook);
// Creates the clsact qdisc; true when this call created it, false when it was
// there already.
Result<bool> tc_create_clsact(int ifindex);
// Removes the clsact qdisc if no filter of anyone is left on it.
Status tc_remove_clsact_if_empty(int ifindex);
// Attaches prog_fd at our handle/priority, replacing what is there (ours).
Status tc_attach(int ifindex, TcHook hook, int prog_fd);

} // namespace colatrl

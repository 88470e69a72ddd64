// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/exit_policy.hpp"

namespace colatrl {

bool job_restarts(std::string_view job_type) {
    return job_type == "restart" || job_type == "try-restart" || job_type == "reload-or-restart" ||
           job_type == "reload-or-try-restart";
}

ExitAction exit_action(ExitSignal sig, const std::optional<std::string_view>& own_job) {
    if (sig == ExitSignal::handover) {
        return ExitAction::keep;
    }
    return own_job && job_restarts(*own_job) ? ExitAction::keep : ExitAction::remove;
}

} // namespace colatrl

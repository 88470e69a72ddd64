// SPDX-License-Identifier: GPL-2.0-or-later
// Restart keeps the CLAT, anything else removes it (lib/apply/exit_policy.hpp).
#include "apply/exit_policy.hpp"

#include <catch2/catch.hpp>

using namespace colatrl;

TEST_CASE("SIGTERM keeps the CLAT only for a restart job of our unit", "[exit]") {
    const auto t = ExitSignal::terminate;
    CHECK(exit_action(t, std::string_view("restart")) == ExitAction::keep);
    CHECK(exit_action(t, std::string_view("try-restart")) == ExitAction::keep);
    CHECK(exit_action(t, std::string_view("reload-or-restart")) == ExitAction::keep);
    // A stop (systemctl stop, package removal, shutdown), no job (systemctl
    // kill, a signal by hand), or no answer: remove everything.
    CHECK(exit_action(t, std::string_view("stop")) == ExitAction::remove);
    CHECK(exit_action(t, std::string_view("")) == ExitAction::remove);
    CHECK(exit_action(t, std::nullopt) == ExitAction::remove);
    CHECK(exit_action(t, std::string_view("start")) == ExitAction::remove);
    CHECK(exit_action(t, std::string_view("reload")) == ExitAction::remove);
    CHECK(exit_action(t, std::string_view("Restart")) == ExitAction::remove);
}

TEST_CASE("SIGUSR2 keeps the CLAT whatever systemd does", "[exit]") {
    CHECK(exit_action(ExitSignal::handover, std::nullopt) == ExitAction::keep);
    CHECK(exit_action(ExitSignal::handover, std::string_view("stop")) == ExitAction::keep);
}

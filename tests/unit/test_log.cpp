// SPDX-License-Identifier: GPL-2.0-or-later
#include "sys/log.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace colatrl;

TEST_CASE("stderr lines carry the sd-daemon level prefix and the interface", "[log]") {
    CHECK(log::stderr_line(log::info, "wan1", "CLAT on") == "<6>wan1: CLAT on\n");
    CHECK(log::stderr_line(log::err, {}, "cannot start") == "<3>cannot start\n");
}

TEST_CASE("the level filter hides debug unless asked for", "[log]") {
    unsetenv("JOURNAL_STREAM");
    log::init(log::info);
    CHECK(log::enabled(log::err));
    CHECK(log::enabled(log::info));
    CHECK_FALSE(log::enabled(log::debug));
    log::init(log::debug);
    CHECK(log::enabled(log::debug));
}

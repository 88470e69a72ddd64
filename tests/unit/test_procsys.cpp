// SPDX-License-Identifier: GPL-2.0-or-later
// The /proc/sys reader against a directory tree of our own.
#include "sys/procsys.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace colatrl;
namespace fs = std::filesystem;

namespace {

struct TempRoot {
    fs::path dir;
    TempRoot() {
        std::string tmpl = (fs::temp_directory_path() / "colatrl-procsys-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        dir = tmpl;
    }
    ~TempRoot() { fs::remove_all(dir); }
    void put(const std::string& rel, const std::string& text) const {
        fs::create_directories((dir / rel).parent_path());
        std::ofstream(dir / rel) << text;
    }
};

} // namespace

TEST_CASE("per-interface IPv6 settings are read", "[procsys]") {
    TempRoot root;
    root.put("net/ipv6/conf/eth0/mtu", "1480\n");
    root.put("net/ipv6/conf/eth0/accept_ra", "1\n");
    root.put("net/ipv6/conf/eth0/forwarding", "0\n");
    root.put("net/ipv6/neigh/eth0/retrans_time_ms", "250\n");
    const ProcSys sys(root.dir.string());
    CHECK(sys.ipv6_mtu("eth0").value() == 1480);
    CHECK(sys.ipv6_neigh("eth0", "retrans_time_ms").value() == 250);
    auto ra = sys.ra_acceptance("eth0");
    REQUIRE(ra);
    CHECK(ra->accepts());
    CHECK_FALSE(accept_ra_warning("eth0", *ra));
    // Forwarding on: accept_ra=1 is not enough.
    root.put("net/ipv6/conf/eth0/forwarding", "1\n");
    ra = sys.ra_acceptance("eth0");
    REQUIRE(ra);
    CHECK_FALSE(ra->accepts());
    const auto w = accept_ra_warning("eth0", *ra);
    REQUIRE(w);
    CHECK(w->find("net.ipv6.conf.eth0.accept_ra=2") != std::string::npos);
}

TEST_CASE("bad names never become paths; bad values are errors", "[procsys]") {
    TempRoot root;
    root.put("net/ipv6/conf/x/mtu", "1280\n");
    root.put("net/ipv6/conf/eth1/mtu", "lots\n");
    root.put("net/ipv6/conf/eth2/mtu", "0\n");
    const ProcSys sys((root.dir / "net/ipv6/conf/eth0").string()); // so ../x would exist
    for (const char* name : {"", ".", "..", "../x", "a/b", "eth0:1", "a b", "abcdefghijklmnop"}) {
        CAPTURE(name);
        auto r = sys.ipv6_mtu(name);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::invalid_argument);
    }
    const ProcSys real(root.dir.string());
    CHECK(real.ipv6_mtu("eth1").error().code == Errc::parse);
    CHECK_FALSE(real.ipv6_mtu("eth2"));
    CHECK_FALSE(real.ipv6_mtu("nosuch0"));
}

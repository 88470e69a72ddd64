// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/file_io.hpp"
#include "base/ifname.hpp"
#include "base/unique_fd.hpp"
#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdlib.h>
#include <unistd.h>

using namespace colatrl;
namespace fs = std::filesystem;

namespace {

Config ok(const std::string& text) {
    auto r = parse_config(text, "test.conf");
    INFO(text);
    if (!r) {
        FAIL(r.error().message);
    }
    return *r;
}

// The full error message for a config that must be rejected.
std::string bad(const std::string& text) {
    auto r = parse_config(text, "test.conf");
    INFO(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::parse);
    return r.error().message;
}

bool starts(const std::string& s, const std::string& prefix) {
    return s.rfind(prefix, 0) == 0;
}
bool has(const std::string& s, const std::string& what) {
    return s.find(what) != std::string::npos;
}

} // namespace

TEST_CASE("empty file and empty section give the defaults", "[config]") {
    const Config def;
    CHECK(ok("") == def);
    CHECK(ok("# comment only\n; another\n\n") == def);
    CHECK(ok("[CLAT]\n") == def);
    CHECK(def.interfaces.empty());
    CHECK_FALSE(def.pref64);
    CHECK(def.discover_ra);
    CHECK(def.discover_dns64);
    CHECK_FALSE(def.ipv4_address);
    CHECK_FALSE(def.ipv6_address);
    CHECK(def.mode == ClatMode::automatic);
    CHECK_FALSE(def.translate_non_global);
    CHECK(kExitConfig == 78);
}

TEST_CASE("a full config parses", "[config]") {
    const Config c = ok("# colatrld.conf\n"
                        "[CLAT]\n"
                        "Interfaces = wlan0 eth0\n"
                        "Pref64=64:ff9b::/96\n"
                        "Pref64Discovery=ra\n"
                        "IPv4Address=192.0.0.4\n"
                        "IPv6Address=2001:db8::42\n"
                        "Mode=force\n"
                        "TranslateNonGlobal=yes\n");
    CHECK(c.interfaces == std::vector<std::string>{"wlan0", "eth0"});
    REQUIRE(c.pref64);
    CHECK(c.pref64->str() == "64:ff9b::/96");
    CHECK(c.discover_ra);
    CHECK_FALSE(c.discover_dns64);
    REQUIRE(c.ipv4_address);
    CHECK(c.ipv4_address->str() == "192.0.0.4");
    REQUIRE(c.ipv6_address);
    CHECK(c.ipv6_address->str() == "2001:db8::42");
    CHECK(c.mode == ClatMode::force);
    CHECK(c.translate_non_global);
}

TEST_CASE("Interfaces=", "[config]") {
    CHECK(ok("[CLAT]\nInterfaces=\n").interfaces.empty());
    CHECK(ok("[CLAT]\nInterfaces=  eth0\t  wwan0  \n").interfaces ==
          std::vector<std::string>{"eth0", "wwan0"});
    CHECK(ok("[CLAT]\nInterfaces=abcdefghijklmno\n").interfaces.size() == 1); // 15 chars
    CHECK(bad("[CLAT]\nInterfaces=abcdefghijklmnop\n") ==
          "test.conf:2: Interfaces=: interface name 'abcdefghijklmnop' is longer than 15 "
          "characters");
    CHECK(has(bad("[CLAT]\nInterfaces=eth0 a/b\n"), "contains '/' or ':'"));
    CHECK(has(bad("[CLAT]\nInterfaces=eth0:1\n"), "contains '/' or ':'"));
    CHECK(has(bad("[CLAT]\nInterfaces=..\n"), "not a valid interface name"));
    CHECK(has(bad("[CLAT]\nInterfaces=eth0 eth0\n"), "listed twice"));
}

TEST_CASE("Pref64=", "[config]") {
    CHECK_FALSE(ok("[CLAT]\nPref64=\n").pref64);
    for (const char* p :
         {"2001:db8::/32", "2001:db8:100::/40", "2001:db8:122::/48", "2001:db8:122:300::/56",
          "2001:db8:122:344::/64", "64:ff9b:1:fffe::/96"}) {
        INFO(p);
        CHECK(ok(std::string("[CLAT]\nPref64=") + p + "\n").pref64->str() == p);
    }
    CHECK(starts(bad("[CLAT]\nPref64=64:ff9b::/80\n"), "test.conf:2: Pref64=: "));
    CHECK(has(bad("[CLAT]\nPref64=64:ff9b::/80\n"), "length"));
    CHECK(has(bad("[CLAT]\nPref64=2001:db8:0:0:100::/96\n"), "u octet"));
    CHECK(has(bad("[CLAT]\nPref64=64:ff9b::1/96\n"), "Pref64="));
    CHECK(has(bad("[CLAT]\nPref64=not-a-prefix\n"), "Pref64="));
    CHECK(has(bad("[CLAT]\nPref64=64:ff9b::\n"), "Pref64="));
}

TEST_CASE("Pref64Discovery=", "[config]") {
    Config c = ok("[CLAT]\nPref64Discovery=\n");
    CHECK_FALSE(c.discover_ra);
    CHECK_FALSE(c.discover_dns64);
    c = ok("[CLAT]\nPref64Discovery=dns64\n");
    CHECK_FALSE(c.discover_ra);
    CHECK(c.discover_dns64);
    c = ok("[CLAT]\nPref64Discovery=dns64 ra\n");
    CHECK(c.discover_ra);
    CHECK(c.discover_dns64);
    CHECK(bad("[CLAT]\nPref64Discovery=ra pcp\n") ==
          "test.conf:2: Pref64Discovery=: unknown method 'pcp' (expected 'ra' and/or 'dns64')");
    CHECK(has(bad("[CLAT]\nPref64Discovery=RA\n"), "unknown method 'RA'"));
}

TEST_CASE("IPv4Address=", "[config]") {
    CHECK_FALSE(ok("[CLAT]\nIPv4Address=\n").ipv4_address);
    for (int h = 0; h < 8; ++h) {
        const std::string a = "192.0.0." + std::to_string(h);
        CHECK(ok("[CLAT]\nIPv4Address=" + a + "\n").ipv4_address->str() == a);
    }
    CHECK(bad("[CLAT]\nIPv4Address=192.0.0.8\n") ==
          "test.conf:2: IPv4Address=: 192.0.0.8 is not inside 192.0.0.0/29 (RFC 7335)");
    CHECK(has(bad("[CLAT]\nIPv4Address=10.0.0.1\n"), "192.0.0.0/29"));
    CHECK(has(bad("[CLAT]\nIPv4Address=192.0.0\n"), "IPv4Address="));
    CHECK(has(bad("[CLAT]\nIPv4Address=192.0.0.2/29\n"), "IPv4Address="));
}

TEST_CASE("IPv6Address=", "[config]") {
    CHECK_FALSE(ok("[CLAT]\nIPv6Address=\n").ipv6_address);
    CHECK(ok("[CLAT]\nIPv6Address=2001:db8:1:2::c1a7\n").ipv6_address->str() ==
          "2001:db8:1:2::c1a7");
    CHECK(ok("[CLAT]\nIPv6Address=fd00::1\n").ipv6_address);
    CHECK(has(bad("[CLAT]\nIPv6Address=ff02::1\n"), "multicast"));
    CHECK(has(bad("[CLAT]\nIPv6Address=fe80::1\n"), "link-local"));
    CHECK(has(bad("[CLAT]\nIPv6Address=::\n"), "unspecified or loopback"));
    CHECK(has(bad("[CLAT]\nIPv6Address=::1\n"), "unspecified or loopback"));
    CHECK(has(bad("[CLAT]\nIPv6Address=::ffff:192.0.0.2\n"), "IPv4-mapped"));
    CHECK(starts(bad("[CLAT]\nIPv6Address=2001:db8::/64\n"), "test.conf:2: IPv6Address=: "));
    CHECK(has(bad("[CLAT]\nIPv6Address=192.0.0.2\n"), "IPv6Address="));
}

TEST_CASE("Mode=", "[config]") {
    CHECK(ok("[CLAT]\nMode=\n").mode == ClatMode::automatic);
    CHECK(ok("[CLAT]\nMode=auto\n").mode == ClatMode::automatic);
    CHECK(ok("[CLAT]\nMode=force\n").mode == ClatMode::force);
    CHECK(ok("[CLAT]\nMode=off\n").mode == ClatMode::off);
    CHECK(bad("[CLAT]\nMode=on\n") == "test.conf:2: Mode=: 'on' is not one of auto, force, off");
    CHECK(has(bad("[CLAT]\nMode=automatic\n"), "not one of"));
    CHECK(to_string(ClatMode::automatic) == "auto");
    CHECK(to_string(ClatMode::force) == "force");
    CHECK(to_string(ClatMode::off) == "off");
}

TEST_CASE("TranslateNonGlobal=", "[config]") {
    for (const char* t : {"yes", "true", "on", "1", "YES", "True"}) {
        INFO(t);
        CHECK(ok(std::string("[CLAT]\nTranslateNonGlobal=") + t + "\n").translate_non_global);
    }
    for (const char* f : {"", "no", "false", "off", "0", "No"}) {
        INFO(f);
        CHECK_FALSE(ok(std::string("[CLAT]\nTranslateNonGlobal=") + f + "\n").translate_non_global);
    }
    CHECK(has(bad("[CLAT]\nTranslateNonGlobal=maybe\n"), "not a boolean"));
    CHECK(has(bad("[CLAT]\nTranslateNonGlobal=2\n"), "not a boolean"));
}

TEST_CASE("structural errors name the right line", "[config]") {
    CHECK(bad("[CLAT]\nMode=auto\n\nFoo=bar\n") == "test.conf:4: unknown key Foo=");
    CHECK(bad("[CLAT]\nmode=auto\n") == "test.conf:2: unknown key mode= (did you mean Mode=?)");
    CHECK(bad("# x\n[CLAT]\nMode=auto\n# y\nMode=off\n") ==
          "test.conf:5: duplicate key Mode= (first set on line 3)");
    CHECK(bad("[CLAT]\nPref64=\nPref64=64:ff9b::/96\n") ==
          "test.conf:3: duplicate key Pref64= (first set on line 2)");
    CHECK(bad("[CLAT]\nInterfaces=eth0\n  wlan0\n") ==
          "test.conf:3: continuation lines are not supported; put Interfaces= on one line");
    CHECK(bad("Mode=auto\n[CLAT]\n") == "test.conf:1: key Mode= outside a [CLAT] section");
    CHECK(bad("[CLAT]\nMode=auto\n[Other]\n") ==
          "test.conf:3: unknown section [Other] (only [CLAT] is known)");
    CHECK(has(bad("[clat]\n"), "test.conf:1: unknown section [clat]"));
    CHECK(starts(bad("[CLAT]\nMode=auto\nthis is not ini\n"), "test.conf:3: syntax error"));
    CHECK(starts(bad("[CLAT\nMode=auto\n"), "test.conf:1: syntax error"));
    // The first problem in the file is reported, whatever its kind.
    CHECK(starts(bad("[CLAT]\ngarbage\nMode=bogus\n"), "test.conf:2: syntax error"));
    CHECK(starts(bad("[CLAT]\nMode=bogus\ngarbage\n"), "test.conf:2: Mode="));
    CHECK(has(bad("[CLAT]\nInterfaces=" + std::string(300, 'a') + "\n"),
              "test.conf:2: line too long"));
    CHECK(has(bad(std::string("[CLAT]\nMode=a\0uto\n", 17)), "test.conf:2: NUL byte"));
}

TEST_CASE("comments, whitespace, CRLF and a BOM are accepted", "[config]") {
    const Config c = ok("\xEF\xBB\xBF[CLAT]\r\n"
                        "; comment\r\n"
                        "  Mode = off ; trailing comment\r\n"
                        "# Interfaces=ignored\r\n"
                        "Interfaces=eth1");
    CHECK(c.mode == ClatMode::off);
    CHECK(c.interfaces == std::vector<std::string>{"eth1"});
}

TEST_CASE("load_config_file", "[config]") {
    std::string tmpl = (fs::temp_directory_path() / "colatrl-config-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    const fs::path dir = tmpl;
    struct Cleanup {
        fs::path p;
        ~Cleanup() {
            std::error_code ec;
            fs::remove_all(p, ec);
        }
    } cleanup{dir};

    auto missing = load_config_file((dir / "nope.conf").string());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::not_found);

    const fs::path good = dir / "good.conf";
    std::ofstream(good) << "[CLAT]\nMode=off\n";
    auto g = load_config_file(good.string());
    REQUIRE(g);
    CHECK(g->mode == ClatMode::off);

    const fs::path wrong = dir / "bad.conf";
    std::ofstream(wrong) << "[CLAT]\n\nMode=sideways\n";
    auto w = load_config_file(wrong.string());
    REQUIRE_FALSE(w);
    CHECK(w.error().code == Errc::parse);
    CHECK(starts(w.error().message, wrong.string() + ":3: Mode="));

    auto d = load_config_file(dir.string()); // a directory: read fails with EISDIR
    REQUIRE_FALSE(d);
    CHECK(d.error().code == Errc::system);
}

TEST_CASE("read_up_to reads what is there, at most the limit", "[config][file_io]") {
    std::string tmpl = (fs::temp_directory_path() / "colatrl-read-XXXXXX").string();
    const int raw = ::mkstemp(tmpl.data());
    REQUIRE(raw >= 0);
    UniqueFd fd(raw);
    struct Cleanup {
        fs::path p;
        ~Cleanup() {
            std::error_code ec;
            fs::remove(p, ec);
        }
    } cleanup{tmpl};
    // Longer than the first block read_up_to starts with, and not a multiple of it.
    std::vector<uint8_t> data(10007);
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<uint8_t>(i * 7 + i / 251);
    }
    REQUIRE(write_all(fd.get(), data, tmpl));
    for (std::size_t limit : {std::size_t{0}, std::size_t{1}, std::size_t{4096}, std::size_t{5000},
                              data.size(), data.size() + 1, std::size_t{1} << 20}) {
        CAPTURE(limit);
        REQUIRE(::lseek(fd.get(), 0, SEEK_SET) == 0);
        auto got = read_up_to(fd.get(), limit, tmpl);
        REQUIRE(got);
        const std::size_t want = std::min(limit, data.size());
        REQUIRE(got->size() == want);
        CHECK(std::equal(got->begin(), got->end(), data.begin()));
    }
}

TEST_CASE("one interface name check, as the kernel's", "[config][ifname]") {
    for (const char* good : {"eth0", "wwan0", "abcdefghijklmno", "br-lan.100", "x"}) {
        CAPTURE(good);
        CHECK(check_ifname(good));
    }
    for (const char* bad : {"", ".", "..", "a/b", "eth0:1", "a b", "tab\t", "abcdefghijklmnop"}) {
        CAPTURE(bad);
        auto s = check_ifname(bad);
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Errc::invalid_argument);
    }
}

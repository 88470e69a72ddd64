// SPDX-License-Identifier: GPL-2.0-or-later
// The RFC 7050 resolver: nameservers from resolv.conf.
#include "dns64/dns64_resolver.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

using namespace colatrl;

TEST_CASE("resolv.conf: IPv4 and IPv6 nameservers, at most three", "[dns64]") {
    auto ns = parse_resolv_conf("# comment\nsearch example.org\nnameserver 2001:db8:1::1\n"
                                "nameserver 192.0.2.53\nnameserver bogus\n"
                                "nameserver ::1\nnameserver 10.0.0.1\n");
    REQUIRE(ns.size() == 3);
    CHECK(ns[0].addr.ss_family == AF_INET6);
    CHECK(ns[0].text == "2001:db8:1::1");
    CHECK(ns[1].addr.ss_family == AF_INET);
    sockaddr_in s4{};
    std::memcpy(&s4, &ns[1].addr, sizeof s4);
    CHECK(ntohs(s4.sin_port) == 53);
    CHECK(ns[2].text == "::1");
    CHECK(parse_resolv_conf("").empty());
}

TEST_CASE("discovery that cannot arm its event sources stops and says why", "[dns64]") {
    // A finished loop refuses new sources (-ESTALE), as a loop out of memory
    // or file descriptors would.
    auto loop = new_event_loop();
    REQUIRE(loop);
    REQUIRE(sd_event_exit(loop->get(), 0) >= 0);
    REQUIRE(sd_event_loop(loop->get()) >= 0);

    char tmpl[] = "/tmp/colatrl-resolv-XXXXXX";
    const int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    const std::string conf = "nameserver 127.0.0.1\n";
    REQUIRE(write(fd, conf.data(), conf.size()) == static_cast<ssize_t>(conf.size()));
    close(fd);

    std::vector<std::string> whys;
    Dns64Resolver r(
        loop->get(),
        [&](std::optional<Dns64Pref64> res, const std::string& why) {
            CHECK_FALSE(res);
            whys.push_back(why);
        },
        tmpl);
    r.restart();
    CHECK_FALSE(r.active()); // the daemon sees this and retries later
    REQUIRE(whys.size() == 1);
    CHECK(whys[0].find("DNS64 discovery stopped: dns64-query: sd_event_add_io") == 0);

    // No nameserver: the retry timer cannot be armed either.
    REQUIRE(truncate(tmpl, 0) == 0);
    whys.clear();
    r.restart();
    CHECK_FALSE(r.active());
    REQUIRE(whys.size() == 2);
    CHECK(whys[1].find("DNS64 discovery stopped: dns64-next-run: sd_event_add_time") == 0);
    unlink(tmpl);
}

// SPDX-License-Identifier: GPL-2.0-or-later
#include "clat/secret.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <stdlib.h>
#include <sys/stat.h>

using namespace colatrl;
namespace fs = std::filesystem;

namespace {

// A fresh directory under $TMPDIR, removed with everything in it at scope exit.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "colatrl-secret-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

void write_file(const fs::path& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary);
    f << bytes;
    REQUIRE(f.good());
}

} // namespace

TEST_CASE("secret is created once, 0600, and read back unchanged", "[secret]") {
    TempDir dir;
    const std::string path = (dir.path / "secret").string();
    auto first = load_or_create_secret(path);
    REQUIRE(first);
    CHECK(first->size() == kSecretSize);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(st.st_size == static_cast<off_t>(kSecretSize));
    auto second = load_or_create_secret(path);
    REQUIRE(second);
    CHECK(*first == *second);
    // Nothing but the secret is left behind (no temporary files).
    std::size_t entries = 0;
    for (const auto& e : fs::directory_iterator(dir.path)) {
        (void)e;
        ++entries;
    }
    CHECK(entries == 1);

    TempDir other;
    auto third = load_or_create_secret((other.path / "secret").string());
    REQUIRE(third);
    CHECK(*third != *first); // 2^-128 chance of a false failure
}

TEST_CASE("missing state directory is created", "[secret]") {
    TempDir dir;
    const fs::path sub = dir.path / "state";
    auto s = load_or_create_secret((sub / "secret").string());
    REQUIRE(s);
    struct stat st {};
    REQUIRE(::stat(sub.c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 0777) == 0700);
    // Two missing levels are not created: that points at a wrong path.
    auto deep = load_or_create_secret((dir.path / "a" / "b" / "secret").string());
    REQUIRE_FALSE(deep);
    CHECK(deep.error().code == Errc::system);
}

TEST_CASE("a corrupt secret is an error with a clear message", "[secret]") {
    TempDir dir;
    const fs::path p = dir.path / "secret";
    for (const std::string& content : {std::string(), std::string(5, 'x'), std::string(15, 'x'),
                                       std::string(17, 'x'), std::string(4096, 'x')}) {
        INFO(content.size() << " bytes");
        write_file(p, content);
        auto s = load_or_create_secret(p.string());
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Errc::parse);
        CHECK(s.error().message.find("corrupt secret") != std::string::npos);
        CHECK(s.error().message.find(p.string()) != std::string::npos);
    }
    // The corrupt file is left alone, not silently replaced.
    CHECK(fs::file_size(p) == 4096);
    write_file(p, std::string(16, '\x07'));
    auto ok = load_or_create_secret(p.string());
    REQUIRE(ok);
    CHECK(*ok == std::vector<uint8_t>(16, 7));
}

TEST_CASE("a secret path that is not a regular file is rejected", "[secret]") {
    TempDir dir;
    const fs::path d = dir.path / "secret";
    fs::create_directory(d);
    auto s = load_or_create_secret(d.string());
    REQUIRE_FALSE(s);
    CHECK(s.error().message.find("not a regular file") != std::string::npos);
    fs::create_symlink(dir.path / "elsewhere", dir.path / "link");
    auto l = load_or_create_secret((dir.path / "link").string());
    REQUIRE_FALSE(l); // O_NOFOLLOW: a symlink is never followed
    CHECK_FALSE(load_or_create_secret(""));
}

TEST_CASE("obtain_secret: a corrupt secret is moved aside and replaced, once", "[secret]") {
    TempDir dir;
    const fs::path p = dir.path / "secret";
    write_file(p, std::string(5, 'x'));
    auto s = obtain_secret(p.string());
    REQUIRE(s);
    CHECK(s->bytes.size() == kSecretSize);
    CHECK(s->warning.find("corrupt secret") != std::string::npos);
    CHECK(s->warning.find(p.string() + ".corrupt") != std::string::npos);
    CHECK(fs::file_size(p.string() + ".corrupt") == 5);
    // The new secret is stored: the next start uses it without a word.
    auto again = obtain_secret(p.string());
    REQUIRE(again);
    CHECK(again->warning.empty());
    CHECK(again->bytes == s->bytes);
}

TEST_CASE("obtain_secret: a state directory that cannot be used gives a temporary secret",
          "[secret]") {
    TempDir dir;
    // A file where the directory should be: ENOTDIR even for root.
    write_file(dir.path / "state", "not a directory");
    const std::string path = (dir.path / "state" / "secret").string();
    auto a = obtain_secret(path);
    auto b = obtain_secret(path);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->bytes.size() == kSecretSize);
    CHECK(a->warning.find("temporary") != std::string::npos);
    CHECK(a->warning.find(path) != std::string::npos);
    CHECK(a->bytes != b->bytes); // nothing was stored
}

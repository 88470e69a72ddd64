// SPDX-License-Identifier: GPL-2.0-or-later
#include "clat/secret.hpp"

#include "base/file_io.hpp"
#include "base/unique_fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <span>
#include <string_view>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace colatrl {

namespace {

std::string parent_dir(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

Result<std::vector<uint8_t>> read_secret(const std::string& path, int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return sys_error(errno, "stat " + path);
    }
    if (!S_ISREG(st.st_mode)) {
        return make_error(Errc::parse, path + ": secret is not a regular file");
    }
    auto bytes = read_up_to(fd, kSecretSize + 1, path); // one extra byte detects long files
    if (!bytes) {
        return std::move(bytes).error();
    }
    const std::size_t got = bytes->size();
    if (got != kSecretSize) {
        return make_error(
            Errc::parse, path + ": corrupt secret: expected " + std::to_string(kSecretSize) +
                             " bytes, found " + (got > kSecretSize ? "more" : std::to_string(got)) +
                             "; remove the file to generate a new one (the CLAT IPv6 address "
                             "will change)");
    }
    return std::move(*bytes);
}

Status fill_random(std::span<uint8_t> out) {
    std::size_t got = 0;
    while (got < out.size()) {
        const ssize_t n = ::getrandom(out.data() + got, out.size() - got, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return sys_error(errno, "getrandom");
        }
        got += static_cast<std::size_t>(n);
    }
    return {};
}

Result<std::vector<uint8_t>> create_secret(const std::string& path) {
    const std::string dir = parent_dir(path);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        return sys_error(errno, "create directory " + dir);
    }
    std::vector<uint8_t> secret(kSecretSize);
    if (auto s = fill_random(secret); !s) {
        return std::move(s).error();
    }
    std::string tmp = path + ".XXXXXX";
    UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
    if (fd.get() < 0) {
        return sys_error(errno, "create temporary file " + tmp);
    }
    // Remove the temporary file on every early return.
    struct Unlink {
        const std::string* p = nullptr;
        bool armed = true;
        ~Unlink() {
            if (armed) {
                ::unlink(p->c_str());
            }
        }
    } cleanup{&tmp};
    if (::fchmod(fd.get(), 0600) != 0) {
        return sys_error(errno, "chmod " + tmp);
    }
    if (auto w = write_all(fd.get(), secret, tmp); !w) {
        return std::move(w).error();
    }
    if (::fsync(fd.get()) != 0) {
        return sys_error(errno, "fsync " + tmp);
    }
    if (fd.close_checked() != 0) {
        return sys_error(errno, "close " + tmp);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        return sys_error(errno, "rename " + tmp + " to " + path);
    }
    cleanup.armed = false;
    // Make the rename durable; failure here does not make the secret wrong.
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() >= 0) {
        (void)::fsync(dfd.get());
    }
    return secret;
}

} // namespace

Result<std::vector<uint8_t>> load_or_create_secret(const std::string& path) {
    if (path.empty()) {
        return make_error(Errc::invalid_argument, "empty secret path");
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() >= 0) {
        return read_secret(path, fd.get());
    }
    if (errno != ENOENT) {
        return sys_error(errno, "open " + path);
    }
    return create_secret(path);
}

Result<SecretInUse> obtain_secret(const std::string& path) {
    auto stored = load_or_create_secret(path);
    if (stored) {
        return SecretInUse{std::move(*stored), {}};
    }
    std::string why = stored.error().message;
    if (stored.error().code == Errc::parse) {
        const std::string aside = path + ".corrupt";
        if (::rename(path.c_str(), aside.c_str()) == 0) {
            auto fresh = create_secret(path);
            if (fresh) {
                return SecretInUse{std::move(*fresh),
                                   why.substr(0, why.find(';')) + "; moved to " + aside +
                                       ", a new secret is in use (the CLAT IPv6 address changes)"};
            }
            why = fresh.error().message;
        } else {
            why += "; moving it aside: " + sys_error(errno, "rename").message;
        }
    }
    std::vector<uint8_t> temporary(kSecretSize);
    if (auto s = fill_random(temporary); !s) {
        return std::move(s).error();
    }
    return SecretInUse{std::move(temporary),
                       "cannot keep the secret: " + why +
                           "; using a temporary one (the CLAT IPv6 address changes at every "
                           "start until this is fixed)"};
}

} // namespace colatrl

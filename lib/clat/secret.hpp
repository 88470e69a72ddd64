// SPDX-License-Identifier: GPL-2.0-or-later
// The per-host secret for the CLAT IPv6 interface identifier (RFC 7217 secret_key),
// kept in the state directory so the address is stable across restarts.
#pragma once

#include "base/result.hpp"
#include "clat/markers.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace colatrl {

// Reads the secret at path; if the file does not exist, creates it with kSecretSize bytes from
// getrandom(2), mode 0600, via a temporary file and rename(2) so a crash never leaves a
// partial secret. The parent directory is created (0700) if missing. A file of the wrong
// size or type is an Errc::parse error naming the path.
Result<std::vector<uint8_t>> load_or_create_secret(const std::string& path);

// What the daemon runs with. A bad state directory must not keep it from starting (a
// restart would meet the same directory): a corrupt secret is moved aside to
// PATH.corrupt and replaced by a new one; when the secret can be neither read nor
// stored, a temporary one is used. `warning` then says so in one line (the CLAT IPv6
// address changes). Fails only when getrandom(2) does.
struct SecretInUse {
    std::vector<uint8_t> bytes;
    std::string warning; // empty when the stored secret was used or created
};
Result<SecretInUse> obtain_secret(const std::string& path);

} // namespace colatrl

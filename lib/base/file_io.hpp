// SPDX-License-Identifier: GPL-2.0-or-later
// Whole-buffer reads and writes on a file descriptor, retried on EINTR and
// short transfers, with errors that name the file. Used for the small files
// colatrld keeps or reads (the configuration, the address secret).
#pragma once

#include "base/result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace colatrl {

// Reads until end of file or until `limit` bytes were read, whichever comes
// first; a caller that must detect an over-long file asks for one byte more
// than it accepts.
Result<std::vector<uint8_t>> read_up_to(int fd, std::size_t limit, const std::string& path);

// Writes all of `data`.
Status write_all(int fd, std::span<const uint8_t> data, const std::string& path);

} // namespace colatrl

// Writing files so that a reader never sees half of one: write a temporary file next to the
// target, flush it to disk, then rename it over the target (atomic on POSIX file systems).
#pragma once

#include <string>
#include <string_view>

namespace glia::io {

// Replaces `path` with `contents`; on failure throws std::runtime_error naming the file, and
// the previous file (if any) is left as it was.
void write_file_atomically(const std::string& path, std::string_view contents);

// The whole file; throws std::runtime_error naming the file when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace glia::io

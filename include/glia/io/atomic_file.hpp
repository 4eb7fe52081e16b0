/// @file
/// Files that a crash cannot leave half-written, and folders that two runs cannot share.
///
/// write_file_atomically: the contents go to `<path>.tmp.<pid>` next to the target, are flushed
/// to disk, and the file is renamed over the target (atomic on POSIX file systems): a reader sees
/// the old file or the new one, never a mixture. A process killed mid-write leaves its temporary
/// file behind; remove_stale_temporaries() removes those whose writer is gone.
#pragma once

#include <string>
#include <string_view>

namespace glia::io {

/// Replaces `path` with `contents`; on failure throws std::runtime_error naming the file, and
/// the previous file (if any) is left as it was.
void write_file_atomically(const std::string& path, std::string_view contents);

/// The whole file; throws std::runtime_error naming the file when it cannot be read.
std::string read_file(const std::string& path);

/// True for the names write_file_atomically gives its temporary files (`<name>.tmp.<pid>`).
bool is_temporary_name(const std::string& file_name);

/// Removes the temporary files in `dir` whose writing process no longer runs; returns how many.
/// Those of running processes (a concurrent writer) are left alone.
int remove_stale_temporaries(const std::string& dir);

/// An exclusive lock on a folder for as long as the object lives (flock on `<dir>/.lock`, which
/// holds the owner's process id): a second run on the same folder fails at once instead of
/// overwriting the first's files. The lock goes away with the process, even after kill -9.
class FolderLock {
 public:
  /// Creates the folder if needed. Throws std::runtime_error naming the folder and, when it can
  /// tell, the process that holds it.
  explicit FolderLock(const std::string& dir);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  /// The lock file's name inside the folder.
  static constexpr const char* kFileName = ".lock";

 private:
  int fd_ = -1;
};

}  // namespace glia::io

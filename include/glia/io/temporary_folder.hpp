/// @file
/// TemporaryFolder: a private folder under the system's temporary directory, removed with
/// everything in it when the object goes.
#pragma once

#include <string>

namespace glia::io {

/// A new, empty folder named `<prefix>XXXXXX` in the temporary directory (mkdtemp), removed
/// with its contents by the destructor.
class TemporaryFolder {
 public:
  /// Throws std::runtime_error when the folder cannot be made.
  explicit TemporaryFolder(const std::string& prefix = "glia-");
  ~TemporaryFolder();
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  /// The folder.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace glia::io

// TempDir: a scratch folder for one test, named after the process and a tag, removed at the end.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace glia::testing {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag = "glia_test")
      : path(std::filesystem::temp_directory_path() / (tag + "_" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// A path inside the folder.
  std::string file(const std::string& name) const { return (path / name).string(); }
};

}  // namespace glia::testing

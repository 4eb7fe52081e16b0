#include "glia/io/temporary_folder.hpp"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

namespace glia::io {

TemporaryFolder::TemporaryFolder(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (!mkdtemp(pattern.data()))
    throw std::runtime_error("glia: cannot create a temporary folder like '" + pattern + "'");
  path_ = pattern;
}

TemporaryFolder::~TemporaryFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace glia::io

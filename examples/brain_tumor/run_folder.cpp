#include "run_folder.hpp"

#include <filesystem>

#include "errors.hpp"

namespace brain_tumor {
namespace fs = std::filesystem;

RunFolder::RunFolder(const std::string& dir, bool resume, bool force) : dir_(dir) {
  if (fs::exists(dir) && !fs::is_directory(dir)) {
    throw DataError("output folder '" + dir + "' is a file, not a folder");
  }
  if (resume && !fs::is_directory(dir)) throw DataError("no run to resume in '" + dir + "'");
  try {
    lock_ = std::make_unique<glia::io::FolderLock>(dir);
  } catch (const std::runtime_error& e) {
    throw DataError(e.what());
  }
  glia::io::remove_stale_temporaries(dir);
  if (resume || force) return;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name == glia::io::FolderLock::kFileName || glia::io::is_temporary_name(name)) continue;
    throw DataError("output folder '" + dir +
                    "' already holds files; choose another --out, add --force, or --resume it");
  }
}

std::string RunFolder::file(const std::string& name) const {
  return (fs::path(dir_) / name).string();
}

void RunFolder::start(const nlohmann::ordered_json& options, bool resume) const {
  if (!resume) return write_options(options);
  if (read_options() != options)
    throw DataError("cannot resume '" + dir_ + "': it was started with other options (" +
                    read_options().dump() + ")");
}

void RunFolder::write_options(const nlohmann::ordered_json& options) const {
  glia::io::write_file_atomically(file("run.json"), options.dump(2) + "\n");
}

nlohmann::ordered_json RunFolder::read_options() const {
  try {
    return nlohmann::ordered_json::parse(glia::io::read_file(file("run.json")));
  } catch (const std::exception& e) {
    throw DataError("cannot resume '" + dir_ + "': its run.json is missing or unreadable (" +
                    e.what() + ")");
  }
}

}  // namespace brain_tumor

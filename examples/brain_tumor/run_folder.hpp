// The output folder of a run: locked for the run's length, cleared of a dead writer's temporary
// files, refused when it holds another run's files (unless forced), and holding run.json, the
// options that --resume reads back.
#pragma once

#include <memory>
#include <string>

#include <glia/io/atomic_file.hpp>
#include <nlohmann/json.hpp>

namespace brain_tumor {

class RunFolder {
 public:
  // Creates and locks `dir` (DataError if another run holds it or it is a file). A new run
  // (resume false) needs the folder empty of files but the lock and dead writers' temporary
  // files, unless `force`.
  RunFolder(const std::string& dir, bool resume, bool force);

  const std::string& dir() const { return dir_; }
  std::string file(const std::string& name) const;

  // A new run writes its options to run.json; a resumed one must have been started with the
  // same options (DataError naming the difference otherwise).
  void start(const nlohmann::ordered_json& options, bool resume) const;

  // run.json: the options of the run, written at its start.
  void write_options(const nlohmann::ordered_json& options) const;
  nlohmann::ordered_json read_options() const;  // DataError if missing or unreadable

 private:
  std::string dir_;
  std::unique_ptr<glia::io::FolderLock> lock_;
};

}  // namespace brain_tumor

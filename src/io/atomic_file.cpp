#include "glia/io/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace glia::io {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("glia: cannot write '" + path + "': " + what);
}

// Crash testing (tests/examples/resume_after_kill.sh): with GLIA_TEST_KILL_DURING_WRITE set to a
// string that the target path contains, the process kills itself after writing the temporary
// file and before renaming it: the moment a power cut would hurt most.
void maybe_die_mid_write(const std::string& path) {
  static const char* when = std::getenv("GLIA_TEST_KILL_DURING_WRITE");
  if (when && *when && path.find(when) != std::string::npos) ::raise(SIGKILL);
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view contents) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, std::strerror(errno));
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(temp.c_str());
      fail(path, why);
    }
    written += static_cast<size_t>(n);
  }
  // fsync before rename: otherwise a crash can leave the new name pointing at empty blocks.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    fail(path, why);
  }
  maybe_die_mid_write(path);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    fail(path, why);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("glia: cannot open '" + path + "': " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw std::runtime_error("glia: cannot read '" + path + "'");
  return buffer.str();
}

namespace {

// The writer's process id in a temporary file's name, or 0.
pid_t writer_of(const std::string& file_name) {
  const size_t tag = file_name.rfind(".tmp.");
  if (tag == std::string::npos || tag == 0) return 0;
  const std::string digits = file_name.substr(tag + 5);
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return 0;
  }
  return static_cast<pid_t>(std::stol(digits));
}

}  // namespace

bool is_temporary_name(const std::string& file_name) {
  return writer_of(file_name) > 0;
}

int remove_stale_temporaries(const std::string& dir) {
  int removed = 0;
  std::error_code error;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, error)) {
    const pid_t pid = writer_of(e.path().filename().string());
    if (pid <= 0 || !e.is_regular_file()) continue;
    // kill(pid, 0) fails with ESRCH when no such process exists: its write can never finish.
    if (::kill(pid, 0) != 0 && errno == ESRCH && fs::remove(e.path(), error)) ++removed;
  }
  return removed;
}

FolderLock::FolderLock(const std::string& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw std::runtime_error("cannot create folder '" + dir + "': " + error.message());
  const std::string path = (fs::path(dir) / kFileName).string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw std::runtime_error("cannot lock folder '" + dir + "': " + std::strerror(errno));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char owner[32] = {};
    const ssize_t n = ::pread(fd_, owner, sizeof(owner) - 1, 0);
    ::close(fd_);
    fd_ = -1;
    const std::string pid = n > 0 ? std::string(owner, static_cast<size_t>(n)) : "";
    throw std::runtime_error("folder '" + dir + "' is in use by another run" +
                             (pid.empty() ? "" : " (process " + pid + ")") +
                             "; wait for it to finish or choose another folder");
  }
  // The process id is only for a second run's message: the lock holds without it.
  const std::string me = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, me.data(), me.size(), 0);
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace glia::io

// read_keras_file in a child process: libhdf5 1.10 crashes (SIGSEGV in H5HG_read) and hangs
// (H5C_protect) on some malformed files, and a library cannot fix that from outside. The child
// reads the file under an address-space limit and sends the contents back through a pipe; the
// parent waits with a deadline and turns a signal, an exit or a timeout into an error.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "keras_file.hpp"

namespace glia::io::keras {
namespace {

// ---- the message: status, then the contents or an error text -------------------------------

void put_u64(std::string& out, uint64_t v) {
  out.append(reinterpret_cast<const char*>(&v), 8);
}
void put_text(std::string& out, const std::string& s) {
  put_u64(out, s.size());
  out += s;
}

std::string encode(const KerasFile& file) {
  std::string out;
  put_text(out, file.model_config);
  put_u64(out, file.weights.size());
  for (const auto& [layer, weights] : file.weights) {
    put_text(out, layer);
    put_u64(out, weights.size());
    for (const auto& [key, w] : weights) {
      put_text(out, key);
      put_u64(out, w.shape.size());
      for (int64_t d : w.shape) put_u64(out, static_cast<uint64_t>(d));
      put_u64(out, w.values.size());
      out.append(reinterpret_cast<const char*>(w.values.data()), w.values.size() * sizeof(float));
    }
  }
  return out;
}

// Reads the parent's copy of the message; every count is checked against what is left and
// against the limits, so a confused child cannot make the parent allocate or read past the end.
class Reader {
 public:
  Reader(const std::string& bytes, const std::string& path) : bytes_(bytes), path_(path) {}
  uint64_t u64() {
    need(8);
    uint64_t v;
    std::memcpy(&v, bytes_.data() + at_, 8);
    at_ += 8;
    return v;
  }
  std::string text(uint64_t max) {
    const uint64_t n = u64();
    if (n > max) bad();
    need(n);
    std::string s = bytes_.substr(at_, n);
    at_ += n;
    return s;
  }
  void floats(std::vector<float>& out, uint64_t n) {
    if (n > (bytes_.size() - at_) / sizeof(float)) bad();
    out.resize(n);
    std::memcpy(out.data(), bytes_.data() + at_, n * sizeof(float));
    at_ += n * sizeof(float);
  }
  bool done() const { return at_ == bytes_.size(); }
  [[noreturn]] void bad() const { fail(path_, "the HDF5 reader sent a malformed answer"); }

 private:
  void need(uint64_t n) const {
    if (n > bytes_.size() - at_) bad();
  }
  const std::string& bytes_;
  const std::string& path_;
  size_t at_ = 0;
};

KerasFile decode(const std::string& bytes, const std::string& path, const ReadLimits& limits) {
  Reader in(bytes, path);
  KerasFile file;
  file.model_config = in.text(limits.max_config_bytes);
  const uint64_t layers = in.u64();
  if (layers > limits.max_layers) in.bad();
  int64_t budget = limits.max_values;
  for (uint64_t l = 0; l < layers; ++l) {
    auto& weights = file.weights[in.text(4096)];
    const uint64_t count = in.u64();
    if (count > 64) in.bad();
    for (uint64_t i = 0; i < count; ++i) {
      Weight& w = weights[in.text(4096)];
      const uint64_t rank = in.u64();
      if (rank > 8) in.bad();
      for (uint64_t r = 0; r < rank; ++r) {
        const uint64_t d = in.u64();
        if (d > static_cast<uint64_t>(budget)) in.bad();
        w.shape.push_back(static_cast<int64_t>(d));
      }
      const int64_t numel = shape_numel_within(w.shape, budget);
      if (numel < 0) in.bad();
      if (in.u64() != static_cast<uint64_t>(numel)) in.bad();
      budget -= numel;
      in.floats(w.values, static_cast<uint64_t>(numel));
    }
  }
  if (!in.done()) in.bad();
  return file;
}

bool write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

void limit_address_space(int64_t memory_limit) {
#if !defined(__SANITIZE_ADDRESS__)
  // The limit is on top of what the parent had mapped (the child starts as its copy).
  unsigned long long pages = 0;
  if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(statm, "%llu", &pages) != 1) pages = 0;
    std::fclose(statm);
  }
  const rlim_t bytes = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) +
                       static_cast<rlim_t>(memory_limit);
  const rlimit limit{bytes, bytes};
  setrlimit(RLIMIT_AS, &limit);
#else
  (void)memory_limit;  // AddressSanitizer reserves terabytes of shadow memory: no limit under it
#endif
}

}  // namespace

std::string run_in_child(const std::function<std::string()>& work, const ChildLimits& limits,
                         const std::string& path) {
  int fds[2];
  if (pipe(fds) != 0) fail(path, std::string("cannot create a pipe: ") + std::strerror(errno));
  const pid_t child = fork();
  if (child < 0) {
    close(fds[0]);
    close(fds[1]);
    fail(path, std::string("cannot start the HDF5 reader: ") + std::strerror(errno));
  }
  if (child == 0) {
    close(fds[0]);
    // A crash here is the parent's to report, not the program's crash handlers' to handle.
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, SIG_DFL);
    limit_address_space(limits.memory_bytes);
    std::string message;
    try {
      message = std::string(1, '\0') + work();
    } catch (const std::bad_alloc&) {
      message = std::string(1, '\1') + "reading it needs more than the memory limit";
    } catch (const std::exception& e) {
      message = std::string(1, '\1') + e.what();
    }
    _exit(write_all(fds[1], message) ? 0 : 3);  // no destructors or atexit handlers: the parent's
  }
  close(fds[1]);

  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(limits.timeout_seconds));
  std::string answer;
  bool timed_out = false, too_long = false;
  std::vector<char> buffer(1 << 16);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1 << 30)));
    if (ready <= 0) continue;  // interrupted or not yet: the deadline is checked at the top
    const ssize_t n = read(fds[0], buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the end of the answer
    answer.append(buffer.data(), static_cast<size_t>(n));
    if (answer.size() > limits.max_answer_bytes + 1) {
      too_long = true;
      break;
    }
  }
  close(fds[0]);
  if (timed_out || too_long) kill(child, SIGKILL);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%g", limits.timeout_seconds);
    fail(path, std::string("libhdf5 did not finish reading it within ") + seconds +
                   " s (a malformed file can make it loop)");
  }
  if (too_long) fail(path, "the HDF5 reader sent more than the file may hold");
  if (WIFSIGNALED(status)) {
    fail(path, std::string("libhdf5 crashed reading it (") + strsignal(WTERMSIG(status)) +
                   "): the file is corrupt");
  }
  if (answer.empty() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fail(path, "the HDF5 reader failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")");
  }
  if (answer[0] == '\1') throw std::runtime_error(answer.substr(1));  // the child's own error
  return answer.substr(1);
}

KerasFile read_keras_file_isolated(const std::string& path, const ChildLimits& child,
                                   const ReadLimits& limits) {
  ChildLimits bounded = child;
  // The answer can be no larger than the limits allow (plus names and counts).
  bounded.max_answer_bytes = std::min(
      child.max_answer_bytes, static_cast<size_t>(limits.max_values) * sizeof(float) +
                                  limits.max_config_bytes + limits.max_layers * 64 * 256 + 4096);
  return decode(run_in_child([&] { return encode(read_keras_file(path, limits)); }, bounded, path),
                path, limits);
}

}  // namespace glia::io::keras

// run_isolated: a reader in a forked child process (io/isolated_call.hpp).
#include "glia/io/isolated_call.hpp"

#include <fcntl.h>
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

// AddressSanitizer reserves terabytes of shadow memory (no address-space limit under it) and
// writes its reports to standard error (kept under it). GCC says so with __SANITIZE_ADDRESS__,
// Clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define GLIA_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GLIA_UNDER_ASAN 1
#endif
#endif

namespace glia::io {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("cannot read '" + path + "': " + what);
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
#if !defined(GLIA_UNDER_ASAN)
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

std::string run_isolated(const std::function<std::string()>& work, const IsolationLimits& limits,
                         const std::string& path, const std::string& library) {
  int fds[2];
  if (pipe(fds) != 0) fail(path, std::string("cannot create a pipe: ") + std::strerror(errno));
  const pid_t child = fork();
  if (child < 0) {
    close(fds[0]);
    close(fds[1]);
    fail(path, "cannot start the " + library + " reader: " + std::strerror(errno));
  }
  if (child == 0) {
    close(fds[0]);
    // A crash here is the parent's to report, not the program's crash handlers' to handle.
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, SIG_DFL);
#if !defined(GLIA_UNDER_ASAN)
    // Decoders print their complaints (libjpeg, OpenJPEG): the error the parent throws says
    // what matters. Under a sanitizer its report is kept.
    if (const int null = open("/dev/null", O_WRONLY); null >= 0) dup2(null, STDERR_FILENO);
#endif
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
    fail(path, library + " did not finish reading it within " + seconds +
                   " s (a malformed file can make it loop)");
  }
  if (too_long) fail(path, "the " + library + " reader sent more than the file may hold");
  if (WIFSIGNALED(status)) {
    fail(path, library + " crashed reading it (" + strsignal(WTERMSIG(status)) +
                   "): the file is malformed, or uses something " + library + " cannot handle");
  }
  if (answer.empty() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fail(path, "the " + library + " reader failed (exit status " +
                   std::to_string(WEXITSTATUS(status)) + ")");
  }
  if (answer[0] == '\1') throw std::runtime_error(answer.substr(1));  // the child's own error
  return answer.substr(1);
}

}  // namespace glia::io

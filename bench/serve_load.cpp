// glia_serve_load: a bounded load test of brain_tumor serve, over loopback only.
//
//   glia_serve_load --url http://127.0.0.1:PORT [--clients 8] [--requests 200] [--warmup 10]
//                   [--pid SERVER_PID] [--token T] SCAN...
//
// Each client sends its requests one after another (POST /api/predict, one scan as the body,
// the scans taken in turn), all clients at once. A warm-up round first (every worker's model
// copy touched, allocator pools grown); then the server's resident memory (VmRSS, from
// /proc/PID/status) is read, the timed round runs, and it is read again: a server that keeps
// something per request grows here. Prints requests/s, the latency percentiles, the errors and
// the memory, and exits 1 on any error.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <CLI/CLI.hpp>

namespace {

struct Round {
  std::vector<double> latencies_ms;
  std::vector<double> resident_mb;  // the server's, after each quarter of the requests
  long errors = 0;
  std::string first_error;
  double seconds = 0;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + path + "'");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The server's resident memory in MB, or -1 when it cannot be read.
double resident_mb(long pid) {
  if (pid <= 0) return -1;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

Round run_round(const std::string& host, int port, const std::string& token, int clients,
                int requests, const std::vector<std::string>& scans, long pid) {
  Round round;
  std::mutex mutex;
  std::atomic<long> done{0};
  const long total = static_cast<long>(clients) * requests;
  // Reads the server's memory as each quarter of the requests completes: growth that goes on
  // quarter after quarter is a leak, a step at the start is warm-up.
  std::thread sampler([&] {
    for (int quarter = 1; quarter <= 4;) {
      if (done.load() * 4 >= quarter * total) {
        round.resident_mb.push_back(resident_mb(pid));
        ++quarter;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client(host, port);
      client.set_read_timeout(120, 0);
      client.set_keep_alive(true);
      httplib::Headers headers;
      if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
      std::vector<double> mine;
      long errors = 0;
      std::string first_error;
      for (int r = 0; r < requests; ++r) {
        const std::string& body = scans[static_cast<size_t>(c + r) % scans.size()];
        const auto sent = std::chrono::steady_clock::now();
        const auto result = client.Post("/api/predict", headers, body, "application/octet-stream");
        mine.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent)
                .count());
        ++done;
        if (!result || result->status != 200) {
          ++errors;
          if (first_error.empty())
            first_error = result ? "HTTP " + std::to_string(result->status) + ": " + result->body
                                 : "no answer: " + httplib::to_string(result.error());
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      round.latencies_ms.insert(round.latencies_ms.end(), mine.begin(), mine.end());
      round.errors += errors;
      if (round.first_error.empty()) round.first_error = first_error;
    });
  }
  for (std::thread& t : threads) t.join();
  sampler.join();
  round.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(round.latencies_ms.begin(), round.latencies_ms.end());
  return round;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"glia_serve_load: a bounded load test of brain_tumor serve, over loopback"};
  std::string url, token;
  int clients = 8, requests = 200, warmup = 10;
  long pid = 0;
  std::vector<std::string> files;
  app.add_option("--url", url, "the server, http://127.0.0.1:PORT")->required();
  app.add_option("--clients", clients, "concurrent clients")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--requests", requests, "requests per client, timed")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--warmup", warmup, "requests per client before timing")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app.add_option("--pid", pid, "the server's process id, for its resident memory");
  app.add_option("--token", token, "the server's --token");
  app.add_option("scans", files, "the scans to send, in turn")
      ->required()
      ->check(CLI::ExistingFile);
  CLI11_PARSE(app, argc, argv);

  std::smatch parts;
  if (!std::regex_match(url, parts,
                        std::regex(R"(http://(127\.0\.0\.1|localhost|\[::1\]):(\d+)/?)"))) {
    std::fprintf(stderr, "error: --url must be http://127.0.0.1:PORT (loopback only), not '%s'\n",
                 url.c_str());
    return 2;
  }
  const std::string host = parts[1] == "[::1]" ? "::1" : parts[1].str();
  const int port = std::stoi(parts[2]);
  std::vector<std::string> scans;
  try {
    for (const std::string& f : files) scans.push_back(read_bytes(f));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }

  if (warmup > 0) {
    const Round w = run_round(host, port, token, clients, warmup, scans, pid);
    if (w.errors) {
      std::fprintf(stderr, "error: %ld of %d warm-up requests failed; the first: %s\n", w.errors,
                   clients * warmup, w.first_error.c_str());
      return 1;
    }
  }
  const double rss_before = resident_mb(pid);
  const Round r = run_round(host, port, token, clients, requests, scans, pid);

  const size_t n = r.latencies_ms.size();
  std::printf("%zu requests (%d clients x %d, %zu scans in turn) in %.2f s: %.1f requests/s\n", n,
              clients, requests, scans.size(), r.seconds, static_cast<double>(n) / r.seconds);
  std::printf("latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n",
              percentile(r.latencies_ms, 50), percentile(r.latencies_ms, 90),
              percentile(r.latencies_ms, 99), r.latencies_ms.empty() ? 0 : r.latencies_ms.back());
  std::printf("errors: %ld%s%s\n", r.errors, r.errors ? "; the first: " : "",
              r.first_error.c_str());
  if (rss_before >= 0) {
    std::printf("server resident memory MB: %.1f after warm-up; after each quarter:", rss_before);
    for (double mb : r.resident_mb) std::printf(" %.1f", mb);
    std::printf(" (%+.1f MB in all)\n", r.resident_mb.back() - rss_before);
  }
  return r.errors ? 1 : 0;
}

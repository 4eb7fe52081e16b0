#include "server.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <glia/io/atomic_file.hpp>
#include <glia/support/parallel.hpp>

#include "analysis.hpp"
#include "model_card.hpp"
#include "web_assets.hpp"

namespace brain_tumor {
namespace {

using nlohmann::json;

// An HTTP status and a message for the client.
struct Failure {
  int status;
  std::string message;
};

// What a worker sends back for one upload.
struct Outcome {
  std::vector<ScanAnalysis> analyses;
  std::optional<Failure> failure;
};

// The image types glia reads, told by their first bytes (not by what the client says).
const char* image_type(const std::string& b) {
  auto starts = [&](const char* magic, size_t n) {
    return b.size() >= n && b.compare(0, n, magic, n) == 0;
  };
  if (b.size() >= 132 && b.compare(128, 4, "DICM") == 0) return "DICOM";
  if (starts("\xFF\xD8\xFF", 3)) return "JPEG";
  if (starts("\x89PNG\r\n\x1A\n", 8)) return "PNG";
  if (starts("BM", 2)) return "BMP";
  if (b.size() >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6') return "PNM";
  return nullptr;
}

const char* extension(const std::string& type) {
  return type == "DICOM"  ? "dcm"
         : type == "JPEG" ? "jpg"
         : type == "PNG"  ? "png"
         : type == "BMP"  ? "bmp"
                          : "pnm";
}

// A client's file name as a label: its last path component, printable, at most 200 bytes. It is
// shown, never used as a path.
std::string clean_name(const std::string& given, size_t index) {
  std::string name = given.substr(
      given.find_last_of("/\\") == std::string::npos ? 0 : given.find_last_of("/\\") + 1);
  std::string out;
  for (char c : name)
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  if (out.size() > 200) out.resize(200);
  return out.empty() ? "scan-" + std::to_string(index + 1) : out;
}

// The worker threads and their bounded queue.
class WorkerPool {
 public:
  WorkerPool(const LoadedModel& model, const Recipe& recipe, int workers, size_t capacity)
      : capacity_(capacity) {
    // The model copies are made here, so that a model that cannot be prepared fails the start,
    // not a worker thread.
    for (int w = 0; w < workers; ++w)
      analyzers_.push_back(std::make_unique<Analyzer>(model, recipe));
    for (int w = 0; w < workers; ++w) {
      threads_.emplace_back([this, w] {
        glia::set_num_threads(1);  // the workers are the parallelism: one core each
        run(*analyzers_[static_cast<size_t>(w)]);
      });
    }
  }
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  // The outcome to come, or nothing when the queue is full.
  std::optional<std::future<Outcome>> submit(std::string bytes, std::string name) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (jobs_.size() >= capacity_) return std::nullopt;
    jobs_.push_back({std::move(bytes), std::move(name), {}});
    std::future<Outcome> future = jobs_.back().promise.get_future();
    ready_.notify_one();
    return future;
  }
  size_t queued() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return jobs_.size();
  }
  int workers() const { return static_cast<int>(threads_.size()); }
  size_t capacity() const { return capacity_; }

 private:
  struct Job {
    std::string bytes, name;
    std::promise<Outcome> promise;
  };

  void run(Analyzer& analyzer) {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping, nothing left
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      Outcome outcome;
      try {
        outcome.analyses = analyzer.analyze(job.bytes, job.name);
      } catch (const std::exception& e) {
        const std::string what = e.what();
        // Over the pixel limit is a size limit too; anything else is an unreadable image.
        outcome.failure =
            Failure{what.find("over the limit") != std::string::npos ? 413 : 400, what};
      } catch (...) {
        outcome.failure = Failure{500, "internal error while analysing '" + job.name + "'"};
      }
      job.promise.set_value(std::move(outcome));
    }
  }

  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<Analyzer>> analyzers_;  // one per thread, never shared
  std::vector<std::thread> threads_;
};

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}});
}

// Whether `given` is the secret, in a time that depends on their lengths only (no early exit
// on the first differing byte, which would tell a client how much of a guess was right).
bool same_secret(const std::string& given, const std::string& secret) {
  if (secret.empty()) return false;
  unsigned char diff = given.size() == secret.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ secret[i % secret.size()]);
  return diff == 0;
}

}  // namespace

struct ScanServer::State {
  ServeOptions options;
  json card;
  std::string model_name;
  WorkerPool pool;
  httplib::Server http;
  std::thread listener;
  int port = 0;
  std::atomic<uint64_t> uploads{0};

  State(const ServeOptions& o, const LoadedModel& model)
      : options(o),
        card(model_card(o.model_path, model, o.recipe.name, o.cv_json)),
        model_name(card.at("name").get<std::string>()),
        pool(model, o.recipe, o.workers, o.queue) {
    card["keeps_uploads"] = !o.keep_uploads.empty();
  }

  bool authorised(const httplib::Request& req, httplib::Response& res) const {
    if (options.token.empty()) return true;
    const std::string given = req.get_header_value("Authorization");
    if (given.rfind("Bearer ", 0) == 0 && same_secret(given.substr(7), options.token)) return true;
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, "this server needs its token: Authorization: Bearer <token>");
    return false;
  }

  // Keeps an upload when --keep-uploads says so, under a name of the server's making.
  void keep(const std::string& bytes, const char* type) {
    if (options.keep_uploads.empty()) return;
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
    const std::string name =
        std::string(stamp) + "-" + std::to_string(++uploads) + "." + extension(type);
    glia::io::write_file_atomically((std::filesystem::path(options.keep_uploads) / name).string(),
                                    bytes);
  }

  void predict(const httplib::Request& req, httplib::Response& res) {
    if (!authorised(req, res)) return;
    struct Upload {
      std::string bytes, name;
    };
    std::vector<Upload> uploads_in;
    if (req.is_multipart_form_data()) {
      size_t i = 0;
      for (const auto& [field, part] : req.files)
        if (!part.filename.empty() || !part.content.empty())
          uploads_in.push_back({part.content, clean_name(part.filename, i++)});
    } else {
      const std::string name =
          req.has_param("name") ? req.get_param_value("name") : req.get_header_value("X-File-Name");
      uploads_in.push_back({req.body, clean_name(name, 0)});
    }
    if (uploads_in.empty() || (uploads_in.size() == 1 && uploads_in[0].bytes.empty()))
      return send_error(res, 400,
                        "no scan in the request: send an image as the body, or files "
                        "as multipart/form-data");
    // Queue every upload, then collect: several scans of one request run on several workers.
    struct Pending {
      std::string name;
      std::optional<std::future<Outcome>> future;
      std::optional<Failure> failure;
    };
    std::vector<Pending> pending;
    for (Upload& u : uploads_in) {
      Pending p{u.name, std::nullopt, std::nullopt};
      const char* type = image_type(u.bytes);
      if (!type) {
        p.failure = Failure{415, "'" + u.name +
                                     "' is not an image glia reads (JPEG, PNG, BMP, "
                                     "PNM or DICOM)"};
      } else {
        keep(u.bytes, type);
        p.future = pool.submit(std::move(u.bytes), u.name);
        if (!p.future)
          p.failure = Failure{503, "the server is busy (" + std::to_string(pool.capacity()) +
                                       " scans waiting): try again in a moment"};
      }
      pending.push_back(std::move(p));
    }
    json results = json::array();
    std::optional<Failure> first_failure;
    size_t failures = 0;
    for (Pending& p : pending) {
      if (p.future) {
        Outcome outcome = p.future->get();
        if (outcome.failure) p.failure = outcome.failure;
        for (const ScanAnalysis& a : outcome.analyses) results.push_back(to_json(a, model_name));
      }
      if (p.failure) {
        ++failures;
        if (!first_failure) first_failure = p.failure;
        results.push_back(
            {{"file", p.name}, {"error", p.failure->message}, {"status", p.failure->status}});
      }
    }
    if (failures == pending.size() && first_failure) {
      if (first_failure->status == 503) res.set_header("Retry-After", "1");
      // One upload: its error as the body; several: each one's, under the first one's status.
      if (pending.size() == 1)
        return send_error(res, first_failure->status, first_failure->message);
      return send_json(res, first_failure->status, results);
    }
    send_json(res, 200, results);
  }

  void routes() {
    http.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                              {"Referrer-Policy", "no-referrer"},
                              {"Cache-Control", "no-store"}});
    http.Get("/", [](const httplib::Request&, httplib::Response& res) {
      const WebAsset* page = find_web_asset("/index.html");
      res.set_header("Content-Security-Policy",
                     "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                     "script-src 'self'; connect-src 'self'; object-src 'none'; "
                     "base-uri 'none'; frame-ancestors 'none'");
      res.set_content(page->body, page->content_type);
    });
    http.Get(R"(/([a-z_]+\.(js|css|svg)))",
             [](const httplib::Request& req, httplib::Response& res) {
               const WebAsset* asset = find_web_asset("/" + req.matches[1].str());
               if (!asset) return send_error(res, 404, "no such file");
               res.set_content(asset->body, asset->content_type);
             });
    http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200,
                {{"status", "ok"},
                 {"workers", pool.workers()},
                 {"queued", pool.queued()},
                 {"queue", pool.capacity()}});
    });
    http.Get("/api/model", [this](const httplib::Request& req, httplib::Response& res) {
      if (authorised(req, res)) send_json(res, 200, card);
    });
    http.Post("/api/predict",
              [this](const httplib::Request& req, httplib::Response& res) { predict(req, res); });
    // httplib's own refusals (413 over --max-bytes, 404, 400 on a malformed request) as JSON.
    http.set_error_handler([this](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      const std::string message =
          res.status == 413 ? "the request is over the server's limit of " +
                                  std::to_string(options.max_bytes) + " bytes"
          : res.status == 404
              ? "no such page or API"
              : "the request could not be handled (HTTP " + std::to_string(res.status) + ")";
      send_error(res, res.status, message);
    });
    http.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
          std::string what = "internal error";
          try {
            std::rethrow_exception(error);
          } catch (const std::exception& e) {
            what += std::string(": ") + e.what();
          } catch (...) {
          }
          send_error(res, 500, what);
        });
  }
};

ScanServer::ScanServer(const ServeOptions& options, LoadedModel model)
    : state_(std::make_unique<State>(options, model)) {
  State& s = *state_;
  s.routes();
  // Connections are served by workers + queue + 2 threads: enough for every scan the pool can
  // hold to wait on it, and the page and the health check beside them; others wait their turn.
  const size_t threads = static_cast<size_t>(options.workers) + options.queue + 2;
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.http.set_payload_max_length(options.max_bytes);
  s.http.set_read_timeout(options.timeout_seconds, 0);
  s.http.set_write_timeout(options.timeout_seconds, 0);
  s.http.set_keep_alive_timeout(5);
}

ScanServer::~ScanServer() {
  stop();
  if (state_->listener.joinable()) state_->listener.join();
}

void ScanServer::start() {
  State& s = *state_;
  s.port = s.options.port == 0
               ? s.http.bind_to_any_port(s.options.host)
               : (s.http.bind_to_port(s.options.host, s.options.port) ? s.options.port : -1);
  if (s.port < 0)
    throw std::runtime_error("cannot listen on " + s.options.host + ":" +
                             std::to_string(s.options.port) +
                             " (in use, or not an address of this machine)");
  s.listener = std::thread([&s] { s.http.listen_after_bind(); });
}

int ScanServer::port() const {
  return state_->port;
}

void ScanServer::wait() {
  if (state_->listener.joinable()) state_->listener.join();
}

void ScanServer::stop() {
  state_->http.stop();
}

}  // namespace brain_tumor

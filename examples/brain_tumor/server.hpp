// brain_tumor serve: the web page and the JSON API over HTTP (cpp-httplib).
//
//   GET  /                 the page (HTML, CSS and JavaScript built into the program)
//   POST /api/predict      one scan as the body, or several as multipart/form-data: a JSON
//                          array, one object per image (analysis.hpp's to_json)
//   GET  /api/model        the model card (model_card.hpp)
//   GET  /healthz          {"status": "ok", "workers": N, "queued": k, "queue": capacity}
//
// Scans are analysed by a pool of worker threads, each with its own copy of the model (Grad-CAM
// writes gradients into a model's parameters), behind a bounded queue: a request that finds it
// full gets 503 at once. Errors are JSON {"error": "..."} with the status that fits: 400 (not
// readable as an image), 401 (--token missing or wrong), 413 (over --max-bytes), 415 (not an
// image type glia reads), 503 (queue full); nothing a client sends can stop the server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "model.hpp"
#include "recipes.hpp"

namespace brain_tumor {

struct ServeOptions {
  std::string model_path;
  Recipe recipe;
  std::optional<std::string> cv_json;  // a cv.json's text, for the model card
  std::string host = "127.0.0.1";
  int port = 8080;                      // 0: any free port (ScanServer::port() says which)
  int workers = 1;                      // analysing threads, one model copy each
  size_t queue = 16;                    // scans waiting for a worker, at most
  size_t max_bytes = size_t{32} << 20;  // a request's body, at most
  std::string token;                    // when set, /api/* needs "Authorization: Bearer <token>"
  std::string keep_uploads;             // when set, each upload is kept in this folder
  int timeout_seconds = 30;             // reading a request, writing a response
};

// A running server (started by start(), on its own thread); stop() or the destructor ends it.
class ScanServer {
 public:
  ScanServer(const ServeOptions& options, LoadedModel model);
  ~ScanServer();
  ScanServer(const ScanServer&) = delete;
  ScanServer& operator=(const ScanServer&) = delete;

  // Binds and starts listening; throws std::runtime_error when the address cannot be bound.
  void start();
  int port() const;
  // Blocks until the server stops (after stop(), from another thread or a signal handler).
  void wait();
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace brain_tumor

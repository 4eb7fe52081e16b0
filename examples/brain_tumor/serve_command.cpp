// brain_tumor serve: the classifier as a web page and a JSON API (server.hpp).
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include <glia/io/atomic_file.hpp>
#include <glia/support/parallel.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "errors.hpp"
#include "server.hpp"

namespace brain_tumor {
namespace {

struct ServeCommandOptions {
  ServeOptions serve;
  std::string recipe = "seed", cv;
  std::vector<std::string> settings;
  int threads = 0;
  long max_bytes = 32L << 20;
};

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

int run_serve(ServeCommandOptions o) {
  ServeOptions& s = o.serve;
  s.recipe = recipe_with(o.recipe, o.settings);
  s.workers = o.threads > 0 ? o.threads : glia::num_threads();
  s.max_bytes = static_cast<size_t>(o.max_bytes);
  if (!o.cv.empty()) {
    try {
      s.cv_json = glia::io::read_file(o.cv);
    } catch (const std::exception& e) {
      throw DataError("cannot read --cv '" + o.cv + "': " + e.what());
    }
  }
  if (!s.keep_uploads.empty()) std::filesystem::create_directories(s.keep_uploads);
  if (!loopback(s.host)) {
    std::cerr << "warning: serving on " << s.host
              << ": anyone who can reach this machine can send scans to it, over plain HTTP "
                 "(no TLS: put it behind a TLS proxy)"
              << (s.token.empty() ? ", and no --token is set" : "") << "\n";
  }
  // SIGINT and SIGTERM are taken by sigwait below, not by a handler: every thread the server
  // starts inherits this mask, and stopping it is not something a signal handler may do.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ScanServer server(s, load_model(s.model_path));
  server.start();
  std::printf("serving %s on http://%s:%d/ (%d worker%s, queue %zu; Ctrl-C stops)\n",
              std::filesystem::path(s.model_path).filename().c_str(), s.host.c_str(), server.port(),
              s.workers, s.workers == 1 ? "" : "s", s.queue);
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::printf("stopping (%s)\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
  server.stop();
  server.wait();
  return 0;
}

}  // namespace

Command add_serve_command(CLI::App& app) {
  auto o = std::make_shared<ServeCommandOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "a web page and a JSON API for trying the model");
  cmd->footer(
      "Open http://HOST:PORT/ in a browser, drop scans, and see for each the probability of a "
      "tumour, the label, the brain crop, a Grad-CAM heat map and (with --cv) how well "
      "probabilities like it were calibrated in cross-validation; the model card says what the "
      "model is. The API: POST /api/predict (an image as the body, or files as "
      "multipart/form-data; a JSON array, one object per image), GET /api/model, GET /healthz. "
      "Scans are analysed in memory and never written to disk unless --keep-uploads is given. "
      "Binds 127.0.0.1 unless --host says otherwise; with --token, the API needs "
      "'Authorization: Bearer TOKEN' (open the page as http://HOST:PORT/#token=TOKEN).");
  cmd->add_option("--model", o->serve.model_path,
                  "best.glia from train, a Keras HDF5 model, or an ONNX model")
      ->required();
  add_recipe_option(*cmd, o->recipe, "the recipe the model was trained with (its test-time flips)");
  add_settings_option(*cmd, o->settings);
  cmd->add_option("--cv", o->cv,
                  "a cv.json from brain_tumor cv, for the model card and the "
                  "calibration line");
  cmd->add_option("--host", o->serve.host, "the address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", o->serve.port, "the port (default 8080; 0: any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--threads", o->threads,
                  "analysing threads, each with its own copy of the model (default: all cores)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--queue", o->serve.queue,
                  "scans that may wait for a thread before the server answers 503 (default 16)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--max-bytes", o->max_bytes, "the largest request body (default 32 MB)")
      ->check(CLI::Range(1L, 1L << 34));
  cmd->add_option("--timeout", o->serve.timeout_seconds,
                  "seconds to read a request or write a response (default 30)")
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--token", o->serve.token, "a bearer token the API requires");
  cmd->add_option("--keep-uploads", o->serve.keep_uploads,
                  "keep a copy of every upload in this folder (named by the server, not the "
                  "client)");
  add_input_options(*cmd);
  return {cmd, [o] { return run_serve(*o); }};
}

}  // namespace brain_tumor

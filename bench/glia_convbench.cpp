// glia_convbench: times glia's convolution at any shape, in benchdnn's notation, in each
// direction, and states the speed as GFLOP/s and as a fraction of the machine's FMA peak for the
// instruction set that ran (measured in this process).
//
//   glia_convbench --shape mb32ic64ih56iw56oc64kh3kw3sh1sw1ph1pw1 --dir fwd,bwd_w
//   glia_convbench --suite --format json
//   glia_convbench --suite --versus direct     # each against GLIA_CONV=direct, in turn
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <glia/glia.hpp>
#include <glia/support/cpu.hpp>
#include <nlohmann/json.hpp>

#include "conv_spec.hpp"
#include "peak_flops.hpp"
#include "timing.hpp"

using namespace glia;
using glia::bench::ConvSpec;
using glia::bench::cpu_model;
using glia::bench::median_ms;

namespace {

struct Row {
  std::string shape, dir, isa;
  double ms = 0, gflops = 0, peak_pct = 0;
  double versus_ms = 0, versus_gflops = 0, speedup = 0;  // with --versus
};

ConvAlgorithm parse_algorithm(const std::string& name) {
  return name == "direct"     ? ConvAlgorithm::direct
         : name == "winograd" ? ConvAlgorithm::winograd
                              : ConvAlgorithm::automatic;
}

// With `versus`, each direction runs in turn under the algorithm in force and under `versus`
// (set_conv_algorithm between samples), and the speed-up is the median of the pairs' ratios.
std::vector<Row> run(const ConvSpec& s, const std::vector<std::string>& dirs, int repeats,
                     double min_seconds, double peak, const std::string& versus) {
  Rng rng(3);
  const Tensor x = Tensor::rand({s.mb, s.ic, s.ih, s.iw}, rng, -1, 1);
  const Tensor w = Tensor::rand({s.oc, s.ic, s.kh, s.kw}, rng, -0.1f, 0.1f);
  const Tensor b = Tensor::rand({s.oc}, rng);
  const Tensor dy = Tensor::rand({s.mb, s.oc, s.oh, s.ow}, rng, -1, 1);
  std::vector<Row> rows;
  const ConvAlgorithm own = conv_algorithm();
  for (const std::string& dir : dirs) {
    const auto call = [&] {
      if (dir == "fwd") {
        conv2d_forward(x, w, b, s.sh, s.ph);
      } else if (dir == "bwd_d") {
        conv2d_backward_input(dy, w, x.shape(), s.sh, s.ph);
      } else {
        conv2d_backward_weights(dy, x, w.shape(), s.sh, s.ph, true);
      }
    };
    Row r;
    r.shape = s.text;
    r.dir = dir;
    r.isa = isa_name(active_isa());
    if (versus.empty()) {
      r.ms = median_ms(call, repeats, min_seconds);
    } else {
      const ConvAlgorithm other = parse_algorithm(versus);
      const auto under = [&](ConvAlgorithm algorithm) {
        return [&, algorithm] {
          set_conv_algorithm(algorithm);
          call();
        };
      };
      const bench::Paired p =
          bench::paired_median_ms(under(own), under(other), repeats, min_seconds);
      set_conv_algorithm(own);
      r.ms = p.a_ms;
      r.versus_ms = p.b_ms;
      r.versus_gflops = s.flops() / (p.b_ms * 1e-3) / 1e9;
      r.speedup = 1.0 / p.ratio;
    }
    r.gflops = s.flops() / (r.ms * 1e-3) / 1e9;
    r.peak_pct = peak > 0 ? 100.0 * r.gflops / peak : 0.0;
    rows.push_back(r);
  }
  return rows;
}

std::vector<std::string> split_dirs(const std::string& text) {
  std::vector<std::string> dirs;
  std::stringstream in(text);
  std::string d;
  while (std::getline(in, d, ',')) {
    if (d != "fwd" && d != "bwd_d" && d != "bwd_w") {
      throw CLI::ValidationError("--dir", "'" + d + "' is not one of fwd, bwd_d, bwd_w");
    }
    if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
  }
  if (dirs.empty()) throw CLI::ValidationError("--dir", "names no direction");
  return dirs;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "Times glia's conv2d in each direction at benchdnn-style shapes: median time, GFLOP/s "
      "(2*N*O*C*KH*KW*OH*OW per direction) and the percentage of the measured FMA peak of the "
      "ISA that ran.",
      "glia_convbench");
  std::vector<std::string> shapes;
  bool suite = false;
  std::string dir_text = "fwd,bwd_d,bwd_w", isa_text = "auto", format = "text";
  int threads = 0, repeats = 5;
  double min_time = 0.05;
  std::string versus;
  app.add_option("--shape", shapes, "a problem, e.g. mb32ic64ih56iw56oc64kh3kw3sh1sw1ph1pw1");
  app.add_flag("--suite", suite, "the shape suite (bench/conv_suite.txt, built in)");
  app.add_option("--dir", dir_text, "directions: any of fwd, bwd_d, bwd_w, comma-separated")
      ->capture_default_str();
  app.add_option("--threads", threads, "threads (default: all cores)")->check(CLI::Range(1, 1024));
  app.add_option("--isa", isa_text, "kernels to run")
      ->check(CLI::IsMember({"auto", "avx512", "avx2", "reference"}))
      ->capture_default_str();
  app.add_option("--format", format, "output")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--repeats", repeats, "samples per measurement (the median is reported)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--min-time", min_time, "seconds each sample runs at least")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  app.add_option("--versus", versus,
                 "also time each under this algorithm (as GLIA_CONV), in turn with the one in "
                 "force, and print the speed-up (the median of the pairs' ratios)")
      ->check(CLI::IsMember({"auto", "direct", "winograd"}));
  std::vector<std::string> dirs;
  std::vector<ConvSpec> problems;
  try {
    app.parse(argc, argv);
    dirs = split_dirs(dir_text);
    if (shapes.empty() && !suite) throw CLI::ValidationError("give --shape SPEC or --suite");
    for (const std::string& s : shapes) problems.push_back(bench::parse_conv_spec(s));
    if (suite) {
      for (const ConvSpec& s : bench::builtin_conv_suite()) problems.push_back(s);
    }
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "glia_convbench: error: " << e.what() << "\n\n" << app.help();
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "glia_convbench: error: " << e.what() << "\n";
    return 2;
  }
  try {
    if (threads) set_num_threads(threads);
    if (isa_text != "auto") set_isa(*parse_isa(isa_text));
    const double peak = bench::measure_peak_gflops(active_isa());
    std::vector<Row> rows;
    if (format == "text") {
      std::printf("glia_convbench: %s, %d threads, %s kernels, measured FMA peak %.1f GFLOP/s\n",
                  cpu_model().c_str(), num_threads(), isa_name(active_isa()), peak);
      std::printf("%-44s %-6s %9s %9s %6s  %s", "shape", "dir", "ms", "GFLOP/s", "%peak", "isa");
      if (!versus.empty()) std::printf("  %9s %s  speed-up", "GFLOP/s", versus.c_str());
      std::printf("\n");
    }
    for (const ConvSpec& s : problems) {
      for (const Row& r : run(s, dirs, repeats, min_time, peak, versus)) {
        if (format == "text") {
          std::printf("%-44s %-6s %9.3f %9.1f %6.1f  %s", r.shape.c_str(), r.dir.c_str(), r.ms,
                      r.gflops, r.peak_pct, r.isa.c_str());
          if (!versus.empty()) {
            std::printf("  %9.1f %*s  %.2fx", r.versus_gflops, static_cast<int>(versus.size()), "",
                        r.speedup);
          }
          std::printf("\n");
          std::fflush(stdout);
        }
        rows.push_back(r);
      }
    }
    if (format == "json") {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const Row& r : rows) {
        out.push_back({{"shape", r.shape},
                       {"dir", r.dir},
                       {"ms", r.ms},
                       {"gflops", r.gflops},
                       {"peak_pct", r.peak_pct},
                       {"isa", r.isa}});
        if (!versus.empty()) {
          out.back()["versus"] = {{"algorithm", versus},
                                  {"ms", r.versus_ms},
                                  {"gflops", r.versus_gflops},
                                  {"speedup", r.speedup}};
        }
      }
      std::cout << out.dump(2) << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "glia_convbench: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

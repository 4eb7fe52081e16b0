// compare_onednn: glia's convolution against oneDNN's, shape by shape, in one process.
//
// For each problem (benchdnn notation) and direction it times glia's conv2d (the kernel its
// dispatcher picks: say GLIA_CONV=direct to leave Winograd out) and two oneDNN primitives: the
// direct algorithm and "auto" (oneDNN's own choice, Winograd where it takes it). oneDNN works
// in the layouts it prefers (format_tag::any: blocked, e.g. nChw16c), as benchdnn measures it;
// the conversions into those layouts are made once, outside the timing, so its figures are the
// primitive's time alone. glia takes and gives NCHW, as its API does. Each figure is the median
// of --repeats samples; the ratio is oneDNN's time over glia's (above 1: glia is faster), and
// the geometric means of the ratios close each direction's table.
//
//   compare_onednn --suite
//   compare_onednn --shape mb32ic64ih56iw56oc64kh3kw3sh1sw1ph1pw1 --dir fwd,bwd_w
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <glia/glia.hpp>
#include <glia/support/cpu.hpp>
#include <oneapi/dnnl/dnnl.hpp>

#include "conv_spec.hpp"
#include "peak_flops.hpp"
#include "timing.hpp"

using namespace glia;
using glia::bench::ConvSpec;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {

struct Timing {
  double ms = 0;
  std::string impl;  // oneDNN's implementation (impl_info_str), empty for glia
};

struct Row {
  std::string shape, note, dir;
  Timing glia;
  std::optional<Timing> direct, automatic;  // empty: oneDNN has no such implementation
};

// oneDNN's side of one problem: the engine, a stream, and the user's buffers in plain layouts.
class OneDnn {
 public:
  OneDnn() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

  // Milliseconds of one direction's primitive with `algorithm`, or nothing when oneDNN has no
  // implementation of it for this problem.
  std::optional<Timing> time(const ConvSpec& s, const std::string& dir, dnnl::algorithm algorithm,
                             int repeats, double min_seconds) {
    const dnnl::memory::dims src{s.mb, s.ic, s.ih, s.iw}, wei{s.oc, s.ic, s.kh, s.kw},
        bias{s.oc}, dst{s.mb, s.oc, s.oh, s.ow}, strides{s.sh, s.sw}, pad{s.ph, s.pw};
    auto any = [](const dnnl::memory::dims& d) { return dnnl::memory::desc(d, dt::f32, tag::any); };
    const dnnl::memory::desc bias_md(bias, dt::f32, tag::x);
    try {
      const dnnl::convolution_forward::primitive_desc fwd(
          dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algorithm, any(src),
                                          any(wei), bias_md, any(dst), strides, pad, pad),
          engine_);
      if (dir == "fwd") {
        return run(dnnl::convolution_forward(fwd),
                   {{DNNL_ARG_SRC, filled(fwd.src_desc())},
                    {DNNL_ARG_WEIGHTS, filled(fwd.weights_desc())},
                    {DNNL_ARG_BIAS, filled(bias_md)},
                    {DNNL_ARG_DST, filled(fwd.dst_desc())}},
                   fwd.impl_info_str(), repeats, min_seconds);
      }
      if (dir == "bwd_d") {
        const dnnl::convolution_backward_data::primitive_desc bwd(
            dnnl::convolution_backward_data::desc(algorithm, any(src), any(wei), any(dst), strides,
                                                  pad, pad),
            engine_, fwd);
        return run(dnnl::convolution_backward_data(bwd),
                   {{DNNL_ARG_DIFF_DST, filled(bwd.diff_dst_desc())},
                    {DNNL_ARG_WEIGHTS, filled(bwd.weights_desc())},
                    {DNNL_ARG_DIFF_SRC, filled(bwd.diff_src_desc())}},
                   bwd.impl_info_str(), repeats, min_seconds);
      }
      const dnnl::convolution_backward_weights::primitive_desc bwd(
          dnnl::convolution_backward_weights::desc(algorithm, any(src), any(wei), bias_md,
                                                   any(dst), strides, pad, pad),
          engine_, fwd);
      return run(dnnl::convolution_backward_weights(bwd),
                 {{DNNL_ARG_SRC, filled(bwd.src_desc())},
                  {DNNL_ARG_DIFF_DST, filled(bwd.diff_dst_desc())},
                  {DNNL_ARG_DIFF_WEIGHTS, filled(bwd.diff_weights_desc())},
                  {DNNL_ARG_DIFF_BIAS, filled(bias_md)}},
                 bwd.impl_info_str(), repeats, min_seconds);
    } catch (const dnnl::error& e) {
      if (e.status == dnnl_unimplemented) return std::nullopt;
      throw;
    }
  }

 private:
  // A buffer in oneDNN's layout for `md`, filled with small values (the layout conversion of a
  // user's NCHW tensor, which a network does once per layer, is not what is timed).
  dnnl::memory filled(const dnnl::memory::desc& md) {
    dnnl::memory m(md, engine_);
    float* data = static_cast<float*>(m.get_data_handle());
    const size_t n = md.get_size() / sizeof(float);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<float>((i * 7919) % 2001) * 1e-3f - 1.0f;
    return m;
  }
  template <class Primitive>
  Timing run(Primitive primitive, const std::unordered_map<int, dnnl::memory>& args,
             const std::string& impl, int repeats, double min_seconds) {
    const double ms = bench::median_ms(
        [&] {
          primitive.execute(stream_, args);
          stream_.wait();
        },
        repeats, min_seconds);
    return {ms, impl};
  }

  dnnl::engine engine_;
  dnnl::stream stream_;
};

double glia_ms(const ConvSpec& s, const std::string& dir, int repeats, double min_seconds) {
  Rng rng(3);
  const Tensor x = Tensor::rand({s.mb, s.ic, s.ih, s.iw}, rng, -1, 1);
  const Tensor w = Tensor::rand({s.oc, s.ic, s.kh, s.kw}, rng, -0.1f, 0.1f);
  const Tensor b = Tensor::rand({s.oc}, rng);
  const Tensor dy = Tensor::rand({s.mb, s.oc, s.oh, s.ow}, rng, -1, 1);
  if (dir == "fwd")
    return bench::median_ms([&] { conv2d_forward(x, w, b, s.sh, s.ph); }, repeats, min_seconds);
  if (dir == "bwd_d")
    return bench::median_ms([&] { conv2d_backward_input(dy, w, x.shape(), s.sh, s.ph); }, repeats,
                            min_seconds);
  return bench::median_ms([&] { conv2d_backward_weights(dy, x, w.shape(), s.sh, s.ph, true); },
                          repeats, min_seconds);
}

std::string gflops(const ConvSpec& s, const std::optional<Timing>& t) {
  if (!t) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.0f", s.flops() / (t->ms * 1e-3) / 1e9);
  return text;
}

std::string ratio(const Timing& glia, const std::optional<Timing>& other) {
  if (!other) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.2fx", other->ms / glia.ms);
  return text;
}

// Markdown tables, one per direction: GFLOP/s of each, the ratios, oneDNN's implementations,
// and the geometric means of the ratios.
void print_tables(const std::vector<Row>& rows, const std::vector<ConvSpec>& problems,
                  const std::vector<std::string>& dirs) {
  std::map<std::string, const ConvSpec*> spec_of;
  for (const ConvSpec& s : problems) spec_of[s.text] = &s;
  for (const std::string& dir : dirs) {
    std::printf("\n%s: GFLOP/s (2*N*O*C*KH*KW*OH*OW per call), and oneDNN's time / glia's\n\n",
                dir.c_str());
    std::printf("| shape | glia | oneDNN direct | oneDNN auto | vs direct | vs auto | oneDNN's "
                "direct / auto implementation |\n|---|---|---|---|---|---|---|\n");
    double log_direct = 0, log_auto = 0;
    int n_direct = 0, n_auto = 0;
    for (const Row& r : rows) {
      if (r.dir != dir) continue;
      const ConvSpec& s = *spec_of.at(r.shape);
      std::printf("| %s | %s | %s | %s | %s | %s | %s / %s |\n", r.shape.c_str(),
                  gflops(s, r.glia).c_str(), gflops(s, r.direct).c_str(),
                  gflops(s, r.automatic).c_str(), ratio(r.glia, r.direct).c_str(),
                  ratio(r.glia, r.automatic).c_str(), r.direct ? r.direct->impl.c_str() : "-",
                  r.automatic ? r.automatic->impl.c_str() : "-");
      if (r.direct) log_direct += std::log(r.direct->ms / r.glia.ms), ++n_direct;
      if (r.automatic) log_auto += std::log(r.automatic->ms / r.glia.ms), ++n_auto;
    }
    std::printf("| **geometric mean** | | | | **%.2fx** | **%.2fx** | |\n",
                n_direct ? std::exp(log_direct / n_direct) : 0.0,
                n_auto ? std::exp(log_auto / n_auto) : 0.0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "glia's conv2d against oneDNN's direct and automatic (Winograd where it picks it) "
      "convolutions, in one process, shape by shape and direction by direction.",
      "compare_onednn");
  std::vector<std::string> shapes;
  bool suite = false;
  std::string dir_text = "fwd,bwd_d,bwd_w";
  int threads = 0, repeats = 7;
  double min_time = 0.1;
  app.add_option("--shape", shapes, "a problem, e.g. mb32ic64ih56iw56oc64kh3kw3sh1sw1ph1pw1");
  app.add_flag("--suite", suite, "the shape suite (bench/conv_suite.txt, built in)");
  app.add_option("--dir", dir_text, "directions: any of fwd, bwd_d, bwd_w, comma-separated")
      ->capture_default_str();
  app.add_option("--threads", threads, "threads for both (default: all cores)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--repeats", repeats, "samples per measurement (the median is reported)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--min-time", min_time, "seconds each sample runs at least")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  std::vector<std::string> dirs;
  std::vector<ConvSpec> problems;
  try {
    app.parse(argc, argv);
    std::stringstream list(dir_text);
    for (std::string d; std::getline(list, d, ',');) {
      if (d != "fwd" && d != "bwd_d" && d != "bwd_w")
        throw CLI::ValidationError("--dir", "'" + d + "' is not one of fwd, bwd_d, bwd_w");
      dirs.push_back(d);
    }
    if (shapes.empty() && !suite) throw CLI::ValidationError("give --shape SPEC or --suite");
    for (const std::string& s : shapes) problems.push_back(bench::parse_conv_spec(s));
    if (suite)
      for (const ConvSpec& s : bench::builtin_conv_suite()) problems.push_back(s);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "compare_onednn: error: " << e.what() << "\n\n" << app.help();
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "compare_onednn: error: " << e.what() << "\n";
    return 2;
  }
  try {
    if (threads) set_num_threads(threads);  // oneDNN runs on the same OpenMP threads
    const dnnl::version_t* v = dnnl::version();
    std::printf("compare_onednn: %s, %d threads; glia %s kernels (GLIA_CONV=%s), oneDNN %d.%d.%d "
                "(%s); measured FMA peak %.0f GFLOP/s; medians of %d\n",
                bench::cpu_model().c_str(), num_threads(), isa_name(active_isa()),
                std::getenv("GLIA_CONV") ? std::getenv("GLIA_CONV") : "auto", v->major, v->minor,
                v->patch, v->hash, bench::measure_peak_gflops(active_isa()), repeats);
    OneDnn onednn;
    std::vector<Row> rows;
    for (const ConvSpec& s : problems) {
      for (const std::string& dir : dirs) {
        Row r{s.text, s.note, dir, {glia_ms(s, dir, repeats, min_time), ""}, {}, {}};
        r.direct = onednn.time(s, dir, dnnl::algorithm::convolution_direct, repeats, min_time);
        r.automatic = onednn.time(s, dir, dnnl::algorithm::convolution_auto, repeats, min_time);
        std::fprintf(stderr, "%s %s: glia %.3f ms, oneDNN direct %s, auto %s\n", s.text.c_str(),
                     dir.c_str(), r.glia.ms, r.direct ? std::to_string(r.direct->ms).c_str() : "-",
                     r.automatic ? std::to_string(r.automatic->ms).c_str() : "-");
        rows.push_back(r);
      }
    }
    print_tables(rows, problems, dirs);
  } catch (const std::exception& e) {
    std::cerr << "compare_onednn: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

// glia::dist over MPI: sessions, fused collectives and the batch-norm reducer.
#include "glia/dist/dist.hpp"

#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "glia/nn/layer_registry.hpp"
#include "glia/support/check.hpp"

namespace glia::dist {
namespace {

bool session_active = false;

void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw std::runtime_error(concat("glia::dist: ", call, " failed on rank ", rank(), ": ", text));
}

void require_session(const char* op) {
  if (!session_active)
    throw std::logic_error(concat("glia::dist::", op, ": no glia::dist::Session is active"));
}

// FNV-1a: a cheap fingerprint of a value, compared across ranks.
uint64_t fingerprint(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h ^ s.size();
}

// Every layer with batch statistics (the registry says which: nn/layer_registry.hpp).
void visit_batch_norms(nn::Module& m, const BatchStatsReducer& reducer) {
  const nn::LayerType* type = nn::find_layer_type(m);
  if (type && type->set_stats_reducer) type->set_stats_reducer(m, reducer);
  for (const nn::NamedModule& child : m.named_children()) visit_batch_norms(*child.module, reducer);
}

}  // namespace

Session::Session(int& argc, char**& argv) {
  if (session_active) throw std::logic_error("glia::dist::Session: a session is already active");
  int provided = 0;
  check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  // Errors come back as codes (and become exceptions) instead of killing the process.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  session_active = true;
}

Session::~Session() {
  session_active = false;
  MPI_Finalize();
}

bool has_mpi() {
  return true;
}

bool active() {
  return session_active;
}

int rank() {
  int r = 0;
  if (session_active) MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int world_size() {
  int n = 1;
  if (session_active) MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

void barrier() {
  require_session("barrier");
  check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

void broadcast_parameters(nn::Module& model, int root) {
  require_session("broadcast_parameters");
  check_arg(root >= 0 && root < world_size(), "glia::dist::broadcast_parameters", "root ", root,
            " is not a rank");
  const std::vector<NamedTensor> state = model.named_state();
  size_t total = 0;
  for (const NamedTensor& t : state) total += static_cast<size_t>(t.tensor.numel());
  std::vector<float> buffer(total);
  if (rank() == root) {
    size_t at = 0;
    for (const NamedTensor& t : state) {
      std::memcpy(buffer.data() + at, t.tensor.data(), sizeof(float) * t.tensor.numel());
      at += static_cast<size_t>(t.tensor.numel());
    }
  }
  // Counts above INT_MAX floats would need chunks; models that large are out of scope here.
  check_arg(total <= static_cast<size_t>(INT32_MAX), "glia::dist::broadcast_parameters",
            "the model holds more than 2^31 floats");
  check_mpi(MPI_Bcast(buffer.data(), static_cast<int>(total), MPI_FLOAT, root, MPI_COMM_WORLD),
            "MPI_Bcast");
  size_t at = 0;
  for (const NamedTensor& t : state) {
    Tensor target = t.tensor;
    std::memcpy(target.data(), buffer.data() + at, sizeof(float) * target.numel());
    at += static_cast<size_t>(target.numel());
  }
}

void allreduce_gradients(nn::Module& model) {
  require_session("allreduce_gradients");
  std::vector<Tensor> params = model.parameters();
  size_t total = 0;
  for (const Tensor& p : params) total += static_cast<size_t>(p.numel());
  check_arg(total <= static_cast<size_t>(INT32_MAX), "glia::dist::allreduce_gradients",
            "the model holds more than 2^31 floats");
  std::vector<float> buffer(total, 0.0f);
  size_t at = 0;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (g.defined()) std::memcpy(buffer.data() + at, g.data(), sizeof(float) * g.numel());
    at += static_cast<size_t>(p.numel());
  }
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, buffer.data(), static_cast<int>(total), MPI_FLOAT, MPI_SUM,
                          MPI_COMM_WORLD),
            "MPI_Allreduce");
  const float scale = 1.0f / static_cast<float>(world_size());
  at = 0;
  for (Tensor& p : params) {
    Tensor g = Tensor::empty(p.shape());
    for (int64_t i = 0; i < g.numel(); ++i)
      g.data()[i] = buffer[at + static_cast<size_t>(i)] * scale;
    p.set_grad(g);
    at += static_cast<size_t>(p.numel());
  }
}

void allreduce_sum(std::vector<double>& values) {
  require_session("allreduce_sum");
  check_arg(values.size() <= static_cast<size_t>(INT32_MAX), "glia::dist::allreduce_sum",
            "too many values");
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE,
                          MPI_SUM, MPI_COMM_WORLD),
            "MPI_Allreduce");
}

void sync_batch_norm(nn::Module& model) {
  require_session("sync_batch_norm");
  visit_batch_norms(model, [](std::vector<double>& values) { allreduce_sum(values); });
}

std::vector<std::string> gather(const std::string& mine, int root) {
  require_session("gather");
  const int n = world_size();
  check_arg(root >= 0 && root < n, "glia::dist::gather", "root ", root, " is not a rank");
  check_arg(mine.size() <= static_cast<size_t>(INT32_MAX), "glia::dist::gather",
            "more than 2 GB from one rank");
  const int size = static_cast<int>(mine.size());
  std::vector<int> sizes(static_cast<size_t>(n)), offsets(static_cast<size_t>(n));
  check_mpi(MPI_Gather(&size, 1, MPI_INT, sizes.data(), 1, MPI_INT, root, MPI_COMM_WORLD),
            "MPI_Gather");
  std::string all;
  if (rank() == root) {
    int64_t total = 0;
    for (int r = 0; r < n; ++r) {
      offsets[static_cast<size_t>(r)] = static_cast<int>(total);
      total += sizes[static_cast<size_t>(r)];
      check_arg(total <= INT32_MAX, "glia::dist::gather", "more than 2 GB in all");
    }
    all.resize(static_cast<size_t>(total));
  }
  check_mpi(MPI_Gatherv(mine.data(), size, MPI_CHAR, all.data(), sizes.data(), offsets.data(),
                        MPI_CHAR, root, MPI_COMM_WORLD),
            "MPI_Gatherv");
  std::vector<std::string> out;
  if (rank() == root)
    for (int r = 0; r < n; ++r)
      out.push_back(all.substr(static_cast<size_t>(offsets[static_cast<size_t>(r)]),
                               static_cast<size_t>(sizes[static_cast<size_t>(r)])));
  return out;
}

void check_agree(const std::string& what, const std::string& value) {
  require_session("check_agree");
  const int n = world_size();
  const uint64_t mine = fingerprint(value);
  std::vector<uint64_t> all(static_cast<size_t>(n));
  check_mpi(MPI_Allgather(&mine, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD),
            "MPI_Allgather");
  std::string differ;
  for (int r = 1; r < n; ++r)
    if (all[static_cast<size_t>(r)] != all[0])
      differ += (differ.empty() ? "" : ", ") + std::to_string(r);
  if (!differ.empty())
    throw std::runtime_error("glia::dist: the ranks disagree on " + what + ": rank(s) " + differ +
                             " differ from rank 0");
}

void abort(const std::string& message) {
  const std::string prefix = "glia::dist: ";
  const std::string text =
      message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size()) : message;
  std::fprintf(stderr, "glia::dist: rank %d: %s\n", rank(), text.c_str());
  std::fflush(stderr);
  if (session_active) MPI_Abort(MPI_COMM_WORLD, 1);
  std::exit(1);
}

}  // namespace glia::dist

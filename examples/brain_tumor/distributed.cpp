#include "distributed.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <glia/support/check.hpp>
#ifdef BRAIN_TUMOR_HAS_DIST
#include <glia/dist/dist.hpp>
#endif

#include "errors.hpp"

namespace brain_tumor {

namespace {

bool launched_by_mpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

}  // namespace

std::shared_ptr<void> start_distributed(int& argc, char**& argv) {
#ifdef BRAIN_TUMOR_HAS_DIST
  if (!launched_by_mpirun()) return nullptr;
  auto session = std::make_shared<glia::dist::Session>(argc, argv);
  // Only rank 0 prints: the others' stdout goes nowhere (errors still reach stderr).
  if (glia::dist::rank() != 0 && !std::freopen("/dev/null", "w", stdout))
    throw std::runtime_error("cannot silence stdout on rank " + std::to_string(glia::dist::rank()));
  return session;
#else
  (void)argc;
  (void)argv;
  if (launched_by_mpirun())
    std::fprintf(stderr,
                 "brain_tumor: warning: launched by mpirun, but this build has no MPI "
                 "support (libopenmpi-dev): every rank trains alone\n");
  return nullptr;
#endif
}

int rank() {
#ifdef BRAIN_TUMOR_HAS_DIST
  return glia::dist::rank();
#else
  return 0;
#endif
}

int ranks() {
#ifdef BRAIN_TUMOR_HAS_DIST
  return glia::dist::world_size();
#else
  return 1;
#endif
}

bool is_root() {
  return rank() == 0;
}

void make_data_parallel(glia::nn::Module& model, glia::data::DataLoaderOptions& train_options,
                        glia::train::Trainer& trainer) {
  if (ranks() == 1) return;
#ifdef BRAIN_TUMOR_HAS_DIST
  const int64_t n = ranks();
  if (train_options.batch_size % n != 0)
    throw UsageError(glia::concat("the batch size ", train_options.batch_size,
                                  " does not divide by the ", n, " ranks"));
  train_options.batch_size /= n;
  train_options.shard_index = glia::dist::rank();
  train_options.shard_count = n;
  glia::dist::broadcast_parameters(model);
  glia::dist::sync_batch_norm(model);
  trainer.set_gradient_hook([](glia::nn::Module& m) { glia::dist::allreduce_gradients(m); });
#else
  (void)model;
  (void)trainer;
#endif
}

ScratchFolder::ScratchFolder() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "brain_tumor-rank-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw DataError("cannot create a scratch folder in /tmp");
  path_ = pattern;
}

ScratchFolder::~ScratchFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::vector<std::string> gather_on_root(const std::string& mine) {
#ifdef BRAIN_TUMOR_HAS_DIST
  if (ranks() > 1) return glia::dist::gather(mine, 0);
#endif
  return {mine};
}

void require_agreement(const std::string& what, const std::string& value) {
#ifdef BRAIN_TUMOR_HAS_DIST
  if (ranks() > 1) glia::dist::check_agree(what, value);
#else
  (void)what;
  (void)value;
#endif
}

std::string weights_fingerprint(const glia::nn::Module& model) {
  std::string bytes;
  for (const glia::NamedTensor& t : model.named_state()) {
    bytes += t.name;
    bytes.append(reinterpret_cast<const char*>(t.tensor.data()),
                 sizeof(float) * static_cast<size_t>(t.tensor.numel()));
  }
  return bytes;
}

bool abort_job(const std::string& message) {
#ifdef BRAIN_TUMOR_HAS_DIST
  if (ranks() > 1) glia::dist::abort(message);
#else
  (void)message;
#endif
  return false;
}

}  // namespace brain_tumor

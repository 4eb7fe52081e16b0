// What glia::dist offers on top of its collectives, the same over MPI or in one process.
#include <cstdlib>

#include "glia/dist/dist.hpp"
#include "glia/support/check.hpp"

namespace glia::dist {

bool launched_by_mpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

std::unique_ptr<Session> start_if_launched(int& argc, char**& argv) {
  if (!launched_by_mpirun()) return nullptr;
  if (!has_mpi()) {
    std::fprintf(stderr,
                 "glia::dist: warning: launched by mpirun, but glia was built without MPI "
                 "(libopenmpi-dev): every rank runs alone\n");
    return nullptr;
  }
  auto session = std::make_unique<Session>(argc, argv);
  // Only rank 0 prints: the others' stdout goes nowhere (errors still reach stderr).
  if (rank() != 0 && !std::freopen("/dev/null", "w", stdout))
    throw std::runtime_error("glia::dist: cannot silence stdout on rank " + std::to_string(rank()));
  return session;
}

void make_data_parallel(nn::Module& model, data::DataLoaderOptions& train_options,
                        train::Trainer& trainer) {
  const int64_t n = world_size();
  if (n == 1) return;
  check_arg(train_options.batch_size % n == 0, "dist::make_data_parallel", "the batch size ",
            train_options.batch_size, " does not divide by the ", n, " ranks");
  train_options.batch_size /= n;
  train_options.shard_index = rank();
  train_options.shard_count = n;
  broadcast_parameters(model);
  sync_batch_norm(model);
  trainer.set_gradient_hook([](nn::Module& m) { allreduce_gradients(m); });
}

void check_models_agree(const std::string& what, const nn::Module& model) {
  if (world_size() == 1) return;
  std::string bytes;
  for (const NamedTensor& t : model.named_state()) {
    bytes += t.name;
    bytes.append(reinterpret_cast<const char*>(t.tensor.data()),
                 sizeof(float) * static_cast<size_t>(t.tensor.numel()));
  }
  check_agree(what, bytes);
}

train::Workers workers() {
  train::Workers w;
  w.rank = rank();
  w.size = world_size();
  w.gather_on_root = [](const std::string& mine) { return gather(mine, 0); };
  return w;
}

}  // namespace glia::dist

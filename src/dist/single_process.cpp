// glia::dist without MPI: one process, every collective a no-op (see dist.hpp).
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "glia/dist/dist.hpp"

namespace glia::dist {
namespace {
bool session_active = false;
}

bool has_mpi() {
  return false;
}

Session::Session(int& /*argc*/, char**& /*argv*/) {
  if (session_active) throw std::logic_error("glia::dist::Session: a session is already active");
  session_active = true;
}
Session::~Session() {
  session_active = false;
}

bool active() {
  return session_active;
}
int rank() {
  return 0;
}
int world_size() {
  return 1;
}
void barrier() {}
void broadcast_parameters(nn::Module& /*model*/, int /*root*/) {}
void allreduce_gradients(nn::Module& /*model*/) {}
void sync_batch_norm(nn::Module& /*model*/) {}
void allreduce_sum(std::vector<double>& /*values*/) {}
std::vector<std::string> gather(const std::string& mine, int /*root*/) {
  return {mine};
}
void check_agree(const std::string& /*what*/, const std::string& /*value*/) {}

void abort(const std::string& message) {
  std::fprintf(stderr, "glia::dist: rank 0: %s\n", message.c_str());
  std::fflush(stderr);
  std::exit(1);
}

}  // namespace glia::dist

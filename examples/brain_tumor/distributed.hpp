// brain_tumor under mpirun: data-parallel training through glia::dist when the example is
// built with it and launched by mpirun (with more than one rank); otherwise every function
// here is the single-process answer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <glia/data/data_loader.hpp>
#include <glia/nn/module.hpp>
#include <glia/train/trainer.hpp>

namespace brain_tumor {

// Starts MPI when the process was launched by mpirun/mpiexec (Open MPI, MPICH or PMIx set
// their variables); the returned object ends it. Non-root ranks print nothing on stdout.
std::shared_ptr<void> start_distributed(int& argc, char**& argv);

int rank();
int ranks();  // 1 without MPI
bool is_root();

// Data-parallel training of `model`: rank 0's initial weights everywhere, synchronised batch
// norm, each rank a contiguous part of every global batch (whose size must divide by the
// number of ranks), and gradients averaged after each backward pass. Nothing with one rank.
void make_data_parallel(glia::nn::Module& model, glia::data::DataLoaderOptions& train_options,
                        glia::train::Trainer& trainer);

// A private folder for a non-root rank's files (its best.glia, its state), removed when the
// object goes: under mpirun only rank 0 writes into --out.
class ScratchFolder {
 public:
  ScratchFolder();
  ~ScratchFolder();
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every rank's `mine` on rank 0, in rank order (just {mine} without MPI; empty on other ranks).
std::vector<std::string> gather_on_root(const std::string& mine);

// Stops with a clear error on every rank unless all ranks pass the same `value`.
void require_agreement(const std::string& what, const std::string& value);

// The model's parameters and buffers as bytes, to check that the ranks agree on them.
std::string weights_fingerprint(const glia::nn::Module& model);

// An error on one rank: under MPI with several ranks, ends the whole job (the others would
// wait for it in a collective); returns false when the caller should report it as usual.
bool abort_job(const std::string& message);

}  // namespace brain_tumor

/// @file
/// Data-parallel training over MPI (glia::dist, over MPI when CMake finds it, e.g. Debian's
/// libopenmpi-dev). Without MPI, glia::dist is built as a single process (has_mpi() is false,
/// one rank, every collective a no-op), so code that uses it needs no #ifdef.
///
/// Each process (rank) holds a full copy of the model and trains on its own shard of every
/// batch; after each backward pass the ranks average their gradients, so every rank takes the
/// same optimiser step and the copies stay identical:
///
///     glia::dist::Session session(argc, argv);            // MPI_Init ... MPI_Finalize
///     glia::dist::broadcast_parameters(net);              // rank 0's initial weights everywhere
///     glia::dist::sync_batch_norm(net);                   // optional: global batch statistics
///     options.shard_index = glia::dist::rank();           // each rank a part of each batch
///     options.shard_count = glia::dist::world_size();
///     trainer.set_gradient_hook(glia::dist::allreduce_gradients);
///
/// Every collective must be called by every rank in the same order. Errors: a failed MPI call
/// throws std::runtime_error naming it; ranks that disagree (check_agree) all throw; a rank
/// that stops with an exception should call abort(), which ends the whole job instead of
/// leaving the others waiting in a collective.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "glia/data/data_loader.hpp"
#include "glia/nn/module.hpp"
#include "glia/train/cross_validation.hpp"
#include "glia/train/trainer.hpp"

namespace glia::dist {

/// MPI for the lifetime of the object: initialises it (threads: funneled, as glia calls MPI
/// from the main thread only) and finalises it. One per process.
class Session {
 public:
  /// Starts MPI (MPI_Init_thread); throws std::runtime_error if it fails, std::logic_error if a
  /// session is already active.
  Session(int& argc, char**& argv);
  /// Ends MPI (MPI_Finalize).
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

/// True when this build of glia::dist runs over MPI (false: the single-process build).
bool has_mpi();
/// True when mpirun / mpiexec started this process (Open MPI, MPICH and PMIx set variables).
bool launched_by_mpirun();
/// A Session when mpirun started the process and glia::dist has MPI, else none (under mpirun
/// without MPI it warns on stderr that every rank runs alone). Ranks other than 0 then print
/// nothing on stdout.
std::unique_ptr<Session> start_if_launched(int& argc, char**& argv);

/// True between Session's construction and destruction.
bool active();
/// This process's rank in [0, world_size()), 0 without an active session.
int rank();
/// The number of ranks, 1 without an active session.
int world_size();
/// Blocks until every rank has called it.
void barrier();

/// Copies rank `root`'s parameters and buffers into every rank's model (one fused message).
/// The models must have the same tensors in the same order (check_agree on their shapes first).
void broadcast_parameters(nn::Module& model, int root = 0);

/// Replaces every parameter's gradient by the mean over the ranks, in one allreduce of one
/// fused buffer. A parameter without a gradient counts as zeros (and gets the mean).
void allreduce_gradients(nn::Module& model);

/// Makes every BatchNorm2d in `model` normalise with the statistics of the global batch in
/// training (batch_norm()'s reducer, summing with MPI). With it, N ranks at batch B compute
/// what one process computes at batch N x B, up to summation order.
void sync_batch_norm(nn::Module& model);

/// Sums `values` element-wise over the ranks, in place.
void allreduce_sum(std::vector<double>& values);

/// Every rank's `mine`, in rank order, on `root` (empty on the other ranks): for results that
/// one rank writes, e.g. the folds of a cross-validation trained on different ranks.
std::vector<std::string> gather(const std::string& mine, int root = 0);

/// Throws std::runtime_error on every rank unless every rank passes the same `value`; the
/// message names `what` and the ranks that differ from rank 0. For inputs that must agree:
/// file lists, model architectures, checkpoints.
void check_agree(const std::string& what, const std::string& value);

/// Data-parallel training of `model` with `trainer` over every rank: rank 0's initial weights
/// everywhere, synchronised batch norm, each rank a contiguous part of every global batch (its
/// size must divide by the number of ranks: std::invalid_argument otherwise), gradients
/// averaged after each backward pass. Nothing with one rank.
void make_data_parallel(nn::Module& model, data::DataLoaderOptions& train_options,
                        train::Trainer& trainer);

/// check_agree on the model's parameters and buffers (names and values).
void check_models_agree(const std::string& what, const nn::Module& model);

/// The ranks as train::cross_validate shares folds among them (one process without a session).
train::Workers workers();

/// Prints "glia::dist: rank R: <message>" on stderr and ends every rank of the job with exit
/// code 1 (MPI_Abort): for errors on one rank that would leave the others waiting.
[[noreturn]] void abort(const std::string& message);

}  // namespace glia::dist

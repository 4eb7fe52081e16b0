/// @file
/// Checkpoints: named tensors and a JSON metadata block in glia's binary format
/// (docs/checkpoint-format.md).
///
/// Writes are atomic (atomic_file.hpp). Reads verify the whole file (magic, version, reserved
/// fields, size, CRC-32, every record) before anything uses it: on any problem they throw
/// std::runtime_error naming the file and the problem, and load() leaves the module untouched.
/// Files of format version 1 (no metadata) still load.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "glia/nn/module.hpp"

namespace glia::io {

/// The first 8 bytes of every checkpoint file.
constexpr char kCheckpointMagic[8] = {'G', 'L', 'I', 'A', 'C', 'K', 'P', 'T'};
/// The format version save_checkpoint writes (docs/checkpoint-format.md); version 1 files load too.
constexpr uint32_t kCheckpointVersion = 2;

/// A checkpoint's contents: named tensors and the named text fields beside them.
struct Checkpoint {
  /// model parameters and buffers, optimiser state, ...
  std::vector<NamedTensor> tensors;
  std::string metadata;  ///< a JSON object's text, or empty
};

/// Writes tensors and fields to `path` atomically (write_file_atomically).
void save_checkpoint(const std::string& path, const std::vector<NamedTensor>& tensors,
                     const std::string& metadata = "");
/// Reads and checks a checkpoint file (magic, version, sizes, CRC-32); throws std::runtime_error
/// naming the file and what is wrong.
Checkpoint read_checkpoint(const std::string& path);
/// The same from bytes in memory; `name` is used in error messages.
Checkpoint parse_checkpoint(std::string_view bytes, const std::string& name);

/// True when the file starts with glia's checkpoint magic (content, not extension, decides).
bool is_checkpoint_file(const std::string& path);

/// A module's parameters and buffers, with its architecture in the metadata when it can be
/// described (nn::describe_architecture): then load_model() rebuilds it from the file alone.
void save(const nn::Module& module, const std::string& path);
/// Into a module of the same architecture (every name and shape must match).
void load(nn::Module& module, const std::string& path);
/// The model the file records, built and loaded (in eval mode). Throws std::runtime_error when
/// the file has no architecture (a model holding your own Module subclasses: build it in code and
/// use load()).
std::shared_ptr<nn::Module> load_model(const std::string& path);

/// The architecture recorded in a checkpoint's metadata, or empty.
std::string architecture_of(const Checkpoint& checkpoint);

}  // namespace glia::io

namespace glia {
using io::load;
using io::save;
}  // namespace glia

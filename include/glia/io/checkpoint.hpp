// Checkpoints: a module's parameters and buffers in glia's binary format
// (docs/checkpoint-format.md).
//
// save() writes atomically. load() reads and verifies the whole file (magic, version, size,
// CRC-32, and that every tensor matches the module's by name and shape) before it changes
// anything: on any problem it throws std::runtime_error naming the file and the problem, and
// the module is untouched.
#pragma once

#include <string>
#include <vector>

#include "glia/nn/module.hpp"

namespace glia::io {

constexpr char kCheckpointMagic[8] = {'G', 'L', 'I', 'A', 'C', 'K', 'P', 'T'};
constexpr uint32_t kCheckpointVersion = 1;

void save_tensors(const std::vector<nn::NamedTensor>& tensors, const std::string& path);
std::vector<nn::NamedTensor> load_tensors(const std::string& path);

// True when the file starts with glia's checkpoint magic (content, not extension, decides).
bool is_checkpoint_file(const std::string& path);

void save(const nn::Module& module, const std::string& path);
void load(nn::Module& module, const std::string& path);

}  // namespace glia::io

namespace glia {
using io::load;
using io::save;
}  // namespace glia

/// @file
/// A model's architecture as text, so that a checkpoint can rebuild the model without its code.
///
/// The description is JSON: {"type": "Sequential", "input_shape": [3, 240, 240], "layers": [
/// {"type": "Conv2d", "in": 3, "out": 32, "kernel": 7, ...}, ...]}. Sequential, Residual and every
/// built-in layer can be described; a model holding a module of another type (your own Module
/// subclass) cannot, and describe_architecture() then returns nothing: save it, and rebuild it in
/// code before loading its weights.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "glia/nn/module.hpp"

namespace glia::nn {

/// The model as JSON text, or nothing when it holds a module of a type this file does not know.
std::optional<std::string> describe_architecture(const Module& model);

/// The model a description names, with freshly initialised parameters (load its weights next).
/// The text is untrusted: anything malformed, unknown or out of range throws
/// std::invalid_argument naming it, and nothing is allocated beyond `max_parameters` floats of
/// parameters and buffers (a checkpoint passes the number of floats it holds).
std::shared_ptr<Module> build_architecture(const std::string& description, int64_t max_parameters);

}  // namespace glia::nn

/// @file
/// The instruction sets glia's tuned kernels are written for, and the one place that decides
/// which of them runs.
///
/// At run time glia uses the widest the CPU supports: AVX-512F, else AVX2 with FMA, else the
/// portable reference path (Eigen). GLIA_ISA=avx512|avx2|reference in the environment, or
/// set_isa(), forces one; asking for an ISA the CPU lacks throws std::invalid_argument (never a
/// crash on an illegal instruction).
#pragma once

#include <optional>
#include <string>

namespace glia {

/// The kernel families: the portable reference path, AVX2 + FMA, AVX-512F.
enum class Isa { reference, avx2, avx512 };

const char* isa_name(Isa isa);  ///< "reference", "avx2", "avx512"
/// The ISA isa_name() calls `name`, or nothing.
std::optional<Isa> parse_isa(const std::string& name);

/// True when this CPU (and operating system) can run the ISA's kernels.
bool cpu_supports(Isa isa);
/// The widest ISA this CPU supports.
Isa best_isa();

/// The ISA the kernels use: set_isa()'s, else GLIA_ISA's (read once; throws
/// std::invalid_argument if it names an unknown or unsupported ISA), else best_isa().
Isa active_isa();
/// Forces `isa` for this process; throws std::invalid_argument if the CPU lacks it.
void set_isa(Isa isa);
/// Forgets set_isa(): back to GLIA_ISA or the best.
void reset_isa();

}  // namespace glia

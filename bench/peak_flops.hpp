// Measures this machine's fp32 FMA peak (GFLOP/s) on glia's threads for an instruction set, so
// that benchmark figures can be stated as a fraction of the peak of the ISA that ran them.
#pragma once

#include <glia/support/cpu.hpp>

namespace glia::bench {

// Runs independent FMA chains of the ISA's vector width (256-bit for AVX2, 512-bit for
// AVX-512) on every thread for about `seconds`; returns GFLOP/s. For the reference ISA it
// measures the widest the CPU has; 0 when the CPU cannot run `isa`.
double measure_peak_gflops(Isa isa, double seconds = 0.5);

// The best ISA's peak, measured once per process.
double peak_gflops();

}  // namespace glia::bench

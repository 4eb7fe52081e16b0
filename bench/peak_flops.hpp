// Measures this machine's fp32 FMA peak (GFLOP/s) on glia's threads, so that benchmark figures
// can be stated as a fraction of it.
#pragma once

namespace glia::bench {

// Runs independent AVX2 FMA chains on every thread for about `seconds`; returns GFLOP/s.
// Without AVX2 + FMA it measures nothing and returns 0.
double measure_peak_gflops(double seconds = 0.5);

// Measured once per process (the first call takes about half a second).
double peak_gflops();

}  // namespace glia::bench

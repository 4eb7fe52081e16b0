/// @file
/// <immintrin.h>, included through here so that GCC 12's AVX-512 headers stay quiet.
///
/// GCC 12's avx512fintrin.h initialises its "undefined" vectors from themselves (`__Y = __Y`),
/// and -Wmaybe-uninitialized (or -Wuninitialized) then fires once per inlined use: hundreds of
/// times per file in Eigen's AVX-512 GEMM (GCC bug 105593, fixed in GCC 13). A diagnostic pragma applies to the
/// locations inside the header only if the header is first read within it, so every glia file
/// includes the intrinsics (and Eigen, through tensor/eigen.hpp) from here.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif

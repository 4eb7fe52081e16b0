/// @file
/// run_isolated: a third-party reader run in a child process, so that a file which crashes or
/// hangs it ends in an error instead of taking the program down. libhdf5 (Keras files) and GDCM
/// (DICOM files) are C and C++ libraries glia cannot fix from outside, and fuzzing shows both
/// can crash on malformed input.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace glia::io {

/// What the child may cost.
struct IsolationLimits {
  double timeout_seconds = 60;                ///< it is killed after this long
  int64_t memory_bytes = int64_t{4} << 30;    ///< address space on top of what the parent had
  size_t max_answer_bytes = size_t{1} << 32;  ///< the most the parent reads back
};

/// Runs `work` in a forked child under `limits` and returns the bytes it returned. A crash,
/// hang, out-of-memory or an exception of the child becomes a std::runtime_error naming `path`
/// and `library` ("libhdf5 crashed reading it (Segmentation fault): the file is malformed, or
/// uses something libhdf5 cannot handle"). The child's own exceptions keep their message; its
/// standard error goes to /dev/null (decoders print their complaints there), except under a
/// sanitizer. Under AddressSanitizer no address-space limit is set (it reserves terabytes).
std::string run_isolated(const std::function<std::string()>& work, const IsolationLimits& limits,
                         const std::string& path, const std::string& library);

}  // namespace glia::io

// libFuzzer targets: DICOM reading.
//
// fuzz_dicom reads as glia does: GDCM in a child process (Debian's GDCM is built with
// assertions, and aborts on some malformed files within seconds of fuzzing: see
// docs/reliability.md), glia's display pipeline, the child's answer checked by the parent. GDCM
// crashing or hanging must end in a std::runtime_error; anything else is a finding: another
// exception, a frame of the wrong size, or the child dying of a sanitizer report (it exits with
// a status of its own, which the parent reports as "exit status"). Forking an instrumented
// process is slow (a few inputs a second): CI replays the corpus and runs it briefly.
//
// fuzz_dicom_in_process (GLIA_FUZZ_IN_PROCESS) reads in this process, thousands of inputs a
// second, for long runs in libFuzzer's fork mode (-fork=1 -ignore_crashes=1 -ignore_ooms=1):
// every crash it records is then triaged (GDCM's own aborts, which the child process contains in
// glia, or glia's code). Only glia's code is instrumented (Debian's GDCM is not): coverage guides
// the fuzzer through glia's checks and pipeline, not GDCM's parser. A 256 x 256 x 4 pixel limit
// and a 5 s limit per file keep each input cheap.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <glia/io/dicom.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  glia::io::DicomReadOptions options;
#ifdef GLIA_FUZZ_IN_PROCESS
  options.isolate = false;
#endif
  options.max_pixels = 256 * 256 * 4;
  options.limits.timeout_seconds = 5;
  for (auto source :
       {glia::io::DicomWindow::Source::file, glia::io::DicomWindow::Source::automatic}) {
    options.window.source = source;
    try {
      const glia::io::DicomImage image = glia::io::read_dicom_bytes(bytes, "fuzz", options);
      for (const glia::io::DicomFrame& f : image.frames)
        if (f.pixels.size() != static_cast<size_t>(f.rows * f.columns * f.channels))
          __builtin_trap();
    } catch (const std::runtime_error& e) {
      // Under AddressSanitizer the child has no address-space limit; libFuzzer's malloc limit
      // stands in for it (GDCM allocates what an element's length declares) and ends the child
      // with status 71. Any other status is a sanitizer's report in the child.
      const std::string what = e.what();
      if (what.find("exit status") != std::string::npos &&
          what.find("exit status 71)") == std::string::npos) {
        std::fprintf(stderr, "%s\n", what.c_str());
        __builtin_trap();
      }
    }
  }
  return 0;
}

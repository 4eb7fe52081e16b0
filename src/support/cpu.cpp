#include "glia/support/cpu.hpp"

#include <atomic>
#include <cstdlib>

#include "glia/support/check.hpp"

namespace glia {
namespace {

// -1: nothing forced by set_isa(); otherwise the Isa's value.
std::atomic<int> forced{-1};

Isa from_environment() {
  static const Isa chosen = [] {
    const char* env = std::getenv("GLIA_ISA");
    if (!env || !*env) return best_isa();
    const std::optional<Isa> isa = parse_isa(env);
    check_arg(isa.has_value(), "GLIA_ISA", "unknown ISA '", env,
              "' (choose avx512, avx2 or reference)");
    check_arg(cpu_supports(*isa), "GLIA_ISA", "this CPU cannot run ", env);
    return *isa;
  }();
  return chosen;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512:
      return "avx512";
    case Isa::avx2:
      return "avx2";
    case Isa::reference:
      break;
  }
  return "reference";
}

std::optional<Isa> parse_isa(const std::string& name) {
  for (Isa isa : {Isa::reference, Isa::avx2, Isa::avx512}) {
    if (name == isa_name(isa)) return isa;
  }
  return std::nullopt;
}

bool cpu_supports(Isa isa) {
  // libgcc's checks include the operating system's support for the wider registers (XGETBV).
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  static const bool avx512 = avx2 && __builtin_cpu_supports("avx512f");
  switch (isa) {
    case Isa::avx512:
      return avx512;
    case Isa::avx2:
      return avx2;
    case Isa::reference:
      break;
  }
  return true;
}

Isa best_isa() {
  if (cpu_supports(Isa::avx512)) return Isa::avx512;
  if (cpu_supports(Isa::avx2)) return Isa::avx2;
  return Isa::reference;
}

Isa active_isa() {
  const int f = forced.load(std::memory_order_relaxed);
  return f >= 0 ? static_cast<Isa>(f) : from_environment();
}

void set_isa(Isa isa) {
  check_arg(cpu_supports(isa), "set_isa", "this CPU cannot run ", isa_name(isa));
  forced.store(static_cast<int>(isa));
}

void reset_isa() {
  forced.store(-1);
}

}  // namespace glia

# Warnings for glia's own targets (never exported to users). GLIA_WERROR makes them errors
# (CI builds with it, so that no configuration a user is told to build can warn).
option(GLIA_WERROR "Treat warnings in glia's own code as errors" OFF)

function(glia_enable_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
    $<IF:$<CXX_COMPILER_ID:GNU>,-Wshadow=local,-Wshadow-uncaptured-local> -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual $<$<BOOL:${GLIA_WERROR}>:-Werror>)
endfunction()

# -march=native for glia's own targets when GLIA_NATIVE is on (never exported to users).
function(glia_native target)
  if(GLIA_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
endfunction()

# Sanitizer and fuzzing builds (tools/sanitize.sh, tools/fuzz.sh). Included from the top CMakeLists.txt
# before any target is defined, so that the flags reach every library the tests and fuzzers link.
#
#   CPX_SANITIZE  the whole project and its tests with AddressSanitizer + UndefinedBehaviorSanitizer (gcc or
#                 clang); UB aborts (no recovery) so that a test that hits it fails. cpxd is linked without
#                 jemalloc (ASan must own malloc): see the end of the top CMakeLists.txt.
#   CPX_FUZZ      clang only: every library compiled with -fsanitize=fuzzer-no-link,address,undefined and the
#                 libFuzzer targets of tests/fuzz (cpx_fuzz_target). Build only the `cpx_fuzzers` target (the
#                 servers' Beast gateway is not needed; the QuickFIX island compiles with clang as C++14).
option(CPX_SANITIZE "Build everything with ASan + UBSan (tools/sanitize.sh)" OFF)
option(CPX_FUZZ "Build the libFuzzer targets of tests/fuzz with clang (tools/fuzz.sh)" OFF)

if(CPX_SANITIZE AND CPX_FUZZ)
  message(FATAL_ERROR "CPX_SANITIZE and CPX_FUZZ are separate builds (build-asan, build-fuzz): choose one")
endif()

set(CPX_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

if(CPX_SANITIZE)
  add_compile_options(${CPX_SANITIZER_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()

if(CPX_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CPX_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++ (tools/fuzz.sh does)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link ${CPX_SANITIZER_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()

#pragma once
// The version every CPX program answers `--version` with (CMake's project version).
#include <cstdio>
#include <cstring>

namespace cpx {

inline constexpr const char* kVersion = CPX_VERSION;

// True, after printing "<program> <version>", when the only argument is --version.
inline bool asked_for_version(int argc, char** argv, const char* program) {
  if (argc != 2 || std::strcmp(argv[1], "--version") != 0) return false;
  std::printf("%s %s\n", program, kVersion);
  return true;
}

}  // namespace cpx

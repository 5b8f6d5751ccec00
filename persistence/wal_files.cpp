#include "wal_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <system_error>

namespace cpx::persistence {

namespace {

namespace fs = std::filesystem;

bool is_wal_name(const std::string& name) {
  if (name.size() <= 4 || name.compare(name.size() - 4, 4, ".log") != 0) return false;
  return std::all_of(name.begin(), name.end() - 4, [](char c) { return c >= '0' && c <= '9'; });
}

// RocksDB's numbers are zero-padded to the same width, so name order is age order.
std::vector<fs::path> wal_paths(const std::string& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec) && is_wal_name(e.path().filename().string())) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string with_commas(uintmax_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

// fsync of a file or directory; a copy kept for forensics must survive the next power loss too.
bool sync_path(const fs::path& p, bool directory) {
  const int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::vector<std::string> describe_wal_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const fs::path& p : wal_paths(dir)) {
    std::error_code ec;
    const uintmax_t size = fs::file_size(p, ec);
    out.push_back(p.filename().string() + " (" + (ec ? std::string("size unknown") : with_commas(size) + " bytes") + ")");
  }
  return out;
}

Result<std::string> copy_wal_files_aside(const std::string& dir) {
  const std::string base = dir + "/torn-tail-" + std::to_string(static_cast<long long>(std::time(nullptr)));
  fs::path target = base;
  std::error_code ec;
  for (int n = 1; fs::exists(target, ec); ++n) target = base + "-" + std::to_string(n);
  if (!fs::create_directory(target, ec)) {
    return make_error("journal_io", "cannot create " + target.string() + ": " + ec.message());
  }
  for (const fs::path& p : wal_paths(dir)) {
    const fs::path to = target / p.filename();
    fs::create_hard_link(p, to, ec);
    if (ec) fs::copy_file(p, to, ec);
    if (ec || !sync_path(to, false)) {
      return make_error("journal_io", "cannot keep " + p.string() + " as " + to.string() + ": " +
                                          (ec ? ec.message() : std::string("fsync failed")));
    }
  }
  if (!sync_path(target, true) || !sync_path(dir, true)) {
    return make_error("journal_io", "cannot sync " + target.string());
  }
  return target.string();
}

}  // namespace cpx::persistence

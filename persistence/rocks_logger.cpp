#include "rocks_logger.hpp"

#include <fcntl.h>
#include <rocksdb/env.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace cpx::persistence {

namespace {

class RocksLogger final : public rocksdb::Logger {
 public:
  RocksLogger(std::string dir, size_t max_bytes)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL),
        path_(std::move(dir) + "/" + kRocksWarningsFile),
        max_bytes_(max_bytes) {}
  ~RocksLogger() override {
    if (fd_ >= 0) ::close(fd_);
  }

  // Lines without a level (RocksDB's older calls, its header) are INFO: below what is kept.
  void Logv(const char*, va_list) override {}
  void LogHeader(const char*, va_list) override {}

  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel() || level >= rocksdb::InfoLogLevel::HEADER_LEVEL) return;
    static const char* const kNames[] = {"DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
    char line[2048];
    size_t n = stamp(line, sizeof line);
    n += static_cast<size_t>(std::snprintf(line + n, sizeof line - n, "[%s] ", kNames[level]));
    va_list copy;
    va_copy(copy, ap);
    const int body = std::vsnprintf(line + n, sizeof line - n, format, copy);
    va_end(copy);
    n = body < 0 ? n : std::min(sizeof line - 2, n + static_cast<size_t>(body));  // a long line is cut
    line[n++] = '\n';
    write_line(line, n);
  }

 private:
  static size_t stamp(char* out, size_t cap) {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    tm utc{};
    ::gmtime_r(&ts.tv_sec, &utc);
    size_t n = std::strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &utc);
    n += static_cast<size_t>(std::snprintf(out + n, cap - n, ".%06ldZ ", ts.tv_nsec / 1000));
    return n;
  }

  // One write(2) per line (O_APPEND): lines from RocksDB's threads do not interleave. Every failure is
  // ignored: the log must never be why the exchange stops.
  void write_line(const char* line, size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ < 0 || size_ + n > max_bytes_) reopen(fd_ >= 0);
    if (fd_ < 0) return;
    const ssize_t w = ::write(fd_, line, n);
    if (w > 0) size_ += static_cast<size_t>(w);
  }

  void reopen(bool rotate) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (rotate) ::rename(path_.c_str(), (path_ + ".1").c_str());
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    size_ = 0;
    struct stat st{};
    if (fd_ >= 0 && ::fstat(fd_, &st) == 0) size_ = static_cast<size_t>(st.st_size);
    // An old file already over the bound is rotated at once rather than grown.
    if (fd_ >= 0 && size_ >= max_bytes_ && !rotate) reopen(true);
  }

  std::mutex mu_;
  const std::string path_;
  const size_t max_bytes_;
  int fd_ = -1;
  size_t size_ = 0;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> make_rocks_logger(const std::string& dir, size_t max_bytes) {
  return std::make_shared<RocksLogger>(dir, max_bytes);
}

}  // namespace cpx::persistence

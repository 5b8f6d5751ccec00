#pragma once
// A full disk on demand, for tests: RocksDB through a file system whose writable files fail with "no
// space" while `full` is set (journal, sequencer and server tests share it).
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>
#include <string>

#include "journal.hpp"

namespace cpx::test {

class FullDiskFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FullDiskFile(std::unique_ptr<rocksdb::FSWritableFile> f, const std::atomic<bool>& full)
      : FSWritableFileOwnerWrapper(std::move(f)), full_(full) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o, rocksdb::IODebugContext* g) override {
    return full_ ? rocksdb::IOStatus::NoSpace("test disk full") : FSWritableFileOwnerWrapper::Append(d, o, g);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o, const rocksdb::DataVerificationInfo& v,
                           rocksdb::IODebugContext* g) override {
    return full_ ? rocksdb::IOStatus::NoSpace("test disk full") : FSWritableFileOwnerWrapper::Append(d, o, v, g);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& d, uint64_t at, const rocksdb::IOOptions& o,
                                     rocksdb::IODebugContext* g) override {
    return full_ ? rocksdb::IOStatus::NoSpace("test disk full") : FSWritableFileOwnerWrapper::PositionedAppend(d, at, o, g);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* g) override {
    return full_ ? rocksdb::IOStatus::NoSpace("test disk full") : FSWritableFileOwnerWrapper::Sync(o, g);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* g) override {
    return full_ ? rocksdb::IOStatus::NoSpace("test disk full") : FSWritableFileOwnerWrapper::Fsync(o, g);
  }
  rocksdb::IOStatus RangeSync(uint64_t at, uint64_t n, const rocksdb::IOOptions& o, rocksdb::IODebugContext* g) override {
    return full_ ? rocksdb::IOStatus::NoSpace("test disk full") : FSWritableFileOwnerWrapper::RangeSync(at, n, o, g);
  }

 private:
  const std::atomic<bool>& full_;
};

// Every writable file RocksDB opens (WAL, tables, MANIFEST, and its LOG if it had one) fails while
// `full` is set. The free space it reports is large: RocksDB's own recovery from a full disk waits for
// room for a memtable flush before it lets writes through again.
class FullDiskFs final : public rocksdb::FileSystemWrapper {
 public:
  FullDiskFs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FullDiskFs"; }
  std::atomic<bool> full{false};

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* g) override {
    return wrap(target()->NewWritableFile(f, o, r, g), r);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* g) override {
    return wrap(target()->ReopenWritableFile(f, o, r, g), r);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* g) override {
    return wrap(target()->ReuseWritableFile(f, old, o, r, g), r);
  }
  rocksdb::IOStatus GetFreeSpace(const std::string&, const rocksdb::IOOptions&, uint64_t* free,
                                 rocksdb::IODebugContext*) override {
    *free = uint64_t{1} << 40;
    return rocksdb::IOStatus::OK();
  }

 private:
  rocksdb::IOStatus wrap(rocksdb::IOStatus s, std::unique_ptr<rocksdb::FSWritableFile>* r) {
    if (s.ok()) *r = std::make_unique<FullDiskFile>(std::move(*r), full);
    return s;
  }
};

// RocksDB as it runs on a disk that fills up: every file through FullDiskFs, and RocksDB's default info
// log (the LOG file, when the journal does not bring its own) on that file system too. Env::Default()
// would put the LOG on the machine's file system, where it never fails.
class LogOnTarget final : public rocksdb::EnvWrapper {
 public:
  explicit LogOnTarget(rocksdb::Env* target) : EnvWrapper(target) {}
  const char* Name() const override { return "LogOnTarget"; }
  rocksdb::Status NewLogger(const std::string& name, std::shared_ptr<rocksdb::Logger>* out) override {
    return rocksdb::NewEnvLogger(name, target(), out);
  }
};

struct FullDisk {
  std::shared_ptr<FullDiskFs> fs = std::make_shared<FullDiskFs>();
  std::unique_ptr<rocksdb::Env> composite = rocksdb::NewCompositeEnv(fs);
  LogOnTarget env{composite.get()};
  persistence::JournalOptions options(const std::string& path) {
    persistence::JournalOptions o{path};
    o.env = &env;
    return o;
  }
};

}  // namespace cpx::test

#pragma once
// RocksDB's info log for the journal. RocksDB's own LOG file is written through its WritableFileWriter;
// Debian's librocksdb is built with assertions, and after one failed write to that file (a full disk) the
// next log line fails `assert(sync_without_flush_called_)` and aborts the whole process. This logger
// writes with plain write(2) and ignores every failure, so a full disk costs log lines, never the process;
// the journal's writes then fail as values (IO error, no space) that the caller can report and retry.
//
// It keeps WARN and above (RocksDB's errors, background errors, dropped WAL records, recovery) in
// `rocksdb-warnings.txt` in the journal directory, beside the data they are about, as RocksDB's LOG was.
// Not stderr: stderr belongs to the programs (cpx-replay's is part of its interface), and RocksDB's
// background threads would interleave with it. Bounded: past `max_bytes` the file becomes `.1` (the
// previous `.1` is dropped), so at most twice that is kept.
#include <cstddef>
#include <memory>
#include <string>

namespace rocksdb {
class Logger;
}

namespace cpx::persistence {

inline constexpr char kRocksWarningsFile[] = "rocksdb-warnings.txt";

std::shared_ptr<rocksdb::Logger> make_rocks_logger(const std::string& dir, size_t max_bytes = size_t{1} << 20);

}  // namespace cpx::persistence

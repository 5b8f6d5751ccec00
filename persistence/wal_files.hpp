#pragma once
// The write-ahead log files of a RocksDB directory, for the journal's torn-tail handling: which they are
// (to name them to the operator) and a copy of them kept aside before a damaged tail is dropped.
#include <string>
#include <vector>

#include "cpx/result.hpp"

namespace cpx::persistence {

// The WAL files in `dir` (RocksDB names them NNNNNN.log), oldest first, each with its size in bytes,
// e.g. "000012.log (4,096 bytes)".
std::vector<std::string> describe_wal_files(const std::string& dir);

// Keeps every WAL file of `dir` in a new directory `dir/torn-tail-<unix time>[-n]/`, synced, and returns
// that directory. A hard link where the file system allows (it costs no space, and a torn tail often
// follows a disk that filled up), else a copy. The link stays as it was: RocksDB never writes a WAL file
// again once it is recovered (recycle_log_file_num is 0), it deletes it. RocksDB ignores the
// subdirectory (its name is no file name of its own).
Result<std::string> copy_wal_files_aside(const std::string& dir);

}  // namespace cpx::persistence

#pragma once
// FIX 4.4 on the wire for the load generator and tests: builds messages (BodyLength, CheckSum) and cuts a
// byte stream into messages. No QuickFIX here: a load generator must spend its CPU on load, not on a FIX
// engine, and QuickFIX's headers would pull the tools into the C++14 island.
#include <cstdint>
#include <string>
#include <string_view>

namespace cpx::client {

class FixWriter {
 public:
  FixWriter(std::string sender, std::string target) : sender_(std::move(sender)), target_(std::move(target)) {}
  // Appends one whole message of `type` with `fields` ("tag=value\x01..." without header or trailer).
  void append(std::string& out, std::string_view type, std::string_view fields);
  uint64_t next_seq() const { return seq_ + 1; }

 private:
  std::string sender_, target_;
  uint64_t seq_ = 0;
};

// One value of `tag` in a message ("" when absent). The message is a view into the stream.
std::string_view fix_field(std::string_view msg, int tag);

class FixReader {
 public:
  void feed(const char* data, size_t n) { buf_.append(data, n); }
  // The next whole message, or false when more bytes are needed (`bad` when the stream is not FIX).
  bool next(std::string_view& msg, bool& bad);

 private:
  std::string buf_;
  size_t pos_ = 0;
};

std::string fix_timestamp_now();  // UTC, YYYYMMDD-HH:MM:SS.sss

}  // namespace cpx::client

#include "fix_wire.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace cpx::client {

std::string fix_timestamp_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const int ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, ms);
  return buf;
}

void FixWriter::append(std::string& out, std::string_view type, std::string_view fields) {
  std::string body = "35=";
  body.append(type);
  body += "\x01" "34=" + std::to_string(++seq_) + "\x01" "49=" + sender_ + "\x01" "52=" + fix_timestamp_now() +
          "\x01" "56=" + target_ + "\x01";
  body.append(fields);
  const size_t start = out.size();
  out += "8=FIX.4.4\x01" "9=" + std::to_string(body.size()) + "\x01";
  out += body;
  unsigned sum = 0;
  for (size_t i = start; i < out.size(); ++i) sum += static_cast<unsigned char>(out[i]);
  char trailer[8];
  std::snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
  out += trailer;
}

std::string_view fix_field(std::string_view msg, int tag) {
  char key[16];
  const int n = std::snprintf(key, sizeof key, "\x01%d=", tag);
  const size_t at = msg.find(std::string_view(key, static_cast<size_t>(n)));
  if (at == std::string_view::npos) return {};
  const size_t begin = at + static_cast<size_t>(n);
  const size_t end = msg.find('\x01', begin);
  return msg.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
}

bool FixReader::next(std::string_view& msg, bool& bad) {
  bad = false;
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ > (1u << 20))) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  const std::string_view rest(buf_.data() + pos_, buf_.size() - pos_);
  if (rest.size() < 20) return false;
  if (rest.compare(0, 12, "8=FIX.4.4\x01" "9=") != 0) {
    bad = true;
    return false;
  }
  const size_t len_end = rest.find('\x01', 12);
  if (len_end == std::string_view::npos) return false;
  const long body = std::strtol(rest.data() + 12, nullptr, 10);
  const size_t total = len_end + 1 + static_cast<size_t>(body) + 7;  // "10=xxx\x01"
  if (rest.size() < total) return false;
  msg = rest.substr(0, total);
  pos_ += total;
  return true;
}

}  // namespace cpx::client

#pragma once
// FIX Logons checked off the I/O thread (docs/FIX.md, "Logon"). A password check is PBKDF2, slow on
// purpose (about a tenth of a second of a core), and anyone who reaches the port can ask for one, so:
//  - failures are throttled per source address and per user name (auth::LoginGuard) before any hashing;
//  - the checks run on one worker thread, at most `checks_per_s` on average, with at most `max_queued`
//    waiting; past that a Logon is refused at once (login_busy), so Logons can never take more than a
//    bounded share of the machine from the sessions that trade;
//  - an unknown or disabled user costs the same hashing as a known one (UserStore::check_password);
//  - a successful Logon is on record in the audit log before it is accepted.
// The answer comes through `done`, on the worker thread (or at once, when refused without a check).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "cpx/domain.hpp"
#include "fix/fix_api.hpp"
#include "server/server_core.hpp"

namespace cpx::fix {

struct LogonVerdict {
  static LogonVerdict refused(std::string why) {
    LogonVerdict v;
    v.refusal = std::move(why);
    return v;
  }
  std::string refusal;  // empty: accepted
  ParticipantId participant = kNoParticipant;
  std::string username;
  uint64_t generation = 0;  // of the user's credentials when checked (UserStore::generation)
  bool drop_copy = false;   // the CompID is a drop-copy session's
};

class FixLogons {
 public:
  using Done = std::function<void(LogonVerdict)>;
  explicit FixLogons(server::ServerCore& core);
  ~FixLogons();  // stops the worker; Logons still waiting are refused

  void check(const fixapi::LogonRequest& logon, Done done);
  size_t queued() const;

 private:
  struct Job {
    fixapi::LogonRequest logon;
    Done done;
  };
  void run();
  LogonVerdict verify(const fixapi::LogonRequest& logon);
  void take_token();  // waits until the rate allows one more check

  server::ServerCore& core_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  int64_t tokens_ns_ = 0;  // check budget, in nanoseconds of refill
  int64_t refilled_at_ = 0;
  std::thread worker_;
};

}  // namespace cpx::fix

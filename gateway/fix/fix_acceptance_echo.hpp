#pragma once
// QuickFIX's own acceptance-test application (its test/at_application.h), for conformance runs of cpxd's
// FIX session layer only: every NewOrderSingle (D) and SecurityDefinition (d) is sent back as it came,
// nothing is traded, any other application message is "Unsupported Message Type". QuickFIX's session
// acceptance definitions check sequence numbers, resends, garbled frames and rejects around such
// echoes, so with it they test cpxd's transport, framer, dictionary, logon checks and store (docs/FIX.md
// §10). Off unless `fix_acceptance_echo` is set, which cpxd takes only with --demo.
// Part of the C++14 QuickFIX island: included by fix_engine.cpp alone.
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionID.h>
#include <quickfix/FixFields.h>
#include <quickfix/FixValues.h>

#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace cpx {
namespace fixapi {

class AcceptanceEcho {
 public:
  // Called from Application::fromApp on the session's thread.
  void echo(const FIX::Message& m, const FIX::SessionID& sid) {
    FIX::MsgType type;
    m.getHeader().getField(type);
    if (type.getValue() != FIX::MsgType_NewOrderSingle && type.getValue() != FIX::MsgType_SecurityDefinition)
      throw FIX::UnsupportedMessageType();
    if (type.getValue() == FIX::MsgType_NewOrderSingle) {
      FIX::ClOrdID id;
      m.getField(id);  // FieldNotFound: QuickFIX answers it with a Reject, as for the reference
      FIX::PossResend poss_resend(false);
      m.getHeader().getFieldIfSet(poss_resend);
      std::lock_guard<std::mutex> lock(mutex_);
      // A possible resend of an order already echoed is dropped (the reference's duplicate check).
      const auto key = std::make_pair(id.getValue(), sid.toString());
      if (poss_resend.getValue() && echoed_.count(key)) return;
      echoed_.insert(key);
    }
    FIX::Message copy = m;  // Session::send fills 49/56/34/52 for this session and keeps the rest
    if (FIX::Session* s = FIX::Session::lookupSession(sid)) s->send(copy);
  }
  void logged_out() {
    std::lock_guard<std::mutex> lock(mutex_);
    echoed_.clear();
  }

 private:
  std::mutex mutex_;
  std::set<std::pair<std::string, std::string>> echoed_;
};

}  // namespace fixapi
}  // namespace cpx

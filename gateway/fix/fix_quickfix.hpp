#pragma once
// What the QuickFIX island's two sides share (fix_engine.cpp: the acceptor; fix_client.cpp: the
// initiator for tests and load tools): messages converted to and from QuickFIX's, session settings, no
// QuickFIX logs. C++14; included only inside the island.
#include <quickfix/Dictionary.h>
#include <quickfix/Log.h>
#include <quickfix/Message.h>

#include <string>

#include "fix/fix_api.hpp"

namespace cpx {
namespace fixapi {
namespace qf {

// QuickFIX logs nothing of ours: the Logon carries the password (docs/PRODUCT.md §8: secrets never logged).
class NullLogFactory : public FIX::LogFactory {
 public:
  FIX::Log* create() override { return new FIX::NullLog; }
  FIX::Log* create(const FIX::SessionID&) override { return new FIX::NullLog; }
  void destroy(FIX::Log* log) override { delete log; }
};

constexpr int kUsername = 553;
constexpr int kPassword = 554;
constexpr int kPossResend = 97;

// Inbound: the message's type, body fields, PossResend(97) and MsgSeqNum(34), repeating groups.
FixMessage from_quickfix(const FIX::Message& m);
// Outbound: the body (and groups) of `in` into `m`; empty values left out.
void to_quickfix(const FixMessage& in, FIX::Message& m);
// The settings every session shares (schedule, dictionary, heartbeat, reset on Logon).
FIX::Dictionary base_dictionary(const std::string& dictionary, int heartbeat_s, bool reset_on_logon);

}  // namespace qf
}  // namespace fixapi
}  // namespace cpx

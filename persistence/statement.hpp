#pragma once
// Per-participant statements (docs/PRODUCT.md §4): every transfer on the participant's cash account in order,
// with a running balance, in JSON and CSV. Built from the ledger alone, so they reconcile to it exactly:
// the closing balance is the account's balance.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "exchange.hpp"
#include "ledger.hpp"

namespace cpx::persistence {

struct StatementLine {
  Timestamp ts = 0;
  TransferId transfer_id = 0;
  std::string kind;          // deposit, withdrawal, trade_escrow, payout, fee, refund
  std::string counterparty;  // bank, fees, escrow:<trade id>, cash:<participant>
  Money debit = 0;           // money out of the account
  Money credit = 0;          // money into the account
  Money balance = 0;         // after this line
};

struct Statement {
  std::string participant;
  AccountId account = 0;
  std::vector<StatementLine> lines;
  Money total_debits = 0;
  Money total_credits = 0;
  Money opening_balance = 0;  // before the first line (0 for the whole statement)
  Money closing_balance = 0;  // after the last line (the account's balance for the whole statement)
  bool more = false;          // a page: lines after the last one are left for the next page
};

// Part of a statement: lines with transfer id > `after` and from <= ts < to, at most `limit`. The running
// balance counts every earlier line, so pages put together are the whole statement.
struct StatementPage {
  TransferId after = 0;
  Timestamp from = INT64_MIN, to = INT64_MAX;
  size_t limit = SIZE_MAX;
};

// `participant_code` turns a participant id into its code for counterparty names. Reads only the
// participant's own transfers (Ledger::transfers_of).
Statement build_statement(const Ledger& ledger, ParticipantId participant, std::string_view code,
                          const std::function<std::string(ParticipantId)>& participant_code,
                          const StatementPage& page = {});
std::string statement_json(const Statement& s);
std::string statement_csv(const Statement& s);

}  // namespace cpx::persistence

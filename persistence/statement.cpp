#include "statement.hpp"

#include "cpx/fixed_point.hpp"

namespace cpx::persistence {

namespace {

std::string describe(AccountId id, const std::function<std::string(ParticipantId)>& participant_code) {
  const uint64_t kind = id >> 56;
  const uint64_t low = id & ((uint64_t{1} << 56) - 1);
  switch (kind) {
    case 1: return "cash:" + participant_code(static_cast<ParticipantId>(low));
    case 2: return "escrow:" + std::to_string(low);
    case 3: return "fees";
    case 4: return "bank";
  }
  return "account:" + std::to_string(id);
}

std::string json_escape(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Statement build_statement(const Ledger& ledger, ParticipantId participant, std::string_view code,
                          const std::function<std::string(ParticipantId)>& participant_code) {
  Statement s;
  s.participant = std::string(code);
  s.account = cash_account(participant);
  Money balance = 0;
  for (const Transfer* t : ledger.transfers_sorted()) {
    if (t->flags & (kPending | kVoidPending)) continue;  // only posted money moves a statement
    const bool out = t->debit_account == s.account;
    const bool in = t->credit_account == s.account;
    if (!out && !in) continue;
    StatementLine line;
    line.ts = t->ts;
    line.transfer_id = t->id;
    line.kind = std::string(transfer_code_name(t->code));
    line.counterparty = describe(out ? t->credit_account : t->debit_account, participant_code);
    line.debit = out ? t->amount : 0;
    line.credit = in ? t->amount : 0;
    balance += line.credit - line.debit;
    line.balance = balance;
    s.total_debits += line.debit;
    s.total_credits += line.credit;
    s.lines.push_back(std::move(line));
  }
  s.closing_balance = balance;
  return s;
}

std::string statement_json(const Statement& s) {
  std::string out = "{\"participant\":" + json_escape(s.participant) + ",\"account\":" + std::to_string(s.account) +
                    ",\"lines\":[";
  for (size_t i = 0; i < s.lines.size(); ++i) {
    const StatementLine& l = s.lines[i];
    if (i) out += ',';
    out += "{\"ts\":\"" + format_iso_time(l.ts) + "\",\"transfer_id\":" + std::to_string(l.transfer_id) +
           ",\"kind\":\"" + l.kind + "\",\"counterparty\":" + json_escape(l.counterparty) + ",\"debit\":\"" +
           format_fixed(l.debit) + "\",\"credit\":\"" + format_fixed(l.credit) + "\",\"balance\":\"" +
           format_fixed(l.balance) + "\"}";
  }
  out += "],\"total_debits\":\"" + format_fixed(s.total_debits) + "\",\"total_credits\":\"" +
         format_fixed(s.total_credits) + "\",\"closing_balance\":\"" + format_fixed(s.closing_balance) + "\"}\n";
  return out;
}

std::string statement_csv(const Statement& s) {
  std::string out = "ts,transfer_id,kind,counterparty,debit,credit,balance\n";
  for (const StatementLine& l : s.lines) {
    out += format_iso_time(l.ts) + ',' + std::to_string(l.transfer_id) + ',' + l.kind + ',' + l.counterparty + ',' +
           format_fixed(l.debit) + ',' + format_fixed(l.credit) + ',' + format_fixed(l.balance) + '\n';
  }
  out += "total,,,," + format_fixed(s.total_debits) + ',' + format_fixed(s.total_credits) + ',' +
         format_fixed(s.closing_balance) + '\n';
  return out;
}

}  // namespace cpx::persistence

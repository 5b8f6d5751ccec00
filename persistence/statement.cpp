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
                          const std::function<std::string(ParticipantId)>& participant_code, const StatementPage& page) {
  Statement s;
  s.participant = std::string(code);
  s.account = cash_account(participant);
  Money balance = 0;
  for (TransferId id : ledger.transfers_of(s.account)) {
    const Transfer* t = ledger.transfer(id);
    if (t->flags & (kPending | kVoidPending)) continue;  // only posted money moves a statement
    const bool out = t->debit_account == s.account;
    const Money debit = out ? t->amount : 0, credit = out ? 0 : t->amount;
    if (id <= page.after || t->ts < page.from) {  // before the page: only its balance counts
      balance += credit - debit;
      continue;
    }
    if (t->ts >= page.to) break;  // transfers are numbered in time order
    if (s.lines.size() == page.limit) {
      s.more = true;
      break;
    }
    if (s.lines.empty()) s.opening_balance = balance;
    StatementLine line;
    line.ts = t->ts;
    line.transfer_id = t->id;
    line.kind = std::string(transfer_code_name(t->code));
    line.counterparty = describe(out ? t->credit_account : t->debit_account, participant_code);
    line.debit = debit;
    line.credit = credit;
    balance += credit - debit;
    line.balance = balance;
    s.total_debits += debit;
    s.total_credits += credit;
    s.lines.push_back(std::move(line));
  }
  if (s.lines.empty()) s.opening_balance = balance;
  s.closing_balance = s.lines.empty() ? balance : s.lines.back().balance;
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
         format_fixed(s.total_credits) + "\",\"opening_balance\":\"" + format_fixed(s.opening_balance) +
         "\",\"closing_balance\":\"" + format_fixed(s.closing_balance) + "\"}\n";
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

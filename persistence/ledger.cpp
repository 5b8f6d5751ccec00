#include "ledger.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>
#include <memory>

#include "cpx/bytes.hpp"
#include "journal.hpp"

namespace cpx::persistence {

std::string_view to_string(LedgerResult r) {
  switch (r) {
    case LedgerResult::Ok: return "ok";
    case LedgerResult::Exists: return "exists";
    case LedgerResult::ExistsDifferent: return "exists_with_different_content";
    case LedgerResult::IdZero: return "id_zero";
    case LedgerResult::AccountNotFound: return "account_not_found";
    case LedgerResult::SameAccount: return "same_account";
    case LedgerResult::LedgerMismatch: return "ledger_mismatch";
    case LedgerResult::AmountNotPositive: return "amount_not_positive";
    case LedgerResult::ExceedsCredits: return "exceeds_credits";
    case LedgerResult::ExceedsDebits: return "exceeds_debits";
    case LedgerResult::PendingNotFound: return "pending_not_found";
    case LedgerResult::PendingNotPending: return "pending_not_pending";
    case LedgerResult::PendingAlreadyResolved: return "pending_already_resolved";
    case LedgerResult::PendingAmountExceeded: return "pending_amount_exceeded";
    case LedgerResult::PendingAccountsDiffer: return "pending_accounts_differ";
    case LedgerResult::FlagsInvalid: return "flags_invalid";
    case LedgerResult::Overflow: return "overflow";
  }
  return "?";
}

LedgerResult Ledger::create_account(const Account& a) {
  if (a.id == 0) return LedgerResult::IdZero;
  if ((a.flags & kDebitsMustNotExceedCredits) && (a.flags & kCreditsMustNotExceedDebits)) {
    return LedgerResult::FlagsInvalid;
  }
  auto it = accounts_.find(a.id);
  if (it != accounts_.end()) {
    const Account& e = it->second;
    return e.ledger == a.ledger && e.code == a.code && e.flags == a.flags ? LedgerResult::Exists
                                                                          : LedgerResult::ExistsDifferent;
  }
  Account fresh{a.id, a.ledger, a.code, a.flags, 0, 0, 0, 0};
  accounts_.emplace(a.id, fresh);
  new_accounts_.push_back(a.id);
  return LedgerResult::Ok;
}

const Account* Ledger::account(AccountId id) const {
  auto it = accounts_.find(id);
  return it == accounts_.end() ? nullptr : &it->second;
}

const Transfer* Ledger::transfer(TransferId id) const {
  auto it = transfers_.find(id);
  return it == transfers_.end() ? nullptr : &it->second;
}

LedgerResult Ledger::check_room(const Account& debit, const Account& credit, Money amount, bool) const {
  if ((debit.flags & kDebitsMustNotExceedCredits) &&
      static_cast<__int128>(debit.debits_pending) + debit.debits_posted + amount > debit.credits_posted) {
    return LedgerResult::ExceedsCredits;
  }
  if ((credit.flags & kCreditsMustNotExceedDebits) &&
      static_cast<__int128>(credit.credits_pending) + credit.credits_posted + amount > credit.debits_posted) {
    return LedgerResult::ExceedsDebits;
  }
  return LedgerResult::Ok;
}

LedgerResult Ledger::post(const Transfer& in) {
  if (in.id == 0) return LedgerResult::IdZero;
  if (auto it = transfers_.find(in.id); it != transfers_.end()) {
    // A retry carries what the client sent: compare against the stored transfer with the same defaults
    // filled in (amount and accounts of a post/void of a pending transfer).
    Transfer probe = in;
    const Transfer& stored = it->second;
    if ((in.flags & (kPostPending | kVoidPending)) != 0) {
      if (probe.debit_account == 0) probe.debit_account = stored.debit_account;
      if (probe.credit_account == 0) probe.credit_account = stored.credit_account;
      if (probe.amount == 0) probe.amount = stored.amount;
    }
    return probe == stored ? LedgerResult::Exists : LedgerResult::ExistsDifferent;
  }
  const uint16_t kinds = in.flags & (kPending | kPostPending | kVoidPending);
  if (kinds & (kinds - 1)) return LedgerResult::FlagsInvalid;

  Transfer t = in;
  if (kinds & (kPostPending | kVoidPending)) {
    auto p = transfers_.find(in.pending_id);
    if (in.pending_id == 0 || p == transfers_.end()) return LedgerResult::PendingNotFound;
    const Transfer& pending = p->second;
    if (!(pending.flags & kPending)) return LedgerResult::PendingNotPending;
    if (pending_[pending.id].resolved) return LedgerResult::PendingAlreadyResolved;
    if (t.debit_account == 0) t.debit_account = pending.debit_account;
    if (t.credit_account == 0) t.credit_account = pending.credit_account;
    if (t.debit_account != pending.debit_account || t.credit_account != pending.credit_account) {
      return LedgerResult::PendingAccountsDiffer;
    }
    if (t.amount == 0) t.amount = pending.amount;
    if (t.amount < 0) return LedgerResult::AmountNotPositive;
    if (t.amount > pending.amount || ((kinds & kVoidPending) && t.amount != pending.amount)) {
      return LedgerResult::PendingAmountExceeded;
    }
    t.ledger = pending.ledger;
    Account& debit = accounts_.at(t.debit_account);
    Account& credit = accounts_.at(t.credit_account);
    debit.debits_pending -= pending.amount;
    credit.credits_pending -= pending.amount;
    if (kinds & kPostPending) {
      debit.debits_posted += t.amount;
      credit.credits_posted += t.amount;
    }
    pending_[pending.id].resolved = true;
  } else {
    auto d = accounts_.find(t.debit_account);
    auto c = accounts_.find(t.credit_account);
    if (d == accounts_.end() || c == accounts_.end()) return LedgerResult::AccountNotFound;
    if (t.debit_account == t.credit_account) return LedgerResult::SameAccount;
    Account& debit = d->second;
    Account& credit = c->second;
    if (debit.ledger != t.ledger || credit.ledger != t.ledger) return LedgerResult::LedgerMismatch;
    if (t.amount <= 0) return LedgerResult::AmountNotPositive;
    if (LedgerResult r = check_room(debit, credit, t.amount, kinds & kPending); r != LedgerResult::Ok) return r;
    constexpr __int128 kMax = INT64_MAX;
    if (static_cast<__int128>(debit.debits_posted) + debit.debits_pending + t.amount > kMax ||
        static_cast<__int128>(credit.credits_posted) + credit.credits_pending + t.amount > kMax) {
      return LedgerResult::Overflow;
    }
    if (kinds & kPending) {
      debit.debits_pending += t.amount;
      credit.credits_pending += t.amount;
      pending_.emplace(t.id, PendingState{});
    } else {
      debit.debits_posted += t.amount;
      credit.credits_posted += t.amount;
    }
  }
  transfers_.emplace(t.id, t);
  new_transfers_.push_back(t.id);
  index(t);
  return LedgerResult::Ok;
}

void Ledger::index(const Transfer& t) {
  for (AccountId a : {t.debit_account, t.credit_account}) {
    std::vector<TransferId>& ids = by_account_[a];
    // Ids are handed out in order, so this appends; kept sorted whatever the order of arrival.
    if (ids.empty() || ids.back() < t.id) ids.push_back(t.id);
    else ids.insert(std::upper_bound(ids.begin(), ids.end(), t.id), t.id);
  }
}

const std::vector<TransferId>& Ledger::transfers_of(AccountId account) const {
  static const std::vector<TransferId> kNone;
  auto it = by_account_.find(account);
  return it == by_account_.end() ? kNone : it->second;
}

bool Ledger::columns_have_room(AccountId debit, AccountId credit, Money amount) const {
  constexpr __int128 kMax = INT64_MAX;
  const Account* d = account(debit);
  const Account* c = account(credit);
  const __int128 debits = d ? static_cast<__int128>(d->debits_posted) + d->debits_pending : 0;
  const __int128 credits = c ? static_cast<__int128>(c->credits_posted) + c->credits_pending : 0;
  return amount >= 0 && debits + amount <= kMax && credits + amount <= kMax;
}

bool Ledger::check_invariants(std::string& why) const {
  struct Sums {
    __int128 debits_posted = 0, credits_posted = 0, debits_pending = 0, credits_pending = 0;
  };
  std::map<uint32_t, Sums> per_ledger;
  for (const auto& [id, a] : accounts_) {
    Sums& s = per_ledger[a.ledger];
    s.debits_posted += a.debits_posted;
    s.credits_posted += a.credits_posted;
    s.debits_pending += a.debits_pending;
    s.credits_pending += a.credits_pending;
    if ((a.flags & kDebitsMustNotExceedCredits) && a.debits_posted + a.debits_pending > a.credits_posted) {
      why = "account " + std::to_string(id) + " has more debits than credits";
      return false;
    }
    if ((a.flags & kCreditsMustNotExceedDebits) && a.credits_posted + a.credits_pending > a.debits_posted) {
      why = "account " + std::to_string(id) + " has more credits than debits";
      return false;
    }
    if (a.debits_pending < 0 || a.credits_pending < 0) {
      why = "account " + std::to_string(id) + " has negative pending amounts";
      return false;
    }
  }
  for (const auto& [ledger, s] : per_ledger) {
    if (s.debits_posted != s.credits_posted || s.debits_pending != s.credits_pending) {
      why = "ledger " + std::to_string(ledger) + ": debits and credits differ";
      return false;
    }
  }
  __int128 open_pending = 0;
  for (const auto& [id, p] : pending_) {
    if (!p.resolved) open_pending += transfers_.at(id).amount;
  }
  __int128 column_pending = 0;
  for (const auto& [ledger, s] : per_ledger) column_pending += s.debits_pending;
  if (open_pending != column_pending) {
    why = "open pending transfers do not match the pending columns";
    return false;
  }
  return true;
}

std::string encode_account(const Account& a) {
  std::string out;
  ByteWriter w(out);
  w.u64(a.id);
  w.u32(a.ledger);
  w.u32(a.code);
  w.u32(a.flags);
  w.i64(a.debits_pending);
  w.i64(a.debits_posted);
  w.i64(a.credits_pending);
  w.i64(a.credits_posted);
  return out;
}

std::string encode_transfer(const Transfer& t) {
  std::string out;
  ByteWriter w(out);
  w.u64(t.id);
  w.u64(t.debit_account);
  w.u64(t.credit_account);
  w.i64(t.amount);
  w.u64(t.pending_id);
  w.u32(t.ledger);
  w.u32(t.code);
  w.u32(t.flags);
  w.i64(t.ts);
  return out;
}

Result<Account> decode_account(std::string_view bytes) {
  ByteReader r(bytes);
  Account a;
  a.id = r.u64();
  a.ledger = r.u32();
  a.code = static_cast<uint16_t>(r.u32());
  a.flags = static_cast<uint16_t>(r.u32());
  a.debits_pending = r.i64();
  a.debits_posted = r.i64();
  a.credits_pending = r.i64();
  a.credits_posted = r.i64();
  if (!r.ok() || !r.done()) return make_error("ledger_corrupt", "a stored account does not decode");
  return a;
}

Result<Transfer> decode_transfer(std::string_view bytes) {
  ByteReader r(bytes);
  Transfer t;
  t.id = r.u64();
  t.debit_account = r.u64();
  t.credit_account = r.u64();
  t.amount = r.i64();
  t.pending_id = r.u64();
  t.ledger = r.u32();
  t.code = static_cast<uint16_t>(r.u32());
  t.flags = static_cast<uint16_t>(r.u32());
  t.ts = r.i64();
  if (!r.ok() || !r.done()) return make_error("ledger_corrupt", "a stored transfer does not decode");
  return t;
}

void Ledger::drain_to(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* family) {
  // Accounts are written once, when created (their balances follow from the transfers); the transfers
  // of one drain go in a single record keyed by the first id, so a batch costs a few puts, not one per
  // posting and account.
  for (AccountId id : new_accounts_) {
    Account meta = accounts_.at(id);
    meta.debits_pending = meta.debits_posted = meta.credits_pending = meta.credits_posted = 0;
    batch.Put(family, "a" + seq_key(id), encode_account(meta));
  }
  if (!new_transfers_.empty()) {
    std::string blob;
    ByteWriter w(blob);
    for (TransferId id : new_transfers_) w.str(encode_transfer(transfers_.at(id)));
    batch.Put(family, "t" + seq_key(new_transfers_.front()), blob);
  }
  new_accounts_.clear();
  new_transfers_.clear();
}

Result<bool> Ledger::load(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family) {
  if (!accounts_.empty() || !transfers_.empty()) return make_error("ledger_target", "load needs an empty ledger");
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), family));
  // Keys sort "a..." before "t...": every account exists before the first transfer is replayed.
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key = it->key().ToStringView();
    std::string_view value = it->value().ToStringView();
    if (!key.empty() && key[0] == 'a') {
      auto a = decode_account(value);
      if (!a) return a.error();
      if (create_account(*a) != LedgerResult::Ok) return make_error("ledger_corrupt", "a stored account is duplicated");
    } else if (!key.empty() && key[0] == 't') {
      ByteReader r(value);
      while (!r.done() && r.ok()) {
        auto t = decode_transfer(r.str());
        if (!t) return t.error();
        // After a recovery the journal tail's transfers are posted again and written in a later record:
        // the same transfer twice is expected (and identical); a different one under the same id is not.
        const LedgerResult posted = post(*t);
        if (posted != LedgerResult::Ok && posted != LedgerResult::Exists) {
          return make_error("ledger_corrupt", "stored transfer " + std::to_string(t->id) + " does not replay: " +
                                                  std::string(to_string(posted)));
        }
      }
      if (!r.ok()) return make_error("ledger_corrupt", "a stored transfer batch is truncated");
    }
  }
  if (!it->status().ok()) return make_error("ledger_io", "cannot read the ledger: " + it->status().ToString());
  new_accounts_.clear();
  new_transfers_.clear();
  return true;
}

void Ledger::save(ByteWriter& w) const {
  auto accounts = accounts_sorted();
  w.u64(accounts.size());
  for (const Account* a : accounts) w.str(encode_account(*a));
  auto transfers = transfers_sorted();
  w.u64(transfers.size());
  for (const Transfer* t : transfers) w.str(encode_transfer(*t));
}

Result<bool> Ledger::load(ByteReader& r) {
  if (!accounts_.empty() || !transfers_.empty()) return make_error("ledger_target", "load needs an empty ledger");
  for (uint64_t n = r.count(4), i = 0; i < n && r.ok(); ++i) {
    auto a = decode_account(r.str());
    if (!a) return a.error();
    accounts_.emplace(a->id, *a);
  }
  for (uint64_t n = r.count(4), i = 0; i < n && r.ok(); ++i) {
    auto t = decode_transfer(r.str());
    if (!t) return t.error();
    transfers_.emplace(t->id, *t);
  }
  if (!r.ok()) return make_error("ledger_corrupt", "the ledger in a snapshot is truncated");
  for (const Transfer* t : transfers_sorted()) index(*t);
  for (const auto& [id, t] : transfers_) {
    if (t.flags & kPending) pending_.emplace(id, PendingState{});
  }
  for (const auto& [id, t] : transfers_) {
    if (t.flags & (kPostPending | kVoidPending)) pending_[t.pending_id].resolved = true;
  }
  return true;
}

std::vector<const Account*> Ledger::accounts_sorted() const {
  std::vector<const Account*> v;
  v.reserve(accounts_.size());
  for (const auto& [id, a] : accounts_) v.push_back(&a);
  std::sort(v.begin(), v.end(), [](const Account* a, const Account* b) { return a->id < b->id; });
  return v;
}

std::vector<const Transfer*> Ledger::transfers_sorted() const {
  std::vector<const Transfer*> v;
  v.reserve(transfers_.size());
  for (const auto& [id, t] : transfers_) v.push_back(&t);
  std::sort(v.begin(), v.end(), [](const Transfer* a, const Transfer* b) { return a->id < b->id; });
  return v;
}

}  // namespace cpx::persistence

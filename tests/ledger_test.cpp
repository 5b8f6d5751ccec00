// The double-entry ledger: rules documented case by case, then seeded random streams of transfers checked
// against balances recomputed from the transfer log, invariants after every step, and a round trip
// through RocksDB.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>

#include "journal.hpp"
#include "ledger.hpp"

namespace cpx::persistence {
namespace {

constexpr AccountId kBank = 1, kCash = 2, kEscrow = 3, kFees = 4;

Ledger basic() {
  Ledger l;
  EXPECT_EQ(l.create_account({kBank, 1, 1, 0}), LedgerResult::Ok);
  EXPECT_EQ(l.create_account({kCash, 1, 2, kDebitsMustNotExceedCredits}), LedgerResult::Ok);
  EXPECT_EQ(l.create_account({kEscrow, 1, 3, kDebitsMustNotExceedCredits}), LedgerResult::Ok);
  EXPECT_EQ(l.create_account({kFees, 1, 4, kDebitsMustNotExceedCredits}), LedgerResult::Ok);
  return l;
}

Transfer tx(TransferId id, AccountId from, AccountId to, Money amount, uint16_t flags = 0, TransferId pending = 0) {
  Transfer t;
  t.id = id;
  t.debit_account = from;
  t.credit_account = to;
  t.amount = amount;
  t.flags = flags;
  t.pending_id = pending;
  return t;
}

TEST(Ledger, TransfersMoveMoneyAndCashNeverGoesNegative) {
  Ledger l = basic();
  EXPECT_EQ(l.post(tx(10, kBank, kCash, 1'000'000)), LedgerResult::Ok);  // deposit 100 CNY
  EXPECT_EQ(l.account(kCash)->balance(), 1'000'000);
  EXPECT_EQ(l.account(kBank)->balance(), -1'000'000);
  EXPECT_EQ(l.post(tx(11, kCash, kEscrow, 1'000'001)), LedgerResult::ExceedsCredits);
  EXPECT_EQ(l.post(tx(11, kCash, kEscrow, 400'000)), LedgerResult::Ok);
  EXPECT_EQ(l.account(kCash)->balance(), 600'000);
  EXPECT_EQ(l.post(tx(12, kCash, kCash, 1)), LedgerResult::SameAccount);
  EXPECT_EQ(l.post(tx(13, kCash, 99, 1)), LedgerResult::AccountNotFound);
  EXPECT_EQ(l.post(tx(14, kCash, kEscrow, 0)), LedgerResult::AmountNotPositive);
  EXPECT_EQ(l.post(tx(0, kCash, kEscrow, 1)), LedgerResult::IdZero);
  Transfer other_ledger = tx(15, kCash, kEscrow, 1);
  other_ledger.ledger = 2;
  EXPECT_EQ(l.post(other_ledger), LedgerResult::LedgerMismatch);
  std::string why;
  EXPECT_TRUE(l.check_invariants(why)) << why;
}

TEST(Ledger, BalancesNeverLeaveInt64) {
  Ledger l = basic();
  ASSERT_EQ(l.post(tx(1, kBank, kCash, INT64_MAX)), LedgerResult::Ok);
  EXPECT_EQ(l.post(tx(2, kBank, kCash, 1)), LedgerResult::Overflow);
  EXPECT_EQ(l.account(kCash)->balance(), INT64_MAX);
  // The dry run says the same as the posting, including for an account not created yet (empty).
  EXPECT_FALSE(l.columns_have_room(kBank, kEscrow, 1));
  EXPECT_FALSE(l.columns_have_room(kFees, kCash, 1));
  EXPECT_TRUE(l.columns_have_room(kCash, kEscrow, INT64_MAX));
  EXPECT_TRUE(l.columns_have_room(kCash, 99, INT64_MAX));
  EXPECT_FALSE(l.columns_have_room(kCash, kEscrow, -1));
  std::string why;
  EXPECT_TRUE(l.check_invariants(why)) << why;
}

TEST(Ledger, IdsAreIdempotent) {
  Ledger l = basic();
  ASSERT_EQ(l.post(tx(10, kBank, kCash, 500)), LedgerResult::Ok);
  EXPECT_EQ(l.post(tx(10, kBank, kCash, 500)), LedgerResult::Exists);
  EXPECT_EQ(l.account(kCash)->balance(), 500);  // the retry changed nothing
  EXPECT_EQ(l.post(tx(10, kBank, kCash, 501)), LedgerResult::ExistsDifferent);
  EXPECT_EQ(l.post(tx(10, kBank, kEscrow, 500)), LedgerResult::ExistsDifferent);
  EXPECT_EQ(l.create_account({kCash, 1, 2, kDebitsMustNotExceedCredits}), LedgerResult::Exists);
  EXPECT_EQ(l.create_account({kCash, 1, 2, 0}), LedgerResult::ExistsDifferent);
  EXPECT_EQ(l.create_account({9, 1, 2, kDebitsMustNotExceedCredits | kCreditsMustNotExceedDebits}),
            LedgerResult::FlagsInvalid);
  EXPECT_EQ(l.transfer_count(), 1u);
}

TEST(Ledger, TwoPhaseTransfersReservePostAndVoid) {
  Ledger l = basic();
  ASSERT_EQ(l.post(tx(1, kBank, kCash, 1000)), LedgerResult::Ok);
  ASSERT_EQ(l.post(tx(2, kCash, kEscrow, 700, kPending)), LedgerResult::Ok);
  EXPECT_EQ(l.account(kCash)->debits_pending, 700);
  EXPECT_EQ(l.account(kCash)->balance(), 1000);  // posted balance unchanged...
  EXPECT_EQ(l.post(tx(3, kCash, kEscrow, 301)), LedgerResult::ExceedsCredits);  // ...but the room is reserved
  // Post part of it: the rest is released.
  EXPECT_EQ(l.post(tx(4, 0, 0, 800, kPostPending, 2)), LedgerResult::PendingAmountExceeded);
  ASSERT_EQ(l.post(tx(4, 0, 0, 500, kPostPending, 2)), LedgerResult::Ok);
  EXPECT_EQ(l.account(kCash)->debits_pending, 0);
  EXPECT_EQ(l.account(kCash)->balance(), 500);
  EXPECT_EQ(l.account(kEscrow)->balance(), 500);
  EXPECT_EQ(l.post(tx(5, 0, 0, 0, kVoidPending, 2)), LedgerResult::PendingAlreadyResolved);
  // A void releases everything.
  ASSERT_EQ(l.post(tx(6, kCash, kEscrow, 200, kPending)), LedgerResult::Ok);
  ASSERT_EQ(l.post(tx(7, 0, 0, 0, kVoidPending, 6)), LedgerResult::Ok);
  EXPECT_EQ(l.account(kCash)->balance(), 500);
  EXPECT_EQ(l.account(kCash)->debits_pending, 0);
  EXPECT_EQ(l.post(tx(8, 0, 0, 0, kPostPending, 1)), LedgerResult::PendingNotPending);
  EXPECT_EQ(l.post(tx(9, 0, 0, 0, kPostPending, 77)), LedgerResult::PendingNotFound);
  EXPECT_EQ(l.post(tx(11, kCash, kEscrow, 1, kPending | kVoidPending)), LedgerResult::FlagsInvalid);
  ASSERT_EQ(l.post(tx(12, kCash, kEscrow, 100, kPending)), LedgerResult::Ok);
  EXPECT_EQ(l.post(tx(13, kCash, kFees, 0, kPostPending, 12)), LedgerResult::PendingAccountsDiffer);
  // The retry of a post, sent again as the client first sent it, is a no-op.
  EXPECT_EQ(l.post(tx(4, 0, 0, 500, kPostPending, 2)), LedgerResult::Exists);
  std::string why;
  EXPECT_TRUE(l.check_invariants(why)) << why;
}

// Balances recomputed from the stored transfers alone must equal the accounts' columns.
void expect_balances_match_log(const Ledger& l) {
  std::map<AccountId, Account> model;
  std::map<TransferId, bool> resolved;
  for (const Transfer* t : l.transfers_sorted()) {
    if (t->flags & (kPostPending | kVoidPending)) resolved[t->pending_id] = true;
  }
  for (const Transfer* t : l.transfers_sorted()) {
    Account& d = model[t->debit_account];
    Account& c = model[t->credit_account];
    if (t->flags & kPending) {
      if (!resolved[t->id]) {
        d.debits_pending += t->amount;
        c.credits_pending += t->amount;
      }
    } else if (t->flags & kVoidPending) {
    } else {
      d.debits_posted += t->amount;
      c.credits_posted += t->amount;
    }
  }
  for (const Account* a : l.accounts_sorted()) {
    const Account& m = model[a->id];
    ASSERT_EQ(a->debits_posted, m.debits_posted) << "account " << a->id;
    ASSERT_EQ(a->credits_posted, m.credits_posted) << "account " << a->id;
    ASSERT_EQ(a->debits_pending, m.debits_pending) << "account " << a->id;
    ASSERT_EQ(a->credits_pending, m.credits_pending) << "account " << a->id;
  }
}

TEST(Ledger, RandomStreamsKeepEveryInvariant) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    Ledger l;
    const AccountId accounts = 12;
    for (AccountId id = 1; id <= accounts; ++id) {
      uint16_t flags = id == 1 ? 0 : (id % 5 == 0 ? kCreditsMustNotExceedDebits : kDebitsMustNotExceedCredits);
      ASSERT_EQ(l.create_account({id, 1, static_cast<uint16_t>(id % 3), flags}), LedgerResult::Ok);
    }
    std::vector<TransferId> pendings;
    std::map<LedgerResult, int> outcomes;
    for (TransferId id = 1; id <= 3000; ++id) {
      Transfer t;
      int kind = static_cast<int>(rng() % 10);
      if (kind < 2 && !pendings.empty()) {
        t = tx(id, 0, 0, rng() % 3 == 0 ? 0 : static_cast<Money>(rng() % 500), kind == 0 ? kPostPending : kVoidPending,
               pendings[rng() % pendings.size()]);
        if (kind == 1) t.amount = 0;
      } else {
        t = tx(id, 1 + rng() % accounts, 1 + rng() % accounts, static_cast<Money>(rng() % 1000) - 20,
               kind == 2 ? kPending : 0);
        if (rng() % 3 == 0) t.debit_account = 1;  // the unflagged bank keeps money flowing in
      }
      const Account before_debit = l.account(t.debit_account) ? *l.account(t.debit_account) : Account{};
      LedgerResult r = l.post(t);
      ++outcomes[r];
      if (r == LedgerResult::Ok && (t.flags & kPending)) pendings.push_back(id);
      if (r != LedgerResult::Ok && l.account(t.debit_account)) {
        const Account& after = *l.account(t.debit_account);
        ASSERT_EQ(after.debits_posted, before_debit.debits_posted) << "a refused transfer changed an account";
        ASSERT_EQ(after.debits_pending, before_debit.debits_pending);
      }
      // A retry of anything stored is a no-op.
      if (r == LedgerResult::Ok && rng() % 7 == 0) {
        ASSERT_EQ(l.post(t), LedgerResult::Exists);
      }
      std::string why;
      ASSERT_TRUE(l.check_invariants(why)) << "seed " << seed << " transfer " << id << ": " << why;
    }
    expect_balances_match_log(l);
    EXPECT_GT(outcomes[LedgerResult::Ok], 500) << "seed " << seed;
    EXPECT_GT(outcomes[LedgerResult::ExceedsCredits] + outcomes[LedgerResult::ExceedsDebits], 0) << "seed " << seed;
  }
}

TEST(Ledger, SurvivesARoundTripThroughRocksDb) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("cpx-ledger-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  Ledger l = basic();
  std::mt19937_64 rng(5);
  ASSERT_EQ(l.post(tx(1, kBank, kCash, 10'000'000)), LedgerResult::Ok);
  for (TransferId id = 2; id < 500; ++id) {
    l.post(tx(id, kCash, kEscrow, static_cast<Money>(1 + rng() % 1000), id % 4 == 0 ? kPending : 0));
  }
  {
    auto j = Journal::open({dir.string()});
    ASSERT_TRUE(j.ok());
    // The ledger's changes ride in the same atomic batch as the journal entries.
    std::vector<Command> none{AdvanceTime{1}};
    auto r = (*j)->append(none, [&](rocksdb::WriteBatch& b) { l.drain_to(b, (*j)->ledger_family()); });
    ASSERT_TRUE(r.ok());
  }
  auto j = Journal::open({dir.string()});
  ASSERT_TRUE(j.ok());
  Ledger back;
  ASSERT_TRUE(back.load(*(*j)->db(), (*j)->ledger_family()).ok());
  ASSERT_EQ(back.account_count(), l.account_count());
  ASSERT_EQ(back.transfer_count(), l.transfer_count());
  for (const Account* a : l.accounts_sorted()) EXPECT_EQ(encode_account(*back.account(a->id)), encode_account(*a));
  for (const Transfer* t : l.transfers_sorted()) EXPECT_EQ(*back.transfer(t->id), *t);
  std::string why;
  EXPECT_TRUE(back.check_invariants(why)) << why;
  // Pending state came back too: resolving a loaded pending transfer works once.
  EXPECT_EQ(back.post(tx(900, 0, 0, 0, kVoidPending, 4)), LedgerResult::Ok);
  EXPECT_EQ(back.post(tx(901, 0, 0, 0, kVoidPending, 4)), LedgerResult::PendingAlreadyResolved);
  fs::remove_all(dir);
}

TEST(Ledger, TransfersWrittenAgainAfterARecoveryLoadOnce) {
  // A snapshot taken after transfer 5; the live ledger goes on to 10 and writes them; after a crash the
  // snapshot is restored and the journal tail posts 6..10 again (written in a later record) plus 11..12.
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("cpx-ledger-replay-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto j = Journal::open({dir.string()});
  ASSERT_TRUE(j.ok());
  auto write = [&](Ledger& l) {
    rocksdb::WriteBatch b;
    l.drain_to(b, (*j)->ledger_family());
    ASSERT_TRUE((*j)->db()->Write(rocksdb::WriteOptions(), &b).ok());
  };
  Ledger live = basic();
  ASSERT_EQ(live.post(tx(1, kBank, kCash, 1'000)), LedgerResult::Ok);
  for (TransferId id = 2; id <= 5; ++id) ASSERT_EQ(live.post(tx(id, kCash, kEscrow, 10)), LedgerResult::Ok);
  write(live);
  std::string snapshot;
  ByteWriter w(snapshot);
  live.save(w);
  for (TransferId id = 6; id <= 10; ++id) ASSERT_EQ(live.post(tx(id, kCash, kEscrow, 10)), LedgerResult::Ok);
  write(live);
  Ledger recovered;
  ByteReader r(snapshot);
  ASSERT_TRUE(recovered.load(r).ok());
  for (TransferId id = 6; id <= 12; ++id) ASSERT_EQ(recovered.post(tx(id, kCash, kEscrow, 10)), LedgerResult::Ok);
  write(recovered);
  Ledger back;
  auto loaded = back.load(*(*j)->db(), (*j)->ledger_family());
  ASSERT_TRUE(loaded.ok()) << loaded.error().text;
  EXPECT_EQ(back.transfer_count(), 12u);
  EXPECT_EQ(back.account(kCash)->balance(), 1'000 - 11 * 10);
  // A different transfer under a stored id is corruption, not a retry.
  Ledger evil = basic();
  ASSERT_EQ(evil.post(tx(3, kBank, kFees, 999)), LedgerResult::Ok);
  write(evil);
  Ledger again;
  auto bad = again.load(*(*j)->db(), (*j)->ledger_family());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "ledger_corrupt");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cpx::persistence

#pragma once
// The double-entry ledger (docs/PRODUCT.md §4), in the spirit of TigerBeetle: accounts keep debits and credits,
// posted and pending; immutable transfers move an amount from one account's debit side to another's
// credit side. Transfer and account ids are idempotent: the same id with the same content again is a
// no-op, with other content an error. Two-phase transfers reserve (pending) and later post or void.
// Flags on an account forbid it going negative. Amounts are Money (four decimals, CNY).
//
// The ledger is deterministic and in memory; what changed since the last drain can be written into the
// journal's atomic WriteBatch (ledger column family) and loaded back after a restart.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cpx/bytes.hpp"
#include "cpx/fixed_point.hpp"
#include "cpx/result.hpp"
#include "cpx/time.hpp"

namespace rocksdb {
class WriteBatch;
class ColumnFamilyHandle;
class DB;
}  // namespace rocksdb

namespace cpx::persistence {

using AccountId = uint64_t;
using TransferId = uint64_t;

enum AccountFlags : uint16_t {
  kDebitsMustNotExceedCredits = 1 << 0,  // e.g. a participant's cash: never below zero
  kCreditsMustNotExceedDebits = 1 << 1,
};

enum TransferFlags : uint16_t {
  kPending = 1 << 0,      // reserve: moves the amount into the pending columns
  kPostPending = 1 << 1,  // settle a pending transfer (`pending_id`) for `amount` (0 = its full amount)
  kVoidPending = 1 << 2,  // release a pending transfer (`pending_id`)
};

struct Account {
  AccountId id = 0;
  uint32_t ledger = 1;  // currency: 1 = CNY
  uint16_t code = 0;    // what kind of account (cash, escrow, fees, ...), for statements
  uint16_t flags = 0;
  Money debits_pending = 0;
  Money debits_posted = 0;
  Money credits_pending = 0;
  Money credits_posted = 0;
  // Credits minus debits, posted only.
  Money balance() const { return credits_posted - debits_posted; }
};

struct Transfer {
  TransferId id = 0;
  AccountId debit_account = 0;
  AccountId credit_account = 0;
  Money amount = 0;
  TransferId pending_id = 0;
  uint32_t ledger = 1;
  uint16_t code = 0;  // why the money moved (trade escrow, payout, fee, ...), for statements
  uint16_t flags = 0;
  Timestamp ts = 0;
  bool operator==(const Transfer&) const = default;
};

enum class LedgerResult : uint8_t {
  Ok,
  Exists,               // the same id with the same content: nothing done (idempotent retry)
  ExistsDifferent,      // the same id with other content
  IdZero,
  AccountNotFound,
  SameAccount,
  LedgerMismatch,
  AmountNotPositive,
  ExceedsCredits,       // a debit would take a kDebitsMustNotExceedCredits account negative
  ExceedsDebits,
  PendingNotFound,
  PendingNotPending,    // pending_id names a transfer that is not a pending one
  PendingAlreadyResolved,
  PendingAmountExceeded,
  PendingAccountsDiffer,
  FlagsInvalid,
  Overflow,             // a balance column would leave int64
};
std::string_view to_string(LedgerResult r);

class Ledger {
 public:
  LedgerResult create_account(const Account& account);
  LedgerResult post(const Transfer& transfer);

  const Account* account(AccountId id) const;
  // Whether a posted transfer of `amount` between the two accounts would keep every column inside int64.
  // The columns only grow, so a caller that may refuse (an operator's deposit) asks first and answers
  // the request instead of failing a posting; an account not yet created counts as empty.
  bool columns_have_room(AccountId debit, AccountId credit, Money amount) const;
  const Transfer* transfer(TransferId id) const;
  size_t account_count() const { return accounts_.size(); }
  size_t transfer_count() const { return transfers_.size(); }

  // Σ debits = Σ credits (posted and pending, per ledger), no flagged account on the wrong side, and
  // every pending transfer accounted for. Returns false with a sentence in `why`.
  bool check_invariants(std::string& why) const;

  // Writes the accounts and transfers created since the last drain into `batch` (in `family`: "a"+id per
  // account, "t"+first id per drain holding its transfers in order), and forgets them.
  void drain_to(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* family);
  // Loads a ledger written by drain_to into an empty ledger: creates the accounts and replays every
  // transfer through post(), so balances are recomputed and every rule is checked again.
  Result<bool> load(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family);

  // The in-memory state for snapshots (accounts, transfers, which pending transfers are resolved).
  void save(ByteWriter& w) const;
  Result<bool> load(ByteReader& r);

  // The ids of every transfer that debits or credits `account`, ascending (a statement reads one account
  // without visiting the whole ledger); empty for an account without any.
  const std::vector<TransferId>& transfers_of(AccountId account) const;

  // Deterministic visit (by id) for statements and hashing.
  std::vector<const Account*> accounts_sorted() const;
  std::vector<const Transfer*> transfers_sorted() const;

 private:
  struct PendingState {
    bool resolved = false;
  };
  LedgerResult check_room(const Account& debit, const Account& credit, Money amount, bool pending) const;

  std::unordered_map<AccountId, Account> accounts_;
  std::unordered_map<TransferId, Transfer> transfers_;
  std::unordered_map<TransferId, PendingState> pending_;
  std::unordered_map<AccountId, std::vector<TransferId>> by_account_;  // transfers_of
  void index(const Transfer& t);
  std::vector<AccountId> new_accounts_;
  std::vector<TransferId> new_transfers_;
};

// Encoding of the stored records (exposed for tests).
std::string encode_account(const Account& a);
std::string encode_transfer(const Transfer& t);
Result<Account> decode_account(std::string_view bytes);
Result<Transfer> decode_transfer(std::string_view bytes);

}  // namespace cpx::persistence

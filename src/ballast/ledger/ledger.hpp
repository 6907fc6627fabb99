#pragma once
// The ledger: assets, accounts, sub-accounts and their signed multi-asset balances.
//
// The ledger only stores and moves value; it does not judge events. The engine validates an
// event completely (engine.cpp) and only then calls the mutations here, whose preconditions are
// asserted: a mutation that would break an invariant is a bug, never a business rejection.
//
// Conservation: for every asset, the sum of all balances (users and system accounts alike)
// equals deposited - withdrawn. Insurance fund, fee pool and treasury are ordinary accounts.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ballast/core/bytes.hpp"
#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"
#include "ballast/core/status.hpp"
#include "ballast/market/position.hpp"

namespace ballast {

// What may be done with an asset; a bit set so a listing can enable several at once.
enum AssetFlag : std::uint8_t {
  kAssetDeposits = 1u << 0,
  kAssetWithdrawals = 1u << 1,
  kAssetTransfers = 1u << 2,
};
inline constexpr std::uint8_t kAssetFlagsAll = kAssetDeposits | kAssetWithdrawals | kAssetTransfers;

constexpr bool asset_flags_known(std::uint8_t flags) { return (flags & ~kAssetFlagsAll) == 0; }

// 1..kSymbolLengthMax characters of A-Z 0-9 . - _ : the one rule for every listed symbol.
inline constexpr std::size_t kSymbolLengthMax = 15;
bool asset_symbol_valid(std::string_view symbol);

struct Asset {
  AssetId id;
  std::string symbol;
  std::uint8_t decimals = 0;
  std::uint8_t flags = 0;
  Amount deposited;  // total ever deposited
  Amount withdrawn;  // total ever withdrawn
};

// Each sub-account is a risk bucket: cross shares margin with the owner's other cross
// sub-accounts, isolated stands alone, portfolio stands alone under the venue's scenario
// (portfolio-margin) model (engine/portfolio_margin.hpp).
enum class MarginMode : std::uint8_t { cross = 0, isolated = 1, portfolio = 2 };

// "cross", "isolated", "portfolio"; nullptr for a byte that names no mode.
const char* margin_mode_name(MarginMode mode) noexcept;

struct Balance {
  AssetId asset;
  Amount amount;  // signed: negative is a liability (a borrow)
};

// A derivative position held in a sub-account (perpetual, future, option; spot holdings are
// balances). margin::HeldPosition is this type.
struct PositionEntry {
  InstrumentId instrument;
  market::Position position;
  friend bool operator==(const PositionEntry&, const PositionEntry&) = default;
};

struct SubAccount {
  SubAccountId id;
  AccountId owner;
  MarginMode mode = MarginMode::cross;
  std::vector<Balance> balances;  // sorted by asset id, no zero entries: one canonical form
  std::vector<PositionEntry> positions;  // sorted by instrument id, no flat (size 0) entries
};

// The sub-account's position in the instrument; nullptr when it holds none (positions are
// sorted by instrument: a binary search, no lookup of the sub-account).
const market::Position* position_of(const SubAccount& sub_account, InstrumentId instrument);

// One leg of a double-entry movement: `delta` added to a sub-account's balance of `asset`. The
// legs of one post() sum to zero per asset, so value only moves.
struct Posting {
  SubAccountId sub_account;
  AssetId asset;
  Amount delta;
};

// The system's own accounts, created with every ledger: each has one sub-account of the same id.
inline constexpr AccountId kInsuranceFund{1};
inline constexpr AccountId kFeePool{2};
inline constexpr AccountId kTreasury{3};
// The liquidity vault's account (lending/vault.hpp): created by the engine, with its one
// sub-account of the same id, only on a venue that has a vault. Its sub-account holds what LPs
// deposited and what the backstop took over.
inline constexpr AccountId kVault{5};
// The counterparty of every fill: what a fill pays or credits a user (realized PnL, option
// premium, spot delivery and payment) comes from or goes to the clearing account, so value is
// conserved fill by fill. For spot and option fills, once both sides of a matched trade are
// applied its net change is only the pair's rounding residual (the buyer's ceiling minus the
// seller's floor, market::fill_residual: 0 or 1 micro-unit, in the protocol's favour). For perps
// and futures it also holds the realized PnL whose counterparties are still open (A buys from B
// at 100 and sells to C at 110: clearing is −10 until B and C close), so it returns to residuals
// only when the market's positions are flat. Fees go to the fee pool.
inline constexpr AccountId kClearing{4};
// The venue's bad-debt account: created by the engine, with its one sub-account of the same id,
// on every venue that has a risk configuration. What a bankruptcy's waterfall could place nowhere
// (LossTotals::unresolved) is written off the group's debts into it (engine/bankruptcy.hpp), as
// Aave v3.3 burns bad debt into a reserve's deficit: its negative balances are the deficit, asset
// by asset. Like every system account it pays no interest, so the deficit does not grow; the
// lending pools count it as cash that is gone (engine/pools.hpp), and a deposit into it, or the
// insurance fund's cover_bad_debt, pays it back.
inline constexpr AccountId kBadDebt{6};

class Ledger {
 public:
  Ledger();

  // Lookups.
  const Asset* find_asset(AssetId id) const;
  bool symbol_listed(std::string_view symbol) const;
  bool has_account(AccountId id) const;
  const SubAccount* find_sub_account(SubAccountId id) const;
  Amount balance(SubAccountId sub_account, AssetId asset) const;
  // What may leave the sub-account now. Until margin exists this is the positive balance.
  Amount free_balance(SubAccountId sub_account, AssetId asset) const;

  // Mutations; the engine has validated every precondition, so they assert instead of failing.
  void list_asset(AssetId id, std::string_view symbol, std::uint8_t decimals, std::uint8_t flags);
  void set_asset_flags(AssetId id, std::uint8_t flags);
  void create_account(AccountId id);
  void create_sub_account(SubAccountId id, AccountId owner, MarginMode mode);
  // Whether deposit/withdraw/transfer of this amount keeps every balance and total in range.
  bool deposit_fits(SubAccountId sub_account, AssetId asset, Amount amount) const;
  bool withdraw_fits(SubAccountId sub_account, AssetId asset, Amount amount) const;
  bool transfer_fits(SubAccountId to, AssetId asset, Amount amount) const;
  void deposit(SubAccountId sub_account, AssetId asset, Amount amount);
  void withdraw(SubAccountId sub_account, AssetId asset, Amount amount);
  // A withdrawal that may take the balance below zero (the engine's borrow event, after its
  // lending pool's and margin's checks). withdraw_fits says whether it fits.
  void borrow(SubAccountId sub_account, AssetId asset, Amount amount);
  void transfer(SubAccountId from, SubAccountId to, AssetId asset, Amount amount);
  // Double-entry postings (fills): whether they sum to zero per listed asset and leave every
  // balance in range, and applying them. No free-balance rule: a balance may go negative (a
  // borrow), which the engine's margin check has judged.
  bool postings_fit(std::span<const Posting> postings) const;
  void post(std::span<const Posting> postings);
  // Positions.
  const market::Position* position(SubAccountId sub_account, InstrumentId instrument) const;
  // Replaces the position; a flat one (size 0) is removed.
  void set_position(SubAccountId sub_account, InstrumentId instrument,
                    const market::Position& position);
  // The owner's sub-accounts, by id.
  const std::vector<SubAccountId>& sub_accounts_of(AccountId owner) const;
  // The sub-accounts holding a position (size != 0) in the instrument, by id: what ADL and loss
  // socialization walk at a bankruptcy, in O(holders) rather than over every sub-account. A
  // position opened or closed costs O(log holders) (a settlement closes a million in turn).
  const std::set<SubAccountId>& holders_of(InstrumentId instrument) const;
  // The sub-accounts with a balance (either sign) of the asset, by id: what an interest accrual
  // walks, in O(holders) rather than sorting every sub-account. A balance created or emptied
  // costs O(log holders).
  const std::set<SubAccountId>& balance_holders_of(AssetId asset) const;

  // The change feed: one entry per mutation of a sub-account (its creation, a balance, a
  // position), naming it, in order, repeats kept. A view kept beside the ledger (the
  // simulator's margin mirror) re-reads only the sub-accounts named since it last looked,
  // instead of the whole ledger. The feed keeps at least the latest 4,096 changes and at most
  // 8,192 (bounded memory on a live venue): changes_since() answers nullopt to a reader that
  // fell further behind, which must then re-read everything. Not part of the state (neither
  // encoded nor hashed); a copy of the ledger carries it.
  std::uint64_t change_count() const { return feed_base_ + feed_.size(); }
  // The sub-accounts changed by mutations [from, change_count()), or nullopt when the feed no
  // longer holds them all (or `from` is past change_count()).
  std::optional<std::span<const SubAccountId>> changes_since(std::uint64_t from) const;

  // Canonical iteration: assets by id, sub-accounts by id.
  const std::map<AssetId, Asset>& assets() const { return assets_; }
  std::vector<const SubAccount*> sub_accounts_in_order() const;
  std::vector<AccountId> accounts_in_order() const;
  std::size_t account_count() const { return accounts_.size(); }
  std::size_t sub_account_count() const { return sub_accounts_.size(); }

  // For every asset, sum of balances == deposited - withdrawn. O(state); for tests and replay.
  bool conserves_value() const;

  // Canonical bytes of the whole ledger, the same for equal states whatever their history.
  void encode(ByteWriter& out) const;
  static Result<Ledger> decode(ByteReader& in);

 private:
  static Result<Ledger> decode_sub_accounts(ByteReader& in, Ledger ledger);
  SubAccount& sub_account_mut(SubAccountId id);
  void add_to_balance(SubAccount& sub_account, AssetId asset, Amount delta);
  void note_change(SubAccountId id);
  void note_holding(SubAccountId id, InstrumentId instrument, bool holds);

  std::map<AssetId, Asset> assets_;  // few, and ordered for canonical output
  std::unordered_map<AccountId, std::vector<SubAccountId>> accounts_;
  std::unordered_map<SubAccountId, SubAccount> sub_accounts_;
  std::map<InstrumentId, std::set<SubAccountId>> holders_;  // derived from the positions
  std::map<AssetId, std::set<SubAccountId>> balance_holders_;  // derived from the balances
  // The change feed: entry i is change number feed_base_ + i.
  std::vector<SubAccountId> feed_;
  std::uint64_t feed_base_ = 0;
};

}  // namespace ballast

#pragma once
// Lending pools as the engine runs them (issue 6, item 1). The venue lends an asset between its
// users: a positive balance supplies it, a negative balance borrows it. The pool is not a separate
// store of money: it is the user balances of the asset, and its cash is what the suppliers put in
// that the borrowers have not taken out (deposits minus borrows, over user sub-accounts, the
// VenueTotals the margin calculator already reads).
//
// Interest is accrued by the protocol's accrue_interest event, one asset at a time, eagerly: every
// borrower is charged, every supplier credited and the reserves paid out in one posting set, so
// every balance in the ledger is always what its owner has, to the unit, and interest conserves
// value like any other movement. (The lending library's Pool keeps scaled balances and indices
// instead; storing ledger balances scaled would change every reader of a balance. The price is
// O(holders of the asset) per accrual instead of O(1): an accrual per asset per minute or hour,
// not per event, and it is benchmarked.) Like dYdX's funding ticks, a balance pays or earns for
// the whole interval at the accrual that ends it: the protocol's cadence bounds that granularity.
//
// One accrual over Δt = now − last accrual, at the utilization and rate read now:
//   U        = borrows / max(deposits − written off, borrows), up (1 when borrows exceed what
//              is there: trading losses can take more of an asset than its suppliers put in). The
//              written-off debt (the bad-debt account's, ledger.hpp's kBadDebt) is cash that is gone
//              and debt that pays nothing: Aave v3.3's utilization after a deficit, debt / (cash +
//              debt) with the burnt debt out of both.
//   rate     = curve(U) × adaptive scaling, up (rate_curve.hpp).
//   index'   = grow_index_up(index, rate, Δt): the cumulative borrow index, continuously
//              compounded, up (pool.hpp); g = (index' − index) / index at 10^-18, up.
//   pay_i    = ⌈|b_i| × g⌉ for each borrower i (up: debt never grows slower than the rate says).
//   P        = Σ pay_i: what borrowers paid.
//   pot      = ⌊P × (1 − reserve_factor)⌋; earn_j = ⌊pot × s_j / S⌋ for each supplier j (down).
//   reserves = P − Σ earn_j, to the insurance fund or the treasury: the reserve factor's share plus
//              every unit the down-roundings left.
// So interest paid == interest earned + reserves, to the unit, at every accrual, and the
// cumulative totals in PoolState keep that identity (asserted). Then, with adaptive scaling, one
// scaling step at U. Only user sub-accounts pay or earn (ids >= kFirstUserId): the system accounts
// are the venue's own money and the clearing account is the other side of fills.
//
// The pool's other rules bind where money enters and leaves: a deposit may not take total supply
// above the supply cap; a borrow event (a withdrawal past the balance) needs the cash to be there
// (insufficient_liquidity), keeps total borrows within the borrow cap, and passes the withdrawal's
// initial-margin check. Interest can push a group under maintenance: it is then liquidated like
// any other, its collateral seized against its debt (liquidate_borrow).

#include <optional>
#include <vector>

#include "ballast/core/bytes.hpp"
#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"
#include "ballast/core/status.hpp"
#include "ballast/ledger/ledger.hpp"
#include "ballast/lending/pool.hpp"
#include "ballast/margin/account.hpp"

namespace ballast {

// One asset's pool parameters (EngineOptions::pools, sorted by asset, each an asset of the risk
// configuration). The caps are in the asset's smallest unit.
struct AssetPool {
  AssetId asset;
  lending::PoolConfig config;
  friend bool operator==(const AssetPool&, const AssetPool&) = default;
};

// A pool's state (parallel to EngineOptions::pools; part of the state and the snapshot).
struct PoolState {
  TimestampNs accrued_ns = 0;                 // 0: never accrued (the first accrual starts the clock)
  int128 borrow_index = lending::kIndexScale;  // cumulative debt growth, 10^-18
  Ratio scaling = lending::kOneRatio;          // the adaptive scaling factor (1 without one)
  Ratio utilization;                           // read at the last accrual
  Ratio borrow_rate;                           // charged over the interval the last accrual ended
  int128 interest_paid = 0;    // units, cumulative: by borrowers
  int128 interest_earned = 0;  // units, cumulative: by suppliers
  int128 reserves = 0;         // units, cumulative: to the reserves' destination
  friend bool operator==(const PoolState&, const PoolState&) = default;
};

// Ok, or an invalid_input error naming the first bad pool ("pools[1] (asset 7): ...").
Outcome validate_pools(const std::vector<AssetPool>& pools, const margin::RiskConfig& risk);

// The pool of `asset`, or nullptr.
const AssetPool* find_pool(const std::vector<AssetPool>& pools, AssetId asset);
std::size_t pool_slot(const std::vector<AssetPool>& pools, AssetId asset);  // asserted present

// The system sub-account the pool's reserves go to.
SubAccountId reserves_sub_account(const lending::PoolConfig& config);

struct InterestPlan {
  Status status = Status::ok;  // balance_overflow when an amount or a total leaves its range
  std::vector<Posting> postings;  // borrowers' charges, suppliers' credits, the reserves
  PoolState next;
};

// One accrual of `pool` (state `state`) to now_ns >= state.accrued_ns, over the ledger's user
// balances of the asset.
InterestPlan plan_interest(const Ledger& ledger, const AssetPool& pool, const PoolState& state, TimestampNs now_ns);

// One asset's user deposits and borrows (the venue totals) and its written-off debt, in units.
struct PoolFigures {
  int128 deposit_units = 0;
  int128 borrow_units = 0;
  int128 written_off_units = 0;
  // What suppliers put in that borrowers have not taken out and bankruptcies did not lose.
  int128 cash() const { return deposit_units - borrow_units - written_off_units; }
};

// The bad-debt account's debt in `asset` (its negative balance, as a positive number; 0 when it
// owes none): the pool's written-off debt.
int128 written_off_units(const Ledger& ledger, AssetId asset);

// Utilization as the rate reads it: borrows / (max(cash, 0) + borrows), up; 0 without borrows.
Ratio pool_utilization(const PoolFigures& figures);

// The pool's rules for money entering or leaving the asset's user balances, in Status precedence
// order. A deposit of `amount` into a balance `balance` with user deposits at `deposit_units`:
// supply_cap_exceeded when the supply it adds (what passes zero) takes them above the cap. A
// borrow of `amount` out of a balance `balance`: insufficient_liquidity when the pool's cash is
// short of it, borrow_cap_exceeded when total borrows would pass the cap.
Status judge_supply(const AssetPool& pool, int128 deposit_units, Amount balance, Amount amount);
Status judge_borrow(const AssetPool& pool, const PoolFigures& figures, Amount balance, Amount amount);

// Canonical bytes (the snapshot's). Decoding refuses what validate_pools refuses, naming the pool.
void encode_pools(ByteWriter& out, const std::vector<AssetPool>& pools);
Result<std::vector<AssetPool>> decode_pools(ByteReader& in, const margin::RiskConfig& risk);
void encode_pool_state(ByteWriter& out, const PoolState& state);
std::optional<PoolState> decode_pool_state(ByteReader& in);

}  // namespace ballast

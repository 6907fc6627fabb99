#pragma once
// A lending pool per asset: suppliers lend the pool's cash to borrowers, borrowers pay interest at
// the rate curve's rate for the pool's utilization, suppliers earn that interest less the reserve
// factor, and the reserves go to the insurance fund or the treasury. A pure library: time comes
// in as an argument (never a clock), every operation is exact integer arithmetic.
//
// Balances are signed scaled balances (ScaledBalance), one per account per asset: a positive one
// is supply shares, valued at the supply index; a negative one is debt shares, valued at the
// borrow index. Negative balances are borrows and pay interest. amount_of() turns a scaled
// balance into its current amount (supply rounded down, debt rounded up), so the ledger can store
// scaled balances and treat negative ones as borrows.
//
// Indices. Both indices are Index values, 128-bit counts of 10^-18 (kIndexScale), starting at 1.
// A share's value in the asset's smallest unit is index / 10^18, so the exact value of any set of
// shares is (shares × index) sub-units of 10^-18 unit, an integer: sums of exact values need no
// rounding, and the pool keeps one exact identity in sub-units, after every operation:
//
//     cash·10^18 + B·borrow_index == S·supply_index + reserves_sub
//
// where B and S are the total debt and supply shares and reserves_sub the reserves in sub-units.
// It is an identity of integers, checked exactly by the tests, not an approximation.
//
// Accrual over Δt (ns, continuous compounding at the annual rate r, ACT/365 on seconds):
//   x            = r·Δt/year at 10^-18, up.
//   growth       = e^x − 1 at 10^-18 from a Taylor series of at most 21 terms per unit of x,
//                  each term rounded up, plus a bound on the tail: an upper bound of e^x − 1,
//                  never libm; x > 1 is applied in steps of at most 1.
//   borrow index ← borrow_index + borrow_index·growth, up.
//   interest     = B·(new − old borrow index): exact, in sub-units.  What borrowers paid.
//   to suppliers = interest·(1 − reserve_factor), down; the supply index rises by
//                  to_suppliers / S, down (0 when S = 0).               What suppliers earned.
//   to reserves  = interest − S·(supply index rise): exact; the reserve factor's share plus
//                  every sub-unit the two down-roundings left.          What the protocol kept.
// So interest paid == interest earned + reserves, to the sub-unit, at every accrual.
//
// Rounding per quantity, each in the protocol's favour; every rounding difference lands in
// reserves_sub, so the identity above stays exact:
//   borrow index growth          up    debt never grows slower than the rate says
//   supply index growth          down  suppliers never earn more than borrowers paid, less reserves
//   supply shares minted         down  a deposit never buys more claim than it brings
//   supply shares burned         up    a withdrawal never takes more claim than it gives up
//   debt shares minted (borrow)  up    a borrow never records less debt than the cash it takes
//   debt shares burned (repay)   down  a repayment never clears more debt than it brings
//   amount_of: supply / debt     down / up   claims shown at most, debts at least, the exact value
//   utilization for the rate     up    the rate is never below the curve at the true utilization
//   caps (totals after the op)   up    a cap is never exceeded by a rounding
// With per-account views, for any set of balances summing to S and B:
//   cash + Σ debts (each up) == Σ claims (each down) + reserves() + residue,
//   residue = ((reserves_sub mod 10^18) + Σ per-view rounding) / 10^18, an integer in
//   [0, number of balances + 1): the rounding the protocol keeps when the views become cash.
//
// Operations return LendingStatus: a rejection changes nothing. The caller accrues to the event's
// time first (accrue), then operates; the rate over [last accrual, now] is the one at the
// utilization left by the last operation, constant in between. Programmer errors (a utilization
// outside [0, 1], a cap below zero past validation) assert.

#include <cstdint>
#include <optional>
#include <utility>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"
#include "ballast/lending/rate_curve.hpp"

namespace ballast::lending {

// Business rejections, in precedence order: when an operation breaks several rules, the first
// listed is reported.
enum class LendingStatus : std::uint8_t {
  ok = 0,
  amount_invalid,          // zero or negative, or too small to move a single share
  time_regressed,          // accrue to a time before the last accrual
  insufficient_balance,    // withdraw more than the supply claim without allowing a borrow
  insufficient_liquidity,  // withdraw or borrow more than the pool's cash
  borrow_cap_exceeded,     // total debt after the borrow above the borrow cap
  supply_cap_exceeded,     // total supply after the deposit above the supply cap
  overflow,                // a total or an index would leave its range
};

const char* lending_status_name(LendingStatus status) noexcept;

enum class ReservesDestination : std::uint8_t { insurance_fund, treasury };

const char* reserves_destination_name(ReservesDestination destination) noexcept;

inline constexpr int128 kIndexScale = pow10_i128(18);
inline constexpr std::int64_t kSecondsPerYear = 365LL * 24 * 3600;  // ACT/365 (DESIGN 4.2)
inline constexpr std::int64_t kNoCap = INT64_MAX;

// A pool index: a count of 10^-18, 1.0 = kIndexScale.
struct Index {
  int128 raw = kIndexScale;
  friend constexpr bool operator==(Index, Index) = default;
  friend constexpr auto operator<=>(Index, Index) = default;
};

// Shares: positive supply, negative debt (see the header comment).
using ScaledBalance = std::int64_t;

struct PoolConfig {
  RateCurve curve;
  std::optional<AdaptiveScaling> adaptive{};  // Mango-style scaling of the curve when set
  Ratio reserve_factor{};                     // [0, 1]: the share of interest kept as reserves
  ReservesDestination reserves_to = ReservesDestination::insurance_fund;
  Amount supply_cap = Amount::from_raw(kNoCap);  // on total supply claims, whole units
  Amount borrow_cap = Amount::from_raw(kNoCap);  // on total debt, whole units
  friend bool operator==(const PoolConfig&, const PoolConfig&) = default;
};

// Validates a configuration (the error names the field).
Outcome validate(const PoolConfig& config);

// e^x − 1 at 10^-18 for x = x_raw / 10^18 in [0, 10^18], an upper bound within a few units of
// 10^-18 of the exact value (exposed for tests and benchmarks).
int128 exp_minus_one_up(int128 x_raw);

// shares × index / 10^18 in the given direction (shares, index >= 0): a share count's value at an
// index, or any amount times a 10^-18 factor. nullopt when it leaves 128 bits.
std::optional<int128> value_of(int128 shares, int128 index, Round round);
// value × fraction / 10^12, down (value, fraction >= 0): an amount times a Ratio's raw value.
std::optional<int128> times_ratio_down(int128 value, std::int64_t fraction);

// An index grown at the annual `rate` over `elapsed_ns` (>= 0), continuously compounded as the
// header says: index × (1 + e^x − 1), up, x applied in steps of at most 1. nullopt when it
// leaves 128 bits. The pool's borrow index and the engine's per-asset borrow index both grow by it.
std::optional<int128> grow_index_up(int128 index_raw, Ratio rate, int128 elapsed_ns);

// Reserves moved out of the pool by take_reserves(): the engine credits `amount` to `to`.
struct ReserveTransfer {
  ReservesDestination to;
  Amount amount;
};

class Pool {
 public:
  // A pool with no balances, both indices at 1, scaling 1, accrued to `start_ns`.
  static Result<Pool> make(PoolConfig config, TimestampNs start_ns);

  // Brings both indices to now_ns. time_regressed if now_ns < last_accrual_ns(); overflow if an
  // index or the interest would leave its range (then nothing changes).
  LendingStatus accrue(TimestampNs now_ns);

  // Cash in for the account whose balance is `balance`: repays its debt first (a borrow), the
  // rest is supplied. On ok, `balance` is the new scaled balance.
  LendingStatus deposit(ScaledBalance& balance, Amount amount);
  // Cash out: withdraws from its supply first; what exceeds the claim is borrowed when
  // allow_borrow (the engine decides whether margin allows it), insufficient_balance otherwise.
  LendingStatus withdraw(ScaledBalance& balance, Amount amount, bool allow_borrow);

  // The current amount of a scaled balance: supply shares × supply index, down; debt shares ×
  // borrow index, up, negative. nullopt when it does not fit an Amount.
  std::optional<Amount> amount_of(ScaledBalance balance) const;

  // One adaptive scaling step at `average_utilization` (the engine's average over its interval,
  // or utilization()). Asserts the configuration has adaptive scaling. Accrue first: the new
  // scaling applies from now on.
  void adapt_scaling(Ratio average_utilization);

  // Moves the whole units of reserves out of the pool, as far as cash allows.
  ReserveTransfer take_reserves();

  // Replaces the parameters (governance); accrue first. Balances and indices are kept.
  Outcome reconfigure(PoolConfig config);

  // Views.
  Ratio utilization() const;  // debt / (cash + debt), up: the utilization the rate is read at
  Ratio borrow_rate() const;  // curve at utilization(), × scaling, up
  Ratio supply_rate() const;  // indicative: borrow_rate() × utilization (down) × (1 − RF), down
  Amount cash() const { return Amount::from_raw(cash_); }
  std::int64_t supply_shares() const { return supply_shares_; }
  std::int64_t debt_shares() const { return debt_shares_; }
  Index supply_index() const { return supply_index_; }
  Index borrow_index() const { return borrow_index_; }
  int128 reserves_sub() const { return reserves_sub_; }  // 10^-18 units
  Amount reserves() const;                                // whole units, down
  int128 total_supply() const;                            // S × supply index, down, units
  int128 total_debt() const;                              // B × borrow index, up, units
  TimestampNs last_accrual_ns() const { return last_accrual_ns_; }
  Ratio scaling() const { return scaling_; }
  const PoolConfig& config() const { return config_; }

  friend bool operator==(const Pool&, const Pool&) = default;

 private:
  explicit Pool(PoolConfig config, TimestampNs start_ns)
      : config_(std::move(config)), last_accrual_ns_(start_ns) {}

  PoolConfig config_;
  std::int64_t cash_ = 0;
  std::int64_t supply_shares_ = 0;
  std::int64_t debt_shares_ = 0;
  Index supply_index_;
  Index borrow_index_;
  int128 reserves_sub_ = 0;
  TimestampNs last_accrual_ns_ = 0;
  Ratio scaling_ = kOneRatio;
};

}  // namespace ballast::lending

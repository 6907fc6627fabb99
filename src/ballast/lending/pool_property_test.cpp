// Pool properties (pool.hpp) over random sequences of deposits (supply or repay), withdrawals
// (withdraw or borrow), accruals (forward, zero and backward in time), scaling steps and reserve
// sweeps on a handful of signed balances, with the Aave, Drift and Mango curves and a flat one:
//   - the pool identity cash·10^18 + B·borrow_index == S·supply_index + reserves_sub, exactly;
//   - per account: cash + Σ debts (up) == Σ claims (down) + reserves + residue, with the residue
//     equal to the views' own roundings and in [0, accounts + 1);
//   - at every accrual, interest paid == interest earned + reserves kept, to the 10^-18 sub-unit,
//     the reserves at least the reserve factor's share;
//   - indices never decrease; a rejection changes nothing; cash is deposits − withdrawals − sweeps.
// Big integers (boost::multiprecision) so the check itself cannot overflow.

#include "ballast/core/testing/pick.hpp"
#include "ballast/lending/pool.hpp"
#include "ballast/core/testing/fixed_text.hpp"
#include "ballast/lending/testing/big_int.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace ballast::lending {
namespace {

using testing::big;
using testing::cpp_int;

constexpr TimestampNs kStart = 1'700'000'000'000'000'000;
constexpr TimestampNs kDayNs = 86'400'000'000'000;


const cpp_int kW = big(kIndexScale);

// An amount: sometimes invalid (<= 0), sometimes a few units (too small for a share once the
// index is above 1), mostly up to `max`.
std::int64_t pick_amount(std::int64_t max) {
  const int kind = pick(0, 12);
  if (kind == 0) {
    return pick<std::int64_t>(-2, 1);
  }
  if (kind == 1) {
    return pick<std::int64_t>(1, 4);
  }
  return pick<std::int64_t>(1, max);
}

PoolConfig random_config() {
  const int kind = pick(0, 4);
  PoolConfig config{.curve = RateCurve::aave_two_slope(ratio("0"), ratio("0.04"), ratio("0.75"), ratio("0.8")).value()};
  if (kind == 1) {
    config.curve = RateCurve::drift_multi_stage(ratio("0.7"), ratio("0.1"), ratio("5"), ratio("0.01")).value();
  } else if (kind == 2) {
    config.curve = RateCurve::mango_two_kink(ratio("0.7"), ratio("0.1"), ratio("0.85"), ratio("0.2"), ratio("2")).value();
    config.adaptive = AdaptiveScaling{.target_utilization = ratio("0.7"), .adjustment = ratio("0.004")};
  } else if (kind == 3) {
    const Ratio rate = Ratio::from_raw(pick<std::int64_t>(0, 3 * Ratio::kScale));
    const std::array<RatePoint, 2> points{{{Ratio{}, rate}, {kOneRatio, rate}}};
    config.curve = RateCurve::make(points).value();
  }
  config.reserve_factor = Ratio::from_raw(pick<std::int64_t>(0, Ratio::kScale + 1));
  config.reserves_to = *rc::gen::arbitrary<bool>() ? ReservesDestination::treasury : ReservesDestination::insurance_fund;
  if (pick(0, 4) == 0) {
    config.supply_cap = Amount::from_raw(pick<std::int64_t>(0, 50'000'000));
    config.borrow_cap = Amount::from_raw(pick<std::int64_t>(0, 20'000'000));
  }
  return config;
}

// Every check that must hold after any step, whatever happened.
void check_state(const Pool& pool, const std::vector<ScaledBalance>& balances) {
  // Totals are the sums of the balances.
  cpp_int supply = 0;
  cpp_int debt = 0;
  for (const ScaledBalance b : balances) {
    (b > 0 ? supply : debt) += big(b > 0 ? b : -static_cast<int128>(b));
  }
  RC_ASSERT(supply == big(pool.supply_shares()));
  RC_ASSERT(debt == big(pool.debt_shares()));
  const cpp_int bi = big(pool.borrow_index().raw);
  const cpp_int si = big(pool.supply_index().raw);
  const cpp_int reserves_sub = big(pool.reserves_sub());
  RC_ASSERT(pool.cash().raw() >= 0);
  RC_ASSERT(reserves_sub >= 0);
  // The pool identity, in sub-units, exactly.
  RC_ASSERT(big(pool.cash().raw()) * kW + debt * bi == supply * si + reserves_sub);
  // Per-account views: debts up, claims down, each checked against its exact value.
  cpp_int debts_up = 0;
  cpp_int claims_down = 0;
  cpp_int view_rounding = 0;  // Σ (view·10^18 − exact) for debts + Σ (exact − view·10^18) for claims
  for (const ScaledBalance b : balances) {
    const auto view = pool.amount_of(b);
    RC_ASSERT(view.has_value());
    if (b >= 0) {
      const cpp_int exact = big(b) * si;
      const cpp_int shown = big(view->raw());
      RC_ASSERT(shown * kW <= exact);
      RC_ASSERT(exact - shown * kW < kW);
      claims_down += shown;
      view_rounding += exact - shown * kW;
    } else {
      const cpp_int exact = big(-static_cast<int128>(b)) * bi;
      const cpp_int shown = -big(view->raw());
      RC_ASSERT(shown * kW >= exact);
      RC_ASSERT(shown * kW - exact < kW);
      debts_up += shown;
      view_rounding += shown * kW - exact;
    }
  }
  const cpp_int residue = big(pool.cash().raw()) + debts_up - claims_down - big(pool.reserves().raw());
  RC_ASSERT(residue * kW == reserves_sub % kW + view_rounding);
  RC_ASSERT(residue >= 0);
  RC_ASSERT(residue < static_cast<int>(balances.size()) + 1);
}

RC_GTEST_PROP(PoolProperty, ExactIdentityMonotoneIndicesAndInertRejections, ()) {
  auto made = Pool::make(random_config(), kStart);
  RC_ASSERT(made.ok());
  Pool pool = std::move(made).value();
  std::vector<ScaledBalance> balances(static_cast<std::size_t>(pick(2, 7)), 0);
  const int steps = pick(1, 80);
  TimestampNs now = kStart;
  cpp_int net_in = 0;  // deposits − withdrawals − reserve sweeps
  for (int step = 0; step < steps; ++step) {
    const Pool before = pool;
    const std::size_t who = pick<std::size_t>(0, balances.size());
    const ScaledBalance was = balances[who];
    const int op = pick(0, 10);
    LendingStatus status = LendingStatus::ok;
    if (op <= 2) {  // deposit: supply, or repay then supply
      const std::int64_t units = pick_amount(5'000'000);
      status = pool.deposit(balances[who], Amount::from_raw(units));
      if (status == LendingStatus::ok) {
        net_in += units;
        RC_ASSERT(pool.supply_index() == before.supply_index());
        RC_ASSERT(pool.borrow_index() == before.borrow_index());
        RC_ASSERT(pool.reserves_sub() >= before.reserves_sub());
      }
    } else if (op <= 5) {  // withdraw, then borrow when allowed
      const std::int64_t units = pick_amount(3'000'000);
      status = pool.withdraw(balances[who], Amount::from_raw(units), pick(0, 4) != 0);
      if (status == LendingStatus::ok) {
        net_in -= units;
        RC_ASSERT(pool.supply_index() == before.supply_index());
        RC_ASSERT(pool.borrow_index() == before.borrow_index());
        RC_ASSERT(pool.reserves_sub() >= before.reserves_sub());
      }
    } else if (op <= 8) {  // accrue, sometimes backward, sometimes by nothing
      // Up to 5 days a step: 80 steps at Drift's 500% stay within e^6, so every view fits.
      const int when = pick(0, 8);
      const TimestampNs dt = when == 0   ? pick<TimestampNs>(-2'000'000'000, 0)
                             : when == 1 ? 0
                                         : pick<TimestampNs>(1, 5 * kDayNs);
      status = pool.accrue(now + dt);
      if (status == LendingStatus::ok) {
        now += dt;
        RC_ASSERT(pool.borrow_index() >= before.borrow_index());
        RC_ASSERT(pool.supply_index() >= before.supply_index());
        // Interest paid by borrowers == interest earned by suppliers + reserves kept, exactly.
        const cpp_int paid = big(pool.debt_shares()) * (big(pool.borrow_index().raw) - big(before.borrow_index().raw));
        const cpp_int earned = big(pool.supply_shares()) * (big(pool.supply_index().raw) - big(before.supply_index().raw));
        const cpp_int kept = big(pool.reserves_sub()) - big(before.reserves_sub());
        RC_ASSERT(paid == earned + kept);
        // Suppliers never get more than (1 − RF) of it; reserves never less than RF of it.
        const cpp_int rf = big(pool.config().reserve_factor.raw());
        const cpp_int one = big(Ratio::kScale);
        RC_ASSERT(earned * one <= paid * (one - rf));
        RC_ASSERT(kept * one >= paid * rf);
        // With suppliers, by less than a sub-unit per share beyond the reserve factor's share
        // (without any, everything is kept).
        if (pool.supply_shares() > 0) {
          RC_ASSERT(kept * one - paid * rf < (big(pool.supply_shares()) + 1) * one);
        } else {
          RC_ASSERT(kept == paid);
        }
      }
    } else if (op == 9 && pool.config().adaptive) {
      pool.adapt_scaling(pool.utilization());
      RC_ASSERT(pool.scaling() >= kOneRatio);
    } else {
      const Amount reserves = pool.reserves();
      const ReserveTransfer transfer = pool.take_reserves();
      RC_ASSERT(transfer.to == pool.config().reserves_to);
      RC_ASSERT(transfer.amount <= reserves);
      RC_ASSERT(transfer.amount.raw() == std::min(reserves.raw(), before.cash().raw()));
      net_in -= transfer.amount.raw();
    }
    if (status != LendingStatus::ok) {
      RC_ASSERT(pool == before);
      RC_ASSERT(balances[who] == was);
    }
    RC_ASSERT(big(pool.cash().raw()) == net_in);
    check_state(pool, balances);
  }
}

RC_GTEST_PROP(PoolProperty, SplittingAnAccrualChangesTheIndexOnlyByRounding, ()) {
  // A flat rate (the utilization moves as debt grows; a flat curve keeps the rate path the same)
  // accrued once over T and in n random pieces: continuous compounding composes exactly, so the
  // two differ only by the upward roundings, < 11 units of 10^-18 of the index per step
  // (see pool_test OneStepAgainstThreeHundredSixtyFiveDays) times the index's size.
  const Ratio rate = Ratio::from_raw(pick<std::int64_t>(1, 5 * Ratio::kScale));
  const std::array<RatePoint, 2> points{{{Ratio{}, rate}, {kOneRatio, rate}}};
  Pool one = Pool::make({.curve = RateCurve::make(points).value()}, kStart).value();
  ScaledBalance alice = 0;
  ScaledBalance bob = 0;
  RC_ASSERT(one.deposit(alice, Amount::from_raw(1'000'000)) == LendingStatus::ok);
  RC_ASSERT(one.withdraw(bob, Amount::from_raw(600'000), true) == LendingStatus::ok);
  Pool many = one;
  const int pieces = pick(1, 50);
  TimestampNs now = kStart;
  for (int i = 0; i < pieces; ++i) {
    now += pick<TimestampNs>(1, 40 * kDayNs);
    RC_ASSERT(many.accrue(now) == LendingStatus::ok);
  }
  RC_ASSERT(one.accrue(now) == LendingStatus::ok);
  const int128 index_units = one.borrow_index().raw / kIndexScale + 1;
  const int128 bound = 11 * (pieces + 1) * index_units;
  const int128 gap = many.borrow_index().raw - one.borrow_index().raw;
  RC_ASSERT(gap <= bound);
  RC_ASSERT(-gap <= bound);
}

}  // namespace
}  // namespace ballast::lending

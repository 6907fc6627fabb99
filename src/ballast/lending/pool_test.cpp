// Lending pools (pool.hpp): the exponential against an exact big-integer reference, a hand-worked
// year of accrual (1,000,000 borrowed at 10%), one step against 365, signed balances (repay then
// supply, withdraw then borrow), reserves, caps, and every rejection changing nothing.

#include "ballast/lending/pool.hpp"
#include "ballast/core/testing/fixed_text.hpp"
#include "ballast/lending/testing/big_int.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace ballast::lending {
namespace {

using testing::big;
using testing::cpp_int;

constexpr TimestampNs kStart = 1'700'000'000'000'000'000;
constexpr TimestampNs kYearNs = kSecondsPerYear * 1'000'000'000;

Amount amount(std::int64_t units) { return Amount::from_raw(units); }

RateCurve flat(const char* rate) {
  const std::array<RatePoint, 2> points{{{ratio("0"), ratio(rate)}, {ratio("1"), ratio(rate)}}};
  return RateCurve::make(points).value();
}

Pool make_pool(PoolConfig config) {
  auto pool = Pool::make(std::move(config), kStart);
  EXPECT_TRUE(pool.ok()) << (pool.ok() ? "" : pool.error().message);
  return std::move(pool).value();
}

Pool flat_pool(const char* rate, const char* reserve_factor) {
  return make_pool({.curve = flat(rate), .reserve_factor = ratio(reserve_factor)});
}


// The pool's own identity, exactly: cash·10^18 + B·borrow_index == S·supply_index + reserves_sub.
void expect_identity(const Pool& pool) {
  EXPECT_EQ(big(pool.cash().raw()) * big(kIndexScale) + big(pool.debt_shares()) * big(pool.borrow_index().raw),
            big(pool.supply_shares()) * big(pool.supply_index().raw) + big(pool.reserves_sub()));
}

// --- e^x − 1 ----------------------------------------------------------------------------------

// A lower bound of 10^60·(e^x − 1), x = x_raw/10^18, within 61 units of 10^-60: sixty Taylor
// terms, each truncated (the tail beyond 1/61! is below 10^-83 for x <= 1).
cpp_int exact_expm1_e60(int128 x_raw) {
  const cpp_int scale = boost::multiprecision::pow(cpp_int(10), 60);
  const cpp_int x = big(x_raw);
  const cpp_int one = big(kIndexScale);
  cpp_int term = scale;
  cpp_int sum = 0;
  for (int k = 1; k <= 60; ++k) {
    term = term * x / (one * k);
    sum += term;
  }
  return sum;
}

// ours is an upper bound of the exact value (ours·10^42 >= lower bound + 100 units of 10^-60,
// which covers the reference's own truncation) and at most max_units of 10^-18 above it.
void expect_tight_upper_bound(int128 x_raw, int max_units) {
  const cpp_int ours = big(exp_minus_one_up(x_raw)) * boost::multiprecision::pow(cpp_int(10), 42);
  const cpp_int exact = exact_expm1_e60(x_raw);
  EXPECT_GE(ours, exact + 100) << static_cast<double>(x_raw);
  EXPECT_LE(ours - exact, cpp_int(max_units) * boost::multiprecision::pow(cpp_int(10), 42))
      << static_cast<double>(x_raw);
}

TEST(ExpMinusOne, HandWorkedTenPercent) {
  // x = 0.1: terms rounded up at 10^-18 are 1e17, 5e15, 166666666666667, 4166666666667,
  // 83333333334, 1388888889, 19841270, 248016, 2756, 28, 1 (the first <= 1: stop), sum
  // 105170918075647628, plus the tail bound 1: 105170918075647629. Exact:
  // e^0.1 − 1 = 0.105170918075647624811707826…, so ours is 4.19 units of 10^-18 above.
  EXPECT_EQ(exp_minus_one_up(pow10_i128(17)), static_cast<int128>(105170918075647629));
  expect_tight_upper_bound(pow10_i128(17), 5);
}

TEST(ExpMinusOne, EndsOfTheRange) {
  EXPECT_EQ(exp_minus_one_up(0), 0);
  // x = 10^-18: the one term x, plus the tail bound x: 2 (exact 1.0000000000000000005).
  EXPECT_EQ(exp_minus_one_up(1), 2);
  // x = 1: e − 1 = 1.718281828459045235360…; 20 terms up plus the tail: 1718281828459045245,
  // 9.64 units above.
  EXPECT_EQ(exp_minus_one_up(kIndexScale), static_cast<int128>(1718281828459045245));
  expect_tight_upper_bound(kIndexScale, 10);
}

TEST(ExpMinusOne, UpperBoundWithinAFewUnitsAcrossTheRange) {
  // Each of at most 21 terms rounds up by < 1 unit (carried through later terms by factors
  // x/k <= 1/2, so < 2 in all) and the tail adds <= 1 unit more than it needs: < 25 units.
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 300; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const int digits = i % 19;  // x from 10^-18 to 1, spread over the magnitudes
    const int128 x = static_cast<int128>(state >> 1) % pow10_i128(digits) + 1;
    expect_tight_upper_bound(x, 25);
  }
}

// --- accrual: the hand-worked year ------------------------------------------------------------

class HandWorkedYear : public ::testing::Test {
 protected:
  // A flat 10% curve. Alice supplies 2,000,000 units, Bob borrows 1,000,000 (withdraw from a zero
  // balance with borrowing allowed): debt shares ceil(1,000,000 · 1e18 / 1e18) = 1,000,000,
  // utilization 0.5.
  void open(const char* reserve_factor) {
    pool = flat_pool("0.1", reserve_factor);
    ASSERT_EQ(pool.deposit(alice, amount(2'000'000)), LendingStatus::ok);
    ASSERT_EQ(pool.withdraw(bob, amount(1'000'000), true), LendingStatus::ok);
    ASSERT_EQ(alice, 2'000'000);
    ASSERT_EQ(bob, -1'000'000);
    ASSERT_EQ(pool.cash(), amount(1'000'000));
  }
  Pool pool = flat_pool("0.1", "0");
  ScaledBalance alice = 0;
  ScaledBalance bob = 0;
};

TEST_F(HandWorkedYear, BorrowIndexIsEToTheTenthRoundedUp) {
  open("0");
  ASSERT_EQ(pool.accrue(kStart + kYearNs), LendingStatus::ok);
  // x = 0.1 · 31,536,000 s / 31,536,000 s = 0.1 exactly (10^17 at 10^-18). Borrow index
  // 1e18 + ceil(1e18 · 105170918075647629 / 1e18) = 1,105,170,918,075,647,629; the exact
  // e^0.1 · 10^18 is 1,105,170,918,075,647,624.81: ours is 4.19 units of 10^-18 above.
  EXPECT_EQ(pool.borrow_index().raw, static_cast<int128>(1'105'170'918'075'647'629));
  // Bob owes ceil(1,000,000 × 1.105170918075647629) = ceil(1,105,170.918…) = 1,105,171.
  EXPECT_EQ(pool.amount_of(bob), amount(-1'105'171));
  // Interest = 10^6 shares × 105170918075647629 = 105,170,918,075,647,629,000,000 sub-units.
  // RF 0: the supply index rises by floor(that / 2,000,000) = 52,585,459,037,823,814 (the exact
  // quotient ends in .5): index 1.052585459037823814; the half unit per share, 1,000,000
  // sub-units in all, is kept as reserves.
  EXPECT_EQ(pool.supply_index().raw, static_cast<int128>(1'052'585'459'037'823'814));
  EXPECT_EQ(pool.reserves_sub(), static_cast<int128>(1'000'000));
  EXPECT_EQ(pool.reserves(), amount(0));
  // Alice's claim: floor(2,000,000 × 1.052585459037823814) = floor(2,105,170.918…) = 2,105,170.
  EXPECT_EQ(pool.amount_of(alice), amount(2'105'170));
  // cash + debts (up) = 1,000,000 + 1,105,171 = 2,105,171 = claims (down) 2,105,170 + reserves 0
  // + residue 1: the two views' roundings (0.082 + 0.918 units) kept by the protocol.
  expect_identity(pool);
}

TEST_F(HandWorkedYear, ReserveFactorTenPercent) {
  open("0.1");
  ASSERT_EQ(pool.accrue(kStart + kYearNs), LendingStatus::ok);
  EXPECT_EQ(pool.borrow_index().raw, static_cast<int128>(1'105'170'918'075'647'629));
  // To suppliers: floor(interest × 0.9) = 94,653,826,268,082,866,100,000; per share
  // floor(/ 2,000,000) = 47,326,913,134,041,433; kept: interest − 2,000,000 × that
  // = 10,517,091,807,564,763,000,000 sub-units = 10,517.09 units (10% of 105,170.92).
  EXPECT_EQ(pool.supply_index().raw, static_cast<int128>(1'047'326'913'134'041'433));
  EXPECT_EQ(pool.reserves_sub(), static_cast<int128>(10'517'091'807'564'763) * 1'000'000);
  EXPECT_EQ(pool.reserves(), amount(10'517));
  // Alice: floor(2,000,000 × 1.047326913134041433) = 2,094,653. 1,000,000 + 1,105,171
  // = 2,094,653 + 10,517 + 1.
  EXPECT_EQ(pool.amount_of(alice), amount(2'094'653));
  expect_identity(pool);
  // The reserves go to the insurance fund, whole units, as far as cash allows.
  const ReserveTransfer transfer = pool.take_reserves();
  EXPECT_EQ(transfer.to, ReservesDestination::insurance_fund);
  EXPECT_EQ(transfer.amount, amount(10'517));
  EXPECT_EQ(pool.cash(), amount(1'000'000 - 10'517));
  EXPECT_EQ(pool.reserves_sub(), static_cast<int128>(91'807'564'763'000'000));
  expect_identity(pool);
}

TEST_F(HandWorkedYear, OneStepAgainstThreeHundredSixtyFiveDays) {
  open("0");
  Pool daily = pool;
  ASSERT_EQ(pool.accrue(kStart + kYearNs), LendingStatus::ok);
  for (int day = 1; day <= 365; ++day) {
    ASSERT_EQ(daily.accrue(kStart + kYearNs / 365 * day), LendingStatus::ok);
  }
  // Continuous compounding composes exactly (e^a · e^b = e^(a+b)), so the two differ only by
  // rounding, always upward: each daily step rounds x up (< 1 unit of 10^-18, ≈ 1.1 units of the
  // index), its ≤ 6 series terms and tail (≤ 7 units of growth, ≈ 8 of the index) and the
  // product (< 1): under 11 units of 10^-18 per step, 365 × 11 = 4,015 in all. Both lie above the
  // exact floor(e^0.1 · 10^18) = 1,105,170,918,075,647,624. (Measured: 1,763 units apart.)
  const int128 exact_floor = 1'105'170'918'075'647'624;
  EXPECT_GE(pool.borrow_index().raw, exact_floor + 1);
  EXPECT_GE(daily.borrow_index().raw, exact_floor + 1);
  EXPECT_LE(daily.borrow_index().raw - exact_floor, 4'015);
  EXPECT_EQ(daily.borrow_index().raw, static_cast<int128>(1'105'170'918'075'649'392));
  // At 10^-18 of an index the difference is far below a unit of any balance: the same debt.
  EXPECT_EQ(daily.amount_of(bob), amount(-1'105'171));
  expect_identity(daily);
}

TEST_F(HandWorkedYear, RepayInFullPartlyAndWithASurplus) {
  open("0");
  ASSERT_EQ(pool.accrue(kStart + kYearNs), LendingStatus::ok);
  const Pool before = pool;
  // Partial: 500,000 clears floor(500,000 · 1e18 / 1.105170918075647629e18) = 452,418 shares.
  ScaledBalance partial = bob;
  ASSERT_EQ(pool.deposit(partial, amount(500'000)), LendingStatus::ok);
  EXPECT_EQ(partial, -1'000'000 + 452'418);
  expect_identity(pool);
  // In full: the 1,105,171 owed clears every share; the 0.0819 unit above the exact debt
  // (1,105,171·10^18 − 10^6 · 1,105,170,918,075,647,629 = 81,924,352,371,000,000) is kept.
  pool = before;
  ScaledBalance full = bob;
  ASSERT_EQ(pool.deposit(full, amount(1'105'171)), LendingStatus::ok);
  EXPECT_EQ(full, 0);
  EXPECT_EQ(pool.debt_shares(), 0);
  EXPECT_EQ(pool.reserves_sub(), before.reserves_sub() + 81'924'352'371'000'000);
  expect_identity(pool);
  // With 10 units more: the debt is cleared and the 10 supply floor(10 / 1.0525…) = 9 shares.
  pool = before;
  ScaledBalance surplus = bob;
  ASSERT_EQ(pool.deposit(surplus, amount(1'105'181)), LendingStatus::ok);
  EXPECT_EQ(surplus, 9);
  EXPECT_EQ(pool.amount_of(surplus), amount(9));  // floor(9 × 1.0525…) = 9
  expect_identity(pool);
}

TEST_F(HandWorkedYear, WithdrawingMoreThanTheClaimBorrowsTheRest) {
  open("0");
  ScaledBalance carol = 0;
  ASSERT_EQ(pool.deposit(carol, amount(100)), LendingStatus::ok);
  ASSERT_EQ(pool.accrue(kStart + kYearNs), LendingStatus::ok);
  // With 2,000,100 supply shares the year's interest lifts the supply index to
  // 1 + floor(105170918075647629e6 / 2,000,100) / 1e18 = 1.052582829896328998, so Carol's 100
  // shares are worth floor(105.258…) = 105. Withdrawing 150
  // without borrowing is refused; with it, her shares go and 45 is borrowed:
  // ceil(45 / 1.105170918075647629) = ceil(40.717…) = 41 debt shares, owing ceil(41 × 1.105…) = 46.
  EXPECT_EQ(pool.amount_of(carol), amount(105));
  const Pool before = pool;
  ScaledBalance copy = carol;
  EXPECT_EQ(pool.withdraw(copy, amount(150), false), LendingStatus::insufficient_balance);
  EXPECT_EQ(pool, before);
  EXPECT_EQ(copy, carol);
  ASSERT_EQ(pool.withdraw(carol, amount(150), true), LendingStatus::ok);
  EXPECT_EQ(carol, -41);
  EXPECT_EQ(pool.amount_of(carol), amount(-46));
  EXPECT_EQ(pool.cash(), amount(before.cash().raw() - 150));
  expect_identity(pool);
}

// --- rejections -------------------------------------------------------------------------------

TEST(PoolRejections, EachChangesNothing) {
  Pool pool = make_pool({.curve = flat("0.05"), .reserve_factor = ratio("0.1"),
                         .supply_cap = amount(1'000), .borrow_cap = amount(300)});
  ScaledBalance alice = 0;
  ASSERT_EQ(pool.deposit(alice, amount(800)), LendingStatus::ok);
  const Pool before = pool;
  const auto expect_rejected = [&](LendingStatus got, LendingStatus want, ScaledBalance balance,
                                   ScaledBalance was) {
    EXPECT_EQ(got, want) << lending_status_name(got);
    EXPECT_EQ(pool, before);
    EXPECT_EQ(balance, was);
  };
  ScaledBalance b = alice;
  expect_rejected(pool.deposit(b, amount(0)), LendingStatus::amount_invalid, b, alice);
  expect_rejected(pool.deposit(b, amount(-5)), LendingStatus::amount_invalid, b, alice);
  expect_rejected(pool.withdraw(b, amount(0), true), LendingStatus::amount_invalid, b, alice);
  // Cap 1,000 on total supply: 800 + 201 is above it (800 + 200 is not: below).
  expect_rejected(pool.deposit(b, amount(201)), LendingStatus::supply_cap_exceeded, b, alice);
  // 900 out of 800 cash: insufficient liquidity, also when borrowing is allowed.
  expect_rejected(pool.withdraw(b, amount(900), true), LendingStatus::insufficient_liquidity, b, alice);
  ScaledBalance bob = 0;
  // Bob borrows 301 > the cap of 300; without borrowing allowed the balance is what fails first.
  expect_rejected(pool.withdraw(bob, amount(301), true), LendingStatus::borrow_cap_exceeded, bob, 0);
  expect_rejected(pool.withdraw(bob, amount(301), false), LendingStatus::insufficient_balance, bob, 0);
  expect_rejected(pool.accrue(kStart - 1), LendingStatus::time_regressed, b, alice);

  ASSERT_EQ(pool.deposit(b, amount(200)), LendingStatus::ok);  // exactly at the supply cap
  ASSERT_EQ(pool.withdraw(bob, amount(300), true), LendingStatus::ok);  // exactly at the borrow cap
  expect_identity(pool);
}

TEST_F(HandWorkedYear, TooSmallToMoveAShareIsRefused) {
  // After the year the supply index is 1.0526: one unit buys floor(0.95) = 0 shares.
  open("0");
  ASSERT_EQ(pool.accrue(kStart + kYearNs), LendingStatus::ok);
  const Pool before = pool;
  ScaledBalance carol = 0;
  EXPECT_EQ(pool.deposit(carol, amount(1)), LendingStatus::amount_invalid);
  // A repayment of 1 unit clears floor(1 / 1.105) = 0 debt shares: refused too.
  EXPECT_EQ(pool.deposit(bob, amount(1)), LendingStatus::amount_invalid);
  EXPECT_EQ(pool, before);
  EXPECT_EQ(carol, 0);
  EXPECT_EQ(bob, -1'000'000);
  // Two units buy one share (worth floor(1.0526) = 1): the other unit's worth is kept.
  ASSERT_EQ(pool.deposit(carol, amount(2)), LendingStatus::ok);
  EXPECT_EQ(carol, 1);
  expect_identity(pool);
}

TEST(PoolRejections, AccrualOverflowChangesNothing) {
  // 10,000% a year for a year: e^100 does not fit a 128-bit index at 10^-18.
  Pool pool = flat_pool("100", "0");
  ScaledBalance alice = 0;
  ScaledBalance bob = 0;
  ASSERT_EQ(pool.deposit(alice, amount(1'000)), LendingStatus::ok);
  ASSERT_EQ(pool.withdraw(bob, amount(500), true), LendingStatus::ok);
  const Pool before = pool;
  EXPECT_EQ(pool.accrue(kStart + kYearNs), LendingStatus::overflow);
  EXPECT_EQ(pool, before);
  // A day is fine: e^(100/365) = 1.3153…
  ASSERT_EQ(pool.accrue(kStart + kYearNs / 365), LendingStatus::ok);
  EXPECT_GT(pool.borrow_index().raw, static_cast<int128>(1'315'000'000'000'000'000));
  EXPECT_LT(pool.borrow_index().raw, static_cast<int128>(1'316'000'000'000'000'000));
  expect_identity(pool);
}

// --- rates in the pool ------------------------------------------------------------------------

TEST(PoolRates, AaveStableTwoThroughThePool) {
  // E8 through a pool: 800 borrowed of 1,000 supplied is U 0.8: 4% / 2.88% (RF 10%).
  Pool pool = make_pool({.curve = RateCurve::aave_two_slope(ratio("0"), ratio("0.04"), ratio("0.75"), ratio("0.8")).value(),
                         .reserve_factor = ratio("0.1"),
                         .reserves_to = ReservesDestination::treasury});
  ScaledBalance alice = 0;
  ScaledBalance bob = 0;
  ASSERT_EQ(pool.deposit(alice, amount(1'000)), LendingStatus::ok);
  EXPECT_EQ(pool.utilization(), Ratio{});
  EXPECT_EQ(pool.borrow_rate(), Ratio{});
  ASSERT_EQ(pool.withdraw(bob, amount(800), true), LendingStatus::ok);
  EXPECT_EQ(pool.utilization(), ratio("0.8"));
  EXPECT_EQ(pool.borrow_rate(), ratio("0.04"));
  EXPECT_EQ(pool.supply_rate(), ratio("0.0288"));
  ASSERT_EQ(pool.withdraw(bob, amount(100), true), LendingStatus::ok);  // U 0.9: 41.5% / 33.615%
  EXPECT_EQ(pool.borrow_rate(), ratio("0.415"));
  EXPECT_EQ(pool.supply_rate(), ratio("0.33615"));
  EXPECT_EQ(pool.take_reserves().to, ReservesDestination::treasury);
}

TEST(PoolRates, MangoScalingMultipliesTheCurve) {
  Pool pool = make_pool({.curve = RateCurve::mango_two_kink(ratio("0.7"), ratio("0.1"), ratio("0.85"), ratio("0.2"), ratio("2")).value(),
                         .adaptive = AdaptiveScaling{.target_utilization = ratio("0.7"), .adjustment = ratio("0.004")},
                         .reserve_factor = ratio("0.2")});
  ScaledBalance alice = 0;
  ScaledBalance bob = 0;
  ASSERT_EQ(pool.deposit(alice, amount(1'000)), LendingStatus::ok);
  ASSERT_EQ(pool.withdraw(bob, amount(900), true), LendingStatus::ok);
  EXPECT_EQ(pool.borrow_rate(), ratio("0.8"));  // U 0.9 on the curve
  pool.adapt_scaling(pool.utilization());       // f = 0.2/0.3 → 0.666666666667; × 0.004 → up
  // 0.002666666667: scaling 1.002666666667; rate 0.8 × that = 0.8021333333336 → up 0.802133333334.
  EXPECT_EQ(pool.scaling(), ratio("1.002666666667"));
  EXPECT_EQ(pool.borrow_rate(), ratio("0.802133333334"));
  // Reconfiguring without adaptive scaling returns the factor to 1.
  PoolConfig plain = pool.config();
  plain.adaptive.reset();
  ASSERT_TRUE(pool.reconfigure(plain).ok());
  EXPECT_EQ(pool.borrow_rate(), ratio("0.8"));
}

TEST(PoolConfigValidation, NamesTheField) {
  auto bad = Pool::make({.curve = flat("0.1"), .reserve_factor = ratio("1.1")}, kStart);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("reserve factor 1.1"), std::string::npos);
  bad = Pool::make({.curve = flat("0.1"), .borrow_cap = amount(-1)}, kStart);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("borrow cap"), std::string::npos);
  bad = Pool::make({.curve = flat("0.1"), .adaptive = AdaptiveScaling{.target_utilization = ratio("0"), .adjustment = ratio("0.004")}},
                   kStart);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("target utilization"), std::string::npos);
}

TEST(PoolNames, StatusAndDestination) {
  EXPECT_STREQ(lending_status_name(LendingStatus::ok), "ok");
  EXPECT_STREQ(lending_status_name(LendingStatus::insufficient_liquidity), "insufficient_liquidity");
  EXPECT_STREQ(lending_status_name(LendingStatus::supply_cap_exceeded), "supply_cap_exceeded");
  EXPECT_STREQ(lending_status_name(LendingStatus::overflow), "overflow");
  EXPECT_STREQ(reserves_destination_name(ReservesDestination::treasury), "treasury");
}

}  // namespace
}  // namespace ballast::lending

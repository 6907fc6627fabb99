// Lending pools in the engine (pools.hpp): borrow events, interest accrual, caps and the
// liquidation of borrowings (borrow_liquidation.hpp), through events on the fixture's venue. The
// USDC pool is Aave's StableTwo strategy of its rate-strategy tests (research/defi-engines.md E8:
// base 0, slope 4% to the 80% optimum, then 75%; reserve factor 10%).

#include <gtest/gtest.h>

#include "ballast/engine/testing/engine_margin_fixture.hpp"

namespace ballast::engine_testing {
namespace {

constexpr TimestampNs kYear = 365LL * 24 * 3600 * kSecond;

lending::PoolConfig aave_stable_two() {
  lending::PoolConfig config{lending::RateCurve::aave_two_slope(ratio("0"), ratio("0.04"), ratio("0.75"), ratio("0.8")).value()};
  config.reserve_factor = ratio("0.1");
  return config;
}

class EngineLendingTest : public EngineMarginTest {
 protected:
  EngineOptions options() const override {
    EngineOptions options;
    options.pools = {{kUsdc, pool()}};
    return options;
  }
  virtual lending::PoolConfig pool() const { return aave_stable_two(); }

  // Alice puts up 1 BTC and borrows 18,000 USDC (her own 10,000 and 8,000 of Bob's): the pool holds
  // 10,000 supplied and 8,000 borrowed, utilization 80%.
  void borrow_to_optimum() {
    ok(Deposit{kAlice, kAliceMain, kBtc, Amount::from_raw(100'000'000)});
    ok(Borrow{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(18'000))});
    EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(-8'000));
  }
  // Accrual events are the protocol's: one at a time, at `at`.
  void accrue_at(TimestampNs at) {
    now_ = at - kSecond / 1000;  // next() adds a millisecond
    ok(AccrueInterest{kUsdc});
  }
  const PoolState& usdc_pool() const { return engine_.pool_states().front(); }
  std::int64_t insurance_usdc() const { return balance(SubAccountId{kInsuranceFund.value}, kUsdc); }
};

// Aave E8 at U = 80%: borrow rate 4%, and over one year of continuous compounding the 8,000 USDC
// debt pays 8,000 x (e^0.04 - 1) = 326.486193539..., rounded up to the unit: 326,486,194. Bob, the
// only supplier, earns floor(326,486,194 x 0.9) = 293,837,574 (his rate 4.0811% x 80% x 90% =
// 2.938%, Aave's 2.88% supply APR compounded); the reserves keep the other 32,648,620.
TEST_F(EngineLendingTest, AccrualChargesBorrowersCreditsSuppliersAndKeepsReserves) {
  borrow_to_optimum();
  const TimestampNs start = now_ + kSecond;
  accrue_at(start);  // the first accrual starts the clock
  EXPECT_EQ(usdc_pool().accrued_ns, start);
  EXPECT_EQ(usdc_pool().utilization, ratio("0.8"));
  EXPECT_EQ(usdc_pool().borrow_rate, ratio("0.04"));
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(-8'000));

  accrue_at(start + kYear);
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(-8'000) - 326'486'194);
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(10'000) + 293'837'574);
  EXPECT_EQ(insurance_usdc(), 32'648'620);
  EXPECT_EQ(usdc_pool().interest_paid, 326'486'194);
  EXPECT_EQ(usdc_pool().interest_earned, 293'837'574);
  EXPECT_EQ(usdc_pool().reserves, 32'648'620);
  expect_replay_and_restore_match();
}

// Aave E8 at U = 100%: 4% + 75% = 79%. Utilization is borrows over deposits, capped at 1.
TEST_F(EngineLendingTest, FullUtilizationReadsTheSteepSlope) {
  borrow_to_optimum();
  ok(Borrow{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(2'000))});
  accrue_at(now_ + kSecond);
  EXPECT_EQ(usdc_pool().utilization, ratio("1"));
  EXPECT_EQ(usdc_pool().borrow_rate, ratio("0.79"));
}

TEST_F(EngineLendingTest, BorrowRejections) {
  borrow_to_optimum();
  // The pool's cash is 10,000 - 8,000 = 2,000.
  rejected(Borrow{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(2'000) + 1)}, Status::insufficient_liquidity);
  rejected(Borrow{kAlice, kAliceMain, kBtc, Amount::from_raw(1)}, Status::pool_missing);
  rejected(AccrueInterest{kBtc}, Status::pool_missing);
  rejected(AccrueInterest{kEth}, Status::asset_unknown);
  // Alice's isolated sub-account holds nothing: any debt there is uncollateralized.
  rejected(Borrow{kAlice, kAliceIsolated, kUsdc, Amount::from_raw(1)}, Status::insufficient_margin);
  rejected(Borrow{kAlice, kBobMain, kUsdc, Amount::from_raw(1)}, Status::sub_account_foreign);
  rejected(Borrow{kAlice, kAliceMain, kUsdc, Amount::from_raw(0)}, Status::amount_zero);
  expect_replay_and_restore_match();
}

class EngineCappedLendingTest : public EngineLendingTest {
 protected:
  lending::PoolConfig pool() const override {
    lending::PoolConfig config = aave_stable_two();
    config.supply_cap = Amount::from_raw(usdc(25'000));
    config.borrow_cap = Amount::from_raw(usdc(9'500));
    return config;
  }
};

TEST_F(EngineCappedLendingTest, CapsBindDepositsAndBorrows) {
  // 20,000 supplied: 5,000 more fits the cap, a unit more does not.
  rejected(Deposit{kBob, kBobMain, kUsdc, Amount::from_raw(usdc(5'000) + 1)}, Status::supply_cap_exceeded);
  borrow_to_optimum();
  // Supply is 10,000 now; debt 8,000, cash 2,000: 1,500 more debt fits the cap, a unit more not.
  rejected(Borrow{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(1'500) + 1)}, Status::borrow_cap_exceeded);
  ok(Borrow{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(1'500))});
  // A deposit into a debt repays it first: 9,500 of Alice's 9,501 repay, 1 unit is new supply.
  ok(Deposit{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(9'500) + 1)});
  EXPECT_EQ(balance(kAliceMain, kUsdc), 1);
  expect_replay_and_restore_match();
}

// BTC falls to 8,500: Alice's 1 BTC (maintenance weight 0.9: 7,650) no longer covers her 8,000 USDC
// debt, though her equity is 500. She holds no position, so there is no requirement: it is her
// weighted borrowing that makes her liquidatable (Aave's health factor 7,650 / 8,000 < 1), and the
// close factor (50%) bounds one event to 4,000 USDC. At a 1% bonus (the auction's start) 4,000 buys
// at most 4,040 of BTC: 47,529,411 units (x 8,500 / 10^8 = 4,039.999935; one unit more is
// 4,040.000020). The repayment is worth ceil(4,000 / 8,500 BTC) = 47,058,824 units; the protocol
// takes 10% of the 470,587 beyond it, 47,058 units, to the insurance fund.
TEST_F(EngineLendingTest, LiquidateBorrowSeizesCollateralAtTheAuctionBonus) {
  borrow_to_optimum();
  const LiquidateBorrow healthy_take{kBob, kBobMain, kAliceMain, kUsdc, Amount::from_raw(usdc(4'000)), kBtc,
                                     Amount::from_raw(47'529'411)};
  set_prices("9000");  // 8,100 covers 8,000
  rejected(healthy_take, Status::account_healthy);
  set_prices("8500");
  ASSERT_EQ(engine_.liquidatable_groups().size(), 1U);
  EXPECT_EQ(engine_.liquidatable_groups().front().maintenance_requirement, Money{});

  LiquidateBorrow take = healthy_take;
  take.repay = Amount::from_raw(usdc(4'000) + 1);
  rejected(take, Status::liquidation_too_large);
  take = healthy_take;
  take.seize = Amount::from_raw(47'529'412);
  rejected(take, Status::liquidation_price_out_of_band);
  take.liquidator = kAlice;
  take.liquidator_sub_account = kAliceIsolated;
  rejected(take, Status::liquidation_self);

  ok(healthy_take);
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(-4'000));
  EXPECT_EQ(balance(kAliceMain, kBtc), 100'000'000 - 47'529'411);
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(6'000));
  EXPECT_EQ(balance(kBobMain, kBtc), 47'529'411 - 47'058);
  EXPECT_EQ(balance(SubAccountId{kInsuranceFund.value}, kBtc), 47'058);
  // 0.52470589 BTC x 8,500 x 0.9 = 4,014.000 against 4,000: healthy again, the episode over.
  EXPECT_TRUE(engine_.liquidatable_groups().empty());
  EXPECT_TRUE(engine_.liquidation_episodes().empty());
  expect_replay_and_restore_match();
}

// Aave v3's full close: below a health factor of 0.95 the whole debt may be repaid at once. At 8,400
// the group's weighted collateral 1 BTC x 8,400 x 0.9 = 7,560 against its 8,000 of debt is HF
// 0.945: all 8,000 USDC may go in one event (at 8,500, HF 0.956, only the 50% close factor).
// The seizure is at most 8,000 x 1.01 / 8,400 = 0.961904761... BTC, 96,190,476 units down.
TEST_F(EngineLendingTest, BelowHealthFactorPoint95TheWholeDebtMayBeRepaid) {
  borrow_to_optimum();
  set_prices("8400");
  const LiquidateBorrow whole{kBob, kBobMain, kAliceMain, kUsdc, Amount::from_raw(usdc(8'000)), kBtc,
                              Amount::from_raw(96'190'476)};
  LiquidateBorrow take = whole;
  take.repay = Amount::from_raw(usdc(8'000) + 1);
  rejected(take, Status::liquidation_too_large);
  take = whole;
  take.seize = Amount::from_raw(96'190'477);
  rejected(take, Status::liquidation_price_out_of_band);
  ok(whole);
  EXPECT_EQ(balance(kAliceMain, kUsdc), 0);
  EXPECT_EQ(balance(kAliceMain, kBtc), 100'000'000 - 96'190'476);
  EXPECT_TRUE(engine_.liquidatable_groups().empty());
  expect_replay_and_restore_match();
}

// A snapshot carries the pools' parameters: a venue restored from it judges the next borrow the same.
TEST_F(EngineCappedLendingTest, SnapshotCarriesThePools) {
  borrow_to_optimum();
  Result<Engine> restored = Engine::restore(engine_.snapshot());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->options().pools, engine_.options().pools);
  const Event over = next(Borrow{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(1'500) + 1)});
  EXPECT_EQ(restored->apply(over), Status::borrow_cap_exceeded);
}

}  // namespace
}  // namespace ballast::engine_testing

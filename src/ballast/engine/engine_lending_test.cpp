// Lending pools in the engine (pools.hpp): borrow events, interest accrual, caps and the
// liquidation of borrowings (borrow_liquidation.hpp), through events on the fixture's venue. The
// USDC pool is Aave's StableTwo strategy of its rate-strategy tests (research/defi-engines.md E8:
// base 0, slope 4% to the 80% optimum, then 75%; reserve factor 10%).

#include <gtest/gtest.h>

#include "ballast/engine/bankruptcy.hpp"
#include "ballast/engine/engine_parts.hpp"
#include "ballast/engine/pools.hpp"
#include "ballast/engine/testing/engine_margin_fixture.hpp"

namespace ballast::engine_testing {
namespace {

constexpr TimestampNs kYear = 365LL * 24 * 3600 * kSecond;
constexpr SubAccountId kBadDebtSub{kBadDebt.value};
constexpr SubAccountId kFundSub{kInsuranceFund.value};

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

  // `allowed` is the largest take the rules allow: one unit more repaid is too large, one unit
  // more seized is beyond the auction's band.
  void rejects_one_unit_past(const LiquidateBorrow& allowed) {
    LiquidateBorrow take = allowed;
    take.repay = Amount::from_raw(allowed.repay.raw() + 1);
    rejected(take, Status::liquidation_too_large);
    take = allowed;
    take.seize = Amount::from_raw(allowed.seize.raw() + 1);
    rejected(take, Status::liquidation_price_out_of_band);
  }

  // Alice puts up 1 BTC and borrows 18,000 USDC (her own 10,000 and 8,000 of Bob's): the pool holds
  // 10,000 supplied and 8,000 borrowed, utilization 80%.
  void borrow_to_optimum() {
    ok(Deposit{kAlice, kAliceMain, kBtc, Amount::from_raw(100'000'000)});
    ok(Borrow{kAlice, kAliceMain, kUsdc, Amount::from_raw(usdc(18'000))});
    EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(-8'000));
  }
  // Accrual events are the protocol's: one at a time, at `at`.
  void accrue_at(TimestampNs at, AssetId asset = kUsdc) {
    now_ = at - kSecond / 1000;  // next() adds a millisecond
    ok(AccrueInterest{asset});
  }
  const PoolState& usdc_pool() const { return engine_.pool_states().front(); }
  std::int64_t insurance_usdc() const { return balance(kFundSub, kUsdc); }
  // The pool's cash (pools.hpp): user deposits less borrows less the written-off debt.
  int128 cash(AssetId asset) const {
    const std::size_t i = detail::asset_slot(*engine_.risk_config(), asset);
    return PoolFigures{engine_.totals().deposit_units[i], engine_.totals().borrow_units[i],
                       written_off_units(engine_.ledger(), asset)}
        .cash();
  }
  // Alice's 1 BTC against her 8,000 USDC debt falls to 2,000 with nobody to charge: 6,000 USDC of
  // her debt is written off (UnresolvedBadDebtIsWrittenOffAndPaysNoInterest works the figures).
  void write_off_alices_debt() {
    borrow_to_optimum();
    set_prices("2000");
    ok(ResolveBankruptcy{kAliceMain});
  }
  Amount units(std::int64_t raw) const { return Amount::from_raw(raw); }
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

// Bad debt nobody could cover stops paying interest (bankruptcy.hpp step 5; Aave v3.3 burns it into
// a reserve deficit). Alice's 1 BTC against her 8,000 USDC debt falls to 2,000: equity 2,000 -
// 8,000 = -6,000, with an empty insurance fund and no position, so nobody to charge. The 6,000 is
// written off her USDC debt into the bad-debt account: she owes 2,000 against 2,000 of BTC (equity
// 0). The pool: deposits 10,000 (Bob's), borrows 2,000, written off 6,000; its cash is 10,000 -
// 2,000 - 6,000 = 2,000 as before the bankruptcy, utilization 2,000 / (2,000 + 2,000) = 50%, rate
// 4% x 0.5 / 0.8 = 2.5%. A year on Alice pays 2,000 x (e^0.025 - 1) = 50.630241048857... (Python's
// decimal at 60 digits), up: 50,630,242; Bob earns floor(90%) = 45,567,217; the reserves keep
// 5,063,025; the written-off 6,000 is still 6,000. (Left on Alice, the whole 8,000 would have paid
// 326,486,194 at 4%, credited to Bob and never paid.)
TEST_F(EngineLendingTest, UnresolvedBadDebtIsWrittenOffAndPaysNoInterest) {
  write_off_alices_debt();
  EXPECT_EQ(engine_.waterfall().losses, (LossTotals{1, 0, usdc(6'000), 0, 0, 0, usdc(6'000)}));
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(-2'000));
  EXPECT_EQ(balance(kAliceMain, kBtc), 100'000'000);
  EXPECT_EQ(balance(kBadDebtSub, kUsdc), usdc(-6'000));
  EXPECT_EQ(written_off_units(engine_.ledger(), kUsdc), usdc(6'000));
  const TimestampNs start = now_ + kSecond;
  accrue_at(start);
  EXPECT_EQ(usdc_pool().utilization, ratio("0.5"));
  EXPECT_EQ(usdc_pool().borrow_rate, ratio("0.025"));
  accrue_at(start + kYear);
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(-2'000) - 50'630'242);
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(10'000) + 45'567'217);
  EXPECT_EQ(insurance_usdc(), 5'063'025);
  EXPECT_EQ(balance(kBadDebtSub, kUsdc), usdc(-6'000));
  EXPECT_EQ(usdc_pool().interest_paid, 50'630'242);
  EXPECT_EQ(usdc_pool().interest_earned, 45'567'217);
  EXPECT_EQ(usdc_pool().reserves, 5'063'025);
  EXPECT_EQ(usdc_pool().interest_paid, usdc_pool().interest_earned + usdc_pool().reserves);
  EXPECT_TRUE(engine_.ledger().conserves_value());
  // The cash: 2,000 less the reserves that left the users' balances, 1,994.936975; no more leaves.
  rejected(Borrow{kBob, kBobMain, kUsdc, Amount::from_raw(1'994'936'976)}, Status::insufficient_liquidity);
  expect_replay_and_restore_match();
  // A deposit into the bad-debt account pays the deficit back (Aave's eliminateReserveDeficit).
  ok(Deposit{kBadDebt, kBadDebtSub, kUsdc, Amount::from_raw(usdc(6'000))});
  EXPECT_EQ(written_off_units(engine_.ledger(), kUsdc), 0);
}

// The insurance fund pays written-off debt back (cover_bad_debt; Aave v3.3's Umbrella covers a
// reserve deficit through eliminateReserveDeficit). After the write-off 6,000 USDC is written off
// and the pool's cash is 10,000 - 2,000 - 6,000 = 2,000; the fund, empty then, is given 5,000.
// It pays 2,000: 4,000 still written off, cash 4,000, the fund 3,000. The remaining 4,000 is more
// than the fund holds until 1,000 more arrives; then it pays all of it: nothing written off, cash
// 8,000 (Bob's 10,000 less Alice's 2,000 of debt), the fund empty. The loss totals keep what the
// waterfall did at the bankruptcy.
TEST_F(EngineLendingTest, InsuranceFundCoversWrittenOffDebtInParts) {
  write_off_alices_debt();
  const LossTotals losses{1, 0, usdc(6'000), 0, 0, 0, usdc(6'000)};
  EXPECT_EQ(cash(kUsdc), usdc(2'000));
  ok(Deposit{kInsuranceFund, kFundSub, kUsdc, units(usdc(5'000))});

  ok(CoverBadDebt{kUsdc, units(usdc(2'000))});
  EXPECT_EQ(balance(kBadDebtSub, kUsdc), usdc(-4'000));
  EXPECT_EQ(written_off_units(engine_.ledger(), kUsdc), usdc(4'000));
  EXPECT_EQ(insurance_usdc(), usdc(3'000));
  EXPECT_EQ(cash(kUsdc), usdc(4'000));
  rejected(CoverBadDebt{kUsdc, units(usdc(4'000))}, Status::insufficient_balance);

  ok(Deposit{kInsuranceFund, kFundSub, kUsdc, units(usdc(1'000))});
  ok(CoverBadDebt{kUsdc, units(usdc(4'000))});
  EXPECT_EQ(balance(kBadDebtSub, kUsdc), 0);
  EXPECT_EQ(written_off_units(engine_.ledger(), kUsdc), 0);
  EXPECT_EQ(insurance_usdc(), 0);
  EXPECT_EQ(cash(kUsdc), usdc(8'000));
  EXPECT_EQ(engine_.waterfall().losses, losses);
  EXPECT_TRUE(engine_.ledger().conserves_value());
  // The pool's rules read the cash back: past the withdrawal gate after the bad debt, 8,000 may
  // leave and a unit more may not.
  now_ += engine_.options().liquidation.withdrawal_gate_ns;
  rejected(Borrow{kBob, kBobMain, kUsdc, units(usdc(8'000) + 1)}, Status::insufficient_liquidity);
  expect_replay_and_restore_match();
}

// Each rejection changes nothing (the fixture compares the state hash before and after), and the
// state still replays and restores to the same hash. The fund holds 5,000 against 6,000 written off.
TEST_F(EngineLendingTest, CoverBadDebtRejectionsChangeNothing) {
  write_off_alices_debt();
  ok(Deposit{kInsuranceFund, kFundSub, kUsdc, units(usdc(5'000))});
  rejected(CoverBadDebt{kUsdc, units(0)}, Status::amount_zero);
  rejected(CoverBadDebt{kUsdc, units(-1)}, Status::amount_negative);
  rejected(CoverBadDebt{kEth, units(1)}, Status::asset_unknown);  // listed, not in the risk configuration
  rejected(CoverBadDebt{AssetId{99}, units(1)}, Status::asset_unknown);  // not listed
  rejected(CoverBadDebt{kBtc, units(1)}, Status::deficit_exceeded);      // no BTC written off
  // One unit past the deficit: deficit_exceeded, though the fund is short of it too (precedence).
  rejected(CoverBadDebt{kUsdc, units(usdc(6'000) + 1)}, Status::deficit_exceeded);
  rejected(CoverBadDebt{kUsdc, units(usdc(5'000) + 1)}, Status::insufficient_balance);
  EXPECT_EQ(written_off_units(engine_.ledger(), kUsdc), usdc(6'000));
  EXPECT_EQ(insurance_usdc(), usdc(5'000));
  expect_replay_and_restore_match();
  // A venue without a risk configuration has no bad-debt account and no configured asset.
  Engine plain;
  ASSERT_EQ(plain.apply(Event{EventId{1}, kT0, ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll}}), Status::ok);
  EXPECT_EQ(plain.apply(Event{EventId{2}, kT0, CoverBadDebt{kUsdc, units(1)}}), Status::asset_unknown);
}

// The fund keeps its floor here as in the waterfall (Drift keeps one unit): with
// insurance_keep_minimum 1,000, 4,000 of the fund's 5,000 may pay old debt and a unit more may
// not; after it pays, nothing more leaves.
class EngineLendingFloorTest : public EngineLendingTest {
 protected:
  EngineOptions options() const override {
    EngineOptions options = EngineLendingTest::options();
    options.liquidation.insurance.keep_minimum = money("1000");
    return options;
  }
};

TEST_F(EngineLendingFloorTest, CoverBadDebtKeepsTheFundsFloor) {
  write_off_alices_debt();
  ok(Deposit{kInsuranceFund, kFundSub, kUsdc, units(usdc(5'000))});
  rejected(CoverBadDebt{kUsdc, units(usdc(4'000) + 1)}, Status::insufficient_balance);
  ok(CoverBadDebt{kUsdc, units(usdc(4'000))});
  EXPECT_EQ(insurance_usdc(), usdc(1'000));
  EXPECT_EQ(written_off_units(engine_.ledger(), kUsdc), usdc(2'000));
  rejected(CoverBadDebt{kUsdc, units(1)}, Status::insufficient_balance);
  expect_replay_and_restore_match();
}

class EngineBtcLendingTest : public EngineLendingTest {
 protected:
  // Beside the USDC pool, a BTC pool (Aave's VolatileOne: 7% to the 45% optimum, then 300%).
  EngineOptions options() const override {
    EngineOptions options = EngineLendingTest::options();
    options.pools.push_back(
        {kBtc, lending::PoolConfig{
                   lending::RateCurve::aave_two_slope(ratio("0"), ratio("0.07"), ratio("3"), ratio("0.45")).value()}});
    return options;
  }
};

// A debt in another asset is written off in that asset, the fewest units that cover the unresolved
// part at the oracle. Bob supplies 1 BTC; Alice borrows 0.15 of it against her 10,000 USDC (7,500
// x 1.2 = 9,000 of initial requirement). At 90,000 she owes 13,500: equity -3,500, nobody to
// charge. 3,500 USDC of BTC at 90,000 is 3,500 x 10^8 / 90,000 = 3,888,888.9 units, up: 3,888,889
// (worth 3,500.0001). She is left owing 11,111,111 units (9,999.9999 USDC): equity 0.0001. The BTC
// pool: deposits 10^8, borrows 11,111,111, written off 3,888,889; cash 85,000,000 as before;
// utilization 11,111,111 / 96,111,111 = 0.1156069353937..., up at 10^-12: 0.115606935394.
TEST_F(EngineBtcLendingTest, BadDebtInAnotherAssetIsWrittenOffInThatAsset) {
  ok(Deposit{kBob, kBobMain, kBtc, Amount::from_raw(100'000'000)});
  ok(Borrow{kAlice, kAliceMain, kBtc, Amount::from_raw(15'000'000)});
  set_prices("90000");
  const BankruptcyPlan plan = engine_.plan_bankruptcy(kAliceMain);
  ASSERT_EQ(plan.status, Status::ok);
  EXPECT_EQ(plan.unresolved.raw(), usdc(3'500));
  ASSERT_EQ(plan.written_off.size(), 1u);
  EXPECT_EQ(plan.written_off[0].sub_account, kAliceMain);
  EXPECT_EQ(plan.written_off[0].asset, kBtc);
  EXPECT_EQ(plan.written_off[0].delta.raw(), 3'888'889);
  ok(ResolveBankruptcy{kAliceMain});
  EXPECT_EQ(balance(kAliceMain, kBtc), -11'111'111);
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(10'000));
  EXPECT_EQ(balance(kBadDebtSub, kBtc), -3'888'889);
  EXPECT_EQ(balance(kBadDebtSub, kUsdc), 0);
  accrue_at(now_ + kSecond, kBtc);
  EXPECT_EQ(engine_.pool_states().back().utilization, Ratio::from_raw(115'606'935'394));
  expect_replay_and_restore_match();
}

// The cover is in the written-off debt's own asset. After the write-off above, 3,888,889 BTC units
// are written off and the BTC pool's cash is 10^8 - 11,111,111 - 3,888,889 = 85,000,000; the fund
// pays the 3,888,889 units (and no USDC, none of which was written off): cash 88,888,889.
TEST_F(EngineBtcLendingTest, InsuranceFundCoversBadDebtInThatAsset) {
  ok(Deposit{kBob, kBobMain, kBtc, units(100'000'000)});
  ok(Borrow{kAlice, kAliceMain, kBtc, units(15'000'000)});
  set_prices("90000");
  ok(ResolveBankruptcy{kAliceMain});
  EXPECT_EQ(cash(kBtc), 85'000'000);
  ok(Deposit{kInsuranceFund, kFundSub, kBtc, units(5'000'000)});
  ok(Deposit{kInsuranceFund, kFundSub, kUsdc, units(usdc(1'000))});
  rejected(CoverBadDebt{kUsdc, units(1)}, Status::deficit_exceeded);
  rejected(CoverBadDebt{kBtc, units(3'888'890)}, Status::deficit_exceeded);
  ok(CoverBadDebt{kBtc, units(3'888'889)});
  EXPECT_EQ(balance(kBadDebtSub, kBtc), 0);
  EXPECT_EQ(balance(kFundSub, kBtc), 5'000'000 - 3'888'889);
  EXPECT_EQ(cash(kBtc), 88'888'889);
  EXPECT_EQ(engine_.waterfall().losses.unresolved, usdc(3'500));
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

  rejects_one_unit_past(healthy_take);
  LiquidateBorrow take = healthy_take;
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
  rejects_one_unit_past(whole);
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

// Liquidation of portfolio-margin sub-accounts (issue 6, item 3; portfolio_liquidation.hpp): a
// liquidator takes a fraction of everything the account holds at the marks less its discount.
// The venue is engine_portfolio_fixture.hpp's (BTC grid ±16% in 4 steps, MM = 0.8 × the worst
// loss, no add-ons) with the default liquidation rules: buffer 2% of the requirement, close
// factor 50% above coverage 0.95, dust under 1,000, bonus 1% rising to 5% over 10 minutes, the
// protocol's share 10%. Every figure is worked by hand in the comments.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "ballast/core/testing/pick.hpp"
#include "ballast/engine/bankruptcy.hpp"
#include "ballast/engine/engine_parts.hpp"
#include "ballast/engine/portfolio_liquidation.hpp"
#include "ballast/engine/testing/engine_portfolio_fixture.hpp"
#include "ballast/pricing/black.hpp"
#include "ballast/pricing/implied_vol.hpp"

namespace ballast {
namespace {

using namespace engine_testing;  // NOLINT: the fixture's venue, ids and helpers

constexpr SubAccountId kInsuranceSub{kInsuranceFund.value};

Ratio ratio(const char* text) { return *Ratio::parse(text, Round::down); }

// Alice's portfolio: long 1 BTC perpetual at 50,000 and 8,000 USDC (the 2,000 of initial health
// withdrawn, PerpetualNeedsItsWorstGridMove), so that at a BTC price P her equity is
// 8,000 − (50,000 − P) and her maintenance requirement 0.8 × 0.16 × P.
class EnginePortfolioLiquidationTest : public EnginePortfolioTest {
 protected:
  void SetUp() override {
    EnginePortfolioTest::SetUp();
    ok(fill(kAlice, kAlicePortfolio, kPerp, "1", "50000"));
    ok(Withdraw{kAlice, kAlicePortfolio, kUsdc, Amount::from_raw(usdc(2'000))});
  }

  static LiquidatePortfolio take(std::uint32_t fraction_ppm, const char* discount) {
    return LiquidatePortfolio{kBob, kBobMain, kAlicePortfolio, fraction_ppm, ratio(discount)};
  }
  std::optional<std::uint32_t> allowance(const char* discount) const {
    return engine_.portfolio_liquidation_allowance(take(0, discount));
  }
  bool episode_open() const {
    return engine_.liquidation_episodes().contains(GroupKey{kAlice, kAlicePortfolio});
  }
};

// At 48,000: equity 6,000, requirement 0.128 × 48,000 = 6,144, coverage 0.977 (the partial
// stage). A slice f at 1% costs her 480·f and leaves 6,144·(1 − f): the target health
// ≥ 2% × requirement + 3 µ needs 5,786.88·f ≥ 266.880003, f ≥ 0.046118…; in whole lots of
// 0.001 BTC that is 0.047 BTC, 47,000 millionths (0.046 leaves health 116.544 < 117.22752).
TEST_F(EnginePortfolioLiquidationTest, SliceRestoresTheBufferAndNoMore) {
  set_prices("48000");
  EXPECT_EQ(figures().maintenance_health, money("-144"));
  ok(CheckHealth{kAlicePortfolio});
  EXPECT_TRUE(episode_open());
  EXPECT_EQ(allowance("0.01"), 47'000u);
  rejected(take(47'001, "0.01"), Status::liquidation_too_large);
  rejected(take(47'000, "0.011"), Status::liquidation_price_out_of_band);  // the bonus is 1% now
  // One position at a time is the linear rules' event, not a portfolio's.
  rejected(Liquidate{kBob, kBobMain, kAlicePortfolio, kPerp, qty("0.047"), price("47520")},
           Status::portfolio_unsupported);
  const std::int64_t insurance_before = balance(kInsuranceSub, kUsdc);
  ok(take(47'000, "0.01"));
  // 0.047 BTC closed at 47,520: Alice realizes 0.047 × (47,520 − 50,000) = −116.56; Bob pays the
  // protocol 10% of his 0.047 × 480 = 22.56 discount.
  EXPECT_EQ(size(kAlicePortfolio, kPerp), qty("0.953"));
  EXPECT_EQ(size(kBobMain, kPerp), qty("0.047"));
  EXPECT_EQ(balance(kAlicePortfolio, kUsdc), usdc(8'000) - 116'560'000);
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(10'000) - 2'256'000);
  EXPECT_EQ(balance(kInsuranceSub, kUsdc) - insurance_before, 2'256'000);
  // Equity 6,000 − 22.56; requirement 6,144 × 0.953: health 122.208 >= the buffer 117.10464.
  const PortfolioFigures after = figures();
  EXPECT_EQ(after.equity, money("5977.44"));
  EXPECT_EQ(after.maintenance_requirement, money("5855.232"));
  EXPECT_EQ(after.maintenance_health, money("122.208"));
  EXPECT_FALSE(episode_open());  // healthy again: the episode is over
  rejected(take(1'000, "0.01"), Status::account_healthy);
  expect_replay_and_restore_match();
}

// At 45,000: equity 3,000, requirement 5,760, coverage 0.52 (the full-close stage: no close
// factor). At 1% (450 per BTC): 5,425.2·f ≥ 2,875.200003, f ≥ 0.52997…: 0.530 BTC, past the 50%
// close factor (0.529 leaves health 48.99 < 54.2592).
TEST_F(EnginePortfolioLiquidationTest, DeepAccountMayGoPastTheCloseFactor) {
  set_prices("45000");
  EXPECT_EQ(allowance("0.01"), 530'000u);
  rejected(take(530'001, "0.01"), Status::liquidation_too_large);
  rejected(take(kFractionWhole, "0.01"), Status::liquidation_too_large);  // 0.47 BTC is no dust
  ok(take(530'000, "0.01"));
  EXPECT_EQ(size(kAlicePortfolio, kPerp), qty("0.47"));
  // 2,761.5 − 2,707.2, less the micro-unit the requirement rounds up (0.128 × 0.47 × 45,000 in
  // the matrix's doubles).
  EXPECT_EQ(figures().maintenance_health, money("54.299999"));
}

// With a close factor of 4%, the partial stage's 47,000 millionths are cut to 40,000 (rounded up
// to a millionth): equity 6,000 − 19.2, requirement 6,144 × 0.96, health 82.56.
class EnginePortfolioCloseFactorTest : public EnginePortfolioLiquidationTest {
 protected:
  EngineOptions options() const override {
    EngineOptions o;
    o.liquidation.sizing.close_factor = ratio("0.04");
    return o;
  }
};

TEST_F(EnginePortfolioCloseFactorTest, CloseFactorBindsInThePartialStage) {
  set_prices("48000");
  EXPECT_EQ(allowance("0.01"), 40'000u);
  rejected(take(40'001, "0.01"), Status::liquidation_too_large);
  ok(take(40'000, "0.01"));
  EXPECT_EQ(size(kAlicePortfolio, kPerp), qty("0.96"));
  EXPECT_EQ(figures().maintenance_health, money("82.559999"));  // the requirement rounds up
}

// With a dust limit of 50,000 whatever the need leaves (0.953 × 48,000 = 45,744) is dust: the
// whole account may go. Alice keeps 8,000 − 2,480 = 5,520 USDC and nothing else.
class EnginePortfolioDustTest : public EnginePortfolioLiquidationTest {
 protected:
  EngineOptions options() const override {
    EngineOptions o;
    o.liquidation.sizing.min_leftover_notional = money("50000");
    return o;
  }
};

TEST_F(EnginePortfolioDustTest, DustLetsTheWholeAccountGo) {
  set_prices("48000");
  EXPECT_EQ(allowance("0.01"), kFractionWhole);
  rejected(take(500'000, "0.01"), Status::liquidation_too_large);  // past the need, not the whole
  ok(take(kFractionWhole, "0.01"));
  EXPECT_EQ(size(kAlicePortfolio, kPerp), Quantity{});
  EXPECT_EQ(balance(kAlicePortfolio, kUsdc), usdc(5'520));
  EXPECT_EQ(size(kBobMain, kPerp), qty("1"));
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(10'000) - 48'000'000);  // 10% of the 480 discount
}

// At 43,000: equity 1,000, requirement 5,504, coverage 0.18. The bonus is the auction's: 1% at
// the episode's start, 5% ten minutes on. At 2% the need is 0.971 BTC (0.970 leaves health 0.68
// < 3.3024). At 5% the discount stops at the equity: 2,150·f <= 1,000 gives 0.465 BTC (equity
// 0.25 left); 0.466 would leave −1.9.
TEST_F(EnginePortfolioLiquidationTest, DiscountIsBoundedByTheAuctionAndTheEquity) {
  set_prices("43000");
  ok(CheckHealth{kAlicePortfolio});
  rejected(take(971'000, "0.02"), Status::liquidation_price_out_of_band);
  EXPECT_EQ(allowance("0.02"), std::nullopt);
  now_ += 600 * kSecond;
  set_prices("43000");  // an event: the engine's clock is ten minutes on
  EXPECT_EQ(allowance("0.02"), 971'000u);
  EXPECT_EQ(allowance("0.05"), 465'999u);  // the largest fraction whose lots are 0.465 BTC
  rejected(take(466'000, "0.05"), Status::liquidation_price_out_of_band);
  ok(take(465'000, "0.05"));
  EXPECT_EQ(figures().equity, money("0.25"));
  EXPECT_TRUE(episode_open());  // still liquidatable: the next liquidator continues
}

// At 42,000.1 her equity is 0.1: a 1% discount on 42,000.1 × f may take at most f = 0.1 /
// 420.001 = 238 millionths, less than one lot of her 1 BTC (1,000 millionths). No fraction both
// takes something and keeps her equity, so there is no allowance; one lot is out of band. (The
// allowance used to answer 999, the largest fraction whose slice is empty, which the event then
// refused as fill_size_zero: the property test found it.)
TEST_F(EnginePortfolioLiquidationTest, NoAllowanceWhenTheEquityBoundIsBelowOneLot) {
  set_prices("42000.1");
  EXPECT_EQ(figures().equity, money("0.1"));
  EXPECT_EQ(allowance("0.01"), std::nullopt);
  rejected(take(238, "0.01"), Status::fill_size_zero);
  rejected(take(1'000, "0.01"), Status::liquidation_price_out_of_band);
  EXPECT_EQ(allowance("0"), kFractionWhole);  // at no discount the bound does not bind: all of it
}

TEST_F(EnginePortfolioLiquidationTest, BadEventsAreRejectedAndChangeNothing) {
  rejected(take(1'000, "0.01"), Status::account_healthy);
  set_prices("48000");
  rejected(take(0, "0.01"), Status::fill_size_zero);
  rejected(take(1'000, "-0.01"), Status::amount_negative);
  rejected(take(kFractionWhole + 1, "0.01"), Status::liquidation_too_large);
  rejected(LiquidatePortfolio{kAlice, kAliceMain, kAlicePortfolio, 1'000, ratio("0.01")}, Status::liquidation_self);
  rejected(LiquidatePortfolio{kBob, kBobMain, kAliceMain, 1'000, ratio("0.01")}, Status::portfolio_unsupported);
  rejected(LiquidatePortfolio{kBob, kAliceMain, kAlicePortfolio, 1'000, ratio("0.01")}, Status::sub_account_foreign);
  // A liquidator must afford what it takes: with 100 USDC Bob's 0.047 BTC needs 10% × 2,256 =
  // 225.6 of initial margin against 100 − 2.256 + 22.56.
  ok(Withdraw{kBob, kBobMain, kUsdc, Amount::from_raw(usdc(9'900))});
  rejected(take(47'000, "0.01"), Status::insufficient_margin);
}

// Past its equity the account is bankruptcy's: at 41,000 equity is −1,000; resolve_bankruptcy
// closes the position at the mark and writes the 1,000 nobody covers off (no fund, no opposite
// holder but the clearing account).
TEST_F(EnginePortfolioLiquidationTest, BankruptPortfolioGoesDownTheWaterfall) {
  set_prices("41000");
  rejected(take(1'000, "0.01"), Status::account_bankrupt);
  ok(ResolveBankruptcy{kAlicePortfolio});
  EXPECT_EQ(size(kAlicePortfolio, kPerp), Quantity{});
  EXPECT_EQ(engine_.waterfall().losses.deficit, usdc(1'000));
  EXPECT_EQ(balance(kAlicePortfolio, kUsdc), 0);
  expect_replay_and_restore_match();
}

// The scan and check_health read a portfolio account's scenarios: its maintenance collateral is
// its equity.
TEST_F(EnginePortfolioLiquidationTest, ScanAndCheckHealthSeePortfolioAccounts) {
  rejected(CheckHealth{kAlicePortfolio}, Status::health_unchanged);
  set_prices("48000");
  const std::vector<LiquidatableGroup> found = engine_.liquidatable_groups();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].sub_account, kAlicePortfolio);
  EXPECT_EQ(found[0].maintenance_collateral, money("6000"));
  EXPECT_EQ(found[0].maintenance_requirement, money("6144"));
  ok(CheckHealth{kAlicePortfolio});
  rejected(CheckHealth{kAlicePortfolio}, Status::health_unchanged);
}

// Coin collateral moves at the oracle less the discount: with 0.1 BTC beside the perpetual, a 1%
// slice at 1% and 48,000 moves 0.01 BTC of the perpetual (closed at 47,520) and 0.001 BTC, for
// which Bob pays 0.001 × 48,000 × 0.99 = 47.52 and the protocol 10% of 0.48.
TEST_F(EnginePortfolioLiquidationTest, CoinCollateralMovesAtTheOracleLessTheDiscount) {
  ok(Deposit{kAlice, kAlicePortfolio, kBtc, Amount::from_raw(10'000'000)});
  ok(Withdraw{kAlice, kAlicePortfolio, kUsdc, Amount::from_raw(figures().initial_health.raw())});
  set_prices("48000");
  ASSERT_TRUE(figures().liquidatable());
  const std::int64_t alice_usdc = balance(kAlicePortfolio, kUsdc);
  const std::int64_t insurance_before = balance(kInsuranceSub, kUsdc);
  ok(take(10'000, "0.01"));
  EXPECT_EQ(balance(kAlicePortfolio, kBtc), 9'900'000);
  EXPECT_EQ(balance(kBobMain, kBtc), 100'000);
  // Alice: −24.8 realized on 0.01 BTC at 47,520, +47.52 for the coin.
  EXPECT_EQ(balance(kAlicePortfolio, kUsdc), alice_usdc - 24'800'000 + 47'520'000);
  // Bob: −47.52 for the coin, −0.048 and −0.48 to the fund.
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(10'000) - 47'520'000 - 48'000 - 480'000);
  EXPECT_EQ(balance(kInsuranceSub, kUsdc) - insurance_before, 528'000);
  expect_replay_and_restore_match();
}

// The fixture's call (strike 50,000, 30 days) at the vol its 2,500 mark implies at 50,000, as
// Black-76 prices it at `spot`, on the 0.1 tick.
Price call_mark(double spot) {
  const double vol = *pricing::implied_vol_black76(pricing::OptionKind::call, 2'500.0, 50'000.0, 50'000.0,
                                                   30.0 / 365.0, 1.0);
  const double value = pricing::price_black76({pricing::OptionKind::call, spot, 50'000.0, 30.0 / 365.0, 1.0, vol})->price;
  return Price::from_raw(std::max<std::int64_t>(1, std::llround(value * 10.0)) * (Price::kScale / 10));
}

// Over random books (a perpetual either way, a call either way, coin), random falls or rises and
// random discounts within the bonus: the keeper's allowance is accepted (unless Bob's own margin
// cannot carry it); the slice improves the target's health, conserves value (the fixture's
// checks, and here) and never leaves equity negative.
RC_GTEST_FIXTURE_PROP(EnginePortfolioLiquidationTest, AllowanceIsAcceptedAndEverySliceHelps, ()) {
  const auto perp_lots = pick<std::int64_t>(1, 2'000) * (*rc::gen::arbitrary<bool>() ? 1 : -1);
  const auto call_lots = pick<std::int64_t>(-2'000, 2'000);
  const auto btc_sats = pick<std::int64_t>(0, 20'000'000);
  const auto move_bp = pick<std::int64_t>(200, 1'500);
  const auto discount_bp = pick<std::int64_t>(0, 100);
  // Close the fixture's perpetual, then open the drawn book at the marks.
  ok(fill(kAlice, kAlicePortfolio, kPerp, "-1", "50000"));
  ok(Deposit{kBob, kBobMain, kUsdc, Amount::from_raw(usdc(1'000'000))});
  if (btc_sats > 0) ok(Deposit{kAlice, kAlicePortfolio, kBtc, Amount::from_raw(btc_sats)});
  const auto lots = [](std::int64_t n) { return Quantity::from_raw(n * qty("0.001").raw()); };
  engine_.apply(next(Fill{kAlice, kAlicePortfolio, kPerp, lots(perp_lots), price("50000"), Money{}}));
  if (call_lots != 0) {
    engine_.apply(next(Fill{kAlice, kAlicePortfolio, kCall, lots(call_lots), price("2500"), Money{}}));
  }
  // As leveraged as the initial margin allows, so that a move of a few percent liquidates.
  const std::int64_t spare = std::min(figures().initial_health.raw(), balance(kAlicePortfolio, kUsdc));
  // (Nine tenths: the withdrawal's own check values the book at the stable prices too.)
  if (spare > 0) engine_.apply(next(Withdraw{kAlice, kAlicePortfolio, kUsdc, Amount::from_raw(spare / 10 * 9)}));
  // The first move against the book, from the drawn one in steps of 1%, either way, that leaves
  // it liquidatable and solvent.
  const auto liquidatable_now = [&] { return figures().liquidatable() && !figures().equity.is_negative(); };
  for (std::int64_t step_bp = move_bp; step_bp <= 3'000 && !liquidatable_now(); step_bp += 100) {
    for (const std::int64_t sign : {-1, 1}) {
      const std::int64_t btc = 50'000 * (10'000 + sign * step_bp) / 10'000;
      set_prices(std::to_string(btc).c_str());
      ok(MarkPrice{kCall, call_mark(static_cast<double>(btc))});
      if (liquidatable_now()) break;
    }
  }
  const PortfolioFigures before = figures();
  RC_PRE(before.liquidatable() && !before.equity.is_negative());
  const Ratio discount = Ratio::from_raw(discount_bp * 100'000'000);
  const auto allowed = engine_.portfolio_liquidation_allowance(
      LiquidatePortfolio{kBob, kBobMain, kAlicePortfolio, 0, discount});
  RC_PRE(allowed.has_value());
  const Event e = next(LiquidatePortfolio{kBob, kBobMain, kAlicePortfolio, *allowed, discount});
  const Status status = engine_.apply(e);
  RC_PRE(status != Status::insufficient_margin);  // Bob's 10,000 may not carry every slice
  RC_ASSERT(status == Status::ok);
  RC_ASSERT(engine_.ledger().conserves_value());
  const PortfolioFigures after = figures();
  RC_ASSERT(after.maintenance_health > before.maintenance_health);
  RC_ASSERT(!after.equity.is_negative());
}

// ---- portfolio holders in the ADL queue ---------------------------------------------------

constexpr AccountId kCarol{18};
constexpr SubAccountId kCarolPortfolio{301};

// Bob (cross, 10,000 USDC) short 1.2 BTC perpetual from 50,000 against two portfolio longs from
// 50,000: Alice long 1.0 hedging two short calls sold at 2,500, with 10,000 + alice_extra() USDC,
// and Carol long 0.5 alone on 5,000. Then BTC at 59,000, the call re-marked at 9,296.9: Bob's
// equity is 10,000 − 1.2 × 9,000 = −800, and the ADL queue ranks by uPnL / equity:
//   Alice: equity = 10,000 + extra + 9,000 + 2 × 2,500 − 2 × 9,296.9 = 5,406.2 + extra; her
//          maintenance requirement 7,423.089825 with the perpetual, 14,975.089825 without it
//          (the two calls naked: their worst grid move is up).
//   Carol: equity 5,000 + 4,500 = 9,500, uPnL 4,500 (rank 0.4737).
class EnginePortfolioAdlTest : public EnginePortfolioTest {
 protected:
  virtual std::int64_t alice_extra() const { return 11'000; }
  void SetUp() override {
    EnginePortfolioTest::SetUp();
    ok(Deposit{kAlice, kAlicePortfolio, kUsdc, Amount::from_raw(usdc(alice_extra()))});
    ok(fill(kAlice, kAlicePortfolio, kPerp, "1", "50000"));
    ok(fill(kAlice, kAlicePortfolio, kCall, "-2", "2500"));
    ok(CreateAccount{kCarol});
    ok(CreateSubAccount{kCarol, kCarolPortfolio, MarginMode::portfolio});
    ok(Deposit{kCarol, kCarolPortfolio, kUsdc, Amount::from_raw(usdc(5'000))});
    ok(fill(kCarol, kCarolPortfolio, kPerp, "0.5", "50000"));
    ok(fill(kBob, kBobMain, kPerp, "-1.2", "50000"));
    set_prices("59000");
    ok(MarkPrice{kCall, call_mark(59'000)});
  }
  // Alice's maintenance requirement with her perpetual closed.
  Money alice_requirement_without_the_perpetual() const {
    margin::SubAccountBook book =
        detail::book_of(*engine_.ledger().find_sub_account(kAlicePortfolio), *engine_.risk_config());
    detail::set_book_position(book, kPerp, market::Position{});
    return evaluate_portfolio(*engine_.portfolio(), *engine_.risk_config(), engine_.prices().book, book,
                              engine_.clock_ns())
        .figures.maintenance_requirement;
  }
};

// With 11,000 extra Alice's equity is 16,406.2 (rank 9,000 / 16,406.2 = 0.5486, first) and still
// covers the naked calls' 14,975.089825: ADL closes her 1.0, then 0.2 of Carol's. The 800 is
// shared by closed notional, 59,000 and 11,800: Alice 666.666667 (the larger remainder takes the
// last micro-unit), Carol 133.333333.
TEST_F(EnginePortfolioAdlTest, PortfolioHoldersAreRankedAndClosedLikeAnyOther) {
  EXPECT_EQ(call_mark(59'000), price("9296.9"));
  EXPECT_EQ(figures_of(kAlicePortfolio).equity, money("16406.2"));
  EXPECT_EQ(figures_of(kAlicePortfolio).maintenance_requirement, money("7423.089825"));
  EXPECT_EQ(alice_requirement_without_the_perpetual(), money("14975.089825"));
  EXPECT_EQ(figures_of(kCarolPortfolio).equity, money("9500"));
  const BankruptcyPlan plan = engine_.plan_bankruptcy(kBobMain);
  ASSERT_EQ(plan.status, Status::ok);
  ASSERT_EQ(plan.closes.size(), 3u);
  EXPECT_EQ(plan.closes[1], (Fill{kAlice, kAlicePortfolio, kPerp, qty("-1"), price("59000"), Money{}}));
  EXPECT_EQ(plan.closes[2], (Fill{kCarol, kCarolPortfolio, kPerp, qty("-0.2"), price("59000"), Money{}}));
  EXPECT_EQ(plan.adl_charges, (std::vector<BankruptcyCharge>{{kAlicePortfolio, Amount::from_raw(666'666'667)},
                                                              {kCarolPortfolio, Amount::from_raw(133'333'333)}}));
  ok(ResolveBankruptcy{kBobMain});
  EXPECT_EQ(size(kAlicePortfolio, kPerp), Quantity{});
  EXPECT_EQ(size(kCarolPortfolio, kPerp), qty("0.3"));
  // Alice's equity after her charge, 16,406.2 − 666.666667, against the naked calls.
  EXPECT_EQ(figures_of(kAlicePortfolio).maintenance_health, money("764.443508"));
  expect_replay_and_restore_match();
}

// Ranked hedge_aware, Alice's perpetual is hedged by her two short calls. Each call's delta is
// N(d1), d1 = ln(59,000 / 50,000) / (σ√T) + σ√T / 2 with T = 30/365 and σ ≈ 0.437, the vol its
// 9,296.9 mark implies (2,500's 0.436 moved by the tick): d1 ≈ 1.384, N ≈ 0.917. The calls are
// short 1.83 BTC, more than her long 1.0, so all of it is in the hedged tier, after every
// unhedged position. Carol's 0.5 closes first, then
// 0.7 of Alice's 1.0. By notional, 29,500 and 41,300: Carol 333.333333, Alice 466.666667.
// (Counting only linear hedges, as before options had a delta here, Alice was unhedged and first.)
class EnginePortfolioAdlHedgeAwareTest : public EnginePortfolioAdlTest {
 protected:
  EngineOptions options() const override {
    EngineOptions o;
    o.liquidation.adl_ranking = liquidation::AdlRanking::hedge_aware;
    return o;
  }
};

TEST_F(EnginePortfolioAdlHedgeAwareTest, ADeltaHedgedOptionSellerIsClosedAfterTheUnhedged) {
  const market::Instrument& call = engine_.risk_config()->find_market(kCall)->instrument;
  const auto delta = mark_delta(*engine_.risk_config(), engine_.prices().book, call, engine_.clock_ns());
  ASSERT_TRUE(delta.has_value());
  EXPECT_NEAR(*delta, 0.917, 0.001);
  const BankruptcyPlan plan = engine_.plan_bankruptcy(kBobMain);
  ASSERT_EQ(plan.status, Status::ok);
  ASSERT_EQ(plan.closes.size(), 3u);
  EXPECT_EQ(plan.closes[1], (Fill{kAlice, kAlicePortfolio, kPerp, qty("-0.7"), price("59000"), Money{}}));
  EXPECT_EQ(plan.closes[2], (Fill{kCarol, kCarolPortfolio, kPerp, qty("-0.5"), price("59000"), Money{}}));
  EXPECT_EQ(plan.adl_charges, (std::vector<BankruptcyCharge>{{kAlicePortfolio, Amount::from_raw(466'666'667)},
                                                              {kCarolPortfolio, Amount::from_raw(333'333'333)}}));
  ok(ResolveBankruptcy{kBobMain});
  EXPECT_EQ(size(kAlicePortfolio, kPerp), qty("0.3"));
  EXPECT_EQ(size(kCarolPortfolio, kPerp), Quantity{});
  expect_replay_and_restore_match();
}

// With 9,000 extra Alice's equity is 14,406.2: healthy with her hedge (health 6,983.110175), but
// closing the perpetual would leave her naked calls' 14,975.089825 above it. She is first in
// the ranking and skipped; Carol's 0.5 closes, and the other 0.7 rests against the clearing
// account. Carol carries the whole 800.
class EnginePortfolioAdlHedgedTest : public EnginePortfolioAdlTest {
 protected:
  std::int64_t alice_extra() const override { return 9'000; }
};

TEST_F(EnginePortfolioAdlHedgedTest, AHolderWhoseHedgeTheCloseWouldBreakIsSkipped) {
  EXPECT_EQ(figures_of(kAlicePortfolio).maintenance_health, money("6983.110175"));
  EXPECT_GT(alice_requirement_without_the_perpetual(), figures_of(kAlicePortfolio).equity);
  const BankruptcyPlan plan = engine_.plan_bankruptcy(kBobMain);
  ASSERT_EQ(plan.status, Status::ok);
  ASSERT_EQ(plan.closes.size(), 2u);
  EXPECT_EQ(plan.closes[1], (Fill{kCarol, kCarolPortfolio, kPerp, qty("-0.5"), price("59000"), Money{}}));
  EXPECT_EQ(plan.adl_charges, (std::vector<BankruptcyCharge>{{kCarolPortfolio, Amount::from_raw(usdc(800))}}));
  ok(ResolveBankruptcy{kBobMain});
  EXPECT_EQ(size(kAlicePortfolio, kPerp), qty("1"));
  EXPECT_EQ(figures_of(kAlicePortfolio).maintenance_health, money("6983.110175"));
  EXPECT_EQ(size(kCarolPortfolio, kPerp), Quantity{});
  expect_replay_and_restore_match();
}

}  // namespace
}  // namespace ballast

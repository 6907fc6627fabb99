// Portfolio-margin sub-accounts in the engine (issue 5, item 1 at the engine level): a
// sub-account in mode portfolio is margined by the venue's scenario model. Its requirement is
// the worst grid loss, so a hedge offsets, and closing one leg of a hedge is refused when it
// leaves the sub-account short of margin. What it may hold is checked at the door, and the
// snapshot carries the model. Figures are worked by hand in the comments, or taken from the
// risk matrix the library's own tests check by hand (portfolio/risk_matrix_test.cpp).

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "ballast/engine/engine_parts.hpp"
#include "ballast/engine/risk_codec.hpp"
#include "ballast/engine/testing/engine_portfolio_fixture.hpp"
#include "ballast/pricing/implied_vol.hpp"

namespace ballast {
namespace {

using namespace engine_testing;  // NOLINT: the fixture's venue, ids and helpers

// The plain fixture's venue offers no portfolio margin.
TEST_F(EngineMarginTest, PortfolioModeNeedsAVenueModel) {
  rejected(CreateSubAccount{kAlice, kAlicePortfolio, MarginMode::portfolio}, Status::portfolio_unsupported);
  rejected(CreateSubAccount{kAlice, kAlicePortfolio, static_cast<MarginMode>(3)}, Status::mode_invalid);
}

TEST_F(EnginePortfolioTest, PerpetualNeedsItsWorstGridMove) {
  // Long 1 BTC at the mark, 50,000: the worst scenario is −16%, a loss of 8,000 (the grid's
  // move 0.16 × 4/4 and the P&L 1 × 50,000 × 0.16 in doubles, rounded up to the micro-unit).
  ok(fill(kAlice, kAlicePortfolio, kPerp, "1", "50000"));
  const PortfolioFigures f = figures();
  EXPECT_EQ(f.equity, money("10000"));
  EXPECT_EQ(f.initial_requirement, money_up(50'000.0 * 0.16));
  EXPECT_EQ(f.initial_requirement, money("8000"));
  EXPECT_EQ(f.maintenance_requirement, money("6400"));
  EXPECT_EQ(f.initial_health, money("2000"));
  EXPECT_FALSE(f.liquidatable());
  // 0.3 more: IM 1.3 × 8,000 = 10,400 > 10,000 of equity.
  rejected(fill(kAlice, kAlicePortfolio, kPerp, "0.3", "50000"), Status::insufficient_margin);
  // Exactly the initial health may leave, not a micro-unit more.
  rejected(Withdraw{kAlice, kAlicePortfolio, kUsdc, Amount::from_raw(usdc(2'000) + 1)}, Status::insufficient_margin);
  ok(Withdraw{kAlice, kAlicePortfolio, kUsdc, Amount::from_raw(usdc(2'000))});
  EXPECT_EQ(figures().initial_health, Money{});
  // A fall to 45,000 loses 5,000 of the 8,000 equity; the requirement follows the mark:
  // 0.16 × 45,000 = 7,200 initial, 5,760 maintenance > 3,000: liquidatable.
  set_prices("45000");
  EXPECT_EQ(figures().equity, money("3000"));
  EXPECT_EQ(figures().maintenance_requirement, money("5760"));
  EXPECT_TRUE(figures().liquidatable());
}

// The model with a close-out curve on BTC: half-spread 0.1%, impact 1% at √(size / 100 BTC).
class EnginePortfolioLiquidityTest : public EnginePortfolioTest {
 protected:
  std::optional<portfolio::PortfolioConfig> portfolio() const override {
    portfolio::PortfolioConfig config = model_config();
    config.underlyings[0].liquidity = {0.001, 0.01, 100};
    return config;
  }
};

TEST_F(EnginePortfolioLiquidityTest, LargePositionsPayTheirCloseOutCost) {
  // 1 BTC at 50,000: 50,000 × (0.001 + 0.01 × √(1/100)) = 100 on top of the 8,000 grid loss
  // (the loss factors apply: IM 1.0 × 8,100, MM 0.8 × 8,100).
  ok(fill(kAlice, kAlicePortfolio, kPerp, "1", "50000"));
  EXPECT_EQ(figures().initial_requirement, money("8100"));
  EXPECT_EQ(figures().maintenance_requirement, money("6480"));
  // 1.2 BTC in all: 60,000 × (0.001 + 0.01 × √0.012) = 125.726…, grid loss 9,600: IM 9,725.73
  // < 10,000; 1.25 BTC would need 10,000 + 131.93: refused, where the grid alone (10,000) fits.
  ok(fill(kAlice, kAlicePortfolio, kPerp, "0.2", "50000"));
  rejected(fill(kAlice, kAlicePortfolio, kPerp, "0.05", "50000"), Status::insufficient_margin);
}

TEST_F(EnginePortfolioTest, AHedgeOffsetsAndClosingItIsRefused) {
  // Long the perpetual, short the future, both at 50,000: the future's expiry prices at its
  // own mark (50,000), so every scenario's P&L is 50,000 m − 50,000 m = 0 and IM is 0. The
  // cross calculator would ask 10% of each, 10,000.
  ok(fill(kAlice, kAlicePortfolio, kPerp, "1", "50000"));
  ok(fill(kAlice, kAlicePortfolio, kFuture, "-1", "50000"));
  EXPECT_EQ(figures().initial_requirement, Money{});
  ok(Withdraw{kAlice, kAlicePortfolio, kUsdc, Amount::from_raw(usdc(9'000))});
  // Buying the future back only shrinks a position, which the cross rule always allows; here it
  // leaves the perpetual unhedged: IM 8,000 against 1,000 of equity, health −7,000 < 1,000.
  rejected(fill(kAlice, kAlicePortfolio, kFuture, "1", "50000"), Status::insufficient_margin);
  // Half of it: the unhedged half perpetual needs 4,000 > 1,000.
  rejected(fill(kAlice, kAlicePortfolio, kFuture, "0.5", "50000"), Status::insufficient_margin);
  // Selling the perpetual instead leaves the short future alone, losing 8,000 at +16%.
  rejected(fill(kAlice, kAlicePortfolio, kPerp, "-1", "50000"), Status::insufficient_margin);
  // With 7,000 more the equity is 8,000, and the perpetual alone needs exactly that.
  ok(Deposit{kAlice, kAlicePortfolio, kUsdc, Amount::from_raw(usdc(7'000))});
  ok(fill(kAlice, kAlicePortfolio, kFuture, "1", "50000"));
  EXPECT_EQ(figures().initial_health, Money{});
}

TEST_F(EnginePortfolioTest, CoveredCallIsTheRiskMatrixOfItsMarks) {
  ok(Deposit{kAlice, kAlicePortfolio, kBtc, Amount::from_raw(100'000'000)});  // 1 BTC
  ok(fill(kAlice, kAlicePortfolio, kCall, "-1", "2500"));
  // Equity: 10,000 + 2,500 premium + 1 BTC at 50,000 − the call at its mark, 2,500.
  const PortfolioFigures covered = figures();
  EXPECT_EQ(covered.equity, money("60000"));

  // The same portfolio handed to the risk matrix directly: the call's vol is the Black-76
  // implied vol of its mark on the forward (the spot: no future on that expiry), 30 days.
  const double years = static_cast<double>(kCallExpiry - engine_.clock_ns()) / (365.0 * 86'400e9);
  const double vol = *pricing::implied_vol_black76(pricing::OptionKind::call, 2500, 50'000, 50'000, years, 1);
  // A 30-day ATM call at 5% of spot: the ATM approximation C ≈ 0.4 F σ √T gives
  // σ ≈ 2,500 / (0.4 × 50,000 × √(30/365)) = 0.436.
  EXPECT_NEAR(vol, 0.436, 0.003);
  portfolio::MarketState market{{portfolio::UnderlyingMarket{50'000, {{years, 50'000, 0}}, std::nullopt}}};
  portfolio::Position call{kCall.value, 0, portfolio::Product::option, pricing::OptionKind::call, 0, 50'000, -1,
                           2500, vol, {}};
  portfolio::Position coin{kPortfolioBalanceIdBase | kBtc.value, 0, portfolio::Product::spot, {}, 0, 0, 1, 50'000,
                           0, {}};
  const portfolio::Model& model = engine_.portfolio()->model();
  portfolio::RiskMatrix direct(model);
  const std::vector<portfolio::Position> both{call, coin};
  ASSERT_EQ(direct.build(market, both), portfolio::PmStatus::ok);
  EXPECT_EQ(covered.initial_requirement, direct.report().initial);
  EXPECT_EQ(covered.maintenance_requirement, direct.report().maintenance);
  // The coin covers the call: the naked call's worst loss (spot +16%) is larger than the
  // covered call's (spot −16%: the coin loses 8,000, the call's value falls by less).
  portfolio::RiskMatrix naked(model);
  ASSERT_EQ(naked.build(market, std::vector<portfolio::Position>{call}), portfolio::PmStatus::ok);
  EXPECT_GT(naked.report().initial, covered.initial_requirement);
  EXPECT_LT(covered.initial_requirement, money("8000"));  // less than the coin alone
}

// A decision's MarkVols: the first evaluation inverts the call's mark and keeps its vol, later
// ones read it and decide bit for bit alike; a mark that changed is inverted again, not misread.
TEST_F(EnginePortfolioTest, MarkVolsInvertEachMarkOnceAndNeverMisreadAChangedOne) {
  ok(fill(kAlice, kAlicePortfolio, kCall, "-1", "2500"));
  const PortfolioVenue& venue = *engine_.portfolio();
  const margin::RiskConfig& risk = *engine_.risk_config();
  const SubAccount& held = *engine_.ledger().find_sub_account(kAlicePortfolio);
  const margin::SubAccountBook book = detail::book_of(held, risk);
  const TimestampNs now_ns = engine_.clock_ns();
  const double years = static_cast<double>(kCallExpiry - now_ns) / (365.0 * 86'400e9);
  const double vol = *pricing::implied_vol_black76(pricing::OptionKind::call, 2500, 50'000, 50'000, years, 1);

  MarkVols vols;
  EXPECT_EQ(vols.find(kCall, price("2500")), std::nullopt);
  const PortfolioOutcome without = evaluate_portfolio(venue, risk, engine_.prices().book, book, now_ns);
  const PortfolioOutcome first = evaluate_portfolio(venue, risk, engine_.prices().book, book, now_ns, &vols);
  EXPECT_EQ(vols.find(kCall, price("2500")), vol);
  const PortfolioOutcome second = evaluate_portfolio(venue, risk, engine_.prices().book, book, now_ns, &vols);
  for (const PortfolioOutcome* outcome : {&first, &second}) {
    EXPECT_EQ(outcome->status, Status::ok);
    EXPECT_EQ(outcome->figures.initial_requirement, without.figures.initial_requirement);
    EXPECT_EQ(outcome->figures.maintenance_requirement, without.figures.maintenance_requirement);
  }
  // Planted: a vol kept for the same mark is what the evaluation reads, not the mark's own ~44%
  // (the scenarios reprice the call at 1%: another requirement).
  vols.add(kCall, price("2500"), 0.01);
  const PortfolioOutcome planted = evaluate_portfolio(venue, risk, engine_.prices().book, book, now_ns, &vols);
  EXPECT_NE(planted.figures.initial_requirement, without.figures.initial_requirement);
  // The mark moves: the kept vol is for 2,500, so 2,600 is inverted afresh and replaces it.
  ok(MarkPrice{kCall, price("2600")});
  const margin::PriceBook& moved = engine_.prices().book;
  const PortfolioOutcome fresh = evaluate_portfolio(venue, risk, moved, book, engine_.clock_ns());
  const PortfolioOutcome remembered = evaluate_portfolio(venue, risk, moved, book, engine_.clock_ns(), &vols);
  EXPECT_EQ(remembered.figures.initial_requirement, fresh.figures.initial_requirement);
  EXPECT_EQ(vols.find(kCall, price("2500")), std::nullopt);
  EXPECT_TRUE(vols.find(kCall, price("2600")).has_value());
}

TEST_F(EnginePortfolioTest, WhatThePortfolioMayHoldIsCheckedAtTheDoor) {
  // ETH is listed but no underlying of the model (nor in the risk configuration).
  rejected(Deposit{kAlice, kAlicePortfolio, kEth, Amount::from_raw(1'000'000'000)}, Status::portfolio_unsupported);
  ok(Deposit{kAlice, kAliceMain, kEth, Amount::from_raw(1'000'000'000)});
  rejected(Transfer{kAlice, kAliceMain, kAlicePortfolio, kEth, Amount::from_raw(1'000'000'000)},
           Status::portfolio_unsupported);
  // A mark above its no-arbitrage bound (a call worth more than the forward) has no vol.
  ok(MarkPrice{kCall, price("50001")});
  rejected(fill(kAlice, kAlicePortfolio, kCall, "-0.1", "2500"), Status::portfolio_price_invalid);
}

TEST_F(EnginePortfolioTest, SnapshotCarriesTheModelAndRestoredEnginesDecideAlike) {
  ok(fill(kAlice, kAlicePortfolio, kPerp, "1", "50000"));
  ok(fill(kAlice, kAlicePortfolio, kFuture, "-1", "50000"));
  const std::string snapshot = engine_.snapshot();
  auto restored = Engine::restore(snapshot);
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->snapshot(), snapshot);
  ASSERT_NE(restored->portfolio(), nullptr);
  EXPECT_EQ(restored->portfolio()->model().scenarios(0).size(), engine_.portfolio()->model().scenarios(0).size());
  const std::vector<EventBody> next{
      Withdraw{kAlice, kAlicePortfolio, kUsdc, Amount::from_raw(usdc(9'500))},
      fill(kAlice, kAlicePortfolio, kFuture, "1", "50000"),
      Withdraw{kAlice, kAlicePortfolio, kUsdc, Amount::from_raw(usdc(600))},
  };
  for (const EventBody& body : next) {
    const Event e = this->next(body);
    EXPECT_EQ(restored->apply(e), engine_.apply(e)) << event_to_json(e);
    EXPECT_EQ(restored->state_hash(), engine_.state_hash()) << event_to_json(e);
  }
}

TEST_F(EnginePortfolioTest, SnapshotWithAnInvalidModelIsRefused) {
  // The snapshot's model bytes with the grid's steps at 0 (the model needs 1..50): restore
  // refuses it, naming the portfolio configuration, rather than running an engine on it.
  portfolio::PortfolioConfig bad = model_config();
  bad.underlyings[0].grid.steps = 0;
  ByteWriter good_bytes;
  encode_portfolio_config(good_bytes, model_config());
  ByteWriter bad_bytes;
  encode_portfolio_config(bad_bytes, bad);
  std::string snapshot = engine_.snapshot();
  const std::size_t at = snapshot.find(good_bytes.bytes());
  ASSERT_NE(at, std::string::npos);
  snapshot.replace(at, good_bytes.bytes().size(), bad_bytes.bytes());
  const Result<Engine> restored = Engine::restore(snapshot);
  ASSERT_FALSE(restored.ok());
  EXPECT_NE(restored.error().message.find("portfolio config"), std::string::npos) << restored.error().message;
  EXPECT_NE(restored.error().message.find("steps"), std::string::npos) << restored.error().message;
}

}  // namespace
}  // namespace ballast

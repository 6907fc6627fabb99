// Liquidation in the engine (issue 6, item 3): a check_health event opens a margin group's
// episode and starts the auction's clock; a liquidator's liquidate event is validated against
// the liquidation rules (the group is liquidatable, the size is what size_liquidation allows, the
// price lies in the auction's band) and executed as two fills at the liquidator's price, the
// protocol's share of the discount going to the insurance fund. Every figure below is worked by
// hand on margin_venue.hpp's venue: BTC perpetual at 10% initial / 5% maintenance, lots of
// 0.001, ticks of 0.1; the default rules (liquidation_rules.hpp): close factor 50%, a full close
// below coverage 0.95, buffer 2%, bonus 1% rising to 5% over 10 minutes, protocol share 10%.

#include <gtest/gtest.h>

#include "ballast/engine/testing/engine_margin_fixture.hpp"

namespace ballast {
namespace {

using namespace engine_testing;  // NOLINT: the fixture's venue, ids and helpers

constexpr SubAccountId kInsuranceSub{kInsuranceFund.value};
constexpr GroupKey kAliceCross{kAlice, SubAccountId{0}};

Liquidate liquidate(SubAccountId target, const char* size, const char* at) {
  return Liquidate{kBob, kBobMain, target, kPerp, qty(size), price(at)};
}

class EngineLiquidationTest : public EngineMarginTest {
 protected:
  // Alice long 1.5 BTC from 50,000 (Bob short the other side), then BTC at 45,500: equity
  // 10,000 − 6,750 = 3,250 against a maintenance requirement of 1.5 × 45,500 × 5% = 3,412.5;
  // coverage 0.952 (partial stage), health −162.5.
  void open_underwater_long() {
    ok(fill(kAlice, kAliceMain, kPerp, "1.5", "50000"));
    ok(fill(kBob, kBobMain, kPerp, "-1.5", "50000"));
    set_prices("45500");
  }
  std::optional<LiquidationEpisode> episode(GroupKey key) const {
    const auto& episodes = engine_.liquidation_episodes();
    const auto found = episodes.find(key);
    return found == episodes.end() ? std::nullopt : std::optional(found->second);
  }
};

TEST_F(EngineLiquidationTest, APartialLiquidationRestoresMaintenancePlusTheBuffer) {
  open_underwater_long();
  const std::vector<LiquidatableGroup> found = engine_.liquidatable_groups();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].sub_account, kAliceMain);
  EXPECT_EQ(found[0].equity, money("3250"));
  EXPECT_EQ(found[0].maintenance_requirement, money("3412.5"));
  ok(CheckHealth{kAliceMain});
  ASSERT_TRUE(episode(kAliceCross).has_value());
  EXPECT_EQ(episode(kAliceCross)->started_ns, now_);
  // Needed: (buffer 2% × 3,412.5 = 68.25, + 3 micro-units of rounding allowance, + 162.5) over
  // (release 45,500 × 5% = 2,275 − cost 45,500 × 1% = 455) per BTC = 0.12679 → 0.127 (lots).
  rejected(liquidate(kAliceMain, "0.128", "45045"), Status::liquidation_too_large);
  // The band's low end is 45,500 × (1 − 1%) = 45,045: one tick lower is out of it.
  rejected(liquidate(kAliceMain, "0.127", "45044.9"), Status::liquidation_price_out_of_band);
  rejected(liquidate(kAliceMain, "0.127", "45500.1"), Status::liquidation_price_out_of_band);
  ok(liquidate(kAliceMain, "0.127", "45045"));
  EXPECT_EQ(size(kAliceMain, kPerp), qty("1.373"));
  EXPECT_EQ(size(kBobMain, kPerp), qty("-1.373"));
  // Alice realizes (45,045 − 50,000) × 0.127 = −629.285. Bob, short from 50,000, buys 0.127
  // back and realizes +629.285, and pays the protocol 10% of his discount (45,500 − 45,045) ×
  // 0.127 = 57.785: 5.7785 to the insurance fund.
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(10'000) - 629'285'000);
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(10'000) + 629'285'000 - 5'778'500);
  EXPECT_EQ(balance(kInsuranceSub, kUsdc), 5'778'500);
  // Equity 3,250 − 57.785 = 3,192.215 against 1.373 × 45,500 × 5% = 3,123.575: healthy again,
  // with more than the buffer, so the episode is over.
  EXPECT_TRUE(engine_.liquidatable_groups().empty());
  EXPECT_FALSE(episode(kAliceCross).has_value());
  rejected(liquidate(kAliceMain, "0.001", "45045"), Status::account_healthy);
}

TEST_F(EngineLiquidationTest, TheAuctionsBonusRisesWithTimeSinceTheEpisodeStarted) {
  open_underwater_long();
  ok(CheckHealth{kAliceMain});
  now_ += 300 * kSecond;  // half the duration: bonus 1% + 4% / 2 = 3%
  set_prices("45500");
  // Low end 45,500 × 0.97 = 44,135; the cost per BTC is 1,365, so the size that restores the
  // target is 230.750003 / (2,275 − 1,365) = 0.25357 → 0.254.
  rejected(liquidate(kAliceMain, "0.254", "44134.9"), Status::liquidation_price_out_of_band);
  rejected(liquidate(kAliceMain, "0.255", "44135"), Status::liquidation_too_large);
  ok(liquidate(kAliceMain, "0.254", "44135"));
  // (45,500 − 44,135) × 0.254 = 346.71 of discount; the protocol's 10%: 34.671.
  EXPECT_EQ(balance(kInsuranceSub, kUsdc), 34'671'000);
  EXPECT_FALSE(episode(kAliceCross).has_value());
}

TEST_F(EngineLiquidationTest, WithoutACheckTheFirstLiquidationStartsTheAuctionAtItsMinimum) {
  open_underwater_long();
  now_ += 3'000 * kSecond;  // long after the crash, but nobody opened the episode
  set_prices("45500");
  rejected(liquidate(kAliceMain, "0.1", "45044.9"), Status::liquidation_price_out_of_band);
  // A partial close that leaves the group liquidatable keeps the episode open from now on:
  // equity 3,250 − 0.05 × 455 = 3,227.25 against 1.45 × 2,275 = 3,298.75.
  ok(liquidate(kAliceMain, "0.05", "45045"));
  ASSERT_TRUE(episode(kAliceCross).has_value());
  EXPECT_EQ(episode(kAliceCross)->started_ns, now_);
  EXPECT_EQ(episode(kAliceCross)->window_notional, money("2275"));
}

TEST_F(EngineLiquidationTest, AtTheMaximumBonusNoPartialCloseRestoresHealthSoTheWholePositionMayGo) {
  open_underwater_long();
  ok(CheckHealth{kAliceMain});
  now_ += 600 * kSecond;  // bonus 5% = the maintenance ratio: each unit closed costs what it frees
  set_prices("45500");
  // The whole 1.5 BTC may close, but not below the bankruptcy price 45,500 − 3,250 / 1.5 =
  // 43,333.34 (rounded up) inside the 5% band (low end 43,225).
  rejected(liquidate(kAliceMain, "1.5", "43333.3"), Status::liquidation_price_out_of_band);
  ok(liquidate(kAliceMain, "1.5", "43333.4"));
  EXPECT_EQ(size(kAliceMain, kPerp), Quantity{});
  EXPECT_EQ(size(kBobMain, kPerp), Quantity{});  // Bob's short is closed by the takeover
  // Alice realizes (43,333.4 − 50,000) × 1.5 = −9,999.9 and keeps 0.1; the protocol takes 10%
  // of Bob's discount (45,500 − 43,333.4) × 1.5 = 3,249.9.
  EXPECT_EQ(balance(kAliceMain, kUsdc), 100'000);
  EXPECT_EQ(balance(kInsuranceSub, kUsdc), 324'990'000);
}

TEST_F(EngineLiquidationTest, ABankruptGroupHasNoPriceInTheBand) {
  ok(fill(kAlice, kAliceMain, kPerp, "1.5", "50000"));
  ok(fill(kBob, kBobMain, kPerp, "-1.5", "50000"));
  set_prices("43000");  // equity 10,000 − 10,500 = −500
  // Closing 0.1 at any price leaves equity negative unless the price is 43,000 + 5,000 = 48,000:
  // past the mark, so no liquidation avoids bad debt. The waterfall's case.
  rejected(liquidate(kAliceMain, "0.1", "43000"), Status::account_bankrupt);
}

class EngineLiquidationCapTest : public EngineLiquidationTest {
 protected:
  EngineOptions options() const override {
    EngineOptions options;
    options.liquidation.account_cap_notional = money("2000");
    return options;
  }
};

TEST_F(EngineLiquidationCapTest, TheAccountCapLimitsEachWindow) {
  open_underwater_long();
  // The size that restores the target is 0.127, but 2,000 per minute is 2,000 / 45,500 =
  // 0.04395 → 0.043 BTC.
  rejected(liquidate(kAliceMain, "0.044", "45045"), Status::liquidation_too_large);
  ok(liquidate(kAliceMain, "0.043", "45045"));
  // Still liquidatable (3,230.435 against 3,314.675). 1,956.5 counted; the 43.5 left is less
  // than one lot's notional (45.5): nothing more this window.
  rejected(liquidate(kAliceMain, "0.001", "45045"), Status::liquidation_too_large);
  now_ += 60 * kSecond;
  set_prices("45500");
  ok(liquidate(kAliceMain, "0.043", "45045"));
}

TEST_F(EngineLiquidationTest, BadLiquidationsAreNamedAndChangeNothing) {
  open_underwater_long();
  rejected(Liquidate{kAlice, kAliceIsolated, kAliceMain, kPerp, qty("0.1"), price("45045")},
           Status::liquidation_self);
  rejected(Liquidate{AccountId{4}, kClearingSub, kAliceMain, kPerp, qty("0.1"), price("45045")},
           Status::account_id_reserved);
  rejected(liquidate(kAliceMain, "-0.1", "45045"), Status::amount_negative);
  rejected(liquidate(kAliceMain, "0", "45045"), Status::fill_size_zero);
  rejected(liquidate(kAliceMain, "0.1", "0"), Status::fill_price_invalid);
  rejected(Liquidate{kBob, kBobMain, kAliceMain, kNoMarket, qty("0.1"), price("45045")},
           Status::instrument_unknown);
  rejected(Liquidate{kBob, kBobMain, kAliceMain, kFuture, qty("0.1"), price("45045")},
           Status::position_missing);
  rejected(liquidate(SubAccountId{999}, "0.1", "45045"), Status::sub_account_unknown);
  rejected(Liquidate{kBob, kAliceIsolated, kAliceMain, kPerp, qty("0.1"), price("45045")},
           Status::sub_account_foreign);
  rejected(liquidate(kAliceMain, "0.0015", "45045"), Status::fill_size_off_lot);
  rejected(liquidate(kAliceMain, "0.1", "45045.05"), Status::fill_price_off_tick);
  // Bob's short is healthy: Alice cannot liquidate it (she would need her own sub-account).
  rejected(Liquidate{kAlice, kAliceIsolated, kBobMain, kPerp, qty("0.1"), price("45500")},
           Status::account_healthy);
  // check_health: nothing to end for Bob, nothing new to start for Alice once started.
  rejected(CheckHealth{kBobMain}, Status::health_unchanged);
  ok(CheckHealth{kAliceMain});
  rejected(CheckHealth{kAliceMain}, Status::health_unchanged);
  rejected(CheckHealth{SubAccountId{999}}, Status::sub_account_unknown);
  // Prices gone stale still allow a liquidation (Drift's policy), so the rejection is the rule's:
  // a minute into the episode the bonus is 1.4%, the size that restores the target 0.141.
  let_prices_go_stale();
  rejected(liquidate(kAliceMain, "0.2", "45045"), Status::liquidation_too_large);
}

TEST_F(EngineLiquidationTest, AHealedGroupEndsItsEpisodeOnCheck) {
  open_underwater_long();
  ok(CheckHealth{kAliceMain});
  set_prices("48000");
  ok(CheckHealth{kAliceMain});
  EXPECT_FALSE(episode(kAliceCross).has_value());
}

TEST_F(EngineLiquidationTest, EpisodesAndRulesSurviveASnapshot) {
  open_underwater_long();
  ok(CheckHealth{kAliceMain});
  ok(liquidate(kAliceMain, "0.05", "45045"));
  ASSERT_TRUE(episode(kAliceCross).has_value());
  Result<Engine> restored = Engine::restore(engine_.snapshot());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->state_hash(), engine_.state_hash());
  EXPECT_EQ(restored->liquidation_episodes(), engine_.liquidation_episodes());
  EXPECT_EQ(restored->options().liquidation, engine_.options().liquidation);
}

TEST(LiquidationRulesTest, InvalidRulesAreNamed) {
  const auto error_of = [](LiquidationRules rules) {
    EngineOptions options;
    options.liquidation = rules;
    Result<Engine> made = Engine::make(venue(), options);
    return made.ok() ? std::string("ok") : made.error().message;
  };
  LiquidationRules rules;
  EXPECT_EQ(error_of(rules), "ok");
  rules.sizing.close_factor = Ratio{};
  EXPECT_EQ(error_of(rules), "liquidation.close_factor: must be in (0, 1]");
  rules = {};
  rules.auction.max_bonus = Ratio::from_raw(rules.auction.min_bonus.raw() - 1);
  EXPECT_EQ(error_of(rules), "liquidation.max_bonus: must be >= min_bonus");
  rules = {};
  rules.sizing.stages.backstop_below = Ratio::from_raw(960'000'000'000);
  EXPECT_EQ(error_of(rules), "liquidation.backstop_below: must be in [0, full_close_below]");
  rules = {};
  rules.account_window_ns = 0;
  EXPECT_EQ(error_of(rules), "liquidation.account_window_ns: must be > 0");
}

}  // namespace
}  // namespace ballast

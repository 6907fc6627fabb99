// The agents (agents.hpp) in a World built by hand on the engine tests' venue
// (engine/testing/margin_venue.hpp: BTC-PERP at 10% initial, 5% maintenance, lot 0.001, tick
// 0.1; no fees, no latency add-on): one trader and one liquidator over a scripted BTC path,
// every figure worked out by hand below.
#include "ballast/sim/agents.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "ballast/engine/testing/margin_venue.hpp"

namespace ballast::sim {
namespace {

using namespace engine_testing;

constexpr AccountId kLiquidatorAccount{100};
constexpr SubAccountId kLiquidatorSub{100};
constexpr SubAccountId kTraderSub{1000};

Venue deep_pool_at(double price) {
  // 10^12 of quote: selling 0.062 BTC moves the average by ~3e-9 of the price, under a tick.
  Result<ConstantProductPool> pool = ConstantProductPool::make({"BTC", 1e12 / price, 1e12, 0.0, 600.0});
  EXPECT_TRUE(pool.ok());
  return *pool;
}

void set_btc(World& world, const char* at) {
  ASSERT_EQ(world.submit(OraclePrice{kBtc, price(at), price(at)}), Status::ok);
  for (const InstrumentId id : {kPerp, kFuture, kSpot}) ASSERT_EQ(world.submit(MarkPrice{id, price(at)}), Status::ok);
}

World hand_world() {
  Result<Engine> engine = Engine::make(venue(), EngineOptions{});
  EXPECT_TRUE(engine.ok());
  World world(std::move(*engine), 1, kT0 + 60 * kSecond, 300.0,
              {TradedMarket{0, kBtc, venue().find_market(kPerp)->instrument}}, {deep_pool_at(50'000)});
  world.submit(ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll});
  world.submit(ListAsset{kBtc, "BTC", 8, kAssetFlagsAll});
  set_btc(world, "50000");
  world.submit(CreateAccount{kLiquidatorAccount});
  world.submit(CreateSubAccount{kLiquidatorAccount, kLiquidatorSub, MarginMode::cross});
  world.submit(Deposit{kLiquidatorAccount, kLiquidatorSub, kUsdc, Amount::from_raw(usdc(1'000'000))});
  return world;
}

// Traders that only open (no fee, no trading, no answer to a margin call in these paths).
TraderParams still_traders() {
  TraderParams params;
  params.fee_rate = 0.0;
  params.act_probability = 0.0;
  params.margin_call_delay_steps = 1'000;
  return params;
}

// A liquidator that bids every listed group at once: no latency, gas, threshold or outage.
Agent eager_liquidator(double capital_quote) {
  LiquidatorParams params;
  params.latency_steps = 0;
  params.gas_quote = 0.0;
  params.min_profit_quote = 0.0;
  params.outage_probability = 0.0;
  params.capital_quote = capital_quote;
  return Liquidator(params, kLiquidatorAccount, kLiquidatorSub, CounterRng(1, 2));
}

// One trader, long 1 BTC at 50,000 on 10,000 USDC (5x). Its equity at price P is
// 10,000 + (P − 50,000) and its maintenance requirement 0.05 P, so it is liquidatable below
// P = 40,000 / 0.95 = 42,105.26: not at 48,000 or 45,000, first at 42,000 (step 3), where
// equity 2,000 < requirement 2,100 (health −100).
//
// The liquidator (no latency, gas or threshold) bids there. The auction has just started: bonus
// 1%, so its price is 42,000 × 0.99 = 41,580 (the bankruptcy price of 0.085 BTC is below 0). It
// sizes the bid as the engine's rules do (liquidation::size_liquidation): restore health to 2% of
// the requirement (42) plus the 3 micro-unit rounding allowance; each BTC closed releases 2,100 of
// requirement and costs 420 of discount, so 142.000003 / 1,680 = 0.08452 -> 0.085 BTC on the lot
// (50% close factor: coverage 2,000 / 2,100 = 0.952 is above 0.95; the remainder is no dust and
// the caps are far). Its first bid, 0.085 BTC, is taken:
//   trader:     realizes (41,580 − 50,000) × 0.085 = −715.70: 9,284.30 USDC, 0.915 BTC left;
//   insurance:  the protocol's 10% of the discount, 420 × 0.085 × 0.1 = 3.57 USDC;
//   liquidator: sells 0.085 into the pool at 41,999.9 (the average, 41,999.99985, down to the
//               tick): (41,999.9 − 41,580) × 0.085 = 35.6915, less the 3.57: +32.1215 USDC.
// At step 4 (42,000 again) the trader's equity is 9,284.30 + 0.915 × (42,000 − 50,000) =
// 1,964.30 against 0.05 × 38,430 = 1,921.5: healthy, not listed.
TEST(Agents, OneTraderOneLiquidatorByHand) {
  World world = hand_world();
  Traders traders(still_traders(), {TraderSpec{AccountId{1000}, kTraderSub, 0, true, 5.0, 10'000.0}}, CounterRng(1, 1));
  traders.open_all(world);
  ASSERT_EQ(world.counts().rejected, 0u);
  ASSERT_EQ(world.engine().ledger().position(kTraderSub, kPerp)->size, qty("1"));
  Agent liquidator = eager_liquidator(1'000'000.0);
  Agent crowd = std::move(traders);
  world.reset_counts();

  const std::vector<const char*> path{"48000", "45000", "42000", "42000"};
  const std::vector<double> path_d{48'000, 45'000, 42'000, 42'000};
  std::vector<std::size_t> listed;
  for (std::uint32_t t = 1; t <= path.size(); ++t) {
    world.begin_step(t);
    set_btc(world, path[t - 1]);
    world.venue(0) = deep_pool_at(path_d[t - 1]);
    world.scan();
    listed.push_back(world.at_risk().size());
    if (t == 3) {
      ASSERT_EQ(world.at_risk().size(), 1u);
      const AtRiskGroup& group = world.at_risk()[0];
      EXPECT_EQ(group.sub_account, kTraderSub);
      EXPECT_FALSE(group.bankrupt);
      EXPECT_EQ(group.equity, money("2000"));
      EXPECT_EQ(group.maintenance_requirement, money("2100"));
      EXPECT_EQ(group.maintenance_health, money("-100"));
      EXPECT_EQ(group.since_step, 3u);
    }
    act(crowd, world);
    act(liquidator, world);
    EXPECT_TRUE(world.engine().ledger().conserves_value());
  }
  EXPECT_EQ(listed, (std::vector<std::size_t>{0, 0, 1, 0}));
  EXPECT_EQ(world.counts().liquidations, 1u);
  EXPECT_EQ(world.counts().rejected, 0u);  // the first bid is the rules' 0.085
  EXPECT_EQ(world.counts().liquidation_volume_units, 3'534'300'000);  // 0.085 × 41,580
  const Ledger& ledger = world.engine().ledger();
  EXPECT_EQ(ledger.position(kTraderSub, kPerp)->size, qty("0.915"));
  EXPECT_EQ(ledger.balance(kTraderSub, kUsdc).raw(), usdc(9'284) + 300'000);
  EXPECT_EQ(ledger.balance(SubAccountId{kInsuranceFund.value}, kUsdc).raw(), 3'570'000);
  EXPECT_EQ(ledger.position(kLiquidatorSub, kPerp), nullptr);
  EXPECT_EQ(ledger.balance(kLiquidatorSub, kUsdc).raw(), usdc(1'000'032) + 121'500);
}

// A crowd on a falling path: 200 traders (draw_traders, at most 9x on the venue's 10% initial
// margin) ride BTC down 1% a step from 50,000 for 30 steps (to 36,985), five minutes a step, so
// episodes stay open across steps while the auction's bonus rises from 1% to 5%: at 5% a unit
// closed costs what its 5% maintenance releases and the rules let the whole position go within
// the caps. The liquidator's capital (20,000: at most 10x, 200,000 of notional a bid) cuts many
// bids below what the rules allow. Nobody else acts, so every rejection would be the
// liquidator's: every bid is within the rules (no liquidation_too_large, nothing else either).
TEST(Agents, EveryBidOfACrashIsWithinTheRules) {
  World world = hand_world();
  TraderParams trader_params = still_traders();
  trader_params.leverage_max = 9.0;
  Traders traders(trader_params, draw_traders(trader_params, 3, 5, 200, 1, 1'000), CounterRng(1, 1));
  traders.open_all(world);
  ASSERT_EQ(world.counts().rejected, 0u);
  Agent liquidator = eager_liquidator(20'000.0);
  world.reset_counts();
  std::uint64_t listed = 0;
  double btc = 50'000.0;
  for (std::uint32_t t = 1; t <= 30; ++t) {
    btc *= 0.99;
    const auto on_tick = price_on_tick(btc, venue().find_market(kPerp)->instrument, false);
    ASSERT_TRUE(on_tick.has_value());
    world.begin_step(t);
    ASSERT_EQ(world.submit(OraclePrice{kBtc, *on_tick, *on_tick}), Status::ok);
    for (const InstrumentId id : {kPerp, kFuture, kSpot}) ASSERT_EQ(world.submit(MarkPrice{id, *on_tick}), Status::ok);
    world.venue(0) = deep_pool_at(to_double(*on_tick));
    world.scan();
    listed += world.at_risk().size();
    act(liquidator, world);
    EXPECT_TRUE(world.engine().ledger().conserves_value());
  }
  EXPECT_GT(listed, 100u);
  EXPECT_GT(world.counts().liquidations, 50u);
  EXPECT_EQ(world.counts().rejected, 0u);
}

// The population is a function of (seed, scenario): the same draws on every call, sorted by
// sub-account, leverage within [1, max], both sides and every market used.
TEST(Agents, TraderPopulationIsAFunctionOfSeedAndScenario) {
  const TraderParams params;
  const std::vector<TraderSpec> a = draw_traders(params, 7, 42, 500, 3, 10'000);
  const std::vector<TraderSpec> b = draw_traders(params, 7, 42, 500, 3, 10'000);
  const std::vector<TraderSpec> c = draw_traders(params, 8, 42, 500, 3, 10'000);
  ASSERT_EQ(a.size(), 500u);
  std::size_t longs = 0;
  std::vector<std::size_t> per_market(3);
  bool differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].sub_account, SubAccountId{10'000 + i});
    EXPECT_EQ(a[i].leverage, b[i].leverage);
    EXPECT_EQ(a[i].collateral_quote, b[i].collateral_quote);
    EXPECT_GE(a[i].leverage, 1.0);
    EXPECT_LE(a[i].leverage, params.leverage_max);
    if (a[i].long_side) ++longs;
    ++per_market[a[i].market];
    differs = differs || a[i].leverage != c[i].leverage;
  }
  EXPECT_TRUE(differs);
  EXPECT_GT(longs, 200u);
  EXPECT_LT(longs, 300u);
  for (const std::size_t n : per_market) EXPECT_GT(n, 100u);
}

}  // namespace
}  // namespace ballast::sim

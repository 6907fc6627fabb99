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

// x = 100 BTC, y = 5,000,000 USDC (50,000 per BTC), no fee: x·y = k = 5·10^8.
Venue pool_100_btc() {
  Result<ConstantProductPool> pool = ConstantProductPool::make({"BTC", 100.0, 5'000'000.0, 0.0, 600.0});
  EXPECT_TRUE(pool.ok());
  return *pool;
}

void open_trader_account(World& world, std::int64_t deposit_usdc) {
  world.submit(CreateAccount{AccountId{1000}});
  world.submit(CreateSubAccount{AccountId{1000}, kTraderSub, MarginMode::cross});
  world.submit(Deposit{AccountId{1000}, kTraderSub, kUsdc, Amount::from_raw(usdc(deposit_usdc))});
}

// A flat trader (5x on 10,000 USDC at 50,000: 1 BTC) picked at step 1 opens through the pool.
// Buying Δ = 1 of x = 100 costs y·Δ / (x − Δ) = 5·10^6 / 99 = 50,505.0505...: the fill is at
// 50,505.1 (up to the 0.1 tick, against the buyer) and the pool's mid moves to k / 99² =
// 5·10^8 / 9,801 = 51,015.2025... Selling half of it back, Δ = 0.5 into x = 99, y = k / 99,
// pays y / (x + Δ) = 5·10^8 / 9,850.5 = 50,758.8457... each: a fill at 50,758.8 (down), and the
// mid is k / 99.5² = 5·10^8 / 9,900.25.
TEST(Agents, TraderTradesMoveTheConstantProductPoolByItsClosedForm) {
  World world = hand_world();
  world.venue(0) = pool_100_btc();
  open_trader_account(world, 10'000);
  TraderParams params;
  params.fee_rate = 0.0;
  params.act_probability = 1.0;  // capped at 1 − 10^-6: the one trader acts
  Agent crowd = Traders(params, {TraderSpec{AccountId{1000}, kTraderSub, 0, true, 5.0, 10'000.0}}, CounterRng(1, 1));
  world.begin_step(1);
  set_btc(world, "50000");
  world.scan();
  act(crowd, world);
  const auto& pool = std::get<ConstantProductPool>(world.venue(0));
  EXPECT_EQ(pool.reserve_base(), 99.0);
  EXPECT_NEAR(pool.price(), 5e8 / 9'801.0, 1e-12 * pool.price());
  const market::Position* held = world.engine().ledger().position(kTraderSub, kPerp);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->size, qty("1"));
  EXPECT_EQ(held->cost_basis, money("50505.1"));

  ASSERT_TRUE(trade_through_venue(world, 0, AccountId{1000}, kTraderSub, qty("-0.5"), 0.0));
  EXPECT_EQ(pool.reserve_base(), 99.5);
  EXPECT_NEAR(pool.price(), 5e8 / 9'900.25, 1e-12 * pool.price());
  EXPECT_EQ(world.engine().ledger().position(kTraderSub, kPerp)->size, qty("0.5"));
  // Realized on the half: (50,758.8 − 50,505.1) × 0.5 = 126.85.
  EXPECT_EQ(world.engine().ledger().position(kTraderSub, kPerp)->realized_pnl, money("126.85"));
  EXPECT_EQ(world.counts().rejected, 0u);
}

// Nothing moves when the venue cannot fill the size or the engine refuses the fill.
TEST(Agents, ATradeTheVenueOrTheEngineRefusesMovesNothing) {
  World world = hand_world();
  open_trader_account(world, 100);
  // A book with 0.5 BTC a side: a 1 BTC buy does not fit, and no event is submitted.
  Result<DepthCurveBook> book = DepthCurveBook::make({"BTC", 50'000.0, 0.5, 0.05, 1.0, 600.0});
  ASSERT_TRUE(book.ok());
  world.venue(0) = *book;
  const std::uint64_t applied = world.counts().applied;
  EXPECT_FALSE(trade_through_venue(world, 0, AccountId{1000}, kTraderSub, qty("1"), 0.0));
  EXPECT_EQ(world.counts().applied, applied);
  EXPECT_EQ(world.counts().rejected, 0u);
  EXPECT_EQ(std::get<DepthCurveBook>(world.venue(0)).consumed_base(Side::buy), 0.0);
  // 100 USDC cannot carry 1 BTC at 10% initial margin: the engine says insufficient_margin and
  // the pool keeps its reserves.
  world.venue(0) = pool_100_btc();
  EXPECT_FALSE(trade_through_venue(world, 0, AccountId{1000}, kTraderSub, qty("1"), 0.0));
  EXPECT_EQ(world.counts().rejected, 1u);
  EXPECT_EQ(std::get<ConstantProductPool>(world.venue(0)).reserve_base(), 100.0);
  EXPECT_EQ(world.engine().ledger().position(kTraderSub, kPerp), nullptr);
  // With 10,000 more it is accepted, and only then does the pool give up the BTC.
  world.submit(Deposit{AccountId{1000}, kTraderSub, kUsdc, Amount::from_raw(usdc(10'000))});
  EXPECT_TRUE(trade_through_venue(world, 0, AccountId{1000}, kTraderSub, qty("1"), 0.0));
  EXPECT_EQ(std::get<ConstantProductPool>(world.venue(0)).reserve_base(), 99.0);
}

// The BTC oracle at `oracle`, BTC-PERP marked at `perp_mark`, the other markets at the oracle.
void set_btc_and_perp(World& world, const char* oracle, const char* perp_mark) {
  set_btc(world, oracle);
  ASSERT_EQ(world.submit(MarkPrice{kPerp, price(perp_mark)}), Status::ok);
}

// Funding from mark vs oracle (the test venue's BTC-PERP: hourly interval, clamp 4%, no base
// rate). Mark 53,000 over an oracle of 50,000 is a premium of 6%, clamped to 4% an hour: the
// index moves 0.04 × 50,000 = 2,000 an hour (market/funding.hpp, funding_index_step). The first
// accrual (step 1) starts the clock; the second, 72 steps of 300 s later, accrues 6 hours:
// 12,000. The long trader (1 BTC at 50,000 on 10,000) then owes 12,000: equity 10,000 + 3,000
// − 12,000 = 1,000 against a maintenance requirement of 5% of 53,000 = 2,650, which the scan
// lists (its mirror booked the index: a repricing refuses an index it has not).
TEST(Agents, FundingFromMarkOverOracleMovesTheIndexByTheClampedRate) {
  World world = hand_world();
  TraderParams params;
  params.fee_rate = 0.0;
  Traders(params, {TraderSpec{AccountId{1000}, kTraderSub, 0, true, 5.0, 10'000.0}}, CounterRng(1, 1)).open_all(world);
  world.scan();
  for (const std::uint32_t step : {1u, 73u}) {
    world.begin_step(step);
    set_btc_and_perp(world, "50000", "53000");
    const std::optional<AccrueFunding> event = funding_event(world, 0, 500.0);
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(*event, (AccrueFunding{kPerp, Price{}, Price{}}));  // premium from mark: no impact prices
    ASSERT_EQ(world.accrue_funding(*event), Status::ok);
    EXPECT_EQ(world.engine().prices().book.find_market(kPerp)->funding_index,
              step == 1 ? market::FundingIndex{} : market::FundingIndex::from_raw(12'000'000'000'000));
    world.scan();
  }
  ASSERT_EQ(world.at_risk().size(), 1u);
  EXPECT_EQ(world.at_risk()[0].equity, money("1000"));
  EXPECT_EQ(world.at_risk()[0].maintenance_requirement, money("2650"));
}

// dYdX's impact premium: the event carries the venue's impact prices for 500 USDC / IMF 10% =
// 5,000 USDC, 0.1 BTC at the pool's 50,000. Selling 0.1 into x = 100, y = 5·10^6 pays
// y / (x + 0.1) = 49,950.04995004995... (down to 9 decimals: 49,950.049950049); buying 0.1
// costs y / (x − 0.1) = 50,050.05005005005... (up: 50,050.050050051). Over an oracle of 49,000
// the premium is (49,950.049950049 − 49,000) / 49,000 = 0.019388774490 (toward zero, 12
// decimals) and an hour's index step 0.019388774490 × 49,000 = 950.04995001.
TEST(Agents, ImpactPremiumFundingTakesTheVenuesImpactPrices) {
  margin::RiskConfig risk = venue();
  risk.markets[0].instrument.funding.impact_premium = true;
  Result<Engine> engine = Engine::make(risk, EngineOptions{});
  ASSERT_TRUE(engine.ok());
  World world(std::move(*engine), 1, kT0 + 60 * kSecond, 300.0, {TradedMarket{0, kBtc, risk.markets[0].instrument}},
              {pool_100_btc()});
  world.submit(ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll});
  world.submit(ListAsset{kBtc, "BTC", 8, kAssetFlagsAll});
  for (const std::uint32_t step : {1u, 13u}) {
    world.begin_step(step);
    set_btc(world, "49000");
    const std::optional<AccrueFunding> event = funding_event(world, 0, 500.0);
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(event->impact_bid, Price::from_raw(49'950'049'950'049));
    EXPECT_EQ(event->impact_ask, Price::from_raw(50'050'050'050'051));
    ASSERT_EQ(world.accrue_funding(*event), Status::ok);
  }
  EXPECT_EQ(world.engine().prices().book.find_market(kPerp)->funding_index,
            market::FundingIndex::from_raw(950'049'950'010));
  // The impact prices are priced, not traded: the pool has not moved.
  EXPECT_EQ(std::get<ConstantProductPool>(world.venue(0)).reserve_base(), 100.0);
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

// The reference margin calculator (account.hpp): hand-computed groups (a perp long with its
// liquidation price, spot collateral at the stable price, a borrow, the PnL cap, isolated-only
// collateral, a covered short call), dYdX's liquidation fixture, bad input as statuses, max
// withdrawable, the pre-trade check; properties: more collateral never lowers health, a
// risk-reducing fill always passes, requirements never round below the exact figure.

#include "ballast/margin/account.hpp"
#include "ballast/core/testing/fixed_text.hpp"
#include "ballast/margin/testing/venue_fixtures.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace ballast::margin {
namespace {

using namespace testing;

constexpr AssetId kUsdc{1};
constexpr AssetId kBtc{2};
constexpr AssetId kEth{3};
constexpr AssetId kTail{4};
constexpr InstrumentId kBtcPerp{10};
constexpr InstrumentId kBtcCall{11};
constexpr InstrumentId kBtcSpot{12};
constexpr InstrumentId kBtcCall60{13};
constexpr TimestampNs kExpiryNs = 1'900'000'000'000'000'000;

// USDC at weight 1; BTC collateral at 0.8 initial / 0.9 maintenance, borrows at 1.2 / 1.1; ETH
// likewise; TAIL only as isolated collateral. BTC-PERP at 10% / 5% of notional; BTC calls.
RiskConfig venue() {
  RiskConfig config;
  config.quote = kUsdc;
  config.assets = {asset(kUsdc, "USDC", 6), asset(kBtc, "BTC", 8, "0.8", "0.9", "1.1", "1.2"),
                   asset(kEth, "ETH", 9, "0.8", "0.9", "1.1", "1.2"),
                   asset(kTail, "TAIL", 6, "0.5", "0.6", "1.5", "2")};
  config.assets.back().collateral.isolated_only = true;
  const auto call = [](InstrumentId id, const char* symbol, const char* strike) {
    return market_risk(option({.id = id, .symbol = symbol, .expiry_ns = kExpiryNs}, strike, market::OptionKind::call));
  };
  config.markets = {market_risk(instrument({.id = kBtcPerp, .symbol = "BTC-PERP"}), BaseRule{ratio("0.1"), ratio("0.05")}),
                    call(kBtcCall, "BTC-55000-C", "55000"),
                    market_risk(instrument({.id = kBtcSpot, .symbol = "BTC-USDC", .kind = market::InstrumentKind::spot})),
                    call(kBtcCall60, "BTC-60000-C", "60000")};
  EXPECT_TRUE(config.validate().ok()) << config.validate().error().message;
  return config;
}

PriceBook prices(const char* btc_oracle = "50000", const char* btc_stable = "50000") {
  PriceBook book;
  book.assets = {asset_price(kBtc, btc_oracle, btc_stable), asset_price(kEth, "3000", "3100"),
                 asset_price(kTail, "2")};
  book.markets = {market_price(kBtcPerp, btc_oracle), market_price(kBtcCall, "1000"),
                  market_price(kBtcSpot, btc_oracle), market_price(kBtcCall60, "400")};
  return book;
}

SubAccountBook sub_account(std::uint64_t id, std::vector<Balance> balances,
                           std::vector<HeldPosition> positions = {},
                           MarginMode mode = MarginMode::cross) {
  return testing::sub_account(SubAccountId{id}, AccountId{100}, std::move(balances), std::move(positions), mode);
}

Balance usdc(const char* whole) {
  return {kUsdc, Amount::from_raw(Money::parse(whole, Round::down).value().raw())};
}

HeldPosition perp_position(const char* size, const char* cost_basis, const char* snapshot = "0") {
  return held(kBtcPerp, size, cost_basis, snapshot);
}

GroupMargin margin_of(const std::vector<SubAccountBook>& group, const PriceBook& book = prices()) {
  const MarginOutcome out = evaluate(venue(), book, group);
  EXPECT_EQ(out.status, MarginStatus::ok) << out.where;
  return out.margin;
}

// 10,000 USDC and 1 BTC-PERP long bought at 50,000, marked at 50,000: equity 10,000, IM 5,000,
// MM 2,500. Maintenance health 7,500 falls by 1 − 0.05 = 0.95 per dollar of BTC, so it reaches
// 0 at 50,000 − 7,500 / 0.95 = 42,105.263157894..., rounded up for a long: 42,105.263157895.
// Check: at that price PnL −7,894.74, MM 2,105.26, health 10,000 − 7,894.74 − 2,105.26 = 0.
TEST(AccountMargin, PerpLongByHand) {
  const GroupMargin m = margin_of({sub_account(20, {usdc("10000")}, {perp_position("1", "50000")})});
  EXPECT_EQ(m.equity, money("10000"));
  EXPECT_EQ(m.initial_requirement, money("5000"));
  EXPECT_EQ(m.maintenance_requirement, money("2500"));
  EXPECT_EQ(m.initial_health(), money("5000"));
  EXPECT_EQ(m.maintenance_health(), money("7500"));
  EXPECT_EQ(m.free_collateral(), money("5000"));
  EXPECT_FALSE(m.liquidatable());
  const PositionMargin& p = m.sub_accounts[0].positions[0];
  EXPECT_EQ(p.notional, money("50000"));
  ASSERT_TRUE(p.liquidation_price);
  EXPECT_EQ(*p.liquidation_price, price("42105.263157895"));
}

// A short's liquidation price is above the mark: health 7,500 falls by 1 + 0.05 per dollar,
// 50,000 + 7,500 / 1.05 = 57,142.857142857... rounded down for a short.
TEST(AccountMargin, PerpShortLiquidationPriceAboveTheMark) {
  const GroupMargin m = margin_of({sub_account(20, {usdc("10000")}, {perp_position("-1", "-50000")})});
  EXPECT_EQ(m.maintenance_health(), money("7500"));
  EXPECT_EQ(*m.sub_accounts[0].positions[0].liquidation_price, price("57142.857142857"));
}

// The liquidation price counts a gain at the weight health counts it at: with the maintenance
// PnL weight at 0.5, a long bought at 40,000 marked at 50,000 credits 5,000 of its 10,000; health
// 1,000 + 5,000 − 2,500 = 3,500 falls by 0.5 − 0.05 = 0.45 per dollar while the PnL stays
// positive: 0 at 50,000 − 3,500 / 0.45 = 42,222.2222..., up for a long (still in profit there,
// so the linear piece holds). A slope of 0.95 (the gain in full) would say 46,315.79, where
// health is still 1,842.
TEST(AccountMargin, LiquidationPriceCountsTheGainAtItsWeight) {
  RiskConfig config = venue();
  config.pnl.maintenance_weight = ratio("0.5");
  config.pnl.initial_weight = ratio("0.5");
  const std::vector<SubAccountBook> group{sub_account(20, {usdc("1000")}, {perp_position("1", "40000")})};
  const MarginOutcome out = evaluate(config, prices(), group);
  ASSERT_EQ(out.status, MarginStatus::ok);
  EXPECT_EQ(out.margin.maintenance_health(), money("3500"));
  EXPECT_EQ(*out.margin.sub_accounts[0].positions[0].liquidation_price, price("42222.222222223"));
}

// Positions are valued at their mark, balances at the oracle: the liquidation price moves every
// price of the underlying together (the basis held) and is quoted in the position's own mark.
// 1 BTC of collateral (0.9) against a short of 1 BTC-PERP sold at 50,000 and marked at 50,100
// (the oracle 50,000): health 45,000 − 100 − 2,505 = 42,395, moving by 0.9 − 1 − 0.05 = −0.15 per
// dollar: 0 at a mark of 50,100 + 42,395 / 0.15 = 332,733.333..., down for a short. There the
// oracle is 332,633.333...: 0.9 × 332,633.33 − 282,733.33 − 16,636.67 = 0.
TEST(AccountMargin, LiquidationPriceMovesMarkAndOracleTogether) {
  PriceBook book = prices();
  book.markets[0].mark = price("50100");
  const std::vector<SubAccountBook> group{
      sub_account(20, {{kBtc, Amount::from_raw(100'000'000)}}, {perp_position("-1", "-50000")})};
  const MarginOutcome out = evaluate(venue(), book, group);
  ASSERT_EQ(out.status, MarginStatus::ok);
  EXPECT_EQ(out.margin.maintenance_health(), money("42395"));
  EXPECT_EQ(*out.margin.sub_accounts[0].positions[0].liquidation_price, price("332733.333333333"));
}

// dYdX v4 x/clob/keeper/liquidations_test.go (TestGetFillablePrice fixture; research
// defi-engines.md E1): BTC at 50,000, a 0.1 BTC long, USDC −4,501 in dYdX's accounting, so net
// collateral 499 against a maintenance requirement of 500 (MMF 10%): liquidatable. In ours the
// position's cost (5,000) sits in its basis and the quote balance holds the rest (499).
TEST(AccountMargin, DydxLiquidationFixtureIsLiquidatable) {
  RiskConfig config = venue();
  config.markets[0].rule = BaseRule{ratio("0.2"), ratio("0.1")};
  const std::vector<SubAccountBook> group{sub_account(20, {usdc("499")}, {perp_position("0.1", "5000")})};
  const MarginOutcome out = evaluate(config, prices(), group);
  ASSERT_EQ(out.status, MarginStatus::ok);
  EXPECT_EQ(out.margin.equity, money("499"));
  EXPECT_EQ(out.margin.maintenance_requirement, money("500"));
  EXPECT_EQ(out.margin.maintenance_health(), money("-1"));
  EXPECT_TRUE(out.margin.liquidatable());
  // One more dollar of collateral and it is not.
  const std::vector<SubAccountBook> topped{sub_account(20, {usdc("500")}, {perp_position("0.1", "5000")})};
  EXPECT_FALSE(evaluate(config, prices(), topped).margin.liquidatable());
}

// 1 BTC of collateral (8 decimals) with the oracle at 50,000 and the stable price at 48,000:
// initial counts it at min(oracle, stable) × 0.8 = 38,400, maintenance at 50,000 × 0.9 = 45,000.
TEST(AccountMargin, SpotCollateralAtTheStablePriceForInitial) {
  const GroupMargin m = margin_of({sub_account(20, {{kBtc, Amount::from_raw(100'000'000)}})},
                                  prices("50000", "48000"));
  EXPECT_EQ(m.equity, money("50000"));
  EXPECT_EQ(m.initial_collateral, money("38400"));
  EXPECT_EQ(m.maintenance_collateral, money("45000"));
}

// A borrow of 1 ETH (9 decimals), oracle 3,000 and stable 3,100: initial counts the debt at
// max(oracle, stable) × 1.2 = 3,720, maintenance at 3,000 × 1.1 = 3,300.
TEST(AccountMargin, BorrowAtTheHigherPriceAndLiabilityWeight) {
  const GroupMargin m = margin_of(
      {sub_account(20, {usdc("5000"), {kEth, Amount::from_raw(-1'000'000'000)}})});
  EXPECT_EQ(m.equity, money("2000"));
  EXPECT_EQ(m.initial_collateral, money("1280"));      // 5,000 − 3,720
  EXPECT_EQ(m.maintenance_collateral, money("1700"));  // 5,000 − 3,300
}

// Positive PnL counts × 0.5 and at most 100 toward initial margin, in full toward maintenance:
// a long bought at 49,000 marked at 50,000 has 1,000 of PnL.
TEST(AccountMargin, PositivePnlHaircutAndCap) {
  RiskConfig config = venue();
  config.pnl.initial_weight = ratio("0.5");
  config.pnl.initial_cap = money("100");
  const std::vector<SubAccountBook> group{sub_account(20, {usdc("10000")}, {perp_position("1", "49000")})};
  const GroupMargin m = evaluate(config, prices(), group).margin;
  EXPECT_EQ(m.equity, money("11000"));
  EXPECT_EQ(m.initial_collateral, money("10100"));
  EXPECT_EQ(m.maintenance_collateral, money("11000"));
  EXPECT_EQ(m.sub_accounts[0].positions[0].unrealized_pnl, money("1000"));
}

// TAIL is collateral only for an isolated position: weight 0 in cross, 0.5 / 0.6 isolated.
TEST(AccountMargin, IsolatedOnlyCollateral) {
  const Balance tail{kTail, Amount::from_raw(1'000'000'000)};  // 1,000 TAIL at 2
  const GroupMargin cross = margin_of({sub_account(20, {tail})});
  EXPECT_EQ(cross.equity, money("2000"));
  EXPECT_EQ(cross.initial_collateral, Money{});
  const GroupMargin isolated = margin_of({sub_account(20, {tail}, {}, MarginMode::isolated)});
  EXPECT_EQ(isolated.initial_collateral, money("1000"));
  EXPECT_EQ(isolated.maintenance_collateral, money("1200"));
}

// A short 55,000 call (mark 1,000) against 1 BTC of spot, Deribit's rule: initial
// max(15% × 50,000 − 5,000 OTM, 10% × 50,000) + 1,000 = 6,000; maintenance 7.5% + mark = 4,750.
// A covered call's payoff is bounded only with the spot in the same set, which the option cap
// does not see: the requirement stays the naked one (conservative).
TEST(AccountMargin, ShortCallByDeribitRule) {
  const HeldPosition call = held(kBtcCall, "-1", "-1000");
  const GroupMargin m = margin_of({sub_account(20, {{kBtc, Amount::from_raw(100'000'000)}}, {call})});
  EXPECT_EQ(m.initial_requirement, money("6000"));
  EXPECT_EQ(m.maintenance_requirement, money("4750"));
  EXPECT_EQ(m.equity, money("49000"));  // 50,000 of BTC less the call's 1,000
  EXPECT_EQ(m.initial_collateral, money("40000"));
}

// A bear call spread, short the 55,000 call (mark 1,000) and long the 60,000 call (mark 400):
// the short alone needs 6,000 initial and 4,750 maintenance (above); the long adds 400 of
// collateral. The most the pair can lose at expiry is 5,000, so the initial net, 400 − 6,000 =
// −5,600, is capped at −5,000 (the long's value is then not counted twice: requirement
// 400 + 5,000 = 5,400); the maintenance net, 400 − 4,750 = −4,350, is already better.
TEST(AccountMargin, SpreadCappedAtItsMaximumLoss) {
  const HeldPosition short55 = held(kBtcCall, "-1", "-1000");
  const HeldPosition long60 = held(kBtcCall60, "1", "400");
  const GroupMargin m = margin_of({sub_account(20, {usdc("10000")}, {short55, long60})});
  EXPECT_EQ(m.initial_collateral, money("10400"));
  EXPECT_EQ(m.initial_requirement, money("5400"));
  EXPECT_EQ(m.initial_health(), money("5000"));
  EXPECT_EQ(m.maintenance_requirement, money("4750"));
  EXPECT_EQ(m.maintenance_health(), money("5650"));
  EXPECT_EQ(m.equity, money("9400"));
}

// A long call adds its value at the mark to collateral (2 × 1,000) and needs nothing.
TEST(AccountMargin, LongOptionCountsAtItsMark) {
  const HeldPosition call = held(kBtcCall, "2", "2000");
  const GroupMargin m = margin_of({sub_account(20, {usdc("100")}, {call})});
  EXPECT_EQ(m.equity, money("2100"));
  EXPECT_EQ(m.initial_collateral, money("2100"));
  EXPECT_EQ(m.initial_requirement, Money{});
}

// Cross sub-accounts of one owner share one health: collateral in one backs a position in the
// other.
TEST(AccountMargin, CrossGroupSharesHealth) {
  const GroupMargin m = margin_of({sub_account(20, {usdc("10000")}),
                                   sub_account(21, {}, {perp_position("1", "50000")})});
  EXPECT_EQ(m.initial_health(), money("5000"));
  ASSERT_EQ(m.sub_accounts.size(), 2u);
  EXPECT_EQ(m.sub_accounts[1].positions[0].initial_requirement, money("5000"));
}

TEST(AccountMargin, BadInputIsAStatusNamingWhat) {
  const RiskConfig config = venue();
  const MarginOutcome unknown_asset =
      evaluate(config, prices(), std::vector{sub_account(20, {{AssetId{99}, Amount::from_raw(1)}})});
  EXPECT_EQ(unknown_asset.status, MarginStatus::asset_unknown);
  EXPECT_EQ(unknown_asset.where, "asset 99");
  const MarginOutcome unknown_market = evaluate(
      config, prices(),
      std::vector{sub_account(20, {}, {held(InstrumentId{77}, "1", "0")})});
  EXPECT_EQ(unknown_market.status, MarginStatus::instrument_unknown);
  PriceBook no_btc = prices();
  no_btc.assets.erase(no_btc.assets.begin());
  const MarginOutcome missing =
      evaluate(config, no_btc, std::vector{sub_account(20, {{kBtc, Amount::from_raw(1)}})});
  EXPECT_EQ(missing.status, MarginStatus::price_missing);
  EXPECT_EQ(missing.where, "BTC");
}

TEST(AccountMargin, ValidateNamesOracleStablePriceAndPerpHealth) {
  RiskConfig config = venue();
  config.assets[1].oracle.min_sources = 0;
  EXPECT_EQ(config.validate().error().message,
            "asset BTC: oracle config: min_sources must be 1..16, got 0");
  config = venue();
  config.assets[2].stable_price.delay_interval_ns = 0;
  EXPECT_EQ(config.validate().error().message,
            "asset ETH: stable price config: delay_interval_ns must be positive, got 0");
  config = venue();
  config.markets[0].perp_health = PerpHealth::settle_weighted_net;  // BTC-PERP: allowed
  EXPECT_TRUE(config.validate().ok());
  config.markets[1].perp_health = PerpHealth::settle_weighted_net;  // an option: refused
  EXPECT_EQ(config.validate().error().message,
            "market BTC-55000-C: perp_health settle_weighted_net is for perpetuals and futures only");
  config = venue();
  config.markets[0].perp_health = PerpHealth::settle_weighted_net;
  config.markets[0].instrument.settle = kEth;
  EXPECT_EQ(config.validate().error().message,
            "market BTC-PERP: perp_health settle_weighted_net needs the quote as settle asset");
}

// BTC-PERP's cumulative funding index at `index`.
PriceBook prices_with_funding(const char* index) {
  PriceBook book = prices();
  book.markets[0].funding_index = funding_index(index);
  return book;
}

// A long of 2 BTC-PERP settled at index 10, the index now 13.5: it owes 2 × 3.5 = 7 USDC, lazily,
// and every figure sees it. 20,000 USDC, marked at its entry: equity 19,993; IM 10,000, MM
// 5,000; initial health 9,993, maintenance health 14,993, so 9,993 USDC may leave; maintenance
// health falls by 2 − 0.05 · 2 = 1.9 per dollar of BTC: 0 at 50,000 − 14,993 / 1.9 =
// 42,108.947368421052..., up for a long.
TEST(AccountMargin, PendingFundingChargedToEveryFigure) {
  const std::vector<SubAccountBook> group{sub_account(20, {usdc("20000")}, {perp_position("2", "100000", "10")})};
  const MarginOutcome out = evaluate(venue(), prices_with_funding("13.5"), group);
  ASSERT_EQ(out.status, MarginStatus::ok);
  const GroupMargin& m = out.margin;
  const PositionMargin& p = m.sub_accounts[0].positions[0];
  EXPECT_EQ(p.pending_funding, money("7"));
  EXPECT_EQ(p.unrealized_pnl, money("-7"));
  EXPECT_EQ(m.equity, money("19993"));
  EXPECT_EQ(m.initial_health(), money("9993"));
  EXPECT_EQ(m.maintenance_health(), money("14993"));
  EXPECT_EQ(m.free_collateral(), money("9993"));
  EXPECT_EQ(*p.liquidation_price, price("42108.947368422"));
  EXPECT_EQ(max_withdrawable(venue(), prices_with_funding("13.5"), m, group[0], kUsdc).raw(), 9'993'000'000);
  // The short side of the same move receives 7, as PnL (the policy's weight is 1 here).
  const std::vector<SubAccountBook> short_side{
      sub_account(20, {usdc("20000")}, {perp_position("-2", "-100000", "10")})};
  const GroupMargin receives = evaluate(venue(), prices_with_funding("13.5"), short_side).margin;
  EXPECT_EQ(receives.sub_accounts[0].positions[0].pending_funding, money("-7"));
  EXPECT_EQ(receives.equity, money("20007"));
}

// funding_payment rounds toward +∞: 0.001 contracts × an index move of 10⁻⁹ is 10⁻¹² USDC
// exactly; the long owes one micro-unit (the ceiling), the short receives nothing (the ceiling
// of −10⁻¹²).
TEST(AccountMargin, PendingFundingRoundsAgainstTheHolder) {
  const PriceBook book = prices_with_funding("10.000000001");
  const auto owed = [&](const char* size, const char* basis) {
    const std::vector<SubAccountBook> group{sub_account(20, {usdc("1000")}, {perp_position(size, basis, "10")})};
    return evaluate(venue(), book, group).margin.sub_accounts[0].positions[0].pending_funding;
  };
  EXPECT_EQ(owed("0.001", "50"), money("0.000001"));
  EXPECT_EQ(owed("-0.001", "-50"), Money{});
}

// Mango's perp1 = (base lots, quote position): ours a size of 10 units per lot, and a cost
// basis that is minus the quote position (the cash the position paid). The venue:
// venue_fixtures.hpp, mango_venue().
GroupMargin mango_health(const PricedVenue& venue, std::vector<HeldPosition> positions) {
  const std::vector<SubAccountBook> group{sub_account(20, {}, std::move(positions))};
  const MarginOutcome out = evaluate(venue.config, venue.prices, group);
  EXPECT_EQ(out.status, MarginStatus::ok) << out.where;
  return out.margin;
}

// Case 4 ("perp health"): +10 lots, quote +100: Init 0.8 · 0.95 · (100 + 0.8 · 10 · 50) = 380.
// Case 3 ("negative perp pnl is not weighted (only the settle token weight)"): +1 lot, quote
// −100: Init 1.2 · (−100 + 0.8 · 50) = −72. Exact here (Mango compares f64 within a tolerance).
// Maintenance is our figure by the same formula (Mango's test checks Init only):
// 0.9 · 0.98 · (100 + 0.9 · 500) = 485.1 and 1.1 · (−100 + 0.9 · 50) = −60.5.
//
// Where our model differs from Mango's, on purpose: Mango adds the perp's net to the settle
// token's balance and weights the sum (its cases 12 and 13: a positive net offsets a borrow at
// the asset weight); we weight each position's net alone and the quote balance at its own
// weight, which is never more generous (a + b weighted as one is at least a and b weighted
// apart when their signs differ). Cases 3 and 4 hold no settle-token balance, so both agree to
// the unit.
TEST(AccountMargin, MangoPerpHealthE10) {
  const PricedVenue venue = mango_venue();
  ASSERT_TRUE(venue.config.validate().ok());
  const GroupMargin case4 = mango_health(venue, {held(kMangoPerp, "100", "-100")});
  EXPECT_EQ(case4.initial_health(), money("380"));
  EXPECT_EQ(case4.maintenance_health(), money("485.1"));
  EXPECT_EQ(case4.equity, money("600"));                  // uPnL 500 + 100, unweighted
  EXPECT_EQ(case4.initial_requirement, money("100"));     // 0.2 × 500: still the requirement
  EXPECT_EQ(case4.maintenance_requirement, money("50"));  // so MMR > 0 for liquidatable()
  EXPECT_EQ(case4.sub_accounts[0].positions[0].initial_collateral, money("480"));  // 380 + 100
  const GroupMargin case3 = mango_health(venue, {held(kMangoPerp, "10", "100")});
  EXPECT_EQ(case3.initial_health(), money("-72"));
  EXPECT_EQ(case3.maintenance_health(), money("-60.5"));
  EXPECT_TRUE(case3.liquidatable());
  // A short: Mango's case 2 shape (−1 lot, quote +100): 0.8 · 0.95 · (100 − 1.2 · 50) = 30.4.
  const GroupMargin case2 = mango_health(venue, {held(kMangoPerp, "-10", "-100")});
  EXPECT_EQ(case2.initial_health(), money("30.4"));
}

// The cap is one per group and kind: positive PnL of pnl_less_requirement markets takes its
// credit first, the positive nets get what is left (before the settle weight). Case 4's net 500
// with an initial cap of 100: min(475, 100) × 0.8 = 80. With PERP-PNL's uPnL of 60 (1 lot
// bought for −10, worth 50) crediting 57 first, the net gets min(475, 100 − 57) × 0.8 = 34.4;
// health 57 − 10 (PERP-PNL's IM) + 34.4 = 81.4.
TEST(AccountMargin, SettleWeightedNetSharesThePnlCap) {
  PricedVenue venue = mango_venue();
  venue.config.pnl.initial_cap = money("100");
  EXPECT_EQ(mango_health(venue, {held(kMangoPerp, "100", "-100")}).initial_health(), money("80"));
  const GroupMargin both = mango_health(
      venue, {held(kMangoPerp, "100", "-100"), held(kMangoPerpPnl, "10", "-10")});
  EXPECT_EQ(both.initial_health(), money("81.4"));
  // Maintenance is uncapped here: 0.98 · 60 + 485.1 − 5 = 538.9.
  EXPECT_EQ(both.maintenance_health(), money("538.9"));
}

// 10,000 USDC and the perp long: initial health 5,000, so 5,000 USDC may leave; BTC collateral
// of 1 BTC at 40,000 initial credit (0.8 × 50,000) with health 5,000 → 5,000 / 40,000 BTC.
TEST(AccountMargin, MaxWithdrawableKeepsInitialHealth) {
  const RiskConfig config = venue();
  const std::vector<SubAccountBook> group{
      sub_account(20, {usdc("10000"), {kBtc, Amount::from_raw(100'000'000)}},
                  {perp_position("5", "250000")})};
  const GroupMargin m = evaluate(config, prices(), group).margin;
  // Collateral 10,000 + 40,000; requirement 25,000: health 25,000.
  EXPECT_EQ(m.initial_health(), money("25000"));
  EXPECT_EQ(max_withdrawable(config, prices(), m, group[0], kUsdc).raw(), 10'000'000'000);
  EXPECT_EQ(max_withdrawable(config, prices(), m, group[0], kBtc).raw(), 62'500'000);  // 0.625 BTC
  EXPECT_EQ(max_withdrawable(config, prices(), m, group[0], kEth).raw(), 0);
}

market::Fill fill(InstrumentId id, const char* size, const char* at, const char* fee = "0") {
  return {AccountId{100}, SubAccountId{20}, id, qty(size), price(at), money(fee)};
}

TEST(AccountPreTrade, PassesFailsAndReducesRisk) {
  const RiskConfig config = venue();
  const std::vector<SubAccountBook> group{sub_account(20, {usdc("10000")}, {perp_position("1", "50000")})};
  // Another BTC: requirement 10,000 against collateral 10,000: health exactly 0 passes.
  const PreTrade one_more = pre_trade_check(config, prices(), group, fill(kBtcPerp, "1", "50000"));
  EXPECT_EQ(one_more.status, PreTradeStatus::passes_initial);
  EXPECT_EQ(one_more.initial_health_after, Money{});
  // With a 1 USDC fee it breaches.
  const PreTrade with_fee = pre_trade_check(config, prices(), group, fill(kBtcPerp, "1", "50000", "1"));
  EXPECT_EQ(with_fee.status, PreTradeStatus::breaches_initial);
  EXPECT_EQ(with_fee.initial_health_after, money("-1"));
  // Deep underwater, selling part of the long only reduces risk: allowed.
  const std::vector<SubAccountBook> underwater{sub_account(20, {usdc("1000")}, {perp_position("1", "50000")})};
  const PreTrade reduce = pre_trade_check(config, prices("45000"), underwater, fill(kBtcPerp, "-0.5", "45000"));
  EXPECT_LT(reduce.initial_health_after.raw(), 0);
  EXPECT_EQ(reduce.status, PreTradeStatus::reduces_risk);
  // Flipping through zero is not a reduction.
  const PreTrade flip = pre_trade_check(config, prices("45000"), underwater, fill(kBtcPerp, "-2", "45000"));
  EXPECT_EQ(flip.status, PreTradeStatus::breaches_initial);
}

// Buying 0.1 BTC spot for 5,000 USDC: the quote balance pays, BTC arrives at weight 0.8.
TEST(AccountPreTrade, SpotFillMovesBalances) {
  const std::vector<SubAccountBook> group{sub_account(20, {usdc("5000")})};
  const PreTrade buy = pre_trade_check(venue(), prices(), group, fill(kBtcSpot, "0.1", "50000"));
  EXPECT_EQ(buy.status, PreTradeStatus::passes_initial);
  EXPECT_EQ(buy.initial_health_after, money("4000"));
}

// The fill settles what is owed: the position after it has the index now as its snapshot and
// the 7 USDC leave the quote balance, so health moves only by the fill's own requirement
// (0.001 BTC more at 10%: 5).
TEST(AccountPreTrade, FillSettlesPendingFunding) {
  const std::vector<SubAccountBook> group{sub_account(20, {usdc("20000")}, {perp_position("2", "100000", "10")})};
  const PreTrade more = pre_trade_check(venue(), prices_with_funding("13.5"), group, fill(kBtcPerp, "0.001", "50000"));
  EXPECT_EQ(more.status, PreTradeStatus::passes_initial);
  EXPECT_EQ(more.initial_health_before, money("9993"));
  EXPECT_EQ(more.initial_health_after, money("9988"));
}

// ---------------------------------------------------------------------------------------------
// Properties.

std::int64_t between(std::int64_t lo, std::int64_t hi) { return *rc::gen::inRange(lo, hi + 1); }

SubAccountBook random_sub_account() {
  std::vector<Balance> balances;
  balances.push_back({kUsdc, Amount::from_raw(between(-5'000'000'000, 50'000'000'000))});
  balances.push_back({kBtc, Amount::from_raw(between(-100'000'000, 200'000'000))});
  std::erase_if(balances, [](const Balance& b) { return b.amount.is_zero(); });
  std::vector<HeldPosition> positions;
  const std::int64_t size_lots = between(-2'000, 2'000);
  if (size_lots != 0) {
    const Quantity size = Quantity::from_raw(size_lots * 1'000'000);
    const Money basis = *notional(size, price("50000"), Round::up);
    positions.push_back({kBtcPerp, market::Position{size, basis, {}, {}}});
  }
  return sub_account(20, balances, positions);
}

RC_GTEST_PROP(AccountProperties, MoreCollateralNeverLowersHealth, ()) {
  const RiskConfig config = venue();
  const PriceBook book = prices(std::to_string(between(20'000, 80'000)).c_str(), "50000");
  SubAccountBook sub = random_sub_account();
  const MarginOutcome before = evaluate(config, book, std::vector{sub});
  RC_PRE(before.status == MarginStatus::ok);
  const AssetId asset = between(0, 1) == 0 ? kUsdc : kBtc;
  const std::int64_t added = between(1, 1'000'000'000);
  bool found = false;
  for (Balance& b : sub.balances) {
    if (b.asset == asset) {
      b.amount = Amount::from_raw(b.amount.raw() + added);
      found = true;
    }
  }
  if (!found) sub.balances.push_back({asset, Amount::from_raw(added)});
  std::erase_if(sub.balances, [](const Balance& b) { return b.amount.is_zero(); });
  std::sort(sub.balances.begin(), sub.balances.end(),
            [](const Balance& a, const Balance& b) { return a.asset < b.asset; });
  const MarginOutcome after = evaluate(config, book, std::vector{sub});
  RC_ASSERT(after.status == MarginStatus::ok);
  RC_ASSERT(after.margin.initial_health() >= before.margin.initial_health());
  RC_ASSERT(after.margin.maintenance_health() >= before.margin.maintenance_health());
}

RC_GTEST_PROP(AccountProperties, RiskReducingFillAlwaysPasses, ()) {
  const RiskConfig config = venue();
  const PriceBook book = prices(std::to_string(between(20'000, 80'000)).c_str(), "50000");
  const SubAccountBook sub = random_sub_account();
  RC_PRE(!sub.positions.empty());
  const std::int64_t held_lots = sub.positions[0].position.size.raw() / 1'000'000;
  const std::int64_t sign = held_lots > 0 ? 1 : -1;
  const std::int64_t close_lots = between(1, held_lots * sign);
  const market::Fill reduce{AccountId{100}, SubAccountId{20}, kBtcPerp,
                            Quantity::from_raw(-sign * close_lots * 1'000'000), book.markets[0].mark,
                            Money{}};
  const PreTrade check = pre_trade_check(config, book, std::vector{sub}, reduce);
  RC_ASSERT(pre_trade_allows(check.status));
}

// The liquidation price is where the calculator's own health crosses 0: for a healthy group,
// with every BTC price moved 0.1% of the way further, it is liquidatable; 0.1% short of it, not. (With
// the mark at the oracle and the PnL at full weight, health is linear in the price up to the
// calculator's micro-unit roundings, which the 0.1% margin covers.)
RC_GTEST_PROP(AccountProperties, LiquidationPriceBracketsTheCrossing, ()) {
  const RiskConfig config = venue();
  const std::string mark = std::to_string(between(20'000, 80'000));
  const SubAccountBook sub = random_sub_account();
  RC_PRE(!sub.positions.empty());
  const MarginOutcome out = evaluate(config, prices(mark.c_str(), mark.c_str()), std::vector{sub});
  RC_PRE(out.status == MarginStatus::ok && !out.margin.maintenance_health().is_negative() &&
         out.margin.sub_accounts[0].positions[0].liquidation_price.has_value());
  const double at = out.margin.sub_accounts[0].positions[0].liquidation_price->to_double();
  const double from = std::stod(mark);
  RC_PRE(std::abs(at - from) > 0.01 * from && at < 10'000'000);
  // A long's price within 0.1% of the mark's distance from zero has no positive price beyond it
  // to check (a price book holds positive prices only).
  RC_PRE(from + (at - from) * 1.001 > 0);
  const auto health_at = [&](double fraction) {
    const std::string shifted = Price::from_double(from + (at - from) * fraction, Round::down)->to_string();
    return evaluate(config, prices(shifted.c_str(), shifted.c_str()), std::vector{sub}).margin;
  };
  RC_ASSERT(health_at(1.001).liquidatable());
  RC_ASSERT(!health_at(0.999).maintenance_health().is_negative());
}

// The requirement of a perp position is never below notional × rate, computed exactly.
RC_GTEST_PROP(AccountProperties, RequirementNeverBelowExact, ()) {
  const RiskConfig config = venue();
  const std::int64_t mark_raw = between(1'000'000'000, 100'000'000'000'000);
  PriceBook book = prices();
  book.markets[0].mark = Price::from_raw(mark_raw / 100'000'000 * 100'000'000);  // on tick
  const SubAccountBook sub = random_sub_account();
  RC_PRE(!sub.positions.empty());
  const MarginOutcome out = evaluate(config, book, std::vector{sub});
  RC_ASSERT(out.status == MarginStatus::ok);
  const int128 size = sub.positions[0].position.size.raw();
  const int128 magnitude = size < 0 ? -size : size;
  // |size| (1e-9) × mark (1e-9) × 0.1 → Money (1e-6): exact value × 1e13 in raw units.
  const int128 exact_scaled = magnitude * book.markets[0].mark.raw();  // 1e-18 quote × 10
  const int128 required_scaled = static_cast<int128>(out.margin.initial_requirement.raw()) * 10 *
                                 1'000'000'000'000;
  RC_ASSERT(required_scaled >= exact_scaled);
}

// Health saturates at Money's range instead of wrapping: the most negative collateral less any
// requirement is still the most negative health, so the group reads liquidatable.
TEST(MarginFigures, HealthSaturatesAtTheRange) {
  MarginFigures m;
  m.maintenance_collateral = Money::from_raw(std::numeric_limits<std::int64_t>::min() + 5);
  m.maintenance_requirement = money("100");
  EXPECT_EQ(m.maintenance_health().raw(), std::numeric_limits<std::int64_t>::min());
  EXPECT_TRUE(m.liquidatable());
  m.initial_collateral = Money::from_raw(std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(m.initial_health().raw(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(m.free_collateral().raw(), std::numeric_limits<std::int64_t>::max());
}

}  // namespace
}  // namespace ballast::margin

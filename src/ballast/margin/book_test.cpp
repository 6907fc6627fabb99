// The struct-of-arrays margin book (book.hpp) against the reference calculator (account.hpp):
// a differential test. Random venues (every requirement rule, collateral weights with size
// tiers, the √size discount and premium, deposit and borrow scaling, an isolated-only asset,
// the PnL haircut and cap, the latency add-on, options, perpetuals and futures in either
// PerpHealth mode with random settle weights), random cross and isolated groups, then
// random sequences of mark ticks, oracle ticks, funding-index moves and fills (perpetual
// positions owing or receiving pending funding from random snapshots; futures carrying snapshots
// that must owe nothing): after every event every group's figures
// equal evaluate()'s to the micro-unit, every pre-trade answer equals pre_trade_check()'s, a
// booked fill moves initial health exactly as pre_trade_check() predicted, every group whose
// figures moved is reported by the tick, and the incremental state equals a full recompute at
// any thread count and a rebuild from scratch.

#include "ballast/margin/book.hpp"
#include "ballast/core/testing/fixed_text.hpp"
#include "ballast/margin/testing/book_fixture.hpp"
#include "ballast/margin/testing/venue_fixtures.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ballast::margin {
namespace {

using namespace testing;

// The fixture's splitmix64, seeded as this test always has been.
struct Rng : SplitMix64 {
  explicit Rng(std::uint64_t seed) : SplitMix64(seed * 0x9e3779b97f4a7c15ULL + 1) {}
};

constexpr AssetId kUsdc{1};
constexpr std::int64_t kRatioScale = Ratio::kScale;
constexpr std::int64_t kPriceScale = Price::kScale;
constexpr TimestampNs kExpiryA = 1'900'000'000'000'000'000;
constexpr TimestampNs kExpiryB = 1'950'000'000'000'000'000;

struct Venue {
  RiskConfig config;
  PriceBook prices;
  std::vector<std::int64_t> typical_price;  // per asset index, raw
};

Ratio rate(Rng& rng, std::int64_t lo_thousandths, std::int64_t hi_thousandths) {
  return Ratio::from_raw(rng.range(lo_thousandths, hi_thousandths) * (kRatioScale / 1000));
}

AssetRisk random_asset(Rng& rng, AssetId id, const char* symbol, std::uint8_t decimals) {
  AssetRisk out = asset(id, symbol, decimals);
  CollateralParams& c = out.collateral;
  c.init_asset_weight = rate(rng, 500, 900);
  c.maint_asset_weight = Ratio::from_raw(std::min<std::int64_t>(kRatioScale, c.init_asset_weight.raw() + rate(rng, 0, 150).raw()));
  c.maint_liability_weight = rate(rng, 1000, 1300);
  c.init_liability_weight = Ratio::from_raw(c.maint_liability_weight.raw() + rate(rng, 0, 200).raw());
  if (rng.chance(50)) c.imf_factor = rate(rng, 1, 8);
  if (rng.chance(40)) c.deposit_scale_start = Money::from_raw(rng.range(1, 50) * 100'000'000'000);
  if (rng.chance(40)) c.borrow_scale_start = Money::from_raw(rng.range(1, 50) * 10'000'000'000);
  if (rng.chance(40)) {
    c.tier_count = static_cast<std::uint8_t>(rng.range(1, 2));
    Ratio ia = c.init_asset_weight;
    Ratio ma = c.maint_asset_weight;
    Ratio il = c.init_liability_weight;
    Ratio ml = c.maint_liability_weight;
    for (std::size_t t = 0; t < c.tier_count; ++t) {
      ia = Ratio::from_raw(ia.raw() - rate(rng, 0, 100).raw());
      ma = Ratio::from_raw(std::max(ia.raw(), ma.raw() - rate(rng, 0, 100).raw()));
      ml = Ratio::from_raw(ml.raw() + rate(rng, 0, 100).raw());
      il = Ratio::from_raw(std::max(ml.raw(), il.raw() + rate(rng, 0, 100).raw()));
      c.tiers[t] = WeightTier{Quantity::from_raw(static_cast<std::int64_t>(t + 1) * rng.range(5, 40) * Quantity::kScale),
                              ia, ma, il, ml};
    }
  }
  return out;
}

RequirementRule random_rule(Rng& rng, int which) {
  const Ratio initial = rate(rng, 20, 150);
  const Ratio maintenance = Ratio::from_raw(initial.raw() / 2 + rate(rng, 0, 5).raw());
  switch (which % 4) {
    case 0: return BaseRule{initial, maintenance};
    case 1: return SizeRule{initial, maintenance, rate(rng, 1, 6)};
    case 2: {
      const Money lower = Money::from_raw(rng.range(1, 20) * 1'000'000'000'000);
      const Money upper = Money::from_raw(lower.raw() + rng.range(1, 40) * 1'000'000'000'000);
      return OiRampRule{initial, maintenance, rng.chance(85) ? lower : Money{}, rng.chance(85) ? upper : Money{}};
    }
    default: {
      const TierRule::LeverageTier tiers[] = {{Money{}, rng.range(20, 50)},
                                              {Money::from_raw(rng.range(50, 200) * 1'000'000'000), rng.range(10, 19)},
                                              {Money::from_raw(rng.range(500, 2000) * 1'000'000'000), rng.range(3, 9)}};
      return TierRule::from_leverage(tiers).value();
    }
  }
}

// USDC (quote) plus BTC-, ETH- and SOL-like assets at 8, 9 and 12 decimals and an isolated-only
// TAIL; per underlying a perpetual, a future and a spot market, the four rules in turn; calls
// and puts on the first underlying over two expiries.
Venue random_venue(Rng& rng) {
  Venue v;
  RiskConfig& config = v.config;
  config.quote = kUsdc;
  config.assets.push_back(asset(kUsdc, "USDC", 6));
  if (rng.chance(50)) {  // the settle weights settle_weighted_net markets count their nets at
    CollateralParams& c = config.assets.back().collateral;
    c.init_asset_weight = rate(rng, 800, 950);
    c.maint_asset_weight = rate(rng, 950, 1000);
    c.maint_liability_weight = rate(rng, 1000, 1050);
    c.init_liability_weight = rate(rng, 1050, 1200);
  }
  config.assets.push_back(random_asset(rng, AssetId{2}, "BTC", 8));
  config.assets.push_back(random_asset(rng, AssetId{3}, "ETH", 9));
  config.assets.push_back(random_asset(rng, AssetId{4}, "SOL", 12));
  config.assets.push_back(random_asset(rng, AssetId{5}, "TAIL", 6));
  config.assets.back().collateral.isolated_only = true;
  v.typical_price = {kPriceScale, rng.range(20'000, 60'000) * kPriceScale, rng.range(1'000, 4'000) * kPriceScale,
                     rng.range(20, 200) * kPriceScale, rng.range(1, 5) * kPriceScale / 2};
  std::uint32_t next_id = 10;
  int rule_index = static_cast<int>(rng.range(0, 3));
  const char* names[] = {"", "BTC", "ETH", "SOL", "TAIL"};
  for (std::uint32_t a = 1; a <= 3; ++a) {
    const AssetId underlying = config.assets[a].id;
    for (const auto kind : {market::InstrumentKind::perpetual, market::InstrumentKind::future,
                            market::InstrumentKind::spot}) {
      const char* contract = kind != market::InstrumentKind::spot && rng.chance(30) ? "0.1" : "1";
      MarketRisk market = market_risk(
          instrument({.id = InstrumentId{next_id}, .symbol = std::string(names[a]) + "-" + std::to_string(next_id),
                      .kind = kind, .underlying = underlying, .contract_size = contract, .tick = "0.01",
                      .expiry_ns = kind == market::InstrumentKind::future ? kExpiryA : 0}),
          random_rule(rng, rule_index++));
      if (rng.chance(60)) market.latency_rate = rate(rng, 1, 15);
      if (kind != market::InstrumentKind::spot && rng.chance(40)) market.perp_health = PerpHealth::settle_weighted_net;
      config.markets.push_back(market);
      ++next_id;
    }
  }
  for (int o = 0; o < 4; ++o) {
    MarketRisk option = market_risk(
        testing::option({.id = InstrumentId{next_id}, .symbol = "BTC-OPT-" + std::to_string(o), .tick = "0.01",
                         .expiry_ns = o < 3 ? kExpiryA : kExpiryB},
                        "0", o % 2 == 0 ? pricing::OptionKind::call : pricing::OptionKind::put));
    option.instrument.strike = Price::from_raw(v.typical_price[1] / 1000 * (900 + 100 * o) / kPriceScale * kPriceScale);
    option.option_rule.cap_at_max_loss = rng.chance(70);
    config.markets.push_back(option);
    ++next_id;
  }
  config.pnl.initial_weight = rate(rng, 500, 1000);
  config.pnl.maintenance_weight = Ratio::from_raw(
      std::min<std::int64_t>(kRatioScale, config.pnl.initial_weight.raw() + rate(rng, 0, 300).raw()));
  if (rng.chance(50)) {
    config.pnl.initial_cap = Money::from_raw(rng.range(50, 5000) * Money::kScale);
    config.pnl.maintenance_cap = Money::from_raw(config.pnl.initial_cap.raw() + rng.range(0, 5000) * Money::kScale);
  }
  EXPECT_TRUE(config.validate().ok()) << config.validate().error().message;

  for (std::uint32_t a = 1; a < config.assets.size(); ++a) {
    const std::int64_t p = v.typical_price[a];
    const Price oracle = Price::from_raw(p);
    const Price stable = Price::from_raw(p + p / 1000 * rng.range(-30, 30));
    v.prices.assets.push_back(AssetPrice{config.assets[a].id, oracle, stable,
                                         Money::from_raw(rng.range(0, 400) * 100'000'000'000),
                                         Money::from_raw(rng.range(0, 400) * 10'000'000'000)});
  }
  for (const MarketRisk& market : config.markets) {
    const std::int64_t p = v.typical_price[market.instrument.underlying.value - 1];
    const std::int64_t mark = market.instrument.kind == market::InstrumentKind::option
                                  ? p / 1000 * rng.range(5, 80)
                                  : p + p / 1000 * rng.range(-20, 20);
    // A perpetual's cumulative index: up to ±2% of the price per contract so far.
    const market::FundingIndex index = market.instrument.kind == market::InstrumentKind::perpetual
                                           ? market::FundingIndex::from_raw(p / 10'000 * rng.range(-200, 200) + rng.range(0, 999))
                                           : market::FundingIndex{};
    v.prices.markets.push_back(MarketPrice{market.instrument.id, Price::from_raw(mark),
                                           Money::from_raw(rng.range(0, 60) * 1'000'000'000'000), index});
  }
  return v;
}

std::int64_t mark_of(const Venue& v, const PriceBook& prices, std::size_t m) {
  (void)v;
  return prices.markets[m].mark.raw();
}

// A random on-lot size for market m worth up to about `max_notional` dollars.
std::int64_t random_size(Rng& rng, const Venue& v, const PriceBook& prices, std::size_t m, std::int64_t max_notional) {
  const market::Instrument& in = v.config.markets[m].instrument;
  const std::int64_t unit_value = std::max<std::int64_t>(1, mark_of(v, prices, m) / kPriceScale * in.contract_size.raw() /
                                                                 Quantity::kScale);
  const std::int64_t max_lots = std::max<std::int64_t>(1, max_notional / unit_value * 1000);
  std::int64_t lots = rng.range(1, max_lots);
  if (rng.chance(50)) lots = -lots;
  return lots * in.lot.raw();
}

std::int64_t random_amount(Rng& rng, const Venue& v, std::size_t a, std::int64_t max_dollars) {
  const std::uint8_t decimals = v.config.assets[a].decimals;
  const std::int64_t per_dollar = pow10_i64(decimals) / std::max<std::int64_t>(1, v.typical_price[a] / kPriceScale);
  const std::int64_t dollars = rng.range(1, max_dollars);
  // 18-decimal-style assets: keep within Amount's range.
  const std::int64_t limit = INT64_MAX / 4 / std::max<std::int64_t>(1, per_dollar);
  return std::min(dollars, limit) * std::max<std::int64_t>(1, per_dollar) + rng.range(0, 999);
}

struct Group {
  std::vector<SubAccountBook> subs;
};

// A sub-account with a random quote balance, sometimes other balances (some borrowed), and
// positions in random markets (options in about one sub-account in seven).
SubAccountBook random_sub(Rng& rng, const Venue& v, SubAccountId id, AccountId owner, MarginMode mode) {
  SubAccountBook sub{id, owner, mode, {}, {}};
  std::map<std::uint32_t, std::int64_t> balances;
  balances[0] = random_amount(rng, v, 0, 1'000'000) * (rng.chance(10) ? -1 : 1);
  for (std::uint32_t a = 1; a < v.config.assets.size(); ++a) {
    if (rng.chance(35)) balances[a] = random_amount(rng, v, a, 300'000) * (rng.chance(30) ? -1 : 1);
  }
  for (const auto& [a, amount] : balances) {
    if (amount != 0) sub.balances.push_back(Balance{v.config.assets[a].id, Amount::from_raw(amount)});
  }
  const bool options = rng.chance(15);
  for (std::size_t m = 0; m < v.config.markets.size(); ++m) {
    const market::Instrument& in = v.config.markets[m].instrument;
    if (in.kind == market::InstrumentKind::spot) continue;
    const bool option = in.kind == market::InstrumentKind::option;
    if (option ? !(options && rng.chance(60)) : !rng.chance(45)) continue;
    const std::int64_t size = random_size(rng, v, v.prices, m, option ? 50'000 : 400'000);
    const auto exposure = market::exposure_of(Quantity::from_raw(size), in.contract_size)->raw();
    const std::int64_t entry = mark_of(v, v.prices, m) / 1000 * rng.range(900, 1100);
    const std::int64_t basis = static_cast<std::int64_t>(static_cast<int128>(exposure) * entry / 1'000'000'000'000);
    // A snapshot near the market's index (funding owed either way, odd units so that the
    // payment rounds); futures and options get one too, and must owe nothing for it.
    const market::FundingIndex snapshot = market::FundingIndex::from_raw(
        v.prices.markets[m].funding_index.raw() + mark_of(v, v.prices, m) / 100'000 * rng.range(-300, 300) + rng.range(0, 9));
    sub.positions.push_back(
        HeldPosition{in.id, market::Position{Quantity::from_raw(size), Money::from_raw(basis), {}, snapshot}});
  }
  return sub;
}

// Owners with one to three cross sub-accounts and sometimes an isolated one.
std::vector<Group> random_groups(Rng& rng, const Venue& v, int owners) {
  std::vector<Group> groups;
  std::uint64_t next_sub = 100;
  const auto draw = [&](AccountId owner, MarginMode mode) {
    return random_sub(rng, v, SubAccountId{next_sub++}, owner, mode);
  };
  for (int o = 0; o < owners; ++o) {
    const AccountId owner{static_cast<std::uint64_t>(1000 + o)};
    Group cross;
    const auto count = rng.range(1, 3);
    for (std::int64_t i = 0; i < count; ++i) cross.subs.push_back(draw(owner, MarginMode::cross));
    groups.push_back(std::move(cross));
    if (rng.chance(40)) groups.push_back(Group{{draw(owner, MarginMode::isolated)}});
  }
  return groups;
}

std::vector<SubAccountBook> flatten(const std::vector<Group>& groups) {
  std::vector<SubAccountBook> out;
  for (const Group& g : groups) out.insert(out.end(), g.subs.begin(), g.subs.end());
  return out;
}

::testing::AssertionResult same_figures(const BookFigures& book, const MarginOutcome& reference) {
  if (book.status != reference.status) {
    return ::testing::AssertionFailure() << "status " << margin_status_name(book.status) << " vs "
                                         << margin_status_name(reference.status) << " (" << reference.where << ")";
  }
  if (book.status != MarginStatus::ok) return ::testing::AssertionSuccess();
  const GroupMargin& m = reference.margin;
  const std::pair<Money, Money> pairs[] = {{book.equity, m.equity},
                                           {book.initial_collateral, m.initial_collateral},
                                           {book.maintenance_collateral, m.maintenance_collateral},
                                           {book.initial_requirement, m.initial_requirement},
                                           {book.maintenance_requirement, m.maintenance_requirement}};
  const char* names[] = {"equity", "initial_collateral", "maintenance_collateral", "initial_requirement",
                         "maintenance_requirement"};
  for (std::size_t i = 0; i < 5; ++i) {
    if (pairs[i].first != pairs[i].second) {
      return ::testing::AssertionFailure() << names[i] << " " << pairs[i].first.to_string() << " vs "
                                           << pairs[i].second.to_string();
    }
  }
  return ::testing::AssertionSuccess();
}

bool same(const BookFigures& a, const BookFigures& b) {
  return a.status == b.status && a.equity == b.equity && a.initial_collateral == b.initial_collateral &&
         a.maintenance_collateral == b.maintenance_collateral && a.initial_requirement == b.initial_requirement &&
         a.maintenance_requirement == b.maintenance_requirement;
}

struct Counters {
  int market_ticks = 0, asset_ticks = 0, funding_ticks = 0, fills = 0, option_fills = 0, spot_fills = 0, breaches = 0, reduces = 0,
      passes = 0, option_groups = 0, overflow_groups = 0, pnl_capped = 0;
};

void check_all(const MarginBook& book, const RiskConfig& config, const PriceBook& prices, const char* when, int step,
               Counters* counters = nullptr) {
  for (MarginBook::GroupIndex g = 0; g < book.group_count(); ++g) {
    const std::vector<SubAccountBook> subs = book.group_books(g);
    const MarginOutcome reference = evaluate(config, prices, subs);
    ASSERT_TRUE(same_figures(book.group_margin(g), reference)) << when << " step " << step << " group " << g;
    if (counters != nullptr) {
      for (const SubAccountBook& sub : subs) {
        for (const HeldPosition& held : sub.positions) {
          if (config.find_market(held.instrument)->instrument.kind == market::InstrumentKind::option) {
            ++counters->option_groups;
            break;
          }
        }
      }
      if (reference.status == MarginStatus::overflow) ++counters->overflow_groups;
    }
  }
}

void run_sequence(std::uint64_t seed, int owners, int steps, Counters& counters) {
  Rng rng(seed);
  const Venue v = random_venue(rng);
  const std::vector<Group> groups = random_groups(rng, v, owners);
  const std::vector<SubAccountBook> subs = flatten(groups);
  auto built = MarginBook::build(v.config, v.prices, subs);
  ASSERT_TRUE(built.ok()) << built.error().message;
  MarginBook book = std::move(built).value();
  ASSERT_EQ(book.group_count(), groups.size());
  PriceBook prices = v.prices;  // the test's own copy, moved by the same ticks

  // The groups as given, independently of the book's layout.
  for (const Group& group : groups) {
    const auto g = book.group_of(group.subs.front().id);
    ASSERT_TRUE(g);
    ASSERT_TRUE(same_figures(book.group_margin(*g), evaluate(v.config, prices, group.subs))) << "seed " << seed;
  }
  check_all(book, v.config, prices, "built", 0, &counters);

  std::vector<std::uint32_t> buffer(book.group_count());
  ChangedGroups changed{buffer};
  for (int step = 0; step < steps; ++step) {
    const auto event = rng.range(0, 99);
    std::vector<BookFigures> before;
    for (MarginBook::GroupIndex g = 0; g < book.group_count(); ++g) before.push_back(book.group_margin(g));
    changed.clear();
    bool tick = true;
    if (event < 35) {
      ++counters.market_ticks;
      const auto m = static_cast<std::size_t>(rng.range(0, static_cast<std::int64_t>(v.config.markets.size()) - 1));
      const std::int64_t mark = prices.markets[m].mark.raw();
      const Price next = Price::from_raw(std::max<std::int64_t>(1, mark + mark / 1000 * rng.range(-60, 60)));
      const Money oi = rng.chance(50) ? prices.markets[m].open_interest
                                      : Money::from_raw(rng.range(0, 70) * 1'000'000'000'000);
      prices.markets[m].mark = next;
      prices.markets[m].open_interest = oi;
      book.on_market_price(static_cast<std::uint32_t>(m), next, oi, changed);
    } else if (event < 55) {
      ++counters.asset_ticks;
      const auto e = static_cast<std::size_t>(rng.range(0, static_cast<std::int64_t>(prices.assets.size()) - 1));
      AssetPrice& p = prices.assets[e];
      const std::int64_t oracle = p.oracle.raw();
      p.oracle = Price::from_raw(std::max<std::int64_t>(1, oracle + oracle / 1000 * rng.range(-80, 80)));
      if (rng.chance(70)) p.stable = Price::from_raw(std::max<std::int64_t>(1, p.oracle.raw() + p.oracle.raw() / 1000 * rng.range(-40, 40)));
      if (rng.chance(40)) p.total_deposits = Money::from_raw(rng.range(0, 400) * 100'000'000'000);
      if (rng.chance(40)) p.total_borrows = Money::from_raw(rng.range(0, 400) * 10'000'000'000);
      book.on_asset_price(*book.asset_index(p.asset), p, changed);
    } else if (event < 62) {
      ++counters.funding_ticks;
      const auto m = static_cast<std::size_t>(rng.range(0, static_cast<std::int64_t>(v.config.markets.size()) - 1));
      market::FundingIndex& index = prices.markets[m].funding_index;
      if (v.config.markets[m].instrument.kind == market::InstrumentKind::perpetual) {
        index = market::FundingIndex::from_raw(index.raw() + prices.markets[m].mark.raw() / 100'000 * rng.range(-50, 50) +
                                               rng.range(-9, 9));
      }
      book.on_market_funding(static_cast<std::uint32_t>(m), index, changed);
    } else {
      tick = false;
      ++counters.fills;
      const SubAccountBook& sub = subs[static_cast<std::size_t>(rng.range(0, static_cast<std::int64_t>(subs.size()) - 1))];
      const auto m = static_cast<std::size_t>(rng.range(0, static_cast<std::int64_t>(v.config.markets.size()) - 1));
      const market::Instrument& in = v.config.markets[m].instrument;
      if (in.kind == market::InstrumentKind::option) ++counters.option_fills;
      if (in.kind == market::InstrumentKind::spot) ++counters.spot_fills;
      // Sometimes a closing fill: the held size, negated.
      const MarginBook::GroupIndex g = *book.group_of(sub.id);
      std::int64_t size = random_size(rng, v, prices, m, rng.chance(20) ? 20'000'000 : 100'000);
      for (const SubAccountBook& s : book.group_books(g)) {
        if (s.id != sub.id) continue;
        for (const HeldPosition& held : s.positions) {
          if (held.instrument == in.id && rng.chance(30)) size = -held.position.size.raw();
        }
      }
      const std::int64_t mark = prices.markets[m].mark.raw();
      const std::int64_t fill_price = std::max<std::int64_t>(1, (mark + mark / 1000 * rng.range(-10, 10)) / in.tick.raw()) * in.tick.raw();
      const market::Fill fill{sub.owner, sub.id, in.id, Quantity::from_raw(size), Price::from_raw(fill_price),
                              Money::from_raw(rng.range(0, 50'000'000))};
      const std::vector<SubAccountBook> group_books = book.group_books(g);
      const PreTrade reference = pre_trade_check(v.config, prices, group_books, fill);
      const PreTrade incremental = book.pre_trade(g, fill);
      ASSERT_EQ(incremental.status, reference.status) << "seed " << seed << " step " << step;
      ASSERT_EQ(incremental.margin_status, reference.margin_status) << "seed " << seed << " step " << step;
      ASSERT_EQ(incremental.initial_health_before, reference.initial_health_before) << "seed " << seed << " step " << step;
      ASSERT_EQ(incremental.initial_health_after, reference.initial_health_after) << "seed " << seed << " step " << step;
      counters.breaches += reference.status == PreTradeStatus::breaches_initial;
      counters.reduces += reference.status == PreTradeStatus::reduces_risk;
      counters.passes += reference.status == PreTradeStatus::passes_initial;
      // A fill for another group's sub-account is not this group's.
      const MarginBook::GroupIndex other = (g + 1) % static_cast<MarginBook::GroupIndex>(book.group_count());
      if (other != g) {
        EXPECT_EQ(book.pre_trade(other, fill).status, PreTradeStatus::invalid);
      }
      ASSERT_TRUE(book.apply_fill(fill)) << "seed " << seed << " step " << step;
      if (reference.margin_status == MarginStatus::ok) {
        const BookFigures after = book.group_margin(g);
        ASSERT_EQ(after.status, MarginStatus::ok);
        ASSERT_EQ(after.initial_health(), reference.initial_health_after) << "seed " << seed << " step " << step;
      }
    }
    check_all(book, v.config, prices, "event", step);
    if (::testing::Test::HasFatalFailure()) return;
    if (tick) {
      const auto reported = changed.groups();
      for (MarginBook::GroupIndex g = 0; g < book.group_count(); ++g) {
        if (!same(before[g], book.group_margin(g))) {
          ASSERT_TRUE(changed.overflowed || std::find(reported.begin(), reported.end(), g) != reported.end())
              << "group " << g << " moved but was not reported, seed " << seed << " step " << step;
        }
      }
    }
  }
  // Incremental state = full recompute at any thread count = a rebuild from the columns.
  std::vector<BookFigures> incremental;
  for (MarginBook::GroupIndex g = 0; g < book.group_count(); ++g) incremental.push_back(book.group_margin(g));
  for (const unsigned threads : {2U, 3U, 1U}) {
    book.full_recompute(threads);
    for (MarginBook::GroupIndex g = 0; g < book.group_count(); ++g) {
      ASSERT_TRUE(same(incremental[g], book.group_margin(g))) << "threads " << threads << " group " << g;
    }
  }
  std::vector<SubAccountBook> all;
  for (MarginBook::GroupIndex g = 0; g < book.group_count(); ++g) {
    for (SubAccountBook& s : book.group_books(g)) all.push_back(std::move(s));
  }
  auto rebuilt = MarginBook::build(v.config, prices, all);
  ASSERT_TRUE(rebuilt.ok());
  for (MarginBook::GroupIndex g = 0; g < book.group_count(); ++g) {
    const auto h = rebuilt->group_of(book.group_books(g).front().id);
    ASSERT_TRUE(same(incremental[g], rebuilt->group_margin(*h))) << "rebuilt group " << g;
  }
}

TEST(MarginBook, DifferentialAgainstEvaluate) {
  Counters counters;
  for (std::uint64_t seed = 1; seed <= 120; ++seed) {
    run_sequence(seed, 10, 120, counters);
    if (HasFatalFailure()) {
      ADD_FAILURE() << "seed " << seed;
      return;
    }
  }
  // The sequences reach every branch they are meant to.
  EXPECT_GT(counters.market_ticks, 1500);
  EXPECT_GT(counters.asset_ticks, 900);
  EXPECT_GT(counters.funding_ticks, 500);
  EXPECT_GT(counters.option_fills, 150);
  EXPECT_GT(counters.spot_fills, 150);
  EXPECT_GT(counters.breaches, 30);
  EXPECT_GT(counters.reduces, 30);
  EXPECT_GT(counters.passes, 300);
  EXPECT_GT(counters.option_groups, 30);
  std::cout << "ticks " << counters.market_ticks << "/" << counters.asset_ticks << "/" << counters.funding_ticks
            << ", fills " << counters.fills
            << " (options " << counters.option_fills << ", spot " << counters.spot_fills << "), pre-trade pass "
            << counters.passes << " reduce " << counters.reduces << " breach " << counters.breaches
            << ", option groups " << counters.option_groups << ", overflow groups " << counters.overflow_groups << "\n";
}

// Figures beyond Money's range read as overflow, as in evaluate(), and come back when the
// position shrinks.
TEST(MarginBook, OverflowIsAStatusLikeEvaluate) {
  Rng rng(7);
  const Venue v = random_venue(rng);
  const market::Instrument& perp = v.config.markets[0].instrument;
  SubAccountBook sub{SubAccountId{100}, AccountId{1000}, MarginMode::cross,
                     {Balance{kUsdc, Amount::from_raw(1'000'000'000)}},
                     {held(perp.id, "9000000000", "1")}};
  auto built = MarginBook::build(v.config, v.prices, std::vector<SubAccountBook>{sub});
  ASSERT_TRUE(built.ok());
  const MarginOutcome reference = evaluate(v.config, v.prices, std::vector<SubAccountBook>{sub});
  EXPECT_EQ(reference.status, MarginStatus::overflow);
  EXPECT_TRUE(same_figures(built->group_margin(0), reference));
  const market::Fill close{sub.owner, sub.id, perp.id, qty("-8999999999"), price("1"), Money{}};
  const PreTrade pre = built->pre_trade(0, close);
  EXPECT_EQ(pre.margin_status, MarginStatus::overflow);
  EXPECT_EQ(pre.status, PreTradeStatus::invalid);
}

// Pending funding beyond Money's range is an overflow in both, and a funding-index move that
// settles it brings the figures back; a non-perpetual's index moves nothing.
TEST(MarginBook, FundingOverflowAndIndexMovesLikeEvaluate) {
  Rng rng(7);
  const Venue v = random_venue(rng);
  const market::Instrument& perp = v.config.markets[0].instrument;
  ASSERT_EQ(perp.kind, market::InstrumentKind::perpetual);
  PriceBook prices = v.prices;
  prices.markets[0].funding_index = market::FundingIndex::from_raw(1);
  const auto snapshot = market::FundingIndex::from_raw(INT64_MIN);  // index − snapshot overflows
  const SubAccountBook sub{SubAccountId{100}, AccountId{1000}, MarginMode::cross,
                           {Balance{kUsdc, Amount::from_raw(1'000'000'000)}},
                           {HeldPosition{perp.id, market::Position{qty("1"), money("1"), {}, snapshot}}}};
  MarginBook book = MarginBook::build(v.config, prices, std::vector<SubAccountBook>{sub}).value();
  const MarginOutcome reference = evaluate(v.config, prices, std::vector<SubAccountBook>{sub});
  EXPECT_EQ(reference.status, MarginStatus::overflow);
  EXPECT_TRUE(same_figures(book.group_margin(0), reference));
  std::uint32_t buffer[1];
  ChangedGroups changed{buffer};
  EXPECT_EQ(book.on_market_funding(0, snapshot, changed), 1U);
  ASSERT_EQ(changed.groups().size(), 1U);
  prices.markets[0].funding_index = snapshot;
  EXPECT_EQ(book.group_margin(0).status, MarginStatus::ok);
  EXPECT_TRUE(same_figures(book.group_margin(0), evaluate(v.config, prices, std::vector<SubAccountBook>{sub})));
  changed.clear();
  EXPECT_EQ(book.on_market_funding(1, market::FundingIndex::from_raw(5), changed), 0U);  // a future
  EXPECT_TRUE(changed.groups().empty());
}

// Mango v4's test_health1 cases 4 and 3 (reference E10; account_test holds evaluate() to 380 and
// −72) through the book, and a fill that takes case 3 to case 4's size at a worse basis.
TEST(MarginBook, MangoPerpHealthE10) {
  const PricedVenue venue = mango_venue();
  ASSERT_TRUE(venue.config.validate().ok());
  const std::vector<SubAccountBook> subs = {
      sub_account(SubAccountId{4}, AccountId{1}, {}, {held(kMangoPerp, "100", "-100")}),
      sub_account(SubAccountId{3}, AccountId{2}, {}, {held(kMangoPerp, "10", "100")})};
  MarginBook book = MarginBook::build(venue.config, venue.prices, subs).value();
  const MarginBook::GroupIndex case4 = *book.group_of(SubAccountId{4});
  const MarginBook::GroupIndex case3 = *book.group_of(SubAccountId{3});
  EXPECT_EQ(book.group_margin(case4).initial_health(), money("380"));
  EXPECT_EQ(book.group_margin(case3).initial_health(), money("-72"));
  EXPECT_EQ(book.group_margin(case4).maintenance_health(), money("485.1"));
  EXPECT_EQ(book.group_margin(case3).maintenance_health(), money("-60.5"));
  // Buying 90 more units at 5 (450 paid into the basis): case 3's group holds 100 units for a
  // basis of 550: net 500 − 550 − 100 = −150, × 1.2 = −180.
  const market::Fill buy{AccountId{2}, SubAccountId{3}, kMangoPerp, qty("90"), price("5"), Money{}};
  const PreTrade pre = book.pre_trade(case3, buy);
  EXPECT_EQ(pre.initial_health_after, money("-180"));
  EXPECT_EQ(pre.status, PreTradeStatus::breaches_initial);
  ASSERT_TRUE(book.apply_fill(buy));
  EXPECT_EQ(book.group_margin(case3).initial_health(), money("-180"));
}

// Balances and positions at every magnitude, so that some straddle the bounds of the 64-bit
// kernels (narrow_balance, narrow_contribution) and some leave them: the figures equal
// evaluate()'s on either side, a recompute over any number of threads gives the same, and its
// own judging lists what at_risk() finds after (plain groups and overflowed ones). The first
// perpetual takes 1 to 6 tiers, so that the recompute runs at each count of pieces.
TEST(MarginBook, KernelBoundsLikeEvaluate) {
  for (std::uint64_t seed = 40; seed < 52; ++seed) {
    Rng rng(seed);
    Venue v = random_venue(rng);
    std::vector<TierRule::LeverageTier> tiers;
    std::int64_t lower = 0;
    constexpr std::int64_t kLeverage[] = {50, 40, 25, 20, 10, 5};  // round rates: the 64-bit kernel applies
    for (std::uint64_t t = 0; t <= seed % 6; ++t) {
      tiers.push_back({Money::from_raw(lower), kLeverage[t]});
      lower += rng.range(1, 9) * 1'000'000'000;  // $1k to $9k: the positions below span them all
    }
    const auto tiered = static_cast<std::int64_t>(
        std::ranges::find_if(v.config.markets, [](const MarketRisk& m) { return m.instrument.kind == market::InstrumentKind::perpetual; }) -
        v.config.markets.begin());
    v.config.markets[static_cast<std::size_t>(tiered)].rule = TierRule::from_leverage(tiers).value();
    v.config.markets[static_cast<std::size_t>(tiered)].perp_health = MarketRisk{}.perp_health;
    for (MarketRisk& m : v.config.markets) {  // no other tiers: this market's count is the book's
      if (&m != &v.config.markets[static_cast<std::size_t>(tiered)] && std::holds_alternative<TierRule>(m.rule)) {
        m.rule = BaseRule{rate(rng, 50, 100), rate(rng, 20, 50)};
      }
    }
    std::vector<SubAccountBook> subs;
    // Up to 2^48: past the 64-bit bounds of most assets and markets, while evaluate() (the
    // reference) stays in its range (near 2^63 its health figures overflow unchecked).
    for (int bits = 0; bits < 49; ++bits) {
      for (const std::int64_t delta : {-1, 0, 1, 2, 3}) {
        const std::int64_t magnitude = (std::int64_t{1} << bits) + (bits < 2 ? 0 : delta);
        const std::uint64_t id = subs.size() + 100;
        const std::int64_t sign = rng.chance(30) ? -1 : 1;
        const auto asset = static_cast<std::size_t>(rng.range(0, static_cast<std::int64_t>(v.config.assets.size()) - 1));
        const auto last = static_cast<std::int64_t>(v.config.markets.size()) - 1;
        const auto market = static_cast<std::size_t>(rng.chance(50) ? tiered : rng.range(0, last));
        SubAccountBook sub{SubAccountId{id}, AccountId{id}, rng.chance(20) ? MarginMode::isolated : MarginMode::cross,
                           {Balance{v.config.assets[asset].id, Amount::from_raw(sign * magnitude)}}, {}};
        const market::Instrument& in = v.config.markets[market].instrument;
        if (in.kind != market::InstrumentKind::spot) {
          const std::int64_t size = std::max(in.lot.raw(), magnitude / in.lot.raw() * in.lot.raw());  // on lot
          const std::int64_t basis = rng.range(-1'000'000'000'000, 1'000'000'000'000);
          sub.positions.push_back(
              HeldPosition{in.id, market::Position{Quantity::from_raw(-sign * size), Money::from_raw(basis), {}, {}}});
        }
        subs.push_back(std::move(sub));
      }
    }
    // Pending funding beyond Money's range: a bad slot (overflow) in a group with no requirement.
    v.prices.markets[static_cast<std::size_t>(tiered)].funding_index = market::FundingIndex::from_raw(1);
    subs.push_back(SubAccountBook{SubAccountId{99}, AccountId{99}, MarginMode::cross,
                                  {Balance{kUsdc, Amount::from_raw(1'000'000'000)}},
                                  {HeldPosition{v.config.markets[static_cast<std::size_t>(tiered)].instrument.id,
                                                market::Position{qty("1"), money("1"), {},
                                                                 market::FundingIndex::from_raw(INT64_MIN)}}}});
    MarginBook book = MarginBook::build(v.config, v.prices, subs).value();
    for (const unsigned threads : {1U, 2U, 5U}) {
      // The recompute's own judging (from the sums it holds) lists what at_risk() finds after.
      std::vector<MarginBook::AtRisk> listed;
      book.full_recompute(threads, listed);
      check_all(book, v.config, v.prices, "threads", static_cast<int>(threads));
      std::size_t next = 0;
      for (MarginBook::GroupIndex g = 0; g < book.group_count(); ++g) {
        const std::optional<MarginBook::MaintenanceFigures> want = book.at_risk(g);
        if (!want) continue;
        ASSERT_LT(next, listed.size()) << "group " << g;
        const MarginBook::AtRisk& got = listed[next++];
        EXPECT_TRUE(got.group == g && got.figures.status == want->status && got.figures.equity == want->equity &&
                    got.figures.maintenance_requirement == want->maintenance_requirement &&
                    got.figures.maintenance_health == want->maintenance_health)
            << "group " << g << " listed " << got.group;
      }
      EXPECT_EQ(next, listed.size());
    }
  }
}

// The reciprocal division equals the plain one at the edges and at random.
TEST(MarginBook, DivisionByTenToTheTwelveIsExact) {
  using u128 = detail::uint128;
  const u128 d = 1'000'000'000'000ULL;
  const u128 limit = d << 64;
  std::vector<u128> cases = {0, 1, d - 1, d, d + 1, limit - 1, limit - d, limit - d - 1, limit - d + 1,
                             (u128{1} << 64) - 1, u128{1} << 64, (u128{1} << 64) + 1, u128{1} << 100};
  Rng rng(5);
  for (int i = 0; i < 200'000; ++i) {
    const u128 x = (static_cast<u128>(rng.next()) << 64 | rng.next()) % limit;
    cases.push_back(x);
    cases.push_back(x - x % d);
    cases.push_back(x >> static_cast<int>(rng.range(0, 100)));
  }
  for (const u128 x : cases) {
    const book_detail::Quotient q = book_detail::div_1e12(x);
    ASSERT_TRUE(q.fits);
    ASSERT_EQ(q.quotient, static_cast<std::uint64_t>(x / d));
    ASSERT_EQ(q.inexact, x % d != 0);
  }
  EXPECT_FALSE(book_detail::div_1e12(limit).fits);
}

TEST(MarginBook, BuildRefusesWhatEvaluateCannotPrice) {
  Rng rng(3);
  const Venue v = random_venue(rng);
  SubAccountBook sub{SubAccountId{100}, AccountId{1000}, MarginMode::cross, {Balance{AssetId{99}, Amount::from_raw(1)}}, {}};
  EXPECT_FALSE(MarginBook::build(v.config, v.prices, std::vector<SubAccountBook>{sub}).ok());
  sub.balances.clear();
  sub.positions.push_back(held(InstrumentId{999}, "1", "0"));
  EXPECT_FALSE(MarginBook::build(v.config, v.prices, std::vector<SubAccountBook>{sub}).ok());
  PriceBook missing = v.prices;
  missing.markets.pop_back();
  EXPECT_FALSE(MarginBook::build(v.config, missing, {}).ok());
  const SubAccountBook twice[] = {SubAccountBook{SubAccountId{1}, AccountId{1}, MarginMode::cross, {}, {}},
                                  SubAccountBook{SubAccountId{1}, AccountId{2}, MarginMode::cross, {}, {}}};
  EXPECT_FALSE(MarginBook::build(v.config, v.prices, twice).ok());
}

// Cross sub-accounts of one owner share a group; isolated ones stand alone; a tick reports each
// moved group once.
TEST(MarginBook, GroupsAndTickReports) {
  Rng rng(11);
  const Venue v = random_venue(rng);
  const InstrumentId perp = v.config.markets[0].instrument.id;
  const auto position = [&](const char* size) {
    return std::vector<HeldPosition>{held(perp, size, "0")};
  };
  const std::vector<SubAccountBook> subs = {
      {SubAccountId{1}, AccountId{7}, MarginMode::cross, {Balance{kUsdc, Amount::from_raw(5'000'000'000)}}, position("1")},
      {SubAccountId{2}, AccountId{8}, MarginMode::cross, {Balance{kUsdc, Amount::from_raw(5'000'000'000)}}, {}},
      {SubAccountId{3}, AccountId{7}, MarginMode::cross, {}, position("-2")},
      {SubAccountId{4}, AccountId{7}, MarginMode::isolated, {Balance{kUsdc, Amount::from_raw(5'000'000'000)}}, position("1")}};
  MarginBook book = MarginBook::build(v.config, v.prices, subs).value();
  ASSERT_EQ(book.group_count(), 3U);
  EXPECT_EQ(*book.group_of(SubAccountId{1}), *book.group_of(SubAccountId{3}));
  EXPECT_NE(*book.group_of(SubAccountId{1}), *book.group_of(SubAccountId{4}));
  std::uint32_t buffer[1];
  ChangedGroups changed{buffer};
  const Price mark = v.prices.markets[0].mark;
  EXPECT_EQ(book.on_market_price(0, Price::from_raw(mark.raw() * 2), Money{}, changed), 3U);
  EXPECT_TRUE(changed.overflowed);  // two groups moved, room for one
  ASSERT_EQ(changed.groups().size(), 1U);
  EXPECT_EQ(changed.groups()[0], *book.group_of(SubAccountId{1}));
  std::uint32_t room[4];
  ChangedGroups all{room};
  book.on_market_price(0, mark, Money{}, all);
  EXPECT_FALSE(all.overflowed);
  EXPECT_EQ(all.groups().size(), 2U);
  EXPECT_EQ(book.on_asset_price(*book.asset_index(kUsdc), AssetPrice{kUsdc, price("2"), price("2"), {}, {}}, all), 0U);
}

// set_holdings(), as a view following a ledger calls it: a random sub-account's holdings
// replaced by new random ones (assets and markets it did not hold among them, options too) or
// by nothing. After each, every group's figures equal evaluate()'s on the book's own columns,
// which show exactly the new holdings; and after a full recompute (the new slots sit at the
// tail) they still do, at any thread count.
TEST(MarginBook, SetHoldingsLikeABuild) {
  int options = 0;
  int emptied = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Rng rng(seed);  // the differential's seeds: valid venues
    const Venue v = random_venue(rng);
    const std::vector<SubAccountBook> subs = flatten(random_groups(rng, v, 8));
    MarginBook book = MarginBook::build(v.config, v.prices, subs).value();
    for (int step = 0; step < 30; ++step) {
      const SubAccountBook& sub = subs[static_cast<std::size_t>(rng.range(0, static_cast<std::int64_t>(subs.size()) - 1))];
      const bool empty = rng.chance(15);
      const SubAccountBook next =
          empty ? SubAccountBook{sub.id, sub.owner, sub.mode, {}, {}} : random_sub(rng, v, sub.id, sub.owner, sub.mode);
      emptied += empty ? 1 : 0;
      ASSERT_TRUE(book.set_holdings(sub.id, next.balances, next.positions)) << "seed " << seed << " step " << step;
      for (const SubAccountBook& shown : book.group_books(*book.group_of(sub.id))) {
        if (shown.id != sub.id) continue;
        ASSERT_EQ(shown.balances.size(), next.balances.size()) << "seed " << seed << " step " << step;
        for (std::size_t i = 0; i < shown.balances.size(); ++i) {
          EXPECT_EQ(shown.balances[i].asset, next.balances[i].asset);
          EXPECT_EQ(shown.balances[i].amount, next.balances[i].amount);
        }
        EXPECT_EQ(shown.positions, next.positions) << "seed " << seed << " step " << step;
        for (const HeldPosition& held : shown.positions) {
          options += v.config.find_market(held.instrument)->instrument.kind == market::InstrumentKind::option ? 1 : 0;
        }
      }
      check_all(book, v.config, v.prices, "set_holdings", step);
      if (HasFatalFailure()) return;
    }
    for (const unsigned threads : {1U, 2U}) {
      book.full_recompute(threads);
      check_all(book, v.config, v.prices, "recomputed", static_cast<int>(threads));
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_GT(options, 20);  // the option path (evaluate() on the group) was taken
  EXPECT_GT(emptied, 50);
}

// An unknown sub-account or a position in a market the configuration does not list: false, and
// the book unchanged. A balance in an unlisted asset counts for nothing, as build()'s callers
// leave it out.
TEST(MarginBook, SetHoldingsRefusesWhatTheBookCannotHold) {
  Rng rng(5);
  const Venue v = random_venue(rng);
  const InstrumentId perp = v.config.markets[0].instrument.id;
  const std::vector<Balance> cash = {Balance{kUsdc, Amount::from_raw(5'000'000'000)}};
  const std::vector<SubAccountBook> subs = {
      {SubAccountId{1}, AccountId{7}, MarginMode::cross, cash, {held(perp, "1", "0")}}};
  MarginBook book = MarginBook::build(v.config, v.prices, subs).value();
  const BookFigures before = book.group_margin(0);
  EXPECT_FALSE(book.set_holdings(SubAccountId{2}, cash, {}));
  EXPECT_FALSE(book.set_holdings(SubAccountId{1}, {}, std::vector<HeldPosition>{held(InstrumentId{999}, "1", "0")}));
  EXPECT_TRUE(same(book.group_margin(0), before));
  EXPECT_EQ(book.position_slot_count(), 1U);
  const std::vector<Balance> with_unlisted = {cash[0], Balance{AssetId{99}, Amount::from_raw(7)}};
  ASSERT_TRUE(book.set_holdings(SubAccountId{1}, with_unlisted, subs[0].positions));
  EXPECT_TRUE(same(book.group_margin(0), before));
  EXPECT_EQ(book.group_books(0)[0].balances.size(), 1U);
}

}  // namespace
}  // namespace ballast::margin

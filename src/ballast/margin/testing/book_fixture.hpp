#pragma once
// The margin book at the scale (issue 4 targets), header-only for the benchmarks that
// run on it (book_bench, liquidation_scan_bench): 1M sub-accounts × 8 positions over 50
// markets, each with a quote balance (a fifth also hold a deposit in one of ten spot assets), a
// tenth of the owners with two cross sub-accounts in one group. Rules: 20 markets on fixed
// rates, 10 on Drift's √size rule, 10 on dYdX's OI ramp (inside the ramp), 10 on Hyperliquid's
// tiers; half with the latency add-on; a PnL haircut and cap. Built once per process (seed 42).

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "ballast/margin/book.hpp"

namespace ballast::margin::testing {

inline constexpr std::size_t kSubAccounts = 1'000'000;
inline constexpr std::size_t kPositionsPerSub = 8;
inline constexpr std::uint32_t kMarkets = 50;
inline constexpr std::uint32_t kSpotAssets = 10;
inline constexpr AssetId kQuote{1};

// splitmix64: fixed and seedable, independent of the library (the fixture's sub-accounts and
// the liquidation scan's random venues).
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::int64_t range(std::int64_t lo, std::int64_t hi) {  // uniform in [lo, hi] (up to modulo bias)
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool chance(int percent) { return range(0, 99) < percent; }

 private:
  std::uint64_t state_;
};

inline Ratio fixture_ratio(const char* text) { return Ratio::parse(text, Round::down).value(); }

struct Fixture {
  RiskConfig config;
  PriceBook prices;
  std::vector<SubAccountBook> subs;  // kept for the reference's subset
  std::unique_ptr<MarginBook> book;
  std::vector<market::Fill> fills;
  std::vector<MarginBook::GroupIndex> fill_groups;
};

inline Fixture build_fixture() {
  Fixture f;
  SplitMix64 rng(42);
  RiskConfig& config = f.config;
  config.quote = kQuote;
  config.assets.push_back(AssetRisk{kQuote, "USDC", 6, {}});
  std::vector<std::int64_t> price_of{Price::kScale};
  for (std::uint32_t a = 0; a < kSpotAssets; ++a) {
    AssetRisk asset{AssetId{2 + a}, "A" + std::to_string(a), 9, {}};
    asset.collateral.init_asset_weight = fixture_ratio("0.8");
    asset.collateral.maint_asset_weight = fixture_ratio("0.9");
    asset.collateral.maint_liability_weight = fixture_ratio("1.1");
    asset.collateral.init_liability_weight = fixture_ratio("1.2");
    if (a % 3 == 0) asset.collateral.imf_factor = fixture_ratio("0.001");
    config.assets.push_back(asset);
    price_of.push_back(rng.range(1, 50'000) * Price::kScale);
  }
  for (std::uint32_t m = 0; m < kMarkets; ++m) {
    market::Instrument in;
    in.id = InstrumentId{100 + m};
    in.symbol = "P" + std::to_string(m);
    in.kind = market::InstrumentKind::perpetual;
    in.underlying = AssetId{2 + m % kSpotAssets};
    in.settle = kQuote;
    in.contract_size = Quantity::from_raw(Quantity::kScale);
    in.tick = Price::from_raw(1'000'000);
    in.lot = Quantity::from_raw(1'000'000);
    in.funding.interval_ns = 3'600'000'000'000;
    in.funding.clamp = fixture_ratio("0.04");
    RequirementRule rule = BaseRule{fixture_ratio("0.05"), fixture_ratio("0.03")};
    if (m >= 20 && m < 30) rule = SizeRule{fixture_ratio("0.1"), fixture_ratio("0.05"), fixture_ratio("0.001")};
    if (m >= 30 && m < 40) {
      rule = OiRampRule{fixture_ratio("0.05"), fixture_ratio("0.03"), Money::from_raw(20'000'000'000'000), Money::from_raw(50'000'000'000'000)};
    }
    if (m >= 40) {
      const TierRule::LeverageTier tiers[] = {{Money{}, 50}, {Money::from_raw(100'000'000'000), 20},
                                              {Money::from_raw(1'000'000'000'000), 10}};
      rule = TierRule::from_leverage(tiers).value();
    }
    MarketRisk market{in, rule, {}, m % 2 == 0 ? fixture_ratio("0.004") : Ratio{}};
    config.markets.push_back(market);
  }
  config.pnl.initial_weight = fixture_ratio("0.8");
  config.pnl.maintenance_weight = fixture_ratio("0.9");
  config.pnl.initial_cap = Money::from_raw(100'000 * Money::kScale);
  for (std::uint32_t a = 1; a <= kSpotAssets; ++a) {
    const Price p = Price::from_raw(price_of[a]);
    f.prices.assets.push_back(AssetPrice{config.assets[a].id, p, p, {}, {}});
  }
  for (std::uint32_t m = 0; m < kMarkets; ++m) {
    const std::int64_t p = price_of[1 + m % kSpotAssets];
    f.prices.markets.push_back(
        MarketPrice{config.markets[m].instrument.id, Price::from_raw(p + p / 1000 * rng.range(-5, 5)),
                    Money::from_raw(35'000'000'000'000), {}});
  }

  f.subs.reserve(kSubAccounts);
  for (std::size_t i = 0; i < kSubAccounts; ++i) {
    // A tenth of the owners hold two cross sub-accounts (one group).
    const std::uint64_t owner = i < kSubAccounts / 5 ? i / 2 : i;
    SubAccountBook sub{SubAccountId{1000 + i}, AccountId{1000 + owner}, MarginMode::cross, {}, {}};
    sub.balances.push_back(Balance{kQuote, Amount::from_raw(rng.range(10'000, 1'000'000) * 1'000'000)});
    if (i % 5 == 0) {
      const auto a = static_cast<std::uint32_t>(1 + rng.range(0, kSpotAssets - 1));
      const std::int64_t units = rng.range(1'000, 100'000) * Price::kScale / (price_of[a] / 1'000'000);  // ~$1k-100k
      sub.balances.push_back(Balance{config.assets[a].id, Amount::from_raw(units * 1000)});
    }
    // 8 distinct markets, ascending.
    std::uint64_t chosen = 0;
    while (__builtin_popcountll(chosen) < static_cast<int>(kPositionsPerSub)) {
      chosen |= 1ULL << rng.range(0, kMarkets - 1);
    }
    for (std::uint32_t m = 0; m < kMarkets; ++m) {
      if ((chosen >> m & 1) == 0) continue;
      const std::int64_t mark = f.prices.markets[m].mark.raw();
      const std::int64_t notional = rng.range(1'000, 200'000);  // dollars
      std::int64_t lots = notional * Price::kScale / (mark / 1000) + 1;  // lots of 0.001
      if (rng.range(0, 1) == 0) lots = -lots;
      const std::int64_t size = lots * 1'000'000;
      const std::int64_t entry = mark / 1000 * rng.range(950, 1050);
      const auto basis = static_cast<std::int64_t>(static_cast<int128>(size) * entry / 1'000'000'000'000);
      sub.positions.push_back(HeldPosition{config.markets[m].instrument.id,
                                           market::Position{Quantity::from_raw(size), Money::from_raw(basis), {}, {}}});
    }
    f.subs.push_back(std::move(sub));
  }
  auto built = MarginBook::build(config, f.prices, f.subs);
  if (!built) std::abort();
  f.book = std::make_unique<MarginBook>(std::move(built).value());

  for (int i = 0; i < 4096; ++i) {
    const SubAccountBook& sub = f.subs[static_cast<std::size_t>(rng.range(0, kSubAccounts - 1))];
    const auto m = static_cast<std::size_t>(rng.range(0, kMarkets - 1));
    const std::int64_t mark = f.prices.markets[m].mark.raw();
    std::int64_t lots = rng.range(1'000, 50'000) * Price::kScale / (mark / 1000) + 1;
    if (rng.range(0, 1) == 0) lots = -lots;
    f.fills.push_back(market::Fill{sub.owner, sub.id, config.markets[m].instrument.id,
                                   Quantity::from_raw(lots * 1'000'000), Price::from_raw(mark / 1'000'000 * 1'000'000),
                                   Money::from_raw(rng.range(0, 20'000'000))});
    f.fill_groups.push_back(*f.book->group_of(sub.id));
  }
  return f;
}

inline Fixture& fixture() {
  static Fixture f = build_fixture();
  return f;
}

}  // namespace ballast::margin::testing

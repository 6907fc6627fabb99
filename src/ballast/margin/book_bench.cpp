// The margin book at the scale (issue 4 targets): 1M sub-accounts × 8 positions over 50
// markets, each with a quote balance (a fifth also hold a deposit in one of ten spot assets), a
// tenth of the owners with two cross sub-accounts in one group. Rules: 20 markets on fixed
// rates, 10 on Drift's √size rule, 10 on dYdX's OI ramp (inside the ramp), 10 on Hyperliquid's
// tiers; half with the latency add-on; a PnL haircut and cap.
//
//   BM_Ballast_FullRecompute/threads   every slot and group sum       target ≤ 100 ms (2 cores)
//   BM_Ballast_MarketTick              one market's mark moves        target ≤ 20 ms
//   BM_Ballast_AssetTick               one asset's oracle moves (its balances)
//   BM_Ballast_PreTrade                incremental pre-trade check    target ≤ 2 µs
//   BM_Reference_Evaluate              margin::evaluate per group, the straightforward path
//   BM_Reference_PreTradeCheck         margin::pre_trade_check per fill
// items/s is positions per second for the recomputes and evaluate(), checks per second for the
// pre-trade ones.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ballast/margin/book.hpp"

namespace ballast::margin {
namespace {

constexpr std::size_t kSubAccounts = 1'000'000;
constexpr std::size_t kPositionsPerSub = 8;
constexpr std::uint32_t kMarkets = 50;
constexpr std::uint32_t kSpotAssets = 10;
constexpr AssetId kQuote{1};

class Rng {  // splitmix64
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::int64_t range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }

 private:
  std::uint64_t state_;
};

Ratio r(const char* text) { return Ratio::parse(text, Round::down).value(); }

struct Fixture {
  RiskConfig config;
  PriceBook prices;
  std::vector<SubAccountBook> subs;  // kept for the reference's subset
  std::unique_ptr<MarginBook> book;
  std::vector<market::Fill> fills;
  std::vector<MarginBook::GroupIndex> fill_groups;
};

Fixture build_fixture() {
  Fixture f;
  Rng rng(42);
  RiskConfig& config = f.config;
  config.quote = kQuote;
  config.assets.push_back(AssetRisk{kQuote, "USDC", 6, {}});
  std::vector<std::int64_t> price_of{Price::kScale};
  for (std::uint32_t a = 0; a < kSpotAssets; ++a) {
    AssetRisk asset{AssetId{2 + a}, "A" + std::to_string(a), 9, {}};
    asset.collateral.init_asset_weight = r("0.8");
    asset.collateral.maint_asset_weight = r("0.9");
    asset.collateral.maint_liability_weight = r("1.1");
    asset.collateral.init_liability_weight = r("1.2");
    if (a % 3 == 0) asset.collateral.imf_factor = r("0.001");
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
    in.funding.clamp = r("0.04");
    RequirementRule rule = BaseRule{r("0.05"), r("0.03")};
    if (m >= 20 && m < 30) rule = SizeRule{r("0.1"), r("0.05"), r("0.001")};
    if (m >= 30 && m < 40) {
      rule = OiRampRule{r("0.05"), r("0.03"), Money::from_raw(20'000'000'000'000), Money::from_raw(50'000'000'000'000)};
    }
    if (m >= 40) {
      const TierRule::LeverageTier tiers[] = {{Money{}, 50}, {Money::from_raw(100'000'000'000), 20},
                                              {Money::from_raw(1'000'000'000'000), 10}};
      rule = TierRule::from_leverage(tiers).value();
    }
    MarketRisk market{in, rule, {}, m % 2 == 0 ? r("0.004") : Ratio{}};
    config.markets.push_back(market);
  }
  config.pnl.initial_weight = r("0.8");
  config.pnl.maintenance_weight = r("0.9");
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

Fixture& fixture() {
  static Fixture f = build_fixture();
  return f;
}

void BM_Ballast_FullRecompute(benchmark::State& state) {
  MarginBook& book = *fixture().book;
  const auto threads = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    book.full_recompute(threads);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(book.position_slot_count()));
  state.counters["groups"] = static_cast<double>(book.group_count());
}
BENCHMARK(BM_Ballast_FullRecompute)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

// Each iteration moves one market's mark by ±0.3% (alternating, so every slot's figures move)
// with its open interest; markets in turn, so the OI-ramp, size and tier markets all take part.
void BM_Ballast_MarketTick(benchmark::State& state) {
  Fixture& f = fixture();
  MarginBook& book = *f.book;
  std::vector<std::uint32_t> buffer(book.group_count());
  ChangedGroups changed{buffer};
  std::uint32_t m = 0;
  std::int64_t direction = 1;
  std::size_t slots = 0;
  std::size_t reported = 0;
  for (auto _ : state) {
    changed.clear();
    const MarketPrice& current = book.prices().markets[m];
    const Price mark = Price::from_raw(current.mark.raw() + direction * (current.mark.raw() / 1000 * 3));
    const Money oi = Money::from_raw(current.open_interest.raw() + direction * 1'000'000'000'000);
    slots += book.on_market_price(m, mark, oi, changed);
    reported += changed.count;
    if (++m == kMarkets) {
      m = 0;
      direction = -direction;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(slots));
  state.counters["slots_per_tick"] = static_cast<double>(slots) / static_cast<double>(state.iterations());
  state.counters["groups_reported"] = static_cast<double>(reported) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Ballast_MarketTick)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_Ballast_AssetTick(benchmark::State& state) {
  Fixture& f = fixture();
  MarginBook& book = *f.book;
  std::vector<std::uint32_t> buffer(book.group_count());
  ChangedGroups changed{buffer};
  std::uint32_t a = 1;
  std::int64_t direction = 1;
  std::size_t slots = 0;
  for (auto _ : state) {
    changed.clear();
    AssetPrice price = book.prices().assets[a - 1];
    price.oracle = Price::from_raw(price.oracle.raw() + direction * (price.oracle.raw() / 1000 * 3));
    price.stable = price.oracle;
    slots += book.on_asset_price(a, price, changed);
    if (++a > kSpotAssets) {
      a = 1;
      direction = -direction;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(slots));
  state.counters["slots_per_tick"] = static_cast<double>(slots) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Ballast_AssetTick)->Unit(benchmark::kMillisecond);

void BM_Ballast_PreTrade(benchmark::State& state) {
  Fixture& f = fixture();
  const MarginBook& book = *f.book;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(book.pre_trade(f.fill_groups[i], f.fills[i]));
    i = (i + 1) % f.fills.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ballast_PreTrade)->Unit(benchmark::kMicrosecond);

// The peer: the reference calculator over the first 20,000 groups' sub-accounts (as the
// engine would pass them), one group per call.
void BM_Reference_Evaluate(benchmark::State& state) {
  Fixture& f = fixture();
  const MarginBook& book = *f.book;
  std::vector<std::vector<SubAccountBook>> groups;
  std::size_t positions = 0;
  for (MarginBook::GroupIndex g = 0; g < 20'000; ++g) {
    groups.push_back(book.group_books(g));
    for (const SubAccountBook& sub : groups.back()) positions += sub.positions.size();
  }
  for (auto _ : state) {
    for (const auto& group : groups) benchmark::DoNotOptimize(evaluate(f.config, book.prices(), group));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(positions));
  state.counters["groups"] = static_cast<double>(groups.size());
}
BENCHMARK(BM_Reference_Evaluate)->Unit(benchmark::kMillisecond);

void BM_Reference_PreTradeCheck(benchmark::State& state) {
  Fixture& f = fixture();
  const MarginBook& book = *f.book;
  std::vector<std::vector<SubAccountBook>> groups;
  for (std::size_t i = 0; i < f.fills.size(); ++i) groups.push_back(book.group_books(f.fill_groups[i]));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pre_trade_check(f.config, book.prices(), groups[i], f.fills[i]));
    i = (i + 1) % f.fills.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Reference_PreTradeCheck)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ballast::margin

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
#include "ballast/margin/testing/book_fixture.hpp"

namespace ballast::margin {
namespace {

using testing::Fixture;
using testing::fixture;
using testing::kMarkets;
using testing::kSpotAssets;

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

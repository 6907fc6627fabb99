// The liquidation scan at the scale (issue 6, item 3): the margin book's 1M
// sub-account fixture (testing/book_fixture.hpp) after a 20% crash, every oracle, stable price
// and mark down 20% (longs lose). Target: finding and ordering every liquidatable group after
// the crash ≤ 50 ms on 2 cores.
//
//   BM_CrashResponse/threads      the whole response: every price set to the crash at once,
//                                 the recompute, each group judged as its thread finishes it,
//                                 the order (the book is put back, untimed, between iterations)
//   BM_CrashResponseScreened/threads  the same list, recomputing only the groups the screen
//                                 cannot clear (MarginBook::reprice's Screening); the rest are
//                                 left stale for catch_up(), which costs a full recompute
//   BM_Scan/threads               scan + order alone on the crashed book's current figures
//   BM_RecomputeAndScan/threads   the response: every slot and group sum at the crashed prices,
//                                 each group judged as its thread finishes it, then ordered
//   BM_FullRecompute/threads      the same recompute alone, for the judging's share
//   BM_FullRecomputeInCache/judge the recompute of the first 20k sub-accounts, which fit in the
//                                 caches: its arithmetic alone, without the memory traffic (1:
//                                 with the at-risk groups listed)
//   BM_TicksAndSet                the other response: 10 oracle and 50 market ticks, a
//                                 LiquidationSet fed by their reports, then ordered
// Every benchmark reports the groups listed and how many of them are bankrupt.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "ballast/margin/liquidation_scan.hpp"
#include "ballast/margin/testing/book_fixture.hpp"

namespace ballast::margin {
namespace {

using testing::fixture;

constexpr std::int64_t kCrashPercent = 20;

Price crashed(Price p) { return Price::from_raw(p.raw() / 100 * (100 - kCrashPercent)); }

PriceBook crashed_prices(const PriceBook& prices) {
  PriceBook out = prices;
  for (AssetPrice& a : out.assets) {
    a.oracle = crashed(a.oracle);
    a.stable = crashed(a.stable);
  }
  for (MarketPrice& m : out.markets) m.mark = crashed(m.mark);
  return out;
}

// The fixture's sub-accounts booked at the crashed prices: the state every response reaches.
MarginBook& crashed_book() {
  static std::unique_ptr<MarginBook> book = [] {
    const testing::Fixture& f = fixture();
    auto built = MarginBook::build(f.config, crashed_prices(f.prices), f.subs);
    if (!built) std::abort();
    return std::make_unique<MarginBook>(std::move(built).value());
  }();
  return *book;
}

void report(benchmark::State& state, const std::vector<LiquidationEntry>& entries) {
  std::int64_t bankrupt = 0;
  for (const LiquidationEntry& e : entries) bankrupt += e.bankrupt ? 1 : 0;
  state.counters["listed"] = static_cast<double>(entries.size());
  state.counters["bankrupt"] = static_cast<double>(bankrupt);
}

void crash_response(benchmark::State& state, MarginBook::Screening screening) {
  testing::Fixture& f = fixture();
  MarginBook& book = *f.book;
  const PriceBook before = book.prices();
  const PriceBook after = crashed_prices(before);
  const auto threads = static_cast<unsigned>(state.range(0));
  std::vector<LiquidationEntry> entries;
  std::vector<MarginBook::AtRisk> restored;
  std::size_t stale = 0;
  for (auto _ : state) {
    if (!recompute_and_scan(book, after, threads, entries, screening)) std::abort();
    benchmark::DoNotOptimize(entries.data());
    state.PauseTiming();
    stale = book.stale_count();
    if (!book.reprice(before, threads, restored)) std::abort();
    state.ResumeTiming();
  }
  report(state, entries);
  state.counters["skipped"] = static_cast<double>(stale);
}

void BM_CrashResponse(benchmark::State& state) { crash_response(state, MarginBook::Screening::exact); }
BENCHMARK(BM_CrashResponse)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

// The same response screened: the same list, the groups the screen clears left stale.
void BM_CrashResponseScreened(benchmark::State& state) { crash_response(state, MarginBook::Screening::screened); }
BENCHMARK(BM_CrashResponseScreened)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

void BM_Scan(benchmark::State& state) {
  const MarginBook& book = crashed_book();
  const auto threads = static_cast<unsigned>(state.range(0));
  std::vector<LiquidationEntry> entries;
  for (auto _ : state) {
    scan_liquidatable(book, threads, entries);
    benchmark::DoNotOptimize(entries.data());
  }
  report(state, entries);
}
BENCHMARK(BM_Scan)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

void BM_RecomputeAndScan(benchmark::State& state) {
  MarginBook& book = crashed_book();
  const auto threads = static_cast<unsigned>(state.range(0));
  std::vector<LiquidationEntry> entries;
  for (auto _ : state) {
    recompute_and_scan(book, threads, entries);
    benchmark::DoNotOptimize(entries.data());
  }
  report(state, entries);
}
BENCHMARK(BM_RecomputeAndScan)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

void BM_FullRecompute(benchmark::State& state) {
  MarginBook& book = crashed_book();
  const auto threads = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    book.full_recompute(threads);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_FullRecompute)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

void BM_FullRecomputeInCache(benchmark::State& state) {
  static std::unique_ptr<MarginBook> book = [] {
    const testing::Fixture& f = fixture();
    const std::span<const SubAccountBook> subs(f.subs.data(), 20'000);
    auto built = MarginBook::build(f.config, crashed_prices(f.prices), subs);
    if (!built) std::abort();
    return std::make_unique<MarginBook>(std::move(built).value());
  }();
  std::vector<MarginBook::AtRisk> at_risk;
  for (auto _ : state) {
    if (state.range(0) == 0) {
      book->full_recompute(1);
    } else {
      book->full_recompute(1, at_risk);
    }
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_FullRecomputeInCache)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

// Every asset's then every market's tick to `prices`, the set following each report.
void move_to(MarginBook& book, const PriceBook& prices, LiquidationSet& set, ChangedGroups& changed) {
  for (std::uint32_t a = 1; a <= prices.assets.size(); ++a) {
    changed.clear();
    book.on_asset_price(a, prices.assets[a - 1], changed);
    set.update(book, changed, 2);
  }
  for (std::uint32_t m = 0; m < prices.markets.size(); ++m) {
    changed.clear();
    book.on_market_price(m, prices.markets[m].mark, prices.markets[m].open_interest, changed);
    set.update(book, changed, 2);
  }
}

// The fixture's own book, crashed by ticks and (untimed) restored by ticks back: exact integer
// deltas, so every iteration starts from the same sums.
void BM_TicksAndSet(benchmark::State& state) {
  testing::Fixture& f = fixture();
  MarginBook& book = *f.book;
  const PriceBook before = book.prices();
  const PriceBook after = crashed_prices(before);
  std::vector<MarginBook::GroupIndex> buffer(book.group_count());
  ChangedGroups changed{buffer};
  LiquidationSet set(book, 2);
  std::vector<LiquidationEntry> entries;
  for (auto _ : state) {
    move_to(book, after, set, changed);
    set.ordered(book, entries);
    benchmark::DoNotOptimize(entries.data());
    state.PauseTiming();
    move_to(book, before, set, changed);
    state.ResumeTiming();
  }
  report(state, entries);
}
BENCHMARK(BM_TicksAndSet)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

}  // namespace
}  // namespace ballast::margin

// Oracle per-update costs: one aggregate() over 5 fresh sources (median, confidence, guards), and
// one TWAP record plus a 1-hour average over a ring of 1,024 samples. Items are updates, so ns per
// update = 1e9 / items_per_second.

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>

#include "ballast/market/oracle.hpp"
#include "ballast/market/reference_price.hpp"

namespace ballast::market {
namespace {

constexpr TimestampNs kStartNs = 1'700'000'000 * kNsPerSecond;

void BM_Aggregate5Sources(benchmark::State& state) {
  const OracleConfig config;
  std::array<SourceQuote, 5> quotes{};
  for (std::uint32_t i = 0; i < quotes.size(); ++i) {
    quotes[i] = SourceQuote{i, Price::from_raw(100'000'000'000 + 7'000'000 * (i * 3 % 5)),
                            Price::from_raw(10'000'000), kStartNs - i * kNsPerSecond};
  }
  const Price reference = Price::from_raw(100'000'000'000);
  for (auto _ : state) {
    benchmark::DoNotOptimize(quotes);
    benchmark::DoNotOptimize(aggregate(config, quotes, kStartNs, reference));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Aggregate5Sources);

void BM_TwapRecordAndAverage(benchmark::State& state) {
  Twap<1024> twap;
  TimestampNs now_ns = kStartNs;
  std::int64_t raw = 100'000'000'000;
  for (auto _ : state) {
    now_ns += 3 * kNsPerSecond;
    raw += (now_ns / kNsPerSecond) % 7 - 3;
    twap.record(Price::from_raw(raw), now_ns);
    benchmark::DoNotOptimize(twap.average(now_ns, 3600 * kNsPerSecond, Round::down));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TwapRecordAndAverage);

}  // namespace
}  // namespace ballast::market

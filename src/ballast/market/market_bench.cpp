// The per-event costs of the market part: a fill applied to a position (with lazy funding), a
// funding payment, an exact 256-bit funding index step, a 30-sample settlement TWAP and an option
// mark from a surface. None allocates.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "ballast/market/funding.hpp"
#include "ballast/market/option_mark.hpp"
#include "ballast/market/position.hpp"
#include "ballast/market/settlement.hpp"

namespace ballast::market {
namespace {

constexpr TimestampNs kHourNs = 3'600'000'000'000;
const Quantity kOne = Quantity::from_raw(Quantity::kScale);

// Alternating buys and sells of varying size, so increases, reductions and flips all occur.
void BM_ApplyFill(benchmark::State& state) {
  Position position;
  std::int64_t step = 0;
  for (auto _ : state) {
    const std::int64_t lots = (step % 7 + 1) * ((step % 3 == 0) ? -3 : 2);
    const Fill fill{AccountId{20}, SubAccountId{20}, InstrumentId{1},
                    Quantity::from_raw(lots * 1'000'000), Price::from_raw((50'000 + step % 97) * Price::kScale),
                    Money{}};
    const auto change = apply_fill(position, fill, kOne, FundingIndex::from_raw(step * 1'000));
    benchmark::DoNotOptimize(change);
    if (change) position = change->position;
    ++step;
  }
}
BENCHMARK(BM_ApplyFill);

void BM_FundingPayment(benchmark::State& state) {
  const Position position{Quantity::from_raw(123'456'789'000), Money{}, Money{}, FundingIndex{}};
  std::int64_t index = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(funding_payment(position, FundingIndex::from_raw(index += 12'345)));
  }
}
BENCHMARK(BM_FundingPayment);

void BM_FundingIndexStep(benchmark::State& state) {
  const Ratio rate = Ratio::from_raw(48'000'000'000);  // 4.8% per interval
  TimestampNs elapsed = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        funding_index_step(rate, Price::from_raw(50'000 * Price::kScale), kOne, elapsed, 8 * kHourNs));
    elapsed = elapsed % kHourNs + 997;
  }
}
BENCHMARK(BM_FundingIndexStep);

void BM_SettlementTwap(benchmark::State& state) {
  std::vector<PriceSample> samples;
  for (int i = 0; i < 30; ++i) {
    samples.push_back({i * 60'000'000'000LL, Price::from_raw((50'000 + i) * Price::kScale)});
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(time_weighted_price(samples, 0, 1'800'000'000'000, Round::down));
  }
}
BENCHMARK(BM_SettlementTwap);

void BM_OptionMarkFromSurface(benchmark::State& state) {
  Instrument call;
  call.id = InstrumentId{9};
  call.symbol = "BTC-30D-60000-C";
  call.kind = InstrumentKind::option;
  call.strike = Price::from_raw(60'000 * Price::kScale);
  call.expiry_ns = 30 * 24 * kHourNs;
  const pricing::SurfaceSlice slice{0.25, 60'000.0, pricing::SviParams{0.01, 0.05, -0.3, 0.0, 0.2}};
  const pricing::VolSurface surface = pricing::VolSurface::make({slice}).value();
  const OptionMarket market{61'000.0, 1.0, 0};
  for (auto _ : state) {
    benchmark::DoNotOptimize(option_mark(call, market, surface, Round::down));
  }
}
BENCHMARK(BM_OptionMarkFromSurface);

}  // namespace
}  // namespace ballast::market

// Venue and oracle model throughput. The venues: one liquidation's worth of work per iteration,
// through the Venue variant as the simulator calls it: impact (the liquidator's quote), consume
// (the sale) and recover (one one-minute step), a 0.1 BTC sale into 100 BTC of calm depth with
// a one-hour half-life, so the venue settles into a depleted steady state. The oracles: one path
// of 8 assets x 1,000 one-minute steps per iteration, reported as asset steps per second. No peer:
// nothing else offers these models in a form to run beside them.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "ballast/sim/liquidity.hpp"
#include "ballast/sim/oracle_model.hpp"

namespace ballast::sim {
namespace {

constexpr double kMinute_s = 60.0;
constexpr std::size_t kAssets = 8;
constexpr std::size_t kSteps = 1'000;

void run_venue(benchmark::State& state, Venue venue) {
  for (auto _ : state) {
    const Result<Fill> quote = impact(venue, Side::sell, 0.1);
    const Result<Fill> fill = consume(venue, Side::sell, 0.1);
    recover(venue, kMinute_s);
    benchmark::DoNotOptimize(quote.ok());
    benchmark::DoNotOptimize(fill->average_price);
  }
  state.counters["calls/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_VenuePool(benchmark::State& state) {
  run_venue(state, ConstantProductPool::make({"BTC", 100.0, 5e6, 0.003, 3'600.0}).value());
}
BENCHMARK(BM_VenuePool);

void BM_VenueBook(benchmark::State& state) {
  // Exponent 2 (thin touch): the fill's closed form takes two exp/log pairs, the touch and the
  // end price one each.
  run_venue(state, DepthCurveBook::make({"BTC", 50'000.0, 100.0, 0.05, 2.0, 3'600.0}).value());
}
BENCHMARK(BM_VenueBook);

void run_oracle(benchmark::State& state, const OracleModel& model) {
  // A 5% sine swing on every asset, so the push oracle's deviation rule fires now and then.
  std::vector<double> prices((kSteps + 1) * kAssets);
  for (std::size_t i = 0; i < prices.size(); ++i) {
    const double phase = static_cast<double>(i / kAssets) * 0.01 + static_cast<double>(i % kAssets);
    prices[i] = 100.0 * (1.0 + 0.05 * std::sin(phase));
  }
  const std::vector<double> pump(prices.size(), 2.0);
  std::vector<double> price(prices.size());
  std::vector<std::uint8_t> published(prices.size());
  std::uint64_t path = 0;
  for (auto _ : state) {
    publish(model, OracleInput{PathKey{1, 2, path++}, kAssets, prices, pump}, OracleTrack{price, published});
    benchmark::DoNotOptimize(price.data());
    benchmark::ClobberMemory();
  }
  state.counters["asset_steps/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(kSteps * kAssets), benchmark::Counter::kIsRate);
}

void BM_PushOracle(benchmark::State& state) {
  run_oracle(state, PushOracle::make({0.005, 3'600.0, 2}, kMinute_s).value());
}
BENCHMARK(BM_PushOracle);

void BM_EmaOracle(benchmark::State& state) {
  run_oracle(state, EmaOracle::make({600.0}, kMinute_s).value());
}
BENCHMARK(BM_EmaOracle);

// Three sources, one pumped: three Philox draws, normal quantiles and exps per asset step.
void BM_MedianOracle(benchmark::State& state) {
  run_oracle(state, MedianOracle::make({3, 0.002, 1}).value());
}
BENCHMARK(BM_MedianOracle);

}  // namespace
}  // namespace ballast::sim

// Path generation throughput: one path of 8 assets x 1,000 steps per iteration, as a simulation
// worker makes them (a fresh key each time, prices written to a reused buffer). "steps/s" counts
// time steps of all 8 assets together; "asset_steps/s" counts each asset's price. The peer is
// numpy doing the same correlated GBM (paths_peer.py, run separately: it needs python3-numpy).
// The last two benchmarks split a draw's cost between Philox (CounterRng::at) and the normal
// quantile.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "ballast/core/random.hpp"
#include "ballast/sim/paths.hpp"
#include "ballast/sim/scenarios.hpp"

namespace ballast::sim {
namespace {

constexpr std::size_t kAssets = 8;
constexpr std::size_t kSteps = 1'000;

// Every pair correlated 0.5 (positive definite), vols from 40% to 110%, one-minute steps.
GbmParams eight_assets() {
  GbmParams params;
  for (std::size_t a = 0; a < kAssets; ++a) {
    params.drift_annual.push_back(0.05);
    params.vol_annual.push_back(0.4 + 0.1 * static_cast<double>(a));
    for (std::size_t b = 0; b < kAssets; ++b) params.correlation.push_back(a == b ? 1.0 : 0.5);
  }
  return params;
}

void run_paths(benchmark::State& state, const PathModel& model, std::size_t steps) {
  const std::size_t n = model_assets(model);
  const std::vector<double> start(n, 100.0);
  std::vector<double> prices((steps + 1) * n);
  std::uint64_t path = 0;
  for (auto _ : state) {
    generate_prices(model, PathKey{1, 2, path++}, steps, start, prices);
    benchmark::DoNotOptimize(prices.data());
    benchmark::ClobberMemory();
  }
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["steps/s"] = benchmark::Counter(iterations * static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["asset_steps/s"] =
      benchmark::Counter(iterations * static_cast<double>(steps * n), benchmark::Counter::kIsRate);
}

void BM_CorrelatedGbm(benchmark::State& state) {
  run_paths(state, Gbm::make(eight_assets(), 60.0).value(), kSteps);
}
BENCHMARK(BM_CorrelatedGbm);

void BM_Merton(benchmark::State& state) {
  // Independent jumps at 50 a year each (about one in 10,000 steps of a minute).
  const std::vector<double> intensity(kAssets, 50.0);
  const MertonParams params{eight_assets(), intensity, std::vector<double>(kAssets, -0.05),
                            std::vector<double>(kAssets, 0.03), false};
  run_paths(state, Merton::make(params, 60.0).value(), kSteps);
}
BENCHMARK(BM_Merton);

void BM_Garch(benchmark::State& state) {
  const GarchParams params{std::vector<double>(kAssets, 8e-5), std::vector<double>(kAssets, 0.144),
                           std::vector<double>(kAssets, 0.817), eight_assets().correlation};
  run_paths(state, Garch::make(params).value(), kSteps);
}
BENCHMARK(BM_Garch);

// A library scenario: FTX, 3 assets x 1,152 five-minute steps of bridges.
void BM_ScenarioBridge(benchmark::State& state) {
  const Scenario& ftx = *scenario_by_name("ftx-2022").value();
  run_paths(state, scenario_model(ftx).value(), ftx.steps);
}
BENCHMARK(BM_ScenarioBridge);

void BM_PhiloxDraw(benchmark::State& state) {
  const CounterRng rng(1, 2);
  std::uint64_t index = 0;
  for (auto _ : state) benchmark::DoNotOptimize(rng.at(index++));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PhiloxDraw);

void BM_NormalQuantile(benchmark::State& state) {
  std::uint64_t word = 0x9e3779b97f4a7c15ull;
  for (auto _ : state) {
    word = word * 6364136223846793005ull + 1442695040888963407ull;  // spread over (0, 1), tails included
    benchmark::DoNotOptimize(normal_quantile((static_cast<double>(word >> 11) + 0.5) * 0x1.0p-53));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NormalQuantile);

}  // namespace
}  // namespace ballast::sim

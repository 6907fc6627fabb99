// The runner's throughput (issue 7's performance target): account-steps per second, accounts ×
// steps × paths over the wall time of run_simulation, at 1 and 2 threads, on the default venue
// with the ftx-2022 scenario's first 100 steps (10,000 trader accounts, 4 paths).
#include <benchmark/benchmark.h>

#include <string>

#include "ballast/sim/runner.hpp"

namespace ballast::sim {
namespace {

SimulationConfig bench_config() {
  const Result<margin::VenueConfig> venue =
      margin::load_venue_config(std::string(BALLAST_CONFIGS_DIR) + "/venue-default.toml");
  if (!venue.ok()) return {};
  Result<SimulationConfig> config = default_simulation_config(*venue, "ftx-2022");
  if (!config.ok()) return {};
  config->paths = 4;
  config->steps = 100;
  config->accounts = 10'000;
  return *config;
}

void BM_Simulate(benchmark::State& state) {
  const SimulationConfig config = bench_config();
  const auto threads = static_cast<std::uint32_t>(state.range(0));
  for (auto _ : state) {
    Result<SimulationResults> run = run_simulation(config, threads);
    if (!run.ok()) {
      state.SkipWithError(run.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(run->paths.data());
  }
  const double account_steps = static_cast<double>(config.accounts) * config.steps * config.paths;
  state.counters["account_steps_per_s"] =
      benchmark::Counter(account_steps * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Simulate)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace ballast::sim

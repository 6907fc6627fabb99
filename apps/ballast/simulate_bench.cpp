// Issue 7's throughput target on the default model: account-steps per second (trader accounts ×
// steps × paths over the wall time of run_simulation, setup included) of configs/simulate-default.toml
// read exactly as `ballast simulate --config` reads it (the file `make demo` runs: the default
// venue through the ftx-2022 scenario, 1,000 traders, 1,152 five-minute steps), at 1 and 2
// threads.
// All 200 of the file's paths, one iteration each: the serial setup and the wait for the last
// path are part of the figure, as they are of `make demo` (20 paths give 1.58x on 2 threads, 40
// give 1.88x: the split's tail shrinks with the path count). runner_bench (src/ballast/sim)
// measures the same venue at ten times the accounts and 4 paths.
#include <benchmark/benchmark.h>

#include <string>

#include "simulation.hpp"

namespace ballast::cli {
namespace {

Result<BuiltSimulation> default_model() {
  SimulateArgs args;
  args.config_path = std::string(BALLAST_CONFIGS_DIR) + "/simulate-default.toml";
  auto spec = read_simulation_spec(args);
  if (!spec.ok()) return spec.error();
  return build_simulation(*spec);
}

void BM_SimulateDefaultModel(benchmark::State& state) {
  const Result<BuiltSimulation> built = default_model();
  if (!built.ok()) {
    state.SkipWithError(built.error().message.c_str());
    return;
  }
  const auto threads = static_cast<std::uint32_t>(state.range(0));
  double account_steps = 0.0;
  for (auto _ : state) {
    Result<sim::SimulationResults> run = sim::run_simulation(built->config, threads);
    if (!run.ok()) {
      state.SkipWithError(run.error().message.c_str());
      return;
    }
    account_steps += static_cast<double>(run->accounts) * run->steps * static_cast<double>(run->paths.size());
    benchmark::DoNotOptimize(run->paths.data());
  }
  state.counters["account_steps_per_s"] = benchmark::Counter(account_steps, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulateDefaultModel)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace ballast::cli

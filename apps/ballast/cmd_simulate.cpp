// ballast simulate: a Monte Carlo stress test of a venue (issue 7): the real engine over many
// market paths of a scenario, driven by agents; results.json, report.html and a summary.

#include <chrono>
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "simulation.hpp"

namespace ballast::cli {
namespace {

// Wall-clock time for the summary line only; no figure depends on it and no file holds it.
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int run_simulate(const SimulateArgs& args) {
  const auto started = std::chrono::steady_clock::now();
  auto spec = read_simulation_spec(args);
  if (!spec) return report(spec.error());
  auto built = build_simulation(*spec);
  if (!built) return report(built.error());
  const sim::SimulationConfig& config = built->config;
  std::cout << "simulating " << config.paths << " paths of scenario " << spec->scenario << " on "
            << config.venue_name << " (seed " << config.seed << ", " << config.accounts << " trader accounts, "
            << args.threads << " thread(s))\n";
  std::cout.flush();
  auto results = run_with_progress(config, args.threads, "paths");
  if (!results) return report(results.error());
  const sim::RunInfo run = run_info(*spec, *built, "simulate");
  const sim::SummaryStatistics statistics = sim::summarize(*results, run.statistics);
  const Outcome written =
      write_outputs(args.out_dir, sim::json_text(sim::results_json(*results, statistics, run)),
                    sim::report_html(*results, statistics, run, args.threads));
  if (!written) return report(written.error());
  std::cout << results->paths.size() << " paths x " << results->steps << " steps in " << seconds_since(started)
            << " s\n";
  print_summary(std::cout, statistics, run);
  print_where(std::cout, args.out_dir, run);
  return kExitOk;
}

}  // namespace

Runner add_simulate(CLI::App& app) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* command = app.add_subcommand(
      "simulate",
      "Monte Carlo stress test: the engine over --paths market paths of a scenario, with traders, "
      "liquidators, arbitrageurs, LPs and attackers. Writes results.json (every path, VaR/ES of bad "
      "debt with bootstrap intervals, probability of insolvency, liquidations at risk) and a "
      "self-contained report.html to --out. Same seed, same figures, on any number of threads.");
  add_simulation_options(*command, *args, "ballast-simulation");
  return [args] { return run_simulate(*args); };
}

}  // namespace ballast::cli

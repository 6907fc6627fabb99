// ballast sweep: the stress test over a grid of risk parameters (issue 7, item 7). Every setting
// runs the same seed (common random numbers), and the settings are ranked by bad-debt ES at 99%,
// those whose ES stays within the insurance fund first (sweep.hpp).

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "cli.hpp"
#include "simulation.hpp"

namespace ballast::cli {
namespace {

// More settings than this is a typo in a grid more often than a plan; each is a full run.
constexpr std::size_t kMaxSettings = 1000;

struct SweepArgs {
  SimulateArgs run;
  std::vector<std::string> grid;
};

// Every setting's configuration, built before any runs, so a bad value stops the sweep at once.
Result<std::vector<BuiltSimulation>> build_all(const SimulationSpec& spec, const std::vector<sim::Setting>& settings) {
  std::vector<BuiltSimulation> built;
  for (const sim::Setting& setting : settings) {
    auto one = build_simulation(spec, setting);
    if (!one) {
      return make_error(one.error().code, "setting " + sim::setting_label(setting) + ": " + one.error().message);
    }
    built.push_back(std::move(*one));
  }
  return built;
}

void print_ranking(const sim::SweepReport& sweep, const sim::RunInfo& run) {
  std::cout << "rank  feasible  ES 99% (" << run.quote_symbol << ")  ES 95%  P(insolvent)  setting\n";
  std::vector<std::size_t> by_rank(sweep.entries.size());
  for (std::size_t i = 0; i < sweep.entries.size(); ++i) by_rank[sweep.entries[i].rank - 1] = i;
  const double scale = std::pow(10.0, run.quote_decimals);
  for (const std::size_t i : by_rank) {
    const sim::SweepEntry& e = sweep.entries[i];
    const auto& tails = e.statistics.bad_debt.tails;
    std::printf("%4zu  %-8s  %14.2f  %14.2f  %11.2f%%  %s\n", e.rank, e.feasible ? "yes" : "no",
                tails[sim::kRankingTail].es_units / scale, tails[0].es_units / scale,
                e.statistics.insolvent.estimate * 100.0, sim::setting_label(e.setting).c_str());
  }
  std::fflush(stdout);
}

int run_sweep(const SweepArgs& args) {
  auto spec = read_simulation_spec(args.run);
  if (!spec) return report(spec.error());
  std::vector<sim::GridAxis> axes;
  std::string grid_arguments;
  for (const std::string& text : args.grid) {
    auto axis = sim::parse_grid_axis(text);
    if (!axis) return report(axis.error());
    axes.push_back(std::move(*axis));
    grid_arguments += " --grid '" + text + "'";
  }
  auto settings = sim::grid_settings(axes, kMaxSettings);
  if (!settings) return report(settings.error());
  auto built = build_all(*spec, *settings);
  if (!built) return report(built.error());

  sim::SweepReport sweep{axes, {}, 0};
  std::optional<sim::SimulationResults> best;
  const sim::RunInfo run = run_info(*spec, built->front(), "sweep", grid_arguments);
  for (std::size_t i = 0; i < settings->size(); ++i) {
    std::cout << "setting " << i + 1 << "/" << settings->size() << ": " << sim::setting_label((*settings)[i]) << "\n";
    std::cout.flush();
    auto results = run_with_progress((*built)[i].config, args.run.threads, "  paths");
    if (!results) return report(results.error());
    sweep.entries.push_back({(*settings)[i], sim::summarize(*results, run.statistics)});
    // The ranking is a total order on each entry's own figures, so ranking the entries so far
    // tells whether this one is the best yet; only that run's paths are kept.
    sim::rank_settings(sweep.entries);
    if (sweep.entries.back().rank == 1) {
      sweep.best = i;
      best = std::move(*results);
    }
  }
  const sim::SummaryStatistics& best_statistics = sweep.entries[sweep.best].statistics;
  const Outcome written = write_outputs(
      args.run.out_dir, sim::json_text(sim::sweep_json(sweep, *best, best_statistics, run)),
      sim::report_html(*best, best_statistics, run, args.run.threads, &sweep));
  if (!written) return report(written.error());
  print_ranking(sweep, run);
  std::cout << "best: " << sim::setting_label(sweep.entries[sweep.best].setting) << "\n";
  print_summary(std::cout, best_statistics, run);
  print_where(std::cout, args.run.out_dir, run);
  return kExitOk;
}

}  // namespace

Runner add_sweep(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* command = app.add_subcommand(
      "sweep",
      "The stress test over a grid of risk parameters with common random numbers (every setting "
      "runs the same seed), ranked by bad-debt ES at 99% subject to ES <= the insurance fund. "
      "Writes results.json and report.html (the ranked table and chart, and the best setting's "
      "full report) to --out.");
  add_simulation_options(*command, args->run, "ballast-sweep");
  std::string knobs;
  for (const std::string& name : knob_names()) knobs += (knobs.empty() ? "" : ", ") + name;
  command->add_option("--grid", args->grid,
                      "an axis 'name=v1,v2,...' (repeat for a Cartesian product, first axis slowest); "
                      "name is a knob (" + knobs + ") or a key of the venue file by its path: "
                      "asset.SYMBOL.key, market.SYMBOL.key[.subkey] (e.g. market.BTC-PERP.rule.initial_rate), "
                      "pool.ASSET.key, or table.key for the engine's rules: any key of [liquidation] (e.g. "
                      "liquidation.close_factor, liquidation.auction_duration=5m,10m), [breakers] (turns "
                      "them on), [vault] or [engine]; the venue's readers check every value")
      ->required();
  return [args] { return run_sweep(*args); };
}

}  // namespace ballast::cli

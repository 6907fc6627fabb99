#pragma once
// What `ballast simulate` and `ballast sweep` share: the simulation file, the options, building
// the runner's SimulationConfig, running it with a progress bar, and the summary they print.
//
// The simulation file (TOML; configs/simulate-default.toml is the built-in default):
//   venue = "venue-default.toml"   # the venue's risk configuration, relative to this file
//   scenario = "ftx-2022"          # scenarios.hpp name
//   seed = 1
//   paths = 200                    # and any other knob (knob_names()), at the top level or in
//   [depth]                        # its table: depth.fee is `fee` under [depth]
//   fee = 0.003
// The venues and funding (sim::VenueDepth and sim::FundingSchedule in sim/runner.hpp):
//   [depth]
//   kind = "pool"                 # or "book": every traded asset's venue, made at its start price
//   calm_depth_quote = 50000000   # pool: its quote reserve; book: each side's depth (in quote)
//                                 # out to max_distance. A book of Q is about as deep near the mid
//                                 # as a pool of 2 Q / max_distance
//   fee = 0.003                   # pool only, in [0, 1)
//   recovery_half_life_s = 600    # > 0: consumed depth (pool: reserves off calm) halves in this
//   max_distance = 0.1            # book only, in (0, 1): its last level, a fraction of the mid
//   depth_exponent = 1            # book only, > 0: above 1 thins the touch, below 1 thickens it
//   [funding]
//   interval_s = 3600             # every ceil(interval_s / dt) steps each traded perpetual
//                                 # accrues funding at its venue file's funding parameters; 0: none
//   impact_margin_quote = 500     # impact-premium markets (dYdX): impact notional = this / IMF
// Traders, liquidators' hedges and arbitrageurs all trade against these venues, and each
// perpetual marks at its venue's quoted mid. A bad value is an error naming its key:
// "sim.toml:14: depth.kind: must be one of "pool", "book", got "amm"" from the file, or
// "simulation: depth: book BTC: max_distance = 1.5: must be below 1" from the runner.
// A venue file itself (one with [[asset]] tables) is accepted too, with every knob at its default.
// The venue file's engine tables (engine/options_config.hpp: [engine], [liquidation], [vault],
// [[pool]], [breakers], ...) set the engine's options; what they omit keeps the simulator's
// (sim::default_simulation_config: a price age past the oracle's heartbeat, a liquidity vault).
// The command line's --scenario, --seed, --paths and --steps override the file.
//
// Sweeps set knobs by name, and anything in the venue file by its dotted path: an entry of an
// array of tables by its name, asset.SYMBOL.key, market.SYMBOL.key[.subkey] or pool.ASSET.key
// (e.g. asset.BTC.maint_asset_weight, market.BTC-PERP.rule.initial_rate), or a key of a table,
// table.key (the engine's rules: liquidation.close_factor, liquidation.auction_duration,
// breakers.oi_depth_factor, vault.cooldown, engine.price_max_age, ...). The value is written into
// the venue's TOML (a table the file lacks is made, as if written there: [breakers] turns the
// breakers on) and read by the venue and engine-options readers with all their checks, so an
// unknown key or a value out of range is their error naming the key. Values are written as the
// file writes them: decimals and durations as text ("0.25", "10m"), a bare integer is an integer.
// Keys whose value is an array (breakers.multipliers, oracle_policy.*) cannot be swept.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ballast/core/result.hpp"
#include "ballast/sim/report.hpp"
#include "ballast/sim/runner.hpp"
#include "ballast/sim/sweep.hpp"

namespace ballast::cli {

struct SimulateArgs {
  std::string config_path;
  std::optional<std::string> scenario;
  std::optional<std::uint64_t> seed;
  std::optional<std::uint32_t> paths;
  std::optional<std::uint32_t> steps;
  std::uint32_t threads = 1;
  std::string out_dir;
};

// --config, --scenario, --seed, --paths, --steps, --threads, --out.
void add_simulation_options(CLI::App& command, SimulateArgs& args, const std::string& default_out);

// The file and the command line, read and checked, not yet built into a configuration.
struct SimulationSpec {
  std::string config_path;
  std::string venue_path;
  std::string venue_text;
  std::string scenario;
  std::uint64_t seed = 1;
  std::vector<std::pair<std::string, double>> knobs;  // the file's, then the command line's
};

Result<SimulationSpec> read_simulation_spec(const SimulateArgs& args);

// The runner's configuration with the setting's values applied over the spec's, and how to
// print its money.
struct BuiltSimulation {
  sim::SimulationConfig config;
  std::string quote_symbol;
  std::uint32_t quote_decimals = 0;
};
Result<BuiltSimulation> build_simulation(const SimulationSpec& spec, const sim::Setting& setting = {});

// The knobs a file or a sweep may set, "depth.fee" style (depth.kind takes a name: "book").
std::vector<std::string> knob_names();

// Runs every path with a progress bar on a terminal (label before the counts).
Result<sim::SimulationResults> run_with_progress(const sim::SimulationConfig& config, std::uint32_t threads,
                                                 const std::string& label);

// The run's description for the report: the command line that reproduces its figures.
sim::RunInfo run_info(const SimulationSpec& spec, const BuiltSimulation& built, const std::string& subcommand,
                      const std::string& extra_arguments = "");

// Bad debt, drawdown, insolvency and liquidations at risk, a few lines for people.
void print_summary(std::ostream& out, const sim::SummaryStatistics& statistics, const sim::RunInfo& run);

// Where the report and the results are, and the command line that reproduces them.
void print_where(std::ostream& out, const std::string& dir, const sim::RunInfo& run);

// Creates dir and writes results.json and report.html into it.
Outcome write_outputs(const std::string& dir, const std::string& json, const std::string& html);

}  // namespace ballast::cli

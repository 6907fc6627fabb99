#pragma once
// The Monte Carlo runner (issue 7, item 4): the real engine driven over many market paths by the
// agents of agents.hpp, each path on a fresh copy of one prepared venue, paths over threads.
//
// One path, step by step (docs: the loop is the simulator's whole contract with the engine):
//   1. The path's prices (paths.hpp) go through the oracle model (oracle_model.hpp): every asset
//      whose oracle published at this step gets an oracle_price event. The venues (liquidity.hpp)
//      recover, take the scenario's depth multiplier, and arbitrageurs trade each one toward the
//      oracle; each market's mark_price event is its venue's quoted mid (liquidity.hpp), which
//      the previous step's liquidations and trader flow have moved. When funding is due
//      (FundingSchedule), each traded perpetual then accrues at these prices.
//   2. The scan: a MarginBook mirror of the engine's ledger is repriced from the engine's own
//      price book and recomputed (margin/liquidation_scan.hpp, recompute_and_scan): the
//      liquidatable and bankrupt groups, O(accounts) with no per-account event. The mirror is
//      only a finder: every decision is an event the engine validates itself.
//   3. The protocol: check_health on each listed group, backstop_takeover below the backstop
//      threshold when the venue has a vault, resolve_bankruptcy on the bankrupt.
//   4. Agents act (agents.hpp), by events only: liquidators, traders (sparse: only those with
//      something to do; their trades go through the venues), LPs, attackers.
// After every accepted event the mirror takes in the holdings of the sub-accounts the ledger's
// change feed names (MarginBook::set_holdings): fills, liquidations, deposits, bankruptcies and
// takeovers alike, at the cost of what the event touched. It is rebuilt from the whole ledger
// only when the feed no longer reaches back to its last look or names a sub-account it lacks.
//
// Determinism (DESIGN principle 2): a path's events are a function of (seed, scenario, path) and
// the configuration: prices and oracle noise from the path's PathKey, each agent's draws from
// CounterRng streams keyed by (seed, scenario, path, agent) at index step. The population (who
// trades what, with how much) depends on (seed, scenario) only, so every path starts from the
// same venue (common random numbers across paths and across parameter sets). Threads take whole
// paths; results are written in path order, so they never depend on the thread count.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ballast/core/result.hpp"
#include "ballast/engine/engine.hpp"
#include "ballast/margin/venue_config.hpp"
#include "ballast/sim/agents.hpp"
#include "ballast/sim/oracle_model.hpp"
#include "ballast/sim/results.hpp"

namespace ballast::sim {

// Which oracle model publishes the path's prices to the engine, and its parameters.
using OracleChoice = std::variant<PushParams, EmaParams, MedianParams>;

// Each traded asset's venue (liquidity.hpp), made at the scenario's start price:
//   pool: a constant-product pool with calm_depth_quote of quote reserve (the base reserve at
//         the start price) and a fee;
//   book: a depth-curve order book with calm_depth_quote of depth on each side (in quote at the
//         start price) out to max_distance from the mid, spread by depth_exponent; no fee. Near
//         the mid it is as deep as a pool of reserve 2 · calm_depth_quote / max_distance (at
//         exponent 1: both move their price by s for about calm_depth_quote · s / max_distance).
// Both recover at the half-life.
enum class VenueKind : std::uint8_t { pool, book };

struct VenueDepth {
  VenueKind kind = VenueKind::pool;
  double calm_depth_quote = 50'000'000.0;  // > 0
  double fee = 0.003;                      // [0, 1); pool only
  double recovery_half_life_s = 600.0;     // > 0
  double max_distance = 0.1;               // (0, 1); book only
  double depth_exponent = 1.0;             // > 0; book only
};

// The venue of one traded asset (its venue symbol, for messages) at its start price; the
// model's invalid_input error, naming the field, for a bad parameter.
Result<Venue> make_venue(const VenueDepth& depth, const std::string& asset, double start_price);

// Perpetual funding in the paths: every interval_s of simulated time (ceil(interval_s / dt)
// steps, from step 1, whose accrual only starts the markets' clocks; 0: no funding) each traded
// perpetual gets an accrue_funding event after the step's prices. The engine prices it with the
// perpetual's own FundingParams (premium, clamp, base rate: market/funding.hpp); for impact
// premiums the event carries the venue's impact prices (agents.hpp, funding_event).
struct FundingSchedule {
  double interval_s = 3'600.0;         // >= 0
  double impact_margin_quote = 500.0;  // > 0: dYdX's impact notional is this / the IMF
};

struct SimulationConfig {
  std::string venue_name;  // results.venue: the venue file or name
  margin::RiskConfig risk;
  EngineOptions options;
  std::string scenario = "ftx-2022";  // scenarios.hpp name
  std::uint64_t seed = 1;
  std::uint32_t paths = 100;
  // Steps per path; 0: the scenario's own length. Fewer than the scenario's run its first steps.
  std::uint32_t steps = 0;
  std::uint64_t accounts = 1'000;  // trader sub-accounts per path
  // A scenario symbol the venue does not list trades as this venue asset ("ALT" -> "SOL").
  std::map<std::string, std::string> asset_aliases{{"ALT", "SOL"}, {"THIN", "TAIL"}};
  // Assets and markets of the venue that no scenario asset maps to hold this price all path long
  // (per venue asset symbol; missing: 1).
  std::map<std::string, double> fixed_prices;
  OracleChoice oracle = PushParams{0.005, 3'600.0, 0};
  VenueDepth depth;                                  // every traded asset's venue...
  std::map<std::string, VenueDepth> depth_by_asset;  // ...unless named here (venue symbol)
  FundingSchedule funding;
  double insurance_fund_quote = 5'000'000.0;  // deposited into the insurance fund before step 0
  AgentMix agents;
};

// A configuration for a venue (its RiskConfig, named venue.name or venue.source) and scenario,
// with the defaults above; the engine options give the venue a liquidity vault and a price age
// that outlives the oracle's heartbeat. Checked like run_simulation's input.
Result<SimulationConfig> default_simulation_config(const margin::VenueConfig& venue, std::string_view scenario);

// Called with (paths finished, paths in all) on the thread that called run_simulation, once per
// finished path, in increasing order, never concurrently.
using ProgressCallback = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Called after every step of every path with the engine as that step left it: for tests and
// tools that check invariants. Called from the worker threads, concurrently for different paths.
using StepObserver = std::function<void(std::uint64_t path, std::uint32_t step, const Engine& engine)>;

// Every path of the configuration, threads >= 1 (more threads than paths run idle). An
// invalid_input error, before any path runs, for a configuration that cannot run: an unknown
// scenario, a scenario asset the venue does not list (after aliases) or without a perpetual,
// bad oracle, venue or agent parameters, zero paths.
Result<SimulationResults> run_simulation(const SimulationConfig& config, std::uint32_t threads,
                                         const ProgressCallback& progress = {}, const StepObserver& observer = {});

// Field-by-field equality of two runs (threads excepted: it never changes a figure).
bool same_figures(const SimulationResults& a, const SimulationResults& b);

}  // namespace ballast::sim

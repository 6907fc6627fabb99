#pragma once
// What one simulated path produced, and the run around it (issue 7, item 5). The runner
// (runner.hpp) fills these from the real engine's state after every step; the statistics
// (statistics.hpp) and the report (report.hpp) read them. Money figures are exact quote units (the
// quote asset's smallest unit, as the engine's ledger counts them); nothing here is rounded for
// display. A path's figures depend only on (seed, scenario, path) and the configuration, never on
// the thread that ran it.

#include <cstdint>
#include <string>
#include <vector>

namespace ballast::sim {

// One path's outcome. Bad debt is the engine's LossTotals::deficit: what the bankrupt groups owed
// after their own collateral; the buckets below say where it went and always sum to it.
struct PathOutcome {
  std::uint64_t path = 0;
  std::int64_t bad_debt_units = 0;                 // LossTotals::deficit at the path's end
  std::int64_t insurance_paid_units = 0;           // LossTotals::insurance
  std::int64_t adl_units = 0;                      // LossTotals::adl
  std::int64_t socialized_units = 0;               // LossTotals::socialized
  std::int64_t unresolved_units = 0;               // LossTotals::unresolved
  std::int64_t insurance_fund_start_units = 0;     // the fund's balance before the first step
  std::int64_t insurance_drawdown_units = 0;       // largest peak-to-trough fall of the fund
  std::uint64_t liquidations = 0;                  // liquidate events applied
  std::uint64_t bankruptcies = 0;                  // resolve_bankruptcy events applied
  std::uint64_t adl_hits = 0;                      // LossTotals::adl_closes
  std::int64_t liquidation_volume_units = 0;       // notional closed by liquidate events, at their price
  double utilization_max = 0.0;                    // the quote pool's peak utilization, [0, 1]
  std::uint64_t events_applied = 0;                // events the engine accepted on this path
  std::uint64_t events_rejected = 0;               // events it answered with a rejection
  std::vector<std::int64_t> insurance_fund_units;  // the fund's balance after each step

  // Every field: utilization_max compares as a double, exact because every thread computes it
  // with the same operations in the same order.
  friend bool operator==(const PathOutcome&, const PathOutcome&) = default;
};

// The whole run: what produced it (so results.json says how to reproduce itself) and every path,
// in path order.
struct SimulationResults {
  std::string venue;             // the venue configuration's name or file
  std::string scenario;          // scenarios.hpp name
  std::uint64_t seed = 0;
  std::uint32_t threads = 1;     // how many ran it; never changes any figure
  std::uint32_t steps = 0;       // per path
  std::uint64_t accounts = 0;    // trader sub-accounts per path
  std::vector<PathOutcome> paths;
};

}  // namespace ballast::sim

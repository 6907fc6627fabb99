#pragma once
// Parameter sweeps (issue 7, item 7): a grid of settings, each run with the same seed (common
// random numbers: every setting sees the same market paths and agents' draws, so differences
// between settings are the parameters', not the noise's), ranked by the bad debt's expected
// shortfall subject to ES <= the insurance fund.
//
// A grid is one or more axes "name=v1,v2,...": the settings are their Cartesian product, the
// first axis varying slowest (the order a reader of the table expects: like nested loops in
// the order given). Values stay text: what a value means is the caller's (the CLI's) business.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ballast/core/result.hpp"
#include "ballast/sim/statistics.hpp"

namespace ballast::sim {

struct GridAxis {
  std::string name;
  std::vector<std::string> values;
};

// One "name=v1,v2,..." axis: a non-empty name, at least one value, no empty value, no value
// twice. An invalid_input error quoting the text otherwise.
Result<GridAxis> parse_grid_axis(std::string_view text);

using Setting = std::vector<std::pair<std::string, std::string>>;  // (name, value) per axis

// The Cartesian product of the axes, first axis slowest; an error for two axes of one name or
// more than max_settings settings.
Result<std::vector<Setting>> grid_settings(const std::vector<GridAxis>& axes, std::size_t max_settings);

// "name=value, name=value": a setting's label in tables and charts.
std::string setting_label(const Setting& setting);

// The level whose ES ranks the settings: 99%, kTailLevels[1] (Chaos Labs' p99 "EVaR" horizon;
// the stricter of the two levels the report shows).
inline constexpr std::size_t kRankingTail = 1;

struct SweepEntry {
  Setting setting;
  SummaryStatistics statistics;
  bool feasible = false;  // bad-debt ES <= the insurance fund at the start
  std::size_t rank = 0;   // 1 = best; feasible settings rank before every infeasible one
};

// Sets feasible and rank: feasible first, then by bad-debt ES at kRankingTail ascending, then by
// ES at 95%, then in grid order (a total order, so the ranking is deterministic).
void rank_settings(std::vector<SweepEntry>& entries);

}  // namespace ballast::sim

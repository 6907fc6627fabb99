#pragma once
// The scenario library (issue 7, item 1): market stress episodes as data for the path generators
// (paths.hpp). Each is a scripted Brownian bridge through the episode's observed prices (multiples
// of the start price at given steps) with GBM noise between and after them, plus a depth
// multiplier series per asset for the liquidity model to scale its venue depth by.
//
// Every number says where it comes from in the scenario's description: the daily bars in
// shared/data/market (Yahoo Finance closes and lows), research/defi-engines.md (c), or a named
// public report; a number with no source is called an assumption there. Daily bars give no time
// of day, so the step at which an intraday low is placed is an assumption too.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ballast/core/result.hpp"
#include "ballast/sim/paths.hpp"

namespace ballast::sim {

struct Scenario {
  std::string name;         // lower-case, dashes: the key of scenario_by_name and of scenario_id
  std::string description;  // what happened, the numbers used and their sources
  std::vector<std::string> symbols;
  std::vector<double> start_prices;
  double dt_s = 0.0;
  std::size_t steps = 0;
  BridgeParams path;
  // Per asset: depth as a multiple of the venue's calm depth, piecewise linear from 1 at step 0
  // through the knots and flat after the last (no knots: always 1).
  std::vector<std::vector<Knot>> depth;
};

// The built-in scenarios, in a fixed order.
const std::vector<Scenario>& scenario_library();

// The scenario of that name; an error listing the known names otherwise.
Result<const Scenario*> scenario_by_name(std::string_view name);

// The scenario part of a PathKey: a hash of the name, so it does not move when the library grows
// or is reordered.
std::uint64_t scenario_id(std::string_view name);

// Checks the whole scenario (symbols, start prices, steps against the last knot, depth knots) and
// makes its path model.
Result<Bridge> scenario_model(const Scenario& scenario);

// The depth multiplier of one asset at one step.
double depth_multiplier(const Scenario& scenario, std::size_t asset, std::size_t step);

// Every asset's depth multiplier, (steps + 1) x assets, in the layout of the prices.
void depth_series(const Scenario& scenario, std::span<double> out);

}  // namespace ballast::sim

#pragma once
// Scenario grids for portfolio margin (research portfolio-margin.md, sections b1 Deribit and b2
// Derive PMRM_2): spot moves across +-range, volatility up/same/down, extended tail moves counted
// with a weight (dampening), Derive's skew shocks, and the correlation matrix that links the grids
// of several underlyings.
//
// A move m scales every price of the underlying by (1 + m): spot, forwards, perpetual and future
// marks. Volatility levels are applied per option by the (30/DTE)^p law of pricing/surface.hpp.

#include <cstdint>
#include <span>
#include <vector>

#include "ballast/core/result.hpp"

namespace ballast::portfolio {

// How a scenario moves each option's implied volatility. up/down: the vol-shock law
// (pricing::VolShockParams); skew_linear/skew_abs: Derive's skew rotations (SkewParams).
enum class VolLevel : std::uint8_t { none, up, down, skew_linear, skew_abs };

const char* vol_level_name(VolLevel level) noexcept;

// regular: inside +-range; tail: an extended move, counted x weight; skew: a smile rotation at an
// unchanged spot whose per-expiry P&L is always counted as a loss (-|P&L|, Derive).
enum class ScenarioKind : std::uint8_t { regular, tail, skew };

struct Scenario {
  double spot_move = 0;  // relative, > -1
  VolLevel vol = VolLevel::none;
  double weight = 1;  // the scenario's P&L counts x weight (1 inside the range)
  ScenarioKind kind = ScenarioKind::regular;
};

struct TailMove {
  double spot_move = 0;
  double weight = 0;
};

// The grid of one underlying. Regular points: range * i / steps for i = -steps .. steps, each with
// vol none and, where enabled, up and down; with edges_vol_up_only the two outermost points get
// only vol up (Derive: x1.18 and x0.82). Tails: each move with vol up and its weight. Skew: the two
// rotations at an unchanged spot.
struct GridSpec {
  double range = 0.16;
  int steps = 4;
  bool vol_up = true;
  bool vol_down = true;
  bool edges_vol_up_only = false;
  std::vector<TailMove> tails;
  bool skew = false;
};

// range in (0, 1), 1 <= steps <= 50, tail moves finite, > -1, outside the range (|m| > range),
// tail weights in (0, 1]. The error names the field.
Outcome check_grid(const GridSpec& grid);

// The scenarios of a checked grid, in this order: regular points from the largest move down
// (vol down, none, up at each), then tails in the order given, then skew linear and abs.
std::vector<Scenario> make_scenarios(const GridSpec& grid);

// Tails weighted numerator / |m| (Derive: 0.1386 / |m| = 0.18 * 0.77 / |m|; Paradex and Deribit's
// extended table: range / |m|, SPAN's extreme moves a flat fraction instead).
std::vector<TailMove> tails_over_move(std::span<const double> moves, double numerator);

// Derive PMRM_2's skew shock (research b2): sigma * max(0, 1 + clamp(k cap / k*, +-cap)) with
// k = ln(K/F) (linear) or |ln(K/F)| (abs), cap = c_base sqrt(tau) + base_cap and
// k* = max(min_k_star, sqrt(tau) width_scale (vol_param_static + sqrt(tau) vol_param_scale)).
// Defaults: the values of Derive's published test cases.
struct SkewParams {
  double linear_base_cap = 0.15;
  double linear_c_base = -0.05;
  double abs_base_cap = 0.15;
  double abs_c_base = -0.05;
  double min_k_star = 0.01;
  double width_scale = 4.0;
  double vol_param_static = 0.6;
  double vol_param_scale = -0.1;
};

// Every field finite; min_k_star > 0 (k* is a divisor); width_scale >= 0.
Outcome check_skew(const SkewParams& skew);

// The factor on sigma for a skew level (1 for any other level); tau >= 0 in years.
double skew_vol_factor(const SkewParams& skew, VolLevel level, double log_moneyness,
                       double expiry_years) noexcept;

// A K x K correlation matrix, row-major: symmetric, unit diagonal, entries in [-1, 1], positive
// semidefinite (an LDL^T factorization with pivots >= -1e-12). Empty means the identity.
Outcome check_correlation(std::span<const double> matrix, std::size_t dimension);

}  // namespace ballast::portfolio

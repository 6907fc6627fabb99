#include "ballast/portfolio/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "ballast/pricing/black.hpp"

namespace ballast::portfolio {
namespace {

Error bad(const std::string& name, const char* wanted, double value) {
  return pricing::invalid_field(name.c_str(), value, wanted);
}

Outcome check_tail(const TailMove& tail, double range, std::size_t index) {
  const std::string name = "grid tails[" + std::to_string(index) + "]";
  if (!(std::isfinite(tail.spot_move) && tail.spot_move > -1.0 &&
        std::fabs(tail.spot_move) > range)) {
    return bad(name + ".spot_move", "finite, above -1 and beyond the range", tail.spot_move);
  }
  if (!(tail.weight > 0 && tail.weight <= 1)) return bad(name + ".weight", "in (0, 1]", tail.weight);
  return Ok{};
}

void add_point(std::vector<Scenario>& out, const GridSpec& grid, double move, bool edge) {
  if (edge && grid.edges_vol_up_only) {
    out.push_back({move, VolLevel::up, 1.0, ScenarioKind::regular});
    return;
  }
  if (grid.vol_down) out.push_back({move, VolLevel::down, 1.0, ScenarioKind::regular});
  out.push_back({move, VolLevel::none, 1.0, ScenarioKind::regular});
  if (grid.vol_up) out.push_back({move, VolLevel::up, 1.0, ScenarioKind::regular});
}

}  // namespace

const char* vol_level_name(VolLevel level) noexcept {
  switch (level) {
    case VolLevel::none: return "none";
    case VolLevel::up: return "up";
    case VolLevel::down: return "down";
    case VolLevel::skew_linear: return "skew_linear";
    case VolLevel::skew_abs: return "skew_abs";
  }
  return "?";
}

Outcome check_grid(const GridSpec& grid) {
  if (!(grid.range > 0 && grid.range < 1)) return bad("grid range", "in (0, 1)", grid.range);
  if (grid.steps < 1 || grid.steps > 50) {
    return bad("grid steps", "an integer in [1, 50]", static_cast<double>(grid.steps));
  }
  for (std::size_t i = 0; i < grid.tails.size(); ++i) {
    if (Outcome ok = check_tail(grid.tails[i], grid.range, i); !ok) return ok;
  }
  return Ok{};
}

std::vector<Scenario> make_scenarios(const GridSpec& grid) {
  std::vector<Scenario> out;
  // range * i / steps: the outermost points are exactly +-range, and a grid of 4 steps on 0.18
  // gives 0.045 exactly as written (division by a power of two is exact).
  for (int i = grid.steps; i >= -grid.steps; --i) {
    const double move = grid.range * static_cast<double>(i) / static_cast<double>(grid.steps);
    add_point(out, grid, move, i == grid.steps || i == -grid.steps);
  }
  for (const TailMove& tail : grid.tails) {
    out.push_back({tail.spot_move, VolLevel::up, tail.weight, ScenarioKind::tail});
  }
  if (grid.skew) {
    out.push_back({0.0, VolLevel::skew_linear, 1.0, ScenarioKind::skew});
    out.push_back({0.0, VolLevel::skew_abs, 1.0, ScenarioKind::skew});
  }
  return out;
}

std::vector<TailMove> tails_over_move(std::span<const double> moves, double numerator) {
  std::vector<TailMove> out;
  out.reserve(moves.size());
  for (const double move : moves) out.push_back({move, numerator / std::fabs(move)});
  return out;
}

Outcome check_skew(const SkewParams& skew) {
  for (const auto& [name, value] :
       {std::pair{"skew linear_base_cap", skew.linear_base_cap},
        std::pair{"skew linear_c_base", skew.linear_c_base},
        std::pair{"skew abs_base_cap", skew.abs_base_cap}, std::pair{"skew abs_c_base", skew.abs_c_base},
        std::pair{"skew vol_param_static", skew.vol_param_static},
        std::pair{"skew vol_param_scale", skew.vol_param_scale}}) {
    if (!std::isfinite(value)) return bad(name, "finite", value);
  }
  if (!(std::isfinite(skew.min_k_star) && skew.min_k_star > 0)) {
    return bad("skew min_k_star", "positive and finite", skew.min_k_star);
  }
  if (!(std::isfinite(skew.width_scale) && skew.width_scale >= 0)) {
    return bad("skew width_scale", "non-negative and finite", skew.width_scale);
  }
  return Ok{};
}

double skew_vol_factor(const SkewParams& skew, VolLevel level, double log_moneyness,
                       double expiry_years) noexcept {
  if (level != VolLevel::skew_linear && level != VolLevel::skew_abs) return 1.0;
  const bool linear = level == VolLevel::skew_linear;
  const double root_tau = std::sqrt(expiry_years);
  const double cap = linear ? skew.linear_c_base * root_tau + skew.linear_base_cap
                            : skew.abs_c_base * root_tau + skew.abs_base_cap;
  const double vol_param = skew.vol_param_static + root_tau * skew.vol_param_scale;
  const double k_star = std::max(skew.min_k_star, root_tau * skew.width_scale * vol_param);
  const double k = linear ? log_moneyness : std::fabs(log_moneyness);
  const double tilt = k * cap / k_star;
  const double factor = 1.0 + (k >= 0 ? std::min(cap, tilt) : std::max(-cap, tilt));
  return std::max(factor, 0.0);
}

Outcome check_correlation(std::span<const double> matrix, std::size_t dimension) {
  if (matrix.empty()) return Ok{};
  if (matrix.size() != dimension * dimension) {
    return bad("correlation size", "the number of underlyings squared",
               static_cast<double>(matrix.size()));
  }
  const auto at = [&](std::size_t i, std::size_t j) { return matrix[i * dimension + j]; };
  for (std::size_t i = 0; i < dimension; ++i) {
    for (std::size_t j = 0; j < dimension; ++j) {
      const std::string name = "correlation[" + std::to_string(i) + "][" + std::to_string(j) + "]";
      if (i == j && at(i, j) != 1.0) return bad(name, "1 on the diagonal", at(i, j));
      if (!(at(i, j) >= -1.0 && at(i, j) <= 1.0)) return bad(name, "in [-1, 1]", at(i, j));
      if (at(i, j) != at(j, i)) return bad(name, "equal to its transpose", at(i, j));
    }
  }
  // LDL^T without pivoting: a correlation matrix is positive semidefinite exactly when every
  // pivot is >= 0; a zero pivot (a perfectly correlated pair) leaves its column out.
  std::vector<double> l(dimension * dimension, 0.0);
  std::vector<double> d(dimension, 0.0);
  for (std::size_t j = 0; j < dimension; ++j) {
    double pivot = at(j, j);
    for (std::size_t k = 0; k < j; ++k) pivot -= l[j * dimension + k] * l[j * dimension + k] * d[k];
    if (pivot < -1e-12) return bad("correlation", "positive semidefinite (LDL^T pivot)", pivot);
    d[j] = pivot;
    for (std::size_t i = j + 1; i < dimension; ++i) {
      double sum = at(i, j);
      for (std::size_t k = 0; k < j; ++k) sum -= l[i * dimension + k] * l[j * dimension + k] * d[k];
      if (pivot <= 1e-12 && std::fabs(sum) > 1e-9) {
        return bad("correlation", "positive semidefinite (a zero pivot with a non-zero column)", sum);
      }
      l[i * dimension + j] = pivot > 1e-12 ? sum / pivot : 0.0;
    }
  }
  return Ok{};
}

}  // namespace ballast::portfolio

#include "ballast/pricing/surface.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "ballast/pricing/dmath.hpp"

namespace ballast::pricing {
namespace {

std::string shown(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

Error invalid(std::string message) {
  return make_error(ErrorCode::invalid_input, std::move(message));
}

// "svi b must be non-negative, got -0.5"
Error bad_value(const std::string& name, const char* wanted, double value) {
  return invalid(name + " must be " + wanted + ", got " + shown(value));
}

Outcome check_finite(const std::string& name, double value) {
  if (std::isfinite(value)) return Ok{};
  return bad_value(name, "finite", value);
}

Outcome check_positive(const std::string& name, double value) {
  if (std::isfinite(value) && value > 0) return Ok{};
  return bad_value(name, "positive and finite", value);
}

Outcome check_non_negative(const std::string& name, double value) {
  if (std::isfinite(value) && value >= 0) return Ok{};
  return bad_value(name, "non-negative and finite", value);
}

Outcome check_correlation(const std::string& name, double value) {
  if (std::isfinite(value) && value > -1.0 && value < 1.0) return Ok{};
  return bad_value(name, "strictly between -1 and 1", value);
}

// Prefixes an error with where it happened: "slice 2: svi b must be ...".
Error located(const std::string& where, Error error) {
  error.message = where + ": " + error.message;
  return error;
}

Outcome check_option(double strike, double expiry_years) {
  if (Outcome ok = check_positive("strike", strike); !ok) return ok;
  return check_non_negative("expiry_years", expiry_years);
}

double power(double x, double p) { return dmath::exp(p * dmath::log(x)); }

double grid_k(const KGrid& grid, int index) {
  if (index == grid.points - 1) return grid.k_max;
  const double step = (grid.k_max - grid.k_min) / static_cast<double>(grid.points - 1);
  return grid.k_min + step * static_cast<double>(index);
}

double vol_from(double total_variance, double expiry_years) {
  // A slice passing check_svi has w >= 0 mathematically; rounding can leave -1e-18 at its minimum.
  return std::sqrt(std::max(total_variance, 0.0) / expiry_years);
}

Outcome check_svi_shape(const SviParams& svi) {
  if (svi.b < 0) return bad_value("svi b", "non-negative", svi.b);
  if (Outcome ok = check_correlation("svi rho", svi.rho); !ok) return ok;
  if (svi.sigma <= 0) return bad_value("svi sigma", "positive", svi.sigma);
  const double min_w = svi.a + svi.b * svi.sigma * std::sqrt(1.0 - svi.rho * svi.rho);
  if (min_w < 0) {
    return bad_value("svi minimum total variance a + b*sigma*sqrt(1-rho^2)", "non-negative", min_w);
  }
  // Roger Lee's moment formula bounds the wings of w(k)/|k| by 2.
  const double right_slope = svi.b * (1.0 + svi.rho);
  if (right_slope > 2.0) {
    return bad_value("svi right wing slope b*(1+rho)", "at most 2", right_slope);
  }
  const double left_slope = svi.b * (1.0 - svi.rho);
  if (left_slope > 2.0) return bad_value("svi left wing slope b*(1-rho)", "at most 2", left_slope);
  return Ok{};
}

}  // namespace

// ---- Raw SVI ----------------------------------------------------------------------------------

double svi_total_variance(const SviParams& svi, double k) noexcept {
  const double x = k - svi.m;
  return svi.a + svi.b * (svi.rho * x + std::sqrt(x * x + svi.sigma * svi.sigma));
}

SlicePoint svi_point(const SviParams& svi, double k) noexcept {
  const double x = k - svi.m;
  const double sigma_squared = svi.sigma * svi.sigma;
  const double root = std::sqrt(x * x + sigma_squared);
  return {svi.a + svi.b * (svi.rho * x + root), svi.b * (svi.rho + x / root),
          svi.b * sigma_squared / (root * root * root)};
}

Outcome check_svi(const SviParams& svi) {
  for (const auto& [name, value] :
       {std::pair{"svi a", svi.a}, std::pair{"svi b", svi.b}, std::pair{"svi rho", svi.rho},
        std::pair{"svi m", svi.m}, std::pair{"svi sigma", svi.sigma}}) {
    if (Outcome ok = check_finite(name, value); !ok) return ok;
  }
  return check_svi_shape(svi);
}

// ---- SSVI -------------------------------------------------------------------------------------

double ssvi_phi(const SsviParams& ssvi, double theta) noexcept {
  return ssvi.eta / (power(theta, ssvi.gamma) * power(1.0 + theta, 1.0 - ssvi.gamma));
}

double ssvi_total_variance(const SsviParams& ssvi, double theta, double k) noexcept {
  const double phi = ssvi_phi(ssvi, theta);
  const double shifted = phi * k + ssvi.rho;
  return 0.5 * theta *
         (1.0 + ssvi.rho * phi * k + std::sqrt(shifted * shifted + 1.0 - ssvi.rho * ssvi.rho));
}

Outcome check_ssvi(const SsviParams& ssvi) {
  if (Outcome ok = check_correlation("ssvi rho", ssvi.rho); !ok) return ok;
  if (Outcome ok = check_positive("ssvi eta", ssvi.eta); !ok) return ok;
  if (!(ssvi.gamma >= 0.0 && ssvi.gamma <= 1.0)) {
    return bad_value("ssvi gamma", "between 0 and 1", ssvi.gamma);
  }
  return Ok{};
}

Outcome check_ssvi_slice(const SsviParams& ssvi, double theta) {
  if (Outcome ok = check_ssvi(ssvi); !ok) return ok;
  if (Outcome ok = check_positive("ssvi theta", theta); !ok) return ok;
  const double phi = ssvi_phi(ssvi, theta);
  const double skew = 1.0 + std::abs(ssvi.rho);
  const std::string where = " (Gatheral-Jacquier 2014 Theorem 4.2) at theta " + shown(theta);
  if (const double slope = theta * phi * skew; !(slope < 4.0)) {
    return bad_value("ssvi theta*phi*(1+|rho|)" + where, "below 4", slope);
  }
  if (const double curvature = theta * phi * phi * skew; !(curvature <= 4.0)) {
    return bad_value("ssvi theta*phi^2*(1+|rho|)" + where, "at most 4", curvature);
  }
  return Ok{};
}

Result<SviParams> ssvi_to_svi(const SsviParams& ssvi, double theta) {
  if (Outcome ok = check_ssvi_slice(ssvi, theta); !ok) return std::move(ok).error();
  const double phi = ssvi_phi(ssvi, theta);
  const double rho_complement = 1.0 - ssvi.rho * ssvi.rho;
  return SviParams{0.5 * theta * rho_complement, 0.5 * theta * phi, ssvi.rho, -ssvi.rho / phi,
                   std::sqrt(rho_complement) / phi};
}

// ---- Butterfly arbitrage ----------------------------------------------------------------------

Outcome check_grid(const KGrid& grid) {
  if (Outcome ok = check_finite("grid k_min", grid.k_min); !ok) return ok;
  if (Outcome ok = check_finite("grid k_max", grid.k_max); !ok) return ok;
  if (!(grid.k_min < grid.k_max)) {
    return invalid("grid k_min must be below k_max, got " + shown(grid.k_min) + " and " +
                   shown(grid.k_max));
  }
  if (grid.points < 2) return bad_value("grid points", "at least 2", grid.points);
  return Ok{};
}

double butterfly_density(const SlicePoint& point, double k) noexcept {
  if (!(point.w > 0)) return -HUGE_VAL;
  const double skew_term = 1.0 - k * point.dw / (2.0 * point.w);
  return skew_term * skew_term - 0.25 * point.dw * point.dw * (1.0 / point.w + 0.25) +
         0.5 * point.d2w;
}

Result<ButterflyReport> check_butterfly(const SviParams& svi, const KGrid& grid) {
  if (Outcome ok = check_grid(grid); !ok) return std::move(ok).error();
  ButterflyReport report;
  report.worst_g = HUGE_VAL;
  for (int i = 0; i < grid.points; ++i) {
    const double k = grid_k(grid, i);
    const double g = butterfly_density(svi_point(svi, k), k);
    if (g < report.worst_g) {
      report.worst_g = g;
      report.worst_k = k;
    }
  }
  report.arbitrage_free = report.worst_g >= 0;
  return report;
}

// ---- Surface ----------------------------------------------------------------------------------

Result<VolSurface> VolSurface::make(std::vector<SurfaceSlice> slices) {
  if (slices.empty()) return invalid("a vol surface needs at least one slice");
  for (std::size_t i = 0; i < slices.size(); ++i) {
    const SurfaceSlice& slice = slices[i];
    const std::string where = "slice " + std::to_string(i);
    if (Outcome ok = check_positive("expiry_years", slice.expiry_years); !ok) {
      return located(where, std::move(ok).error());
    }
    if (i > 0 && !(slice.expiry_years > slices[i - 1].expiry_years)) {
      return invalid(where + ": expiries must increase strictly, got " + shown(slice.expiry_years) +
                     " after " + shown(slices[i - 1].expiry_years));
    }
    if (Outcome ok = check_positive("forward", slice.forward); !ok) {
      return located(where, std::move(ok).error());
    }
    if (Outcome ok = check_svi(slice.svi); !ok) return located(where, std::move(ok).error());
  }
  return VolSurface(std::move(slices));
}

std::size_t VolSurface::upper_index(double expiry_years) const noexcept {
  const auto later =
      std::upper_bound(slices_.begin(), slices_.end(), expiry_years,
                       [](double t, const SurfaceSlice& slice) { return t < slice.expiry_years; });
  return static_cast<std::size_t>(later - slices_.begin());
}

double VolSurface::forward(double expiry_years) const noexcept {
  const std::size_t i = upper_index(expiry_years);
  if (i == 0) return slices_.front().forward;
  if (i == slices_.size()) return slices_.back().forward;
  const SurfaceSlice& before = slices_[i - 1];
  const SurfaceSlice& after = slices_[i];
  const double fraction =
      (expiry_years - before.expiry_years) / (after.expiry_years - before.expiry_years);
  return before.forward * dmath::exp(fraction * dmath::log(after.forward / before.forward));
}

double VolSurface::total_variance(double k, double expiry_years) const noexcept {
  const std::size_t i = upper_index(expiry_years);
  if (i == 0 || i == slices_.size()) {
    // Flat vol outside the nodes; T / T_node is exactly 1 at the last node.
    const SurfaceSlice& node = i == 0 ? slices_.front() : slices_.back();
    return svi_total_variance(node.svi, k) * (expiry_years / node.expiry_years);
  }
  const SurfaceSlice& before = slices_[i - 1];
  const SurfaceSlice& after = slices_[i];
  const double fraction =
      (expiry_years - before.expiry_years) / (after.expiry_years - before.expiry_years);
  const double w_before = svi_total_variance(before.svi, k);
  return w_before + fraction * (svi_total_variance(after.svi, k) - w_before);
}

double VolSurface::vol_at_moneyness(double k, double expiry_years) const noexcept {
  const std::size_t i = upper_index(expiry_years);
  if (i == 0 || i == slices_.size()) {
    // Dividing the node's own w by its own expiry keeps T = 0 well defined.
    const SurfaceSlice& node = i == 0 ? slices_.front() : slices_.back();
    return vol_from(svi_total_variance(node.svi, k), node.expiry_years);
  }
  return vol_from(total_variance(k, expiry_years), expiry_years);
}

Result<double> VolSurface::vol(double strike, double expiry_years) const {
  if (Outcome ok = check_option(strike, expiry_years); !ok) return std::move(ok).error();
  return vol_at_moneyness(dmath::log(strike / forward(expiry_years)), expiry_years);
}

Result<VolSurface> make_ssvi_surface(const SsviParams& ssvi, std::span<const SsviNode> nodes) {
  std::vector<SurfaceSlice> slices;
  slices.reserve(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    Result<SviParams> svi = ssvi_to_svi(ssvi, nodes[i].theta);
    if (!svi) return located("node " + std::to_string(i), std::move(svi).error());
    slices.push_back({nodes[i].expiry_years, nodes[i].forward, *svi});
  }
  return VolSurface::make(std::move(slices));
}

Result<CalendarReport> check_calendar(const VolSurface& surface, const KGrid& grid) {
  if (Outcome ok = check_grid(grid); !ok) return std::move(ok).error();
  const auto slices = surface.slices();
  for (std::size_t j = 1; j < slices.size(); ++j) {
    const SurfaceSlice& earlier = slices[j - 1];
    const SurfaceSlice& later = slices[j];
    for (int i = 0; i < grid.points; ++i) {
      const double k = grid_k(grid, i);
      const double w_earlier = svi_total_variance(earlier.svi, k);
      const double w_later = svi_total_variance(later.svi, k);
      if (w_later < w_earlier) {
        return CalendarReport{.arbitrage_free = false,
                              .k = k,
                              .earlier_expiry_years = earlier.expiry_years,
                              .later_expiry_years = later.expiry_years,
                              .earlier_w = w_earlier,
                              .later_w = w_later};
      }
    }
  }
  return CalendarReport{};
}

// ---- Vol shocks -------------------------------------------------------------------------------

Outcome check_vol_shock(const VolShockParams& params) {
  for (const auto& [name, value] :
       {std::pair{"vol shock range_up", params.range_up},
        std::pair{"vol shock range_down", params.range_down},
        std::pair{"vol shock min_vol_up", params.min_vol_up},
        std::pair{"vol shock short_term_power", params.short_term_power},
        std::pair{"vol shock long_term_power", params.long_term_power}}) {
    if (Outcome ok = check_non_negative(name, value); !ok) return ok;
  }
  if (Outcome ok = check_positive("vol shock pivot_days", params.pivot_days); !ok) return ok;
  return check_positive("vol shock dte_floor_days", params.dte_floor_days);
}

double vol_shock_factor(const VolShockParams& params, double dte_days) noexcept {
  const double dte = std::max(dte_days, params.dte_floor_days);
  const double p = dte < params.pivot_days ? params.short_term_power : params.long_term_power;
  return power(params.pivot_days / dte, p);
}

Result<ShockedVol> shock_vol(const VolShockParams& params, double vol, double dte_days) {
  if (Outcome ok = check_vol_shock(params); !ok) return std::move(ok).error();
  if (Outcome ok = check_non_negative("vol", vol); !ok) return std::move(ok).error();
  if (Outcome ok = check_non_negative("dte_days", dte_days); !ok) return std::move(ok).error();
  const double f = vol_shock_factor(params, dte_days);
  return ShockedVol{std::max(vol * (1.0 + params.range_up * f), params.min_vol_up),
                    std::max(vol * (1.0 - params.range_down * f), 0.0)};
}

const char* smile_dynamics_name(SmileDynamics dynamics) noexcept {
  return dynamics == SmileDynamics::sticky_strike ? "sticky_strike" : "sticky_moneyness";
}

Result<double> vol_after_spot_move(const VolSurface& surface, SmileDynamics dynamics, double strike,
                                   double expiry_years, double spot_move) {
  if (!(std::isfinite(spot_move) && spot_move > -1.0)) {
    return bad_value("spot_move", "above -1 and finite", spot_move);
  }
  if (dynamics == SmileDynamics::sticky_strike) return surface.vol(strike, expiry_years);
  if (Outcome ok = check_option(strike, expiry_years); !ok) return std::move(ok).error();
  const double moved_forward = surface.forward(expiry_years) * (1.0 + spot_move);
  return surface.vol_at_moneyness(dmath::log(strike / moved_forward), expiry_years);
}

}  // namespace ballast::pricing

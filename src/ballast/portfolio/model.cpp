#include "ballast/portfolio/model.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "ballast/pricing/black.hpp"

namespace ballast::portfolio {
namespace {

Error bad(const std::string& name, const char* wanted, double value) {
  return pricing::invalid_field(name.c_str(), value, wanted);
}

Error located(const std::string& where, Error error) {
  error.message = where + ": " + error.message;
  return error;
}

bool finite_non_negative(double value) { return std::isfinite(value) && value >= 0; }

Outcome check_factors(const std::string& name, const Factors& factors) {
  if (!finite_non_negative(factors.maintenance)) {
    return bad(name + ".maintenance", "non-negative and finite", factors.maintenance);
  }
  if (!(std::isfinite(factors.initial) && factors.initial >= factors.maintenance)) {
    return bad(name + ".initial", "finite and at least the maintenance factor", factors.initial);
  }
  return Ok{};
}

Outcome check_all(std::initializer_list<std::pair<const char*, double>> fields, bool positive) {
  for (const auto& [name, value] : fields) {
    if (!std::isfinite(value) || value < 0 || (positive && value == 0)) {
      return bad(name, positive ? "positive and finite" : "non-negative and finite", value);
    }
  }
  return Ok{};
}

Outcome check_discount(const StaticDiscount& d) {
  if (!d.enabled) return Ok{};
  if (Outcome ok = check_all({{"discount.positive_base", d.positive_base},
                              {"discount.negative_base", d.negative_base}},
                             true);
      !ok) {
    return ok;
  }
  return check_all({{"discount.positive_rate_scale", d.positive_rate_scale},
                    {"discount.positive_rate_add", d.positive_rate_add},
                    {"discount.negative_rate_scale", d.negative_rate_scale},
                    {"discount.negative_rate_add", d.negative_rate_add}},
                   false);
}

Outcome check_basis(const BasisFloor& b) {
  if (!b.enabled) return Ok{};
  if (!(b.spot_up > 0 && b.spot_up < 1)) return bad("basis.spot_up", "in (0, 1)", b.spot_up);
  if (!(b.spot_down < 0 && b.spot_down > -1)) return bad("basis.spot_down", "in (-1, 0)", b.spot_down);
  return check_all({{"basis.add_factor", b.add_factor}, {"basis.per_year_factor", b.per_year_factor}},
                   false);
}

Outcome check_add_ons(const UnderlyingConfig& u) {
  if (Outcome ok = check_all({{"roll.annual_move_risk", u.roll.annual_move_risk},
                              {"roll.min_move", u.roll.min_move},
                              {"delta_liquidity.threshold", u.delta_liquidity.threshold},
                              {"delta_liquidity.rate_per_million", u.delta_liquidity.rate_per_million}},
                             false);
      !ok) {
    return ok;
  }
  const double max_rate = u.delta_liquidity.max_rate;
  if (!(max_rate >= 0 && max_rate <= 1)) return bad("delta_liquidity.max_rate", "in [0, 1]", max_rate);
  if (Outcome ok = check_factors("naked_short", u.naked_short); !ok) return ok;
  if (Outcome ok = check_factors("perpetual", u.perpetual); !ok) return ok;
  if (Outcome ok = check_factors("haircut", u.haircut); !ok) return ok;
  const Liquidity& l = u.liquidity;
  if (Outcome ok = check_all({{"liquidity.half_spread", l.half_spread},
                              {"liquidity.impact", l.impact},
                              {"liquidity.depth", l.depth}},
                             false);
      !ok) {
    return ok;
  }
  if (l.impact > 0 && !(l.depth > 0)) return bad("liquidity.depth", "positive when impact > 0", l.depth);
  return Ok{};
}

Outcome check_underlying(const UnderlyingConfig& u) {
  if (u.symbol.empty()) return make_error(ErrorCode::invalid_input, "symbol must not be empty");
  if (Outcome ok = check_grid(u.grid); !ok) return ok;
  if (Outcome ok = pricing::check_vol_shock(u.vol); !ok) return ok;
  if (Outcome ok = check_skew(u.skew); !ok) return ok;
  if (Outcome ok = check_discount(u.discount); !ok) return ok;
  if (Outcome ok = check_basis(u.basis); !ok) return ok;
  return check_add_ons(u);
}

Outcome check_portfolio(const PortfolioConfig& config) {
  for (std::size_t u = 0; u < config.underlyings.size(); ++u) {
    const UnderlyingConfig& under = config.underlyings[u];
    const std::string where = "underlying " + (under.symbol.empty() ? std::to_string(u) : under.symbol);
    if (Outcome ok = check_underlying(under); !ok) return located(where, std::move(ok).error());
    for (std::size_t w = 0; w < u; ++w) {
      if (config.underlyings[w].symbol == under.symbol) {
        return make_error(ErrorCode::invalid_input, where + ": symbol appears twice");
      }
    }
  }
  if (Outcome ok = check_correlation(config.correlation, config.underlyings.size()); !ok) return ok;
  const CrossLimits& cross = config.cross;
  if (!(cross.gain_weight >= 0 && cross.gain_weight <= 1)) {
    return bad("cross.gain_weight", "in [0, 1]", cross.gain_weight);
  }
  if (!(cross.max_offset >= 0 && cross.max_offset <= 1)) {
    return bad("cross.max_offset", "in [0, 1]", cross.max_offset);
  }
  return check_factors("loss", config.loss);
}

}  // namespace

double scenario_vol(const UnderlyingConfig& config, double vol, double vol_factor, VolLevel level,
                    double log_moneyness, double expiry_years) noexcept {
  switch (level) {
    case VolLevel::none: return vol;
    case VolLevel::up: return std::max(vol * (1.0 + config.vol.range_up * vol_factor), config.vol.min_vol_up);
    case VolLevel::down: return std::max(vol * (1.0 - config.vol.range_down * vol_factor), 0.0);
    case VolLevel::skew_linear:
    case VolLevel::skew_abs: break;
  }
  return vol * skew_vol_factor(config.skew, level, log_moneyness, expiry_years);
}

Model::Model(PortfolioConfig config) : config_(std::move(config)) {
  for (const UnderlyingConfig& u : config_.underlyings) {
    scenarios_.push_back(make_scenarios(u.grid));
    double low = 0;
    double high = 0;
    for (const Scenario& s : scenarios_.back()) {
      low = std::min(low, s.spot_move);
      high = std::max(high, s.spot_move);
    }
    lowest_move_.push_back(low);
    highest_move_.push_back(high);
  }
}

Result<Model> Model::make(PortfolioConfig config) {
  if (Outcome ok = check_portfolio(config); !ok) return std::move(ok).error();
  return Model(std::move(config));
}

double Model::correlation(std::size_t u, std::size_t w) const noexcept {
  if (u == w) return 1.0;
  if (config_.correlation.empty()) return 0.0;
  return config_.correlation[u * size() + w];
}

double Model::partner_move(std::size_t leader, std::size_t s, std::size_t partner) const noexcept {
  const Scenario& scenario = scenarios_[leader][s];
  if (scenario.kind == ScenarioKind::skew) return 0.0;
  const double z = scenario.spot_move / config_.underlyings[leader].grid.range;
  const double move = correlation(leader, partner) * z * config_.underlyings[partner].grid.range;
  return std::clamp(move, lowest_move_[partner], highest_move_[partner]);
}

std::size_t Model::find(std::string_view symbol) const noexcept {
  for (std::size_t u = 0; u < size(); ++u) {
    if (config_.underlyings[u].symbol == symbol) return u;
  }
  return size();
}

}  // namespace ballast::portfolio

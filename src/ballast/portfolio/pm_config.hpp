#pragma once
// Portfolio-margin configuration files (TOML): configs/portfolio-*.toml.
//
//   [loss]                  initial, maintenance             (factors on the worst loss)
//   [cross]                 gain_weight, max_offset, correlation = [[1, 0.85], [0.85, 1]]
//   [[underlying]]          symbol, dynamics = "sticky_strike" | "sticky_moneyness"
//   [underlying.grid]       range, steps, vol_up, vol_down, edges_vol_up_only, skew,
//                           tail_moves = [...] with tail_weights = [...] or tail_weight_numerator
//   [underlying.vol]        range_up, range_down, min_vol_up, short_term_power, long_term_power,
//                           pivot_days, dte_floor_days
//   [underlying.skew]       linear_base_cap, linear_c_base, abs_base_cap, abs_c_base, min_k_star,
//                           width_scale, vol_param_static, vol_param_scale
//   [underlying.discount]   positive_base, positive_rate_scale, positive_rate_add, negative_base,
//                           negative_rate_scale, negative_rate_add   (present: enabled)
//   [underlying.basis]      spot_up, spot_down, add_factor, per_year_factor   (present: enabled)
//   [underlying.roll]       annual_move_risk, min_move
//   [underlying.delta_liquidity]  threshold, rate_per_million, max_rate
//   [underlying.naked_short], [underlying.perpetual], [underlying.haircut]   initial, maintenance
//   [underlying.liquidity]  half_spread, impact, depth   (the close-out curve for every position)
//
// Every key is optional except symbol; a missing one keeps the default of model.hpp's structs
// (Deribit's BTC values for the grid and the vol law). Unknown keys are errors. Model parameters
// are doubles, read as TOML integers or floats. Errors are one line, "file:line: where: key: what";
// the model's own checks run last and are prefixed with the file. The parse is the config edge:
// toml++'s exceptions stay inside it.

#include <string>
#include <string_view>

#include "ballast/core/result.hpp"
#include "ballast/portfolio/model.hpp"

namespace ballast::portfolio {

Result<PortfolioConfig> parse_portfolio_config(std::string_view text, const std::string& source);
// parse_portfolio_config, then Model::make.
Result<Model> read_portfolio_model(std::string_view text, const std::string& source);
Result<Model> load_portfolio_model(const std::string& path);

}  // namespace ballast::portfolio

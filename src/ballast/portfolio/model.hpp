#pragma once
// The configuration of a portfolio-margin calculator (research portfolio-margin.md, sections b1
// Deribit and b2 Derive PMRM_2), validated once into a Model: per underlying a scenario grid, the
// vol-shock law, smile dynamics, Derive's static discount, skew shocks and basis floor, and the
// contingency add-ons; across underlyings a correlation matrix and the offset limits.
//
// Requirements: IM = loss.initial x (worst scenario loss) + the add-ons' initial amounts, MM the
// same with the maintenance factors. Deribit's "MM = 0.8 IM" is the configuration where every
// maintenance factor is 0.8 x its initial one; Derive's PMRM_2 (MM = 0.8 worst loss + MM
// contingencies, IM = worst loss + MM and IM contingencies) is the configuration with its own
// rates. Invalid configurations are Errors naming the field (the config edge); a Model is
// immutable and may be shared by any number of RiskMatrix objects and threads.

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "ballast/core/result.hpp"
#include "ballast/portfolio/scenario.hpp"
#include "ballast/pricing/surface.hpp"

namespace ballast::portfolio {

// Multipliers for the initial and the maintenance requirement: 0 <= maintenance <= initial.
struct Factors {
  double initial = 0;
  double maintenance = 0;
};

// Derive's static discount on each expiry's shocked option value (research b2): a positive value
// x positive_base e^(-tau (rate positive_rate_scale + positive_rate_add)), a negative one
// x min(1/df, negative_base / e^(-tau (rate negative_rate_scale + negative_rate_add))).
struct StaticDiscount {
  bool enabled = false;
  double positive_base = 1;
  double positive_rate_scale = 1;
  double positive_rate_add = 0;
  double negative_base = 1;
  double negative_rate_scale = 1;
  double negative_rate_add = 0;
};

// Derive's basis contingency: per expiry min(dV(up), dV(down), 0) x (add_factor +
// per_year_factor tau), dV the undiscounted change of the expiry's option value at the spot
// moves with unchanged vol; the sum competes with the scenarios for the worst loss.
struct BasisFloor {
  bool enabled = false;
  double spot_up = 0.045;
  double spot_down = -0.045;
  double add_factor = 0.5;
  double per_year_factor = 2.0;
};

// Deribit's roll shock (research b1, inferred form): per expiry max(min_move, e^(move_risk tau)
// - 1) x |net delta of the expiry| (options and futures), perpetuals min_move x |net delta|.
// Both 0: off. Deltas here are in quote money per unit relative move (dP&L/dm at m = 0).
struct RollShock {
  double annual_move_risk = 0;
  double min_move = 0;
};

// Deribit's delta (liquidity) shock (research b1, form unpublished): above threshold (quote
// money) the underlying's |net delta| E pays rate x E, rate = min(max_rate, rate_per_million x
// (E - threshold) / 1e6). rate_per_million 0: off.
struct DeltaLiquidity {
  double threshold = 0;
  double rate_per_million = 0;
  double max_rate = 0;
};

// Close-out cost of a position of size q: |q| S (half_spread + impact sqrt(|q| / depth)), S the
// underlying's spot: the spread plus square-root market impact (Almgren et al. 2005; Toth et al.
// 2011), so the cost per unit grows with size.
struct Liquidity {
  double half_spread = 0;
  double impact = 0;
  double depth = 0;  // units of the underlying; required positive when impact > 0
};

struct UnderlyingConfig {
  std::string symbol;
  GridSpec grid;
  pricing::VolShockParams vol;
  pricing::SmileDynamics dynamics = pricing::SmileDynamics::sticky_strike;
  SkewParams skew;
  StaticDiscount discount;
  BasisFloor basis;
  RollShock roll;
  DeltaLiquidity delta_liquidity;
  // Rate add-ons on spot notional: per short option unit (Derive's naked-short contingency),
  // per perpetual unit (Derive's perp contingency), per unit of spot collateral (its haircut).
  Factors naked_short;
  Factors perpetual;
  Factors haircut;
  // The close-out curve of the underlying's venue depth, for holders that give no curve per
  // position (the engine's portfolio sub-accounts and `ballast margin`): every position on the
  // underlying pays its liquidity add-on at this curve. All zero: no add-on.
  Liquidity liquidity;
};

// How gains in one underlying may offset losses in another within a joint scenario: gains count
// x gain_weight (Deribit X:PM's pnl_offset) and offset at most max_offset of the losses; the
// requirement never falls below (1 - max_offset) x the sum of the per-underlying worst losses
// (the no-offset sum). max_offset 0: no cross-underlying credit at all.
struct CrossLimits {
  double gain_weight = 1.0;
  double max_offset = 1.0;
};

struct PortfolioConfig {
  std::vector<UnderlyingConfig> underlyings;
  std::vector<double> correlation;  // K x K row-major in underlying order; empty: identity
  CrossLimits cross;
  // On the worst scenario loss and on the add-ons that are losses themselves (roll, delta
  // liquidity, close-out cost).
  Factors loss{1.0, 0.8};
};

// An option's vol in a scenario of the given level: none: vol; up: max(vol (1 + range_up f),
// min_vol_up); down: max(vol (1 - range_down f), 0) (pricing::shock_vol's law, without its
// per-call checks: a Model's parameters are checked once); skew levels: vol x skew_vol_factor.
// f = pricing::vol_shock_factor(config.vol, DTE) of the option's expiry.
double scenario_vol(const UnderlyingConfig& config, double vol, double vol_factor, VolLevel level,
                    double log_moneyness, double expiry_years) noexcept;

class Model {
 public:
  // Checks every field (the error names underlying and field) and builds the scenario lists.
  static Result<Model> make(PortfolioConfig config);

  const PortfolioConfig& config() const noexcept { return config_; }
  std::size_t size() const noexcept { return config_.underlyings.size(); }
  const UnderlyingConfig& underlying(std::size_t u) const noexcept { return config_.underlyings[u]; }
  std::span<const Scenario> scenarios(std::size_t u) const noexcept { return scenarios_[u]; }
  double correlation(std::size_t u, std::size_t w) const noexcept;
  // The move of underlying `partner` in leader's scenario `s`: its conditional expectation in
  // range units, rho x (m_s / range_leader) x range_partner, clamped to the partner's own
  // scenario envelope; 0 for skew scenarios (the spot does not move).
  double partner_move(std::size_t leader, std::size_t s, std::size_t partner) const noexcept;
  // Index of the underlying with this symbol, or size() when none.
  std::size_t find(std::string_view symbol) const noexcept;

 private:
  explicit Model(PortfolioConfig config);

  PortfolioConfig config_;
  std::vector<std::vector<Scenario>> scenarios_;
  std::vector<double> lowest_move_;
  std::vector<double> highest_move_;
};

}  // namespace ballast::portfolio

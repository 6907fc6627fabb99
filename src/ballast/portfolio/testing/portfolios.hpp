#pragma once
// Configurations and portfolios shared by the portfolio-margin tests and benchmark.

#include <cstdint>
#include <vector>

#include "ballast/core/random.hpp"
#include "ballast/portfolio/risk_matrix.hpp"

namespace ballast::portfolio::testing {

// Derive PMRM_2 as its published test cases configure it (derivexyz/v2-core,
// test/risk-managers/unit-tests/PMRM_2/portfolio_cases/test_12_risk_cancelling_naked_short_call.json,
// "Parameters"): +-18% in 4.5% steps with the outer points vol up only, tails 0.34 .. 4 x spot
// weighted 0.036 / |m|, both skew rotations, static discount, basis floor, naked-short and perp
// contingencies (IM rates = their MM + IM percents).
inline UnderlyingConfig derive_test_underlying() {
  UnderlyingConfig c;
  c.symbol = "BTC";
  c.grid.range = 0.18;
  c.grid.steps = 4;
  c.grid.edges_vol_up_only = true;
  const double tails[] = {-0.66, -0.33, 0.5, 1.0, 2.0, 3.0};
  c.grid.tails = tails_over_move(tails, 0.036);
  c.grid.skew = true;
  c.vol = {.range_up = 0.5, .range_down = 0.275, .min_vol_up = 0.45, .short_term_power = 0.3,
           .long_term_power = 0.13, .pivot_days = 30, .dte_floor_days = 1};
  c.discount = {.enabled = true, .positive_base = 0.95, .positive_rate_scale = 1, .positive_rate_add = 0.08,
                .negative_base = 1.04, .negative_rate_scale = 0.5, .negative_rate_add = 0.08};
  c.basis = {.enabled = true, .spot_up = 0.045, .spot_down = -0.045, .add_factor = 0.5, .per_year_factor = 2};
  c.naked_short = {.initial = 0.005, .maintenance = 0.003};
  c.perpetual = {.initial = 0.02, .maintenance = 0.015};
  return c;
}

// Deribit's BTC portfolio margin (research b1): +-16% in 9 points x vol up/same/down, the
// extended table -66% .. +500% with vol up weighted range / |m|, roll and delta shocks,
// MM = 0.8 IM. 27 + 8 = 35 scenarios.
inline UnderlyingConfig deribit_underlying(const char* symbol) {
  UnderlyingConfig c;
  c.symbol = symbol;
  c.grid.range = 0.16;
  c.grid.steps = 4;
  const double tails[] = {-0.66, -0.33, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0};
  c.grid.tails = tails_over_move(tails, 0.16);
  c.roll = {.annual_move_risk = 0.075, .min_move = 0.01};
  c.delta_liquidity = {.threshold = 20e6, .rate_per_million = 5e-5, .max_rate = 0.1};
  c.naked_short = {};
  return c;
}

// Positions by kind (designated initializers would have to name every field under -Wextra).
inline Position make_option(std::uint64_t id, std::uint32_t underlying, pricing::OptionKind kind, double strike,
                            std::uint32_t expiry, double size, double vol) {
  Position p;
  p.id = id;
  p.underlying = underlying;
  p.kind = kind;
  p.strike = strike;
  p.expiry = expiry;
  p.size = size;
  p.vol = vol;
  return p;
}

inline Position make_linear(std::uint64_t id, std::uint32_t underlying, Product product, double size,
                            double price = 0, std::uint32_t expiry = 0) {
  Position p;
  p.id = id;
  p.underlying = underlying;
  p.product = product;
  p.size = size;
  p.price = price;
  p.expiry = expiry;
  return p;
}

inline PortfolioConfig make_portfolio(std::vector<UnderlyingConfig> underlyings,
                                      std::vector<double> correlation = {}, CrossLimits cross = {},
                                      Factors loss = {1.0, 0.8}) {
  PortfolioConfig c;
  c.underlyings = std::move(underlyings);
  c.correlation = std::move(correlation);
  c.cross = cross;
  c.loss = loss;
  return c;
}


// A market for `underlyings` underlyings with expiries 7, 30, 90 and 180 days.
inline MarketState sample_market(std::size_t underlyings) {
  MarketState market;
  for (std::size_t u = 0; u < underlyings; ++u) {
    UnderlyingMarket m;
    m.spot = u == 0 ? 60000.0 : 3000.0;
    for (const double days : {7.0, 30.0, 90.0, 180.0}) {
      const double years = days / 365.0;
      m.expiries.push_back({years, m.spot * (1.0 + 0.05 * years), 0.05});
    }
    market.underlyings.push_back(std::move(m));
  }
  return market;
}

// `options` options spread over the market's expiries, strikes 70% .. 130% of spot, sizes
// -5 .. 5, vols 40% .. 100%, ids 1, 2, ...; plus a future, a perpetual and spot collateral per
// underlying when `linear` is set.
inline std::vector<Position> sample_book(const MarketState& market, std::size_t options, std::uint64_t seed,
                                         bool linear) {
  CounterRng rng(seed, 0);
  std::vector<Position> book;
  std::uint64_t id = 1;
  const auto underlyings = static_cast<std::uint32_t>(market.underlyings.size());
  for (std::size_t i = 0; i < options; ++i) {
    const std::uint32_t u = static_cast<std::uint32_t>(rng.below(underlyings));
    const UnderlyingMarket& m = market.underlyings[u];
    const auto kind = rng.below(2) == 0 ? pricing::OptionKind::call : pricing::OptionKind::put;
    const auto expiry = static_cast<std::uint32_t>(rng.below(m.expiries.size()));
    const double strike = m.spot * (0.7 + 0.6 * rng.uniform());
    const double size = static_cast<double>(rng.below(11)) - 5.0;
    book.push_back(make_option(id++, u, kind, strike, expiry, size, 0.4 + 0.6 * rng.uniform()));
  }
  if (!linear) return book;
  for (std::uint32_t u = 0; u < underlyings; ++u) {
    const UnderlyingMarket& m = market.underlyings[u];
    book.push_back(make_linear(id++, u, Product::future, -3.0, m.expiries[1].forward, 1));
    book.push_back(make_linear(id++, u, Product::perpetual, 2.0, m.spot));
    book.push_back(make_linear(id++, u, Product::spot, 4.0));
  }
  return book;
}

}  // namespace ballast::portfolio::testing

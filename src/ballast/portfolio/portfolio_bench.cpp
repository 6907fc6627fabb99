// Portfolio margin throughput (issue 5 targets, per core): 100 options on a 35-scenario grid
// <= 30 us, 1,000 options <= 300 us; the incremental pre-trade check <= 5 us.
//
// The grid is Deribit's (9 points x 3 vols + 8 extended moves = 35 scenarios); books hold
// options over 4 expiries of one underlying. Peers in the same binary:
// - BM_Ballast_GridPricingOnly: our batch Black-76 on the same 35 x N inputs, no aggregation;
// - BM_Ballast_GridPricingGrid: the same through black76_price_grid, which the calculator uses
//   (the floor under the full calculation);
// - BM_PeerQuantLib_GridBlackFormula: QuantLib's blackFormula on the same inputs, QuantLib's
//   cheapest valuation (no engine or term structures).
// items_per_second counts option repricings (options x scenario points).

#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "ballast/portfolio/risk_matrix.hpp"
#include "ballast/portfolio/testing/portfolios.hpp"
#include "ballast/pricing/black_batch.hpp"
#include "ballast/pricing/black_grid.hpp"
#include "ballast/pricing/testing/quantlib_peer.hpp"

namespace ballast::portfolio {
namespace {

using testing::deribit_underlying;
using testing::make_portfolio;

// Deribit's grid; `add_ons` keeps its roll and delta-liquidity shocks (they need each option's
// delta: one more batch of Greeks), without them the cost is the grid alone.
Model deribit_model(bool add_ons) {
  UnderlyingConfig btc = deribit_underlying("BTC");
  if (!add_ons) {
    btc.roll = {};
    btc.delta_liquidity = {};
  }
  return Model::make(make_portfolio({btc})).value();
}

void set_counters(benchmark::State& state, std::size_t options, std::size_t points) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(options * points));
}

void BM_Ballast_PortfolioMargin(benchmark::State& state) {
  const auto options = static_cast<std::size_t>(state.range(0));
  const Model model = deribit_model(state.range(1) != 0);
  const MarketState market = testing::sample_market(1);
  const std::vector<Position> book = testing::sample_book(market, options, 42, false);
  RiskMatrix matrix(model);
  for (auto _ : state) {
    benchmark::DoNotOptimize(matrix.build(market, book));
    benchmark::DoNotOptimize(matrix.report().initial);
  }
  set_counters(state, options, model.scenarios(0).size());
}
BENCHMARK(BM_Ballast_PortfolioMargin)
    ->ArgNames({"options", "add_ons"})
    ->Args({100, 0})
    ->Args({100, 1})
    ->Args({1000, 0})
    ->Args({1000, 1});

// Two correlated underlyings (50 + 50 options and 500 + 500): each is also repriced at its
// conditional moves in the other's scenarios, about twice the points.
void BM_Ballast_PortfolioMarginTwoUnderlyings(benchmark::State& state) {
  const auto options = static_cast<std::size_t>(state.range(0));
  const Model model =
      Model::make(make_portfolio({deribit_underlying("BTC"), deribit_underlying("ETH")}, {1, 0.85, 0.85, 1},
                                 {1.0, 0.6}))
          .value();
  const MarketState market = testing::sample_market(2);
  const std::vector<Position> book = testing::sample_book(market, options, 42, true);
  RiskMatrix matrix(model);
  for (auto _ : state) {
    benchmark::DoNotOptimize(matrix.build(market, book));
    benchmark::DoNotOptimize(matrix.report().initial);
  }
  set_counters(state, options, model.scenarios(0).size());
}
BENCHMARK(BM_Ballast_PortfolioMarginTwoUnderlyings)->ArgName("options")->Arg(100)->Arg(1000);

// A new option leg (priced at 35 points, its group re-summed) and a resize of an existing one
// (no pricing) on a built book.
void BM_Ballast_PreTrade(benchmark::State& state) {
  const auto options = static_cast<std::size_t>(state.range(0));
  const Model model = deribit_model(true);
  const MarketState market = testing::sample_market(1);
  const std::vector<Position> book = testing::sample_book(market, options, 42, true);
  RiskMatrix matrix(model);
  if (matrix.build(market, book) != PmStatus::ok) state.SkipWithError("build failed");
  Position order = testing::make_option(1'000'000, 0, pricing::OptionKind::put, 55000, 2, -3, 0.6);
  if (state.range(1) != 0) {
    order = book[options / 2];
    order.size = 1.5;
  }
  Workspace workspace;
  MarginReport out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(matrix.pre_trade(order, workspace, out));
    benchmark::DoNotOptimize(out.initial);
  }
}
BENCHMARK(BM_Ballast_PreTrade)
    ->ArgNames({"options", "existing"})
    ->Args({100, 0})
    ->Args({100, 1})
    ->Args({1000, 0})
    ->Args({1000, 1});

void BM_Ballast_Attribution(benchmark::State& state) {
  const auto options = static_cast<std::size_t>(state.range(0));
  const Model model = deribit_model(true);
  const MarketState market = testing::sample_market(1);
  RiskMatrix matrix(model);
  if (matrix.build(market, testing::sample_book(market, options, 42, true)) != PmStatus::ok) {
    state.SkipWithError("build failed");
  }
  std::vector<Contribution> out;
  for (auto _ : state) {
    matrix.attribution(Requirement::initial, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Ballast_Attribution)->ArgName("options")->Arg(100)->Arg(1000);

// The repricings the grid needs, as Black-76 inputs: option-major, one per (point, option) in
// the calculator's own points (base point + the 35 scenarios, deduplicated: 35 here).
std::vector<pricing::Black76Input> grid_inputs(std::size_t options) {
  const Model model = deribit_model(false);
  const MarketState market = testing::sample_market(1);
  const std::vector<Position> book = testing::sample_book(market, options, 42, false);
  const UnderlyingConfig& c = model.underlying(0);
  std::vector<pricing::Black76Input> out;
  for (const Scenario& s : model.scenarios(0)) {
    for (const Position& p : book) {
      const ExpiryMarket& e = market.underlyings[0].expiries[p.expiry];
      const double f = pricing::vol_shock_factor(c.vol, e.years * 365.0);
      out.push_back({p.kind, e.forward * (1.0 + s.spot_move), p.strike, e.years, std::exp(-e.rate * e.years),
                     scenario_vol(c, p.vol, f, s.vol, 0.0, e.years)});
    }
  }
  return out;
}

void BM_Ballast_GridPricingOnly(benchmark::State& state) {
  const auto options = static_cast<std::size_t>(state.range(0));
  const std::vector<pricing::Black76Input> inputs = grid_inputs(options);
  const std::size_t n = inputs.size();
  std::vector<pricing::OptionKind> kind(n);
  std::vector<double> forward(n), strike(n), years(n), discount(n), vol(n), price(n);
  for (std::size_t i = 0; i < n; ++i) {
    kind[i] = inputs[i].kind;
    forward[i] = inputs[i].forward;
    strike[i] = inputs[i].strike;
    years[i] = inputs[i].expiry_years;
    discount[i] = inputs[i].discount;
    vol[i] = inputs[i].vol;
  }
  for (auto _ : state) {
    for (std::size_t first = 0; first < n; first += options) {  // one batch per point, as the calculator
      pricing::black76_price_batch({{kind.data() + first, options},
                                    {forward.data() + first, options},
                                    {strike.data() + first, options},
                                    {years.data() + first, options},
                                    {discount.data() + first, options},
                                    {vol.data() + first, options}},
                                   {price.data() + first, options});
    }
    benchmark::DoNotOptimize(price.data());
  }
  set_counters(state, options, n / options);
}
BENCHMARK(BM_Ballast_GridPricingOnly)->ArgName("options")->Arg(100)->Arg(1000);

// The same repricings through pricing's scenario-grid entry point (what the calculator calls):
// ln(F0/K), sqrt(T) once per option, ln(1 + m) once per point, output option-major.
void BM_Ballast_GridPricingGrid(benchmark::State& state) {
  const auto options = static_cast<std::size_t>(state.range(0));
  const Model model = deribit_model(false);
  const MarketState market = testing::sample_market(1);
  const std::vector<Position> book = testing::sample_book(market, options, 42, false);
  const UnderlyingConfig& c = model.underlying(0);
  const std::span<const Scenario> scenarios = model.scenarios(0);
  const std::size_t points = scenarios.size();
  std::vector<pricing::OptionKind> kind;
  std::vector<double> forward, strike, years, discount, scale, vol, price(options * points);
  for (const Scenario& s : scenarios) scale.push_back(1.0 + s.spot_move);
  for (const Position& p : book) {
    const ExpiryMarket& e = market.underlyings[0].expiries[p.expiry];
    const double f = pricing::vol_shock_factor(c.vol, e.years * 365.0);
    kind.push_back(p.kind);
    forward.push_back(e.forward);
    strike.push_back(p.strike);
    years.push_back(e.years);
    discount.push_back(std::exp(-e.rate * e.years));
    for (const Scenario& s : scenarios) vol.push_back(scenario_vol(c, p.vol, f, s.vol, 0.0, e.years));
  }
  for (auto _ : state) {
    pricing::black76_price_grid({kind, forward, strike, years, discount}, scale, vol, price);
    benchmark::DoNotOptimize(price.data());
  }
  set_counters(state, options, points);
}
BENCHMARK(BM_Ballast_GridPricingGrid)->ArgName("options")->Arg(100)->Arg(1000);

void BM_PeerQuantLib_GridBlackFormula(benchmark::State& state) {
  const auto options = static_cast<std::size_t>(state.range(0));
  const std::vector<pricing::Black76Input> inputs = grid_inputs(options);
  for (auto _ : state) {
    double total = 0;
    for (const pricing::Black76Input& in : inputs) total += pricing::peer::quantlib_black_formula(in);
    benchmark::DoNotOptimize(total);
  }
  set_counters(state, options, inputs.size() / options);
}
BENCHMARK(BM_PeerQuantLib_GridBlackFormula)->ArgName("options")->Arg(100)->Arg(1000);

}  // namespace
}  // namespace ballast::portfolio

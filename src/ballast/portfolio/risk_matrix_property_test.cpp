// Properties of the portfolio-margin calculator over random books (options across expiries,
// futures, perpetuals, coin collateral, two correlated underlyings, close-out curves; one
// underlying on a smile surface with sticky-moneyness repricing):
// - a hedge that offsets part of the book never raises its worst loss;
// - attribution sums exactly to IM and to MM;
// - IM >= MM;
// - a tighter cross-underlying offset limit (or a smaller gain weight) never lowers IM;
// - the pre-trade check equals a rebuild after the trade, bit for bit;
// - building twice (the same or another matrix) gives the same bits.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "ballast/portfolio/risk_matrix.hpp"
#include "ballast/portfolio/testing/portfolios.hpp"

namespace ballast::portfolio {
namespace {

PortfolioConfig random_config(double gain_weight, double max_offset) {
  UnderlyingConfig btc = testing::deribit_underlying("BTC");
  UnderlyingConfig eth = testing::derive_test_underlying();
  eth.symbol = "ETH";
  eth.dynamics = pricing::SmileDynamics::sticky_moneyness;
  eth.haircut = {0.1, 0.08};
  return testing::make_portfolio({btc, eth}, {1, 0.7, 0.7, 1}, {gain_weight, max_offset});
}

// ETH on an SVI smile (one slice per expiry, skewed down), BTC at each position's own vol.
MarketState random_market() {
  MarketState market = testing::sample_market(2);
  std::vector<pricing::SurfaceSlice> slices;
  for (const ExpiryMarket& e : market.underlyings[1].expiries) {
    slices.push_back({e.years, e.forward, {0.3 * 0.3 * e.years, 0.05, -0.4, 0.0, 0.2}});
  }
  market.underlyings[1].surface = pricing::VolSurface::make(std::move(slices)).value();
  return market;
}

std::vector<Position> random_book(const MarketState& market) {
  // Fixed ranges (not scaled by RapidCheck's size) so that most books have several legs per
  // group, and fractional sizes, so that the order of every sum shows in its last bits.
  const auto options = static_cast<std::size_t>(*rc::gen::just(10) + *rc::gen::noShrink(rc::gen::inRange(0, 50)));
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  std::vector<Position> book = testing::sample_book(market, options, seed, *rc::gen::arbitrary<bool>());
  const double scale = 1.0 + *rc::gen::noShrink(rc::gen::inRange(1, 1000)) / 997.0;
  for (Position& p : book) {
    p.size *= scale;
    if (p.id % 3 == 0) p.liquidity = {0.0005, 0.01, 50.0};
  }
  return book;
}

MarginReport evaluate(const Model& model, const MarketState& market, const std::vector<Position>& book) {
  RiskMatrix matrix(model);
  RC_ASSERT(matrix.build(market, book) == PmStatus::ok);
  return matrix.report();
}

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

RC_GTEST_PROP(Properties, PartialOffsetNeverRaisesTheWorstLoss, ()) {
  const Model model = Model::make(random_config(1.0, 0.6)).value();
  const MarketState market = random_market();
  const std::vector<Position> book = random_book(market);
  // The hedge: -lambda x every leg, booked as separate positions.
  const double lambda = *rc::gen::inRange(0, 11) / 10.0;
  std::vector<Position> hedged = book;
  for (const Position& p : book) {
    Position h = p;
    h.id += 100000;
    h.size = -lambda * p.size;
    hedged.push_back(h);
  }
  const double unhedged = evaluate(model, market, book).scenario_loss;
  const double with_hedge = evaluate(model, market, hedged).scenario_loss;
  RC_ASSERT(with_hedge <= unhedged * (1 + 1e-12) + 1e-9);
}

RC_GTEST_PROP(Properties, AttributionSumsExactlyAndInitialCoversMaintenance, ()) {
  const Model model = Model::make(random_config(*rc::gen::inRange(0, 11) / 10.0, *rc::gen::inRange(0, 11) / 10.0))
                          .value();
  const MarketState market = random_market();
  RiskMatrix matrix(model);
  RC_ASSERT(matrix.build(market, random_book(market)) == PmStatus::ok);
  const MarginReport& r = matrix.report();
  RC_ASSERT(r.initial >= r.maintenance);
  RC_ASSERT(r.initial_amount >= r.maintenance_amount);
  std::vector<Contribution> out;
  for (const Requirement kind : {Requirement::initial, Requirement::maintenance}) {
    matrix.attribution(kind, out);
    std::int64_t sum = 0;
    double exact = 0;
    double size = 0;
    for (const Contribution& c : out) {
      sum += c.amount.raw();
      exact += c.exact;
      size += std::fabs(c.exact);
    }
    RC_ASSERT(sum == (kind == Requirement::initial ? r.initial : r.maintenance).raw());
    // Euler: the unrounded contributions already add up to the requirement.
    const double amount = kind == Requirement::initial ? r.initial_amount : r.maintenance_amount;
    RC_ASSERT(std::fabs(exact - amount) <= 1e-9 * (size + amount) + 1e-9);
  }
}

RC_GTEST_PROP(Properties, TighterOffsetLimitsNeverLowerTheRequirement, ()) {
  const double tight = *rc::gen::inRange(0, 101) / 100.0;
  const double loose = tight + (1.0 - tight) * (*rc::gen::inRange(0, 101) / 100.0);
  const double weight = *rc::gen::inRange(0, 101) / 100.0;
  const MarketState market = random_market();
  const std::vector<Position> book = random_book(market);
  const Model strict = Model::make(random_config(weight, tight)).value();
  const Model lenient = Model::make(random_config(weight, loose)).value();
  const Model fewer_gains = Model::make(random_config(weight * 0.5, loose)).value();
  const MarginReport a = evaluate(strict, market, book);
  const MarginReport b = evaluate(lenient, market, book);
  const MarginReport c = evaluate(fewer_gains, market, book);
  RC_ASSERT(a.initial_amount >= b.initial_amount);
  RC_ASSERT(a.initial >= b.initial);
  RC_ASSERT(c.initial_amount >= b.initial_amount);
}

RC_GTEST_PROP(Properties, PreTradeEqualsRebuild, ()) {
  const Model model = Model::make(random_config(0.8, 0.7)).value();
  const MarketState market = random_market();
  std::vector<Position> book = random_book(market);
  for (Position& p : book) p.id *= 10;  // room for new ids between the existing ones
  RiskMatrix matrix(model);
  RC_ASSERT(matrix.build(market, book) == PmStatus::ok);
  // An order on an existing position or a new one (an option or a linear leg) at any place.
  Position order;
  if (*rc::gen::arbitrary<bool>()) {
    order = book[static_cast<std::size_t>(*rc::gen::inRange<std::size_t>(0, book.size()))];
    order.size = *rc::gen::inRange(-50, 51) / 10.0;
  } else {
    const std::vector<Position> extra = testing::sample_book(market, 1, *rc::gen::arbitrary<std::uint64_t>(), true);
    order = extra[static_cast<std::size_t>(*rc::gen::inRange<std::size_t>(0, extra.size()))];
    order.id = static_cast<std::uint64_t>(*rc::gen::inRange<std::size_t>(0, book.size() + 1)) * 10 + 5;
  }
  Workspace workspace;
  MarginReport incremental;
  RC_ASSERT(matrix.pre_trade(order, workspace, incremental) == PmStatus::ok);
  bool found = false;
  for (Position& p : book) {
    if (p.id == order.id) {
      p.size += order.size;
      found = true;
    }
  }
  if (!found) {
    book.push_back(order);
    std::sort(book.begin(), book.end(), [](const Position& a, const Position& b) { return a.id < b.id; });
  }
  const MarginReport rebuilt = evaluate(model, market, book);
  RC_ASSERT(same_bits(incremental.initial_amount, rebuilt.initial_amount));
  RC_ASSERT(same_bits(incremental.maintenance_amount, rebuilt.maintenance_amount));
  RC_ASSERT(incremental.initial == rebuilt.initial);
  RC_ASSERT(incremental.value == rebuilt.value);
}

RC_GTEST_PROP(Properties, RebuildingGivesTheSameBits, ()) {
  const Model model = Model::make(random_config(0.9, 0.5)).value();
  const MarketState market = random_market();
  const std::vector<Position> first = random_book(market);
  const std::vector<Position> second = random_book(market);
  RiskMatrix reused(model);
  RC_ASSERT(reused.build(market, first) == PmStatus::ok);
  RC_ASSERT(reused.build(market, second) == PmStatus::ok);  // scratch now sized for `first`
  const MarginReport fresh = evaluate(model, market, second);
  RC_ASSERT(same_bits(reused.report().initial_amount, fresh.initial_amount));
  RC_ASSERT(same_bits(reused.report().maintenance_amount, fresh.maintenance_amount));
  RC_ASSERT(same_bits(reused.report().mark_value, fresh.mark_value));
}

}  // namespace
}  // namespace ballast::portfolio

// RiskMatrix::attribution: each position's Euler contribution to the requirement.
//
// The requirement is positively homogeneous of degree one in the sizes once the worst scenario is
// fixed (every scenario P&L is linear in the sizes; the static discount and skew sign rules
// depend only on signs; the offset rule min(w G, a L) is piecewise linear), so Euler's theorem
// splits it exactly into size x marginal requirement: a position's contribution is its own P&L in
// the worst scenario times the slope of the aggregation there. The close-out cost grows like
// size^1.5 and the delta-liquidity charge has a threshold: those are split as each position's own
// cost and in proportion to each position's share of the net delta.

#include <algorithm>
#include <cmath>

#include "ballast/portfolio/risk_matrix.hpp"
#include "ballast/portfolio/risk_state.hpp"

namespace ballast::portfolio {
namespace {

using namespace detail;

struct Context {
  const Model& model;
  const RiskMatrix::State& st;
  GroupsView groups;
};

// A position's own P&L at a point, with its group's discount and skew choices.
double position_pnl(const Context& cx, std::size_t i, std::uint32_t point, double weight, bool skew) {
  const Position& p = cx.st.positions[i];
  const PositionInfo& info = cx.st.info[i];
  const UnderlyingState& us = cx.st.underlyings[p.underlying];
  if (info.row == kNone) {
    const double unit = p.product == Product::spot ? cx.st.market.underlyings[p.underlying].spot : p.price;
    return p.size * unit * us.points[point].move * weight;
  }
  const Group& g = cx.groups[info.group];
  const UnderlyingConfig& config = cx.model.underlying(p.underlying);
  const ExpiryConst& e = us.expiries[g.expiry];
  const double* row = us.units.data() + info.row * us.points.size();
  double factor = 1.0;
  if (config.discount.enabled) factor = g.value[point] >= 0 ? e.positive_factor : e.negative_factor;
  const double pnl = (p.size * row[point] * factor - p.size * row[0]) * weight;
  const bool flipped = skew && group_options_pnl(config, &e, g, point, weight, false) > 0;
  return flipped ? -pnl : pnl;
}

// A position's share of its group's basis floor: the branch (up, down or none) the group took.
double position_basis(const Context& cx, std::size_t i) {
  const Position& p = cx.st.positions[i];
  const PositionInfo& info = cx.st.info[i];
  const UnderlyingConfig& config = cx.model.underlying(p.underlying);
  if (info.row == kNone || !config.basis.enabled) return 0.0;
  const UnderlyingState& us = cx.st.underlyings[p.underlying];
  const Group& g = cx.groups[info.group];
  const double up = g.value[us.basis_up] - g.value[0];
  const double down = g.value[us.basis_down] - g.value[0];
  if (std::min(up, down) >= 0) return 0.0;
  const std::uint32_t point = up <= down ? us.basis_up : us.basis_down;
  const double* row = us.units.data() + info.row * us.points.size();
  return p.size * (row[point] - row[0]) * us.expiries[g.expiry].basis_factor;
}

// Contributions to one underlying's loss at `worst` (its basis floor or one of its scenarios
// with no partner moved), x scale.
void standalone(const Context& cx, const Worst& worst, double scale, std::vector<double>& out) {
  if (worst.kind == WorstKind::none) return;
  const std::uint32_t u = worst.underlying;
  const UnderlyingState& us = cx.st.underlyings[u];
  for (std::size_t i = 0; i < cx.st.positions.size(); ++i) {
    if (cx.st.positions[i].underlying != u) continue;
    if (worst.kind == WorstKind::basis) {
      out[i] -= scale * position_basis(cx, i);
      continue;
    }
    const Scenario& sc = cx.model.scenarios(u)[worst.scenario];
    out[i] -= scale * position_pnl(cx, i, us.scenario_point[worst.scenario], sc.weight,
                                   sc.kind == ScenarioKind::skew);
  }
}

// Contributions to a joint scenario's loss: losers at slope 1 (or 1 - max_offset when the
// offset cap binds), gainers at gain_weight (or 0 when the cap binds).
void joint(const Context& cx, const Worst& worst, std::vector<double>& out) {
  const Model& model = cx.model;
  const Scenario& scenario = model.scenarios(worst.underlying)[worst.scenario];
  const bool skew = scenario.kind == ScenarioKind::skew;
  const CrossLimits& limits = model.config().cross;
  std::vector<std::uint32_t> points(model.size(), kNone);
  std::vector<double> losses(model.size(), 0.0);
  for (std::uint32_t w = 0; w < model.size(); ++w) {
    const UnderlyingState& us = cx.st.underlyings[w];
    if (w == worst.underlying) {
      points[w] = us.scenario_point[worst.scenario];
    } else if (cx.st.summary.underlyings[w].active && !skew) {
      points[w] = us.partner_point[us.leader_offset[worst.underlying] + worst.scenario];
    }
    if (points[w] != kNone) {
      losses[w] = -underlying_pnl(model, w, us, cx.groups, points[w], scenario.weight, skew && w == worst.underlying);
    }
  }
  double lost = 0;
  double gained = 0;
  for (const double l : losses) (l > 0 ? lost : gained) += std::fabs(l);
  const bool capped = limits.gain_weight * gained > limits.max_offset * lost;
  for (std::size_t i = 0; i < cx.st.positions.size(); ++i) {
    const std::uint32_t w = cx.st.positions[i].underlying;
    if (points[w] == kNone) continue;
    const double slope = losses[w] > 0 ? (capped ? 1.0 - limits.max_offset : 1.0)
                                       : (capped ? 0.0 : limits.gain_weight);
    out[i] -= slope * position_pnl(cx, i, points[w], scenario.weight, skew && w == worst.underlying);
  }
}

void scenario_part(const Context& cx, std::vector<double>& out) {
  const Worst& worst = cx.st.summary.report.worst;
  switch (worst.kind) {
    case WorstKind::none: return;
    case WorstKind::scenario: joint(cx, worst, out); return;
    case WorstKind::basis: standalone(cx, worst, 1.0, out); return;
    case WorstKind::floor:
      for (const UnderlyingSummary& u : cx.st.summary.underlyings) {
        standalone(cx, u.worst, 1.0 - cx.model.config().cross.max_offset, out);
      }
      return;
  }
}

double pick(const Factors& f, Requirement kind) {
  return kind == Requirement::initial ? f.initial : f.maintenance;
}

double sign(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }

// Rate add-ons are each position's own; roll and delta liquidity split by signed delta.
double add_on_part(const Context& cx, std::size_t i, Requirement kind) {
  const Position& p = cx.st.positions[i];
  const UnderlyingConfig& c = cx.model.underlying(p.underlying);
  const double spot = cx.st.market.underlyings[p.underlying].spot;
  const double loss = pick(cx.model.config().loss, kind);
  const double notional = std::fabs(p.size) * spot;
  double total = 0;
  if (p.product == Product::option) total += std::max(-p.size, 0.0) * spot * pick(c.naked_short, kind);
  if (p.product == Product::perpetual) total += notional * pick(c.perpetual, kind);
  if (p.product == Product::spot) total += notional * pick(c.haircut, kind);
  total += close_out_cost(p.liquidity, p.size, spot) * loss;
  const PositionInfo& info = cx.st.info[i];
  const Group& g = cx.groups[info.group];
  const double delta = p.size * info.delta_unit;
  total += group_roll_rate(c, cx.st.underlyings[p.underlying], g) * delta * sign(g.partials.delta) * loss;
  const double net = cx.st.summary.underlyings[p.underlying].delta;
  if (net != 0) {
    const double charge = delta_liquidity_rate(c.delta_liquidity, std::fabs(net)) * std::fabs(net);
    total += charge * delta / net * loss;
  }
  return total;
}

// Money amounts rounded down, the residual units to the largest |exact| (first on a tie).
void allocate(Money target, std::vector<Contribution>& out) {
  int128 sum = 0;
  std::size_t largest = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto raw = raw_from_double(out[i].exact, Money::kDecimals, Round::down);
    out[i].amount = Money::from_raw(raw.value_or(0));
    sum += out[i].amount.raw();
    if (std::fabs(out[i].exact) > std::fabs(out[largest].exact)) largest = i;
  }
  if (out.empty()) return;
  const auto residual = narrow_i64(static_cast<int128>(target.raw()) - sum);
  BALLAST_ASSERT(residual.has_value());
  out[largest].amount = Money::from_raw(out[largest].amount.raw() + *residual);
}

}  // namespace

void RiskMatrix::attribution(Requirement kind, std::vector<Contribution>& out) const {
  const State& st = *state_;
  const Context cx{*model_, st, GroupsView{st.groups}};
  std::vector<double> scenario(st.positions.size(), 0.0);
  scenario_part(cx, scenario);
  const double loss = pick(model_->config().loss, kind);
  out.resize(st.positions.size());
  for (std::size_t i = 0; i < st.positions.size(); ++i) {
    out[i].id = st.positions[i].id;
    out[i].exact = scenario[i] * loss + add_on_part(cx, i, kind);
  }
  allocate(kind == Requirement::initial ? st.summary.report.initial : st.summary.report.maintenance, out);
}

}  // namespace ballast::portfolio

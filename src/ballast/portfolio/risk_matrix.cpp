#include "ballast/portfolio/risk_matrix.hpp"

#include <algorithm>
#include <cmath>

#include "ballast/portfolio/risk_state.hpp"
#include "ballast/pricing/black_batch.hpp"
#include "ballast/pricing/black_grid.hpp"
#include "ballast/pricing/dmath.hpp"

namespace ballast::portfolio {
namespace detail {

void PricingColumns::resize(std::size_t n) {
  kind.resize(n);
  forward.resize(n);
  strike.resize(n);
  years.resize(n);
  discount.resize(n);
  vol.resize(n);
  price.resize(n);
}

pricing::Black76Columns PricingColumns::view(std::size_t n) const {
  return {{kind.data(), n},     {forward.data(), n},  {strike.data(), n},
          {years.data(), n},    {discount.data(), n}, {vol.data(), n}};
}

double group_options_pnl(const UnderlyingConfig& config, const ExpiryConst* expiry, const Group& group,
                         std::uint32_t point, double weight, bool skew) {
  if (group.value.empty()) return 0.0;
  double shocked = group.value[point];
  if (config.discount.enabled) {
    shocked *= shocked >= 0 ? expiry->positive_factor : expiry->negative_factor;
  }
  const double pnl = (shocked - group.value[0]) * weight;
  // Derive: a skew rotation's gain in one expiry is counted as a loss (the opposite rotation).
  return skew && pnl > 0 ? -pnl : pnl;
}

double underlying_pnl(const Model& model, std::uint32_t u, const UnderlyingState& state,
                      const GroupsView& groups, std::uint32_t point, double weight, bool skew) {
  const UnderlyingConfig& config = model.underlying(u);
  const double move = state.points[point].move;
  double total = 0;
  for (const std::uint32_t g : state.groups) {
    const Group& group = groups[g];
    const ExpiryConst* expiry = group.kind == GroupKind::expiry ? &state.expiries[group.expiry] : nullptr;
    total += group_options_pnl(config, expiry, group, point, weight, skew);
    total += group.partials.linear * move * weight;
  }
  return total;
}

double group_basis(const UnderlyingConfig& config, const UnderlyingState& state, const Group& group) {
  if (!config.basis.enabled || group.value.empty()) return 0.0;
  const double up = group.value[state.basis_up] - group.value[0];
  const double down = group.value[state.basis_down] - group.value[0];
  return std::min(std::min(up, down), 0.0) * state.expiries[group.expiry].basis_factor;
}

double group_roll_rate(const UnderlyingConfig& config, const UnderlyingState& state, const Group& group) {
  switch (group.kind) {
    case GroupKind::expiry: return state.expiries[group.expiry].roll_rate;
    case GroupKind::perpetual: return config.roll.min_move;
    case GroupKind::spot: return 0.0;
  }
  return 0.0;
}

double delta_liquidity_rate(const DeltaLiquidity& params, double abs_delta) {
  if (params.rate_per_million == 0 || abs_delta <= params.threshold) return 0.0;
  return std::min(params.max_rate, params.rate_per_million * (abs_delta - params.threshold) / 1e6);
}

double close_out_cost(const Liquidity& l, double size, double spot) {
  const double q = std::fabs(size);
  const double impact = l.impact > 0 ? l.impact * std::sqrt(q / l.depth) : 0.0;
  return q * spot * (l.half_spread + impact);
}

double joint_loss(const CrossLimits& limits, std::span<const double> losses) {
  double lost = 0;
  double gained = 0;
  for (const double loss : losses) {
    if (loss > 0) lost += loss;
    if (loss < 0) gained -= loss;
  }
  return lost - std::min(limits.gain_weight * gained, limits.max_offset * lost);
}

}  // namespace detail

namespace {

using namespace detail;

double shocked_vol(const UnderlyingConfig& config, const OptionRow& row, double sigma, VolLevel level) {
  return scenario_vol(config, sigma, row.vol_factor, level, row.log_moneyness, row.years);
}

bool finite_positive(double x) { return std::isfinite(x) && x > 0; }
bool finite_non_negative(double x) { return std::isfinite(x) && x >= 0; }
bool has_expiry(Product product) { return product == Product::option || product == Product::future; }

PmStatus check_market(const Model& model, const MarketState& market) {
  if (market.underlyings.size() != model.size()) return PmStatus::market_invalid;
  for (const UnderlyingMarket& m : market.underlyings) {
    if (!finite_positive(m.spot)) return PmStatus::market_invalid;
    double previous = -1;
    for (const ExpiryMarket& e : m.expiries) {
      if (!(finite_non_negative(e.years) && e.years > previous && finite_positive(e.forward) &&
            std::isfinite(e.rate))) {
        return PmStatus::market_invalid;
      }
      previous = e.years;
    }
  }
  return PmStatus::ok;
}

PmStatus check_liquidity(const Liquidity& l) {
  if (!(finite_non_negative(l.half_spread) && finite_non_negative(l.impact) &&
        finite_non_negative(l.depth))) {
    return PmStatus::liquidity_invalid;
  }
  return l.impact > 0 && l.depth == 0 ? PmStatus::liquidity_invalid : PmStatus::ok;
}

PmStatus check_option_vol(const UnderlyingMarket& m, const Position& p) {
  if (!m.surface) return finite_non_negative(p.vol) ? PmStatus::ok : PmStatus::vol_invalid;
  const Result<double> vol = m.surface->vol(p.strike, m.expiries[p.expiry].years);
  return vol.ok() && finite_non_negative(*vol) ? PmStatus::ok : PmStatus::vol_invalid;
}

PmStatus check_position(const Model& model, const MarketState& market, const Position& p) {
  if (p.underlying >= model.size()) return PmStatus::underlying_unknown;
  const UnderlyingMarket& m = market.underlyings[p.underlying];
  if (has_expiry(p.product) && p.expiry >= m.expiries.size()) return PmStatus::expiry_unknown;
  if (!std::isfinite(p.size)) return PmStatus::size_invalid;
  const bool option = p.product == Product::option;
  if (option && !finite_positive(p.strike)) return PmStatus::strike_invalid;
  const bool priced = p.product == Product::future || p.product == Product::perpetual;
  if (priced && !finite_positive(p.price)) return PmStatus::price_invalid;
  if (option) {
    if (const PmStatus s = check_option_vol(m, p); s != PmStatus::ok) return s;
  }
  return check_liquidity(p.liquidity);
}

PmStatus check_positions(const Model& model, const MarketState& market,
                         std::span<const Position> positions) {
  for (std::size_t i = 1; i < positions.size(); ++i) {
    if (positions[i].id <= positions[i - 1].id) return PmStatus::ids_not_increasing;
  }
  for (const Position& p : positions) {
    if (const PmStatus s = check_position(model, market, p); s != PmStatus::ok) return s;
  }
  return PmStatus::ok;
}

bool same_instrument(const Position& a, const Position& b) {
  if (a.underlying != b.underlying || a.product != b.product) return false;
  if (has_expiry(a.product) && a.expiry != b.expiry) return false;
  return a.product != Product::option || (a.kind == b.kind && a.strike == b.strike);
}

ExpiryConst expiry_const(const UnderlyingConfig& c, const ExpiryMarket& e) {
  using pricing::dmath::exp;
  ExpiryConst out;
  out.years = e.years;
  out.forward = e.forward;
  out.discount = exp(-e.rate * e.years);
  out.vol_factor = pricing::vol_shock_factor(c.vol, e.years * 365.0);
  const StaticDiscount& d = c.discount;
  if (d.enabled) {
    out.positive_factor =
        d.positive_base * exp(-(e.years * (e.rate * d.positive_rate_scale + d.positive_rate_add)));
    out.negative_factor =
        std::min(1.0 / out.discount,
                 d.negative_base / exp(-(e.years * (e.rate * d.negative_rate_scale + d.negative_rate_add))));
  }
  out.basis_factor = c.basis.add_factor + c.basis.per_year_factor * e.years;
  out.roll_rate = std::max(c.roll.min_move, exp(c.roll.annual_move_risk * e.years) - 1.0);
  return out;
}

// Index of `point` among points[first, last), or kNone.
std::uint32_t find_point(const std::vector<Point>& points, std::size_t first, std::size_t last,
                         const Point& point) {
  for (std::size_t i = first; i < last; ++i) {
    if (points[i].move == point.move && points[i].level == point.level) {
      return static_cast<std::uint32_t>(i);
    }
  }
  return kNone;
}

std::uint32_t add_point(std::vector<Point>& points, std::size_t own, const Point& point) {
  std::uint32_t found = find_point(points, 0, own, point);
  if (found == kNone) found = find_point(points, own, points.size(), point);
  if (found != kNone) return found;
  points.push_back(point);
  return static_cast<std::uint32_t>(points.size() - 1);
}

void own_points(const Model& model, std::uint32_t u, UnderlyingState& st) {
  st.points.assign(1, Point{0.0, VolLevel::none});
  st.scenario_point.clear();
  for (const Scenario& s : model.scenarios(u)) {
    st.scenario_point.push_back(add_point(st.points, st.points.size(), {s.spot_move, s.vol}));
  }
  const BasisFloor& basis = model.underlying(u).basis;
  st.basis_up = basis.enabled ? add_point(st.points, st.points.size(), {basis.spot_up, VolLevel::none}) : kNone;
  st.basis_down =
      basis.enabled ? add_point(st.points, st.points.size(), {basis.spot_down, VolLevel::none}) : kNone;
}

// The points at which u is repriced in the scenarios of each active leader w: its conditional
// move, at the leader scenario's vol level (implied vols of the underlyings moving together).
void partner_points(const Model& model, std::uint32_t u, std::span<const char> active,
                    UnderlyingState& st) {
  const std::size_t own = st.points.size();
  st.leader_offset.assign(model.size(), kNone);
  st.partner_point.clear();
  for (std::uint32_t w = 0; w < model.size(); ++w) {
    if (w == u || !active[w]) continue;
    st.leader_offset[w] = static_cast<std::uint32_t>(st.partner_point.size());
    const std::span<const Scenario> scenarios = model.scenarios(w);
    for (std::size_t s = 0; s < scenarios.size(); ++s) {
      if (scenarios[s].kind == ScenarioKind::skew) {
        st.partner_point.push_back(kNone);
        continue;
      }
      st.partner_point.push_back(add_point(st.points, own, {model.partner_move(w, s, u), scenarios[s].vol}));
    }
  }
}

void make_groups(const Model& model, const MarketState& market, RiskMatrix::State& st) {
  std::size_t count = 0;
  for (const UnderlyingMarket& m : market.underlyings) count += m.expiries.size() + 2;
  st.groups.resize(count);
  std::uint32_t g = 0;
  for (std::uint32_t u = 0; u < model.size(); ++u) {
    UnderlyingState& us = st.underlyings[u];
    us.groups.clear();
    const auto expiries = static_cast<std::uint32_t>(market.underlyings[u].expiries.size());
    for (std::uint32_t e = 0; e < expiries + 2; ++e, ++g) {
      Group& group = st.groups[g];
      group.underlying = u;
      group.kind = e < expiries ? GroupKind::expiry : (e == expiries ? GroupKind::perpetual : GroupKind::spot);
      group.expiry = e < expiries ? e : 0;
      group.members.clear();
      us.groups.push_back(g);
    }
  }
}

std::uint32_t group_of(const UnderlyingState& us, std::size_t expiries, const Position& p) {
  switch (p.product) {
    case Product::option:
    case Product::future: return us.groups[p.expiry];
    case Product::perpetual: return us.groups[expiries];
    case Product::spot: return us.groups[expiries + 1];
  }
  return kNone;
}

// ln(K/F) feeds only the skew rotations: skipped (left 0) when the grid has none.
OptionRow option_row(const UnderlyingConfig& c, const UnderlyingMarket& m, const ExpiryConst& e, const Position& p) {
  OptionRow row;
  row.kind = p.kind;
  row.strike = p.strike;
  row.years = e.years;
  row.discount = e.discount;
  row.forward = e.forward;
  row.sigma = m.surface ? *m.surface->vol(p.strike, e.years) : p.vol;
  row.vol_factor = e.vol_factor;
  row.log_moneyness = c.grid.skew ? pricing::dmath::log(p.strike / e.forward) : 0.0;
  return row;
}

bool sticky_strike(const UnderlyingConfig& c, const UnderlyingMarket& m) {
  return c.dynamics == pricing::SmileDynamics::sticky_strike || !m.surface;
}

// The vol an option is priced at in a point: the base vol read where the smile dynamics say,
// then the point's level.
double point_vol(const UnderlyingConfig& c, const UnderlyingMarket& m, const OptionRow& row,
                 const Point& point) {
  double sigma = row.sigma;
  if (!sticky_strike(c, m)) {
    sigma = *pricing::vol_after_spot_move(*m.surface, c.dynamics, row.strike, row.years, point.move);
  }
  return shocked_vol(c, row, sigma, point.level);
}

void fill_fixed_columns(std::span<const OptionRow> rows, PricingColumns& cols) {
  cols.base_forward.resize(rows.size());
  for (std::size_t o = 0; o < rows.size(); ++o) {
    cols.base_forward[o] = rows[o].forward;
    cols.kind[o] = rows[o].kind;
    cols.strike[o] = rows[o].strike;
    cols.years[o] = rows[o].years;
    cols.discount[o] = rows[o].discount;
  }
}

constexpr std::size_t kLevels = 5;

// Sticky strike: each option's vol at each level does not depend on the point; only the levels
// some point uses are filled, option-major (each option's levels side by side).
void fill_level_vols(const UnderlyingConfig& c, std::span<const OptionRow> rows, std::span<const Point> points,
                     PricingColumns& cols) {
  const std::size_t n = rows.size();
  cols.vol_levels.resize(kLevels * n);
  bool used[kLevels] = {};
  for (const Point& point : points) used[static_cast<std::size_t>(point.level)] = true;
  for (std::size_t level = 0; level < kLevels; ++level) {
    if (!used[level]) continue;
    for (std::size_t o = 0; o < n; ++o) {
      cols.vol_levels[o * kLevels + level] = shocked_vol(c, rows[o], rows[o].sigma, static_cast<VolLevel>(level));
    }
  }
}

// Each point's factor on every forward, 1 + move.
void fill_scales(std::span<const Point> points, PricingColumns& cols) {
  cols.scale.resize(points.size());
  for (std::size_t k = 0; k < points.size(); ++k) cols.scale[k] = 1.0 + points[k].move;
}

// Every option of the underlying at every point, straight into the option-major matrix of unit
// values: one grid call (pricing/black_grid.hpp: ln(F/K) and sqrt(T) hoisted out of the points).
void price_rows(const UnderlyingConfig& c, const UnderlyingMarket& m, UnderlyingState& st,
                PricingColumns& cols) {
  const std::size_t n = st.rows.size();
  const std::size_t points = st.points.size();
  st.units.resize(n * points);
  if (n == 0) return;
  cols.resize(n);
  fill_fixed_columns(st.rows, cols);
  fill_scales(st.points, cols);
  cols.vol.resize(n * points);
  if (sticky_strike(c, m)) {
    fill_level_vols(c, st.rows, st.points, cols);
    cols.point_level.resize(points);
    for (std::size_t k = 0; k < points; ++k) cols.point_level[k] = static_cast<std::uint8_t>(st.points[k].level);
    for (std::size_t o = 0; o < n; ++o) {
      const double* levels = cols.vol_levels.data() + o * kLevels;
      double* row = cols.vol.data() + o * points;
      for (std::size_t k = 0; k < points; ++k) row[k] = levels[cols.point_level[k]];
    }
  } else {
    for (std::size_t o = 0; o < n; ++o) {
      for (std::size_t k = 0; k < points; ++k) cols.vol[o * points + k] = point_vol(c, m, st.rows[o], st.points[k]);
    }
  }
  pricing::black76_price_grid({{cols.kind.data(), n},
                               {cols.base_forward.data(), n},
                               {cols.strike.data(), n},
                               {cols.years.data(), n},
                               {cols.discount.data(), n}},
                              cols.scale, cols.vol, st.units);
}

// One option at every point of the underlying (the pre-trade leg): the grid's rows are
// independent, so this is the row price_rows gives it, to the bit.
void price_single(const UnderlyingConfig& c, const UnderlyingMarket& m, const UnderlyingState& st,
                  const OptionRow& row, PricingColumns& cols, std::vector<double>& out) {
  const std::size_t points = st.points.size();
  fill_scales(st.points, cols);
  cols.vol.resize(points);
  for (std::size_t k = 0; k < points; ++k) cols.vol[k] = point_vol(c, m, row, st.points[k]);
  out.resize(points);
  pricing::black76_price_grid({{&row.kind, 1}, {&row.forward, 1}, {&row.strike, 1}, {&row.years, 1}, {&row.discount, 1}},
                              cols.scale, cols.vol, out);
}

// dV/dm per unit size at the base point: Black-76 delta x forward, for each row.
void row_deltas(std::span<const OptionRow> rows, PricingColumns& cols, std::vector<double>& out) {
  const std::size_t n = rows.size();
  out.resize(n);
  if (n == 0) return;
  cols.resize(n);
  fill_fixed_columns(rows, cols);
  for (std::size_t o = 0; o < n; ++o) {
    cols.forward[o] = rows[o].forward;
    cols.vol[o] = rows[o].sigma;
  }
  std::vector<double>& g = cols.vol_levels;  // reused as the Greeks' scratch
  g.resize(9 * n);
  const auto col = [&](std::size_t i) { return std::span<double>(g.data() + i * n, n); };
  pricing::black76_greeks_batch(cols.view(n), {col(0), col(1), col(2), col(3), col(4), col(5),
                                               col(6), col(7), col(8)});
  for (std::size_t o = 0; o < n; ++o) out[o] = g[n + o] * rows[o].forward;
}

void accumulate(std::vector<double>& value, double size, const double* row) {
  for (std::size_t k = 0; k < value.size(); ++k) value[k] += size * row[k];
}

// One member's terms added to its group's sums: the only place a group's sums grow.
void add_member(const MemberRef& m, double spot, Group& g, Partials& p) {
  const Position& pos = *m.position;
  const double notional = std::fabs(m.size) * spot;
  if (m.size != 0) ++p.nonzero;
  p.delta += m.size * m.delta_unit;
  p.liquidity += close_out_cost(pos.liquidity, m.size, spot);
  switch (pos.product) {
    case Product::option:
      accumulate(g.value, m.size, m.row);
      p.mark += m.size * m.row[0];
      p.naked += std::max(-m.size, 0.0) * spot;
      break;
    case Product::future: p.linear += m.size * pos.price; break;
    case Product::perpetual:
      p.linear += m.size * pos.price;
      p.perp_notional += notional;
      break;
    case Product::spot:
      p.linear += m.size * spot;
      p.mark += m.size * spot;
      p.collateral += notional;
      break;
  }
}

// A group's aggregates from its members in id order: build and pre-trade both come here, so
// the same members give the same bits.
void compute_group(double spot, std::size_t points, std::span<const MemberRef> members, Group& g) {
  Partials p;
  if (g.kind == GroupKind::expiry) {
    g.value.assign(points, 0.0);
  } else {
    g.value.clear();
  }
  for (const MemberRef& m : members) add_member(m, spot, g, p);
  g.partials = p;
}

// `base` with one more member after its last: the same sums, in the same order, as
// compute_group over base's members followed by `leg`.
void extend_group(const Group& base, const MemberRef& leg, double spot, Group& g) {
  g.underlying = base.underlying;
  g.kind = base.kind;
  g.expiry = base.expiry;
  g.value.assign(base.value.begin(), base.value.end());
  Partials p = base.partials;
  add_member(leg, spot, g, p);
  g.partials = p;
}

double linear_delta_unit(const Position& p, double spot) {
  return p.product == Product::spot ? spot : p.price;
}

void summarize_underlying(const Model& model, std::uint32_t u, const UnderlyingState& st,
                          const GroupsView& groups, UnderlyingSummary& out) {
  const UnderlyingConfig& config = model.underlying(u);
  std::vector<double> pnl = std::move(out.pnl);  // keeps its capacity across builds
  out = UnderlyingSummary{};
  out.pnl = std::move(pnl);
  for (const std::uint32_t g : st.groups) {
    const Partials& p = groups[g].partials;
    out.active = out.active || p.nonzero > 0;
    out.delta += p.delta;
    out.mark += p.mark;
    out.basis += group_basis(config, st, groups[g]);
  }
  const std::span<const Scenario> scenarios = model.scenarios(u);
  out.pnl.resize(scenarios.size());
  for (std::size_t s = 0; s < scenarios.size(); ++s) {
    out.pnl[s] = underlying_pnl(model, u, st, groups, st.scenario_point[s], scenarios[s].weight,
                                scenarios[s].kind == ScenarioKind::skew);
    if (-out.pnl[s] > out.worst_loss) {
      out.worst_loss = -out.pnl[s];
      out.worst = {WorstKind::scenario, u, static_cast<std::uint32_t>(s)};
    }
  }
  if (-out.basis > out.worst_loss) {
    out.worst_loss = -out.basis;
    out.worst = {WorstKind::basis, u, 0};
  }
}

struct Candidate {
  double loss = 0;
  Worst worst;
  void offer(double value, Worst where) {
    if (value > loss) {
      loss = value;
      worst = where;
    }
  }
};

// The losses of every underlying in leader u's scenario s (partners at their conditional moves).
void joint_losses(const Model& model, std::span<const UnderlyingState> states, const GroupsView& groups,
                  const Summary& summary, std::uint32_t u, std::uint32_t s, std::vector<double>& losses) {
  const Scenario& scenario = model.scenarios(u)[s];
  losses.assign(model.size(), 0.0);
  for (std::uint32_t w = 0; w < model.size(); ++w) {
    if (w == u) {
      losses[w] = -summary.underlyings[u].pnl[s];
      continue;
    }
    if (!summary.underlyings[w].active) continue;
    const std::uint32_t point = states[w].partner_point[states[w].leader_offset[u] + s];
    if (point == kNone) continue;
    losses[w] = -underlying_pnl(model, w, states[w], groups, point, scenario.weight, false);
  }
}

Candidate worst_joint(const Model& model, std::span<const UnderlyingState> states, const GroupsView& groups,
                      Summary& summary, std::vector<double>& losses) {
  Candidate best;
  const CrossLimits& limits = model.config().cross;
  double no_offset = 0;
  for (std::uint32_t u = 0; u < model.size(); ++u) {
    const UnderlyingSummary& us = summary.underlyings[u];
    no_offset += us.worst_loss;
    if (!us.active) continue;
    for (std::uint32_t s = 0; s < us.pnl.size(); ++s) {
      joint_losses(model, states, groups, summary, u, s, losses);
      best.offer(joint_loss(limits, losses), {WorstKind::scenario, u, s});
    }
    best.offer(std::max(-us.basis, 0.0), {WorstKind::basis, u, 0});
  }
  summary.report.no_offset_loss = no_offset;
  best.offer((1.0 - limits.max_offset) * no_offset, {WorstKind::floor, 0, 0});
  return best;
}

void add(Amounts& amounts, double base, const Factors& factors) {
  amounts.initial += base * factors.initial;
  amounts.maintenance += base * factors.maintenance;
}

void add_ons(const Model& model, std::span<const UnderlyingState> states, const GroupsView& groups,
             const Summary& summary, std::array<Amounts, kAddOnCount>& out) {
  out = {};
  const Factors& loss = model.config().loss;
  for (std::uint32_t u = 0; u < model.size(); ++u) {
    const UnderlyingConfig& c = model.underlying(u);
    Partials sum;
    double roll = 0;
    for (const std::uint32_t g : states[u].groups) {
      const Partials& p = groups[g].partials;
      sum.naked += p.naked;
      sum.perp_notional += p.perp_notional;
      sum.collateral += p.collateral;
      sum.liquidity += p.liquidity;
      roll += group_roll_rate(c, states[u], groups[g]) * std::fabs(p.delta);
    }
    const double delta = std::fabs(summary.underlyings[u].delta);
    add(out[static_cast<std::size_t>(AddOn::naked_short)], sum.naked, c.naked_short);
    add(out[static_cast<std::size_t>(AddOn::perpetual)], sum.perp_notional, c.perpetual);
    add(out[static_cast<std::size_t>(AddOn::haircut)], sum.collateral, c.haircut);
    add(out[static_cast<std::size_t>(AddOn::roll)], roll, loss);
    add(out[static_cast<std::size_t>(AddOn::delta_liquidity)],
        delta_liquidity_rate(c.delta_liquidity, delta) * delta, loss);
    add(out[static_cast<std::size_t>(AddOn::liquidity)], sum.liquidity, loss);
  }
}

PmStatus finish_report(const Model& model, MarginReport& r) {
  const Factors& loss = model.config().loss;
  r.initial_amount = loss.initial * r.scenario_loss;
  r.maintenance_amount = loss.maintenance * r.scenario_loss;
  for (const Amounts& a : r.add_ons) {
    r.initial_amount += a.initial;
    r.maintenance_amount += a.maintenance;
  }
  const auto initial = Money::from_double(r.initial_amount, Round::up);
  const auto maintenance = Money::from_double(r.maintenance_amount, Round::up);
  const auto value = Money::from_double(r.mark_value, Round::down);
  if (!initial || !maintenance || !value) return PmStatus::overflow;
  r.initial = *initial;
  r.maintenance = *maintenance;
  r.value = *value;
  return PmStatus::ok;
}

PmStatus summarize(const Model& model, std::span<const UnderlyingState> states, const GroupsView& groups,
                   Summary& out, std::vector<double>& losses) {
  out.underlyings.resize(model.size());
  out.report = MarginReport{};
  for (std::uint32_t u = 0; u < model.size(); ++u) {
    summarize_underlying(model, u, states[u], groups, out.underlyings[u]);
    out.report.mark_value += out.underlyings[u].mark;
  }
  const Candidate worst = worst_joint(model, states, groups, out, losses);
  out.report.scenario_loss = worst.loss;
  out.report.worst = worst.worst;
  add_ons(model, states, groups, out, out.report.add_ons);
  return finish_report(model, out.report);
}

}  // namespace

const char* pm_status_name(PmStatus status) noexcept {
  switch (status) {
    case PmStatus::ok: return "ok";
    case PmStatus::market_invalid: return "market_invalid";
    case PmStatus::ids_not_increasing: return "ids_not_increasing";
    case PmStatus::underlying_unknown: return "underlying_unknown";
    case PmStatus::expiry_unknown: return "expiry_unknown";
    case PmStatus::size_invalid: return "size_invalid";
    case PmStatus::strike_invalid: return "strike_invalid";
    case PmStatus::price_invalid: return "price_invalid";
    case PmStatus::vol_invalid: return "vol_invalid";
    case PmStatus::liquidity_invalid: return "liquidity_invalid";
    case PmStatus::order_mismatch: return "order_mismatch";
    case PmStatus::overflow: return "overflow";
  }
  return "?";
}

const char* add_on_name(AddOn add_on) noexcept {
  switch (add_on) {
    case AddOn::naked_short: return "naked_short";
    case AddOn::perpetual: return "perpetual";
    case AddOn::haircut: return "haircut";
    case AddOn::roll: return "roll";
    case AddOn::delta_liquidity: return "delta_liquidity";
    case AddOn::liquidity: return "liquidity";
  }
  return "?";
}

// ---- Workspace ----------------------------------------------------------------------------------

struct Workspace::Scratch {
  detail::Group group;
  std::vector<double> row;
  std::vector<MemberRef> members;
  detail::Summary summary;
  std::vector<double> losses;
  detail::PricingColumns columns;
  std::vector<double> delta;
  std::vector<Position> positions;
  std::unique_ptr<RiskMatrix> full;
};

Workspace::Workspace() : scratch_(std::make_unique<Scratch>()) {}
Workspace::~Workspace() = default;
Workspace::Workspace(Workspace&&) noexcept = default;
Workspace& Workspace::operator=(Workspace&&) noexcept = default;

// ---- RiskMatrix ---------------------------------------------------------------------------------

RiskMatrix::RiskMatrix(const Model& model) : model_(&model), state_(std::make_unique<State>()) {}
RiskMatrix::~RiskMatrix() = default;
RiskMatrix::RiskMatrix(RiskMatrix&&) noexcept = default;
RiskMatrix& RiskMatrix::operator=(RiskMatrix&&) noexcept = default;

namespace {

void setup_underlyings(const Model& model, const MarketState& market, RiskMatrix::State& st) {
  st.active.assign(model.size(), 0);
  for (const Position& p : st.positions) {
    if (p.size != 0) st.active[p.underlying] = 1;
  }
  st.underlyings.resize(model.size());
  for (std::uint32_t u = 0; u < model.size(); ++u) {
    UnderlyingState& us = st.underlyings[u];
    const UnderlyingConfig& c = model.underlying(u);
    us.expiries.clear();
    for (const ExpiryMarket& e : market.underlyings[u].expiries) us.expiries.push_back(expiry_const(c, e));
    own_points(model, u, us);
    partner_points(model, u, st.active, us);
    us.rows.clear();
    us.needs_delta = c.roll.min_move > 0 || c.roll.annual_move_risk > 0 || c.delta_liquidity.rate_per_million > 0;
  }
  make_groups(model, market, st);
}

void assign_positions(const Model& model, const MarketState& market, RiskMatrix::State& st) {
  st.info.assign(st.positions.size(), PositionInfo{});
  for (std::size_t i = 0; i < st.positions.size(); ++i) {
    const Position& p = st.positions[i];
    UnderlyingState& us = st.underlyings[p.underlying];
    const UnderlyingMarket& m = market.underlyings[p.underlying];
    PositionInfo& info = st.info[i];
    info.group = group_of(us, m.expiries.size(), p);
    st.groups[info.group].members.push_back(static_cast<std::uint32_t>(i));
    if (p.product == Product::option) {
      info.row = static_cast<std::uint32_t>(us.rows.size());
      us.rows.push_back(option_row(model.underlying(p.underlying), m, us.expiries[p.expiry], p));
    } else {
      info.delta_unit = linear_delta_unit(p, m.spot);
    }
  }
}

void price_all(const Model& model, const MarketState& market, RiskMatrix::State& st) {
  for (std::uint32_t u = 0; u < model.size(); ++u) {
    UnderlyingState& us = st.underlyings[u];
    price_rows(model.underlying(u), market.underlyings[u], us, st.columns);
    us.row_delta.clear();
    if (us.needs_delta) row_deltas(us.rows, st.columns, us.row_delta);
  }
  for (std::size_t i = 0; i < st.positions.size(); ++i) {
    const UnderlyingState& us = st.underlyings[st.positions[i].underlying];
    if (st.info[i].row != kNone && us.needs_delta) st.info[i].delta_unit = us.row_delta[st.info[i].row];
  }
}

MemberRef member_of(const RiskMatrix::State& st, std::uint32_t i) {
  const Position& p = st.positions[i];
  const PositionInfo& info = st.info[i];
  const UnderlyingState& us = st.underlyings[p.underlying];
  const double* row = info.row == kNone ? nullptr : us.units.data() + info.row * us.points.size();
  return {&p, p.size, row, info.delta_unit};
}

void compute_groups(const MarketState& market, RiskMatrix::State& st) {
  std::vector<MemberRef>& members = st.members;
  for (Group& g : st.groups) {
    members.clear();
    for (const std::uint32_t i : g.members) members.push_back(member_of(st, i));
    const UnderlyingState& us = st.underlyings[g.underlying];
    compute_group(market.underlyings[g.underlying].spot, us.points.size(), members, g);
  }
}

}  // namespace

PmStatus RiskMatrix::build(const MarketState& market, std::span<const Position> positions) {
  State& st = *state_;
  st.positions.clear();
  st.summary.underlyings.clear();
  st.summary.report = MarginReport{};
  PmStatus status = check_market(*model_, market);
  if (status == PmStatus::ok) status = check_positions(*model_, market, positions);
  if (status != PmStatus::ok) return status;
  st.market = market;
  st.positions.assign(positions.begin(), positions.end());
  setup_underlyings(*model_, st.market, st);
  assign_positions(*model_, st.market, st);
  price_all(*model_, st.market, st);
  compute_groups(st.market, st);
  status = summarize(*model_, st.underlyings, GroupsView{st.groups}, st.summary, st.losses);
  if (status != PmStatus::ok) {
    st.positions.clear();
    st.summary.underlyings.clear();
    st.summary.report = MarginReport{};
  }
  return status;
}

const MarginReport& RiskMatrix::report() const noexcept { return state_->summary.report; }

std::span<const Position> RiskMatrix::positions() const noexcept { return state_->positions; }

UnderlyingRisk RiskMatrix::underlying_risk(std::size_t u) const {
  BALLAST_ASSERT(u < state_->summary.underlyings.size());
  const UnderlyingSummary& s = state_->summary.underlyings[u];
  return {s.active, s.worst_loss, s.worst, s.delta, s.mark};
}

std::span<const double> RiskMatrix::scenario_pnl(std::size_t u) const {
  BALLAST_ASSERT(u < state_->summary.underlyings.size());
  return state_->summary.underlyings[u].pnl;
}

namespace {

// The group's members with the order applied: sizes added to the existing position, or the new
// leg inserted before the first member with a larger id.
void members_with_order(const RiskMatrix::State& st, const Group& g, const MemberRef& leg, bool exists,
                        std::vector<MemberRef>& out) {
  out.clear();
  bool placed = false;
  for (const std::uint32_t i : g.members) {
    const Position& p = st.positions[i];
    if (!placed && p.id >= leg.position->id) {
      out.push_back(exists ? MemberRef{&p, leg.size, leg.row, leg.delta_unit} : leg);
      placed = true;
      if (exists) continue;
    }
    out.push_back(member_of(st, i));
  }
  if (!placed) out.push_back(leg);
}

}  // namespace

namespace {

// An order located in the book: the instrument it trades and the size it leaves.
struct OrderRef {
  const Position* instrument = nullptr;
  double size = 0;
  std::size_t index = 0;  // the position's index, or where a new one goes
  bool exists = false;
};

// The first exposure in an underlying adds its joint-scenario points to every other underlying:
// the whole portfolio after the order is rebuilt in the workspace.
PmStatus rebuild_with(const Model& model, const RiskMatrix::State& st, const OrderRef& order,
                      Workspace::Scratch& sc, MarginReport& out) {
  sc.positions.assign(st.positions.begin(), st.positions.end());
  Position changed = *order.instrument;
  changed.size = order.size;
  const auto at = sc.positions.begin() + static_cast<std::ptrdiff_t>(order.index);
  if (order.exists) {
    *at = changed;
  } else {
    sc.positions.insert(at, changed);
  }
  if (!sc.full) sc.full = std::make_unique<RiskMatrix>(model);
  const PmStatus s = sc.full->build(st.market, sc.positions);
  if (s == PmStatus::ok) out = sc.full->report();
  return s;
}

// The order as its group will sum it: an existing position keeps its unit values, a new option
// is priced at the underlying's points.
MemberRef leg_member(const Model& model, const RiskMatrix::State& st, const OrderRef& order,
                     Workspace::Scratch& sc) {
  const Position& p = *order.instrument;
  const UnderlyingState& us = st.underlyings[p.underlying];
  const UnderlyingMarket& m = st.market.underlyings[p.underlying];
  MemberRef leg{&p, order.size, nullptr, 0.0};
  if (order.exists) {
    const MemberRef old = member_of(st, static_cast<std::uint32_t>(order.index));
    leg.row = old.row;
    leg.delta_unit = old.delta_unit;
  } else if (p.product == Product::option) {
    const OptionRow row = option_row(model.underlying(p.underlying), m, us.expiries[p.expiry], p);
    price_single(model.underlying(p.underlying), m, us, row, sc.columns, sc.row);
    leg.row = sc.row.data();
    if (us.needs_delta) {
      row_deltas({&row, 1}, sc.columns, sc.delta);
      leg.delta_unit = sc.delta[0];
    }
  } else {
    leg.delta_unit = linear_delta_unit(p, m.spot);
  }
  return leg;
}

// The order's group after the order, into sc.group: a new last member extends the stored sums,
// anything else re-sums the group's members.
void group_with(const RiskMatrix::State& st, const OrderRef& order, const MemberRef& leg, std::uint32_t g,
                Workspace::Scratch& sc) {
  const Group& group = st.groups[g];
  const UnderlyingState& us = st.underlyings[group.underlying];
  const double spot = st.market.underlyings[group.underlying].spot;
  if (!order.exists && (group.members.empty() || st.positions[group.members.back()].id < leg.position->id)) {
    extend_group(group, leg, spot, sc.group);
    return;
  }
  members_with_order(st, group, leg, order.exists, sc.members);
  sc.group.underlying = group.underlying;
  sc.group.kind = group.kind;
  sc.group.expiry = group.expiry;
  compute_group(spot, us.points.size(), sc.members, sc.group);
}

}  // namespace

PmStatus RiskMatrix::pre_trade(const Position& order, Workspace& workspace, MarginReport& out) const {
  const State& st = *state_;
  BALLAST_ASSERT(st.summary.underlyings.size() == model_->size());  // after a successful build
  Workspace::Scratch& sc = *workspace.scratch_;
  if (const PmStatus s = check_position(*model_, st.market, order); s != PmStatus::ok) return s;
  const auto it = std::lower_bound(st.positions.begin(), st.positions.end(), order.id,
                                   [](const Position& p, std::uint64_t id) { return p.id < id; });
  const bool exists = it != st.positions.end() && it->id == order.id;
  if (exists && !same_instrument(*it, order)) return PmStatus::order_mismatch;
  const OrderRef located{exists ? &*it : &order, exists ? it->size + order.size : order.size,
                         static_cast<std::size_t>(it - st.positions.begin()), exists};
  if (!st.summary.underlyings[order.underlying].active && located.size != 0) {
    return rebuild_with(*model_, st, located, sc, out);
  }
  const MemberRef leg = leg_member(*model_, st, located, sc);
  const UnderlyingState& us = st.underlyings[order.underlying];
  const std::uint32_t g = group_of(us, st.market.underlyings[order.underlying].expiries.size(), order);
  group_with(st, located, leg, g, sc);
  const PmStatus s = summarize(*model_, st.underlyings, GroupsView{st.groups, g, &sc.group}, sc.summary, sc.losses);
  if (s == PmStatus::ok) out = sc.summary.report;
  return s;
}

}  // namespace ballast::portfolio

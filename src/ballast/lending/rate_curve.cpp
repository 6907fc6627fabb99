#include "ballast/lending/rate_curve.hpp"

#include <string>
#include <vector>

namespace ballast::lending {
namespace {

constexpr std::int64_t kOne = Ratio::kScale;

Error invalid(std::string message) { return make_error(ErrorCode::invalid_input, std::move(message)); }

bool in_unit_interval(Ratio value) { return value.raw() >= 0 && value.raw() <= kOne; }
bool valid_rate(Ratio value) { return value.raw() >= 0 && value <= kMaxRate; }

}  // namespace

Result<RateCurve> RateCurve::make(std::span<const RatePoint> points, Ratio min_rate) {
  if (points.size() < 2 || points.size() > kMaxPoints) {
    return invalid("rate curve: " + std::to_string(points.size()) + " points, need 2 to " +
                   std::to_string(kMaxPoints));
  }
  if (!points.front().utilization.is_zero()) {
    return invalid("rate curve: the first point is at utilization " +
                   points.front().utilization.to_string() + ", must be 0");
  }
  if (points.back().utilization.raw() != kOne) {
    return invalid("rate curve: the last point is at utilization " +
                   points.back().utilization.to_string() + ", must be 1");
  }
  if (!valid_rate(min_rate)) {
    return invalid("rate curve: min_rate " + min_rate.to_string() + " outside [0, " +
                   kMaxRate.to_string() + "]");
  }
  RateCurve curve;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const RatePoint& point = points[i];
    const std::string where = "rate curve point " + std::to_string(i) + " (" +
                              point.utilization.to_string() + ", " + point.rate.to_string() + ")";
    if (!valid_rate(point.rate)) {
      return invalid(where + ": rate outside [0, " + kMaxRate.to_string() + "]");
    }
    if (i > 0 && point.utilization <= points[i - 1].utilization) {
      return invalid(where + ": utilization must increase strictly");
    }
    if (i > 0 && point.rate < points[i - 1].rate) {
      return invalid(where + ": rate must not decrease");
    }
    curve.points_[i] = point;
  }
  curve.count_ = points.size();
  curve.min_rate_ = min_rate;
  return curve;
}

Result<RateCurve> RateCurve::aave_two_slope(Ratio base, Ratio slope1, Ratio slope2, Ratio optimal) {
  if (optimal.raw() <= 0 || optimal.raw() > kOne) {
    return invalid("aave curve: optimal utilization " + optimal.to_string() + " outside (0, 1]");
  }
  const auto at_optimal = checked_add(base, slope1);
  const auto at_full = at_optimal ? checked_add(*at_optimal, slope2) : std::nullopt;
  if (!at_full || base.is_negative() || slope1.is_negative() || slope2.is_negative()) {
    return invalid("aave curve: base, slope1, slope2 must be >= 0 with a sum up to " +
                   kMaxRate.to_string());
  }
  if (optimal.raw() == kOne) {
    const std::array<RatePoint, 2> points{{{Ratio{}, base}, {optimal, *at_optimal}}};
    return make(points);
  }
  const std::array<RatePoint, 3> points{{{Ratio{}, base}, {optimal, *at_optimal}, {kOneRatio, *at_full}}};
  return make(points);
}

Result<RateCurve> RateCurve::drift_multi_stage(Ratio optimal_utilization, Ratio optimal_rate,
                                               Ratio max_rate, Ratio min_rate) {
  if (optimal_utilization.raw() <= 0 || optimal_utilization.raw() >= kOne) {
    return invalid("drift curve: optimal utilization " + optimal_utilization.to_string() +
                   " outside (0, 1)");
  }
  if (!valid_rate(optimal_rate) || !valid_rate(max_rate) || max_rate < optimal_rate) {
    return invalid("drift curve: need 0 <= optimal rate " + optimal_rate.to_string() +
                   " <= max rate " + max_rate.to_string() + " <= " + kMaxRate.to_string());
  }
  // Breakpoints in 10^-12 and cumulative weights in per mille (5, 15, 30, 50, 75, 100%).
  struct Stage {
    std::int64_t utilization;
    std::int64_t cumulative_per_mille;
  };
  constexpr std::array<Stage, 6> kStages{{{850'000'000'000, 50},
                                          {900'000'000'000, 150},
                                          {950'000'000'000, 300},
                                          {990'000'000'000, 500},
                                          {995'000'000'000, 750},
                                          {kOne, 1000}}};
  const int128 spread = static_cast<int128>(max_rate.raw()) - optimal_rate.raw();
  std::vector<RatePoint> points{{Ratio{}, Ratio{}}, {optimal_utilization, optimal_rate}};
  for (const Stage& stage : kStages) {
    if (stage.utilization <= optimal_utilization.raw()) {
      continue;
    }
    const int128 rise = div_round(spread * stage.cumulative_per_mille, 1000, Round::up);
    points.push_back({Ratio::from_raw(stage.utilization),
                      Ratio::from_raw(optimal_rate.raw() + static_cast<std::int64_t>(rise))});
  }
  return make(points, min_rate);
}

Result<RateCurve> RateCurve::mango_two_kink(Ratio util0, Ratio rate0, Ratio util1, Ratio rate1,
                                            Ratio max_rate) {
  if (util0.raw() <= 0 || util1 <= util0 || util1.raw() >= kOne) {
    return invalid("mango curve: need 0 < util0 " + util0.to_string() + " < util1 " +
                   util1.to_string() + " < 1");
  }
  const std::array<RatePoint, 4> points{
      {{Ratio{}, Ratio{}}, {util0, rate0}, {util1, rate1}, {kOneRatio, max_rate}}};
  return make(points);
}

Ratio RateCurve::rate_at(Ratio u) const {
  BALLAST_ASSERT(in_unit_interval(u));
  BALLAST_ASSERT(count_ >= 2);
  // The segment [points_[i-1], points_[i]] holding u; the last point is at 1, so one exists.
  std::size_t i = 1;
  while (points_[i].utilization < u) {
    ++i;
  }
  const RatePoint& lo = points_[i - 1];
  const RatePoint& hi = points_[i];
  // lo.rate + (hi.rate − lo.rate)·(u − lo.u)/(hi.u − lo.u), up: at most 10^14 · 10^12 in 128 bits.
  const int128 rise = static_cast<int128>(hi.rate.raw() - lo.rate.raw()) *
                      (u.raw() - lo.utilization.raw());
  const int128 run = hi.utilization.raw() - lo.utilization.raw();
  const auto rate = lo.rate.raw() + static_cast<std::int64_t>(div_round(rise, run, Round::up));
  return Ratio::from_raw(rate < min_rate_.raw() ? min_rate_.raw() : rate);
}

Ratio utilization(int128 debt, int128 cash, Round round) {
  BALLAST_ASSERT(debt >= 0 && cash >= 0);
  const int128 total = debt + cash;
  if (total == 0) {
    return Ratio{};
  }
  // debt <= total, so the quotient is at most 10^12; debt · 10^12 fits while debt < 1.7·10^26.
  BALLAST_ASSERT(debt < pow10_i128(26));
  return Ratio::from_raw(static_cast<std::int64_t>(div_round(debt * kOne, total, round)));
}

Ratio supply_rate(Ratio borrow_rate, Ratio u, Ratio reserve_factor) {
  BALLAST_ASSERT(valid_rate(borrow_rate) && in_unit_interval(u) && in_unit_interval(reserve_factor));
  // 10^14 · 10^12 · 10^12 = 10^38 < 1.7·10^38: one exact product, one rounding.
  const int128 product = static_cast<int128>(borrow_rate.raw()) * u.raw() * (kOne - reserve_factor.raw());
  return Ratio::from_raw(static_cast<std::int64_t>(div_round(product, pow10_i128(24), Round::down)));
}

Outcome validate(const AdaptiveScaling& params) {
  if (params.target_utilization.raw() <= 0 || params.target_utilization.raw() >= kOne) {
    return invalid("adaptive scaling: target utilization " + params.target_utilization.to_string() +
                   " outside (0, 1)");
  }
  if (params.adjustment.raw() < 0 || params.adjustment.raw() >= kOne) {
    return invalid("adaptive scaling: adjustment " + params.adjustment.to_string() +
                   " outside [0, 1)");
  }
  if (params.max_scaling < kOneRatio || params.max_scaling > Ratio::from_raw(1000 * kOne)) {
    return invalid("adaptive scaling: max scaling " + params.max_scaling.to_string() +
                   " outside [1, 1000]");
  }
  return Ok{};
}

Ratio adapt_scaling(const AdaptiveScaling& params, Ratio scaling, Ratio u) {
  BALLAST_ASSERT(in_unit_interval(u) && scaling >= kOneRatio);
  const std::int64_t target = params.target_utilization.raw();
  // f in [−1, 1] at 10^-12, up (a negative f toward zero).
  const int128 gap = static_cast<int128>(u.raw()) - target;
  const int128 span = gap >= 0 ? kOne - target : target;
  const int128 f = div_round(gap * kOne, span, Round::up);
  const int128 step = div_round(f * params.adjustment.raw(), kOne, Round::up);  // adjustment × f
  // scaling × (1 + step): scaling <= 1000 · 10^12, (1 + step) <= 2 · 10^12: fits.
  int128 next = div_round(static_cast<int128>(scaling.raw()) * (kOne + step), kOne, Round::up);
  if (next < kOne) {
    next = kOne;
  }
  if (next > params.max_scaling.raw()) {
    next = params.max_scaling.raw();
  }
  return Ratio::from_raw(static_cast<std::int64_t>(next));
}

Ratio scaled_rate(Ratio rate, Ratio scaling) {
  BALLAST_ASSERT(valid_rate(rate) && scaling.raw() >= 0);
  const int128 product = div_round(static_cast<int128>(rate.raw()) * scaling.raw(), kOne, Round::up);
  return product > kMaxRate.raw() ? kMaxRate : Ratio::from_raw(static_cast<std::int64_t>(product));
}

}  // namespace ballast::lending

#pragma once
// Interest-rate curves for lending pools: annual borrow rate as a function of utilization.
//
// A RateCurve is a list of (utilization, rate) points joined by straight lines: utilization
// strictly increasing from exactly 0 to exactly 1, rates non-decreasing, with an optional floor
// (min_rate). The presets express three published designs through the same points:
//   - Aave v3's two-slope strategy (base, slope1, slope2, optimal U*),
//   - Drift v2's multi-stage curve (linear to the optimal point, then (max − optimal) spread over
//     segments ending at 85/90/95/99/99.5/100% with weights 5/10/15/20/25/25%, min-rate floor),
//   - Mango v4's two-kink curve, which the pool multiplies by an adaptive scaling factor
//     (AdaptiveScaling, adapt_scaling).
//
// All arithmetic is exact on Ratio (10^-12) with one named rounding per step:
//   borrow rate at U        up    borrowers never pay less than the curve says
//   scaled borrow rate      up    (curve × scaling) likewise
//   supply rate             down  suppliers are never promised more than borrowers pay
//   scaling step            up    the factor that raises borrow rates never lags the formula
// The supply rate is indicative (what a supplier earns at this instant); what suppliers actually
// earn is what borrowers pay less reserves, exactly, through the pool's indices (pool.hpp).

#include <array>
#include <cstddef>
#include <span>

#include "ballast/core/fixed.hpp"
#include "ballast/core/result.hpp"

namespace ballast::lending {

// The highest annual rate a curve point or a scaled rate may have: 100 = 10,000% a year. Above
// any real venue's cap (Drift's largest is 4,294%), and it keeps every product of rate,
// utilization and factor inside 128 bits exactly (10^14 · 10^12 · 10^12 < 1.7·10^38).
inline constexpr Ratio kMaxRate = Ratio::from_raw(100 * Ratio::kScale);
inline constexpr Ratio kOneRatio = Ratio::from_raw(Ratio::kScale);

struct RatePoint {
  Ratio utilization;
  Ratio rate;  // annual, as a decimal (0.05 = 5% a year)
  friend constexpr bool operator==(RatePoint, RatePoint) = default;
};

class RateCurve {
 public:
  static constexpr std::size_t kMaxPoints = 12;

  // Validated: 2..kMaxPoints points, the first at utilization 0 and the last at 1, utilization
  // strictly increasing, rates non-decreasing in [0, kMaxRate], min_rate in [0, kMaxRate].
  // The error names the offending point.
  static Result<RateCurve> make(std::span<const RatePoint> points, Ratio min_rate = Ratio{});

  // Aave v3 DefaultReserveInterestRateStrategy: base + slope1·U/U* up to U*, then
  // base + slope1 + slope2·(U − U*)/(1 − U*). optimal in (0, 1]; at 1, slope2 is unused.
  static Result<RateCurve> aave_two_slope(Ratio base, Ratio slope1, Ratio slope2, Ratio optimal);

  // Drift v2 multi-stage curve: 0 at U = 0, linear to (optimal_utilization, optimal_rate), then
  // the rate at each breakpoint b in {85, 90, 95, 99, 99.5, 100%} above the optimum is
  // optimal_rate + (max_rate − optimal_rate) × (cumulative weight up to b), the weights being
  // 5/10/15/20/25/25%, linear between breakpoints; floored at min_rate. Drift assumes an optimum
  // below 85%; with a higher one the breakpoints at or below it are dropped and the first one
  // above it carries the cumulative weight, so the curve stays continuous and ends at max_rate.
  static Result<RateCurve> drift_multi_stage(Ratio optimal_utilization, Ratio optimal_rate,
                                             Ratio max_rate, Ratio min_rate = Ratio{});

  // Mango v4 two-kink curve: 0 at U = 0, (util0, rate0), (util1, rate1), max_rate at U = 1.
  // 0 < util0 < util1 < 1. The pool multiplies it by its adaptive scaling factor.
  static Result<RateCurve> mango_two_kink(Ratio util0, Ratio rate0, Ratio util1, Ratio rate1,
                                          Ratio max_rate);

  // The annual borrow rate at utilization u in [0, 1] (asserted), rounded up, at least min_rate.
  Ratio rate_at(Ratio utilization) const;

  std::span<const RatePoint> points() const { return {points_.data(), count_}; }
  Ratio min_rate() const { return min_rate_; }

  friend bool operator==(const RateCurve&, const RateCurve&) = default;

 private:
  RateCurve() = default;
  std::array<RatePoint, kMaxPoints> points_{};
  std::size_t count_ = 0;
  Ratio min_rate_;
};

// Utilization = debt / (cash + debt), Aave's "borrowed over available plus borrowed", in the
// given direction; 0 when both are 0. debt >= 0, cash >= 0 (asserted). Never above 1.
Ratio utilization(int128 debt, int128 cash, Round round);

// Supply rate = borrow_rate × utilization × (1 − reserve_factor), one rounding, down.
// borrow_rate in [0, kMaxRate], utilization and reserve_factor in [0, 1] (asserted).
Ratio supply_rate(Ratio borrow_rate, Ratio utilization, Ratio reserve_factor);

// Mango v4's adaptive scaling of the curve. At each step (the engine decides the cadence, Mango
// updates about hourly from the average utilization over the interval):
//   f = (U − target) / (1 − target)  when U >= target,  (U − target) / target  below it,
//   so f is in [−1, 1] and says how far U is from the target toward its nearest end;
//   scaling ← min(max_scaling, max(1, scaling × (1 + adjustment × f))).
// The cap max_scaling is ours (Mango has none): it keeps scaled rates, and every product with
// them, in range. f, adjustment × f and the product each round up (toward the higher rate).
struct AdaptiveScaling {
  Ratio target_utilization;  // (0, 1)
  Ratio adjustment;          // [0, 1); Mango: 0.004
  Ratio max_scaling = Ratio::from_raw(1000 * Ratio::kScale);  // >= 1
  friend constexpr bool operator==(const AdaptiveScaling&, const AdaptiveScaling&) = default;
};

// Validates the parameters (the error names the field).
Outcome validate(const AdaptiveScaling& params);

// One scaling step at `utilization` in [0, 1]; scaling >= 1 (asserted).
Ratio adapt_scaling(const AdaptiveScaling& params, Ratio scaling, Ratio utilization);

// curve rate × scaling, rounded up, capped at kMaxRate. rate in [0, kMaxRate], scaling >= 0.
Ratio scaled_rate(Ratio rate, Ratio scaling);

}  // namespace ballast::lending

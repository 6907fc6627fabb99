#pragma once
// Options in cross margin (issue 4, item 4): a configurable short-option rule in the style of
// Deribit's and Derive's standard margin, with spreads capped at their maximum loss at expiry.
//
//   short leg:  (max(underlying_rate × S − OTM, min_rate × S) + mark) × |size|, rounded up
//               OTM = max(K − S, 0) for a call, max(S − K, 0) for a put
//   long leg:   nothing beyond its (weighted) value, which the account counts as collateral
//   legs on one underlying and expiry: the sum of the legs' requirements, capped (when the rule
//               says so) at the largest amount the legs can lose at expiry, when that is bounded.
//
// The maximum loss is exact: the payoff at expiry is piecewise linear in the underlying price x
// with kinks only at the strikes, so its minimum over x ≥ 0 is at x = 0, at a strike, or (when
// the slope beyond the highest strike, the net call position, is negative) unbounded.
// Prices are linear (quote-settled) options; coin-settled ones convert upstream.

#include <cstdint>
#include <optional>
#include <span>

#include "ballast/core/fixed.hpp"
#include "ballast/core/result.hpp"
#include "ballast/margin/weights.hpp"
#include "ballast/pricing/black.hpp"

namespace ballast::margin {

struct OptionLeg {
  pricing::OptionKind kind;
  Price strike;   // > 0
  Quantity size;  // signed, in units of the underlying: negative is short
  Price mark;     // the option's value per unit of underlying (≥ 0)
};

// One kind's rates: 0 ≤ min_rate ≤ underlying_rate ≤ 1.
struct ShortOptionRate {
  Ratio underlying_rate;
  Ratio min_rate;
};

// Deribit's published standard margin for a short option is the default: initial
// max(0.15 − OTM/S, 0.1) × S + mark, maintenance 0.075 × S + mark.
struct ShortOptionRule {
  ShortOptionRate initial{Ratio::from_raw(150'000'000'000), Ratio::from_raw(100'000'000'000)};
  ShortOptionRate maintenance{Ratio::from_raw(75'000'000'000), Ratio::from_raw(75'000'000'000)};
  bool cap_at_max_loss = true;

  // Each kind's rates as above, and maintenance ≤ initial field by field (so IM ≥ MM).
  Outcome validate() const;
};

// One leg's requirement, rounded up; 0 for a long leg; nullopt beyond Money's range.
// underlying > 0.
inline std::optional<Money> option_leg_requirement(const ShortOptionRule& rule, MarginKind kind,
                                                   const OptionLeg& leg, Price underlying) {
  if (leg.size.raw() >= 0) {
    return Money{};
  }
  BALLAST_ASSERT(underlying.raw() > 0 && !leg.mark.is_negative());
  const ShortOptionRate& r = kind == MarginKind::initial ? rule.initial : rule.maintenance;
  const std::int64_t s = underlying.raw();
  const std::int64_t k = leg.strike.raw();
  const std::int64_t otm =
      leg.kind == pricing::OptionKind::call ? (k > s ? k - s : 0) : (s > k ? s - k : 0);
  // Per unit at 21 decimals (rate 12 + price 9), then rounded up to 9.
  const int128 scaled = static_cast<int128>(r.underlying_rate.raw()) * s -
                        static_cast<int128>(otm) * Ratio::kScale;
  const int128 floor_part = static_cast<int128>(r.min_rate.raw()) * s;
  const int128 per_unit =
      detail::div_pow10<12>(scaled > floor_part ? scaled : floor_part, Round::up) + leg.mark.raw();
  int128 total = 0;  // at 18 decimals
  if (__builtin_mul_overflow(per_unit, -static_cast<int128>(leg.size.raw()), &total)) {
    return std::nullopt;
  }
  const auto raw = narrow_i64(detail::div_pow10<12>(total, Round::up));
  return raw ? std::optional<Money>(Money::from_raw(*raw)) : std::nullopt;
}

// The largest amount these legs (one underlying, one expiry) can lose at expiry, payoff only,
// rounded up; 0 if they cannot lose; nullopt when unbounded (net short calls) or beyond Money's
// range (both mean: no cap).
std::optional<Money> max_loss_at_expiry(std::span<const OptionLeg> legs);

// The requirement of legs on one underlying and expiry: the sum of option_leg_requirement,
// capped at max_loss_at_expiry when the rule caps and the loss is bounded. nullopt only when the
// uncapped sum is beyond Money's range and no cap applies.
std::optional<Money> option_set_requirement(const ShortOptionRule& rule, MarginKind kind,
                                            std::span<const OptionLeg> legs, Price underlying);

}  // namespace ballast::margin

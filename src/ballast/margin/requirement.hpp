#pragma once
// Margin requirements per position (issue 4, item 4), selectable per market from a closed set of
// rules, plus the oracle-latency buffer. Collateral weights are in weights.hpp, the short-option
// rule in option_margin.hpp; this header brings in both.
//
//   BaseRule    notional × rate                                        (fixed IMF/MMF)
//   SizeRule    notional × max(rate, 0.8·rate + imf·√|size|)           (Drift v2)
//   OiRampRule  initial: notional × IMF(OI), IMF ramping linearly from the base rate at the
//               lower open-interest cap to 100% at the upper cap; maintenance never scaled
//                                                                      (dYdX v4)
//   TierRule    notional × rate_n − deduction_n in tier n, deduction_n = deduction_{n−1} +
//               lower_bound_n × (rate_n − rate_{n−1}): continuous in notional (Hyperliquid)
//
// Requirements round up (docs/ARCHITECTURE.md, rounding policy) and are never below the exact
// figure; a result beyond Money's range is nullopt. For every valid rule the requirement is
// non-decreasing in notional, |size| and open interest, and initial ≥ maintenance.
//
// Cost: the functions are inline, allocation-free and divide only by compile-time powers of ten,
// except the OI ramp inside its ramp (one 128-bit division; effective_imf() lets a caller compute
// it once per market and open-interest change and use BaseRule-speed products after that).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>

#include "ballast/core/fixed.hpp"
#include "ballast/core/result.hpp"
#include "ballast/margin/option_margin.hpp"
#include "ballast/margin/weights.hpp"

namespace ballast::margin {

// Fixed fractions of notional (0 ≤ maintenance_rate ≤ initial_rate ≤ 1).
struct BaseRule {
  Ratio initial_rate;
  Ratio maintenance_rate;
};

// Drift's size-based margin ratio: max(rate, 0.8·rate + imf_factor·√|size|), size in whole
// units of the base asset, for both kinds (0 ≤ maintenance_rate ≤ initial_rate ≤ 1,
// 0 ≤ imf_factor ≤ 1).
struct SizeRule {
  Ratio initial_rate;
  Ratio maintenance_rate;
  Ratio imf_factor;
};

// dYdX's open-interest-based IMF: base initial_rate while the market's open interest (notional)
// is ≤ oi_lower_cap, 100% from oi_upper_cap up, linear between; oi_upper_cap = 0 turns the ramp
// off. The maintenance rate is never scaled. (0 ≤ maintenance ≤ initial ≤ 1, 0 ≤ lower ≤ upper.)
struct OiRampRule {
  Ratio initial_rate;
  Ratio maintenance_rate;
  Money oi_lower_cap;
  Money oi_upper_cap;
};

// One notional tier: from lower_bound (inclusive) up to the next tier's lower bound.
struct NotionalTier {
  Money lower_bound;
  Ratio initial_rate;
  Ratio maintenance_rate;
};

inline constexpr std::size_t kMaxNotionalTiers = 8;

// Hyperliquid's notional tiers with continuous deductions. Built only through make() /
// from_leverage(), which validate and precompute the deductions exactly (at 18 decimals), so the
// requirement is exactly continuous at every boundary.
class TierRule {
 public:
  // Tiers by strictly increasing lower_bound, the first at 0; rates non-decreasing tier to tier;
  // 0 ≤ maintenance_rate ≤ initial_rate ≤ 1 in each; at most kMaxNotionalTiers.
  static Result<TierRule> make(std::span<const NotionalTier> tiers);

  struct LeverageTier {
    Money lower_bound;
    std::int64_t max_leverage;  // ≥ 1
  };
  // Hyperliquid's form: initial rate 1/max_leverage, maintenance half of it (both rounded up).
  static Result<TierRule> from_leverage(std::span<const LeverageTier> tiers);

  std::span<const NotionalTier> tiers() const { return {tiers_.data(), count_}; }
  // deduction_n of the given kind, in units of 10^-18 quote.
  int128 deduction(MarginKind kind, std::size_t tier) const {
    return kind == MarginKind::initial ? initial_deduction_[tier] : maintenance_deduction_[tier];
  }

  std::optional<Money> requirement(MarginKind kind, Money notional) const;
  // The tier whose lower bound the notional reaches (the last such).
  std::size_t tier_at(Money notional) const {
    std::size_t tier = 0;
    while (tier + 1 < count_ && tiers_[tier + 1].lower_bound <= notional) {
      ++tier;
    }
    return tier;
  }

 private:
  std::array<NotionalTier, kMaxNotionalTiers> tiers_{};
  std::array<int128, kMaxNotionalTiers> initial_deduction_{};
  std::array<int128, kMaxNotionalTiers> maintenance_deduction_{};
  std::size_t count_ = 0;
};

using RequirementRule = std::variant<BaseRule, SizeRule, OiRampRule, TierRule>;

// An invalid_input error naming the rule and the first bad field, e.g.
// "size rule: maintenance_rate: must be at most initial_rate (0.1), got 0.2".
Outcome validate(const BaseRule& rule);
Outcome validate(const SizeRule& rule);
Outcome validate(const OiRampRule& rule);
Outcome validate(const RequirementRule& rule);

namespace detail {

// notional × rate rounded up; nullopt beyond Money's range.
inline std::optional<Money> notional_times_rate_up(Money notional, Ratio rate) {
  return money_times_ratio(notional, rate, Round::up);
}

}  // namespace detail

// Drift's margin ratio at this size, rounded up (≥ the exact irrational value).
inline Ratio size_margin_ratio(const SizeRule& rule, MarginKind kind, Quantity size) {
  const Ratio rate = kind == MarginKind::initial ? rule.initial_rate : rule.maintenance_rate;
  return size_premium_liability_weight(rate, rule.imf_factor, size);
}

// dYdX's effective initial margin fraction at this open interest, rounded up:
// min(1, base + (OI − lower) / (upper − lower) × (1 − base)).
inline Ratio effective_imf(const OiRampRule& rule, Money open_interest) {
  if (rule.oi_upper_cap.raw() == 0 || open_interest <= rule.oi_lower_cap) {
    return rule.initial_rate;
  }
  if (open_interest >= rule.oi_upper_cap) {
    return kRatioOne;
  }
  // lower < OI < upper, so the span is positive and the fraction is in (0, 1).
  const int128 over = static_cast<int128>(open_interest.raw()) - rule.oi_lower_cap.raw();
  const int128 span = static_cast<int128>(rule.oi_upper_cap.raw()) - rule.oi_lower_cap.raw();
  const int128 numerator = over * (Ratio::kScale - rule.initial_rate.raw());
  const int128 ramp = (numerator + span - 1) / span;  // ceil, numerator ≥ 0
  return Ratio::from_raw(rule.initial_rate.raw() + static_cast<std::int64_t>(ramp));
}

inline std::optional<Money> TierRule::requirement(MarginKind kind, Money notional) const {
  const std::size_t tier = tier_at(notional);
  const bool initial = kind == MarginKind::initial;
  const Ratio rate = initial ? tiers_[tier].initial_rate : tiers_[tier].maintenance_rate;
  const int128 deduction = initial ? initial_deduction_[tier] : maintenance_deduction_[tier];
  const int128 exact = static_cast<int128>(notional.raw()) * rate.raw() - deduction;
  const int128 raw = detail::div_pow10<12>(exact, Round::up);
  if (raw > INT64_MAX) {
    return std::nullopt;
  }
  return Money::from_raw(static_cast<std::int64_t>(raw));
}

// The requirement of one position under `rule`: notional is |size| × mark in quote money (≥ 0),
// size the signed position (only |size| matters; SizeRule uses it), open_interest the market's
// open interest as notional (OiRampRule uses it). Rounded up; nullopt beyond Money's range.
inline std::optional<Money> requirement(const RequirementRule& rule, MarginKind kind,
                                        Money notional, Quantity size, Money open_interest) {
  BALLAST_ASSERT(!notional.is_negative());
  const bool initial = kind == MarginKind::initial;
  switch (rule.index()) {
    case 0: {
      const auto& r = *std::get_if<BaseRule>(&rule);
      return detail::notional_times_rate_up(notional, initial ? r.initial_rate : r.maintenance_rate);
    }
    case 1:
      return detail::notional_times_rate_up(
          notional, size_margin_ratio(*std::get_if<SizeRule>(&rule), kind, size));
    case 2: {
      const auto& r = *std::get_if<OiRampRule>(&rule);
      return detail::notional_times_rate_up(
          notional, initial ? effective_imf(r, open_interest) : r.maintenance_rate);
    }
    default:
      return std::get_if<TierRule>(&rule)->requirement(kind, notional);
  }
}

// The rate the requirement grows at with the notional here, exactly: every rule is linear in
// the notional for a fixed size and open interest (a tier rule piecewise, at the tier the
// notional is in). What liquidation prices solve with.
inline Ratio marginal_rate(const RequirementRule& rule, MarginKind kind, Money notional, Quantity size,
                           Money open_interest) {
  const bool initial = kind == MarginKind::initial;
  switch (rule.index()) {
    case 0: {
      const auto& r = *std::get_if<BaseRule>(&rule);
      return initial ? r.initial_rate : r.maintenance_rate;
    }
    case 1: return size_margin_ratio(*std::get_if<SizeRule>(&rule), kind, size);
    case 2: {
      const auto& r = *std::get_if<OiRampRule>(&rule);
      return initial ? effective_imf(r, open_interest) : r.maintenance_rate;
    }
    default: {
      const auto& r = *std::get_if<TierRule>(&rule);
      const NotionalTier& tier = r.tiers()[r.tier_at(notional)];
      return initial ? tier.initial_rate : tier.maintenance_rate;
    }
  }
}

inline std::optional<Money> initial_requirement(const RequirementRule& rule, Money notional,
                                                Quantity size, Money open_interest) {
  return requirement(rule, MarginKind::initial, notional, size, open_interest);
}

inline std::optional<Money> maintenance_requirement(const RequirementRule& rule, Money notional,
                                                    Quantity size, Money open_interest = {}) {
  return requirement(rule, MarginKind::maintenance, notional, size, open_interest);
}

// Both requirements of one position in one call (what a full recompute wants).
struct Requirements {
  std::optional<Money> initial;
  std::optional<Money> maintenance;
};

inline Requirements requirements(const RequirementRule& rule, Money notional, Quantity size,
                                 Money open_interest) {
  if (const auto* r = std::get_if<SizeRule>(&rule)) {
    // One square root for both: the maintenance rate is the lower, so if the size term is
    // clearly below its threshold it is below the initial one too.
    if (r->imf_factor.raw() != 0 && size.raw() != 0 &&
        detail::size_term_estimate(r->imf_factor, size) >=
            0.2 * static_cast<double>(r->maintenance_rate.raw()) * 1e-12 * detail::kScreenMargin) {
      BALLAST_ASSERT(!notional.is_negative());
      const int128 term = detail::size_term_up(r->imf_factor, size);
      return {detail::notional_times_rate_up(notional, detail::premium_weight(r->initial_rate, term)),
              detail::notional_times_rate_up(notional, detail::premium_weight(r->maintenance_rate, term))};
    }
  }
  return {requirement(rule, MarginKind::initial, notional, size, open_interest),
          requirement(rule, MarginKind::maintenance, notional, size, open_interest)};
}

// Oracle-latency buffer: an add-on of multiplier × σ_annual × √((oracle + liquidation latency) /
// one year) × notional, ACT/365 (a year is 365 × 86,400 s). A slower oracle or a slower
// liquidation path means more price drift before the position can be closed, so more capital.
// The caller adds it to the initial and maintenance requirement alike.
struct LatencyBuffer {
  Ratio multiplier;                       // k ≥ 0 (e.g. 3 for three standard deviations)
  std::int64_t oracle_latency_ns = 0;     // ≥ 0
  std::int64_t liquidation_latency_ns = 0;  // ≥ 0

  Outcome validate() const;  // also bounds the sum of latencies to ten years
};

inline constexpr std::int64_t kNanosecondsPerYear = 365LL * 86'400LL * 1'000'000'000LL;

// The buffer as a fraction of notional, computed in double (only correctly rounded IEEE
// operations, no libm: the same bits everywhere), nudged up past its few ulps of error and
// converted rounding up, so it is never below the exact value. nullopt for a negative or
// non-finite volatility or a rate beyond Ratio's range. One per market per volatility change.
std::optional<Ratio> latency_buffer_rate(const LatencyBuffer& buffer, double annual_vol);

// notional × rate, rounded up.
inline std::optional<Money> latency_addon(Ratio rate, Money notional) {
  BALLAST_ASSERT(!notional.is_negative() && !rate.is_negative());
  return detail::notional_times_rate_up(notional, rate);
}

inline std::optional<Money> latency_addon(const LatencyBuffer& buffer, double annual_vol,
                                          Money notional) {
  const std::optional<Ratio> rate = latency_buffer_rate(buffer, annual_vol);
  return rate ? latency_addon(*rate, notional) : std::nullopt;
}

}  // namespace ballast::margin

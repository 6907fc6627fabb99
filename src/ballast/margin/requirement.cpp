#include "ballast/margin/requirement.hpp"

#include <cmath>
#include <string>

namespace ballast::margin {
namespace {

Error rule_error(const char* rule, const std::string& field, const std::string& wanted,
                 const std::string& got) {
  return make_error(ErrorCode::invalid_input,
                    std::string(rule) + ": " + field + ": " + wanted + ", got " + got);
}

// 0 ≤ maintenance ≤ initial ≤ 1.
Outcome check_rates(const char* rule, const std::string& prefix, Ratio initial, Ratio maintenance) {
  if (initial.is_negative() || initial > kRatioOne) {
    return rule_error(rule, prefix + "initial_rate", "must be in [0, 1]", initial.to_string());
  }
  if (maintenance.is_negative() || maintenance > initial) {
    return rule_error(rule, prefix + "maintenance_rate",
                      "must be in [0, initial_rate (" + initial.to_string() + ")]",
                      maintenance.to_string());
  }
  return Ok{};
}

}  // namespace

Outcome validate(const BaseRule& rule) {
  return check_rates("base rule", "", rule.initial_rate, rule.maintenance_rate);
}

Outcome validate(const SizeRule& rule) {
  if (Outcome ok = check_rates("size rule", "", rule.initial_rate, rule.maintenance_rate); !ok) {
    return ok;
  }
  if (rule.imf_factor.is_negative() || rule.imf_factor > kRatioOne) {
    return rule_error("size rule", "imf_factor", "must be in [0, 1]", rule.imf_factor.to_string());
  }
  return Ok{};
}

Outcome validate(const OiRampRule& rule) {
  if (Outcome ok = check_rates("oi ramp rule", "", rule.initial_rate, rule.maintenance_rate); !ok) {
    return ok;
  }
  if (rule.oi_lower_cap.is_negative()) {
    return rule_error("oi ramp rule", "oi_lower_cap", "must be at least 0",
                      rule.oi_lower_cap.to_string());
  }
  if (rule.oi_upper_cap.raw() != 0 && rule.oi_upper_cap < rule.oi_lower_cap) {
    return rule_error("oi ramp rule", "oi_upper_cap",
                      "must be 0 (no ramp) or at least oi_lower_cap (" +
                          rule.oi_lower_cap.to_string() + ")",
                      rule.oi_upper_cap.to_string());
  }
  return Ok{};
}

Outcome validate(const RequirementRule& rule) {
  switch (rule.index()) {
    case 0:
      return validate(std::get<BaseRule>(rule));
    case 1:
      return validate(std::get<SizeRule>(rule));
    case 2:
      return validate(std::get<OiRampRule>(rule));
    default:
      return Ok{};  // a TierRule exists only validated
  }
}

Result<TierRule> TierRule::make(std::span<const NotionalTier> tiers) {
  constexpr const char* kRule = "tier rule";
  if (tiers.empty() || tiers.size() > kMaxNotionalTiers) {
    return rule_error(kRule, "tiers", "must hold 1 to " + std::to_string(kMaxNotionalTiers) + " tiers",
                      std::to_string(tiers.size()));
  }
  TierRule rule;
  rule.count_ = tiers.size();
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const NotionalTier& t = tiers[i];
    const std::string prefix = "tiers[" + std::to_string(i) + "].";
    if (Outcome ok = check_rates(kRule, prefix, t.initial_rate, t.maintenance_rate); !ok) {
      return std::move(ok).error();
    }
    if (i == 0) {
      if (t.lower_bound.raw() != 0) {
        return rule_error(kRule, prefix + "lower_bound", "must be 0 in the first tier",
                          t.lower_bound.to_string());
      }
    } else {
      const NotionalTier& below = tiers[i - 1];
      const std::string below_name = "tiers[" + std::to_string(i - 1) + "].";
      if (t.lower_bound <= below.lower_bound) {
        return rule_error(kRule, prefix + "lower_bound",
                          "must be above " + below_name + "lower_bound (" +
                              below.lower_bound.to_string() + ")",
                          t.lower_bound.to_string());
      }
      if (t.initial_rate < below.initial_rate) {
        return rule_error(kRule, prefix + "initial_rate",
                          "must be at least " + below_name + "initial_rate (" +
                              below.initial_rate.to_string() + ")",
                          t.initial_rate.to_string());
      }
      if (t.maintenance_rate < below.maintenance_rate) {
        return rule_error(kRule, prefix + "maintenance_rate",
                          "must be at least " + below_name + "maintenance_rate (" +
                              below.maintenance_rate.to_string() + ")",
                          t.maintenance_rate.to_string());
      }
      // Exact at 18 decimals: lower_bound (6) × rate difference (12); each term ≤ 9.3e30, at
      // most 7 of them.
      const int128 bound = t.lower_bound.raw();
      rule.initial_deduction_[i] = rule.initial_deduction_[i - 1] +
                                   bound * (t.initial_rate.raw() - below.initial_rate.raw());
      rule.maintenance_deduction_[i] =
          rule.maintenance_deduction_[i - 1] +
          bound * (t.maintenance_rate.raw() - below.maintenance_rate.raw());
    }
    rule.tiers_[i] = t;
  }
  return rule;
}

Result<TierRule> TierRule::from_leverage(std::span<const LeverageTier> tiers) {
  if (tiers.size() > kMaxNotionalTiers) {
    return rule_error("tier rule", "tiers",
                      "must hold 1 to " + std::to_string(kMaxNotionalTiers) + " tiers",
                      std::to_string(tiers.size()));
  }
  std::array<NotionalTier, kMaxNotionalTiers> converted{};
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const std::int64_t leverage = tiers[i].max_leverage;
    if (leverage < 1) {
      return rule_error("tier rule", "tiers[" + std::to_string(i) + "].max_leverage",
                        "must be at least 1", std::to_string(leverage));
    }
    // 1/L and 1/(2L), rounded up.
    const std::int64_t initial = (Ratio::kScale + leverage - 1) / leverage;
    const std::int64_t maintenance = (Ratio::kScale + 2 * leverage - 1) / (2 * leverage);
    converted[i] = {tiers[i].lower_bound, Ratio::from_raw(initial), Ratio::from_raw(maintenance)};
  }
  return make(std::span<const NotionalTier>(converted.data(), tiers.size()));
}

Outcome LatencyBuffer::validate() const {
  if (multiplier.is_negative()) {
    return rule_error("latency buffer", "multiplier", "must be at least 0", multiplier.to_string());
  }
  if (oracle_latency_ns < 0) {
    return rule_error("latency buffer", "oracle_latency_ns", "must be at least 0",
                      std::to_string(oracle_latency_ns));
  }
  if (liquidation_latency_ns < 0) {
    return rule_error("latency buffer", "liquidation_latency_ns", "must be at least 0",
                      std::to_string(liquidation_latency_ns));
  }
  if (oracle_latency_ns > 10 * kNanosecondsPerYear - liquidation_latency_ns) {
    return rule_error("latency buffer", "oracle_latency_ns + liquidation_latency_ns",
                      "must be at most ten years", std::to_string(oracle_latency_ns) + " + " +
                      std::to_string(liquidation_latency_ns));
  }
  return Ok{};
}

std::optional<Ratio> latency_buffer_rate(const LatencyBuffer& buffer, double annual_vol) {
  BALLAST_ASSERT(buffer.oracle_latency_ns >= 0 && buffer.liquidation_latency_ns >= 0);
  if (!(annual_vol >= 0.0) || !std::isfinite(annual_vol)) {
    return std::nullopt;
  }
  const std::int64_t latency = buffer.oracle_latency_ns + buffer.liquidation_latency_ns;
  if (latency == 0 || annual_vol == 0.0 || buffer.multiplier.raw() == 0) {
    return Ratio{};
  }
  // Eight correctly rounded operations (two int64 -> double conversions, two divisions, two
  // products, one square root that halves the error before it, one product): the relative error
  // is at most about 8 × 2^-53 = 2^-50. The factor (1 + 2^-48) lifts the result above the exact
  // value before the upward conversion, so the buffer is never below the exact figure.
  const double years = static_cast<double>(latency) / static_cast<double>(kNanosecondsPerYear);
  const double k = static_cast<double>(buffer.multiplier.raw()) / static_cast<double>(Ratio::kScale);
  const double rate = k * annual_vol * std::sqrt(years) * (1.0 + 0x1p-48);
  return Ratio::from_double(rate, Round::up);
}

}  // namespace ballast::margin

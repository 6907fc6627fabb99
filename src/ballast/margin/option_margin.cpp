#include "ballast/margin/option_margin.hpp"

#include <string>

namespace ballast::margin {
namespace {

Error option_error(const std::string& field, const std::string& wanted, const std::string& got) {
  return make_error(ErrorCode::invalid_input,
                    "short option rule: " + field + ": " + wanted + ", got " + got);
}

Outcome check_rate(const std::string& prefix, const ShortOptionRate& r) {
  if (r.underlying_rate.is_negative() || r.underlying_rate > kRatioOne) {
    return option_error(prefix + "underlying_rate", "must be in [0, 1]",
                        r.underlying_rate.to_string());
  }
  if (r.min_rate.is_negative() || r.min_rate > r.underlying_rate) {
    return option_error(prefix + "min_rate",
                        "must be in [0, underlying_rate (" + r.underlying_rate.to_string() + ")]",
                        r.min_rate.to_string());
  }
  return Ok{};
}

// Σ size × payoff(x) at 18 decimals; false on overflow.
bool payoff_at(std::span<const OptionLeg> legs, std::int64_t x, int128& out) {
  int128 sum = 0;
  for (const OptionLeg& leg : legs) {
    const std::int64_t k = leg.strike.raw();
    const std::int64_t intrinsic =
        leg.kind == pricing::OptionKind::call ? (x > k ? x - k : 0) : (k > x ? k - x : 0);
    const int128 term = static_cast<int128>(leg.size.raw()) * intrinsic;  // ≤ 2^126: no overflow
    if (__builtin_add_overflow(sum, term, &sum)) {
      return false;
    }
  }
  out = sum;
  return true;
}

}  // namespace

Outcome ShortOptionRule::validate() const {
  if (Outcome ok = check_rate("initial.", initial); !ok) {
    return ok;
  }
  if (Outcome ok = check_rate("maintenance.", maintenance); !ok) {
    return ok;
  }
  if (maintenance.underlying_rate > initial.underlying_rate) {
    return option_error("maintenance.underlying_rate",
                        "must be at most initial.underlying_rate (" +
                            initial.underlying_rate.to_string() + ")",
                        maintenance.underlying_rate.to_string());
  }
  if (maintenance.min_rate > initial.min_rate) {
    return option_error("maintenance.min_rate",
                        "must be at most initial.min_rate (" + initial.min_rate.to_string() + ")",
                        maintenance.min_rate.to_string());
  }
  return Ok{};
}

std::optional<Money> max_loss_at_expiry(std::span<const OptionLeg> legs) {
  // Beyond the highest strike every put is worthless and every call moves one for one: the
  // slope there is the net call size. Negative: the loss grows without bound.
  int128 call_slope = 0;
  for (const OptionLeg& leg : legs) {
    if (leg.kind == pricing::OptionKind::call) {
      call_slope += leg.size.raw();  // ≤ 2^63 per leg: no overflow for any realistic count
    }
  }
  if (call_slope < 0) {
    return std::nullopt;
  }
  // Linear between kinks, so the minimum over [0, highest strike] is at 0 or at a strike, and
  // beyond the highest strike the payoff does not fall.
  int128 lowest = 0;
  if (!payoff_at(legs, 0, lowest)) {
    return std::nullopt;
  }
  for (const OptionLeg& leg : legs) {
    int128 value = 0;
    if (!payoff_at(legs, leg.strike.raw(), value)) {
      return std::nullopt;
    }
    lowest = value < lowest ? value : lowest;
  }
  if (lowest >= 0) {
    return Money{};
  }
  const auto raw = narrow_i64(detail::div_pow10<12>(-lowest, Round::up));
  return raw ? std::optional<Money>(Money::from_raw(*raw)) : std::nullopt;
}

std::optional<Money> option_set_requirement(const ShortOptionRule& rule, MarginKind kind,
                                            std::span<const OptionLeg> legs, Price underlying) {
  std::optional<Money> sum = Money{};
  for (const OptionLeg& leg : legs) {
    const std::optional<Money> one = option_leg_requirement(rule, kind, leg, underlying);
    sum = (sum && one) ? checked_add(*sum, *one) : std::nullopt;
  }
  if (!rule.cap_at_max_loss) {
    return sum;
  }
  const std::optional<Money> cap = max_loss_at_expiry(legs);
  if (!cap) {
    return sum;
  }
  return (!sum || *cap < *sum) ? cap : sum;
}

}  // namespace ballast::margin

#include "ballast/engine/liquidation_rules.hpp"

#include <string>
#include <type_traits>

#include "ballast/core/assert.hpp"
#include "ballast/margin/weights.hpp"

namespace ballast {
namespace {

Error rules_error(std::string_view field, std::string_view rule) {
  return make_error(ErrorCode::invalid_input, "liquidation." + std::string(field) + ": " + std::string(rule));
}

// Every rule field as an int64 raw with its name, in the order the bytes carry them: one walk
// for encode, decode and the error messages.
template <typename Rules, typename Visit>
void for_each_field(Rules& rules, Visit&& visit) {
  auto& s = rules.sizing;
  auto& a = rules.auction;
  visit("close_factor", s.close_factor);
  visit("full_close_below", s.stages.full_close_below);
  visit("backstop_below", s.stages.backstop_below);
  visit("min_leftover_notional", s.min_leftover_notional);
  visit("buffer_ratio", rules.buffer_ratio);
  visit("min_bonus", a.min_bonus);
  visit("max_bonus", a.max_bonus);
  visit("auction_duration_ns", a.duration_ns);
  visit("protocol_share", a.protocol_share);
  visit("account_cap_notional", rules.account_cap_notional);
  visit("account_window_ns", rules.account_window_ns);
  visit("event_cap_notional", rules.event_cap_notional);
  visit("insurance_per_account_window", rules.insurance.per_account_window);
  visit("insurance_per_event", rules.insurance.per_event);
  visit("insurance_keep_minimum", rules.insurance.keep_minimum);
  visit("after_insurance", rules.after_insurance);
  visit("adl_ranking", rules.adl_ranking);
  visit("withdrawal_gate_ns", rules.withdrawal_gate_ns);
  visit("bankruptcy_adjustment", rules.bankruptcy_adjustment);
  visit("spread_to_maintenance", rules.spread_to_maintenance);
  visit("target_fee_rate", rules.target_fee_rate);
  visit("rounding_allowance", s.rounding_allowance);
}

// The field's raw value in the walk: an integer, a fixed-point raw, or an enum's number.
template <typename T>
std::int64_t raw_of(const T& value) {
  if constexpr (std::is_same_v<T, std::int64_t>) {
    return value;
  } else if constexpr (std::is_enum_v<T>) {
    return static_cast<std::int64_t>(value);
  } else {
    return value.raw();
  }
}

// The inverse of raw_of; false for an enum number outside its type (validate() then judges the
// values the type can hold).
template <typename T>
bool set_from_raw(T& value, std::int64_t raw) {
  if constexpr (std::is_same_v<T, std::int64_t>) {
    value = raw;
  } else if constexpr (std::is_enum_v<T>) {
    if (raw < 0 || raw > 255) return false;
    value = static_cast<T>(raw);
  } else {
    value = T::from_raw(raw);
  }
  return true;
}

}  // namespace

Outcome LiquidationRules::validate() const {
  const liquidation::SizingParams& s = sizing;
  if (s.close_factor.raw() <= 0 || s.close_factor > margin::kRatioOne) return rules_error("close_factor", "must be in (0, 1]");
  if (s.stages.full_close_below > margin::kRatioOne || s.stages.full_close_below.is_negative()) {
    return rules_error("full_close_below", "must be in [0, 1]");
  }
  if (s.stages.backstop_below.is_negative() || s.stages.backstop_below > s.stages.full_close_below) {
    return rules_error("backstop_below", "must be in [0, full_close_below]");
  }
  if (s.min_leftover_notional.is_negative()) return rules_error("min_leftover_notional", "must be >= 0");
  if (s.rounding_allowance.is_negative()) return rules_error("rounding_allowance", "must be >= 0");
  if (buffer_ratio.is_negative()) return rules_error("buffer_ratio", "must be >= 0");
  switch (liquidation::validate(auction)) {
    case liquidation::AuctionStatus::ok: break;
    case liquidation::AuctionStatus::bonus_negative: return rules_error("min_bonus", "must be >= 0");
    case liquidation::AuctionStatus::bonus_order: return rules_error("max_bonus", "must be >= min_bonus");
    case liquidation::AuctionStatus::bonus_too_large: return rules_error("max_bonus", "must be below 1");
    case liquidation::AuctionStatus::duration_invalid: return rules_error("auction_duration_ns", "must be > 0");
    default: return rules_error("protocol_share", "must be in [0, 1]");
  }
  if (account_cap_notional.raw() <= 0) return rules_error("account_cap_notional", "must be > 0");
  if (account_window_ns <= 0) return rules_error("account_window_ns", "must be > 0");
  if (event_cap_notional.raw() <= 0) return rules_error("event_cap_notional", "must be > 0");
  if (insurance.per_account_window.is_negative()) return rules_error("insurance_per_account_window", "must be >= 0");
  if (insurance.per_event.is_negative()) return rules_error("insurance_per_event", "must be >= 0");
  if (insurance.keep_minimum.is_negative()) return rules_error("insurance_keep_minimum", "must be >= 0");
  if (after_insurance > LossAbsorber::market_holders) {
    return rules_error("after_insurance", "must be adl_counterparties (0) or market_holders (1)");
  }
  if (adl_ranking > liquidation::AdlRanking::hedge_aware) {
    return rules_error("adl_ranking", "must be pnl_leverage (0) or hedge_aware (1)");
  }
  if (withdrawal_gate_ns < 0) return rules_error("withdrawal_gate_ns", "must be >= 0");
  if (bankruptcy_adjustment.is_negative()) return rules_error("bankruptcy_adjustment", "must be >= 0");
  if (spread_to_maintenance.is_negative()) return rules_error("spread_to_maintenance", "must be >= 0");
  if (target_fee_rate.is_negative() || target_fee_rate >= margin::kRatioOne) {
    return rules_error("target_fee_rate", "must be in [0, 1)");
  }
  return Ok{};
}

void encode_liquidation_rules(ByteWriter& out, const LiquidationRules& rules) {
  for_each_field(rules, [&out](const char*, const auto& value) { out.i64(raw_of(value)); });
}

Result<LiquidationRules> decode_liquidation_rules(ByteReader& in) {
  LiquidationRules rules;
  const char* missing = nullptr;
  const char* unknown = nullptr;
  for_each_field(rules, [&](const char* name, auto& value) {
    const auto raw = missing == nullptr && unknown == nullptr ? in.i64() : std::nullopt;
    if (!raw) {
      if (missing == nullptr && unknown == nullptr) missing = name;
      return;
    }
    if (!set_from_raw(value, *raw)) unknown = name;
  });
  if (missing != nullptr) return rules_error(missing, "truncated");
  if (unknown != nullptr) return rules_error(unknown, "unknown value");
  if (Outcome valid = rules.validate(); !valid) return std::move(valid).error();
  return rules;
}

namespace {

// The episode at `now_ns` with its window rolled forward once account_window_ns has passed (both
// of the window's counts start again); a new episode starts now.
LiquidationEpisode episode_now(const LiquidationRules& rules, const std::optional<LiquidationEpisode>& episode,
                               TimestampNs now_ns) {
  LiquidationEpisode next = episode.value_or(LiquidationEpisode{now_ns, now_ns, Money{}, Money{}});
  if (now_ns - next.window_start_ns >= rules.account_window_ns) {
    next.window_start_ns = now_ns;
    next.window_notional = Money{};
    next.window_insurance = Money{};
  }
  return next;
}


}  // namespace

Money account_cap_remaining(const LiquidationRules& rules, const std::optional<LiquidationEpisode>& episode,
                            TimestampNs now_ns) {
  const std::int64_t left =
      rules.account_cap_notional.raw() - episode_now(rules, episode, now_ns).window_notional.raw();
  return Money::from_raw(left > 0 ? left : 0);
}

LiquidationEpisode after_liquidation(const LiquidationRules& rules, const std::optional<LiquidationEpisode>& episode,
                                     Money notional, TimestampNs now_ns) {
  LiquidationEpisode next = episode_now(rules, episode, now_ns);
  // The cap bounded this liquidation's notional, so the sum stays within the cap's range.
  next.window_notional = Money::from_raw(next.window_notional.raw() + notional.raw());
  BALLAST_ASSERT(next.window_notional <= rules.account_cap_notional);
  return next;
}

Money insurance_used(const LiquidationRules& rules, const std::optional<LiquidationEpisode>& episode,
                     TimestampNs now_ns) {
  return episode_now(rules, episode, now_ns).window_insurance;
}

LiquidationEpisode after_insurance_payment(const LiquidationRules& rules,
                                           const std::optional<LiquidationEpisode>& episode, Money paid,
                                           TimestampNs now_ns) {
  LiquidationEpisode next = episode_now(rules, episode, now_ns);
  // The per-account cap bounded the payment, so the sum stays within the cap's range.
  next.window_insurance = Money::from_raw(next.window_insurance.raw() + paid.raw());
  BALLAST_ASSERT(next.window_insurance <= rules.insurance.per_account_window);
  return next;
}

}  // namespace ballast

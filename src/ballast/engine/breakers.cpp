#include "ballast/engine/breakers.hpp"

#include <algorithm>
#include <bit>
#include <string>

#include "ballast/core/assert.hpp"
#include "ballast/engine/engine_parts.hpp"

namespace ballast {

namespace {

Error field_error(std::string_view field, std::string_view rule) {
  return make_error(ErrorCode::invalid_input, "breakers." + std::string(field) + ": " + std::string(rule));
}

// rate × multiplier, up, never above 100% of notional (what RiskConfig::validate allows).
Ratio scaled_rate(Ratio rate, Ratio multiplier) {
  const std::optional<Ratio> scaled = mul<Ratio>(rate, multiplier, Round::up);
  return scaled ? std::min(*scaled, margin::kRatioOne) : margin::kRatioOne;
}

margin::ShortOptionRate scaled_option_rate(margin::ShortOptionRate rate, Ratio multiplier) {
  return {scaled_rate(rate.underlying_rate, multiplier), scaled_rate(rate.min_rate, multiplier)};
}

// Scaling and capping are monotone, so every ordering validate() asks of the rule (maintenance
// <= initial, rates non-decreasing by tier) survives them.
margin::RequirementRule scaled_rule(const margin::RequirementRule& rule, Ratio m) {
  if (const auto* r = std::get_if<margin::BaseRule>(&rule)) {
    return margin::BaseRule{scaled_rate(r->initial_rate, m), scaled_rate(r->maintenance_rate, m)};
  }
  if (const auto* r = std::get_if<margin::SizeRule>(&rule)) {
    return margin::SizeRule{scaled_rate(r->initial_rate, m), scaled_rate(r->maintenance_rate, m),
                            scaled_rate(r->imf_factor, m)};
  }
  if (const auto* r = std::get_if<margin::OiRampRule>(&rule)) {
    return margin::OiRampRule{scaled_rate(r->initial_rate, m), scaled_rate(r->maintenance_rate, m), r->oi_lower_cap,
                              r->oi_upper_cap};
  }
  const auto& tiered = *std::get_if<margin::TierRule>(&rule);
  std::vector<margin::NotionalTier> tiers(tiered.tiers().begin(), tiered.tiers().end());
  for (margin::NotionalTier& tier : tiers) {
    tier.initial_rate = scaled_rate(tier.initial_rate, m);
    tier.maintenance_rate = scaled_rate(tier.maintenance_rate, m);
  }
  Result<margin::TierRule> scaled = margin::TierRule::make(tiers);
  BALLAST_ASSERT(scaled.ok());
  return *scaled;
}

void encode_double(ByteWriter& out, double value) { out.u64(std::bit_cast<std::uint64_t>(value)); }

std::optional<double> decode_double(ByteReader& in) {
  const auto bits = in.u64();
  return bits ? std::optional<double>(std::bit_cast<double>(*bits)) : std::nullopt;
}

// The multiplier in force for a market on this underlying: its asset's level's, 1 for the quote.
Ratio margin_multiplier(const BreakerOptions& options, const BreakerState& state, const margin::RiskConfig& risk,
                        AssetId underlying) {
  if (underlying == risk.quote) return margin::kRatioOne;
  const std::optional<std::size_t> slot = detail::asset_index(risk, underlying);
  if (!slot) return margin::kRatioOne;
  return options.volatility.multipliers[state.assets[*slot].monitor.level];
}

// The market's rules with every rate × multiplier, rounded up, capped at 1.
margin::MarketRisk scaled_market(const margin::MarketRisk& governed, Ratio multiplier) {
  margin::MarketRisk scaled = governed;
  if (multiplier == margin::kRatioOne) return scaled;
  scaled.rule = scaled_rule(governed.rule, multiplier);
  scaled.option_rule.initial = scaled_option_rate(governed.option_rule.initial, multiplier);
  scaled.option_rule.maintenance = scaled_option_rate(governed.option_rule.maintenance, multiplier);
  return scaled;
}

Error breaker_decode_error(std::string_view what) {
  return make_error(ErrorCode::corrupt, "breakers: " + std::string(what));
}

}  // namespace

Outcome validate(const BreakerOptions& options) {
  if (const liquidation::BreakerStatus status = liquidation::validate(options.volatility);
      status != liquidation::BreakerStatus::ok) {
    return field_error("volatility", liquidation::breaker_status_name(status));
  }
  if (options.oi_depth_factor.is_negative()) return field_error("oi_depth_factor", "must be >= 0");
  if (options.emergency_outage_ns <= 0) return field_error("emergency_outage_ns", "must be > 0");
  return Ok{};
}

BreakerState initial_breaker_state(const BreakerOptions& options, const margin::RiskConfig& risk) {
  BreakerState state;
  state.assets.assign(risk.assets.size(), AssetBreaker{liquidation::VolatilityMonitor(options.volatility).state(), 0});
  state.depth.resize(risk.markets.size());
  return state;
}

bool observe_valid_reading(const BreakerOptions& options, BreakerState& state, std::size_t asset, Price price,
                           TimestampNs now_ns) {
  AssetBreaker& breaker = state.assets[asset];
  breaker.last_valid_ns = now_ns;
  liquidation::VolatilityMonitor monitor(options.volatility, breaker.monitor);
  const std::uint8_t before = monitor.level();
  if (monitor.observe(price, now_ns).status != liquidation::BreakerStatus::ok) return false;
  breaker.monitor = monitor.state();
  return monitor.level() != before;
}

void derive_rules_in_force(const BreakerOptions* options, const BreakerState& state,
                           const margin::RiskConfig& governed, margin::RiskConfig& in_force) {
  in_force = governed;
  if (options == nullptr) return;
  for (std::size_t i = 0; i < governed.markets.size(); ++i) {
    const Ratio m = margin_multiplier(*options, state, governed, governed.markets[i].instrument.underlying);
    in_force.markets[i] = scaled_market(governed.markets[i], m);
  }
  BALLAST_ASSERT(in_force.validate().ok());
}

Status judge_open_interest(const BreakerOptions& options, const std::optional<Money>& depth,
                           Money open_interest_before, Money open_interest_after) {
  if (!depth || options.oi_depth_factor.is_zero()) return Status::ok;
  const liquidation::OpenInterestStatus status =
      liquidation::check_open_interest(open_interest_before, open_interest_after, *depth, options.oi_depth_factor);
  BALLAST_ASSERT(status != liquidation::OpenInterestStatus::input_invalid);  // all >= 0
  return status == liquidation::OpenInterestStatus::over_cap ? Status::open_interest_cap_exceeded : Status::ok;
}

void encode_breaker_options(ByteWriter& out, const BreakerOptions& options) {
  const liquidation::VolatilityParams& v = options.volatility;
  out.i64(v.sample_interval_ns);
  for (const double value : {v.ewma_lambda, v.garch_omega, v.garch_alpha, v.garch_beta, v.baseline_variance,
                             v.breach_sigmas}) {
    encode_double(out, value);
  }
  for (const double threshold : v.vol_ratio_thresholds) encode_double(out, threshold);
  for (const Ratio multiplier : v.multipliers) out.i64(multiplier.raw());
  out.i64(v.calm_period_ns);
  out.i64(options.oi_depth_factor.raw());
  out.i64(options.emergency_outage_ns);
}

Result<BreakerOptions> decode_breaker_options(ByteReader& in) {
  BreakerOptions options;
  liquidation::VolatilityParams& v = options.volatility;
  bool whole = true;
  auto read_i64 = [&in, &whole](std::int64_t& field) {
    const auto value = in.i64();
    whole = whole && value.has_value();
    field = value.value_or(0);
  };
  auto read_double = [&in, &whole](double& field) {
    const auto value = decode_double(in);
    whole = whole && value.has_value();
    field = value.value_or(0.0);
  };
  read_i64(v.sample_interval_ns);
  for (double* field : {&v.ewma_lambda, &v.garch_omega, &v.garch_alpha, &v.garch_beta, &v.baseline_variance,
                        &v.breach_sigmas}) {
    read_double(*field);
  }
  for (double& threshold : v.vol_ratio_thresholds) read_double(threshold);
  for (Ratio& multiplier : v.multipliers) {
    std::int64_t raw = 0;
    read_i64(raw);
    multiplier = Ratio::from_raw(raw);
  }
  read_i64(v.calm_period_ns);
  std::int64_t factor_raw = 0;
  read_i64(factor_raw);
  options.oi_depth_factor = Ratio::from_raw(factor_raw);
  read_i64(options.emergency_outage_ns);
  if (!whole) return breaker_decode_error("options truncated");
  if (Outcome valid = validate(options); !valid) return breaker_decode_error(valid.error().message);
  return options;
}

void encode_breaker_state(ByteWriter& out, const BreakerState& state) {
  out.u32(static_cast<std::uint32_t>(state.assets.size()));
  for (const AssetBreaker& breaker : state.assets) {
    out.text(liquidation::encode_state(breaker.monitor));
    out.i64(breaker.last_valid_ns);
  }
  out.u32(static_cast<std::uint32_t>(state.depth.size()));
  for (const std::optional<Money>& depth : state.depth) {
    out.u8(depth ? 1 : 0);
    out.i64(depth.value_or(Money{}).raw());
  }
}

Result<BreakerState> decode_breaker_state(ByteReader& in, const margin::RiskConfig& risk) {
  BreakerState state;
  state.assets.resize(risk.assets.size());
  state.depth.resize(risk.markets.size());
  const auto asset_count = in.u32();
  if (!asset_count || *asset_count != risk.assets.size()) return breaker_decode_error("asset count");
  for (AssetBreaker& breaker : state.assets) {
    const auto bytes = in.text(256);
    const auto monitor = bytes ? liquidation::decode_state(*bytes) : std::nullopt;
    const auto last_valid_ns = in.i64();
    if (!monitor || !last_valid_ns || *last_valid_ns < 0) return breaker_decode_error("asset state");
    breaker.monitor = *monitor;
    breaker.last_valid_ns = *last_valid_ns;
  }
  const auto market_count = in.u32();
  if (!market_count || *market_count != risk.markets.size()) return breaker_decode_error("market count");
  for (std::optional<Money>& depth : state.depth) {
    const auto has = in.u8();
    const auto raw = in.i64();
    if (!has || *has > 1 || !raw || *raw < 0 || (*has == 0 && *raw != 0)) return breaker_decode_error("depth");
    if (*has == 1) depth = Money::from_raw(*raw);
  }
  return state;
}

}  // namespace ballast

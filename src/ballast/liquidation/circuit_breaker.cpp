#include "ballast/liquidation/circuit_breaker.hpp"

#include <bit>
#include <cmath>

#include "ballast/core/assert.hpp"
#include "ballast/core/bytes.hpp"
#include "ballast/pricing/dmath.hpp"

namespace ballast::liquidation {
namespace {

bool finite_all(const VolatilityParams& p) {
  bool finite = std::isfinite(p.ewma_lambda) && std::isfinite(p.garch_omega) && std::isfinite(p.garch_alpha) &&
                std::isfinite(p.garch_beta) && std::isfinite(p.baseline_variance) && std::isfinite(p.breach_sigmas);
  for (const double t : p.vol_ratio_thresholds) {
    finite = finite && std::isfinite(t);
  }
  return finite;
}

bool thresholds_increasing(const VolatilityParams& p) {
  double previous = 0.0;
  for (const double t : p.vol_ratio_thresholds) {
    if (!(t > previous)) {
      return false;
    }
    previous = t;
  }
  return true;
}

bool multipliers_valid(const VolatilityParams& p) {
  Ratio previous = Ratio::from_raw(Ratio::kScale);  // the first must be at least 1
  for (const Ratio m : p.multipliers) {
    if (m < previous) {
      return false;
    }
    previous = m;
  }
  return true;
}

constexpr std::size_t kEncodedSize = 8 * 7 + 1;

}  // namespace

const char* breaker_status_name(BreakerStatus status) noexcept {
  switch (status) {
    case BreakerStatus::ok: return "ok";
    case BreakerStatus::params_invalid: return "params_invalid";
    case BreakerStatus::price_invalid: return "price_invalid";
    case BreakerStatus::timestamp_regressed: return "timestamp_regressed";
  }
  return "unknown";
}

BreakerStatus validate(const VolatilityParams& p) {
  const bool ok = finite_all(p) && p.sample_interval_ns > 0 && p.ewma_lambda > 0.0 && p.ewma_lambda < 1.0 &&
                  p.garch_omega > 0.0 && p.garch_alpha >= 0.0 && p.garch_beta >= 0.0 &&
                  p.garch_alpha + p.garch_beta < 1.0 && p.baseline_variance > 0.0 && p.breach_sigmas > 0.0 &&
                  thresholds_increasing(p) && multipliers_valid(p) && p.calm_period_ns > 0;
  return ok ? BreakerStatus::ok : BreakerStatus::params_invalid;
}

std::string encode_state(const MonitorState& s) {
  ByteWriter w;
  w.i64(s.last_price_raw);
  w.i64(s.last_sample_ns);
  w.u64(std::bit_cast<std::uint64_t>(s.ewma_variance));
  w.u64(std::bit_cast<std::uint64_t>(s.garch_variance));
  w.u8(s.level);
  w.i64(s.calm_since_ns);
  w.u64(s.samples);
  w.u64(s.breaches);
  return w.take();
}

std::optional<MonitorState> decode_state(std::string_view bytes) {
  if (bytes.size() != kEncodedSize) {
    return std::nullopt;
  }
  ByteReader r(bytes);
  MonitorState s;
  s.last_price_raw = *r.i64();
  s.last_sample_ns = *r.i64();
  s.ewma_variance = std::bit_cast<double>(*r.u64());
  s.garch_variance = std::bit_cast<double>(*r.u64());
  s.level = *r.u8();
  s.calm_since_ns = *r.i64();
  s.samples = *r.u64();
  s.breaches = *r.u64();
  if (s.level >= kRegimeLevels) {
    return std::nullopt;
  }
  return s;
}

VolatilityMonitor::VolatilityMonitor(const VolatilityParams& params) : params_(params) {
  BALLAST_ASSERT(validate(params_) == BreakerStatus::ok);
  state_.ewma_variance = params_.baseline_variance;
  state_.garch_variance = params_.baseline_variance;
}

VolatilityMonitor::VolatilityMonitor(const VolatilityParams& params, const MonitorState& state)
    : params_(params), state_(state) {
  BALLAST_ASSERT(validate(params_) == BreakerStatus::ok && state_.level < kRegimeLevels);
}

Observation VolatilityMonitor::observe(Price price, TimestampNs now_ns) {
  Observation out;
  if (price.raw() <= 0) {
    out.status = BreakerStatus::price_invalid;
  } else if (state_.last_price_raw != 0 && now_ns < state_.last_sample_ns) {
    out.status = BreakerStatus::timestamp_regressed;
  }
  if (out.status != BreakerStatus::ok) {
    out.level = state_.level;
    return out;
  }
  if (state_.last_price_raw == 0) {  // the first price: nothing to compare it with
    state_.last_price_raw = price.raw();
    state_.last_sample_ns = now_ns;
    state_.calm_since_ns = now_ns;
  } else if (now_ns - state_.last_sample_ns >= params_.sample_interval_ns) {
    // Both raws convert exactly below 2^53 (and round once, the same everywhere, above it).
    double r = pricing::dmath::log(static_cast<double>(price.raw()) / static_cast<double>(state_.last_price_raw));
    const std::int64_t gap_ns = now_ns - state_.last_sample_ns;
    if (gap_ns > params_.sample_interval_ns) {
      r = r * std::sqrt(static_cast<double>(params_.sample_interval_ns) / static_cast<double>(gap_ns));
    }
    state_.last_price_raw = price.raw();
    state_.last_sample_ns = now_ns;
    take_return(r, now_ns, out);
  }
  decay(now_ns);
  out.level = state_.level;
  return out;
}

void VolatilityMonitor::take_return(double r, TimestampNs now_ns, Observation& out) {
  const double r2 = r * r;
  const double k = params_.breach_sigmas;
  // The breach is judged against the forecast made before this return; squared, no root needed.
  out.breach = r2 > (k * k) * state_.garch_variance;
  out.sampled = true;
  out.log_return = r;
  const double lambda = params_.ewma_lambda;
  state_.ewma_variance = lambda * state_.ewma_variance + (1.0 - lambda) * r2;
  state_.garch_variance = params_.garch_omega + params_.garch_alpha * r2 + params_.garch_beta * state_.garch_variance;
  ++state_.samples;
  const std::uint8_t asked = level_from_realized_vol();
  if (out.breach) {
    ++state_.breaches;
    if (state_.level + 1 < kRegimeLevels) {
      ++state_.level;
    }
    state_.calm_since_ns = now_ns;
  }
  if (asked > state_.level) {
    state_.level = asked;
    state_.calm_since_ns = now_ns;
  }
}

std::uint8_t VolatilityMonitor::level_from_realized_vol() const {
  // sqrt(v)/sqrt(b) > t  <=>  v > t²·b (both sides non-negative): no root.
  std::uint8_t level = 0;
  for (const double t : params_.vol_ratio_thresholds) {
    if (state_.ewma_variance > (t * t) * params_.baseline_variance) {
      ++level;
    }
  }
  return level;
}

void VolatilityMonitor::decay(TimestampNs now_ns) {
  if (state_.level > level_from_realized_vol() && now_ns - state_.calm_since_ns >= params_.calm_period_ns) {
    --state_.level;
    state_.calm_since_ns = now_ns;
  }
}

std::optional<Money> scaled_requirement(Money requirement, Ratio multiplier) {
  BALLAST_ASSERT(!multiplier.is_negative());
  return mul<Money>(requirement, multiplier, Round::up);
}

const char* open_interest_status_name(OpenInterestStatus status) noexcept {
  switch (status) {
    case OpenInterestStatus::within_cap: return "within_cap";
    case OpenInterestStatus::reduces: return "reduces";
    case OpenInterestStatus::over_cap: return "over_cap";
    case OpenInterestStatus::input_invalid: return "input_invalid";
  }
  return "unknown";
}

std::optional<Money> max_open_interest(Money depth, Ratio depth_factor) {
  if (depth.is_negative() || depth_factor.is_negative()) {
    return std::nullopt;
  }
  return mul<Money>(depth, depth_factor, Round::down);
}

OpenInterestStatus check_open_interest(Money open_interest_before, Money open_interest_after, Money depth,
                                       Ratio depth_factor) {
  if (open_interest_before.is_negative() || open_interest_after.is_negative()) {
    return OpenInterestStatus::input_invalid;
  }
  const auto cap = max_open_interest(depth, depth_factor);
  if (!cap) {
    // Negative inputs were refused above; only a cap beyond Money's range is left: no cap binds.
    return depth.is_negative() || depth_factor.is_negative() ? OpenInterestStatus::input_invalid
                                                             : OpenInterestStatus::within_cap;
  }
  if (open_interest_after <= *cap) {
    return OpenInterestStatus::within_cap;
  }
  return open_interest_after <= open_interest_before ? OpenInterestStatus::reduces : OpenInterestStatus::over_cap;
}

}  // namespace ballast::liquidation

#pragma once
// Circuit breakers (issue 6, item 5): a volatility regime monitor that raises margin multipliers
// progressively, and open-interest caps against market depth. Rules, not votes
// (research/defi-engines.md (f) 6): the multiplier follows from the oracle's own prices.
//
// The monitor samples one log return per interval from oracle prices (dmath's log: the same bits
// everywhere, never libm), keeps two variance forecasts for the next interval, and holds a regime
// level 0..3 that selects a margin multiplier (1.0, 1.25, 1.5, 2.0 by default):
//   EWMA       v ← λ·v + (1 − λ)·r² (RiskMetrics, λ = 0.94): the realized-vol gauge. The level is
//              at least the number of thresholds that sqrt(v) / baseline sigma exceeds.
//   GARCH(1,1) h ← ω + α·r² + β·h (α + β < 1): the bound. A return with |r| > k·sqrt(h) is a
//              breach and raises the level by one. GARCH and not EWMA bounds the returns because
//              it reverts to its long-run variance ω/(1 − α − β): after a long calm EWMA's forecast
//              decays toward 0 and would call ordinary moves breaches.
//   decay      a level above what the EWMA gauge asks steps down by one after calm_period_ns
//              without a breach or a rise (and again after each further calm period).
// A gap of several intervals between prices counts as one return scaled to one interval
// (r·sqrt(interval/gap)), so the forecasts keep their per-interval meaning.
//
// Determinism (DESIGN principle 4): only IEEE +, −, ×, ÷, √ and dmath::log on doubles, with the
// repository's -ffp-contract=off (cmake/BallastTargets.cmake) so no FMA changes a bit; the state
// is plain fields, encoded bit for bit (encode_state/decode_state). The multiplier itself is an
// exact Ratio from the parameters, never a converted double.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"

namespace ballast::liquidation {

inline constexpr int kRegimeLevels = 4;

struct VolatilityParams {
  std::int64_t sample_interval_ns = 60'000'000'000;  // > 0: at most one return per interval
  double ewma_lambda = 0.94;                          // (0, 1)
  double garch_omega = 5e-8;                          // > 0
  double garch_alpha = 0.10;                          // ≥ 0
  double garch_beta = 0.85;                           // ≥ 0, alpha + beta < 1
  // Per-interval variance of a calm market (> 0): the starting value of both forecasts and the
  // denominator of the realized-vol ratio. The defaults' GARCH long-run variance equals it.
  double baseline_variance = 1e-6;
  double breach_sigmas = 4.0;  // k > 0
  // sqrt(EWMA) / baseline sigma above thresholds[i] asks for level ≥ i + 1; strictly increasing, > 0.
  std::array<double, kRegimeLevels - 1> vol_ratio_thresholds = {1.5, 2.0, 3.0};
  // The margin multiplier per level: the first ≥ 1, non-decreasing.
  std::array<Ratio, kRegimeLevels> multipliers = {Ratio::from_raw(1'000'000'000'000), Ratio::from_raw(1'250'000'000'000),
                                                  Ratio::from_raw(1'500'000'000'000), Ratio::from_raw(2'000'000'000'000)};
  std::int64_t calm_period_ns = 3'600'000'000'000;  // > 0

  friend bool operator==(const VolatilityParams&, const VolatilityParams&) = default;
};

enum class BreakerStatus : std::uint8_t {
  ok,
  params_invalid,       // see validate()
  price_invalid,        // a price ≤ 0
  timestamp_regressed,  // earlier than the last sample
};

const char* breaker_status_name(BreakerStatus status) noexcept;

// ok or params_invalid: every double finite, the ranges above.
BreakerStatus validate(const VolatilityParams& params);

// The monitor's whole state: plain fields, snapshot-able.
struct MonitorState {
  std::int64_t last_price_raw = 0;   // Price raw of the last sample; 0 before the first price
  TimestampNs last_sample_ns = 0;
  double ewma_variance = 0.0;        // forecast for the next interval
  double garch_variance = 0.0;       // forecast for the next interval
  std::uint8_t level = 0;            // 0 .. kRegimeLevels − 1
  TimestampNs calm_since_ns = 0;     // the last breach, rise or step down
  std::uint64_t samples = 0;         // returns taken
  std::uint64_t breaches = 0;

  friend bool operator==(const MonitorState&, const MonitorState&) = default;
};

// Little-endian bytes, doubles as their bit patterns: equal states give equal bytes.
std::string encode_state(const MonitorState& state);
// nullopt unless exactly one encoded state with a level in range.
std::optional<MonitorState> decode_state(std::string_view bytes);

struct Observation {
  BreakerStatus status = BreakerStatus::ok;
  bool sampled = false;      // a return was taken (else: first price, or within the interval)
  bool breach = false;       // |r| > k × the GARCH forecast sigma
  double log_return = 0.0;   // scaled to one interval; 0 when not sampled
  std::uint8_t level = 0;    // after this observation
};

class VolatilityMonitor {
 public:
  // params must validate (asserted: the caller validates configuration at its edge).
  explicit VolatilityMonitor(const VolatilityParams& params);
  VolatilityMonitor(const VolatilityParams& params, const MonitorState& state);

  // Feeds one oracle price. A rejected observation (status != ok) changes nothing.
  Observation observe(Price price, TimestampNs now_ns);

  // The margin multiplier of the current level; requirements × it (scaled_requirement).
  Ratio margin_multiplier() const { return params_.multipliers[state_.level]; }
  std::uint8_t level() const { return state_.level; }
  const MonitorState& state() const { return state_; }
  const VolatilityParams& params() const { return params_; }

 private:
  void take_return(double log_return, TimestampNs now_ns, Observation& out);
  std::uint8_t level_from_realized_vol() const;
  void decay(TimestampNs now_ns);

  VolatilityParams params_;
  MonitorState state_;
};

// requirement × multiplier, rounded up (a requirement); nullopt on overflow.
std::optional<Money> scaled_requirement(Money requirement, Ratio multiplier);

// Open interest against market depth: max OI = depth × factor, rounded down (a cap).
enum class OpenInterestStatus : std::uint8_t {
  within_cap,     // OI after the trade ≤ the cap
  reduces,        // above the cap, but the trade does not raise OI: allowed (risk-reducing)
  over_cap,       // the trade raises OI above the cap: rejected
  input_invalid,  // negative OI or depth, or a negative factor
};

const char* open_interest_status_name(OpenInterestStatus status) noexcept;

// nullopt on overflow or a negative input.
std::optional<Money> max_open_interest(Money depth, Ratio depth_factor);

OpenInterestStatus check_open_interest(Money open_interest_before, Money open_interest_after, Money depth,
                                       Ratio depth_factor);

}  // namespace ballast::liquidation

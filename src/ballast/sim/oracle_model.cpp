#include "ballast/sim/oracle_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "ballast/core/assert.hpp"
#include "ballast/pricing/dmath.hpp"
#include "ballast/sim/liquidity.hpp"

namespace ballast::sim {
namespace {

namespace dmath = pricing::dmath;

// The caller's contract: whole rows, at least the start row, outputs of the same shape.
std::size_t rows_of(const OracleInput& input, const OracleTrack& out) {
  const std::size_t n = input.assets;
  BALLAST_ASSERT(n > 0 && input.true_prices.size() % n == 0 && !input.true_prices.empty());
  BALLAST_ASSERT(out.price.size() == input.true_prices.size() && out.published.size() == input.true_prices.size());
  BALLAST_ASSERT(input.manipulation.empty() || input.manipulation.size() == input.true_prices.size());
  return input.true_prices.size() / n;
}

}  // namespace

// ---- PushOracle ----

Result<PushOracle> PushOracle::make(const PushParams& params, double dt_s) {
  if (Outcome checked = check_parameters("push oracle", {{"deviation_threshold", params.deviation_threshold,
                                                           ParamBound::non_negative},
                                                          {"heartbeat_s", params.heartbeat_s, ParamBound::positive},
                                                          {"dt_s", dt_s, ParamBound::positive}});
      !checked) {
    return std::move(checked).error();
  }
  PushOracle oracle;
  oracle.params_ = params;
  oracle.dt_s_ = dt_s;
  return oracle;
}

void PushOracle::publish(const OracleInput& input, OracleTrack out) const {
  rows_of(input, out);
  for (std::size_t a = 0; a < input.assets; ++a) decide(input, a, out);
  delay(input.assets, out);
}

void PushOracle::decide(const OracleInput& input, std::size_t asset, OracleTrack out) const {
  const std::size_t n = input.assets;
  const std::size_t rows = input.true_prices.size() / n;
  double last = input.true_prices[asset];
  std::size_t last_step = 0;
  out.price[asset] = last;
  out.published[asset] = 1;
  for (std::size_t t = 1; t < rows; ++t) {
    const double p = input.true_prices[t * n + asset];
    const bool moved = std::abs(p - last) / last >= params_.deviation_threshold;
    const bool due = static_cast<double>(t - last_step) * dt_s_ >= params_.heartbeat_s;
    if (moved || due) {
      last = p;
      last_step = t;
    }
    out.price[t * n + asset] = last;
    out.published[t * n + asset] = (moved || due) ? 1 : 0;
  }
}

void PushOracle::delay(std::size_t assets, OracleTrack out) const {
  const std::size_t lag = params_.latency_steps;
  if (lag == 0) {
    return;
  }
  const std::size_t rows = out.price.size() / assets;
  // From the last row up, so each source row is read before it is overwritten.
  for (std::size_t t = rows; t-- > 1;) {
    const std::size_t from = t > lag ? t - lag : 0;  // row 0: the start, not a new round
    std::copy_n(out.price.begin() + static_cast<std::ptrdiff_t>(from * assets), assets,
                out.price.begin() + static_cast<std::ptrdiff_t>(t * assets));
    for (std::size_t a = 0; a < assets; ++a) {
      out.published[t * assets + a] = from == 0 ? 0 : out.published[from * assets + a];
    }
  }
}

// ---- EmaOracle ----

Result<EmaOracle> EmaOracle::make(const EmaParams& params, double dt_s) {
  if (Outcome checked = check_parameters("ema oracle", {{"half_life_s", params.half_life_s, ParamBound::positive},
                                                         {"dt_s", dt_s, ParamBound::positive}});
      !checked) {
    return std::move(checked).error();
  }
  EmaOracle oracle;
  oracle.decay_ = half_life_decay(dt_s, params.half_life_s);
  return oracle;
}

void EmaOracle::publish(const OracleInput& input, OracleTrack out) const {
  const std::size_t rows = rows_of(input, out);
  const std::size_t n = input.assets;
  std::copy_n(input.true_prices.begin(), n, out.price.begin());
  for (std::size_t t = 1; t < rows; ++t) {
    for (std::size_t a = 0; a < n; ++a) {
      const double p = input.true_prices[t * n + a];
      out.price[t * n + a] = p + (out.price[(t - 1) * n + a] - p) * decay_;
    }
  }
  std::fill(out.published.begin(), out.published.end(), std::uint8_t{1});
}

// ---- MedianOracle ----

Result<MedianOracle> MedianOracle::make(const MedianParams& params) {
  const std::string owner = "median oracle";
  if (params.sources == 0 || params.sources > kMaxOracleSources) {
    return make_error(ErrorCode::invalid_input, owner + ": sources = " + std::to_string(params.sources) +
                                                    ": must be in 1.." + std::to_string(kMaxOracleSources));
  }
  if (params.manipulated_sources > params.sources) {
    return make_error(ErrorCode::invalid_input, owner + ": manipulated_sources = " +
                                                    std::to_string(params.manipulated_sources) + ": more than the " +
                                                    std::to_string(params.sources) + " sources");
  }
  if (Outcome checked = check_parameters(owner, {{"noise_std", params.noise_std, ParamBound::non_negative}});
      !checked) {
    return std::move(checked).error();
  }
  MedianOracle oracle;
  oracle.params_ = params;
  return oracle;
}

double MedianOracle::median_at(const OracleInput& input, std::size_t step, std::size_t asset) const {
  const std::size_t cell = step * input.assets + asset;
  const double truth = input.true_prices[cell];
  const double attack = input.manipulation.empty() ? 1.0 : input.manipulation[cell];
  const std::size_t n = params_.sources;
  std::array<double, kMaxOracleSources> quotes{};
  for (std::size_t j = 0; j < n; ++j) {
    const double z = normal_quantile(uniform_draw(input.key, DrawKind::oracle_noise, cell * n + j));
    quotes[j] = truth * dmath::exp(params_.noise_std * z) * (j < params_.manipulated_sources ? attack : 1.0);
  }
  // Sorting values (not pointers) is deterministic; n <= 31, so a sort is as cheap as a select.
  std::sort(quotes.begin(), quotes.begin() + static_cast<std::ptrdiff_t>(n));
  return n % 2 == 1 ? quotes[n / 2] : 0.5 * (quotes[n / 2 - 1] + quotes[n / 2]);
}

void MedianOracle::publish(const OracleInput& input, OracleTrack out) const {
  const std::size_t rows = rows_of(input, out);
  for (std::size_t t = 0; t < rows; ++t) {
    for (std::size_t a = 0; a < input.assets; ++a) out.price[t * input.assets + a] = median_at(input, t, a);
  }
  std::fill(out.published.begin(), out.published.end(), std::uint8_t{1});
}

void publish(const OracleModel& model, const OracleInput& input, OracleTrack out) {
  std::visit([&](const auto& m) { m.publish(input, out); }, model);
}

}  // namespace ballast::sim

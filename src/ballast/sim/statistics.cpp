#include "ballast/sim/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

#include "ballast/core/assert.hpp"
#include "ballast/core/fixed.hpp"
#include "ballast/core/random.hpp"
#include "ballast/sim/paths.hpp"

namespace ballast::sim {
namespace {

template <typename T>
T lower_quantile(std::span<const T> sorted, double probability) {
  BALLAST_ASSERT(!sorted.empty());
  return sorted[tail_rank(probability, sorted.size()) - 1];
}

// The bootstrap resample drawn from stream kBootstrapStream + resample, in ascending order. It
// counts how often each sorted path is drawn and writes the sample out in that order: O(n), no
// sort, and the same values as sorting the drawn sample.
void sorted_resample(std::span<const std::int64_t> sorted, std::uint64_t seed, std::uint64_t resample,
                     std::vector<std::uint32_t>& counts, std::vector<std::int64_t>& out) {
  CounterRng rng(seed, kBootstrapStream + resample);
  std::fill(counts.begin(), counts.end(), 0u);
  for (std::size_t i = 0; i < sorted.size(); ++i) ++counts[rng.below(sorted.size())];
  out.clear();
  for (std::size_t i = 0; i < sorted.size(); ++i) out.insert(out.end(), counts[i], sorted[i]);
}

// The re-estimates' percentile interval [low, high] at the confidence level.
template <typename T>
std::pair<T, T> percentile_interval(std::vector<T>& estimates, double confidence) {
  std::sort(estimates.begin(), estimates.end());
  const std::span<const T> sorted(estimates);
  return {lower_quantile(sorted, (1.0 - confidence) / 2.0), lower_quantile(sorted, (1.0 + confidence) / 2.0)};
}

LossSummary loss_summary(std::span<const std::int64_t> losses, const StatisticsOptions& options) {
  LossSummary summary;
  summary.tails = tail_estimates(losses, kTailLevels, options);
  if (losses.empty()) return summary;
  summary.max_units = *std::max_element(losses.begin(), losses.end());
  const int128 total = std::accumulate(losses.begin(), losses.end(), int128{0});
  summary.mean_units = static_cast<double>(total) / static_cast<double>(losses.size());
  return summary;
}

template <typename Field>
std::vector<std::int64_t> series(const SimulationResults& results, Field field) {
  std::vector<std::int64_t> values;
  values.reserve(results.paths.size());
  for (const PathOutcome& path : results.paths) values.push_back(static_cast<std::int64_t>(field(path)));
  return values;
}

FundBand fund_band(const SimulationResults& results) {
  FundBand band;
  if (results.paths.empty()) return band;
  std::size_t steps = results.paths.front().insurance_fund_units.size();
  for (const PathOutcome& path : results.paths) steps = std::min(steps, path.insurance_fund_units.size());
  std::vector<std::int64_t> at_step(results.paths.size());
  for (std::size_t step = 0; step < steps; ++step) {
    for (std::size_t p = 0; p < results.paths.size(); ++p) at_step[p] = results.paths[p].insurance_fund_units[step];
    std::sort(at_step.begin(), at_step.end());
    const std::span<const std::int64_t> sorted(at_step);
    band.p05_units.push_back(quantile(sorted, 0.05));
    band.p50_units.push_back(quantile(sorted, 0.50));
    band.p95_units.push_back(quantile(sorted, 0.95));
  }
  return band;
}

}  // namespace

std::size_t tail_rank(double alpha, std::size_t n) {
  const double scaled = alpha * static_cast<double>(n);
  const double nearest = std::round(scaled);
  const double rank = std::abs(scaled - nearest) <= 1e-9 * std::max(1.0, scaled) ? nearest : std::ceil(scaled);
  return std::clamp<std::size_t>(static_cast<std::size_t>(rank), 1, n);
}

std::int64_t quantile(std::span<const std::int64_t> sorted, double probability) {
  return lower_quantile(sorted, probability);
}

std::int64_t value_at_risk(std::span<const std::int64_t> sorted, double alpha) { return quantile(sorted, alpha); }

// Acerbi-Tasche's estimator with the boundary weight (k - alpha n), written as VaR plus the mean
// excess over it: [(k - alpha n) x_k + sum_{i>k} x_i] / ((1 - alpha) n)
//   = x_k + sum_{i>k} (x_i - x_k) / ((1 - alpha) n),
// since (k - alpha n) + (n - k) = (1 - alpha) n. The excess is >= 0 term by term, so the double
// result is >= VaR exactly, and the exact integer sum of excesses cannot overflow 128 bits.
double expected_shortfall(std::span<const std::int64_t> sorted, double alpha) {
  const std::size_t k = tail_rank(alpha, sorted.size());
  const std::int64_t var = sorted[k - 1];
  int128 excess = 0;
  for (std::size_t i = k; i < sorted.size(); ++i) excess += static_cast<int128>(sorted[i]) - var;
  const double tail_paths = (1.0 - alpha) * static_cast<double>(sorted.size());
  return static_cast<double>(var) + static_cast<double>(excess) / tail_paths;
}

std::vector<TailEstimate> tail_estimates(std::span<const std::int64_t> losses, std::span<const double> levels,
                                         const StatisticsOptions& options) {
  std::vector<TailEstimate> tails(levels.size());
  if (losses.empty()) {
    for (std::size_t l = 0; l < levels.size(); ++l) tails[l].level = levels[l];
    return tails;
  }
  std::vector<std::int64_t> sorted(losses.begin(), losses.end());
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t l = 0; l < levels.size(); ++l) {
    TailEstimate& tail = tails[l];
    tail.level = levels[l];
    tail.var_units = tail.var_low_units = tail.var_high_units = value_at_risk(sorted, levels[l]);
    tail.es_units = tail.es_low_units = tail.es_high_units = expected_shortfall(sorted, levels[l]);
  }
  if (options.bootstrap_resamples == 0) return tails;

  std::vector<std::vector<std::int64_t>> vars(levels.size());
  std::vector<std::vector<double>> shortfalls(levels.size());
  std::vector<std::uint32_t> counts(sorted.size());
  std::vector<std::int64_t> resample;
  for (std::uint64_t b = 0; b < options.bootstrap_resamples; ++b) {
    sorted_resample(sorted, options.seed, b, counts, resample);
    for (std::size_t l = 0; l < levels.size(); ++l) {
      vars[l].push_back(value_at_risk(resample, levels[l]));
      shortfalls[l].push_back(expected_shortfall(resample, levels[l]));
    }
  }
  for (std::size_t l = 0; l < levels.size(); ++l) {
    std::tie(tails[l].var_low_units, tails[l].var_high_units) = percentile_interval(vars[l], options.confidence);
    std::tie(tails[l].es_low_units, tails[l].es_high_units) = percentile_interval(shortfalls[l], options.confidence);
  }
  return tails;
}

// Wilson's interval: the p with |p_hat - p| <= z sqrt(p (1 - p) / n), solved for p:
//   (p_hat + z^2/2n -+ z sqrt(p_hat (1 - p_hat)/n + z^2/4n^2)) / (1 + z^2/n).
// At 0 (or all) of n the lower (upper) end is 0 (1) exactly, not a rounding error away.
Proportion wilson(std::uint64_t count, std::uint64_t total, double confidence) {
  BALLAST_ASSERT(count <= total);
  Proportion result{count, total, 0.0, 0.0, 1.0};
  if (total == 0) return result;
  const double n = static_cast<double>(total);
  const double p = static_cast<double>(count) / n;
  const double z = normal_quantile((1.0 + confidence) / 2.0);
  const double z2 = z * z;
  const double scale = 1.0 + z2 / n;
  const double center = (p + z2 / (2.0 * n)) / scale;
  const double half = z / scale * std::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n));
  result.estimate = p;
  result.low = count == 0 ? 0.0 : std::max(0.0, center - half);
  result.high = count == total ? 1.0 : std::min(1.0, center + half);
  return result;
}

Quantiles quantiles_of(std::span<const std::int64_t> values) {
  Quantiles result;
  if (values.empty()) return result;
  std::vector<std::int64_t> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  result.p50 = quantile(sorted, 0.50);
  result.p95 = quantile(sorted, 0.95);
  result.p99 = quantile(sorted, 0.99);
  result.max = sorted.back();
  const int128 total = std::accumulate(sorted.begin(), sorted.end(), int128{0});
  result.mean = static_cast<double>(total) / static_cast<double>(sorted.size());
  return result;
}

SummaryStatistics summarize(const SimulationResults& results, const StatisticsOptions& options) {
  SummaryStatistics s;
  const std::uint64_t n = results.paths.size();
  s.paths = n;
  s.bootstrap_resamples = options.bootstrap_resamples;
  s.confidence = options.confidence;
  s.bad_debt = loss_summary(series(results, [](const PathOutcome& p) { return p.bad_debt_units; }), options);
  s.insurance_drawdown =
      loss_summary(series(results, [](const PathOutcome& p) { return p.insurance_drawdown_units; }), options);
  std::uint64_t insolvent = 0, exceeded = 0, any = 0;
  for (const PathOutcome& p : results.paths) {
    insolvent += (p.socialized_units > 0 || p.unresolved_units > 0) ? 1 : 0;
    exceeded += p.bad_debt_units > p.insurance_fund_start_units ? 1 : 0;
    any += p.bad_debt_units > 0 ? 1 : 0;
    s.utilization_max_mean += p.utilization_max / static_cast<double>(n);
    s.utilization_max_max = std::max(s.utilization_max_max, p.utilization_max);
  }
  s.insolvent = wilson(insolvent, n, options.confidence);
  s.fund_exceeded = wilson(exceeded, n, options.confidence);
  s.any_bad_debt = wilson(any, n, options.confidence);
  s.liquidations_at_risk = quantiles_of(series(results, [](const PathOutcome& p) { return p.liquidation_volume_units; }));
  s.liquidation_count = quantiles_of(series(results, [](const PathOutcome& p) { return p.liquidations; }));
  s.adl_hits = quantiles_of(series(results, [](const PathOutcome& p) { return p.adl_hits; }));
  if (n != 0) {
    const auto starts = series(results, [](const PathOutcome& p) { return p.insurance_fund_start_units; });
    s.insurance_fund_start_units = *std::min_element(starts.begin(), starts.end());
  }
  s.fund = fund_band(results);
  return s;
}

std::vector<std::size_t> worst_paths(const SimulationResults& results, std::size_t count) {
  std::vector<std::size_t> order(results.paths.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto worse = [&](std::size_t a, std::size_t b) {
    const PathOutcome& x = results.paths[a];
    const PathOutcome& y = results.paths[b];
    if (x.bad_debt_units != y.bad_debt_units) return x.bad_debt_units > y.bad_debt_units;
    if (x.insurance_drawdown_units != y.insurance_drawdown_units) {
      return x.insurance_drawdown_units > y.insurance_drawdown_units;
    }
    return x.path < y.path;
  };
  const std::size_t kept = std::min(count, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kept), order.end(), worse);
  order.resize(kept);
  return order;
}

}  // namespace ballast::sim

#pragma once
// Statistics across a simulation's paths (issue 7, item 5): tail risk of bad debt and of the
// insurance fund's drawdown, probability of insolvency, liquidations at risk, and the fund's
// balance over time. Everything is a pure function of the paths and a seed: the bootstrap draws
// from the counter-based RNG, so the same results give the same statistics on any thread count.
//
// Definitions (losses x_(1) <= ... <= x_(n), level alpha in (0, 1), k = ceil(alpha * n)):
//   VaR_alpha = x_(k), the lower empirical alpha-quantile inf{x : F_n(x) >= alpha}.
//   ES_alpha  = 1 / (1 - alpha) * integral_alpha^1 VaR_u du over the empirical distribution
//             = [ (k - alpha * n) * x_(k) + sum_{i > k} x_(i) ] / ((1 - alpha) * n),
//   i.e. the mean of the worst (1 - alpha) share of paths, the boundary path counted with the
//   fractional weight that makes the share exact (Acerbi & Tasche, "On the coherence of expected
//   shortfall", J. Banking & Finance 26(7):1487-1503, 2002, eq. (3.3) and Prop. 4.1). It is
//   coherent and ES_alpha >= VaR_alpha always.
// Confidence intervals of VaR and ES: percentile bootstrap (Efron & Tibshirani, "An Introduction
// to the Bootstrap", 1993, ch. 13): B resamples of n paths drawn with replacement; the interval is
// the lower empirical (1 - c)/2 and upper (1 + c)/2 quantiles (same quantile rule as VaR) of the
// B re-estimates.
// Proportions (probability of insolvency): Wilson score interval (Wilson, JASA 22:209-212, 1927).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ballast/sim/results.hpp"

namespace ballast::sim {

inline constexpr double kTailLevels[] = {0.95, 0.99};

struct StatisticsOptions {
  std::uint64_t seed = 0;                  // keys the bootstrap's draws
  std::uint32_t bootstrap_resamples = 1000;  // B; 0 leaves the intervals at the point estimate
  double confidence = 0.95;                // of every interval
};

// VaR and ES at one level, each with its bootstrap interval.
struct TailEstimate {
  double level = 0.0;
  std::int64_t var_units = 0;
  double es_units = 0.0;
  std::int64_t var_low_units = 0;
  std::int64_t var_high_units = 0;
  double es_low_units = 0.0;
  double es_high_units = 0.0;
};

// A loss series' tail at every kTailLevels level, with its mean and maximum.
struct LossSummary {
  double mean_units = 0.0;
  std::int64_t max_units = 0;
  std::vector<TailEstimate> tails;  // one per kTailLevels, in that order
};

// A share of paths and its Wilson interval.
struct Proportion {
  std::uint64_t count = 0;
  std::uint64_t total = 0;
  double estimate = 0.0;
  double low = 0.0;
  double high = 0.0;
};

// Empirical quantiles of one per-path figure (the same lower quantile as VaR).
struct Quantiles {
  std::int64_t p50 = 0;
  std::int64_t p95 = 0;
  std::int64_t p99 = 0;
  std::int64_t max = 0;
  double mean = 0.0;
};

// The insurance fund's balance after each step across paths: the 5th, 50th and 95th percentile.
struct FundBand {
  std::vector<std::int64_t> p05_units;
  std::vector<std::int64_t> p50_units;
  std::vector<std::int64_t> p95_units;
};

struct SummaryStatistics {
  std::uint64_t paths = 0;
  std::uint32_t bootstrap_resamples = 0;
  double confidence = 0.0;
  LossSummary bad_debt;
  LossSummary insurance_drawdown;
  Proportion insolvent;                // socialized or unresolved loss > 0 on the path
  Proportion fund_exceeded;            // bad debt > the insurance fund at the path's start
  Proportion any_bad_debt;             // bad debt > 0
  Quantiles liquidations_at_risk;      // liquidation volume, quote units
  Quantiles liquidation_count;
  Quantiles adl_hits;
  double utilization_max_mean = 0.0;
  double utilization_max_max = 0.0;
  std::int64_t insurance_fund_start_units = 0;  // the smallest starting fund over paths
  FundBand fund;
};

// k = ceil(alpha * n), the VaR's rank (1-based); alpha * n within 1e-9 of an integer counts as
// that integer, so a decimal level such as 0.9 * 10 is not pushed up a rank by its binary error.
std::size_t tail_rank(double alpha, std::size_t n);

// VaR and ES of a sorted (ascending), non-empty sample at level alpha, by the definitions above.
std::int64_t value_at_risk(std::span<const std::int64_t> sorted, double alpha);
double expected_shortfall(std::span<const std::int64_t> sorted, double alpha);

// The lower empirical quantile of a sorted, non-empty sample (VaR's rule).
std::int64_t quantile(std::span<const std::int64_t> sorted, double probability);

// The bootstrap's Philox streams: resample b draws its n path indexes from stream
// kBootstrapStream + b, so resample b is the same whatever B is. Paths' streams are 64-bit
// hashes (paths.hpp's stream_id), so a collision with these has probability about B * 2^-64.
inline constexpr std::uint64_t kBootstrapStream = 0xB0075724'00000000ull;

// VaR and ES at each level with percentile-bootstrap intervals.
std::vector<TailEstimate> tail_estimates(std::span<const std::int64_t> losses, std::span<const double> levels,
                                         const StatisticsOptions& options);

// count of total with a Wilson score interval at the confidence level.
Proportion wilson(std::uint64_t count, std::uint64_t total, double confidence);

Quantiles quantiles_of(std::span<const std::int64_t> values);

// Every statistic above over the run's paths.
SummaryStatistics summarize(const SimulationResults& results, const StatisticsOptions& options);

// Path indexes (into results.paths) of the worst count paths by bad debt, then by insurance
// drawdown, ties by path number: the order is total, so the report is deterministic.
std::vector<std::size_t> worst_paths(const SimulationResults& results, std::size_t count);

}  // namespace ballast::sim

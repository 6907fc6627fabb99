#include "ballast/sim/statistics.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ballast/core/random.hpp"

namespace ballast::sim {
namespace {

std::vector<std::int64_t> sorted_copy(std::vector<std::int64_t> values) {
  std::sort(values.begin(), values.end());
  return values;
}

TEST(TailRank, CeilingOfAlphaN) {
  EXPECT_EQ(tail_rank(0.95, 20), 19u);   // 19 exactly
  EXPECT_EQ(tail_rank(0.95, 30), 29u);   // 28.5 -> 29
  EXPECT_EQ(tail_rank(0.99, 200), 198u); // 198 exactly
  EXPECT_EQ(tail_rank(0.99, 50), 50u);   // 49.5 -> 50
  EXPECT_EQ(tail_rank(0.9, 10), 9u);     // 0.9 * 10 is 9.000000000000002 in binary; still rank 9
  EXPECT_EQ(tail_rank(0.0, 5), 1u);      // the smallest, never rank 0
  EXPECT_EQ(tail_rank(1.0, 5), 5u);
}

// 1000, 2000, ..., 200000 in shuffled order. alpha * n is an integer at both levels, so no
// boundary weight: VaR_95 = x_190, ES_95 = mean(x_191..x_200) = 195,500; VaR_99 = x_198,
// ES_99 = mean(x_199, x_200) = 199,500.
TEST(TailEstimates, IntegerTailByHand) {
  std::vector<std::int64_t> losses(200);
  for (std::size_t i = 0; i < losses.size(); ++i) losses[(i * 77) % 200] = static_cast<std::int64_t>(i + 1) * 1000;
  const auto tails = tail_estimates(losses, kTailLevels, {.seed = 1, .bootstrap_resamples = 0});
  ASSERT_EQ(tails.size(), 2u);
  EXPECT_EQ(tails[0].level, 0.95);
  EXPECT_EQ(tails[0].var_units, 190'000);
  EXPECT_DOUBLE_EQ(tails[0].es_units, 195'500.0);
  EXPECT_EQ(tails[1].var_units, 198'000);
  EXPECT_DOUBLE_EQ(tails[1].es_units, 199'500.0);
  // B = 0: the intervals are the point estimates.
  EXPECT_EQ(tails[0].var_low_units, 190'000);
  EXPECT_EQ(tails[0].var_high_units, 190'000);
  EXPECT_EQ(tails[1].es_low_units, 199'500.0);
  EXPECT_EQ(tails[1].es_high_units, 199'500.0);
}

// Acerbi-Tasche's boundary weight. n = 30, alpha = 0.95: alpha n = 28.5, k = 29; x_29 = 300
// carries weight 29 - 28.5 = 0.5 and x_30 = 900 weight 1, over (1 - 0.95) 30 = 1.5:
// ES = (0.5 * 300 + 900) / 1.5 = 700. At 0.99, alpha n = 29.7, k = 30: VaR = ES = 900.
TEST(TailEstimates, FractionalBoundaryWeight) {
  std::vector<std::int64_t> losses(28, 0);
  losses.push_back(900);
  losses.push_back(300);
  const auto sorted = sorted_copy(losses);
  EXPECT_EQ(value_at_risk(sorted, 0.95), 300);
  EXPECT_DOUBLE_EQ(expected_shortfall(sorted, 0.95), 700.0);
  EXPECT_EQ(value_at_risk(sorted, 0.99), 900);
  EXPECT_DOUBLE_EQ(expected_shortfall(sorted, 0.99), 900.0);
  // 1..7 at 0.5: alpha n = 3.5, k = 4, VaR = 4, ES = (0.5 * 4 + 5 + 6 + 7) / 3.5 = 20 / 3.5.
  const std::vector<std::int64_t> seven = {1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(value_at_risk(seven, 0.5), 4);
  EXPECT_DOUBLE_EQ(expected_shortfall(seven, 0.5), 20.0 / 3.5);
}

// Losses near the int64 range: the excess sums in 128 bits, so nothing wraps.
TEST(TailEstimates, LargeLossesDoNotOverflow) {
  const std::int64_t big = INT64_MAX / 2;
  const std::vector<std::int64_t> sorted = {-big, -big, big, big};
  EXPECT_EQ(value_at_risk(sorted, 0.5), -big);
  EXPECT_DOUBLE_EQ(expected_shortfall(sorted, 0.5), static_cast<double>(big));
}

// With B = 1 the interval is resample 0's estimate, and resample 0 is n draws of
// CounterRng(seed, kBootstrapStream).below(n): the documented stream, recomputed here.
TEST(TailEstimates, BootstrapResampleIsTheDocumentedStream) {
  const std::vector<std::int64_t> losses = {5, 0, 40, 10, 0, 70, 20, 0, 100, 30};
  const auto sorted = sorted_copy(losses);
  CounterRng rng(42, kBootstrapStream);
  std::vector<std::int64_t> resample;
  for (std::size_t i = 0; i < sorted.size(); ++i) resample.push_back(sorted[rng.below(sorted.size())]);
  std::sort(resample.begin(), resample.end());
  const auto tails = tail_estimates(losses, kTailLevels, {.seed = 42, .bootstrap_resamples = 1});
  EXPECT_EQ(tails[0].var_low_units, value_at_risk(resample, 0.95));
  EXPECT_EQ(tails[0].var_high_units, value_at_risk(resample, 0.95));
  EXPECT_DOUBLE_EQ(tails[0].es_low_units, expected_shortfall(resample, 0.95));
  EXPECT_DOUBLE_EQ(tails[1].es_high_units, expected_shortfall(resample, 0.99));
}

TEST(TailEstimates, BootstrapIsDeterministicAndKeyedBySeed) {
  std::vector<std::int64_t> losses(100);
  for (std::size_t i = 0; i < losses.size(); ++i) losses[i] = static_cast<std::int64_t>((i * i * 37) % 1009);
  const StatisticsOptions options{.seed = 7, .bootstrap_resamples = 200};
  const auto a = tail_estimates(losses, kTailLevels, options);
  const auto b = tail_estimates(losses, kTailLevels, options);
  StatisticsOptions other = options;
  other.seed = 8;
  const auto c = tail_estimates(losses, kTailLevels, other);
  EXPECT_EQ(a[0].es_low_units, b[0].es_low_units);
  EXPECT_EQ(a[0].es_high_units, b[0].es_high_units);
  EXPECT_EQ(a[1].var_low_units, b[1].var_low_units);
  EXPECT_TRUE(a[0].es_low_units != c[0].es_low_units || a[0].es_high_units != c[0].es_high_units);
}

TEST(TailEstimates, ConstantSampleHasAPointInterval) {
  const std::vector<std::int64_t> losses(50, 1234);
  const auto tails = tail_estimates(losses, kTailLevels, {.seed = 3, .bootstrap_resamples = 100});
  for (const TailEstimate& t : tails) {
    EXPECT_EQ(t.var_units, 1234);
    EXPECT_EQ(t.es_units, 1234.0);
    EXPECT_EQ(t.var_low_units, 1234);
    EXPECT_EQ(t.var_high_units, 1234);
    EXPECT_EQ(t.es_low_units, 1234.0);
    EXPECT_EQ(t.es_high_units, 1234.0);
  }
}

TEST(TailEstimates, EmptySampleIsAllZero) {
  const auto tails = tail_estimates({}, kTailLevels, {});
  ASSERT_EQ(tails.size(), 2u);
  EXPECT_EQ(tails[1].level, 0.99);
  EXPECT_EQ(tails[1].var_units, 0);
  EXPECT_EQ(tails[1].es_high_units, 0.0);
}

// Theorems of the definitions, on any sample: ES >= VaR, both grow with the level, each
// interval is ordered, and the bootstrap's VaR bounds are sample values.
RC_GTEST_PROP(TailProperty, ShortfallDominatesAndIntervalsAreOrdered, ()) {
  const auto losses = *rc::gen::nonEmpty(rc::gen::container<std::vector<std::int64_t>>(
      rc::gen::oneOf(rc::gen::just<std::int64_t>(0), rc::gen::inRange<std::int64_t>(-1'000'000, 1'000'000'000))));
  const auto tails = tail_estimates(losses, kTailLevels, {.seed = 5, .bootstrap_resamples = 50});
  for (const TailEstimate& t : tails) {
    RC_ASSERT(t.es_units >= static_cast<double>(t.var_units));
    RC_ASSERT(t.var_low_units <= t.var_high_units);
    RC_ASSERT(t.es_low_units <= t.es_high_units);
    RC_ASSERT(std::find(losses.begin(), losses.end(), t.var_low_units) != losses.end());
  }
  RC_ASSERT(tails[1].var_units >= tails[0].var_units);
  RC_ASSERT(tails[1].es_units >= tails[0].es_units);
}

// The percentile bootstrap does not promise that its interval contains the point estimate, but
// for these estimators it does in practice: the point VaR is the bootstrap distribution's median
// (P(VaR* <= VaR) >= 1/2 and P(VaR* >= VaR) >= 1/2, binomial medians), and ES sits near it.
// 300 seeded samples (so the test is deterministic) of the kinds bad debt takes: mostly zero
// with a heavy tail, and heavy-tailed throughout; n from 20 to 1,000.
TEST(TailEstimates, IntervalsContainThePointEstimateForNonDegenerateSamples) {
  for (std::uint64_t sample = 0; sample < 300; ++sample) {
    CounterRng rng(2024, sample);
    const std::size_t n = 20 + rng.below(981);
    const double zero_share = sample % 2 == 0 ? 0.8 : 0.0;
    std::vector<std::int64_t> losses(n);
    for (auto& loss : losses) {
      // Pareto with tail index 1.5 above 1,000 units, or zero.
      const double u = rng.uniform();
      loss = u < zero_share ? 0 : static_cast<std::int64_t>(1000.0 / std::pow(1.0 - rng.uniform(), 1.0 / 1.5));
    }
    const auto tails = tail_estimates(losses, kTailLevels, {.seed = sample, .bootstrap_resamples = 200});
    for (const TailEstimate& t : tails) {
      SCOPED_TRACE("sample " + std::to_string(sample) + ", n " + std::to_string(n) + ", level " +
                   std::to_string(t.level));
      EXPECT_GE(t.es_units, static_cast<double>(t.var_units));
      EXPECT_LE(t.var_low_units, t.var_units);
      EXPECT_GE(t.var_high_units, t.var_units);
      EXPECT_LE(t.es_low_units, t.es_units);
      EXPECT_GE(t.es_high_units, t.es_units);
    }
  }
}

// Newcombe, "Two-sided confidence intervals for the single proportion: comparison of seven
// methods", Statistics in Medicine 17:857-872 (1998), Table II, method 3 (score, no continuity
// correction), to the 4 decimals published.
TEST(Wilson, NewcombesTable) {
  struct Case {
    std::uint64_t count, total;
    double low, high;
  };
  for (const Case& c : {Case{81, 263, 0.2553, 0.3662}, Case{15, 148, 0.0624, 0.1605}, Case{0, 20, 0.0, 0.1611},
                        Case{1, 29, 0.0061, 0.1718}}) {
    const Proportion p = wilson(c.count, c.total, 0.95);
    EXPECT_NEAR(p.low, c.low, 5e-5) << c.count << "/" << c.total;
    EXPECT_NEAR(p.high, c.high, 5e-5) << c.count << "/" << c.total;
    EXPECT_DOUBLE_EQ(p.estimate, static_cast<double>(c.count) / static_cast<double>(c.total));
  }
}

TEST(Wilson, EndsAreExact) {
  const Proportion none = wilson(0, 10, 0.95);
  EXPECT_EQ(none.low, 0.0);
  EXPECT_NEAR(none.high, 0.27753, 5e-6);  // z^2 / (n + z^2) at 0 of n
  const Proportion all = wilson(10, 10, 0.95);
  EXPECT_EQ(all.high, 1.0);
  EXPECT_NEAR(all.low, 1.0 - 0.27753, 5e-6);
  const Proportion empty = wilson(0, 0, 0.95);
  EXPECT_EQ(empty.low, 0.0);
  EXPECT_EQ(empty.high, 1.0);
}

TEST(Quantiles, LowerEmpiricalQuantiles) {
  std::vector<std::int64_t> values(100);
  std::iota(values.begin(), values.end(), std::int64_t{1});  // 1..100
  std::reverse(values.begin(), values.end());
  const Quantiles q = quantiles_of(values);
  EXPECT_EQ(q.p50, 50);
  EXPECT_EQ(q.p95, 95);
  EXPECT_EQ(q.p99, 99);
  EXPECT_EQ(q.max, 100);
  EXPECT_DOUBLE_EQ(q.mean, 50.5);
}

PathOutcome path_of(std::uint64_t number, std::int64_t bad_debt, std::int64_t socialized,
                    std::vector<std::int64_t> fund) {
  PathOutcome p;
  p.path = number;
  p.bad_debt_units = bad_debt;
  p.insurance_paid_units = bad_debt - socialized;
  p.socialized_units = socialized;
  p.insurance_fund_start_units = 1000;
  p.insurance_fund_units = std::move(fund);
  p.insurance_drawdown_units = 1000 - *std::min_element(p.insurance_fund_units.begin(), p.insurance_fund_units.end());
  p.liquidation_volume_units = static_cast<std::int64_t>(number) * 500;
  p.liquidations = number;
  p.utilization_max = 0.1 * static_cast<double>(number);
  return p;
}

// Four paths by hand: bad debt 0, 400, 1500 (500 socialized), 0.
TEST(Summarize, FourPathsByHand) {
  SimulationResults results;
  results.paths = {path_of(0, 0, 0, {1000, 1000, 1000}), path_of(1, 400, 0, {1000, 600, 600}),
                   path_of(2, 1500, 500, {1000, 200, 0}), path_of(3, 0, 0, {1000, 1000, 900})};
  const SummaryStatistics s = summarize(results, {.seed = 1, .bootstrap_resamples = 0});
  EXPECT_EQ(s.paths, 4u);
  EXPECT_DOUBLE_EQ(s.bad_debt.mean_units, 475.0);
  EXPECT_EQ(s.bad_debt.max_units, 1500);
  // n = 4: alpha n = 3.8 and 3.96, k = 4 at both levels: the worst path.
  EXPECT_EQ(s.bad_debt.tails[0].var_units, 1500);
  EXPECT_DOUBLE_EQ(s.bad_debt.tails[1].es_units, 1500.0);
  EXPECT_EQ(s.insurance_drawdown.max_units, 1000);
  EXPECT_EQ(s.insolvent.count, 1u);
  EXPECT_EQ(s.fund_exceeded.count, 1u);  // 1500 > 1000; 400 is not
  EXPECT_EQ(s.any_bad_debt.count, 2u);
  EXPECT_DOUBLE_EQ(s.any_bad_debt.estimate, 0.5);
  EXPECT_EQ(s.liquidations_at_risk.p50, 500);   // volumes 0, 500, 1000, 1500: x_(2)
  EXPECT_EQ(s.liquidations_at_risk.p95, 1500);  // x_(4)
  EXPECT_EQ(s.liquidation_count.max, 3);
  EXPECT_DOUBLE_EQ(s.utilization_max_max, 0.30000000000000004);  // 0.1 * 3 in binary
  EXPECT_EQ(s.insurance_fund_start_units, 1000);
  // Fund after each step: step 1 values {1000, 600, 200, 1000}: p05 = x_(1) = 200,
  // p50 = x_(2) = 600, p95 = x_(4) = 1000.
  EXPECT_EQ(s.fund.p05_units, (std::vector<std::int64_t>{1000, 200, 0}));
  EXPECT_EQ(s.fund.p50_units, (std::vector<std::int64_t>{1000, 600, 600}));
  EXPECT_EQ(s.fund.p95_units, (std::vector<std::int64_t>{1000, 1000, 1000}));
  // Worst: path 2 (1500), path 1 (400), then the zero-debt paths by drawdown: 3 (100), 0 (0).
  EXPECT_EQ(worst_paths(results, 10), (std::vector<std::size_t>{2, 1, 3, 0}));
  EXPECT_EQ(worst_paths(results, 2), (std::vector<std::size_t>{2, 1}));
}

}  // namespace
}  // namespace ballast::sim

#include "ballast/sim/paths.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <set>
#include <thread>

namespace ballast::sim {
namespace {

// Statistical tests: one fixed seed each, so they are deterministic and cannot flake; the
// tolerance is kSigmas standard errors of the estimate. For a random seed such a test would fail
// once in ~16,000 runs; each test's comment says what size of bug the tolerance would still catch.
constexpr double kSigmas = 4.0;
constexpr double kDay_s = 86'400.0;

template <typename T>
T made(Result<T> result) {
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return std::move(result).value();
}

template <typename T>
std::string error_of(const Result<T>& result) {
  return result.ok() ? "ok" : result.error().message;
}

struct Moments {
  double mean = 0.0;
  double variance = 0.0;  // sample variance, n - 1
};

// Moments of values[offset], values[offset + stride], ...
Moments moments(std::span<const double> values, std::size_t offset, std::size_t stride) {
  double sum = 0.0;
  std::size_t count = 0;
  for (std::size_t i = offset; i < values.size(); i += stride, ++count) sum += values[i];
  const double mean = sum / static_cast<double>(count);
  double squares = 0.0;
  for (std::size_t i = offset; i < values.size(); i += stride) squares += (values[i] - mean) * (values[i] - mean);
  return {mean, squares / static_cast<double>(count - 1)};
}

double correlation_of(std::span<const double> values, std::size_t stride, std::size_t a, std::size_t b) {
  const Moments ma = moments(values, a, stride);
  const Moments mb = moments(values, b, stride);
  double cross = 0.0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < values.size(); i += stride, ++count) {
    cross += (values[i + a] - ma.mean) * (values[i + b] - mb.mean);
  }
  return cross / static_cast<double>(count - 1) / std::sqrt(ma.variance * mb.variance);
}

TEST(NormalQuantile, PublishedValues) {
  EXPECT_EQ(normal_quantile(0.5), 0.0);
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 2e-15);
  EXPECT_NEAR(normal_quantile(0.001), -3.090232306167813, 4e-15);
  EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-14);
  EXPECT_NEAR(normal_quantile(1e-300), -37.0471, 1e-4);
  // Exactly symmetric where 1 - p is exact: both tails take the same branch on the same r.
  for (const double p : {0.25, 0.0625, 0.001953125, 0x1p-40}) {
    EXPECT_EQ(normal_quantile(p), -normal_quantile(1.0 - p)) << p;
  }
}

TEST(UniformDraw, OpenIntervalAndKeyed) {
  const PathKey key{7, 1, 2};
  const double u = uniform_draw(key, DrawKind::diffusion, 0);
  EXPECT_GT(u, 0.0);
  EXPECT_LT(u, 1.0);
  EXPECT_EQ(u, uniform_draw(key, DrawKind::diffusion, 0));
  EXPECT_NE(u, uniform_draw(key, DrawKind::jump_count, 0));
  EXPECT_NE(u, uniform_draw(PathKey{7, 1, 3}, DrawKind::diffusion, 0));
  EXPECT_NE(u, uniform_draw(PathKey{7, 2, 2}, DrawKind::diffusion, 0));
  EXPECT_NE(u, uniform_draw(PathKey{8, 1, 2}, DrawKind::diffusion, 0));
}

// GBM per-step log returns: mean (mu - sigma^2/2) dt, variance sigma^2 dt. 400 paths x 500 daily
// steps = 200,000 returns per asset; with sigma = 0.8 the Ito term sigma^2/2 dt is about 9
// standard errors of the mean, so dropping it fails this test.
TEST(Gbm, LogReturnMomentsMatchClosedForm) {
  const std::vector<double> drift{0.10, -0.30};
  const std::vector<double> vol{0.80, 0.35};
  const Gbm gbm = made(Gbm::make({drift, vol, {}}, kDay_s));
  constexpr std::size_t kPaths = 400;
  constexpr std::size_t kSteps = 500;
  std::vector<double> all;
  std::vector<double> path(kSteps * 2);
  for (std::uint64_t p = 0; p < kPaths; ++p) {
    gbm.log_returns(PathKey{2026, 1, p}, kSteps, path);
    all.insert(all.end(), path.begin(), path.end());
  }
  const double dt = kDay_s / kSecondsPerYear;
  const double n = static_cast<double>(kPaths * kSteps);
  for (std::size_t a = 0; a < 2; ++a) {
    const Moments m = moments(all, a, 2);
    const double variance = vol[a] * vol[a] * dt;
    EXPECT_NEAR(m.mean, (drift[a] - 0.5 * vol[a] * vol[a]) * dt, kSigmas * std::sqrt(variance / n)) << a;
    // The sample variance of normals has standard error variance * sqrt(2 / (n - 1)).
    EXPECT_NEAR(m.variance, variance, kSigmas * variance * std::sqrt(2.0 / (n - 1.0))) << a;
  }
}

// Sample correlations against the matrix: standard error (1 - rho^2) / sqrt(n) at n = 200,000
// (at most 0.0022): an off-by-one in the Cholesky product would miss by far more.
TEST(Gbm, CorrelationMatchesMatrix) {
  const std::vector<double> rho{1.0, 0.6, -0.3,  //
                                0.6, 1.0, 0.2,   //
                                -0.3, 0.2, 1.0};
  const Gbm gbm = made(Gbm::make({{0.0, 0.0, 0.0}, {0.5, 1.0, 2.0}, rho}, 3600.0));
  constexpr std::size_t kSteps = 200'000;
  std::vector<double> returns(kSteps * 3);
  gbm.log_returns(PathKey{11, 0, 0}, kSteps, returns);
  const double n = static_cast<double>(kSteps);
  for (const auto& [a, b] : {std::pair<std::size_t, std::size_t>{0, 1}, {0, 2}, {1, 2}}) {
    const double expected = rho[a * 3 + b];
    EXPECT_NEAR(correlation_of(returns, 3, a, b), expected, kSigmas * (1.0 - expected * expected) / std::sqrt(n))
        << a << "," << b;
  }
}

// Jump counts per (step, asset) against Poisson(lambda dt): mean lambda dt with standard error
// sqrt(lambda dt / n); variance lambda dt with standard error sqrt((lambda dt + 2 (lambda dt)^2)
// / n) (the fourth central moment of a Poisson variable). Rate 0.05 per step, n = 300,000.
TEST(Merton, JumpCountsArePoisson) {
  const double dt_s = 3600.0;
  const double rate = 0.05;
  const double intensity = rate * kSecondsPerYear / dt_s;
  MertonParams params{{{0.0, 0.0}, {0.5, 0.5}, {}}, {intensity, intensity}, {-0.1, 0.05}, {0.05, 0.02}, false};
  const Merton merton = made(Merton::make(params, dt_s));
  constexpr std::size_t kSteps = 150'000;
  std::vector<double> returns(kSteps * 2);
  std::vector<std::uint32_t> counts(kSteps * 2);
  merton.log_returns(PathKey{5, 0, 0}, kSteps, returns, counts);
  const std::vector<double> as_double(counts.begin(), counts.end());
  const Moments m = moments(as_double, 0, 1);
  const double n = static_cast<double>(counts.size());
  EXPECT_NEAR(m.mean, rate, kSigmas * std::sqrt(rate / n));
  EXPECT_NEAR(m.variance, rate, kSigmas * std::sqrt((rate + 2.0 * rate * rate) / n));
  // Independent jumps: the two assets jump together at rate^2, not at rate.
  std::size_t together = 0;
  for (std::size_t t = 0; t < kSteps; ++t) together += counts[2 * t] > 0 && counts[2 * t + 1] > 0 ? 1u : 0u;
  EXPECT_LT(static_cast<double>(together), 0.1 * rate * kSteps);
}

// The mean log return with jumps: (mu - sigma^2/2 - lambda kappa) dt + lambda dt mean_log. The
// jump part (lambda dt (mean_log - kappa) = -0.0054 per step) is ~25 standard errors, so a
// missing or doubled compensation fails.
TEST(Merton, MeanLogReturnIncludesCompensatedJumps) {
  const double dt_s = kDay_s;
  const double dt = dt_s / kSecondsPerYear;
  const double mu = 0.2;
  const double sigma = 0.6;
  const double lambda = 20.0;  // per year: 0.055 per day
  const double mean_log = -0.08;
  const double std_log = 0.1;
  const Merton merton = made(Merton::make({{{mu}, {sigma}, {}}, {lambda}, {mean_log}, {std_log}, false}, dt_s));
  constexpr std::size_t kSteps = 400'000;
  std::vector<double> returns(kSteps);
  merton.log_returns(PathKey{3, 0, 0}, kSteps, returns);
  const double kappa = std::exp(mean_log + 0.5 * std_log * std_log) - 1.0;
  const double expected = (mu - 0.5 * sigma * sigma - lambda * kappa) * dt + lambda * dt * mean_log;
  const double variance = sigma * sigma * dt + lambda * dt * (mean_log * mean_log + std_log * std_log);
  const Moments m = moments(returns, 0, 1);
  EXPECT_NEAR(m.mean, expected, kSigmas * std::sqrt(variance / static_cast<double>(kSteps)));
}

TEST(Merton, CommonJumpsHitEveryAssetAtOnce) {
  const double intensity = 0.1 * kSecondsPerYear / kDay_s;
  MertonParams params{{{0.0, 0.0, 0.0}, {0.5, 0.5, 0.5}, {}}, {intensity, intensity, intensity}, {-0.1, -0.2, -0.3},
                      {0.0, 0.0, 0.0}, true};
  const Merton merton = made(Merton::make(params, kDay_s));
  constexpr std::size_t kSteps = 2'000;
  std::vector<double> returns(kSteps * 3);
  std::vector<std::uint32_t> counts(kSteps * 3);
  merton.log_returns(PathKey{9, 0, 0}, kSteps, returns, counts);
  std::size_t jumps = 0;
  for (std::size_t t = 0; t < kSteps; ++t) {
    EXPECT_EQ(counts[3 * t], counts[3 * t + 1]);
    EXPECT_EQ(counts[3 * t], counts[3 * t + 2]);
    jumps += counts[3 * t];
  }
  EXPECT_GT(jumps, 100u);  // about 200 expected
}

// GARCH started at its unconditional variance keeps E[r_t^2] = omega / (1 - alpha - beta) at
// every step. Research T14 (BTC daily: omega 8e-5, alpha 0.144, beta 0.817) gives 4.53% a day.
// 2,000 independent paths of 250 steps; the standard error comes from the spread of the
// per-path means (the paths are independent, the steps within one are not). Starting at omega
// instead would miss by about 10%, some 9 standard errors.
TEST(Garch, UnconditionalVariance) {
  const Garch garch = made(Garch::make({{8e-5}, {0.144}, {0.817}, {}}));
  EXPECT_NEAR(std::sqrt(garch.unconditional_variance(0)), 0.0453, 5e-5);
  constexpr std::size_t kPaths = 2'000;
  constexpr std::size_t kSteps = 250;
  std::vector<double> path_means;
  std::vector<double> returns(kSteps);
  for (std::uint64_t p = 0; p < kPaths; ++p) {
    garch.log_returns(PathKey{17, 4, p}, kSteps, returns);
    double squares = 0.0;
    for (const double r : returns) squares += r * r;
    path_means.push_back(squares / kSteps);
  }
  const Moments m = moments(path_means, 0, 1);
  EXPECT_NEAR(m.mean, garch.unconditional_variance(0), kSigmas * std::sqrt(m.variance / kPaths));
}

// A bridge's noise is pinned at both knots: at the midpoint of a segment of k steps the log price
// has variance sigma^2 dt k/4 (a free GBM's would be sigma^2 dt k/2). 4,000 paths; the sample
// variance of normals has standard error variance * sqrt(2 / (n - 1)), about 2.2% here.
TEST(Bridge, MidpointVarianceIsTheBridges) {
  const double sigma = 1.0;
  const Bridge bridge = made(Bridge::make({{{{100, 0.5}}}, {{0.0}, {sigma}, {}}}, 60.0));
  constexpr std::size_t kPaths = 4'000;
  std::vector<double> prices(101);
  std::vector<double> midpoint_logs;
  for (std::uint64_t p = 0; p < kPaths; ++p) {
    bridge.prices(PathKey{1, 2, p}, 100, std::vector<double>{1.0}, prices);
    midpoint_logs.push_back(std::log(prices[50]));
  }
  const double variance = sigma * sigma * 60.0 / kSecondsPerYear * 100.0 / 4.0;
  const Moments m = moments(midpoint_logs, 0, 1);
  EXPECT_NEAR(m.mean, 0.5 * std::log(0.5), kSigmas * std::sqrt(variance / kPaths));
  EXPECT_NEAR(m.variance, variance, kSigmas * variance * std::sqrt(2.0 / (kPaths - 1.0)));
}

TEST(Bridge, HitsEveryKnotExactly) {
  const std::vector<double> start{43'000.0, 3'400.0};
  // BTC down 30% at step 60 and back to -10% at 200; ETH down 45% at step 90, then free.
  const BridgeParams params{{{{60, 0.7}, {200, 0.9}}, {{90, 0.55}}}, {{0.0, -0.5}, {1.2, 1.8}, {1.0, 0.8, 0.8, 1.0}}};
  const Bridge bridge = made(Bridge::make(params, 300.0));
  EXPECT_EQ(bridge.min_steps(), 200u);
  std::vector<double> prices(301 * 2);
  for (std::uint64_t p = 0; p < 5; ++p) {
    bridge.prices(PathKey{42, 7, p}, 300, start, prices);
    EXPECT_EQ(prices[0], start[0]);
    EXPECT_EQ(prices[1], start[1]);
    EXPECT_EQ(prices[60 * 2], start[0] * 0.7);
    EXPECT_EQ(prices[200 * 2], start[0] * 0.9);
    EXPECT_EQ(prices[90 * 2 + 1], start[1] * 0.55);
    // Noise between the knots and after the last: not a straight line.
    EXPECT_NE(prices[30 * 2], prices[60 * 2]);
    EXPECT_NE(prices[250 * 2 + 1], start[1] * 0.55);
  }
}

TEST(Bridge, WithoutNoiseIsGeometricInterpolation) {
  const Bridge bridge = made(Bridge::make({{{{4, 0.0625}}}, {{0.0}, {0.0}, {}}}, 60.0));
  std::vector<double> prices(7);
  bridge.prices(PathKey{}, 6, std::vector<double>{16.0}, prices);
  const std::vector<double> expected{16.0, 8.0, 4.0, 2.0, 1.0, 1.0, 1.0};
  for (std::size_t s = 0; s < expected.size(); ++s) EXPECT_NEAR(prices[s], expected[s], 1e-14) << s;
}

constexpr std::string_view kReturnsCsv =
    "BTC,ETH\n"
    "0.01,0.02\n"
    "-0.03,-0.04\n"
    "0.05,0.06\n"
    "-0.07,-0.08\n"
    "0.09,0.10\n";

// Block length = T: the whole path is one block, a contiguous window of the table that wraps
// from the last row to the first (T = 8 > 5 rows, so every path wraps).
TEST(BlockBootstrap, OneBlockIsAContiguousCircularWindow) {
  ReturnTable table = made(parse_returns_csv(kReturnsCsv, "returns.csv"));
  const BlockBootstrap bootstrap = made(BlockBootstrap::make(table, 8));
  std::set<std::size_t> starts;
  std::vector<double> out(8 * 2);
  for (std::uint64_t p = 0; p < 20; ++p) {
    bootstrap.log_returns(PathKey{1, 1, p}, 8, out);
    const auto first = std::find(table.log_returns.begin(), table.log_returns.end(), out[0]);
    ASSERT_NE(first, table.log_returns.end());
    const auto start = static_cast<std::size_t>(first - table.log_returns.begin()) / 2;
    starts.insert(start);
    for (std::size_t t = 0; t < 8; ++t) {
      const std::size_t row = (start + t) % 5;
      EXPECT_EQ(out[2 * t], table.log_returns[2 * row]) << p << " " << t;
      EXPECT_EQ(out[2 * t + 1], table.log_returns[2 * row + 1]) << p << " " << t;
    }
  }
  EXPECT_GE(starts.size(), 4u);  // the start is drawn: 20 paths over 5 rows use most of them
}

TEST(BlockBootstrap, BlocksAreContiguousWithinAndRedrawnBetween) {
  const BlockBootstrap bootstrap = made(BlockBootstrap::make(made(parse_returns_csv(kReturnsCsv, "r.csv")), 3));
  std::vector<double> out(30 * 2);
  bootstrap.log_returns(PathKey{4, 0, 0}, 30, out);
  const std::vector<double> column{0.01, -0.03, 0.05, -0.07, 0.09};
  const auto row_of = [&](double v) { return static_cast<std::size_t>(std::find(column.begin(), column.end(), v) - column.begin()); };
  std::size_t jumps = 0;
  for (std::size_t t = 1; t < 30; ++t) {
    const bool next_row = row_of(out[2 * t]) == (row_of(out[2 * (t - 1)]) + 1) % 5;
    if (t % 3 != 0) {
      EXPECT_TRUE(next_row) << t;
    }
    jumps += next_row ? 0 : 1;
  }
  EXPECT_GT(jumps, 0u);  // 9 redraws, each continuing by chance with probability 1/5
}

TEST(ReturnsCsv, ParsesHeaderAndRows) {
  const ReturnTable table = made(parse_returns_csv("BTC, ETH\r\n1e-3,-2.5e-2\r\n0,0.5", "x.csv"));
  EXPECT_EQ(table.symbols, (std::vector<std::string>{"BTC", "ETH"}));
  EXPECT_EQ(table.rows, 2u);
  EXPECT_EQ(table.log_returns, (std::vector<double>{1e-3, -2.5e-2, 0.0, 0.5}));
}

TEST(ReturnsCsv, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(error_of(parse_returns_csv("BTC,ETH\n0.1,0.2\n0.3,abc\n", "x.csv")),
            "x.csv:3: column 2 (ETH): 'abc' is not a number");
  EXPECT_EQ(error_of(parse_returns_csv("BTC,ETH\n0.1,0.2,0.3\n", "x.csv")), "x.csv:2: 3 fields, the header has 2");
  EXPECT_EQ(error_of(parse_returns_csv("BTC,ETH\n0.1\n", "x.csv")), "x.csv:2: 1 fields, the header has 2");
  EXPECT_EQ(error_of(parse_returns_csv("BTC,BTC\n0.1,0.2\n", "x.csv")),
            "x.csv:1: column 2: symbol 'BTC' repeats column 1");
  EXPECT_EQ(error_of(parse_returns_csv("BTC,\n0.1,0.2\n", "x.csv")), "x.csv:1: column 2: empty symbol in the header row");
  EXPECT_EQ(error_of(parse_returns_csv("BTC\n0.1\n\n0.2\n", "x.csv")), "x.csv:3: empty line");
  EXPECT_EQ(error_of(parse_returns_csv("BTC\nnan\n", "x.csv")), "x.csv:2: column 1 (BTC): 'nan' is not finite");
  EXPECT_EQ(error_of(parse_returns_csv("BTC\n0.1x\n", "x.csv")), "x.csv:2: column 1 (BTC): '0.1x' is not a number");
  EXPECT_EQ(error_of(parse_returns_csv("BTC\n\n", "x.csv")), "x.csv:2: empty line");
  EXPECT_EQ(error_of(parse_returns_csv("BTC\n", "x.csv")), "x.csv: no rows of returns after the header");
  EXPECT_EQ(error_of(parse_returns_csv("", "x.csv")), "x.csv: empty file, expected a header row of symbols");
  const auto missing = load_returns_csv("/nonexistent/returns.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  EXPECT_EQ(missing.error().message, "/nonexistent/returns.csv: cannot open");
}

TEST(Validation, CorrelationErrorsNameTheEntry) {
  // Each pair is a valid correlation, the three together are not: the third row fails.
  EXPECT_EQ(error_of(Correlation::make(3, std::vector<double>{1, 0.9, 0.9, 0.9, 1, -0.9, 0.9, -0.9, 1})).substr(0, 50),
            "correlation: not positive definite at row 2 (pivot");
  // rho = 1 between two assets: singular.
  EXPECT_NE(error_of(Correlation::make(2, std::vector<double>{1, 1, 1, 1})).find("not positive definite at row 1"),
            std::string::npos);
  EXPECT_EQ(error_of(Correlation::make(2, std::vector<double>{1, 0.5, 0.4, 1})),
            "correlation[0][1] = 0.5 but correlation[1][0] = 0.4: not symmetric");
  EXPECT_EQ(error_of(Correlation::make(2, std::vector<double>{1, 1.5, 1.5, 1})),
            "correlation[0][1] = 1.5: must be within [-1, 1]");
  EXPECT_EQ(error_of(Correlation::make(2, std::vector<double>{0.9, 0, 0, 1})),
            "correlation[0][0] = 0.9: the diagonal must be 1");
  EXPECT_EQ(error_of(Correlation::make(2, std::vector<double>{1, 0, 0})), "correlation: 3 entries, 2 assets need 4");
}

TEST(Validation, ModelParametersNameFieldAndAsset) {
  EXPECT_EQ(error_of(Garch::make({{1e-5, 1e-5}, {0.1, 0.2}, {0.8, 0.8}, {}})),
            "alpha[1] + beta[1] = 1: must be < 1 (else the variance has no long-run level)");
  EXPECT_EQ(error_of(Garch::make({{1e-5}, {0.1}, {-0.1}, {}})), "beta[0] = -0.1: must be >= 0");
  EXPECT_EQ(error_of(Garch::make({{0.0}, {0.1}, {0.8}, {}})), "omega_per_step[0] = 0: must be > 0");
  EXPECT_EQ(error_of(Gbm::make({{0.1, 0.1}, {0.5, -0.5}, {}}, 60.0)), "vol_annual[1] = -0.5: must be >= 0");
  EXPECT_EQ(error_of(Gbm::make({{0.1}, {0.5, 0.5}, {}}, 60.0)), "vol_annual: 2 values for 1 assets");
  EXPECT_EQ(error_of(Gbm::make({{0.1}, {0.5}, {}}, 0.0)), "dt_s = 0: must be a positive number of seconds");
  EXPECT_EQ(error_of(Merton::make({{{0.0, 0.0}, {0.5, 0.5}, {}}, {1.0, 2.0}, {0.0, 0.0}, {0.1, 0.1}, true}, 60.0)),
            "jump_intensity_annual[1] = 2 differs from asset 0's 1: common jumps need one intensity");
  EXPECT_EQ(error_of(Merton::make({{{0.0}, {0.5}, {}}, {1e9}, {0.0}, {0.1}, false}, kDay_s)).substr(0, 35),
            "jump_intensity_annual[0] = 1e+09: 2");
  EXPECT_EQ(error_of(Bridge::make({{{{5, 0.5}, {5, 0.6}}}, {{0.0}, {0.5}, {}}}, 60.0)),
            "knots[0][1]: step 5 must be after step 5 (step 0 is the start)");
  EXPECT_EQ(error_of(Bridge::make({{{{0, 0.5}}}, {{0.0}, {0.5}, {}}}, 60.0)),
            "knots[0][0]: step 0 must be after step 0 (step 0 is the start)");
  EXPECT_EQ(error_of(Bridge::make({{{{3, -0.5}}}, {{0.0}, {0.5}, {}}}, 60.0)),
            "knots[0][0]: value -0.5 must be positive and finite");
  EXPECT_EQ(error_of(BlockBootstrap::make(made(parse_returns_csv(kReturnsCsv, "r.csv")), 0)),
            "block_steps: must be at least 1");
}

TEST(ToPrice, RoundsToNearestNano) {
  EXPECT_EQ(made(to_price(1.5)).raw(), 1'500'000'000);
  EXPECT_EQ(made(to_price(0.1)).raw(), 100'000'000);
  EXPECT_EQ(made(to_price(123'456.789)).raw(), 123'456'789'000'000);
  EXPECT_EQ(made(to_price(6e-10)).raw(), 1);
  // 2^-10 = 976,562.5e-9 exactly: a tie, rounded up.
  EXPECT_EQ(made(to_price(0x1p-10)).raw(), 976'563);
  EXPECT_EQ(made(to_price(9e9)).raw(), 9'000'000'000'000'000'000);
  EXPECT_EQ(error_of(to_price(0.0)), "price 0: must be positive and finite");
  EXPECT_EQ(error_of(to_price(-2.0)), "price -2: must be positive and finite");
  EXPECT_EQ(error_of(to_price(std::nan(""))), "price nan: must be positive and finite");
  EXPECT_EQ(error_of(to_price(HUGE_VAL)), "price inf: must be positive and finite");
  EXPECT_EQ(error_of(to_price(4e-10)), "price 4e-10: rounds to 0 at 1e-9");
  EXPECT_EQ(error_of(to_price(1e-30)), "price 1e-30: rounds to 0 at 1e-9");
  EXPECT_EQ(error_of(to_price(1e10)), "price 1e+10: above the largest Price");
  EXPECT_EQ(error_of(to_price(1e300)), "price 1e+300: above the largest Price");
}

std::vector<PathModel> every_model() {
  const GbmParams gbm{{0.1, -0.2, 0.0}, {0.6, 0.9, 1.4}, {1, 0.5, 0.3, 0.5, 1, 0.4, 0.3, 0.4, 1}};
  ReturnTable table = made(parse_returns_csv("A,B,C\n0.01,0.02,0.03\n-0.01,0,0.01\n0.02,-0.02,0\n", "t.csv"));
  return {made(Gbm::make(gbm, 60.0)),
          made(Merton::make({gbm, {50.0, 50.0, 50.0}, {-0.05, -0.1, -0.2}, {0.02, 0.03, 0.04}, true}, 3600.0)),
          made(Garch::make({{1e-5, 2e-5, 3e-5}, {0.1, 0.12, 0.14}, {0.85, 0.8, 0.8}, gbm.correlation})),
          made(BlockBootstrap::make(table, 2)),
          made(Bridge::make({{{{10, 0.5}}, {}, {{5, 2.0}, {15, 1.0}}}, gbm}, 60.0))};
}

constexpr std::size_t kDeterminismSteps = 40;

std::vector<double> alone(const PathModel& model, std::uint64_t path) {
  const std::vector<double> start{100.0, 10.0, 1.0};
  std::vector<double> prices((kDeterminismSteps + 1) * 3);
  generate_prices(model, PathKey{77, 3, path}, kDeterminismSteps, start, prices);
  return prices;
}

bool same_bits(std::span<const double> a, std::span<const double> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// A path depends on (seed, scenario, path) only: generated alone, in a batch in any order, or by
// two threads each doing half in reverse, it has the same bits.
TEST(Determinism, PathIsAPureFunctionOfItsKey) {
  const std::vector<double> start{100.0, 10.0, 1.0};
  const std::size_t stride = (kDeterminismSteps + 1) * 3;
  const std::vector<std::uint64_t> order{5, 2, 0, 4, 1, 3};
  for (const PathModel& model : every_model()) {
    std::vector<double> batch(order.size() * stride);
    generate_batch(model, 77, 3, order, kDeterminismSteps, start, batch);
    std::vector<double> threaded(order.size() * stride);
    const auto half = [&](std::size_t from, std::size_t to) {
      for (std::size_t i = to; i-- > from;) {
        generate_batch(model, 77, 3, std::span(order).subspan(i, 1), kDeterminismSteps, start,
                       std::span(threaded).subspan(i * stride, stride));
      }
    };
    std::thread first(half, 0, 3);
    std::thread second(half, 3, 6);
    first.join();
    second.join();
    for (std::size_t i = 0; i < order.size(); ++i) {
      const std::vector<double> reference = alone(model, order[i]);
      EXPECT_TRUE(same_bits(reference, std::span(batch).subspan(i * stride, stride))) << model.index() << " " << i;
      EXPECT_TRUE(same_bits(reference, std::span(threaded).subspan(i * stride, stride))) << model.index() << " " << i;
    }
    EXPECT_FALSE(same_bits(alone(model, 0), alone(model, 1))) << model.index();
  }
}

// The bits themselves are pinned: a change of compiler flags, of the normal method or of the
// stream layout that moves any of them shows here (Debug and Release builds run this test).
TEST(Determinism, PinnedBits) {
  std::uint64_t digest = 0;
  for (const PathModel& model : every_model()) {
    for (const double price : alone(model, 1)) digest = (digest ^ std::bit_cast<std::uint64_t>(price)) * 0x100000001b3ull;
  }
  EXPECT_EQ(digest, 1683560194449858333ull);
}

}  // namespace
}  // namespace ballast::sim

#include "ballast/sim/oracle_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ballast/pricing/dmath.hpp"

namespace ballast::sim {
namespace {

constexpr double kMinute_s = 60.0;
constexpr double kHour_s = 3'600.0;
constexpr double kSigmas = 4.0;  // statistical tolerances: fixed seed, 4 standard errors

template <typename T>
T made(Result<T> result) {
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return std::move(result).value();
}

template <typename T>
std::string error_of(const Result<T>& result) {
  return result.ok() ? "ok" : result.error().message;
}

struct Track {
  std::vector<double> price;
  std::vector<std::uint8_t> published;
};

Track run(const OracleModel& model, const std::vector<double>& prices, std::size_t assets, PathKey key = {},
          const std::vector<double>& manipulation = {}) {
  Track track{std::vector<double>(prices.size()), std::vector<std::uint8_t>(prices.size())};
  publish(model, OracleInput{key, assets, prices, manipulation}, OracleTrack{track.price, track.published});
  return track;
}

bool same_bits(const Track& a, const Track& b) {
  return a.price.size() == b.price.size() &&
         std::memcmp(a.price.data(), b.price.data(), a.price.size() * sizeof(double)) == 0 &&
         a.published == b.published;
}

// A correlated GBM path of `assets` x `steps` one-minute steps, 80% vol, from 100.
std::vector<double> gbm_path(std::size_t assets, std::size_t steps, std::uint64_t path = 0) {
  GbmParams params{std::vector<double>(assets, 0.0), std::vector<double>(assets, 0.8), {}};
  const Gbm gbm = made(Gbm::make(params, kMinute_s));
  std::vector<double> prices((steps + 1) * assets);
  generate_prices(gbm, PathKey{11, 3, path}, steps, std::vector<double>(assets, 100.0), prices);
  return prices;
}

PushOracle push(double threshold, double heartbeat_s, std::size_t latency_steps) {
  return made(PushOracle::make({threshold, heartbeat_s, latency_steps}, kMinute_s));
}

TEST(PushOracle, DeviationPublishesAtTheCrossingStep) {
  // 1%: 100.4, 99.2 and 100.9 stay within 1% of 100; 101.5 crosses (1.5%); 101.6 is within 1%
  // of 101.5 and 100.4 is 1.08% below it; 101.4, 100.0 and 101.0 stay within 1% of 100.4.
  const std::vector<double> prices{100.0, 100.4, 99.2, 100.9, 101.5, 101.6, 100.4, 101.4, 100.0, 101.0};
  const Track track = run(push(0.01, 1e9, 0), prices, 1);
  EXPECT_EQ(track.published, (std::vector<std::uint8_t>{1, 0, 0, 0, 1, 0, 1, 0, 0, 0}));
  EXPECT_EQ(track.price, (std::vector<double>{100, 100, 100, 100, 101.5, 101.5, 100.4, 100.4, 100.4, 100.4}));
  // Exactly at the threshold publishes: (101 - 100) / 100 is the double 0.01.
  const Track boundary = run(push(0.01, 1e9, 0), {100.0, 100.99, 101.0}, 1);
  EXPECT_EQ(boundary.published, (std::vector<std::uint8_t>{1, 0, 1}));
}

TEST(PushOracle, HeartbeatEveryHourOnAFlatPath) {
  const std::vector<double> flat(241 * 2, 100.0);  // 4 hours of minutes, 2 assets
  const Track track = run(push(0.005, kHour_s, 0), flat, 2);
  for (std::size_t t = 0; t <= 240; ++t) {
    for (std::size_t a = 0; a < 2; ++a) {
      EXPECT_EQ(track.published[t * 2 + a], t % 60 == 0 ? 1 : 0) << t;
    }
  }
}

TEST(PushOracle, LatencyShiftsEveryRoundByExactlyLSteps) {
  constexpr std::size_t kAssets = 3;
  constexpr std::size_t kLag = 3;
  const std::vector<double> prices = gbm_path(kAssets, 600);
  const Track now = run(push(0.005, 30.0 * kMinute_s, 0), prices, kAssets);
  const Track late = run(push(0.005, 30.0 * kMinute_s, kLag), prices, kAssets);
  std::size_t rounds = 0;
  for (std::size_t t = 1; t <= 600; ++t) {
    for (std::size_t a = 0; a < kAssets; ++a) {
      const std::size_t cell = t * kAssets + a;
      if (t > kLag) {
        EXPECT_EQ(late.published[cell], now.published[cell - kLag * kAssets]) << t;
        EXPECT_EQ(late.price[cell], now.price[cell - kLag * kAssets]) << t;
      } else {
        EXPECT_EQ(late.published[cell], 0) << t;
        EXPECT_EQ(late.price[cell], prices[a]) << t;
      }
      rounds += now.published[cell];
    }
  }
  EXPECT_GT(rounds, 30u);  // the path moves enough for the shift to be tested on many rounds
  EXPECT_EQ(late.published[0], 1);
}

TEST(EmaOracle, StepChangeHalvesTheGapPerHalfLife) {
  // 100, then 200 from step 1 on; 15-minute steps, a one-hour half-life: after 4 steps, 150.
  const EmaOracle ema = made(EmaOracle::make({kHour_s}, 15.0 * kMinute_s));
  std::vector<double> prices(9, 200.0);
  prices[0] = 100.0;
  const Track track = run(ema, prices, 1);
  EXPECT_EQ(track.price[0], 100.0);
  EXPECT_LT(std::abs(track.price[4] / 150.0 - 1.0), 1e-12);
  EXPECT_LT(std::abs(track.price[8] / 175.0 - 1.0), 1e-12);
  for (std::size_t t = 1; t < prices.size(); ++t) {
    EXPECT_GT(track.price[t], track.price[t - 1]);
    EXPECT_LT(track.price[t], 200.0);
  }
  EXPECT_EQ(track.published, std::vector<std::uint8_t>(9, 1));
}

// Source j of asset a at step t, computed as the header documents it.
double source_price(const PathKey& key, double truth, double noise_std, std::size_t cell, std::size_t sources,
                    std::size_t j) {
  const double z = normal_quantile(uniform_draw(key, DrawKind::oracle_noise, cell * sources + j));
  return truth * pricing::dmath::exp(noise_std * z);
}

TEST(MedianOracle, OneManipulatedSourceOfThreeIsIgnoredTwoAreNot) {
  constexpr std::size_t kAssets = 2;
  const std::vector<double> prices = gbm_path(kAssets, 200);
  // A Mango-style pump on the manipulated sources: up to 24x and back.
  std::vector<double> pump(prices.size());
  for (std::size_t i = 0; i < pump.size(); ++i) {
    const double t = static_cast<double>(i / kAssets) / 200.0;
    pump[i] = 1.0 + 23.0 * std::sin(3.14159 * t);
  }
  const PathKey key{5, 8, 13};
  const Track one = run(made(MedianOracle::make({3, 0.01, 1})), prices, kAssets, key, pump);
  const Track two = run(made(MedianOracle::make({3, 0.01, 2})), prices, kAssets, key, pump);
  const auto median3 = [](double a, double b, double c) {
    return std::max(std::min(a, b), std::min(std::max(a, b), c));
  };
  for (std::size_t cell = 0; cell < prices.size(); ++cell) {
    const double s0 = source_price(key, prices[cell], 0.01, cell, 3, 0);
    const double s1 = source_price(key, prices[cell], 0.01, cell, 3, 1);
    const double s2 = source_price(key, prices[cell], 0.01, cell, 3, 2);
    const double attack = pump[cell];
    EXPECT_EQ(one.price[cell], median3(s0 * attack, s1, s2)) << cell;
    EXPECT_EQ(two.price[cell], median3(s0 * attack, s1 * attack, s2)) << cell;
    // One pumped source: the median stays within the honest sources' band.
    EXPECT_GE(one.price[cell], std::min(s1, s2)) << cell;
    EXPECT_LE(one.price[cell], std::max(s1, s2)) << cell;
    if (attack > 1.2) {  // past the 1% noise: two pumped sources carry the median with them
      EXPECT_GT(two.price[cell], 1.1 * prices[cell]) << cell;
    }
  }
}

TEST(MedianOracle, NoNoiseIsTheTruthAndEvenCountsAverageTheMiddle) {
  const std::vector<double> prices = gbm_path(2, 50);
  EXPECT_EQ(run(made(MedianOracle::make({3, 0.0, 0})), prices, 2).price, prices);
  const PathKey key{1, 2, 3};
  const Track pair = run(made(MedianOracle::make({2, 0.02, 0})), prices, 2, key);
  const Track four = run(made(MedianOracle::make({4, 0.02, 0})), prices, 2, key);
  for (std::size_t cell = 0; cell < prices.size(); ++cell) {
    std::vector<double> quotes;
    for (std::size_t j = 0; j < 4; ++j) quotes.push_back(source_price(key, prices[cell], 0.02, cell, 4, j));
    std::sort(quotes.begin(), quotes.end());
    EXPECT_EQ(four.price[cell], 0.5 * (quotes[1] + quotes[2])) << cell;
    const double a = source_price(key, prices[cell], 0.02, cell, 2, 0);
    const double b = source_price(key, prices[cell], 0.02, cell, 2, 1);
    EXPECT_EQ(pair.price[cell], 0.5 * (std::min(a, b) + std::max(a, b))) << cell;
  }
}

TEST(MedianOracle, OneSourceNoiseIsLognormalWithTheGivenStd) {
  // log(published / truth) / 0.02 is standard normal; 8 x 1,000 draws: the mean's standard error
  // is 1/sqrt(8000) = 0.011 and the variance's sqrt(2/8000) = 0.016, so a 10% error in the
  // noise's scale (0.21 in variance) would fail.
  const std::vector<double> prices = gbm_path(8, 999);
  const Track track = run(made(MedianOracle::make({1, 0.02, 0})), prices, 8, PathKey{3, 4, 5});
  double sum = 0.0;
  double squares = 0.0;
  for (std::size_t i = 0; i < prices.size(); ++i) {
    const double z = std::log(track.price[i] / prices[i]) / 0.02;
    sum += z;
    squares += z * z;
  }
  const auto n = static_cast<double>(prices.size());
  EXPECT_NEAR(sum / n, 0.0, kSigmas / std::sqrt(n));
  EXPECT_NEAR(squares / n, 1.0, kSigmas * std::sqrt(2.0 / n));
}

TEST(MedianOracle, SameKeySameBitsAloneInABatchInAnyOrderOnAnyThread) {
  const OracleModel model = made(MedianOracle::make({5, 0.01, 1}));
  const std::vector<double> prices = gbm_path(4, 300);
  const std::vector<double> pump(prices.size(), 3.0);
  const auto key = [](std::uint64_t path) { return PathKey{42, 7, path}; };
  const Track alone = run(model, prices, 4, key(5), pump);
  const std::vector<std::uint64_t> forward{3, 5, 9};
  const std::vector<std::uint64_t> backward{9, 5, 3};
  for (const auto& order : {forward, backward}) {
    for (const std::uint64_t path : order) {
      const Track track = run(model, prices, 4, key(path), pump);
      EXPECT_EQ(same_bits(track, alone), path == 5) << path;  // and other paths differ
    }
  }
  Track threaded[2];
  std::thread first([&] { threaded[0] = run(model, prices, 4, key(9), pump); });
  std::thread second([&] { threaded[1] = run(model, prices, 4, key(5), pump); });
  first.join();
  second.join();
  EXPECT_TRUE(same_bits(threaded[1], alone));
  // The noise is its own stream: a path's diffusion draws do not reappear in it.
  EXPECT_NE(uniform_draw(key(5), DrawKind::oracle_noise, 0), uniform_draw(key(5), DrawKind::diffusion, 0));
}

TEST(OracleModels, BadInputNamesTheField) {
  EXPECT_EQ(error_of(PushOracle::make({-0.1, kHour_s, 0}, kMinute_s)),
            "push oracle: deviation_threshold = -0.1: must be >= 0");
  EXPECT_EQ(error_of(PushOracle::make({0.005, 0.0, 0}, kMinute_s)), "push oracle: heartbeat_s = 0: must be > 0");
  EXPECT_EQ(error_of(PushOracle::make({0.005, kHour_s, 0}, -1.0)), "push oracle: dt_s = -1: must be > 0");
  EXPECT_EQ(error_of(EmaOracle::make({0.0}, kMinute_s)), "ema oracle: half_life_s = 0: must be > 0");
  EXPECT_EQ(error_of(EmaOracle::make({-5.0}, kMinute_s)), "ema oracle: half_life_s = -5: must be > 0");
  EXPECT_EQ(error_of(MedianOracle::make({0, 0.01, 0})), "median oracle: sources = 0: must be in 1..31");
  EXPECT_EQ(error_of(MedianOracle::make({32, 0.01, 0})), "median oracle: sources = 32: must be in 1..31");
  EXPECT_EQ(error_of(MedianOracle::make({3, 0.01, 4})),
            "median oracle: manipulated_sources = 4: more than the 3 sources");
  EXPECT_EQ(error_of(MedianOracle::make({3, -0.01, 0})), "median oracle: noise_std = -0.01: must be >= 0");
}

}  // namespace
}  // namespace ballast::sim

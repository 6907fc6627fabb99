// The volatility regime monitor (EWMA and GARCH(1,1) forecasts, breaches, the progressive margin
// multiplier and its decay), its snapshot encoding, and the open-interest cap against depth.

#include "ballast/liquidation/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace ballast::liquidation {
namespace {

constexpr TimestampNs kT0 = 1'700'000'000'000'000'000;
constexpr std::int64_t kMinute = 60'000'000'000;

Price cents(std::int64_t hundredths) { return Price::from_raw(hundredths * 10'000'000); }
Ratio multiplier(std::int64_t thousandths) { return Ratio::from_raw(thousandths * 1'000'000'000); }

// Reference values from numpy (float64, the same formulas; np.log is correctly rounded or
// within an ulp, dmath::log within 1 ulp, so EXPECT_DOUBLE_EQ's 4 ulps):
//   prices = np.array([100.0, 101.0, 99.5, 100.2, 100.2]); r = np.log(prices[1:] / prices[:-1])
//   lam, om, a, b = 0.94, 5e-8, 0.10, 0.85; v = h = 1e-6
//   for x in r:
//       breach = x * x > 16 * h
//       v = lam * v + (1 - lam) * x * x; h = om + a * x * x + b * h
//       print(repr(float(x)), repr(v), repr(h), breach)
struct Step {
  double log_return;
  double ewma;
  double garch;
  bool breach;
  std::uint8_t level;
};
const std::vector<Step> kSteps = {
    {0.009950330853168092, 6.880545045250536e-06, 1.0800908408750884e-05, true, 2},
    {-0.01496287267671238, 1.9900965866905867e-05, 3.161952802138884e-05, true, 3},
    {0.007010544486217302, 2.1655771954485424e-05, 3.1841372217503695e-05, false, 3},
    {0.0, 2.03564256372163e-05, 2.7115166384878142e-05, false, 3},
};

TEST(VolatilityMonitor, EwmaAndGarchMatchNumpy) {
  VolatilityMonitor monitor{VolatilityParams{}};
  const Observation first = monitor.observe(cents(10'000), kT0);
  EXPECT_FALSE(first.sampled);
  EXPECT_EQ(monitor.margin_multiplier(), multiplier(1'000));
  const std::int64_t prices[] = {10'100, 9'950, 10'020, 10'020};
  for (std::size_t i = 0; i < kSteps.size(); ++i) {
    const Observation o = monitor.observe(cents(prices[i]), kT0 + static_cast<std::int64_t>(i + 1) * kMinute);
    ASSERT_TRUE(o.sampled);
    EXPECT_DOUBLE_EQ(o.log_return, kSteps[i].log_return) << i;
    EXPECT_DOUBLE_EQ(monitor.state().ewma_variance, kSteps[i].ewma) << i;
    EXPECT_DOUBLE_EQ(monitor.state().garch_variance, kSteps[i].garch) << i;
    EXPECT_EQ(o.breach, kSteps[i].breach) << i;
    // Level 2 after the first return: the breach asks one, but sqrt(6.88e-6)/1e-3 = 2.62 > 2.0
    // asks two; then a second breach and sqrt(1.99e-5)/1e-3 = 4.46 > 3.0 both ask three.
    EXPECT_EQ(o.level, kSteps[i].level) << i;
  }
  EXPECT_EQ(monitor.margin_multiplier(), multiplier(2'000));
  EXPECT_EQ(monitor.state().breaches, 2u);
  EXPECT_EQ(monitor.state().samples, 4u);
}

TEST(VolatilityMonitor, SamplesOncePerIntervalAndScalesGaps) {
  VolatilityMonitor monitor{VolatilityParams{}};
  monitor.observe(cents(10'000), kT0);
  const MonitorState before = monitor.state();
  const Observation early = monitor.observe(cents(10'100), kT0 + kMinute / 2);
  EXPECT_FALSE(early.sampled);
  EXPECT_EQ(monitor.state(), before);  // within the interval: ignored
  // Four intervals later: one return, scaled by sqrt(1/4) = 0.5 exactly.
  const Observation late = monitor.observe(cents(10'100), kT0 + 4 * kMinute);
  ASSERT_TRUE(late.sampled);
  EXPECT_DOUBLE_EQ(late.log_return, 0.5 * 0.009950330853168092);
}

TEST(VolatilityMonitor, EscalatesOnBreachesAndDecaysAfterCalm) {
  VolatilityParams params;
  params.vol_ratio_thresholds = {10.0, 20.0, 30.0};  // the EWMA gauge stays at 0: breaches alone
  VolatilityMonitor monitor{params};
  TimestampNs t = kT0;
  monitor.observe(cents(10'000), t);
  // Each move beats 4 sigma of the GARCH forecast made before it (python, as above, with these
  // prices: h = 1e-6, 3.39e-6, 2.49e-5, 1.69e-4 before the moves of 0.50%, 1.48%, 3.85%, 8.15%),
  // so each raises the level by one, up to the top.
  const std::int64_t prices[] = {10'050, 10'200, 10'600, 11'500};
  const std::uint8_t expected_levels[] = {1, 2, 3, 3};
  std::int64_t p = 10'000;
  for (int i = 0; i < 4; ++i) {
    t += kMinute;
    p = prices[i];
    EXPECT_TRUE(monitor.observe(cents(p), t).breach) << i;
    EXPECT_EQ(monitor.level(), expected_levels[i]) << i;
  }
  EXPECT_EQ(monitor.margin_multiplier(), multiplier(2'000));
  const TimestampNs last_breach = monitor.state().calm_since_ns;
  // Flat prices from here: no breach. Down one level per calm hour.
  while (t + kMinute < last_breach + 60 * kMinute) {
    t += kMinute;
    monitor.observe(cents(p), t);
    ASSERT_EQ(monitor.level(), 3);
  }
  t = last_breach + 60 * kMinute;
  monitor.observe(cents(p), t);
  EXPECT_EQ(monitor.level(), 2);
  EXPECT_EQ(monitor.margin_multiplier(), multiplier(1'500));
  t += 60 * kMinute;
  monitor.observe(cents(p), t);
  EXPECT_EQ(monitor.margin_multiplier(), multiplier(1'250));
  t += 59 * kMinute;
  monitor.observe(cents(p), t);
  EXPECT_EQ(monitor.level(), 1);
  t += kMinute;
  monitor.observe(cents(p), t);
  EXPECT_EQ(monitor.level(), 0);
  EXPECT_EQ(monitor.margin_multiplier(), multiplier(1'000));
}

TEST(VolatilityMonitor, RealizedVolHoldsTheLevelUp) {
  // With the default thresholds one +1% move leaves EWMA at 6.88e-6 (ratio 2.62): level 2 is asked
  // by the gauge itself, so an hour of calm does not step down until EWMA has decayed below 2.25e-6
  // (ratio 1.5): 6.88e-6 × 0.94^n < 2.25e-6 from n = 19, and below 4e-6 from n = 9.
  VolatilityMonitor monitor{VolatilityParams{}};
  monitor.observe(cents(10'000), kT0);
  monitor.observe(cents(10'100), kT0 + kMinute);
  EXPECT_EQ(monitor.level(), 2);
  for (int i = 2; i <= 61; ++i) {
    monitor.observe(cents(10'100), kT0 + i * kMinute);
  }
  EXPECT_EQ(monitor.level(), 1);  // at 61 minutes: the calm hour has passed, the gauge asks 0
}

TEST(VolatilityMonitor, RejectionsChangeNothing) {
  VolatilityMonitor monitor{VolatilityParams{}};
  monitor.observe(cents(10'000), kT0);
  const MonitorState before = monitor.state();
  EXPECT_EQ(monitor.observe(Price{}, kT0 + kMinute).status, BreakerStatus::price_invalid);
  EXPECT_EQ(monitor.observe(cents(10'000), kT0 - 1).status, BreakerStatus::timestamp_regressed);
  EXPECT_EQ(monitor.state(), before);
  EXPECT_STREQ(breaker_status_name(BreakerStatus::timestamp_regressed), "timestamp_regressed");
}

TEST(VolatilityParamsValidate, Ranges) {
  EXPECT_EQ(validate(VolatilityParams{}), BreakerStatus::ok);
  VolatilityParams p;
  p.garch_alpha = 0.2;  // 0.2 + 0.85 ≥ 1: not stationary
  EXPECT_EQ(validate(p), BreakerStatus::params_invalid);
  p = VolatilityParams{};
  p.ewma_lambda = 1.0;
  EXPECT_EQ(validate(p), BreakerStatus::params_invalid);
  p = VolatilityParams{};
  p.garch_omega = NAN;
  EXPECT_EQ(validate(p), BreakerStatus::params_invalid);
  p = VolatilityParams{};
  p.vol_ratio_thresholds = {2.0, 1.5, 3.0};
  EXPECT_EQ(validate(p), BreakerStatus::params_invalid);
  p = VolatilityParams{};
  p.multipliers[0] = multiplier(900);  // below 1
  EXPECT_EQ(validate(p), BreakerStatus::params_invalid);
  p = VolatilityParams{};
  p.calm_period_ns = 0;
  EXPECT_EQ(validate(p), BreakerStatus::params_invalid);
}

TEST(VolatilityMonitor, SnapshotRoundTripsAndResumesIdentically) {
  VolatilityMonitor a{VolatilityParams{}};
  const std::int64_t prices[] = {10'000, 10'100, 9'950, 10'020, 10'020, 10'300};
  for (int i = 0; i < 3; ++i) {
    a.observe(cents(prices[i]), kT0 + i * kMinute);
  }
  const std::string bytes = encode_state(a.state());
  const auto decoded = decode_state(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, a.state());
  VolatilityMonitor b{VolatilityParams{}, *decoded};
  for (int i = 3; i < 6; ++i) {
    a.observe(cents(prices[i]), kT0 + i * kMinute);
    b.observe(cents(prices[i]), kT0 + i * kMinute);
  }
  EXPECT_EQ(encode_state(a.state()), encode_state(b.state()));
  EXPECT_EQ(decode_state(bytes.substr(1)), std::nullopt);
  std::string bad = bytes;
  bad[32] = 4;  // the level byte: out of range
  EXPECT_EQ(decode_state(bad), std::nullopt);
}

TEST(Multiplier, ScalesRequirementsUp) {
  EXPECT_EQ(scaled_requirement(Money::from_raw(1'000'000'001), multiplier(1'250)), Money::from_raw(1'250'000'002));
  EXPECT_EQ(scaled_requirement(*Money::from_whole(1'000), multiplier(2'000)), *Money::from_whole(2'000));
}

TEST(OpenInterestCap, AgainstDepth) {
  const Money depth = *Money::from_whole(1'000'000);
  const Ratio half = multiplier(500);
  EXPECT_EQ(max_open_interest(depth, half), *Money::from_whole(500'000));
  EXPECT_EQ(max_open_interest(Money::from_raw(3), half), Money::from_raw(1));  // 1.5 µ down
  EXPECT_EQ(check_open_interest(*Money::from_whole(300'000), *Money::from_whole(400'000), depth, half),
            OpenInterestStatus::within_cap);
  EXPECT_EQ(check_open_interest(*Money::from_whole(550'000), *Money::from_whole(600'000), depth, half),
            OpenInterestStatus::over_cap);
  EXPECT_EQ(check_open_interest(*Money::from_whole(700'000), *Money::from_whole(600'000), depth, half),
            OpenInterestStatus::reduces);
  EXPECT_EQ(check_open_interest(*Money::from_whole(-1), *Money::from_whole(600'000), depth, half),
            OpenInterestStatus::input_invalid);
  EXPECT_EQ(check_open_interest(Money{}, Money{}, *Money::from_whole(-1), half), OpenInterestStatus::input_invalid);
  EXPECT_STREQ(open_interest_status_name(OpenInterestStatus::over_cap), "over_cap");
}

}  // namespace
}  // namespace ballast::liquidation

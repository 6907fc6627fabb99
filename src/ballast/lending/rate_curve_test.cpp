// Rate curves (rate_curve.hpp): validation, the published reference figures of Aave v3 (research
// note E8), Drift v2 (E7) and Mango v4's adaptive scaling, and the rounding direction of each
// step. Every expected value is worked out in the comment beside it.

#include "ballast/lending/rate_curve.hpp"
#include "ballast/core/testing/fixed_text.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace ballast::lending {
namespace {

RateCurve curve_or_die(Result<RateCurve> curve) {
  EXPECT_TRUE(curve.ok()) << (curve.ok() ? "" : curve.error().message);
  return std::move(curve).value();
}

// --- validation -------------------------------------------------------------------------------

TEST(RateCurveMake, AcceptsAValidCurveAndKeepsItsPoints) {
  const std::array<RatePoint, 3> points{{{ratio("0"), ratio("0.01")},
                                         {ratio("0.5"), ratio("0.05")},
                                         {ratio("1"), ratio("0.5")}}};
  const RateCurve curve = curve_or_die(RateCurve::make(points, ratio("0.02")));
  ASSERT_EQ(curve.points().size(), 3u);
  EXPECT_EQ(curve.points()[1], points[1]);
  EXPECT_EQ(curve.min_rate(), ratio("0.02"));
}

TEST(RateCurveMake, RejectsMalformedCurvesNamingThePoint) {
  const auto message = [](std::vector<RatePoint> points) {
    const auto curve = RateCurve::make(points);
    EXPECT_FALSE(curve.ok());
    return curve.ok() ? std::string() : curve.error().message;
  };
  EXPECT_NE(message({{ratio("0"), ratio("0.1")}}).find("1 points"), std::string::npos);
  EXPECT_NE(message({{ratio("0.1"), ratio("0")}, {ratio("1"), ratio("1")}}).find("first point"),
            std::string::npos);
  EXPECT_NE(message({{ratio("0"), ratio("0")}, {ratio("0.9"), ratio("1")}}).find("last point"),
            std::string::npos);
  EXPECT_NE(message({{ratio("0"), ratio("0")}, {ratio("0.5"), ratio("0.1")}, {ratio("0.5"), ratio("0.2")},
                     {ratio("1"), ratio("1")}})
                .find("point 2 (0.5, 0.2): utilization must increase"),
            std::string::npos);
  EXPECT_NE(message({{ratio("0"), ratio("0.2")}, {ratio("0.5"), ratio("0.1")}, {ratio("1"), ratio("1")}})
                .find("point 1 (0.5, 0.1): rate must not decrease"),
            std::string::npos);
  EXPECT_NE(message({{ratio("0"), ratio("-0.01")}, {ratio("1"), ratio("1")}}).find("rate outside"),
            std::string::npos);
  EXPECT_NE(message({{ratio("0"), ratio("0")}, {ratio("1"), ratio("100.000000000001")}}).find("rate outside"),
            std::string::npos);
  std::vector<RatePoint> many;
  for (int i = 0; i <= 12; ++i) {
    many.push_back({Ratio::from_raw(i * Ratio::kScale / 12), ratio("0")});
  }
  EXPECT_NE(message(many).find("13 points"), std::string::npos);
}

TEST(RateCurveMake, PresetsRejectOutOfRangeParameters) {
  EXPECT_FALSE(RateCurve::aave_two_slope(ratio("0"), ratio("0.04"), ratio("0.75"), ratio("0")).ok());
  EXPECT_FALSE(RateCurve::aave_two_slope(ratio("0"), ratio("0.04"), ratio("0.75"), ratio("1.1")).ok());
  EXPECT_FALSE(RateCurve::aave_two_slope(ratio("0"), ratio("-0.04"), ratio("0.75"), ratio("0.8")).ok());
  EXPECT_FALSE(RateCurve::drift_multi_stage(ratio("1"), ratio("0.1"), ratio("5")).ok());
  EXPECT_FALSE(RateCurve::drift_multi_stage(ratio("0.7"), ratio("0.1"), ratio("0.05")).ok());
  EXPECT_FALSE(RateCurve::mango_two_kink(ratio("0.85"), ratio("0.1"), ratio("0.7"), ratio("0.2"), ratio("2")).ok());
  EXPECT_FALSE(RateCurve::mango_two_kink(ratio("0.7"), ratio("0.3"), ratio("0.85"), ratio("0.2"), ratio("2")).ok());
}

// --- Aave v3 (research note E8: StableTwo, test-suites/rate-strategy.spec.ts) ------------------

// StableTwo/DAI: base 0, slope1 4%, slope2 75%, U* 0.8; reserve factor 10%.
class AaveStableTwo : public ::testing::Test {
 protected:
  const RateCurve curve = curve_or_die(RateCurve::aave_two_slope(ratio("0"), ratio("0.04"), ratio("0.75"), ratio("0.8")));
  const Ratio reserve_factor = ratio("0.1");
};

TEST_F(AaveStableTwo, AtOptimalUtilization) {
  // U 80%: 0 + 4%·0.8/0.8 = 4%; supply 4% × 0.8 × 0.9 = 2.88%.  [T] in the source.
  EXPECT_EQ(curve.rate_at(ratio("0.8")), ratio("0.04"));
  EXPECT_EQ(supply_rate(ratio("0.04"), ratio("0.8"), reserve_factor), ratio("0.0288"));
}

TEST_F(AaveStableTwo, AtFullUtilization) {
  // U 100%: 4% + 75% = 79%; supply 79% × 1 × 0.9 = 71.1%.  [T]
  EXPECT_EQ(curve.rate_at(ratio("1")), ratio("0.79"));
  EXPECT_EQ(supply_rate(ratio("0.79"), ratio("1"), reserve_factor), ratio("0.711"));
}

TEST_F(AaveStableTwo, AboveAndBelowTheKink) {
  // U 90%: 4% + 75%·(0.1/0.2) = 41.5%; supply 41.5% × 0.9 × 0.9 = 33.615%.  [D]
  EXPECT_EQ(curve.rate_at(ratio("0.9")), ratio("0.415"));
  EXPECT_EQ(supply_rate(ratio("0.415"), ratio("0.9"), reserve_factor), ratio("0.33615"));
  // U 50%: 4%·0.5/0.8 = 2.5%; supply 2.5% × 0.5 × 0.9 = 1.125%.  [D]
  EXPECT_EQ(curve.rate_at(ratio("0.5")), ratio("0.025"));
  EXPECT_EQ(supply_rate(ratio("0.025"), ratio("0.5"), reserve_factor), ratio("0.01125"));
  EXPECT_EQ(curve.rate_at(ratio("0")), ratio("0"));
}

TEST_F(AaveStableTwo, BorrowRateRoundsUpSupplyRateDown) {
  // U = 10^-12: exact rate 0.04 · 10^-12 / 0.8 = 0.05 · 10^-12, up to one unit.
  EXPECT_EQ(curve.rate_at(Ratio::from_raw(1)), Ratio::from_raw(1));
  // U 1/3 (0.333333333333): 0.04 · 0.333333333333 / 0.8 = 0.01666666666665 → 0.016666666667.
  EXPECT_EQ(curve.rate_at(ratio("0.333333333333")), ratio("0.016666666667"));
  // Supply 10^-12 × 0.5 × 1 = 0.5 · 10^-12 → 0. 0.016666666667 × 0.333333333333 × 0.9
  // = 0.0050000000000949999999999 → down 0.005; with RF 0.4, × 0.6 = 0.00333333333339666… → 0.003333333333.
  EXPECT_EQ(supply_rate(Ratio::from_raw(1), ratio("0.5"), ratio("0")), Ratio{});
  EXPECT_EQ(supply_rate(ratio("0.016666666667"), ratio("0.333333333333"), ratio("0.1")), ratio("0.005"));
  EXPECT_EQ(supply_rate(ratio("0.016666666667"), ratio("0.333333333333"), ratio("0.4")), ratio("0.003333333333"));
}

TEST(AaveCurve, BaseRateAndOptimalAtOne) {
  // VolatileOne-like with a 1% base: at 0 the base, at U* 0.45 base + 7%, at 1 + 300%.
  const RateCurve curve = curve_or_die(RateCurve::aave_two_slope(ratio("0.01"), ratio("0.07"), ratio("3"), ratio("0.45")));
  EXPECT_EQ(curve.rate_at(ratio("0")), ratio("0.01"));
  EXPECT_EQ(curve.rate_at(ratio("0.45")), ratio("0.08"));
  EXPECT_EQ(curve.rate_at(ratio("1")), ratio("3.08"));
  // U* = 1: one slope, slope2 unused.
  const RateCurve one = curve_or_die(RateCurve::aave_two_slope(ratio("0"), ratio("0.1"), ratio("9"), ratio("1")));
  EXPECT_EQ(one.points().size(), 2u);
  EXPECT_EQ(one.rate_at(ratio("1")), ratio("0.1"));
}

// --- Drift v2 (research note E7: test_multi_stage_borrow_rate_curve) ---------------------------

// Optimum 70% at 10%, max 500%: the spread 490% rises by 5% of it (24.5%) to 85%, 10% (49%) to
// 90%, 15% (73.5%) to 95%, 20% (98%) to 99%, 25% (122.5%) to 99.5% and 25% to 100%.
class DriftMultiStage : public ::testing::Test {
 protected:
  const RateCurve curve = curve_or_die(RateCurve::drift_multi_stage(ratio("0.7"), ratio("0.1"), ratio("5")));
};

TEST_F(DriftMultiStage, PublishedEndpoints) {
  EXPECT_EQ(curve.rate_at(ratio("0.7")), ratio("0.1"));  // [T]
  EXPECT_EQ(curve.rate_at(ratio("1")), ratio("5"));      // [T]
}

TEST_F(DriftMultiStage, PublishedIntermediateFigures) {
  // [D] figures. 35%: 10%·0.35/0.7 = 5%. 85%: 10% + 24.5% = 34.5%. 90%: 34.5% + 49% = 83.5%.
  // 95%: 83.5% + 73.5% = 157%. 99%: 157% + 98% = 255%. All exact.
  EXPECT_EQ(curve.rate_at(ratio("0.35")), ratio("0.05"));
  EXPECT_EQ(curve.rate_at(ratio("0.85")), ratio("0.345"));
  EXPECT_EQ(curve.rate_at(ratio("0.9")), ratio("0.835"));
  EXPECT_EQ(curve.rate_at(ratio("0.95")), ratio("1.57"));
  EXPECT_EQ(curve.rate_at(ratio("0.99")), ratio("2.55"));
  // 80%: 10% + 24.5%·(0.10/0.15) = 26.3333…%; the published 26.33% is rounded to two places,
  // ours rounds up at 10^-12: 0.263333333334.
  EXPECT_EQ(curve.rate_at(ratio("0.8")), ratio("0.263333333334"));
  // 99.5%: 255% + 122.5% = 377.5% (not published; the rule's own breakpoint).
  EXPECT_EQ(curve.rate_at(ratio("0.995")), ratio("3.775"));
}

TEST_F(DriftMultiStage, MonotoneAndConvex) {
  // Slopes per segment: 1/7, 1.63, 9.8, 14.7, 24.5, 245, 245: non-decreasing, so convex; checked
  // on a 0.1% grid by second differences (>= −1 unit for the up-rounding).
  std::int64_t previous = -1;
  std::int64_t previous_step = 0;
  for (std::int64_t permille = 0; permille <= 1000; ++permille) {
    const std::int64_t rate = curve.rate_at(Ratio::from_raw(permille * 1'000'000'000)).raw();
    if (previous >= 0) {
      EXPECT_GE(rate, previous) << permille;
      EXPECT_GE(rate - previous, previous_step - 1) << permille;
      previous_step = rate - previous;
    }
    previous = rate;
  }
}

TEST(DriftCurve, MinRateFloor) {
  const RateCurve curve = curve_or_die(RateCurve::drift_multi_stage(ratio("0.7"), ratio("0.1"), ratio("5"), ratio("0.01")));
  EXPECT_EQ(curve.rate_at(ratio("0")), ratio("0.01"));
  // 5%: 0.1·0.05/0.7 = 0.00714285714285714… → up 0.007142857143, below the floor.
  EXPECT_EQ(curve.rate_at(ratio("0.05")), ratio("0.01"));
  EXPECT_EQ(curve.rate_at(ratio("0.35")), ratio("0.05"));
}

TEST(DriftCurve, OptimumAboveTheFirstBreakpoints) {
  // Optimum 90% at 20%, max 120%: breakpoints 85% and 90% are dropped; 95% carries the cumulative
  // 30%: 20% + 100%·0.30 = 50%; 99%: 20% + 50% = 70%; 99.5%: 95%; 100%: 120%.
  const RateCurve curve = curve_or_die(RateCurve::drift_multi_stage(ratio("0.9"), ratio("0.2"), ratio("1.2")));
  EXPECT_EQ(curve.points().size(), 6u);
  EXPECT_EQ(curve.rate_at(ratio("0.9")), ratio("0.2"));
  EXPECT_EQ(curve.rate_at(ratio("0.95")), ratio("0.5"));
  EXPECT_EQ(curve.rate_at(ratio("0.925")), ratio("0.35"));
  EXPECT_EQ(curve.rate_at(ratio("0.99")), ratio("0.7"));
  EXPECT_EQ(curve.rate_at(ratio("1")), ratio("1.2"));
}

// --- Mango v4 (research note (b): 2-kink curve × adaptive scaling, adj 0.004) -------------------

TEST(MangoCurve, TwoKinks) {
  // util0 0.7 / rate0 0.1, util1 0.85 / rate1 0.2, max 2.0.
  const RateCurve curve = curve_or_die(RateCurve::mango_two_kink(ratio("0.7"), ratio("0.1"), ratio("0.85"), ratio("0.2"), ratio("2")));
  // 0.5: 0.1·0.5/0.7 = 0.0714285714285714… → up 0.071428571429.
  EXPECT_EQ(curve.rate_at(ratio("0.5")), ratio("0.071428571429"));
  EXPECT_EQ(curve.rate_at(ratio("0.85")), ratio("0.2"));
  // 0.9: 0.2 + 1.8·0.05/0.15 = 0.8.
  EXPECT_EQ(curve.rate_at(ratio("0.9")), ratio("0.8"));
  EXPECT_EQ(curve.rate_at(ratio("1")), ratio("2"));
}

TEST(MangoScaling, StepsUpAboveTargetAndDownToOneBelow) {
  const AdaptiveScaling params{.target_utilization = ratio("0.7"), .adjustment = ratio("0.004")};
  ASSERT_TRUE(validate(params).ok());
  Ratio s = ratio("1");
  s = adapt_scaling(params, s, ratio("1"));  // f = 1: × 1.004
  EXPECT_EQ(s, ratio("1.004"));
  s = adapt_scaling(params, s, ratio("1"));  // 1.004² = 1.008016
  EXPECT_EQ(s, ratio("1.008016"));
  s = adapt_scaling(params, s, ratio("0.85"));  // f = 0.15/0.3 = 0.5: × 1.002 = 1.010032032
  EXPECT_EQ(s, ratio("1.010032032"));
  s = adapt_scaling(params, s, ratio("0"));  // f = −1: × 0.996 = 1.005991903872
  EXPECT_EQ(s, ratio("1.005991903872"));
  s = adapt_scaling(params, s, ratio("0"));  // × 0.996 = 1.001967936256512 → up 1.001967936257
  EXPECT_EQ(s, ratio("1.001967936257"));
  s = adapt_scaling(params, s, ratio("0"));  // 0.997960064511972 → floored at 1
  EXPECT_EQ(s, ratio("1"));
  s = adapt_scaling(params, s, ratio("0.35"));  // f = −0.5: stays at the floor
  EXPECT_EQ(s, ratio("1"));
  s = adapt_scaling(params, s, ratio("0.7"));  // at target: f = 0, unchanged
  EXPECT_EQ(s, ratio("1"));
}

TEST(MangoScaling, RoundsTowardTheHigherRateAndCaps) {
  const AdaptiveScaling params{.target_utilization = ratio("0.7"), .adjustment = ratio("0.004"),
                               .max_scaling = ratio("1.005")};
  // U 0.8: f = 0.1/0.3 → up 0.333333333334; 0.004·f = 0.001333333333336 → up 0.001333333334.
  EXPECT_EQ(adapt_scaling(params, ratio("1"), ratio("0.8")), ratio("1.001333333334"));
  // Below target, U 0.6: f = −0.1/0.7 = −0.142857142857142… → up −0.142857142857;
  // 0.004·f = −0.000571428571428 → up −0.000571428571; 1.002 × 0.999428571429 = 1.001427428571858
  // → up 1.001427428572.
  EXPECT_EQ(adapt_scaling(params, ratio("1.002"), ratio("0.6")), ratio("1.001427428572"));
  // 1.004 × 1.004 = 1.008016, above the cap 1.005.
  EXPECT_EQ(adapt_scaling(params, ratio("1.004"), ratio("1")), ratio("1.005"));
}

TEST(MangoScaling, ScaledRateUpAndCapped) {
  // The curve's 0.8 at U 0.9 × 1.004 = 0.8032; 0.071428571429 × 1.001 = 0.071500000000429 → up
  // 0.071500000001.
  EXPECT_EQ(scaled_rate(ratio("0.8"), ratio("1.004")), ratio("0.8032"));
  EXPECT_EQ(scaled_rate(ratio("0.071428571429"), ratio("1.001")), ratio("0.071500000001"));
  EXPECT_EQ(scaled_rate(kMaxRate, ratio("2")), kMaxRate);
}

TEST(MangoScaling, ValidatesParameters) {
  EXPECT_FALSE(validate(AdaptiveScaling{.target_utilization = ratio("0"), .adjustment = ratio("0.004")}).ok());
  EXPECT_FALSE(validate(AdaptiveScaling{.target_utilization = ratio("1"), .adjustment = ratio("0.004")}).ok());
  EXPECT_FALSE(validate(AdaptiveScaling{.target_utilization = ratio("0.7"), .adjustment = ratio("1")}).ok());
  EXPECT_FALSE(validate(AdaptiveScaling{.target_utilization = ratio("0.7"), .adjustment = ratio("0.004"),
                                        .max_scaling = ratio("0.9")})
                   .ok());
}

// --- utilization ------------------------------------------------------------------------------

TEST(Utilization, DebtOverCashPlusDebtInEitherDirection) {
  EXPECT_EQ(utilization(0, 0, Round::up), Ratio{});
  EXPECT_EQ(utilization(800, 200, Round::up), ratio("0.8"));
  EXPECT_EQ(utilization(1, 2, Round::up), ratio("0.333333333334"));
  EXPECT_EQ(utilization(1, 2, Round::down), ratio("0.333333333333"));
  EXPECT_EQ(utilization(5, 0, Round::down), ratio("1"));
}

}  // namespace
}  // namespace ballast::lending

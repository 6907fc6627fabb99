#include "ballast/pricing/dmath.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ballast/core/random.hpp"

namespace ballast::pricing::dmath {
namespace {

// Distance from `reference` (computed in long double, 64-bit mantissa) in units of the double
// ulp at the reference.
double ulps(double ours, long double reference) {
  const double rounded = static_cast<double>(reference);
  const double ulp = std::nextafter(std::fabs(rounded), HUGE_VAL) - std::fabs(rounded);
  return static_cast<double>(std::fabs(static_cast<long double>(ours) - reference) / ulp);
}

// e^(scale * x^2) in long double with x^2 split exactly (x = hi + lo, hi with 26 bits), since a
// plain x * x in long double loses up to x^2 * 2^-64 in the exponent.
long double exp_of_scaled_square(double x, long double scale) {
  const double hi = static_cast<double>(static_cast<float>(x));  // 24 significant bits
  const long double lo = static_cast<long double>(x) - hi;
  const long double hi_squared = static_cast<long double>(hi) * hi;
  const long double rest = 2.0L * hi * lo + lo * lo;
  return expl(scale * hi_squared) * expl(scale * rest);
}

// Draw i of a seeded stream, uniform in [lo, hi).
struct Uniform {
  CounterRng rng;
  double operator()(double lo, double hi) { return lo + (hi - lo) * rng.uniform(); }
};

TEST(DmathExp, ExactAndSpecialValues) {
  EXPECT_EQ(exp(0.0), 1.0);
  EXPECT_EQ(exp(-0.0), 1.0);
  EXPECT_EQ(exp(710.0), HUGE_VAL);
  EXPECT_EQ(exp(HUGE_VAL), HUGE_VAL);
  EXPECT_EQ(exp(-746.0), 0.0);
  EXPECT_EQ(exp(-HUGE_VAL), 0.0);
  EXPECT_TRUE(std::isnan(exp(std::nan(""))));
  EXPECT_EQ(exp(std::log(2.0) * 10), 1024.0);  // rounds to the exact power
  // Subnormal results round once: e^-745 is about 4.94e-324, the smallest subnormal.
  EXPECT_EQ(exp(-745.0), std::numeric_limits<double>::denorm_min());
  EXPECT_LE(ulps(exp(-720.5), expl(-720.5L)), 1.0);
}

TEST(DmathExp, WithinOneUlpOverTheRange) {
  Uniform draw{CounterRng(1, 1)};
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const double x = i % 2 ? draw(-708, 709) : draw(-1, 1);
    worst = std::max(worst, ulps(exp(x), expl(x)));
  }
  EXPECT_LE(worst, 1.0);
  RecordProperty("worst_ulps", std::to_string(worst));
}

TEST(DmathLog, ExactAndSpecialValues) {
  EXPECT_EQ(log(1.0), 0.0);
  EXPECT_EQ(log(0.0), -HUGE_VAL);
  EXPECT_EQ(log(HUGE_VAL), HUGE_VAL);
  EXPECT_TRUE(std::isnan(log(-1.0)));
  EXPECT_TRUE(std::isnan(log(-HUGE_VAL)));
  EXPECT_TRUE(std::isnan(log(std::nan(""))));
  EXPECT_LE(ulps(log(std::numeric_limits<double>::denorm_min()),
                 logl(static_cast<long double>(std::numeric_limits<double>::denorm_min()))),
            1.0);
  EXPECT_LE(ulps(log(2.0), logl(2.0L)), 0.5);
}

TEST(DmathLog, WithinOneUlpOverTheRange) {
  Uniform draw{CounterRng(1, 2)};
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const double x = i % 3 == 0   ? std::exp2(draw(-1074, 1023))
                     : i % 3 == 1 ? draw(0.5, 2.0)
                                  : 1.0 + draw(-1e-6, 1e-6);
    worst = std::max(worst, ulps(log(x), logl(x)));
  }
  EXPECT_LE(worst, 1.0);
  RecordProperty("worst_ulps", std::to_string(worst));
}

TEST(DmathErfcx, PairToTheTailEndWithinNineUlp) {
  Uniform draw{CounterRng(1, 4)};
  double worst = 0;
  for (int i = 0; i < 100000; ++i) {
    const double x1 = i % 2 ? draw(0, 5) : draw(0, 26.9);
    const double x2 = draw(0, 26.9);
    const Pair<double> pair = erfcx_to_tail_end_pair(x1, x2);
    worst = std::max(worst, ulps(pair.first, exp_of_scaled_square(x1, 1.0L) * erfcl(x1)));
    worst = std::max(worst, ulps(pair.second, exp_of_scaled_square(x2, 1.0L) * erfcl(x2)));
  }
  EXPECT_LE(worst, 9.0);
  RecordProperty("worst_ulps", std::to_string(worst));
}

TEST(DmathErfcx, WithinSevenUlp) {
  EXPECT_EQ(erfcx_nonnegative(HUGE_VAL), 0.0);
  Uniform draw{CounterRng(1, 3)};
  double worst = 0;
  for (int i = 0; i < 100000; ++i) {
    const double x = i % 2 ? draw(0, 5) : draw(0, 100);
    const long double reference = exp_of_scaled_square(x, 1.0L) * erfcl(x);
    worst = std::max(worst, ulps(erfcx_nonnegative(x), reference));
  }
  EXPECT_LE(worst, 7.0);
  RecordProperty("worst_ulps", std::to_string(worst));
}

TEST(DmathNormal, PublishedValues) {
  // Abramowitz & Stegun table 26.1 and the 1.96 / 2.326 quantiles.
  EXPECT_EQ(ncdf(0.0), 0.5);
  EXPECT_NEAR(ncdf(1.96), 0.9750021048517795, 1e-16);
  // At the double nearest the 1% quantile, N = 0.0100000000000000091530... (mpmath, 30 digits).
  EXPECT_NEAR(ncdf(-2.3263478740408408), 0.010000000000000009153, 4e-18);
  EXPECT_NEAR(npdf(0.0), 0.3989422804014327, 1e-17);
  EXPECT_NEAR(npdf(1.0), 0.24197072451914337, 1e-17);
  EXPECT_EQ(ncdf(-40.0), 0.0);
  // Flushed beyond |z| = 37 (true values below 6e-301), never subnormal.
  EXPECT_GT(ncdf(-37.0), 1e-301);
  EXPECT_EQ(ncdf(-37.01), 0.0);
  EXPECT_EQ(npdf(37.01), 0.0);
  EXPECT_GT(npdf(-37.0), 1e-299);
  EXPECT_EQ(ncdf(41.0), 1.0);
  EXPECT_EQ(ncdf(-HUGE_VAL), 0.0);
  EXPECT_EQ(ncdf(HUGE_VAL), 1.0);
  EXPECT_TRUE(std::isnan(ncdf(std::nan(""))));
}

TEST(DmathNormal, LowerTailKeepsRelativeAccuracy) {
  Uniform draw{CounterRng(1, 4)};
  double worst_tail = 0;
  double worst_upper = 0;
  for (int i = 0; i < 100000; ++i) {
    const double z = draw(-37, 0);
    const long double reference = 0.5L * erfcl(-static_cast<long double>(z) / sqrtl(2.0L));
    worst_tail = std::max(worst_tail, ulps(ncdf(z), reference));
    // Above 0 the CDF is 1 - tail: absolute accuracy, measured in ulps of 1.
    const double upper = draw(0, 10);
    const long double upper_reference = 0.5L * erfcl(-static_cast<long double>(upper) / sqrtl(2.0L));
    worst_upper = std::max(
        worst_upper, static_cast<double>(fabsl(ncdf(upper) - upper_reference)) / 0x1p-53);
  }
  EXPECT_LE(worst_tail, 8.0);
  EXPECT_LE(worst_upper, 4.0);  // 2^-51
  RecordProperty("worst_tail_ulps", std::to_string(worst_tail));
}

TEST(DmathNormal, DensityKeepsRelativeAccuracyFarOut) {
  Uniform draw{CounterRng(1, 5)};
  double worst = 0;
  for (int i = 0; i < 100000; ++i) {
    const double z = draw(-37, 37);
    const long double reference =
        exp_of_scaled_square(z, -0.5L) / sqrtl(2.0L * 3.14159265358979323846264L);
    worst = std::max(worst, ulps(npdf(z), reference));
  }
  EXPECT_LE(worst, 4.0);
}

}  // namespace
}  // namespace ballast::pricing::dmath

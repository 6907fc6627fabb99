#include "ballast/pricing/surface.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "ballast/core/random.hpp"
#include "ballast/pricing/svi_fit.hpp"

namespace ballast::pricing {
namespace {

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" lacks \"" << part << "\"";
}

// A skewed equity-like slice whose values at k = m and k = m + 0.15 are exact in binary
// (sqrt(0.15^2 + 0.2^2) = 0.25).
constexpr SviParams kSkewed{0.04, 0.4, -0.4, 0.1, 0.2};

// Axel Vogt's slice (Gatheral & Jacquier, "Arbitrage-free SVI volatility surfaces", Quantitative
// Finance 14(1), 2014, Example 3.1): valid raw SVI with butterfly arbitrage.
constexpr SviParams kVogt{-0.0410, 0.1331, 0.3060, 0.3586, 0.4153};

// SSVI with eta^2 (1 + |rho|) = 1.7 <= 4 and gamma = 1/2: theta phi^2 (1 + |rho|) <= 4 at every
// theta, so slices with theta phi (1 + |rho|) < 4 are free of butterfly arbitrage (GJ 2014
// Theorem 4.2).
constexpr SsviParams kSsvi{-0.7, 1.0, 0.5};

std::string error_of(const Outcome& outcome) {
  EXPECT_FALSE(outcome.ok());
  return outcome.ok() ? std::string() : outcome.error().message;
}

template <typename T>
std::string error_of(const Result<T>& result) {
  EXPECT_FALSE(result.ok());
  return result.ok() ? std::string() : result.error().message;
}

// ---- Raw SVI ----------------------------------------------------------------------------------

TEST(Svi, HandComputedValuesAndDerivatives) {
  // At k = m: w = a + b sigma, w' = b rho, w'' = b / sigma.
  const SlicePoint at_m = svi_point(kSkewed, 0.1);
  EXPECT_DOUBLE_EQ(at_m.w, 0.12);
  EXPECT_DOUBLE_EQ(at_m.dw, -0.16);
  EXPECT_DOUBLE_EQ(at_m.d2w, 2.0);
  // At k = 0.25: x = 0.15, root 0.25; w = 0.04 + 0.4 (-0.06 + 0.25), w' = 0.4 (-0.4 + 0.6),
  // w'' = 0.4 * 0.04 / 0.25^3.
  const SlicePoint off_m = svi_point(kSkewed, 0.25);
  EXPECT_NEAR(off_m.w, 0.116, 1e-16);
  EXPECT_NEAR(off_m.dw, 0.08, 1e-16);
  EXPECT_NEAR(off_m.d2w, 1.024, 1e-15);
  EXPECT_EQ(svi_total_variance(kSkewed, 0.25), off_m.w);
}

TEST(Svi, DerivativesMatchFiniteDifferences) {
  for (const SviParams& svi : {kSkewed, kVogt}) {
    for (double k = -2.0; k <= 2.0; k += 0.125) {
      constexpr double h = 1e-4;
      const double up = svi_total_variance(svi, k + h);
      const double down = svi_total_variance(svi, k - h);
      const SlicePoint point = svi_point(svi, k);
      EXPECT_NEAR(point.dw, (up - down) / (2 * h), 1e-7) << k;
      EXPECT_NEAR(point.d2w, (up - 2 * point.w + down) / (h * h), 1e-5) << k;
    }
  }
}

RC_GTEST_PROP(SviProperty, DerivativesMatchFiniteDifferences, ()) {
  const auto unit = [](int n) { return static_cast<double>(n) / 1000.0; };
  const SviParams svi{unit(*rc::gen::inRange(-50, 100)), unit(*rc::gen::inRange(0, 1000)),
                      unit(*rc::gen::inRange(-950, 951)), unit(*rc::gen::inRange(-500, 501)),
                      unit(*rc::gen::inRange(50, 1000))};
  const double k = unit(*rc::gen::inRange(-2000, 2001));
  constexpr double h = 1e-4;
  const SlicePoint point = svi_point(svi, k);
  const double up = svi_total_variance(svi, k + h);
  const double down = svi_total_variance(svi, k - h);
  // Central-difference truncation is h^2 w'''/6 and h^2 w''''/12; w''' ~ b / sigma^2.
  const double scale = svi.b / (svi.sigma * svi.sigma * svi.sigma);
  RC_ASSERT(std::abs(point.dw - (up - down) / (2 * h)) <= 1e-8 * (1 + scale));
  RC_ASSERT(std::abs(point.d2w - (up - 2 * point.w + down) / (h * h)) <= 1e-4 * (1 + scale));
}

TEST(Svi, ValidSlicesPass) {
  EXPECT_TRUE(check_svi(kSkewed).ok());
  EXPECT_TRUE(check_svi(kVogt).ok());
}

TEST(Svi, InvalidParametersAreNamed) {
  EXPECT_TRUE(contains(error_of(check_svi({0.04, -0.1, 0, 0, 0.1})),
                       "svi b must be non-negative, got -0.1"));
  EXPECT_TRUE(contains(error_of(check_svi({0.04, 0.1, 1.0, 0, 0.1})),
                       "svi rho must be strictly between -1 and 1, got 1"));
  EXPECT_TRUE(
      contains(error_of(check_svi({0.04, 0.1, 0, 0, 0})), "svi sigma must be positive, got 0"));
  EXPECT_TRUE(
      contains(error_of(check_svi({NAN, 0.1, 0, 0, 0.1})), "svi a must be finite, got nan"));
  // a + b sigma sqrt(1 - rho^2) = -0.05 + 0.1 * 0.1 * 1 = -0.04.
  EXPECT_TRUE(contains(error_of(check_svi({-0.05, 0.1, 0, 0, 0.1})),
                       "svi minimum total variance a + b*sigma*sqrt(1-rho^2) must be "
                       "non-negative, got -0.04"));
  // b (1 + rho) = 1.8 * 1.2 = 2.16 > 2.
  EXPECT_TRUE(contains(error_of(check_svi({0.04, 1.8, 0.2, 0, 0.1})),
                       "svi right wing slope b*(1+rho) must be at most 2, got 2.16"));
  EXPECT_TRUE(contains(error_of(check_svi({0.04, 1.8, -0.2, 0, 0.1})),
                       "svi left wing slope b*(1-rho) must be at most 2, got 2.16"));
}

// ---- SSVI -------------------------------------------------------------------------------------

TEST(Ssvi, PowerLawPhi) {
  // phi(0.04) = 1 / (0.04^0.5 * 1.04^0.5) = 1 / (0.2 sqrt(1.04)).
  EXPECT_NEAR(ssvi_phi(kSsvi, 0.04), 1.0 / (0.2 * std::sqrt(1.04)), 1e-14);
  // gamma = 1 leaves eta / theta; gamma = 0 leaves eta / (1 + theta).
  EXPECT_NEAR(ssvi_phi({0, 0.5, 1.0}, 0.25), 2.0, 1e-15);
  EXPECT_NEAR(ssvi_phi({0, 0.5, 0.0}, 0.25), 0.4, 1e-15);
}

TEST(Ssvi, AtTheMoneyTotalVarianceIsTheta) {
  // w(0, theta) = theta/2 (1 + sqrt(rho^2 + 1 - rho^2)) = theta.
  EXPECT_DOUBLE_EQ(ssvi_total_variance(kSsvi, 0.09, 0.0), 0.09);
}

TEST(Ssvi, SliceIsTheRawSviOfLemma) {
  for (const double theta : {0.01, 0.04, 0.3}) {
    const Result<SviParams> svi = ssvi_to_svi(kSsvi, theta);
    ASSERT_TRUE(svi.ok()) << svi.error().message;
    EXPECT_TRUE(check_svi(*svi).ok());
    for (double k = -1.5; k <= 1.5; k += 0.25) {
      EXPECT_NEAR(svi_total_variance(*svi, k), ssvi_total_variance(kSsvi, theta, k), 1e-15)
          << theta << " " << k;
    }
  }
}

TEST(Ssvi, SufficientConditionsAreChecked) {
  EXPECT_TRUE(check_ssvi_slice(kSsvi, 0.3).ok());
  // eta = 5, gamma = 1/2, theta = 1: phi = 5 / sqrt(2) = 3.54; theta phi^2 (1.7) = 21.25 > 4, and
  // theta phi (1.7) = 6.01 > 4 fails first.
  EXPECT_TRUE(contains(error_of(check_ssvi_slice({-0.7, 5.0, 0.5}, 1.0)),
                       "ssvi theta*phi*(1+|rho|) (Gatheral-Jacquier 2014 Theorem 4.2) at theta "
                       "1 must be below 4, got 6.01"));
  // eta = 3, theta = 0.01: theta phi (1.7) = 0.51 < 4, but theta phi^2 (1.7) = 15.1 > 4.
  EXPECT_TRUE(
      contains(error_of(check_ssvi_slice({-0.7, 3.0, 0.5}, 0.01)), "ssvi theta*phi^2*(1+|rho|)"));
  EXPECT_TRUE(contains(error_of(check_ssvi({-0.7, 1.0, 1.5})),
                       "ssvi gamma must be between 0 and 1, got 1.5"));
  EXPECT_TRUE(contains(error_of(check_ssvi({-0.7, 0.0, 0.5})),
                       "ssvi eta must be positive and finite, got 0"));
  EXPECT_TRUE(contains(error_of(ssvi_to_svi(kSsvi, -0.1)),
                       "ssvi theta must be positive and finite, got -0.1"));
}

// ---- Butterfly arbitrage ----------------------------------------------------------------------

TEST(Butterfly, SsviSliceIsArbitrageFree) {
  for (const double theta : {0.01, 0.04, 0.1, 0.3}) {
    const Result<SviParams> svi = ssvi_to_svi(kSsvi, theta);
    ASSERT_TRUE(svi.ok());
    const Result<ButterflyReport> report = check_butterfly(*svi, {-3.0, 3.0, 601});
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->arbitrage_free)
        << theta << ": g(" << report->worst_k << ") = " << report->worst_g;
    EXPECT_GT(report->worst_g, 0.0);
  }
}

TEST(Butterfly, VogtSliceHasArbitrage) {
  // GJ 2014 Figure 3: g dips below zero on the right of the money. Here g < 0 on k in
  // [0.65, 1.25] and is lowest, -0.0329, near k = 0.88 (grid step 0.01).
  const Result<ButterflyReport> report = check_butterfly(kVogt, {-2.0, 2.0, 401});
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->arbitrage_free);
  EXPECT_NEAR(report->worst_k, 0.88, 1e-12);
  EXPECT_NEAR(report->worst_g, -0.0328633, 1e-7);
  EXPECT_LT(butterfly_density(svi_point(kVogt, 0.65), 0.65), 0.0);
  EXPECT_GT(butterfly_density(svi_point(kVogt, 0.6), 0.6), 0.0);
}

TEST(Butterfly, DensityMatchesTheFormula) {
  // At k = m of kSkewed: w = 0.12, w' = -0.16, w'' = 2.
  const double k = 0.1;
  const double skew = 1.0 - k * -0.16 / (2 * 0.12);
  const double expected = skew * skew - 0.0064 * (1 / 0.12 + 0.25) + 1.0;
  EXPECT_NEAR(butterfly_density(svi_point(kSkewed, k), k), expected, 1e-14);
  EXPECT_EQ(butterfly_density({0.0, 0.1, 0.0}, 0.0), -HUGE_VAL);
}

TEST(Butterfly, BadGridIsRejected) {
  EXPECT_TRUE(contains(error_of(check_butterfly(kSkewed, {1.0, -1.0, 10})),
                       "grid k_min must be below k_max"));
  EXPECT_TRUE(contains(error_of(check_butterfly(kSkewed, {-1.0, 1.0, 1})),
                       "grid points must be at least 2, got 1"));
}

// ---- Surface ----------------------------------------------------------------------------------

VolSurface two_slice_surface() {
  Result<VolSurface> surface = VolSurface::make(
      {{0.25, 100.0, {0.01, 0.1, -0.5, 0.0, 0.1}}, {1.0, 104.0, {0.04, 0.15, -0.4, 0.05, 0.2}}});
  EXPECT_TRUE(surface.ok()) << surface.error().message;
  return std::move(surface).value();
}

TEST(Surface, ExactAtTheNodes) {
  const VolSurface surface = two_slice_surface();
  for (const SurfaceSlice& slice : surface.slices()) {
    EXPECT_EQ(surface.forward(slice.expiry_years), slice.forward);
    for (double k = -1.0; k <= 1.0; k += 0.25) {
      const double w = svi_total_variance(slice.svi, k);
      EXPECT_EQ(surface.total_variance(k, slice.expiry_years), w) << k;
      EXPECT_EQ(surface.vol_at_moneyness(k, slice.expiry_years), std::sqrt(w / slice.expiry_years));
    }
  }
}

TEST(Surface, LinearInTotalVarianceBetweenNodes) {
  const VolSurface surface = two_slice_surface();
  const auto slices = surface.slices();
  for (double k = -1.0; k <= 1.0; k += 0.25) {
    const double w1 = svi_total_variance(slices[0].svi, k);
    const double w2 = svi_total_variance(slices[1].svi, k);
    for (const double fraction : {0.25, 0.5, 0.75}) {
      const double t = 0.25 + 0.75 * fraction;
      EXPECT_NEAR(surface.total_variance(k, t), w1 + fraction * (w2 - w1), 1e-16) << k;
      EXPECT_NEAR(surface.vol_at_moneyness(k, t), std::sqrt((w1 + fraction * (w2 - w1)) / t),
                  1e-15);
    }
  }
}

TEST(Surface, FlatVolOutsideTheNodes) {
  const VolSurface surface = two_slice_surface();
  const auto slices = surface.slices();
  for (double k = -1.0; k <= 1.0; k += 0.5) {
    const double first_vol = surface.vol_at_moneyness(k, 0.25);
    const double last_vol = surface.vol_at_moneyness(k, 1.0);
    EXPECT_EQ(surface.vol_at_moneyness(k, 0.1), first_vol);
    EXPECT_EQ(surface.vol_at_moneyness(k, 0.0), first_vol);
    EXPECT_EQ(surface.vol_at_moneyness(k, 3.0), last_vol);
    EXPECT_NEAR(surface.total_variance(k, 0.1), first_vol * first_vol * 0.1, 1e-16);
    EXPECT_NEAR(surface.total_variance(k, 3.0), last_vol * last_vol * 3.0, 1e-15);
    EXPECT_EQ(surface.total_variance(k, 0.0), 0.0);
  }
  EXPECT_EQ(surface.forward(0.1), slices[0].forward);
  EXPECT_EQ(surface.forward(3.0), slices[1].forward);
}

TEST(Surface, ForwardIsLogLinearInExpiry) {
  const VolSurface surface = two_slice_surface();
  // Halfway in time from 100 to 104: the geometric mean.
  EXPECT_NEAR(surface.forward(0.625), std::sqrt(100.0 * 104.0), 1e-12);
}

TEST(Surface, VolByStrikeUsesTheForwardOfTheExpiry) {
  const VolSurface surface = two_slice_surface();
  const Result<double> vol = surface.vol(110.0, 0.625);
  ASSERT_TRUE(vol.ok());
  const double k = std::log(110.0 / surface.forward(0.625));
  EXPECT_NEAR(*vol, surface.vol_at_moneyness(k, 0.625), 1e-15);
  EXPECT_TRUE(contains(error_of(surface.vol(0.0, 0.5)), "strike must be positive and finite"));
  EXPECT_TRUE(contains(error_of(surface.vol(100.0, -1.0)),
                       "expiry_years must be non-negative and finite, got -1"));
}

TEST(Surface, BadSlicesAreRejected) {
  const SviParams svi{0.01, 0.1, -0.5, 0.0, 0.1};
  EXPECT_TRUE(contains(error_of(VolSurface::make({})), "at least one slice"));
  EXPECT_TRUE(contains(error_of(VolSurface::make({{0.5, 100, svi}, {0.5, 100, svi}})),
                       "slice 1: expiries must increase strictly, got 0.5 after 0.5"));
  EXPECT_TRUE(contains(error_of(VolSurface::make({{0.0, 100, svi}})),
                       "slice 0: expiry_years must be positive and finite, got 0"));
  EXPECT_TRUE(contains(error_of(VolSurface::make({{0.5, -100, svi}})),
                       "slice 0: forward must be positive and finite, got -100"));
  EXPECT_TRUE(contains(
      error_of(VolSurface::make({{0.5, 100, svi}, {1.0, 100, {0.01, 0.1, -0.5, 0.0, -1}}})),
      "slice 1: svi sigma must be positive, got -1"));
}

RC_GTEST_PROP(SurfaceProperty, InterpolationStaysBetweenTheNodes, ()) {
  const VolSurface surface = two_slice_surface();
  const double k = static_cast<double>(*rc::gen::inRange(-2000, 2001)) / 1000.0;
  const double t = 0.25 + 0.75 * static_cast<double>(*rc::gen::inRange(0, 1001)) / 1000.0;
  const auto slices = surface.slices();
  const double w1 = svi_total_variance(slices[0].svi, k);
  const double w2 = svi_total_variance(slices[1].svi, k);
  const double w = surface.total_variance(k, t);
  RC_ASSERT(w >= std::min(w1, w2));
  RC_ASSERT(w <= std::max(w1, w2));
}

// ---- Calendar arbitrage -----------------------------------------------------------------------

TEST(Calendar, SsviSurfaceWithRisingThetaIsFree) {
  const std::array<SsviNode, 4> nodes{
      {{0.05, 100, 0.01}, {0.25, 100.5, 0.04}, {0.5, 101, 0.1}, {1.0, 102, 0.3}}};
  const Result<VolSurface> surface = make_ssvi_surface(kSsvi, nodes);
  ASSERT_TRUE(surface.ok()) << surface.error().message;
  const Result<CalendarReport> report = check_calendar(*surface, {-3.0, 3.0, 601});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->arbitrage_free);
}

TEST(Calendar, CrossingSlicesAreReported) {
  // w_later - w_earlier = 0.0105 + 0.1 (-0.7 + 0.5) k = 0.0105 - 0.02 k: negative for k > 0.525,
  // so on a 0.01 grid the first violation is at k = 0.53.
  const Result<VolSurface> surface = VolSurface::make(
      {{0.25, 100, {0.02, 0.1, -0.5, 0.0, 0.1}}, {0.5, 100, {0.0305, 0.1, -0.7, 0.0, 0.1}}});
  ASSERT_TRUE(surface.ok());
  const Result<CalendarReport> report = check_calendar(*surface, {-1.0, 1.0, 201});
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->arbitrage_free);
  EXPECT_NEAR(report->k, 0.53, 1e-12);
  EXPECT_EQ(report->earlier_expiry_years, 0.25);
  EXPECT_EQ(report->later_expiry_years, 0.5);
  EXPECT_GT(report->earlier_w, report->later_w);
}

TEST(Calendar, DecreasingThetaIsReported) {
  const std::array<SsviNode, 2> nodes{{{0.25, 100, 0.05}, {0.5, 100, 0.04}}};
  const Result<VolSurface> surface = make_ssvi_surface(kSsvi, nodes);
  ASSERT_TRUE(surface.ok());
  const Result<CalendarReport> report = check_calendar(*surface, {-1.0, 1.0, 21});
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->arbitrage_free);
}

TEST(Calendar, BadSsviNodeIsNamed) {
  const std::array<SsviNode, 2> nodes{{{0.25, 100, 0.05}, {0.5, 100, 0.0}}};
  EXPECT_TRUE(contains(error_of(make_ssvi_surface(kSsvi, nodes)),
                       "node 1: ssvi theta must be positive and finite, got 0"));
}

// ---- Vol shocks -------------------------------------------------------------------------------

TEST(VolShock, ReproducesTheDeribitMultiplierTable) {
  // research/portfolio-margin.md section d, "Vol-shock multipliers (Deribit BTC: up 0.5, down
  // 0.25)": the multipliers to 4 decimals. vol = 1 keeps the min_vol_up floor out of the way.
  struct Row {
    double dte_days, up, down;
  };
  constexpr std::array<Row, 7> kTable{{{1, 2.3871, 0.3065},
                                       {2, 2.1267, 0.4367},
                                       {7, 1.7737, 0.6131},
                                       {14, 1.6284, 0.6858},
                                       {30, 1.5, 0.75},
                                       {90, 1.4335, 0.7833},
                                       {365, 1.3613, 0.8193}}};
  for (const Row& row : kTable) {
    const Result<ShockedVol> shocked = shock_vol(VolShockParams{}, 1.0, row.dte_days);
    ASSERT_TRUE(shocked.ok());
    EXPECT_NEAR(shocked->up, row.up, 0.5e-4) << row.dte_days;
    EXPECT_NEAR(shocked->down, row.down, 0.5e-4) << row.dte_days;
  }
  // At the pivot f = 1 exactly: ln(1) = 0 and e^0 = 1 in dmath.
  EXPECT_EQ(vol_shock_factor(VolShockParams{}, 30.0), 1.0);
}

TEST(VolShock, FloorsAndClamps) {
  const VolShockParams params;
  // DTE below the floor is the floor: same as 1 day.
  EXPECT_EQ(vol_shock_factor(params, 0.0), vol_shock_factor(params, 1.0));
  EXPECT_EQ(vol_shock_factor(params, 0.25), vol_shock_factor(params, 1.0));
  // 0.2 * 1.3613 = 0.272, below the 0.5 minimum for the up shock.
  EXPECT_EQ(shock_vol(params, 0.2, 365)->up, 0.5);
  // A down range above 1/f takes the vol to 0, not below.
  VolShockParams wide;
  wide.range_down = 0.5;  // 1 - 0.5 * 2.77 < 0 at DTE 1
  EXPECT_EQ(shock_vol(wide, 0.8, 1)->down, 0.0);
}

TEST(VolShock, BadInputIsNamed) {
  EXPECT_TRUE(
      contains(error_of(shock_vol({}, -0.1, 10)), "vol must be non-negative and finite, got -0.1"));
  EXPECT_TRUE(contains(error_of(shock_vol({}, 0.5, NAN)), "dte_days must be non-negative"));
  VolShockParams params;
  params.dte_floor_days = 0;
  EXPECT_TRUE(contains(error_of(check_vol_shock(params)),
                       "vol shock dte_floor_days must be positive and finite, got 0"));
}

RC_GTEST_PROP(VolShockProperty, UpAboveDownBelowAndFadingWithExpiry, ()) {
  const double vol = static_cast<double>(*rc::gen::inRange(0, 3000)) / 1000.0;
  const double dte = static_cast<double>(*rc::gen::inRange(0, 7300)) / 10.0;
  const VolShockParams params;
  const Result<ShockedVol> shocked = shock_vol(params, vol, dte);
  RC_ASSERT(shocked.ok());
  RC_ASSERT(shocked->up >= vol);
  RC_ASSERT(shocked->down <= vol);
  RC_ASSERT(shocked->down >= 0.0);
  RC_ASSERT(vol_shock_factor(params, dte + 1.0) <= vol_shock_factor(params, dte));
}

// ---- Smile dynamics under a spot move ---------------------------------------------------------

TEST(SmileDynamics, StickyStrikeAndStickyMoneynessDifferOnASkew) {
  const Result<VolSurface> surface = VolSurface::make({{0.25, 100.0, kSkewed}});
  ASSERT_TRUE(surface.ok());
  const double strike = 100.0;
  const double before = *surface->vol(strike, 0.25);
  // A 10% fall: sticky strike keeps the vol; sticky moneyness reads the smile at
  // k' = ln(100 / 90) = 0.105, up the negative skew, where vol is lower.
  const Result<double> sticky_strike =
      vol_after_spot_move(*surface, SmileDynamics::sticky_strike, strike, 0.25, -0.1);
  const Result<double> sticky_moneyness =
      vol_after_spot_move(*surface, SmileDynamics::sticky_moneyness, strike, 0.25, -0.1);
  ASSERT_TRUE(sticky_strike.ok());
  ASSERT_TRUE(sticky_moneyness.ok());
  EXPECT_EQ(*sticky_strike, before);
  const double k_moved = std::log(strike / 90.0);
  EXPECT_NEAR(*sticky_moneyness, std::sqrt(svi_total_variance(kSkewed, k_moved) / 0.25), 1e-15);
  EXPECT_LT(*sticky_moneyness, before - 0.01);
  // Without a move the two agree.
  EXPECT_EQ(*vol_after_spot_move(*surface, SmileDynamics::sticky_moneyness, strike, 0.25, 0.0),
            before);
  EXPECT_TRUE(contains(
      error_of(vol_after_spot_move(*surface, SmileDynamics::sticky_strike, strike, 0.25, -1.0)),
      "spot_move must be above -1 and finite, got -1"));
  EXPECT_STREQ(smile_dynamics_name(SmileDynamics::sticky_moneyness), "sticky_moneyness");
}

// ---- Calibration ------------------------------------------------------------------------------

std::vector<SmileQuote> vol_quotes(const SviParams& svi, double expiry_years, int count) {
  std::vector<SmileQuote> quotes;
  for (int i = 0; i < count; ++i) {
    const double k = -1.0 + 2.0 * static_cast<double>(i) / static_cast<double>(count - 1);
    quotes.push_back({k, std::sqrt(svi_total_variance(svi, k) / expiry_years)});
  }
  return quotes;
}

void expect_recovered(const SviParams& fitted, const SviParams& truth, double tolerance) {
  EXPECT_NEAR(fitted.a, truth.a, tolerance);
  EXPECT_NEAR(fitted.b, truth.b, tolerance);
  EXPECT_NEAR(fitted.rho, truth.rho, tolerance);
  EXPECT_NEAR(fitted.m, truth.m, tolerance);
  EXPECT_NEAR(fitted.sigma, truth.sigma, tolerance);
}

TEST(SviFit, RecoversExactParametersFromVols) {
  for (const SviParams& truth : {kSkewed, kVogt}) {
    const std::vector<SmileQuote> quotes = vol_quotes(truth, 0.5, 21);
    const Result<SviFit> fit = fit_svi(quotes, QuoteUnit::vol, 0.5);
    ASSERT_TRUE(fit.ok()) << fit.error().message;
    EXPECT_LT(fit->rmse_vol, 1e-8);
    EXPECT_LT(fit->max_abs_error_vol, 1e-8);
    expect_recovered(fit->svi, truth, 1e-6);
  }
}

TEST(SviFit, RecoversExactParametersFromTotalVariance) {
  const SsviParams ssvi = kSsvi;
  const SviParams truth = *ssvi_to_svi(ssvi, 0.1);
  std::vector<SmileQuote> quotes;
  for (int i = 0; i < 15; ++i) {
    const double k = -0.7 + 0.1 * static_cast<double>(i);
    quotes.push_back({k, svi_total_variance(truth, k)});
  }
  const Result<SviFit> fit = fit_svi(quotes, QuoteUnit::total_variance, 0.25);
  ASSERT_TRUE(fit.ok()) << fit.error().message;
  EXPECT_LT(fit->rmse_vol, 1e-8);
  expect_recovered(fit->svi, truth, 1e-6);
}

RC_GTEST_PROP(SviFitProperty, RecoversAnySliceInsideTheFitRegion, ()) {
  const auto unit = [](int n) { return static_cast<double>(n) / 1000.0; };
  const double rho = unit(*rc::gen::inRange(-950, 951));
  const double b = unit(*rc::gen::inRange(10, 1900)) / (1.0 + std::abs(rho));
  const double sigma = unit(*rc::gen::inRange(20, 1000));
  const double m = unit(*rc::gen::inRange(-500, 501));
  const double min_w = unit(*rc::gen::inRange(5, 100));
  const SviParams truth{min_w - b * sigma * std::sqrt(1.0 - rho * rho), b, rho, m, sigma};
  const double expiry_years = unit(*rc::gen::inRange(20, 2000));
  const Result<SviFit> fit =
      fit_svi(vol_quotes(truth, expiry_years, 21), QuoteUnit::vol, expiry_years);
  RC_ASSERT(fit.ok());
  RC_ASSERT(fit->rmse_vol < 1e-8);
}

TEST(SviFit, NoisyQuotesGiveAnRmseNearTheNoise) {
  const double expiry_years = 0.25;
  std::vector<SmileQuote> quotes = vol_quotes(kSkewed, expiry_years, 41);
  CounterRng rng(2024, 7);
  double noise_squares = 0;
  for (SmileQuote& quote : quotes) {
    const double noise = 0.01 * (rng.uniform() - 0.5);  // uniform +-0.5 vol point
    quote.value += noise;
    noise_squares += noise * noise;
  }
  const double noise_rms = std::sqrt(noise_squares / static_cast<double>(quotes.size()));
  const Result<SviFit> fit = fit_svi(quotes, QuoteUnit::vol, expiry_years);
  ASSERT_TRUE(fit.ok()) << fit.error().message;
  // 5 parameters fitted to 41 quotes absorb a little of the noise: sqrt(36/41) = 0.94 expected.
  EXPECT_LT(fit->rmse_vol, 1.02 * noise_rms);
  EXPECT_GT(fit->rmse_vol, 0.8 * noise_rms);
  EXPECT_GE(fit->max_abs_error_vol, fit->rmse_vol);
  EXPECT_LT(fit->max_abs_error_vol, 0.0075);
  EXPECT_TRUE(check_svi(fit->svi).ok());
}

TEST(SviFit, IsDeterministic) {
  std::vector<SmileQuote> quotes = vol_quotes(kVogt, 1.0, 17);
  quotes[3].value += 0.004;
  quotes[11].weight = 3.0;
  const Result<SviFit> first = fit_svi(quotes, QuoteUnit::vol, 1.0);
  const Result<SviFit> second = fit_svi(quotes, QuoteUnit::vol, 1.0);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->svi.a, second->svi.a);
  EXPECT_EQ(first->svi.m, second->svi.m);
  EXPECT_EQ(first->svi.sigma, second->svi.sigma);
  EXPECT_EQ(first->rmse_vol, second->rmse_vol);
  EXPECT_EQ(first->evaluations, second->evaluations);
}

TEST(SviFit, InvalidQuotesAreRejected) {
  std::vector<SmileQuote> quotes = vol_quotes(kSkewed, 0.5, 7);
  EXPECT_TRUE(contains(error_of(fit_svi(std::span(quotes).first(4), QuoteUnit::vol, 0.5)),
                       "svi fit needs at least 5 quotes, got 4"));
  EXPECT_TRUE(contains(error_of(fit_svi(quotes, QuoteUnit::vol, 0.0)),
                       "svi fit expiry_years must be positive and finite, got 0"));
  std::vector<SmileQuote> bad = quotes;
  bad[2].value = -0.2;
  EXPECT_TRUE(contains(error_of(fit_svi(bad, QuoteUnit::vol, 0.5)),
                       "svi fit quote 2: vol must be positive and finite, got -0.2"));
  EXPECT_TRUE(contains(error_of(fit_svi(bad, QuoteUnit::total_variance, 0.5)),
                       "svi fit quote 2: total variance must be positive and finite"));
  bad = quotes;
  bad[4].log_moneyness = NAN;
  EXPECT_TRUE(contains(error_of(fit_svi(bad, QuoteUnit::vol, 0.5)),
                       "svi fit quote 4: log_moneyness must be finite, got nan"));
  bad = quotes;
  bad[0].weight = 0;
  EXPECT_TRUE(contains(error_of(fit_svi(bad, QuoteUnit::vol, 0.5)),
                       "svi fit quote 0: weight must be positive and finite, got 0"));
  bad = quotes;
  for (SmileQuote& quote : bad) quote.log_moneyness = 0.1;
  EXPECT_TRUE(contains(error_of(fit_svi(bad, QuoteUnit::vol, 0.5)),
                       "must span more than one log_moneyness, all are at 0.1"));
}

}  // namespace
}  // namespace ballast::pricing

// Option marks (option_mark.hpp): ACT/365 year fractions, a Black-76 mark with both roundings
// against a closed form, expiry, input errors naming the instrument, and marks read from a
// surface per underlying.

#include "ballast/market/option_mark.hpp"
#include "ballast/market/testing/instruments.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>

namespace ballast::market {
namespace {

constexpr TimestampNs kNowNs = 1'700'000'000'000'000'000;
constexpr TimestampNs kDayNs = 86'400'000'000'000;

Instrument option(OptionKind kind, TimestampNs expiry_ns) {
  return testing::option({.id = InstrumentId{9}, .symbol = "BTC-1Y-100-C", .tick = "0.000000001", .lot = "1",
                          .expiry_ns = expiry_ns},
                         "100", kind);
}

TEST(YearFraction, Act365OnSeconds) {
  EXPECT_EQ(year_fraction_act365(kNowNs, kNowNs + 365 * kDayNs), 1.0);
  EXPECT_EQ(year_fraction_act365(kNowNs, kNowNs + 73 * kDayNs), 0.2);
  EXPECT_EQ(year_fraction_act365(kNowNs, kNowNs), 0.0);
  EXPECT_EQ(year_fraction_act365(kNowNs, kNowNs - 1), 0.0);  // expired: no time left
}

// At the money Black-76 is F (2 N(σ√T / 2) − 1) df: F = K = 100, T = 1, σ = 0.2 gives
// 100 (2 N(0.1) − 1) = 7.96556745540580...
TEST(OptionMark, AtTheMoneyWithBothRoundings) {
  const OptionMarket market{100.0, 1.0, kNowNs};
  const Instrument call = option(OptionKind::call, kNowNs + 365 * kDayNs);
  EXPECT_EQ(option_mark(call, market, 0.2, Round::down).value(), price("7.965567455"));
  EXPECT_EQ(option_mark(call, market, 0.2, Round::up).value(), price("7.965567456"));
  const Instrument put = option(OptionKind::put, kNowNs + 365 * kDayNs);
  EXPECT_EQ(option_mark(put, market, 0.2, Round::down).value(), price("7.965567455"));
}

TEST(OptionMark, AtAndAfterExpiryIsIntrinsic) {
  const Instrument call = option(OptionKind::call, kNowNs);
  EXPECT_EQ(option_mark(call, OptionMarket{110.0, 1.0, kNowNs}, 0.5, Round::down).value(), price("10"));
  EXPECT_EQ(option_mark(call, OptionMarket{90.0, 1.0, kNowNs + kDayNs}, 0.5, Round::up).value(), Price{});
}

TEST(OptionMark, BadInputsNameTheInstrument) {
  const Instrument call = option(OptionKind::call, kNowNs + kDayNs);
  const Result<Price> zero_forward = option_mark(call, OptionMarket{0.0, 1.0, kNowNs}, 0.2, Round::down);
  ASSERT_FALSE(zero_forward.ok());
  EXPECT_EQ(zero_forward.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(zero_forward.error().message.rfind("option mark of instrument 9 (BTC-1Y-100-C): ", 0), 0u)
      << zero_forward.error().message;
  EXPECT_NE(zero_forward.error().message.find("forward"), std::string::npos);
  const Result<Price> nan_vol = option_mark(call, OptionMarket{100.0, 1.0, kNowNs}, std::nan(""), Round::down);
  ASSERT_FALSE(nan_vol.ok());
  EXPECT_NE(nan_vol.error().message.find("vol"), std::string::npos);
  const Result<Price> huge = option_mark(call, OptionMarket{1e300, 1.0, kNowNs}, 0.2, Round::down);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find("beyond a Price"), std::string::npos) << huge.error().message;
}

pricing::VolSurface flat_surface(double vol) {
  // One raw SVI slice with b = 0: w(k) = a = vol² T at T = 1, the same at every strike.
  pricing::SurfaceSlice slice{1.0, 100.0, pricing::SviParams{vol * vol, 0.0, 0.0, 0.0, 0.1}};
  return pricing::VolSurface::make({slice}).value();
}

TEST(OptionMark, FromTheSurfaceOfTheUnderlying) {
  const OptionMarket market{100.0, 1.0, kNowNs};
  const Instrument call = option(OptionKind::call, kNowNs + 365 * kDayNs);
  const pricing::VolSurface surface = flat_surface(0.2);
  const double vol = surface.vol(100.0, 1.0).value();
  EXPECT_NEAR(vol, 0.2, 1e-15);
  EXPECT_EQ(option_mark(call, market, surface, Round::down).value(),
            option_mark(call, market, vol, Round::down).value());
  VolSurfaces surfaces;
  surfaces.set(AssetId{5}, flat_surface(0.5));
  surfaces.set(AssetId{2}, flat_surface(0.9));
  surfaces.set(AssetId{2}, surface);  // replaces
  EXPECT_EQ(surfaces.size(), 2u);
  EXPECT_EQ(surfaces.find(AssetId{3}), nullptr);
  EXPECT_EQ(option_mark(call, market, surfaces, Round::up).value(),
            option_mark(call, market, vol, Round::up).value());
  Instrument other = call;
  other.underlying = AssetId{3};
  const Result<Price> missing = option_mark(other, market, surfaces, Round::down);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  EXPECT_EQ(missing.error().message,
            "option mark of instrument 9 (BTC-1Y-100-C): no volatility surface for asset 3");
}

TEST(OptionMark, UpAndDownDifferByAtMostOneUnit) {
  const Instrument put = option(OptionKind::put, kNowNs + 30 * kDayNs);
  for (double forward = 50.0; forward <= 150.0; forward += 7.25) {
    const OptionMarket market{forward, 0.999, kNowNs};
    const Price down = option_mark(put, market, 0.7, Round::down).value();
    const Price up = option_mark(put, market, 0.7, Round::up).value();
    EXPECT_GE(up.raw() - down.raw(), 0);
    EXPECT_LE(up.raw() - down.raw(), 1);
  }
}

}  // namespace
}  // namespace ballast::market

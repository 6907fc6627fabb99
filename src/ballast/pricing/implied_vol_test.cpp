// Implied volatility (implied_vol.hpp): reference prices computed to 40 digits, Haug's published
// prices, round trips through price_black76 and price_bsm over a broad seeded grid (which print
// their worst case), validation messages, the zero-volatility limit, the batch against the
// scalar entry point bit for bit, and properties: monotone in the price, and a volatility that
// reprices the input.

#include "ballast/pricing/implied_vol.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ballast/core/random.hpp"
#include "ballast/pricing/black.hpp"

namespace ballast::pricing {
namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();

double implied(OptionKind kind, double price, double forward, double strike, double expiry,
               double discount) {
  const Result<double> vol = implied_vol_black76(kind, price, forward, strike, expiry, discount);
  EXPECT_TRUE(vol.ok()) << vol.error().message;
  return vol.ok() ? *vol : std::nan("");
}

std::string black76_error(OptionKind kind, double price, double forward, double strike,
                          double expiry, double discount) {
  const Result<double> vol = implied_vol_black76(kind, price, forward, strike, expiry, discount);
  EXPECT_FALSE(vol.ok());
  if (vol.ok()) return {};
  EXPECT_EQ(vol.error().code, ErrorCode::invalid_input);
  return vol.error().message;
}

std::string bsm_error(OptionKind kind, double price, double spot, double strike, double expiry,
                      double rate, double dividend) {
  const Result<double> vol = implied_vol_bsm(kind, price, spot, strike, expiry, rate, dividend);
  EXPECT_FALSE(vol.ok());
  if (vol.ok()) return {};
  EXPECT_EQ(vol.error().code, ErrorCode::invalid_input);
  return vol.error().message;
}

double ulp(double value) { return std::nextafter(std::abs(value), HUGE_VAL) - std::abs(value); }

// ---------------------------------------------------------------------------------------------
// Reference values.

struct ReferenceCase {
  OptionKind kind;
  double forward, strike, expiry, discount, vol;
  double price;  // exact Black-76 price of these doubles, rounded once
  double vega;
};

// Prices computed with mpmath 1.3 at 40 significant digits from the exact doubles shown
// (w df (F N(w d1) - K N(w d2))), then rounded once to double. The implied volatility must
// come back to within what the price's own rounding allows (half an ulp of it over vega) and a
// few ulps of the volatility.
TEST(ImpliedVolReference, FortyDigitPrices) {
  const ReferenceCase cases[] = {
      {OptionKind::call, 100.0, 100.0, 0.0027397260273972603, 0.9999, 0.01, 0.020879504931796824,
       2.08795044550958},  // at the money, one day, 1%: the small-t series
      {OptionKind::put, 100.0, 100.0, 3.0, 0.9, 3.0, 89.15627083865087,
       2.1279887428677458},  // at the money, s = 5.2: highest branch
      {OptionKind::call, 100.0, 100.000000001, 0.25, 1.0, 0.2, 3.9877611671944297,
       19.92219570483781},  // a hair out of the money
      {OptionKind::call, 100.0, 271.8281828459045, 0.1, 0.98, 0.147, 2.0848011040752888e-103,
       6.605512651660885e-100},  // x = -1, price near 1e-100: lowest branch
      {OptionKind::call, 100.0, 14841.31591025766, 1.0, 0.95, 0.35, 3.71539876258753e-45,
       2.1976386381390273e-42},  // x = -5, deep out of the money
      {OptionKind::put, 100.0, 0.6737946999085467, 2.0, 0.97, 0.8, 7.980336184645399e-06,
       0.00021969310463748975},  // x = 5, deep out-of-the-money put
      {OptionKind::call, 100.0, 60.0, 0.5, 0.99, 0.25, 39.607583242658976,
       0.3312783164980069},  // in the money: the price carries the intrinsic value
      {OptionKind::put, 100.0, 160.0, 0.5, 0.99, 0.6, 62.93716044640146,
       18.699353550317216},  // in-the-money put
      {OptionKind::call, 100.0, 120.0, 2.0, 0.9, 1.2, 51.05042997389386,
       38.58387614699797},  // out of the money, high volatility
      {OptionKind::put, 100.0, 90.0, 0.02, 1.0, 0.05, 7.328605354229168e-52,
       3.297733812628679e-48},  // short-dated, low volatility, 10% out of the money
  };
  for (const ReferenceCase& c : cases) {
    const double vol = implied(c.kind, c.price, c.forward, c.strike, c.expiry, c.discount);
    const double tolerance = 0.5 * ulp(c.price) / c.vega + 4.0 * kEpsilon * c.vol;
    EXPECT_NEAR(vol, c.vol, tolerance)
        << option_kind_name(c.kind) << " F=" << c.forward << " K=" << c.strike << " T=" << c.expiry;
  }
}

// Haug, "The Complete Guide to Option Pricing Formulas" (1998), the prices black_quantlib_test
// checks, published to 4 decimals: the volatility comes back to within half a unit of the last
// decimal over vega.
TEST(ImpliedVolReference, HaugPublishedPrices) {
  struct HaugCase {
    OptionKind kind;
    double strike, spot, dividend, rate, expiry, vol, price;
  };
  const HaugCase cases[] = {
      {OptionKind::call, 65.00, 60.00, 0.00, 0.08, 0.25, 0.30, 2.1334},
      {OptionKind::put, 95.00, 100.00, 0.05, 0.10, 0.50, 0.20, 2.4648},
      {OptionKind::put, 19.00, 19.00, 0.10, 0.10, 0.75, 0.28, 1.7011},  // Black-76 (q = r)
      {OptionKind::call, 1.60, 1.56, 0.08, 0.06, 0.50, 0.12, 0.0291},   // Garman-Kohlhagen
      {OptionKind::put, 70.00, 75.00, 0.05, 0.10, 0.50, 0.35, 4.0870},
      {OptionKind::call, 100.00, 110.00, 0.10, 0.10, 0.10, 0.35, 11.1381},
      {OptionKind::call, 100.00, 100.00, 0.10, 0.10, 0.50, 0.25, 6.6997},
      {OptionKind::put, 100.00, 90.00, 0.10, 0.10, 0.50, 0.35, 14.4452},
      {OptionKind::call, 40.00, 42.00, 0.08, 0.04, 0.75, 0.35, 5.0975},
  };
  for (const HaugCase& c : cases) {
    const Result<double> vol =
        implied_vol_bsm(c.kind, c.price, c.spot, c.strike, c.expiry, c.rate, c.dividend);
    ASSERT_TRUE(vol.ok()) << vol.error().message;
    const double vega =
        price_bsm({c.kind, c.spot, c.strike, c.expiry, c.rate, c.dividend, c.vol})->vega;
    EXPECT_NEAR(*vol, c.vol, 0.5e-4 / vega * 1.01) << "K=" << c.strike << " S=" << c.spot;
  }
}

// ---------------------------------------------------------------------------------------------
// Round trips over a seeded grid.

struct GridOption {
  OptionKind kind;
  double forward, strike, expiry, discount, vol;
};

double uniform(CounterRng& rng, double lo, double hi) { return lo + (hi - lo) * rng.uniform(); }

double log_uniform(CounterRng& rng, double lo, double hi) {
  return std::exp(uniform(rng, std::log(lo), std::log(hi)));
}

// ln(F/K) in [-6, 6] (a tenth of the draws within 1e-4 of the money), T from a day to 3 years,
// vol from 1% to 300%, calls and puts.
GridOption random_option(CounterRng& rng) {
  GridOption o;
  o.kind = rng.below(2) == 0 ? OptionKind::call : OptionKind::put;
  o.forward = log_uniform(rng, 1.0, 1000.0);
  const double log_moneyness =
      rng.below(10) == 0 ? uniform(rng, -1e-4, 1e-4) : uniform(rng, -6.0, 6.0);
  o.strike = o.forward * std::exp(-log_moneyness);
  o.expiry = log_uniform(rng, 1.0 / 365.0, 3.0);
  o.discount = uniform(rng, 0.8, 1.05);
  o.vol = log_uniform(rng, 0.01, 3.0);
  return o;
}

// What rounding already leaves uncertain in the volatility: the price is known to half an ulp
// of its larger term (an in-the-money price is mostly intrinsic value) and price_black76 rounds
// a few times more, so 8 ulps of the discounted forward and strike over vega.
double attainable(const GridOption& o, double vega) {
  return 8.0 * ulp(std::max(o.forward, o.strike) * o.discount) / vega;
}

TEST(ImpliedVolRoundTrip, Black76Grid) {
  CounterRng rng(20240611, 0);
  int checked = 0;
  int conditioned = 0;  // in the money, where the price's rounding exceeds 1e-10 of volatility
  double worst = 0.0;
  GridOption worst_option{};
  for (int i = 0; i < 200000; ++i) {
    const GridOption o = random_option(rng);
    const Greeks g =
        price_black76({o.kind, o.forward, o.strike, o.expiry, o.discount, o.vol}).value();
    if (g.vega < 1e-8 * o.forward) continue;  // the price barely depends on the volatility
    const double vol = implied(o.kind, g.price, o.forward, o.strike, o.expiry, o.discount);
    const double error = std::abs(vol - o.vol);
    const double limit = std::max(1e-10, attainable(o, g.vega));
    conditioned += limit > 1e-10 ? 1 : 0;
    ++checked;
    ASSERT_LE(error, limit) << option_kind_name(o.kind) << " F=" << o.forward << " K=" << o.strike
                            << " T=" << o.expiry << " df=" << o.discount << " vol=" << o.vol
                            << " -> " << vol;
    if (limit == 1e-10 && error > worst) {
      worst = error;
      worst_option = o;
    }
  }
  std::printf(
      "black76 round trip: %d options, worst |vol error| %.3g where 1e-10 applies "
      "(%s F=%g K=%g T=%g vol=%g); %d in the money held to their price's rounding\n",
      checked, worst, option_kind_name(worst_option.kind), worst_option.forward,
      worst_option.strike, worst_option.expiry, worst_option.vol, conditioned);
  EXPECT_GT(checked, 50000);
}

TEST(ImpliedVolRoundTrip, BsmGrid) {
  CounterRng rng(20240611, 1);
  for (int i = 0; i < 20000; ++i) {
    const GridOption o = random_option(rng);
    const double rate = uniform(rng, -0.02, 0.1);
    const double dividend = uniform(rng, -0.02, 0.1);
    const BsmInput in{o.kind, o.forward, o.strike, o.expiry, rate, dividend, o.vol};
    const Greeks g = price_bsm(in).value();
    if (g.vega < 1e-8 * o.forward) continue;
    const Result<double> vol =
        implied_vol_bsm(o.kind, g.price, o.forward, o.strike, o.expiry, rate, dividend);
    ASSERT_TRUE(vol.ok()) << vol.error().message;
    const double limit = std::max(1e-10, 8.0 * ulp(std::max(o.forward, o.strike)) / g.vega);
    ASSERT_LE(std::abs(*vol - o.vol), limit)
        << option_kind_name(o.kind) << " S=" << o.forward << " K=" << o.strike << " T=" << o.expiry
        << " r=" << rate << " q=" << dividend << " vol=" << o.vol;
  }
}

// A call and a put of the same strike whose prices satisfy parity imply the same volatility.
TEST(ImpliedVolRoundTrip, CallAndPutAgree) {
  const double forward = 100.0;
  const double discount = 0.97;
  for (const double strike : {50.0, 90.0, 100.0, 110.0, 200.0}) {
    const Greeks call =
        price_black76({OptionKind::call, forward, strike, 0.5, discount, 0.3}).value();
    const Greeks put =
        price_black76({OptionKind::put, forward, strike, 0.5, discount, 0.3}).value();
    EXPECT_NEAR(implied(OptionKind::call, call.price, forward, strike, 0.5, discount),
                implied(OptionKind::put, put.price, forward, strike, 0.5, discount), 1e-12)
        << "K=" << strike;
  }
}

// ---------------------------------------------------------------------------------------------
// Validation and the bounds.

TEST(ImpliedVolValidation, NamesTheFieldAndTheValue) {
  const OptionKind call = OptionKind::call;
  EXPECT_EQ(black76_error(call, std::nan(""), 100, 100, 1, 1), "price must be finite, got nan");
  EXPECT_EQ(black76_error(call, HUGE_VAL, 100, 100, 1, 1), "price must be finite, got inf");
  EXPECT_EQ(black76_error(call, -HUGE_VAL, 100, 100, 1, 1), "price must be finite, got -inf");
  EXPECT_EQ(black76_error(call, 5, -1, 100, 1, 1), "forward must be positive and finite, got -1");
  EXPECT_EQ(black76_error(call, 5, std::nan(""), 100, 1, 1),
            "forward must be positive and finite, got nan");
  EXPECT_EQ(black76_error(call, 5, 100, 0, 1, 1), "strike must be positive and finite, got 0");
  EXPECT_EQ(black76_error(call, 5, 100, HUGE_VAL, 1, 1),
            "strike must be positive and finite, got inf");
  EXPECT_EQ(black76_error(call, 5, 100, 100, 0, 1), "expiry must be positive and finite, got 0");
  EXPECT_EQ(black76_error(call, 5, 100, 100, -0.5, 1),
            "expiry must be positive and finite, got -0.5");
  EXPECT_EQ(black76_error(call, 5, 100, 100, 1, 0), "discount must be positive and finite, got 0");
  EXPECT_EQ(black76_error(call, 5, 100, 100, 1, std::nan("")),
            "discount must be positive and finite, got nan");
  EXPECT_EQ(black76_error(call, 5, 1e300, 100, 1, 1e10),
            "discounted forward forward*discount must be positive and finite, got inf");
  EXPECT_EQ(black76_error(call, 5, 100, 1e-300, 1, 1e-30),
            "discounted strike strike*discount must be positive and finite, got 0");

  EXPECT_EQ(bsm_error(call, std::nan(""), 100, 100, 1, 0, 0), "price must be finite, got nan");
  EXPECT_EQ(bsm_error(call, 5, 0, 100, 1, 0, 0), "spot must be positive and finite, got 0");
  EXPECT_EQ(bsm_error(call, 5, 100, -3, 1, 0, 0), "strike must be positive and finite, got -3");
  EXPECT_EQ(bsm_error(call, 5, 100, 100, 0, 0, 0), "expiry must be positive and finite, got 0");
  EXPECT_EQ(bsm_error(call, 5, 100, 100, 1, HUGE_VAL, 0), "rate must be finite, got inf");
  EXPECT_EQ(bsm_error(call, 5, 100, 100, 1, 0, std::nan("")), "dividend must be finite, got nan");
  EXPECT_EQ(bsm_error(call, 5, 100, 100, 1, 0, -1e4),
            "discounted forward spot*exp(-dividend*expiry) must be positive and finite, got inf");
}

TEST(ImpliedVolValidation, PriceOutsideTheAttainableRange) {
  const OptionKind call = OptionKind::call;
  const OptionKind put = OptionKind::put;
  EXPECT_EQ(black76_error(call, 0.5, 101.25, 100, 1, 1),
            "price 0.5 is below the intrinsic value 1.25");
  EXPECT_EQ(black76_error(put, 0.5, 100, 101.25, 1, 1),
            "price 0.5 is below the intrinsic value 1.25");
  EXPECT_EQ(black76_error(call, -0.25, 100, 150, 1, 1),
            "price -0.25 is below the intrinsic value 0");
  EXPECT_EQ(black76_error(call, 101, 100, 100, 1, 1),
            "price 101 is at or above the upper bound 100 (discounted forward for a call)");
  EXPECT_EQ(black76_error(call, 50, 100, 80, 1, 0.5),
            "price 50 is at or above the upper bound 50 (discounted forward for a call)");
  EXPECT_EQ(black76_error(put, 45, 100, 80, 1, 0.5),
            "price 45 is at or above the upper bound 40 (discounted strike for a put)");
  EXPECT_EQ(bsm_error(call, 0.5, 101.25, 100, 1, 0, 0),
            "price 0.5 is below the intrinsic value 1.25");
  EXPECT_EQ(bsm_error(put, 200, 100, 100, 1, 0, 0),
            "price 200 is at or above the upper bound 100 (discounted strike for a put)");

  // One ulp inside either bound is attainable: a finite volatility, the upper one large.
  const double below_upper = std::nextafter(100.0, 0.0);
  const double above_intrinsic = std::nextafter(1.25, HUGE_VAL);
  EXPECT_GT(implied(call, below_upper, 100, 100, 1, 1), 10.0);
  const double low = implied(call, above_intrinsic, 101.25, 100, 1, 1);
  EXPECT_TRUE(low >= 0.0 && low < 0.05) << low;
}

TEST(ImpliedVolValidation, ZeroAtTheIntrinsicValue) {
  EXPECT_EQ(implied(OptionKind::call, 0.0, 100, 120, 1, 0.9), 0.0);
  EXPECT_EQ(implied(OptionKind::put, 0.0, 100, 80, 1, 0.9), 0.0);
  EXPECT_EQ(implied(OptionKind::call, 1.25, 101.25, 100, 1, 1), 0.0);
  EXPECT_EQ(implied(OptionKind::put, 1.25, 100, 101.25, 2, 1), 0.0);
  EXPECT_EQ(implied_vol_bsm(OptionKind::call, 0.0, 100, 120, 1, 0.05, 0.01).value(), 0.0);
  // What the pricer returns at zero volatility comes back as zero, discounting included.
  for (const OptionKind kind : {OptionKind::call, OptionKind::put}) {
    for (const double strike : {70.0, 100.0, 130.0}) {
      const double price = price_black76({kind, 100, strike, 0.7, 0.93, 0.0})->price;
      EXPECT_EQ(implied(kind, price, 100, strike, 0.7, 0.93), 0.0)
          << option_kind_name(kind) << " K=" << strike;
    }
  }
}

// Moneyness to the limits of the double range, prices one ulp from either bound: always a
// finite, non-negative answer.
TEST(ImpliedVolValidation, ExtremeInputsStayFinite) {
  const double strikes[] = {1e-300, 1e-200, 1e-20, 0.5, 1.0, 2.0, 1e20, 1e200, 1e300};
  for (const OptionKind kind : {OptionKind::call, OptionKind::put}) {
    for (const double strike : strikes) {
      const double a = 1.0 * 0.9;
      const double b = strike * 0.9;
      const double intrinsic = std::max(kind == OptionKind::call ? a - b : b - a, 0.0);
      const double upper = kind == OptionKind::call ? a : b;
      for (const double price :
           {std::nextafter(intrinsic, HUGE_VAL), intrinsic + 0.5 * (upper - intrinsic),
            std::nextafter(upper, 0.0)}) {
        if (!(price > intrinsic && price < upper)) continue;  // no room between the bounds
        const Result<double> vol = implied_vol_black76(kind, price, 1.0, strike, 2.0, 0.9);
        ASSERT_TRUE(vol.ok()) << vol.error().message;
        EXPECT_TRUE(std::isfinite(*vol) && *vol >= 0.0)
            << option_kind_name(kind) << " K=" << strike << " price=" << price << " -> " << *vol;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The batch.

// Every path of the batch runs the same kernel on lanes: the scalar's bits, NaN and a count for
// the lanes that fail, across several blocks and a ragged tail.
TEST(ImpliedVolBatch, MatchesTheScalarBitForBit) {
  CounterRng rng(77, 0);
  std::vector<OptionKind> kind;
  std::vector<double> price, forward, strike, expiry, discount;
  for (int i = 0; i < 1003; ++i) {
    const GridOption o = random_option(rng);
    double p = price_black76({o.kind, o.forward, o.strike, o.expiry, o.discount, o.vol})->price;
    if (i % 97 == 0) p = -1.0;                                      // below the intrinsic value
    if (i % 101 == 0) p = o.forward * o.discount * 2.0 + o.strike;  // above the upper bound
    if (i % 103 == 0) p = std::nan("");
    kind.push_back(o.kind);
    price.push_back(p);
    forward.push_back(o.forward);
    strike.push_back(o.strike);
    expiry.push_back(i % 89 == 0 ? 0.0 : o.expiry);
    discount.push_back(o.discount);
  }
  for (const Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
    if (!isa_supported(isa)) continue;
    std::vector<double> vol(price.size());
    const std::size_t failures =
        implied_vol_black76_batch(kind, price, forward, strike, expiry, discount, vol, isa);
    std::size_t expected_failures = 0;
    for (std::size_t i = 0; i < price.size(); ++i) {
      const Result<double> one =
          implied_vol_black76(kind[i], price[i], forward[i], strike[i], expiry[i], discount[i]);
      if (!one.ok()) {
        ++expected_failures;
        EXPECT_TRUE(std::isnan(vol[i])) << isa_name(isa) << " " << i;
        continue;
      }
      EXPECT_EQ(std::memcmp(&vol[i], &*one, sizeof(double)), 0)
          << isa_name(isa) << " " << i << ": batch " << vol[i] << " scalar " << *one;
    }
    EXPECT_EQ(failures, expected_failures) << isa_name(isa);
    EXPECT_GT(expected_failures, 30U);
  }
}

TEST(ImpliedVolBatch, EmptyIsFine) {
  std::vector<double> none;
  EXPECT_EQ(implied_vol_black76_batch({}, none, none, none, none, none, none), 0U);
}

// ---------------------------------------------------------------------------------------------
// Properties.

struct Market {
  OptionKind kind;
  double forward, strike, expiry, discount;
};

rc::Gen<Market> markets() {
  return rc::gen::apply(
      [](bool put, double forward, double log_moneyness, double log_expiry, double discount) {
        return Market{put ? OptionKind::put : OptionKind::call, forward,
                      forward * std::exp(-log_moneyness), std::exp(log_expiry), discount};
      },
      rc::gen::arbitrary<bool>(),
      rc::gen::map(rc::gen::inRange(1, 100000), [](int v) { return v / 10.0; }),
      rc::gen::map(rc::gen::inRange(-8000, 8001), [](int v) { return v / 1000.0; }),
      rc::gen::map(rc::gen::inRange(-6000, 1100), [](int v) { return v / 1000.0; }),
      rc::gen::map(rc::gen::inRange(500, 1051), [](int v) { return v / 1000.0; }));
}

// A price a fraction u in (0, 1) of the way from the intrinsic value to the upper bound.
double price_at(const Market& m, double u) {
  const double a = m.forward * m.discount;
  const double b = m.strike * m.discount;
  const double intrinsic = std::max(m.kind == OptionKind::call ? a - b : b - a, 0.0);
  const double upper = m.kind == OptionKind::call ? a : b;
  return intrinsic + u * (upper - intrinsic);
}

// Higher price, higher (or, within rounding, equal) volatility.
RC_GTEST_PROP(ImpliedVolProperty, MonotoneInThePrice, ()) {
  const Market m = *markets();
  const double u1 = *rc::gen::inRange(1, 999999) / 1e6;
  const double u2 = *rc::gen::inRange(1, 999999) / 1e6;
  const double p1 = price_at(m, std::min(u1, u2));
  const double p2 = price_at(m, std::max(u1, u2));
  const Result<double> v1 =
      implied_vol_black76(m.kind, p1, m.forward, m.strike, m.expiry, m.discount);
  const Result<double> v2 =
      implied_vol_black76(m.kind, p2, m.forward, m.strike, m.expiry, m.discount);
  RC_ASSERT(v1.ok());
  RC_ASSERT(v2.ok());
  RC_ASSERT(*v1 <= *v2);
}

// Whatever the price, the volatility found reprices it to within rounding: the backward error,
// which unlike the volatility's error does not depend on vega.
RC_GTEST_PROP(ImpliedVolProperty, RepricesTheInput, ()) {
  const Market m = *markets();
  const double price = price_at(m, *rc::gen::inRange(1, 999999) / 1e6);
  const Result<double> vol =
      implied_vol_black76(m.kind, price, m.forward, m.strike, m.expiry, m.discount);
  RC_ASSERT(vol.ok());
  const double repriced =
      price_black76({m.kind, m.forward, m.strike, m.expiry, m.discount, *vol})->price;
  const double scale = std::max(m.forward, m.strike) * m.discount;
  RC_ASSERT(std::abs(repriced - price) <= 1e-14 * price + 16.0 * ulp(scale));
}

}  // namespace
}  // namespace ballast::pricing

// The scalar API: validation, identities between the models, every Greek against finite
// differences, the zero-volatility limit and coin-denominated Greeks. Accuracy against QuantLib
// and Haug's published values is in black_quantlib_test.cpp.

#include "ballast/pricing/black.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

namespace ballast::pricing {
namespace {

Greeks bsm(const BsmInput& input) {
  const Result<Greeks> greeks = price_bsm(input);
  EXPECT_TRUE(greeks.ok()) << greeks.error().message;
  return greeks.ok() ? *greeks : Greeks{};
}

Greeks black76(const Black76Input& input) {
  const Result<Greeks> greeks = price_black76(input);
  EXPECT_TRUE(greeks.ok()) << greeks.error().message;
  return greeks.ok() ? *greeks : Greeks{};
}

std::string bsm_error(const BsmInput& input) {
  const Result<Greeks> greeks = price_bsm(input);
  EXPECT_FALSE(greeks.ok());
  if (greeks.ok()) return {};
  EXPECT_EQ(greeks.error().code, ErrorCode::invalid_input);
  return greeks.error().message;
}

const BsmInput kCase{OptionKind::call, 105, 100, 0.5, 0.1, 0.1, 0.36};

TEST(BlackValidation, NamesTheFieldAndTheValue) {
  BsmInput input = kCase;
  input.spot = -1;
  EXPECT_EQ(bsm_error(input), "spot must be positive and finite, got -1");
  input = kCase;
  input.strike = 0;
  EXPECT_EQ(bsm_error(input), "strike must be positive and finite, got 0");
  input = kCase;
  input.expiry_years = -0.25;
  EXPECT_EQ(bsm_error(input), "expiry must be non-negative and finite, got -0.25");
  input = kCase;
  input.vol = std::nan("");
  EXPECT_EQ(bsm_error(input), "vol must be non-negative and finite, got nan");
  input = kCase;
  input.rate = HUGE_VAL;
  EXPECT_EQ(bsm_error(input), "rate must be finite, got inf");
  input = kCase;
  input.dividend = -HUGE_VAL;
  EXPECT_EQ(bsm_error(input), "dividend must be finite, got -inf");

  const Result<Greeks> bad_discount =
      price_black76({OptionKind::put, 100, 100, 1, 0, 0.2});
  ASSERT_FALSE(bad_discount.ok());
  EXPECT_EQ(bad_discount.error().message, "discount must be positive and finite, got 0");
  const Result<Greeks> bad_forward =
      price_black76({OptionKind::put, -1e-300, 100, 1, 1, 0.2});
  ASSERT_FALSE(bad_forward.ok());
  EXPECT_EQ(bad_forward.error().message,
            "forward must be positive and finite, got -1e-300");
}

TEST(BlackValidation, OverflowingResultIsAnError) {
  EXPECT_EQ(bsm_error({OptionKind::call, 100, 100, 10, -100, 0, 0.2}),
            "inputs out of range: the price or a Greek is not finite");
}

TEST(BlackIdentities, PutCallParity) {
  for (double strike : {50.0, 95.0, 105.0, 300.0}) {
    BsmInput call = kCase;
    call.strike = strike;
    BsmInput put = call;
    put.kind = OptionKind::put;
    const Greeks c = bsm(call);
    const Greeks p = bsm(put);
    const double forward_value = call.spot * std::exp(-call.dividend * call.expiry_years) -
                                 strike * std::exp(-call.rate * call.expiry_years);
    EXPECT_NEAR(c.price - p.price, forward_value, 1e-13 * call.spot) << strike;
    EXPECT_NEAR(c.delta - p.delta, std::exp(-call.dividend * call.expiry_years), 1e-15);
    EXPECT_NEAR(c.gamma, p.gamma, 1e-17);
    EXPECT_NEAR(c.vega, p.vega, 1e-13);
    EXPECT_NEAR(c.vanna, p.vanna, 1e-15);
    EXPECT_NEAR(c.volga, p.volga, 1e-12);
  }
}

// BSM on a spot is Black-76 on the forward S e^((r-q)T) with df = e^(-rT).
TEST(BlackIdentities, BsmIsBlack76OnTheForward) {
  for (OptionKind kind : {OptionKind::call, OptionKind::put}) {
    BsmInput spot_input = kCase;
    spot_input.kind = kind;
    spot_input.dividend = 0.03;
    const double t = spot_input.expiry_years;
    const double growth = std::exp((spot_input.rate - spot_input.dividend) * t);
    const Greeks on_spot = bsm(spot_input);
    const Greeks on_forward =
        black76({kind, spot_input.spot * growth, spot_input.strike, t,
                 std::exp(-spot_input.rate * t), spot_input.vol});
    EXPECT_NEAR(on_spot.price, on_forward.price, 1e-13);
    EXPECT_NEAR(on_spot.delta, on_forward.delta * growth, 1e-14);
    EXPECT_NEAR(on_spot.gamma, on_forward.gamma * growth * growth, 1e-15);
    EXPECT_NEAR(on_spot.vega, on_forward.vega, 1e-12);
    // Black-76 holds the forward fixed when r moves: rho = -T V.
    EXPECT_NEAR(on_forward.rho, -t * on_forward.price, 1e-13);
    EXPECT_EQ(on_forward.dividend_rho, 0.0);
  }
}

// Central difference of f at x with step h.
double slope(const std::function<double(double)>& f, double x, double h) {
  return (f(x + h) - f(x - h)) / (2 * h);
}

struct FieldCase {
  const char* name;
  double analytic;
  double numeric;
};

void expect_close(const FieldCase& c, double relative) {
  EXPECT_NEAR(c.analytic, c.numeric, relative * std::max(1.0, std::fabs(c.numeric))) << c.name;
}

TEST(BlackGreeks, BsmGreeksAreTheDerivativesOfThePrice) {
  for (OptionKind kind : {OptionKind::call, OptionKind::put}) {
    for (double strike : {60.0, 100.0, 140.0}) {
      BsmInput base = kCase;
      base.kind = kind;
      base.strike = strike;
      base.dividend = 0.04;
      const Greeks g = bsm(base);
      auto price_with = [&](auto field) {
        return [=](double value) {
          BsmInput moved = base;
          moved.*field = value;
          return bsm(moved).price;
        };
      };
      auto delta_with_vol = [&](double vol) {
        BsmInput moved = base;
        moved.vol = vol;
        return bsm(moved).delta;
      };
      auto vega_with_vol = [&](double vol) {
        BsmInput moved = base;
        moved.vol = vol;
        return bsm(moved).vega;
      };
      auto delta_with_spot = [&](double spot) {
        BsmInput moved = base;
        moved.spot = spot;
        return bsm(moved).delta;
      };
      const double t = base.expiry_years;
      for (const FieldCase& c : {
               FieldCase{"delta", g.delta, slope(price_with(&BsmInput::spot), base.spot, 1e-3)},
               FieldCase{"gamma", g.gamma, slope(delta_with_spot, base.spot, 1e-3)},
               FieldCase{"vega", g.vega, slope(price_with(&BsmInput::vol), base.vol, 1e-5)},
               // Time passing shortens the expiry.
               FieldCase{"theta", g.theta, -slope(price_with(&BsmInput::expiry_years), t, 1e-5)},
               FieldCase{"rho", g.rho, slope(price_with(&BsmInput::rate), base.rate, 1e-5)},
               FieldCase{"dividend_rho", g.dividend_rho,
                         slope(price_with(&BsmInput::dividend), base.dividend, 1e-5)},
               FieldCase{"vanna", g.vanna, slope(delta_with_vol, base.vol, 1e-5)},
               FieldCase{"volga", g.volga, slope(vega_with_vol, base.vol, 1e-5)},
           }) {
        expect_close(c, 1e-6);
      }
    }
  }
}

TEST(BlackGreeks, Black76GreeksAreTheDerivativesOfThePrice) {
  for (OptionKind kind : {OptionKind::call, OptionKind::put}) {
    const Black76Input base{kind, 1800, 2000, 0.75, 0.97, 0.65};
    const Greeks g = black76(base);
    auto with = [&](auto field, auto result) {
      return [=](double value) {
        Black76Input moved = base;
        moved.*field = value;
        return black76(moved).*result;
      };
    };
    const double t = base.expiry_years;
    const double r = -std::log(base.discount) / t;
    // rho: r moves the discount factor exp(-r T) with the forward held fixed.
    auto price_with_rate = [&](double rate) {
      Black76Input moved = base;
      moved.discount = std::exp(-rate * t);
      return black76(moved).price;
    };
    // theta: time passes at a fixed rate, so the discount factor grows as T shrinks.
    auto price_with_expiry = [&](double expiry) {
      Black76Input moved = base;
      moved.expiry_years = expiry;
      moved.discount = std::exp(-r * expiry);
      return black76(moved).price;
    };
    for (const FieldCase& c : {
             FieldCase{"delta", g.delta,
                       slope(with(&Black76Input::forward, &Greeks::price), base.forward, 1e-2)},
             FieldCase{"gamma", g.gamma,
                       slope(with(&Black76Input::forward, &Greeks::delta), base.forward, 1e-2)},
             FieldCase{"vega", g.vega,
                       slope(with(&Black76Input::vol, &Greeks::price), base.vol, 1e-6)},
             FieldCase{"theta", g.theta, -slope(price_with_expiry, t, 1e-6)},
             FieldCase{"rho", g.rho, slope(price_with_rate, r, 1e-6)},
             FieldCase{"vanna", g.vanna,
                       slope(with(&Black76Input::vol, &Greeks::delta), base.vol, 1e-6)},
             FieldCase{"volga", g.volga,
                       slope(with(&Black76Input::vol, &Greeks::vega), base.vol, 1e-6)},
         }) {
      expect_close(c, 1e-6);
    }
  }
}

TEST(BlackLimits, ZeroTotalVolatilityGivesDiscountedIntrinsicValue) {
  const double df = std::exp(-0.05 * 0.5);
  for (double vol : {0.0, 0.3}) {
    for (double expiry : {0.0, 0.5}) {
      if (vol * expiry != 0) continue;
      const double discount = expiry == 0 ? 1.0 : df;
      const Greeks itm_call = black76({OptionKind::call, 120, 100, expiry, discount, vol});
      EXPECT_DOUBLE_EQ(itm_call.price, discount * 20);
      EXPECT_EQ(itm_call.delta, discount);
      EXPECT_EQ(itm_call.gamma, 0.0);
      EXPECT_EQ(itm_call.vanna, 0.0);
      EXPECT_EQ(itm_call.volga, 0.0);
      const Greeks otm_put = black76({OptionKind::put, 120, 100, expiry, discount, vol});
      EXPECT_EQ(otm_put.price, 0.0);
      EXPECT_EQ(otm_put.delta, 0.0);
      const Greeks atm = black76({OptionKind::call, 100, 100, expiry, discount, vol});
      EXPECT_EQ(atm.price, 0.0);
      EXPECT_EQ(atm.delta, 0.5 * discount);
    }
  }
}

TEST(BlackLimits, DeepWingsStayFiniteAndOrdered) {
  const Greeks far_otm = bsm({OptionKind::call, 100, 1e6, 0.01, 0.05, 0, 0.2});
  EXPECT_EQ(far_otm.price, 0.0);
  EXPECT_EQ(far_otm.delta, 0.0);
  const Greeks far_itm = bsm({OptionKind::put, 100, 1e6, 1, 0, 0, 0.2});
  EXPECT_DOUBLE_EQ(far_itm.price, 1e6 - 100);
  EXPECT_DOUBLE_EQ(far_itm.delta, -1.0);
  // Prices rise with vol and fall (calls) with strike, far into the wings.
  double previous = 0;
  for (double vol = 0.01; vol < 3; vol *= 1.5) {
    const double price = bsm({OptionKind::call, 100, 400, 0.1, 0.01, 0, vol}).price;
    EXPECT_GE(price, previous) << vol;
    previous = price;
  }
}

TEST(CoinGreeks, AreTheDerivativesOfTheCoinValue) {
  const Black76Input base{OptionKind::call, 95776.67, 100000, 794852.0 / (365 * 86400.0),
                          0.996226, 0.4538};
  const Greeks quote = black76(base);
  const CoinGreeks coin = to_coin(quote, base.forward);
  auto coin_value = [&](double forward, double vol) {
    Black76Input moved = base;
    moved.forward = forward;
    moved.vol = vol;
    return black76(moved).price / forward;
  };
  const double f = base.forward;
  const double v = base.vol;
  EXPECT_DOUBLE_EQ(coin.coin.price, quote.price / f);
  EXPECT_NEAR(coin.coin.delta, (coin_value(f + 1, v) - coin_value(f - 1, v)) / 2,
              1e-6 * std::fabs(coin.coin.delta));
  EXPECT_NEAR(coin.coin.gamma,
              (coin_value(f + 10, v) - 2 * coin_value(f, v) + coin_value(f - 10, v)) / 100,
              1e-5 * std::fabs(coin.coin.gamma));
  EXPECT_NEAR(coin.coin.vega, (coin_value(f, v + 1e-6) - coin_value(f, v - 1e-6)) / 2e-6,
              1e-7 * coin.coin.vega);
  const double vanna_numeric = ((coin_value(f + 1, v + 1e-5) - coin_value(f - 1, v + 1e-5)) -
                                (coin_value(f + 1, v - 1e-5) - coin_value(f - 1, v - 1e-5))) /
                               (4 * 1e-5);
  EXPECT_NEAR(coin.coin.vanna, vanna_numeric, 1e-5 * std::fabs(coin.coin.vanna));
  // Deribit's coin delta: the option's delta less its coin value.
  EXPECT_DOUBLE_EQ(coin.delta_coin, quote.delta - quote.price / f);
  EXPECT_DOUBLE_EQ(coin.delta_coin, coin.coin.delta * f);
}

}  // namespace
}  // namespace ballast::pricing

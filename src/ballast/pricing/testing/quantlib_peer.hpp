#pragma once
// QuantLib as the test and benchmark peer of black.hpp. Linked only by tests and benchmarks;
// QuantLib's headers stay inside quantlib_peer.cpp so nothing else compiles against them.
//
// Both models go through QuantLib's AnalyticEuropeanEngine on a BlackScholesMertonProcess with
// flat Actual365Fixed continuously compounded curves and a BlackConstantVol, exercised on
// today + days. Expiries must therefore be whole days: expiry_years == days / 365.0, days >= 1.
// Black-76 is the same process with S = F and q = r = -ln(df) / T, so QuantLib's rho +
// dividend_rho is our Black-76 rho (-T V: the forward held, the discount factor moved).
//
// Price and Greeks come back as black.hpp's Greeks, whose units are QuantLib's. QuantLib computes
// no vanna or volga: those two fields are always 0 here and must not be compared.

#include <memory>

#include "ballast/pricing/black.hpp"

namespace ballast::pricing::peer {

// One set of QuantLib quotes, curves, process and engine built once; each call sets the quote
// values and recalculates the engine. This is how QuantLib is meant to be used for many
// valuations, so it is the fair way to benchmark it.
class QuantLibPeer {
 public:
  QuantLibPeer();
  ~QuantLibPeer();
  QuantLibPeer(const QuantLibPeer&) = delete;
  QuantLibPeer& operator=(const QuantLibPeer&) = delete;

  // QuantLib's price, delta, gamma, vega, theta, rho and dividendRho; vanna = volga = 0.
  Greeks bsm(const BsmInput& input);
  Greeks black76(const Black76Input& input);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// QuantLib's blackFormula (price only, no term structures): the cheapest QuantLib valuation.
// The BSM form builds the forward and discount factor from the inputs with std::exp.
double quantlib_black_formula(const Black76Input& input);
double quantlib_black_formula(const BsmInput& input);
// QuantLib's leanest path to price and Greeks: BlackCalculator on the forward, no engine, quotes
// or term structures (what a QuantLib user who cares about speed would call). vanna = volga = 0.
Greeks quantlib_black_calculator(const BsmInput& input);

// The accuracy quantlib_implied_vol asks of QuantLib's solver: an absolute bound on the total
// standard deviation vol sqrt(T) (its NewtonSafe stops once a step is below it; QuantLib's
// default is 1e-6). At 1e-12 it converges, without throwing, on every option of pricing_bench's
// books and black_quantlib_test's check.
inline constexpr double kQuantLibImpliedStdDevAccuracy = 1e-12;

// QuantLib's Black-76 implied volatility: blackFormulaImpliedStdDev (its own Corrado-Miller
// guess, then a safeguarded Newton solve on the out-of-the-money side to
// kQuantLibImpliedStdDevAccuracy in std dev, at most 100 evaluations) on the forward, strike,
// discount and kind of `input` (its vol is ignored), divided by sqrt(expiry_years). NaN where
// QuantLib throws (no bracket, no convergence, a price outside its bounds).
double quantlib_implied_vol(const Black76Input& input, double price);

}  // namespace ballast::pricing::peer

#pragma once
// QuantLib as the test and benchmark peer of black.hpp. Linked only by tests and benchmarks;
// QuantLib's headers stay inside quantlib_peer.cpp so nothing else compiles against them.
//
// Both models go through QuantLib's AnalyticEuropeanEngine on a BlackScholesMertonProcess with
// flat Actual365Fixed continuously compounded curves and a BlackConstantVol, exercised on
// today + days. Expiries must therefore be whole days: expiry_years == days / 365.0, days >= 1.
// Black-76 is the same process with S = F and q = r = -ln(df) / T, so QuantLib's rho +
// dividend_rho is our Black-76 rho (-T V: the forward held, the discount factor moved).

#include <memory>

#include "ballast/pricing/black.hpp"

namespace ballast::pricing::peer {

// What AnalyticEuropeanEngine reports, in black.hpp's units (QuantLib's are the same).
struct PeerGreeks {
  double price = 0;
  double delta = 0;
  double gamma = 0;
  double vega = 0;
  double theta = 0;
  double rho = 0;
  double dividend_rho = 0;
};

// One set of QuantLib quotes, curves, process and engine built once; each call sets the quote
// values and recalculates the engine. This is how QuantLib is meant to be used for many
// valuations, so it is the fair way to benchmark it.
class QuantLibPeer {
 public:
  QuantLibPeer();
  ~QuantLibPeer();
  QuantLibPeer(const QuantLibPeer&) = delete;
  QuantLibPeer& operator=(const QuantLibPeer&) = delete;

  PeerGreeks bsm(const BsmInput& input);
  PeerGreeks black76(const Black76Input& input);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// QuantLib's blackFormula (price only, no term structures): the cheapest QuantLib valuation.
// The BSM form builds the forward and discount factor from the inputs with std::exp.
double quantlib_black_formula(const Black76Input& input);
double quantlib_black_formula(const BsmInput& input);
// QuantLib's leanest path to price and Greeks: BlackCalculator on the forward, no engine, quotes
// or term structures (what a QuantLib user who cares about speed would call).
PeerGreeks quantlib_black_calculator(const BsmInput& input);

}  // namespace ballast::pricing::peer

// Our Black-Scholes-Merton and Black-76 against QuantLib 1.29 (AnalyticEuropeanEngine and
// blackFormula) over a broad seeded grid, and our Black-76 implied vol against its
// blackFormulaImpliedStdDev near the money; Haug's published values through our own functions;
// vanna and volga, which QuantLib does not compute, against finite differences of our delta and
// vega. Each grid test prints its worst case per quantity (|d|/tol <= 1 passes).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "ballast/core/random.hpp"
#include "ballast/pricing/black.hpp"
#include "ballast/pricing/implied_vol.hpp"
#include "ballast/pricing/testing/option_grid.hpp"
#include "ballast/pricing/testing/quantlib_peer.hpp"

namespace ballast::pricing {
namespace {

using peer::random_black76;
using peer::random_bsm;

constexpr int kGridSize = 20000;

std::string describe(const BsmInput& in) {
  char text[192];
  std::snprintf(text, sizeof text, "%s S=%.17g K=%.17g T=%.0fd vol=%.17g r=%.17g q=%.17g",
                option_kind_name(in.kind), in.spot, in.strike, in.expiry_years * 365.0, in.vol,
                in.rate, in.dividend);
  return text;
}

std::string describe(const Black76Input& in) {
  char text[192];
  std::snprintf(text, sizeof text, "%s F=%.17g K=%.17g T=%.0fd vol=%.17g df=%.17g",
                option_kind_name(in.kind), in.forward, in.strike, in.expiry_years * 365.0,
                in.vol, in.discount);
  return text;
}

// ---------------------------------------------------------------------------------------------
// The worst case of one quantity over a grid: |ours - reference| <= relative |reference| +
// absolute unit, where unit is the quantity's own scale (unit_scale below).

struct Tolerance {
  double relative;
  double absolute;
};

class Worst {
 public:
  Worst(std::string name, Tolerance tolerance) : name_(std::move(name)), tolerance_(tolerance) {}

  // Records one comparison; false when it is outside the tolerance.
  bool add(double ours, double reference, double unit, const std::string& where) {
    const double error = std::fabs(ours - reference);
    const double allowed = tolerance_.relative * std::fabs(reference) + tolerance_.absolute * unit;
    if (error / allowed > excess_) {
      excess_ = error / allowed;
      char values[96];
      std::snprintf(values, sizeof values, ": ours %.17g reference %.17g", ours, reference);
      where_ = where + values;
    }
    // The relative error where the value is material (at least 1e-6 of its unit).
    if (std::fabs(reference) >= 1e-6 * unit) {
      relative_ = std::max(relative_, error / std::fabs(reference));
    }
    failures_ += error <= allowed ? 0 : 1;
    return error <= allowed;
  }

  void print() const {
    std::printf("  %-12s worst |d|/tol %-9.3g worst relative %-9.3g failures %d\n"
                "               worst at %s\n",
                name_.c_str(), excess_, relative_, failures_, where_.c_str());
  }

 private:
  std::string name_;
  Tolerance tolerance_;
  double excess_ = 0;
  double relative_ = 0;
  int failures_ = 0;
  std::string where_;
};

// One Worst per quantity, printed when the test ends.
class Report {
 public:
  explicit Report(const char* title) : title_(title) {}
  Report(const Report&) = delete;
  Report& operator=(const Report&) = delete;
  ~Report() {
    std::printf("%s\n", title_);
    for (const Worst& worst : worst_) worst.print();
  }

  Worst& add(std::string name, Tolerance tolerance) {
    return worst_.emplace_back(std::move(name), tolerance);
  }

 private:
  const char* title_;
  std::deque<Worst> worst_;  // stable addresses
};

// ---------------------------------------------------------------------------------------------
// Against QuantLib: 1e-10 relative plus 1e-12 in the Greek's own unit: S for money per unit of
// something (price, vega, theta, rho), 1 for delta, 1/S for gamma. For S >= 1 that is never
// looser than a flat 1e-12 S.
//
// The absolute part is QuantLib's, not ours. QuantLib 1.29 computes N(x) as (1 + erf(x/sqrt 2))/2
// (an asymptotic series once that is below 1e-8) and a put's -N(-d) as N(d) - 1, so in the wings
// its values are right only to about 1e-16 S absolute: against a 40-digit evaluation of this grid
// (mpmath), its relative error reaches 6e-5 on values above 1e-12 of their unit where ours stays
// below 2e-12, and it values almost a quarter of the puts below zero (down to -1.1e-16 S).

constexpr Tolerance kVersusQuantLib{1e-10, 1e-12};

enum class Unit : unsigned char { money, delta, gamma };

double unit_scale(Unit unit, double underlying) {
  switch (unit) {
    case Unit::money: return underlying;
    case Unit::delta: return 1.0;
    case Unit::gamma: return 1.0 / underlying;
  }
  return 0.0;
}

// The Greeks QuantLib computes (the peer leaves vanna and volga at 0; they are checked against
// finite differences below).
struct Field {
  const char* name;  // QuantLib's
  double Greeks::*member;
  Unit unit;
};

constexpr Field kFields[] = {
    {"price", &Greeks::price, Unit::money},
    {"delta", &Greeks::delta, Unit::delta},
    {"gamma", &Greeks::gamma, Unit::gamma},
    {"vega", &Greeks::vega, Unit::money},
    {"theta", &Greeks::theta, Unit::money},
    {"rho", &Greeks::rho, Unit::money},
    {"dividendRho", &Greeks::dividend_rho, Unit::money},
};

class VersusQuantLib {
 public:
  explicit VersusQuantLib(const char* title) : report_(title) {
    for (const Field& field : kFields) worst_.push_back(&report_.add(field.name, kVersusQuantLib));
    black_formula_ = &report_.add("blackFormula", kVersusQuantLib);
  }

  void add(const Greeks& ours, const Greeks& quantlib, double black_formula, double underlying,
           const std::string& where) {
    for (std::size_t i = 0; i < std::size(kFields); ++i) {
      const Field& field = kFields[i];
      EXPECT_TRUE(worst_[i]->add(ours.*field.member, quantlib.*field.member,
                                 unit_scale(field.unit, underlying), where))
          << field.name << ": " << where << " ours " << ours.*field.member << " QuantLib "
          << quantlib.*field.member;
    }
    EXPECT_TRUE(black_formula_->add(ours.price, black_formula, underlying, where))
        << "blackFormula: " << where << " ours " << ours.price << " QuantLib " << black_formula;
  }

 private:
  Report report_;
  std::vector<Worst*> worst_;
  Worst* black_formula_;
};

TEST(BlackVersusQuantLib, BsmGrid) {
  CounterRng rng(20250102, 1);
  peer::QuantLibPeer quantlib;
  VersusQuantLib report("BSM vs QuantLib (AnalyticEuropeanEngine; blackFormula on F, df):");
  for (int i = 0; i < kGridSize; ++i) {
    const BsmInput in = random_bsm(rng);
    report.add(price_bsm(in).value(), quantlib.bsm(in), peer::quantlib_black_formula(in),
               in.spot, describe(in));
  }
}

// Black-76 through the BSM engine on S = F, q = r: QuantLib's rho + dividendRho is ours (the
// forward held), and ours has no dividend rho.
Greeks as_black76(Greeks quantlib) {
  quantlib.rho += quantlib.dividend_rho;
  quantlib.dividend_rho = 0;
  return quantlib;
}

TEST(BlackVersusQuantLib, Black76Grid) {
  CounterRng rng(20250102, 2);
  peer::QuantLibPeer quantlib;
  VersusQuantLib report("Black-76 vs QuantLib (engine on S = F, q = r; blackFormula):");
  for (int i = 0; i < kGridSize / 4; ++i) {
    const Black76Input in = random_black76(rng);
    report.add(price_black76(in).value(), as_black76(quantlib.black76(in)),
               peer::quantlib_black_formula(in), in.forward, describe(in));
  }
}

// ---------------------------------------------------------------------------------------------
// Implied volatility against QuantLib's blackFormulaImpliedStdDev, the peer of pricing_bench's
// BM_PeerQuantLib_ImpliedVol, so that the benchmark is known to time the same computation: 300
// Black-76 options of the grid within one total standard deviation of the money
// (|ln(F/K)| <= vol sqrt(T)), priced by price_black76 and inverted by both. QuantLib solves to
// kQuantLibImpliedStdDevAccuracy (1e-12) in vol sqrt(T), at most 2e-11 in vol on the grid's
// shortest expiry; the two must agree within 1e-8 in vol.

constexpr int kImpliedVolCases = 300;
constexpr Tolerance kImpliedVolVersusQuantLib{0, 1e-8};

TEST(ImpliedVolVersusQuantLib, NearTheMoneyBlack76) {
  CounterRng rng(20250102, 5);
  Report report("Black-76 implied vol vs QuantLib blackFormulaImpliedStdDev, near the money:");
  Worst& worst = report.add("impliedVol", kImpliedVolVersusQuantLib);
  int cases = 0;
  for (int draws = 0; cases < kImpliedVolCases && draws < kGridSize; ++draws) {
    const Black76Input in = random_black76(rng);
    if (std::fabs(std::log(in.forward / in.strike)) > in.vol * std::sqrt(in.expiry_years)) {
      continue;
    }
    ++cases;
    const double price = price_black76(in).value().price;
    const Result<double> ours = implied_vol_black76(in.kind, price, in.forward, in.strike,
                                                    in.expiry_years, in.discount);
    const double quantlib = peer::quantlib_implied_vol(in, price);
    const std::string where = describe(in);
    ASSERT_TRUE(ours.ok()) << where;
    EXPECT_TRUE(worst.add(*ours, quantlib, 1.0, where))
        << where << " ours " << *ours << " QuantLib " << quantlib;
  }
  EXPECT_EQ(cases, kImpliedVolCases);
}

// ---------------------------------------------------------------------------------------------
// Vanna (d delta / d vol) and volga (d vega / d vol), which QuantLib does not compute, against
// a 4-point central difference of our own delta and vega over vol: h = 1e-4 vol, truncation
// error O(h^4). Vanna and volga are the same for a call and a put (call delta - put delta =
// e^(-qT) does not move with vol), so the difference is taken on whichever side has the smaller
// |delta|: deep in the money, delta sits next to e^(-qT) and differencing it would cancel away
// the digits being tested. Tolerance 1e-6 relative plus 1e-14 of the unit (1 for vanna, S for
// volga): below that, in the far wings, the values are tiny and the difference's truncation
// error, which grows like (d1 d2 h / vol)^4, is no longer small.

constexpr Tolerance kVersusFiniteDifference{1e-6, 1e-14};

Greeks greeks_of(const BsmInput& in) { return price_bsm(in).value(); }
Greeks greeks_of(const Black76Input& in) { return price_black76(in).value(); }
double underlying_of(const BsmInput& in) { return in.spot; }
double underlying_of(const Black76Input& in) { return in.forward; }

template <typename Input>
Input out_of_the_money_side(const Input& in) {
  Input other = in;
  other.kind = in.kind == OptionKind::call ? OptionKind::put : OptionKind::call;
  return std::fabs(greeks_of(other).delta) < std::fabs(greeks_of(in).delta) ? other : in;
}

struct VolDerivatives {
  double vanna;
  double volga;
};

template <typename Input>
VolDerivatives finite_differences(const Input& option) {
  const Input in = out_of_the_money_side(option);
  const double h = 1e-4 * in.vol;
  const auto at = [&in](double vol) {
    Input bumped = in;
    bumped.vol = vol;
    return greeks_of(bumped);
  };
  const Greeks up = at(in.vol + h), down = at(in.vol - h);
  const Greeks up2 = at(in.vol + 2 * h), down2 = at(in.vol - 2 * h);
  const auto derivative = [&](double Greeks::*field) {
    return (8 * (up.*field - down.*field) - (up2.*field - down2.*field)) / (12 * h);
  };
  return {derivative(&Greeks::delta), derivative(&Greeks::vega)};
}

template <typename Input>
void check_vanna_volga(const char* title, Input (*random)(CounterRng&), std::uint64_t stream,
                       int size) {
  CounterRng rng(20250102, stream);
  Report report(title);
  Worst& vanna = report.add("vanna", kVersusFiniteDifference);
  Worst& volga = report.add("volga", kVersusFiniteDifference);
  for (int i = 0; i < size; ++i) {
    const Input in = random(rng);
    const Greeks ours = greeks_of(in);
    const VolDerivatives fd = finite_differences(in);
    const std::string where = describe(in);
    EXPECT_TRUE(vanna.add(ours.vanna, fd.vanna, 1.0, where))
        << "vanna: " << where << " ours " << ours.vanna << " fd " << fd.vanna;
    EXPECT_TRUE(volga.add(ours.volga, fd.volga, underlying_of(in), where))
        << "volga: " << where << " ours " << ours.volga << " fd " << fd.volga;
  }
}

TEST(BlackVolDerivatives, BsmMatchFiniteDifferences) {
  check_vanna_volga("BSM vanna/volga vs 4-point differences of our delta/vega:", &random_bsm, 3,
                    kGridSize);
}

TEST(BlackVolDerivatives, Black76MatchFiniteDifferences) {
  check_vanna_volga("Black-76 vanna/volga vs 4-point differences of our delta/vega:",
                    &random_black76, 4, kGridSize / 4);
}

// ---------------------------------------------------------------------------------------------
// Haug, "The Complete Guide to Option Pricing Formulas" (1998), as tabulated in QuantLib's
// test-suite/europeanoption.cpp (testValues, testGreekValues), to the 4 decimals published:
// prices and Greeks within 1e-4. QuantLib uses Actual360 with 360 t whole days, which are
// exactly these year fractions.

constexpr double kHaugTolerance = 1e-4;

struct HaugCase {
  OptionKind kind;
  double strike, spot, dividend, rate, expiry, vol, expected;
};

BsmInput bsm_of(const HaugCase& c) {
  return {c.kind, c.spot, c.strike, c.expiry, c.rate, c.dividend, c.vol};
}

constexpr OptionKind kCall = OptionKind::call;
constexpr OptionKind kPut = OptionKind::put;

TEST(BlackHaug, Prices) {
  const HaugCase cases[] = {
      {kCall, 65.00, 60.00, 0.00, 0.08, 0.25, 0.30, 2.1334},
      {kPut, 95.00, 100.00, 0.05, 0.10, 0.50, 0.20, 2.4648},
      {kPut, 19.00, 19.00, 0.10, 0.10, 0.75, 0.28, 1.7011},   // Black-76 on a future (q = r)
      {kCall, 19.00, 19.00, 0.10, 0.10, 0.75, 0.28, 1.7011},
      {kCall, 1.60, 1.56, 0.08, 0.06, 0.50, 0.12, 0.0291},    // Garman-Kohlhagen FX
      {kPut, 70.00, 75.00, 0.05, 0.10, 0.50, 0.35, 4.0870},
      {kCall, 100.00, 90.00, 0.10, 0.10, 0.10, 0.15, 0.0205},
      {kCall, 100.00, 110.00, 0.10, 0.10, 0.10, 0.35, 11.1381},
      {kCall, 100.00, 100.00, 0.10, 0.10, 0.50, 0.25, 6.6997},
      {kPut, 100.00, 100.00, 0.10, 0.10, 0.50, 0.25, 6.6997},
      {kPut, 100.00, 90.00, 0.10, 0.10, 0.50, 0.35, 14.4452},
      {kPut, 100.00, 110.00, 0.10, 0.10, 0.50, 0.35, 5.7963},
      {kPut, 100.00, 110.00, 0.10, 0.10, 0.10, 0.15, 0.0408},
      {kCall, 40.00, 42.00, 0.08, 0.04, 0.75, 0.35, 5.0975},
  };
  for (const HaugCase& c : cases) {
    EXPECT_NEAR(price_bsm(bsm_of(c))->price, c.expected, kHaugTolerance) << describe(bsm_of(c));
  }
}

TEST(BlackHaug, Greeks) {
  const HaugCase delta_call{kCall, 100.00, 105.00, 0.10, 0.10, 0.50, 0.36, 0.5946};
  const HaugCase delta_put{kPut, 100.00, 105.00, 0.10, 0.10, 0.50, 0.36, -0.3566};
  const HaugCase elasticity_put{kPut, 100.00, 105.00, 0.10, 0.10, 0.50, 0.36, -4.8775};
  const HaugCase gamma_call{kCall, 60.00, 55.00, 0.00, 0.10, 0.75, 0.30, 0.0278};
  const HaugCase gamma_put{kPut, 60.00, 55.00, 0.00, 0.10, 0.75, 0.30, 0.0278};
  const HaugCase vega_call{kCall, 60.00, 55.00, 0.00, 0.10, 0.75, 0.30, 18.9358};
  const HaugCase vega_put{kPut, 60.00, 55.00, 0.00, 0.10, 0.75, 0.30, 18.9358};
  const HaugCase theta_put{kPut, 405.00, 430.00, 0.05, 0.07, 1.0 / 12.0, 0.20, -31.1924};
  const HaugCase theta_per_day_put{kPut, 405.00, 430.00, 0.05, 0.07, 1.0 / 12.0, 0.20, -0.0855};
  const HaugCase rho_call{kCall, 75.00, 72.00, 0.00, 0.09, 1.00, 0.19, 38.7325};
  const HaugCase dividend_rho_put{kPut, 490.00, 500.00, 0.05, 0.08, 0.25, 0.15, 42.2254};

  const auto greeks = [](const HaugCase& c) { return price_bsm(bsm_of(c)).value(); };
  EXPECT_NEAR(greeks(delta_call).delta, delta_call.expected, kHaugTolerance);
  EXPECT_NEAR(greeks(delta_put).delta, delta_put.expected, kHaugTolerance);
  const Greeks put = greeks(elasticity_put);
  EXPECT_NEAR(put.delta * elasticity_put.spot / put.price, elasticity_put.expected,
              kHaugTolerance);
  EXPECT_NEAR(greeks(gamma_call).gamma, gamma_call.expected, kHaugTolerance);
  EXPECT_NEAR(greeks(gamma_put).gamma, gamma_put.expected, kHaugTolerance);
  EXPECT_NEAR(greeks(vega_call).vega, vega_call.expected, kHaugTolerance);
  EXPECT_NEAR(greeks(vega_put).vega, vega_put.expected, kHaugTolerance);
  EXPECT_NEAR(greeks(theta_put).theta, theta_put.expected, kHaugTolerance);
  // QuantLib's thetaPerDay is theta / 365.
  EXPECT_NEAR(greeks(theta_per_day_put).theta / 365.0, theta_per_day_put.expected,
              kHaugTolerance);
  EXPECT_NEAR(greeks(rho_call).rho, rho_call.expected, kHaugTolerance);
  EXPECT_NEAR(greeks(dividend_rho_put).dividend_rho, dividend_rho_put.expected, kHaugTolerance);
}

}  // namespace
}  // namespace ballast::pricing

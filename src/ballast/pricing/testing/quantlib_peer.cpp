#include "ballast/pricing/testing/quantlib_peer.hpp"

#include <ql/exercise.hpp>
#include <ql/instruments/payoffs.hpp>
#include <ql/instruments/vanillaoption.hpp>
#include <ql/pricingengines/blackcalculator.hpp>
#include <ql/pricingengines/blackformula.hpp>
#include <ql/pricingengines/vanilla/analyticeuropeanengine.hpp>
#include <ql/processes/blackscholesprocess.hpp>
#include <ql/quotes/simplequote.hpp>
#include <ql/termstructures/volatility/equityfx/blackconstantvol.hpp>
#include <ql/termstructures/yield/flatforward.hpp>
#include <ql/time/calendars/nullcalendar.hpp>
#include <ql/time/daycounters/actual365fixed.hpp>

#include <cmath>
#include <limits>

#include "ballast/core/assert.hpp"

namespace ballast::pricing::peer {
namespace {

namespace ql = QuantLib;

// Any fixed date: curves and vol are anchored on it, so QuantLib's global evaluation date
// never matters.
const ql::Date kToday(2, ql::January, 2025);

// The whole number of days QuantLib needs for an exercise date; the expiry must be exactly
// days / 365 so both sides see the same year fraction.
ql::Date::serial_type whole_days(double expiry_years) {
  const long days = std::lround(expiry_years * 365.0);
  BALLAST_ASSERT(days >= 1 && static_cast<double>(days) / 365.0 == expiry_years);
  return static_cast<ql::Date::serial_type>(days);
}

ql::Option::Type option_type(OptionKind kind) {
  return kind == OptionKind::put ? ql::Option::Put : ql::Option::Call;
}

ql::ext::shared_ptr<ql::YieldTermStructure> flat_curve(
    const ql::ext::shared_ptr<ql::SimpleQuote>& rate) {
  return ql::ext::make_shared<ql::FlatForward>(kToday, ql::Handle<ql::Quote>(rate),
                                               ql::Actual365Fixed(), ql::Continuous);
}

}  // namespace

struct QuantLibPeer::Impl {
  ql::ext::shared_ptr<ql::SimpleQuote> spot = ql::ext::make_shared<ql::SimpleQuote>(1.0);
  ql::ext::shared_ptr<ql::SimpleQuote> rate = ql::ext::make_shared<ql::SimpleQuote>(0.0);
  ql::ext::shared_ptr<ql::SimpleQuote> dividend = ql::ext::make_shared<ql::SimpleQuote>(0.0);
  ql::ext::shared_ptr<ql::SimpleQuote> vol = ql::ext::make_shared<ql::SimpleQuote>(0.0);
  ql::ext::shared_ptr<ql::AnalyticEuropeanEngine> engine = make_engine();

  ql::ext::shared_ptr<ql::AnalyticEuropeanEngine> make_engine() const {
    const auto vol_surface = ql::ext::make_shared<ql::BlackConstantVol>(
        kToday, ql::NullCalendar(), ql::Handle<ql::Quote>(vol), ql::Actual365Fixed());
    const auto process = ql::ext::make_shared<ql::BlackScholesMertonProcess>(
        ql::Handle<ql::Quote>(spot), ql::Handle<ql::YieldTermStructure>(flat_curve(dividend)),
        ql::Handle<ql::YieldTermStructure>(flat_curve(rate)),
        ql::Handle<ql::BlackVolTermStructure>(vol_surface));
    return ql::ext::make_shared<ql::AnalyticEuropeanEngine>(process);
  }

  // The engine's own protocol, which an instrument runs on NPV(): fill the arguments,
  // calculate, read the results. Going to the engine directly skips building an instrument per
  // option, the cost QuantLib users avoid by reusing objects; payoff and exercise are the option
  // itself and are made per call.
  Greeks value(OptionKind kind, double strike, double expiry_years) {
    auto* arguments = dynamic_cast<ql::VanillaOption::arguments*>(engine->getArguments());
    BALLAST_ASSERT(arguments != nullptr);
    arguments->payoff = ql::ext::make_shared<ql::PlainVanillaPayoff>(option_type(kind), strike);
    arguments->exercise =
        ql::ext::make_shared<ql::EuropeanExercise>(kToday + whole_days(expiry_years));
    arguments->validate();
    engine->reset();
    engine->calculate();
    const auto* results = dynamic_cast<const ql::VanillaOption::results*>(engine->getResults());
    BALLAST_ASSERT(results != nullptr);
    Greeks greeks;
    greeks.price = results->value;
    greeks.delta = results->delta;
    greeks.gamma = results->gamma;
    greeks.vega = results->vega;
    greeks.theta = results->theta;
    greeks.rho = results->rho;
    greeks.dividend_rho = results->dividendRho;
    return greeks;
  }
};

QuantLibPeer::QuantLibPeer() : impl_(std::make_unique<Impl>()) {}
QuantLibPeer::~QuantLibPeer() = default;

Greeks QuantLibPeer::bsm(const BsmInput& input) {
  impl_->spot->setValue(input.spot);
  impl_->rate->setValue(input.rate);
  impl_->dividend->setValue(input.dividend);
  impl_->vol->setValue(input.vol);
  return impl_->value(input.kind, input.strike, input.expiry_years);
}

Greeks QuantLibPeer::black76(const Black76Input& input) {
  // A forward is a spot whose yield equals the rate: F e^(-qT) / e^(-rT) = F.
  const double rate = -std::log(input.discount) / input.expiry_years;
  return bsm({input.kind, input.forward, input.strike, input.expiry_years, rate, rate, input.vol});
}

double quantlib_black_formula(const Black76Input& input) {
  return ql::blackFormula(option_type(input.kind), input.strike, input.forward,
                          input.vol * std::sqrt(input.expiry_years), input.discount);
}

double quantlib_black_formula(const BsmInput& input) {
  const double t = input.expiry_years;
  const double discount = std::exp(-input.rate * t);
  const double forward = input.spot * std::exp((input.rate - input.dividend) * t);
  return quantlib_black_formula(
      Black76Input{input.kind, forward, input.strike, t, discount, input.vol});
}

Greeks quantlib_black_calculator(const BsmInput& input) {
  const double t = input.expiry_years;
  const double rate_discount = std::exp(-input.rate * t);
  const double forward = input.spot * std::exp(-input.dividend * t) / rate_discount;
  const ql::BlackCalculator calculator(option_type(input.kind), input.strike, forward,
                                       input.vol * std::sqrt(t), rate_discount);
  Greeks greeks;
  greeks.price = calculator.value();
  greeks.delta = calculator.delta(input.spot);
  greeks.gamma = calculator.gamma(input.spot);
  greeks.vega = calculator.vega(t);
  greeks.theta = calculator.theta(input.spot, t);
  greeks.rho = calculator.rho(t);
  greeks.dividend_rho = calculator.dividendRho(t);
  return greeks;
}

double quantlib_implied_vol(const Black76Input& input, double price) {
  try {
    const double std_dev = ql::blackFormulaImpliedStdDev(
        option_type(input.kind), input.strike, input.forward, price, input.discount,
        /*displacement=*/0.0, /*guess=*/ql::Null<ql::Real>(), kQuantLibImpliedStdDevAccuracy);
    return std_dev / std::sqrt(input.expiry_years);
  } catch (const ql::Error&) {
    return std::numeric_limits<double>::quiet_NaN();
  }
}

}  // namespace ballast::pricing::peer

#include "ballast/pricing/black.hpp"

#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

#include "ballast/core/assert.hpp"
#include "ballast/pricing/black_kernel.hpp"

namespace ballast::pricing {
namespace {

Greeks to_greeks(const dmath::GreeksLanes<double>& lanes) {
  return {lanes.price, lanes.delta,        lanes.gamma, lanes.vega, lanes.theta,
          lanes.rho,   lanes.dividend_rho, lanes.vanna, lanes.volga};
}

enum class Bound : unsigned char { any, non_negative, positive };

// "strike must be positive and finite, got -1"
Outcome check_field(const char* name, double value, Bound bound) {
  const bool finite = std::isfinite(value);
  const bool in_bound = bound == Bound::any || (bound == Bound::non_negative && value >= 0) ||
                        (bound == Bound::positive && value > 0);
  if (finite && in_bound) return Ok{};
  const char* wanted = bound == Bound::positive       ? "positive and finite"
                       : bound == Bound::non_negative ? "non-negative and finite"
                                                      : "finite";
  return invalid_field(name, value, wanted);
}

Outcome check_fields(std::initializer_list<std::pair<const char*, std::pair<double, Bound>>> fields) {
  for (const auto& [name, value_bound] : fields) {
    Outcome checked = check_field(name, value_bound.first, value_bound.second);
    if (!checked) return checked;
  }
  return Ok{};
}

// Valid inputs can still overflow (e^(-rT) for a rate of -100 over 10 years): say so rather than
// hand infinities to a margin calculation.
Result<Greeks> finite_or_error(const Greeks& g) {
  for (double value : {g.price, g.delta, g.gamma, g.vega, g.theta, g.rho, g.dividend_rho, g.vanna,
                       g.volga}) {
    if (!std::isfinite(value)) {
      return make_error(ErrorCode::invalid_input,
                        "inputs out of range: the price or a Greek is not finite");
    }
  }
  return g;
}

}  // namespace

std::string shortest_digits(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  BALLAST_ASSERT(ec == std::errc{});
  return std::string(buffer, end);
}

Error invalid_field(const char* name, double value, const char* wanted) {
  return make_error(ErrorCode::invalid_input,
                    std::string(name) + " must be " + wanted + ", got " + shortest_digits(value));
}

const char* option_kind_name(OptionKind kind) noexcept {
  return kind == OptionKind::put ? "put" : "call";
}

Outcome check_bsm(const BsmInput& input) {
  return check_fields({{"spot", {input.spot, Bound::positive}},
                       {"strike", {input.strike, Bound::positive}},
                       {"expiry", {input.expiry_years, Bound::non_negative}},
                       {"rate", {input.rate, Bound::any}},
                       {"dividend", {input.dividend, Bound::any}},
                       {"vol", {input.vol, Bound::non_negative}}});
}

Outcome check_black76(const Black76Input& input) {
  return check_fields({{"forward", {input.forward, Bound::positive}},
                       {"strike", {input.strike, Bound::positive}},
                       {"expiry", {input.expiry_years, Bound::non_negative}},
                       {"discount", {input.discount, Bound::positive}},
                       {"vol", {input.vol, Bound::non_negative}}});
}

Result<Greeks> price_bsm(const BsmInput& input) {
  if (Outcome checked = check_bsm(input); !checked) return std::move(checked).error();
  const auto lanes = dmath::bsm_lanes(omega_of(input.kind), input.spot, input.strike,
                                      input.expiry_years, input.rate, input.dividend, input.vol);
  return finite_or_error(to_greeks(dmath::black_greeks<dmath::Model::bsm>(lanes)));
}

Result<Greeks> price_black76(const Black76Input& input) {
  if (Outcome checked = check_black76(input); !checked) return std::move(checked).error();
  const auto lanes = dmath::black76_lanes(omega_of(input.kind), input.forward, input.strike,
                                          input.expiry_years, input.discount, input.vol);
  return finite_or_error(to_greeks(dmath::black_greeks<dmath::Model::black76>(lanes)));
}

CoinGreeks to_coin(const Greeks& quote, double underlying) noexcept {
  // C = V / U. Derivatives in U follow the quotient rule; the others just divide by U.
  const double u = underlying;
  const double c = quote.price / u;
  CoinGreeks out;
  out.coin.price = c;
  out.coin.delta = (quote.delta - c) / u;
  out.coin.gamma = (quote.gamma - 2.0 * out.coin.delta) / u;
  out.coin.vega = quote.vega / u;
  out.coin.theta = quote.theta / u;
  out.coin.rho = quote.rho / u;
  out.coin.dividend_rho = quote.dividend_rho / u;
  out.coin.vanna = (quote.vanna - out.coin.vega) / u;
  out.coin.volga = quote.volga / u;
  out.delta_coin = quote.delta - c;
  return out;
}

}  // namespace ballast::pricing

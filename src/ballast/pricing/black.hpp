#pragma once
// Black-Scholes-Merton and Black-76 for European calls and puts: price and Greeks.
//
// Conventions (DESIGN 4.2, QuantLib's): delta = dV/dS (or dV/dF), gamma = d2V/dS2, vega per 1.00
// of volatility, theta = dV/dt per year of calendar time passing (= -dV/dT), rho per 1.00 of rate.
// Times are year fractions (ACT/365 on seconds upstream); rates and yields are continuously
// compounded decimals.
//
// Every number here comes from the deterministic kernel in black_kernel.hpp, so the scalar
// functions below and the batch kernels in black_batch.hpp return identical bits.

#include <cstdint>
#include <string>

#include "ballast/core/result.hpp"

namespace ballast::pricing {

enum class OptionKind : std::uint8_t { call, put };

const char* option_kind_name(OptionKind kind) noexcept;

// +1 for calls, -1 for puts: the sign w every pricing kernel carries.
inline double omega_of(OptionKind kind) noexcept { return kind == OptionKind::put ? -1.0 : 1.0; }

// The shortest digits that read back to the same double ("0.1", "-1e-300", "nan", "inf").
std::string shortest_digits(double value);
// The message of every pricing input check: "strike must be positive and finite, got -5".
Error invalid_field(const char* name, double value, const char* wanted);

// Black-Scholes-Merton on a spot: rate r, dividend (or borrow, or foreign rate) yield q.
struct BsmInput {
  OptionKind kind = OptionKind::call;
  double spot = 0;
  double strike = 0;
  double expiry_years = 0;
  double rate = 0;
  double dividend = 0;
  double vol = 0;
};

// Black-76 on a forward (or future) with the discount factor to the payment date.
struct Black76Input {
  OptionKind kind = OptionKind::call;
  double forward = 0;
  double strike = 0;
  double expiry_years = 0;
  double discount = 1;
  double vol = 0;
};

// Sensitivities of the value V in quote currency. The underlying is the spot for BSM and the
// forward for Black-76.
//
// Black-76 holds the forward fixed: rho = dV/dr with df = exp(-r T) = -T V, and dividend_rho = 0.
// BSM's rho moves only the rate (QuantLib's rho); dividend_rho = dV/dq (QuantLib's dividendRho).
// At zero total volatility (vol * sqrt(T) == 0) the price is the discounted intrinsic value, delta
// the step (half at the money), and gamma, vanna and volga are reported as 0.
struct Greeks {
  double price = 0;
  double delta = 0;
  double gamma = 0;
  double vega = 0;          // dV/dvol, per 1.00 of volatility
  double theta = 0;         // dV/dt per year, time passing
  double rho = 0;           // dV/dr, per 1.00 of rate
  double dividend_rho = 0;  // dV/dq, per 1.00 of yield
  double vanna = 0;         // d2V/(dU dvol)
  double volga = 0;         // d2V/dvol2
};

// The same option valued in coins of the underlying (inverse or coin-settled options, as on
// Deribit): C = V / U with U the spot (BSM) or the forward (Black-76). Every field is the exact
// derivative of C: delta = dC/dU = (delta_V - C) / U, gamma = d2C/dU2, vega = dC/dvol, and so on.
// delta_coin = delta_V - C is the position's delta in coins (Deribit's "delta" for inverse options:
// the coin amount whose value moves like the option's coin value).
struct CoinGreeks {
  Greeks coin;
  double delta_coin = 0;
};

// Validated entry points: every input must be finite; spot/forward and strike > 0; expiry >= 0;
// vol >= 0; discount > 0. A bad field gives an invalid_input error naming it and its value.
Result<Greeks> price_bsm(const BsmInput& input);
Result<Greeks> price_black76(const Black76Input& input);

// Coin-denominated view of quote-currency Greeks for underlying price `underlying`.
CoinGreeks to_coin(const Greeks& quote, double underlying) noexcept;

// The checks alone (shared with the batch entry points and the CLI).
Outcome check_bsm(const BsmInput& input);
Outcome check_black76(const Black76Input& input);

}  // namespace ballast::pricing

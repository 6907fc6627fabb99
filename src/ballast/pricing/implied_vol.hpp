#pragma once
// Implied (Black) volatility of European calls and puts, to the precision the price allows.
//
// The method is the one of P. Jäckel, "Let's Be Rational", Wilmott (January 2015), 47-67:
//  - Work with the normalised Black price b(x, s) = Φ(x/s + s/2) e^(x/2) - Φ(x/s - s/2) e^(-x/2)
//    of log-moneyness x = ln(F/K) and total volatility s = vol sqrt(T), the option price divided
//    by df sqrt(F K).
//  - Reduce every input to an out-of-the-money call with x <= 0 (put-call parity takes off the
//    intrinsic value, and b(x, s, call) = b(-x, s, put)).
//  - Split the price range at the inflection point s_c = sqrt(2|x|) and at the tangent points
//    s_l, s_u of b's tangent there into four branches. The two middle ones interpolate s(b) by
//    rational cubics; the lowest and highest interpolate transformed maps whose inverses follow
//    b's asymptotics (b -> 0 and b -> e^(x/2)), so the guess has the right shape in the tails.
//  - Polish with two Householder steps of order 3 (convergence order 4) on an objective that is
//    nearly linear in s for its branch: 1/ln(b) - 1/ln(beta) in the lowest, b - beta in the
//    middle, ln((e^(x/2) - beta) / (e^(x/2) - b)) in the highest; one step where its correction
//    is already below 3e-5 s (about half the inputs).
// b and its tail forms are evaluated through the scaled complementary error function, and for
// small s near the money by a Taylor series, so no digits are lost to cancellation between the
// two terms of the Black formula: the volatility comes back to within a few ulps plus what the
// price's own rounding leaves (implied_vol_test). Everything uses the deterministic functions of
// dmath.hpp: the same inputs give the same bits on every machine, from the scalar entry points
// and the batch alike.
//
// Errors name the field and its value: a non-finite price, a non-positive forward, strike,
// expiry or discount, a price below the intrinsic value, or at or above the upper bound (the
// discounted forward for a call, the discounted strike for a put). A price equal to the
// intrinsic value implies a volatility of 0, and so does a time value too small to carry any
// digits of one (below 2.2e-308 df sqrt(F K), the smallest normal double).

#include <cstddef>
#include <span>

#include "ballast/core/result.hpp"
#include "ballast/pricing/black.hpp"
#include "ballast/pricing/black_batch.hpp"

namespace ballast::pricing {

// Black-76: the option pays on the forward (or future) `forward`, discounted by `discount`.
Result<double> implied_vol_black76(OptionKind kind, double price, double forward, double strike,
                                   double expiry_years, double discount);

// Black-Scholes-Merton on a spot with rate and dividend (borrow, foreign rate) yields: the
// Black-76 problem with forward spot e^((rate - dividend) T) and discount e^(-rate T), set up
// exactly as price_bsm discounts (spot e^(-dividend T) and strike e^(-rate T)), so that
// implied_vol_bsm inverts price_bsm to the last bit the price carries.
Result<double> implied_vol_bsm(OptionKind kind, double price, double spot, double strike,
                               double expiry_years, double rate, double dividend);

// One Black-76 implied volatility per lane (structure of arrays, all spans the same length),
// 4 options at a time: about 155 ns per option with AVX2, against 380 on the baseline's SSE and
// 400 through the scalar entry point (pricing_bench: BM_Ballast_ImpliedVolBatch/avx2, /scalar,
// BM_Ballast_ImpliedVolScalarApi). `isa` picks the path as in black_batch.hpp (Isa::avx512 runs
// the AVX2 one: 8 lanes took different branches too often to gain); every path returns the
// scalar entry point's bits. Lanes with invalid or unattainable inputs get NaN; returns how many
// lanes did.
std::size_t implied_vol_black76_batch(std::span<const OptionKind> kind,
                                      std::span<const double> price,
                                      std::span<const double> forward,
                                      std::span<const double> strike,
                                      std::span<const double> expiry_years,
                                      std::span<const double> discount, std::span<double> vol_out,
                                      Isa isa = best_isa());

}  // namespace ballast::pricing

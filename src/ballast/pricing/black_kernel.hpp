#pragma once
// The one Black-Scholes-Merton / Black-76 kernel, a template over the lane type (dmath.hpp).
// black.cpp instantiates it for double; black_batch_{baseline,avx2,avx512}.cpp for the lanes
// of each ISA inside their own inline namespace. Same operations, same order: same bits.
//
// Both models reduce to V = w (A N(w d1) - B N(w d2)) with w = +1 for calls and -1 for puts,
// A = U e^(-qT) the discounted forward, B = K e^(-rT) the discounted strike, s = vol sqrt(T) and
// d1 = ln(A/B)/s + s/2, d2 = d1 - s. Black-76 is the case q = r with A = F df and B = K df.

#include "ballast/pricing/dmath.hpp"

namespace ballast::pricing::dmath {
inline namespace BALLAST_LANES_NAMESPACE {

enum class Model : unsigned char { bsm, black76 };

template <typename V>
struct GreeksLanes {
  V price;
  V delta;
  V gamma;
  V vega;
  V theta;
  V rho;
  V dividend_rho;
  V vanna;
  V volga;
};

// One option per lane, in the inputs both models share once their discounting is known.
template <typename V>
struct BlackLanes {
  V underlying;      // spot (BSM) or forward (Black-76)
  V strike;
  V expiry_years;
  V vol;
  V omega;           // +1 call, -1 put
  V carry_discount;  // e^(-qT) (BSM) or df (Black-76)
  V rate_discount;   // e^(-rT) (BSM) or df (Black-76)
  V rate;            // r; for Black-76, -ln(df)/T (0 at T = 0)
  V carry;           // q; for Black-76, r
};

template <typename V>
inline BlackLanes<V> bsm_lanes(V omega, V spot, V strike, V expiry_years, V rate, V dividend,
                               V vol) {
  return {spot,  strike, expiry_years, vol,     omega, exp(-dividend * expiry_years),
          exp(-rate * expiry_years), rate,    dividend};
}

template <typename V>
inline BlackLanes<V> black76_lanes(V omega, V forward, V strike, V expiry_years, V discount,
                                   V vol) {
  const V rate = select(expiry_years > 0.0, -log(discount) / expiry_years, broadcast<V>(0.0));
  return {forward, strike, expiry_years, vol, omega, discount, discount, rate, rate};
}

// d1 and the total volatility s. At s == 0 the option is worth its discounted intrinsic value;
// d1 = +-40 (or 0 at the money) makes the formulas below give exactly that.
template <typename V>
struct DTerms {
  V sqrt_t;
  V s;
  V inverse_s;  // 1/s, +inf at s == 0 (every use is then masked): divisions are the dearest
                // operation in the vector kernels, so the Greeks share this one
  V d1;
  V discounted_forward;  // A
  V discounted_strike;   // B
  V forward_ratio;       // A/B
};

// DTerms from ln(A/B), sqrt(T), the vol and A, B, A/B: the part shared by d_terms and the
// scenario-grid kernel (black_grid_loop.hpp), which forms ln(A/B) from hoisted logarithms.
template <typename V>
inline DTerms<V> d_terms_from(V log_moneyness, V sqrt_t, V vol, V a, V b, V forward_ratio) {
  const V s = vol * sqrt_t;
  const V d1_at_zero_vol = select(log_moneyness > 0.0, broadcast<V>(40.0),
                                  select(log_moneyness < 0.0, broadcast<V>(-40.0),
                                         broadcast<V>(0.0)));
  const V inverse_s = 1.0 / s;
  const V d1 = select(s > 0.0, log_moneyness * inverse_s + 0.5 * s, d1_at_zero_vol);
  return {sqrt_t, s, inverse_s, d1, a, b, forward_ratio};
}

template <typename V>
inline DTerms<V> d_terms(const BlackLanes<V>& in) {
  const V sqrt_t = sqrt(in.expiry_years);
  const V a = in.underlying * in.carry_discount;
  const V b = in.strike * in.rate_discount;
  const V forward_ratio = a / b;
  // ln(A/B) = ln(U/K) + (r - q) T: the log starts without waiting for the two discount exps,
  // which shortens the kernel's longest dependency chain (the lanes have work to spare, time
  // goes to latency). For Black-76 r - q is exactly 0.
  const V log_moneyness = log(in.underlying / in.strike) + (in.rate - in.carry) * in.expiry_years;
  return d_terms_from(log_moneyness, sqrt_t, in.vol, a, b, forward_ratio);
}

// N(w d1), N(w d2) and the density at d1.
template <typename V>
struct Normals {
  V n1;
  V n2;
  V pdf1;
};

// The kernel at d2 comes from the one at d1, e^(-d2^2/2) = e^(-d1^2/2) A/B (because
// d1 s - s^2/2 = ln(A/B)), which saves an exp per option. That fails only where the d1 kernel is
// flushed to 0 (|d1| beyond the tail end) while d2 is not, i.e. d1 in (37, 37 + s]: those lanes
// take the kernel directly, and a vector computes it only when one of its lanes needs it.
template <typename V>
inline Normals<V> normals(V omega, const DTerms<V>& d, V d2) {
  const V a1 = abs(d.d1);
  const V a2 = abs(d2);
  const MaskOf<V> d2_beyond = a2 > kNormalTailEnd;
  const V kernel1 = tail_kernel(a1);
  // Where d2 is beyond, the ratio may be huge or tiny: zero it first so no lane computes a
  // subnormal (a hundred cycles each) or 0 * inf.
  V kernel2 = kernel1 * select(d2_beyond, broadcast<V>(0.0), d.forward_ratio);
  const MaskOf<V> direct = (a1 > kNormalTailEnd) & (a2 <= kNormalTailEnd);
  if (any(direct)) kernel2 = select(direct, tail_kernel(a2), kernel2);
  const Pair<V> erfcx =
      erfcx_to_tail_end_pair(tail_clamped(a1) * kInvSqrt2, tail_clamped(a2) * kInvSqrt2);
  return {ncdf_from(omega * d.d1, kernel1, erfcx.first), ncdf_from(omega * d2, kernel2, erfcx.second),
          kernel1 * kInvSqrt2Pi};
}

// w (A N1 - B N2), held at or above the discounted intrinsic value max(w (A - B), 0): in the far
// wings both terms round to subnormals and their difference could be a hair below the bound,
// and a negative option value must never reach a margin decision.
template <typename V>
inline V bounded_price(V omega, const DTerms<V>& d, V a_n1, V b_n2) {
  const V price = omega * (a_n1 - b_n2);
  V floor = omega * (d.discounted_forward - d.discounted_strike);
  floor = select(floor > 0.0, floor, broadcast<V>(0.0));
  return select(price < floor, floor, price);
}

// The price from d terms and w: black_price and the scenario-grid kernel.
template <typename V>
inline V price_from(V omega, const DTerms<V>& d) {
  const Normals<V> n = normals(omega, d, d.d1 - d.s);
  return bounded_price(omega, d, d.discounted_forward * n.n1, d.discounted_strike * n.n2);
}

template <typename V>
inline V black_price(const BlackLanes<V>& in) {
  return price_from(in.omega, d_terms(in));
}

template <Model M, typename V>
inline GreeksLanes<V> black_greeks(const BlackLanes<V>& in) {
  const DTerms<V> d = d_terms(in);
  const V d2 = d.d1 - d.s;
  const Normals<V> n = normals(in.omega, d, d2);
  const V n1 = n.n1;
  const V n2 = n.n2;
  const V pdf1 = n.pdf1;
  const V a_n1 = d.discounted_forward * n1;
  const V b_n2 = d.discounted_strike * n2;
  const MaskOf<V> live = d.s > 0.0;
  const V zero = broadcast<V>(0.0);
  // 1/vol = sqrt(T)/s and vol/sqrt(T) = vol^2/s, so the Greeks need no division but 1/U.
  const V inverse_vol = d.sqrt_t * d.inverse_s;
  const V discounted_density = in.carry_discount * pdf1;  // e^(-qT) pdf(d1)

  GreeksLanes<V> out;
  out.price = bounded_price(in.omega, d, a_n1, b_n2);
  out.delta = in.omega * in.carry_discount * n1;
  out.gamma = select(live, discounted_density * d.inverse_s / in.underlying, zero);
  out.vega = d.discounted_forward * pdf1 * d.sqrt_t;
  const V time_decay =
      select(live, 0.5 * d.discounted_forward * pdf1 * (in.vol * in.vol) * d.inverse_s, zero);
  out.theta = (in.omega * (in.carry * a_n1 - in.rate * b_n2)) - time_decay;
  const V rate_rho = in.omega * in.expiry_years * b_n2;
  const V carry_rho = -(in.omega * in.expiry_years * a_n1);
  if constexpr (M == Model::bsm) {
    out.rho = rate_rho;
    out.dividend_rho = carry_rho;
  } else {
    out.rho = rate_rho + carry_rho;  // r moves df with the forward held: -T V
    out.dividend_rho = zero;
  }
  out.vanna = select(live, -(discounted_density * d2 * inverse_vol), zero);
  out.volga = select(live, out.vega * d.d1 * d2 * inverse_vol, zero);
  return out;
}

}  // inline namespace BALLAST_LANES_NAMESPACE
}  // namespace ballast::pricing::dmath

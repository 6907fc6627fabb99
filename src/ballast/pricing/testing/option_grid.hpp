#pragma once
// The random BSM options that the QuantLib comparisons and the pricing benchmark share: calls and
// puts, spot 1 to 1e5, ln(S/K) in [-3, 3], 1 day to 3 years in whole days (QuantLib prices on
// dates), vol 1% to 300% log-uniform, rates -5% to 20%, yields 0 to 15%.

#include <cmath>

#include "ballast/core/random.hpp"
#include "ballast/pricing/black.hpp"

namespace ballast::pricing::peer {

inline double log_uniform(CounterRng& rng, double low, double high) {
  return low * std::pow(high / low, rng.uniform());
}

inline BsmInput random_bsm(CounterRng& rng) {
  BsmInput in;
  in.kind = rng.below(2) == 0 ? OptionKind::call : OptionKind::put;
  in.spot = log_uniform(rng, 1.0, 1e5);
  in.strike = in.spot * std::exp(6.0 * rng.uniform() - 3.0);
  in.expiry_years = static_cast<double>(1 + rng.below(3 * 365)) / 365.0;
  in.vol = log_uniform(rng, 0.01, 3.0);
  in.rate = -0.05 + 0.25 * rng.uniform();
  in.dividend = 0.15 * rng.uniform();
  return in;
}

// The same draws read as Black-76: the spot is the forward, df = e^(-rT).
inline Black76Input random_black76(CounterRng& rng) {
  const BsmInput bsm = random_bsm(rng);
  return {bsm.kind, bsm.spot, bsm.strike, bsm.expiry_years,
          std::exp(-bsm.rate * bsm.expiry_years), bsm.vol};
}

}  // namespace ballast::pricing::peer

#pragma once
// Least-squares calibration of a raw SVI slice to one expiry's quotes.
//
// Method: the quasi-explicit fit (Zeliade Systems, "Quasi-explicit calibration of Gatheral's SVI
// model", 2009). With y = (k - m)/sigma, c = b sigma and d = rho b sigma, the slice is
// w = a + d y + c sqrt(y^2 + 1): linear in (a, c, d) for fixed (m, sigma). So the inner problem
// is a weighted linear least squares, solved exactly on the region that keeps the slice valid
// (|rho| <= 0.999 and Lee's wing slopes b (1 +- rho) <= 2, a quadrilateral in (c, d); a is
// eliminated in closed form); the outer one is a 2-D Nelder-Mead over (m, ln sigma) from a fixed
// grid of starting points. No randomness and no threads: the same quotes give the same bits.
//
// The fitted slice passes check_svi; it is not forced to be free of butterfly arbitrage
// (check_butterfly says whether it is).

#include <cstdint>
#include <span>

#include "ballast/core/result.hpp"
#include "ballast/pricing/surface.hpp"

namespace ballast::pricing {

enum class QuoteUnit : std::uint8_t { vol, total_variance };

struct SmileQuote {
  double log_moneyness = 0;  // k = ln(K/F)
  double value = 0;          // implied vol or total variance, as the fit's QuoteUnit says
  double weight = 1;         // relative importance, > 0
};

struct SviFit {
  SviParams svi;
  // Fitted against quoted implied vol over all quotes, unweighted.
  double rmse_vol = 0;
  double max_abs_error_vol = 0;
  int evaluations = 0;  // inner solves, for cost reports
};

// At least 5 quotes, every field finite, values and weights positive, not all at one k, and
// expiry_years > 0. Vol quotes are fitted in total variance weighted by weight / vol^2, which
// makes the fit least squares in vol to first order (dw = 2 vol T dvol).
Result<SviFit> fit_svi(std::span<const SmileQuote> quotes, QuoteUnit unit, double expiry_years);

}  // namespace ballast::pricing

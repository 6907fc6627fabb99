#pragma once
// Implied volatility surfaces: raw SVI and SSVI slices, static-arbitrage checks, a surface across
// expiries, and the vol shocks portfolio margin applies (the shared research note
// portfolio-margin.md, sections b1, b2 and b6). Calibration of a raw SVI slice to quotes lives in
// svi_fit.hpp.
//
// Conventions: k = ln(K/F) is log forward moneyness, w = sigma^2 T the total implied variance,
// expiries are year fractions, DTE is days. Every transcendental call goes through dmath (exp,
// log) or the correctly rounded sqrt, so results are the same bits on every x86-64 machine.

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "ballast/core/result.hpp"

namespace ballast::pricing {

// ---- Raw SVI slice (Gatheral 2004) ------------------------------------------------------------

// w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2)).
struct SviParams {
  double a = 0;
  double b = 0;
  double rho = 0;
  double m = 0;
  double sigma = 0;
};

// Total variance and its first two derivatives in k at one point.
struct SlicePoint {
  double w = 0;
  double dw = 0;   // dw/dk
  double d2w = 0;  // d2w/dk2
};

double svi_total_variance(const SviParams& svi, double k) noexcept;
SlicePoint svi_point(const SviParams& svi, double k) noexcept;

// Every parameter finite; b >= 0; |rho| < 1; sigma > 0; minimum total variance
// a + b sigma sqrt(1 - rho^2) >= 0; Lee's wing slopes b (1 + rho) <= 2 and b (1 - rho) <= 2.
// The error names the first failing parameter or condition and its value.
Outcome check_svi(const SviParams& svi);

// ---- SSVI (Gatheral-Jacquier 2014, section 4) -------------------------------------------------

// w(k, theta) = theta/2 (1 + rho phi k + sqrt((phi k + rho)^2 + 1 - rho^2)), theta the ATM total
// variance, with the power law phi(theta) = eta / (theta^gamma (1 + theta)^(1 - gamma)).
struct SsviParams {
  double rho = 0;
  double eta = 0;
  double gamma = 0;
};

double ssvi_phi(const SsviParams& ssvi, double theta) noexcept;
double ssvi_total_variance(const SsviParams& ssvi, double theta, double k) noexcept;

// |rho| < 1, eta > 0 and 0 <= gamma <= 1 (so that theta phi(theta) is non-decreasing: with theta
// non-decreasing in expiry that rules out calendar arbitrage, GJ 2014 Theorem 4.1).
Outcome check_ssvi(const SsviParams& ssvi);
// check_ssvi, theta > 0, and the sufficient no-butterfly conditions of GJ 2014 Theorem 4.2:
// theta phi (1 + |rho|) < 4 and theta phi^2 (1 + |rho|) <= 4.
Outcome check_ssvi_slice(const SsviParams& ssvi, double theta);

// The same slice as raw SVI (GJ 2014 section 3.3): a = theta/2 (1 - rho^2), b = theta phi / 2,
// m = -rho / phi, sigma = sqrt(1 - rho^2) / phi, rho unchanged. Checks as check_ssvi_slice.
Result<SviParams> ssvi_to_svi(const SsviParams& ssvi, double theta);

// ---- Butterfly arbitrage ----------------------------------------------------------------------

// Evenly spaced k from k_min to k_max inclusive.
struct KGrid {
  double k_min = -2.0;
  double k_max = 2.0;
  int points = 401;
};

Outcome check_grid(const KGrid& grid);

// g(k) = (1 - k w'/(2w))^2 - (w'^2/4)(1/w + 1/4) + w''/2, the density of the slice up to a positive
// factor (GJ 2014 Lemma 2.2). Where w <= 0 the slice has no density and g is -infinity.
double butterfly_density(const SlicePoint& point, double k) noexcept;

struct ButterflyReport {
  bool arbitrage_free = true;  // g >= 0 at every grid point
  double worst_k = 0;          // where g is lowest (the first such k)
  double worst_g = 0;
};

Result<ButterflyReport> check_butterfly(const SviParams& svi, const KGrid& grid);

// ---- Surface across expiries ------------------------------------------------------------------

struct SurfaceSlice {
  double expiry_years = 0;
  double forward = 0;
  SviParams svi;
};

// Total variance is interpolated linearly in expiry at fixed k between slices, so a surface free
// of calendar arbitrage at its nodes stays free between them. Outside the nodes the implied vol
// at fixed k is held flat (w = w_node(k) T / T_node): the natural extension that keeps w
// increasing in T and reaches w = 0 at T = 0. The forward is log-linear in expiry between nodes
// (a constant carry rate) and flat outside them; a caller who knows the spot should add a node.
class VolSurface {
 public:
  // At least one slice; expiries positive, finite and strictly increasing; forwards positive
  // and finite; every SVI passing check_svi. Calendar arbitrage is not rejected here (a shocked
  // surface may have some): check_calendar reports it.
  static Result<VolSurface> make(std::vector<SurfaceSlice> slices);

  std::span<const SurfaceSlice> slices() const noexcept { return slices_; }

  double forward(double expiry_years) const noexcept;
  double total_variance(double k, double expiry_years) const noexcept;
  // sqrt(w(k, T) / T); at or before the first expiry the first slice's vol (also at T = 0).
  double vol_at_moneyness(double k, double expiry_years) const noexcept;
  // vol_at_moneyness(ln(K / F(T)), T) for strike K > 0 and T >= 0, both finite.
  Result<double> vol(double strike, double expiry_years) const;

 private:
  explicit VolSurface(std::vector<SurfaceSlice> slices) : slices_(std::move(slices)) {}
  // Index of the first slice with expiry > T (0 .. size).
  std::size_t upper_index(double expiry_years) const noexcept;

  std::vector<SurfaceSlice> slices_;
};

// SSVI slices at the given (expiry, forward, theta) nodes, each checked by check_ssvi_slice.
struct SsviNode {
  double expiry_years = 0;
  double forward = 0;
  double theta = 0;
};
Result<VolSurface> make_ssvi_surface(const SsviParams& ssvi, std::span<const SsviNode> nodes);

struct CalendarReport {
  bool arbitrage_free = true;  // w non-decreasing in expiry at every grid k
  // The first violation, scanning consecutive slice pairs in expiry order, then k upwards.
  double k = 0;
  double earlier_expiry_years = 0;
  double later_expiry_years = 0;
  double earlier_w = 0;
  double later_w = 0;
};

Result<CalendarReport> check_calendar(const VolSurface& surface, const KGrid& grid);

// ---- Vol shocks for portfolio margin ----------------------------------------------------------

// Multiplicative shock on an option's implied vol scaled by f = (pivot / max(DTE, floor))^p,
// p = short_term_power below the pivot and long_term_power from it on (Deribit PM; Derive
// PMRM_2 uses the same law). Defaults: Deribit BTC (portfolio-margin.md b1).
struct VolShockParams {
  double range_up = 0.5;
  double range_down = 0.25;
  double min_vol_up = 0.5;  // the up-shocked vol is at least this
  double short_term_power = 0.30;
  double long_term_power = 0.13;
  double pivot_days = 30;
  double dte_floor_days = 1;
};

Outcome check_vol_shock(const VolShockParams& params);

// f above, for DTE >= 0 days (params already checked).
double vol_shock_factor(const VolShockParams& params, double dte_days) noexcept;

struct ShockedVol {
  double up = 0;    // max(vol (1 + range_up f), min_vol_up)
  double down = 0;  // max(vol (1 - range_down f), 0)
};

// vol >= 0 and DTE >= 0, both finite, and params passing check_vol_shock.
Result<ShockedVol> shock_vol(const VolShockParams& params, double vol, double dte_days);

// How the smile moves when the spot moves by the relative amount m (F' = F (1 + m)):
// sticky_strike keeps each strike's vol, sigma(K); sticky_moneyness reads the smile at the new
// moneyness, sigma(k') with k' = ln(K / F'), so the smile travels with the forward.
enum class SmileDynamics : std::uint8_t { sticky_strike, sticky_moneyness };

const char* smile_dynamics_name(SmileDynamics dynamics) noexcept;

// The vol to price (strike, expiry) with after the move; spot_move > -1 and finite.
Result<double> vol_after_spot_move(const VolSurface& surface, SmileDynamics dynamics, double strike,
                                   double expiry_years, double spot_move);

}  // namespace ballast::pricing

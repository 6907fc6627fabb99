#include "ballast/pricing/svi_fit.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "ballast/pricing/dmath.hpp"

namespace ballast::pricing {
namespace {

constexpr std::size_t kMinQuotes = 5;
// |rho| < 1 strictly and wing slopes a hair inside Lee's 2, so that the fitted parameters pass
// check_svi after the rounding of b = c / sigma and rho = d / c.
constexpr double kRhoBound = 0.999;
constexpr double kWingBound = 2.0 - 1e-9;
constexpr double kMinVarianceMargin = 1.0 - 1e-9;
constexpr double kSigmaMin = 1e-4;
constexpr double kSigmaMax = 10.0;
// Nelder-Mead: stop when the simplex is this small in (m, ln sigma), or after this many steps.
constexpr double kSimplexTolerance = 1e-11;
constexpr int kMaxSteps = 600;

struct Sample {
  double k;
  double w;
  double weight;  // normalised: the weights sum to 1
};

// Weighted means of y, z = sqrt(y^2 + 1) and w, and centred second moments.
struct Moments {
  double y = 0, z = 0, w = 0;
  double yy = 0, zz = 0, yz = 0, yw = 0, zw = 0;
};

Moments moments_at(std::span<const Sample> samples, double m, double sigma) {
  Moments mo;
  for (const Sample& s : samples) {
    const double y = (s.k - m) / sigma;
    mo.y += s.weight * y;
    mo.z += s.weight * std::sqrt(y * y + 1.0);
    mo.w += s.weight * s.w;
  }
  // A second pass on centred values: the fit can be exact, where one-pass sums cancel badly.
  for (const Sample& s : samples) {
    const double y = (s.k - m) / sigma;
    const double dy = y - mo.y;
    const double dz = std::sqrt(y * y + 1.0) - mo.z;
    const double dw = s.w - mo.w;
    mo.yy += s.weight * dy * dy;
    mo.zz += s.weight * dz * dz;
    mo.yz += s.weight * dy * dz;
    mo.yw += s.weight * dy * dw;
    mo.zw += s.weight * dz * dw;
  }
  return mo;
}

struct Cd {
  double c;
  double d;
};

// The objective less its constant part, with a at its optimum for (c, d).
double reduced_objective(const Moments& mo, Cd p) {
  return p.c * (p.c * mo.zz - 2.0 * mo.zw) + p.d * (p.d * mo.yy - 2.0 * mo.yw) +
         2.0 * p.c * p.d * mo.yz;
}

// Minimum of the convex quadratic on the segment from p to q.
Cd segment_minimum(const Moments& mo, Cd p, Cd q) {
  const double dc = q.c - p.c;
  const double dd = q.d - p.d;
  const double slope =
      dc * (p.c * mo.zz + p.d * mo.yz - mo.zw) + dd * (p.c * mo.yz + p.d * mo.yy - mo.yw);
  const double curvature = dc * dc * mo.zz + 2.0 * dc * dd * mo.yz + dd * dd * mo.yy;
  double t = 0;
  if (curvature > 0) {
    t = std::clamp(-slope / curvature, 0.0, 1.0);
  } else if (slope < 0) {
    t = 1.0;
  }
  return {p.c + t * dc, p.d + t * dd};
}

bool feasible(Cd p, double sigma) {
  return std::abs(p.d) <= kRhoBound * p.c && p.c + std::abs(p.d) <= kWingBound * sigma;
}

// The best (c, d) in the quadrilateral |d| <= kRhoBound c, c + |d| <= kWingBound sigma: the free
// minimum if it lies inside, else the best point on the boundary.
Cd best_cd(const Moments& mo, double sigma) {
  const double det = mo.zz * mo.yy - mo.yz * mo.yz;
  if (det > 0) {
    const Cd free{(mo.zw * mo.yy - mo.yw * mo.yz) / det, (mo.yw * mo.zz - mo.zw * mo.yz) / det};
    if (feasible(free, sigma)) return free;
  }
  const double corner_c = kWingBound * sigma / (1.0 + kRhoBound);
  const std::array<Cd, 4> corners{Cd{0, 0}, Cd{corner_c, kRhoBound * corner_c},
                                  Cd{kWingBound * sigma, 0}, Cd{corner_c, -kRhoBound * corner_c}};
  Cd best = corners[0];
  double best_value = reduced_objective(mo, best);
  for (std::size_t i = 0; i < corners.size(); ++i) {
    const Cd candidate = segment_minimum(mo, corners[i], corners[(i + 1) % corners.size()]);
    const double value = reduced_objective(mo, candidate);
    if (value < best_value) {
      best = candidate;
      best_value = value;
    }
  }
  return best;
}

SviParams inner_solve(std::span<const Sample> samples, double m, double sigma) {
  const Moments mo = moments_at(samples, m, sigma);
  const Cd p = best_cd(mo, sigma);
  // Least-squares a; raised if needed so that the minimum total variance a + sqrt(c^2 - d^2)
  // stays non-negative (feasible, if not optimal, for this (m, sigma); the outer search moves on).
  const double floor_a = -std::sqrt(std::max(p.c * p.c - p.d * p.d, 0.0)) * kMinVarianceMargin;
  const double a = std::max(mo.w - p.d * mo.y - p.c * mo.z, floor_a);
  return {a, p.c / sigma, p.c > 0 ? p.d / p.c : 0.0, m, sigma};
}

double objective_of(std::span<const Sample> samples, const SviParams& svi) {
  double sum = 0;
  for (const Sample& s : samples) {
    const double residual = s.w - svi_total_variance(svi, s.k);
    sum += s.weight * residual * residual;
  }
  return sum;
}

// ---- Outer search over (m, ln sigma) ----------------------------------------------------------

struct Vertex {
  double m = 0;
  double log_sigma = 0;
  double value = 0;
  SviParams svi;
};

class Search {
 public:
  Search(std::span<const Sample> samples, double k_min, double k_max)
      : samples_(samples),
        m_low_(2.0 * k_min - k_max),
        m_high_(2.0 * k_max - k_min),
        log_sigma_low_(dmath::log(kSigmaMin)),
        log_sigma_high_(dmath::log(kSigmaMax)) {}

  // The point clamped into the search box, solved and scored.
  Vertex at(double m, double log_sigma) {
    ++evaluations_;
    Vertex v;
    v.m = std::clamp(m, m_low_, m_high_);
    v.log_sigma = std::clamp(log_sigma, log_sigma_low_, log_sigma_high_);
    v.svi = inner_solve(samples_, v.m, dmath::exp(v.log_sigma));
    v.value = objective_of(samples_, v.svi);
    return v;
  }

  int evaluations() const { return evaluations_; }

 private:
  std::span<const Sample> samples_;
  double m_low_, m_high_, log_sigma_low_, log_sigma_high_;
  int evaluations_ = 0;
};

using Simplex = std::array<Vertex, 3>;

Vertex along(Search& search, const Vertex& from, const Vertex& through, double t) {
  return search.at(from.m + t * (through.m - from.m),
                   from.log_sigma + t * (through.log_sigma - from.log_sigma));
}

double diameter(const Simplex& s) {
  double size = 0;
  for (std::size_t i = 1; i < s.size(); ++i) {
    size = std::max({size, std::abs(s[i].m - s[0].m), std::abs(s[i].log_sigma - s[0].log_sigma)});
  }
  return size;
}

void sort_simplex(Simplex& s) {
  // Stable: ties keep their order, so the path never depends on the sort's internals.
  std::stable_sort(s.begin(), s.end(),
                   [](const Vertex& x, const Vertex& y) { return x.value < y.value; });
}

// One Nelder-Mead step (reflection 1, expansion 2, contraction and shrink 1/2) on a sorted simplex.
void step(Search& search, Simplex& s) {
  Vertex centroid;
  centroid.m = 0.5 * (s[0].m + s[1].m);
  centroid.log_sigma = 0.5 * (s[0].log_sigma + s[1].log_sigma);
  const Vertex reflected = along(search, s[2], centroid, 2.0);
  if (reflected.value < s[0].value) {
    const Vertex expanded = along(search, s[2], centroid, 3.0);
    s[2] = expanded.value < reflected.value ? expanded : reflected;
    return;
  }
  if (reflected.value < s[1].value) {
    s[2] = reflected;
    return;
  }
  const bool outside = reflected.value < s[2].value;
  const Vertex contracted =
      outside ? along(search, s[2], centroid, 1.5) : along(search, s[2], centroid, 0.5);
  if (contracted.value < std::min(reflected.value, s[2].value)) {
    s[2] = contracted;
    return;
  }
  s[1] = along(search, s[0], s[1], 0.5);
  s[2] = along(search, s[0], s[2], 0.5);
}

Vertex nelder_mead(Search& search, const Vertex& start, double m_step, double log_sigma_step) {
  Simplex s{start, search.at(start.m + m_step, start.log_sigma),
            search.at(start.m, start.log_sigma + log_sigma_step)};
  for (int i = 0; i < kMaxSteps; ++i) {
    sort_simplex(s);
    if (diameter(s) < kSimplexTolerance) break;
    step(search, s);
  }
  sort_simplex(s);
  return s[0];
}

// A 5 x 5 grid over m in [k_min, k_max] and sigma from 0.01 to 1; the three best start searches.
std::vector<Vertex> starting_points(Search& search, double k_min, double k_max) {
  constexpr std::array<double, 5> kSigmas{0.01, 0.03, 0.1, 0.3, 1.0};
  std::vector<Vertex> grid;
  for (int j = 0; j < 5; ++j) {
    const double m = k_min + (k_max - k_min) * 0.25 * static_cast<double>(j);
    for (double sigma : kSigmas) grid.push_back(search.at(m, dmath::log(sigma)));
  }
  std::stable_sort(grid.begin(), grid.end(),
                   [](const Vertex& x, const Vertex& y) { return x.value < y.value; });
  grid.resize(3);
  return grid;
}

Vertex minimise(Search& search, double k_min, double k_max) {
  const double m_step = 0.125 * (k_max - k_min);
  Vertex best;
  best.value = HUGE_VAL;
  for (const Vertex& start : starting_points(search, k_min, k_max)) {
    const Vertex found = nelder_mead(search, start, m_step, 0.5);
    if (found.value < best.value) best = found;
  }
  // A restart from the best point: Nelder-Mead can stall on a collapsed simplex.
  const Vertex restarted = nelder_mead(search, best, 0.01 * m_step, 0.05);
  return restarted.value < best.value ? restarted : best;
}

// ---- Input and report -------------------------------------------------------------------------

std::string shown(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

Error invalid(std::string message) {
  return make_error(ErrorCode::invalid_input, std::move(message));
}

Outcome check_quote(const SmileQuote& quote, std::size_t index, QuoteUnit unit) {
  const std::string where = "svi fit quote " + std::to_string(index) + ": ";
  if (!std::isfinite(quote.log_moneyness)) {
    return invalid(where + "log_moneyness must be finite, got " + shown(quote.log_moneyness));
  }
  if (!(std::isfinite(quote.value) && quote.value > 0)) {
    const char* name = unit == QuoteUnit::vol ? "vol" : "total variance";
    return invalid(where + name + " must be positive and finite, got " + shown(quote.value));
  }
  if (!(std::isfinite(quote.weight) && quote.weight > 0)) {
    return invalid(where + "weight must be positive and finite, got " + shown(quote.weight));
  }
  return Ok{};
}

Outcome check_quotes(std::span<const SmileQuote> quotes, QuoteUnit unit, double expiry_years) {
  if (!(std::isfinite(expiry_years) && expiry_years > 0)) {
    return invalid("svi fit expiry_years must be positive and finite, got " + shown(expiry_years));
  }
  if (quotes.size() < kMinQuotes) {
    return invalid("svi fit needs at least " + std::to_string(kMinQuotes) + " quotes, got " +
                   std::to_string(quotes.size()));
  }
  for (std::size_t i = 0; i < quotes.size(); ++i) {
    if (Outcome ok = check_quote(quotes[i], i, unit); !ok) return ok;
  }
  const auto [low, high] = std::minmax_element(
      quotes.begin(), quotes.end(),
      [](const SmileQuote& x, const SmileQuote& y) { return x.log_moneyness < y.log_moneyness; });
  if (!(low->log_moneyness < high->log_moneyness)) {
    return invalid("svi fit quotes must span more than one log_moneyness, all are at " +
                   shown(low->log_moneyness));
  }
  return Ok{};
}

std::vector<Sample> samples_of(std::span<const SmileQuote> quotes, QuoteUnit unit,
                               double expiry_years) {
  std::vector<Sample> samples;
  samples.reserve(quotes.size());
  double total_weight = 0;
  const bool is_vol = unit == QuoteUnit::vol;
  for (const SmileQuote& q : quotes) {
    const double w = is_vol ? q.value * q.value * expiry_years : q.value;
    const double weight = is_vol ? q.weight / (q.value * q.value) : q.weight;
    samples.push_back({q.log_moneyness, w, weight});
    total_weight += weight;
  }
  for (Sample& s : samples) s.weight /= total_weight;
  return samples;
}

void report_errors(std::span<const SmileQuote> quotes, QuoteUnit unit, double expiry_years,
                   SviFit& fit) {
  double sum_squares = 0;
  for (const SmileQuote& q : quotes) {
    const double quoted = unit == QuoteUnit::vol ? q.value : std::sqrt(q.value / expiry_years);
    const double w = svi_total_variance(fit.svi, q.log_moneyness);
    const double error = std::sqrt(std::max(w, 0.0) / expiry_years) - quoted;
    sum_squares += error * error;
    fit.max_abs_error_vol = std::max(fit.max_abs_error_vol, std::abs(error));
  }
  fit.rmse_vol = std::sqrt(sum_squares / static_cast<double>(quotes.size()));
}

}  // namespace

Result<SviFit> fit_svi(std::span<const SmileQuote> quotes, QuoteUnit unit, double expiry_years) {
  if (Outcome ok = check_quotes(quotes, unit, expiry_years); !ok) return std::move(ok).error();
  const std::vector<Sample> samples = samples_of(quotes, unit, expiry_years);
  const auto [low, high] = std::minmax_element(
      samples.begin(), samples.end(), [](const Sample& x, const Sample& y) { return x.k < y.k; });
  Search search(samples, low->k, high->k);
  const Vertex best = minimise(search, low->k, high->k);
  if (!std::isfinite(best.value)) return invalid("svi fit failed: the objective is not finite");
  if (Outcome ok = check_svi(best.svi); !ok) {
    return invalid("svi fit failed: " + std::move(ok).error().message);
  }
  SviFit fit;
  fit.svi = best.svi;
  fit.evaluations = search.evaluations();
  report_errors(quotes, unit, expiry_years, fit);
  return fit;
}

}  // namespace ballast::pricing

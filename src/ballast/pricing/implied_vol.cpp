#include "ballast/pricing/implied_vol.hpp"

// The solver is a template over the lane type of dmath.hpp, as black_kernel.hpp is: the scalar
// entry points run it on double, the batch on 4 options at a time (a GCC vector of 4 doubles:
// two SSE registers in this baseline build, one AVX2 register in solve_block_avx2). One option's
// work is a chain of dependent steps, so options side by side keep the arithmetic units busy
// where one alone waits on latency. `choose` gives every lane the scalar path's operations, so
// the three return the same bits. (GCC's -Wpsabi note, that such vectors pass differently than
// in an AVX build, is off for this file in CMakeLists.txt: it concerns functions shared between
// builds, and these are all internal.)

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <string>
#include <type_traits>

#include "ballast/core/assert.hpp"
#include "ballast/pricing/black_batch.hpp"
#include "ballast/pricing/dmath.hpp"

// Notation (implied_vol.hpp): x = ln(F/K) <= 0 after reduction, s = vol sqrt(T), h = x/s,
// t = s/2, d1 = h + t, d2 = h - t, beta the normalised price, b_max = e^(x/2) its supremum.
// Y(z) = Φ(z)/φ(z) is the normal CDF over the density; for z <= 0 it is
// sqrt(pi/2) erfcx(-z/sqrt(2)), and e^(-(h^2+t^2)/2) Y(d) turns into e^(±x/2) Φ(d), so
// b = vega (Y(d1) - Y(d2)) with vega = db/ds = e^(-(h^2+t^2)/2) / sqrt(2 pi).

namespace ballast::pricing {
namespace {

using dmath::select;
template <typename V>
using Mask = dmath::MaskOf<V>;
using Lanes = dmath::D4;

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kSqrtHalfPi = 1.25331413731550025121;  // Y(0)
constexpr double kSqrt3 = 1.73205080756887729353;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------------
// Lane helpers.

template <typename V>
constexpr bool kScalar = std::is_same_v<V, double>;

template <typename V>
Mask<V> both(Mask<V> a, Mask<V> b) {
  if constexpr (kScalar<V>) {
    return a && b;
  } else {
    return a & b;
  }
}

template <typename V>
Mask<V> either(Mask<V> a, Mask<V> b) {
  if constexpr (kScalar<V>) {
    return a || b;
  } else {
    return a | b;
  }
}

template <typename V>
Mask<V> negate(Mask<V> a) {
  if constexpr (kScalar<V>) {
    return !a;
  } else {
    return ~a;
  }
}

template <typename V>
V lane_sqrt(V x) {
  if constexpr (kScalar<V>) {
    return dmath::sqrt(x);
  } else {
    V out = x;  // sqrt is correctly rounded in every form: lane by lane gives the scalar's bits
    for (int i = 0; i < dmath::Lanes<V>::width; ++i) out[i] = std::sqrt(x[i]);
    return out;
  }
}

template <typename V>
V blend(Mask<V> mask, V a, V b) {
  return select(mask, a, b);
}

// How many lanes are set.
template <typename V>
int count_lanes(Mask<V> mask) {
  int count = 0;
  for (int i = 0; i < dmath::Lanes<V>::width; ++i) count += mask[i] != 0 ? 1 : 0;
  return count;
}

// `mask ? when_true() : when_false()`: on a scalar only the branch taken runs; on lanes a
// branch runs when some lane takes it, and each lane keeps its own. Every lane thus goes
// through the same operations as the scalar would, and the batch returns the scalar entry
// point's bits.
template <typename V, typename True, typename False>
auto choose(Mask<V> mask, True when_true, False when_false) {
  if constexpr (kScalar<V>) {
    return mask ? when_true() : when_false();
  } else {
    const int taken = count_lanes<V>(mask);
    if (taken == dmath::Lanes<V>::width) return when_true();
    if (taken == 0) return when_false();
    return blend<V>(mask, when_true(), when_false());
  }
}

// ---------------------------------------------------------------------------------------------
// The normal distribution.

// Y(z) = Φ(z)/φ(z) for z <= 0.
template <typename V>
V normal_ratio(V z) {
  return kSqrtHalfPi * dmath::erfcx_nonnegative(-z * kInvSqrt2);
}

// Φ^-1(p) for 0.075 <= p <= 0.5, from q = p - 1/2, and for p < 0.075 from r = sqrt(-ln p):
// the rational approximations of M. Wichura, "Algorithm AS 241: The percentage points of the
// normal distribution", Applied Statistics 37(3), 1988 (PPND16, relative error about 1e-16).
// Coefficients from the highest power down (dmath::polynomial).
constexpr double kCentralNumerator[] = {2.5090809287301226727e+3, 3.3430575583588128105e+4,
                                        6.7265770927008700853e+4, 4.5921953931549871457e+4,
                                        1.3731693765509461125e+4, 1.9715909503065514427e+3,
                                        1.3314166789178437745e+2, 3.3871328727963666080e+0};
constexpr double kCentralDenominator[] = {5.2264952788528545610e+3, 2.8729085735721942674e+4,
                                          3.9307895800092710610e+4, 2.1213794301586595867e+4,
                                          5.3941960214247511077e+3, 6.8718700749205790830e+2,
                                          4.2313330701600911252e+1, 1.0};
constexpr double kNearTailNumerator[] = {  // 1.6 <= r <= 5
    7.74545014278341407640e-4, 2.27238449892691845833e-2, 2.41780725177450611770e-1,
    1.27045825245236838258e+0, 3.64784832476320460504e+0, 5.76949722146069140550e+0,
    4.63033784615654529590e+0, 1.42343711074968357734e+0};
constexpr double kNearTailDenominator[] = {1.05075007164441684324e-9, 5.47593808499534494600e-4,
                                           1.51986665636164571966e-2, 1.48103976427480074590e-1,
                                           6.89767334985100004550e-1, 1.67638483018380384940e+0,
                                           2.05319162663775882187e+0, 1.0};
constexpr double kFarTailNumerator[] = {  // r > 5, p < 1.4e-11
    2.01033439929228813265e-7, 2.71155556874348757815e-5, 1.24266094738807843860e-3,
    2.65321895265761230930e-2, 2.96560571828504891230e-1, 1.78482653991729133580e+0,
    5.46378491116411436990e+0, 6.65790464350110377720e+0};
constexpr double kFarTailDenominator[] = {2.04426310338993978564e-15, 1.42151175831644588870e-7,
                                          1.84631831751005468180e-5,  7.86869131145613259100e-4,
                                          1.48753612908506148525e-2,  1.36929880922735805310e-1,
                                          5.99832206555887937690e-1,  1.0};

template <typename V>
V inverse_ncdf_central(V q) {
  const V r = 0.180625 - q * q;
  return q * dmath::polynomial(r, kCentralNumerator) / dmath::polynomial(r, kCentralDenominator);
}

template <typename V>
V inverse_ncdf_tail(V r) {
  return choose<V>(
      r <= 5.0,
      [&] {
        const V u = r - 1.6;
        return -dmath::polynomial(u, kNearTailNumerator) /
               dmath::polynomial(u, kNearTailDenominator);
      },
      [&] {
        const V u = r - 5.0;
        return -dmath::polynomial(u, kFarTailNumerator) / dmath::polynomial(u, kFarTailDenominator);
      });
}

constexpr double kLogCentralLowestP = -2.5902671654458267;  // ln 0.075

// Φ^-1(p) for 0 < p < 1/2 from ln p, and p itself from `p_of` where the central region needs it
// (so that callers who know only ln p spend an exp only there).
template <typename V, typename P>
V inverse_ncdf_below_half(V log_p, P p_of) {
  return choose<V>(
      log_p >= kLogCentralLowestP, [&] { return inverse_ncdf_central<V>(p_of() - 0.5); },
      [&] { return inverse_ncdf_tail(lane_sqrt<V>(-log_p)); });
}

// ---------------------------------------------------------------------------------------------
// The normalised Black call b(x, s) for x <= 0 and its derivatives in s.

// For t = s/2 below kSmallT and |x| below kSmallTMaxX, b/vega comes from its Taylor series in
// t around h, which keeps full relative accuracy where the two terms of the Black formula nearly
// cancel (as s -> 0 the relative error of the difference formula grows like 1e-16/s). Eight odd
// terms leave a truncation below 1e-17 at t = 0.25 (worst at h = 0, where term k is
// t^(2k+1)/(2k+1)!!).
constexpr double kSmallT = 0.25;
constexpr double kSmallTMaxX = 2.0;
constexpr int kSmallTTerms = 8;
// 1/(2k+1)!, the factorials exact in double up to 15!.
constexpr std::array<double, kSmallTTerms> kInverseOddFactorial = [] {
  std::array<double, kSmallTTerms> out{};
  double factorial = 1.0;
  for (int k = 0; k < kSmallTTerms; ++k) {
    out[static_cast<std::size_t>(k)] = 1.0 / factorial;
    factorial *= (2.0 * k + 2.0) * (2.0 * k + 3.0);
  }
  return out;
}();

// b/vega = Y(h + t) - Y(h - t) = 2 sum_k Y^(2k+1)(h) t^(2k+1) / (2k+1)!, from y = Y(h). Y' = 1 + hY
// gives the derivatives by Y^(n+1) = n Y^(n-1) + h Y^(n); their rounding errors grow like |h|^n,
// which the powers of t in front absorb to a factor e^(t |h|) = e^(|x|/2), hence the bound on x.
template <typename V>
V small_t_ratio(V h, V t, V y) {
  V odd[kSmallTTerms];  // the odd derivatives Y^(1), Y^(3), ..., Y^(15)
  V previous = y;
  V current = 1.0 + h * previous;
  odd[0] = current;
  for (int n = 1; n < 2 * kSmallTTerms - 1; ++n) {
    const V next = static_cast<double>(n) * previous + h * current;
    previous = current;
    current = next;
    if (n % 2 == 0) odd[n / 2] = current;
  }
  const V t2 = t * t;
  V series = odd[kSmallTTerms - 1] * kInverseOddFactorial[kSmallTTerms - 1];
  for (int k = kSmallTTerms - 2; k >= 0; --k) {
    series = odd[k] * kInverseOddFactorial[static_cast<std::size_t>(k)] + t2 * series;
  }
  return 2.0 * t * series;
}

// b at one s, with b_max - b beside it. Near b_max the accurate quantity is the gap, summed from
// two positive terms; below it b itself. `gap_direct` says which one was computed.
template <typename V>
struct BlackAt {
  V vega;   // db/ds
  V value;  // b
  V gap;    // b_max - b
  Mask<V> gap_direct;
};

template <typename V>
BlackAt<V> blend(Mask<V> mask, const BlackAt<V>& a, const BlackAt<V>& b) {
  return {select(mask, a.vega, b.vega), select(mask, a.value, b.value), select(mask, a.gap, b.gap),
          select(mask, a.gap_direct, b.gap_direct)};
}

// Away from the series: b = vega (Y(d1) - Y(d2)) for d1 <= 0; above, since
// e^(x/2) Φ(d1) = e^(x/2) - e^(x/2) Φ(-d1), the gap is vega (Y(-d1) + Y(d2)). Both need only
// y_d1 = Y(-|d1|) and Y(d2) (d2 < 0 always).
template <typename V>
BlackAt<V> black_at_from_tails(V d1, V d2, V y_d1, V vega, V b_max) {
  const V y_d2 = normal_ratio(d2);
  const V value_direct = vega * (y_d1 - y_d2);
  const V gap_direct = vega * (y_d1 + y_d2);
  const Mask<V> above = d1 > 0.0;
  return {vega, select(above, b_max - gap_direct, value_direct),
          select(above, gap_direct, b_max - value_direct), above};
}

template <typename V>
BlackAt<V> black_at(V x, V b_max, V s) {
  const V h = x / s;
  const V t = 0.5 * s;
  const V vega = kInvSqrt2Pi * dmath::exp(-0.5 * (h * h + t * t));
  const Mask<V> small_t = t < kSmallT;
  const Mask<V> near_the_money = x > -kSmallTMaxX;
  const Mask<V> series = both<V>(small_t, near_the_money);
  const V d1 = h + t;
  // The series starts from Y(h), the tails from Y(-|d1|): one erfcx serves both.
  const V y = normal_ratio(select(series, h, -dmath::abs(d1)));
  return choose<V>(
      series,
      [&] {
        const V value = vega * small_t_ratio(h, t, y);
        return BlackAt<V>{vega, value, b_max - value, Mask<V>{}};
      },
      [&] { return black_at_from_tails(d1, h - t, y, vega, b_max); });
}

// b''/b' and b'''/b', from ln b' = -(x^2/s^2 + s^2/4)/2 + const.
template <typename V>
struct Curvature {
  V second;  // b''/b' = x^2/s^3 - s/4
  V third;   // b'''/b' = (b''/b')^2 - 3 x^2/s^4 - 1/4
};

template <typename V>
Curvature<V> curvature_at(V x, V s) {
  const V h = x / s;
  const V second = h * h / s - 0.25 * s;
  return {second, second * second - 3.0 * (h * h) / (s * s) - 0.25};
}

// ---------------------------------------------------------------------------------------------
// Initial guesses: Delbourgo-Gregory rational cubics, shape-preserving.

// Through (0, y_left) and (1, y_right) in t, with slopes per unit of the abscissa and the
// abscissa's width; r = 3 is the cubic Hermite, larger r pulls it towards the chord.
template <typename V>
struct RationalCubic {
  V y_left;
  V y_right;
  V slope_left;
  V slope_right;
  V width;
  V r;
};

// t and 1 - t both given, so that either end keeps its relative precision.
template <typename V>
V rational_cubic(const RationalCubic<V>& c, V t, V one_minus_t) {
  const V u = one_minus_t;
  const V numerator = c.y_right * t * t * t +
                      (c.r * c.y_right - c.width * c.slope_right) * t * t * u +
                      (c.r * c.y_left + c.width * c.slope_left) * t * u * u + c.y_left * u * u * u;
  return numerator / (1.0 + (c.r - 3.0) * t * u);
}

// The cubic whose second derivative at one end is `second` (at the left end when `at_left`):
// r = (w second / 2 + d_r - d_l) / (chord - d_l) at the left, / (d_r - chord) at the right.
// It is then raised, where needed, to the smallest r that keeps the interpolant convex (or
// concave) as the data are, else monotone (Delbourgo and Gregory, SIAM J. Sci. Stat. Comput.
// 6(4), 1985), and capped where the curve is the chord to within the guess's needs.
template <typename V>
RationalCubic<V> fit_rational_cubic(V x_left, V x_right, V y_left, V y_right, V slope_left,
                                    V slope_right, V second, Mask<V> at_left) {
  constexpr double kMaxR = 1e6;
  const V width = x_right - x_left;
  const V chord = (y_right - y_left) / width;
  const V spread = slope_right - slope_left;
  V r = (0.5 * width * second + spread) / select(at_left, chord - slope_left, slope_right - chord);
  const Mask<V> shaped = either<V>(both<V>(slope_left < chord, chord < slope_right),
                                   both<V>(slope_left > chord, chord > slope_right));
  const V left_bound = spread / (chord - slope_left);
  const V right_bound = spread / (slope_right - chord);
  const V r_min = select(shaped, select(left_bound > right_bound, left_bound, right_bound),
                         (slope_left + slope_right) / chord);
  r = select(r >= r_min, r, r_min);  // also replaces a NaN
  r = select(r < kMaxR, r, dmath::broadcast<V>(kMaxR));
  return {y_left, y_right, slope_left, slope_right, width, r};
}

// ---------------------------------------------------------------------------------------------
// The four branches.

// The reduced problem: an out-of-the-money call, x <= 0, price beta in (0, b_max), and its
// distance beta_gap to b_max taken from the inputs rather than by subtraction.
template <typename V>
struct Reduced {
  V x;
  V b_max;
  V beta;
  V beta_gap;
};

// The guess and which objective polishes it: lowest, highest, else middle.
template <typename V>
struct Guess {
  V s;
  Mask<V> lowest;
  Mask<V> highest;
};

// The points of the price curve the branches are cut at.
template <typename V>
struct Nodes {
  V s_c;  // inflection point sqrt(2|x|)
  BlackAt<V> at_c;
  Mask<V> below_c;  // beta < b(s_c)
  V s_side;         // s_l below s_c, s_u above, where b's tangent at s_c meets 0 and b_max
  BlackAt<V> at_side;
};

template <typename V>
Nodes<V> nodes_for(const Reduced<V>& p) {
  const V s_c = lane_sqrt<V>(-2.0 * p.x);
  // At s_c, d1 = 0 and d2 = -s_c: b_c = vega_c (Y(0) - Y(-s_c)), vega_c = b_max / sqrt(2 pi).
  const V vega_c = kInvSqrt2Pi * p.b_max;
  const V y_c = normal_ratio(-s_c);
  const BlackAt<V> at_c{vega_c, vega_c * (kSqrtHalfPi - y_c), vega_c * (kSqrtHalfPi + y_c),
                        negate<V>(Mask<V>{})};
  const Mask<V> below_c = both<V>(p.x < 0.0, p.beta < at_c.value);
  // s_l = s_c - b_c/vega_c ~ sqrt(pi/2)|x| for small |x|, where the difference can be lost to
  // rounding (|x| near 1e-16, the smallest nonzero log-moneyness of two doubles).
  const V s_l = s_c - (kSqrtHalfPi - y_c);
  const V s_side =
      select(below_c, select(s_l > 0.0, s_l, -kSqrtHalfPi * p.x), s_c + (kSqrtHalfPi + y_c));
  return {s_c, at_c, below_c, s_side, black_at(p.x, p.b_max, s_side)};
}

// Middle branches: s(beta) itself between s_l and s_c, or s_c and s_u, with slopes 1/vega; at
// s_c, b's inflection point, s''(beta) = 0.
template <typename V>
V middle_guess(const Reduced<V>& p, const Nodes<V>& n) {
  const Mask<V> lower = n.below_c;
  const BlackAt<V> left = blend(lower, n.at_side, n.at_c);
  const BlackAt<V> right = blend(lower, n.at_c, n.at_side);
  const RationalCubic<V> cubic = fit_rational_cubic<V>(
      left.value, right.value, select(lower, n.s_side, n.s_c), select(lower, n.s_c, n.s_side),
      1.0 / left.vega, 1.0 / right.vega, dmath::broadcast<V>(0.0), negate<V>(lower));
  const V t = (p.beta - left.value) / cubic.width;
  return rational_cubic(cubic, t, 1.0 - t);
}

// Lowest and highest branches interpolate a map f(s) with b's asymptotics and an explicit
// inverse, as a rational cubic in beta.
// Lowest: f(s) = (2 pi |x| / (3 sqrt 3)) Φ(z)^3 with z = -|x| / (sqrt(3) s) behaves as b does
// as s -> 0 (both ~ e^(-x^2/(2 s^2)) s^3 / (x^2 sqrt(2 pi))); the cubic runs from f(0) = 0 with
// slope 1 to f(s_l), matching its first two derivatives there, and Φ(z) = (f/scale)^(1/3).
// Highest: f(s) = Φ(-s/2) behaves as (b_max - b)/2 as s -> infinity; the cubic runs from f(s_u),
// matching two derivatives, to f = 0 with slope -1/2 at b_max, and s = -2 Φ^-1(f).
template <typename V>
V outer_guess(const Reduced<V>& p, const Nodes<V>& n) {
  const Mask<V> lowest = n.below_c;
  const V s = n.s_side;
  const V ax = -p.x;
  const V scale = (2.0 * std::numbers::pi / (3.0 * kSqrt3)) * ax;
  const V z = select(lowest, -ax / (kSqrt3 * s), -0.5 * s);
  const dmath::NormalAt<V> phi = dmath::normal_at(z);
  const V dz_ds = -z / s;
  const V cdf_squared = phi.cdf * phi.cdf;
  const V f = select(lowest, scale * cdf_squared * phi.cdf, phi.cdf);
  const V df_ds = select(lowest, 3.0 * scale * cdf_squared * phi.pdf * dz_ds, -0.5 * phi.pdf);
  const V d2f_ds2 =
      df_ds * select(lowest, dz_ds * (2.0 * phi.pdf / phi.cdf - z) - 2.0 / s, -0.25 * s);
  const V df_db = df_ds / n.at_side.vega;
  const V d2f_db2 =
      (d2f_ds2 - df_ds * curvature_at(p.x, s).second) / (n.at_side.vega * n.at_side.vega);
  const V zero = dmath::broadcast<V>(0.0);
  const RationalCubic<V> cubic = fit_rational_cubic<V>(
      select(lowest, zero, n.at_side.value), select(lowest, n.at_side.value, p.b_max),
      select(lowest, zero, f), select(lowest, f, zero),
      select(lowest, dmath::broadcast<V>(1.0), df_db),
      select(lowest, df_db, dmath::broadcast<V>(-0.5)), d2f_db2, negate<V>(lowest));
  // The end where f vanishes takes its coordinate from beta or beta_gap directly.
  const V from_low = p.beta / n.at_side.value;
  const V from_high = p.beta_gap / n.at_side.gap;
  const V t = select(lowest, from_low, 1.0 - from_high);
  const V f_cubic = rational_cubic(cubic, t, select(lowest, 1.0 - from_low, from_high));
  // With |x| in the hundreds the data are so convex that the cubic's leading terms cancel to
  // rounding near the end where f vanishes, and may leave nothing positive; there f's leading
  // behaviour takes over: f ~ beta (lowest), f ~ beta_gap / 2 (highest).
  const V f_guess = select(f_cubic > 0.0, f_cubic, select(lowest, p.beta, 0.5 * p.beta_gap));
  const V log_p = dmath::log(select(lowest, f_guess / scale, f_guess)) /
                  select(lowest, dmath::broadcast<V>(3.0), dmath::broadcast<V>(1.0));
  const V z_guess = inverse_ncdf_below_half(log_p, [&] {
    return choose<V>(
        lowest, [&] { return dmath::exp(log_p); }, [&] { return f_guess; });
  });
  return select(lowest, -ax / (kSqrt3 * z_guess), -2.0 * z_guess);
}

template <typename V>
Guess<V> initial_guess(const Reduced<V>& p) {
  const Nodes<V> n = nodes_for(p);
  const Mask<V> outer = select(n.below_c, p.beta < n.at_side.value, p.beta_gap < n.at_side.gap);
  const V s = choose<V>(
      outer, [&] { return outer_guess(p, n); }, [&] { return middle_guess(p, n); });
  return {s, both<V>(outer, n.below_c), both<V>(outer, negate<V>(n.below_c))};
}

// ---------------------------------------------------------------------------------------------
// Householder iterations.

// The Newton step nu = -g/g' and the ratios g''/g', g'''/g' of the branch's objective g.
template <typename V>
struct Step {
  V newton;
  V second;
  V third;
};

template <typename V>
Step<V> blend(Mask<V> mask, const Step<V>& a, const Step<V>& b) {
  return {select(mask, a.newton, b.newton), select(mask, a.second, b.second),
          select(mask, a.third, b.third)};
}

// g = b - beta.
template <typename V>
Step<V> middle_step(const Reduced<V>& p, const BlackAt<V>& at, const Curvature<V>& c) {
  const V residual = select(at.gap_direct, at.gap - p.beta_gap, p.beta - at.value);
  return {residual / at.vega, c.second, c.third};
}

// g = 1/ln b - 1/ln beta, with lambda = b'/b and L = ln b.
template <typename V>
Step<V> lowest_step(const BlackAt<V>& at, const Curvature<V>& c, V log_b, V log_beta) {
  const V lambda = at.vega / at.value;
  const V newton = log_b * (log_beta - log_b) / (log_beta * lambda);
  const V second = c.second - lambda * (1.0 + 2.0 / log_b);
  const V shifted = c.second - lambda;
  const V third = shifted * shifted + c.third - c.second * c.second - lambda * shifted -
                  6.0 * lambda * shifted / log_b + 6.0 * lambda * lambda / (log_b * log_b);
  return {newton, second, third};
}

// g = ln(b_max - beta) - ln(b_max - b), with mu = b'/(b_max - b) and ln of the gaps' ratio.
template <typename V>
Step<V> highest_step(const BlackAt<V>& at, const Curvature<V>& c, V log_gap_ratio) {
  const V mu = at.vega / at.gap;
  return {log_gap_ratio / mu, c.second + mu, c.third + 3.0 * mu * c.second + 2.0 * mu * mu};
}

// Householder's method of order 3: s + nu (1 + nu h2/2) / (1 + nu (h2 + nu h3/6)).
template <typename V>
V householder(V s, const Step<V>& step) {
  const V nu = step.newton;
  return s +
         nu * (1.0 + 0.5 * step.second * nu) / (1.0 + nu * (step.second + step.third * nu / 6.0));
}

// One iteration from s on the guess's objective; log_beta = ln beta where it is the lowest.
template <typename V>
V iterate(const Reduced<V>& p, const Guess<V>& guess, V log_beta, V s) {
  const BlackAt<V> at = black_at(p.x, p.b_max, s);
  const Curvature<V> c = curvature_at(p.x, s);
  const Step<V> step = choose<V>(
      either<V>(guess.lowest, guess.highest),
      [&] {
        const V log_arg = dmath::log(select(guess.lowest, at.value, at.gap / p.beta_gap));
        return choose<V>(
            guess.lowest, [&] { return lowest_step(at, c, log_arg, log_beta); },
            [&] { return highest_step(at, c, log_arg); });
      },
      [&] { return middle_step(p, at, c); });
  const V next = householder(s, step);
  return select(next > 0.0, next, 0.5 * s);  // an overshoot below zero halves s instead
}

// Two iterations reach the attainable accuracy from these guesses (Jäckel's result; a third
// moves s by at most 4e-15 s over 1.7 million random cases), and one does where its correction
// is below 3e-5 s: the error left is then about (3e-5)^4 times a factor of order 1, under
// 1e-16 s (same cases: worst 3e-15 s, the rounding floor).
constexpr double kSecondIterationAbove = 3e-5;

// The guess and the first iteration, and whether that already converged.
template <typename V>
struct FirstPass {
  Guess<V> guess;
  V log_beta;
  V s;
  Mask<V> converged;
};

template <typename V>
FirstPass<V> first_pass(const Reduced<V>& p) {
  const Guess<V> guess = initial_guess(p);
  const V log_beta = choose<V>(
      guess.lowest, [&] { return dmath::log(p.beta); }, [&] { return dmath::broadcast<V>(0.0); });
  const V s = iterate(p, guess, log_beta, guess.s);
  return {guess, log_beta, s, dmath::abs(s - guess.s) <= kSecondIterationAbove * s};
}

// ---------------------------------------------------------------------------------------------
// Validation and reduction of the quoted option.

enum class Fault : unsigned char {
  none,
  price,    // not finite
  forward,  // not positive and finite
  strike,
  expiry,
  discount,
  discounted_forward,  // forward * discount overflows or underflows
  discounted_strike,
  below_intrinsic,
  at_upper_bound,
};

bool positive_finite(double value) { return value > 0.0 && value < HUGE_VAL; }

Fault check_black76(double price, double forward, double strike, double expiry_years,
                    double discount) {
  if (!std::isfinite(price)) return Fault::price;
  if (!positive_finite(forward)) return Fault::forward;
  if (!positive_finite(strike)) return Fault::strike;
  if (!positive_finite(expiry_years)) return Fault::expiry;
  if (!positive_finite(discount)) return Fault::discount;
  if (!positive_finite(forward * discount)) return Fault::discounted_forward;
  if (!positive_finite(strike * discount)) return Fault::discounted_strike;
  return Fault::none;
}

// a b as its rounded value and the rounding error, hi + lo = a b to about 2^-106 relative
// (Dekker's product; the split masks the low 27 bits, which cannot overflow as Veltkamp's can).
template <typename V>
struct Exact {
  V hi;
  V lo;
};

template <typename V>
V upper_bits(V a) {
  constexpr std::int64_t kHigh = ~((std::int64_t{1} << 27) - 1);
  return dmath::from_bits<V>(dmath::to_bits(a) & kHigh);
}

template <typename V>
Exact<V> exact_product(V a, V b) {
  const V a_hi = upper_bits(a);
  const V a_lo = a - a_hi;
  const V b_hi = upper_bits(b);
  const V b_lo = b - b_hi;
  const V hi = a * b;
  return {hi, ((a_hi * b_hi - hi) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo};
}

// ln(n/d) to about 1 ulp even near n = d, where the rounding of the quotient alone would be a
// relative error of 1e-16/|x|: the exact residual n - q d corrects ln q by ln(1 + e) ~ e. The
// difference of logs takes over where the quotient leaves the normal range.
template <typename V>
V log_ratio(V n, V d) {
  const V q = n / d;
  return choose<V>(
      both<V>(q >= std::numeric_limits<double>::min(), q < HUGE_VAL),
      [&] {
        const Exact<V> qd = exact_product(q, d);
        return dmath::log(q) + ((n - qd.hi) - qd.lo) / n;
      },
      [&] { return dmath::log(n) - dmath::log(d); });
}

// The option in discounted terms: A = F df (or S e^(-qT)) and B = K df (or K e^(-rT)), each
// with its rounding error, and w = +1 for a call, -1 for a put. The rounded values are what
// black_kernel.hpp prices with, so the bounds use them; the time value, the distance to the
// upper bound and x = ln(A/B) use the exact products, since near the money the rounding of A
// and B would be a large error against a small time value (an ulp of A against the price of a
// short-dated, low-volatility option).
template <typename V>
struct Quote {
  V omega;
  V price;
  Exact<V> discounted_forward;
  Exact<V> discounted_strike;
  V expiry_years;
};

// The reduced problem and what decides whether it needs solving: a price below the intrinsic
// value or at or above the upper bound is an error; one at the intrinsic value implies 0, and
// so does a normalised time value below the smallest normal double, which carries too few bits
// to imply more (and b's terms would underflow on the way).
template <typename V>
struct Reduction {
  Reduced<V> reduced;
  V sqrt_expiry;
  V intrinsic;
  V upper;
  Mask<V> below_intrinsic;
  Mask<V> at_upper_bound;
  Mask<V> zero_vol;
};

template <typename V>
Reduction<V> reduce(const Quote<V>& q) {
  const Exact<V> a = q.discounted_forward;
  const Exact<V> b = q.discounted_strike;
  const V zero = dmath::broadcast<V>(0.0);
  // w (A - B) is the kernel's price at zero volatility and its floor.
  const V signed_intrinsic = q.omega * (a.hi - b.hi);
  const V intrinsic = select(signed_intrinsic > 0.0, signed_intrinsic, zero);
  const Mask<V> call = q.omega > 0.0;
  const Exact<V> upper{select(call, a.hi, b.hi), select(call, a.lo, b.lo)};
  // Put-call parity leaves the time value, the price of the out-of-the-money option; its distance
  // to that option's upper bound min(A, B) is the original's upper - price. w (A - B) is taken
  // as hi + lo (Knuth's two-sum of the rounded parts, then their errors), so that subtracting
  // it from the price rounds once, on the time value's scale.
  const V hi = a.hi - b.hi;
  const V share_of_b = hi - a.hi;
  const V lo = ((a.hi - (hi - share_of_b)) - (b.hi + share_of_b)) + (a.lo - b.lo);
  const V time_value =
      select(q.omega * (hi + lo) > 0.0, (q.price - q.omega * hi) - q.omega * lo, q.price);
  const V to_upper = (upper.hi - q.price) + upper.lo;
  const V scale = lane_sqrt(a.hi) * lane_sqrt(b.hi);
  const V x = -dmath::abs(log_ratio(a.hi, b.hi) + (a.lo / a.hi - b.lo / b.hi));
  const Reduced<V> reduced{x, dmath::exp(0.5 * x), time_value / scale, to_upper / scale};
  return {reduced, lane_sqrt(q.expiry_years), intrinsic, upper.hi, q.price < intrinsic,
          // Exact, the distance to the bound can vanish where the rounded one does not: only
          // for subnormal A or B, whose rounding errors are the size of their last bit.
          either<V>(q.price >= upper.hi, negate<V>(to_upper > 0.0)),
          either<V>(q.price == intrinsic,
                    negate<V>(reduced.beta >= std::numeric_limits<double>::min()))};
}

// The scalar path. The batch runs the same functions on lanes and returns the same bits.
struct Answer {
  Fault fault;
  double bound;  // the intrinsic value or the upper bound the price broke
  double vol;
};

Answer solve(const Quote<double>& q) {
  const Reduction<double> r = reduce(q);
  if (r.below_intrinsic) return {Fault::below_intrinsic, r.intrinsic, kNaN};
  if (r.at_upper_bound) return {Fault::at_upper_bound, r.upper, kNaN};
  if (r.zero_vol) return {Fault::none, 0.0, 0.0};
  const FirstPass<double> first = first_pass(r.reduced);
  const double s =
      first.converged ? first.s : iterate(r.reduced, first.guess, first.log_beta, first.s);
  return {Fault::none, 0.0, s / r.sqrt_expiry};
}

// ---------------------------------------------------------------------------------------------
// The batch: validation option by option, then each stage on full lanes, blocks of options at a
// time: reduction, the first pass, and the second iteration where it is wanted.

struct Columns {
  std::span<const OptionKind> kind;
  std::span<const double> price, forward, strike, expiry_years, discount;
};

constexpr std::size_t kBlock = 256;

// A block's valid options in columns, by their order of arrival (k), and the stages' lists.
struct Block {
  std::size_t count = 0;
  std::size_t index[kBlock];  // position in the batch
  double omega[kBlock], price[kBlock], forward[kBlock], strike[kBlock], expiry[kBlock],
      discount[kBlock];
  // The reduced problems for the options in `pending`.
  std::size_t pending_count = 0;
  std::size_t pending[kBlock];
  double x[kBlock], b_max[kBlock], beta[kBlock], beta_gap[kBlock], sqrt_expiry[kBlock];
  // What the first pass leaves for a second iteration, for the options in `second`.
  std::size_t second_count = 0;
  std::size_t second[kBlock];
  double s[kBlock], log_beta[kBlock];
  bool lowest[kBlock], highest[kBlock];
};

template <typename V>
constexpr std::size_t kWidth = static_cast<std::size_t>(dmath::Lanes<V>::width);

// Lanes of `column` at positions[first ...] (or first ... without positions); past `count` the
// filler, a value every stage accepts, whose results are never stored.
template <typename V>
V gather(const double* column, const std::size_t* positions, std::size_t first, std::size_t count,
         double filler) {
  V out = dmath::broadcast<V>(filler);
  for (std::size_t i = 0; i < kWidth<V> && first + i < count; ++i) {
    out[i] = column[positions != nullptr ? positions[first + i] : first + i];
  }
  return out;
}

template <typename V>
Mask<V> gather_mask(const bool* column, const std::size_t* positions, std::size_t first,
                    std::size_t count) {
  Mask<V> out{};
  for (std::size_t i = 0; i < kWidth<V> && first + i < count; ++i) {
    out[i] = column[positions[first + i]] ? -1 : 0;
  }
  return out;
}

template <typename V>
Reduced<V> gather_reduced(const Block& b, const std::size_t* positions, std::size_t first,
                          std::size_t count) {
  return {gather<V>(b.x, positions, first, count, 0.0),
          gather<V>(b.b_max, positions, first, count, 1.0),
          gather<V>(b.beta, positions, first, count, 0.5),
          gather<V>(b.beta_gap, positions, first, count, 0.5)};
}

// Errors and zero volatilities are answered; the others are queued for the first pass.
template <typename V>
std::size_t reduce_block(Block& b, std::span<double> vol_out) {
  std::size_t failures = 0;
  b.pending_count = 0;
  for (std::size_t first = 0; first < b.count; first += kWidth<V>) {
    const V discount = gather<V>(b.discount, nullptr, first, b.count, 1.0);
    const Reduction<V> r =
        reduce(Quote<V>{gather<V>(b.omega, nullptr, first, b.count, 1.0),
                        gather<V>(b.price, nullptr, first, b.count, 0.5),
                        exact_product(gather<V>(b.forward, nullptr, first, b.count, 1.0), discount),
                        exact_product(gather<V>(b.strike, nullptr, first, b.count, 1.0), discount),
                        gather<V>(b.expiry, nullptr, first, b.count, 1.0)});
    for (std::size_t i = 0; i < kWidth<V> && first + i < b.count; ++i) {
      const std::size_t k = first + i;
      if (r.below_intrinsic[i] != 0 || r.at_upper_bound[i] != 0) {
        vol_out[b.index[k]] = kNaN;
        ++failures;
      } else if (r.zero_vol[i] != 0) {
        vol_out[b.index[k]] = 0.0;
      } else {
        b.x[k] = r.reduced.x[i];
        b.b_max[k] = r.reduced.b_max[i];
        b.beta[k] = r.reduced.beta[i];
        b.beta_gap[k] = r.reduced.beta_gap[i];
        b.sqrt_expiry[k] = r.sqrt_expiry[i];
        b.pending[b.pending_count++] = k;
      }
    }
  }
  return failures;
}

// The converged ones are answered, the others queued for a second iteration.
template <typename V>
void first_passes(Block& b, std::span<double> vol_out) {
  b.second_count = 0;
  const std::size_t* at = b.pending;
  for (std::size_t first = 0; first < b.pending_count; first += kWidth<V>) {
    const FirstPass<V> pass = first_pass(gather_reduced<V>(b, at, first, b.pending_count));
    for (std::size_t i = 0; i < kWidth<V> && first + i < b.pending_count; ++i) {
      const std::size_t k = at[first + i];
      if (pass.converged[i] != 0) {
        vol_out[b.index[k]] = pass.s[i] / b.sqrt_expiry[k];
        continue;
      }
      b.s[k] = pass.s[i];
      b.log_beta[k] = pass.log_beta[i];
      b.lowest[k] = pass.guess.lowest[i] != 0;
      b.highest[k] = pass.guess.highest[i] != 0;
      b.second[b.second_count++] = k;
    }
  }
}

template <typename V>
void second_iterations(const Block& b, std::span<double> vol_out) {
  const std::size_t* at = b.second;
  const std::size_t n = b.second_count;
  for (std::size_t first = 0; first < n; first += kWidth<V>) {
    const Guess<V> objective{gather<V>(b.s, at, first, n, 1.0),
                             gather_mask<V>(b.lowest, at, first, n),
                             gather_mask<V>(b.highest, at, first, n)};
    const V s = iterate(gather_reduced<V>(b, at, first, n), objective,
                        gather<V>(b.log_beta, at, first, n, 0.0), objective.s);
    for (std::size_t i = 0; i < kWidth<V> && first + i < n; ++i) {
      const std::size_t k = at[first + i];
      vol_out[b.index[k]] = s[i] / b.sqrt_expiry[k];
    }
  }
}

// Options [first, end) of the batch; returns how many failed.
template <typename V>
std::size_t solve_block(const Columns& in, std::size_t first, std::size_t end, Block& b,
                        std::span<double> vol_out) {
  std::size_t failures = 0;
  b.count = 0;
  for (std::size_t i = first; i < end; ++i) {
    if (check_black76(in.price[i], in.forward[i], in.strike[i], in.expiry_years[i],
                      in.discount[i]) != Fault::none) {
      vol_out[i] = kNaN;
      ++failures;
      continue;
    }
    const std::size_t k = b.count++;
    b.index[k] = i;
    b.omega[k] = omega_of(in.kind[i]);
    b.price[k] = in.price[i];
    b.forward[k] = in.forward[i];
    b.strike[k] = in.strike[i];
    b.expiry[k] = in.expiry_years[i];
    b.discount[k] = in.discount[i];
  }
  failures += reduce_block<V>(b, vol_out);
  first_passes<V>(b, vol_out);
  second_iterations<V>(b, vol_out);
  return failures;
}

// The same stages compiled for AVX2: twice the lanes per instruction of the baseline's SSE, which
// more than halves the time (AVX-512 on 8 lanes gained nothing: more of its lanes take different
// branches). `flatten` inlines everything the function calls, so no AVX code
// exists outside it for the linker to hand to a baseline caller (dmath.hpp explains the hazard);
// the operations, and so the bits, are those of the baseline and scalar paths.
[[gnu::target("avx2"), gnu::flatten]] std::size_t solve_block_avx2(const Columns& in,
                                                                   std::size_t first,
                                                                   std::size_t end, Block& b,
                                                                   std::span<double> vol_out) {
  return solve_block<Lanes>(in, first, end, b, vol_out);
}

// ---------------------------------------------------------------------------------------------
// Messages.

Error positive_error(const char* name, double value) {
  return invalid_field(name, value, "positive and finite");
}

Result<double> answer_or_error(OptionKind kind, double price, const Answer& a) {
  switch (a.fault) {
    case Fault::below_intrinsic:
      return make_error(
          ErrorCode::invalid_input,
          "price " + shortest_digits(price) + " is below the intrinsic value " + shortest_digits(a.bound));
    case Fault::at_upper_bound:
      return make_error(ErrorCode::invalid_input,
                        "price " + shortest_digits(price) + " is at or above the upper bound " +
                            shortest_digits(a.bound) +
                            (kind == OptionKind::call ? " (discounted forward for a call)"
                                                      : " (discounted strike for a put)"));
    default: return a.vol;
  }
}

// The message for what check_black76 found.
Error black76_invalid_field(Fault fault, double price, double forward, double strike,
                          double expiry_years, double discount) {
  switch (fault) {
    case Fault::price: return invalid_field("price", price, "finite");
    case Fault::forward: return positive_error("forward", forward);
    case Fault::strike: return positive_error("strike", strike);
    case Fault::expiry: return positive_error("expiry", expiry_years);
    case Fault::discount: return positive_error("discount", discount);
    case Fault::discounted_forward:
      return positive_error("discounted forward forward*discount", forward * discount);
    default: break;
  }
  BALLAST_ASSERT(fault == Fault::discounted_strike);
  return positive_error("discounted strike strike*discount", strike * discount);
}

}  // namespace

Result<double> implied_vol_black76(OptionKind kind, double price, double forward, double strike,
                                   double expiry_years, double discount) {
  const Fault fault = check_black76(price, forward, strike, expiry_years, discount);
  if (fault != Fault::none) {
    return black76_invalid_field(fault, price, forward, strike, expiry_years, discount);
  }
  return answer_or_error(kind, price,
                         solve({omega_of(kind), price, exact_product(forward, discount),
                                exact_product(strike, discount), expiry_years}));
}

Result<double> implied_vol_bsm(OptionKind kind, double price, double spot, double strike,
                               double expiry_years, double rate, double dividend) {
  if (!std::isfinite(price)) return invalid_field("price", price, "finite");
  if (!positive_finite(spot)) return positive_error("spot", spot);
  if (!positive_finite(strike)) return positive_error("strike", strike);
  if (!positive_finite(expiry_years)) return positive_error("expiry", expiry_years);
  if (!std::isfinite(rate)) return invalid_field("rate", rate, "finite");
  if (!std::isfinite(dividend)) return invalid_field("dividend", dividend, "finite");
  // Discounted as price_bsm discounts (black_kernel.hpp, bsm_lanes and d_terms).
  const Exact<double> a = exact_product(spot, dmath::exp(-dividend * expiry_years));
  const Exact<double> b = exact_product(strike, dmath::exp(-rate * expiry_years));
  if (!positive_finite(a.hi)) {
    return positive_error("discounted forward spot*exp(-dividend*expiry)", a.hi);
  }
  if (!positive_finite(b.hi)) {
    return positive_error("discounted strike strike*exp(-rate*expiry)", b.hi);
  }
  return answer_or_error(kind, price, solve({omega_of(kind), price, a, b, expiry_years}));
}

std::size_t implied_vol_black76_batch(std::span<const OptionKind> kind,
                                      std::span<const double> price,
                                      std::span<const double> forward,
                                      std::span<const double> strike,
                                      std::span<const double> expiry_years,
                                      std::span<const double> discount, std::span<double> vol_out,
                                      Isa isa) {
  const std::size_t n = vol_out.size();
  BALLAST_ASSERT(kind.size() == n && price.size() == n && forward.size() == n &&
                 strike.size() == n && expiry_years.size() == n && discount.size() == n);
  const Columns in{kind, price, forward, strike, expiry_years, discount};
  BALLAST_ASSERT(isa_supported(isa));
  const bool avx2 = isa != Isa::scalar;
  Block block;
  std::size_t failures = 0;
  for (std::size_t first = 0; first < n; first += kBlock) {
    const std::size_t end = std::min(n, first + kBlock);
    failures += avx2 ? solve_block_avx2(in, first, end, block, vol_out)
                     : solve_block<Lanes>(in, first, end, block, vol_out);
  }
  return failures;
}

}  // namespace ballast::pricing

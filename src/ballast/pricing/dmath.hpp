#pragma once
// Deterministic elementary functions for pricing: exp, log, erfcx, the normal CDF and density.
//
// Why our own (docs/ARCHITECTURE.md "Hand-written code"): margin decisions depend on option
// values, so the scalar path and the 4- and 8-lane vector paths must return identical bits on
// every x86-64 machine. glibc's libm is not specified to the bit and has no vector variants that
// match its scalar ones; SLEEF's deterministic (no-FMA "cinz") variants do match, but its erfc
// costs 21 ns per element even in AVX-512 and its scalar exp 14 ns, which alone would break the
// 20 ns per option budget. These functions use only IEEE-754 +, -, *, /, compares and integer bit
// operations, written once as templates over a lane type V (double, or a GCC vector of 4 or 8
// doubles), so every instantiation performs the same operations in the same order.
//
// Accuracy (dmath_test, against long-double or published values): exp and log within 1 ulp;
// erfcx within 7 ulp; ncdf within 8 ulp relative for -37 <= z <= 0 (0 below), and 2^-51
// absolute above; npdf within 4 ulp for |z| <= 37 (0 beyond).
//
// A translation unit compiled for a wider ISA defines BALLAST_LANES_NAMESPACE before including
// this header, so its inline instantiations never merge with the baseline ones at link time
// (an AVX-512 copy of exp<double> picked by the linker would fault on an older machine).

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <type_traits>

#if defined(__AVX__)
#include <immintrin.h>
#endif

#ifndef BALLAST_LANES_NAMESPACE
#define BALLAST_LANES_NAMESPACE baseline
#endif

namespace ballast::pricing::dmath {
inline namespace BALLAST_LANES_NAMESPACE {

using D4 = double __attribute__((vector_size(32)));
using I4 = std::int64_t __attribute__((vector_size(32)));
using D8 = double __attribute__((vector_size(64)));
using I8 = std::int64_t __attribute__((vector_size(64)));

// The integer lane type of the same width: what comparisons return and bit casts produce.
template <typename V>
struct Lanes;
template <>
struct Lanes<double> {
  using Int = std::int64_t;
  using Mask = bool;
  static constexpr int width = 1;
};
template <>
struct Lanes<D4> {
  using Int = I4;
  using Mask = I4;
  static constexpr int width = 4;
};
template <>
struct Lanes<D8> {
  using Int = I8;
  using Mask = I8;
  static constexpr int width = 8;
};

template <typename V>
using IntOf = typename Lanes<V>::Int;
template <typename V>
using MaskOf = typename Lanes<V>::Mask;

template <typename V>
inline V broadcast(double value) {
  if constexpr (std::is_same_v<V, double>) {
    return value;
  } else {
    return V{} + value;  // vector + scalar broadcasts; 0 + c == c exactly
  }
}

template <typename V>
inline IntOf<V> broadcast_int(std::int64_t value) {
  if constexpr (std::is_same_v<V, double>) {
    return value;
  } else {
    return IntOf<V>{} + value;
  }
}

// Lane-wise `mask ? a : b` (GCC and clang accept ?: on vectors in C++).
template <typename V, typename M>
inline V select(M mask, V a, V b) {
  return mask ? a : b;
}

// Whether any lane of a comparison result is set: lets a kernel skip a rare correction that no
// lane of this vector needs. Each lane's result still depends only on that lane's inputs.
template <typename M>
inline bool any(M mask) {
  if constexpr (std::is_same_v<M, bool>) {
    return mask;
  }
#if defined(__AVX__)
  else if constexpr (std::is_same_v<M, I4>) {
    return _mm256_movemask_pd(std::bit_cast<__m256d>(mask)) != 0;
  }
#endif
#if defined(__AVX512F__)
  else if constexpr (std::is_same_v<M, I8>) {
    const __m512i bits = std::bit_cast<__m512i>(mask);
    return _mm512_test_epi64_mask(bits, bits) != 0;
  }
#endif
  else {
    std::int64_t lanes_or = 0;
    for (std::size_t i = 0; i < sizeof(M) / sizeof(std::int64_t); ++i) lanes_or |= mask[i];
    return lanes_or != 0;
  }
}

template <typename V>
inline IntOf<V> to_bits(V value) {
  return std::bit_cast<IntOf<V>>(value);
}

template <typename V>
inline V from_bits(IntOf<V> bits) {
  return std::bit_cast<V>(bits);
}

template <typename V>
inline V abs(V x) {
  return from_bits<V>(to_bits(x) & broadcast_int<V>(INT64_MAX));
}

template <typename V>
inline V sqrt(V x) {
  if constexpr (std::is_same_v<V, double>) {
    return std::sqrt(x);  // correctly rounded, as the vector instructions are
  }
#if defined(__AVX__)
  else if constexpr (std::is_same_v<V, D4>) {
    return _mm256_sqrt_pd(x);
  }
#endif
#if defined(__AVX512F__)
  else if constexpr (std::is_same_v<V, D8>) {
    // The masked form with every lane selected: _mm512_sqrt_pd's undefined pass-through trips
    // GCC 12's -Wmaybe-uninitialized (GCC bug 105593).
    return _mm512_mask_sqrt_pd(x, 0xff, x);
  }
#endif
  else {
    static_assert(!std::is_same_v<V, V>, "no square root for this lane type in this ISA");
  }
}

// Adding then subtracting 1.5 * 2^52 rounds |x| < 2^51 to the nearest integer (ties to even),
// and the low bits of the sum hold that integer: the conversion without cvt instructions,
// which AVX2 lacks for 64-bit integers.
inline constexpr double kRoundMagic = 0x1.8p52;

template <typename V>
inline V round_to_integer(V x) {
  return (x + kRoundMagic) - kRoundMagic;
}

// x^K by repeated squaring, in a fixed order.
template <std::size_t K, typename V>
inline V power(V x) {
  if constexpr (K == 1) {
    return x;
  } else if constexpr (K % 2 == 0) {
    const V half = power<K / 2>(x);
    return half * half;
  } else {
    return x * power<K - 1>(x);
  }
}

// Horner's rule over c[First, Last): c[First] x^(Last-First-1) + ... + c[Last-1].
template <std::size_t First, std::size_t Last, typename V, std::size_t N>
inline V horner(V x, const double (&c)[N]) {
  V sum = broadcast<V>(c[First]);
  for (std::size_t k = First + 1; k < Last; ++k) sum = sum * x + c[k];
  return sum;
}

// p(x) = c[0] x^(N-1) + ... + c[N-1], as low(x) + x^L high(x): two independent Horner chains of
// half the length, which is what bounds these polynomials in the vector kernels. Our series
// have decaying coefficients, so the high part is small beside the low one and the split costs
// no accuracy (an even/odd split did: its two halves cancel). The order of operations is fixed,
// so every lane type gets the same bits.
template <typename V, std::size_t N>
inline V polynomial(V x, const double (&c)[N]) {
  static_assert(N >= 4);
  constexpr std::size_t kHigh = N / 2;      // c[0, kHigh): degrees N-1 down to L
  constexpr std::size_t kLowDegree = N - kHigh;  // L
  const V high = horner<0, kHigh>(x, c);
  const V low = horner<kHigh, N>(x, c);
  return low + power<kLowDegree>(x) * high;
}

// The same polynomial as four Horner chains of a quarter of the length,
// (c_low + x^Q c_2) + x^2Q (c_3 + x^Q c_high): for the long erfcx series, whose latency (not the
// number of operations) bounds the option kernels.
template <typename V, std::size_t N>
inline V polynomial4(V x, const double (&c)[N]) {
  static_assert(N >= 8);
  constexpr std::size_t kQ = (N + 3) / 4;  // degree step between the chains
  constexpr std::size_t kHighEnd = N - 3 * kQ;  // c[0, kHighEnd): the highest chain
  const V x_q = power<kQ>(x);
  const V highest = horner<0, kHighEnd>(x, c);
  const V upper = horner<kHighEnd, kHighEnd + kQ>(x, c);
  const V lower = horner<kHighEnd + kQ, kHighEnd + 2 * kQ>(x, c);
  const V lowest = horner<kHighEnd + 2 * kQ, N>(x, c);
  return (lowest + x_q * lower) + (x_q * x_q) * (upper + x_q * highest);
}

// Lane-wise table[index] for index in [0, 16): one in-register permute on AVX-512, a gather on
// AVX2, plain indexing otherwise. Exact in every form, so every lane type gets the same bits.
template <typename V>
inline V lookup16(const double (&table)[16], IntOf<V> index) {
  if constexpr (std::is_same_v<V, double>) {
    return table[index];
  }
#if defined(__AVX512F__)
  else if constexpr (std::is_same_v<V, D8>) {
    const __m512d low = _mm512_loadu_pd(table);
    const __m512d high = _mm512_loadu_pd(table + 8);
    return _mm512_permutex2var_pd(low, std::bit_cast<__m512i>(index), high);
  }
#endif
#if defined(__AVX2__)
  else if constexpr (std::is_same_v<V, D4>) {
    return _mm256_i64gather_pd(table, std::bit_cast<__m256i>(index), 8);
  }
#endif
  else {
    V out{};
    for (int i = 0; i < Lanes<V>::width; ++i) out[i] = table[index[i]];
    return out;
  }
}

// 2^(j/16) for j = 0..15 as the nearest double plus the remainder (50-digit mpmath).
inline constexpr double kExp2SixteenthsHi[16] = {
    1.0,                1.0442737824274138, 1.0905077326652577, 1.1387886347566916,
    1.189207115002721,  1.241857812073484,  1.2968395546510096, 1.3542555469368927,
    1.4142135623730951, 1.4768261459394993, 1.5422108254079407, 1.6104903319492543,
    1.681792830507429,  1.7562521603732995, 1.8340080864093424, 1.9152065613971474};
inline constexpr double kExp2SixteenthsLo[16] = {
    0.0,                    8.551889705537965e-17,  -3.046782079812471e-17,
    8.912812676025408e-17,  3.982015231465646e-17,  4.658027591836937e-17,
    2.5382502794888315e-17, 7.70094837980299e-17,   -9.667293313452913e-17,
    -3.483994556892796e-17, 7.949834809697621e-17,  2.4707192569797888e-17,
    8.199010020581497e-17,  2.960140695448873e-17,  3.283107224245627e-17,
    -1.0619946056195963e-16};

// e^x, within 1 ulp; 0 below -745.2, +inf above 709.8, NaN for NaN.
template <typename V>
inline V exp(V x) {
  // Reduce x = (16 n + j) ln2/16 + r with |r| <= ln2/32, so e^x = 2^n 2^(j/16) e^r: the table
  // step shortens the polynomial for e^r from degree 13 to 8, and exp is a tenth of an option's
  // cost. ln2/16 in two parts so that k * kLn2Hi16 is exact (32 significant bits, |k| <= 17,220
  // needs 15).
  constexpr double kSixteenOverLn2 = 23.083120654223414;
  constexpr double kLn2Hi16 = 6.93147180369123816490e-01 / 16.0;
  constexpr double kLn2Lo16 = 1.90821492927058770002e-10 / 16.0;
  x = select(x > 710.0, broadcast<V>(710.0), x);
  x = select(x < -746.0, broadcast<V>(-746.0), x);
  const V shifted = x * kSixteenOverLn2 + kRoundMagic;
  const V k = shifted - kRoundMagic;
  const V r = (x - k * kLn2Hi16) - k * kLn2Lo16;
  // e^r - 1 = r + r^2 q(r), q from the Taylor series to r^8/8! (next term below 3e-21 for
  // |r| <= 0.0217).
  constexpr double kTaylor[] = {1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0,
                                1.0 / 24.0,    1.0 / 6.0,    0.5};
  const V e_r_minus_1 = r + (r * r) * polynomial(r, kTaylor);
  const IntOf<V> k_int = to_bits(shifted) - to_bits(broadcast<V>(kRoundMagic));
  const IntOf<V> j = k_int & 15;
  const V table_hi = lookup16<V>(kExp2SixteenthsHi, j);
  const V table_lo = lookup16<V>(kExp2SixteenthsLo, j);
  const V mantissa = table_hi + (table_hi * e_r_minus_1 + table_lo);
  // Scale by 2^n (n = floor(k / 16)) in two halves so that results near the subnormal range
  // round only once.
  const IntOf<V> n_int = k_int >> 4;
  const IntOf<V> n_half = n_int >> 1;
  const IntOf<V> n_rest = n_int - n_half;
  const V scale_half = from_bits<V>((n_half + 1023) << 52);
  const V scale_rest = from_bits<V>((n_rest + 1023) << 52);
  return (mantissa * scale_half) * scale_rest;
}

// Natural logarithm, within 1 ulp; -inf at 0, NaN below 0 or for NaN, +inf at +inf.
template <typename V>
inline V log(V x) {
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kSqrt2 = 1.41421356237309504880;
  const MaskOf<V> subnormal = x < 0x1p-1022;
  const V scaled = select(subnormal, x * 0x1p54, x);
  const IntOf<V> bits = to_bits(scaled);
  // Exponent and mantissa m in [1, 2); then m in [sqrt(1/2), sqrt(2)) so that |f| is small.
  const IntOf<V> biased_exponent = (bits >> 52) & 0x7ff;
  V exponent = from_bits<V>(biased_exponent + to_bits(broadcast<V>(kRoundMagic))) -
               (kRoundMagic + 1023.0);
  exponent = select(subnormal, exponent - 54.0, exponent);
  V m = from_bits<V>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  const MaskOf<V> high = m > kSqrt2;
  m = select(high, m * 0.5, m);
  exponent = select(high, exponent + 1.0, exponent);
  // log(1 + f) = 2 atanh(s), s = f / (2 + f): f - (f^2/2 - s (f^2/2 + R)), R = sum 2 s^2k/(2k+1).
  const V f = m - 1.0;
  const V s = f / (2.0 + f);
  const V z = s * s;
  constexpr double kAtanhSeries[] = {2.0 / 21.0, 2.0 / 19.0, 2.0 / 17.0, 2.0 / 15.0, 2.0 / 13.0,
                                     2.0 / 11.0, 2.0 / 9.0,  2.0 / 7.0,  2.0 / 5.0,  2.0 / 3.0};
  const V series = polynomial(z, kAtanhSeries);
  const V remainder = z * series;
  const V half_f_squared = 0.5 * f * f;
  V result = exponent * kLn2Hi -
             ((half_f_squared - (s * (half_f_squared + remainder) + exponent * kLn2Lo)) - f);
  result = select(x == HUGE_VAL, x, result);
  result = select(x == 0.0, broadcast<V>(-HUGE_VAL), result);
  result = select(x < 0.0, broadcast<V>(NAN), result);
  return select(x != x, x, result);
}

// Coefficients of h(y) = erfcx(x) (x + 4) as a polynomial in y = (x - 4) / (x + 4), x >= 0,
// highest degree first: a degree-26 Chebyshev interpolant at 50 digits, converted to powers of y
// (all below 1.1, so Horner's rule is well conditioned). Generated by scripts/fit_erfcx.py.
inline constexpr double kErfcxPolynomial[] = {
    2.8304849745375018e-11,
    1.1644005365676359e-11,
    -3.631317985658554e-10,
    -1.4930421704916652e-10,
    2.811230190348755e-09,
    9.056195982610775e-10,
    -1.8982316815733448e-08,
    -5.946736991122364e-10,
    1.277394812509523e-07,
    -7.407726447194413e-08,
    -8.48416681572803e-07,
    1.4233234089904587e-06,
    4.695301799921326e-06,
    -1.8860553687331944e-05,
    -3.635405535311273e-06,
    0.0001768127364004479,
    -0.00045505264414172786,
    -0.00028095885277318257,
    0.00611205565159944,
    -0.026370053341497116,
    0.07638151490953478,
    -0.17401093723987654,
    0.3308515878780067,
    -0.5408538313132364,
    0.7732087022652371,
    -0.976548729080882,
    1.095995661000491,
};

// The same function in t = (kErfcxTailScale x - 4) / (x + 4), which maps [0, 26.9] onto
// [-1, 1]: enough for the normal tail end (37/sqrt 2 = 26.2) at degree 22 instead of 26.
inline constexpr double kErfcxTailScale = 83.0 / 64.0;
inline constexpr double kErfcxTailPolynomial[] = {
    4.0317414454297844e-11,
    -1.7693878983456566e-10,
    -6.107138391377893e-10,
    2.7054142254503438e-09,
    5.8466154166160675e-09,
    -3.065317126574299e-08,
    -4.174921810194029e-08,
    3.500778111104646e-07,
    6.470328872028619e-08,
    -3.957104282209782e-06,
    6.343812099839641e-06,
    3.3786173577212585e-05,
    -0.00017481490315799785,
    0.00013447946667531678,
    0.0019941728715117757,
    -0.012420123920964815,
    0.04494701445503716,
    -0.1217588434157057,
    0.2670628448343927,
    -0.4915514486838053,
    0.7735097252820369,
    -1.0506885870899312,
    1.2364003127964687,
};

// Scaled complementary error function e^(x^2) erfc(x) for x >= 0 (and +inf), within 7 ulp.
// Mapping [0, inf) onto [-1, 1) lets one polynomial cover the whole half-line.
template <typename V>
inline V erfcx_nonnegative(V x) {
  const V inverse = 1.0 / (x + 4.0);  // one division serves both uses below
  V y = (x - 4.0) * inverse;
  y = select(x == HUGE_VAL, broadcast<V>(1.0), y);
  return polynomial(y, kErfcxPolynomial) * inverse;
}

template <typename V>
struct Pair {
  V first;
  V second;
};

// erfcx at two arguments in [0, 26.9] (the option kernels' range, up to the normal tail end)
// with the shorter polynomial and one division: 1/(x1 + 4) and 1/(x2 + 4) both come from
// 1/((x1 + 4)(x2 + 4)). Divisions are the dearest operation in the vector kernels.
template <typename V>
inline Pair<V> erfcx_to_tail_end_pair(V x1, V x2) {
  const V shifted1 = x1 + 4.0;
  const V shifted2 = x2 + 4.0;
  const V inverse_product = 1.0 / (shifted1 * shifted2);
  const V inverse1 = inverse_product * shifted2;
  const V inverse2 = inverse_product * shifted1;
  return {polynomial4((x1 * kErfcxTailScale - 4.0) * inverse1, kErfcxTailPolynomial) * inverse1,
          polynomial4((x2 * kErfcxTailScale - 4.0) * inverse2, kErfcxTailPolynomial) * inverse2};
}

// e^(-a^2/2) for a >= 0 with a^2 taken exactly as hi + lo (Dekker's product, Veltkamp's split),
// so the result keeps full relative accuracy where a^2 is large. Callers clamp a <= 40.
template <typename V>
inline V gaussian_kernel(V a) {
  const V split = a * 134217729.0;  // 2^27 + 1
  const V a_hi = split - (split - a);
  const V a_lo = a - a_hi;
  const V hi = a * a;
  const V lo = ((a_hi * a_hi - hi) + 2.0 * a_hi * a_lo) + a_lo * a_lo;
  return exp(-0.5 * hi) * (1.0 - 0.5 * lo);
}

// Standard normal CDF and density together (option kernels need both at d1).
template <typename V>
struct NormalAt {
  V cdf;
  V pdf;
};

inline constexpr double kInvSqrt2 = 0.70710678118654752440;
inline constexpr double kInvSqrt2Pi = 0.39894228040143267794;

// Beyond |z| = 37 the lower tail (below 6e-301) and the density (below 2e-298) are returned as
// exactly 0 and the CDF as 1: the kernels then never compute with subnormal numbers, which cost
// about a hundred cycles each on x86 and made far-wing books 1.7x slower, and the true values
// are far below anything a price or a margin can resolve. Evaluating at |z| <= 37 also keeps
// the split in gaussian_kernel finite.
inline constexpr double kNormalTailEnd = 37.0;

// |z| held at the tail end, where the functions below evaluate.
template <typename V>
inline V tail_clamped(V a) {
  return select(a > kNormalTailEnd, broadcast<V>(kNormalTailEnd), a);
}

// e^(-a^2/2) for a = |z|, exactly 0 beyond the tail end.
template <typename V>
inline V tail_kernel(V a) {
  return select(a > kNormalTailEnd, broadcast<V>(0.0), gaussian_kernel(tail_clamped(a)));
}

// N(z) from the kernel e^(-z^2/2) and erfcx(|z|/sqrt 2): N(-|z|) = kernel erfcx / 2.
template <typename V>
inline V ncdf_from(V z, V kernel, V erfcx_value) {
  const V lower_tail = 0.5 * kernel * erfcx_value;
  return select(z < 0.0, lower_tail, 1.0 - lower_tail);
}

template <typename V>
inline NormalAt<V> normal_at(V z) {
  const V a = abs(z);
  const V kernel = tail_kernel(a);
  return {ncdf_from(z, kernel, erfcx_nonnegative(tail_clamped(a) * kInvSqrt2)),
          kernel * kInvSqrt2Pi};
}

template <typename V>
inline V ncdf(V z) {
  return normal_at(z).cdf;
}

template <typename V>
inline V npdf(V z) {
  return tail_kernel(abs(z)) * kInvSqrt2Pi;
}

}  // inline namespace BALLAST_LANES_NAMESPACE
}  // namespace ballast::pricing::dmath

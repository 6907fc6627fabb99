#pragma once
// Batch Black-76 / BSM kernels over struct-of-arrays columns.
//
// One template (black_kernel.hpp) is compiled three times: plain scalar code, AVX2 (4 lanes) and
// AVX-512F (8 lanes). Only IEEE-754 add, subtract, multiply, divide, square root, compares and
// integer bit operations are used, with contraction off, so every path returns the same bits as
// the scalar functions in black.hpp on every x86-64 machine (black_batch_test proves it).
//
// Inputs are not validated here (the hot path); use check_bsm/check_black76 or validate columns
// at the edge. An invalid lane gives NaNs in its own outputs and never affects other lanes.

#include <cstddef>
#include <span>
#include <string_view>

#include "ballast/pricing/black.hpp"

namespace ballast::pricing {

enum class Isa : unsigned char { scalar, avx2, avx512 };

std::string_view isa_name(Isa isa) noexcept;
// Whether this machine can run the path (scalar always can).
bool isa_supported(Isa isa) noexcept;
// The widest supported path: what the batch functions use when no Isa is given.
Isa best_isa() noexcept;

struct BsmColumns {
  std::span<const OptionKind> kind;
  std::span<const double> spot;
  std::span<const double> strike;
  std::span<const double> expiry_years;
  std::span<const double> rate;
  std::span<const double> dividend;
  std::span<const double> vol;
  std::size_t size() const noexcept { return kind.size(); }
};

struct Black76Columns {
  std::span<const OptionKind> kind;
  std::span<const double> forward;
  std::span<const double> strike;
  std::span<const double> expiry_years;
  std::span<const double> discount;
  std::span<const double> vol;
  std::size_t size() const noexcept { return kind.size(); }
};

// Output columns, one per field of Greeks; all the same length as the inputs.
struct GreeksColumns {
  std::span<double> price;
  std::span<double> delta;
  std::span<double> gamma;
  std::span<double> vega;
  std::span<double> theta;
  std::span<double> rho;
  std::span<double> dividend_rho;
  std::span<double> vanna;
  std::span<double> volga;
};

// Every column of `in` and `out` must have in.size() elements (asserted).
void bsm_greeks_batch(const BsmColumns& in, const GreeksColumns& out, Isa isa = best_isa());
void black76_greeks_batch(const Black76Columns& in, const GreeksColumns& out, Isa isa = best_isa());
void bsm_price_batch(const BsmColumns& in, std::span<double> price, Isa isa = best_isa());
void black76_price_batch(const Black76Columns& in, std::span<double> price, Isa isa = best_isa());

}  // namespace ballast::pricing

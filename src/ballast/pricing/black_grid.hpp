#pragma once
// Black-76 prices over a scenario grid: every option repriced at every point of a grid in which a
// point multiplies every forward by the same factor (a spot move, 1 + m) and gives each option
// its own vol; strike, expiry and discount factor stay fixed. This is the inner loop of
// portfolio margin (portfolio/risk_matrix.cpp).
//
// What the grid form saves: black76_price_batch takes ln(F/K) per repricing and -ln(df)/T per
// option (two logs, its dearest operations) and sqrt(T). Here ln(F/K) = ln(F0/K) + ln(scale),
// one log per option and one per point, and sqrt(T) once per option; a repricing costs the exp
// and the erfcx pair of the normal CDFs. The rest is the same kernel (black_kernel.hpp:
// d_terms_from, price_from) under the same ISA dispatch and lane loads.
//
// Determinism: only exactly-rounded operations, as in black_batch.hpp, so the scalar, AVX2 and
// AVX-512 paths give the same bits (black_grid_test, with a golden digest), and an option's row
// has the same bits whichever other options or how many points share the call (lanes are
// independent). The forward ratio is formed differently from the batch kernel (ln(F0/K) +
// ln(scale) against ln(F0 scale / K)), so prices are not bit-equal to black76_price_batch at
// forward F0 x scale: they agree within 1e-13 relative (black_grid_test measures it), the size of
// either path's own rounding in ln(F/K) times the price's sensitivity to it.
//
// Inputs are not validated (the hot path): valid are forward, strike, scale > 0, expiry >= 0,
// discount in (0, inf), vol >= 0, all finite. An invalid option gives NaNs in its own row, an
// invalid point in its own column.

#include <cstddef>
#include <span>

#include "ballast/pricing/black.hpp"
#include "ballast/pricing/black_batch.hpp"

namespace ballast::pricing {

// The fixed inputs of each option: its unshocked forward F0, strike, expiry and discount factor.
struct Black76GridOptions {
  std::span<const OptionKind> kind;
  std::span<const double> forward;
  std::span<const double> strike;
  std::span<const double> expiry_years;
  std::span<const double> discount;
  std::size_t size() const noexcept { return kind.size(); }
};

// price[o * P + k] = Black-76 price of option o at forward forward[o] * scale[k] and vol
// vol[o * P + k], P = scale.size(): `vol` and `price` are option-major matrices of
// options.size() x P elements (asserted, as are the option columns' sizes).
void black76_price_grid(const Black76GridOptions& options, std::span<const double> scale,
                        std::span<const double> vol, std::span<double> price, Isa isa = best_isa());

}  // namespace ballast::pricing

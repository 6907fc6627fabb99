#pragma once
// The scenario-grid loop (black_grid.hpp), a template over the lane type like the batch loop
// whose loads and stores it shares. Each ISA's translation unit includes this once, inside its
// own BALLAST_LANES_NAMESPACE, and exports black76_grid_<isa>.
//
// Lanes run across points (one option's row of the option-major output), so a row is stored as
// it is computed. A row's last, partial vector is the full-width window that ends at the row's
// end: it recomputes a few lanes already stored, with the same bits, instead of taking the slow
// partial load and store (rows shorter than one vector do take them).

#include <algorithm>
#include <cstddef>
#include <span>

#include "ballast/pricing/black_batch_loop.hpp"
#include "ballast/pricing/black_grid.hpp"
#include "ballast/pricing/black_kernel.hpp"

namespace ballast::pricing::dmath {
inline namespace BALLAST_LANES_NAMESPACE {

// fn(first, count) over lanes [0, length) in full vectors, the last one overlapping its
// predecessor when length is not a multiple of the width; one partial vector if length < width.
template <typename V, typename Fn>
inline void for_each_window(std::size_t length, Fn fn) {
  if (length < kWidth<V>) {
    if (length > 0) fn(std::size_t{0}, length);
    return;
  }
  std::size_t first = 0;
  for (; first + kWidth<V> <= length; first += kWidth<V>) fn(first, kWidth<V>);
  if (first < length) fn(length - kWidth<V>, kWidth<V>);
}

// Points per pass: ln(scale) of a pass lives on the stack.
inline constexpr std::size_t kGridPointChunk = 128;

template <typename V>
void grid_loop(const Black76GridOptions& in, std::span<const double> scale, std::span<const double> vol,
               std::span<double> price) {
  constexpr std::size_t width = kWidth<V>;
  const std::size_t n = in.size();
  const std::size_t points = scale.size();
  double log_scale[kGridPointChunk];
  for (std::size_t first_point = 0; first_point < points; first_point += kGridPointChunk) {
    const std::size_t length = std::min(kGridPointChunk, points - first_point);
    const double* chunk_scale = scale.data() + first_point;
    for_each_window<V>(length, [&](std::size_t first, std::size_t count) {
      store(log_scale, first, count, log(load<V>(chunk_scale, first, count)));
    });
    for (std::size_t first_option = 0; first_option < n; first_option += width) {
      const std::size_t options = std::min(width, n - first_option);
      // Per option, a vector of options at a time: ln(F0/K), sqrt(T), F0/K and B = K df.
      const V strike = load<V>(in.strike.data(), first_option, options);
      const V ratio = load<V>(in.forward.data(), first_option, options) / strike;
      double log_ratio[width], sqrt_t[width], base_ratio[width], discounted_strike[width];
      store(log_ratio, 0, width, log(ratio));
      store(sqrt_t, 0, width, sqrt(load<V>(in.expiry_years.data(), first_option, options)));
      store(base_ratio, 0, width, ratio);
      store(discounted_strike, 0, width, strike * load<V>(in.discount.data(), first_option, options));
      for (std::size_t j = 0; j < options; ++j) {
        const std::size_t o = first_option + j;
        const V omega = broadcast<V>(in.kind[o] == OptionKind::put ? -1.0 : 1.0);
        const V forward = broadcast<V>(in.forward[o]);
        const V discount = broadcast<V>(in.discount[o]);
        const V option_log_ratio = broadcast<V>(log_ratio[j]);
        const V option_sqrt_t = broadcast<V>(sqrt_t[j]);
        const V option_ratio = broadcast<V>(base_ratio[j]);
        const V b = broadcast<V>(discounted_strike[j]);
        const double* row_vol = vol.data() + o * points + first_point;
        double* row_price = price.data() + o * points + first_point;
        for_each_window<V>(length, [&](std::size_t first, std::size_t count) {
          const V s = load<V>(chunk_scale, first, count);
          // A = (F0 scale) df and B = K df as the batch kernel forms them from F = F0 scale.
          const DTerms<V> d = d_terms_from(option_log_ratio + load<V>(log_scale, first, count), option_sqrt_t,
                                           load<V>(row_vol, first, count), (forward * s) * discount, b,
                                           option_ratio * s);
          store(row_price, first, count, price_from(omega, d));
        });
      }
    }
  }
}

}  // inline namespace BALLAST_LANES_NAMESPACE
}  // namespace ballast::pricing::dmath

#define BALLAST_DEFINE_GRID_ENTRY_POINT(suffix, V)                                                   \
  namespace ballast::pricing::detail {                                                               \
  void black76_grid_##suffix(const Black76GridOptions& in, std::span<const double> scale,            \
                             std::span<const double> vol, std::span<double> price) {                 \
    dmath::grid_loop<V>(in, scale, vol, price);                                                      \
  }                                                                                                  \
  }

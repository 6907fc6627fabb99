#include "ballast/market/skew.hpp"

#include "ballast/core/assert.hpp"

namespace ballast::market {

std::optional<Price> skew_fill_price(Price oracle, Quantity skew_before, Quantity size,
                                     Quantity skew_scale) {
  BALLAST_ASSERT(skew_scale.raw() > 0 && !size.is_zero() && oracle.raw() > 0);
  // oracle × (2 scale + before + after) / (2 scale), one rounding; all sizes at 9 decimals.
  const int128 twice_scale = 2 * static_cast<int128>(skew_scale.raw());
  const int128 skew_after = static_cast<int128>(skew_before.raw()) + size.raw();
  const int128 factor = twice_scale + skew_before.raw() + skew_after;
  int128 numerator = 0;
  if (__builtin_mul_overflow(static_cast<int128>(oracle.raw()), factor, &numerator)) {
    return std::nullopt;
  }
  const Round round = size.is_negative() ? Round::down : Round::up;
  const auto raw = narrow_i64(div_round(numerator, twice_scale, round));
  if (!raw || *raw <= 0) return std::nullopt;
  return Price::from_raw(*raw);
}

}  // namespace ballast::market

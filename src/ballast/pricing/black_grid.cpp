#include "ballast/pricing/black_grid.hpp"

#include "ballast/core/assert.hpp"
#include "ballast/pricing/black_grid_loop.hpp"

BALLAST_DEFINE_GRID_ENTRY_POINT(scalar, double)

namespace ballast::pricing {
namespace detail {
void black76_grid_avx2(const Black76GridOptions& in, std::span<const double> scale, std::span<const double> vol,
                       std::span<double> price);
void black76_grid_avx512(const Black76GridOptions& in, std::span<const double> scale,
                         std::span<const double> vol, std::span<double> price);
}  // namespace detail

void black76_price_grid(const Black76GridOptions& options, std::span<const double> scale,
                        std::span<const double> vol, std::span<double> price, Isa isa) {
  const std::size_t n = options.size();
  BALLAST_ASSERT(options.forward.size() == n && options.strike.size() == n &&
                 options.expiry_years.size() == n && options.discount.size() == n);
  BALLAST_ASSERT(vol.size() == n * scale.size() && price.size() == n * scale.size());
  BALLAST_ASSERT(isa_supported(isa));
  switch (isa) {
    case Isa::scalar: return detail::black76_grid_scalar(options, scale, vol, price);
    case Isa::avx2: return detail::black76_grid_avx2(options, scale, vol, price);
    case Isa::avx512: return detail::black76_grid_avx512(options, scale, vol, price);
  }
  BALLAST_ASSERT(false);
}

}  // namespace ballast::pricing

#include "ballast/pricing/black_batch.hpp"

#include "ballast/core/assert.hpp"
#include "ballast/pricing/black_batch_loop.hpp"

BALLAST_DEFINE_BATCH_ENTRY_POINTS(scalar, double)

namespace ballast::pricing {
namespace detail {
void bsm_greeks_avx2(const BsmColumns& in, const GreeksColumns& out);
void black76_greeks_avx2(const Black76Columns& in, const GreeksColumns& out);
void bsm_price_avx2(const BsmColumns& in, std::span<double> price);
void black76_price_avx2(const Black76Columns& in, std::span<double> price);
void bsm_greeks_avx512(const BsmColumns& in, const GreeksColumns& out);
void black76_greeks_avx512(const Black76Columns& in, const GreeksColumns& out);
void bsm_price_avx512(const BsmColumns& in, std::span<double> price);
void black76_price_avx512(const Black76Columns& in, std::span<double> price);
}  // namespace detail

namespace {

void check_sizes(const BsmColumns& in) {
  const std::size_t n = in.size();
  BALLAST_ASSERT(in.spot.size() == n && in.strike.size() == n && in.expiry_years.size() == n &&
                 in.rate.size() == n && in.dividend.size() == n && in.vol.size() == n);
}

void check_sizes(const Black76Columns& in) {
  const std::size_t n = in.size();
  BALLAST_ASSERT(in.forward.size() == n && in.strike.size() == n &&
                 in.expiry_years.size() == n && in.discount.size() == n && in.vol.size() == n);
}

void check_sizes(std::size_t n, const GreeksColumns& out) {
  BALLAST_ASSERT(out.price.size() == n && out.delta.size() == n && out.gamma.size() == n &&
                 out.vega.size() == n && out.theta.size() == n && out.rho.size() == n &&
                 out.dividend_rho.size() == n && out.vanna.size() == n && out.volga.size() == n);
}

// Picks the path; asking for one this machine lacks is a programmer error.
template <typename In, typename Out, typename Fn>
void dispatch(Isa isa, const In& in, const Out& out, Fn scalar, Fn avx2, Fn avx512) {
  BALLAST_ASSERT(isa_supported(isa));
  switch (isa) {
    case Isa::scalar: return scalar(in, out);
    case Isa::avx2: return avx2(in, out);
    case Isa::avx512: return avx512(in, out);
  }
  BALLAST_ASSERT(false);
}

}  // namespace

std::string_view isa_name(Isa isa) noexcept {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
  }
  return "unknown";
}

bool isa_supported(Isa isa) noexcept {
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::avx2: return __builtin_cpu_supports("avx2");
    case Isa::avx512: return __builtin_cpu_supports("avx512f");
  }
  return false;
}

Isa best_isa() noexcept {
  static const Isa best = isa_supported(Isa::avx512) ? Isa::avx512
                          : isa_supported(Isa::avx2) ? Isa::avx2
                                                     : Isa::scalar;
  return best;
}

void bsm_greeks_batch(const BsmColumns& in, const GreeksColumns& out, Isa isa) {
  check_sizes(in);
  check_sizes(in.size(), out);
  dispatch(isa, in, out, &detail::bsm_greeks_scalar, &detail::bsm_greeks_avx2,
           &detail::bsm_greeks_avx512);
}

void black76_greeks_batch(const Black76Columns& in, const GreeksColumns& out, Isa isa) {
  check_sizes(in);
  check_sizes(in.size(), out);
  dispatch(isa, in, out, &detail::black76_greeks_scalar, &detail::black76_greeks_avx2,
           &detail::black76_greeks_avx512);
}

void bsm_price_batch(const BsmColumns& in, std::span<double> price, Isa isa) {
  check_sizes(in);
  BALLAST_ASSERT(price.size() == in.size());
  dispatch(isa, in, price, &detail::bsm_price_scalar, &detail::bsm_price_avx2,
           &detail::bsm_price_avx512);
}

void black76_price_batch(const Black76Columns& in, std::span<double> price, Isa isa) {
  check_sizes(in);
  BALLAST_ASSERT(price.size() == in.size());
  dispatch(isa, in, price, &detail::black76_price_scalar, &detail::black76_price_avx2,
           &detail::black76_price_avx512);
}

}  // namespace ballast::pricing

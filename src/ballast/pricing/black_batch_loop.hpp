#pragma once
// The batch loop over struct-of-arrays columns, a template over the lane type. Each ISA's
// translation unit includes this once, inside its own BALLAST_LANES_NAMESPACE, and exports the
// four entry points that black_batch.cpp dispatches to.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ballast/pricing/black_batch.hpp"
#include "ballast/pricing/black_kernel.hpp"

namespace ballast::pricing::dmath {
inline namespace BALLAST_LANES_NAMESPACE {

template <typename V>
inline constexpr std::size_t kWidth = static_cast<std::size_t>(Lanes<V>::width);

// Lanes [first, first + count) of a column; the missing lanes of a short tail hold 1.0, a value
// every input accepts, and their results are never stored.
template <typename V>
inline V load(const double* column, std::size_t first, std::size_t count) {
  if (count == kWidth<V>) {
    V out;
    std::memcpy(&out, column + first, sizeof out);
    return out;
  }
  double lanes[kWidth<V>];
  for (std::size_t i = 0; i < kWidth<V>; ++i) lanes[i] = i < count ? column[first + i] : 1.0;
  V out;
  std::memcpy(&out, lanes, sizeof out);
  return out;
}

// The option kinds of one full vector, one byte each.
template <std::size_t Width>
struct KindBytes;
template <>
struct KindBytes<4> {
  using type = std::uint8_t __attribute__((vector_size(4)));
};
template <>
struct KindBytes<8> {
  using type = std::uint8_t __attribute__((vector_size(8)));
};

// +1 for calls, -1 for puts. A full vector widens its kind bytes in registers: building the
// lanes through memory stalls the load that follows the eight scalar stores.
template <typename V>
inline V load_omega(const OptionKind* kind, std::size_t first, std::size_t count) {
  if constexpr (!std::is_same_v<V, double>) {
    if (count == kWidth<V>) {
      typename KindBytes<kWidth<V>>::type bytes;
      std::memcpy(&bytes, kind + first, sizeof bytes);
      const IntOf<V> kinds = __builtin_convertvector(bytes, IntOf<V>);
      return select(kinds == static_cast<std::int64_t>(OptionKind::put), broadcast<V>(-1.0),
                    broadcast<V>(1.0));
    }
  }
  double lanes[kWidth<V>];
  for (std::size_t i = 0; i < kWidth<V>; ++i) {
    lanes[i] = i < count && kind[first + i] == OptionKind::put ? -1.0 : 1.0;
  }
  V out;
  std::memcpy(&out, lanes, sizeof out);
  return out;
}

template <typename V>
inline void store(double* column, std::size_t first, std::size_t count, V value) {
  if (count == kWidth<V>) {
    std::memcpy(column + first, &value, sizeof value);
    return;
  }
  double lanes[kWidth<V>];
  std::memcpy(lanes, &value, sizeof value);
  for (std::size_t i = 0; i < count; ++i) column[first + i] = lanes[i];
}

template <typename V>
inline BlackLanes<V> load_option(const BsmColumns& in, std::size_t first, std::size_t count) {
  return bsm_lanes(load_omega<V>(in.kind.data(), first, count),
                   load<V>(in.spot.data(), first, count), load<V>(in.strike.data(), first, count),
                   load<V>(in.expiry_years.data(), first, count),
                   load<V>(in.rate.data(), first, count), load<V>(in.dividend.data(), first, count),
                   load<V>(in.vol.data(), first, count));
}

template <typename V>
inline BlackLanes<V> load_option(const Black76Columns& in, std::size_t first, std::size_t count) {
  return black76_lanes(
      load_omega<V>(in.kind.data(), first, count), load<V>(in.forward.data(), first, count),
      load<V>(in.strike.data(), first, count), load<V>(in.expiry_years.data(), first, count),
      load<V>(in.discount.data(), first, count), load<V>(in.vol.data(), first, count));
}

template <typename Columns>
inline constexpr Model kModelOf = std::is_same_v<Columns, BsmColumns> ? Model::bsm : Model::black76;

template <typename V, typename Columns>
void greeks_loop(const Columns& in, const GreeksColumns& out) {
  const std::size_t size = in.size();
  for (std::size_t first = 0; first < size; first += kWidth<V>) {
    const std::size_t count = size - first < kWidth<V> ? size - first : kWidth<V>;
    const GreeksLanes<V> g = black_greeks<kModelOf<Columns>>(load_option<V>(in, first, count));
    store(out.price.data(), first, count, g.price);
    store(out.delta.data(), first, count, g.delta);
    store(out.gamma.data(), first, count, g.gamma);
    store(out.vega.data(), first, count, g.vega);
    store(out.theta.data(), first, count, g.theta);
    store(out.rho.data(), first, count, g.rho);
    store(out.dividend_rho.data(), first, count, g.dividend_rho);
    store(out.vanna.data(), first, count, g.vanna);
    store(out.volga.data(), first, count, g.volga);
  }
}

template <typename V, typename Columns>
void price_loop(const Columns& in, std::span<double> price) {
  const std::size_t size = in.size();
  for (std::size_t first = 0; first < size; first += kWidth<V>) {
    const std::size_t count = size - first < kWidth<V> ? size - first : kWidth<V>;
    store(price.data(), first, count, black_price(load_option<V>(in, first, count)));
  }
}

}  // inline namespace BALLAST_LANES_NAMESPACE
}  // namespace ballast::pricing::dmath

// Each ISA translation unit defines these four for its lane type.
#define BALLAST_DEFINE_BATCH_ENTRY_POINTS(suffix, V)                                             \
  namespace ballast::pricing::detail {                                                           \
  void bsm_greeks_##suffix(const BsmColumns& in, const GreeksColumns& out) {                     \
    dmath::greeks_loop<V>(in, out);                                                              \
  }                                                                                              \
  void black76_greeks_##suffix(const Black76Columns& in, const GreeksColumns& out) {             \
    dmath::greeks_loop<V>(in, out);                                                              \
  }                                                                                              \
  void bsm_price_##suffix(const BsmColumns& in, std::span<double> price) {                       \
    dmath::price_loop<V>(in, price);                                                             \
  }                                                                                              \
  void black76_price_##suffix(const Black76Columns& in, std::span<double> price) {               \
    dmath::price_loop<V>(in, price);                                                             \
  }                                                                                              \
  }

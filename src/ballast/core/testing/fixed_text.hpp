#pragma once
// Exact fixed-point values from decimal text, for tests: ratio("0.05"), price("50000.1"),
// qty("-0.001"), money("13555.327868"). The text must fit the type's decimals exactly (a test
// that needs rounding says so with Fixed::parse and its Round).

#include "ballast/core/assert.hpp"
#include "ballast/core/fixed.hpp"

namespace ballast {

template <typename T>
T exact_fixed(const char* text) {
  const auto down = T::parse(text, Round::down);
  const auto up = T::parse(text, Round::up);
  BALLAST_ASSERT(down.ok() && up.ok() && down.value() == up.value());
  return down.value();
}

inline Ratio ratio(const char* text) { return exact_fixed<Ratio>(text); }
inline Money money(const char* text) { return exact_fixed<Money>(text); }
inline Quantity qty(const char* text) { return exact_fixed<Quantity>(text); }
inline Price price(const char* text) { return exact_fixed<Price>(text); }

}  // namespace ballast

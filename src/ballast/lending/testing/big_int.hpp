#pragma once
// 128-bit integers as boost::multiprecision::cpp_int, for the lending tests' exact checks: the
// pool identity and the interest split multiply 128-bit indices by share totals, beyond 128 bits.

#include <boost/multiprecision/cpp_int.hpp>

#include <cstdint>

#include "ballast/core/fixed.hpp"

namespace ballast::lending::testing {

using boost::multiprecision::cpp_int;
__extension__ using uint128 = unsigned __int128;

inline cpp_int big(int128 value) {
  const bool negative = value < 0;
  const auto magnitude = negative ? static_cast<uint128>(0) - static_cast<uint128>(value) : static_cast<uint128>(value);
  cpp_int result = static_cast<std::uint64_t>(magnitude >> 64);
  result <<= 64;
  result += static_cast<std::uint64_t>(magnitude);
  return negative ? cpp_int(-result) : result;
}

}  // namespace ballast::lending::testing

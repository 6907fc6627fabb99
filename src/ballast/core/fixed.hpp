#pragma once
// Exact fixed-point numbers for money, prices and quantities (DESIGN principle 3).
//
// A Fixed<Tag, D> is a signed 64-bit count of 10^-D units. The Tag keeps kinds apart: a Price
// cannot be added to a Quantity by accident. Every operation that can lose precision takes a
// Round and says which way it goes; every operation that can overflow returns std::optional and
// gives nullopt instead of wrapping. Products and quotients go through 128-bit intermediates, so
// a*b/c is exact before its single, named rounding.
//
// Rounding policy (docs/ARCHITECTURE.md has the table): what the protocol requires or charges
// rounds up (toward +infinity), what it pays or credits rounds down (toward -infinity).

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ballast/core/result.hpp"

namespace ballast {

// down: toward -infinity (floor). up: toward +infinity (ceiling). Never "to nearest": a tie
// rule is a hidden direction, and the protocol must always know which side it lands on.
enum class Round : std::uint8_t { down, up };

__extension__ using int128 = __int128;  // GCC and Clang; -Wpedantic knows it as an extension

constexpr int kMaxDecimals = 18;

constexpr std::int64_t pow10_i64(int exponent) {
  std::int64_t value = 1;
  for (int i = 0; i < exponent; ++i) {
    value *= 10;
  }
  return value;
}

constexpr int128 pow10_i128(int exponent) {
  int128 value = 1;
  for (int i = 0; i < exponent; ++i) {
    value *= 10;
  }
  return value;
}

// numerator / denominator rounded in the given direction; denominator must be positive.
constexpr int128 div_round(int128 numerator, int128 denominator, Round round) {
  BALLAST_ASSERT(denominator > 0);
  int128 quotient = numerator / denominator;  // truncates toward zero
  const int128 remainder = numerator % denominator;
  if (remainder != 0) {
    if (round == Round::down && numerator < 0) {
      quotient -= 1;
    } else if (round == Round::up && numerator > 0) {
      quotient += 1;
    }
  }
  return quotient;
}

constexpr std::optional<std::int64_t> narrow_i64(int128 value) {
  if (value > INT64_MAX || value < INT64_MIN) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(value);
}

// value * 10^shift (shift may be negative: then a division rounded as asked).
std::optional<int128> scale_pow10(int128 value, int shift, Round round);

// Exact decimal text <-> scaled integer. Accepts [+-]digits[.digits]; more fractional digits
// than `decimals` are rounded in the given direction; anything else is an error naming the text.
Result<std::int64_t> parse_decimal(std::string_view text, int decimals, Round round);
// Shortest exact text: "12.5", "-0.000001", "100".
std::string format_decimal(std::int64_t raw, int decimals);
// The nearest representable raw value in the given direction; nullopt for NaN, infinities and
// values out of range. Exact: no rounding happens before the one that is asked for.
std::optional<std::int64_t> raw_from_double(double value, int decimals, Round round);

template <typename Tag, int Decimals>
class Fixed {
  static_assert(Decimals >= 0 && Decimals <= kMaxDecimals);

 public:
  static constexpr int kDecimals = Decimals;
  static constexpr std::int64_t kScale = pow10_i64(Decimals);

  constexpr Fixed() = default;
  static constexpr Fixed from_raw(std::int64_t raw) { return Fixed(raw); }
  static constexpr std::optional<Fixed> from_whole(std::int64_t whole) {
    std::int64_t raw = 0;
    if (__builtin_mul_overflow(whole, kScale, &raw)) {
      return std::nullopt;
    }
    return Fixed(raw);
  }
  static Result<Fixed> parse(std::string_view text, Round round) {
    auto raw = parse_decimal(text, Decimals, round);
    if (!raw) {
      return std::move(raw).error();
    }
    return Fixed(*raw);
  }
  static std::optional<Fixed> from_double(double value, Round round) {
    const auto raw = raw_from_double(value, Decimals, round);
    return raw ? std::optional<Fixed>(Fixed(*raw)) : std::nullopt;
  }

  constexpr std::int64_t raw() const { return raw_; }
  // Nearest double; for reporting and for floating-point models only, never for ledger sums.
  double to_double() const { return static_cast<double>(raw_) / static_cast<double>(kScale); }
  std::string to_string() const { return format_decimal(raw_, Decimals); }

  constexpr bool is_zero() const { return raw_ == 0; }
  constexpr bool is_negative() const { return raw_ < 0; }
  friend constexpr auto operator<=>(Fixed, Fixed) = default;

 private:
  constexpr explicit Fixed(std::int64_t raw) : raw_(raw) {}
  std::int64_t raw_ = 0;
};

template <typename T>
constexpr std::optional<T> checked_add(T a, T b) {
  std::int64_t raw = 0;
  if (__builtin_add_overflow(a.raw(), b.raw(), &raw)) {
    return std::nullopt;
  }
  return T::from_raw(raw);
}

template <typename T>
constexpr std::optional<T> checked_sub(T a, T b) {
  std::int64_t raw = 0;
  if (__builtin_sub_overflow(a.raw(), b.raw(), &raw)) {
    return std::nullopt;
  }
  return T::from_raw(raw);
}

template <typename T>
constexpr std::optional<T> checked_neg(T a) {
  if (a.raw() == INT64_MIN) {
    return std::nullopt;
  }
  return T::from_raw(-a.raw());
}

// a * b expressed in Out, rounded once in the given direction.
template <typename Out, typename A, typename B>
std::optional<Out> mul(A a, B b, Round round) {
  const int128 product = static_cast<int128>(a.raw()) * static_cast<int128>(b.raw());
  const auto scaled = scale_pow10(product, Out::kDecimals - A::kDecimals - B::kDecimals, round);
  if (!scaled) {
    return std::nullopt;
  }
  const auto raw = narrow_i64(*scaled);
  return raw ? std::optional<Out>(Out::from_raw(*raw)) : std::nullopt;
}

// a / b expressed in Out, rounded once in the given direction; nullopt when b is zero.
template <typename Out, typename A, typename B>
std::optional<Out> div(A a, B b, Round round) {
  if (b.raw() == 0) {
    return std::nullopt;
  }
  // raw_out = a.raw * 10^shift / b.raw; a negative shift scales the divisor instead, so the
  // only rounding is the final one.
  const int shift = Out::kDecimals + B::kDecimals - A::kDecimals;
  const auto numerator = scale_pow10(static_cast<int128>(a.raw()), shift > 0 ? shift : 0, round);
  const auto denominator = scale_pow10(static_cast<int128>(b.raw()), shift < 0 ? -shift : 0, round);
  if (!numerator || !denominator) {
    return std::nullopt;
  }
  const bool negative_divisor = *denominator < 0;
  const int128 divisor = negative_divisor ? -*denominator : *denominator;
  const int128 dividend = negative_divisor ? -*numerator : *numerator;
  const auto raw = narrow_i64(div_round(dividend, divisor, round));
  return raw ? std::optional<Out>(Out::from_raw(*raw)) : std::nullopt;
}

// The same value at another scale (and kind), rounded in the given direction.
template <typename Out, typename In>
std::optional<Out> rescale(In value, Round round) {
  const auto scaled = scale_pow10(value.raw(), Out::kDecimals - In::kDecimals, round);
  if (!scaled) {
    return std::nullopt;
  }
  const auto raw = narrow_i64(*scaled);
  return raw ? std::optional<Out>(Out::from_raw(*raw)) : std::nullopt;
}

// The kinds Ballast uses. Decimals are chosen so the ranges cover real venues:
//   Quantity 1e-9 units, up to 9.2e9 units;  Price 1e-9 quote per unit, up to 9.2e9;
//   Money (quote currency) 1e-6, up to 9.2e12;  Ratio (weights, rates) 1e-12, up to 9.2e6.
// Amount is a count of an asset's smallest unit; the asset's decimals say where the point goes.
using Quantity = Fixed<struct QuantityTag, 9>;
using Price = Fixed<struct PriceTag, 9>;
using Money = Fixed<struct MoneyTag, 6>;
using Ratio = Fixed<struct RatioTag, 12>;
using Amount = Fixed<struct AmountTag, 0>;

// Notional value of a quantity at a price, in quote money.
inline std::optional<Money> notional(Quantity quantity, Price price, Round round) {
  return mul<Money>(quantity, price, round);
}

}  // namespace ballast

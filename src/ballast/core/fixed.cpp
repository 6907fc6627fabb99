#include "ballast/core/fixed.hpp"

#include <cmath>
#include <string>

namespace ballast {
namespace {

constexpr int kMaxPow10InInt128 = 38;

Error decimal_error(std::string_view text, std::string_view what) {
  std::string message = "invalid decimal \"";
  message.append(text.substr(0, 64));
  message.append(text.size() > 64 ? "...\": " : "\": ");
  message.append(what);
  return make_error(ErrorCode::invalid_input, std::move(message));
}

}  // namespace

std::optional<int128> scale_pow10(int128 value, int shift, Round round) {
  if (shift >= 0) {
    if (shift > kMaxPow10InInt128) {
      return value == 0 ? std::optional<int128>(0) : std::nullopt;
    }
    int128 scaled = 0;
    if (__builtin_mul_overflow(value, pow10_i128(shift), &scaled)) {
      return std::nullopt;
    }
    return scaled;
  }
  if (-shift > kMaxPow10InInt128) {
    // |value| < 2^127 < 10^39, so the exact quotient lies strictly between -1 and 1.
    if (value == 0) {
      return 0;
    }
    if (round == Round::up) {
      return value > 0 ? 1 : 0;
    }
    return value > 0 ? 0 : -1;
  }
  return div_round(value, pow10_i128(-shift), round);
}

Result<std::int64_t> parse_decimal(std::string_view text, int decimals, Round round) {
  BALLAST_ASSERT(decimals >= 0 && decimals <= kMaxDecimals);
  if (text.empty()) {
    return decimal_error(text, "empty");
  }
  std::size_t position = 0;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    position = 1;
  }
  int128 magnitude = 0;
  int integer_digits = 0;
  int fraction_digits_kept = 0;
  bool dropped_nonzero = false;
  bool seen_point = false;
  int fraction_digits = 0;
  for (; position < text.size(); ++position) {
    const char c = text[position];
    if (c == '.') {
      if (seen_point) {
        return decimal_error(text, "more than one decimal point");
      }
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') {
      return decimal_error(text, "unexpected character at position " + std::to_string(position));
    }
    const int digit = c - '0';
    if (!seen_point) {
      ++integer_digits;
      magnitude = magnitude * 10 + digit;
      if (magnitude > static_cast<int128>(INT64_MAX) + 1) {
        return decimal_error(text, "out of range");
      }
    } else {
      ++fraction_digits;
      if (fraction_digits_kept < decimals) {
        magnitude = magnitude * 10 + digit;
        ++fraction_digits_kept;
      } else if (digit != 0) {
        dropped_nonzero = true;
      }
    }
  }
  if (integer_digits == 0 && fraction_digits == 0) {
    return decimal_error(text, "no digits");
  }
  if (seen_point && fraction_digits == 0) {
    return decimal_error(text, "no digits after the decimal point");
  }
  magnitude *= pow10_i128(decimals - fraction_digits_kept);
  int128 value = negative ? -magnitude : magnitude;
  // Dropped digits make the true value lie strictly between value and value +- 1 ulp.
  if (dropped_nonzero) {
    if (round == Round::up && !negative) {
      value += 1;
    } else if (round == Round::down && negative) {
      value -= 1;
    }
  }
  const auto narrowed = narrow_i64(value);
  if (!narrowed) {
    return decimal_error(text, "out of range");
  }
  return *narrowed;
}

std::string format_decimal(std::int64_t raw, int decimals) {
  BALLAST_ASSERT(decimals >= 0 && decimals <= kMaxDecimals);
  // Through unsigned so that INT64_MIN has a magnitude.
  const bool negative = raw < 0;
  std::uint64_t magnitude = negative ? 0u - static_cast<std::uint64_t>(raw)
                                     : static_cast<std::uint64_t>(raw);
  std::string digits = std::to_string(magnitude);
  if (static_cast<int>(digits.size()) <= decimals) {
    digits.insert(0, static_cast<std::size_t>(decimals) - digits.size() + 1, '0');
  }
  std::string text = negative ? "-" : "";
  const std::size_t integer_length = digits.size() - static_cast<std::size_t>(decimals);
  text.append(digits, 0, integer_length);
  std::string fraction = digits.substr(integer_length);
  while (!fraction.empty() && fraction.back() == '0') {
    fraction.pop_back();
  }
  if (!fraction.empty()) {
    text.push_back('.');
    text.append(fraction);
  }
  return text;
}

std::optional<std::int64_t> raw_from_double(double value, int decimals, Round round) {
  BALLAST_ASSERT(decimals >= 0 && decimals <= kMaxDecimals);
  if (!std::isfinite(value)) {
    return std::nullopt;
  }
  if (value == 0.0) {
    return 0;
  }
  // value = mantissa * 2^exponent exactly, with |mantissa| < 2^53.
  int binary_exponent = 0;
  const double fraction = std::frexp(value, &binary_exponent);
  const auto mantissa = static_cast<std::int64_t>(std::ldexp(fraction, 53));
  const int exponent = binary_exponent - 53;
  // mantissa * 10^decimals < 2^53 * 2^60: fits in 128 bits.
  const int128 scaled = static_cast<int128>(mantissa) * pow10_i128(decimals);
  if (exponent >= 0) {
    if (exponent > 62) {
      return std::nullopt;
    }
    int128 shifted = 0;
    if (__builtin_mul_overflow(scaled, static_cast<int128>(1) << exponent, &shifted)) {
      return std::nullopt;
    }
    return narrow_i64(shifted);
  }
  if (-exponent >= 126) {
    // |value * 10^decimals| < 1 and not zero: the answer is 0 or +-1 depending on direction.
    if (round == Round::up) {
      return value > 0 ? 1 : 0;
    }
    return value > 0 ? 0 : -1;
  }
  return narrow_i64(div_round(scaled, static_cast<int128>(1) << -exponent, round));
}

}  // namespace ballast

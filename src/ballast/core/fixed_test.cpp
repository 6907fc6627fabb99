#include "ballast/core/fixed.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace ballast {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

std::int64_t parse_ok(std::string_view text, int decimals, Round round) {
  auto parsed = parse_decimal(text, decimals, round);
  EXPECT_TRUE(parsed.ok()) << text << ": " << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : 0;
}

std::string parse_error(std::string_view text, int decimals, Round round) {
  auto parsed = parse_decimal(text, decimals, round);
  EXPECT_FALSE(parsed.ok()) << text << " parsed as " << (parsed.ok() ? *parsed : 0);
  if (parsed.ok()) return {};
  EXPECT_EQ(parsed.error().code, ErrorCode::invalid_input);
  return parsed.error().message;
}

// ---- parse_decimal ------------------------------------------------------------------------

TEST(ParseDecimal, ExactValues) {
  EXPECT_EQ(parse_ok("0", 9, Round::down), 0);
  EXPECT_EQ(parse_ok("-0", 9, Round::up), 0);
  EXPECT_EQ(parse_ok("1", 9, Round::down), 1'000'000'000);
  EXPECT_EQ(parse_ok("+1", 9, Round::down), 1'000'000'000);
  EXPECT_EQ(parse_ok("007", 0, Round::down), 7);
  EXPECT_EQ(parse_ok("12.5", 6, Round::down), 12'500'000);
  EXPECT_EQ(parse_ok("-12.5", 6, Round::up), -12'500'000);
  EXPECT_EQ(parse_ok(".5", 2, Round::down), 50);
  EXPECT_EQ(parse_ok("0.000000001", 9, Round::down), 1);
  EXPECT_EQ(parse_ok("-0.000001", 6, Round::down), -1);
  // Trailing zeros beyond the scale are not a loss of precision: both directions agree.
  EXPECT_EQ(parse_ok("1.50000000000000000000", 9, Round::down), 1'500'000'000);
  EXPECT_EQ(parse_ok("1.50000000000000000000", 9, Round::up), 1'500'000'000);
  EXPECT_EQ(parse_ok("-1.50000000000000000000", 9, Round::down), -1'500'000'000);
}

TEST(ParseDecimal, Int64Extremes) {
  EXPECT_EQ(parse_ok("9223372036854775807", 0, Round::down), kMax);
  EXPECT_EQ(parse_ok("-9223372036854775808", 0, Round::down), kMin);
  EXPECT_EQ(parse_ok("9223372036.854775807", 9, Round::up), kMax);
  EXPECT_EQ(parse_ok("-9223372036.854775808", 9, Round::down), kMin);
  EXPECT_EQ(parse_ok("9.223372036854775807", 18, Round::down), kMax);
  EXPECT_EQ(parse_ok("-9.223372036854775808", 18, Round::down), kMin);
  EXPECT_EQ(parse_ok("-0.000000000000000001", 18, Round::down), -1);
  // One past either end.
  EXPECT_NE(parse_error("9223372036854775808", 0, Round::down).find("out of range"),
            std::string::npos);
  EXPECT_NE(parse_error("-9223372036854775809", 0, Round::up).find("out of range"),
            std::string::npos);
  EXPECT_NE(parse_error("9223372036.854775808", 9, Round::down).find("out of range"),
            std::string::npos);
  EXPECT_NE(parse_error("99999999999999999999999999999", 0, Round::down).find("out of range"),
            std::string::npos);
  // Excess digits: rounding toward the end of the range may itself overflow.
  EXPECT_EQ(parse_ok("9223372036.8547758071", 9, Round::down), kMax);
  parse_error("9223372036.8547758071", 9, Round::up);
  EXPECT_EQ(parse_ok("-9223372036.8547758081", 9, Round::up), kMin);
  parse_error("-9223372036.8547758081", 9, Round::down);
  // Out of range at 0 decimals is in range at fewer integer digits.
  EXPECT_EQ(parse_ok("92233720368547758.07", 2, Round::down), kMax);
}

TEST(ParseDecimal, ExcessDigitsRoundInTheNamedDirection) {
  // Positive: down truncates, up adds one ulp.
  EXPECT_EQ(parse_ok("1.2345678915", 9, Round::down), 1'234'567'891);
  EXPECT_EQ(parse_ok("1.2345678915", 9, Round::up), 1'234'567'892);
  EXPECT_EQ(parse_ok("1.2345678919", 9, Round::down), 1'234'567'891);  // never to nearest
  EXPECT_EQ(parse_ok("1.2345678910000001", 9, Round::up), 1'234'567'892);
  // Negative: down goes away from zero (toward -infinity), up truncates.
  EXPECT_EQ(parse_ok("-1.2345678915", 9, Round::down), -1'234'567'892);
  EXPECT_EQ(parse_ok("-1.2345678915", 9, Round::up), -1'234'567'891);
  EXPECT_EQ(parse_ok("-1.2345678911", 9, Round::up), -1'234'567'891);
  // Below one ulp.
  EXPECT_EQ(parse_ok("0.0000000001", 9, Round::down), 0);
  EXPECT_EQ(parse_ok("0.0000000001", 9, Round::up), 1);
  EXPECT_EQ(parse_ok("-0.0000000001", 9, Round::down), -1);
  EXPECT_EQ(parse_ok("-0.0000000001", 9, Round::up), 0);
  // Whole units.
  EXPECT_EQ(parse_ok("2.5", 0, Round::down), 2);
  EXPECT_EQ(parse_ok("2.5", 0, Round::up), 3);
  EXPECT_EQ(parse_ok("-2.5", 0, Round::down), -3);
  EXPECT_EQ(parse_ok("-2.5", 0, Round::up), -2);
}

TEST(ParseDecimal, MalformedTextIsAnErrorNamingTheText) {
  EXPECT_NE(parse_error("", 6, Round::down).find("empty"), std::string::npos);
  EXPECT_NE(parse_error("-", 6, Round::down).find("no digits"), std::string::npos);
  EXPECT_NE(parse_error("+", 6, Round::down).find("no digits"), std::string::npos);
  EXPECT_NE(parse_error(".", 6, Round::down).find("no digits"), std::string::npos);
  EXPECT_NE(parse_error("1.", 6, Round::down).find("no digits after the decimal point"),
            std::string::npos);
  EXPECT_NE(parse_error("1.2.3", 6, Round::down).find("more than one decimal point"),
            std::string::npos);
  EXPECT_NE(parse_error("1e5", 6, Round::down).find("\"1e5\""), std::string::npos);
  EXPECT_NE(parse_error("1e5", 6, Round::down).find("position 1"), std::string::npos);
  EXPECT_NE(parse_error(" 1", 6, Round::down).find("position 0"), std::string::npos);
  EXPECT_NE(parse_error("1 ", 6, Round::down).find("position 1"), std::string::npos);
  EXPECT_NE(parse_error("--1", 6, Round::down).find("position 1"), std::string::npos);
  EXPECT_NE(parse_error("0x10", 6, Round::down).find("position 1"), std::string::npos);
  EXPECT_NE(parse_error("1,5", 6, Round::down).find("position 1"), std::string::npos);
  // Long text is cut in the message.
  const std::string message = parse_error(std::string(100, '1') + "x", 0, Round::down);
  EXPECT_NE(message.find("...\""), std::string::npos);
  EXPECT_LT(message.size(), 120u);
}

// ---- format_decimal -----------------------------------------------------------------------

TEST(FormatDecimal, ShortestExactText) {
  EXPECT_EQ(format_decimal(0, 9), "0");
  EXPECT_EQ(format_decimal(0, 0), "0");
  EXPECT_EQ(format_decimal(12'500'000, 6), "12.5");
  EXPECT_EQ(format_decimal(-1, 6), "-0.000001");
  EXPECT_EQ(format_decimal(100'000'000, 6), "100");
  EXPECT_EQ(format_decimal(1, 9), "0.000000001");
  EXPECT_EQ(format_decimal(1'000'000'001, 9), "1.000000001");
  EXPECT_EQ(format_decimal(-1'234'567'890, 9), "-1.23456789");
  EXPECT_EQ(format_decimal(42, 0), "42");
  EXPECT_EQ(format_decimal(-42, 0), "-42");
  EXPECT_EQ(format_decimal(1, 18), "0.000000000000000001");
}

TEST(FormatDecimal, Int64Extremes) {
  EXPECT_EQ(format_decimal(kMax, 0), "9223372036854775807");
  EXPECT_EQ(format_decimal(kMin, 0), "-9223372036854775808");
  EXPECT_EQ(format_decimal(kMax, 9), "9223372036.854775807");
  EXPECT_EQ(format_decimal(kMin, 9), "-9223372036.854775808");
  EXPECT_EQ(format_decimal(kMax, 18), "9.223372036854775807");
  EXPECT_EQ(format_decimal(kMin, 18), "-9.223372036854775808");
  EXPECT_EQ(format_decimal(kMin + 1, 18), "-9.223372036854775807");
}

TEST(FixedType, ParseAndToString) {
  const auto price = Price::parse("27123.456789", Round::down);
  ASSERT_TRUE(price.ok());
  EXPECT_EQ(price->raw(), 27'123'456'789'000);
  EXPECT_EQ(price->to_string(), "27123.456789");
  const auto bad = Money::parse("12.3x", Round::up);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("12.3x"), std::string::npos);
  EXPECT_EQ(Money::parse("0.0000005", Round::up)->raw(), 1);
  EXPECT_EQ(Money::parse("0.0000005", Round::down)->raw(), 0);
  EXPECT_EQ(Money::from_whole(3)->raw(), 3'000'000);
  EXPECT_FALSE(Money::from_whole(kMax / 1'000'000 + 1).has_value());
  EXPECT_EQ(Money::from_whole(kMax / 1'000'000)->raw(), kMax / 1'000'000 * 1'000'000);
  EXPECT_FALSE(Money::from_whole(kMin / 1'000'000 - 1).has_value());
  EXPECT_DOUBLE_EQ(Money::from_raw(1'500'000).to_double(), 1.5);
  EXPECT_TRUE(Money::from_raw(-1) < Money{});
  EXPECT_TRUE(Money::from_raw(-1).is_negative());
  EXPECT_TRUE(Money{}.is_zero());
}

// ---- from_double --------------------------------------------------------------------------

TEST(FromDouble, ExactRoundingOfInexactBinaryValues) {
  // 0.1 is 0.1000000000000000055511151231257827... in binary64: just above 0.1.
  EXPECT_EQ(raw_from_double(0.1, 9, Round::down), 100'000'000);
  EXPECT_EQ(raw_from_double(0.1, 9, Round::up), 100'000'001);
  EXPECT_EQ(raw_from_double(-0.1, 9, Round::down), -100'000'001);
  EXPECT_EQ(raw_from_double(-0.1, 9, Round::up), -100'000'000);
  // 0.3 is 0.2999999999999999888977697537484345... : just below 0.3.
  EXPECT_EQ(raw_from_double(0.3, 9, Round::down), 299'999'999);
  EXPECT_EQ(raw_from_double(0.3, 9, Round::up), 300'000'000);
  EXPECT_EQ(raw_from_double(-0.3, 9, Round::down), -300'000'000);
  EXPECT_EQ(raw_from_double(-0.3, 9, Round::up), -299'999'999);
  // 0.1 at 18 decimals: 100000000000000005.55...
  EXPECT_EQ(raw_from_double(0.1, 18, Round::down), 100'000'000'000'000'005);
  EXPECT_EQ(raw_from_double(0.1, 18, Round::up), 100'000'000'000'000'006);
  // Price type.
  EXPECT_EQ(Price::from_double(0.1, Round::up)->raw(), 100'000'001);
  EXPECT_EQ(Price::from_double(0.1, Round::down)->raw(), 100'000'000);
}

TEST(FromDouble, ExactBinaryValuesDoNotMove) {
  EXPECT_EQ(raw_from_double(1.5, 9, Round::down), 1'500'000'000);
  EXPECT_EQ(raw_from_double(1.5, 9, Round::up), 1'500'000'000);
  EXPECT_EQ(raw_from_double(-0.25, 2, Round::down), -25);
  EXPECT_EQ(raw_from_double(-0.25, 2, Round::up), -25);
  EXPECT_EQ(raw_from_double(0.0, 9, Round::up), 0);
  EXPECT_EQ(raw_from_double(-0.0, 9, Round::down), 0);
  EXPECT_EQ(raw_from_double(-0.125, 1, Round::down), -2);
  EXPECT_EQ(raw_from_double(-0.125, 1, Round::up), -1);
  EXPECT_EQ(raw_from_double(4611686018427387904.0, 0, Round::down), 4'611'686'018'427'387'904);
}

TEST(FromDouble, RangeAndSpecialValues) {
  EXPECT_EQ(raw_from_double(-9223372036854775808.0, 0, Round::down), kMin);
  EXPECT_EQ(raw_from_double(9223372036854775808.0, 0, Round::down), std::nullopt);
  // The largest double below 2^63.
  EXPECT_EQ(raw_from_double(9223372036854774784.0, 0, Round::up), 9'223'372'036'854'774'784);
  EXPECT_EQ(raw_from_double(1e300, 0, Round::down), std::nullopt);
  EXPECT_EQ(raw_from_double(-1e300, 0, Round::up), std::nullopt);
  EXPECT_EQ(raw_from_double(9.3e9, 9, Round::down), std::nullopt);  // past Price's range
  EXPECT_EQ(raw_from_double(std::numeric_limits<double>::quiet_NaN(), 9, Round::up), std::nullopt);
  EXPECT_EQ(raw_from_double(std::numeric_limits<double>::infinity(), 9, Round::up), std::nullopt);
  EXPECT_EQ(raw_from_double(-std::numeric_limits<double>::infinity(), 9, Round::down),
            std::nullopt);
  const double tiny = std::numeric_limits<double>::denorm_min();
  EXPECT_EQ(raw_from_double(tiny, 18, Round::down), 0);
  EXPECT_EQ(raw_from_double(tiny, 18, Round::up), 1);
  EXPECT_EQ(raw_from_double(-tiny, 18, Round::down), -1);
  EXPECT_EQ(raw_from_double(-tiny, 18, Round::up), 0);
  EXPECT_EQ(raw_from_double(1e-20, 9, Round::up), 1);
  EXPECT_EQ(raw_from_double(-1e-20, 9, Round::up), 0);
}

// ---- mul / div / rescale ------------------------------------------------------------------

TEST(Mul, RoundsOnceInTheNamedDirection) {
  const Quantity q = Quantity::from_raw(1'500'000'000);  // 1.5
  const Price p = Price::from_raw(2'000'000'001);        // 2.000000001
  // 1.5 * 2.000000001 = 3.0000000015 -> Money has 6 decimals.
  EXPECT_EQ(mul<Money>(q, p, Round::down)->raw(), 3'000'000);
  EXPECT_EQ(mul<Money>(q, p, Round::up)->raw(), 3'000'001);
  const Quantity short_q = Quantity::from_raw(-1'500'000'000);
  EXPECT_EQ(mul<Money>(short_q, p, Round::down)->raw(), -3'000'001);
  EXPECT_EQ(mul<Money>(short_q, p, Round::up)->raw(), -3'000'000);
  const Price negative_p = Price::from_raw(-2'000'000'001);
  EXPECT_EQ(mul<Money>(short_q, negative_p, Round::down)->raw(), 3'000'000);
  EXPECT_EQ(mul<Money>(short_q, negative_p, Round::up)->raw(), 3'000'001);
  // Exact products do not move.
  EXPECT_EQ(mul<Money>(Quantity::from_raw(2'000'000'000), Price::from_raw(3'000'000'000), Round::up)
                ->raw(),
            6'000'000);
  // Into a finer scale: no rounding needed (Ratio 12 decimals * Money 6 -> Money 6).
  EXPECT_EQ(mul<Money>(Ratio::from_raw(500'000'000'000), Money::from_raw(3), Round::down)->raw(),
            1);
  EXPECT_EQ(mul<Money>(Ratio::from_raw(500'000'000'000), Money::from_raw(3), Round::up)->raw(), 2);
  EXPECT_EQ(mul<Money>(Ratio::from_raw(500'000'000'000), Money::from_raw(-3), Round::down)->raw(),
            -2);
  EXPECT_EQ(mul<Money>(Ratio::from_raw(500'000'000'000), Money::from_raw(-3), Round::up)->raw(),
            -1);
  EXPECT_EQ(mul<Price>(Amount::from_raw(3), Amount::from_raw(4), Round::down)->raw(),
            12'000'000'000);
}

TEST(Mul, OverflowIsNullopt) {
  const Quantity big_q = Quantity::from_raw(kMax);
  const Price big_p = Price::from_raw(kMax);
  EXPECT_EQ(mul<Money>(big_q, big_p, Round::down), std::nullopt);
  EXPECT_EQ(mul<Money>(Quantity::from_raw(kMin), big_p, Round::up), std::nullopt);
  // Just inside and just outside Money's range: 9223372036854.775807 money.
  const Quantity one = Quantity::from_raw(1'000'000'000);
  EXPECT_EQ(mul<Money>(one, Price::from_raw(kMax), Round::down)->raw(), kMax / 1000);
  EXPECT_EQ(mul<Amount>(Amount::from_raw(kMax), Amount::from_raw(2), Round::down), std::nullopt);
  EXPECT_EQ(mul<Amount>(Amount::from_raw(kMin), Amount::from_raw(-1), Round::down), std::nullopt);
  EXPECT_EQ(mul<Amount>(Amount::from_raw(kMin), Amount::from_raw(1), Round::down)->raw(), kMin);
  // A product that needs more than 38 decimal shifts up cannot fit unless zero.
  EXPECT_EQ(mul<Amount>(Amount::from_raw(0), Amount::from_raw(kMax), Round::up)->raw(), 0);
}

TEST(Div, RoundsOnceInTheNamedDirection) {
  const Money ten = Money::from_raw(10'000'000);
  const Quantity three = Quantity::from_raw(3'000'000'000);
  // 10 / 3 = 3.333333333(3) in Price's 9 decimals.
  EXPECT_EQ(div<Price>(ten, three, Round::down)->raw(), 3'333'333'333);
  EXPECT_EQ(div<Price>(ten, three, Round::up)->raw(), 3'333'333'334);
  const Money minus_ten = Money::from_raw(-10'000'000);
  EXPECT_EQ(div<Price>(minus_ten, three, Round::down)->raw(), -3'333'333'334);
  EXPECT_EQ(div<Price>(minus_ten, three, Round::up)->raw(), -3'333'333'333);
  const Quantity minus_three = Quantity::from_raw(-3'000'000'000);
  EXPECT_EQ(div<Price>(ten, minus_three, Round::down)->raw(), -3'333'333'334);
  EXPECT_EQ(div<Price>(ten, minus_three, Round::up)->raw(), -3'333'333'333);
  EXPECT_EQ(div<Price>(minus_ten, minus_three, Round::down)->raw(), 3'333'333'333);
  EXPECT_EQ(div<Price>(minus_ten, minus_three, Round::up)->raw(), 3'333'333'334);
  // Exact quotient.
  EXPECT_EQ(div<Price>(Money::from_raw(9'000'000), three, Round::up)->raw(), 3'000'000'000);
  // A negative shift scales the divisor: Ratio(7.5) / Amount(2) = 3.75 -> Amount.
  EXPECT_EQ(
      div<Amount>(Ratio::from_raw(7'500'000'000'000), Amount::from_raw(2), Round::down)->raw(), 3);
  EXPECT_EQ(div<Amount>(Ratio::from_raw(7'500'000'000'000), Amount::from_raw(2), Round::up)->raw(),
            4);
  EXPECT_EQ(
      div<Amount>(Ratio::from_raw(-7'500'000'000'000), Amount::from_raw(2), Round::down)->raw(),
      -4);
  EXPECT_EQ(div<Amount>(Ratio::from_raw(-7'500'000'000'000), Amount::from_raw(2), Round::up)->raw(),
            -3);
}

TEST(Div, ZeroDivisorAndOverflowAreNullopt) {
  EXPECT_EQ(div<Price>(Money::from_raw(1), Quantity{}, Round::down), std::nullopt);
  EXPECT_EQ(div<Price>(Money::from_raw(kMax), Quantity::from_raw(1), Round::down), std::nullopt);
  EXPECT_EQ(div<Amount>(Amount::from_raw(kMin), Amount::from_raw(-1), Round::down), std::nullopt);
  EXPECT_EQ(div<Amount>(Amount::from_raw(kMin), Amount::from_raw(1), Round::down)->raw(), kMin);
  // Numerator needs 10^36 scaling: overflows int128, and the quotient could not fit anyway.
  using Fine = Fixed<struct FineTag, 18>;
  EXPECT_EQ(div<Fine>(Amount::from_raw(kMax), Fine::from_raw(1), Round::up), std::nullopt);
  EXPECT_EQ(div<Fine>(Amount::from_raw(0), Fine::from_raw(1), Round::up)->raw(), 0);
}

TEST(Rescale, RoundsInTheNamedDirection) {
  const Price p = Price::from_raw(1'234'567'800);  // 1.2345678
  EXPECT_EQ(rescale<Money>(p, Round::down)->raw(), 1'234'567);
  EXPECT_EQ(rescale<Money>(p, Round::up)->raw(), 1'234'568);
  const Price minus_p = Price::from_raw(-1'234'567'800);
  EXPECT_EQ(rescale<Money>(minus_p, Round::down)->raw(), -1'234'568);
  EXPECT_EQ(rescale<Money>(minus_p, Round::up)->raw(), -1'234'567);
  EXPECT_EQ(rescale<Money>(Price::from_raw(1'234'567'000), Round::up)->raw(), 1'234'567);
  // Up in scale is exact or overflows.
  EXPECT_EQ(rescale<Price>(Money::from_raw(-7), Round::down)->raw(), -7'000);
  EXPECT_EQ(rescale<Price>(Money::from_raw(kMax), Round::down), std::nullopt);
  EXPECT_EQ(rescale<Ratio>(Money::from_raw(10'000'000'000'000), Round::down), std::nullopt);
  EXPECT_EQ(rescale<Ratio>(Money::from_raw(9'000'000'000'000), Round::down)->raw(),
            9'000'000'000'000'000'000);
  // Sub-ulp values at the coarsest scale.
  EXPECT_EQ(rescale<Amount>(Ratio::from_raw(1), Round::up)->raw(), 1);
  EXPECT_EQ(rescale<Amount>(Ratio::from_raw(1), Round::down)->raw(), 0);
  EXPECT_EQ(rescale<Amount>(Ratio::from_raw(-1), Round::down)->raw(), -1);
  EXPECT_EQ(rescale<Amount>(Ratio::from_raw(-1), Round::up)->raw(), 0);
}

TEST(ScalePow10, ShiftsBeyondInt128) {
  EXPECT_EQ(scale_pow10(0, 60, Round::down), static_cast<int128>(0));
  EXPECT_EQ(scale_pow10(1, 39, Round::down), std::nullopt);
  EXPECT_TRUE(scale_pow10(1, 38, Round::down).has_value());
  EXPECT_EQ(scale_pow10(5, -60, Round::up), static_cast<int128>(1));
  EXPECT_EQ(scale_pow10(5, -60, Round::down), static_cast<int128>(0));
  EXPECT_EQ(scale_pow10(-5, -60, Round::up), static_cast<int128>(0));
  EXPECT_EQ(scale_pow10(-5, -60, Round::down), static_cast<int128>(-1));
  EXPECT_EQ(scale_pow10(0, -60, Round::down), static_cast<int128>(0));
}

TEST(Checked, AddSubNegOverflow) {
  EXPECT_EQ(checked_add(Amount::from_raw(kMax), Amount::from_raw(1)), std::nullopt);
  EXPECT_EQ(checked_add(Amount::from_raw(kMax - 1), Amount::from_raw(1))->raw(), kMax);
  EXPECT_EQ(checked_add(Amount::from_raw(kMin), Amount::from_raw(-1)), std::nullopt);
  EXPECT_EQ(checked_sub(Amount::from_raw(kMin), Amount::from_raw(1)), std::nullopt);
  EXPECT_EQ(checked_sub(Amount::from_raw(0), Amount::from_raw(kMin)), std::nullopt);
  EXPECT_EQ(checked_sub(Amount::from_raw(-1), Amount::from_raw(kMax))->raw(), kMin);
  EXPECT_EQ(checked_neg(Amount::from_raw(kMin)), std::nullopt);
  EXPECT_EQ(checked_neg(Amount::from_raw(kMax))->raw(), kMin + 1);
}

TEST(Notional, QuantityTimesPriceInMoney) {
  const Quantity q = Quantity::parse("0.333333333", Round::down).value();
  const Price p = Price::parse("30000.5", Round::down).value();
  // 0.333333333 * 30000.5 = 10000.1666566665 exactly
  EXPECT_EQ(notional(q, p, Round::down)->raw(), 10'000'166'656);
  EXPECT_EQ(notional(q, p, Round::up)->raw(), 10'000'166'657);
  const Quantity short_q = Quantity::from_raw(-q.raw());
  EXPECT_EQ(notional(short_q, p, Round::down)->raw(), -10'000'166'657);
  EXPECT_EQ(notional(short_q, p, Round::up)->raw(), -10'000'166'656);
  // 9.2e9 units at 9.2e9 quote is past Money's 9.2e12.
  EXPECT_EQ(notional(Quantity::from_raw(kMax), Price::from_raw(kMax), Round::up), std::nullopt);
  EXPECT_EQ(
      notional(Quantity::from_whole(1000).value(), Price::from_whole(1'000'000).value(), Round::up)
          ->raw(),
      1'000'000'000'000'000);
}

// ---- properties ---------------------------------------------------------------------------

// Independent floor/ceil for int128 (denominator > 0), written differently from div_round.
int128 floor_div(int128 n, int128 d) { return (n - (((n % d) + d) % d)) / d; }
int128 ceil_div(int128 n, int128 d) { return -floor_div(-n, d); }

rc::Gen<std::int64_t> interesting_i64() {
  return rc::gen::oneOf(
      rc::gen::arbitrary<std::int64_t>(),
      rc::gen::elementOf(std::vector<std::int64_t>{kMin, kMin + 1, -1, 0, 1, kMax - 1, kMax}),
      rc::gen::inRange<std::int64_t>(-1'000'000'000'000, 1'000'000'000'000));
}

RC_GTEST_PROP(FixedProperty, ParseFormatRoundTrip, ()) {
  const std::int64_t raw = *interesting_i64();
  const int decimals = *rc::gen::inRange(0, kMaxDecimals + 1);
  const std::string text = format_decimal(raw, decimals);
  for (const Round round : {Round::down, Round::up}) {
    const auto parsed = parse_decimal(text, decimals, round);
    RC_ASSERT(parsed.ok());
    RC_ASSERT(*parsed == raw);
  }
  // Shortest form: no trailing zero after a point, no leading zero before a nonzero digit.
  if (text.find('.') != std::string::npos) RC_ASSERT(text.back() != '0');
}

// Compares raw / 10^decimals with numerator / 10^digits exactly: -1, 0, 1.
int compare_decimal(std::int64_t raw, int decimals, int128 numerator, int digits) {
  int128 left = raw;
  int128 right = numerator;
  if (digits >= decimals) {
    left *= pow10_i128(digits - decimals);
  } else {
    right *= pow10_i128(decimals - digits);
  }
  return left < right ? -1 : (left > right ? 1 : 0);
}

RC_GTEST_PROP(FixedProperty, ParseBracketsExactValueWithinOneUlp, ()) {
  const bool negative = *rc::gen::arbitrary<bool>();
  const int decimals = *rc::gen::inRange(0, kMaxDecimals + 1);
  // Keeps whole * 10^decimals (+1 ulp) inside int64.
  const auto whole = *rc::gen::inRange<std::int64_t>(
      0, std::min<std::int64_t>(1'000'000, pow10_i64(kMaxDecimals - decimals)));
  const auto fraction = *rc::gen::container<std::string>(
      *rc::gen::inRange<std::size_t>(0, 21),
      rc::gen::oneOf(rc::gen::inRange('0', ':'), rc::gen::just('0')));
  std::string text = (negative ? "-" : "") + std::to_string(whole);
  if (!fraction.empty()) text += "." + fraction;
  const int digits = static_cast<int>(fraction.size());
  int128 exact = static_cast<int128>(whole) * pow10_i128(digits);
  int128 fraction_value = 0;
  for (const char c : fraction) fraction_value = fraction_value * 10 + (c - '0');
  exact += fraction_value;
  if (negative) exact = -exact;

  const auto down = parse_decimal(text, decimals, Round::down);
  const auto up = parse_decimal(text, decimals, Round::up);
  RC_ASSERT(down.ok());
  RC_ASSERT(up.ok());
  RC_ASSERT(compare_decimal(*down, decimals, exact, digits) <= 0);
  RC_ASSERT(compare_decimal(*up, decimals, exact, digits) >= 0);
  const std::int64_t gap = *up - *down;
  RC_ASSERT(gap == 0 || gap == 1);
  // They agree exactly when the text is representable.
  RC_ASSERT((gap == 0) == (compare_decimal(*down, decimals, exact, digits) == 0));
}

RC_GTEST_PROP(FixedProperty, FromDoubleBracketsExactValueWithinOneUlp, ()) {
  // value = k * 2^-j exactly (|k| < 2^40), so value * 10^d = k * 10^d / 2^j is known exactly.
  const auto k = *rc::gen::inRange<std::int64_t>(-(std::int64_t{1} << 40), std::int64_t{1} << 40);
  const int j = *rc::gen::inRange(0, 61);
  const int decimals = *rc::gen::inRange(0, 10);
  const double value = std::ldexp(static_cast<double>(k), -j);
  const int128 numerator = static_cast<int128>(k) * pow10_i128(decimals);
  const int128 denominator = static_cast<int128>(1) << j;
  const auto down = raw_from_double(value, decimals, Round::down);
  const auto up = raw_from_double(value, decimals, Round::up);
  const int128 floor_q = floor_div(numerator, denominator);
  const int128 ceil_q = ceil_div(numerator, denominator);
  RC_ASSERT(down.has_value() == (floor_q >= kMin && floor_q <= kMax));
  RC_ASSERT(up.has_value() == (ceil_q >= kMin && ceil_q <= kMax));
  if (down) RC_ASSERT((static_cast<int128>(*down) == floor_q));
  if (up) RC_ASSERT((static_cast<int128>(*up) == ceil_q));
  if (down && up) RC_ASSERT(*up - *down <= 1);
}

RC_GTEST_PROP(FixedProperty, MulAndDivBracketExactValue, ()) {
  const auto a = *rc::gen::inRange<std::int64_t>(-(std::int64_t{1} << 40), std::int64_t{1} << 40);
  const auto b = *rc::gen::inRange<std::int64_t>(-(std::int64_t{1} << 40), std::int64_t{1} << 40);
  // Money = Quantity * Price: exact a*b / 10^12.
  const int128 product = static_cast<int128>(a) * b;
  const int128 scale12 = pow10_i128(12);
  const auto m_down = mul<Money>(Quantity::from_raw(a), Price::from_raw(b), Round::down);
  const auto m_up = mul<Money>(Quantity::from_raw(a), Price::from_raw(b), Round::up);
  RC_ASSERT(m_down.has_value());
  RC_ASSERT(m_up.has_value());
  RC_ASSERT((static_cast<int128>(m_down->raw()) == floor_div(product, scale12)));
  RC_ASSERT((static_cast<int128>(m_up->raw()) == ceil_div(product, scale12)));
  // Price = Money / Quantity: exact a * 10^12 / b.
  RC_PRE(b != 0);
  const int128 numerator = static_cast<int128>(a) * scale12;
  const int128 n = b < 0 ? -numerator : numerator;
  const int128 d = b < 0 ? -static_cast<int128>(b) : static_cast<int128>(b);
  const auto p_down = div<Price>(Money::from_raw(a), Quantity::from_raw(b), Round::down);
  const auto p_up = div<Price>(Money::from_raw(a), Quantity::from_raw(b), Round::up);
  const int128 floor_q = floor_div(n, d);
  const int128 ceil_q = ceil_div(n, d);
  const bool floor_fits = floor_q >= kMin && floor_q <= kMax;
  const bool ceil_fits = ceil_q >= kMin && ceil_q <= kMax;
  RC_ASSERT(p_down.has_value() == floor_fits);
  RC_ASSERT(p_up.has_value() == ceil_fits);
  if (floor_fits) RC_ASSERT((static_cast<int128>(p_down->raw()) == floor_q));
  if (ceil_fits) RC_ASSERT((static_cast<int128>(p_up->raw()) == ceil_q));
}

}  // namespace
}  // namespace ballast

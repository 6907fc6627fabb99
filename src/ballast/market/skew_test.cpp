// Skew-premium fill prices (skew.hpp): Synthetix SIP-279's published test case, the discount for
// a trade that shrinks the skew, rounding against the trader, and the property that a trade's
// price never favours the trader against the exact rational price.

#include "ballast/market/skew.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "ballast/core/testing/fixed_text.hpp"

namespace ballast::market {
namespace {

// SIP-279 (github.com/Synthetixio/SIPs, content/sips/sip-279.md, "Test Cases"; research
// defi-engines.md E11): ETH at $2,000, skew 100, skew scale 1,000,000, a 100 ETH long:
// 2,000 × (1 + (100 + 200) / 2,000,000) = 2,000.30.
TEST(SkewFillPrice, Sip279LongGrowingTheSkew) {
  EXPECT_EQ(skew_fill_price(price("2000"), qty("100"), qty("100"), qty("1000000")), price("2000.3"));
}

// The same trade selling into that skew shrinks it to 0: 2,000 × (1 + 100 / 2,000,000) = 2,000.1.
// A seller taking the skew from +100 to −100 trades at the oracle.
TEST(SkewFillPrice, ShrinkingTheSkewEarnsTheDiscountSide) {
  EXPECT_EQ(skew_fill_price(price("2000"), qty("100"), qty("-100"), qty("1000000")), price("2000.1"));
  EXPECT_EQ(skew_fill_price(price("2000"), qty("100"), qty("-200"), qty("1000000")), price("2000"));
  EXPECT_EQ(skew_fill_price(price("2000"), qty("-100"), qty("-100"), qty("1000000")), price("1999.7"));
}

// 1 × (1 + 1e-9 / 3) is not a whole number of 1e-9: a buyer pays the ceiling, a seller gets the
// floor.
TEST(SkewFillPrice, RoundsAgainstTheTrader) {
  EXPECT_EQ(skew_fill_price(price("1"), qty("0"), qty("0.000000001"), qty("1.5")),
            Price::from_raw(1'000'000'001));
  EXPECT_EQ(skew_fill_price(price("1"), qty("0"), qty("-0.000000001"), qty("1.5")),
            Price::from_raw(999'999'999));
}

TEST(SkewFillPrice, DiscountBeyondTheOracleIsRefused) {
  EXPECT_FALSE(skew_fill_price(price("2000"), qty("0"), qty("-3"), qty("1")));
}

RC_GTEST_PROP(SkewFillPrice, NeverFavoursTheTrader, ()) {
  const std::int64_t oracle = *rc::gen::inRange<std::int64_t>(1, 1'000'000'000'000'000);
  const std::int64_t before = *rc::gen::inRange<std::int64_t>(-1'000'000'000'000, 1'000'000'000'000);
  const std::int64_t size = *rc::gen::nonZero<std::int64_t>() % 1'000'000'000'000;
  RC_PRE(size != 0);
  const std::int64_t scale = *rc::gen::inRange<std::int64_t>(10'000'000'000'000, 1'000'000'000'000'000);
  const auto fill = skew_fill_price(Price::from_raw(oracle), Quantity::from_raw(before),
                                    Quantity::from_raw(size), Quantity::from_raw(scale));
  RC_PRE(fill.has_value());
  // exact = oracle × (2 scale + 2 before + size) / (2 scale); compare fill × 2 scale with it.
  const int128 exact_numerator =
      static_cast<int128>(oracle) * (2 * static_cast<int128>(scale) + 2 * static_cast<int128>(before) + size);
  const int128 charged = static_cast<int128>(fill->raw()) * 2 * scale;
  if (size > 0) {
    RC_ASSERT(charged >= exact_numerator);
    RC_ASSERT(charged - exact_numerator < 2 * static_cast<int128>(scale));
  } else {
    RC_ASSERT(charged <= exact_numerator);
    RC_ASSERT(exact_numerator - charged < 2 * static_cast<int128>(scale));
  }
}

}  // namespace
}  // namespace ballast::market
